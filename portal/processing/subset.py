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

#: a window of a grid smaller than this is read in the calling thread: dask's thread pool
#: costs more than it saves on a few chunks (a 13 MB window: 60 ms pooled, 20 ms not)
SYNC_BYTES = 64 << 20


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


def _bracketed_interp(index: np.ndarray, values: np.ndarray, missing: np.ndarray,
                      group: np.ndarray) -> np.ndarray:
    """``values`` with missing entries linearly interpolated along ``index`` between the
    nearest known neighbours of the same ``group``, where those are in increasing order;
    entries without such a bracket stay NaN."""
    out = values.copy()
    for g in np.unique(group[missing]):
        known = np.flatnonzero((group == g) & ~missing)
        if known.size < 2:
            continue
        todo = np.flatnonzero((group == g) & missing)
        pos = np.searchsorted(known, todo)
        inside = (pos > 0) & (pos < known.size)
        todo, pos = todo[inside], pos[inside]
        before, after = known[pos - 1], known[pos]
        ordered = values[before] <= values[after]
        todo, before, after = todo[ordered], before[ordered], after[ordered]
        frac = (index[todo] - index[before]) / (index[after] - index[before])
        out[todo] = values[before] + frac * (values[after] - values[before])
    return out


def _tracks(obs: xr.Dataset) -> np.ndarray:
    """One id per trajectory: the feature, except when features are an Argo float's cycles
    (one track for the whole file)."""
    if obs.attrs.get("feature_unit") == "cycle" or "feature" not in obs.coords:
        return np.zeros(obs.sizes["obs"], dtype="int64")
    return np.asarray(obs.feature.values)


def interpolate_times(obs: xr.Dataset) -> tuple[xr.Dataset, np.ndarray]:
    """Trajectory samples without a time get one interpolated along the sample index.

    Files store a trajectory's samples in time order, and some time only a few of them
    (an Argo float's park and drift measurements carry no time of their own): a sample
    between two timed samples of the same track, in increasing order, gets a time on the
    straight line between them. Returns the observations and the mask of samples timed so.
    """
    none = np.zeros(obs.sizes.get("obs", 0), dtype=bool)
    if obs.attrs.get("featureType") != "trajectory" or "time" not in obs.coords:
        return obs, none
    t = np.asarray(obs.time.values).astype("datetime64[ns]")
    missing = np.isnat(t)
    if not missing.any() or missing.all():
        return obs, none
    values = np.where(missing, np.nan, t.astype("int64").astype("float64"))
    filled = _bracketed_interp(np.arange(t.size, dtype="float64"), values, missing,
                               _tracks(obs))
    done = missing & np.isfinite(filled)
    if not done.any():
        return obs, none
    new = np.where(done, filled, 0).astype("int64").astype("datetime64[ns]")
    new = np.where(done, new, t)
    out = obs.assign_coords(time=("obs", new, obs.time.attrs))
    out.attrs["times"] = "interpolated along the trajectory between timed samples"
    return out, done


def interpolate_positions(obs: xr.Dataset) -> xr.Dataset:
    """Trajectory samples without a fix get positions interpolated in time.

    Argo trajectories, for instance, measure at depth but are located only at the
    surface; interpolated positions carry ``positions="interpolated in time"``.
    """
    return _interpolate_positions(obs)[0]


def _interpolate_positions(obs: xr.Dataset) -> tuple[xr.Dataset, np.ndarray]:
    """:func:`interpolate_positions` and the mask of samples that got a position so."""
    none = np.zeros(obs.sizes.get("obs", 0), dtype=bool)
    if obs.attrs.get("featureType") != "trajectory" or "time" not in obs.coords:
        return obs, none
    lat, lon = obs.latitude.values, obs.longitude.values
    t = obs.time.values.astype("datetime64[ns]").astype("float64")
    known = np.isfinite(lat) & np.isfinite(lon) & ~np.isnat(obs.time.values)
    if known.all() or known.sum() < 2:
        return obs, none
    order = np.argsort(t[known])
    tk = t[known][order]
    new_lat = np.where(known, lat, np.interp(t, tk, lat[known][order], left=np.nan,
                                             right=np.nan))
    new_lon = np.where(known, lon, np.interp(t, tk, lon[known][order], left=np.nan,
                                             right=np.nan))
    new_lat, new_lon = _feature_positions(obs.feature.values, new_lat, new_lon, known)
    done = ~(np.isfinite(lat) & np.isfinite(lon)) & np.isfinite(new_lat) & np.isfinite(new_lon)
    out = obs.assign_coords(latitude=("obs", new_lat, obs.latitude.attrs),
                            longitude=("obs", new_lon, obs.longitude.attrs))
    out.attrs["positions"] = "interpolated in time between fixes"
    return out, done


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


def _trajectory_gaps(obs: xr.Dataset) -> tuple[xr.Dataset, np.ndarray, np.ndarray]:
    """Times, then positions, filled along a trajectory; the masks of both fills."""
    obs, timed = interpolate_times(obs)
    if "latitude" in obs.coords and "longitude" in obs.coords:
        obs, placed = _interpolate_positions(obs)
    else:
        placed = np.zeros_like(timed)
    return obs, timed, placed


def select_obs(obs: xr.Dataset, query: Query, variable: str, dataset: str = "",
               require: tuple[str, ...] = (), also: tuple[str, ...] = ()) -> xr.Dataset:
    """Observations of ``variable`` within ``query``, computed, NaNs dropped.

    ``require`` names coordinates that must be valid too (``time`` for a time series,
    ``z`` for a profile, ``latitude``/``longitude`` for a map); ``also`` names variables
    kept beside ``variable``, QC applied, that must be valid too (temperature beside
    salinity for a T-S diagram).
    """
    keep = [n for name in (variable, *also) for n in (name, f"{name}_qc")]
    obs = obs[[v for v in keep if v in obs]]
    if not obs.chunks:  # columns still on disk: read whole (and kept), not row by row
        obs = obs.load()
    timed = placed = np.zeros(obs.sizes.get("obs", 0), dtype=bool)
    if obs.attrs.get("featureType") == "trajectory":
        obs, timed, placed = _trajectory_gaps(obs.compute())
    unfiltered = obs
    for name in (variable, *also):
        obs = apply_qc(obs, name, query.qc)
    mask = obs[variable].notnull()
    for name in also:
        mask = mask & obs[name].notnull()
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
        _all_flagged_out(unfiltered, obs, (variable, *also), query, dataset)
        need = f" with a valid {' and '.join(require)}" if require else ""
        raise NoDataInSelection(f"no valid {variable} values{need} in {describe(query)}",
                                dataset=dataset, hint="widen the time/depth range or relax QC")
    # every row kept (a clean series): the arrays as they are, not a copy of each
    whole = index.size == obs.sizes.get("obs", -1)
    out = (obs.copy(deep=False) if whole else _rows(obs, index)).compute()
    out.attrs["times_interpolated"] = int(timed[index].sum()) if timed.size else 0
    out.attrs["positions_interpolated"] = int(placed[index].sum()) if placed.size else 0
    return out


def _rows(obs: xr.Dataset, index: np.ndarray) -> xr.Dataset:
    """``obs.isel(obs=index)``, but a column that repeats one value without a copy (a
    station's position: :func:`portal.processing.normalize.constant`) stays such a view."""
    from portal.processing.normalize import constant

    repeated = {str(n): v for n, v in obs.variables.items()
                if v.dims == ("obs",) and isinstance(v.data, np.ndarray) and v.data.strides == (0,)}
    out = obs.drop_vars(list(repeated)).isel(obs=index)
    for name, var in repeated.items():
        column = xr.Variable(("obs",), constant(var.data[0], (index.size,)), var.attrs)
        out[name] = column
        if name in obs.coords:
            out = out.set_coords(name)
    return out


def _all_flagged_out(before: xr.Dataset, after: xr.Dataset, names: tuple[str, ...],
                     query: Query, dataset: str) -> None:
    """NoDataInSelection naming the variable whose every value the QC preset removed, and
    its flags in words (a float's salinity all flagged bad), if there is one."""
    from portal.vocab import NO_FLAG, flag_meaning

    if query.qc == "all":
        return
    for name in names:
        if bool(before[name].notnull().any()) and not bool(after[name].notnull().any()):
            flags = before.get(f"{name}_qc")
            words = ""
            if flags is not None:
                valued = np.asarray(flags.values)[np.asarray(before[name].notnull().values)]
                scheme = str(flags.attrs.get("qc_scheme", "generic"))
                meanings = [flag_meaning(int(f), scheme) for f in np.unique(valued)
                            if f != NO_FLAG]
                words = f" ({', '.join(meanings)})" if meanings else ""
            raise NoDataInSelection(
                f"every {name} value is flagged{words}: the QC preset {query.qc} hides them "
                "all", dataset=dataset, hint="choose the QC preset 'all' to see them")


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


def as_slice(index: np.ndarray) -> slice | np.ndarray:
    """A run of consecutive indices as a slice (a file and dask read a slice directly; an
    index array costs an orthogonal read and a shuffle), other indices unchanged."""
    if index.size and index[-1] - index[0] == index.size - 1:
        return slice(int(index[0]), int(index[-1]) + 1)
    return index


def select_grid(da: xr.DataArray, query: Query, dataset: str = "") -> xr.DataArray:
    """A 2-D (latitude, longitude) field: the time/depth nearest to the query, bbox cut.

    The time step is the one nearest ``query.at`` when given (inside the time window),
    else the latest step holding valid values."""
    da = grid_window(da, query, dataset)
    da = da.compute(scheduler="synchronous") if da.nbytes < SYNC_BYTES else da.compute()
    if da.size == 0 or not np.isfinite(da.values).any():
        raise no_valid_value(da, query, dataset)
    return da


def no_valid_value(da: xr.DataArray, query: Query, dataset: str) -> NoDataInSelection:
    """The error of a window without a valid value."""
    return NoDataInSelection(f"the field {da.name!r} has no valid value in {describe(query)}",
                             dataset=dataset, hint="pick another time, depth or area")


def grid_window(da: xr.DataArray, query: Query, dataset: str = "") -> xr.DataArray:
    """The 2-D window :func:`select_grid` reads, not read yet (lazy where ``da`` is)."""
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
        da = da.isel(longitude=as_slice(np.flatnonzero(
            query.bbox.contains_lon(da.longitude.values))))
    if "time" in da.dims:
        da = _step_at(da, query.at) if query.at is not None else _pick_time(da)
    return da
