"""Rows of a point-store selection taken away: a size estimate from the index, then streamed.

:func:`plan` turns a :class:`~portal.query.Query` (``var``, ``time``, ``depth``, ``bbox``,
``qc``) into an :class:`Export` without reading a value: the row groups the selection can
touch come from the row-group index (:func:`~portal.pointstore.query.select_row_groups`),
and :attr:`Export.estimate` counts their rows from the index and the overviews
(:mod:`portal.pointstore.estimate`: cells and time bins counted, only the cut ones weighted
by their share; QC filters are not counted), and :attr:`Export.upper` bounds it: the rows of
the groups, cells and bins touched, which no selection exceeds. :meth:`Export.tables` then reads the
selected row groups in batches with pyarrow and yields filtered Arrow tables (platform,
cycle, time, longitude, latitude, z and each variable with its ``_qc`` flag; values whose
flag the QC preset rejects become null, rows where no chosen variable passes are dropped);
:meth:`Export.csv_chunks` writes them as CSV bytes (:mod:`portal.pointstore.csv_rows`: each
profile's leading columns formatted once), several batches read, filtered and formatted at
once on a small thread pool (pyarrow and numba release the GIL), in order (a part
file's footer is parsed once a batch of about :data:`BATCH_ROWS` rows, not once a row
group). ``qc=auto`` is the stores' default, every class.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from portal.errors import BadParameter, SourceUnavailable
from portal.pointstore import estimate as sizes
from portal.pointstore import query as Q
from portal.pointstore.schema import preset_mask_table
from portal.pointstore.store import Store, open_store

if TYPE_CHECKING:
    import pyarrow as pa
    import xarray as xr

    from portal.query import Query

BATCH_ROWS = 1 << 20     # rows read (and formatted) at once
CSV_THREADS = max(2, min(8, (os.cpu_count() or 2)))  # batches formatted at once
BASE = ("platform", "cycle", "time", "longitude", "latitude", "z")
#: typical CSV characters per column (for the page's size estimate)
CSV_WIDTH = {"platform": 8, "cycle": 4, "time": 20, "longitude": 11, "latitude": 10, "z": 9}


@dataclass(frozen=True)
class Export:
    """A planned point-store download: selected row groups and the estimated row count."""

    store: Store
    spec: Q.AggSpec
    variables: tuple[str, ...]
    rows: np.ndarray     # row-group index rows that can hold selected points
    estimate: int
    upper: int           # rows of the groups, cells and bins touched: none holds more

    @property
    def columns(self) -> list[str]:
        return [*BASE, *(c for v in self.variables for c in (v, f"{v}_qc"))]

    def csv_bytes_per_row(self) -> int:
        return sum(CSV_WIDTH.get(c, 2 if c.endswith("_qc") else 10) + 1 for c in self.columns)

    def batches(self) -> Iterator[tuple[int, list[int]]]:
        """(part, row groups in that part) of about :data:`BATCH_ROWS` rows each."""
        ix = self.store.index
        for part in np.unique(ix["part"][self.rows]):
            first = int(np.flatnonzero(ix["part"] == part)[0])
            chosen = self.rows[ix["part"][self.rows] == part]
            for groups in _runs(chosen - first, ix["rows"][chosen]):
                yield int(part), groups

    def table(self, part: int, groups: list[int]) -> pa.Table:
        """One batch read and filtered."""
        return _filter(self, _read(self, part, groups))

    def tables(self) -> Iterator[pa.Table]:
        """Filtered Arrow tables of the selection, in store order."""
        for part, groups in self.batches():
            table = self.table(part, groups)
            if table.num_rows:
                yield table

    def csv_chunks(self) -> Iterator[bytes]:
        """The header line, then CSV rows in pieces of at most
        :data:`~portal.pointstore.csv_rows.PIECE_ROWS` rows: batches are read, filtered and
        formatted on a small thread pool (pyarrow and the stitching kernel release the GIL)
        and yielded in order."""
        from portal.pointstore.csv_rows import csv_rows

        yield (",".join(self.columns) + "\n").encode()
        with ThreadPoolExecutor(CSV_THREADS) as pool:
            pending: list[Any] = []
            for part, groups in self.batches():
                pending.append(pool.submit(lambda p, g: csv_rows(self.table(p, g)), part, groups))
                if len(pending) > CSV_THREADS:
                    yield from pending.pop(0).result()
            for future in pending:  # a batch the filters emptied writes nothing
                yield from future.result()

    def to_xarray(self) -> xr.Dataset:
        """The whole selection as an ``obs`` Dataset (for NetCDF; bounded by the size check)."""
        import pyarrow as pa
        import xarray as xr

        tables = list(self.tables())
        table = pa.concat_tables(tables) if tables else _empty(self)
        data = {c: table.column(c).to_numpy(zero_copy_only=False) for c in self.columns}
        data["platform"] = data["platform"].astype(str)
        coords = {c: ("obs", data.pop(c)) for c in ("time", "longitude", "latitude", "z")}
        ds = xr.Dataset({k: ("obs", v) for k, v in data.items()}, coords=coords)
        for name in self.variables:
            ds[name].attrs.update(self.store.manifest["variables"].get(name, {}))
            ds[f"{name}_qc"].attrs.update(qc_scheme="argo", _FillValue=np.int8(-1))
        return ds


def plan(store_dir: str, query: Query) -> Export:
    """The export of ``query`` from the store at ``store_dir``; reads the index only."""
    store = open_store(store_dir)
    names = tuple(query.variables) or tuple(store.params)
    missing = [n for n in names if n not in store.params]
    if missing:
        raise BadParameter(f"var: {missing[0]!r} is not in this store", parameter="var",
                           hint=f"choose among: {', '.join(store.params) or 'none'}")
    spec = Q.make_spec(store, "map", bbox=query.bbox, time=query.time, qc=query.qc,
                       variable=names[0] if names else None,
                       depth=(query.depth.lower, query.depth.upper) if query.depth else None)
    rows = Q.select_row_groups(store, spec)
    count = sizes.estimate(store, spec, rows)
    return Export(store, spec, names, rows, math.ceil(count.rows), int(count.upper))


def _runs(groups: np.ndarray, rows: np.ndarray) -> Iterator[list[int]]:
    """Consecutive runs of ``groups`` holding about :data:`BATCH_ROWS` rows each."""
    batch: list[int] = []
    total = 0
    for group, n in zip(groups.tolist(), rows.tolist(), strict=True):
        batch.append(int(group))
        total += int(n)
        if total >= BATCH_ROWS:
            yield batch
            batch, total = [], 0
    if batch:
        yield batch


def _read(export: Export, part: int, groups: list[int]) -> pa.Table:
    import pyarrow.parquet as pq

    path = export.store.part_file(part)
    try:
        pf = pq.ParquetFile(path)
        present = [c for c in export.columns if c in pf.schema_arrow.names]
        table = pf.read_row_groups(groups, columns=present, use_threads=False)
    except (OSError, ValueError) as exc:
        raise SourceUnavailable(f"part file {path} is missing or damaged: {exc}",
                                dataset=export.store.name) from exc
    return _complete(export, table)


def _complete(export: Export, table: pa.Table) -> pa.Table:
    """Columns missing from a part (a parameter it never had) as nulls / flag -1."""
    import pyarrow as pa

    for name in export.columns:
        if name not in table.column_names:
            flag = name.endswith("_qc")
            fill = pa.array(np.full(table.num_rows, -1 if flag else np.nan,
                                    np.int8 if flag else np.float32))
            table = table.append_column(name, fill)
    table = table.select(export.columns)
    at = table.column_names.index("time")  # Parquet keeps seconds as milliseconds
    return table.set_column(at, "time", table.column("time").cast(pa.timestamp("s")))


def _filter(export: Export, table: pa.Table) -> pa.Table:
    """Rows inside the box, time window and depth range, with QC applied."""
    import pyarrow as pa

    spec = export.spec
    cols = {c: table.column(c).to_numpy() for c in ("longitude", "latitude", "z")}
    seconds = table.column("time").cast(pa.int64()).to_numpy()
    lon = cols["longitude"].astype("float64")
    inside = np.zeros(table.num_rows, bool)
    for sh in Q.shifts(spec):
        inside |= (lon + sh >= spec.bbox[0]) & (lon + sh <= spec.bbox[2])
    keep = inside & (cols["latitude"] >= spec.bbox[1]) & (cols["latitude"] <= spec.bbox[3])
    if spec.time is not None:
        keep &= (seconds >= spec.time[0]) & (seconds <= spec.time[1])
    if spec.depth is not None:
        keep &= (cols["z"] >= spec.depth[0]) & (cols["z"] <= spec.depth[1])
    if spec.qc != "all":
        table, passed = _apply_qc(export, table)
        keep &= passed
    return table if keep.all() else table.filter(pa.array(keep))


def _apply_qc(export: Export, table: pa.Table) -> tuple[pa.Table, np.ndarray]:
    """Values the preset rejects become null; rows where every variable fails drop."""
    import pyarrow as pa

    lut = preset_mask_table(export.spec.qc).astype(bool)
    passed = np.zeros(table.num_rows, bool)
    for name in export.variables:
        flags = table.column(f"{name}_qc").to_numpy().view(np.uint8)
        ok = lut[flags]
        passed |= ok
        values = table.column(name)
        masked = pa.array(values.to_numpy(), mask=~ok)
        table = table.set_column(table.column_names.index(name), name, masked)
    return table, passed


def _empty(export: Export) -> pa.Table:

    from portal.pointstore.schema import arrow_schema

    schema = arrow_schema(list(export.variables))
    return schema.empty_table().select(export.columns)
