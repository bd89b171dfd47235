"""Process-wide in-memory caches bounded in bytes: opened data and rendered PNGs.

:class:`ByteLRU` is a thread-safe least-recently-used mapping whose bound is a number of
bytes, not of items: each value is measured on insertion (:func:`sizeof`: ``nbytes`` of
numpy arrays, the in-memory variables of xarray objects — lazy and dask-backed ones cost
nothing until computed —, ``memory_usage`` of pandas objects, ``len`` of bytes), the least
recently used entries are dropped beyond the bound, and a value larger than the whole bound
is returned but never stored. A lazily opened xarray object loads variables into memory as
they are read (after it was measured): such entries are measured again on every insertion
and on their own hits (until wholly in memory), so what they loaded counts against the bound
too. It counts hits and misses. :class:`FailureCache` remembers
recent failures (bounded in bytes, short TTL) so a repeated failing request costs nothing.
Two instances exist per process,
created on first use with their bounds read from the settings: :func:`data_cache`
(opened and normalised datasets, computed views) and :func:`png_cache` (PNG bytes). They
hold read-only results shared by every session; every key includes the data version (see
:mod:`portal.sources.versioning`), so a changed file or a re-ingested store is never served
from an old entry.
"""

from __future__ import annotations

import sys
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, fields, is_dataclass
from typing import Any, TypeVar

T = TypeVar("T")

MB = 2**20
DEFAULTS: dict[str, float] = {
    "png_cache_bytes": 256 * MB,
    "data_cache_bytes": 1024 * MB,
    "remote_ttl_s": 600.0,
    "failure_cache_bytes": 1 * MB,
    "failure_ttl_s": 60.0,
}
_OVERHEAD = 256  # bytes counted for any entry (key, bookkeeping, small objects)


def setting(name: str) -> float:
    """A cache setting: ``Settings.<name>`` when the settings define it, else the default."""
    from portal.settings import Settings

    value = getattr(Settings.from_env(), name, None)
    return float(DEFAULTS[name] if value is None else value)


@dataclass(frozen=True)
class CacheStats:
    """Counters of one cache."""

    hits: int
    misses: int
    items: int
    nbytes: int
    max_bytes: int


def _xarray_variables(value: Any) -> list:
    return list(value.variables.values()) if hasattr(value, "data_vars") else [
        value.variable, *value.coords.variables.values()]


def _loaded(variable: Any) -> bool:
    return getattr(variable, "_in_memory", True) and getattr(variable, "chunks", None) is None


def _xarray_bytes(value: Any) -> int:
    """Bytes held in memory by an xarray object (lazy and dask-backed variables count 0)."""
    return sum(int(v.nbytes) for v in _xarray_variables(value) if _loaded(v))


def _may_grow(value: Any) -> bool:
    """Whether ``value`` is an xarray object with variables not in memory yet (which it
    may load later): only those are measured again."""
    return type(value).__module__.startswith("xarray") and not all(
        _loaded(v) for v in _xarray_variables(value))


def sizeof(value: Any) -> int:
    """Approximate bytes of memory ``value`` keeps alive (see the module docstring)."""
    if isinstance(value, bytes | bytearray | memoryview):
        return len(value) + _OVERHEAD
    module = type(value).__module__.split(".")[0]
    if module == "xarray":
        return _xarray_bytes(value) + _OVERHEAD
    if module == "pandas" and hasattr(value, "memory_usage"):
        usage = value.memory_usage(deep=True)
        return int(getattr(usage, "sum", lambda: usage)()) + _OVERHEAD
    if is_dataclass(value) and not isinstance(value, type):  # by its fields: a field named
        # ``nbytes`` (a download's estimated size) is not the memory the value holds
        return sum(sizeof(getattr(value, f.name)) for f in fields(value)) + _OVERHEAD
    if isinstance(getattr(value, "nbytes", None), int):
        return int(value.nbytes) + _OVERHEAD
    if isinstance(value, tuple | list):
        return sum(sizeof(v) for v in value) + _OVERHEAD
    if isinstance(value, dict):  # e.g. a table of named numpy columns
        return sum(sizeof(v) for v in value.values()) + _OVERHEAD
    return sys.getsizeof(value) + _OVERHEAD


class ByteLRU:
    """A thread-safe LRU mapping bounded in bytes, with hit and miss counters."""

    def __init__(self, max_bytes: int, name: str = "cache") -> None:
        self.max_bytes = int(max_bytes)
        self.name = name
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._growing: set[Hashable] = set()  # keys of values that may load data later
        self._lock = threading.Lock()
        self._nbytes = self._hits = self._misses = 0

    def get(self, key: Hashable, default: Any = None) -> Any:
        """The value under ``key`` (now most recently used), or ``default``; counted."""
        with self._lock:
            hit = self._entries.get(key)
            if hit is None:
                self._misses += 1
                return default
            self._hits += 1
            self._entries.move_to_end(key)
            if key in self._growing:
                self._remeasure([key])
                self._evict(keep=1)
            return hit[0]

    def put(self, key: Hashable, value: Any, nbytes: int | None = None) -> bool:
        """Store ``value``; False (nothing stored) when it alone exceeds the bound."""
        size = sizeof(value) if nbytes is None else int(nbytes)
        with self._lock:
            old = self._entries.pop(key, None)
            self._growing.discard(key)
            if old is not None:
                self._nbytes -= old[1]
            if size > self.max_bytes:
                return False
            self._entries[key] = (value, size)
            self._nbytes += size
            if _may_grow(value):
                self._growing.add(key)
            self._remeasure(list(self._growing))
            self._evict(keep=0)
            return True

    def _remeasure(self, keys) -> None:
        """Measure the values of ``keys`` again (under the lock): what they loaded counts.
        A value wholly in memory cannot grow any more: it is not measured again (every put
        re-measured every cached view, ~10 ms with a few hundred entries)."""
        for key in keys:
            value, old = self._entries[key]
            size = sizeof(value)
            if size != old:
                self._entries[key] = (value, size)
                self._nbytes += size - old
            if not _may_grow(value):
                self._growing.discard(key)

    def _evict(self, keep: int) -> None:
        """Drop least recently used entries while over the bound, keeping ``keep`` at least."""
        while self._nbytes > self.max_bytes and len(self._entries) > keep:
            key, (_, dropped) = self._entries.popitem(last=False)
            self._growing.discard(key)
            self._nbytes -= dropped

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached value of ``key``, or ``compute()`` stored under it (errors not cached).

        Two threads missing the same key at once both compute; the results are equal."""
        marker = _MISSING
        value = self.get(key, marker)
        if value is marker:
            value = compute()
            self.put(key, value)
        return value

    def discard(self, predicate: Callable[[Hashable], bool]) -> list[Any]:
        """Drop the entries whose key satisfies ``predicate``; the dropped values."""
        with self._lock:
            victims = [k for k in self._entries if predicate(k)]
            dropped = [self._entries.pop(key) for key in victims]
            self._growing.difference_update(victims)
            self._nbytes -= sum(size for _, size in dropped)
            return [value for value, _ in dropped]

    def clear(self) -> None:
        """Drop every entry and reset the counters."""
        with self._lock:
            self._entries.clear()
            self._growing.clear()
            self._nbytes = self._hits = self._misses = 0

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._entries

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @property
    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(self._hits, self._misses, len(self._entries), self._nbytes,
                              self.max_bytes)


class FailureCache:
    """Recent failures by key, bounded in bytes, each forgotten after ``ttl_s``: a request
    that failed (bad variable list, no data, upstream down) fails again at once instead of
    burning the same CPU. Only :class:`~portal.errors.PortalError` is remembered (a bug or
    a MemoryError may pass); the traceback is dropped so no frame is kept alive."""

    def __init__(self, max_bytes: int, ttl_s: float, name: str = "failures") -> None:
        self.ttl_s = float(ttl_s)
        self._lru = ByteLRU(max_bytes, name)

    def check(self, key: Hashable) -> None:
        """Raise (a copy of) the failure remembered under ``key``, if still fresh."""
        import copy
        import time

        hit = self._lru.get(key)
        if hit is not None:
            exc, expires = hit
            if time.monotonic() < expires:
                raise copy.copy(exc)
            self._lru.discard(lambda k: k == key)

    def remember(self, key: Hashable, exc: BaseException) -> None:
        import time

        from portal.errors import PortalError

        if isinstance(exc, PortalError):
            kept = exc.with_traceback(None)
            kept.__context__ = kept.__cause__ = None
            self._lru.put(key, (kept, time.monotonic() + self.ttl_s),
                          nbytes=sys.getsizeof(str(exc)) + 4 * _OVERHEAD)

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, unless it failed under ``key`` within the TTL (raised again)."""
        self.check(key)
        try:
            return compute()
        except Exception as exc:
            self.remember(key, exc)
            raise

    def __len__(self) -> int:
        return len(self._lru)


_MISSING = object()
# The process's two caches of read-only data, created on first use (bounded in bytes).
_CACHES: dict[str, ByteLRU] = {}
_CACHES_LOCK = threading.Lock()


def _named(name: str) -> ByteLRU:
    with _CACHES_LOCK:
        cache = _CACHES.get(name)
        if cache is None:
            cache = _CACHES[name] = ByteLRU(int(setting(f"{name}_cache_bytes")), name)
        return cache


def data_cache() -> ByteLRU:
    """Opened and normalised datasets and computed views (bound: ``data_cache_bytes``)."""
    return _named("data")


def png_cache() -> ByteLRU:
    """Rendered PNG quicklooks (bound: ``png_cache_bytes``)."""
    return _named("png")


_FAILURES: dict[str, FailureCache] = {}


def png_failures() -> FailureCache:
    """Recent PNG failures, keyed like :func:`png_cache` (bound: ``failure_cache_bytes``,
    kept ``failure_ttl_s`` seconds)."""
    with _CACHES_LOCK:
        cache = _FAILURES.get("png")
        if cache is None:
            cache = _FAILURES["png"] = FailureCache(int(setting("failure_cache_bytes")),
                                                    setting("failure_ttl_s"), "png-failures")
        return cache


def derived(name: str, arrays: Iterable[Any], compute: Callable[[], T],
            extra: Hashable = ()) -> T:
    """``compute()``, a pure function of the numpy ``arrays`` (and of ``extra``), cached in
    :func:`data_cache` while those very arrays live: views taken from the data cache are
    shared by every session, so what each builder derives from them (a positions frame, the
    TEOS-10 columns) is computed once per process. The key is the arrays' identities, checked
    with weak references on every hit, so a recycled id never answers for another array;
    arrays that are not plain numpy ones (lazy, dask-backed) are not cached. The arrays must
    not be written to (cached data are read-only); the value is shared: never mutate it."""
    import numpy as np

    held = tuple(arrays)
    if not held or not all(type(a) is np.ndarray for a in held):
        return compute()
    key = ("derived", name, tuple(id(a) for a in held), extra)
    cache = data_cache()
    hit = cache.get(key)
    if hit is not None and all(ref() is a for ref, a in zip(hit[0], held, strict=True)):
        return hit[1]
    value = compute()
    cache.put(key, (tuple(weakref.ref(a) for a in held), value),
              nbytes=sizeof(value) + _OVERHEAD * len(held))
    return value


def reset() -> None:
    """Forget every cache (tests; they are re-created with the current settings)."""
    with _CACHES_LOCK:
        _CACHES.clear()
        _FAILURES.clear()
