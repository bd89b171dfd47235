"""Synthetic Argo floats for the demo: real multi-profile layout, plausible T/S profiles.

Each :class:`Float` becomes a ``<WMO>_prof.nc`` file in the Argo 3.1 multi-profile
format (N_PROF x N_LEVELS, char QC flags, DATA_MODE, *_ADJUSTED, STATION_PARAMETERS,
JULD in days since 1950-01-01) whose profiles follow :func:`ts_profile`: a seasonal
mixed layer and thermocline over regional water masses (Mediterranean Outflow
Water in the Bay of Biscay, Levantine Intermediate Water in the Mediterranean).
All values are SYNTHETIC; see :mod:`portal.demo`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from portal.demo.ncwrite import (
    add_var,
    apply_flags,
    days_since_epoch,
    nc_dataset,
    qc_flags,
)


@dataclass(frozen=True)
class Float:
    """One synthetic Argo float: WMO-like id (9xxxxxx is no real WMO float), region, start."""

    wmo: str
    region: str
    platform: str
    lat: float
    lon: float
    box: tuple[float, float, float, float]  # W, S, E, N kept inside
    start: str
    seed: int


FLOATS = (
    Float("9900001", "biscay", "ARVOR", 45.6, -6.5, (-9.5, 43.9, -2.5, 47.5), "2023-01-04", 1),
    Float("9900002", "atlantic", "APEX", 48.2, -24.0, (-32.0, 44.0, -16.0, 54.0), "2023-02-10", 2),
    Float("9900003", "med", "PROVOR", 40.8, 5.2, (2.5, 38.5, 8.0, 42.3), "2023-03-15", 3),
)
_REGION_NAMES = {"biscay": "Bay of Biscay", "atlantic": "North Atlantic",
                 "med": "Western Mediterranean"}

# ----------------------------------------------------------------------- T/S climatology

# deep T, T span, sigmoid centre and width (dbar), upper-ocean slope and depth, MOW
# T anomaly, S span, MOW S anomaly, SST mean and seasonal amplitude.
_ATLANTIC = {
    "biscay": (2.8, 9.4, 1350, 220, 1.2, 800, 0.6, 0.62, 0.35, 15.9, 4.1),
    "atlantic": (3.0, 9.0, 1100, 250, 1.5, 900, 0.3, 0.55, 0.10, 14.7, 2.9),
}


def ts_profile(region: str, p: np.ndarray, doy: float, rng: np.random.Generator
               ) -> tuple[np.ndarray, np.ndarray]:
    """Plausible temperature/salinity at pressures ``p`` (dbar) for a region and day of year."""
    season = np.cos(2 * np.pi * (doy - 235) / 365.25)  # +1 late August, -1 late February
    mld = {"biscay": 170, "atlantic": 320, "med": 120}[region] * (1 - season) / 2 + 15
    mld += rng.normal(0, 8)
    if region == "med":
        t_bg = 12.95 + 0.06 * np.exp(-p / 1500) + 0.85 * np.exp(-((p - 380) / 230) ** 2)
        s_bg = 38.46 + 0.17 * np.exp(-((p - 420) / 260) ** 2) - 0.5 * np.exp(-p / 60)
        sst = 19.5 + 6.0 * season
    else:  # ENACW over Mediterranean Outflow Water (strong in Biscay) over NADW
        deep, span, p0, width, lin, p_lin, mow_t, s_span, mow_s, sst0, amp = _ATLANTIC[region]
        sig = 1 / (1 + np.exp((p - p0) / width))
        mow = np.exp(-((p - 1000) / 260) ** 2)
        t_bg = deep + span * sig - lin * np.minimum(p / p_lin, 1) * sig + mow_t * mow
        s_bg = 34.96 + s_span / (1 + np.exp((p - p0 - 50) / (width - 20))) + mow_s * mow
        sst = sst0 + amp * season
    t_mld = np.interp(mld, p, t_bg) if p.size else sst
    thermo = np.where(p <= mld, 1.0, np.exp(-(p - mld) / (25 + 35 * (1 - season))))
    temp = t_bg + (sst - t_mld) * thermo * (p > mld) + (sst - t_bg) * (p <= mld)
    sal = s_bg - 0.12 * max(season, 0) * thermo
    wave = 6 * np.sin(2 * np.pi * p / 180 + rng.uniform(0, 6.3))  # internal-wave heave
    temp = np.interp(p + wave, p, temp) + rng.normal(0, 0.01, p.size)
    sal = np.interp(p + wave, p, sal) + rng.normal(0, 0.003, p.size)
    return temp, sal


# ---------------------------------------------------------------------------------- Argo


def _argo_positions(f: Float, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    lat, lon = np.empty(n), np.empty(n)
    lat[0], lon[0] = f.lat, f.lon
    mean = {"biscay": (0.01, -0.02), "atlantic": (0.03, 0.06), "med": (-0.01, 0.02)}[f.region]
    west, south, east, north = f.box
    for i in range(1, n):
        lat[i] = lat[i - 1] + mean[0] + rng.normal(0, 0.12)
        lon[i] = lon[i - 1] + mean[1] + rng.normal(0, 0.16)
        lat[i] = min(max(lat[i], south), north) if south < lat[i] < north else lat[i - 1]
        lon[i] = min(max(lon[i], west), east) if west < lon[i] < east else lon[i - 1]
    return lat, lon


def _argo_levels(f: Float, n_prof: int, rng) -> np.ndarray:
    """Pressures (N_PROF x N_LEVELS) with fill padding where a profile is shorter."""
    base = np.r_[np.arange(5, 100, 5), np.arange(100, 500, 10), np.arange(500, 2001, 25)]
    pres = np.full((n_prof, base.size), np.nan)
    for i in range(n_prof):
        bottom = 1000 if (f.region == "med" and i % 3) or i % 7 == 6 else 2000
        levels = base[base <= bottom] + rng.normal(0, 0.4, (base <= bottom).sum())
        pres[i, : levels.size] = np.round(np.maximum(levels, 1.0), 1)
    return pres


def write_argo(path: str, f: Float) -> None:
    rng = np.random.default_rng(f.seed)
    n_prof = 73  # two years of 10-day cycles
    juld = days_since_epoch(np.datetime64(f.start)) + 10.0 * np.arange(n_prof) + rng.uniform(0.05, 0.3, n_prof)
    lat, lon = _argo_positions(f, n_prof, rng)
    pres = _argo_levels(f, n_prof, rng)
    temp, psal = np.full_like(pres, np.nan), np.full_like(pres, np.nan)
    for i in range(n_prof):
        ok = np.isfinite(pres[i])
        doy = float(juld[i] % 365.25)  # days since 1950-01-01 modulo a mean year
        temp[i, ok], psal[i, ok] = ts_profile(f.region, pres[i, ok], doy, rng)
    n_delayed = int(n_prof * 0.6)  # older cycles delayed-mode, a few adjusted, recent real-time
    modes = np.array(["D"] * n_delayed + ["A"] * 4 + ["R"] * (n_prof - n_delayed - 4))
    region = _REGION_NAMES[f.region]
    ds = nc_dataset(path, "NETCDF3_CLASSIC",
                  f"Argo float {f.wmo} ({f.platform}), {region}, multi-profile",
                  f"Argo-like multi-profile file of a fictitious {f.platform} float drifting in "
                  f"the {region}: {n_prof} cycles, PRES/TEMP/PSAL with QC flags and data modes.",
                  Conventions="Argo-3.1 CF-1.6", featureType="trajectoryProfile",
                  user_manual_version="3.1", references="http://www.argodatamgt.org/Documentation")
    with ds:
        _argo_header(ds, f, n_prof, pres.shape[1], modes)
        _argo_positions_vars(ds, juld, lat, lon, rng)
        _argo_params(ds, rng, {"PRES": pres, "TEMP": temp, "PSAL": psal}, modes)


def _argo_header(ds, f: Float, n_prof: int, n_levels: int, modes: np.ndarray) -> None:
    for name, size in (("DATE_TIME", 14), ("STRING256", 256), ("STRING64", 64), ("STRING32", 32),
                       ("STRING16", 16), ("STRING8", 8), ("STRING4", 4), ("STRING2", 2),
                       ("N_PROF", n_prof), ("N_PARAM", 3), ("N_LEVELS", n_levels), ("N_CALIB", 1)):
        ds.createDimension(name, size)
    ds.createDimension("N_HISTORY", None)
    text = {
        ("DATA_TYPE", "STRING16"): "Argo profile", ("FORMAT_VERSION", "STRING4"): "3.1",
        ("HANDBOOK_VERSION", "STRING4"): "1.2",
        ("REFERENCE_DATE_TIME", "DATE_TIME"): "19500101000000",
        ("DATE_CREATION", "DATE_TIME"): "20250101000000",
        ("DATE_UPDATE", "DATE_TIME"): "20250101000000",
    }
    for (name, dim), value in text.items():
        _chars(ds, name, (dim,), value)
    per_prof = {
        ("PLATFORM_NUMBER", "STRING8"): f.wmo, ("PROJECT_NAME", "STRING64"): "SYNTHETIC DEMO",
        ("PI_NAME", "STRING64"): "ODATIS PORTAL DEMO", ("DATA_CENTRE", "STRING2"): "IF",
        ("DATA_STATE_INDICATOR", "STRING4"): "2B", ("PLATFORM_TYPE", "STRING32"): f.platform,
        ("FLOAT_SERIAL_NO", "STRING32"): f"DEMO-{f.seed:04d}", ("WMO_INST_TYPE", "STRING4"): "844",
        ("FIRMWARE_VERSION", "STRING32"): "demo-1.0", ("POSITIONING_SYSTEM", "STRING8"): "GPS",
        ("VERTICAL_SAMPLING_SCHEME", "STRING256"): "Primary sampling: averaged [synthetic]",
    }
    for (name, dim), value in per_prof.items():
        _chars(ds, name, ("N_PROF", dim), [value] * n_prof)
    params = [["PRES", "TEMP", "PSAL"]] * n_prof
    var = add_var(ds, "STATION_PARAMETERS", "S1", ("N_PROF", "N_PARAM", "STRING16"), b" ",
               long_name="List of available parameters for the station",
               conventions="Argo reference table 3")
    var[:] = _to_chars(np.array(params, dtype="S16"), 16)
    add_var(ds, "CYCLE_NUMBER", "i4", ("N_PROF",), np.int32(99999),
         long_name="Float cycle number", conventions="0...N, 0 : launch cycle (if exists), "
         "1 : first complete cycle")[:] = np.arange(1, n_prof + 1)
    _chars(ds, "DIRECTION", ("N_PROF",), "A" * n_prof)
    _chars(ds, "DATA_MODE", ("N_PROF",), "".join(modes),
           long_name="Delayed mode or real time data",
           conventions="R : real time; D : delayed mode; A : real time with adjustment")
    add_var(ds, "CONFIG_MISSION_NUMBER", "i4", ("N_PROF",), np.int32(99999),
         long_name="Unique number denoting the missions performed by the float")[:] = 1


def _argo_positions_vars(ds, juld, lat, lon, rng) -> None:
    n = juld.size
    time_attrs = {"standard_name": "time", "units": "days since 1950-01-01 00:00:00 UTC",
                  "conventions": "Relative julian days with decimal part (as parts of day)",
                  "resolution": 0.0}
    add_var(ds, "JULD", "f8", ("N_PROF",), 999999.0, axis="T", long_name="Julian day (UTC) of the "
         "station relative to REFERENCE_DATE_TIME", **time_attrs)[:] = juld
    _chars(ds, "JULD_QC", ("N_PROF",), "1" * n, conventions="Argo reference table 2")
    add_var(ds, "JULD_LOCATION", "f8", ("N_PROF",), 999999.0,
         long_name="Julian day (UTC) of the location relative to REFERENCE_DATE_TIME",
         **time_attrs)[:] = juld + rng.uniform(0.005, 0.03, n)
    add_var(ds, "LATITUDE", "f8", ("N_PROF",), 99999.0, long_name="Latitude of the station, best "
         "estimate", standard_name="latitude", units="degree_north", valid_min=-90.0,
         valid_max=90.0, axis="Y")[:] = np.round(lat, 4)
    add_var(ds, "LONGITUDE", "f8", ("N_PROF",), 99999.0, long_name="Longitude of the station, best "
         "estimate", standard_name="longitude", units="degree_east", valid_min=-180.0,
         valid_max=180.0, axis="X")[:] = np.round(lon, 4)
    qc = np.where(rng.random(n) < 0.03, "2", "1")
    _chars(ds, "POSITION_QC", ("N_PROF",), "".join(qc), conventions="Argo reference table 2")


_ARGO_PARAMS = {
    "PRES": dict(long_name="Sea water pressure, equals 0 at sea-level",
                 standard_name="sea_water_pressure", units="decibar", valid_min=0.0,
                 valid_max=12000.0, axis="Z", C_format="%7.1f", resolution=0.1),
    "TEMP": dict(long_name="Sea temperature in-situ ITS-90 scale",
                 standard_name="sea_water_temperature", units="degree_Celsius", valid_min=-2.5,
                 valid_max=40.0, C_format="%9.3f", resolution=0.001),
    "PSAL": dict(long_name="Practical salinity", standard_name="sea_water_salinity", units="psu",
                 valid_min=2.0, valid_max=41.0, C_format="%9.3f", resolution=0.001),
}
_ARGO_SPIKE = {"PRES": 0.0, "TEMP": 3.0, "PSAL": 0.6}
_ARGO_ERROR = {"PRES": 2.4, "TEMP": 0.002, "PSAL": 0.01}
_ARGO_OFFSET = {"PRES": -0.1, "TEMP": 0.0, "PSAL": -0.008}


def _argo_params(ds, rng, values: dict[str, np.ndarray], modes: np.ndarray) -> None:
    dims = ("N_PROF", "N_LEVELS")
    adjusted_rows = np.isin(modes, ["A", "D"])[:, None]
    for name, raw in values.items():
        attrs = {k: v for k, v in _ARGO_PARAMS[name].items() if k != "axis"}
        valid = np.isfinite(raw)
        flags = qc_flags(rng, raw.shape, good=0.995 if name == "PRES" else 0.955)
        data = apply_flags(rng, raw, flags, _ARGO_SPIKE[name]) if name != "PRES" else raw
        qc_chars = np.where(valid, flags.astype("U1"), " ")
        add_var(ds, name, "f4", dims, np.float32(99999.0), **_ARGO_PARAMS[name])[:] = _masked(data)
        _chars(ds, f"{name}_QC", dims, qc_chars, conventions="Argo reference table 2")
        adj = np.where(adjusted_rows & valid, data + _ARGO_OFFSET[name], np.nan)
        adj_qc = np.where(adjusted_rows & valid, qc_chars, " ")
        add_var(ds, f"{name}_ADJUSTED", "f4", dims, np.float32(99999.0), **attrs)[:] = _masked(adj)
        _chars(ds, f"{name}_ADJUSTED_QC", dims, adj_qc, conventions="Argo reference table 2")
        err = np.where(np.isfinite(adj), _ARGO_ERROR[name], np.nan)
        add_var(ds, f"{name}_ADJUSTED_ERROR", "f4", dims, np.float32(99999.0),
             long_name="Contains the error on the adjusted values as determined by the delayed "
             "mode QC process", units=attrs["units"])[:] = _masked(err)
        share = np.where(valid, np.isin(flags, [1, 2]), True).mean(axis=1)
        grade = np.select([share >= 1, share >= 0.75, share >= 0.5, share >= 0.25, share > 0],
                          ["A", "B", "C", "D", "E"], "F")
        _chars(ds, f"PROFILE_{name}_QC", ("N_PROF",), "".join(grade),
               long_name=f"Global quality flag of {name} profile",
               conventions="Argo reference table 2a")


def _masked(values: np.ndarray):
    return np.ma.masked_invalid(values.astype("float32"))


def _to_chars(arr: np.ndarray, width: int) -> np.ndarray:
    import netCDF4

    return netCDF4.stringtochar(arr.astype(f"S{width}"))


def _chars(ds, name: str, dims: tuple, value, **attrs) -> None:
    """A char (S1) variable: strings padded along a STRINGn/DATE_TIME last dimension, or
    one character per element (DATA_MODE, *_QC) otherwise."""
    var = add_var(ds, name, "S1", dims, b" ", **attrs)
    if dims[-1].startswith(("STRING", "DATE_TIME")):
        var[:] = _to_chars(np.asarray(value), ds.dimensions[dims[-1]].size)
    else:
        var[:] = np.asarray(list(value) if isinstance(value, str) else value).astype("S1")
