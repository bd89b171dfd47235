"""The download estimate on a deliberately clustered store: a dense mooring-like cluster whose
observations are mostly in one year, over a sparse global background. The index alone (uniform
density inside each row group's extent) runs low many times over there; the estimate stays
within :data:`FACTOR` of the real row count, and a request over the cap is refused in under a
second."""

from __future__ import annotations

import time

import numpy as np
import pytest

from portal import downloads
from portal.errors import SelectionTooLarge
from portal.model import DatasetEntry
from portal.pointstore import estimate as E
from portal.pointstore import query as Q
from portal.pointstore.store import open_store
from portal.query import Query

from .conftest import T0, T1, build

FACTOR = 1.5  # the estimate is within this factor of the real row count
Y2010 = (int(np.datetime64("2010-01-01", "s").astype(np.int64)),
         int(np.datetime64("2010-12-31T23:59:59", "s").astype(np.int64)))


def _columns(n: int, seed: int) -> dict[str, np.ndarray]:
    """75 % of the rows in a 1° cluster off Corsica, 80 % of those in 2010 (the rest spread
    over 2005-2010) and 80 % in the top 40 m; 25 % spread over the globe, the whole record
    and 0-2000 m."""
    from portal.pointstore.writer import empty_columns

    rng = np.random.default_rng(seed)
    cols = empty_columns(["TEMP", "PSAL"], n)
    cluster = rng.random(n) < 0.75
    k = int(cluster.sum())
    cols["longitude"][:] = np.where(cluster, rng.normal(9.5, 0.25, n), rng.uniform(-179, 179, n))
    cols["latitude"][:] = np.where(cluster, rng.normal(42.5, 0.25, n), rng.uniform(-75, 75, n))
    in_2010 = rng.integers(*Y2010, n)
    cols["time"][:] = rng.integers(T0, T1, n)
    busy = np.flatnonzero(cluster)[rng.random(k) < 0.8]
    cols["time"][busy] = in_2010[busy]
    cols["z"][:] = rng.uniform(0, 2000, n)
    shallow = np.flatnonzero(cluster)[rng.random(k) < 0.8]
    cols["z"][shallow] = rng.uniform(0, 40, shallow.size)
    cols["z_qc"][:] = 1
    for p in ("TEMP", "PSAL"):
        cols[p][:] = rng.normal(15, 3, n)
        cols[f"{p}_qc"][:] = 1
    cols["platform"][:] = rng.integers(0, 20, n)
    cols["cycle"][:] = rng.integers(1, 200, n)
    cols["source"][:] = 0
    return cols


@pytest.fixture(scope="module")
def clustered(tmp_path_factory):
    cols = _columns(40_000, 7)
    return build(tmp_path_factory.mktemp("clustered") / "store", [cols]), cols


def _real(cols, bbox, time_window=None, depth=None) -> int:
    west, south, east, north = bbox
    keep = ((cols["longitude"] >= west) & (cols["longitude"] <= east)
            & (cols["latitude"] >= south) & (cols["latitude"] <= north))
    if time_window is not None:
        keep &= (cols["time"] >= time_window[0]) & (cols["time"] <= time_window[1])
    if depth is not None:
        keep &= (cols["z"] >= depth[0]) & (cols["z"] <= depth[1])
    return int(keep.sum())


def _entry(path: str) -> DatasetEntry:
    return DatasetEntry.from_metadata("clustered", "pointstore", {"store": path},
                                      {"title": "clustered"})


@pytest.mark.parametrize(("bbox", "window", "depth"), [
    ("-180,-90,180,90", "2010-01-01/2010-12-31", None),   # the busy year, everywhere
    ("0,30,20,50", "2010-01-01/2010-12-31", None),        # the busy year, around the cluster
    ("9.5,40,12,45", None, None),                          # half the cluster, all the record
    ("9.5,40,12,45", "2010-01-01/2010-12-31", None),      # half the cluster, the busy year
    ("-180,-90,180,90", "2006-01-01/2007-12-31", None),   # quiet years
    ("-100,-60,-20,60", None, None),                       # background only
    ("-180,-90,180,90", None, "0/40"),                     # the busy top 40 m
    ("0,30,20,50", "2010-01-01/2010-12-31", "0/50"),      # busy year, busy depths
    ("-180,-90,180,90", None, "500/2000"),                 # the quiet deep
])
def test_the_estimate_is_within_the_factor_of_the_real_rows(clustered, bbox, window, depth):
    path, cols = clustered
    selection = downloads.prepare(_entry(path), Query(bbox=bbox, time=window, depth=depth,
                                                      qc="all"))
    spec = selection.export.spec
    real = _real(cols, [float(v) for v in bbox.split(",")], spec.time, spec.depth)
    assert real > 100
    assert real / FACTOR <= selection.size <= real * FACTOR
    assert real <= selection.export.upper


def test_the_index_alone_runs_low_on_this_store(clustered):
    """The store is clustered where it matters: the former, index-only estimate of the busy
    year is several times too low (so the test above would catch it)."""
    path, cols = clustered
    store = open_store(path)
    spec = Q.make_spec(store, "map", time="2010-01-01/2010-12-31", variable=None)
    index = E.index_rows(store, spec, Q.select_row_groups(store, spec)).rows
    assert index * 3 < _real(cols, (-180, -90, 180, 90), spec.time)
    spec = Q.make_spec(store, "map", depth=(0, 40), variable=None)
    index = E.index_rows(store, spec, Q.select_row_groups(store, spec)).rows
    assert index * 3 < _real(cols, (-180, -90, 180, 90), None, (0, 40))
    assert "depth_bands" in store.manifest  # the estimate's depth share comes from them


def test_over_the_cap_is_refused_in_under_a_second(clustered, monkeypatch):
    import portal.downloads as mod
    from portal.settings import Limits

    path, cols = clustered
    real = _real(cols, (-180, -90, 180, 90), Y2010)
    store = open_store(path)
    spec = Q.make_spec(store, "map", time="2010-01-01/2010-12-31", variable=None)
    cap = int(E.index_rows(store, spec, Q.select_row_groups(store, spec)).rows * 2)
    assert cap < real  # the index alone would have let this request through
    monkeypatch.setattr(mod, "limits", lambda: Limits(max_download_rows=cap))
    started = time.perf_counter()
    with pytest.raises(SelectionTooLarge) as err:
        downloads.prepare(_entry(path), Query(time="2010-01-01/2010-12-31"))
    assert time.perf_counter() - started < 1.0
    assert err.value.http_status == 413 and "narrow" in err.value.hint


def test_a_store_without_overviews_falls_back_to_the_index(clustered, monkeypatch):
    path, _ = clustered
    store = open_store(path)
    monkeypatch.setitem(store.manifest, "overviews", {})
    spec = Q.make_spec(store, "map", time="2010-01-01/2010-12-31", variable=None)
    rows = Q.select_row_groups(store, spec)
    assert E.overview_rows(store, spec) is None
    assert E.estimate(store, spec, rows) == E.index_rows(store, spec, rows)


def test_overviews_without_time_bins_leave_a_time_window_to_the_index(clustered, monkeypatch):
    path, _ = clustered
    store = open_store(path)
    only_all = {lv: {"all": files["all"]} for lv, files in store.manifest["overviews"].items()}
    monkeypatch.setitem(store.manifest, "overviews", only_all)
    spec = Q.make_spec(store, "map", time="2010-01-01/2010-12-31", variable=None)
    rows = Q.select_row_groups(store, spec)
    assert E.overview_rows(store, spec) is None
    assert E.estimate(store, spec, rows) == E.index_rows(store, spec, rows)


def test_cut_cells_are_weighted_by_their_area():
    spec = Q.AggSpec(kind="map", bbox=(0.0, 0.0, 45.0, 45.0), width=8, height=8, how="count",
                     variable=None, qc="all", time=None, depth=None, x_range=None,
                     y_range=None)
    # level 1: 4 x 2 cells of 90°; cell 6 = [0, 90] x [0, 90]: a quarter of it is inside
    np.testing.assert_allclose(E.cell_shares(np.array([6, 5, 2]), 1, spec), [0.25, 0, 0])
