"""The Bokeh backend as the quicklooks configure it (portal.quicklooks.ensure_backends)."""

from __future__ import annotations

import threading


def test_quicklooks_draw_on_the_2d_canvas_not_webgl():
    # WebGL without a GPU (headless Chromium, VMs) repaints in ~0.5 s: issue 12's latency
    import holoviews as hv

    from portal.quicklooks import ensure_backends

    hv.renderer("bokeh").webgl = True  # HoloViews' own default
    ensure_backends()
    figure = hv.render(hv.Curve([(0, 1), (1, 3), (2, 2)]), backend="bokeh")
    assert figure.output_backend == "canvas"


def test_zoom_ranges_reach_the_server_without_waiting():
    # issue 12: a map zoom gives new pixels in <= 500 ms; HoloViews' 100 ms debounce (polled
    # every 50 ms) after the browser's own end-of-gesture wait only delayed them
    from holoviews.plotting.bokeh.callbacks import RangeXCallback, RangeXYCallback

    from portal.quicklooks import ensure_backends

    RangeXYCallback.debounce = RangeXCallback.debounce = 100  # HoloViews' own default
    ensure_backends()
    assert RangeXYCallback.debounce is None
    assert RangeXCallback.debounce is None


def test_a_grid_map_ends_a_zoom_gesture_within_100_ms():
    # Bokeh sends a wheel zoom's ranges lod_timeout ms after the last wheel event (500 ms
    # by default): the map's server re-render could not start before
    import holoviews as hv

    from tests.quicklooks.test_zoom_progress import _grid_figure

    figure = _grid_figure()
    assert figure.lod_timeout <= 100
    assert figure.lod_timeout < hv.plotting.bokeh.ElementPlot.lod["timeout"]


def test_holoviews_constant_edits_run_one_at_a_time():
    """``.opts()`` on a DynamicMap unlocks the class-level ``callback`` parameter for a
    moment: while one thread is inside, another's unlock waits (without it, the first to
    leave re-locked it under the other: ``Constant parameter 'callback' cannot be
    modified``, a page without its plot in a CI run)."""
    import holoviews as hv
    from holoviews.core import util

    from portal.quicklooks import ensure_backends, serial_constant_edits

    ensure_backends()  # every build goes through it (page, embed, PNG, CLI, any host)
    serial_constant_edits()  # idempotent
    assert util.disable_constant.portal_serial
    inside, leave, entered = threading.Event(), threading.Event(), threading.Event()
    first, second = hv.DynamicMap(lambda: hv.Curve([1, 2])), hv.DynamicMap(lambda: hv.Curve([1]))

    def hold() -> None:
        with util.disable_constant(first):
            inside.set()
            leave.wait(10)

    def edit() -> None:
        with util.disable_constant(second):
            entered.set()
            second.callback = first.callback  # the constant parameter is unlocked here

    holder = threading.Thread(target=hold)
    holder.start()
    assert inside.wait(10)
    editor = threading.Thread(target=edit)
    editor.start()
    assert not entered.wait(0.3)  # waits for the first block to end
    leave.set()
    holder.join(10)
    editor.join(10)
    assert entered.is_set() and second.callback is first.callback
    with util.disable_constant(first), util.disable_constant(second):  # reentrant
        pass
