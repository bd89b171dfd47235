"""Controls that do not apply to a view are hidden or disabled (issue 12), and those shown
change the drawing: "Colour by: Value" colours a profile and a series by value."""

from __future__ import annotations

import holoviews as hv
import pandas as pd
import pytest

from portal.query import Query
from portal.quicklooks import Style


@pytest.fixture(scope="module")
def entries(shared):
    from portal.cataloging.scan import describe_file

    files = {"argo": "argo/multiprofile/6901744_prof.nc",
             "tide": "dsg/timeseries/netCDF_timeseries_tidegauge.nc",
             "sst": "gridded/MWsstd1day_modis_sst_westus.nc"}
    return {k: describe_file(str(shared / v), k) for k, v in files.items()}


def _pane(entry, **state):
    from portal.ui.quicklook_pane import QuicklookPane
    from portal.ui.state import ViewState

    return QuicklookPane(state=ViewState(dataset=entry.id, **state), entry=entry)


def test_grid_map_hides_qc_and_colour_by(entries):
    w = _pane(entries["sst"], kind="map")._widgets
    assert not w["qc"].visible and not w["color"].visible
    assert w["cmap"].visible and not w["cmap"].disabled
    assert not w["lock_y"].visible


def test_series_offers_only_the_colourings_it_draws(entries):
    pane = _pane(entries["tide"], kind="timeseries", color="time")
    w = pane._widgets
    assert set(w["color"].options.values()) == {"auto", "value", "qc"}
    assert pane.state.color == "auto"  # "time" is the x axis: not a colouring here
    assert w["cmap"].disabled  # one line: no colormap...
    pane.state.color = "value"
    assert not w["cmap"].disabled  # ...until the samples are coloured by value
    assert w["lock_y"].visible


def test_profile_keeps_every_colouring_but_qc_disables_the_colormap(entries):
    pane = _pane(entries["argo"], kind="profile")
    w = pane._widgets
    assert set(w["color"].options.values()) == {"auto", "value", "time", "qc", "feature"}
    pane.state.color = "qc"
    assert w["cmap"].disabled and w["qc"].visible


def test_profile_coloured_by_value_uses_the_values_and_the_colormap(entries):
    from portal.pipeline import build_quicklook

    by_time = build_quicklook(entries["argo"], "profile", Query(), Style())
    by_value = build_quicklook(entries["argo"], "profile", Query(),
                               Style(color_by="value", cmap="viridis"))
    # in the page, a layer of every sample (hover) goes over the drawn profile
    assert isinstance(by_time, hv.Overlay) and isinstance(by_value, hv.Overlay)
    by_time, by_value = by_time.get(0), by_value.get(0)
    assert isinstance(by_time, hv.Segments) and isinstance(by_value, hv.Points)
    data = by_value.dframe()
    assert (data["colour"] == data.iloc[:, 0]).all()  # colour = the variable's value
    opts = hv.Store.lookup_options("bokeh", by_value, "style").kwargs
    assert opts["color"] == "colour" and len(opts["cmap"]) > 2


def test_series_coloured_by_value_adds_coloured_samples(entries):
    from portal.pipeline import build_quicklook

    dmap = build_quicklook(entries["tide"], "timeseries", Query(), Style(color_by="value"))
    layers = list(dmap.callback.callable())
    assert [type(x).__name__ for x in layers] == ["Curve", "Points"]


def test_series_zoom_refits_y_to_the_samples_in_view(entries):
    from portal.pipeline import build_quicklook

    dmap = build_quicklook(entries["tide"], "timeseries", Query(), Style())
    whole = hv.Store.lookup_options("bokeh", dmap.callback.callable(), "plot").kwargs
    window = (pd.Timestamp("1998-08-01"), pd.Timestamp("1998-08-03"))
    element = dmap.callback.callable(x_range=window)
    zoomed = hv.Store.lookup_options("bokeh", element, "plot").kwargs
    assert hv.Store.lookup_options("bokeh", element, "norm").kwargs["framewise"]
    assert tuple(zoomed["xlim"]) == window
    assert whole["ylim"][0] < zoomed["ylim"][0] < zoomed["ylim"][1] < whole["ylim"][1]
    locked = build_quicklook(entries["tide"], "timeseries", Query(), Style(lock_y=True))
    kept = hv.Store.lookup_options("bokeh", locked.callback.callable(x_range=window), "plot")
    assert "ylim" not in kept.kwargs


def test_series_wheel_and_box_zoom_move_time_only(entries):
    from portal.pipeline import build_quicklook

    dmap = build_quicklook(entries["tide"], "timeseries", Query(), Style())
    fig = hv.renderer("bokeh").get_plot(dmap).state
    zooms = [t for t in fig.tools if type(t).__name__ in ("WheelZoomTool", "BoxZoomTool")]
    assert zooms and all(t.dimensions == "width" for t in zooms)


def test_a_colormap_change_restyles_the_drawn_plot_without_redrawing(entries):
    import asyncio
    import concurrent.futures

    from portal.quicklooks.style import resolve_cmap

    pane = _pane(entries["sst"], kind="map")
    pane.__panel__()
    # a thread of its own: the browser tests' session-wide Playwright keeps a loop running here
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        drawn = pool.submit(asyncio.run, pane._draw()).result()
    drawn.get_root()  # the Bokeh models the browser shows
    redraws = []
    pane.param.watch(lambda e: redraws.append(e), "lock_y", onlychanged=False)
    pane.state.cmap = "viridis"
    mappers = [cm for model, _ in drawn._models.values()
               for cm in model.select({"type": __import__("bokeh.models").models.ColorMapper})]
    assert mappers and all(list(m.palette) == resolve_cmap("viridis") for m in mappers)
    assert redraws == [] and not pane._plot_view.loading  # no reload, no overlay
    pane.state.cmap = "auto"  # depends on the variable: a real redraw, with the overlay
    assert len(redraws) == 1


def test_ts_hides_the_variable_control_it_ignores(entries):
    from portal.ui.controls import applicable

    assert not applicable("ts", entries["argo"], "auto")["variable"]
    assert applicable("profile", entries["argo"], "auto")["variable"]
    pane = _pane(entries["argo"], kind="ts")
    assert not pane._widgets["var"].visible
    pane.state.kind = "profile"
    assert pane._widgets["var"].visible


def test_the_plot_is_built_off_the_event_loop_in_a_session(entries, monkeypatch):
    """Inside a server session the Bokeh figure is built in a worker thread (the loop keeps
    serving other sessions meanwhile); the pane shows that plot, tied to the session."""
    import asyncio
    import concurrent.futures
    import threading
    import types
    import weakref

    import panel as pn
    from bokeh.document import Document
    from holoviews.plotting.plot import Plot
    from panel.io.state import set_curdoc

    from portal.ui.render_thread import drawn_element

    pane = _pane(entries["sst"], kind="map")
    pane.__panel__()
    request = types.SimpleNamespace(arguments={}, headers={}, cookies={})
    context = type("Context", (), {"request": request, "session": None, "id": "test"})()
    doc = Document()
    doc._session_context = weakref.ref(context)
    built_in: list[str] = []
    render = pn.pane.HoloViews._render

    def spy(self, *args):
        built_in.append(threading.current_thread().name)
        return render(self, *args)

    monkeypatch.setattr(pn.pane.HoloViews, "_render", spy)

    async def draw():
        with set_curdoc(doc):
            return threading.current_thread().name, await pane._draw()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        loop_thread, drawn = pool.submit(asyncio.run, draw()).result()
    assert isinstance(drawn.object, Plot) and drawn.object.document is doc
    assert built_in and loop_thread not in built_in  # not on the loop's thread
    assert isinstance(drawn_element(drawn), hv.core.Dimensioned)
    assert drawn.get_root(doc).select_one({"type": __import__("bokeh.models").models.Plot})


def test_outside_a_session_the_pane_keeps_its_element(entries):
    import asyncio
    import concurrent.futures

    pane = _pane(entries["sst"], kind="map")
    pane.__panel__()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        drawn = pool.submit(asyncio.run, pane._draw()).result()
    assert isinstance(drawn.object, hv.core.Dimensioned)
