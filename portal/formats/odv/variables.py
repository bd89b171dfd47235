"""CF variables of an ODV table: station variables, measured variables and their flags.

Station variables (dimension ``station``): ``cruise``, ``station_name``, ``time`` (or
``station_time`` when samples carry their own time), ``latitude``, ``longitude`` and
``bot_depth``, from ISO or ODV ``mon/day/yr`` + ``hh:mm`` date columns. Sample variables
(dimension ``obs``): the vertical coordinate named ``depth`` or ``pressure`` with CF axis
attributes, a per-sample ``time`` for time series, and every numeric data column as
float64 with its label as ``long_name``, its units, and its SeaDataNet P01/P06 URNs and
CF standard name (:mod:`portal.vocab`). A ``QV:<scheme>`` column becomes an int8
``<name>_qc`` variable on the portal's scale, with ``flag_values``/``flag_meanings`` and a
``qc_scheme`` attribute, listed in the measured variable's ``ancillary_variables``.
"""

from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd
import xarray as xr

from portal.formats.odv.header import Column, Header, find, is_latitude, is_longitude
from portal.formats.odv.layout import (
    DBAR_UNITS,
    METRE_UNITS,
    datetimes,
    iso_time_column,
    sample_time_column,
    to_float,
    vertical,
    vertical_candidates,
)
from portal.vocab import LETTERS, NO_FLAG, ODV_FLAG_SCHEMES, flag_attributes, p01_standard_name

log = logging.getLogger(__name__)

_RESERVED = {
    "rowsize", "station", "obs", "time", "station_time", "latitude", "longitude", "cruise",
    "station_name", "bot_depth", "depth", "pressure",
}
_FLAG_CODES = {str(i): i for i in range(10)} | LETTERS
_DATE_FORMATS = {"mon/day/yr": "%m/%d/%Y", "mm/dd/yyyy": "%m/%d/%Y", "day/mon/yr": "%d/%m/%Y",
                 "dd/mm/yyyy": "%d/%m/%Y"}


def station_time(first: pd.DataFrame, meta: list[Column]) -> np.ndarray | None:
    """Station times from an ISO column, or from ODV's ``mon/day/yr`` + ``hh:mm`` columns."""
    iso = iso_time_column(meta)
    if iso is not None:
        return datetimes(first[iso.pos])
    date = find(meta, lambda c: c.name.lower() in _DATE_FORMATS)
    if date is None:
        return None
    clock = find(meta, lambda c: c.name.lower().startswith("hh:mm"))
    text = first[date.pos].fillna("")
    fmt = _DATE_FORMATS[date.name.lower()]
    if clock is not None:
        text, fmt = text + " " + first[clock.pos].fillna("00:00").str.slice(0, 5), fmt + " %H:%M"
    parsed = pd.to_datetime(text.str.strip(), format=fmt, errors="coerce")
    return np.asarray(parsed.to_numpy(dtype="datetime64[ns]"))


def _station_labels(first: pd.DataFrame, meta: list[Column]) -> dict[str, xr.Variable]:
    """cruise and station_name (Station, else Site) as strings, "" where absent."""
    out: dict[str, xr.Variable] = {}
    for key, names in (("cruise", ("cruise",)), ("station_name", ("station", "site"))):
        col = next((c for n in names for c in meta if c.name.lower() == n), None)
        values = first[col.pos].fillna("") if col is not None else pd.Series([""] * len(first))
        out[key] = xr.Variable("station", values.to_numpy(dtype=str), {"long_name": key})
    return out


def station_variables(first: pd.DataFrame, meta: list[Column], header: Header,
                      sample_time: bool, fname: str) -> dict[str, xr.Variable]:
    """cruise, station_name, time (or station_time), latitude, longitude, bot_depth."""
    out = _station_labels(first, meta)
    times = station_time(first, meta)
    if times is None:
        log.warning("%s: no station date/time column; station times are missing", fname)
        times = np.full(len(first), np.datetime64("NaT"), dtype="datetime64[ns]")
    if sample_time:
        out["station_time"] = xr.Variable("station", times, {"long_name": "station time"})
    else:
        out["time"] = xr.Variable("station", times,
                                  {"standard_name": "time", "long_name": "time", "axis": "T"})
    for key, test, units in (("latitude", is_latitude, "degrees_north"),
                             ("longitude", is_longitude, "degrees_east")):
        col = find(meta, test)
        assert col is not None  # parse_header refuses headers without them
        values, _, bad = to_float(first[col.pos], header.missing)
        if bad:
            log.warning("%s: %d unreadable %s values", fname, bad, key)
        out[key] = xr.Variable("station", values, {"standard_name": key, "units": units,
                                                   "long_name": key.capitalize()})
    bot = find(meta, lambda c: c.name.lower().startswith(("bot. depth", "bot depth",
                                                          "bottom depth")))
    if bot is not None:
        out["bot_depth"] = xr.Variable("station", to_float(first[bot.pos], header.missing)[0], {
            "long_name": "bottom depth", "units": bot.units or "m",
            "standard_name": "sea_floor_depth_below_sea_surface"})
    return out


def obs_variables(table: pd.DataFrame, header: Header, cols: list[Column],
                  fname: str) -> dict[str, xr.Variable]:
    """Vertical coordinate, per-sample time and measured variables with their flags; the
    other depth/pressure columns go last, so that they are never the default variable."""
    found, when = vertical_candidates(cols, header), sample_time_column(cols, header)
    chosen_kind = vertical(found)
    chosen = chosen_kind[0] if chosen_kind else None
    spare = {c.pos for group in found.values() for c in group if c is not chosen}
    flags = {c.pos - 1: c for c in cols if c.qc is not None and not c.sample_qc}
    used = set(_RESERVED)
    out: dict[str, xr.Variable] = {}
    late: dict[str, xr.Variable] = {}
    for col in (c for c in cols if c.qc is None and c.label):
        target = late if col.pos in spare else out
        if when is not None and col.pos == when.pos:
            name = "time"
            target[name] = xr.Variable("obs", datetimes(table[col.pos]), {
                "standard_name": "time", "long_name": col.name, "axis": "T"})
        else:
            name = chosen_kind[1] if chosen_kind and col is chosen else _unique(col, used)
            measured = _measured(table[col.pos], col, header, name, fname)
            if measured is None:
                continue
            target[name] = measured
        if col.pos in flags:
            target[f"{name}_qc"] = _flag_variable(table[col.pos + 1], flags[col.pos], fname)
            target[name].attrs["ancillary_variables"] = f"{name}_qc"
    return {**out, **late}


def _measured(values: pd.Series, col: Column, header: Header, name: str,
              fname: str) -> xr.Variable | None:
    """A float64 data variable with CF/SeaDataNet attributes, or None for text/empty columns."""
    num, filled, bad = to_float(values, header.missing)
    if filled and bad > 0.1 * filled:
        log.warning("%s: column %r holds text, skipped", fname, col.label)
        return None
    if not filled and name not in ("depth", "pressure"):
        log.debug("%s: column %r is empty, skipped", fname, col.label)
        return None
    attrs = {"long_name": col.name, "units": col.units}
    code, unit = header.p01_of(col)
    if code:
        attrs["sdn_parameter_urn"] = f"SDN:P01::{code}"
        if p01_standard_name(code):
            attrs["standard_name"] = p01_standard_name(code)
    if unit:
        attrs["sdn_uom_urn"] = f"SDN:P06::{unit}"
    if name == "depth":
        attrs.update(standard_name="depth", positive="down", axis="Z")
        attrs["units"] = "m" if col.units.lower() in METRE_UNITS else col.units
    elif name == "pressure":
        attrs.update(standard_name="sea_water_pressure", positive="down", axis="Z")
        attrs["units"] = "dbar" if col.units.lower() in DBAR_UNITS else col.units
    return xr.Variable("obs", num, attrs)


def _unique(col: Column, used: set[str]) -> str:
    """A NetCDF-safe name from the label (letters, digits, underscore), unique ignoring case."""
    text = col.name.replace("\u00b5", "u").replace("\u03bc", "u")
    base = re.sub(r"[^0-9A-Za-z_]+", "_", text).strip("_") or "variable"
    if base[0].isdigit():
        base = f"v_{base}"
    name, n = base, 2
    while name.lower() in used:
        name, n = f"{base}_{n}", n + 1
    used.add(name.lower())
    return name


def _flag_variable(values: pd.Series, col: Column, fname: str) -> xr.Variable:
    """int8 flags (-1 = none) on the portal's scale, with ``qc_scheme`` and flag attributes."""
    category = values.str.upper().astype("category").cat
    lut = [_FLAG_CODES.get(str(c), NO_FLAG) for c in category.categories] + [NO_FLAG]
    codes = np.array(lut, dtype="int8")[category.codes.to_numpy()]  # code -1 (blank) -> last
    source = col.qc or "ODV"
    if source not in ODV_FLAG_SCHEMES:
        log.warning("%s: unknown flag scheme %r, flags kept as generic", fname, col.label)
    scheme, translation = ODV_FLAG_SCHEMES.get(source, ("generic", None))
    attrs: dict[str, object] = {
        "long_name": {"seadatanet": "SeaDataNet quality flag", "argo": "Argo quality flag",
                      "qartod": "IOOS QARTOD quality flag"}.get(scheme, "quality flag"),
        "qc_scheme": scheme, "odv_flag_scheme": col.label}
    if translation is not None:
        table = np.full(len(LETTERS) + 10, NO_FLAG, dtype="int8")
        for raw, mapped in translation.items():
            table[raw] = mapped
        codes = np.where(codes >= 0, table[np.clip(codes, 0, table.size - 1)], NO_FLAG)
        pairs = ", ".join(f"{raw}->{mapped}" for raw, mapped in translation.items())
        attrs["comment"] = f"{source} flags translated to the generic scale ({pairs})"
    values_, meanings = flag_attributes(scheme)
    attrs["flag_values"] = np.array(values_, dtype="int8")
    attrs["flag_meanings"] = meanings
    return xr.Variable("obs", codes.astype("int8"), attrs)
