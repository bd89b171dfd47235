"""TEOS-10 for the oceanographer's views: which columns are T and S, and the chain
practical salinity + in-situ temperature → absolute salinity, conservative temperature, σ₀.

The T-S diagram needs two measured variables of one observation table;
:func:`portal.processing.tsvars.find_ts` finds them (the same finder decides whether the
kind is offered) and says how to read them; their units are read by the permissive
normalisers of :mod:`portal.processing.units` (``psu``, ``p.s.u.``, ``PSS-78``,
``dimensionless``...; temperature in °C, kelvin converted). ``gsw`` (the Gibbs SeaWater
toolbox, TEOS-10) computes: ``SA_from_SP`` needs the sea pressure, longitude and latitude
of each sample (absolute salinity in g/kg is used as Sᴀ directly); ``CT_from_t`` (in-situ)
or ``CT_from_pt`` (potential temperature) gives Θ; a vertical axis in metres is turned
into pressure with ``p_from_z``. ``gsw`` is imported inside the functions: ``import portal``
stays light.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import xarray as xr

from portal.errors import UnsupportedQuicklook
from portal.processing.tsvars import TSColumns, find_ts
from portal.processing.units import quantity, temperature_unit

__all__ = ["TSColumns", "celsius", "sea_pressure", "sigma0_grid", "teos10", "ts_columns"]


def ts_columns(obs: xr.Dataset, dataset: str = "",
               names: Iterable[str] | None = None) -> TSColumns:
    """Temperature and salinity columns of ``obs`` (among ``names`` when given: the
    variables the catalog knows to hold data); UnsupportedQuicklook when one is missing
    or in units the diagram cannot read."""
    allowed = None if names is None else set(names)
    found, why = find_ts((str(n), obs[n].attrs) for n in obs.data_vars
                         if allowed is None or str(n) in allowed)
    if found is None:
        raise UnsupportedQuicklook(why, dataset=dataset,
                                   hint="choose the profile or time-series quicklook")
    return found


def celsius(values: np.ndarray, units: str, dataset: str = "") -> np.ndarray:
    """Temperatures in °C (kelvin converted); an unknown unit is refused, not guessed."""
    unit = temperature_unit(units)
    if unit == "K":
        return np.asarray(values, dtype="float64") - 273.15
    if unit == "degC":
        return np.asarray(values, dtype="float64")
    raise UnsupportedQuicklook(f"temperature in {units!r}: expected °C or K", dataset=dataset)


def sea_pressure(obs: xr.Dataset) -> np.ndarray:
    """Sea pressure in dbar of each sample: ``z`` itself when in dbar, else from depth in m
    (``gsw.p_from_z``, at each sample's latitude)."""
    import gsw  # heavy compiled ufuncs, only for the T-S and section views

    z = np.asarray(obs.z.values, dtype="float64")
    if quantity(str(obs.z.attrs.get("units", ""))) == ("vertical", "dbar"):
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
    temp, sal = obs[columns.temperature], obs[columns.salinity]
    t = celsius(temp.values, str(temp.attrs.get("units", "")), dataset)
    p = sea_pressure(obs)
    lon = np.asarray(obs.longitude.values, dtype="float64")
    lat = np.asarray(obs.latitude.values, dtype="float64")
    if columns.salinity_kind == "absolute":  # Sᴀ already: no SA_from_SP
        sa = np.asarray(sal.values, dtype="float64")
    else:
        sp = np.asarray(sal.values, dtype="float64")
        sa = np.asarray(gsw.SA_from_SP(sp, p, lon, lat))
    if columns.temperature_kind == "conservative":
        ct = t
    elif columns.temperature_kind == "potential":
        ct = np.asarray(gsw.CT_from_pt(sa, t))
    else:
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
