"""Colocation of two catalog entries: a grid (satellite, model) at an in-situ dataset's observations.

:func:`colocate_entries` checks that ``grid`` is a gridded dataset and ``obs`` in-situ
observations — a file-like source of profiles, series, trajectories or points, or a point
store — (else :class:`~portal.errors.UnsupportedQuicklook`, 400, naming both), cuts the
query to the grid's time span and box (half a cell beyond its centres), and pairs them
with :func:`portal.processing.colocate.colocate`; nothing here opens a file. The size is
checked against ``Limits.max_download_rows`` (:class:`~portal.errors.SelectionTooLarge`,
413, naming both) **before the observed values are read**: a file-like source's rows are
counted from its coordinates and QC flags (:func:`portal.downloads.prepare`), then loaded
with :func:`portal.pipeline.load_view`; a point store's from its export plan's row-group
estimate (:mod:`portal.pointstore.export`), its rows then read batch by batch with the true
count checked as they come (against a grid without depth, only the surface window is
exported; ``qc=auto`` reads as ``good_probably``; one profile per platform and cycle).
What remains unchecked before reading: the coordinates and flags themselves (and for
remote sources whatever their adapter fetches to give them), up to one store batch beyond
an estimate that fell short, and the grid, read window by window within ``window_bytes``.
No overlap in time or space is a :class:`~portal.errors.NoDataInSelection` (404) naming
both. Results are cached in the byte-bounded data cache, keyed on both data versions.
:func:`overlapping` lists the in-situ entries whose time and box meet a grid's and
:func:`overlapping_grids` the grids meeting an in-situ entry (the pages' selectors);
:func:`csv_chunks` streams the pairs as CSV with ``# key: value`` provenance lines.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from portal.errors import NoDataInSelection, SelectionTooLarge, UnsupportedQuicklook
from portal.model import DatasetEntry
from portal.query import BBox, DepthRange, Query, TimeRange, limits

if TYPE_CHECKING:
    import xarray as xr

    from portal.processing.colocate import Colocation

NOT_IN_SITU = ("grid", "metadata")
CSV_ROWS = 20_000  # rows per streamed CSV chunk


def is_in_situ(entry: DatasetEntry) -> bool:
    """Observations a grid can be sampled at: files of in-situ features, or an aggregating
    source (a point store) whose handle can export its rows."""
    from portal.errors import PortalError
    from portal.sources import is_aggregating, open_aggregator

    if entry.feature_type in NOT_IN_SITU:
        return False
    try:
        return not is_aggregating(entry) or hasattr(open_aggregator(entry), "export")
    except PortalError:  # an unknown driver or a missing store: not offered
        return False


def check_pair(grid: DatasetEntry, obs: DatasetEntry) -> None:
    """400 naming both datasets unless ``grid`` is a grid and ``obs`` in-situ observations."""
    pair = f"grid={grid.id}, obs={obs.id}"
    if grid.feature_type != "grid":
        raise UnsupportedQuicklook(f"{grid.id} is a {grid.feature_type} dataset, not a grid "
                                   f"({pair})", hint="give a gridded dataset as grid=")
    if not is_in_situ(obs):
        raise UnsupportedQuicklook(f"{obs.id} is not an in-situ dataset of profiles, time "
                                   f"series, trajectories or points ({pair})",
                                   hint="give observations as obs=")


def colocate_entries(grid: DatasetEntry, obs: DatasetEntry, query: Query | None = None,
                     var_grid: str | None = None, var_obs: str | None = None,
                     method: str = "nearest") -> Colocation:
    """The grid sampled at the observations of ``obs`` within ``query`` (cached)."""
    from portal.cache import data_cache
    from portal.processing.colocate import check_method
    from portal.sources.versioning import data_version

    check_pair(grid, obs)
    method = check_method(method)
    query = (query or Query()).selection
    key = ("colocate", grid, data_version(grid), obs, data_version(obs), query, var_grid,
           var_obs, method)
    return data_cache().get_or_compute(
        key, lambda: _colocate(grid, obs, query, var_grid, var_obs, method))


def _colocate(grid_entry: DatasetEntry, obs_entry: DatasetEntry, query: Query,
              var_grid: str | None, var_obs: str | None, method: str) -> Colocation:
    import xarray as xr

    from portal.pipeline import normalised_data, resolve_variable
    from portal.processing.colocate import SURFACE_WINDOW, colocate
    from portal.sources import is_aggregating

    var_grid = resolve_variable(grid_entry, var_grid)
    grid = normalised_data(grid_entry, Query(variable=var_grid))
    if not isinstance(grid, xr.DataArray):
        raise _no_overlap(grid_entry, obs_entry, "not a grid and observations")
    lo, hi = query.depth or (None, None)  # depth=MIN/MAX: the surface window too
    window = (SURFACE_WINDOW[0] if lo is None else lo, SURFACE_WINDOW[1] if hi is None else hi)
    obs_query = replace(query, variable=resolve_variable(obs_entry, var_obs),
                        time=_common_time(grid, query, grid_entry, obs_entry),
                        bbox=_common_box(grid, query, grid_entry, obs_entry))
    pair = (grid_entry, obs_entry)
    if is_aggregating(obs_entry):
        obs, variable = _store_observations(pair, obs_query, window if "z" not in grid.dims
                                            else None)
    else:
        obs, variable = _file_observations(pair, obs_query)
    result = colocate(grid, obs, variable, method, surface_window=window)
    if result.table.empty:
        raise _no_overlap(grid_entry, obs_entry, f"{result.dropped} observations, all outside "
                                                 "the grid's time, area or depth")
    return result


def _too_many(pair: tuple[DatasetEntry, DatasetEntry], rows: int, about: str = "") -> \
        SelectionTooLarge:
    grid, obs = pair
    return SelectionTooLarge(f"{obs.id} holds {about}{rows:,} observations in the time and "
                             f"area of the grid {grid.id}, over the limit of "
                             f"{limits().max_download_rows:,}",
                             hint="narrow the time range or the box (bbox)")


def _file_observations(pair: tuple[DatasetEntry, DatasetEntry],
                       query: Query) -> tuple[xr.Dataset, str]:
    """The observations of a file-like source: counted from their coordinates and flags
    (:func:`portal.downloads.prepare`) against ``Limits.max_download_rows``, then loaded."""
    import xarray as xr

    from portal.downloads import prepare
    from portal.pipeline import load_view

    grid_entry, obs_entry = pair
    try:
        counted = prepare(obs_entry, query).size  # coordinates and flags: no value read
        if counted > limits().max_download_rows:
            raise _too_many(pair, counted)
        view = load_view(obs_entry, _obs_kind(obs_entry), query)
    except SelectionTooLarge as exc:
        if grid_entry.id in str(exc):
            raise
        raise SelectionTooLarge(f"{obs_entry.id}: {exc.reason} (in the time and area of the "
                                f"grid {grid_entry.id})", hint=exc.hint) from None
    except NoDataInSelection as exc:
        raise _no_overlap(grid_entry, obs_entry, exc.reason) from None
    if not isinstance(view.data, xr.Dataset):
        raise _no_overlap(grid_entry, obs_entry, "not a grid and observations")
    return view.data, view.variable


def _store_observations(pair: tuple[DatasetEntry, DatasetEntry], query: Query,
                        surface: tuple[float, float] | None) -> tuple[xr.Dataset, str]:
    """A point store's rows in the grid's box and time (and the surface window against a
    grid without depth) through its source's ``export(query)``: the plan's estimate is
    checked before any value is read, the true count while the batches are read."""
    import pyarrow as pa

    from portal.sources import open_aggregator

    grid_entry, obs_entry = pair
    if surface is not None and query.depth is None:
        query = replace(query, depth=DepthRange(*surface))
    if query.qc == "auto":  # the stores' own default is every flag: compare good data
        query = replace(query, qc="good_probably")
    planner = getattr(open_aggregator(obs_entry), "export", None)
    if planner is None:
        raise UnsupportedQuicklook(f"{obs_entry.id} cannot give its rows (grid="
                                   f"{grid_entry.id}, obs={obs_entry.id})")
    export, cap = planner(query), limits().max_download_rows
    if export.estimate > cap:
        raise _too_many(pair, int(export.estimate), "about ")
    tables, rows = [], 0
    for table in export.tables():
        rows += table.num_rows
        if rows > cap:
            raise _too_many(pair, rows, "at least ")
        tables.append(table)
    if not rows:
        raise _no_overlap(grid_entry, obs_entry, "no observation of the store in the "
                                                 "grid's time and area")
    name = query.variable or export.variables[0]
    return _store_dataset(export, pa.concat_tables(tables), name), name


def _store_dataset(export, table, name: str) -> xr.Dataset:
    """Store rows as canonical observations: one profile per (platform, cycle)."""
    import numpy as np
    import pandas as pd
    import xarray as xr

    column = {c: table.column(c).to_numpy(zero_copy_only=False) for c in table.column_names}
    feature = pd.MultiIndex.from_arrays([column["platform"].astype(str),
                                         column["cycle"]]).factorize()[0]
    coords = {"time": ("obs", column["time"].astype("datetime64[ns]")),
              "latitude": ("obs", column["latitude"].astype("float64")),
              "longitude": ("obs", column["longitude"].astype("float64")),
              "z": ("obs", column["z"].astype("float64")), "feature": ("obs", feature)}
    attrs = dict(export.store.manifest["variables"].get(name, {}))
    values = np.asarray(column[name], dtype="float64")
    return xr.Dataset({name: ("obs", values, attrs)}, coords=coords,
                      attrs={"featureType": "profile", "main_variable": name})


def _obs_kind(entry: DatasetEntry) -> str | None:
    from portal.quicklooks import entry_kinds

    kinds = entry_kinds(entry)
    return "map" if "map" in kinds else None


def _no_overlap(grid: DatasetEntry, obs: DatasetEntry, why: str) -> NoDataInSelection:
    return NoDataInSelection(f"no observation of {obs.id} to compare with the grid {grid.id} "
                             f"({why})", hint="pick datasets that overlap in time and area, "
                             "or widen the time, depth or bbox")


def _common_box(grid, query: Query, grid_entry: DatasetEntry,
                obs_entry: DatasetEntry) -> BBox | None:
    """The query's box cut to the grid's (half a cell beyond its centres): its latitudes,
    and its longitudes where the grid's span lies inside the query's."""
    import numpy as np

    lat, lon = (np.asarray(grid[d].values, dtype="float64") for d in ("latitude", "longitude"))
    dy = abs(lat[1] - lat[0]) / 2 if lat.size > 1 else 0.05
    dx = abs(lon[1] - lon[0]) / 2 if lon.size > 1 else 0.05
    south, north = max(float(lat.min() - dy), -90.0), min(float(lat.max() + dy), 90.0)
    west, span = float(lon.min() - dx), float(lon.max() - lon.min() + 2 * dx)
    west = (west + 180.0) % 360.0 - 180.0
    east = (west + span + 180.0) % 360.0 - 180.0 if span < 360.0 else None
    box = query.bbox
    if box is not None:
        south, north = max(south, box.south), min(north, box.north)
        if east is None or not (box.contains_lon([west, east]).all() and span <= box.width):
            west, east = box.west, box.east  # the query's span: colocate drops the rest
    if north <= south:
        raise _no_overlap(grid_entry, obs_entry, "the box misses the grid's latitudes")
    return BBox(west, south, east if east is not None else west + 360.0, north)


def _common_time(grid, query: Query, grid_entry: DatasetEntry,
                 obs_entry: DatasetEntry) -> TimeRange | None:
    """The query's window cut to the grid's time span (one day around a single step)."""
    import numpy as np
    import pandas as pd

    if "time" not in grid.dims:
        return query.time
    times = np.asarray(grid.time.values).astype("datetime64[ns]")
    pad = pd.Timedelta(hours=12) if times.size == 1 else pd.Timedelta(
        np.diff(times).max() / 2)
    lo = pd.Timestamp(times.min(), tz="UTC") - pad
    hi = pd.Timestamp(times.max(), tz="UTC") + pad
    if query.time is not None:
        lo = max(lo, query.time.start) if query.time.start is not None else lo
        hi = min(hi, query.time.end) if query.time.end is not None else hi
    if hi < lo:
        raise _no_overlap(grid_entry, obs_entry, "the time window misses the grid's "
                                                 f"{times.min()} to {times.max()}")
    return TimeRange(lo, hi)


def overlapping(grid: DatasetEntry, entries: Iterable[DatasetEntry]) -> list[DatasetEntry]:
    """In-situ entries whose catalog box and time coverage meet ``grid``'s (unknown: kept)."""
    return [e for e in entries if is_in_situ(e) and _meets(grid, e)]


def overlapping_grids(obs: DatasetEntry,
                      entries: Iterable[DatasetEntry]) -> list[DatasetEntry]:
    """Gridded entries whose catalog box and time coverage meet ``obs``'s (unknown: kept);
    none unless ``obs`` is in-situ."""
    if not is_in_situ(obs):
        return []
    return [e for e in entries if e.feature_type == "grid" and _meets(e, obs)]


def _meets(a: DatasetEntry, b: DatasetEntry) -> bool:
    if a.bbox and b.bbox:
        box_a, box_b = _box(a.bbox), _box(b.bbox)
        south, north = b.bbox[1], b.bbox[3]
        if box_a is not None and (north < box_a.south or south > box_a.north):
            return False
        if box_a is not None and not (box_a.contains_lon([b.bbox[0], b.bbox[2]]).any() or (
                box_b is not None and box_b.contains_lon([box_a.west]).any())):
            return False
    if a.time_coverage and b.time_coverage:
        return not (b.time_coverage[1] < a.time_coverage[0]
                    or b.time_coverage[0] > a.time_coverage[1])
    return True


def _box(bbox):
    """A catalog box as a BBox; None for a point or a degenerate box."""
    try:
        return BBox(*bbox)
    except ValueError:
        return None


def provenance(grid: DatasetEntry, obs: DatasetEntry, query: Query,
               result: Colocation) -> dict[str, str]:
    """The ``# key: value`` lines of the CSV: both datasets, method, rules, statistics."""
    from portal.downloads import provenance as one

    g, o = one(grid, query), one(obs, query)
    stats = result.stats()
    return {
        "grid_dataset": grid.id, "grid_title": grid.title, "grid_source": g["source"],
        "grid_variable": f"{result.grid_variable} [{result.grid_units}]",
        "obs_dataset": obs.id, "obs_title": obs.title, "obs_source": o["source"],
        "obs_variable": f"{result.obs_variable} [{result.obs_units}]",
        "method": result.method, "rules": "; ".join(result.rules),
        "dropped_outside_grid": str(result.dropped), "n": str(stats["n"]),
        "bias_obs_minus_grid": f"{stats['bias']:.6g}", "rmse": f"{stats['rmse']:.6g}",
        "portal_query": g["portal_query"], "portal_version": g["portal_version"],
        "date_created": g["date_created"]}


def csv_chunks(grid: DatasetEntry, obs: DatasetEntry, query: Query,
               result: Colocation) -> Generator[str, None, None]:
    """Provenance comment lines, the header, then rows of (time, lat, lon, depth, observed,
    gridded), ``CSV_ROWS`` at a time."""
    meta = provenance(grid, obs, query, result)
    yield "".join(f"# {k}: {' '.join(str(v).split())}\n" for k, v in meta.items())
    frame = result.table[["time", "latitude", "longitude", "depth", "observed", "gridded"]]
    for start in range(0, max(len(frame), 1), CSV_ROWS):
        yield frame.iloc[start:start + CSV_ROWS].to_csv(
            index=False, header=start == 0, date_format="%Y-%m-%dT%H:%M:%SZ")
