"""Time series, time–depth sections and T-S diagrams patched in place on a control change.

A time series is a ``DynamicMap`` whose frames are drawn by the builder's
``draw(x_range)`` (decimated to the view on every zoom, through a ``RangeX`` stream).
Building a new Bokeh figure for each variable, QC, depth or time-window change cost
about 0.3 s of server time per change, and the browser then lays out a new figure. Here
the figure's ``DynamicMap`` draws through a ``Pipe`` carrying the current ``draw``
(:class:`SeriesFrames`) and a ``RangeX`` of its own: a later build of the same *shape*
(:func:`series_shape`: element types, colour bars, legend labels, colouring, language,
width) is sent through the pipe, and HoloViews updates the glyph data, axis label, title,
ranges (the frames are ``framewise``), tooltips and colour-bar title (a hook: HoloViews
sets it only when it builds the figure). The zoom follows the URL's ``view`` (a time
span) or refits. A time–depth section (one static mesh) and a T-S diagram (points,
isopycnals) go through the pipe as a profile does, refitted. :func:`patch_or_wrap_series` is the pane's one entry point; it
uses the pane's :class:`~portal.ui.patching.PlotPatcher`, so one reset forgets any kind's
figure.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from portal.model import DatasetEntry
from portal.sources import is_aggregating
from portal.ui.patching import PlotPatcher, shape_of
from portal.ui.view_tracking import parse_time_view

SERIES_KINDS = ("timeseries", "timedepth", "ts")


def series_patchable(kind: str, entry: DatasetEntry, element: Any, lock_y: bool) -> bool:
    """Whether a built quicklook is one the pane patches in place: a time series decimated
    per zoom (a ``DynamicMap`` on a single ``RangeX``) with y refitted on each frame (not
    ``lock_y``, whose frames keep the y range on screen) or one line per depth level, a
    time–depth mesh or a T-S diagram of points (not rasterized); from a file, not a point
    store."""
    import holoviews as hv

    if kind not in SERIES_KINDS or is_aggregating(entry):
        return False
    if kind == "timedepth":
        return isinstance(element, hv.QuadMesh)
    if kind == "ts":  # samples drawn as points (many are rasterized per zoom: a DynamicMap)
        return isinstance(element, hv.Overlay)
    if isinstance(element, hv.Overlay):  # a few depth levels: one (static) line each
        return all(isinstance(layer, hv.Curve) for layer in element)
    return (not lock_y and isinstance(element, hv.DynamicMap)
            and [type(s) for s in element.streams] == [hv.streams.RangeX])


def colorbar_title(plot: Any, element: Any) -> None:
    """A HoloViews hook: the colour bar's title (and date ticks) follow each frame's
    coloured dimension (HoloViews sets them once, when it builds the figure)."""
    from bokeh.models import TickFormatter

    # "colorbar" for an image or mesh, "color_colorbar" for points coloured by a column
    bar = next((h for k, h in plot.handles.items() if k.endswith("colorbar")), None)
    if bar is None or not element.vdims:
        return
    bar.title = plot.clabel if plot.clabel is not None else element.vdims[-1].pprint_label
    if isinstance(plot.cformatter, TickFormatter) and bar.formatter is not plot.cformatter:
        bar.formatter = plot.cformatter


def titled(frame: Any) -> Any:
    """``frame`` with :func:`colorbar_title` on its layers that have a colour bar."""
    import holoviews as hv

    for layer in frame.traverse(lambda e: e, [hv.Element]):
        if _has_colorbar(layer):
            layer.opts(hooks=[colorbar_title], backend="bokeh")
    return frame


class SeriesFrames:
    """A series' ``draw(x_range)``, with the frame for ``x_range`` drawn ahead (the patch
    compares its shape first; the figure then shows that frame without drawing it again)."""

    def __init__(self, draw: Callable[..., Any], x_range: tuple | None) -> None:
        self.draw, self.x_range = draw, x_range
        self.first: Any = titled(draw(x_range=x_range))
        self.options: list[tuple[Any, str]] = []  # restyled in place since (the colormap)

    def __call__(self, x_range: tuple | None) -> Any:
        first, self.first = self.first, None
        frame = first if first is not None and _same_span(x_range, self.x_range) \
            else titled(self.draw(x_range=x_range))
        for options, backend in self.options:
            frame = frame.opts(options, backend=backend)
        return frame

    def opts(self, options: Any, backend: str) -> None:
        """Keep ``options`` on every later frame (a zoom then keeps a colormap set in place)."""
        self.options.append((options, backend))


def _same_span(a: tuple | None, b: tuple | None) -> bool:
    if a is None or b is None:
        return a is b
    return all(x == y for x, y in zip(a, b, strict=True))


def series_frame(data: SeriesFrames, x_range: tuple | None = None) -> Any:
    """The patched figure's frame: the piped series drawn on the zoomed span."""
    return data(x_range)


def series_shape(frame: Any, *context: Any) -> tuple:
    """What a patch cannot change: :func:`~portal.ui.patching.shape_of`, plus each layer's
    legend label (a QC colouring draws one layer per flag found)."""
    import holoviews as hv

    labels = tuple(e.label for e in frame.traverse(lambda e: e, [hv.Element]))
    return (*shape_of(frame, *context), labels)


def _has_colorbar(element: Any) -> bool:
    import holoviews as hv

    return bool(hv.Store.lookup_options("bokeh", element, "plot").kwargs.get("colorbar"))


async def patch_or_wrap_series(patcher: PlotPatcher, element: Any, view: str, *context: Any,
                               current: Callable[[], bool] = lambda: True) -> Any:
    """None once the figure on screen is patched with ``element`` (a built series
    ``DynamicMap`` drawn on the URL's ``view``, or refitted when it names none; or a
    time–depth mesh or T-S diagram, refitted), or when a newer draw superseded this one
    while its frame was drawn (``current()`` false); else a ``DynamicMap`` showing it,
    ready for later patches (the view tracker then zooms it). A series' frame is drawn in
    a worker thread; only the figure's update runs on the loop."""
    import holoviews as hv

    if not isinstance(element, hv.DynamicMap):  # levels, a mesh, a T-S: no zoom re-render
        element = titled(refitted(element))
        shape = series_shape(element, *context)
        if patcher.pipe is not None and not patcher.streams and patcher.patch(element, shape):
            return None
        return patcher.wrap(element, shape)
    frames, shape = await asyncio.to_thread(_drawn_ahead, element, view, context)
    if not current():
        return None  # superseded: the newer draw patches or draws
    if patcher.pipe is not None and shape == patcher.shape and patcher.streams:
        for ranges in patcher.streams:  # the frame's span, set quietly: the pipe redraws once
            ranges.update(x_range=frames.x_range)
        if patcher.patch(frames, shape):
            return None
    return patcher.wrap(frames, shape, series_frame, [hv.streams.RangeX()])


def refitted(element: Any) -> Any:
    """A static frame that refits the figure's axes (to its own limits, else its data)
    and its colours."""
    import holoviews as hv

    for layer in element.traverse(lambda e: e, [hv.Element]):
        layer.opts(framewise=True, backend="bokeh")
    nan = (float("nan"), float("nan"))
    own = hv.Store.lookup_options("bokeh", element, "plot").kwargs
    return element.opts(framewise=True, xlim=own.get("xlim", nan), ylim=own.get("ylim", nan),
                        backend="bokeh")


def _drawn_ahead(element: Any, view: str, context: tuple) -> tuple[SeriesFrames, tuple]:
    frames = SeriesFrames(element.callback.callable, parse_time_view(view))
    return frames, series_shape(frames.first, *context)
