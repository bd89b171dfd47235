"""Aggregates against brute-force numpy references, pruning, overviews and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from portal.errors import PortalError, SourceUnavailable, UnsupportedQuicklook
from portal.pointstore import cache as hc
from portal.pointstore.aggregate import aggregate_dataset, hover_info, qc_shares
from portal.pointstore.aggregate import render_aggregate as render
from portal.pointstore.schema import PRESET_CLASSES, flag_class_table

BBOX = (-61.37, -23.11, 17.93, 41.29)
W, H = 157, 103


def hist(ref, mask, bbox=BBOX, w=W, h=H, weights=None, lon=None):
    x = ref["longitude"] if lon is None else lon
    out, _, _ = np.histogram2d(ref["latitude"][mask], x[mask], bins=[h, w],
                               range=[[bbox[1], bbox[3]], [bbox[0], bbox[2]]],
                               weights=None if weights is None else weights[mask])
    return out


def keep_flags(flags, preset):
    return np.isin(flag_class_table()[flags.view(np.uint8)], PRESET_CLASSES[preset])


def test_count_equals_numpy_histogram(synthetic):
    path, ref = synthetic
    agg = render(path, bbox=BBOX, width=W, height=H, use_overviews=False, encoding="exact")
    assert agg.dims == ("y", "x") and agg.shape == (H, W)
    np.testing.assert_array_equal(agg.values, hist(ref, np.ones(len(ref["z"]), bool)))
    assert agg.attrs["source"] == "points"


def test_compact_codes_match_within_quantisation(synthetic):
    path, ref = synthetic
    exact = hist(ref, np.ones(len(ref["z"]), bool))
    agg = render(path, bbox=BBOX, width=W, height=H, use_overviews=False, encoding="compact")
    assert agg.attrs["compact"] == 1
    assert agg.values.sum() == exact.sum()
    moved = np.abs(agg.values - exact).sum() / 2  # points that changed pixel
    assert moved <= 0.002 * exact.sum()


def test_mean_min_max_with_qc_preset(synthetic):
    path, ref = synthetic
    agg = render(path, bbox=BBOX, width=W, height=H, how="mean", variable="TEMP", qc="good",
                 use_overviews=False, encoding="exact")
    m = keep_flags(ref["TEMP_qc"], "good") & np.isfinite(ref["TEMP"])
    n = hist(ref, m)
    s = hist(ref, m, weights=ref["TEMP"].astype(np.float64))
    with np.errstate(invalid="ignore"):
        expected = s / n
    np.testing.assert_allclose(agg.values, expected, rtol=1e-9, equal_nan=True)
    count = render(path, bbox=BBOX, width=W, height=H, how="count", variable="TEMP", qc="good",
                   use_overviews=False, encoding="exact")
    np.testing.assert_array_equal(count.values, n)


def test_depth_filter_and_time_window(synthetic):
    path, ref = synthetic
    agg = render(path, bbox=BBOX, width=W, height=H, depth=(500, 1200.5),
                 time=("2006-03-01", "2008-07-15T12:00"), use_overviews=False, encoding="exact")
    t0 = np.datetime64("2006-03-01T00:00:00", "s").astype(np.int64)
    t1 = np.datetime64("2008-07-15T12:00:00", "s").astype(np.int64)
    with np.errstate(invalid="ignore"):
        m = (ref["z"] >= 500) & (ref["z"] <= 1200.5) & (ref["time"] >= t0) & (ref["time"] <= t1)
    np.testing.assert_array_equal(agg.values, hist(ref, m))


def test_pruning_reads_only_intersecting_row_groups(synthetic, monkeypatch):
    path, ref = synthetic
    hc.hot_cache().clear()
    read = []
    original = hc.read_row_groups

    def spy(store, part, rgs, columns):
        read.extend((part, g) for g in rgs)
        return original(store, part, rgs, columns)

    monkeypatch.setattr(hc, "read_row_groups", spy)
    small = (10.0, 5.0, 25.0, 15.0)
    agg = render(path, bbox=small, width=60, height=40, use_overviews=False, encoding="exact")
    total = agg.attrs["row_groups_total"]
    assert len(set(read)) == agg.attrs["row_groups_read"] < 0.3 * total
    np.testing.assert_array_equal(
        agg.values, hist(ref, np.ones(len(ref["z"]), bool), bbox=small, w=60, h=40))


def test_overviews_answer_full_extent(synthetic):
    path, ref = synthetic
    ov = render(path, width=400, height=200)
    assert ov.attrs["source"] == "overview" and ov.attrs["row_groups_read"] == 0
    pts = render(path, width=400, height=200, use_overviews=False)
    assert ov.values.sum() == pytest.approx(len(ref["z"]))
    # area-weighted overview cells vs points: equal once pooled over 10 x 10 pixel blocks
    a = ov.values.reshape(20, 10, 40, 10).sum((1, 3))
    b = pts.values.reshape(20, 10, 40, 10).sum((1, 3))
    assert np.abs(a - b).sum() / b.sum() < 0.02
    mean = render(path, width=400, height=200, how="mean", variable="PSAL", qc="good_probably")
    m = keep_flags(ref["PSAL_qc"], "good_probably") & np.isfinite(ref["PSAL"])
    assert np.nanmean(mean.values) == pytest.approx(ref["PSAL"][m].mean(), abs=0.05)


def test_a_new_view_of_a_level_reads_no_overview_file(synthetic, monkeypatch):
    from portal.cache import data_cache
    from portal.pointstore import overviews

    path, _ = synthetic
    data_cache().clear()
    reads = []
    real = overviews.read_table
    monkeypatch.setattr(overviews, "read_table", lambda *a, **k: reads.append(a) or real(*a, **k))
    first = render(path, width=400, height=200)
    n = len(reads)
    again = render(path, width=402, height=200)  # another canvas of the same level
    assert n > 0 and len(reads) == n and again.attrs["source"] == "overview"
    assert again.values.sum() == pytest.approx(first.values.sum())


def test_whole_years_come_from_overviews(synthetic):
    path, ref = synthetic
    agg = render(path, width=200, height=100, time=("2006-01-01", "2007-12-31"))
    assert agg.attrs["source"] == "overview"
    t0 = np.datetime64("2006-01-01", "s").astype(np.int64)
    t1 = np.datetime64("2008-01-01", "s").astype(np.int64)
    assert agg.values.sum() == pytest.approx(((ref["time"] >= t0) & (ref["time"] < t1)).sum())
    cut = render(path, width=200, height=100, time=("2006-02-01", "2007-12-31"))
    assert cut.attrs["source"] == "points"


def test_qc_mix(synthetic):
    path, ref = synthetic
    agg = render(path, bbox=BBOX, width=W, height=H, how="qc", variable="PSAL",
                 use_overviews=False, encoding="exact")
    assert agg.dims == ("y", "x", "qc")
    classes = flag_class_table()[ref["PSAL_qc"].view(np.uint8)]
    valid = np.isfinite(ref["PSAL"])
    for k, name in enumerate(agg.coords["qc"].values):
        np.testing.assert_array_equal(agg.sel(qc=name).values, hist(ref, valid & (classes == k)))
    shares = qc_shares(agg)
    total = shares.sum("qc")
    assert float(total.max()) <= 1.0 + 1e-9
    full = render(path, width=64, height=32, how="qc", variable="PSAL")
    assert full.attrs["source"] == "overview"
    assert full.values.sum() == pytest.approx(valid.sum())


def test_view_across_the_date_line(synthetic):
    path, ref = synthetic
    bbox = (150.3, -40.2, -160.7, 35.1)
    agg = render(path, bbox=bbox, width=90, height=60, use_overviews=False, encoding="exact")
    lon = np.where(ref["longitude"] < 0, ref["longitude"] + 360.0, ref["longitude"])
    expected = hist(ref, np.ones(len(ref["z"]), bool), bbox=(150.3, -40.2, 199.3, 35.1), w=90,
                    h=60, lon=lon)
    np.testing.assert_array_equal(agg.values, expected)
    assert agg.x.values[-1] > 180


def test_profile_density(synthetic):
    from portal.pointstore.aggregate import profile_density

    path, ref = synthetic
    agg = profile_density(path, variable="TEMP", bbox=BBOX, width=50, height=40,
                          value_range=(-5, 30), depth_range=(0, 2000))
    m = np.isfinite(ref["TEMP"]) & np.isfinite(ref["z"])
    lon, lat = ref["longitude"], ref["latitude"]
    m &= (lon >= BBOX[0]) & (lon <= BBOX[2]) & (lat >= BBOX[1]) & (lat <= BBOX[3])
    expected, _, _ = np.histogram2d(ref["z"][m], ref["TEMP"][m], bins=[40, 50],
                                    range=[[0, 2000], [-5, 30]])
    moved = np.abs(agg.values - expected).sum() / 2
    assert agg.values.sum() == pytest.approx(expected.sum(), abs=2)
    assert moved <= 0.002 * expected.sum()


def test_hover_gives_count_and_mean(synthetic):
    path, _ = synthetic
    ds = aggregate_dataset(path, variable="TEMP", bbox=BBOX, width=W, height=H,
                           use_overviews=False)
    iy, ix = np.unravel_index(int(np.argmax(ds["count"].values)), ds["count"].shape)
    info = hover_info(ds, float(ds.x[ix]), float(ds.y[iy]))
    assert info["count"] == ds["count"].values.max() and np.isfinite(info["mean"])


def test_budget_overviews_or_refusal(synthetic):
    path, _ = synthetic
    agg = render(path, bbox=(-100, -50, 0, 50), width=800, height=800, max_points=1000)
    assert agg.attrs["source"] == "overview" and agg.attrs["approximate"] == 1
    with pytest.raises(PortalError, match="would scan"):
        render(path, depth=(0, 100), max_points=1000)


def test_bad_input_messages(synthetic, tmp_path):
    path, _ = synthetic
    with pytest.raises(UnsupportedQuicklook, match="PSAL"):
        render(path, how="mean", variable="NOPE")
    with pytest.raises(PortalError, match="pixels"):
        render(path, width=100_000, height=100_000)
    with pytest.raises(PortalError, match="bbox"):
        render(path, bbox=(0, 50, 10, 40))
    with pytest.raises(SourceUnavailable, match="no point store"):
        render(str(tmp_path / "nothing"))


def test_damaged_part_is_named(synthetic, tmp_path):
    import shutil

    from portal.pointstore.store import open_store

    path, _ = synthetic
    copy = tmp_path / "copy"
    shutil.copytree(path, copy)
    part = open_store(str(copy)).part_file(0)
    with open(part, "r+b") as fh:
        fh.truncate(1000)
    hc.hot_cache().clear()
    with pytest.raises(SourceUnavailable, match=part.split("/")[-1]):
        render(str(copy), use_overviews=False)
    for f in (copy / "overviews").rglob("all-*"):
        f.unlink()
    with pytest.raises(SourceUnavailable, match="overview file"):
        render(str(copy), width=400, height=200)
