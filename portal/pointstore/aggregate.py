"""Aggregate first, colour later: store -> ``xr.DataArray`` on a canvas, pruned and lean.

:func:`render_aggregate` answers a map (count, mean/sum/min/max of a parameter, or the QC mix
per pixel) and :func:`profile_density` a value-against-depth histogram of every profile in a
selection. A full-extent view (or any view whose pixels are no finer than the finest overview
cells, with a time window made of whole time bins) is spread from the overview pyramid and
never touches the points; a depth filter there is answered from the depth-band overviews
(:mod:`.bands`), scanning only the cut bands' share of the filter. Otherwise only the row groups intersecting the
view, time window and depth range are read, through the hot cache when they fit its budget
(compact uint16 codes unless the view is so zoomed that codes would show, then exact
float32), else streamed part by part in bounded memory; the numba kernel of
:mod:`.kernels` does the counting. ``scheduler`` (an address or a ``distributed.Client``)
runs the per-part work on a Dask cluster instead (:mod:`.cluster`); results are equal.
Attributes on every result say where it came from (``source``, ``level``,
``row_groups_read``/``row_groups_total``, ``points``), which tests and the UI use.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time as _time
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import xarray as xr

from portal.cache import data_cache
from portal.errors import NoDataInSelection, PortalError, SourceUnavailable
from portal.pointstore import bands as B
from portal.pointstore import cache as hc
from portal.pointstore import kernels as K
from portal.pointstore import overviews as ov
from portal.pointstore import query as Q
from portal.pointstore.schema import (
    N_CLASSES,
    PRESET_CLASSES,
    QC_CLASSES,
    flag_class_table,
    preset_mask_table,
    time_bin_bounds,
)
from portal.pointstore.store import Store, open_store
from portal.settings import current

COMPACT_MARGIN = 4.0  # compact codes only when a code step is <= 1/4 pixel
QC_MIX = ("good", "probably_good", "bad")
#: largest exact scan of cut depth bands next to the band overviews (beyond: band resolution)
EDGE_SCAN_POINTS = 20_000_000


def render_aggregate(store_dir: str, bbox=None, time=None, width: int = 800, height: int = 500,
                     how: str = "count", variable: str = "TEMP", qc: str = "all",
                     scheduler: Any = None, depth=None, max_points: int | None = None,
                     use_overviews: bool = True, encoding: str = "auto") -> xr.DataArray:
    """Aggregate the store's points in ``bbox`` (W, S, E, N) on a ``width`` x ``height`` canvas.

    ``how``: ``count`` (points; with a QC preset, valid values of ``variable`` whose flags it
    keeps), ``mean``/``sum``/``min``/``max`` of ``variable``, or ``qc`` (counts per QC class,
    dims y, x, qc). ``time``: (start, end) ISO strings, either open, both inclusive (a date
    alone as end means the whole day). ``depth``: (min, max) pressure/depth filter, both
    inclusive, either None; on views the overviews cover it comes from the depth-band
    overviews (see :func:`_from_depth_bands`; attrs ``depth_bands``, and ``depth_effective``
    when rounded to band edges). Beyond ``max_points`` points to scan, the answer comes
    from the overviews (attrs ``approximate``) or is refused with a message. ``encoding``
    ("auto", "compact", "exact") and ``use_overviews`` exist for tests and benchmarks.
    """
    store = open_store(store_dir)
    spec = Q.make_spec(store, "map", bbox=bbox, time=time, width=width, height=height, how=how,
                       variable=variable, qc=qc, depth=depth)
    result = compute(store, spec, scheduler=scheduler, max_points=max_points,
                     use_overviews=use_overviews, encoding=encoding)
    return to_dataarray(store, spec, result)


def aggregate_dataset(store_dir: str, variable: str = "TEMP", **kwargs) -> xr.Dataset:
    """Count and mean of ``variable`` in one pass (what hover needs); min and max too when
    the answer comes from the points (``how="min"`` asks the overviews for extremes)."""
    store = open_store(store_dir)
    kwargs.setdefault("how", "mean")
    run = {k: kwargs.pop(k) for k in ("scheduler", "max_points", "use_overviews", "encoding",
                                      "cancel") if k in kwargs}
    spec = Q.make_spec(store, "map", variable=variable, **kwargs)
    return stats_dataset(store, spec, compute(store, spec, **run))


def stats_dataset(store: Store, spec: Q.AggSpec, result: dict[str, Any]) -> xr.Dataset:
    """The count, mean (and min, max when known) of a :func:`compute` result."""
    base = to_dataarray(store, spec, result)
    out = {}
    for name in ("count", "mean", "min", "max"):
        if name in ("min", "max") and np.isnan(result[name]).all():
            continue
        out[name] = base.copy(data=_statistic(result, name, spec)).rename(name)
    return xr.Dataset(out, attrs=base.attrs)


def hover_info(agg: xr.Dataset | xr.DataArray, lon: float, lat: float) -> dict[str, float]:
    """Count and mean (when present) of the pixel under (lon, lat) of an aggregate."""
    data = agg if isinstance(agg, xr.Dataset) else agg.to_dataset(name=agg.name or "value")
    px = data.sel(x=lon, y=lat, method="nearest")
    return {str(name): float(px[name].values) for name in data.data_vars if px[name].ndim == 0}


def profile_density(store_dir: str, bbox=None, time=None, variable: str = "TEMP",
                    qc: str = "all", width: int = 400, height: int = 400, value_range=None,
                    depth_range=None, scheduler: Any = None,
                    max_points: int | None = None) -> xr.DataArray:
    """Number of observations per (value, depth) pixel for all profiles of the selection.

    Dims ``y`` (depth or pressure, increasing downwards in the ocean, ascending in the array)
    and ``x`` (the value); ranges default to the store's valid value range and 0..max depth.
    """
    store = open_store(store_dir)
    stats = store.manifest.get("stats", {})
    if value_range is None:
        value_range = (stats.get("ranges") or {}).get(variable)
    if depth_range is None and stats.get("z"):
        depth_range = (0.0, float(stats["z"][1]))
    if not value_range or not depth_range or value_range[1] <= value_range[0]:
        raise NoDataInSelection(f"no valid {variable} values to draw a profile density",
                                dataset=store.name)
    spec = Q.make_spec(store, "density", bbox=bbox, time=time, width=width, height=height,
                       variable=variable, qc=qc, x_range=value_range, y_range=depth_range)
    result = compute(store, spec, scheduler=scheduler, max_points=max_points,
                     use_overviews=False)
    if result["count"].sum() == 0:
        raise NoDataInSelection(f"no {variable} observations in the selection",
                                dataset=store.name, hint="widen the box, time window or QC preset")
    return to_dataarray(store, spec, result)


# ------------------------------------------------------------------------------- planning


def compute(store: Store, spec: Q.AggSpec, scheduler: Any = None, max_points: int | None = None,
            use_overviews: bool = True, encoding: str = "auto",
            cancel: hc.Cancel | None = None) -> dict[str, Any]:
    """Flat canvas arrays (count, sum, min, max, classes) plus provenance.

    ``max_points`` defaults to ``PORTAL_POINTSTORE_MAX_POINTS`` (unset: no limit; memory
    stays bounded anyway, since what exceeds the cache budget is streamed part by part).
    ``cancel()`` is asked between chunks of rows read from disk (``hc.Cancelled``).
    """
    t0 = _time.perf_counter()
    if max_points is None:
        max_points = current().pointstore_max_points
    result = _from_depth_bands(store, spec, scheduler, max_points) if use_overviews else None
    if result is None:
        result = _answer(store, spec, scheduler, max_points, use_overviews, encoding, cancel)
    result["row_groups_total"] = store.n_row_groups
    result["seconds"] = _time.perf_counter() - t0
    return result


def _answer(store: Store, spec: Q.AggSpec, scheduler: Any, max_points: int | None,
            use_overviews: bool, encoding: str, cancel: hc.Cancel | None) -> dict[str, Any]:
    """Overviews when they cover the view, else the points (within ``max_points``)."""
    level = overview_level(store, spec) if use_overviews else None
    rg_rows = Q.select_row_groups(store, spec)
    points = int(store.index["rows"][rg_rows].sum()) if len(rg_rows) else 0
    if level is None and max_points is not None and points > max_points:
        level = overview_level(store, spec, force=True) if use_overviews else None
        if level is None:
            raise PortalError(
                f"this selection would scan {points:,} points (limit {max_points:,}) and the "
                "overviews cannot answer it", dataset=store.name,
                hint="zoom in, shorten the time window or drop the depth filter")
        result = from_overviews(store, spec, level)
        result["approximate"] = 1
        return result
    if level is not None:
        return from_overviews(store, spec, level)
    return from_points(store, spec, rg_rows, scheduler, encoding, cancel)


def _from_depth_bands(store: Store, spec: Q.AggSpec, scheduler: Any,
                      max_points: int | None) -> dict[str, Any] | None:
    """A depth-filtered map from the depth-band overviews (None: they cannot answer).

    Bands the filter covers whole are spread from their tables; cut bands are scanned
    exactly (float32 z, only their part of the filter) when that scan stays within
    ``EDGE_SCAN_POINTS``, else the filter is rounded to band edges and the result says so
    (``approximate``, ``depth_effective``)."""
    sec = store.manifest.get("depth_bands")
    if spec.kind != "map" or spec.depth is None or spec.time is not None or not sec:
        return None
    whole = dataclasses.replace(spec, depth=None)
    level = overview_level(store, whole)
    if level is None:  # pixels finer than the finest cells: the points answer
        return None
    plan = B.plan(sec, *spec.depth)
    scans = [dataclasses.replace(spec, depth=r) for r in plan.scans]
    rows = [Q.select_row_groups(store, s) for s in scans]
    limit = min(EDGE_SCAN_POINTS, max_points if max_points is not None else EDGE_SCAN_POINTS)
    if sum(int(store.index["rows"][r].sum()) for r in rows) > limit:
        plan, scans, rows = B.snapped(sec, *spec.depth), [], []
    files = sec["files"].get(str(level), {})
    missing = [lab for lab in plan.labels if lab not in files]
    if missing:
        raise SourceUnavailable(f"depth-band overviews {missing} of level {level} are missing",
                                dataset=store.name, hint="rebuild them with 'odatis-portal "
                                "points overviews STORE --depth-bands'")
    out = _spread_files(store, whole, level, [files[lab] for lab in plan.labels])
    parts = [from_points(store, s, r, scheduler, "exact") for s, r in zip(scans, rows, strict=True)]
    result = merge_results([out, *parts], spec) if parts else out
    result.update(source="overview+points" if parts else "overview", level=level,
                  row_groups_read=int(sum(len(r) for r in rows)), depth_bands=list(plan.labels),
                  points=int(round(result["count"].sum())))
    if plan.effective is not None:
        result.update(approximate=1, depth_effective=list(plan.effective))
    return result


def overview_level(store: Store, spec: Q.AggSpec, force: bool = False) -> int | None:
    """Coarsest overview level whose cells are no larger than a pixel (None: use points)."""
    if spec.kind != "map" or spec.depth is not None or not store.manifest.get("overviews"):
        return None
    if spec.time is not None and _time_bins(store, spec) is None:
        return None
    x0, y0, x1, y1 = spec.bbox
    pixel = min((x1 - x0) / spec.width, (y1 - y0) / spec.height)
    top = int(store.config["levels"])
    for level in range(top + 1):
        if 180.0 / (1 << level) <= pixel * 1.0001:
            return level
    return top if force else None


def _time_bins(store: Store, spec: Q.AggSpec) -> list[str] | None:
    """Overview files covering exactly the time window, or None if it cuts a bin."""
    if spec.time is None:
        return ["all"]
    unit = store.config["time_bin"]
    lo, hi = spec.time
    top = str(store.config["levels"])
    bins = sorted(int(k) for k in store.manifest["overviews"].get(top, {}) if k != "all")
    keep = []
    for b in bins:
        start, end = time_bin_bounds(b, unit)
        if start >= lo and end - 1 <= hi:
            keep.append(str(b))
        elif end - 1 >= lo and start <= hi:
            return None  # the window cuts this bin
    return keep


# -------------------------------------------------------------------------------- overviews


def from_overviews(store: Store, spec: Q.AggSpec, level: int) -> dict[str, Any]:
    """Canvas arrays spread from the level's tables for the window's time bins."""
    files = store.overview_files(level)
    labels = _time_bins(store, spec) or []
    if spec.time is not None and labels is not None:
        labels = [b for b in labels if b != "all"] or []
    return _spread_files(store, spec, level, [files[b] for b in labels if b in files])


def _spread_files(store: Store, spec: Q.AggSpec, level: int, names: list[str]) -> dict[str, Any]:
    """Canvas arrays spread from the level's overview files ``names`` (summed)."""
    out = _empty_result(spec)
    var = spec.variable
    classes = PRESET_CLASSES[spec.qc]
    for name in names:
        stats: tuple[str, ...] = ("n", "min", "max") if spec.how in ("min", "max") else ("n", "sum")
        if spec.how in ("qc", "count"):
            stats = ("n",)
        wanted = tuple(range(N_CLASSES)) if spec.how == "qc" else tuple(classes)
        table = _overview_table(store, name, [var] if var else [], stats, wanted)
        if len(table["cell"]) == 0:
            continue
        values, extremes = _cell_values(table, spec, classes)
        sums, mins, maxs = ov.spread(table, level, values, spec.bbox, spec.width, spec.height,
                                     extremes)
        _accumulate_spread(out, spec, sums, mins, maxs)
    out.update(source="overview", level=level, row_groups_read=0,
               points=int(round(out["count"].sum())))
    return out


def _overview_table(store: Store, name: str, params: list[str], stats: tuple[str, ...],
                    classes: tuple[int, ...]) -> ov.Table:
    """An overview table's columns, kept in the process's byte-bounded data cache (keyed on
    the store's manifest version): a new view of the same level and time bin reads no file."""
    key = ("overview", store.path, store.version, name, tuple(params), stats, classes)
    return data_cache().get_or_compute(
        key, lambda: ov.read_table(store.file(name), params, stats, classes))


def _cell_values(table, spec, classes):
    var = spec.variable
    if var is None:
        return table["n"][:, None].astype(np.float64), None
    n = table[f"{var}_n"]
    if spec.how == "qc":
        return n.astype(np.float64), None
    cols = list(classes)
    count = n[:, cols].sum(1)
    if spec.how in ("count", "mean", "sum"):
        total = table[f"{var}_sum"][:, cols].sum(1) if spec.how != "count" else count * 0.0
        return np.stack([count, total], 1), None
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # cells without values: NaN
        mins = np.nanmin(np.where(n[:, cols] > 0, table[f"{var}_min"][:, cols], np.nan), 1)
        maxs = np.nanmax(np.where(n[:, cols] > 0, table[f"{var}_max"][:, cols], np.nan), 1)
    return np.stack([count, count * 0.0], 1), np.stack([mins, maxs], 1)


def _accumulate_spread(out, spec, sums, mins, maxs) -> None:
    flat = sums.reshape(sums.shape[0], -1)
    if spec.how == "qc":
        out["classes"][:, : flat.shape[1]] += flat
        out["count"] += flat.sum(0)
        return
    out["count"] += flat[0]
    if flat.shape[0] > 1:
        out["sum"] += flat[1]
    if mins is not None:
        out["min"] = np.fmin(out["min"], mins.ravel())
        out["max"] = np.fmax(out["max"], maxs.ravel())


def _empty_result(spec: Q.AggSpec) -> dict[str, Any]:
    npix = spec.width * spec.height
    return {"count": np.zeros(npix), "sum": np.zeros(npix), "min": np.full(npix, np.nan),
            "max": np.full(npix, np.nan), "classes": np.zeros((N_CLASSES, npix))}


# ----------------------------------------------------------------------------------- points


def from_points(store: Store, spec: Q.AggSpec, rg_rows: np.ndarray, scheduler: Any = None,
                encoding: str = "auto", cancel: hc.Cancel | None = None) -> dict[str, Any]:
    """Canvas arrays from the selected row groups, part by part (locally or on a cluster)."""
    parts = store.index["part"][rg_rows]
    jobs = [(int(p), rg_rows[parts == p]) for p in np.unique(parts)]
    if encoding == "auto" and len(rg_rows):  # decided once, so that cluster tasks agree
        encoding = "compact" if use_compact(store, spec, rg_rows) else "exact"
    if scheduler is not None:
        from portal.pointstore.cluster import run_on_cluster

        partials = run_on_cluster(scheduler, store.path, spec, jobs, encoding)
        out = merge_results(partials, spec)
    else:
        out = run_parts(store, spec, jobs, encoding=encoding, cancel=cancel)
    out.update(source="points", level=None, row_groups_read=int(len(rg_rows)))
    return out


def columns_for(spec: Q.AggSpec) -> list[str]:
    """Columns the kernel needs (time only matters where a row group straddles the window)."""
    if spec.kind == "map":
        cols = ["longitude", "latitude"]
        if spec.depth is not None:
            cols.append("z")
    else:
        cols = [spec.variable or "", "z"]
        if spec.bbox != Q.WORLD:
            cols += ["longitude", "latitude"]
    if spec.needs_value and spec.variable and spec.variable not in cols:
        cols.append(spec.variable)
    if spec.needs_flags:
        cols.append(f"{spec.variable}_qc")
    if spec.time is not None:
        cols.append("time")
    return cols


def use_compact(store: Store, spec: Q.AggSpec, rg_rows: np.ndarray) -> bool:
    """Compact codes when their step is far below a pixel on both axes."""
    ix = store.index
    x0, y0, x1, y1 = spec.canvas
    px, py = (x1 - x0) / spec.width, (y1 - y0) / spec.height
    if spec.kind == "map":
        sx = float(np.max(ix["lon_max"][rg_rows] - ix["lon_min"][rg_rows], initial=0)) / hc.Q_MAX
        sy = float(np.max(ix["lat_max"][rg_rows] - ix["lat_min"][rg_rows], initial=0)) / hc.Q_MAX
        return sx * COMPACT_MARGIN <= px and sy * COMPACT_MARGIN <= py
    rng = (store.manifest.get("stats", {}).get("ranges") or {}).get(spec.variable) or (0, 0)
    span = max(rng[1] - rng[0], x1 - x0) * 4  # bad values can lie outside the valid range
    zs = float(np.nanmax(ix["z_max"][rg_rows] - ix["z_min"][rg_rows], initial=0)) / hc.Q_MAX
    return span / hc.Q_MAX * COMPACT_MARGIN <= px and zs * COMPACT_MARGIN <= py


def run_parts(store: Store, spec: Q.AggSpec, jobs: list[tuple[int, np.ndarray]],
              stream: bool | None = None, encoding: str = "auto",
              cancel: hc.Cancel | None = None) -> dict[str, Any]:
    """Run the kernel over (part, index rows) jobs into one result (the unit of cluster work).

    ``stream`` (default: when the columns exceed the cache budget) reads into temporary
    arrays part by part instead of the hot cache. ``cancel`` as in :func:`compute`.
    """
    if not jobs:
        out = _empty_result(spec)
        out["points"] = 0
        return out
    all_rows = np.concatenate([r for _, r in jobs])
    if encoding not in ("auto", "compact", "exact"):
        raise PortalError(f"unknown encoding {encoding!r}; use auto, compact or exact")
    compact = use_compact(store, spec, all_rows) if encoding == "auto" else encoding == "compact"
    cols = columns_for(spec)
    cache = hc.hot_cache()
    if stream is None:
        itemsize = sum(hc.itemsize(c, compact) for c in cols)
        stream = int(store.index["rows"][all_rows].sum()) * itemsize > cache.budget
    acc = _Accumulator(spec)
    for part, rows in jobs:
        if stream:
            if cancel is not None and cancel():
                raise hc.Cancelled
            loaded = hc.load_uncached(store, part, rows, cols, compact)
        else:
            loaded = cache.load(store, part, rows, cols, compact, cancel)
        P, IP = Q.kernel_params(store, spec, rows, loaded, compact)
        acc.add(loaded, P, IP, compact, cols)
    out = acc.result()
    out["points"] = int(store.index["rows"][all_rows].sum())
    out["compact"] = int(compact)
    return out


_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def n_threads() -> int:
    """Kernel threads: ``PORTAL_POINTSTORE_THREADS`` or the number of CPUs."""
    return max(1, current().pointstore_threads or os.cpu_count() or 1)


def _pool() -> ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(n_threads(), thread_name_prefix="pointstore")
        return _POOL


class _Accumulator:
    """Per-thread canvases reused across parts; reduced once at the end."""

    def __init__(self, spec: Q.AggSpec):
        self.spec = spec
        self.mode = {"count": K.MODE_COUNT, "qc": K.MODE_CLASSES}.get(spec.how, K.MODE_STATS)
        if spec.kind == "density":
            self.mode = K.MODE_COUNT
        g = n_threads()
        npix = spec.width * spec.height + 1
        stats = self.mode == K.MODE_STATS
        self.n = np.zeros((g, npix), np.uint32)
        self.s = np.zeros((g, npix if stats else 0))
        self.lo = np.full((g, npix if stats else 0), np.inf)
        self.hi = np.full((g, npix if stats else 0), -np.inf)
        self.c = np.zeros((g, N_CLASSES, npix if self.mode == K.MODE_CLASSES else 0), np.uint32)
        self.qc_lut = preset_mask_table(spec.qc)
        self.cls_lut = flag_class_table()

    def add(self, loaded: hc.Loaded, P, IP, compact: bool, cols: list[str]) -> None:
        if len(IP) == 0:
            return
        spec, a = self.spec, loaded.arrays
        empty = _empty_like(a, compact)
        if spec.kind == "map":
            x, y = a["longitude"], a["latitude"]
            fa, fb = a.get("z", empty), empty
        else:
            x, y = a[spec.variable or ""], a["z"]
            fa, fb = a.get("longitude", empty), a.get("latitude", empty)
        t = a.get("time", np.empty(0, np.uint32))
        flags = a.get(f"{spec.variable}_qc", np.empty(0, np.int8))
        v = a[spec.variable or ""] if spec.needs_value else empty
        groups = K.balanced_groups(IP[:, K.I_STOP] - IP[:, K.I_START], self.n.shape[0])
        K.aggregate(x, y, fa, fb, t, flags, v, P, IP, groups, self.spec.width,
                    self.spec.height, self.mode, compact, self.qc_lut, spec.qc != "all",
                    spec.kind == "density", self.cls_lut, self.n, self.s, self.lo, self.hi, self.c,
                    pool=_pool())

    def result(self) -> dict[str, Any]:
        npix = self.spec.width * self.spec.height
        out = _empty_result(self.spec)
        out["count"] = self.n[:, :npix].sum(0, dtype=np.int64).astype(np.float64)
        if self.mode == K.MODE_STATS:
            out["sum"] = self.s[:, :npix].sum(0)
            lo, hi = self.lo[:, :npix].min(0), self.hi[:, :npix].max(0)
            out["min"] = np.where(np.isfinite(lo), lo, np.nan)
            out["max"] = np.where(np.isfinite(hi), hi, np.nan)
        if self.mode == K.MODE_CLASSES:
            out["classes"] = self.c[:, :, :npix].sum(0, dtype=np.int64).astype(np.float64)
        return out


def _empty_like(arrays: dict[str, np.ndarray], compact: bool) -> np.ndarray:
    return np.empty(0, np.uint16 if compact else np.float32)


def merge_results(partials: list[dict[str, Any]], spec: Q.AggSpec) -> dict[str, Any]:
    """Combine results of disjoint row-group sets (cluster tasks)."""
    out = _empty_result(spec)
    out["points"] = 0
    for r in partials:
        out["count"] = out["count"] + r["count"]
        out["sum"] = out["sum"] + r["sum"]
        out["min"] = np.fmin(out["min"], r["min"])
        out["max"] = np.fmax(out["max"], r["max"])
        out["classes"] = out["classes"] + r["classes"]
        out["points"] += r.get("points", 0)
        out["compact"] = r.get("compact", 0)
    return out


# ------------------------------------------------------------------------------ to xarray


def _statistic(result: dict[str, Any], how: str, spec: Q.AggSpec) -> np.ndarray:
    shape = (spec.height, spec.width)
    count = result["count"].reshape(shape)
    if how == "count":
        return count
    if how == "qc":
        return np.moveaxis(result["classes"].reshape((N_CLASSES, *shape)), 0, -1)
    if how == "sum":
        return np.where(count > 0, result["sum"].reshape(shape), np.nan)
    if how == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0, result["sum"].reshape(shape) / count, np.nan)
    return result[how].reshape(shape)


def to_dataarray(store: Store, spec: Q.AggSpec, result: dict[str, Any]) -> xr.DataArray:
    """The canvas as a DataArray (x, y pixel centres ascending, as datashader's Canvas)."""
    x0, y0, x1, y1 = spec.canvas
    xs = x0 + (np.arange(spec.width) + 0.5) * (x1 - x0) / spec.width
    ys = y0 + (np.arange(spec.height) + 0.5) * (y1 - y0) / spec.height
    how = "count" if spec.kind == "density" else spec.how
    data = _statistic(result, how, spec)
    coords: dict[str, Any] = {"y": ys, "x": xs}
    dims: tuple[str, ...] = ("y", "x")
    if how == "qc":
        coords["qc"] = list(QC_CLASSES)
        dims = ("y", "x", "qc")
    attrs = {k: v for k, v in result.items() if k not in ("count", "sum", "min", "max", "classes")
             and v is not None}
    attrs.update(store=store.path, how=how, qc=spec.qc, kind=spec.kind,
                 variable=spec.variable or "", bbox=list(spec.bbox))
    var = store.manifest.get("variables", {}).get(spec.variable or "", {})
    if var.get("units") and how in ("mean", "sum", "min", "max"):
        attrs["units"] = var["units"]
    name = how if how in ("count", "qc") else f"{how}_{spec.variable}"
    return xr.DataArray(data, coords=coords, dims=dims, name=name, attrs=attrs)


def warmup() -> None:
    """Load the compiled kernels (from numba's disk cache) before the first request."""
    for compact in (True, False):
        dtype = np.uint16 if compact else np.float32
        P = np.zeros((1, K.N_F))
        IP = np.zeros((1, K.N_I), np.int64)
        IP[0, K.I_STOP] = 1
        one = np.zeros(1, dtype)
        K.aggregate(one, one, one, one, np.zeros(1, np.uint32), np.zeros(1, np.int8), one, P, IP,
                    np.array([0, 1]), 2, 2, K.MODE_COUNT, compact, np.ones(256, np.uint8), False,
                    False, np.zeros(256, np.uint8), np.zeros((1, 5), np.uint32), np.zeros((1, 0)),
                    np.zeros((1, 0)), np.zeros((1, 0)), np.zeros((1, 5, 0), np.uint32))
    ov.spread({"cell": np.zeros(1, np.int64)}, 0, np.ones((1, 1)), Q.WORLD, 2, 2,
              np.ones((1, 2)))


def qc_shares(agg: xr.DataArray) -> xr.DataArray:
    """Share of good, probably good and bad among flagged values per pixel (QC mix)."""
    total = agg.sum("qc")
    with np.errstate(invalid="ignore", divide="ignore"):
        return (agg.sel(qc=list(QC_MIX)) / total).where(total > 0)
