"""A store folder: manifest, row-group index, atomic commits, locking and errors naming files.

The manifest ``_portal_store.json`` lists the visible parts, the current row-group index
and overview files, the store's configuration and summary statistics. Writers take an
exclusive ``flock`` on ``.lock``, write new files under fresh names, then replace the
manifest atomically (write, fsync, ``os.replace``); files no longer referenced by the last
two generations are then deleted, so a reader holding the previous manifest can still finish.
:func:`open_store` caches the parsed manifest and index per (folder, :func:`manifest_version`
— inode, size and mtime of the manifest): a server re-reads them only after an ingest.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from portal.errors import SourceUnavailable
from portal.pointstore import STORE_MARKER

FORMAT = "odatis-pointstore"
VERSION = 1
DEFAULT_CONFIG: dict[str, Any] = {
    "row_group_size": 65536,
    "levels": 9,
    "time_bin": "year",
    "hilbert_order": 16,
    "compression": "zstd",
}
#: depth-band edges of new stores (dbar or m, the store's z); see :mod:`.bands`
DEFAULT_DEPTH_BANDS: tuple[float, ...] = (10.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0)
INDEX_COLUMNS = ("part", "rg", "start", "rows", "lon_min", "lon_max", "lat_min", "lat_max",
                 "t_min", "t_max", "z_min", "z_max")
_CACHE: dict[str, tuple[str, Store]] = {}  # one parsed manifest per store folder
_CACHE_LOCK = threading.Lock()


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_token() -> str:
    return secrets.token_hex(4)


@dataclass
class Store:
    """A parsed store: its folder, manifest and row-group index (numpy columns)."""

    path: str
    manifest: dict[str, Any]
    index: dict[str, np.ndarray] = field(default_factory=dict)
    version: str = ""  # manifest_version() when opened: part of every cache key

    @property
    def name(self) -> str:
        return os.path.basename(os.path.normpath(self.path))

    @property
    def config(self) -> dict[str, Any]:
        return {**DEFAULT_CONFIG, **self.manifest.get("config", {})}

    @property
    def params(self) -> list[str]:
        return list(self.manifest.get("variables", {}))

    @property
    def parts(self) -> list[dict[str, Any]]:
        return self.manifest.get("parts", [])

    @property
    def n_points(self) -> int:
        return int(sum(p["rows"] for p in self.parts))

    @property
    def n_row_groups(self) -> int:
        return int(len(self.index.get("rg", ())))

    def file(self, relative: str) -> str:
        return os.path.join(self.path, relative)

    def part_file(self, part: int) -> str:
        return self.file(self.parts[part]["name"])

    def overview_files(self, level: int) -> dict[str, str]:
        return self.manifest.get("overviews", {}).get(str(level), {})


def create_store(path: str, config: dict[str, Any] | None = None, title: str = "") -> Store:
    """Create an empty store folder (or return the existing one, config unchanged)."""
    if os.path.isfile(os.path.join(path, STORE_MARKER)):
        return open_store(path)
    os.makedirs(os.path.join(path, "parts"), exist_ok=True)
    cfg = {**DEFAULT_CONFIG, "depth_bands": list(DEFAULT_DEPTH_BANDS), **(config or {})}
    manifest = {
        "format": FORMAT, "version": VERSION, "generation": 0, "created": now_iso(),
        "title": title or f"Point store {os.path.basename(os.path.normpath(path))}",
        "config": cfg, "variables": {}, "parts": [], "sources": None, "index": None,
        "overviews": {}, "stats": {},
    }
    write_manifest(path, manifest)
    return open_store(path)


def _manifest_stamp(marker: str) -> str:
    """(inode, size, mtime ns) of the manifest: ``os.replace`` at each commit changes the inode."""
    st = os.stat(marker)
    return f"{st.st_ino:x}-{st.st_size:x}-{st.st_mtime_ns:x}"


def manifest_version(path: str) -> str:
    """The store's data version: changes with every commit (ingest, rebuild) of its manifest.

    ``"missing"`` when ``path`` holds no store (opening it then raises the error)."""
    try:
        return _manifest_stamp(os.path.join(path, STORE_MARKER))
    except OSError:
        return "missing"


def open_store(path: str) -> Store:
    """The store at ``path`` (cached until its manifest changes); SourceUnavailable if none."""
    marker = os.path.join(path, STORE_MARKER)
    try:
        version = _manifest_stamp(marker)
    except FileNotFoundError:
        what = "folder" if os.path.isdir(path) else "path"
        raise SourceUnavailable(
            f"no point store at {path}: {what} has no {STORE_MARKER}",
            hint="build one with 'odatis-portal ingest ... --store DIR' or 'demo-points'",
        ) from None
    key = os.path.abspath(path)
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]
    store = Store(path=path, manifest=_read_manifest(marker), version=version)
    store.index = _read_index(store)
    with _CACHE_LOCK:
        _CACHE[key] = (version, store)
    return store


def _read_manifest(marker: str) -> dict[str, Any]:
    try:
        with open(marker, encoding="utf-8") as fh:
            manifest = json.load(fh)
    except (OSError, ValueError) as exc:
        raise SourceUnavailable(f"point-store manifest {marker} is unreadable: {exc}",
                                hint="restore the file or rebuild the store") from exc
    if manifest.get("format") != FORMAT:
        raise SourceUnavailable(f"{marker} is not an {FORMAT} manifest")
    if int(manifest.get("version", 0)) > VERSION:
        raise SourceUnavailable(f"{marker} has format version {manifest.get('version')}, "
                                f"this portal reads up to {VERSION}", hint="upgrade the portal")
    return manifest


def _read_index(store: Store) -> dict[str, np.ndarray]:
    rel = store.manifest.get("index")
    if not rel:
        return {c: np.zeros(0, dtype="float64") for c in INDEX_COLUMNS}
    import pyarrow.parquet as pq

    path = store.file(rel)
    try:
        table = pq.read_table(path)
    except (OSError, ValueError) as exc:  # pyarrow raises ArrowInvalid (a ValueError)
        raise SourceUnavailable(f"row-group index {path} is missing or damaged: {exc}",
                                dataset=store.name, hint="rebuild the store") from exc
    return {c: table.column(c).to_numpy() for c in INDEX_COLUMNS}


def write_manifest(path: str, manifest: dict[str, Any]) -> None:
    """Replace the manifest atomically (readers see the old or the new one, never a mix)."""
    marker = os.path.join(path, STORE_MARKER)
    tmp = f"{marker}.{new_token()}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, indent=1, sort_keys=False)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, marker)
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_index(store_path: str, index: dict[str, np.ndarray], generation: int) -> str:
    """Write a row-group index file; returns its path relative to the store."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rel = f"index/index-g{generation:06d}-{new_token()}.parquet"
    os.makedirs(os.path.join(store_path, "index"), exist_ok=True)
    table = pa.table({c: np.asarray(index[c]) for c in INDEX_COLUMNS})
    pq.write_table(table, os.path.join(store_path, rel), compression="zstd")
    return rel


@contextlib.contextmanager
def writer_lock(path: str):
    """Exclusive lock for writers of one store (readers never lock)."""
    import fcntl

    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, ".lock"), "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SourceUnavailable(f"store {path} is being written by another process",
                                    hint="wait for the other ingest to finish") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def referenced_files(manifest: dict[str, Any]) -> set[str]:
    """Relative paths a manifest points to."""
    files = {p["name"] for p in manifest.get("parts", [])}
    for key in ("index", "sources"):
        if manifest.get(key):
            files.add(manifest[key])
    for level in manifest.get("overviews", {}).values():
        files.update(level.values())
    for level in (manifest.get("depth_bands") or {}).get("files", {}).values():
        files.update(level.values())
    return files


def collect_garbage(path: str, keep: set[str]) -> int:
    """Delete data files under the store that ``keep`` does not list; returns how many."""
    removed = 0
    for sub in ("parts", "overviews", "index", "sources"):
        root = os.path.join(path, sub)
        for current, _dirs, files in os.walk(root):
            for name in files:
                rel = os.path.relpath(os.path.join(current, name), path)
                if rel not in keep:
                    with contextlib.suppress(OSError):
                        os.remove(os.path.join(current, name))
                        removed += 1
    return removed


def iso(seconds: float | int | None) -> str | None:
    if seconds is None:
        return None
    return str(np.datetime64(int(seconds), "s")) + "Z"


def store_info(path: str) -> dict[str, Any]:
    """What a catalog needs: points, bbox, time range, variables, and a ``metadata`` block."""
    store = open_store(path)
    stats = store.manifest.get("stats", {})
    variables = [{"name": n, **{k: v for k, v in meta.items() if v}}
                 for n, meta in store.manifest.get("variables", {}).items()]
    info = {
        "path": path, "n_points": store.n_points, "n_parts": len(store.parts),
        "n_row_groups": store.n_row_groups, "bbox": stats.get("bbox"),
        "time_coverage": stats.get("time"), "vertical_coverage": stats.get("z"),
        "variables": [v["name"] for v in variables], "config": store.config,
        "generation": store.manifest.get("generation", 0),
    }
    meta = {
        "title": store.manifest.get("title") or f"Point store {store.name}",
        "summary": store.manifest.get("summary") or (
            f"{store.n_points:,} in-situ observations in a Hilbert-ordered Parquet point "
            f"store ({len(store.parts)} parts, {store.n_row_groups} row groups) with overview "
            "aggregates."),
        "featureType": "point", "variables": variables, "source_format": "pointstore",
        "bbox": stats.get("bbox"), "time_coverage": stats.get("time"),
        "vertical_coverage": stats.get("z"),
    }
    info["metadata"] = {k: v for k, v in meta.items() if v not in (None, "", [])}
    return info
