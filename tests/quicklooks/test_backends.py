"""The Bokeh backend as the quicklooks configure it (portal.quicklooks.ensure_backends)."""

from __future__ import annotations


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
