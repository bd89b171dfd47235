"""TEOS-10 for the oceanographer's views: which columns are T and S, and the chain
practical salinity + in-situ temperature → absolute salinity, conservative temperature, σ₀.

The T-S diagram needs two measured variables of one observation table; this module finds
them (CF ``standard_name`` first, then the usual names: ``TEMP``/``PSAL``, ``temperature``/
``salinity``), checks their units (PSU/PSS-78 salinity; temperature in °C, kelvin converted),
and computes with ``gsw`` (the Gibbs SeaWater toolbox, TEOS-10): ``SA_from_SP`` needs the
sea pressure, longitude and latitude of each sample; a vertical axis in metres is turned
into pressure with ``p_from_z``. ``gsw`` is imported inside the functions: ``import portal``
stays light.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from portal.errors import UnsupportedQuicklook

_TEMP_STANDARD = ("sea_water_temperature", "sea_water_potential_temperature",
                  "sea_water_conservative_temperature")
_TEMP_NAMES = ("TEMP", "temperature", "temp", "TEMPERATURE", "T")
_SAL_STANDARD = ("sea_water_practical_salinity", "sea_water_salinity")
_SAL_NAMES = ("PSAL", "salinity", "psal", "SALINITY", "sal", "S")
_PSU_UNITS = ("", "1", "psu", "pss-78", "pss78", "pss", "0.001", "1e-3", "practical salinity",
              "practical_salinity_units", "unitless")
_KELVIN = ("k", "kelvin", "degk", "deg_k")
_CELSIUS = ("", "degree_celsius", "degrees_celsius", "degc", "deg_c", "celsius", "°c", "c",
            "degree_c", "degrees_c")


@dataclass(frozen=True)
class TSColumns:
    """The names of the temperature and salinity columns of an observation table."""

    temperature: str
    salinity: str


def _find(obs: xr.Dataset, standard: tuple[str, ...], names: tuple[str, ...]) -> str | None:
    measured = [str(n) for n in obs.data_vars if not str(n).endswith("_qc")]
    for std in standard:
        for name in measured:
            if str(obs[name].attrs.get("standard_name", "")).lower() == std:
                return name
    return next((n for n in names if n in measured), None)


def ts_columns(obs: xr.Dataset, dataset: str = "") -> TSColumns:
    """Temperature and salinity columns of ``obs``; UnsupportedQuicklook when one is missing."""
    temperature = _find(obs, _TEMP_STANDARD, _TEMP_NAMES)
    salinity = _find(obs, _SAL_STANDARD, _SAL_NAMES)
    missing = [w for w, n in (("temperature", temperature), ("salinity", salinity)) if n is None]
    if missing:
        raise UnsupportedQuicklook(
            f"a T-S diagram needs temperature and salinity; no {' or '.join(missing)} here",
            dataset=dataset, hint="choose the profile or time-series quicklook")
    assert temperature is not None and salinity is not None
    return TSColumns(temperature, salinity)


def celsius(values: np.ndarray, units: str, dataset: str = "") -> np.ndarray:
    """Temperatures in °C (kelvin converted); an unknown unit is refused, not guessed."""
    unit = units.strip().lower().replace(" ", "_")
    if unit in _KELVIN:
        return np.asarray(values, dtype="float64") - 273.15
    if unit in _CELSIUS or "celsius" in unit:
        return np.asarray(values, dtype="float64")
    raise UnsupportedQuicklook(f"temperature in {units!r}: expected °C or K", dataset=dataset)


def practical_salinity(values: np.ndarray, units: str, dataset: str = "") -> np.ndarray:
    """Practical salinity (PSS-78) values; absolute salinity (g/kg) is not accepted here."""
    unit = units.strip().lower().replace(" ", "_")
    if unit in _PSU_UNITS or "pss" in unit or "psu" in unit:
        return np.asarray(values, dtype="float64")
    raise UnsupportedQuicklook(f"salinity in {units!r}: expected practical salinity (PSU, "
                               "PSS-78)", dataset=dataset)


def sea_pressure(obs: xr.Dataset) -> np.ndarray:
    """Sea pressure in dbar of each sample: ``z`` itself when in dbar, else from depth in m
    (``gsw.p_from_z``, at each sample's latitude)."""
    import gsw  # heavy compiled ufuncs, only for the T-S and section views

    z = np.asarray(obs.z.values, dtype="float64")
    if str(obs.z.attrs.get("units", "")).lower() in ("dbar", "decibar", "decibars"):
        return z
    lat = np.asarray(obs.latitude.values, dtype="float64") if "latitude" in obs.coords else 45.0
    return np.asarray(gsw.p_from_z(-z, lat))


def teos10(obs: xr.Dataset, columns: TSColumns, dataset: str = "") -> xr.Dataset:
    """``SA`` (g/kg), ``CT`` (°C) and ``sigma0`` (kg/m³) of every sample (NaN where T, S or
    the pressure is missing), beside its ``z``, time and position (the coordinates of ``obs``)."""
    import gsw  # heavy compiled ufuncs, only for the T-S view

    for need in ("z", "latitude", "longitude"):
        if need not in obs.coords:
            raise UnsupportedQuicklook(f"absolute salinity needs {need}; this dataset has none",
                                       dataset=dataset)
    t = celsius(obs[columns.temperature].values,
                str(obs[columns.temperature].attrs.get("units", "")), dataset)
    sp = practical_salinity(obs[columns.salinity].values,
                            str(obs[columns.salinity].attrs.get("units", "")), dataset)
    p = sea_pressure(obs)
    lon = np.asarray(obs.longitude.values, dtype="float64")
    lat = np.asarray(obs.latitude.values, dtype="float64")
    sa = np.asarray(gsw.SA_from_SP(sp, p, lon, lat))
    ct = np.asarray(gsw.CT_from_t(sa, t, p))
    out = xr.Dataset({"SA": ("obs", sa, {"long_name": "Absolute salinity", "units": "g/kg"}),
                      "CT": ("obs", ct, {"long_name": "Conservative temperature",
                                         "units": "°C"}),
                      "sigma0": ("obs", np.asarray(gsw.sigma0(sa, ct)),
                                 {"long_name": "Potential density anomaly σ₀",
                                  "units": "kg/m³"})},
                     coords=obs.coords)
    return out


def sigma0_grid(sa_range: tuple[float, float], ct_range: tuple[float, float],
                n: int = 120) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(SA axis, CT axis, σ₀ on the grid) spanning the given ranges: the contours behind
    a T-S diagram."""
    import gsw  # heavy compiled ufuncs, only for the T-S view

    sa = np.linspace(*sa_range, n)
    ct = np.linspace(*ct_range, n)
    grid_sa, grid_ct = np.meshgrid(sa, ct)
    return sa, ct, np.asarray(gsw.sigma0(grid_sa, grid_ct))
