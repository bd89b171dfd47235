"""Colocation of two catalog entries: a grid (satellite, model) at an in-situ dataset's observations.

:func:`colocate_entries` checks that ``grid`` is a gridded dataset and ``obs`` an in-situ
one (else :class:`~portal.errors.UnsupportedQuicklook`, 400, naming both), loads both
through the pipeline (:func:`portal.pipeline.normalised_data` for the lazy grid,
:func:`portal.pipeline.load_view` for the observations, restricted to the query and to the
grid's time span: nothing here opens a file), and pairs them with
:func:`portal.processing.colocate.colocate`; no overlap in time or space is a
:class:`~portal.errors.NoDataInSelection` (404) naming both datasets, more observations
than ``Limits.max_download_rows`` a :class:`~portal.errors.SelectionTooLarge` (413). Results are cached in
the byte-bounded data cache, keyed on both data versions. :func:`overlapping` lists the
in-situ entries of a catalog whose time and box meet a grid's (the page's selector);
:func:`csv_chunks` streams the pairs as CSV with ``# key: value`` provenance lines.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from portal.errors import NoDataInSelection, SelectionTooLarge, UnsupportedQuicklook
from portal.model import DatasetEntry
from portal.query import Query, TimeRange, limits

if TYPE_CHECKING:
    from portal.processing.colocate import Colocation

NOT_IN_SITU = ("grid", "metadata")
CSV_ROWS = 20_000  # rows per streamed CSV chunk


def is_in_situ(entry: DatasetEntry) -> bool:
    from portal.sources import is_aggregating

    return entry.feature_type not in NOT_IN_SITU and not is_aggregating(entry)


def check_pair(grid: DatasetEntry, obs: DatasetEntry) -> None:
    """400 naming both datasets unless ``grid`` is a grid and ``obs`` in-situ observations."""
    pair = f"grid={grid.id}, obs={obs.id}"
    if grid.feature_type != "grid":
        raise UnsupportedQuicklook(f"{grid.id} is a {grid.feature_type} dataset, not a grid "
                                   f"({pair})", hint="give a gridded dataset as grid=")
    if not is_in_situ(obs):
        raise UnsupportedQuicklook(f"{obs.id} is not an in-situ dataset of profiles, time "
                                   f"series, trajectories or points ({pair})",
                                   hint="give observations as obs= (point stores: not yet)")


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

    from portal.pipeline import load_view, normalised_data, resolve_variable
    from portal.processing.colocate import SURFACE_WINDOW, colocate

    var_grid = resolve_variable(grid_entry, var_grid)
    grid = normalised_data(grid_entry, Query(variable=var_grid))
    obs_query = replace(query, variable=resolve_variable(obs_entry, var_obs),
                        time=_common_time(grid, query, grid_entry, obs_entry))
    kinds = _obs_kind(obs_entry)
    try:
        view = load_view(obs_entry, kinds, obs_query)
    except NoDataInSelection as exc:
        raise _no_overlap(grid_entry, obs_entry, exc.reason) from None
    lo, hi = query.depth or (None, None)  # depth=MIN/MAX: the surface window too
    window = (SURFACE_WINDOW[0] if lo is None else lo, SURFACE_WINDOW[1] if hi is None else hi)
    if not isinstance(grid, xr.DataArray) or not isinstance(view.data, xr.Dataset):
        raise _no_overlap(grid_entry, obs_entry, "not a grid and observations")
    rows, cap = view.data.sizes.get("obs", 0), limits().max_download_rows
    if rows > cap:
        raise SelectionTooLarge(f"{obs_entry.id} holds {rows:,} observations in the time of the "
                                f"grid {grid_entry.id}, over the limit of {cap:,}",
                                hint="narrow the time range or the box (bbox)")
    result = colocate(grid, view.data, view.variable, method, surface_window=window)
    if result.table.empty:
        raise _no_overlap(grid_entry, obs_entry, f"{result.dropped} observations, all outside "
                                                 "the grid's time, area or depth")
    return result


def _obs_kind(entry: DatasetEntry) -> str | None:
    from portal.quicklooks import entry_kinds

    kinds = entry_kinds(entry)
    return "map" if "map" in kinds else None


def _no_overlap(grid: DatasetEntry, obs: DatasetEntry, why: str) -> NoDataInSelection:
    return NoDataInSelection(f"no observation of {obs.id} to compare with the grid {grid.id} "
                             f"({why})", hint="pick datasets that overlap in time and area, "
                             "or widen the time, depth or bbox")


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
    from portal.query import BBox

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
