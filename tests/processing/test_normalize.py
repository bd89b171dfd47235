"""Canonical observations and grids equal what netCDF4 reads from the real files."""

from __future__ import annotations

import netCDF4
import numpy as np
import pytest

from portal.errors import UnsupportedQuicklook
from portal.formats.netcdf import open_netcdf_file
from portal.processing import cf
from portal.processing.normalize import to_grid, to_observations
from tests.conftest import needs_shared

pytestmark = needs_shared


def _nc(path, name):
    return np.ma.filled(netCDF4.Dataset(path).variables[name][:].astype("float64"), np.nan)


def test_argo_multiprofile_uses_adjusted_values_in_delayed_mode(shared):
    path = shared / "argo/multiprofile/6901744_prof.nc"
    obs = to_observations(open_netcdf_file(str(path)), "PSAL").compute()
    adjusted = _nc(path, "PSAL_ADJUSTED").ravel()  # all profiles are in D mode
    np.testing.assert_allclose(obs["PSAL"].values, adjusted, equal_nan=True)
    np.testing.assert_allclose(obs["z"].values, _nc(path, "PRES_ADJUSTED").ravel(), equal_nan=True)
    cycles = netCDF4.Dataset(path).variables["CYCLE_NUMBER"][:]
    assert set(np.unique(obs.feature.values)) == {int(c) for c in cycles}
    assert obs["PSAL_qc"].attrs["qc_scheme"] == "argo"
    assert set(np.unique(obs["PSAL_qc"].values)) <= {-1, 0, 1, 2, 3, 4, 5, 8, 9}


def test_argo_realtime_profile_keeps_raw_values(shared):
    path = shared / "argo/profiles/R13857_001.nc"
    obs = to_observations(open_netcdf_file(str(path))).compute()
    np.testing.assert_allclose(obs["TEMP"].values, _nc(path, "TEMP").ravel(), equal_nan=True)


def test_orthogonal_multidimensional_ctd_profiles(shared):
    path = shared / "dsg/profile/netCDF_vertical_profiles_ctd.nc"
    ds = open_netcdf_file(str(path))
    assert cf.classify(ds) == "profile"
    obs = to_observations(ds, "TEMPPR01").compute()
    np.testing.assert_allclose(obs["TEMPPR01"].values, _nc(path, "TEMPPR01").ravel(),
                               equal_nan=True)
    lat = _nc(path, "LATITUDE")
    assert obs.sizes["obs"] == lat.size * netCDF4.Dataset(path).dimensions["MAXZ"].size
    np.testing.assert_allclose(np.unique(obs.latitude.values), np.unique(lat))
    assert obs["TEMPPR01_qc"].attrs["qc_scheme"] == "seadatanet"


def test_contiguous_ragged_profiles_expand_instance_variables(shared):
    path = shared / "edge_cases/wod2005_Profile_nan_only_vars.nc"
    obs = to_observations(open_netcdf_file(str(path)), "temperature").compute()
    rows = netCDF4.Dataset(path).variables["rowSize"][:]
    lat = _nc(path, "latitude")
    np.testing.assert_allclose(obs.latitude.values, np.repeat(lat, rows))
    np.testing.assert_allclose(obs["temperature"].values, _nc(path, "temperature"), equal_nan=True)
    # altitude is positive up: z is depth, positive down
    np.testing.assert_allclose(obs.z.values, -_nc(path, "altitude"))


def test_mooring_time_series_follows_its_own_time_axis(shared):
    path = shared / "dsg/timeseries/DisDel_PAPA_2012PA006_D_DEEP-SEACAT-all.nc"
    ds = open_netcdf_file(str(path))
    ten_min = to_observations(ds, "TEMP")
    hourly = to_observations(ds, "TEMP_HR")
    assert ten_min.sizes["obs"] == 48180 and hourly.sizes["obs"] == 8030
    np.testing.assert_allclose(hourly["TEMP_HR"].values, _nc(path, "TEMP_HR").ravel(),
                               equal_nan=True)
    assert float(hourly.latitude[0]) == pytest.approx(float(_nc(path, "LATITUDE")[0]))


def test_glider_trajectory_without_feature_type(shared):
    path = shared / "dsg/trajectory/ru29-20140101T0942_glider.nc"
    ds = open_netcdf_file(str(path))
    assert cf.classify(ds) == "trajectory"
    obs = to_observations(ds, "temperature").compute()
    np.testing.assert_allclose(obs["temperature"].values, _nc(path, "temperature"),
                               equal_nan=True)
    np.testing.assert_allclose(obs.longitude.values, _nc(path, "lon"), equal_nan=True)


def test_drifting_time_series_is_a_trajectory(shared):
    ds = open_netcdf_file(str(shared / "dsg/trajectory/GL_201207_TS_DB_44761.nc"))
    assert cf.classify(ds) == "trajectory"
    obs = to_observations(ds)
    assert obs.sizes["obs"] == 491 and "longitude" in obs.coords


def test_grid_values_and_axes(shared):
    path = shared / "gridded/MWsstd1day_modis_sst_westus.nc"
    grid = to_grid(open_netcdf_file(str(path)), "sst")
    assert set(grid.dims) == {"time", "z", "latitude", "longitude"} - {"z"} | set(grid.dims)
    np.testing.assert_allclose(grid.isel(time=0).squeeze().values,
                               _nc(path, "sst")[0].squeeze(), equal_nan=True)


def test_argo_metadata_file_is_not_drawable(shared):
    ds = open_netcdf_file(str(shared / "argo/meta/13857_meta.nc"))
    with pytest.raises(UnsupportedQuicklook, match="metadata"):
        to_observations(ds)
