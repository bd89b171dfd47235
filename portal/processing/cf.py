"""CF discovery: which variable is time, latitude, longitude, the vertical axis, QC.

Files in the wild name their axes ``TIME``/``time``/``JULD``, ``LATITUDE``/``lat``,
``PRES``/``depth``/``z``/``altitude``, with or without ``standard_name`` and
``axis``. These helpers find them by attributes first, then by common names, and
classify a dataset's featureType from its attributes and structure.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable

import xarray as xr

from portal.vocab import QC_SUFFIXES

_NAMES = {
    "time": ("time", "juld", "date_time", "t"),
    "latitude": ("latitude", "lat", "lat_dd", "y_lat"),
    "longitude": ("longitude", "lon", "long", "lon_dd", "x_lon"),
    "z": ("pres_adjusted", "pres", "pressure", "depth", "z", "altitude", "deph", "lev", "level",
          "depth_below_sea_level"),
}
_STANDARD = {
    "time": ("time",),
    "latitude": ("latitude", "grid_latitude"),
    "longitude": ("longitude", "grid_longitude"),
    "z": ("sea_water_pressure", "depth", "altitude", "height", "sea_water_pressure_due_to_sea_water",
          "depth_below_geoid"),
}
_AXIS = {"time": "T", "latitude": "Y", "longitude": "X", "z": "Z"}
_UNITS = {"latitude": ("degrees_north", "degree_north", "degrees_n"),
          "longitude": ("degrees_east", "degree_east", "degrees_e")}

_FEATURE_ALIASES = {
    "grid": "grid", "point": "point", "profile": "profile", "timeseries": "timeSeries",
    "time-series": "timeSeries", "station": "timeSeries", "trajectory": "trajectory",
    "timeseriesprofile": "timeSeriesProfile", "trajectoryprofile": "trajectoryProfile",
    "swath": "grid",
}


def normalize_feature_type(text: str | None) -> str | None:
    """Map the spellings seen in files (``Time-series``, ``Station``, ``Profile``) to CF names."""
    if not text:
        return None
    key = re.sub(r"[\s_]", "", str(text)).lower()
    return _FEATURE_ALIASES.get(key)


def _candidates(ds: xr.Dataset) -> list[str]:
    return [str(n) for n in ds.variables]


def find_axis(ds: xr.Dataset, axis: str, dims: Iterable[Hashable] | None = None) -> str | None:
    """Name of the variable playing ``axis`` (time, latitude, longitude, z), or None.

    With ``dims``, only variables whose dimensions are a subset of ``dims`` count
    (so the time of a 10-min series is not taken for an hourly one).
    """
    variables = ds.variables  # xr.Variable: ds[name] would build a DataArray each time
    names = _candidates(ds)
    if dims is not None:
        names = [n for n in names if set(variables[n].dims) <= set(dims)]
    names = [n for n in names if variables[n].dtype.kind in "iufM" and not _is_qc_name(n)]

    def score(name: str) -> float:
        var = variables[name]
        std = str(var.attrs.get("standard_name", "")).lower()
        low = name.lower()
        units = str(var.attrs.get("units", "")).lower()
        declared = str(var.attrs.get("axis", "")).upper() == _AXIS[axis]
        if std in _STANDARD[axis]:
            return 5.5 if declared else 5
        if str(var.attrs.get("axis", "")).upper() == _AXIS[axis] and axis != "z":
            return 4
        if axis in _UNITS and units in _UNITS[axis]:
            return 4
        if low in _NAMES[axis]:
            return 3 + (len(_NAMES[axis]) - _NAMES[axis].index(low)) / 100
        if axis == "z" and str(var.attrs.get("axis", "")).upper() == "Z":
            return 2
        if axis == "time" and var.dtype.kind == "M" and not low.startswith(("date_", "juld_")):
            return 1
        return 0

    ranked = sorted(((score(n), n) for n in names), key=lambda x: (-x[0], -variables[x[1]].size))
    ranked = [r for r in ranked if r[0] > 0]
    return ranked[0][1] if ranked else None


_NOT_DATA = {
    "crs", "instrument", "platform", "cycle_number", "config_mission_number", "platform_number",
    "wod_unique_cast", "access_no", "biology_accno", "date", "gmt_time", "mesh_size",
    "net_mouth_area", "gmt_sample_start_time", "wodf", "wodfp", "wodfd", "juld_location",
    "profile_id", "bot_depth", "bot. depth", "seafloor_depth", "sampling_interval", "id",
    "cycle_number_adjusted", "cycle_number_index", "cycle_number_index_adjusted",
    "cycle_number_acc",
}


_QC_ENDINGS = tuple(sorted({s.lower() for s in QC_SUFFIXES})) + ("_dm",)  # + Argo's data mode


def _is_qc_name(name: str) -> bool:
    return name.lower().endswith(_QC_ENDINGS)


def qc_name_for(ds: xr.Dataset, name: str) -> str | None:
    """The QC (flag) variable of ``name``: ancillary_variables first, then naming conventions."""
    for suffix in QC_SUFFIXES:
        cand = f"{name}{suffix}"
        if cand in ds.variables:
            return cand
    anc = str(ds.variables[name].attrs.get("ancillary_variables", "")).split()
    for cand in anc:
        if cand in ds.variables and ("qc" in cand.lower() or "flag" in cand.lower()):
            return cand
    return None


def is_data_variable(ds: xr.Dataset, name: str, referenced: set[str] | None = None) -> bool:
    """True for numeric measured variables (not axes, QC, counters or string ids).

    ``referenced`` is :func:`portal.processing.variables.referenced_bookkeeping` of
    ``ds``, passed when the caller checks many variables (computed here otherwise).
    """
    var = ds.variables[name]
    low = name.lower()
    if var.dtype.kind not in "iuf" or var.ndim == 0:
        return False
    if _is_qc_name(name) or "flag" in low or low.endswith(("_error", "_row_size", "rowsize", "_sigfig", "_sigfigs",
                                          "_status", "_dpres", "_adjusted_error")):
        return False
    if "sample_dimension" in var.attrs or "instance_dimension" in var.attrs:
        return False
    if var.attrs.get("cf_role") or low in _NOT_DATA or low.startswith(("sdn_", "history_")):
        return False
    if "flag_values" in var.attrs or "flag_meanings" in var.attrs:
        return False
    from portal.processing.variables import is_bookkeeping, referenced_bookkeeping

    if referenced is None:
        referenced = referenced_bookkeeping({str(n): v.attrs for n, v in ds.variables.items()})
    return not is_bookkeeping(name, var.attrs, referenced)


def classify(ds: xr.Dataset) -> str:
    """featureType of a dataset: attributes first, Argo formats, then structure."""
    data_type = str(ds.attrs.get("data_type", "")) or _char_text(ds, "DATA_TYPE")
    if data_type:
        low = data_type.lower()
        if "meta" in low:
            return "metadata"
        if "trajectory" in low:
            return "trajectory"
        if "profile" in low:
            return "profile"
    for attr in ("featureType", "cdm_data_type"):
        ft = normalize_feature_type(ds.attrs.get(attr))
        if ft:
            return _refine(ds, ft)
    if is_grid(ds):
        return "grid"
    for var in ds.variables.values():
        role = str(var.attrs.get("cf_role", ""))
        if role:
            return {"profile_id": "profile", "timeseries_id": "timeSeries",
                    "trajectory_id": "trajectory"}.get(role, "point")
    return _fixed_station(ds) or "point"


def _fixed_station(ds: xr.Dataset) -> str | None:
    """A fixed position with a time axis (IMOS-like moorings with an ``instrument``
    dimension): timeSeries, or timeSeriesProfile when its sensors sit at several depths."""
    lat, lon, time = (find_axis(ds, a) for a in ("latitude", "longitude", "time"))
    if lat is None or lon is None or time is None or ds.variables[time].size < 2:
        return None
    if ds.variables[lat].size != 1 or ds.variables[lon].size != 1:
        return None
    z = find_axis(ds, "z")
    return "timeSeriesProfile" if z is not None and ds.variables[z].size > 1 else "timeSeries"


def _refine(ds: xr.Dataset, ft: str) -> str:
    """Correct featureTypes that the structure contradicts (drifting 'time series')."""
    if ft == "timeSeries":
        lat, time = find_axis(ds, "latitude"), find_axis(ds, "time")
        # positions along time (shared dimension, or OceanSITES' LATITUDE(LATITUDE) as long
        # as TIME) drift; one position per station of a collection does not
        moving = lat is not None and time is not None and (
            bool(set(ds.variables[lat].dims) & set(ds.variables[time].dims))
            or ds.variables[lat].size == ds.variables[time].size)
        if lat is not None and ds.variables[lat].size > 1 and moving:
            values = ds.variables[lat].values
            try:
                import numpy as np

                if np.nanmax(values) - np.nanmin(values) > 0.05:
                    return "trajectory"
            except (TypeError, ValueError):
                pass
    if ft == "timeSeriesProfile":
        z = find_axis(ds, "z")
        if z is not None and ds.variables[z].size <= 1:
            return "timeSeries"
    if ft == "grid" and not is_grid(ds):
        return "point"
    return ft


def is_grid(ds: xr.Dataset) -> bool:
    """A grid has 1-D latitude and longitude axes, both dimensions of some data variable."""
    lat, lon = find_axis(ds, "latitude"), find_axis(ds, "longitude")
    if lat is None or lon is None or ds.variables[lat].ndim != 1 or ds.variables[lon].ndim != 1:
        return False
    ylat, xlon = ds.variables[lat].dims[0], ds.variables[lon].dims[0]
    if ylat == xlon or ds.variables[lat].size < 2 or ds.variables[lon].size < 2:
        return False
    return any(ylat in ds.variables[v].dims and xlon in ds.variables[v].dims
               for v in ds.data_vars)


def _char_text(ds: xr.Dataset, name: str) -> str:
    if name not in ds.variables:
        return ""
    return char_to_str(ds.variables[name].values).strip()


def char_to_str(values) -> str:
    """Join a char array (``S1`` bytes) or bytes/str scalar into text."""
    import numpy as np

    arr = np.asarray(values)
    if arr.dtype.kind == "S":
        return b"".join(arr.ravel().tolist()).decode("latin-1", "replace").strip("\x00 ")
    if arr.dtype.kind in "UO":
        return "".join(str(x) for x in arr.ravel()).strip()
    return ""
