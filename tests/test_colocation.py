"""Which catalog entries pair for a colocation (the pages' lists, the 400s of bad pairs), point
stores as observations (equal to xarray on the grid file), and the row limit checked before
the observed values are read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from portal.colocation import check_pair, overlapping
from portal.errors import UnsupportedQuicklook
from portal.model import DatasetEntry


def _entry(ident, ftype, bbox, times):
    return DatasetEntry.from_metadata(ident, "netcdf", {"urlpath": f"/x/{ident}.nc"},
                                      {"featureType": ftype, "bbox": list(bbox),
                                       "time_coverage": list(times), "title": ident})


GRID = _entry("grid", "grid", (-15, 40, 5, 55), ("2023-08-01", "2023-08-30"))


def test_overlapping_lists_in_situ_entries_meeting_the_grid_in_box_and_time():
    entries = [
        GRID,
        _entry("inside", "profile", (-8, 45, -6, 46), ("2023-01-01", "2024-12-31")),
        _entry("point_mooring", "timeSeries", (-3, 47, -3, 47), ("2023-01-01", "2024-12-31")),
        _entry("west", "profile", (-24, 48, -20, 50), ("2023-01-01", "2024-12-31")),
        _entry("wider", "trajectory", (-30, 30, 20, 60), ("2023-08-05", "2023-08-06")),
        _entry("before", "trajectory", (-8, 45, -6, 46), ("2020-01-01", "2020-02-01")),
        _entry("other_grid", "grid", (-8, 45, -6, 46), ("2023-01-01", "2024-12-31")),
    ]
    assert [e.id for e in overlapping(GRID, entries)] == ["inside", "point_mooring", "wider"]


def test_bad_pairs_name_both_datasets():
    obs = _entry("float", "profile", (-8, 45, -6, 46), ("2023-01-01", "2024-12-31"))
    with pytest.raises(UnsupportedQuicklook, match="float is a profile dataset, not a grid.*obs=grid"):
        check_pair(obs, GRID)
    with pytest.raises(UnsupportedQuicklook, match="grid is not an in-situ.*grid=grid, obs=grid"):
        check_pair(GRID, GRID)
    check_pair(GRID, obs)  # a good pair passes


# --- point stores as obs=, and the size check before the values are read -------------------

SST = "sst_biscay_daily_0.1deg.nc"
T_AUG = int(np.datetime64("2023-08-02", "s").astype(np.int64))


@pytest.fixture(scope="module")
def demo():
    from portal.catalog.loader import load_catalog
    from portal.demo import ensure_demo_catalog

    path = ensure_demo_catalog()
    return load_catalog(path), Path(path).parent.parent / "data" / "demo"


@pytest.fixture(scope="module")
def biscay_store(tmp_path_factory):
    """(entry, columns) of a small store in the SST grid's box and month: 25 floats'
    cycles with levels from 0 to 60 dbar, flags 1, 2 and 4, some values missing; and a few
    rows outside the grid's month and box."""
    from tests.pointstore.conftest import build, make_columns

    rng = np.random.default_rng(11)
    n = 900
    cols = make_columns(n, 4)
    cols["platform"][:] = rng.integers(0, 5, n)
    cols["cycle"][:] = rng.integers(1, 6, n)
    cols["longitude"][:] = rng.uniform(-12, 2, n)
    cols["latitude"][:] = rng.uniform(42, 53, n)
    cols["time"][:] = T_AUG + rng.integers(0, 27 * 86400, n)
    cols["time"][:30] -= 200 * 86400  # months before the grid
    cols["longitude"][30:60] = rng.uniform(20, 30, 30)  # east of it
    cols["z"][:] = rng.uniform(0, 60, n)
    cols["TEMP"][:] = 20 - cols["z"] / 10 + rng.normal(0, 0.5, n)
    cols["TEMP"][rng.random(n) < 0.05] = np.nan
    cols["TEMP_qc"][:] = rng.choice([1, 1, 1, 2, 4], n)
    path = build(tmp_path_factory.mktemp("coloc_store") / "store", [cols], row_group_size=128)
    entry = DatasetEntry.from_metadata("biscay_points", "pointstore", {"store": path},
                                       {"featureType": "point", "title": "Biscay points"})
    return entry, cols


def _reference(cols, raw):
    """By hand from the columns: in the grid's box and ±12 h of its days, 0–20 dbar, flag 1
    or 2, a value; the shallowest row per (platform, cycle); the grid's nearest value."""
    lat0, lat1 = float(raw.lat.min()) - 0.05, float(raw.lat.max()) + 0.05
    lon0, lon1 = float(raw.lon.min()) - 0.05, float(raw.lon.max()) + 0.05
    t = cols["time"].astype("datetime64[s]")
    ok = ((cols["latitude"] >= lat0) & (cols["latitude"] <= lat1) & (cols["longitude"] >= lon0)
          & (cols["longitude"] <= lon1) & (t >= np.datetime64("2023-08-01T00:00"))
          & (t <= np.datetime64("2023-08-31T00:00")) & (cols["z"] >= 0) & (cols["z"] <= 20)
          & np.isin(cols["TEMP_qc"], [1, 2]) & np.isfinite(cols["TEMP"]))
    frame = pd.DataFrame({k: cols[k][ok] for k in ("platform", "cycle", "longitude",
                                                   "latitude", "z", "TEMP")})
    frame["time"] = t[ok].astype("datetime64[ns]")
    first = frame.sort_values("z").groupby(["platform", "cycle"]).head(1)
    first = first.sort_values(["time"]).reset_index(drop=True)
    points = {"time": xr.DataArray(first.time.to_numpy(), dims="obs"),
              "lat": xr.DataArray(first.latitude.to_numpy(), dims="obs"),
              "lon": xr.DataArray(first.longitude.to_numpy(), dims="obs")}
    first["gridded"] = raw.sel(points, method="nearest").values
    return first


def test_point_store_as_obs_equals_xarray_on_the_file(demo, biscay_store):
    from portal.colocation import colocate_entries

    catalog, folder = demo
    entry, cols = biscay_store
    raw = xr.open_dataset(folder / SST)["sst"]
    result = colocate_entries(catalog["demo_sst_biscay"], entry, var_obs="TEMP")
    got = result.table.sort_values("time").reset_index(drop=True)
    expected = _reference(cols, raw)
    assert len(got) == len(expected) >= 15
    np.testing.assert_allclose(got.observed, expected.TEMP, rtol=1e-6)
    np.testing.assert_allclose(got.depth, expected.z, rtol=1e-6)
    np.testing.assert_allclose(got.latitude, expected.latitude, rtol=1e-6)
    assert (abs(got.time - expected.time) < pd.Timedelta("1s")).all()
    np.testing.assert_allclose(got.gridded, expected.gridded, rtol=1e-9, equal_nan=True)
    assert np.isfinite(got.gridded).sum() >= 10 and any("shallowest" in r for r in result.rules)


def test_demo_point_store_misses_the_grid_404_naming_both(demo):
    from portal.colocation import colocate_entries
    from portal.errors import NoDataInSelection

    catalog, _ = demo  # the demo store holds nothing near the surface in Biscay, Aug 2023
    with pytest.raises(NoDataInSelection, match="demo_coriolis_points.*demo_sst_biscay"):
        colocate_entries(catalog["demo_sst_biscay"], catalog["demo_coriolis_points"])


def test_store_over_the_row_limit_is_refused_from_its_plan(demo, biscay_store, monkeypatch):
    """The plan's estimate is over the cap: 413 naming both, no batch read."""
    from portal import colocation
    from portal.errors import SelectionTooLarge
    from portal.pointstore.export import Export
    from portal.query import Query
    from portal.settings import Limits

    catalog, _ = demo
    monkeypatch.setattr(colocation, "limits", lambda: Limits(max_download_rows=5))
    monkeypatch.setattr(Export, "tables", lambda self: pytest.fail("rows read"))
    with pytest.raises(SelectionTooLarge, match="biscay_points holds about .*demo_sst_biscay"):
        colocation.colocate_entries(catalog["demo_sst_biscay"], biscay_store[0],
                                    Query(time=("2023-08-03", "2023-08-20")), var_obs="TEMP")


def test_file_obs_over_the_row_limit_is_refused_before_loading(demo, monkeypatch):
    """The mooring's rows are counted from coordinates and flags: 413 before load_view."""
    from portal import colocation, pipeline
    from portal.errors import SelectionTooLarge
    from portal.query import Query
    from portal.settings import Limits

    catalog, _ = demo
    monkeypatch.setattr(colocation, "limits", lambda: Limits(max_download_rows=2000))
    monkeypatch.setattr(pipeline, "load_view", lambda *a, **k: pytest.fail("values loaded"))
    with pytest.raises(SelectionTooLarge, match="demo_mooring_biscay holds 2,881 .*demo_sst"):
        colocation.colocate_entries(catalog["demo_sst_biscay"], catalog["demo_mooring_biscay"],
                                    Query(time=("2023-08-05T00:00", "2023-08-07T00:00")),
                                    method="linear")


def test_overlapping_grids_is_the_symmetric_list():
    from portal.colocation import overlapping_grids

    obs = _entry("float", "profile", (-8, 45, -6, 46), ("2023-01-01", "2024-12-31"))
    far = _entry("far_grid", "grid", (100, 0, 120, 10), ("2023-01-01", "2023-12-31"))
    old = _entry("old_grid", "grid", (-15, 40, 5, 55), ("2001-01-01", "2001-12-31"))
    assert [e.id for e in overlapping_grids(obs, [GRID, far, old, obs])] == ["grid"]
    assert overlapping_grids(GRID, [GRID]) == []  # a grid is not compared with grids
