"""Columns of row groups in memory: compact encodings and a process-wide LRU under a budget.

Aggregations read columns row group by row group. :func:`load` returns, for the requested row
groups of one part, contiguous arrays plus each row group's decoding (``value = offset + code
* step``). Two encodings: ``compact`` stores positions, depths and values as uint16 codes
within the row group's own range (a 10° box gives 17 m steps; 65535 marks a missing value),
halving memory traffic and what a budget can hold; ``exact`` keeps float32. Times are uint32
seconds since the row group's first time (exact), flags int8. The :class:`HotCache` keeps
whole-part arrays, filled lazily per row group (untouched pages cost no memory), evicts least
recently used part columns beyond ``PORTAL_POINTSTORE_CACHE_GB`` (default 6), and is shared
by all sessions of a server process (it is locked; entries are immutable once filled). Keys
include the store's manifest version, so a re-ingested store is read again. Missing row
groups are read from Parquet a chunk at a time (:data:`CHUNK_ROWS`) with the lock released,
so one long cold read neither holds up other views nor outlives the view that asked for it:
``cancel`` (a callable) is asked between chunks and :class:`Cancelled` stops the read (what
was read stays cached). :meth:`HotCache.missing_rows` says how cold a set of row groups is.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from portal.errors import SourceUnavailable
from portal.pointstore import jit as nb  # numba, imported at the first kernel call
from portal.pointstore.kernels import Q_NAN
from portal.pointstore.store import Store
from portal.settings import current

Q_MAX = Q_NAN - 1
BATCH_ROWS = 4_000_000  # rows read from Parquet at a time when filling the cache
#: rows read per chunk with the cache's lock released (a new view waits at most one chunk)
CHUNK_ROWS = 1_000_000
ENCODED_BY_INDEX = {"longitude": ("lon_min", "lon_max"), "latitude": ("lat_min", "lat_max"),
                    "z": ("z_min", "z_max")}


def budget_bytes() -> int:
    """Cache budget: the ``pointstore_cache_bytes`` setting (``PORTAL_POINTSTORE_CACHE_GB``, 6 GB)."""
    return current().pointstore_cache_bytes


@nb.njit(cache=True, nogil=True)
def _segment_ranges(raw, src, rows, lo, hi):
    """NaN-ignoring min and max of each segment (lo/hi stay NaN for an all-NaN segment)."""
    for g in range(rows.size):
        a, b = np.inf, -np.inf
        for i in range(src[g], src[g] + rows[g]):
            v = raw[i]
            if v == v:
                a = min(a, v)
                b = max(b, v)
        if a <= b:
            lo[g], hi[g] = a, b


@nb.njit(cache=True, nogil=True)
def _encode_q16(raw, src, rows, off, step, dst, dst_start):
    """uint16 codes of float segments: round((v - off) / step), NaN -> Q_NAN."""
    for g in range(rows.size):
        inv = 1.0 / step[g]
        d = dst_start[g] - src[g]
        for i in range(src[g], src[g] + rows[g]):
            v = raw[i]
            if v != v:
                dst[i + d] = Q_NAN
            else:
                q = (np.float64(v) - off[g]) * inv + 0.5
                dst[i + d] = np.uint16(min(max(q, 0.0), float(Q_MAX)))


@nb.njit(cache=True, nogil=True)
def _encode_u32(raw, src, rows, t0, dst, dst_start):
    """Seconds since each segment's first time, as uint32."""
    for g in range(rows.size):
        d = dst_start[g] - src[g]
        for i in range(src[g], src[g] + rows[g]):
            dst[i + d] = np.uint32(raw[i] - t0[g])


def _copy_segments(raw, src, rows, dst, dst_start) -> None:
    for g in range(rows.size):
        dst[dst_start[g]:dst_start[g] + rows[g]] = raw[src[g]:src[g] + rows[g]]


def q16_params(lo: float, hi: float) -> tuple[float, float]:
    """(offset, step) of the uint16 codes covering [lo, hi]."""
    if not np.isfinite(lo) or not np.isfinite(hi):
        return 0.0, 1.0
    span = float(hi) - float(lo)
    return float(lo), (span / Q_MAX if span > 0 else 1.0)


class Cancelled(Exception):  # noqa: N818 - a signal, not an error
    """A read stopped because its answer is no longer wanted (a newer view came)."""


Cancel = Callable[[], bool]


@dataclass
class PartColumn:
    """One column of one part, row groups filled on demand."""

    data: np.ndarray
    loaded: np.ndarray  # bool per row group
    offset: np.ndarray  # float64 per row group
    step: np.ndarray  # float64 per row group
    nbytes: int = 0


@dataclass
class Loaded:
    """Columns of selected row groups: arrays plus where each row group starts and decodes."""

    arrays: dict[str, np.ndarray]
    starts: np.ndarray  # start of each selected row group in the arrays
    rows: np.ndarray
    offset: dict[str, np.ndarray] = field(default_factory=dict)
    step: dict[str, np.ndarray] = field(default_factory=dict)


def column_kind(name: str, compact: bool) -> str:
    if name == "time":
        return "u32"
    if name.endswith("_qc"):
        return "i8"
    return "q16" if compact else "f32"


_DTYPES = {"u32": np.uint32, "i8": np.int8, "q16": np.uint16, "f32": np.float32}


def itemsize(name: str, compact: bool) -> int:
    """Bytes per row of a column in memory."""
    return np.dtype(_DTYPES[column_kind(name, compact)]).itemsize


def encode_segments(name: str, kind: str, raw: np.ndarray, src: np.ndarray, rows: np.ndarray,
                    store: Store, gi: np.ndarray, dst: np.ndarray,
                    dst_start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Encode row groups ``gi`` (segments of ``raw``) into ``dst``; returns (offset, step)."""
    off, step = np.zeros(len(gi)), np.ones(len(gi))
    if kind == "u32":
        off = store.index["t_min"][gi].astype(np.float64)
        _encode_u32(raw, src, rows, store.index["t_min"][gi], dst, dst_start)
    elif kind in ("i8", "f32"):
        _copy_segments(raw.astype(_DTYPES[kind], copy=False), src, rows, dst, dst_start)
    else:
        if name in ENCODED_BY_INDEX:
            lo_name, hi_name = ENCODED_BY_INDEX[name]
            lo, hi = store.index[lo_name][gi].astype(np.float64), store.index[hi_name][gi]
        else:
            lo, hi = np.full(len(gi), np.nan), np.full(len(gi), np.nan)
            _segment_ranges(raw, src, rows, lo, hi)
        span = np.nan_to_num(hi - lo, nan=0.0)
        off = np.nan_to_num(lo, nan=0.0)
        step = np.where(span > 0, span / Q_MAX, 1.0)
        _encode_q16(raw, src, rows, off, step, dst, dst_start)
    return off, step


def read_row_groups(store: Store, part: int, rgs: list[int], columns: list[str]):
    """Raw numpy columns of row groups ``rgs`` of a part (missing parameters -> NaN / -1)."""
    import pyarrow.parquet as pq

    path = store.part_file(part)
    try:
        pf = pq.ParquetFile(path)
        present = [c for c in columns if c in pf.schema_arrow.names]
        table = pf.read_row_groups(rgs, columns=present, use_threads=True)
    except (OSError, ValueError) as exc:
        raise SourceUnavailable(f"part file {path} is missing or damaged: {exc}",
                                dataset=store.name, hint="re-ingest its sources or rebuild") from exc
    out = {}
    for c in columns:
        if c in present:
            col = table.column(c)
            out[c] = col.to_numpy() if col.num_chunks == 1 else np.concatenate(
                [ch.to_numpy(zero_copy_only=False) for ch in col.chunks])
            if c == "time":
                out[c] = out[c].astype("datetime64[s]").view("int64")
        else:
            out[c] = np.full(table.num_rows, -1 if c.endswith("_qc") else np.nan,
                             np.int8 if c.endswith("_qc") else np.float32)
    return out


class HotCache:
    """Process-wide cache of encoded part columns (LRU, byte budget)."""

    def __init__(self, budget: int | None = None):
        self.budget = budget_bytes() if budget is None else budget
        self._entries: OrderedDict[tuple, PartColumn] = OrderedDict()
        self._lock = threading.RLock()
        self.nbytes = 0

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.nbytes = 0

    def _entry(self, store: Store, part: int, name: str, kind: str) -> PartColumn:
        key = self._key(store, part, name, kind)
        entry = self._entries.get(key)
        if entry is None:
            sel = store.index["part"] == part
            nrg = int(sel.sum())
            entry = PartColumn(np.empty(int(store.parts[part]["rows"]), _DTYPES[kind]),
                               np.zeros(nrg, bool), np.zeros(nrg), np.ones(nrg))
            self._entries[key] = entry
        self._entries.move_to_end(key)
        return entry

    def _evict(self, keep: set[int]) -> None:
        while self.nbytes > self.budget and self._entries:
            victim = next((k for k, e in self._entries.items() if id(e) not in keep), None)
            if victim is None:
                return
            self.nbytes -= self._entries.pop(victim).nbytes

    def _key(self, store: Store, part: int, name: str, kind: str) -> tuple:
        return (os.path.abspath(store.path), store.version, store.parts[part]["name"], name, kind)

    def missing_rows(self, store: Store, rg_rows: np.ndarray, columns: list[str],
                     compact: bool) -> int:
        """Rows of the row groups at index rows ``rg_rows`` that some of ``columns`` lacks
        in the cache (what a load of them would read from Parquet)."""
        rg_rows = np.asarray(rg_rows, np.int64)
        parts = store.index["part"][rg_rows]
        todo = np.zeros(rg_rows.size, bool)
        with self._lock:
            for part in np.unique(parts):
                sel = parts == part
                local = _local(store, int(part), rg_rows[sel])
                for c in columns:
                    entry = self._entries.get(self._key(store, int(part), c,
                                                        column_kind(c, compact)))
                    todo[sel] |= True if entry is None else ~entry.loaded[local]
        return int(store.index["rows"][rg_rows[todo]].sum())

    def load(self, store: Store, part: int, rg_rows: np.ndarray, columns: list[str],
             compact: bool, cancel: Cancel | None = None) -> Loaded:
        """Columns of the part's row groups at index rows ``rg_rows``, cached. Missing row
        groups are read chunk by chunk without the lock (:meth:`prefill`)."""
        self.prefill(store, part, rg_rows, columns, compact, cancel)
        with self._lock:
            entries = {c: self._entry(store, part, c, column_kind(c, compact)) for c in columns}
            local = _local(store, part, rg_rows)
            self._fill_missing(store, part, local, columns, compact, entries)
            self._evict({id(e) for e in entries.values()})
            starts = store.index["start"][rg_rows]
            return Loaded({c: e.data for c, e in entries.items()}, starts,
                          store.index["rows"][rg_rows],
                          {c: e.offset[local] for c, e in entries.items()},
                          {c: e.step[local] for c, e in entries.items()})

    def prefill(self, store: Store, part: int, rg_rows: np.ndarray, columns: list[str],
                compact: bool, cancel: Cancel | None = None) -> None:
        """Read the part's row groups at ``rg_rows`` that the cache lacks, ``CHUNK_ROWS``
        at a time: Parquet is read with the lock released, the chunk encoded under it.
        Raises :class:`Cancelled` when ``cancel()`` says so before a chunk."""
        local = np.asarray(_local(store, part, np.asarray(rg_rows, np.int64)), np.int64)
        first = int(np.flatnonzero(store.index["part"] == part)[0])
        kinds = {c: column_kind(c, compact) for c in columns}
        while True:
            with self._lock:
                todo, cols = self._todo(store, part, local, kinds)
            if not cols:
                return
            if cancel is not None and cancel():
                raise Cancelled
            rows = store.index["rows"][first + todo]
            chunk = todo[: max(1, int(np.searchsorted(np.cumsum(rows), CHUNK_ROWS)))]
            raw = read_row_groups(store, part, [int(g) for g in chunk], cols)
            with self._lock:  # every column of the part is kept: none is read twice
                entries = {c: self._entry(store, part, c, k) for c, k in kinds.items()}
                self._encode(store, first, chunk, cols, compact, entries, raw)
                self._evict({id(e) for e in entries.values()})

    def _todo(self, store, part, local, kinds) -> tuple[np.ndarray, list[str]]:
        """(row groups some column lacks, those columns), under the lock."""
        todo = np.zeros(local.size, bool)
        cols = []
        for c, kind in kinds.items():
            entry = self._entries.get(self._key(store, part, c, kind))
            lacks = np.ones(local.size, bool) if entry is None else ~entry.loaded[local]
            if lacks.any():
                cols.append(c)
                todo |= lacks
        return local[todo], cols

    def _fill_missing(self, store, part, local, columns, compact, entries) -> None:
        """Read what is still missing (evicted since the prefill) under the lock."""
        missing_cols = [c for c, e in entries.items() if not e.loaded[local].all()]
        if missing_cols:
            todo = np.zeros(local.size, bool)
            for c in missing_cols:
                todo |= ~entries[c].loaded[local]
            first = int(np.flatnonzero(store.index["part"] == part)[0])
            self._fill(store, part, first, local[todo], missing_cols, compact,
                       {c: entries[c] for c in missing_cols})

    def _fill(self, store, part, first, local, columns, compact, entries) -> None:
        """Read row groups ``local`` of a part (batches of ~4M rows) into the entries."""
        local = np.asarray(local, np.int64)
        rows_all = store.index["rows"][first + local]
        cuts = np.searchsorted(np.cumsum(rows_all), np.arange(1, 1 + rows_all.sum() // BATCH_ROWS)
                               * BATCH_ROWS)
        for batch in np.split(np.arange(local.size), np.unique(cuts[cuts < local.size])):
            if batch.size == 0:
                continue
            raw = read_row_groups(store, part, [int(g) for g in local[batch]], columns)
            self._encode(store, first, local[batch], columns, compact, entries, raw)

    def _encode(self, store, first, local, columns, compact, entries, raw) -> None:
        """Encode the raw columns of row groups ``local`` (one read) into the entries."""
        gi = first + local
        rows = store.index["rows"][gi]
        src = np.concatenate([[0], np.cumsum(rows)[:-1]]).astype(np.int64)
        for c in columns:
            e = entries[c]
            off, step = encode_segments(c, column_kind(c, compact), raw[c], src, rows, store,
                                        gi, e.data, store.index["start"][gi])
            e.offset[local], e.step[local] = off, step
            fresh = ~e.loaded[local]
            e.loaded[local] = True
            nbytes = int(rows[fresh].sum()) * e.data.itemsize
            e.nbytes += nbytes
            self.nbytes += nbytes


def load_uncached(store: Store, part: int, rg_rows: np.ndarray, columns: list[str],
                  compact: bool) -> Loaded:
    """Like :meth:`HotCache.load` but into temporary arrays (streaming, bounded memory)."""
    raw = read_row_groups(store, part, [int(g) for g in _local(store, part, rg_rows)], columns)
    rows = store.index["rows"][rg_rows]
    starts = np.concatenate([[0], np.cumsum(rows)[:-1]]).astype(np.int64)
    arrays, offset, step = {}, {}, {}
    for c in columns:
        kind = column_kind(c, compact)
        arrays[c] = np.empty(int(rows.sum()), _DTYPES[kind])
        offset[c], step[c] = encode_segments(c, kind, raw[c], starts, rows, store, rg_rows,
                                             arrays[c], starts)
    return Loaded(arrays, starts, rows, offset, step)


def _local(store: Store, part: int, rg_rows: np.ndarray) -> np.ndarray:
    return rg_rows - int(np.flatnonzero(store.index["part"] == part)[0])


_CACHE: HotCache | None = None
_CACHE_LOCK = threading.Lock()


def hot_cache() -> HotCache:
    """The process's cache (created on first use)."""
    global _CACHE
    with _CACHE_LOCK:
        if _CACHE is None:
            _CACHE = HotCache()
        return _CACHE
