"""A time series is patched in place: a variable, QC or time-window change sends the new
series to the figure on screen (same Bokeh figure: new glyph data, axis label, title,
ranges and tooltips), on the URL's zoom or refitted; a change of what is drawn (the
colouring, the y lock) builds a new figure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import param
import pytest

from portal.query import TimeRange
from tests.conftest import needs_shared
from tests.ui.drawing import draw as _draw
from tests.ui.drawing import figure_of as _figure

pytestmark = needs_shared


@pytest.fixture(scope="module")
def tidegauge(shared):
    from portal.cataloging.scan import describe_file

    return describe_file(str(shared / "dsg/timeseries/netCDF_timeseries_tidegauge.nc"),
                         "tidegauge")


def _line(fig) -> dict:
    """The series' drawn columns (the Curve's glyph data)."""
    from bokeh.models import Line

    renderer = next(r for r in fig.renderers if isinstance(r.glyph, Line))
    return renderer.data_source.data


def _tooltips(fig) -> dict:
    return dict(next(t for t in fig.tools if type(t).__name__ == "HoverTool").tooltips)


def _pane(entry, **state):
    from portal.ui.quicklook_pane import QuicklookPane
    from portal.ui.state import ViewState

    return QuicklookPane(state=ViewState(dataset="tidegauge", kind="timeseries", **state),
                         entry=entry)


def test_a_series_variable_change_patches_the_figure_on_screen(tidegauge):
    pane = _pane(tidegauge, var="TEMPPR01")
    drawn = _draw(pane)  # (no __panel__: no page redraws on its own beside these calls)
    drawn.get_root()  # the Bokeh models the browser shows
    fig = _figure(drawn)
    assert "[celsius degree]" in fig.yaxis[0].axis_label
    temp = np.asarray(_line(fig)["value"])
    title = fig.title.text

    pane.state.var = "ASLVZZ01"
    assert _draw(pane) is param.Skip  # no new figure: the one on screen was patched
    assert _figure(drawn) is fig
    assert "[meter]" in fig.yaxis[0].axis_label
    level = np.asarray(_line(fig)["value"])
    assert not np.array_equal(level[np.isfinite(level)][:50], temp[np.isfinite(temp)][:50])
    finite = level[np.isfinite(level)]
    assert fig.y_range.start <= finite.min() and fig.y_range.end >= finite.max()
    assert fig.y_range.end - fig.y_range.start < 2 * (finite.max() - finite.min()) + 1e-6
    assert fig.title.text != title or "[meter]" in fig.yaxis[0].axis_label
    assert any("[meter]" in label for label in _tooltips(fig))  # the hover names the variable


def test_a_time_window_change_refits_or_keeps_the_urls_zoom(tidegauge):
    pane = _pane(tidegauge, var="TEMPPR01")
    drawn = _draw(pane)
    drawn.get_root()
    fig = _figure(drawn)
    full = pd.Timedelta(fig.x_range.end - fig.x_range.start)
    title = fig.title.text

    pane.state.time = TimeRange.parse("1998-08-01/1998-08-10")
    assert _draw(pane) is param.Skip
    assert _figure(drawn) is fig
    assert pd.Timedelta(fig.x_range.end - fig.x_range.start) < full / 4  # ten days
    assert fig.title.text != title  # fewer samples in source

    pane.state.time = None
    pane.state.view = "1998-08-05T00:00:00Z/1998-08-06T00:00:00Z"  # the URL's zoom
    assert _draw(pane) is param.Skip
    span = pd.Timedelta(fig.x_range.end - fig.x_range.start)
    assert abs(span - pd.Timedelta(days=1)) < pd.Timedelta(hours=1)
    assert "in view" in fig.title.text  # the frame was drawn for the zoomed span


def test_a_new_drawing_builds_a_new_figure(tidegauge):
    pane = _pane(tidegauge, var="TEMPPR01")
    _draw(pane).get_root()
    pane.state.color = "value"  # points coloured by value: a colour bar, a new figure
    assert _draw(pane) is not param.Skip
    pane.state.color = "auto"
    assert _draw(pane) is not param.Skip
    pane.lock_y = True  # frames that keep the y range: not patched
    assert _draw(pane) is not param.Skip
    assert _draw(pane) is not param.Skip


def test_a_colormap_set_in_place_stays_through_patches_and_zooms(tidegauge):
    from bokeh.models import ColorMapper

    from portal.quicklooks.style import resolve_cmap

    pane = _pane(tidegauge, var="TEMPPR01", color="value")
    pane.__panel__()
    drawn = _draw(pane)
    drawn.get_root()
    pane.state.time = TimeRange.parse("1998-08-01/1998-08-20")
    assert _draw(pane) is param.Skip  # coloured by value, same variable: patched
    pane._plot_view._pane = drawn  # (Panel's live pane, as on a page)
    pane.state.cmap = "viridis"  # re-styled in place
    viridis = resolve_cmap("viridis")

    def palettes() -> list:
        return [list(m.palette) for model, _ in drawn._models.values()
                for m in model.select({"type": ColorMapper})]

    assert palettes() and all(p == viridis for p in palettes())
    ranges = pane._patcher.streams[0]  # the browser's zoom: a frame drawn anew
    ranges.event(x_range=(np.datetime64("1998-08-05"), np.datetime64("1998-08-06")))
    assert all(p == viridis for p in palettes())


def test_a_time_depth_variable_change_patches_the_mesh_and_its_colour_bar(shared):
    from bokeh.models import ColorBar

    from portal.cataloging.scan import describe_file
    from portal.ui.quicklook_pane import QuicklookPane
    from portal.ui.state import ViewState

    argo = describe_file(str(shared / "argo/multiprofile/6901744_prof.nc"), "argo")
    pane = QuicklookPane(state=ViewState(dataset="argo", kind="timedepth", var="TEMP"),
                         entry=argo)
    drawn = _draw(pane)
    drawn.get_root()
    fig = _figure(drawn)
    bar = next(m for m in fig.right if isinstance(m, ColorBar))
    assert "[degree_Celsius]" in bar.title and bar.color_mapper.high > 20

    pane.state.var = "PSAL"
    assert _draw(pane) is param.Skip
    assert _figure(drawn) is fig
    assert "[psu]" in bar.title  # the colour bar names the new variable (a hook: see module)
    assert 33.5 < bar.color_mapper.low < bar.color_mapper.high < 37.5  # salinity's colours
    assert any("[psu]" in label for label in _tooltips(fig))


def test_a_ts_time_window_change_patches_the_diagram(shared):
    from portal.cataloging.scan import describe_file
    from portal.ui.quicklook_pane import QuicklookPane
    from portal.ui.state import ViewState

    argo = describe_file(str(shared / "argo/multiprofile/6901744_prof.nc"), "argo")
    pane = QuicklookPane(state=ViewState(dataset="argo", kind="ts"), entry=argo)
    drawn = _draw(pane)
    drawn.get_root()
    fig = _figure(drawn)
    title, ranges = fig.title.text, (fig.x_range.start, fig.x_range.end)
    start = argo.time_coverage[0][:10]
    pane.state.time = TimeRange.parse(f"{start}/{pd.Timestamp(start) + pd.Timedelta(days=60):%F}")
    assert _draw(pane) is param.Skip
    assert _figure(drawn) is fig
    assert fig.title.text != title  # fewer samples
    assert (fig.x_range.start, fig.x_range.end) != ranges  # the diagram's own limits


def test_a_series_of_depth_levels_patches_its_lines(realfiles):
    from portal.cataloging.scan import describe_file

    entry = describe_file(str(realfiles("timeseries_profile")), "levels")
    pane = _pane(entry, var="TEMP")
    drawn = _draw(pane)
    drawn.get_root()
    fig = _figure(drawn)
    full = pd.Timedelta(fig.x_range.end - fig.x_range.start)
    start = pd.Timestamp(entry.time_coverage[0]).tz_localize(None)
    pane.state.time = TimeRange.parse(f"{start:%FT%H:%M}/{start + pd.Timedelta(hours=6):%FT%H:%M}")
    assert _draw(pane) is param.Skip  # the three lines on screen, re-drawn
    assert _figure(drawn) is fig
    assert pd.Timedelta(fig.x_range.end - fig.x_range.start) < full / 2  # refitted
