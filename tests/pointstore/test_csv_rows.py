"""The stitched CSV of point-store rows is byte for byte pyarrow's ``write_csv``: profiles
(leading columns formatted once a run), QC-nulled values, odd platform ids, chunks with
different dictionaries, signed zeros, and batches without runs."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from portal.pointstore import csv_rows as C
from portal.query import Query


def _profiles(n_profiles: int, levels: int, seed: int = 0,
              platforms: tuple[str, ...] = ("6900001", "6900002")) -> pa.Table:
    rng = np.random.default_rng(seed)
    n = n_profiles * levels
    prof = np.repeat(np.arange(n_profiles), levels)
    ids = pa.DictionaryArray.from_arrays(pa.array(prof % len(platforms), pa.int32()),
                                         pa.array(list(platforms)))
    temp = rng.normal(12, 4, n).astype("float32")
    return pa.table({
        "platform": ids,
        "cycle": pa.array(prof // len(platforms) + 1, pa.int32()),
        "time": pa.array(1_600_000_000 + prof * 86_400, pa.timestamp("s")),
        "longitude": pa.array(rng.uniform(-180, 180, n_profiles)[prof].astype("float32")),
        "latitude": pa.array(rng.uniform(-80, 80, n_profiles)[prof].astype("float32")),
        "z": pa.array(np.tile(np.linspace(0, 2000, levels), n_profiles).astype("float32")),
        "TEMP": pa.array(temp, mask=rng.random(n) < 0.1),  # nulls: QC-rejected values
        "TEMP_qc": pa.array(rng.integers(-1, 9, n).astype("int8")),
    })


def _joined(table: pa.Table) -> bytes:
    return b"".join(C.csv_rows(table))


def test_profiles_are_written_as_pyarrow_writes_them(monkeypatch):
    table = _profiles(300, 40)
    monkeypatch.setattr(C, "PIECE_ROWS", 1000)  # pieces cut through profiles
    pieces = C.csv_rows(table)
    assert len(pieces) == 12
    assert b"".join(pieces) == C.write_csv(table)
    assert b"".join(pieces).count(b"\n") == table.num_rows


def test_stitching_is_used_on_profiles(monkeypatch):
    """The stitched path runs (not the fallback) and formats the lead once a profile."""
    table = _profiles(50, 30)
    heads = []
    write = C.write_csv
    monkeypatch.setattr(C, "write_csv", lambda t: heads.append(t.num_rows) or write(t))
    assert _joined(table) == write(table)
    assert heads == [50, 1500]  # one lead line per profile, then the other columns


def test_odd_platform_ids_and_changing_dictionaries():
    odd = ('69"01', "a,b", "x\ny", "plain")
    chunks = [_profiles(20, 10, seed=s, platforms=odd[s:] or odd) for s in range(4)]
    table = pa.concat_tables(chunks)  # four chunks, four different dictionaries
    assert table.column("platform").num_chunks == 4
    assert _joined(table) == C.write_csv(table)


def test_signed_zero_and_nan_in_the_lead_keep_their_own_text():
    table = _profiles(4, 8)
    lon = np.zeros(32, "float32")
    lon[8:16] = -0.0
    lon[16:24] = np.nan
    table = table.set_column(3, "longitude", pa.array(lon))
    assert C.run_starts(table.select(list(C.LEAD))).tolist() == [0, 8, 16, 24]
    assert _joined(table) == C.write_csv(table)
    assert b",-0," in _joined(table)


@pytest.mark.parametrize("cut", ["series", "nulls", "lead only", "empty"])
def test_batches_without_runs_fall_back_to_write_csv(cut):
    table = _profiles(40, 25)
    if cut == "series":  # a mooring: the time changes every row
        table = table.set_column(2, "time", pa.array(np.arange(1000) + 1_600_000_000,
                                                     pa.timestamp("s")))
    elif cut == "nulls":
        table = table.set_column(1, "cycle", pa.array([None] * 1000, pa.int32()))
    elif cut == "lead only":
        table = table.select(list(C.LEAD))
    else:
        table = table.slice(0, 0)
    assert _joined(table) == C.write_csv(table)


def test_the_kernel_refuses_a_line_count_that_does_not_match():
    head = np.frombuffer(b"a,1\nb,2\n", np.uint8)
    ends = np.flatnonzero(head == 10)
    starts = np.array([0, 2])
    rest = np.frombuffer(b"1\n2\n3\n", np.uint8)  # 3 lines for 4 rows
    out = np.zeros(64, np.uint8)
    assert C._stitch(head, ends, starts, 4, rest, out) == -1
    rest = np.frombuffer(b"1\n2\n3\n4\n", np.uint8)
    assert C._stitch(head, ends, starts, 4, rest, np.zeros(7, np.uint8)) == -1  # too small
    exact = np.zeros(4 * 6, np.uint8)
    size = C._stitch(head, ends, starts, 4, rest, exact)
    assert size == exact.size and exact.tobytes() == b"a,1,1\na,1,2\nb,2,3\nb,2,4\n"


def test_a_demo_store_export_is_pyarrow_text(demo_store):
    """The demo store's rows (profiles) through the export: the same bytes as write_csv of
    the same tables, header first."""
    from portal.pointstore.export import plan

    export = plan(demo_store, Query(variable="TEMP", qc="all"))
    chunks = list(export.csv_chunks())
    expected = b"".join(C.write_csv(t) for t in export.tables())
    assert chunks[0] == (",".join(export.columns) + "\n").encode()
    assert b"".join(chunks[1:]) == expected
    assert expected.count(b"\n") == 40_000
