"""Colocation: the grid's values at the observations equal an independent xarray
``interp`` / ``sel(method="nearest")`` on the same files, and hand-computed values.

Files: the demo catalog's SST grid (30 daily 0.1° fields, Aug 2023) against the demo Argo
float and the demo mooring; the real MODIS SST grid of ``../shared/data`` (longitudes
0..360) against a track of observations given in −180..180. No real in-situ file of
``../shared/data`` overlaps a real grid there in time and area (PROVENANCE.md: the grids
are off California and the central North Pacific in 2005 and 2016, the floats and series
elsewhere), hence the generated track.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from portal.errors import BadParameter
from portal.processing.colocate import colocate

SST = "sst_biscay_daily_0.1deg.nc"
MODIS = "gridded/MWsstd1day_modis_sst_westus.nc"


@pytest.fixture(scope="module")
def demo():
    """(catalog, data folder) of the demo: full-size files, generated once if absent."""
    from portal.catalog.loader import load_catalog
    from portal.demo import ensure_demo_catalog

    path = ensure_demo_catalog()
    return load_catalog(path), Path(path).parent.parent / "data" / "demo"


def _colocated(demo, obs_id: str, method: str):
    from portal.colocation import colocate_entries

    catalog, _ = demo
    return colocate_entries(catalog["demo_sst_biscay"], catalog[obs_id], method=method)


def _independent(raw: xr.Dataset, table: pd.DataFrame, method: str, lon_shift=0.0):
    points = {"time": xr.DataArray(table.time.to_numpy(), dims="obs"),
              "lat": xr.DataArray(table.latitude.to_numpy(), dims="obs"),
              "lon": xr.DataArray(table.longitude.to_numpy() + lon_shift, dims="obs")}
    if method == "linear":
        return raw.interp(points, method="linear").values
    return raw.sel(points, method="nearest").values


@pytest.mark.parametrize("obs_id", ["demo_argo_biscay", "demo_mooring_biscay"])
@pytest.mark.parametrize("method", ["nearest", "linear"])
def test_demo_values_equal_xarray_on_the_file(demo, obs_id, method):
    result = _colocated(demo, obs_id, method)
    raw = xr.open_dataset(demo[1] / SST)["sst"]
    expected = _independent(raw, result.table, method)
    assert len(result.table) >= 3 and np.isfinite(expected).sum() >= 3
    np.testing.assert_allclose(result.table.gridded.to_numpy(), expected, rtol=1e-9,
                               equal_nan=True)
    stats = result.stats()
    diff = result.paired.observed - result.paired.gridded
    assert stats["n"] == diff.size and stats["bias"] == pytest.approx(diff.mean())
    assert stats["rmse"] == pytest.approx(np.sqrt((diff**2).mean()))
    assert method in result.summary() and "°C" in result.summary()


def test_argo_surface_rule_hand_checked(demo):
    """The float's three August profiles, each by its shallowest valid value (cycles 22–24),
    against the grid by hand: nearest cell and day, and bilinear-in-space × linear-in-time."""
    raw = xr.open_dataset(demo[1] / SST)
    argo = xr.open_dataset(demo[1] / "9900001_prof.nc")
    near, lin = (_colocated(demo, "demo_argo_biscay", m).table for m in ("nearest", "linear"))
    assert list(near.feature) == [22, 23, 24]
    for row, prof in zip(range(3), (21, 22, 23), strict=True):
        assert near.latitude[row] == pytest.approx(float(argo.LATITUDE[prof]))
        assert near.longitude[row] == pytest.approx(float(argo.LONGITUDE[prof]))
        assert abs(near.time[row] - pd.Timestamp(argo.JULD.values[prof])) < pd.Timedelta("1ms")
        assert near.depth[row] == pytest.approx(float(argo.PRES_ADJUSTED[prof, 0]))  # D mode
        assert near.observed[row] == pytest.approx(float(argo.TEMP_ADJUSTED[prof, 0]))
        assert argo.DATA_MODE.values[prof] == b"D"
    # by hand, profile 22 (row 0): 45.7541N 7.0378W, 2023-08-02T02:53
    lat, lon, when = 45.7541, -7.0378, near.time[0]
    j, i = round((lat - 40.05) / 0.1), round((lon + 14.95) / 0.1)
    day = (when - pd.Timestamp("2023-08-01T12:00")) / pd.Timedelta("1D")
    sst = raw.sst.values
    assert near.gridded[0] == pytest.approx(float(sst[round(day), j, i]))
    j0, i0 = int((lat - 40.05) // 0.1), int((lon + 14.95) // 0.1)
    fy, fx = (lat - raw.lat.values[j0]) / 0.1, (lon - raw.lon.values[i0]) / 0.1
    t0, ft = int(day // 1), day % 1

    def bilinear(t):
        f = sst[t, j0:j0 + 2, i0:i0 + 2].astype("float64")
        return (f[0, 0] * (1 - fy) * (1 - fx) + f[0, 1] * (1 - fy) * fx
                + f[1, 0] * fy * (1 - fx) + f[1, 1] * fy * fx)

    by_hand = bilinear(t0) * (1 - ft) + bilinear(t0 + 1) * ft
    assert lin.gridded[0] == pytest.approx(by_hand, abs=1e-6)


def test_linear_drops_observations_before_the_first_step(demo):
    """Mooring minutes in the half day before the first field (2023-08-01T12:00) and after
    the last are out of the grid for linear (dropped, counted), inside it for nearest."""
    near, lin = (_colocated(demo, "demo_mooring_biscay", m) for m in ("nearest", "linear"))
    first = pd.Timestamp("2023-08-01T12:00")
    assert lin.table.time.min() >= first and lin.dropped == 2 * 720
    assert near.table.time.min() < first and near.dropped == 0
    assert any("dropped" in rule for rule in lin.rules)


def _grid(lon: np.ndarray) -> xr.DataArray:
    lat = np.array([0.0, 1.0, 2.0])
    values = np.add.outer(lat * 10, lon).astype("float64")
    return xr.DataArray(values, dims=("latitude", "longitude"), name="sst",
                        coords={"latitude": lat, "longitude": lon}, attrs={"units": "degC"})


def _obs(lon, lat, z=None, feature=None, ftype="point") -> xr.Dataset:
    coords = {"longitude": ("obs", np.asarray(lon, float)), "latitude": ("obs", np.asarray(lat, float))}
    if z is not None:
        coords["z"] = ("obs", np.asarray(z, float))
        coords["feature"] = ("obs", np.asarray(feature))
    values = np.arange(len(lon), dtype=float)
    return xr.Dataset({"TEMP": ("obs", values, {"units": "degC"})}, coords=coords,
                      attrs={"featureType": ftype})


def test_longitudes_taken_in_the_grid_convention_and_out_of_grid_dropped():
    grid = _grid(np.array([350.0, 355.0, 360.0, 365.0]))  # 0..360 grid across Greenwich
    result = colocate(grid, _obs([-7.5, 2.0, 40.0], [1.0, 1.5, 1.0]), "TEMP", "linear")
    assert result.dropped == 1  # 40E is off the grid
    assert list(result.table.gridded) == pytest.approx([10 + 352.5, 15 + 362.0])
    assert any("0..360" in rule for rule in result.rules)
    near = colocate(grid, _obs([-11.0, 2.0], [0.4, 2.4]), "TEMP", "nearest")
    assert list(near.table.gridded) == [0 + 350.0, 20 + 360.0]  # half a cell beyond: kept


def test_surface_grid_uses_the_shallowest_value_per_profile():
    grid = _grid(np.array([0.0, 1.0, 2.0]))
    obs = _obs([0, 0, 0, 1, 1], [0, 0, 0, 1, 1], z=[30.0, 4.0, 9.0, 25.0, 50.0],
               feature=[1, 1, 1, 2, 2], ftype="profile")
    result = colocate(grid, obs, "TEMP", "nearest")
    assert list(result.table.depth) == [4.0] and list(result.table.observed) == [1.0]
    deeper = colocate(grid, obs, "TEMP", "nearest", surface_window=(0.0, 40.0))
    assert list(deeper.table.depth) == [4.0, 25.0]
    assert any("shallowest" in rule for rule in result.rules)


def test_method_is_checked():
    with pytest.raises(BadParameter, match="method"):
        colocate(_grid(np.array([0.0, 1.0])), _obs([0.5], [0.5]), "TEMP", "cubic")


def test_chunked_reading_gives_the_same_values():
    """A tiny window budget forces one observation per read: values do not change."""
    rng = np.random.default_rng(3)
    grid = _grid(np.linspace(0, 9, 10))
    obs = _obs(rng.uniform(0, 9, 50), rng.uniform(0, 2, 50))
    whole = colocate(grid, obs, "TEMP", "linear").table.gridded
    small = colocate(grid, obs, "TEMP", "linear", window_bytes=8).table.gridded
    np.testing.assert_array_equal(whole, small)


def test_real_modis_grid_in_0_360_against_a_track_in_180(shared, tmp_path):
    """The MODIS SST file (longitudes 210–211°E, 60 days) through the pipeline, against a
    generated trajectory given at −150..−149°: equal to xarray on the file at lon + 360."""
    from portal.cataloging.scan import describe_file
    from portal.colocation import colocate_entries

    rng = np.random.default_rng(8)
    n = 300
    times = pd.date_range("2016-10-20", periods=n, freq="3h").to_numpy()
    track = xr.Dataset(
        {"TEMP": ("obs", rng.normal(20, 1, n), {"units": "degree_Celsius",
                                                "standard_name": "sea_water_temperature"})},
        coords={"time": ("obs", times), "lat": ("obs", rng.uniform(30.05, 30.95, n),
                                                {"standard_name": "latitude", "units": "degrees_north"}),
                "lon": ("obs", rng.uniform(-149.95, -149.05, n),
                        {"standard_name": "longitude", "units": "degrees_east"})},
        attrs={"featureType": "trajectory", "title": "track"})
    track.to_netcdf(tmp_path / "track.nc")
    grid = describe_file(str(shared / MODIS), "modis")
    obs = describe_file(str(tmp_path / "track.nc"), "track")
    raw = xr.open_dataset(shared / MODIS)["sst"].isel(altitude=0)
    for method in ("nearest", "linear"):
        result = colocate_entries(grid, obs, method=method)
        points = {"time": xr.DataArray(result.table.time.to_numpy(), dims="obs"),
                  "latitude": xr.DataArray(result.table.latitude.to_numpy(), dims="obs"),
                  "longitude": xr.DataArray(result.table.longitude.to_numpy() + 360, dims="obs")}
        expected = (raw.interp(points) if method == "linear"
                    else raw.sel(points, method="nearest")).values
        assert len(result.table) == n and np.isfinite(expected).sum() >= 3  # clouds: NaN
        np.testing.assert_allclose(result.table.gridded, expected, rtol=1e-9, equal_nan=True)


def test_grid_with_depth_is_sampled_at_the_observation_depth():
    rng = np.random.default_rng(4)
    grid = xr.DataArray(rng.normal(10, 2, (4, 3, 5)), dims=("z", "latitude", "longitude"),
                        name="temp", coords={"z": [0.0, 10.0, 50.0, 200.0],
                                             "latitude": [0.0, 1.0, 2.0],
                                             "longitude": np.arange(5.0)})
    obs = _obs([1.2, 3.7, 2.5, 2.5], [0.3, 1.9, 1.0, 1.0], z=[5.0, 120.0, 10.0, 400.0],
               feature=[1, 1, 2, 2], ftype="profile")
    result = colocate(grid, obs, "TEMP", "linear")
    assert result.dropped == 1  # 400 m: below the deepest level
    pts = {k: xr.DataArray(v, dims="obs") for k, v in
           {"z": [5.0, 120.0, 10.0], "latitude": [0.3, 1.9, 1.0],
            "longitude": [1.2, 3.7, 2.5]}.items()}
    np.testing.assert_allclose(result.table.gridded, grid.interp(pts).values, rtol=1e-12)
    assert result.table.gridded[2] == pytest.approx(float(grid[1, 1].values[2] * 0.5
                                                          + grid[1, 1].values[3] * 0.5))


def test_kelvin_grid_against_celsius_observations_is_converted():
    grid = _grid(np.array([0.0, 1.0, 2.0])) + 273.15
    grid.attrs["units"] = "K"
    obs = _obs([1.0], [1.0])
    obs["TEMP"].attrs["units"] = "degree_Celsius"
    result = colocate(grid.rename("sst"), obs, "TEMP", "nearest")
    assert result.table.gridded[0] == pytest.approx(11.0)
    assert any("kelvin" in r.lower() or "from K" in r for r in result.rules)


def test_a_huge_lazy_grid_is_read_window_by_window():
    """A 19 GB dask grid: only the cells around each chunk's points are computed."""
    import dask.array as da

    shape = (365, 1800, 3600)
    t, y, x = (da.arange(n, chunks=c, dtype="float64") for n, c in zip(shape, (1, 600, 600),
                                                                       strict=True))
    cube = t[:, None, None] * 1e7 + y[None, :, None] * 1e4 + x[None, None, :]  # 19 GB, lazy
    grid = xr.DataArray(cube, dims=("time", "latitude", "longitude"), name="f", coords={
        "time": pd.date_range("2020-01-01", periods=365, freq="D").to_numpy(),
        "latitude": np.linspace(-89.95, 89.95, 1800), "longitude": np.linspace(0.05, 359.95, 3600)})
    rng = np.random.default_rng(1)
    n = 400  # a float's year: drifting over 10°, a profile every ~day
    obs = _obs(-30 + np.cumsum(rng.normal(0, 0.05, n)), 40 + np.cumsum(rng.normal(0, 0.05, n)))
    obs = obs.assign_coords(time=("obs", pd.Timestamp("2020-01-01").to_datetime64()
                                  + np.sort(rng.integers(0, 360 * 86400, n)).astype("timedelta64[s]")))
    result = colocate(grid, obs, "TEMP", "nearest", window_bytes=8 << 20)
    assert len(result.table) == n and result.dropped == 0
    pts = {"time": xr.DataArray(result.table.time.to_numpy(), dims="obs"),
           "latitude": xr.DataArray(result.table.latitude.to_numpy(), dims="obs"),
           "longitude": xr.DataArray(np.mod(result.table.longitude.to_numpy(), 360), dims="obs")}
    expected = grid.sel(pts, method="nearest").values  # dask vindex: the same cells
    np.testing.assert_array_equal(result.table.gridded, expected)
