"""A plot patched in place: a control change sends new data to the figure on screen.

Building a new Bokeh figure for every control change cost most of a profile page's
answer (about 0.6 of 0.8 s of server time, and the browser then lays out a new figure).
:class:`PlotPatcher` puts the first drawn element behind a HoloViews ``Pipe``; a later
element of the same *shape* (the same element types and colour bars, the same colouring,
language and width) is sent through the pipe, and HoloViews updates the figure on screen:
glyph data, axis labels, title, ranges (the elements are ``framewise``) and tooltips.
Each frame names its own zoom (the URL's, or none: refit), since a figure keeps the last
frame's limits otherwise. One patcher per page pane (no state shared between sessions).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from portal.ui.view_tracking import parse_profile_view


def _same(data: Any) -> Any:
    """A patched plot's frame: the element the ``Pipe`` carries."""
    return data


def zoomed(element: Any, view: str) -> Any:
    """``element`` on a profile ``view`` (value and depth spans), else refitted to its data."""
    nan = float("nan")
    xlim, ylim = parse_profile_view(view) or ((nan, nan), (nan, nan))
    return element.opts(xlim=xlim, ylim=ylim, backend="bokeh")


def shape_of(element: Any, *context: Any) -> tuple:
    """What a patch cannot change: the drawn element types and their colour bars, and the
    caller's ``context`` (colouring, language, width)."""
    import holoviews as hv

    layers = element.traverse(lambda e: e, [hv.Element])
    return (*context, *((type(e).__name__,
                         hv.Store.lookup_options("bokeh", e, "plot").kwargs.get("colorbar"))
                        for e in layers))


class PlotPatcher:
    """The pipe of the figure on screen, and the shape it can take in place.

    A wrapped figure takes patches only once :meth:`shown` says it is on screen: until
    then its plot may still be built in a worker thread (a patch would initialise it a
    second time, on the loop, at once) or never be shown (a newer draw superseded it)."""

    def __init__(self) -> None:
        self.pipe: Any = None
        self.parts: list = []  # a layout's pipes, one per plot (the first is ``pipe``)
        self.shape: tuple = ()
        self.streams: list = []  # the frame's other streams (a series' RangeX)
        self.on_screen: Any = None  # the pipe whose figure is on screen

    def reset(self) -> None:
        """The figure was replaced (another kind, an alert): the next one is built anew."""
        self.pipe, self.shape, self.streams, self.on_screen = None, (), [], None
        self.parts = []

    def shown(self) -> None:
        """The last wrapped figure is drawn and on screen: later changes may patch it."""
        self.on_screen = self.pipe

    def wrap(self, element: Any, shape: tuple, frame: Callable[..., Any] = _same,
             streams: Sequence = ()) -> Any:
        """A ``DynamicMap`` showing ``frame(element, **values of streams)``, ready for
        later patches."""
        import holoviews as hv

        self.pipe, self.shape = hv.streams.Pipe(data=element), shape
        self.streams, self.parts = list(streams), []
        return hv.DynamicMap(frame, streams=[self.pipe, *self.streams])

    def wrap_parts(self, elements: Sequence, shape: tuple, options: dict) -> Any:
        """A ``Layout`` (with the layout ``options``) of one ``DynamicMap`` per element,
        each showing what its own pipe carries, ready for later :meth:`patch_parts`."""
        import holoviews as hv

        self.parts = [hv.streams.Pipe(data=element) for element in elements]
        self.pipe, self.shape, self.streams = self.parts[0], shape, []
        plots = [hv.DynamicMap(_same, streams=[pipe]) for pipe in self.parts]
        return hv.Layout(plots).opts(**options, backend="bokeh")

    def patch_parts(self, elements: Sequence, shape: tuple) -> bool:
        """Send each of ``elements`` to its plot of the layout on screen if it has the
        same shape (in order: the first plot's hooks may prepare the others')."""
        if not self.parts or self.pipe is not self.on_screen or shape != self.shape:
            return False
        for pipe, element in zip(self.parts, elements, strict=True):
            pipe.send(element)
        return True

    def patch(self, element: Any, shape: tuple) -> bool:
        """Send ``element`` to the figure on screen if it has the same shape."""
        if (self.pipe is None or self.parts or self.pipe is not self.on_screen
                or shape != self.shape):
            return False
        self.pipe.send(element)
        return True
