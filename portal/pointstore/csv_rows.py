"""CSV text of point-store rows, each profile's leading columns formatted once.

A point store's rows come in profiles (or stations): the leading columns (platform, cycle,
time, longitude, latitude) repeat on every level, and formatting them was most of an
export's CPU (pyarrow's float formatting is ~70 ns a value). :func:`csv_rows` finds the runs
where the leading columns stay equal, lets pyarrow write those columns once per run and the
other columns once per row (so every field is pyarrow's own text: the same digits, quoting
and time stamps as ``pyarrow.csv.write_csv`` of the whole table), then a numba kernel that
releases the GIL stitches ``lead,rest`` lines together in one pass. A batch without such
runs (a time series: the time changes every row), or whose lead text would hold a newline,
is written by ``write_csv`` directly. Numba and pyarrow are imported here, on the first
export, not by ``import portal``.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import numba as nb
import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa

#: leading columns that repeat along a profile (the first columns of an export)
LEAD = ("platform", "cycle", "time", "longitude", "latitude")
#: rows formatted at once (pieces of ~10 MB: buffers the allocator reuses, no page faults)
PIECE_ROWS = 1 << 17
#: stitch only when the runs are at least this long on average (else plain write_csv)
MIN_RUN = 4
NEWLINE = 10
COMMA = 44


def write_csv(table: pa.Table) -> bytes:
    """``pyarrow.csv.write_csv`` of ``table`` without a header, strings quoted."""
    import pyarrow.csv as pcsv

    out = io.BytesIO()
    pcsv.write_csv(table, out, pcsv.WriteOptions(include_header=False, quoting_style="needed"))
    return out.getvalue()


def csv_rows(table: pa.Table) -> list[bytes]:
    """The rows of ``table`` as CSV (no header) in pieces of at most :data:`PIECE_ROWS`
    rows; joined, byte for byte what :func:`write_csv` writes."""
    return [_piece(table.slice(start, PIECE_ROWS))
            for start in range(0, table.num_rows, PIECE_ROWS)]


def _piece(table: pa.Table) -> bytes:
    lead = [c for c in LEAD if c in table.column_names]
    n = table.num_rows
    if n == 0 or lead != table.column_names[:len(lead)] or len(lead) == table.num_columns:
        return write_csv(table)
    starts = run_starts(table.select(lead))
    if starts.size * MIN_RUN > n:
        return write_csv(table)
    import pyarrow as pa

    head = np.frombuffer(write_csv(table.select(lead).take(pa.array(starts))), np.uint8)
    rest = np.frombuffer(write_csv(table.drop_columns(lead)), np.uint8)
    head_ends = np.flatnonzero(head == NEWLINE)
    if head_ends.size != starts.size:  # a newline inside a quoted platform id
        return write_csv(table)
    head_len = np.diff(head_ends, prepend=-1)  # each with its newline, which becomes ","
    runs = np.diff(starts, append=n)
    out = np.empty(rest.size + int(head_len @ runs), np.uint8)
    if _stitch(head, head_ends, starts, n, rest, out) != out.size:
        return write_csv(table)  # a row count that does not match: never guess
    return out.tobytes()


def run_starts(lead: pa.Table) -> np.ndarray:
    """First row of each run of equal leading values (int64 indices, 0 first)."""
    n = lead.num_rows
    change = np.zeros(n, bool)
    change[0] = True
    for column in lead.columns:
        values = _comparable(column)
        if values is None:  # nulls or an odd type: every row is its own run
            change[:] = True
            break
        change[1:] |= values[1:] != values[:-1]
    return np.flatnonzero(change)


def _comparable(column: pa.ChunkedArray) -> np.ndarray | None:
    """A numpy view whose equal entries mean equal CSV text (None when there is none)."""
    import pyarrow as pa

    if column.null_count:
        return None
    if pa.types.is_dictionary(column.type):  # chunks may carry different dictionaries
        column = column.unify_dictionaries()
        return np.concatenate([np.asarray(c.indices) for c in column.chunks])
    if pa.types.is_timestamp(column.type):
        column = column.cast(pa.int64())
    if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
        return None
    values = column.to_numpy()
    return values.view(f"u{values.dtype.itemsize}")  # bits: -0.0 and 0.0 stay apart


@nb.njit(cache=True, nogil=True)
def _stitch(head, head_ends, starts, n, rest, out):  # pragma: no cover - compiled
    """Each row's run head (its newline turned into a comma), then the row's line of
    ``rest``. Returns the bytes written, or -1 when ``rest`` does not hold ``n`` lines or
    they do not fill ``out`` exactly (never a write past its end)."""
    pos = 0
    src = 0
    n_runs = starts.size
    for run in range(n_runs):
        h0 = 0 if run == 0 else head_ends[run - 1] + 1
        h1 = head_ends[run]
        stop = starts[run + 1] if run + 1 < n_runs else n
        for _ in range(starts[run], stop):
            if pos + h1 - h0 + 1 > out.size:
                return -1
            for i in range(h0, h1):
                out[pos] = head[i]
                pos += 1
            out[pos] = COMMA
            pos += 1
            while True:
                if src >= rest.size or pos >= out.size:
                    return -1
                byte = rest[src]
                out[pos] = byte
                pos += 1
                src += 1
                if byte == NEWLINE:
                    break
    return pos if src == rest.size and pos == out.size else -1
