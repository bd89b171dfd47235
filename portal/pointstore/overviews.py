"""Overview aggregates: a pyramid of count, sum, min, max per parameter, time bin and QC class.

Level ``l`` divides the globe into 2^(l+1) x 2^l cells (level 9: 1024 x 512, 0.35°). A level
table holds, for the occupied cells of one time bin (or of all time, ``"all"``), the row
count ``n`` and, for each parameter P and QC class k (see :mod:`.schema`), ``P_n{k}``,
``P_sum{k}``, ``P_min{k}``, ``P_max{k}``. Ingest computes the finest level of a new part by
dense accumulation per time bin (:func:`part_tables`), derives coarser levels by merging 2 x 2
cells (:func:`coarsen`), and merges them into the store's tables (:func:`merge`). At query
time :func:`render` spreads the cells of the chosen level onto the canvas with area weights
(a cell straddling two pixels gives each its share), so full-extent maps never touch points.
"""

from __future__ import annotations

import math
import os

import numpy as np

from portal.errors import SourceUnavailable
from portal.pointstore import jit as nb  # numba, imported at the first kernel call
from portal.pointstore.schema import N_CLASSES, flag_class_table, time_bins

Table = dict[str, np.ndarray]  # "cell", "n", and per parameter "<P>_n|sum|min|max" (N, 5)
STATS = ("n", "sum", "min", "max")
# per cell: count; per parameter, QC class and cell: count, sum, min, max
_Dense = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def grid_shape(level: int) -> tuple[int, int]:
    """(rows, columns) of a level's global grid."""
    return 1 << level, 1 << (level + 1)


def empty_table(params: list[str]) -> Table:
    table: Table = {"cell": np.zeros(0, np.int64), "n": np.zeros(0, np.int64)}
    for p in params:
        table[f"{p}_n"] = np.zeros((0, N_CLASSES), np.int64)
        table[f"{p}_sum"] = np.zeros((0, N_CLASSES), np.float64)
        table[f"{p}_min"] = np.zeros((0, N_CLASSES), np.float32)
        table[f"{p}_max"] = np.zeros((0, N_CLASSES), np.float32)
    return table


def table_params(table: Table) -> list[str]:
    return [k[:-2] for k in table if k.endswith("_n") and k != "n"]


# ----------------------------------------------------------------------- from points (ingest)


@nb.njit(cache=True, nogil=True)
def _cells(lon, lat, level, out):
    rows = 1 << level
    cols = rows * 2
    for i in range(lon.size):
        ix = min(max(int(math.floor((lon[i] + 180.0) / 360.0 * cols)), 0), cols - 1)
        iy = min(max(int(math.floor((lat[i] + 90.0) / 180.0 * rows)), 0), rows - 1)
        out[i] = iy * cols + ix


@nb.njit(cache=True, nogil=True)
def _accumulate(idx, cells, vals, qcs, lut, d_n, d_pn, d_ps, d_min, d_max, touched):
    """Dense accumulation of the points ``idx``; returns how many cells were touched."""
    nt = 0
    for j in range(idx.size):
        i = idx[j]
        c = cells[i]
        if d_n[c] == 0:
            touched[nt] = c
            nt += 1
        d_n[c] += 1
        for p in range(vals.shape[0]):
            v = vals[p, i]
            if v == v:
                k = lut[np.uint8(qcs[p, i])]
                d_pn[p, k, c] += 1
                d_ps[p, k, c] += v
                d_min[p, k, c] = min(d_min[p, k, c], v)
                d_max[p, k, c] = max(d_max[p, k, c], v)
    return nt


@nb.njit(cache=True, nogil=True)
def _extract(cells, d_n, d_pn, d_ps, d_min, d_max, n, pn, ps, pmin, pmax):
    for j in range(cells.size):
        c = cells[j]
        n[j] = d_n[c]
        d_n[c] = 0
        for p in range(d_pn.shape[0]):
            for k in range(d_pn.shape[1]):
                pn[p, j, k] = d_pn[p, k, c]
                ps[p, j, k] = d_ps[p, k, c]
                pmin[p, j, k] = d_min[p, k, c] if d_pn[p, k, c] > 0 else np.nan
                pmax[p, j, k] = d_max[p, k, c] if d_pn[p, k, c] > 0 else np.nan
                d_pn[p, k, c] = 0
                d_ps[p, k, c] = 0.0
                d_min[p, k, c] = np.inf
                d_max[p, k, c] = -np.inf


def part_tables(columns: dict[str, np.ndarray], params: list[str], level: int,
                time_bin: str) -> dict[int, Table]:
    """Finest-level tables of a batch of points, one per time bin present."""
    return group_tables(columns, params, level, time_bins(columns["time"], time_bin))


def group_tables(columns: dict[str, np.ndarray], params: list[str], level: int,
                 groups: np.ndarray) -> dict[int, Table]:
    """Level tables of a batch of points, one per value of ``groups`` (negative: skipped)."""
    n = len(columns["longitude"])
    cells = cell_ids(columns, level)
    vals, qcs = value_matrices(columns, params)
    ncell = (1 << level) * (2 << level)
    dense = dense_accumulators(len(params), ncell)
    lut = flag_class_table()
    out: dict[int, Table] = {}
    from portal.pointstore.hilbert import radix_argsort

    keep = np.flatnonzero(groups >= 0) if n else np.zeros(0, np.int64)
    if keep.size == 0:
        return out
    g = groups[keep]
    order = keep[radix_argsort((g - g.min()).astype(np.uint64))]
    bounds = np.flatnonzero(np.diff(groups[order])) + 1
    for seg in np.split(order, bounds):
        if seg.size == 0:
            continue
        touched = np.empty(min(seg.size, ncell), np.int64)
        nt = _accumulate(seg, cells, vals, qcs, lut, *dense, touched)
        out[int(groups[seg[0]])] = table_from_dense(np.sort(touched[:nt]), dense, params)
    return out


def cell_ids(columns: dict[str, np.ndarray], level: int) -> np.ndarray:
    """The level cell of each point (row-major, row 0 at 90° S)."""
    cells = np.empty(len(columns["longitude"]), np.int64)
    _cells(columns["longitude"], columns["latitude"], level, cells)
    return cells


def value_matrices(columns: dict[str, np.ndarray], params: list[str]):
    """(values float32 (P, N), flags int8 (P, N)) of the parameters, as the kernels take them."""
    n = len(columns["longitude"])
    vals = np.stack([columns[p] for p in params]) if params else np.zeros((0, n), np.float32)
    qcs = np.stack([columns[f"{p}_qc"] for p in params]) if params else np.zeros((0, n), np.int8)
    return vals, qcs


def accumulate(idx: np.ndarray, cells: np.ndarray, vals: np.ndarray, qcs: np.ndarray,
               dense: _Dense, touched: np.ndarray) -> int:
    """Add points ``idx`` into ``dense`` (kept across calls); the cells touched for the first
    time are written to ``touched``, and their number returned."""
    return _accumulate(idx, cells, vals, qcs, flag_class_table(), *dense, touched)


def dense_accumulators(nparam: int, ncell: int) -> _Dense:
    """Zeroed per-cell accumulators (count; per parameter, class and cell: n, sum, min, max)."""
    return (np.zeros(ncell, np.int64), np.zeros((nparam, N_CLASSES, ncell), np.int64),
            np.zeros((nparam, N_CLASSES, ncell), np.float64),
            np.full((nparam, N_CLASSES, ncell), np.inf, np.float32),
            np.full((nparam, N_CLASSES, ncell), -np.inf, np.float32))


def table_from_dense(cells: np.ndarray, dense: _Dense, params: list[str]) -> Table:
    """The table of ``cells`` (sorted, indices into ``dense``), resetting them in ``dense``."""
    m, npar = cells.size, len(params)
    n = np.empty(m, np.int64)
    pn = np.empty((npar, m, N_CLASSES), np.int64)
    ps = np.empty((npar, m, N_CLASSES), np.float64)
    pmin = np.empty((npar, m, N_CLASSES), np.float32)
    pmax = np.empty((npar, m, N_CLASSES), np.float32)
    _extract(cells, *dense, n, pn, ps, pmin, pmax)
    table: Table = {"cell": cells, "n": n}
    for i, p in enumerate(params):
        table[f"{p}_n"], table[f"{p}_sum"] = pn[i], ps[i]
        table[f"{p}_min"], table[f"{p}_max"] = pmin[i], pmax[i]
    return table


# ------------------------------------------------------------------------ merging, coarsening


def merge(tables: list[Table], params: list[str]) -> Table:
    """One table holding the cell-wise combination of ``tables`` (same level)."""
    tables = [t for t in tables if len(t["cell"])]
    if not tables:
        return empty_table(params)
    only = tables[0]
    if len(tables) == 1 and table_params(only) == params and np.all(np.diff(only["cell"]) > 0):
        return only
    cells = np.concatenate([t["cell"] for t in tables])
    order = np.argsort(cells, kind="stable")
    sorted_cells = cells[order]
    starts = np.flatnonzero(np.r_[True, sorted_cells[1:] != sorted_cells[:-1]])
    out: Table = {"cell": sorted_cells[starts],
                  "n": np.add.reduceat(np.concatenate([t["n"] for t in tables])[order], starts)}
    for p in params:
        for stat in STATS:
            found = [t.get(f"{p}_{stat}") for t in tables]
            parts = [x if x is not None else _filler(stat, len(t["cell"]))
                     for x, t in zip(found, tables, strict=True)]
            col: np.ndarray = np.concatenate(parts)[order]
            out[f"{p}_{stat}"] = _reduce(stat, col, starts)
    return out


def _filler(stat: str, m: int) -> np.ndarray:
    if stat in ("min", "max"):
        return np.full((m, N_CLASSES), np.nan, np.float32)
    return np.zeros((m, N_CLASSES), np.int64 if stat == "n" else np.float64)


def _reduce(stat: str, col: np.ndarray, starts: np.ndarray) -> np.ndarray:
    if stat in ("n", "sum"):
        return np.add.reduceat(col, starts, axis=0)
    return (np.fmin if stat == "min" else np.fmax).reduceat(col, starts, axis=0)


def coarsen(table: Table, level: int, params: list[str]) -> Table:
    """The level-1 table of a level table (2 x 2 cells merged)."""
    cols = 2 << level
    iy, ix = np.divmod(table["cell"], cols)
    parent = (iy // 2) * (cols // 2) + ix // 2
    return merge([{**table, "cell": parent}], params)


# ------------------------------------------------------------------------------ files


def write_table(path: str, table: Table, params: list[str]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = {"cell": table["cell"].astype(np.uint32), "n": table["n"]}
    for p in params:
        for stat in STATS:
            arr = table[f"{p}_{stat}"]
            for k in range(N_CLASSES):
                data[f"{p}_{stat}{k}"] = np.ascontiguousarray(arr[:, k])
    os.makedirs(os.path.dirname(path), exist_ok=True)
    pq.write_table(pa.table(data), path, compression="zstd", row_group_size=1 << 20)


def merge_into(store, files: dict[str, str], label: str, table: Table, params: list[str],
               rel: str) -> None:
    """Write ``table``, merged with the level's table already stored under ``label`` (if
    any), to the new file ``rel`` of ``store``, and record it in ``files`` (an ingest's
    overviews and depth bands both grow this way)."""
    tables = [table]
    if label in files:
        tables.append(read_table(store.file(files[label]), params))
    write_table(store.file(rel), merge(tables, params), params)
    files[label] = rel


def read_table(path: str, params: list[str], stats: tuple[str, ...] = STATS,
               classes: tuple[int, ...] = tuple(range(N_CLASSES))) -> Table:
    """Read the requested parameters/statistics/classes (others absent or zero)."""
    import pyarrow.parquet as pq


    try:
        pf = pq.ParquetFile(path)
        names = set(pf.schema_arrow.names)
        wanted = ["cell", "n"] + [f"{p}_{s}{k}" for p in params for s in stats for k in classes
                                  if f"{p}_{s}{k}" in names]
        raw = pf.read(columns=wanted)
    except (OSError, ValueError) as exc:
        raise SourceUnavailable(f"overview file {path} is missing or damaged: {exc}",
                                hint="rebuild the store's overviews") from exc
    m = raw.num_rows
    table: Table = {"cell": raw.column("cell").to_numpy().astype(np.int64),
                    "n": raw.column("n").to_numpy()}
    for p in params:
        for s in stats:
            arr = _filler(s, m)
            for k in classes:
                if f"{p}_{s}{k}" in raw.column_names:
                    arr[:, k] = raw.column(f"{p}_{s}{k}").to_numpy()
            table[f"{p}_{s}"] = arr
    return table


# ------------------------------------------------------------------------- rendering


@nb.njit(cache=True, nogil=True)
def _spread(cells, level, vals, ext, x0, sx, y0, sy, shift, W, H, out, out_min, out_max):
    """Area-weighted spreading of cell values onto pixels (out[v, pixel] += w * value)."""
    rows = 1 << level
    cols = rows * 2
    dlon = 360.0 / cols
    dlat = 180.0 / rows
    for j in range(cells.size):
        iy = cells[j] // cols
        ix = cells[j] - iy * cols
        fx0 = (ix * dlon - 180.0 + shift - x0) * sx
        fx1 = fx0 + dlon * sx
        fy0 = (iy * dlat - 90.0 - y0) * sy
        fy1 = fy0 + dlat * sy
        if fx1 <= 0 or fx0 >= W or fy1 <= 0 or fy0 >= H:
            continue
        area = (fx1 - fx0) * (fy1 - fy0)
        for py in range(max(int(math.floor(fy0)), 0), min(int(math.ceil(fy1)), H)):
            wy = min(fy1, py + 1.0) - max(fy0, float(py))
            for px in range(max(int(math.floor(fx0)), 0), min(int(math.ceil(fx1)), W)):
                w = wy * (min(fx1, px + 1.0) - max(fx0, float(px))) / area
                if w <= 0:
                    continue
                pix = py * W + px
                for v in range(vals.shape[1]):
                    out[v, pix] += w * vals[j, v]
                if ext.shape[0] > 0:
                    out_min[pix] = min(out_min[pix], ext[j, 0])
                    out_max[pix] = max(out_max[pix], ext[j, 1])


#: a spread of at most this many (cell, pixel) pairs is done in NumPy while numba is not
#: loaded (a thumbnail's: its import and set-up cost more than the spread)
NUMPY_SPREAD_PAIRS = 4_000_000


def _numpy_will_do(cells: np.ndarray, level: int, sx: float, sy: float) -> bool:
    """Whether a cell covers few pixels and the cells are few (``_spread_numpy``'s passes:
    one per pixel offset in a cell's footprint)."""
    rows = 1 << level
    nx, ny = math.ceil(180.0 / rows * sx) + 1, math.ceil(180.0 / rows * sy) + 1
    return nx * ny <= 9 and cells.size * nx * ny <= NUMPY_SPREAD_PAIRS


def _spread_numpy(cells, level, vals, ext, x0, sx, y0, sy, shift, W, H, out, out_min, out_max):
    """:func:`_spread` in NumPy: one vectorised pass per pixel offset of a cell's footprint
    (the same area weights; sums in another order, equal to ~1e-15)."""
    rows = 1 << level
    cols = rows * 2
    iy, ix = np.divmod(cells.astype(np.int64), cols)
    fx0 = (ix * (360.0 / cols) - 180.0 + shift - x0) * sx
    fy0 = (iy * (180.0 / rows) - 90.0 - y0) * sy
    fx1, fy1 = fx0 + 360.0 / cols * sx, fy0 + 180.0 / rows * sy
    on = ~((fx1 <= 0) | (fx0 >= W) | (fy1 <= 0) | (fy0 >= H))
    fx0, fx1, fy0, fy1, vals = fx0[on], fx1[on], fy0[on], fy1[on], vals[on]
    ext = ext[on] if ext.shape[0] > 0 else ext
    area = (fx1 - fx0) * (fy1 - fy0)
    px0, py0 = np.maximum(np.floor(fx0), 0).astype(np.int64), np.maximum(np.floor(fy0), 0).astype(np.int64)
    px1, py1 = np.minimum(np.ceil(fx1), W).astype(np.int64), np.minimum(np.ceil(fy1), H).astype(np.int64)
    for oy in range(int((py1 - py0).max(initial=0))):
        py = py0 + oy
        wy = np.minimum(fy1, py + 1.0) - np.maximum(fy0, py)
        for ox in range(int((px1 - px0).max(initial=0))):
            px = px0 + ox
            w = wy * (np.minimum(fx1, px + 1.0) - np.maximum(fx0, px)) / area
            sel = (py < py1) & (px < px1) & (w > 0)
            pix = py[sel] * W + px[sel]
            for v in range(vals.shape[1]):
                out[v] += np.bincount(pix, weights=w[sel] * vals[sel, v], minlength=W * H)
            if ext.shape[0] > 0:
                np.minimum.at(out_min, pix, ext[sel, 0])
                np.maximum.at(out_max, pix, ext[sel, 1])


def spread(table: Table, level: int, values: np.ndarray, bbox: tuple[float, float, float, float],
           width: int, height: int, extremes: np.ndarray | None = None) -> tuple:
    """Spread per-cell ``values`` (cells x k) onto a canvas: (k, H, W) sums and min/max.

    ``extremes`` (cells x 2: min, max) are not weighted: a pixel gets the extreme of the
    cells it overlaps. A view crossing the date line (x1 > 180) gets cells shifted by 360°.
    """
    x0, y0, x1, y1 = bbox
    sx, sy = width / (x1 - x0), height / (y1 - y0)
    vals = np.ascontiguousarray(values, dtype=np.float64)
    ext = (np.ascontiguousarray(extremes, dtype=np.float64) if extremes is not None
           else np.zeros((0, 2)))
    out = np.zeros((vals.shape[1], width * height), np.float64)
    npix = width * height if extremes is not None else 0
    out_min, out_max = np.full(npix, np.inf), np.full(npix, -np.inf)
    shifts = (0.0,) + ((360.0,) if x1 > 180 else ()) + ((-360.0,) if x0 < -180 else ())
    kernel = _spread if nb.loaded() or not _numpy_will_do(table["cell"], level, sx, sy) \
        else _spread_numpy
    for shift in shifts:
        kernel(table["cell"], level, vals, ext, x0, sx, y0, sy, shift, width, height, out,
               out_min, out_max)
    sums = out.reshape(vals.shape[1], height, width)
    if extremes is None:
        return sums, None, None
    mins = np.where(np.isfinite(out_min), out_min, np.nan).reshape(height, width)
    maxs = np.where(np.isfinite(out_max), out_max, np.nan).reshape(height, width)
    return sums, mins, maxs
