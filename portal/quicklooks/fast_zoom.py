"""A map's zoom answered without a HoloViews round trip: new image data sent in place.

On a point-store map every zoom or pan re-aggregates the view. Through HoloViews'
``DynamicMap`` that meant, besides the aggregation, about as much time again in plotting
code (the element rebuilt, its extents projected by cartopy, ranges computed over the land
layer, labels and options re-applied) on the server's event loop. :func:`fast_zoom` is a
Bokeh plot hook that takes the figure's zoom stream (``RangeXY``) away from HoloViews'
refresh: the view is aggregated in a worker thread (the newest view only, one at a time per
plot), then the image's ``ColumnDataSource``, the colour limits and the title are set in
one tick under the document's lock. The stream still carries every view to its other
subscribers (the URL's view tracking); the ``DynamicMap`` still answers any other refresh
(a patch, a new session) through HoloViews. The frame must give exactly the data HoloViews
would have put in the source (``tests/quicklooks/test_fast_zoom.py`` compares them).
A frame may be a *preview* (a cold view drawn from coarser data, said in its title): the
exact frame is then asked for at once (``render(..., exact=True, cancel=...)``) and replaces
it, unless a newer view came first, which stops its reads (``cancel()`` turns true). Once a
view is drawn and no other waits, ``prefetch(x_range, y_range, cancel=...)`` (when given)
reads what the next gesture most likely needs, until a new view comes.
Outside a server session (tests, notebooks) the update is made at once, synchronously
(the exact frame straight away, no prefetch).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from portal.quicklooks.zoom_progress import image_sources

log = logging.getLogger(__name__)
#: a zoom whose view took longer than this is logged (data read cold from disk, load)
SLOW_S = 1.0
#: Bokeh's level-of-detail settings of a map zoomed through this path: its ranges leave for
#: the server at the first paint after a wheel event (``interval`` 0 ends BokehJS's
#: interactive mode there), not ``style.ZOOM_LOD``'s 60 ms after the last event. A
#: continuous wheel then sends a few views; the zoomer draws the newest, dropping the rest.
FAST_ZOOM_LOD = {"timeout": 60, "interval": 0}


@dataclass(frozen=True)
class ZoomFrame:
    """What a new view changes on the figure: the image source's columns, the colour
    limits (None: unchanged) and the title."""

    data: dict[str, Any]
    clim: tuple[float, float] | None
    title: str
    preview: bool = False  # coarser than the view: an exact frame follows


#: ``render(x_range, y_range, exact=False, cancel=None)``: a view's frame (a preview allowed
#: unless ``exact``; ``cancel()`` true: stop, raising ``portal.pointstore.cache.Cancelled``)
Render = Callable[..., ZoomFrame]
#: ``prefetch(x_range, y_range, cancel=...)``: read what the view's neighbours need
Prefetch = Callable[..., Any]


class _Zoomer:
    """Stream subscriber of one plot: newest view first, stale answers dropped."""

    def __init__(self, plot: Any, render: Render, prefetch: Prefetch | None = None) -> None:
        self._plot = weakref.ref(plot)  # the stream outlives no plot through this subscriber
        self.render, self.prefetch = render, prefetch
        self.pending: tuple | None = None
        self.generation = 0  # views seen: a read for an older one may stop
        self.running = False
        self._task: asyncio.Task | None = None  # held: the loop keeps only weak references
        self._prefetching: asyncio.Task | None = None

    def __call__(self, x_range=None, y_range=None, **_: Any) -> None:
        if x_range is None or y_range is None or None in (*x_range, *y_range):
            return
        plot = self._plot()
        if plot is None:
            return
        self.pending = (tuple(x_range), tuple(y_range))
        self.generation += 1
        doc = plot.document
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None or doc is None or doc.session_context is None:
            view, self.pending = self.pending, None
            self.apply(self.render(*view, exact=True))  # no session: at once
        elif not self.running:
            self.running = True
            self._task = loop.create_task(self._run(doc))

    def stale(self, generation: int) -> bool:
        """Whether a newer view than that of ``generation`` came, or the plot is gone (its
        reads may stop)."""
        return self.generation != generation or self._plot() is None

    async def _run(self, doc: Any) -> None:
        view = None
        try:
            while self.pending is not None:
                view, self.pending = self.pending, None
                await self._draw(doc, view, self.generation)
        finally:
            self.running = False
        if self.prefetch is not None and view is not None and self.pending is None:
            self._prefetching = asyncio.get_running_loop().create_task(
                self._prefetch(self.prefetch, view, self.generation))

    async def _draw(self, doc: Any, view: tuple, generation: int) -> None:
        """The view's frame (then its exact frame after a preview) onto the figure."""
        cancel = functools.partial(self.stale, generation)
        for exact in (False, True):
            start = time.perf_counter()
            try:
                frame = await asyncio.to_thread(self.render, *view, exact=exact, cancel=cancel)
            except Exception as exc:  # noqa: BLE001 - the old image stays; logged
                # a newer view stopped the read (pointstore.cache.Cancelled, named here:
                # importing the store's code would load numba into every page)
                if type(exc).__name__ != "Cancelled":
                    log.warning("zoom re-aggregation failed (%s: %s)", type(exc).__name__, exc)
                return
            took = time.perf_counter() - start
            log.log(logging.INFO if took > SLOW_S else logging.DEBUG,
                    "zoom view aggregated in %.3f s%s%s", took, " (preview)" * frame.preview,
                    "" if self.pending is None else " (stale: a newer view waits)")
            if self.pending is not None:
                return  # stale: the newer view is drawn instead
            self._send(doc, frame)
            if not frame.preview:
                return

    async def _prefetch(self, prefetch: Prefetch, view: tuple, generation: int) -> None:
        """Read what the next gesture around ``view`` needs, until a newer view comes. In
        a daemon thread: a server stopping waits for no prefetch (the default executor's
        threads are joined at exit)."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future = loop.create_future()
        start = time.perf_counter()

        def work() -> None:
            try:
                outcome: tuple = (prefetch(*view, cancel=functools.partial(self.stale,
                                                                           generation)), None)
            except Exception as exc:  # noqa: BLE001 - a prefetch only saves time later
                outcome = (None, exc)
            try:
                loop.call_soon_threadsafe(_settle, done, outcome)
            except RuntimeError:  # the loop closed meanwhile (the server stopped)
                pass

        threading.Thread(target=work, name="zoom-prefetch", daemon=True).start()
        rows, exc = await done
        if exc is not None:
            log.warning("zoom prefetch failed (%s: %s)", type(exc).__name__, exc)
            return
        log.debug("zoom prefetch: %s rows in %.3f s%s", rows, time.perf_counter() - start,
                  " (stopped: a new view)" if self.stale(generation) else "")

    def _send(self, doc: Any, frame: ZoomFrame) -> None:
        """``frame`` onto the figure on the document's next tick (under its lock)."""
        try:
            doc.add_next_tick_callback(lambda: self.apply(frame))
        except Exception as exc:  # noqa: BLE001 - the session closed meanwhile
            log.debug("zoom frame dropped: %s", exc)

    def apply(self, frame: ZoomFrame) -> None:
        """Set the frame on the figure (under the document's lock in a session). The
        title goes first: each change reaches the browser in its own message, and a
        preview's image must not be painted under the last exact view's title."""
        plot = self._plot()
        if plot is None:
            return
        _set_title(plot.state, frame.title)
        for sub in [plot, *getattr(plot, "subplots", {}).values()]:
            source = getattr(sub, "handles", {}).get("source")
            if source is None or "image" not in source.data:
                continue
            source.data = frame.data
            mapper = sub.handles.get("color_mapper")
            if mapper is not None and frame.clim is not None:
                mapper.update(low=frame.clim[0], high=frame.clim[1])


def _settle(future: asyncio.Future, outcome: Any) -> None:
    if not future.done():  # (cancelled when the session's loop shut down)
        future.set_result(outcome)


#: ``frame_align`` spelled out: the same layout as ``True``, but a change to Bokeh
ALL_EDGES = {"left": True, "right": True, "top": True, "bottom": True}


def _set_title(figure: Any, text: str) -> None:
    """A new title text, and a layout pass: BokehJS measures a title only in a layout
    pass, which a text change alone does not start, so the frame kept the place of the
    first layout and a taller title was clipped above it (as HoloViews' refresh starts
    one on every zoom). Toggling ``frame_align`` between two spellings of the same value
    starts one."""
    figure.frame_align = dict(ALL_EDGES) if figure.frame_align is True else True
    figure.title.text = text


def fast_zoom(stream: Any, render: Render,
              prefetch: Prefetch | None = None) -> Callable[[Any, Any], None]:
    """A HoloViews Bokeh plot hook: ``stream`` (the figure's ``RangeXY``) updates the
    image through ``render(x_range, y_range, exact=..., cancel=...)`` instead of a
    HoloViews refresh; ``prefetch`` (optional) runs while a drawn view is looked at."""

    def hook(plot, _element) -> None:
        if getattr(plot, "_portal_fast_zoom", False) or not image_sources(plot):
            return
        plot._portal_fast_zoom = True
        plots = set(plot.traverse(lambda p: p))
        stream._subscribers = [(p, s) for p, s in stream._subscribers
                               if getattr(s, "__self__", None) not in plots]
        stream.add_subscriber(_Zoomer(plot, render, prefetch))

    return hook
