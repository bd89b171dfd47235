"""A map view in the page, before and after its exact answer: cold views and their neighbours.

An exact map of a zoomed-in view reads the row groups it intersects; those in the hot cache
(:mod:`.cache`) cost a kernel pass, the others a Parquet read first, which on a 10⁹ store can
take seconds when the files are not even in the OS's page cache. Two things keep a zoom
quick there. :func:`preview_dataset` answers a *cold* view (more than :data:`COLD_ROWS` rows
to read) at once from the finest overview level, coarser than a pixel and said so
(``preview`` attribute); the page then asks for the exact view, whose read can be stopped
by a newer one (``cancel``). :func:`prefetch_ring` reads, while the user looks at a view,
the row groups that a zoom out or a pan most likely needs next: those of the box around the
view (:data:`RING_GROW` times its size) that the view itself does not hold, nearest first,
within :data:`PREFETCH_SHARE` of the cache's byte budget, in small chunks so that a new
view stops it within one chunk.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import xarray as xr

from portal.pointstore import aggregate as A
from portal.pointstore import cache as hc
from portal.pointstore import query as Q
from portal.pointstore.store import Store, open_store

#: rows to read from disk beyond which a view is answered from the overviews first
COLD_ROWS = 1_000_000
#: the prefetched box, as a multiple of the view's width and height (one zoom out, a pan)
RING_GROW = 2.0
#: share of the hot cache's byte budget a prefetch may fill
PREFETCH_SHARE = 0.25
#: rows read per prefetch chunk: a new view waits for at most one such read
PREFETCH_CHUNK_ROWS = 262_144


def _points_plan(store: Store, spec: Q.AggSpec) -> tuple[np.ndarray, list[str], bool] | None:
    """(row groups, columns, compact) the exact answer of a map view reads from the points;
    None when the overviews or depth bands answer it (or it holds no row group)."""
    if spec.kind != "map" or A.overview_level(store, spec) is not None:
        return None
    whole = dataclasses.replace(spec, depth=None)
    if spec.depth is not None and spec.time is None and store.manifest.get("depth_bands") \
            and A.overview_level(store, whole) is not None:
        return None
    rg_rows = Q.select_row_groups(store, spec)
    if not len(rg_rows):
        return None
    return rg_rows, A.columns_for(spec), A.use_compact(store, spec, rg_rows)


def cold_rows(store: Store, spec: Q.AggSpec) -> int:
    """Rows the exact answer of ``spec`` would read from disk (0: overviews, or all hot)."""
    plan = _points_plan(store, spec)
    if plan is None:
        return 0
    rg_rows, cols, compact = plan
    cache = hc.hot_cache()
    if int(store.index["rows"][rg_rows].sum()) * _row_bytes(cols, compact) > cache.budget:
        return int(store.index["rows"][rg_rows].sum())  # streamed: read every time
    return cache.missing_rows(store, rg_rows, cols, compact)


def _row_bytes(cols: list[str], compact: bool) -> int:
    return sum(hc.itemsize(c, compact) for c in cols)


def preview_dataset(store_dir: str, variable: str = "TEMP", cold: int | None = None,
                    **kwargs: Any) -> xr.Dataset | None:
    """The count and mean of a cold view from the finest overview level (attrs ``preview``
    1, ``source`` "overview"), or None: the view is not cold (its exact answer reads at most
    ``cold`` rows from disk, default :data:`COLD_ROWS`) or no overview can answer it (a time window cutting the
    overviews' time bins, a depth filter). Arguments as :func:`.aggregate.aggregate_dataset`."""
    store = open_store(store_dir)
    kwargs.setdefault("how", "mean")
    spec = Q.make_spec(store, "map", variable=variable, **kwargs)
    if cold_rows(store, spec) <= (COLD_ROWS if cold is None else cold):
        return None
    level = A.overview_level(store, spec, force=True)
    if level is None:
        return None
    result = A.from_overviews(store, spec, level)
    result.update(preview=1, row_groups_total=store.n_row_groups)
    return A.stats_dataset(store, spec, result)


def ring_row_groups(store: Store, spec: Q.AggSpec, grow: float = RING_GROW) -> np.ndarray:
    """Index rows of the row groups of the box ``grow`` times the view (same centre) that
    the view's own selection lacks, nearest the view's centre first."""
    x0, y0, x1, y1 = spec.bbox
    cx, cy, hw, hh = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) * grow / 2, (y1 - y0) * grow / 2
    box = (max(cx - hw, -180.0), max(cy - hh, -90.0), min(cx + hw, 180.0), min(cy + hh, 90.0))
    if x1 > 180 or x0 < -180:  # a view across the date line: keep its continuous frame
        box = (cx - hw, box[1], cx + hw, box[3])
    outer = Q.select_row_groups(store, dataclasses.replace(spec, bbox=box))
    ring = np.setdiff1d(outer, Q.select_row_groups(store, spec), assume_unique=True)
    ix = store.index
    lon = (ix["lon_min"][ring] + ix["lon_max"][ring]) / 2
    lat = (ix["lat_min"][ring] + ix["lat_max"][ring]) / 2
    return ring[np.argsort(np.hypot(lon - cx, lat - cy), kind="stable")]


def prefetch_ring(store_dir: str, variable: str = "TEMP", cancel: hc.Cancel | None = None,
                  grow: float = RING_GROW, max_bytes: int | None = None,
                  **kwargs: Any) -> int:
    """Read into the hot cache the ring's row groups (:func:`ring_row_groups`) a zoom out
    or pan of the view would read, as the view's exact answer reads them (same columns and
    encoding), nearest first, at most ``max_bytes`` (default :data:`PREFETCH_SHARE` of the
    cache's budget). Returns the rows read; stops quietly when ``cancel()`` says so. A view
    the overviews answer has no ring."""
    store = open_store(store_dir)
    kwargs.setdefault("how", "mean")
    spec = Q.make_spec(store, "map", variable=variable, **kwargs)
    plan = _points_plan(store, spec)
    if plan is None:
        return 0
    _, cols, compact = plan
    cache = hc.hot_cache()
    limit = int(cache.budget * PREFETCH_SHARE) if max_bytes is None else max_bytes
    ring = ring_row_groups(store, spec, grow)
    rows = store.index["rows"][ring]
    ring = ring[np.cumsum(rows) * _row_bytes(cols, compact) <= limit]
    todo = cache.missing_rows(store, ring, cols, compact)
    step = _groups_per_chunk(store)
    for start in range(0, len(ring), step):
        chunk = ring[start:start + step]
        if cancel is not None and cache.missing_rows(store, chunk, cols, compact) \
                and cancel():
            return todo - cache.missing_rows(store, ring, cols, compact)
        parts = store.index["part"][chunk]
        for part in np.unique(parts):
            cache.prefill(store, int(part), chunk[parts == part], cols, compact)
    return todo


def _groups_per_chunk(store: Store) -> int:
    return max(1, PREFETCH_CHUNK_ROWS // int(store.config["row_group_size"]))
