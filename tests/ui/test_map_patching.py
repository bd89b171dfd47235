"""The quicklook pane patches a map in place: a variable, QC, depth or time-step change sends
new frames to the figure on screen (same Bokeh figure: new image or markers, title, colour
bar and hover) and keeps the zoom; a change of what is drawn (the colouring) builds a new
figure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import param
import pytest
import xarray as xr

from portal.model import DatasetEntry
from portal.query import DepthRange
from tests.conftest import needs_shared, store_entry
from tests.ui.drawing import draw as _draw
from tests.ui.drawing import figure_of as _figure


def _bar_title(fig) -> str:
    from bokeh.models import ColorBar

    return next(iter(fig.select({"type": ColorBar}))).title


def _image(fig) -> dict:
    """The image glyph's data source (the raster the browser shows)."""
    from bokeh.models import GlyphRenderer

    return next(r.data_source.data for r in fig.renderers if isinstance(r, GlyphRenderer)
                and "image" in r.data_source.data)


def _tooltips(fig) -> str:
    return str([t.tooltips for t in fig.tools if type(t).__name__ == "HoverTool"])


def _pane(entry, **state):
    from portal.ui.quicklook_pane import QuicklookPane
    from portal.ui.state import ViewState

    pane = QuicklookPane(state=ViewState(dataset=entry.id, kind="map", **state), entry=entry)
    drawn = _draw(pane)  # (no __panel__: no page redraws on its own beside these calls)
    drawn.get_root()  # the Bokeh models the browser shows
    return pane, drawn, _figure(drawn)


@pytest.fixture
def store(small_store):
    return store_entry(small_store, "TEMP", "PSAL", vertical_coverage=[0.0, 2000.0])


def test_a_point_store_control_change_patches_the_map_and_keeps_the_zoom(store):
    pane, drawn, fig = _pane(store, var="TEMP", color="value")
    assert "Mean TEMP" in _bar_title(fig) and "TEMP" in fig.title.text
    before = _image(fig)["image"][0].copy()

    pane.state.var = "PSAL"
    assert _draw(pane) is param.Skip  # no new figure: the one on screen was patched
    assert _figure(drawn) is fig
    assert "Mean PSAL" in _bar_title(fig) and "PSAL" in fig.title.text
    assert "Mean PSAL" in _tooltips(fig)
    after = _image(fig)["image"][0]
    assert np.nanmean(after) > np.nanmean(before) + 10  # salinities, not temperatures

    stream = pane._maps.ranges  # the browser zooms: the stream holds the view shown
    stream.event(x_range=(-2e6, 2e6), y_range=(4e6, 7e6))
    pane.state.depth = DepthRange(0.0, 200.0)
    assert _draw(pane) is param.Skip
    data = _image(fig)
    assert -2.1e6 < data["x"][0] and data["x"][0] + data["dw"][0] < 2.1e6  # the zoom stays
    assert stream.x_range == (-2e6, 2e6)

    pane.state.color = "qc"  # the QC mix as RGB: another drawing, a new figure
    assert _draw(pane) is not param.Skip


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    times = pd.date_range("2016-10-01T12:00", periods=3, freq="D").values
    lat, lon = np.linspace(40, 50, 30), np.linspace(-10, 0, 40)
    values = (np.arange(3)[:, None, None] * 5.0 + lat[None, :, None] / 10
              + lon[None, None, :] / 100).astype("float32")
    field = xr.DataArray(values, dims=("time", "lat", "lon"), name="sst",
                         coords={"time": times, "lat": lat, "lon": lon},
                         attrs={"units": "degree_Celsius", "long_name": "Sea surface temperature"})
    path = tmp_path_factory.mktemp("grid") / "sst.nc"
    field.to_dataset().to_netcdf(path)
    return DatasetEntry.from_metadata("sst", "netcdf", {"urlpath": str(path)},
                                      {"title": "SST", "featureType": "grid"})


def test_a_grid_time_step_patches_the_map_with_the_new_field(grid):
    pane, drawn, fig = _pane(grid)
    assert "2016-10-03" in fig.title.text and "2016-10-03" in _tooltips(fig)
    before = float(np.nanmean(_image(fig)["image"][0]))

    pane.state.at = "2016-10-01T12:00:00Z"
    assert _draw(pane) is param.Skip
    assert _figure(drawn) is fig
    assert "2016-10-01" in fig.title.text and "2016-10-01" in _tooltips(fig)
    assert float(np.nanmean(_image(fig)["image"][0])) == pytest.approx(before - 10, abs=0.2)


@needs_shared
def test_a_positions_map_patches_its_markers_and_colour_bar(shared):
    from portal.cataloging.scan import describe_file

    argo = describe_file(str(shared / "argo/multiprofile/6901744_prof.nc"), "argo")
    pane, drawn, fig = _pane(argo, var="TEMP", color="value")
    assert "[degree_Celsius]" in _bar_title(fig)

    pane.state.var = "PSAL"
    assert _draw(pane) is param.Skip
    assert _figure(drawn) is fig
    assert "[psu]" in _bar_title(fig) and "[psu]" in _tooltips(fig)

    pane.state.lang = "fr"  # another language: the controls and hooks change, a new figure
    assert _draw(pane) is not param.Skip


def test_maps_side_by_side_are_not_patched_as_one(grid):
    import holoviews as hv

    from portal.pipeline import build_quicklook
    from portal.ui.map_patching import frames_pipe

    one = build_quicklook(grid, "map")
    assert frames_pipe(one) is not None
    assert frames_pipe(hv.Layout([one, build_quicklook(grid, "map")])) is None


def test_a_map_not_yet_shown_is_drawn_anew_not_patched(grid):
    """A change that comes while the last map is still being built (its plot in a worker
    thread) or was superseded before it was shown: a patch would reach a plot not on
    screen, or initialise it a second time on the loop (HoloViews then fails on its
    ``subplots``), so the newer change draws a new map."""
    import asyncio
    import concurrent.futures

    from portal.ui.quicklook_pane import QuicklookPane
    from portal.ui.state import ViewState

    pane = QuicklookPane(state=ViewState(dataset=grid.id, kind="map"), entry=grid)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # drawn, never returned to Panel
        pending = pool.submit(asyncio.run, pane._draw()).result()
    assert pending is not param.Skip and pane._maps.pipe is not None
    pane.state.at = "2016-10-01T12:00:00Z"
    drawn = _draw(pane)
    assert drawn is not param.Skip and drawn is not pending  # a new map, not a patch
    drawn.get_root()
    assert "2016-10-01" in _figure(drawn).title.text
    pane.state.at = "2016-10-02T12:00:00Z"
    assert _draw(pane) is param.Skip  # that one is on screen: patched
    assert "2016-10-02" in _figure(drawn).title.text
