"""Time series patched in place: a control change re-draws the series inside the figure on screen.

A time series is a ``DynamicMap`` whose frames are drawn by the builder's
``draw(x_range)`` (decimated to the view on every zoom, through a ``RangeX`` stream).
Building a new Bokeh figure for each variable, QC, depth or time-window change cost
about 0.3 s of server time per change, and the browser then lays out a new figure. Here
the figure's ``DynamicMap`` draws through a ``Pipe`` carrying the current ``draw``
(:class:`SeriesFrames`) and a ``RangeX`` of its own: a later build of the same *shape*
(:func:`series_shape`: element types, colour bars and their titles, legend labels,
colouring, language, width) is sent through the pipe, and HoloViews updates the glyph
data, axis label, title, ranges (the frames are ``framewise``) and tooltips. The zoom
follows the URL's ``view`` (a time span) or refits. :func:`patch_or_wrap_series` is the
pane's one entry point; it uses the pane's :class:`~portal.ui.patching.PlotPatcher`, so
one reset forgets either kind's figure.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from portal.model import DatasetEntry
from portal.sources import is_aggregating
from portal.ui.patching import PlotPatcher, shape_of
from portal.ui.view_tracking import parse_time_view

SERIES_KINDS = ("timeseries",)


def series_patchable(kind: str, entry: DatasetEntry, element: Any, lock_y: bool) -> bool:
    """Whether a built quicklook is a time series the pane patches in place: one line
    decimated per zoom (a ``DynamicMap`` on a single ``RangeX``), from a file, with y
    refitted on each frame (not ``lock_y``, whose frames keep the y range on screen)."""
    import holoviews as hv

    return (kind in SERIES_KINDS and not lock_y and not is_aggregating(entry)
            and isinstance(element, hv.DynamicMap)
            and [type(s) for s in element.streams] == [hv.streams.RangeX])


class SeriesFrames:
    """A series' ``draw(x_range)``, with the frame for ``x_range`` drawn ahead (the patch
    compares its shape first; the figure then shows that frame without drawing it again)."""

    def __init__(self, draw: Callable[..., Any], x_range: tuple | None) -> None:
        self.draw, self.x_range = draw, x_range
        self.first: Any = draw(x_range=x_range)

    def __call__(self, x_range: tuple | None) -> Any:
        first, self.first = self.first, None
        if first is not None and _same_span(x_range, self.x_range):
            return first
        return self.draw(x_range=x_range)


def _same_span(a: tuple | None, b: tuple | None) -> bool:
    if a is None or b is None:
        return a is b
    return all(x == y for x, y in zip(a, b, strict=True))


def series_frame(data: SeriesFrames, x_range: tuple | None = None) -> Any:
    """The patched figure's frame: the piped series drawn on the zoomed span."""
    return data(x_range)


def series_shape(frame: Any, *context: Any) -> tuple:
    """What a series patch cannot change: :func:`~portal.ui.patching.shape_of`, plus each
    layer's legend label (a QC colouring draws one layer per flag found) and its colour
    bar's title (set once, when the figure is built)."""
    import holoviews as hv

    layers = frame.traverse(lambda e: e, [hv.Element])
    titles = tuple((e.label, e.vdims[-1].label if e.vdims and _has_colorbar(e) else "")
                   for e in layers)
    return (*shape_of(frame, *context), titles)


def _has_colorbar(element: Any) -> bool:
    import holoviews as hv

    return bool(hv.Store.lookup_options("bokeh", element, "plot").kwargs.get("colorbar"))


async def patch_or_wrap_series(patcher: PlotPatcher, element: Any, view: str,
                               *context: Any) -> Any:
    """None once the series on screen is patched with ``element`` (a built series
    ``DynamicMap``) on the URL's ``view``, or refitted when it names none; else a
    ``DynamicMap`` showing it, ready for later patches (the view tracker then zooms it).
    The frame is drawn in a worker thread; only the figure's update runs on the loop."""
    import holoviews as hv

    frames, shape = await asyncio.to_thread(_drawn_ahead, element, view, context)
    if patcher.pipe is not None and shape == patcher.shape and patcher.streams:
        for ranges in patcher.streams:  # the frame's span, set quietly: the pipe redraws once
            ranges.update(x_range=frames.x_range)
        if patcher.patch(frames, shape):
            return None
    return patcher.wrap(frames, shape, series_frame, [hv.streams.RangeX()])


def _drawn_ahead(element: Any, view: str, context: tuple) -> tuple[SeriesFrames, tuple]:
    frames = SeriesFrames(element.callback.callable, parse_time_view(view))
    return frames, series_shape(frames.first, *context)
