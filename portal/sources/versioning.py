"""Data versions: a short string that changes whenever what an entry opens to changes.

Every cache of data or images puts :func:`data_version` in its key, so a rewritten file, a
re-ingested point store or an ERDDAP dataset that received new data is read again on the
next request, while an unchanged one is served from memory. How a version is made depends
on the source type:

- local files (``netcdf``, ``odv``: a path, a list or a glob): the sorted list of matching
  files with each one's size, modification time (ns) and inode — adding, removing, rewriting
  or replacing a file changes it;
- ``pointstore``: the store's manifest (replaced atomically at each ingest, see
  :func:`portal.pointstore.store.manifest_version`);
- ``erddap``: the dataset's ``time_coverage_end`` (or the end of the time axis) from its
  ``/info`` — fetched through the HTTP cache, whose entries expire after ``remote_ttl_s`` —
  plus the current ``remote_ttl_s`` time bucket, so relative windows ("the last 30 days")
  move at least that often;
- ``opendap`` and any other type: the time bucket alone.

:func:`subsets_on_server` says whether an adapter's ``open`` depends on the query (remote
sources ask the server for the selection only); caches of opened data then key on the query
too. Both will become hooks of the source contract; until then they are functions keyed by
``entry.source``.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from portal.model import DatasetEntry

_SERVER_SIDE = frozenset({"erddap", "opendap"})


def _digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def time_bucket(now: float | None = None) -> int:
    """The index of the current ``remote_ttl_s`` period (0 when the TTL is 0 or less)."""
    from portal.cache import setting

    ttl = setting("remote_ttl_s")
    if ttl <= 0:
        return 0
    return int((time.time() if now is None else now) // ttl)


def files_version(urlpath: str | list[str]) -> str:
    """Version of local files: each matching file's path, size, mtime (ns) and inode."""
    from portal.formats.netcdf import expand_paths

    stamps: list[tuple[object, ...]] = []
    for path in expand_paths(urlpath):
        try:
            st = os.stat(path)
        except OSError:
            stamps.append((path, "missing"))
            continue
        stamps.append((path, st.st_size, st.st_mtime_ns, st.st_ino))
    return "f-" + _digest(*stamps)


def _files(entry: DatasetEntry) -> str:
    return files_version(entry.arguments.get("urlpath", ""))


def _point_store(entry: DatasetEntry) -> str:
    from portal.pointstore.store import manifest_version

    path = str(entry.arguments.get("store", "")).removeprefix("file://")
    return "p-" + manifest_version(path)


def _erddap(entry: DatasetEntry) -> str:
    from portal.sources.erddap import dataset_info

    args = entry.arguments
    info = dataset_info(args.get("server", ""), args.get("dataset_id", ""), dataset=entry.id)
    end = info.globals.get("time_coverage_end")
    axis = info.get(info.role("time") or "")
    rng = axis.actual_range if axis is not None else None
    return "e-" + _digest(end, rng[1] if rng else None, time_bucket())


def _ttl_only(entry: DatasetEntry) -> str:
    return f"t-{time_bucket()}"


_VERSIONS: dict[str, Callable[[DatasetEntry], str]] = {
    "netcdf": _files,
    "odv": _files,
    "pointstore": _point_store,
    "erddap": _erddap,
    "opendap": _ttl_only,
}


def data_version(entry: DatasetEntry) -> str:
    """A string that changes when the data ``entry`` opens to change (see the module doc)."""
    return _VERSIONS.get(entry.source, _ttl_only)(entry)


def subsets_on_server(entry: DatasetEntry) -> bool:
    """True when the adapter's ``open`` depends on the query (the server subsets)."""
    return entry.source in _SERVER_SIDE
