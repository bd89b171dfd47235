"""Apply a :class:`~portal.model.Query` to canonical observations or grids.

Pure functions: time window, depth range, bounding box (longitudes in -180..180 or
0..360 both understood, boxes crossing the antimeridian too: :class:`~portal.query.BBox`
does the geometry) and QC preset, then
only the columns a quicklook draws are computed. An empty result raises
:class:`~portal.errors.NoDataInSelection` with the selection spelled out.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from portal.errors import NoDataInSelection
from portal.processing.qc import apply_qc
from portal.query import Query


def _time_bounds(query: Query) -> tuple[np.datetime64 | None, np.datetime64 | None]:
    """Naive UTC bounds of the query's window (an end date alone already covers its day)."""
    return query.time.datetime64_bounds() if query.time else (None, None)


def describe(query: Query) -> str:
    """The selection in words, for messages."""
    parts = []
    if query.time:
        lo, hi = query.time.to_text().split("/")
        parts.append(f"time {lo or '…'} to {hi or '…'}")
    if query.depth:
        parts.append(f"depth {query.depth.to_text().replace('/', '–')}")
    if query.bbox:
        parts.append(f"bbox {query.bbox.to_text()}")
    if query.qc != "all":
        parts.append(f"QC preset {query.qc}")
    return "; ".join(parts) or "the whole dataset"


def interpolate_positions(obs: xr.Dataset) -> xr.Dataset:
    """Trajectory samples without a fix get positions interpolated in time.

    Argo trajectories, for instance, measure at depth but are located only at the
    surface; interpolated positions carry ``positions="interpolated in time"``.
    """
    if obs.attrs.get("featureType") != "trajectory" or "time" not in obs.coords:
        return obs
    lat, lon = obs.latitude.values, obs.longitude.values
    t = obs.time.values.astype("datetime64[ns]").astype("float64")
    known = np.isfinite(lat) & np.isfinite(lon) & ~np.isnat(obs.time.values)
    if known.all() or known.sum() < 2:
        return obs
    order = np.argsort(t[known])
    tk = t[known][order]
    new_lat = np.where(known, lat, np.interp(t, tk, lat[known][order], left=np.nan,
                                             right=np.nan))
    new_lon = np.where(known, lon, np.interp(t, tk, lon[known][order], left=np.nan,
                                             right=np.nan))
    new_lat, new_lon = _feature_positions(obs.feature.values, new_lat, new_lon, known)
    out = obs.assign_coords(latitude=("obs", new_lat, obs.latitude.attrs),
                            longitude=("obs", new_lon, obs.longitude.attrs))
    out.attrs["positions"] = "interpolated in time between fixes"
    return out


def _feature_positions(feature, lat, lon, known):
    """Samples still without position (no time) take their cycle's mean fix."""
    missing = ~np.isfinite(lat)
    if not missing.any():
        return lat, lon
    lat, lon = lat.copy(), lon.copy()
    for feat in np.unique(feature[missing]):
        fixes = known & (feature == feat)
        if fixes.any():
            sel = missing & (feature == feat)
            lat[sel], lon[sel] = lat[fixes].mean(), lon[fixes].mean()
    return lat, lon


def select_obs(obs: xr.Dataset, query: Query, variable: str, dataset: str = "",
               require: tuple[str, ...] = ()) -> xr.Dataset:
    """Observations of ``variable`` within ``query``, computed, NaNs dropped.

    ``require`` names coordinates that must be valid too (``time`` for a time series,
    ``z`` for a profile, ``latitude``/``longitude`` for a map).
    """
    keep = [variable, f"{variable}_qc"]
    obs = obs[[v for v in keep if v in obs]]
    if obs.attrs.get("featureType") == "trajectory" and "latitude" in obs.coords:
        obs = interpolate_positions(obs.compute())
    obs = apply_qc(obs, variable, query.qc)
    mask = obs[variable].notnull()
    for name in require:
        if name in obs.coords:
            mask = mask & obs[name].notnull()
    lo, hi = _time_bounds(query)
    if "time" in obs.coords and lo is not None:
        mask = mask & (obs.time >= lo)
    if "time" in obs.coords and hi is not None:
        mask = mask & (obs.time <= hi)
    if query.depth and "z" in obs.coords:
        zmin, zmax = query.depth
        if zmin is not None:
            mask = mask & (obs.z >= zmin)
        if zmax is not None:
            mask = mask & (obs.z <= zmax)
    if query.bbox and "latitude" in obs.coords and "longitude" in obs.coords:
        inside = query.bbox.contains(obs.longitude.values, obs.latitude.values)
        mask = mask & xr.DataArray(inside, dims=obs.longitude.dims)
    index = np.flatnonzero(np.asarray(mask.values))
    if index.size == 0:
        need = f" with a valid {' and '.join(require)}" if require else ""
        raise NoDataInSelection(f"no valid {variable} values{need} in {describe(query)}",
                                dataset=dataset, hint="widen the time/depth range or relax QC")
    return obs.isel(obs=index).compute()


def _pick_time(da: xr.DataArray, tries: int = 12) -> xr.DataArray:
    """The latest time step holding valid values."""
    n = da.sizes["time"]
    if n == 1:  # nothing to choose: do not read the field twice
        return da.isel(time=0)
    if da.size <= 50_000_000:
        finite = xr.apply_ufunc(np.isfinite, da, dask="allowed")  # what np.isfinite(da) runs
        counts = finite.sum([d for d in da.dims if d != "time"]).values
        if counts.max() > 0:
            good = np.flatnonzero(counts >= 0.5 * counts.max())
            return da.isel(time=int(good[-1]))
    for i in range(n - 1, max(n - 1 - tries, -1), -1):
        field = da.isel(time=i)
        if bool(np.isfinite(field.values).any()):
            return field
    return da.isel(time=n - 1)


def _step_at(da: xr.DataArray, at) -> xr.DataArray:
    """The time step nearest to ``at`` (a UTC Timestamp): the grid's time slider."""
    times = da.time.values
    target = np.datetime64(at.tz_convert(None).to_datetime64(), "ns")
    return da.isel(time=int(np.abs(times - target).argmin()))


def _pick_level(da: xr.DataArray, query: Query, dataset: str) -> xr.DataArray:
    """The level nearest to the depth window's top, among the levels inside the window
    (none inside: NoDataInSelection); no window: the first level."""
    if not query.depth or (query.depth.lower is None and query.depth.upper is None):
        return da.isel(z=0)
    lo, hi = query.depth
    levels = np.asarray(da.z.values, dtype="float64")
    mask = np.isfinite(levels)
    if lo is not None:
        mask &= levels >= lo
    if hi is not None:
        mask &= levels <= hi
    inside = np.flatnonzero(mask)
    if inside.size == 0:
        raise NoDataInSelection(f"no level in {describe(query)} (levels "
                                f"{np.nanmin(levels):g} to {np.nanmax(levels):g})",
                                dataset=dataset, hint="pick another depth")
    target = lo if lo is not None else hi
    return da.isel(z=int(inside[np.argmin(np.abs(levels[inside] - target))]))


def select_grid(da: xr.DataArray, query: Query, dataset: str = "") -> xr.DataArray:
    """A 2-D (latitude, longitude) field: the time/depth nearest to the query, bbox cut.

    The time step is the one nearest ``query.at`` when given (inside the time window),
    else the latest step holding valid values."""
    if "time" in da.dims:
        lo, hi = _time_bounds(query)
        if lo is not None or hi is not None:
            da = da.sel(time=slice(lo, hi)) if da.sizes["time"] > 1 else da
            if da.sizes["time"] == 0:
                raise NoDataInSelection(f"no field in {describe(query)}", dataset=dataset)
    if "z" in da.dims:
        da = _pick_level(da, query, dataset)
    if query.bbox:  # cut first: picking the time step then reads the window, not the globe
        da = da.sel(latitude=slice(query.bbox.south, query.bbox.north))
        da = da.isel(longitude=np.flatnonzero(query.bbox.contains_lon(da.longitude.values)))
    if "time" in da.dims:
        da = _step_at(da, query.at) if query.at is not None else _pick_time(da)
    da = da.compute()
    if da.size == 0 or not np.isfinite(da.values).any():
        raise NoDataInSelection(f"the field {da.name!r} has no valid value in {describe(query)}",
                                dataset=dataset, hint="pick another time, depth or area")
    return da
