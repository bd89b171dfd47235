"""Which variables are measurements, which one to show first, and whether values are plausible.

Real files carry bookkeeping beside their measurements: ids, counters, CF-1.8 geometry
(``node_count``), glider ``segment_id``, instrument metadata. :func:`is_bookkeeping`
recognises them by CF role, attributes and names, so they are never a dataset's main
variable; :func:`rank` orders measured variables with the core Essential Ocean Variables
first (temperature, salinity, oxygen, chlorophyll, sea level, currents) recognised by
standard name, Argo/SeaDataNet parameter codes, ``ioos_category`` or long name — never by
alphabetical order. :func:`implausible_range` says when a variable's value range cannot
be right for its standard name or units (salinity below 0, sea temperature below -5 °C),
and :func:`time_axis_warnings` when a time axis is non-monotonic or stuck at the epoch;
both feed ``catalog validate`` and the quicklook titles.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np

from portal.vocab import NO_FLAG

# Core EOVs, in the order a quicklook should prefer them: (standard-name pattern, name pattern).
_CORE = (
    (r"sea_water_(potential_|conservative_)?temperature|sea_surface_(skin_|subskin_|"
     r"foundation_)?temperature",
     r"^(temp|sst|analysed_sst|temperature|tempr?\d*|tempst\d*|temppr\d*|te\d\d|sea_water_temp)"),
    (r"sea_water_(practical_|absolute_)?salinity|sea_surface_salinity",
     r"^(psal|sal|salinity|sss|psalst\d*|psalpr\d*|sa\d\d)"),
    (r"oxygen", r"^(doxy|oxy|o2|oxygen|doxmzz\d*)"),
    (r"chlorophyll", r"^(chla|chl|cphl|chlorophyll|cphlpr\d*|fluo)"),
    (r"sea_surface_height|sea_level|sea_surface_elevation|water_surface_height",
     r"^(aslv|ssh|sla|adt|sea_level|wlev|slev)($|_)"),
    (r"sea_water_(x_|y_)?velocity|eastward_sea_water|northward_sea_water|sea_water_speed",
     r"^(ucur|vcur|u|v|hcsp|hcdt|u_current|v_current|water_u|water_v)$|current"),
)
_IOOS_CORE = {"temperature": 0, "salinity": 1, "dissolved o2": 2, "ocean color": 3,
              "sea level": 4, "currents": 5}

# Names that are never measurements (compared lower-case, whole name).
_BOOKKEEPING_NAMES = {
    "node_count", "part_node_count", "interior_ring", "segment_id", "profile_id", "trajectory",
    "trajectory_id", "station_id", "station", "cast", "cast_id", "crs", "instrument",
    "instrument_id", "platform", "platform_id", "wmo", "wmo_id", "serial_number", "sensor_id",
    "deployment", "deployment_id", "mission", "scan", "scan_count", "record", "record_number",
    "sequence", "index", "obs", "rowsize", "row_size", "n_obs", "count", "sampled_volume",
    "sample_volume", "volume_sampled", "filtered_volume",
}
_BOOKKEEPING_PATTERN = re.compile(
    r"(^|_)(id|ids|index|idx|count|counter|number|num|serial|sn|seq|segment)$|^n_|^num_|"
    r"^(instrument|sensor|platform|config)_|_(bnds|bounds)$")
# Attributes that mark bookkeeping whatever the name.
_BOOKKEEPING_ATTRS = ("cf_role", "sample_dimension", "instance_dimension", "geometry_type",
                      "node_coordinates", "flag_values", "flag_meanings", "flag_masks")

# (standard-name pattern, units pattern or None, low, high): values outside are impossible.
_PLAUSIBLE = (
    (r"sea_water_(practical_|absolute_)?salinity|sea_surface_salinity", None, 0.0, 45.0),
    (r"sea_water_(potential_|conservative_)?temperature|sea_surface_(skin_|subskin_|"
     r"foundation_)?temperature", r"^(deg_?c|degree_?c|degrees_?c|celsius|°c|c)$", -5.0, 45.0),
    (r"sea_water_(potential_|conservative_)?temperature|sea_surface_(skin_|subskin_|"
     r"foundation_)?temperature", r"^k(elvin)?$", 268.0, 318.0),
    (r"sea_water_pressure|depth", None, -20.0, 12_000.0),
    (r"mole_concentration_of_dissolved_molecular_oxygen|moles_of_oxygen", None, 0.0, 1_000.0),
    (r"chlorophyll", None, 0.0, 500.0),
    (r"sea_water_speed|sea_water_(x_|y_)?velocity|eastward_sea_water_velocity|"
     r"northward_sea_water_velocity", r"^m ?s-1$|^m/s$", -10.0, 10.0),
)


def is_bookkeeping(name: str, attrs: dict[str, Any], referenced: set[str] | None = None) -> bool:
    """True for ids, counters, geometry, bounds, flags and instrument metadata.

    ``referenced`` holds names other variables point at as bookkeeping (a geometry
    container's ``node_count``, ``part_node_count``); see :func:`referenced_bookkeeping`.
    """
    low = name.lower()
    if referenced and name in referenced:
        return True
    if any(key in attrs for key in _BOOKKEEPING_ATTRS):
        return True
    if low in _BOOKKEEPING_NAMES or _BOOKKEEPING_PATTERN.search(low):
        return bool(not attrs.get("standard_name") or "_id" in low or "count" in low)
    long_name = str(attrs.get("long_name", "")).lower()
    return bool(re.search(r"\b(identifier|serial number|segment|counter)\b", long_name)
                and not attrs.get("standard_name"))


def referenced_bookkeeping(variables: dict[str, dict[str, Any]]) -> set[str]:
    """Names named by another variable's geometry/DSG attributes (``node_count: nc``...)."""
    keys = ("node_count", "part_node_count", "interior_ring", "geometry", "bounds")
    found: set[str] = set()
    for attrs in variables.values():
        for key in keys:
            found.update(str(attrs.get(key, "")).split())
    return found


def core_rank(name: str, attrs: dict[str, Any]) -> int:
    """Position among the core EOVs (0 = temperature), times 3 plus how it was recognised
    (standard name, then variable name, then ioos_category or long name); 99 when none."""
    std = str(attrs.get("standard_name", "")).lower()
    low = name.lower()
    if std:
        for i, (std_pattern, _) in enumerate(_CORE):
            if re.search(std_pattern, std):
                return 3 * i
        return 99  # the standard name decides: air_temperature is no core EOV
    for i, (_, name_pattern) in enumerate(_CORE):
        if re.search(name_pattern, low):
            return 3 * i + 1
    ioos = str(attrs.get("ioos_category", "")).lower()
    if ioos in _IOOS_CORE:
        return 3 * _IOOS_CORE[ioos] + 2
    long_name = str(attrs.get("long_name", "")).lower()
    for i, word in enumerate(("temperature", "salinity", "oxygen", "chlorophyll", "sea level",
                              "current")):
        if word in long_name:
            return 3 * i + 2
    return 99


def rank(name: str, attrs: dict[str, Any], size: int = 2) -> tuple[int, int, int, int]:
    """Sort key: core EOV first, then variables with a standard name or units, adjusted
    values after raw ones only when the name says so, single values last."""
    described = 0 if (attrs.get("standard_name") or attrs.get("units")) else 1
    return (core_rank(name, attrs), described, int(name.upper().endswith("_ADJUSTED")),
            -int(size > 1))


def implausible_range(attrs: dict[str, Any], vmin: float, vmax: float) -> str | None:
    """Why [vmin, vmax] cannot be right for this variable, or None when it is plausible."""
    std = str(attrs.get("standard_name", "")).lower()
    units = str(attrs.get("units", "")).strip().lower().replace(" ", "_")
    if not std or not (np.isfinite(vmin) and np.isfinite(vmax)):
        return None
    for std_pattern, units_pattern, low, high in _PLAUSIBLE:
        if not re.search(std_pattern, std):
            continue
        if units_pattern is not None and not re.search(units_pattern, units):
            continue
        if vmin < low or vmax > high:
            unit_text = f" {attrs.get('units')}" if attrs.get("units") else ""
            return (f"values {vmin:g} to {vmax:g}{unit_text} are implausible for {std} "
                    f"(expected {low:g} to {high:g}): undeclared fill value or wrong units?")
        return None
    return None


SERIES_TYPES = ("timeSeries", "trajectory")


def time_axis_warnings(times: np.ndarray, series: bool = True) -> list[str]:
    """Warnings about a decoded time axis: values at the epoch and, for a ``series``
    (a time series or trajectory, not a collection of casts), non-monotonic order."""
    t = np.asarray(times).ravel()
    if t.dtype.kind != "M" or t.size < 2:
        return []
    missing = np.isnat(t)
    if missing.any():  # (no copy of a clean axis: fresh memory is what costs here)
        t = t[~missing]
    warnings = []
    epoch = int(np.count_nonzero(t == np.datetime64("1970-01-01T00:00:00", "ns")))
    if epoch and epoch >= max(2, t.size // 100):
        warnings.append(f"{epoch:,} of {t.size:,} times equal 1970-01-01T00:00 "
                        "(time stored as 0: missing times without a fill value?)")
    back = int(np.count_nonzero(t[1:] < t[:-1]))
    if series and back and t.size > 2:
        warnings.append(f"time axis is not monotonic ({back:,} backward steps): "
                        "samples were drawn sorted by time")
    return warnings


def data_warnings(attrs: dict[str, Any], values: np.ndarray, times: np.ndarray | None = None,
                  series: bool = True) -> list[str]:
    """Range and time-axis warnings for one variable's values (fills already masked)."""
    values = np.asarray(values)
    if values.dtype.kind not in "fc":  # integers, or objects: as floats
        values = values.astype("float64")
    out = []
    with warnings.catch_warnings():  # all-NaN: no range to judge (no copy of a big grid)
        warnings.simplefilter("ignore", RuntimeWarning)
        lo, hi = (float(np.nanmin(values)), float(np.nanmax(values))) if values.size else (
            np.nan, np.nan)
    if np.isfinite(lo) and np.isfinite(hi):
        problem = implausible_range(attrs, lo, hi)
        if problem:
            out.append(problem)
    if times is not None:
        out += time_axis_warnings(times, series)
    return out


def no_data_reason(ds: Any) -> str:
    """Why a dataset (``xarray.Dataset``) offers no measured variable, in a data manager's words."""
    problems = str(ds.attrs.get("file_problems", "")).strip()
    if problems:
        return problems.replace("\n", "; ")
    empty = [str(d) for d, n in ds.sizes.items() if n == 0]
    if empty and all(0 in ds[v].shape for v in ds.data_vars if ds[v].ndim):
        return (f"the file holds no records (dimension {', '.join(map(repr, empty))} has "
                "length 0)")
    return "no measured numeric variable found"


QC_LABELS = {"good": "QC good only", "good_probably": "QC good and probably good",
             "all": "all data (no QC filter)"}


def qc_label(preset: str) -> str:
    """The preset in force in words; ``auto`` on a point store keeps every class (see
    :func:`portal.pointstore.query.make_spec`), so it reads as ``all``."""
    return QC_LABELS.get(preset, QC_LABELS["all"])


def resolve_qc(requested: str, obs: Any, variable: str, entry_default: str = "") -> str:
    """The QC preset in force: ``auto`` is the entry's ``qc_default`` if it names a preset,
    else "good_probably" when ``variable`` has flags of a known scheme (even when every
    value is flagged bad), else "all" (also when the flags only say "not checked")."""
    if requested != "auto":
        return requested
    if entry_default in QC_LABELS:
        return entry_default
    from portal.processing.qc import accepted_flags

    flags = obs[f"{variable}_qc"] if f"{variable}_qc" in obs else None
    scheme = str(flags.attrs.get("qc_scheme", "generic")) if flags is not None else "generic"
    if flags is None or scheme == "generic":
        return "all"
    accepted = accepted_flags("good_probably", scheme) or set()
    present = set(np.unique(np.asarray(flags.values)).tolist())
    if present & accepted:
        return "good_probably"
    # values nobody has checked (flag 0, "no QC performed"): the preset would hide them all;
    # values all flagged (probably) bad stay hidden, and the refusal says so
    checked_bad = present - {NO_FLAG, 0, 9}
    return "good_probably" if checked_bad and 0 not in present else "all"


def view_warnings(data: Any, variable: str) -> list[str]:
    """Data warnings of what a quicklook draws (observations table or grid)."""
    if hasattr(data, "data_vars"):  # observations
        if variable not in data:
            return []
        times = data["time"].values if "time" in data.coords else None
        series = data.attrs.get("featureType") in SERIES_TYPES
        return data_warnings(data[variable].attrs, data[variable].values, times, series)
    return data_warnings(getattr(data, "attrs", {}), np.asarray(data))


def view_notes(data: Any) -> list[str]:
    """What a view of observations holds that the file did not measure as such: times or
    positions the portal interpolated, or that the file flags as interpolated/estimated."""
    attrs = getattr(data, "attrs", {}) if hasattr(data, "data_vars") else {}
    notes = []
    for what in ("times", "positions"):
        ours = int(attrs.get(f"{what}_interpolated", 0) or 0)
        theirs = int(attrs.get(f"{what}_estimated_by_provider", 0) or 0)
        if ours:
            notes.append(f"{ours:,} {what} interpolated")
        if theirs:
            notes.append(f"{theirs:,} {what} flagged interpolated/estimated in the file")
    return notes


def titled(title: str, qc: str | None, warnings: list[str], notes: list[str] | None = None,
           lang: str = "en") -> str:
    """``title`` with the QC preset in force (in ``lang``), ``notes`` (e.g. interpolated
    times) and a short warning marker."""
    from portal.i18n import t

    parts = [title]
    if qc in ("good", "good_probably"):
        parts.append(t(f"plot_qc_{qc}", lang))
    parts += notes or []
    if warnings:
        extra = f" (+{len(warnings) - 1} more)" if len(warnings) > 1 else ""
        parts.append(f"⚠ {warnings[0].split(':')[0]}{extra}")
    return " — ".join(parts)
