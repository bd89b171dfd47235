"""Depth-band overviews: the overview pyramid split by standard depth (pressure) bands.

The store's ``z`` (pressure in dbar or depth in m, positive down) is cut at ``edges``
(default 10, 50, 100, 200, 500, 1000, 2000) into bands ``[e_i, e_i+1)`` — the first open
below, the last open above; points without z belong to none — and the points lying exactly
on an edge also get an "at" table, so an inclusive filter ``[0, 100]`` is bands 0–10, 10–50,
50–100 plus the points at 100. Each band and edge has one all-time table per pyramid level
(the columns of :mod:`.overviews`), listed in the manifest under ``depth_bands`` with its
row count and actual z range. :func:`plan` splits a depth filter into tables it covers
whole and the z ranges of cut bands that must be scanned exactly; :func:`snapped` is the
band-resolution answer used (and said) when that scan is too big. New stores get bands at
ingest (:func:`part_bands`, merged by the writer's commit); :func:`add_depth_bands` adds them
to an existing store without re-ingesting: it streams the parts' row groups into one dense
accumulator per band at the finest level (bounded memory), writes the tables under new names
and swaps the manifest (a new data version) — readers of the old manifest are undisturbed.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from portal.errors import BadParameter
from portal.pointstore import jit as nb  # numba, imported at the first kernel call
from portal.pointstore import overviews as ov
from portal.pointstore.store import DEFAULT_DEPTH_BANDS

DEFAULT_EDGES: tuple[float, ...] = DEFAULT_DEPTH_BANDS
BATCH_ROWS = 1 << 22  # rows read at a time by add_depth_bands
Stats = dict[str, list[float]]  # label -> [n, z_min, z_max]


def check_edges(edges) -> tuple[float, ...]:
    """Sorted, distinct, float32-exact edges (a point "at" an edge is a float32 equality)."""
    out = tuple(float(e) for e in edges)
    if not out or any(b <= a for a, b in zip(out, out[1:], strict=False)):
        raise BadParameter(f"depth-band edges must increase strictly; got {list(out)}",
                           parameter="edges")
    if any(float(np.float32(e)) != e or not math.isfinite(e) for e in out):
        raise BadParameter(f"depth-band edges must be finite float32 values; got {list(out)}",
                           parameter="edges")
    return out


def band_label(i: int) -> str:
    return f"b{i}"


def at_label(i: int) -> str:
    return f"at{i}"


def band_bounds(edges) -> list[tuple[float, float]]:
    """[lo, hi) of each band, the first from -inf, the last to +inf."""
    cuts = [-math.inf, *edges, math.inf]
    return list(zip(cuts[:-1], cuts[1:], strict=True))


def band_ids(z: np.ndarray, edges) -> np.ndarray:
    """Band index of each z (-1 where z is NaN)."""
    ids = np.searchsorted(np.asarray(edges, np.float64), z.astype(np.float64), side="right")
    ids[np.isnan(z)] = -1
    return ids.astype(np.int64)


def at_ids(z: np.ndarray, edges) -> np.ndarray:
    """Edge index of each z lying exactly on an edge, else -1."""
    e32 = np.asarray(edges, np.float32)
    idx = np.searchsorted(e32, z, side="left")
    ok = idx < e32.size
    ids = np.full(z.size, -1, np.int64)
    hit = np.flatnonzero(ok)
    hit = hit[e32[idx[hit]] == z[hit]]
    ids[hit] = idx[hit]
    return ids


@nb.njit(cache=True, nogil=True)
def _ranges(ids, z, out):
    """out[k] = (n, zmin, zmax) of the points with ids == k (k >= 0)."""
    for i in range(ids.size):
        k = ids[i]
        if k >= 0:
            out[k, 0] += 1
            out[k, 1] = min(out[k, 1], z[i])
            out[k, 2] = max(out[k, 2], z[i])


def _stats_of(ids: np.ndarray, z: np.ndarray, count: int, label) -> Stats:
    out = np.zeros((count, 3))
    out[:, 1], out[:, 2] = np.inf, -np.inf
    _ranges(ids, z, out)
    return {label(k): [float(r[0]), float(r[1]), float(r[2])] for k, r in enumerate(out)
            if r[0] > 0}


def merge_stats(a: Stats, b: Stats) -> Stats:
    out = {k: list(v) for k, v in a.items()}
    for k, (n, lo, hi) in b.items():
        if k in out:
            out[k] = [out[k][0] + n, min(out[k][1], lo), max(out[k][2], hi)]
        else:
            out[k] = [n, lo, hi]
    return out


# ------------------------------------------------------------------------------- ingest


@dataclass
class PartBands:
    """Finest-level band and edge tables of a batch of points, and their z statistics."""

    tables: dict[str, ov.Table] = field(default_factory=dict)
    stats: Stats = field(default_factory=dict)


def part_bands(columns: dict[str, np.ndarray], params: list[str], level: int,
               edges) -> PartBands:
    """Band and "at"-edge tables of a batch (what :func:`.writer.write_part` keeps)."""
    ids = band_ids(columns["z"], edges)
    out = at_edges(columns, params, level, edges)
    out.stats.update(_stats_of(ids, columns["z"], len(edges) + 1, band_label))
    for k, t in ov.group_tables(columns, params, level, ids).items():
        out.tables[band_label(k)] = t
    return out


def at_edges(columns: dict[str, np.ndarray], params: list[str], level: int,
             edges) -> PartBands:
    """Tables and statistics of the points lying exactly on an edge."""
    z = columns["z"]
    on = at_ids(z, edges)
    sel = np.flatnonzero(on >= 0)
    out = PartBands()
    if sel.size:
        sub = {c: columns[c][sel] for c in ("longitude", "latitude", "z", *params,
                                               *(f"{p}_qc" for p in params))}
        out.stats = _stats_of(on[sel], z[sel], len(edges), at_label)
        for k, t in ov.group_tables(sub, params, level, on[sel]).items():
            out.tables[at_label(k)] = t
    return out


def merge_parts(parts: list[PartBands], params: list[str]) -> PartBands:
    out = PartBands()
    for p in parts:
        out.stats = merge_stats(out.stats, p.stats)
    for label in sorted({k for p in parts for k in p.tables}):
        out.tables[label] = ov.merge([p.tables[label] for p in parts if label in p.tables], params)
    return out


def write_pyramid(store, new: PartBands, params: list[str], gen: int, edges,
                  old: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write every level of the band tables (merged with ``old``'s section, same edges)
    and return the new manifest section."""
    from portal.pointstore.store import new_token

    edges = check_edges(edges)
    old_files = (old or {}).get("files", {})
    stats = merge_stats(_section_stats(old) if old else {}, new.stats)
    files: dict[str, dict[str, str]] = {}
    tables = dict(new.tables)
    for level in range(int(store.config["levels"]), -1, -1):
        current = dict(old_files.get(str(level), {}))
        for label, table in tables.items():
            rel = f"overviews/depth/L{level:02d}/{label}-g{gen:06d}-{new_token()}.parquet"
            ov.merge_into(store, current, label, table, params, rel)
        files[str(level)] = current
        tables = {k: ov.coarsen(t, level, params) for k, t in tables.items()}
    return section(edges, stats, files)


def section(edges, stats: Stats, files: dict[str, dict[str, str]]) -> dict[str, Any]:
    """The manifest's ``depth_bands`` entry."""
    bands = [{"label": band_label(i), "lo": None if math.isinf(lo) else lo,
              "hi": None if math.isinf(hi) else hi, **_stat_fields(stats.get(band_label(i)))}
             for i, (lo, hi) in enumerate(band_bounds(edges))]
    at = [{"label": at_label(i), "z": e, **_stat_fields(stats.get(at_label(i)))}
          for i, e in enumerate(edges)]
    return {"edges": list(edges), "bands": bands, "at": at, "files": files}


def _stat_fields(s) -> dict[str, Any]:
    if not s:
        return {"n": 0, "z_min": None, "z_max": None}
    return {"n": int(s[0]), "z_min": s[1], "z_max": s[2]}


def _section_stats(sec: dict[str, Any]) -> Stats:
    return {b["label"]: [b["n"], b["z_min"], b["z_max"]]
            for b in sec.get("bands", []) + sec.get("at", []) if b.get("n")}


# -------------------------------------------------------------------------------- query


@dataclass(frozen=True)
class DepthPlan:
    """How to answer a depth filter: tables taken whole, z ranges scanned exactly."""

    labels: tuple[str, ...]
    scans: tuple[tuple[float, float], ...] = ()
    effective: tuple[float, float] | None = None  # set when rounded to band edges


def plan(sec: dict[str, Any], lo: float, hi: float) -> DepthPlan:
    """Split the inclusive filter [lo, hi] into whole tables and cut-band scan ranges."""
    labels, scans = [], []
    for b, (a, e) in zip(sec["bands"], band_bounds(sec["edges"]), strict=True):
        if not b["n"] or b["z_max"] < lo or b["z_min"] > hi:
            continue
        if lo <= b["z_min"] and b["z_max"] <= hi:
            labels.append(b["label"])
        elif hi == a:  # only the points exactly on the band's lower edge
            labels.append(at_label(sec["edges"].index(a)))
        else:
            top = min(hi, float(np.nextafter(np.float32(e), np.float32(-np.inf))))
            scans.append((max(lo, a), top))
    return DepthPlan(tuple(labels), tuple(scans))


def snapped(sec: dict[str, Any], lo: float, hi: float) -> DepthPlan:
    """Band resolution: a cut band counts whole when the filter covers at least half of its
    z range, else not at all (the nearest band if none would remain)."""
    chosen, best = [], (-1.0, None)
    for b in sec["bands"]:
        if not b["n"] or b["z_max"] < lo or b["z_min"] > hi:
            continue
        width = max(b["z_max"] - b["z_min"], 1e-9)
        share = (min(hi, b["z_max"]) - max(lo, b["z_min"])) / width
        if share >= 0.5 or (lo <= b["z_min"] and b["z_max"] <= hi):
            chosen.append(b)
        if share > best[0]:
            best = (share, b)
    if not chosen and best[1] is not None:
        chosen = [best[1]]
    if not chosen:
        return DepthPlan(())
    bot = chosen[0]["lo"] if chosen[0]["lo"] is not None else chosen[0]["z_min"]
    top = chosen[-1]["hi"] if chosen[-1]["hi"] is not None else chosen[-1]["z_max"]
    return DepthPlan(tuple(b["label"] for b in chosen), (), (float(bot), float(top)))


# ---------------------------------------------------------------- adding to a store


def add_depth_bands(store_dir: str, edges=DEFAULT_EDGES,
                    progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Build depth-band overviews for an existing store (no re-ingest); returns the section.

    Streams ``BATCH_ROWS`` rows at a time; memory is one dense accumulator per band at the
    finest level (about 130 MB per band and two parameters at level 9) plus one batch.
    """
    from portal.pointstore import store as st

    edges = check_edges(edges)
    with st.writer_lock(store_dir):
        store = st.open_store(store_dir)
        params = store.params
        level = int(store.config["levels"])
        new = _stream_bands(store, params, level, edges, progress)
        manifest = dict(store.manifest)
        gen = int(manifest.get("generation", 0)) + 1
        manifest.update(generation=gen, updated=st.now_iso(),
                        config={**manifest.get("config", {}), "depth_bands": list(edges)})
        manifest["depth_bands"] = write_pyramid(store, new, params, gen, edges)
        st.write_manifest(store_dir, manifest)
    return manifest["depth_bands"]


def _stream_bands(store, params: list[str], level: int, edges,
                  progress: Callable[[int, int], None] | None) -> PartBands:
    import pyarrow.parquet as pq

    acc = _DenseBands(params, level, edges)
    cols = ["longitude", "latitude", "z", *params, *(f"{p}_qc" for p in params)]
    done = 0
    for i in range(len(store.parts)):
        pf = pq.ParquetFile(store.part_file(i))
        names = set(pf.schema_arrow.names)
        for batch in pf.iter_batches(batch_size=BATCH_ROWS, columns=[c for c in cols if c in names]):
            acc.add(_numpy_columns(batch, params))
            done += batch.num_rows
            if progress is not None:
                progress(done, store.n_points)
    return acc.result()


class _DenseBands:
    """Band tables accumulated densely over batches (one slot of cells per band); the
    few points exactly on edges go to sparse tables merged at the end."""

    def __init__(self, params: list[str], level: int, edges):
        self.params, self.level, self.edges = params, level, edges
        self.ncell = (1 << level) * (2 << level)
        self.nband = len(edges) + 1
        self.dense = ov.dense_accumulators(len(params), self.nband * self.ncell)
        self.touched: list[np.ndarray] = []
        self.at: list[PartBands] = []
        self.stats: Stats = {}

    def add(self, columns: dict[str, np.ndarray]) -> None:
        ids = band_ids(columns["z"], self.edges)
        self.stats = merge_stats(self.stats, _stats_of(ids, columns["z"], self.nband, band_label))
        cells = ov.cell_ids(columns, self.level) + np.maximum(ids, 0) * self.ncell
        vals, qcs = ov.value_matrices(columns, self.params)
        idx = np.flatnonzero(ids >= 0)
        buf = np.empty(min(idx.size, self.nband * self.ncell), np.int64)
        nt = ov.accumulate(idx, cells, vals, qcs, self.dense, buf)
        self.touched.append(buf[:nt].copy())
        self.at.append(at_edges(columns, self.params, self.level, self.edges))

    def result(self) -> PartBands:
        out = merge_parts(self.at, self.params)
        out.stats = merge_stats(self.stats, out.stats)
        cells = np.sort(np.concatenate(self.touched)) if self.touched else np.zeros(0, np.int64)
        which = cells // self.ncell
        for k in range(self.nband):
            mine = cells[which == k]
            if mine.size:
                table = ov.table_from_dense(mine, self.dense, self.params)
                out.tables[band_label(k)] = {**table, "cell": mine - k * self.ncell}
        return out


def _numpy_columns(batch, params: list[str]) -> dict[str, np.ndarray]:
    n = batch.num_rows
    out: dict[str, np.ndarray] = {}
    for name in ("longitude", "latitude", "z", *params):
        col = batch.column(name) if name in batch.schema.names else None
        out[name] = (np.full(n, np.nan, np.float32) if col is None
                     else col.to_numpy(zero_copy_only=False).astype(np.float32, copy=False))
    for p in params:
        q = f"{p}_qc"
        col = batch.column(q) if q in batch.schema.names else None
        out[q] = (np.full(n, -1, np.int8) if col is None
                  else col.to_numpy(zero_copy_only=False).astype(np.int8, copy=False))
    return out


def has_bands(store) -> bool:
    sec = store.manifest.get("depth_bands")
    return bool(sec and sec.get("files"))


def size_on_disk(store) -> int:
    """Bytes of the store's depth-band overview files."""
    sec = store.manifest.get("depth_bands") or {}
    return sum(os.path.getsize(store.file(rel)) for level in sec.get("files", {}).values()
               for rel in level.values() if os.path.exists(store.file(rel)))


def depth_share(store, lo: float | None, hi: float | None) -> float | None:
    """Share of the store's rows with z in [lo, hi] from the band statistics alone (None
    without bands): whole bands and edge points exact, cut bands pro rata of their z range.
    For download estimates (rows without z count as outside)."""
    sec = store.manifest.get("depth_bands")
    if not sec or not store.n_points:
        return None
    lo = -math.inf if lo is None else float(lo)
    hi = math.inf if hi is None else float(hi)
    p = plan(sec, lo, hi)
    counts = {b["label"]: b for b in sec["bands"] + sec["at"]}
    rows = float(sum(counts[lab]["n"] for lab in p.labels))
    for a, e in p.scans:
        for b in sec["bands"]:
            if b["n"] and b["z_max"] >= a and b["z_min"] <= e:
                width = max(b["z_max"] - b["z_min"], 1e-9)
                rows += b["n"] * min(1.0, (min(e, b["z_max"]) - max(a, b["z_min"])) / width)
    return min(1.0, rows / store.n_points)
