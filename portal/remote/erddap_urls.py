"""Typed, validated ERDDAP URL builders on top of :mod:`erddapy.core.url` (pure, no IO).

Every URL is built from a catalog entry's own server and dataset id plus typed
values: variable names must belong to the dataset's info (:class:`ERDDAPInfo`),
numbers must be finite floats (formatted by the portal), time windows and boxes are
:mod:`portal.query`'s :class:`~portal.query.TimeRange` and :class:`~portal.query.BBox`
(re-formatted as ``YYYY-MM-DDTHH:MM:SSZ`` or epoch seconds). The
query is percent-encoded part by part, so no user text can add a constraint, an
operator or a host. Invalid input raises :class:`~portal.errors.UnsupportedQuicklook`
(or ``CatalogError`` for a bad server or dataset id) before any URL exists.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from portal.errors import BadParameter, CatalogError, NoDataInSelection, UnsupportedQuicklook
from portal.query import BBox, TimeRange, parse_instant
from portal.remote.erddap_info import ERDDAPInfo

_DATASET_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-.]{0,127}$")
TABLE_RESPONSES = ("nc", "ncCF", "csv", "csvp")
GRID_RESPONSES = ("nc",)
OPERATORS = (">=", "<=", "!=", "=", ">", "<")


def check_server(server: str) -> str:
    """The normalised base URL of an ERDDAP (``https://host/erddap``); CatalogError if not."""
    parts = urlsplit(str(server).strip())
    path = parts.path.rstrip("/")
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
            or parts.fragment or "@" in parts.netloc or not path.endswith("/erddap"):
        raise CatalogError(f"{str(server)[:100]!r} is not an ERDDAP base URL",
                           hint="use the server's address ending in /erddap, "
                           "e.g. https://erddap.ifremer.fr/erddap")
    return f"{parts.scheme}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def check_dataset_id(dataset_id: str) -> str:
    """An ERDDAP datasetID (letters, digits, ``_ - .``); CatalogError otherwise."""
    if not isinstance(dataset_id, str) or not _DATASET_ID.match(dataset_id):
        raise CatalogError(f"{str(dataset_id)[:60]!r} is not an ERDDAP datasetID")
    return dataset_id


def format_number(value: float, what: str = "value") -> str:
    """A finite number as ERDDAP text (``repr`` of a float: round-trips exactly)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UnsupportedQuicklook(f"{what} is not a number") from None
    if not math.isfinite(number):
        raise UnsupportedQuicklook(f"{what} must be a finite number")
    return repr(number + 0.0)


def parse_time(value) -> datetime:
    """An aware UTC datetime from a datetime, numpy/pandas time or ISO-8601 text
    (read by :func:`portal.query.parse_instant`, the portal's one time parser)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if hasattr(value, "to_pydatetime"):
        return parse_time(value.to_pydatetime())
    if type(value).__name__ == "datetime64":
        import pandas as pd

        return parse_time(pd.Timestamp(value))
    if not isinstance(value, str):
        raise UnsupportedQuicklook("time must be an ISO-8601 date such as 2024-01-31T12:00:00Z")
    try:
        return parse_instant(value).to_pydatetime()
    except BadParameter as exc:
        raise UnsupportedQuicklook(exc.reason, hint="use an ISO-8601 date such as "
                                   "2024-01-31T12:00:00Z") from None


def as_time_range(time) -> TimeRange | None:
    """A :class:`~portal.query.TimeRange` from one or a (start, end) pair (None: all time)."""
    if time is None or isinstance(time, TimeRange):
        return time
    try:
        return TimeRange(*time)
    except BadParameter as exc:
        raise UnsupportedQuicklook(exc.reason) from None


def time_bounds(time) -> tuple[float | None, float | None]:
    """Epoch seconds of a ``Query.time``; an end date alone covers its whole day."""
    window = as_time_range(time)
    return (None, None) if window is None else window.epoch_bounds()


def as_bbox(bbox) -> BBox | None:
    """A :class:`~portal.query.BBox` from one or four numbers (None: the whole world)."""
    if bbox is None or isinstance(bbox, BBox):
        return bbox
    try:
        return BBox(*bbox)
    except (BadParameter, TypeError) as exc:
        raise UnsupportedQuicklook(f"bbox: {exc}") from None


def format_time(value) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` (UTC)."""
    return parse_time(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_variables(info: ERDDAPInfo, names: Iterable[str]) -> list[str]:
    """``names`` if all belong to the dataset (order kept, duplicates dropped)."""
    allowed = set(info.names())
    out: list[str] = []
    for name in names:
        if not isinstance(name, str) or name not in allowed:
            shown = info.data_variables()[:12] or sorted(allowed)[:12]
            raise UnsupportedQuicklook(f"variable {str(name)[:60]!r} is not in this dataset",
                                       dataset=info.dataset_id,
                                       hint=f"choose one of: {', '.join(shown)}")
        if name not in out:
            out.append(name)
    return out


def _encode(query: str) -> str:
    """Percent-encode one query part (keeping only the ``,`` list separator)."""
    return quote(query, safe=",")


def info_url(server: str, dataset_id: str) -> str:
    """``<server>/info/<datasetID>/index.json``."""
    from erddapy.core.url import get_info_url

    return get_info_url(check_server(server), check_dataset_id(dataset_id), "json")


def listing_url(server: str) -> str:
    """``<server>/info/index.json?itemsPerPage=1000000``: every dataset of the server."""
    from erddapy.core.url import get_info_url

    return get_info_url(check_server(server), None, "json")


def search_url(server: str, text: str) -> str:
    """Full-text search (``/search/advanced.json``); ``text`` is percent-encoded."""
    from erddapy.core.url import get_search_url

    if not isinstance(text, str) or not text.strip() or len(text) > 200:
        raise CatalogError("the search text must be 1 to 200 characters")
    return get_search_url(check_server(server), response="json", search_for=text.strip(),
                          protocol=None)


def version_url(server: str) -> str:
    """``<server>/version``: the cheapest page of an ERDDAP, used to probe it."""
    return f"{check_server(server)}/version"


def _lon(value: float, info: ERDDAPInfo) -> float:
    """Longitude in the dataset's convention (0..360 when its range goes past 180)."""
    name = info.role("longitude")
    var = info.get(name) if name else None
    rng = var.actual_range if var else None
    return value % 360.0 if rng and rng[1] > 180.0 else value


def table_constraints(info: ERDDAPInfo, *, time=None, bbox=None, depth=None) -> dict[str, float]:
    """Constraints ``{'time>=': epoch, 'latitude<=': 41.0, ...}`` from typed values."""
    out: dict[str, float] = {}
    names = {r: info.role(r) for r in ("time", "latitude", "longitude", "z")}
    if time is not None and names["time"]:
        for op, value in zip((">=", "<="), time_bounds(time), strict=True):
            if value is not None:
                out[names["time"] + op] = value
    box = as_bbox(bbox)
    if box is not None:
        if names["latitude"]:
            out[names["latitude"] + ">="], out[names["latitude"] + "<="] = box.south, box.north
        west, east = _lon(box.west, info), _lon(box.east, info)
        # a box across the dataset's longitude seam: no longitude constraint (filtered later)
        if names["longitude"] and west <= east and box.width < 360.0:
            out[names["longitude"] + ">="], out[names["longitude"] + "<="] = west, east
    if depth is not None and names["z"]:
        for op, value in zip((">=", "<="), depth, strict=True):
            if value is not None:
                out[names["z"] + op] = float(format_number(value, "depth"))
    return out


def tabledap_url(server: str, info: ERDDAPInfo, variables: Sequence[str], *, time=None,
                 bbox=None, depth=None, response: str = "nc") -> str:
    """A tabledap download URL subset on the server (variables, time, bbox, depth)."""
    from erddapy.core.url import get_download_url

    if response not in TABLE_RESPONSES:
        raise CatalogError(f"unsupported tabledap response {response!r}",
                           hint=f"use one of {', '.join(TABLE_RESPONSES)}")
    names = check_variables(info, variables)
    constraints: dict[str, float | datetime] = {}
    for key, value in table_constraints(info, time=time, bbox=bbox, depth=depth).items():
        # erddapy converts keys starting with 'time' from datetimes to epoch seconds itself
        constraints[key] = datetime.fromtimestamp(value, UTC) if key.startswith("time") else value
    url = get_download_url(check_server(server), dataset_id=check_dataset_id(info.dataset_id),
                           protocol="tabledap", variables=names, response=response,
                           constraints=constraints or None)
    base, _, query = url.partition("?")
    return f"{base}?{'&'.join(_encode(p) for p in query.split('&'))}"


def _axis_bounds(info: ERDDAPInfo, axis: str, role: str | None, time, bbox, depth):
    """(start, stop) for one griddap axis, clamped to its range; None = whole axis."""
    var = info.axes[axis]
    rng = var.actual_range
    lo = hi = None
    if role == "time" and time is not None:
        lo, hi = time_bounds(time)
    elif role in ("latitude", "longitude") and (box := as_bbox(bbox)) is not None:
        lo, hi = ((box.south, box.north) if role == "latitude"
                  else (_lon(box.west, info), _lon(box.east, info)))
        if role == "longitude" and lo > hi:
            lo = hi = None  # across the antimeridian: whole longitude axis
    elif role == "z" and depth is not None and rng is not None:
        lo, hi = (None if d is None else float(format_number(d, "depth")) for d in depth)
        if var.text("positive").lower() == "up" or axis.lower() == "altitude":
            lo, hi = (None if hi is None else -hi), (None if lo is None else -lo)
        # levels: ERDDAP takes the closest one, so clamp instead of refusing
        lo = rng[0] if lo is None else min(max(lo, rng[0]), rng[1])
        hi = lo if hi is None else min(max(hi, lo), rng[1])
    if rng is None or (lo is None and hi is None):
        return None
    lo = rng[0] if lo is None else lo
    hi = rng[1] if hi is None else hi
    if lo > rng[1] or hi < rng[0] or lo > hi:
        raise NoDataInSelection(f"the selection is outside the dataset's {axis} range",
                                dataset=info.dataset_id)
    return max(lo, rng[0]), min(hi, rng[1])


def _axis_text(value: float, role: str | None) -> str:
    if role == "time":
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return format_number(value)


def grid_selection(info: ERDDAPInfo, *, time=None, bbox=None, depth=None,
                   last_time: bool = False) -> dict[str, tuple[str, str] | None]:
    """Per axis, the ``(start, stop)`` texts (in stored order) or None for the whole axis."""
    roles = {info.role(r): r for r in ("time", "latitude", "longitude", "z")}
    out: dict[str, tuple[str, str] | None] = {}
    for axis, var in info.axes.items():
        role = roles.get(axis)
        if role == "time" and last_time and time is None:
            out[axis] = ("last", "last")
            continue
        bounds = _axis_bounds(info, axis, role, time, bbox, depth)
        if bounds is None:
            out[axis] = None
            continue
        lo, hi = (_axis_text(v, role) for v in bounds)
        out[axis] = (hi, lo) if (var.spacing or 1.0) < 0 else (lo, hi)
    return out


def _axis_constraint(info: ERDDAPInfo, axis: str, bounds, step: int) -> str:
    """``[(start):step:(stop)]`` in value form, or ``[0:step:last]`` without a known range."""
    var = info.axes[axis]
    rng = var.actual_range
    if bounds is None:
        if rng is None:
            return f"[0:{step}:last]"
        role = "time" if info.role("time") == axis else None
        first, last = (_axis_text(v, role) for v in rng)
        bounds = (last, first) if (var.spacing or 1.0) < 0 else (first, last)
    return f"[({bounds[0]}):{step}:({bounds[1]})]"


def griddap_url(server: str, info: ERDDAPInfo, variables: Sequence[str], *, time=None,
                bbox=None, depth=None, strides: dict[str, int] | None = None,
                last_time: bool = False) -> str:
    """A griddap ``.nc`` URL: ``var[(start):stride:(stop)]...`` over every axis, in order.

    Same form as erddapy's ``get_download_url(protocol="griddap")``, with axes
    without a known range requested by index (``[0:1:last]``).
    """
    names = [n for n in check_variables(info, variables) if n not in info.axes]
    if not names:
        raise UnsupportedQuicklook("no gridded variable selected", dataset=info.dataset_id)
    selection = grid_selection(info, time=time, bbox=bbox, depth=depth, last_time=last_time)
    parts = []
    for axis, bounds in selection.items():
        step = (strides or {}).get(axis, 1)
        if not isinstance(step, int) or step < 1:
            raise UnsupportedQuicklook("strides must be positive integers")
        parts.append(_axis_constraint(info, axis, bounds, step))
    query = ",".join(name + "".join(parts) for name in names)
    server, dataset_id = check_server(server), check_dataset_id(info.dataset_id)
    return f"{server}/griddap/{dataset_id}.nc?{_encode(query)}"
