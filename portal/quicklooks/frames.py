"""Map frames a page can patch in place: what an interactive map draws, behind a ``Pipe``.

A page map is ``DynamicMap * land``. Its DynamicMap draws :class:`Frames`: a function of
the view's ranges (a rasterized grid, dense track or point store re-aggregates on every
zoom through its ``RangeXY`` stream) or one styled element (markers the browser zooms).
The ``Frames`` travel in a HoloViews ``Pipe``, so a control change that keeps the map's
*shape* (:attr:`Frames.shape`, set by the builder: what is drawn and how it is coloured)
sends new ``Frames`` to the figure on screen instead of building a new one; the zoom
stays and only the image (or the markers) is redrawn (:mod:`portal.ui.map_patching`).
Each frame carries everything that may change with the data: the title, colour limits
and bar title, the hover tool; :func:`colorbar_sync` updates the bar's title and date
labels, which Bokeh plots otherwise set once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Ranges = tuple[Any, Any]


class Frames:
    """What a patchable map draws: ``draw(x_range, y_range)`` (None ranges: the whole
    extent) styled with ``opts`` (Bokeh), or one element when ``ranged`` is False;
    ``zoom(x_range, y_range)``, when given, is the zoom's fast path (a
    :class:`~portal.quicklooks.fast_zoom.ZoomFrame` of these frames' data)."""

    def __init__(self, draw: Callable[[Any, Any], Any], *, ranged: bool, shape: tuple = (),
                 opts: dict | None = None, zoom: Callable[[Any, Any], Any] | None = None) -> None:
        self.draw, self.ranged, self.shape, self.zoom = draw, ranged, shape, zoom
        self.opts = dict(opts or {})
        self._ready: tuple[Any, Any] | None = None  # (ranges key, frame) drawn ahead

    def __call__(self, x_range: Any = None, y_range: Any = None) -> Any:
        key = _key(x_range, y_range)
        if self._ready is not None and self._ready[0] == key:
            return self._ready[1]
        frame = self.draw(x_range, y_range)
        return frame.opts(**self.opts, backend="bokeh") if self.opts else frame

    def prepare(self, x_range: Any = None, y_range: Any = None) -> None:
        """Draw the frame of this view now (in a worker thread, before the ``Pipe`` sends
        these frames on the event loop: the loop then only updates the figure)."""
        self._ready = None
        frame = self(x_range, y_range)
        self._ready = (_key(x_range, y_range), frame)

    def recoloured(self, palette: list[str]) -> None:
        """Draw later frames (zoom, pan) with ``palette``: the colormap changed in place."""
        self.opts["cmap"] = palette
        self._ready = None


def _key(x_range: Any, y_range: Any) -> tuple:
    return tuple(None if r is None else tuple(float(v) for v in r) for r in (x_range, y_range))


def _frame(data: Frames, x_range: Any = None, y_range: Any = None) -> Any:
    return data(x_range, y_range)


def framed(frames: Frames) -> Any:
    """A ``DynamicMap`` drawing ``frames`` from its ``Pipe`` (and its ``RangeXY`` stream
    when they depend on the view)."""
    import holoviews as hv

    streams: list = [hv.streams.Pipe(data=frames)]
    if frames.ranged:
        streams.append(hv.streams.RangeXY())
    return hv.DynamicMap(_frame, streams=streams)


def colorbar_sync(plot: Any, element: Any) -> None:
    """Bokeh hook: the colour bar's title and label format follow each frame's ``clabel``
    and ``cformatter`` (HoloViews sets them only when it builds the figure)."""
    formatter = plot.cformatter
    for name, bar in plot.handles.items():
        if not name.endswith("colorbar"):  # "colorbar", or "color_colorbar" of markers
            continue
        if plot.clabel is not None and bar.title != plot.clabel:
            bar.title = plot.clabel
        if formatter is not None and not isinstance(formatter, str) \
                and bar.formatter is not formatter:
            bar.formatter = formatter
