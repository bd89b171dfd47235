"""Helpers of the pane tests: draw a quicklook pane, and find the Bokeh figure it shows."""

from __future__ import annotations

import asyncio
import concurrent.futures


def draw(pane):
    """``pane._plot()`` (what Panel calls on a change) run to its end: the new pane, or
    ``param.Skip`` when the figure on screen was patched."""
    # a thread of its own: the browser tests' session-wide Playwright keeps a loop running here
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, pane._plot()).result()


def figure_of(drawn):
    """The Bokeh figure of a drawn HoloViews pane."""
    from bokeh.plotting import figure as Figure  # noqa: N812 - the class

    return next(f for model, _ in drawn._models.values() for f in model.select({"type": Figure}))
