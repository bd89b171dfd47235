"""Robust CF decoding of times and fill values.

Real files break xarray's defaults: calendars named ``none``, units like
``seconds since 2008-06-15 00:00:00 0:00``, Julian-calendar SeaDataNet times,
fills without ``_FillValue``. Sources open files with ``decode_times=False`` and
call :func:`decode_times` here, which decodes each time variable on its own, falls
back sensibly, and records what it did in the variable's ``decode_note`` attribute.
"""

from __future__ import annotations

import functools
import logging
import re
import warnings
from collections.abc import Hashable

import numpy as np
import xarray as xr

log = logging.getLogger(__name__)

_REAL_CALENDARS = {"standard", "gregorian", "proleptic_gregorian", "julian", "none", ""}
_UNIT_SECONDS = {
    "second": 1.0, "seconds": 1.0, "sec": 1.0, "secs": 1.0, "s": 1.0,
    "minute": 60.0, "minutes": 60.0, "min": 60.0, "mins": 60.0,
    "hour": 3600.0, "hours": 3600.0, "hr": 3600.0, "hrs": 3600.0, "h": 3600.0,
    "day": 86400.0, "days": 86400.0, "d": 86400.0,
}
_SINCE = re.compile(r"^\s*(\w+)\s+since\s+(.+?)\s*$", re.I)


def is_time_variable(var: xr.Variable) -> bool:
    units = str(var.attrs.get("units", ""))
    return bool(_SINCE.match(units)) and var.dtype.kind in "iuf"


def _parse_reference(text: str, calendar: str):
    """Return the reference date as a cftime datetime in ``calendar``.

    Accepts ``1950-01-01``, ``1900-01-01 00:00:00Z``, ``-4713-01-01T00:00:00Z`` and
    trailing time-zone tokens such as `` 0:00`` or ``+00:00`` (taken as UTC).
    """
    import cftime

    tokens = text.strip().replace("T", " ").split()
    date = re.match(r"^(-?\d{1,5})-(\d{1,2})-(\d{1,2})", tokens[0]) if tokens else None
    if not date:
        raise ValueError(f"cannot parse reference date {text!r}")
    y, mo, d = (int(g) for g in date.groups())
    h = mi = s = 0
    if len(tokens) > 1:
        clock = re.match(r"^(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?", tokens[1])
        if clock:
            h, mi = int(clock.group(1)), int(clock.group(2))
            s = int(clock.group(3) or 0)
    return cftime.datetime(y, mo, d, h, mi, s, calendar=calendar)


# Offset, in days, of the calendar's label '1970-01-01' from the real 1970-01-01 (UTC).
_EPOCH_SHIFT_DAYS = {"standard": 0.0, "proleptic_gregorian": 0.0, "julian": 13.0}


def _to_datetime64(values: np.ndarray, units: str, calendar: str,
                   in_place: bool = False) -> np.ndarray:
    """Decode numeric times into datetime64[ns] (NaT where missing); ``in_place``: on
    ``values`` itself (a float64 array the caller owns), not on a copy."""
    import cftime

    match = _SINCE.match(units)
    if not match:
        raise ValueError(f"time units {units!r} are not '<unit> since <date>'")
    unit, ref_text = match.group(1).lower(), match.group(2)
    if unit not in _UNIT_SECONDS:
        raise ValueError(f"unknown time unit {unit!r} in {units!r}")
    cal = calendar.lower().strip() or "standard"
    cal = {"none": "standard", "gregorian": "standard"}.get(cal, cal)
    ref = _parse_reference(ref_text, cal)
    values = values.astype("float64", copy=not in_place)  # decoded in place below
    if cal in _EPOCH_SHIFT_DAYS:
        # elapsed time is physical in these calendars: real instant = reference + offset
        ref_secs = cftime.date2num(ref, "seconds since 1970-01-01", calendar=cal)
        secs = np.multiply(values, _UNIT_SECONDS[unit], out=values)
        secs += ref_secs + _EPOCH_SHIFT_DAYS[cal] * 86400.0
    else:
        # model calendars (noleap, 360_day...): keep the labels, nearest real dates
        flat = np.ravel(values)
        secs = np.full(flat.shape, np.nan)
        ok = np.isfinite(flat)
        dates = cftime.num2date(flat[ok] * _UNIT_SECONDS[unit], f"seconds since {ref.isoformat()}",
                                cal, only_use_cftime_datetimes=True)
        secs[ok] = [cftime.date2num(
            cftime.datetime(d.year, d.month, min(d.day, 28) if d.month == 2 and d.day > 28 else d.day,
                            d.hour, d.minute, d.second, calendar="standard"),
            "seconds since 1970-01-01", calendar="standard") for d in np.ravel(dates)]
        secs = secs.reshape(values.shape)
    return _seconds_to_ns(np.asarray(secs, dtype="float64"))


def _seconds_to_ns(secs: np.ndarray) -> np.ndarray:
    """Seconds since 1970 as datetime64[ns] rounded to the millisecond, NaT where missing or
    out of range; in place on ``secs`` and one int64 array (a million times: 2 arrays
    instead of ~10 fresh ones, whose page faults were most of the decoding's cost)."""
    bad = ~(np.abs(secs) < 9.2e9)  # NaN too; within datetime64[ns] range otherwise
    secs[bad] = 0.0
    np.multiply(secs, 1e3, out=secs)
    np.round(secs, out=secs)
    out = secs.astype("int64")
    np.multiply(out, 1_000_000, out=out)
    out[bad] = np.iinfo("int64").min  # NaT
    return out.view("datetime64[ns]")


#: attributes that declare a fill value (``FillValue`` without underscore is seen in real L3 grids).
FILL_ATTRS = ("_FillValue", "missing_value", "FillValue", "fill_value", "_fillvalue")


def _declared_fills(attrs: dict) -> list[float]:
    fills = []
    for key in FILL_ATTRS:
        value = attrs.get(key)
        if value is None or isinstance(value, str | bytes):
            continue
        fills += [float(v) for v in np.ravel(value) if np.isfinite(float(v))]
    return fills


def _mask_limits(attrs: dict) -> tuple[list[float], float | None, float | None]:
    """(declared fills, valid minimum, valid maximum) of a variable's attributes."""
    vmin, vmax = attrs.get("valid_min"), attrs.get("valid_max")
    vrange = attrs.get("valid_range")
    if vrange is not None and np.size(vrange) == 2:
        vmin, vmax = np.ravel(vrange)
    low = float(np.ravel(vmin)[0]) if vmin is not None and _is_number(vmin) else None
    high = float(np.ravel(vmax)[0]) if vmax is not None and _is_number(vmax) else None
    return _declared_fills(attrs), low, high


def mask_fill(var: xr.DataArray) -> xr.DataArray:
    """Mask declared fills (``_FillValue``, ``missing_value``, ``FillValue``...), values
    outside valid_min/valid_max/valid_range and netCDF default fills (|x| >= 9.9e36).
    Integer variables that declare a fill become float so that fills turn into NaN. A
    variable still on disk is masked as it is read (:func:`_masked_when_read`)."""
    attrs = var.attrs
    fills = _declared_fills(attrs)
    lazy = _masked_when_read(var.variable, attrs, bool(fills))
    if lazy is not None:  # not read yet: masked when (and as far as) it is read
        return xr.DataArray(lazy, coords=var.coords, name=var.name)
    if var.dtype.kind in "iu" and fills:
        var = var.astype("float64")
    if var.dtype.kind != "f":
        return var
    if hasattr(var.data, "map_blocks"):  # dask: one task per chunk, not one per comparison
        data = var.data.map_blocks(masked_values, dtype=var.dtype, attrs=dict(attrs))
    else:  # (a window of a 10^8-cell grid: 4 tasks a chunk instead of ~45, and no chunk-
        data = masked_values(var.values, attrs)  # sized temporary per comparison)
    out = var.copy(deep=False, data=data)
    out.attrs = attrs
    return out


def _masked_when_read(var: xr.Variable, attrs: dict, fills: bool) -> xr.Variable | None:
    """``var`` masked lazily when it is still on disk (a file opened without dask): only
    the variables and rows a view reads are read and masked, and a variable read whole is
    kept in memory, masked, as xarray keeps what it reads. A thumbnail of a 10⁶-row
    mooring read 2 of its 6 series instead of all (and their fill masks). None when the
    data are in memory or dask, or where xarray lacks the lazy wrappers (then eager)."""
    try:
        from xarray.coding.variables import lazy_elemwise_func
        from xarray.core.indexing import MemoryCachedArray
    except ImportError:
        return None
    data = getattr(var, "_data", None)
    if not isinstance(data, MemoryCachedArray) or var._in_memory:
        return None
    dtype = np.dtype("float64") if var.dtype.kind in "iu" and fills else var.dtype
    if dtype.kind != "f":
        return None
    masked = lazy_elemwise_func(data.array, functools.partial(masked_values, attrs=dict(attrs)),
                                dtype)
    return xr.Variable(var.dims, MemoryCachedArray(masked), attrs, var.encoding)


def masked_values(values: np.ndarray, attrs: dict) -> np.ndarray:
    """:func:`mask_fill` on a NumPy array: the same fills and valid range become NaN.

    For the scan, which only needs values (a DataArray's ``where`` costs milliseconds
    of alignment per call on small files)."""
    values = np.asarray(values)
    fills, low, high = _mask_limits(attrs)
    if values.dtype.kind in "iu" and fills:
        values = values.astype("float64")
    if values.dtype.kind != "f":
        return values
    with np.errstate(invalid="ignore"):  # NaN is missing already: not "bad", so a chunk
        bad = np.abs(values) >= 9.9e36  # whose only gaps are NaN is kept, not copied
        for fill in fills:
            bad |= values == fill
        if low is not None:
            bad |= values < low
        if high is not None:
            bad |= values > high
    return np.where(bad, np.array(np.nan, dtype=values.dtype), values) if bad.any() else values


def _is_number(value) -> bool:
    return value is not None and np.size(value) == 1 and not isinstance(value, str | bytes) \
        and np.asarray(value).dtype.kind in "iuf"


def file_problems(ds: xr.Dataset) -> dict[str, str]:
    """Variables a file declares in a way no reader can use, each with what to fix."""
    problems = {}
    for name in ds.variables:
        var = ds[name]
        if len(set(var.dims)) != len(var.dims):
            dims = ", ".join(map(str, var.dims))
            problems[str(name)] = (
                f"variable {name!r} is declared {name}({dims}): the same dimension twice. "
                "The file's writer must give it distinct dimensions (or one, for a series)")
            continue
        for key in ("scale_factor", "add_offset"):
            value = var.encoding.get(key, var.attrs.get(key))
            if isinstance(value, str | bytes):
                text = value.decode() if isinstance(value, bytes) else value
                problems[str(name)] = (
                    f"variable {name!r} has its {key} stored as text ({text!r}) instead of a "
                    f"number: rewrite the attribute as a float (e.g. ncatted -a "
                    f"{key},{name},o,f,{text.strip() or 1} FILE)")
    return problems


def decode_times(ds: xr.Dataset, dataset: str = "") -> xr.Dataset:
    """Decode every '<unit> since <date>' variable of a dataset opened undecoded.

    A variable whose units cannot be understood is left numeric with a
    ``decode_note`` attribute (and a log line naming the dataset) instead of failing.
    """
    out = ds.copy()
    coords: dict[Hashable, xr.Variable] = {}
    data: dict[Hashable, xr.Variable] = {}
    for name in list(ds.variables):
        var = ds.variables[name]
        if not is_time_variable(var):
            continue
        units = str(var.attrs["units"])
        calendar = str(var.attrs.get("calendar", "standard"))
        fill = var.attrs.get("_FillValue", var.encoding.get("_FillValue"))
        try:
            values = np.array(var.values, dtype="float64")  # one copy, decoded in place
            if fill is not None:
                values[values == fill] = np.nan
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # cftime warns about year-zero conventions
                decoded = _to_datetime64(values, units, calendar, in_place=True)
        except Exception as exc:  # noqa: BLE001 - any decoding failure becomes a note
            log.warning("%s: time variable %s not decoded (%s); kept numeric", dataset, name, exc)
            out.variables[name].attrs["decode_note"] = f"time not decoded: {exc}"
            continue
        attrs = {k: v for k, v in var.attrs.items() if k not in ("units", "calendar", "_FillValue")}
        attrs["original_units"] = units
        if calendar.lower() not in _REAL_CALENDARS:
            attrs["decode_note"] = f"calendar {calendar!r} mapped to nearest real dates"
        (coords if name in out.coords else data)[name] = xr.Variable(var.dims, decoded, attrs)
    # one update for all time variables: each Dataset assignment re-merges every variable
    return out.assign_coords(coords).assign(data) if coords or data else out


def drop_unusable(ds: xr.Dataset, dataset: str = "") -> xr.Dataset:
    """``ds`` without the variables :func:`file_problems` finds, their problems kept in
    the ``file_problems`` attribute (one line each)."""
    problems = file_problems(ds)
    if not problems:
        return ds
    for text in problems.values():
        log.warning("%s: %s", dataset, text)
    ds = ds.drop_vars(list(problems))
    ds.attrs["file_problems"] = "\n".join(problems.values())
    return ds


def decode_dataset(ds: xr.Dataset, dataset: str = "") -> xr.Dataset:
    """Robust CF decoding of a dataset opened with ``decode_times=False``: times decoded
    (see :func:`decode_times`), fills masked in every numeric variable but dimensions (as
    it is read, for a file opened without dask: :func:`mask_fill`), and
    unusable variables (see :func:`file_problems`) dropped, their problem kept in the
    ``file_problems`` attribute (one line each) so that messages can say what is wrong."""
    ds = decode_times(drop_unusable(ds, dataset), dataset)
    for name in list(ds.variables):
        kind = ds[name].dtype.kind
        if name in ds.dims or kind not in "iuf":
            continue
        if kind == "f" or _declared_fills(ds[name].attrs):
            ds[name] = mask_fill(ds[name])
    return ds
