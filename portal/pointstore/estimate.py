"""How many rows a point-store download will hold, from the index and the overviews only.

Two counts are read without touching a point. The row-group index (:func:`index_rows`) gives
each selected row group's rows weighted by the share of its extent (longitude, latitude, time,
depth) inside the selection: uniform density inside a group. Row groups follow the Hilbert
curve, so they are compact in space but usually span the whole record in time: on data
clustered in time (a cruise, a recent float fleet) that share runs low many times over. The
overview pyramid (:func:`overview_rows`) holds the row count of every occupied cell of a
level for each time bin (a year or a month): the cells inside the box and the bins inside the
window are counted exactly, only the cells and bins the selection cuts are weighted by their
share. :func:`estimate` takes the larger of the two (each is low only where its own grain
hides a cluster), times the share of a depth range (from the depth-band overviews'
rows in the box, :func:`band_share`, or the index's for a store without bands), and never
more than either count's upper bound (the rows of every group, cell and
bin the selection touches). QC presets are not counted: the estimate errs high. Overview and
depth-band tables are read through :func:`overview_counts` alone (cached in the byte-bounded
data cache per store version), beside the manifest's ``overviews`` and ``depth_bands``
sections: the places this module depends on their layout.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from portal.pointstore import query as Q
from portal.pointstore.store import Store

#: the overview level is the coarsest whose cells are no wider than this share of the box
CELLS_ACROSS = 32
#: the depth share reads depth-band tables this many levels coarser (cells 4x wider)
BAND_COARSER = 2


@dataclasses.dataclass(frozen=True)
class Count:
    """An estimated row count and a bound it cannot exceed."""

    rows: float
    upper: float


def estimate(store: Store, spec: Q.AggSpec, rows: np.ndarray) -> Count:
    """Rows of the selection ``spec`` (see the module doc); ``rows`` are the index rows of
    the row groups it touches (:func:`~portal.pointstore.query.select_row_groups`)."""
    index = index_rows(store, spec, rows)
    flat = dataclasses.replace(spec, depth=None)
    seen = overview_rows(store, flat)
    if seen is None:
        return index
    ratio = 1.0
    if spec.depth is not None:  # box and time first, then the depth range's share
        index_flat = index_rows(store, flat, Q.select_row_groups(store, flat))
        bands = band_share(store, spec)
        ratio = bands if bands is not None else (
            index.rows / index_flat.rows if index_flat.rows else 0.0)
        index = Count(index_flat.rows, index.upper)
    upper = min(index.upper, seen.upper)
    return Count(min(max(index.rows, seen.rows) * ratio, upper), upper)


def band_share(store: Store, spec: Q.AggSpec) -> float | None:
    """Share of the box's rows whose z lies in the depth range, from the depth-band
    overviews (all time): each band's rows in the box, weighted by the share of the
    band's z range inside. None when the store has no bands at the level. A share needs
    less detail than a count: the level is :data:`BAND_COARSER` above the count's."""
    sec = store.manifest.get("depth_bands") or {}
    level = _level(store, spec)
    if level is not None:
        built = sorted(int(k) for k in (sec.get("files") or {}))
        level = max([lv for lv in built if lv <= max(level - BAND_COARSER, 0)] or built or [0])
    files = (sec.get("files") or {}).get(str(level), {})
    if spec.depth is None or level is None or not files:
        return None
    lo, hi = spec.depth
    inside = total = 0.0
    for band in sec.get("bands", []):
        name = files.get(band["label"])
        if not band.get("n") or name is None:
            continue
        cells, n = overview_counts(store, name)
        rows = float((n * cell_shares(cells, level, spec)).sum())  # no BLAS: its threads spin
        total += rows
        if band["z_max"] >= lo and band["z_min"] <= hi:
            inside += rows * float(share(np.array([band["z_min"]]), np.array([band["z_max"]]),
                                         lo, hi)[0])
    return inside / total if total else 0.0


def index_rows(store: Store, spec: Q.AggSpec, rows: np.ndarray) -> Count:
    """Rows of the selected row groups, each cut group weighted by its extent inside."""
    ix = store.index
    n = ix["rows"][rows].astype("float64")
    upper = float(n.sum())
    lon = np.zeros(rows.size)
    for sh in Q.shifts(spec):
        lon += share(ix["lon_min"][rows] + sh, ix["lon_max"][rows] + sh,
                     spec.bbox[0], spec.bbox[2])
    n *= np.minimum(lon, 1.0) * share(ix["lat_min"][rows], ix["lat_max"][rows],
                                      spec.bbox[1], spec.bbox[3])
    if spec.time is not None:
        n *= share(ix["t_min"][rows], ix["t_max"][rows], *spec.time)
    if spec.depth is not None:
        n *= share(ix["z_min"][rows], ix["z_max"][rows], *spec.depth)
    return Count(float(n.sum()), upper)


def overview_rows(store: Store, spec: Q.AggSpec) -> Count | None:
    """Rows in the box and time window from an overview level's cell counts (None when the
    store has no overviews for it); cut cells and time bins weighted by their share."""
    level = _level(store, spec)
    files = store.overview_files(level) if level is not None else {}
    bins = _bin_shares(store, spec, files)
    if level is None or bins is None:
        return None
    total = upper = 0.0
    for name, in_time in bins:
        cells, n = overview_counts(store, name)
        inside = cell_shares(cells, level, spec)
        total += in_time * float((n * inside).sum())
        upper += float(n[inside > 0].sum())
    return Count(total, upper)


def overview_counts(store: Store, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(cell, rows) of one overview table of ``store`` (cached per store version)."""
    from portal.cache import data_cache
    from portal.pointstore import overviews as ov

    def read() -> tuple[np.ndarray, np.ndarray]:
        table = ov.read_table(store.file(name), [], ("n",), ())
        return table["cell"], table["n"].astype("float64")

    key = ("overview-counts", store.path, store.version, name)
    return data_cache().get_or_compute(key, read)


def cell_shares(cells: np.ndarray, level: int, spec: Q.AggSpec) -> np.ndarray:
    """Share of each cell's area inside the selection's box (date line handled)."""
    from portal.pointstore.overviews import grid_shape

    rows, cols = grid_shape(level)
    dlon, dlat = 360.0 / cols, 180.0 / rows
    iy = cells // cols  # first the rows of cells the box can touch (a small box: few)
    near = np.flatnonzero((iy >= math.floor((spec.bbox[1] + 90.0) / dlat) - 1)
                          & (iy <= math.floor((spec.bbox[3] + 90.0) / dlat) + 1))
    iy, ix = np.divmod(cells[near], cols)
    lon0, lat0 = ix * dlon - 180.0, iy * dlat - 90.0
    lon = np.zeros(near.size)
    for sh in Q.shifts(spec):
        lon += share(lon0 + sh, lon0 + sh + dlon, spec.bbox[0], spec.bbox[2])
    out = np.zeros(cells.size)
    out[near] = np.minimum(lon, 1.0) * share(lat0, lat0 + dlat, spec.bbox[1], spec.bbox[3])
    return out


def share(lo: np.ndarray, hi: np.ndarray, a: float, b: float) -> np.ndarray:
    """Share of each [lo, hi] inside [a, b] (1 for a degenerate range: the index's row
    groups of a single position or time, which the selection touches)."""
    lo, hi = np.asarray(lo, "float64"), np.asarray(hi, "float64")
    width = hi - lo
    inside = np.clip(np.minimum(hi, b) - np.maximum(lo, a), 0, None)
    with np.errstate(invalid="ignore", divide="ignore"):
        part = np.where(width > 0, inside / np.where(width > 0, width, 1), 1.0)
    return np.nan_to_num(part, nan=1.0)


def _level(store: Store, spec: Q.AggSpec) -> int | None:
    """The coarsest level with :data:`CELLS_ACROSS` cells across the box (the finest one
    for small boxes); None without overviews."""
    built = sorted(int(k) for k in store.manifest.get("overviews") or {})
    if not built:
        return None
    x0, y0, x1, y1 = spec.bbox
    size = max(min(x1 - x0, y1 - y0), 1e-9)  # a level's cells are 180/2^level degrees
    wanted = math.ceil(math.log2(max(180.0 * CELLS_ACROSS / size, 1.0)))
    fine_enough = [lv for lv in built if lv >= wanted]
    return fine_enough[0] if fine_enough else built[-1]


def _bin_shares(store: Store, spec: Q.AggSpec,
                files: dict[str, str]) -> list[tuple[str, float]] | None:
    """(overview file, share of its time bin inside the window) of every bin the window
    touches; None when a bin's table is missing (the overviews cannot answer)."""
    from portal.pointstore.schema import time_bin_bounds

    if spec.time is None:
        return [(files["all"], 1.0)] if "all" in files else None
    if not any(label != "all" for label in files):  # no time bins: they cannot answer
        return None
    unit = str(store.config.get("time_bin", "year"))
    lo, hi = spec.time
    out = []
    for label, name in files.items():
        if label == "all":
            continue
        start, end = time_bin_bounds(int(label), unit)
        inside = min(end - 1, hi) - max(start, lo) + 1
        if inside > 0:
            out.append((name, inside / (end - start)))
    return out
