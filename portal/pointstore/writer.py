"""Writing parts and committing them: the one code path of ingest and the demo generator.

:func:`write_part` sorts a batch of observation columns by time, then stably by Hilbert key
(so rows follow the curve and, within a cell, time), writes them as one Parquet file of fixed
row-group size (zstd level 1; byte-stream-split floats, delta-encoded integers,
dictionary-encoded platforms; Parquet statistics on the pruning columns only, so that
other tools can prune too) and returns the
row-group boxes and the batch's finest overview tables. Nothing is visible until
:func:`commit` merges the overviews into every pyramid level, writes the new row-group index
and sources registry and replaces the manifest; a crash before that leaves only unreferenced
files, removed by the next commit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numba as nb
import numpy as np

from portal.pointstore import bands as B
from portal.pointstore import overviews as ov
from portal.pointstore import store as st
from portal.pointstore.hilbert import hilbert_keys, radix_argsort, take
from portal.pointstore.schema import BASE_COLUMNS, KNOWN_PARAMETERS, arrow_schema

FLOAT_COLUMNS = ("longitude", "latitude", "z")


@dataclass
class PartData:
    """A part file written but not yet committed."""

    name: str
    rows: int
    params: list[str]
    index: dict[str, np.ndarray]
    overview: dict[int, ov.Table]
    sources: list[dict[str, Any]] = field(default_factory=list)
    variables: dict[str, dict[str, str]] = field(default_factory=dict)
    bands: B.PartBands | None = None  # depth-band tables, when the store keeps them


def sort_columns(columns: dict[str, np.ndarray], order: int = 16) -> dict[str, np.ndarray]:
    """Rows ordered by Hilbert key of (lon, lat), time order kept within a key."""
    by_time = radix_argsort((columns["time"] - columns["time"].min()).astype(np.uint64))
    keys = hilbert_keys(take(columns["longitude"], by_time), take(columns["latitude"], by_time),
                        order)
    perm = take(by_time, radix_argsort(keys))
    return {k: take(v, perm) for k, v in columns.items()}


@nb.njit(cache=True, nogil=True)
def _rg_stats(lon, lat, t, z, size, out_f, out_t):
    n = lon.size
    for g in range((n + size - 1) // size):
        s = g * size
        e = min(s + size, n)
        lo0, lo1, la0, la1 = np.inf, -np.inf, np.inf, -np.inf
        z0, z1 = np.inf, -np.inf
        t0, t1 = t[s], t[s]
        for i in range(s, e):
            lo0, lo1 = min(lo0, lon[i]), max(lo1, lon[i])
            la0, la1 = min(la0, lat[i]), max(la1, lat[i])
            t0, t1 = min(t0, t[i]), max(t1, t[i])
            if z[i] == z[i]:
                z0, z1 = min(z0, z[i]), max(z1, z[i])
        out_f[g, 0], out_f[g, 1], out_f[g, 2], out_f[g, 3] = lo0, lo1, la0, la1
        out_f[g, 4] = z0 if z0 <= z1 else np.nan
        out_f[g, 5] = z1 if z0 <= z1 else np.nan
        out_t[g, 0], out_t[g, 1] = t0, t1


def row_group_index(columns: dict[str, np.ndarray], size: int) -> dict[str, np.ndarray]:
    """Box, time and depth range of each row group of ``size`` rows."""
    n = len(columns["longitude"])
    ng = (n + size - 1) // size
    f = np.empty((ng, 6), np.float64)
    t = np.empty((ng, 2), np.int64)
    _rg_stats(columns["longitude"], columns["latitude"], columns["time"], columns["z"], size, f, t)
    starts = np.arange(ng, dtype=np.int64) * size
    return {
        "part": np.zeros(ng, np.int32), "rg": np.arange(ng, dtype=np.int32), "start": starts,
        "rows": np.minimum(size, n - starts).astype(np.int64),
        "lon_min": f[:, 0], "lon_max": f[:, 1], "lat_min": f[:, 2], "lat_max": f[:, 3],
        "t_min": t[:, 0], "t_max": t[:, 1], "z_min": f[:, 4], "z_max": f[:, 5],
    }


def to_arrow(columns: dict[str, np.ndarray], params: list[str], platforms: list[str]):
    """A pyarrow Table in the part schema (platform codes + their names as dictionary)."""
    import pyarrow as pa

    schema = arrow_schema(params)
    arrays = []
    for name in schema.names:
        if name == "platform":
            arrays.append(pa.DictionaryArray.from_arrays(
                pa.array(columns["platform"].astype(np.int32)), pa.array(platforms, pa.string())))
        elif name == "time":
            arrays.append(pa.array(columns["time"].view("datetime64[s]")))
        else:
            arrays.append(pa.array(columns[name]))
    return pa.Table.from_arrays(arrays, schema=schema)


def write_part(store_path: str, columns: dict[str, np.ndarray], params: list[str],
               platforms: list[str], config: dict[str, Any], presorted: bool = False,
               sources: list[dict[str, Any]] | None = None) -> PartData:
    """Sort (unless ``presorted``) and write one part; returns what :func:`commit` needs."""
    import pyarrow.parquet as pq

    if not presorted:
        columns = sort_columns(columns, int(config["hilbert_order"]))
    size = int(config["row_group_size"])
    name = f"parts/part-{st.new_token()}{st.new_token()}.parquet"
    path = os.path.join(store_path, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    encodings = {c: "BYTE_STREAM_SPLIT" for c in (*FLOAT_COLUMNS, *params)}
    encodings.update({c: "DELTA_BINARY_PACKED" for c in ("time", "cycle", "source")})
    pq.write_table(to_arrow(columns, params, platforms), path + ".tmp", row_group_size=size,
                   compression=config.get("compression", "zstd"), compression_level=1,
                   use_dictionary=["platform"], column_encoding=encodings,
                   write_statistics=["longitude", "latitude", "time", "z"])
    with open(path + ".tmp", "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(path + ".tmp", path)
    tables = ov.part_tables(columns, params, int(config["levels"]), config["time_bin"])
    bands = (B.part_bands(columns, params, int(config["levels"]), config["depth_bands"])
             if config.get("depth_bands") else None)
    return PartData(name=name, rows=len(columns["time"]), params=list(params),
                    index=row_group_index(columns, size), overview=tables,
                    sources=list(sources or []), bands=bands)


# ------------------------------------------------------------------------------- commit


def commit(store_path: str, parts: list[PartData], variables: dict[str, dict[str, str]],
           extra_sources: list[dict[str, Any]] | None = None, gc: bool = True) -> st.Store:
    """Make ``parts`` visible: merge overviews, write index and sources, swap the manifest.

    The caller holds :func:`portal.pointstore.store.writer_lock`. With ``gc``, files that
    neither this manifest nor the previous one reference are deleted (leave it off while
    other parts of the same writer are still being written).
    """
    store = st.open_store(store_path)
    old = store.manifest
    manifest = {**old, "generation": int(old.get("generation", 0)) + 1, "updated": st.now_iso()}
    gen = manifest["generation"]
    merged_vars = dict(old.get("variables", {}))
    for name in sorted({p for part in parts for p in part.params}):
        meta = {**KNOWN_PARAMETERS.get(name, {}), **variables.get(name, {})}
        merged_vars.setdefault(name, {k: v for k, v in meta.items() if v})
    manifest["variables"] = merged_vars
    params = list(merged_vars)
    manifest["parts"] = old.get("parts", []) + [
        {"name": p.name, "rows": p.rows, "row_groups": len(p.index["rg"]), "params": p.params}
        for p in parts
    ]
    if parts:
        manifest["overviews"] = _merge_overviews(store, parts, params, gen)
        _merge_bands(store, parts, params, gen, manifest)
        index = _merged_index(store, parts)
        manifest["index"] = st.write_index(store_path, index, gen)
        manifest["stats"] = _stats(index, manifest, store_path, params)
    sources = [s for p in parts for s in p.sources] + list(extra_sources or [])
    if sources:
        manifest["sources"] = _write_sources(store, sources, gen)
    st.write_manifest(store_path, manifest)
    if gc:
        st.collect_garbage(store_path, st.referenced_files(manifest) | st.referenced_files(old))
    return st.open_store(store_path)


def _merge_overviews(store: st.Store, parts: list[PartData], params: list[str],
                     gen: int) -> dict[str, dict[str, str]]:
    cfg = store.config
    levels = int(cfg["levels"])
    new: dict[int | str, ov.Table] = {}
    for tbin in sorted({b for p in parts for b in p.overview}):
        new[tbin] = ov.merge([p.overview[tbin] for p in parts if tbin in p.overview], params)
    files = {k: dict(v) for k, v in store.manifest.get("overviews", {}).items()}
    for level in range(levels, -1, -1):
        current = files.setdefault(str(level), {})
        new["all"] = ov.merge([t for k, t in new.items() if k != "all"], params)
        for key, table in new.items():
            rel = f"overviews/L{level:02d}/{key}-g{gen:06d}-{st.new_token()}.parquet"
            ov.merge_into(store, current, str(key), table, params, rel)
        new = {k: ov.coarsen(t, level, params) for k, t in new.items() if k != "all"}
    return files


def _merge_bands(store: st.Store, parts: list[PartData], params: list[str], gen: int,
                 manifest: dict[str, Any]) -> None:
    """Depth-band tables of the new parts merged into the store's (new stores, or stores
    that already keep bands; others get them with ``odatis-portal points overviews``)."""
    edges = store.config.get("depth_bands")
    old = store.manifest.get("depth_bands")
    if not edges or (store.parts and not old):
        return
    if any(p.bands is None for p in parts) or (
            old and [float(e) for e in old["edges"]] != [float(e) for e in edges]):
        manifest.pop("depth_bands", None)  # they would miss these parts: the scan path answers
        return
    found = [p.bands for p in parts if p.bands is not None]
    manifest["depth_bands"] = B.write_pyramid(store, B.merge_parts(found, params), params, gen,
                                              edges, old=old)


def _merged_index(store: st.Store, parts: list[PartData]) -> dict[str, np.ndarray]:
    base = len(store.parts)
    chunks = [store.index] if store.n_row_groups else []
    for i, p in enumerate(parts):
        chunks.append({**p.index, "part": np.full(len(p.index["rg"]), base + i, np.int32)})
    return {c: np.concatenate([np.asarray(ch[c]) for ch in chunks]) for c in st.INDEX_COLUMNS}


def _stats(index: dict[str, np.ndarray], manifest: dict[str, Any], path: str,
           params: list[str]) -> dict[str, Any]:
    z_ok = np.isfinite(index["z_min"])
    stats: dict[str, Any] = {
        "n": int(index["rows"].sum()),
        "bbox": [float(index["lon_min"].min()), float(index["lat_min"].min()),
                 float(index["lon_max"].max()), float(index["lat_max"].max())],
        "time": [st.iso(index["t_min"].min()), st.iso(index["t_max"].max())],
        "z": ([float(index["z_min"][z_ok].min()), float(index["z_max"][z_ok].max())]
              if z_ok.any() else None),
    }
    level0 = manifest["overviews"].get("0", {}).get("all")
    if level0:
        table = ov.read_table(os.path.join(path, level0), params, ("n", "min", "max"))
        ranges = {}
        for p in params:
            keep = [0, 1, 4]  # good, probably good, unflagged
            lo = np.nanmin(table[f"{p}_min"][:, keep]) if table[f"{p}_n"][:, keep].any() else None
            hi = np.nanmax(table[f"{p}_max"][:, keep]) if lo is not None else None
            ranges[p] = [float(lo), float(hi)] if lo is not None and hi is not None else None
        stats["ranges"] = ranges
    return stats


def _write_sources(store: st.Store, new: list[dict[str, Any]], gen: int) -> str:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = read_sources(store) + new
    table = pa.table({
        "name": [str(r["name"]) for r in rows], "sha256": [str(r["sha256"]) for r in rows],
        "size": [int(r.get("size", 0)) for r in rows], "rows": [int(r.get("rows", 0)) for r in rows],
        "part": [str(r.get("part", "")) for r in rows], "ingested": [str(r["ingested"]) for r in rows],
    })
    rel = f"sources/sources-g{gen:06d}-{st.new_token()}.parquet"
    os.makedirs(store.file("sources"), exist_ok=True)
    pq.write_table(table, store.file(rel), compression="zstd")
    return rel


def read_sources(store: st.Store) -> list[dict[str, Any]]:
    """The registry of ingested source files (name, sha256, size, rows, part, ingested)."""
    rel = store.manifest.get("sources")
    if not rel:
        return []
    import pyarrow.parquet as pq

    return pq.read_table(store.file(rel)).to_pylist()


def empty_columns(params: list[str], n: int = 0) -> dict[str, np.ndarray]:
    """Zero-length (or ``n``-row, uninitialised) columns of the part schema."""
    dtypes = {"platform": "int32", "time": "int64", **{k: v for k, v in BASE_COLUMNS.items()
                                                       if k not in ("platform", "time")}}
    cols = {k: np.empty(n, dtype=v) for k, v in dtypes.items()}
    for p in params:
        cols[p] = np.empty(n, np.float32)
        cols[f"{p}_qc"] = np.empty(n, np.int8)
    return cols
