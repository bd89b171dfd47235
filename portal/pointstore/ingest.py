"""``odatis-portal ingest``: observation files into a point store, appending, idempotent.

Readers turn one file into store rows: Argo files (single, multi-profile, BGC synthetic) and
CF DSG / ERDDAP tabledap NetCDF through :func:`portal.formats.netcdf.open_netcdf_file` and
:func:`portal.processing.normalize.to_observations` (Argo adjusted values where the data
mode says so), ODV spreadsheets through xarray's ``odv`` engine
(:func:`portal.formats.odv.open_odv`), ERDDAP tabledap ``.csv``/``.csvp`` responses directly. Parameters take their Argo
names; rows without position or time, or without any kept parameter value, are dropped.
A batch is idempotent (a file whose SHA-256 is already registered is skipped), a file that
cannot be read is reported and skipped, and nothing of the batch is visible before the single
commit at its end (:func:`portal.pointstore.writer.commit`). ``scheduler`` reads files on a
Dask cluster.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from portal.errors import PortalError
from portal.pointstore import store as st
from portal.pointstore import writer
from portal.pointstore.schema import NO_FLAG, canonical_parameter

SUFFIXES = (".nc", ".nc4", ".cdf", ".netcdf", ".txt", ".odv", ".csv", ".csvp")
_PLATFORM_VARS = ("platform_number", "platform_code", "wmo_platform_code", "platform_id",
                  "wmo", "station_id", "station_name", "trajectory", "cruise")
_PLATFORM_ATTRS = ("platform_code", "wmo_platform_code", "platform_name", "platform_id",
                   "station_name", "id")


@dataclass
class SourceRows:
    """Rows of one file in store columns; ``platform`` holds strings, one per row."""

    columns: dict[str, np.ndarray]
    platform: np.ndarray
    params: list[str]
    variables: dict[str, dict[str, str]]

    @property
    def rows(self) -> int:
        return len(self.columns["time"])


@dataclass
class IngestReport:
    store: str
    ingested: list[tuple[str, int]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(n for _, n in self.ingested)

    @property
    def points_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        lines = [f"{self.store}: {len(self.ingested)} file(s) ingested, {self.rows:,} points "
                 f"in {self.seconds:.1f} s ({self.points_per_second:,.0f} points/s)"]
        lines += [f"  skipped {name}: {why}" for name, why in self.skipped]
        lines += [f"  FAILED  {name}: {why}" for name, why in self.failed]
        return "\n".join(lines)


# -------------------------------------------------------------------------------- readers


def read_source(path: str) -> SourceRows:
    """Store rows of one file; PortalError (naming the file) when it cannot be used."""
    low = path.lower()
    if low.endswith((".csv", ".csvp")):
        return _read_csv(path)
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head[:3] == b"CDF" or head[:8] == b"\x89HDF\r\n\x1a\n" or low.endswith(SUFFIXES[:4]):
        return _read_netcdf(path)
    return _read_odv(path)


def _read_netcdf(path: str) -> SourceRows:
    import dask

    from portal.formats.netcdf import open_netcdf_file
    from portal.processing.normalize import to_observations

    name = os.path.basename(path)
    with dask.config.set(scheduler="synchronous"):
        ds = open_netcdf_file(path, dataset=name)
        try:
            obs = to_observations(ds, dataset=name).load()
            return _from_observations(obs, ds, name)
        finally:
            ds.close()


def _read_odv(path: str) -> SourceRows:
    name = os.path.basename(path)
    from portal.formats.odv import open_odv  # readers load with the first file (pandas, xarray)
    from portal.processing.normalize import to_observations

    ds = open_odv(path, dataset=name)
    return _from_observations(to_observations(ds, dataset=name).load(), ds, name)


def _from_observations(obs, ds, name: str) -> SourceRows:
    """Canonical observations (+ the raw file for platform ids) -> store rows."""
    n = obs.sizes["obs"]
    cols = {"longitude": _float(obs, "longitude", n), "latitude": _float(obs, "latitude", n),
            "z": _float(obs, "z", n), "z_qc": _flags(obs, "z_qc", n)}
    cols["time"] = (obs["time"].values.astype("datetime64[s]").astype(np.int64)
                    if "time" in obs else np.full(n, np.iinfo(np.int64).min))
    valid_time = obs["time"].notnull().values if "time" in obs else np.zeros(n, bool)
    params, variables = _parameters(obs, cols, n)
    platform, cycle = _platform_cycle(obs, ds, name, n)
    cols["cycle"] = cycle
    keep = (np.isfinite(cols["longitude"]) & np.isfinite(cols["latitude"]) & valid_time)
    if params:
        keep &= np.any([np.isfinite(cols[p]) for p in params], axis=0)
    else:
        keep[:] = False
    return _finish(cols, platform, params, variables, keep, name)


def _float(obs, name: str, n: int) -> np.ndarray:
    if name not in obs:
        return np.full(n, np.nan, np.float32)
    return np.asarray(obs[name].values, dtype=np.float64).astype(np.float32)


def _flags(obs, name: str, n: int) -> np.ndarray:
    if name not in obs:
        return np.full(n, NO_FLAG, np.int8)
    return np.asarray(obs[name].values).astype(np.int8)


def _parameters(obs, cols, n) -> tuple[list[str], dict[str, dict[str, str]]]:
    """Map variables to store parameters; an ``_adjusted`` variant wins where it has values."""
    params: list[str] = []
    variables: dict[str, dict[str, str]] = {}
    names = sorted((str(v) for v in obs.data_vars if not str(v).endswith("_qc")),
                   key=lambda v: v.lower().endswith("_adjusted"))
    for var in names:
        attrs = obs[var].attrs
        p = canonical_parameter(var, str(attrs.get("standard_name", "")))
        if p is None or obs[var].dtype.kind not in "iuf":
            continue
        values = _float(obs, var, n)
        flags = _flags(obs, f"{var}_qc", n)
        if p in cols:
            use = np.isfinite(values)
            cols[p] = np.where(use, values, cols[p])
            cols[f"{p}_qc"] = np.where(use, flags, cols[f"{p}_qc"])
            continue
        cols[p], cols[f"{p}_qc"] = values, flags
        params.append(p)
        variables[p] = {k: str(attrs[k]) for k in ("units", "long_name", "standard_name")
                        if attrs.get(k)}
    return params, variables


def _platform_cycle(obs, ds, name: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    from portal.processing.cf import char_to_str
    from portal.processing.normalize import is_argo

    feature = np.asarray(obs["feature"].values, np.int64) if "feature" in obs else np.zeros(n,
                                                                                           np.int64)
    if is_argo(ds) and "PLATFORM_NUMBER" in ds.variables and "N_PROF" in ds.dims:
        ids = _strings(ds["PLATFORM_NUMBER"], char_to_str)
        nlev = n // max(len(ids), 1)
        if len(ids) * nlev == n:
            return np.repeat(ids, nlev), feature.astype(np.int32)
        return np.full(n, ids[0] if len(ids) else name), feature.astype(np.int32)
    platform = None
    lower = {str(v).lower(): str(v) for v in ds.variables}
    for cand in _PLATFORM_VARS:
        if cand in lower:
            ids = _strings(ds[lower[cand]], char_to_str)
            if len(ids) == n:
                platform = ids
            elif len(ids) > int(feature.max(initial=0)) and len(ids):
                platform = ids[np.clip(feature, 0, len(ids) - 1)]
            if platform is not None:
                break
    if platform is None:
        attr = next((str(ds.attrs[a]) for a in _PLATFORM_ATTRS if ds.attrs.get(a)), None)
        platform = np.full(n, attr or os.path.splitext(name)[0])
    cycle = feature
    if "cycle_number" in lower and ds[lower["cycle_number"]].size == n:
        cycle = np.nan_to_num(np.asarray(ds[lower["cycle_number"]].values, float), nan=-1)
    return platform, np.asarray(cycle).astype(np.int32)


def _strings(var, char_to_str) -> np.ndarray:
    values = np.asarray(var.values)
    if values.dtype.kind == "S" and values.ndim > 1 and values.dtype.itemsize == 1:
        return np.array([char_to_str(row) for row in values.reshape(-1, values.shape[-1])])
    out = [v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in values.ravel()]
    return np.array([s.strip() for s in out])


def _read_csv(path: str) -> SourceRows:
    """ERDDAP tabledap .csv (names, then units row) or .csvp (``name (units)`` headers)."""
    import pandas as pd

    name = os.path.basename(path)
    try:
        if path.lower().endswith(".csvp"):
            table = pd.read_csv(path, low_memory=False)
            units = {c.split(" (")[0]: c.split(" (")[1].rstrip(")") if " (" in c else ""
                     for c in table.columns}
            table.columns = [c.split(" (")[0] for c in table.columns]
        else:
            table = pd.read_csv(path, skiprows=[1], low_memory=False)
            units = dict(zip(table.columns, pd.read_csv(path, nrows=1).iloc[0].fillna(""),
                             strict=False))
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise PortalError(f"{name}: not a readable ERDDAP CSV response ({exc})") from exc
    return _from_table(table, units, name)


def _from_table(table, units: dict, name: str) -> SourceRows:
    import pandas as pd

    lower = {c.lower(): c for c in table.columns}
    need = [c for c in ("time", "latitude", "longitude") if c not in lower]
    if need:
        raise PortalError(f"{name}: no {', '.join(need)} column; a point store needs "
                          "time, longitude and latitude for every row")
    n = len(table)

    def num(col):
        return pd.to_numeric(table[col], errors="coerce").to_numpy(np.float64).astype(np.float32)

    times = pd.to_datetime(table[lower["time"]], errors="coerce", utc=True)
    cols = {"longitude": num(lower["longitude"]), "latitude": num(lower["latitude"]),
            "time": times.dt.tz_localize(None).to_numpy("datetime64[s]").astype(np.int64)}
    zname = next((lower[c] for c in ("pres", "pressure", "depth", "z") if c in lower), None)
    cols["z"] = num(zname) if zname else np.full(n, np.nan, np.float32)
    cols["z_qc"] = np.full(n, NO_FLAG, np.int8)
    params, variables = [], {}
    for col in table.columns:
        p = canonical_parameter(col)
        if p is None or p in params or col.lower().endswith("_qc"):
            continue
        qc = lower.get(f"{col.lower()}_qc")
        cols[p] = num(col)
        cols[f"{p}_qc"] = (pd.to_numeric(table[qc], errors="coerce").fillna(-1).to_numpy()
                           .astype(np.int8) if qc else np.full(n, NO_FLAG, np.int8))
        params.append(p)
        variables[p] = {"units": str(units.get(col, ""))} if units.get(col) else {}
    pcol = next((lower[c] for c in _PLATFORM_VARS if c in lower), None)
    platform = (table[pcol].astype(str).to_numpy() if pcol else
                np.full(n, os.path.splitext(name)[0]))
    ccol = lower.get("cycle_number")
    cols["cycle"] = (pd.to_numeric(table[ccol], errors="coerce").fillna(-1).to_numpy()
                     .astype(np.int32) if ccol else np.zeros(n, np.int32))
    keep = np.isfinite(cols["longitude"]) & np.isfinite(cols["latitude"]) & times.notna().to_numpy()
    keep &= np.any([np.isfinite(cols[p]) for p in params], axis=0) if params else False
    return _finish(cols, platform, params, variables, keep, name)


def _finish(cols, platform, params, variables, keep, name) -> SourceRows:
    if not params:
        raise PortalError(f"{name}: no parameter the point store keeps (temperature, salinity, "
                          "oxygen, chlorophyll, nitrate, pH, conductivity, backscattering)")
    if not keep.any():
        raise PortalError(f"{name}: no observation with a position, a time and a value")
    out = {k: np.asarray(v)[keep] for k, v in cols.items()}
    out["longitude"] = ((out["longitude"].astype(np.float64) + 180.0) % 360.0 - 180.0).astype(
        np.float32)
    return SourceRows(out, np.asarray(platform)[keep], params, variables)


# ------------------------------------------------------------------------------ batches


def expand_sources(sources: list[str], exclude: str | None = None) -> list[str]:
    """Files named, plus files with known suffixes under named folders, sorted, unique."""
    import glob

    out: list[str] = []
    skip = os.path.abspath(exclude) if exclude else None
    for src in sources:
        matches = sorted(glob.glob(src)) if glob.has_magic(src) else [src]
        for m in matches:
            if os.path.isdir(m):
                for cur, dirs, files in os.walk(m):
                    dirs[:] = sorted(d for d in dirs if not d.startswith(".") and
                                     os.path.abspath(os.path.join(cur, d)) != skip)
                    out += [os.path.join(cur, f) for f in sorted(files)
                            if f.lower().endswith(SUFFIXES)]
            else:
                out.append(m)
    return list(dict.fromkeys(out))


def file_digest(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _safe_read(path: str) -> SourceRows | str:
    """The rows of a file, or the reason it cannot be ingested (never raises)."""
    try:
        return read_source(path)
    except PortalError as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - any reader failure is reported, not fatal
        return f"{type(exc).__name__}: {exc}"


def _iter_read(paths: list[str], scheduler: Any) -> Iterator[SourceRows | str]:
    if scheduler is None:
        yield from (_safe_read(p) for p in paths)
        return
    from portal.pointstore.cluster import get_client

    client = get_client(scheduler)
    futures = client.map(_safe_read, [os.path.abspath(p) for p in paths], pure=False)
    for fut in futures:
        yield fut.result()
        fut.release()


def ingest(sources: list[str], store_dir: str, *, scheduler: Any = None,
           config: dict[str, Any] | None = None, batch_points: int = 20_000_000) -> IngestReport:
    """Append the observations of ``sources`` (files, folders, globs) to the store."""
    t0 = time.perf_counter()
    report = IngestReport(store_dir)
    paths = expand_sources(sources, exclude=store_dir)
    st.create_store(store_dir, config)
    with st.writer_lock(store_dir):
        store = st.open_store(store_dir)
        known = {s["sha256"] for s in writer.read_sources(store)}
        todo = []
        for path in paths:
            if not os.path.isfile(path):
                report.failed.append((path, "no such file"))
                continue
            digest = file_digest(path)
            if digest in known:
                report.skipped.append((path, "already ingested (same content)"))
                continue
            known.add(digest)
            todo.append((path, digest))
        parts = _write_batches(store, todo, scheduler, batch_points, report)
        if parts:
            writer.commit(store_dir, parts, _variables(parts))
    report.seconds = time.perf_counter() - t0
    return report


def _write_batches(store, todo, scheduler, batch_points, report) -> list[writer.PartData]:
    parts: list[writer.PartData] = []
    batch: list[tuple[str, str, SourceRows]] = []
    for (path, digest), rows in zip(todo, _iter_read([p for p, _ in todo], scheduler),
                                    strict=True):
        if isinstance(rows, str):
            report.failed.append((path, rows))
            continue
        batch.append((path, digest, rows))
        report.ingested.append((path, rows.rows))
        if sum(r.rows for _, _, r in batch) >= batch_points:
            parts.append(_write_batch(store, batch))
            batch = []
    if batch:
        parts.append(_write_batch(store, batch))
    return parts


def _write_batch(store: st.Store, batch) -> writer.PartData:
    """Concatenate files' rows (one platform dictionary) and write them as one part."""
    params = sorted({p for _, _, r in batch for p in r.params})
    names, codes = np.unique(np.concatenate([r.platform.astype(str) for _, _, r in batch]),
                             return_inverse=True)
    cols = {}
    template = writer.empty_columns(params)
    for key, empty in template.items():
        if key in ("platform", "source"):
            continue
        chunks = []
        for _, _, r in batch:
            fill = -1 if key.endswith("_qc") else np.nan
            chunks.append(r.columns[key] if key in r.columns else
                          np.full(r.rows, fill, empty.dtype))
        cols[key] = np.concatenate(chunks).astype(empty.dtype)
    cols["platform"] = codes.astype(np.int32)
    ids = np.arange(len(batch), dtype=np.int32)
    cols["source"] = np.repeat(ids, [r.rows for _, _, r in batch])
    sources = [{"name": os.path.abspath(p), "sha256": d, "size": os.path.getsize(p),
                "rows": r.rows, "ingested": st.now_iso()} for p, d, r in batch]
    part = writer.write_part(store.path, cols, params, names.tolist(), store.config,
                             sources=sources)
    for s in part.sources:
        s["part"] = part.name
    part.variables = {k: v for _, _, r in batch for k, v in r.variables.items()}
    return part


def _variables(parts: list[writer.PartData]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for part in parts:
        for k, v in part.variables.items():
            out.setdefault(k, v)
    return out
