"""The one query: what a user asks to see, parsed once from URL or command-line parameters.

:class:`BBox` is a longitude/latitude box (``west > east`` crosses the antimeridian;
:meth:`BBox.split` gives at most two boxes that do not), :class:`TimeRange` a UTC time
window (a date alone as the end means that whole day — or month, or year — here and
nowhere else), :class:`DepthRange` a vertical window, and :class:`Query` the whole
request: dataset, kind, variable(s), those three, QC preset, colouring, colormap and
image size checked against the settings' :class:`~portal.settings.Limits`.
:func:`parse_query` builds a Query from a mapping of parameters (tornado or Panel
arguments, CLI options) and raises :class:`~portal.errors.BadParameter` naming the
parameter; :meth:`Query.to_params` is the reverse, for shareable URLs. This module sits
at the bottom of the package: pandas and numpy are imported inside functions, so
``import portal.model`` stays light.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from portal import settings as _settings
from portal.errors import BadParameter

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

#: ``auto`` means "good_probably" for flagged data (unless the catalog entry sets
#: ``qc_default``) and "all" for data without flags
QC_PRESETS = ("auto", "good", "good_probably", "all")
QUICKLOOK_KINDS = ("map", "profile", "timeseries", "ts", "section", "timedepth", "linked")
#: kinds drawn in the page only (linked views need the browser): no PNG, tile or CLI form
PAGE_ONLY_KINDS = ("linked",)
COLOR_BY = ("auto", "value", "time", "qc", "feature", "depth")
# URL / CLI parameter names, in the order to_params writes them
PARAM_KEYS = ("dataset", "datasets", "kind", "var", "time", "at", "depth", "bbox", "qc", "color",
              "cmap", "width", "height")
# the inclusive end of a date given alone: the last microsecond of its day (exact in
# pandas, numpy and Python datetimes, and as float epoch seconds)
END_PRECISION_US = 1
MAX_DATASETS = 5  # datasets on one combined view (``datasets=ID1,ID2``)
_ISO = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2}):(\d{2})"
                  r"(?::(\d{2})(\.\d{1,9})?)?)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$")


def limits() -> _settings.Limits:
    """The limits table of the running settings (``settings.current()`` when it exists)."""
    current = getattr(_settings, "current", None)
    if callable(current):
        return current().limits
    return _settings.Settings.from_env().limits


# ------------------------------------------------------------------------------ time


def _calendar(match: re.Match[str], name: str, text: str) -> pd.Timestamp:
    """The UTC instant of a matched ISO text, to the microsecond (years 1 to 9999)."""
    import pandas as pd

    y, mo, d, h, mi, s = (int(g) if g else None for g in match.groups()[:6])
    frac, tz = match.group(7), match.group(8)
    micro = int(frac[1:7].ljust(6, "0")) if frac else 0
    try:
        when = datetime(y or 0, mo or 1, d or 1, h or 0, mi or 0, s or 0, micro, tzinfo=UTC)
    except ValueError:
        raise BadParameter(f"{name}: {text!r} is not a valid calendar date",
                           parameter=name) from None
    if tz and tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        when -= sign * timedelta(hours=int(tz[1:3]), minutes=int(tz[-2:]))
    return pd.Timestamp(when)


def parse_instant(text: str, *, end: bool = False, name: str = "time") -> pd.Timestamp:
    """A UTC Timestamp from ISO 8601 text (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD[THH:MM[:SS]]``,
    optional ``Z`` or offset). With ``end``, a date alone means the end of that day (a month
    or a year alone, the end of it): the one place this rule is coded."""
    import pandas as pd

    value = str(text).strip()
    match = _ISO.match(value)
    if not match:
        raise BadParameter(f"{name}: {value[:40]!r} is not an ISO 8601 date",
                           parameter=name, hint="e.g. 2015-06-01 or 2015-06-01T12:00Z")
    ts = _calendar(match, name, value)
    if end and match.group(4) is None:
        step = (pd.DateOffset(years=1) if match.group(2) is None else pd.DateOffset(months=1)
                if match.group(3) is None else pd.DateOffset(days=1))
        try:
            ts = ts + step - pd.Timedelta(microseconds=END_PRECISION_US)
        except (OverflowError, ValueError):  # the end of year 9999
            ts = pd.Timestamp(datetime.max.replace(tzinfo=UTC))
    return ts


def _timestamp(value: Any, end: bool, name: str) -> pd.Timestamp | None:
    """str (parsed, see parse_instant) or a datetime-like, as an aware UTC Timestamp."""
    import pandas as pd

    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        return parse_instant(value, end=end, name=name)
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise BadParameter(f"{name}: {value!r} is not a time", parameter=name) from None
    if ts is pd.NaT:
        return None
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _time_text(ts: pd.Timestamp, end: bool) -> str:
    import pandas as pd

    day = ts.normalize()
    if not end and ts == day:
        return day.strftime("%Y-%m-%d")
    if end and ts == day + pd.Timedelta(days=1) - pd.Timedelta(microseconds=END_PRECISION_US):
        return day.strftime("%Y-%m-%d")  # a date alone as the end: that whole day
    return ts.tz_convert(None).isoformat() + "Z"


@dataclass(frozen=True)
class TimeRange:
    """A UTC time window, both ends inclusive; ``None`` is an open end.

    Strings are read with :func:`parse_instant` (an end given as a date alone covers that
    day); datetimes, numpy and pandas times are taken as instants (naive means UTC).
    """

    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None

    def __post_init__(self) -> None:
        start, end = _timestamp(self.start, False, "time"), _timestamp(self.end, True, "time")
        if start is not None and end is not None and end < start:
            raise BadParameter(f"time: the window ends ({end}) before it starts ({start})",
                               parameter="time")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)

    def __iter__(self) -> Iterator[pd.Timestamp | None]:
        yield self.start
        yield self.end

    def __getitem__(self, index: int) -> pd.Timestamp | None:
        return (self.start, self.end)[index]

    @classmethod
    def parse(cls, text: str, name: str = "time") -> TimeRange:
        """``START/END`` (either side may be empty) or one date (that whole day)."""
        text = str(text).strip()
        lo, sep, hi = text.partition("/")
        if not sep:
            hi = lo
        try:
            return cls.from_strings(lo, hi, name)
        except BadParameter as exc:
            raise BadParameter(str(exc), parameter=name) from None

    @classmethod
    def from_strings(cls, start: str | None, end: str | None, name: str = "time") -> TimeRange:
        """From separate start and end texts; an empty or missing side is open."""
        lo, hi = _timestamp(start, False, name), _timestamp(end, True, name)
        if lo is None and hi is None:
            raise BadParameter(f"{name}: give a start, an end or both (START/END)",
                               parameter=name)
        return cls(lo, hi)

    @property
    def bounded(self) -> bool:
        return self.start is not None or self.end is not None

    def to_text(self) -> str:
        """``START/END`` that :meth:`parse` reads back to an equal range."""
        lo = "" if self.start is None else _time_text(self.start, end=False)
        hi = "" if self.end is None else _time_text(self.end, end=True)
        return f"{lo}/{hi}"

    def epoch_bounds(self) -> tuple[float | None, float | None]:
        """(start, end) in seconds since 1970 (floats)."""
        return (None if self.start is None else self.start.timestamp(),
                None if self.end is None else self.end.timestamp())

    def datetime64_bounds(self) -> tuple[np.datetime64 | None, np.datetime64 | None]:
        """(start, end) as naive UTC ``datetime64`` (for xarray/pandas coordinates)."""
        return (None if self.start is None else self.start.tz_convert(None).to_datetime64(),
                None if self.end is None else self.end.tz_convert(None).to_datetime64())


# ------------------------------------------------------------------------------ space


def _number(value: Any, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise BadParameter(f"{name}: {str(value)[:40]!r} is not a number", parameter=name) from None
    if not math.isfinite(number):
        raise BadParameter(f"{name}: {value!r} is not a finite number", parameter=name)
    return number


def _num_text(value: float) -> str:
    short = f"{value:g}"
    return short if float(short) == value else repr(value)


def _wrap(lon: float) -> float:
    """Longitude in [-180, 180) (unchanged, bit for bit, when already there)."""
    return lon if -180.0 <= lon < 180.0 else ((lon + 180.0) % 360.0) - 180.0


@dataclass(frozen=True)
class BBox:
    """A longitude/latitude box in degrees; ``west > east`` means it crosses 180°.

    Longitudes may be given in -180..180 or 0..360; the box spans from ``west`` eastwards
    to ``east`` (at most 360°).
    """

    west: float
    south: float
    east: float
    north: float

    def __post_init__(self) -> None:
        for key in ("west", "south", "east", "north"):
            object.__setattr__(self, key, _number(getattr(self, key), "bbox") + 0.0)
        if not -90.0 <= self.south < self.north <= 90.0:
            raise BadParameter(f"bbox: latitudes must satisfy -90 <= S < N <= 90, got "
                               f"S={self.south:g}, N={self.north:g}", parameter="bbox")
        if self.west == self.east or not 0.0 < self.width <= 360.0:
            raise BadParameter(f"bbox: longitudes {self.west:g} to {self.east:g} span "
                               f"{self.width:g}°; give a span between 0 and 360°",
                               parameter="bbox")

    def __iter__(self) -> Iterator[float]:
        yield from (self.west, self.south, self.east, self.north)

    def __len__(self) -> int:
        return 4

    def __getitem__(self, index: int) -> float:
        return (self.west, self.south, self.east, self.north)[index]

    @classmethod
    def parse(cls, text: str, name: str = "bbox") -> BBox:
        """From ``"W,S,E,N"`` text."""
        parts = str(text).split(",")
        if len(parts) != 4:
            raise BadParameter(f"{name}: expected W,S,E,N (four numbers), got "
                               f"{str(text)[:60]!r}", parameter=name)
        try:
            return cls(*(_number(p, name) for p in parts))
        except BadParameter as exc:
            raise BadParameter(str(exc).replace("bbox:", f"{name}:", 1),
                               parameter=name) from None

    def to_text(self) -> str:
        return ",".join(_num_text(v) for v in self)

    @property
    def width(self) -> float:
        """Span in longitude, degrees (0 < width <= 360)."""
        span = self.east - self.west
        return span if span > 0 else span + 360.0

    @property
    def crosses(self) -> bool:
        """Whether the box crosses the antimeridian (180°)."""
        return len(self.split()) == 2

    def continuous(self) -> tuple[float, float, float, float]:
        """(W, S, E, N) with E > W: a crossing box gets E + 360 (one canvas across 180°)."""
        east = self.east if self.east > self.west else self.east + 360.0
        return (self.west, self.south, east, self.north)

    def split(self) -> tuple[BBox, ...]:
        """One or two boxes in -180..180 that do not cross the antimeridian."""
        if self.width >= 360.0:
            return (BBox(-180.0, self.south, 180.0, self.north),)
        west, east = _wrap(self.west), _wrap(self.east)
        east = 180.0 if east == -180.0 else east  # an east edge on the date line
        if west < east:
            return (BBox(west, self.south, east, self.north),)
        return (BBox(west, self.south, 180.0, self.north),
                BBox(-180.0, self.south, east, self.north))

    def contains_lon(self, lon: Any) -> np.ndarray:
        """Vectorised: which longitudes (any convention) fall in the box's span."""
        import numpy as np

        lon = _wrap_array(np.asarray(lon, dtype="float64"))
        inside = np.zeros(lon.shape, bool)
        for part in self.split():
            inside |= ((lon >= part.west) & (lon <= part.east)) | (lon + 360.0 <= part.east)
        return inside

    def contains(self, lon: Any, lat: Any) -> np.ndarray:
        """Vectorised: which (lon, lat) points are in the box (edges included)."""
        import numpy as np

        lat = np.asarray(lat, dtype="float64")
        return self.contains_lon(lon) & (lat >= self.south) & (lat <= self.north)


def _wrap_array(lon: np.ndarray) -> np.ndarray:
    import numpy as np

    with np.errstate(invalid="ignore"):
        return np.where((lon >= -180.0) & (lon < 180.0), lon, ((lon + 180.0) % 360.0) - 180.0)


@dataclass(frozen=True)
class DepthRange:
    """A vertical window in the dataset's unit (metres or decibars, positive down)."""

    lower: float | None = None
    upper: float | None = None

    def __post_init__(self) -> None:
        lo, hi = (None if v is None else _number(v, "depth") for v in (self.lower, self.upper))
        if lo is not None and hi is not None and hi < lo:
            raise BadParameter(f"depth: {lo:g}/{hi:g} ends above where it starts "
                               "(give MIN/MAX)", parameter="depth")
        object.__setattr__(self, "lower", lo)
        object.__setattr__(self, "upper", hi)

    def __iter__(self) -> Iterator[float | None]:
        yield self.lower
        yield self.upper

    def __getitem__(self, index: int) -> float | None:
        return (self.lower, self.upper)[index]

    @classmethod
    def parse(cls, text: str, name: str = "depth") -> DepthRange:
        """``MIN/MAX`` (either side may be empty)."""
        lo, sep, hi = str(text).partition("/")
        if not sep or not (lo.strip() or hi.strip()):
            raise BadParameter(f"{name}: expected MIN/MAX (either side may be empty), got "
                               f"{str(text)[:40]!r}", parameter=name)
        return cls(*(_number(v, name) if v.strip() else None for v in (lo, hi)))

    def to_text(self) -> str:
        return "/".join("" if v is None else _num_text(v) for v in self)


# ------------------------------------------------------------------------------ query


def _coerce(value: Any, cls: type[TimeRange] | type[DepthRange] | type[BBox], name: str) -> Any:
    """A typed value from text, a (lo, hi) / (W, S, E, N) sequence, or the type itself."""
    if value is None or isinstance(value, cls):
        return value
    if isinstance(value, str):
        return cls.parse(value, name) if value.strip() else None
    if isinstance(value, tuple | list):
        if cls is not BBox and all(v is None or v == "" for v in value):
            return None
        return cls(*value)
    raise BadParameter(f"{name}: cannot use {value!r}", parameter=name)


def _choice(value: str, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        raise BadParameter(f"{name}: {str(value)[:40]!r} is not one of {', '.join(allowed)}",
                           parameter=name)
    return value


@dataclass(frozen=True)
class Query:
    """What a user asks to see; hashable, part of every cache key.

    ``variable`` may name several variables separated by commas. Tuples and texts given
    for ``time``, ``depth`` and ``bbox`` become :class:`TimeRange`, :class:`DepthRange`
    and :class:`BBox`. :attr:`selection` is the part that picks data (for data caches).
    """

    variable: str | None = None
    time: TimeRange | None = None
    #: the time step a grid draws (the nearest one); None: the latest valid step
    at: pd.Timestamp | None = None
    depth: DepthRange | None = None
    bbox: BBox | None = None
    qc: str = "auto"
    dataset: str | None = None
    kind: str | None = None
    color: str = "auto"
    cmap: str = "auto"
    width: int | None = None
    height: int | None = None
    #: several datasets on one view (2 to MAX_DATASETS, de-duplicated); ``var`` may then
    #: name one variable per dataset as ``ID:VAR,ID:VAR``
    datasets: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "datasets", dataset_ids(self.datasets))
        set_(self, "time", _coerce(self.time, TimeRange, "time"))
        set_(self, "at", _timestamp(self.at, False, "at"))
        set_(self, "depth", _coerce(self.depth, DepthRange, "depth"))
        set_(self, "bbox", _coerce(self.bbox, BBox, "bbox"))
        for key in ("variable", "dataset", "kind"):
            set_(self, key, (str(getattr(self, key)).strip() or None)
                 if getattr(self, key) is not None else None)
        _choice(self.qc, QC_PRESETS, "qc")
        _choice(self.color, COLOR_BY, "color")
        if self.kind is not None:
            _choice(self.kind, QUICKLOOK_KINDS, "kind")
        set_(self, "cmap", str(self.cmap or "auto"))
        self._check_limits()

    def _check_limits(self) -> None:
        several = len(self.variables) > 1 and not self.datasets  # overlays: one per dataset
        if several or self.width is not None or self.height is not None:
            table = limits()
            if len(self.variables) > table.max_variables:
                raise BadParameter(f"var: at most {table.max_variables} variables at once",
                                   parameter="var")
            lo, hi = table.min_image_px, table.max_image_px
            for key in ("width", "height"):
                value = getattr(self, key)
                if value is not None and not lo <= value <= hi:
                    raise BadParameter(f"{key}: must be between {lo} and {hi} pixels, got "
                                       f"{value}", parameter=key)

    @property
    def variables(self) -> tuple[str, ...]:
        """The variable names asked for (none: the dataset's main variable)."""
        return tuple(v.strip() for v in (self.variable or "").split(",") if v.strip())

    def variable_for(self, dataset: str) -> str | None:
        """The variable ``var=ID:VAR,…`` names for ``dataset`` on a combined view (None:
        let the overlay choose); a plain ``var`` applies to every dataset."""
        plain = [v for v in self.variables if ":" not in v]
        for item in self.variables:
            key, sep, name = item.partition(":")
            if sep and key.strip() == dataset and name.strip():
                return name.strip()
        return plain[0] if plain else None

    @property
    def selection(self) -> Query:
        """Only what selects data (variable, time, depth, bbox, QC): the data cache key."""
        return Query(variable=self.variable, time=self.time, at=self.at, depth=self.depth,
                     bbox=self.bbox, qc=self.qc, datasets=self.datasets)

    def replace(self, **changes: Any) -> Query:
        return replace(self, **changes)

    def to_params(self) -> dict[str, str]:
        """URL/CLI parameters that :func:`parse_query` reads back to an equal Query."""
        values = {"dataset": self.dataset, "datasets": ",".join(self.datasets) or None,
                  "kind": self.kind, "var": self.variable,
                  "time": self.time.to_text() if self.time else None,
                  "at": _time_text(self.at, False) if self.at is not None else None,
                  "depth": self.depth.to_text() if self.depth else None,
                  "bbox": self.bbox.to_text() if self.bbox else None,
                  "qc": self.qc if self.qc != "auto" else None,
                  "color": self.color if self.color != "auto" else None,
                  "cmap": self.cmap if self.cmap != "auto" else None,
                  "width": None if self.width is None else str(self.width),
                  "height": None if self.height is None else str(self.height)}
        return {k: v for k, v in values.items() if v}


# ------------------------------------------------------------------------------ parsing


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


def param_value(params: Mapping[str, Any], key: str) -> str:
    """One parameter as text: the last of repeated values, ``""`` when absent."""
    value = params.get(key)
    if isinstance(value, list | tuple):
        value = value[-1] if value else None
    return _text(value).strip()


def _int(params: Mapping[str, Any], key: str) -> int | None:
    text = param_value(params, key)
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise BadParameter(f"{key}: must be an integer, got {text[:20]!r}",
                           parameter=key) from None


def _variables(params: Mapping[str, Any]) -> str | None:
    value = params.get("var")
    items = value if isinstance(value, list | tuple) else [value]
    names = [n.strip() for v in items for n in _text(v).split(",") if n.strip()]
    return ",".join(dict.fromkeys(names)) or None


def dataset_ids(value: Any) -> tuple[str, ...]:
    """The ids of a combined view from ``"ID1,ID2"`` text (or a sequence of texts):
    de-duplicated in order, at most :data:`MAX_DATASETS`. Whether they exist is the
    catalog's to say (a 404 naming them)."""
    items = value if isinstance(value, list | tuple) else [value]
    ids = [i.strip() for v in items for i in _text(v).split(",") if i.strip()]
    ids = list(dict.fromkeys(ids))
    if len(ids) > MAX_DATASETS:
        raise BadParameter(f"datasets: at most {MAX_DATASETS} datasets on one view, got "
                           f"{len(ids)}", parameter="datasets")
    return tuple(ids)


def _time(params: Mapping[str, Any]) -> TimeRange | None:
    text = param_value(params, "time")
    if text:
        return TimeRange.parse(text)
    start, end = param_value(params, "start"), param_value(params, "end")
    return TimeRange.from_strings(start, end) if start or end else None


def parse_query(params: Mapping[str, Any]) -> Query:
    """The Query of URL or CLI parameters (``var``, ``time`` or ``start``/``end``, ``depth``,
    ``bbox``, ``qc``, ``color``, ``cmap``, ``dataset``, ``datasets``, ``kind``, ``width``,
    ``height``).

    Values may be text, bytes or lists of them (tornado and Panel arguments); unknown keys
    are ignored. Raises :class:`~portal.errors.BadParameter` naming the parameter.
    """
    depth, bbox = param_value(params, "depth"), param_value(params, "bbox")
    return Query(
        variable=_variables(params), time=_time(params), at=param_value(params, "at") or None,
        depth=DepthRange.parse(depth) if depth else None,
        bbox=BBox.parse(bbox) if bbox else None,
        qc=param_value(params, "qc") or "auto", dataset=param_value(params, "dataset") or None,
        kind=param_value(params, "kind") or None, color=param_value(params, "color") or "auto",
        cmap=param_value(params, "cmap") or "auto",
        width=_int(params, "width"), height=_int(params, "height"),
        datasets=dataset_ids(params.get("datasets")))
