"""A map patched in place: a control change sends new frames to the figure on screen.

A page map draws :class:`~portal.quicklooks.frames.Frames` from a ``Pipe`` (positions of
files, gridded fields, tracks, point stores). Building a new Bokeh figure for each variable,
QC, depth or time-step change cost 0.25–1 s of server time per change and a new layout in
the browser; a map of the same *shape* (what the builder draws and how it colours it, the
colouring, language and width, and its home extent) instead
gets the new frames through the pipe of the map on screen: the image (or markers), title,
colour limits and bar title and the hover change; the zoom stays. The frame of the view on
screen is drawn in a worker thread first (:meth:`MapPatcher.patch`), so the event loop only
updates the figure. One patcher per page pane (no state shared between sessions).
"""

from __future__ import annotations

import asyncio
from typing import Any

from portal.quicklooks.frames import Frames


def frames_pipe(element: Any) -> Any:
    """The ``Pipe`` of a page map's :class:`Frames` (None: not a patchable map, or
    several maps side by side, one per variable)."""
    import holoviews as hv

    from portal.ui.view_tracking import streams_of

    pipes = [pipe for pipe in streams_of(element, hv.streams.Pipe)
             if isinstance(pipe.data, Frames)]
    return pipes[0] if len(pipes) == 1 else None


def map_shape(element: Any, *context: Any) -> tuple:
    """What a patch cannot change: the frames' own shape, the caller's ``context``
    (colouring, language, width) and the map's home view (the data's extent: a map whose
    data moved is refitted, or opened on the URL's zoom, by a new figure)."""
    import holoviews as hv

    opts = hv.Store.lookup_options("bokeh", element, "plot").kwargs
    return (*frames_pipe(element).data.shape, opts.get("xlim"), opts.get("ylim"), *context)


class MapPatcher:
    """The frames' pipe of the map on screen, and the shape it can take in place; a
    wrapped map takes patches once :meth:`shown` (as :class:`~portal.ui.patching.PlotPatcher`)."""

    def __init__(self) -> None:
        self.pipe: Any = None
        self.ranges: Any = None  # the RangeXY stream of frames drawn per view
        self.shape: tuple = ()
        self.on_screen: Any = None  # the pipe whose map is on screen

    def reset(self) -> None:
        """The map was replaced (another kind, an alert): the next one is built anew."""
        self.pipe, self.ranges, self.shape, self.on_screen = None, None, (), None

    def shown(self) -> None:
        """The last wrapped map is drawn and on screen: later changes may patch it."""
        self.on_screen = self.pipe

    def wrap(self, element: Any, shape: tuple) -> Any:
        """``element`` (a page map) as the one on screen, ready for later patches."""
        import holoviews as hv

        from portal.ui.view_tracking import streams_of

        self.pipe, self.shape = frames_pipe(element), shape
        ranged = self.pipe.data.ranged and streams_of(element, hv.streams.RangeXY)
        self.ranges = ranged[0] if ranged else None
        return element

    async def patch(self, element: Any, shape: tuple) -> bool:
        """Send ``element``'s frames to the map on screen if it has the same shape: its
        frame of the view shown is drawn in a worker thread, then sent on the loop."""
        if self.pipe is None or self.pipe is not self.on_screen or shape != self.shape:
            return False
        pipe, frames = self.pipe, frames_pipe(element).data
        x_range, y_range = self._view()
        await asyncio.to_thread(frames.prepare, x_range, y_range)
        pipe.send(frames)  # the map on screen, even if a newer draw wrapped another meanwhile
        return True

    def recolour(self, palette: list[str]) -> bool:
        """Keep ``palette`` (set in place on the figure) for later zooms; False when no
        patchable map is on screen."""
        if self.pipe is None:
            return False
        self.pipe.data.recoloured(palette)
        return True

    def _view(self) -> tuple[Any, Any]:
        """The ranges the map on screen shows (None: its frames do not depend on them)."""
        if self.ranges is None:
            return None, None
        return self.ranges.x_range, self.ranges.y_range
