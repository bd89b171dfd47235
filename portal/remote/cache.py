"""Disk cache of server answers: small bodies in diskcache, downloads as files.

``<cache dir>/responses`` is a :class:`diskcache.Cache` (size-limited, LRU,
shared safely by threads and by ``panel serve --num-procs`` processes) keyed by
URL. Downloaded data files live in ``<cache dir>/files`` under a hash of their URL,
so NetCDF readers get a real path; their diskcache record carries the expiry, and
the folder is pruned, oldest first, to the configured size. Every entry expires after
:func:`entry_ttl` seconds (the settings' ``remote_ttl_s``), so a remote dataset that received new
data, or a relative time window, is asked again at least that often.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from portal.cache import setting
from portal.remote.config import RemoteConfig

if TYPE_CHECKING:
    from diskcache import Cache

_LOCK = threading.Lock()
_CACHES: dict[tuple[str, int], Cache] = {}
_FLIGHTS: dict[str, list] = {}


@dataclass(frozen=True)
class CachedBody:
    """A stored answer: HTTP status, content type and body."""

    status: int
    content_type: str
    body: bytes


def _store(cfg: RemoteConfig) -> Cache:
    import diskcache

    folder = os.path.join(cfg.cache_path, "responses")
    limit = int(cfg.cache_size_mb * 2**20)
    with _LOCK:
        cache = _CACHES.get((folder, limit))
        if cache is None:
            os.makedirs(folder, exist_ok=True)
            cache = diskcache.Cache(folder, size_limit=limit,
                                    eviction_policy="least-recently-used")
            _CACHES[(folder, limit)] = cache
    return cache


def enabled(cfg: RemoteConfig) -> bool:
    return cfg.cache_ttl_s > 0 and cfg.cache_size_mb > 0


def entry_ttl(cfg: RemoteConfig) -> float:
    """Seconds an answer is trusted: the settings' ``remote_ttl_s`` (default 600), at most
    ``PORTAL_CACHE_TTL_S``. Data versions of remote entries move with the same period."""

    remote = setting("remote_ttl_s")
    return min(cfg.cache_ttl_s, remote) if remote > 0 else cfg.cache_ttl_s


def get_body(cfg: RemoteConfig, url: str) -> CachedBody | None:
    """The cached answer for ``url``, or None."""
    if not enabled(cfg):
        return None
    value = _store(cfg).get(("body", url))
    return CachedBody(*value) if value else None


def put_body(cfg: RemoteConfig, url: str, entry: CachedBody, ttl: float | None = None) -> None:
    if enabled(cfg):
        _store(cfg).set(("body", url), (entry.status, entry.content_type, entry.body),
                        expire=ttl if ttl is not None else entry_ttl(cfg))


def file_path(cfg: RemoteConfig, url: str, suffix: str) -> str:
    """Where the download of ``url`` is kept (stable across processes)."""
    digest = hashlib.sha256(url.encode()).hexdigest()[:40]
    return os.path.join(cfg.cache_path, "files", digest + suffix)


def get_file(cfg: RemoteConfig, url: str, suffix: str) -> str | None:
    """Path of a still-valid download of ``url``, or None."""
    if not enabled(cfg):
        return None
    path = file_path(cfg, url, suffix)
    if _store(cfg).get(("file", url)) is None or not os.path.exists(path):
        return None
    os.utime(path)  # recently used: pruned last
    return path


def put_file(cfg: RemoteConfig, url: str, path: str) -> None:
    """Register a finished download and prune the files folder to the size limit."""
    if enabled(cfg):
        _store(cfg).set(("file", url), os.path.getsize(path), expire=entry_ttl(cfg))
    prune_files(os.path.dirname(path), int(cfg.cache_size_mb * 2**20), keep=path)


def prune_files(folder: str, limit: int, keep: str = "") -> None:
    """Delete the least recently used files of ``folder`` until it holds ``limit`` bytes."""
    try:
        entries = [e for e in os.scandir(folder)
                   if e.is_file() and not e.name.endswith(".part")]
    except FileNotFoundError:
        return
    infos = sorted((e.stat().st_mtime, e.stat().st_size, e.path) for e in entries)
    total = sum(size for _, size, _ in infos)
    for _, size, path in infos:
        if total <= limit:
            break
        if path == keep:
            continue
        try:
            os.remove(path)
            total -= size
        except OSError:
            pass


@contextmanager
def single_flight(key: str) -> Iterator[None]:
    """Let one thread at a time fetch ``key``; the others wait, then hit the cache."""
    with _LOCK:
        entry = _FLIGHTS.setdefault(key, [threading.Lock(), 0])
        entry[1] += 1
    try:
        with entry[0]:
            yield
    finally:
        with _LOCK:
            entry[1] -= 1
            if entry[1] == 0:
                _FLIGHTS.pop(key, None)


def temp_path(final: str) -> str:
    """A unique temporary name next to ``final`` (same file system, atomic rename)."""
    os.makedirs(os.path.dirname(final), exist_ok=True)
    return f"{final}.{os.getpid()}.{threading.get_ident()}.{time.monotonic_ns()}.part"


def close_all() -> None:
    """Close every open cache store (tests, shutdown)."""
    with _LOCK:
        for cache in _CACHES.values():
            cache.close()
        _CACHES.clear()
