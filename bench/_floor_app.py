"""The floor of the first-plot figure: the least a Panel page with one Bokeh plot costs.

``python bench/_floor_app.py PORT`` serves, with the portal's own template and bundles
(no web font, no MathJax), a sidebar button and one 100-point Bokeh figure made
directly (no data, no HoloViews). ``bench_page.py`` times it in the same run as the
portal: whatever the portal adds to this is the portal's own cost.
"""

from __future__ import annotations

import sys


def app():
    import numpy as np
    import panel as pn
    from bokeh.plotting import figure

    from portal.ui.page import PortalTemplate

    rng = np.random.default_rng(0)
    fig = figure(height=400, sizing_mode="stretch_width", css_classes=["portal-plot"])
    fig.scatter(rng.random(100), rng.random(100), color="#e4572e")
    fig.line(np.linspace(0, 1, 100), rng.random(100), color="#0b5394")
    button = pn.widgets.Button(name="dataset", css_classes=["portal-dataset-button"])
    plot = pn.pane.Bokeh(fig, css_classes=["portal-plot"], sizing_mode="stretch_width")
    return PortalTemplate(title="floor", sidebar=[button], main=[plot])


def main() -> None:
    import panel as pn

    from portal.server.serve import skip_mathjax

    port = int(sys.argv[1])
    pn.extension()
    skip_mathjax()
    pn.serve({"/": app}, port=port, address="127.0.0.1", show=False,
             websocket_origin=[f"127.0.0.1:{port}"])


if __name__ == "__main__":
    main()
