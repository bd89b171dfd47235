"""Cold views: how cold a view is, its preview from the overviews, the prefetch of its ring,
and reads that stop when a newer view comes (portal.pointstore.views, cache.prefill)."""

from __future__ import annotations

import numpy as np
import pytest

from portal.pointstore import aggregate as A
from portal.pointstore import cache as hc
from portal.pointstore import query as Q
from portal.pointstore import views as V
from portal.pointstore.store import open_store

VIEW = (-20.0, -10.0, 20.0, 15.0)  # pixels of 0.2°: finer than the finest overview (0.7°)
CANVAS = {"width": 200, "height": 125}


@pytest.fixture()
def store(synthetic):
    hc.hot_cache().clear()
    yield open_store(synthetic[0])
    hc.hot_cache().clear()


def _spec(store, bbox=VIEW):
    return Q.make_spec(store, "map", bbox=bbox, how="mean", variable="TEMP", **CANVAS)


def _loaded(store, cols=("longitude", "latitude", "TEMP")) -> set[int]:
    """Index rows of the row groups whose every column the hot cache holds."""
    rows = np.arange(store.n_row_groups)
    return {int(g) for g in rows if hc.hot_cache().missing_rows(store, rows[g:g + 1],
                                                                  list(cols), True) == 0}


def test_a_view_is_cold_until_its_rows_are_read(store):
    spec = _spec(store)
    groups = Q.select_row_groups(store, spec)
    assert V.cold_rows(store, spec) == int(store.index["rows"][groups].sum()) > 0
    A.aggregate_dataset(store.path, bbox=VIEW, **CANVAS)
    assert V.cold_rows(store, spec) == 0
    assert V.cold_rows(store, _spec(store, (-180, -90, 180, 90))) == 0  # overviews answer


def test_a_cold_view_is_previewed_from_the_overviews_then_not(store):
    preview = V.preview_dataset(store.path, cold=0, bbox=VIEW, **CANVAS)
    assert preview is not None and preview.attrs["preview"] == 1
    assert preview.attrs["source"] == "overview" and preview.attrs["row_groups_read"] == 0
    exact = A.aggregate_dataset(store.path, bbox=VIEW, **CANVAS)
    assert exact.attrs["source"] == "points" and "preview" not in exact.attrs
    # the coarser picture of the same points: overview cells cut by the view's edges are
    # spread by area, so the totals agree closely, not exactly
    assert float(preview["count"].sum()) == pytest.approx(float(exact["count"].sum()), rel=0.1)
    assert V.preview_dataset(store.path, cold=0, bbox=VIEW, **CANVAS) is None  # now hot
    assert _loaded(store) == set(Q.select_row_groups(store, _spec(store)).tolist())


def test_no_preview_where_the_overviews_cannot_answer(store):
    depth = V.preview_dataset(store.path, cold=0, bbox=VIEW, depth=(0, 500), **CANVAS)
    window = V.preview_dataset(store.path, cold=0, bbox=VIEW,
                               time=("2006-03-01", "2007-03-01"), **CANVAS)
    assert depth is None and window is None


def test_the_ring_is_the_grown_box_less_the_view(store):
    spec = _spec(store)
    ix = store.index
    x0, y0, x1, y1 = -40.0, -22.5, 40.0, 27.5  # VIEW twice as wide and high, same centre
    box = ((ix["lon_max"] >= x0) & (ix["lon_min"] <= x1) & (ix["lat_max"] >= y0)
           & (ix["lat_min"] <= y1))
    view = set(Q.select_row_groups(store, spec).tolist())
    ring = V.ring_row_groups(store, spec)
    assert set(ring.tolist()) == set(np.flatnonzero(box).tolist()) - view and len(ring) > 0
    lon = (ix["lon_min"][ring] + ix["lon_max"][ring]) / 2
    lat = (ix["lat_min"][ring] + ix["lat_max"][ring]) / 2
    assert np.all(np.diff(np.hypot(lon, lat - 2.5)) >= 0)  # nearest the view's centre first


def test_the_prefetch_reads_exactly_the_ring(store):
    spec = _spec(store)
    ring = V.ring_row_groups(store, spec)
    rows = V.prefetch_ring(store.path, bbox=VIEW, **CANVAS)
    assert rows == int(store.index["rows"][ring].sum())
    assert _loaded(store) == set(ring.tolist())  # the view's own row groups: not read
    assert V.prefetch_ring(store.path, bbox=VIEW, **CANVAS) == 0  # nothing left to read
    assert V.prefetch_ring(store.path, bbox=(-180, -90, 180, 90), **CANVAS) == 0  # overviews


def test_the_prefetch_keeps_to_its_byte_share(store):
    ring = V.ring_row_groups(store, _spec(store))
    per_row = 2 * 3  # longitude, latitude, TEMP as uint16 codes
    limit = int(store.index["rows"][ring[:3]].sum()) * per_row
    V.prefetch_ring(store.path, bbox=VIEW, max_bytes=limit, **CANVAS)
    assert _loaded(store) == set(ring[:3].tolist())


def test_a_new_view_stops_the_prefetch(store, monkeypatch):
    monkeypatch.setattr(V, "PREFETCH_CHUNK_ROWS", 1024)  # two row groups per chunk
    asked = []

    def cancel():  # a new view arrives after the first chunk was read
        asked.append(1)
        return len(asked) > 1

    ring = V.ring_row_groups(store, _spec(store))
    rows = V.prefetch_ring(store.path, bbox=VIEW, cancel=cancel, **CANVAS)
    assert _loaded(store) == set(ring[:2].tolist()) and len(asked) == 2
    assert rows == int(store.index["rows"][ring[:2]].sum())


def test_a_cancelled_read_stops_between_chunks_and_keeps_what_it_read(store, monkeypatch):
    monkeypatch.setattr(hc, "CHUNK_ROWS", 512)  # one row group per chunk
    groups = Q.select_row_groups(store, _spec(store))
    part = int(store.index["part"][groups[0]])
    groups = groups[store.index["part"][groups] == part]
    calls = []
    assert len(groups) > 2
    with pytest.raises(hc.Cancelled):
        hc.hot_cache().prefill(store, part, groups, ["longitude", "latitude"], True,
                               cancel=lambda: calls.append(1) or len(calls) > 2)
    assert _loaded(store, ("longitude", "latitude")) == set(groups[:2].tolist())
    exact = A.aggregate_dataset(store.path, bbox=VIEW, cancel=lambda: False, **CANVAS)
    with pytest.raises(hc.Cancelled):
        hc.hot_cache().clear()
        A.aggregate_dataset(store.path, bbox=VIEW, cancel=lambda: True, **CANVAS)
    again = A.aggregate_dataset(store.path, bbox=VIEW, **CANVAS)
    np.testing.assert_array_equal(again["count"].values, exact["count"].values)
