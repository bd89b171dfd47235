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
too. Both are hooks of the source contract (:meth:`portal.sources.base.Source.version` and
``Source.subsets_on_server``); this module holds the helpers the adapters build them from.
"""

from __future__ import annotations

import hashlib
import os
import time
from typing import TYPE_CHECKING

from portal.cache import setting

if TYPE_CHECKING:
    from portal.model import DatasetEntry

_SERVER_SIDE = frozenset({"erddap", "opendap"})


def _digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def time_bucket(now: float | None = None) -> int:
    """The index of the current ``remote_ttl_s`` period (0 when the TTL is 0 or less)."""

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


def erddap_version(entry: DatasetEntry) -> str:
    """An ERDDAP dataset's ``time_coverage_end`` (or time-axis end) and the TTL bucket."""
    from portal.sources.erddap import dataset_info

    args = entry.arguments
    info = dataset_info(args.get("server", ""), args.get("dataset_id", ""), dataset=entry.id)
    end = info.globals.get("time_coverage_end")
    axis = info.get(info.role("time") or "")
    rng = axis.actual_range if axis is not None else None
    return "e-" + _digest(end, rng[1] if rng else None, time_bucket())


def data_version(entry: DatasetEntry) -> str:
    """A string that changes when the data ``entry`` opens to change (see the module doc)."""
    from portal.sources import get_source

    return get_source(entry.source, dataset=entry.id).version(entry)


def subsets_on_server(entry: DatasetEntry) -> bool:
    """True when the adapter's ``open`` depends on the query (the server subsets)."""
    from portal.sources import get_source

    return get_source(entry.source, dataset=entry.id).subsets_on_server
