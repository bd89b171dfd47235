"""The combined view and the colocation section build their data, element and Bokeh
figure in worker threads inside a server session: the event loop's thread builds none
of them (as the quicklook pane, ``portal.ui.render_thread``), and only the newest
request's plot is shown."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import types
import weakref

import holoviews as hv
import panel as pn
import pytest

from portal.catalog.loader import Catalog
from portal.model import DatasetEntry


@pytest.fixture
def session_doc():
    """A Bokeh document that looks served (it has a session context)."""
    from bokeh.document import Document

    request = types.SimpleNamespace(arguments={}, headers={}, cookies={})
    context = type("Context", (), {"request": request, "session": None, "id": "test"})()
    doc = Document()
    doc._session_context = weakref.ref(context)
    doc._test_context = context  # kept alive with the document
    return doc


@pytest.fixture
def threads_of(monkeypatch):
    """Which threads built HoloViews' Bokeh figures (``threads_of["render"]``)."""
    seen: dict[str, list[str]] = {"render": [], "build": []}
    render = pn.pane.HoloViews._render

    def spy(self, *args):
        seen["render"].append(threading.current_thread().name)
        return render(self, *args)

    monkeypatch.setattr(pn.pane.HoloViews, "_render", spy)
    return seen


def _in_loop(doc, make):
    """Run ``make()``'s coroutine with ``doc`` as the current document, on a loop of its
    own; (the loop's thread name, the result)."""
    from panel.io.state import set_curdoc

    async def run():
        with set_curdoc(doc):
            return threading.current_thread().name, await make()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


def _next_ticks(doc) -> int:
    """Run the document's pending next-tick callbacks, as the server's loop would; how many."""
    pending = list(doc.session_callbacks)
    for callback in pending:
        doc.remove_next_tick_callback(callback)
        callback.callback()
    return len(pending)


def _entry(ident: str, feature_type: str) -> DatasetEntry:
    return DatasetEntry.from_metadata(ident, "netcdf", {"urlpath": f"/nowhere/{ident}.nc"},
                                      {"title": ident, "featureType": feature_type,
                                       "variables": [{"name": "sst"}]})


def _curve(label: str, seen: dict):
    seen["build"].append(threading.current_thread().name)
    return hv.Curve([0, 1, 0], label=label)


def test_the_combined_view_builds_off_the_loop(monkeypatch, session_doc, threads_of):
    from holoviews.plotting.plot import Plot

    import portal.pipeline
    from portal.quicklooks import ensure_backends
    from portal.ui.combined_view import CombinedView
    from portal.ui.state import ViewState

    ensure_backends()
    monkeypatch.setattr(portal.pipeline, "build_overlay",
                        lambda entries, kind, query, style: _curve("both", threads_of))
    catalog = Catalog({i: _entry(i, "trajectory") for i in ("a", "b")})
    view = CombinedView(state=ViewState(datasets="a,b", kind="timeseries"), catalog=catalog)
    threads_of["build"].clear()  # outside a session the constructor drew it at once
    threads_of["render"].clear()
    args = (list(catalog), "timeseries", view.state.query(), view.state.style(900, 520))
    first = view._plot.objects
    loop_thread, _ = _in_loop(session_doc,
                              lambda: view._draw(args, view._generation, session_doc))
    assert view._plot.objects == first  # swapped under the document's lock, not by the task
    assert _next_ticks(session_doc) == 1
    shown = view._plot.objects[0]
    assert isinstance(shown.object, Plot) and shown.object.document is session_doc
    assert threads_of["build"] and loop_thread not in threads_of["build"]
    assert threads_of["render"] and loop_thread not in threads_of["render"]
    assert not view._plot.loading

    before = view._plot.objects
    cleaned: list = []
    monkeypatch.setattr(type(shown.object), "cleanup", lambda plot: cleaned.append(plot))
    _in_loop(session_doc, lambda: view._draw(args, view._generation - 1, session_doc))
    _next_ticks(session_doc)  # superseded: not shown, its plot released
    assert view._plot.objects == before
    assert len(cleaned) == 1 and cleaned[0] is not shown.object


def test_the_combined_view_shows_a_failure_as_an_alert(monkeypatch):
    import portal.pipeline
    from portal.errors import PortalError
    from portal.ui.combined_view import CombinedView
    from portal.ui.state import ViewState

    def fail(*_args):
        raise PortalError("nothing to draw here")

    monkeypatch.setattr(portal.pipeline, "build_overlay", fail)
    catalog = Catalog({i: _entry(i, "trajectory") for i in ("a", "b")})
    view = CombinedView(state=ViewState(datasets="a,b", kind="map"), catalog=catalog)
    assert "portal-error" in view._plot.objects[0].css_classes
    assert "nothing to draw here" in view._plot.objects[0].object


def test_the_colocation_builds_off_the_loop(monkeypatch, session_doc, threads_of):
    from holoviews.plotting.plot import Plot

    import portal.ui.colocate_pane as colocate_pane
    from portal.quicklooks import ensure_backends
    from portal.ui.state import ViewState

    ensure_backends()
    grid, obs = _entry("g", "grid"), _entry("o", "trajectory")
    monkeypatch.setattr(colocate_pane, "_colocated",
                        lambda *args: _curve("pairs", threads_of))
    pane = colocate_pane.ColocatePane(ViewState(dataset="g"), grid, [grid, obs])
    pane.candidates = [obs]  # (their coverages are not checked here)
    pane.other.options = {"—": "", "o": "o"}
    pane.other.value = "o"  # outside a loop the watcher's coroutine is not run
    loop_thread, _ = _in_loop(session_doc, pane._draw)
    plot = pane.result.objects[-1]
    assert "portal-coloc-plot" in plot.css_classes and isinstance(plot.object, Plot)
    assert threads_of["build"] and loop_thread not in threads_of["build"]
    assert threads_of["render"] and loop_thread not in threads_of["render"]
    assert not pane.result.loading
