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
        self._ready: tuple[Any, Any] | None = None  # (view, frame) of the last drawn

    def __call__(self, x_range: Any = None, y_range: Any = None) -> Any:
        key = self._key(x_range, y_range)
        if self._ready is not None and self._ready[0] == key:
            return self._ready[1]
        frame = self.draw(x_range, y_range)
        frame = frame.opts(**self.opts, backend="bokeh") if self.opts else frame
        self._ready = (key, frame)
        return frame

    def prepare(self, x_range: Any = None, y_range: Any = None) -> None:
        """Draw the frame of this view now (in a worker thread, before the ``Pipe`` sends
        these frames on the event loop: the loop then only updates the figure)."""
        self(x_range, y_range)

    def recoloured(self, palette: list[str]) -> None:
        """Draw later frames (zoom, pan) with ``palette``: the colormap changed in place."""
        self.opts["cmap"] = palette
        self._ready = None

    def _key(self, x_range: Any, y_range: Any) -> tuple:
        """The view a frame is drawn for (any view: one element drawn whatever the view)."""
        if not self.ranged:
            return (None, None)
        return tuple(None if r is None else tuple(float(v) for v in r)
                     for r in (x_range, y_range))


def _frame(data: Frames, x_range: Any = None, y_range: Any = None) -> Any:
    return data(x_range, y_range)


def framed(frames: Frames) -> Any:
    """A ``DynamicMap`` drawing ``frames`` from its ``Pipe``, on the view of its ``RangeXY``
    stream. Markers the browser zooms have it too (the URL follows the zoom through it):
    their frame is then the same element, which HoloViews does not send again."""
    import holoviews as hv

    return hv.DynamicMap(_frame, streams=[hv.streams.Pipe(data=frames), hv.streams.RangeXY()])


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
                and not _same_model(bar.formatter, formatter):
            bar.formatter = formatter


def settled(plot: Any, element: Any) -> None:
    """Bokeh hook: no second drawing of a map whose first frame already shows its view.

    Once a figure is built, HoloViews sends its axis ranges to the map's ``RangeXY`` and
    draws the frame again for them (``Renderer.get_plot``: ``_trigger``), even when that
    frame is the one drawn (markers, whatever the view) or a raster of the whole data
    that the view contains: 60 ms of a grid's 170 ms build. A view inside the data (a
    zoomed link) is still drawn again, at its own resolution."""
    if plot.drawn or not plot._trigger:
        return
    frames = next((s.data for s in getattr(plot, "streams", ())
                   if isinstance(getattr(s, "data", None), Frames)), None)
    if frames is None or frames._ready is None:
        return
    plot._trigger = [s for s in plot._trigger if not _shown(frames, s, element)]


def _shown(frames: Frames, stream: Any, element: Any) -> bool:
    """Whether the frame drawn already shows ``stream``'s ranges: it is drawn whatever the
    view, or drawn for these very ranges, or drawn whole and the ranges contain it."""
    x_range, y_range = getattr(stream, "x_range", None), getattr(stream, "y_range", None)
    if x_range is None or y_range is None:
        return False
    drawn = frames._ready[0] if frames._ready is not None else None
    if not frames.ranged or drawn == frames._key(x_range, y_range):
        return True
    if drawn != (None, None):
        return False
    try:
        (x0, x1), (y0, y1) = element.range(0), element.range(1)
        return (float(x_range[0]) <= float(x0) and float(x_range[1]) >= float(x1)
                and float(y_range[0]) <= float(y0) and float(y_range[1]) >= float(y1))
    except (TypeError, ValueError):  # no numeric extent: draw again, as HoloViews would
        return False


def raster_settled(plot: Any, element: Any) -> None:
    """Bokeh hook (on a rasterized element, or an overlay or figure holding one): no
    second drawing of a raster that already covers the axis ranges HoloViews sends back.

    A rasterize drawn first for the data's extent is drawn again for the figure's ranges
    once the figure is built, and those ranges are most often that very extent (a T-S
    diagram, a glider section: 80 ms of 300). The raster is then what a second drawing
    would compute: same bounds, same size. Any other element following the stream (a
    curve decimated per view) keeps the second drawing. (An overlay runs its hooks once
    drawn; the ranges' triggers wait until ``Renderer.get_plot`` ends, and only a new
    figure has any.)"""
    plots = plot.traverse(lambda p: p)
    if not any(getattr(p, "_trigger", None) for p in plots):
        return
    leaves = [p for p in plots if not getattr(p, "subplots", None)]
    for each in plots:
        if getattr(each, "_trigger", None):
            each._trigger = [s for s in each._trigger if not _raster_shows(s, leaves)]


def _raster_shows(stream: Any, leaves: list) -> bool:
    """Whether every element drawn from ``stream`` is a raster whose bounds are the
    stream's ranges."""
    x_range, y_range = getattr(stream, "x_range", None), getattr(stream, "y_range", None)
    owners = [p for p in leaves if stream in (getattr(p, "streams", None) or ())]
    if x_range is None or y_range is None or not owners:
        return False
    wanted = (x_range[0], y_range[0], x_range[1], y_range[1])
    for owner in owners:
        bounds = getattr(owner.current_frame, "bounds", None)
        if bounds is None or not all(map(_same_value, bounds.lbrt(), wanted)):
            return False
    return True


def _same_value(a: Any, b: Any) -> bool:
    import numpy as np

    try:
        if isinstance(a, np.datetime64) or isinstance(b, np.datetime64):
            return bool(np.datetime64(a, "ns") == np.datetime64(b, "ns"))
        return bool(np.isclose(float(a), float(b), rtol=1e-9, atol=0.0))
    except (TypeError, ValueError):
        return False


def _same_model(old: Any, new: Any) -> bool:
    """Whether two Bokeh models say the same (a patch then sends no new model)."""
    return old is new or (type(old) is type(new) and old.properties_with_values(
        include_defaults=False) == new.properties_with_values(include_defaults=False))
