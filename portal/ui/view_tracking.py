"""The zoom of every quicklook kept in the URL, and restored from it.

A map keeps its visible box in ``extent`` (W,S,E,N in degrees), a time series its time
span and a profile its value and depth spans in ``view`` (:func:`time_view_text`,
:func:`profile_view_text`). :class:`ViewTracker` opens the drawn element on the view the
URL names and writes the view back as the user zooms or pans: through the ``RangeXY`` /
``RangeX`` streams the element already has (a rasterized grid, a point store and a
decimated series re-render through theirs) or a new one on a static element. Range
events arrive many times a second while the wheel turns: the URL is written once they
stop (:data:`DEBOUNCE_MS`). Back at a map's own default view its key is dropped.
Only the browser's range events count: HoloViews also pushes ranges it computes while it
builds a plot (see :func:`_complete`).
"""

from __future__ import annotations

import logging
import math
import sys
from collections.abc import Callable
from typing import Any

import pandas as pd

from portal.errors import BadParameter
from portal.query import BBox

log = logging.getLogger(__name__)
DEBOUNCE_MS = 350


def lonlat_of_mercator(x_range, y_range) -> tuple[float, float, float, float]:
    """(west, east, south, north) in degrees from Web Mercator ranges in metres."""
    radius = 6378137.0
    west, east = (math.degrees(x / radius) for x in x_range)
    south, north = (math.degrees(2 * math.atan(math.exp(y / radius)) - math.pi / 2)
                    for y in y_range)
    return west, east, max(south, -90.0), min(north, 90.0)


def same_view(ranges, home) -> bool:
    """Whether (x_range, y_range) is the (xlim, ylim) view, to a millionth of its span."""
    if not home or not all(home):
        return False
    return all(abs(a - b) <= 1e-6 * max(abs(lim[1] - lim[0]), 1.0)
               for rng, lim in zip(ranges, home, strict=True)
               for a, b in zip(sorted(rng), sorted(lim), strict=True))


def time_view_text(x_range) -> str:
    """A time span as the URL's ``view`` holds it (ISO instants to the second, UTC)."""
    start, end = (pd.Timestamp(v) for v in x_range)
    start, end = (t.tz_convert(None) if t.tzinfo else t for t in (start, end))
    return f"{start:%Y-%m-%dT%H:%M:%S}Z/{end:%Y-%m-%dT%H:%M:%S}Z"


def parse_time_view(text: str) -> tuple[Any, Any] | None:
    """The (start, end) numpy datetimes of a time ``view`` (None when it is not one)."""
    parts = (text or "").split("/")
    if len(parts) != 2:
        return None
    try:
        start, end = (pd.Timestamp(p).tz_localize(None) if pd.Timestamp(p).tzinfo is None
                      else pd.Timestamp(p).tz_convert(None) for p in parts)
    except (ValueError, TypeError):
        return None
    return (start.to_datetime64(), end.to_datetime64()) if start < end else None


def profile_view_text(x_range, y_range) -> str:
    """Value and depth spans as the URL's ``view`` holds them (``x0,x1,z0,z1``)."""
    values = [*sorted(x_range), *sorted(y_range)]
    return ",".join(f"{v:.6g}" for v in values)


def parse_profile_view(text: str) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """((x0, x1), (z0, z1)) of a profile ``view`` (None when it is not one)."""
    try:
        x0, x1, z0, z1 = (float(v) for v in (text or "").split(","))
    except ValueError:
        return None
    if not all(map(math.isfinite, (x0, x1, z0, z1))) or x0 >= x1 or z0 >= z1:
        return None
    return (x0, x1), (z0, z1)


def streams_of(element, kind: type) -> list:
    """The ``kind`` streams (e.g. RangeXY) of an element, its DynamicMaps and their inputs."""
    found: list = []
    seen: set[int] = set()

    def walk(obj) -> None:
        if id(obj) in seen:
            return
        seen.add(id(obj))
        found.extend(s for s in getattr(obj, "streams", ()) if isinstance(s, kind)
                     and s not in found)
        for child in getattr(getattr(obj, "callback", None), "inputs", ()):
            walk(child)
        if hasattr(obj, "values") and callable(obj.values) and not hasattr(obj, "callback"):
            for child in obj.values():
                walk(child)

    walk(element)
    return found


def _stream_source(element: Any) -> Any:
    """What a new range stream watches: ``element``, or for a dynamic overlay (a page map
    drawing :class:`~portal.quicklooks.frames.Frames` from a ``Pipe``, times the land) its
    first dynamic input with streams. HoloViews links a stream to a plot only through a
    source its plots draw, which the overlay's own DynamicMap is not."""
    import holoviews as hv

    node = element
    while isinstance(node, hv.DynamicMap) and not node.streams:
        inputs = [i for i in (node.callback.inputs or []) if isinstance(i, hv.DynamicMap)]
        if not inputs:
            return element
        node = inputs[0]
    return node


class ViewTracker:
    """Restores and records the zoom of one pane's plot in the shared view state."""

    def __init__(self, state, doc: Any = None) -> None:
        self.state = state
        self.doc = doc  # the session's Bokeh document: debounced writes run under its lock
        self._pending: Any = None
        self._home: Any = None
        self.disposed = False

    # ------------------------------------------------------------------ public
    def track(self, kind: str, element):
        """The element opened on the URL's view for ``kind``, followed from now on."""
        self._home = None
        if kind == "map":
            return self._track_map(element)
        if kind == "timeseries":
            return self._track_series(element)
        if kind == "profile":
            return self._track_profile(element)
        return element

    # -------------------------------------------------------------------- maps
    def _track_map(self, element):
        import holoviews as hv

        from portal.quicklooks.map import mercator

        plot_opts = hv.Store.lookup_options("bokeh", element, "plot").kwargs
        self._home = (plot_opts.get("xlim"), plot_opts.get("ylim"))
        box = self.state.extent
        if box:
            xlim, ylim = mercator((box[0], box[2]), (box[1], box[3]))
            element = element.opts(xlim=xlim, ylim=ylim, backend="bokeh")
        self._follow(element, hv.streams.RangeXY, self._on_map_range)
        return element

    def _on_map_range(self, x_range=None, y_range=None) -> None:
        if not _complete(x_range, y_range):
            return
        if same_view((x_range, y_range), self._home):
            self._later("extent", None)
            return
        west, east, south, north = lonlat_of_mercator(x_range, y_range)
        old = self.state.extent
        if old and max(abs(a - b) for a, b in zip(old, (west, south, east, north),
                                                  strict=True)) < 1e-3:
            return  # the view the URL already names (first draw of a shared link)
        try:
            box = BBox(*(round(v, 3) for v in (west, south, east, north)))
        except BadParameter:  # a view wider than the world or without height: not a box
            return
        self._later("extent", box)

    # ------------------------------------------------------------- time series
    def _track_series(self, element):
        import holoviews as hv

        span = parse_time_view(self.state.view)
        streams = streams_of(element, hv.streams.RangeX)
        if span is not None:
            for stream in streams:  # the first draw is the zoomed one, at full resolution
                stream.update(x_range=span)
        for stream in streams:
            stream.add_subscriber(self._on_series_range)
        return element

    def _on_series_range(self, x_range=None, **_) -> None:
        if _complete(x_range):
            self._later("view", time_view_text(x_range))

    # ---------------------------------------------------------------- profiles
    def _track_profile(self, element):
        import holoviews as hv

        spans = parse_profile_view(self.state.view)
        if spans is not None and not isinstance(element, hv.DynamicMap):  # its frames carry it
            element = element.opts(xlim=spans[0], ylim=spans[1], backend="bokeh")
        self._follow(element, hv.streams.RangeXY, self._on_profile_range)
        return element

    def _on_profile_range(self, x_range=None, y_range=None) -> None:
        if _complete(x_range, y_range):
            self._later("view", profile_view_text(x_range, y_range))

    # ----------------------------------------------------------------- helpers
    def _follow(self, element, stream_class, callback: Callable) -> None:
        """Subscribe to the element's own range streams, or to a new one on it."""
        streams = streams_of(element, stream_class)
        if not streams:
            streams = [stream_class(source=_stream_source(element))]
        for stream in streams:
            stream.add_subscriber(callback)

    def _later(self, key: str, value: Any) -> None:
        """Set ``state.<key>`` once the range events stop (a wheel sends dozens)."""
        if self.disposed:
            return
        self._pending = (key, value)
        if self.doc is None:
            self._apply()
            return
        handle, self._handle = getattr(self, "_handle", None), None
        if handle is not None:
            try:
                self.doc.remove_timeout_callback(handle)
            except ValueError:  # it already ran
                pass
        self._handle = self.doc.add_timeout_callback(self._apply, DEBOUNCE_MS)

    def _apply(self) -> None:
        self._handle = None
        if self._pending is None or self.disposed:
            return
        key, value = self._pending
        self._pending = None
        if getattr(self.state, key) != value:
            setattr(self.state, key, value)


def _complete(*ranges) -> bool:
    """Whether the ranges are a view the browser shows: all four ends known, and not the
    ranges HoloViews computes and pushes to the streams itself while it builds the plot
    (``Renderer.get_plot`` triggers them from the data's extent, before the browser has
    the plot; they would overwrite the view a shared link named)."""
    if not all(r is not None and None not in tuple(r) for r in ranges):
        return False
    frame: Any = sys._getframe(1)
    for _ in range(60):
        if frame is None:
            break
        if frame.f_code.co_name == "get_plot" and "holoviews" in frame.f_code.co_filename:
            return False
        frame = frame.f_back
    return True
