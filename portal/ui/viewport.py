"""The browser's viewport width, reported to the session: narrow screens get narrow plots.

Bokeh draws a plot's title on its canvas and never wraps it; the builders wrap titles for
the width they are given (:func:`portal.quicklooks.style.fit_title`) and size map rasters
from it. :class:`ViewportWidth` is an invisible component whose script sends, as ``viewport``,
``window.innerWidth`` (an iframe's own width in ``/embed``) at render and on resize;
:func:`follow_viewport` narrows a quicklook pane to it when it is below the pane's
desktop width (phones, narrow iframes), and gives the width back when it grows again.
"""

from __future__ import annotations

from typing import Any

import param
from panel.reactive import ReactiveHTML

NARROW_BELOW = 760  # px: the page's phone layout (static/portal-page.css) starts here
MIN_PLOT_WIDTH = 280
MARGIN = 24  # page padding and the plot's margins


class ViewportWidth(ReactiveHTML):
    """Zero-size element; ``viewport`` is the browser's viewport width in CSS pixels."""

    viewport = param.Integer(default=0, doc="window.innerWidth, 0 until the browser reports")

    _template = "<div id='probe' style='width:0;height:0;overflow:hidden'></div>"
    _scripts = {
        "render": """
            const report = () => { data.viewport = Math.round(window.innerWidth); };
            report();
            let timer = null;
            window.addEventListener('resize', () => {
              clearTimeout(timer); timer = setTimeout(report, 250);
            });
        """,
    }

    def __init__(self, **params: Any) -> None:
        params.setdefault("width", 0)
        params.setdefault("height", 0)
        params.setdefault("margin", 0)
        super().__init__(**params)


def plot_width_for(viewport: int, desktop: int, sidebar: int = 0) -> int:
    """The plot width for a viewport: ``desktop`` where it fits beside the ``sidebar``
    (stacked above the plot on phones), else what fits; ``desktop`` while unknown (0)."""
    room = viewport - MARGIN - (sidebar if viewport >= NARROW_BELOW else 0)
    if viewport <= 0 or room >= desktop:
        return desktop
    return max(room, MIN_PLOT_WIDTH)


def follow_viewport(probe: ViewportWidth, pane_of, desktop: int, sidebar: int = 0) -> None:
    """Keep ``pane_of()``'s ``plot_width`` fitted to the probe's viewport width."""

    def fit(event) -> None:
        pane = pane_of()
        if pane is None:
            return
        width = plot_width_for(event.new, desktop, sidebar)
        if pane.plot_width != width:
            pane.plot_width = width

    probe.param.watch(fit, "viewport")
