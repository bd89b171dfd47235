"""Model or satellite at the observation: a grid sampled where and when each observation was made.

:func:`colocate` takes a canonical grid (a DataArray with dims among ``time``, ``z``,
``latitude``, ``longitude``, see :func:`portal.processing.normalize.to_grid`) and canonical
observations (a Dataset along ``obs``) and returns a :class:`Colocation`: one row per
observation with its time, position, depth, observed value and the grid's value there,
by ``nearest`` (the grid cell — and time step, and level — nearest to the observation) or
``linear`` (multilinear interpolation between the surrounding cells, steps and levels, NaN
when one of them is missing) — xarray's vectorised ``sel(method="nearest")`` and
``interp``. Rules, stated in :attr:`Colocation.rules`: observations outside the grid's
axes (for ``nearest`` extended by half a cell or a step; a grid with one time step counts
±12 h) are **dropped** and counted; inside the grid but on a missing cell (land, cloud)
they are kept with a NaN grid value, excluded from N, bias and RMSE; observation
longitudes are taken into the grid's convention (0..360 or −180..180); against a grid
without depth, profiles contribute their shallowest valid observation within the surface
window (default 0–20 m or dbar), other features all their observations within it;
a grid in kelvin is
compared in °C with observations in °C; against a grid with depth, the observation's depth (pressure in dbar read as metres) is
sampled. The grid is read in chunks of observations sorted by time, each chunk only the
window of cells it needs (at most ``window_bytes``; a larger window is split in two), so a whole
float against a big grid stays bounded in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from portal.errors import BadParameter, NoDataInSelection

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

METHODS = ("nearest", "linear")
SURFACE_WINDOW = (0.0, 20.0)  # m or dbar: what a grid without depth is compared with
CHUNK_OBS = 50_000
WINDOW_BYTES = 64 << 20
ONE_STEP_HALF_WIDTH = np.timedelta64(12, "h")  # a grid with one time step stands for a day
SHORT_UNITS = {"degree_Celsius": "°C", "degrees_Celsius": "°C", "degC": "°C", "Celsius": "°C"}
KELVIN = ("K", "kelvin", "Kelvin", "degK")
COLUMNS = ("time", "latitude", "longitude", "depth", "observed", "gridded")


@dataclass(frozen=True)
class Colocation:
    """Observed and gridded values at the observations, with how they were paired."""

    table: pd.DataFrame  # COLUMNS (+ feature), rows in observation order
    method: str
    grid_variable: str
    obs_variable: str
    grid_units: str = ""
    obs_units: str = ""
    dropped: int = 0  # observations outside the grid (not in the table)
    rules: tuple[str, ...] = field(default=())

    @property
    def paired(self) -> pd.DataFrame:
        """Rows where both values are valid (those N, bias and RMSE count)."""
        return self.table[self.table.observed.notna() & self.table.gridded.notna()]

    def stats(self) -> dict[str, float]:
        """N, bias (mean of observed − gridded) and RMSE over the paired rows."""
        diff = (self.paired.observed - self.paired.gridded).to_numpy(dtype="float64")
        if diff.size == 0:
            return {"n": 0, "bias": float("nan"), "rmse": float("nan")}
        return {"n": int(diff.size), "bias": float(diff.mean()),
                "rmse": float(np.sqrt((diff**2).mean()))}

    def summary(self) -> str:
        """``N=…, bias=…, RMSE=… UNITS (method)`` for titles."""
        s = self.stats()
        units = f" {SHORT_UNITS.get(self.obs_units, self.obs_units)}" if self.obs_units else ""
        return (f"N={s['n']}, bias={s['bias']:.3g}{units}, RMSE={s['rmse']:.3g}{units} "
                f"({self.method})")


def check_method(method: str | None) -> str:
    """``nearest`` (the default) or ``linear``; BadParameter naming ``method`` otherwise."""
    method = (method or "nearest").strip()
    if method not in METHODS:
        raise BadParameter(f"method: {method[:20]!r} is not one of {', '.join(METHODS)}",
                           parameter="method")
    return method


def colocate(grid: xr.DataArray, obs: xr.Dataset, variable: str, method: str = "nearest",
             surface_window: tuple[float, float] = SURFACE_WINDOW,
             window_bytes: int = WINDOW_BYTES) -> Colocation:
    """The grid sampled at each observation of ``variable`` (see the module rules)."""
    method = check_method(method)
    rules = [f"grid sampled by {method}"]
    if "z" in grid.dims and (grid.sizes["z"] == 1 or "z" not in obs.coords):
        if grid.sizes["z"] > 1:
            rules.append(f"observations without depth: grid level {grid.z.values[0]} used")
        grid = grid.isel(z=0, drop=True)  # one level (or none to match): a surface field
    grid, rule = _in_obs_units(grid, str(obs[variable].attrs.get("units", "")))
    rules += [rule] if rule else []
    obs, rule = _vertical_choice(grid, obs, variable, surface_window)
    rules += [rule] if rule else []
    coords, lon_rule = _obs_coords(grid, obs)
    rules += [lon_rule] if lon_rule else []
    inside = _inside(grid, coords, method)
    rules.append("observations outside the grid dropped; on a missing grid cell kept with an "
                 "empty gridded value and not counted")
    picked = {k: v[inside] for k, v in coords.items()}
    gridded = _sample(grid, picked, method, window_bytes)
    table = _table(obs, variable, inside, gridded)
    return Colocation(table, method, str(grid.name), variable,
                      str(grid.attrs.get("units", "")), str(obs[variable].attrs.get("units", "")),
                      int((~inside).sum()), tuple(rules))


def _in_obs_units(grid: xr.DataArray, obs_units: str) -> tuple[xr.DataArray, str]:
    """A grid in kelvin against observations in °C: converted (stated); else unchanged."""
    units = str(grid.attrs.get("units", ""))
    if units in KELVIN and SHORT_UNITS.get(obs_units) == "°C":
        attrs = {**grid.attrs, "units": obs_units}
        return (grid - 273.15).assign_attrs(attrs).rename(grid.name), \
            f"grid converted from {units} to {obs_units} (−273.15)"
    return grid, ""


def _vertical_choice(grid: xr.DataArray, obs: xr.Dataset, variable: str,
                     window: tuple[float, float]) -> tuple[xr.Dataset, str]:
    """Observations to compare: all (grid with depth, or obs without), else those in the
    surface window — the shallowest per profile for profiles."""
    if "z" in grid.dims or "z" not in obs.coords:
        return obs, ("observation depth sampled in the grid's levels (dbar read as m)"
                     if "z" in grid.dims and "z" in obs.coords else "")
    lo, hi = window
    z = np.asarray(obs.z.values, dtype="float64")
    ok = np.isfinite(z) & (z >= lo) & (z <= hi) & np.asarray(obs[variable].notnull().values)
    rule = f"surface grid: observations within {lo:g}–{hi:g} m (or dbar)"
    if str(obs.attrs.get("featureType", "")).lower() in ("profile", "trajectoryprofile"):
        index = _shallowest(np.asarray(obs.feature.values), z, ok)
        rule = f"surface grid: the shallowest valid observation of each profile within {lo:g}–{hi:g} m (or dbar)"
    else:
        index = np.flatnonzero(ok)
    return obs.isel(obs=index), rule


def _shallowest(feature: np.ndarray, z: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Index of the smallest ``z`` per feature among the ``ok`` rows, in feature order."""
    rows = np.flatnonzero(ok)
    order = rows[np.lexsort((z[rows], feature[rows]))]
    first = np.r_[True, feature[order][1:] != feature[order][:-1]] if order.size else order
    return np.sort(order[first.astype(bool)]) if order.size else order


def _obs_coords(grid: xr.DataArray, obs: xr.Dataset) -> tuple[dict[str, np.ndarray], str]:
    """Observation coordinates named like the grid's dims, longitudes in its convention."""
    lon = np.asarray(obs.longitude.values, dtype="float64")
    glon = np.asarray(grid.longitude.values, dtype="float64")
    half = (glon[1] - glon[0]) / 2 if glon.size > 1 else 0.0
    base = float(np.nanmin(glon)) - half  # the grid's 360° starts here (0..360, -180..180...)
    lon = base + np.mod(lon - base, 360.0)
    rule = ("observation longitudes taken in the grid's 0..360°"
            if np.nanmax(glon) > 180.0 else "")
    coords = {"latitude": np.asarray(obs.latitude.values, dtype="float64"), "longitude": lon}
    if "time" in grid.dims:
        if "time" not in obs.coords:
            raise NoDataInSelection("the observations have no time to match the grid's")
        coords["time"] = np.asarray(obs.time.values).astype("datetime64[ns]")
    if "z" in grid.dims and "z" in obs.coords:
        coords["z"] = np.asarray(obs.z.values, dtype="float64")
    return coords, rule


def _inside(grid: xr.DataArray, coords: dict[str, np.ndarray], method: str) -> np.ndarray:
    """Which observations lie within the grid's axes (nearest: half a cell beyond them)."""
    n = next(iter(coords.values())).size
    inside = np.ones(n, dtype=bool)
    for dim, values in coords.items():
        axis = np.asarray(grid[dim].values)
        if dim == "time":
            axis, values = axis.astype("datetime64[ns]").astype("int64"), values.astype("int64")
            valid = values != np.iinfo("int64").min  # NaT
            margin = (ONE_STEP_HALF_WIDTH.astype("timedelta64[ns]").astype("int64")
                      if axis.size == 1 else 0)
        else:
            axis, valid = axis.astype("float64"), np.isfinite(values)
            margin = 0
        lo, hi = axis.min(), axis.max()
        if method == "nearest" and axis.size > 1:
            lo, hi = lo - (axis[1] - axis[0]) / 2, hi + (axis[-1] - axis[-2]) / 2
        with np.errstate(invalid="ignore"):
            inside &= valid & (values >= lo - margin) & (values <= hi + margin)
    return inside


def _sample(grid: xr.DataArray, coords: dict[str, np.ndarray], method: str,
            window_bytes: int) -> np.ndarray:
    """Grid values at the points, read chunk by chunk (observations sorted by time)."""
    n = coords["latitude"].size
    out = np.full(n, np.nan)
    if n == 0:
        return out
    grid = _sorted_axes(grid)
    order = np.argsort(coords["time"], kind="stable") if "time" in coords else np.arange(n)
    for start in range(0, n, CHUNK_OBS):
        _sample_chunk(grid, coords, method, order[start:start + CHUNK_OBS], out, window_bytes)
    return out


def _sorted_axes(grid: xr.DataArray) -> xr.DataArray:
    for dim in grid.dims:
        values = np.asarray(grid[dim].values)
        if values.size > 1 and not bool((values[1:] > values[:-1]).all()):
            grid = grid.sortby(dim)
    return grid


def _sample_chunk(grid: xr.DataArray, coords: dict[str, np.ndarray], method: str,
                  rows: np.ndarray, out: np.ndarray, window_bytes: int) -> None:
    """Fill ``out[rows]``: read the cells ``rows`` need, halving when that is too much."""
    import xarray as xr

    slices = {dim: _span(np.asarray(grid[dim].values), coords[dim][rows])
              for dim in coords if dim in grid.dims}
    cells = int(np.prod([s.stop - s.start for s in slices.values()]))
    other = int(np.prod([grid.sizes[d] for d in grid.dims if d not in slices]))
    if cells * other * grid.dtype.itemsize > window_bytes and rows.size > 1:
        half = rows.size // 2
        _sample_chunk(grid, coords, method, rows[:half], out, window_bytes)
        _sample_chunk(grid, coords, method, rows[half:], out, window_bytes)
        return
    window = grid.isel(slices).load()
    if "time" in window.dims and window.sizes["time"] == 1 and "time" in coords:
        window = window.isel(time=0, drop=True)  # one step: matched already by _inside
    points = {str(d): xr.DataArray(coords[str(d)][rows], dims="obs") for d in window.dims}
    if method == "nearest":
        picked = window.sel(points, method="nearest")
    else:
        picked = window.interp(points, method="linear")
    out[rows] = np.asarray(picked.values, dtype="float64")


def _span(axis: np.ndarray, values: np.ndarray) -> slice:
    """Index slice of a sorted axis covering ``values`` with one neighbour each side."""
    if axis.dtype.kind == "M":
        axis, values = axis.astype("datetime64[ns]"), values.astype("datetime64[ns]")
    lo = max(int(np.searchsorted(axis, values.min(), side="right")) - 2, 0)
    hi = min(int(np.searchsorted(axis, values.max(), side="left")) + 2, axis.size)
    return slice(lo, max(hi, lo + 1))


def _table(obs: xr.Dataset, variable: str, inside: np.ndarray,
           gridded: np.ndarray) -> pd.DataFrame:
    import pandas as pd

    n = int(inside.sum())

    def column(name: str, dtype: str) -> np.ndarray:
        if name in obs.coords or name in obs:
            return np.asarray(obs[name].values)[inside]
        return np.full(n, np.datetime64("NaT", "ns") if dtype == "M" else np.nan)

    return pd.DataFrame({
        "time": column("time", "M"), "latitude": column("latitude", "f"),
        "longitude": column("longitude", "f"), "depth": column("z", "f"),
        "observed": column(variable, "f").astype("float64"), "gridded": gridded,
        "feature": column("feature", "f")})
