"""Depth-band overviews against brute-force references: whole bands, cut bands, rounding,
the add-overviews CLI on an old-format store, and data-version invalidation."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from portal.pointstore import aggregate as A
from portal.pointstore import bands as B
from portal.pointstore import store as st

from .conftest import build, make_columns

W, H = 64, 32  # level-5 cells are exactly one pixel: overview == points, pixel for pixel
WORLD = (-180.0, -90.0, 180.0, 90.0)


def with_edge_points(seed: int) -> dict[str, np.ndarray]:
    """Random columns with some z exactly on band edges (the inclusive-bound cases)."""
    cols = make_columns(20_000, seed)
    rng = np.random.default_rng(seed)
    on = rng.random(len(cols["z"])) < 0.03
    cols["z"][on] = rng.choice([10.0, 100.0, 200.0, 2000.0], int(on.sum()))
    return cols


@pytest.fixture(scope="module")
def banded(tmp_path_factory):
    parts = [with_edge_points(11), with_edge_points(12)]
    path = build(tmp_path_factory.mktemp("bands") / "store", parts, levels=5)
    return path, {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def brute(ref, lo, hi, weights=None):
    with np.errstate(invalid="ignore"):
        m = (ref["z"] >= lo) & (ref["z"] <= hi)
    if weights is not None:
        m &= np.isfinite(weights)
    out, _, _ = np.histogram2d(ref["latitude"][m], ref["longitude"][m], bins=[H, W],
                               range=[[-90, 90], [-180, 180]],
                               weights=None if weights is None else weights[m].astype(float))
    return out


@pytest.mark.parametrize(("lo", "hi", "labels"), [
    (0, 100, ["b0", "b1", "b2", "at2"]),        # inclusive 100: the points exactly at 100
    (10, 50, ["b1"]),
    (100, 100, ["at2"]),
    (-5, 1e9, ["b0", "b1", "b2", "b3", "b4", "b5", "b6", "b7"]),
])
def test_union_of_bands_equals_brute_force(banded, lo, hi, labels):
    path, ref = banded
    agg = A.render_aggregate(path, width=W, height=H, depth=(lo, hi))
    assert agg.attrs["source"] == "overview" and agg.attrs["depth_bands"] == labels
    np.testing.assert_array_equal(agg.values, brute(ref, lo, hi))
    mean = A.render_aggregate(path, width=W, height=H, depth=(lo, hi), how="mean")
    with np.errstate(invalid="ignore"):
        expected = brute(ref, lo, hi, ref["TEMP"]) / brute(ref, lo, hi, np.where(
            np.isfinite(ref["TEMP"]), 1.0, np.nan))
    np.testing.assert_allclose(mean.values, expected, rtol=1e-6, equal_nan=True)


@pytest.mark.parametrize(("lo", "hi"), [(37.0, 1200.5), (0, 150), (150, 160), (10, 10.5)])
def test_cut_bands_scan_only_their_share_exactly(banded, lo, hi):
    path, ref = banded
    agg = A.render_aggregate(path, width=W, height=H, depth=(lo, hi))
    assert agg.attrs["source"] == "overview+points" and "approximate" not in agg.attrs
    assert agg.attrs["row_groups_read"] > 0
    np.testing.assert_array_equal(agg.values, brute(ref, lo, hi))


def test_a_too_big_edge_scan_is_rounded_to_bands_and_says_so(banded, monkeypatch):
    path, ref = banded
    monkeypatch.setattr(A, "EDGE_SCAN_POINTS", 0)
    agg = A.render_aggregate(path, width=W, height=H, depth=(0, 160))
    sec = st.open_store(path).manifest["depth_bands"]
    assert agg.attrs["approximate"] == 1 and agg.attrs["row_groups_read"] == 0
    assert agg.attrs["depth_effective"] == [sec["bands"][0]["z_min"], 200.0]
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(agg.values, brute(ref, -1, np.nextafter(200, 0)))


def test_zoomed_views_and_time_windows_use_the_points(banded):
    path, ref = banded
    box = (-40.0, -20.0, 10.0, 30.0)
    agg = A.render_aggregate(path, bbox=box, width=300, height=300, depth=(0, 100))
    assert agg.attrs["source"] == "points"
    timed = A.render_aggregate(path, width=W, height=H, depth=(0, 100),
                               time=("2006-01-01", "2007-12-31"))
    assert timed.attrs["source"] == "points"


def test_plan_splits_whole_bands_from_cut_ones():
    sec = B.section(B.DEFAULT_EDGES, {"b0": [5, 3.0, 9.5], "b1": [5, 10.0, 49.0],
                                      "b2": [5, 50.0, 99.0], "b3": [5, 100.0, 180.0],
                                      "at2": [1, 100.0, 100.0]}, {})
    assert B.plan(sec, 0, 100).labels == ("b0", "b1", "b2", "at2")
    cut = B.plan(sec, 20, 150)
    assert cut.labels == ("b2",) and cut.scans[0] == (20, np.nextafter(np.float32(50), 0))
    assert cut.scans[1] == (100.0, 150)
    assert B.snapped(sec, 0, 150).effective == (3.0, 200.0)
    with pytest.raises(Exception, match="increase"):
        B.check_edges([10, 5])


def old_store(tmp_path, cols) -> str:
    """A store as written before depth bands existed (no config key, no manifest section)."""
    path = tmp_path / "old"
    st.create_store(str(path), {"row_group_size": 512, "levels": 5, "depth_bands": []})
    build(path, [cols], levels=5)
    manifest = json.loads((path / st.STORE_MARKER).read_text())
    manifest["config"].pop("depth_bands")
    st.write_manifest(str(path), manifest)
    return str(path)


def test_cli_adds_bands_to_an_old_store_and_ingest_keeps_them(tmp_path):
    from portal.cli_points import main
    from portal.model import DatasetEntry
    from portal.sources.versioning import data_version

    cols = with_edge_points(21)
    path = old_store(tmp_path, cols)
    entry = DatasetEntry.from_metadata("p", "pointstore", {"store": path}, {})
    before_version = data_version(entry)
    before = A.render_aggregate(path, width=W, height=H, depth=(0, 100), encoding="exact")
    assert before.attrs["source"] == "points" and "depth_bands" not in st.open_store(
        path).manifest
    assert main(["points", "overviews", path, "--depth-bands"]) == 0
    assert data_version(entry) != before_version  # caches keyed on it miss
    store = st.open_store(path)
    assert store.config["depth_bands"] == list(B.DEFAULT_EDGES)
    assert all(os.path.exists(store.file(rel)) for lv in store.manifest["depth_bands"]["files"]
               .values() for rel in lv.values())
    after = A.render_aggregate(path, width=W, height=H, depth=(0, 100))
    assert after.attrs["source"] == "overview"  # not a stale cached answer from the points
    np.testing.assert_array_equal(after.values, before.values)
    more = with_edge_points(22)  # an ingest into the banded store merges its bands
    build(tmp_path / "old", [more], levels=5)
    ref = {k: np.concatenate([cols[k], more[k]]) for k in cols}
    again = A.render_aggregate(path, width=W, height=H, depth=(0, 100))
    assert again.attrs["source"] == "overview"
    np.testing.assert_array_equal(again.values, brute(ref, 0, 100))


def test_cli_and_ingest_build_the_same_tables(banded, tmp_path):
    import shutil

    from portal.pointstore import overviews as ov

    path, _ = banded
    copy = str(tmp_path / "copy")
    shutil.copytree(path, copy)
    first = st.open_store(copy).manifest["depth_bands"]
    second = B.add_depth_bands(copy)
    assert second["bands"] == first["bands"] and second["at"] == first["at"]
    for level in ("5", "2"):
        for label, rel in first["files"][level].items():
            a = ov.read_table(os.path.join(copy, rel), ["TEMP", "PSAL"])
            b = ov.read_table(os.path.join(copy, second["files"][level][label]), ["TEMP", "PSAL"])
            for key in a:
                np.testing.assert_allclose(a[key], b[key], rtol=1e-12, equal_nan=True)


def test_cli_refuses_bad_edges(banded, capsys):
    from portal.cli_points import main

    path, _ = banded
    assert main(["points", "overviews", path, "--depth-bands", "--edges", "50,10"]) == 2
    assert "increase" in capsys.readouterr().err


def test_the_map_title_says_when_depth_is_rounded(synthetic, monkeypatch):
    from portal.model import Query
    from portal.quicklooks import Style
    from portal.quicklooks.pointmap import view_aggregate
    from portal.sources.pointstore import PointStoreHandle

    path, _ = synthetic
    handle = PointStoreHandle(path)
    query = Query(depth=(0, 160))
    style = Style(width=400, height=200)
    agg, note = view_aggregate(handle, query, style, "TEMP", WORLD)
    assert agg.attrs["source"] == "overview+points" and "APPROXIMATE" not in note
    monkeypatch.setattr(A, "EDGE_SCAN_POINTS", 0)
    agg, note = view_aggregate(handle, query, style, "TEMP", WORLD)
    assert agg.attrs["approximate"] == 1
    assert "APPROXIMATE: depth filter rounded to bands 0" in note and note.endswith("–200")
    _, fr = view_aggregate(handle, query, Style(width=400, height=200, lang="fr"), "TEMP", WORLD)
    assert "arrondi aux tranches" in fr


def test_depth_share_from_band_statistics(banded):
    path, ref = banded
    store = st.open_store(path)
    with np.errstate(invalid="ignore"):
        exact = float(((ref["z"] >= 0) & (ref["z"] <= 100)).mean())
        cut = float(((ref["z"] >= 0) & (ref["z"] <= 150)).mean())
    assert B.depth_share(store, 0, 100) == pytest.approx(exact, rel=1e-12)
    assert B.depth_share(store, 0, 150) == pytest.approx(cut, rel=0.05)
    assert B.depth_share(store, None, None) == pytest.approx(float(np.isfinite(ref["z"]).mean()))
