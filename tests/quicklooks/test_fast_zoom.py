"""A point-store map's zoom updates the figure's image in place, as HoloViews would."""

from __future__ import annotations

import numpy as np
import pytest

from portal.model import Query
from portal.quicklooks import Style
from tests.threads import run_async

R = 6378137.0


@pytest.fixture(scope="module")
def entry(small_store_entry):
    return small_store_entry


def _mercator(west, south, east, north):
    y = [R * np.log(np.tan(np.pi / 4 + np.radians(v) / 2)) for v in (south, north)]
    return (np.radians(west) * R, np.radians(east) * R), tuple(y)


def _figure(entry, color="auto"):
    import holoviews as hv

    from portal.pipeline import build_quicklook
    from portal.ui.view_tracking import streams_of

    element = build_quicklook(entry, "map", Query(), Style(width=600, height=380,
                                                           color_by=color))
    plot = hv.renderer("bokeh").get_plot(element)
    return plot, streams_of(element, hv.streams.RangeXY)[0]


def _shown(plot):
    from portal.quicklooks.zoom_progress import image_sources

    source = image_sources(plot)[0]
    sub = next(p for p in plot.subplots.values() if p.handles.get("source") is source)
    mapper = sub.handles["color_mapper"]
    data = {k: np.array(v[0] if k in ("image", "mean") else v, dtype="float64")
            for k, v in source.data.items()}
    return data, (mapper.low, mapper.high), " ".join(plot.state.title.text.split())


def _holoviews_refreshed(entry, color):
    """A figure whose zoom goes through HoloViews' refresh, as before the fast path."""
    from portal.quicklooks.fast_zoom import _Zoomer

    plot, stream = _figure(entry, color)
    stream._subscribers = [(p, s) for p, s in stream._subscribers if not isinstance(s, _Zoomer)]
    stream.add_subscriber(plot.refresh, 2)
    return plot, stream


@pytest.mark.parametrize("color", ["auto", "value"])
def test_zoom_sets_the_image_holoviews_would_draw(entry, color):
    plot, stream = _figure(entry, color)
    before, _, title0 = _shown(plot)
    x_range, y_range = _mercator(-150.0, -50.0, -30.0, 20.0)
    stream.event(x_range=x_range, y_range=y_range)  # no session: applied at once
    fast, fast_clim, fast_title = _shown(plot)
    assert fast_title != title0 and "observations in view" in fast_title
    shown = fast["count"] > 0 if color == "value" else np.isfinite(fast["mean"])
    assert shown.sum() > 50  # the view holds points
    assert not np.allclose(np.nan_to_num(fast["image"]), np.nan_to_num(before["image"]))
    reference, ref_stream = _holoviews_refreshed(entry, color)
    ref_stream.event(x_range=x_range, y_range=y_range)
    ref, ref_clim, ref_title = _shown(reference)
    assert ref_title == fast_title  # HoloViews did re-render the reference
    assert fast.keys() == ref.keys()
    for key in ref:
        np.testing.assert_allclose(fast[key], ref[key], rtol=1e-6, equal_nan=True, err_msg=key)
    assert fast_clim == pytest.approx(ref_clim) and fast_title == ref_title


def test_the_zoom_stream_still_reaches_its_other_subscribers(entry):
    plot, stream = _figure(entry)
    seen = []
    stream.add_subscriber(lambda **kw: seen.append(kw["x_range"]))
    x_range, y_range = _mercator(0.0, 0.0, 40.0, 30.0)
    stream.event(x_range=x_range, y_range=y_range)
    assert seen == [x_range]


def test_qc_colouring_keeps_the_holoviews_refresh(entry):
    plot, stream = _figure(entry, color="qc")
    assert not getattr(plot, "_portal_fast_zoom", False)
    assert any(getattr(s, "__self__", None) is plot for s in stream.subscribers)


def test_a_zoom_after_a_patched_change_draws_the_new_frames(entry):
    """A control change patched in place (new frames through the map's pipe) is what the
    next zoom draws: the fast path follows the frames on screen, not the first ones."""
    import holoviews as hv

    from portal.pipeline import build_quicklook
    from portal.query import DepthRange
    from portal.ui.map_patching import frames_pipe
    from portal.ui.view_tracking import streams_of

    plot, stream = _figure(entry)
    shallow = build_quicklook(entry, "map", Query(depth=DepthRange(0.0, 50.0)),
                              Style(width=600, height=380))
    pipe = next(p for p in streams_of(plot.hmap, hv.streams.Pipe))
    pipe.send(frames_pipe(shallow).data)  # what portal.ui.map_patching does
    x_range, y_range = _mercator(-150.0, -50.0, -30.0, 20.0)
    stream.event(x_range=x_range, y_range=y_range)
    patched, _, patched_title = _shown(plot)
    fresh, fresh_stream = _figure_of(shallow)
    fresh_stream.event(x_range=x_range, y_range=y_range)
    ref, _, ref_title = _shown(fresh)
    assert patched_title == ref_title
    np.testing.assert_allclose(patched["image"], ref["image"], equal_nan=True)
    unpatched, unpatched_stream = _figure(entry)
    unpatched_stream.event(x_range=x_range, y_range=y_range)
    assert _shown(unpatched)[2] != patched_title  # the depth filter changed the view


def _figure_of(element):
    import holoviews as hv

    from portal.ui.view_tracking import streams_of

    return hv.renderer("bokeh").get_plot(element), streams_of(element, hv.streams.RangeXY)[0]


def test_a_new_title_gets_a_layout_pass():
    """BokehJS measures a title only in a layout pass: each new title starts one
    (``frame_align`` toggled between two spellings of 'align every edge')."""
    from bokeh.plotting import figure

    from portal.quicklooks.fast_zoom import ALL_EDGES, _set_title

    fig = figure(title="Points\n1,000 observations in view, from the overview")
    changes = []
    fig.on_change("frame_align", lambda attr, old, new: changes.append(new))
    _set_title(fig, "Points\n900 observations in view, from the points;\n3 of 9 row groups read")
    assert changes == [ALL_EDGES] and fig.title.text.endswith("row groups read")
    _set_title(fig, "Points\n1,000 observations in view, from the overview")
    assert changes == [ALL_EDGES, True]


class _Shown:
    """A stand-in plot in a server session: its zoomer records the frames it applies."""

    class _Doc:
        session_context = object()

        @staticmethod
        def add_next_tick_callback(callback):
            callback()

    document = _Doc()


def _zoomer(render, prefetch=None):
    from portal.quicklooks.fast_zoom import _Zoomer

    class Recording(_Zoomer):
        shown: list[str] = []

        def apply(self, frame):
            self.shown.append(frame.title)

    plot = _Shown()
    zoomer = Recording(plot, render, prefetch)
    zoomer.shown = []
    return zoomer, plot  # the plot is held: the zoomer keeps a weak reference


def _frame(view, exact):
    from portal.quicklooks.fast_zoom import ZoomFrame

    return ZoomFrame({}, None, f"{view} {'exact' if exact else 'preview'}", preview=not exact)


def test_a_preview_is_replaced_by_the_exact_frame():

    async def run():
        zoomer, _plot = _zoomer(lambda x, y, exact, cancel: _frame(x[0], exact))
        zoomer(x_range=(1, 2), y_range=(0, 1))
        await zoomer._task
        return zoomer.shown

    assert run_async(run) == ["1 preview", "1 exact"]


def test_a_newer_view_stops_the_exact_read_of_the_last():

    from portal.pointstore.cache import Cancelled

    def render(x, y, exact, cancel):
        if exact and x[0] == 1:  # the read of view 1 is under way when view 2 comes
            zoomer.pending, zoomer.generation = ((2, 3), (0, 1)), zoomer.generation + 1
            if cancel():
                raise Cancelled
        return _frame(x[0], exact)

    async def run():
        zoomer(x_range=(1, 2), y_range=(0, 1))
        await zoomer._task
        return zoomer.shown

    zoomer, _plot = _zoomer(render)
    assert run_async(run) == ["1 preview", "2 preview", "2 exact"]


def test_the_prefetch_runs_after_a_drawn_view_until_a_new_view_comes():
    import asyncio
    import threading

    started, calls, daemon = threading.Event(), [], []

    def prefetch(x, y, cancel):
        calls.append(x[0])
        daemon.append(threading.current_thread().daemon)  # a stopping server waits for none
        started.set()
        while not cancel():  # reading chunk after chunk
            threading.Event().wait(0.005)
        return x[0]

    async def run():
        zoomer(x_range=(1, 2), y_range=(0, 1))
        await zoomer._task
        await asyncio.to_thread(started.wait, 5)
        assert calls == [1] and not zoomer._prefetching.done()
        started.clear()
        zoomer(x_range=(2, 3), y_range=(0, 1))  # a new gesture
        await asyncio.wait_for(zoomer._prefetching, 5)  # the first prefetch stopped...
        await zoomer._task
        await asyncio.to_thread(started.wait, 5)
        zoomer.generation += 1  # (and the second one stops too)
        await asyncio.wait_for(zoomer._prefetching, 5)
        return zoomer.shown

    zoomer, _plot = _zoomer(lambda x, y, exact, cancel: _frame(x[0], True), prefetch)
    assert run_async(run) == ["1 exact", "2 exact"]
    assert calls == [1, 2] and daemon == [True, True]


def test_a_cold_store_view_is_previewed_then_drawn_exactly(entry, monkeypatch):
    """The page's zoom path on a store: a view whose rows are not in memory comes first
    from the overviews, said in the title; the exact frame is what HoloViews draws."""
    import holoviews as hv

    from portal.pointstore import cache as hc
    from portal.pointstore import views
    from portal.ui.view_tracking import streams_of

    monkeypatch.setattr(views, "COLD_ROWS", 0)
    plot, stream = _figure(entry)
    zoom = next(p for p in streams_of(plot.hmap, hv.streams.Pipe)).data.zoom
    x_range, y_range = _mercator(0.0, -40.0, 60.0, 0.0)
    hc.hot_cache().clear()
    preview = zoom(x_range, y_range)
    exact = zoom(x_range, y_range, exact=True)
    said, exact_said = (" ".join(frame.title.split()) for frame in (preview, exact))
    assert preview.preview and said.endswith("from the overview; PREVIEW, exact pixels loading…")
    assert not exact.preview and "PREVIEW" not in exact_said and "from the points" in exact_said
    assert not zoom(x_range, y_range).preview  # its rows are in memory now
    stream.event(x_range=x_range, y_range=y_range)  # no session: the exact frame at once
    shown, _, title = _shown(plot)
    assert title == exact_said
    np.testing.assert_allclose(shown["image"], exact.data["image"][0], equal_nan=True)


def test_the_zoom_leaves_for_the_server_at_the_first_paint(entry):
    """BokehJS sends a wheel zoom's ranges when its interactive mode ends: on the fast path
    at the first paint (``lod_interval`` 0), not 60 ms after the last wheel event."""
    fast, _ = _figure(entry)
    refreshed, _ = _figure(entry, color="qc")
    assert (fast.state.lod_interval, fast.state.lod_timeout) == (0, 60)
    assert (refreshed.state.lod_interval, refreshed.state.lod_timeout) == (300, 60)


def test_the_title_changes_before_the_image(entry):
    """Each change reaches the browser in its own message: the title first, so that a
    preview image is never painted under the last exact view's title."""
    from portal.quicklooks.zoom_progress import image_sources

    plot, stream = _figure(entry)
    changes = []
    plot.state.title.on_change("text", lambda attr, old, new: changes.append("title"))
    for source in image_sources(plot):
        source.on_change("data", lambda attr, old, new: changes.append("image"))
    x_range, y_range = _mercator(0.0, -40.0, 60.0, 0.0)
    stream.event(x_range=x_range, y_range=y_range)
    assert changes == ["title", "image"]
