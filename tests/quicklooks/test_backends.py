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
