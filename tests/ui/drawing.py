"""Helpers of the pane tests: draw a quicklook pane, and find the Bokeh figure it shows."""

from __future__ import annotations

import asyncio
import concurrent.futures


def draw(pane):
    """``pane._draw()`` run to its end."""
    # a thread of its own: the browser tests' session-wide Playwright keeps a loop running here
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, pane._draw()).result()


def figure_of(drawn):
    """The Bokeh figure of a drawn HoloViews pane."""
    from bokeh.plotting import figure as Figure  # noqa: N812 - the class

    return next(f for model, _ in drawn._models.values() for f in model.select({"type": Figure}))
