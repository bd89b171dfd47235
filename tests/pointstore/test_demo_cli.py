"""The demo generator, the CLI hooks, the source adapter and catalog scanning."""

from __future__ import annotations

import argparse

import numpy as np
import pyarrow.parquet as pq
import pytest

from portal.pointstore import hilbert
from portal.pointstore.store import open_store


def test_demo_store_is_realistic(demo_store):
    s = open_store(demo_store)
    assert s.n_points == 40_000 and len(s.parts) >= 3
    t = pq.read_table([s.part_file(i) for i in range(len(s.parts))][0]).to_pandas()
    good = (t["TEMP_qc"] == 1).mean()
    assert 0.9 < good < 0.99 and set(t["TEMP_qc"].unique()) <= {0, 1, 2, 3, 4, 9}
    ok = t["TEMP_qc"] == 1
    assert t.loc[ok, "TEMP"].between(-2, 35).all() and t["PSAL"].median() == pytest.approx(35, abs=1)
    assert t["z"].max() > 900 and (t.groupby(["platform", "cycle"]).size() > 1).mean() > 0.9
    assert t["platform"].astype(str).str.len().eq(7).all()


def test_demo_is_the_same_whatever_the_chunking(tmp_path):
    from portal.demo.points import generate

    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    generate(5_000, a, seed=7, chunk_points=5_000)
    generate(5_000, b, seed=7, chunk_points=1_200)
    ta = pq.read_table([open_store(a).part_file(i) for i in range(len(open_store(a).parts))][0])
    tb = pq.ParquetDataset([open_store(b).part_file(i)
                            for i in range(len(open_store(b).parts))]).read()
    for col in ("TEMP", "z", "longitude"):
        assert np.array_equal(np.sort(ta[col].to_numpy()), np.sort(tb[col].to_numpy()),
                              equal_nan=True)


def test_rows_follow_the_hilbert_curve(demo_store):
    s = open_store(demo_store)
    ix = s.index
    span = (ix["lon_max"] - ix["lon_min"]) * (ix["lat_max"] - ix["lat_min"])
    assert np.median(span) < 0.2 * 360 * 180  # row groups cover small boxes
    keys = hilbert.hilbert_keys(np.array([0.0, 0.001, 120.0]), np.array([0.0, 0.001, -60.0]))
    assert abs(int(keys[1]) - int(keys[0])) < abs(int(keys[2]) - int(keys[0]))
    order = hilbert.radix_argsort(np.array([5, 3, 3, 2**40, 0], np.uint64))
    assert order.tolist() == [4, 1, 2, 0, 3]


def test_cli_commands(tmp_path, capsys):
    from portal.cli_points import add_commands, main

    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers(dest="cmd"))
    assert parser.parse_args(["demo-points", "--n", "1e9", "--store", "x"]).n == 10**9
    store = str(tmp_path / "s")
    assert main(["demo-points", "--n", "3000", "--store", store]) == 0
    assert main(["demo-points", "--n", "3000", "--store", store]) == 2  # exists: refused
    assert "--overwrite" in capsys.readouterr().err
    png = tmp_path / "m.png"
    assert main(["points-png", store, "-o", str(png), "--how", "mean", "--qc", "good"]) == 0
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert main(["ingest", str(tmp_path / "missing.nc"), "--store", store]) == 2


def test_source_adapter_and_catalog_scan(demo_store, tmp_path):
    from portal.errors import SourceUnavailable
    from portal.model import DatasetEntry, Query
    from portal.sources import open_aggregator, open_dataset

    entry = DatasetEntry.from_metadata("demo", "pointstore", {"store": demo_store}, {})
    handle = open_aggregator(entry)
    assert handle.info()["n_points"] == 40_000
    agg = handle.aggregate(Query(variable="TEMP", qc="good", bbox=(-80, -40, 20, 40)),
                           how="mean", width=50, height=40)
    assert agg.attrs["qc"] == "good" and np.isfinite(agg.values).any()
    obs = handle.observations(Query(bbox=(-80, -40, 20, 40)), max_points=500)
    assert obs.sizes["obs"] <= 500 and {"TEMP", "TEMP_qc"} <= set(obs.data_vars)
    bare = handle.observations(Query(bbox=(-80, -40, 20, 40)), max_points=500, platform=False)
    assert "platform" in obs and "platform" not in bare  # the same rows, no names read
    assert set(bare.data_vars) == set(obs.data_vars) - {"platform"}
    np.testing.assert_array_equal(bare.TEMP.values, obs.TEMP.values)
    missing = DatasetEntry.from_metadata("x", "pointstore", {"store": str(tmp_path)}, {})
    sample = open_dataset(entry, Query(bbox=(-80, -40, 20, 40)))  # a bounded sample
    assert sample.sizes["obs"] == handle.observations(Query(bbox=(-80, -40, 20, 40))).sizes["obs"]
    with pytest.raises(SourceUnavailable, match="no point store"):
        open_dataset(missing)
    scan = pytest.importorskip("portal.cataloging.scan")
    import os

    result = scan.scan_folder(os.path.dirname(demo_store))
    stores = [e for e in result.entries if e.source == "pointstore"]
    assert any(e.arguments["store"] == demo_store for e in stores)
