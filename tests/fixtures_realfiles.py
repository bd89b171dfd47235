"""Minimal NetCDF files reproducing what real files do (issue 10), written at test time.

Each writer takes a folder and returns the path of one small file built with netCDF4;
every file carries one quirk seen in real data (a fill declared as ``FillValue``, a
glider ``segment_id``, a CF-1.8 ``node_count``, a single Argo profile, a time series of
profiles, an ``instrument`` dimension, epoch-zero times, one observation, a dimension
used twice, a text ``scale_factor``, zero records, a trajectory timed only at its fixes,
Argo positions flagged interpolated). The ``realfiles`` fixture of
``tests/conftest.py`` calls them by name.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

T0 = 20_000.0  # days since 1950-01-01: 2004-10-04


def _new(folder: Path, name: str, **globals_):
    import netCDF4

    path = folder / f"{name}.nc"
    ds = netCDF4.Dataset(path, "w", format="NETCDF3_CLASSIC")
    ds.setncatts({"Conventions": "CF-1.8", "title": name.replace("_", " "), **globals_})
    return path, ds


def _axis(ds, name: str, dim: str, values, **attrs):
    var = ds.createVariable(name, "f8", (dim,))
    var.setncatts(attrs)
    var[:] = values
    return var


def _time(ds, dim: str, values, name: str = "time"):
    return _axis(ds, name, dim, values, units="days since 1950-01-01", standard_name="time",
                 axis="T")


def grid_fillvalue_no_underscore(folder: Path) -> Path:
    """L3 grid whose fill is declared ``FillValue = -9999`` (no underscore)."""
    path, ds = _new(folder, "grid_fillvalue_no_underscore")
    ds.createDimension("time", 1)
    ds.createDimension("lat", 4)
    ds.createDimension("lon", 5)
    _time(ds, "time", [T0])
    _axis(ds, "lat", "lat", np.linspace(40, 43, 4), units="degrees_north", standard_name="latitude")
    _axis(ds, "lon", "lon", np.linspace(-10, -6, 5), units="degrees_east",
          standard_name="longitude")
    sst = ds.createVariable("sst", "f4", ("time", "lat", "lon"))
    sst.setncatts({"standard_name": "sea_surface_temperature", "units": "degree_C",
                   "FillValue": -9999.0})
    values = np.full((1, 4, 5), 15.0, dtype="f4")
    values[0, :2, :] = -9999.0
    sst[:] = values
    ds.close()
    return path


def timeseries_fills(folder: Path) -> Path:
    """Integer series with ``missing_value``, a float one with ``valid_range``, and a
    salinity with negative values (implausible for its standard name)."""
    path, ds = _new(folder, "timeseries_fills", featureType="timeSeries")
    ds.createDimension("time", 6)
    _time(ds, "time", T0 + np.arange(6) / 24)
    _axis(ds, "lat", "time", np.full(6, 45.0), units="degrees_north", standard_name="latitude")
    _axis(ds, "lon", "time", np.full(6, -5.0), units="degrees_east", standard_name="longitude")
    temp = ds.createVariable("TEMP", "i2", ("time",))
    temp.set_auto_maskandscale(False)
    temp.setncatts({"standard_name": "sea_water_temperature", "units": "degree_C",
                    "FillValue": np.int16(-32767)})
    temp[:] = np.array([12, 13, -32767, 14, 15, 16], dtype="i2")
    psal = ds.createVariable("PSAL", "f4", ("time",))
    psal.setncatts({"standard_name": "sea_water_practical_salinity", "units": "1",
                    "valid_range": np.array([-50.0, 50.0], dtype="f4")})
    psal[:] = np.array([-3.0, 35.0, 99.0, 35.1, 35.2, 35.3], dtype="f4")
    ds.close()
    return path


def glider_segment_id(folder: Path) -> Path:
    """Glider trajectory whose first variables are a constant ``segment_id`` and a
    ``profile_index``; the measurement is ``temperature``."""
    path, ds = _new(folder, "glider_segment_id", featureType="trajectory")
    ds.createDimension("time", 8)
    for name in ("segment_id", "profile_index"):
        var = ds.createVariable(name, "i4", ("time",))
        var.long_name = name.replace("_", " ")
        var[:] = np.ones(8, dtype="i4")
    _time(ds, "time", T0 + np.arange(8) / 48)
    _axis(ds, "lat", "time", 40 + np.arange(8) * 0.01, units="degrees_north",
          standard_name="latitude")
    _axis(ds, "lon", "time", -70 + np.arange(8) * 0.01, units="degrees_east",
          standard_name="longitude")
    _axis(ds, "depth", "time", np.tile([5.0, 50.0], 4), units="m", standard_name="depth",
          positive="down")
    _axis(ds, "temperature", "time", np.linspace(10, 14, 8), units="Celsius",
          standard_name="sea_water_temperature")
    ds.close()
    return path


def geometry_node_count(folder: Path) -> Path:
    """CF-1.8 point geometry: ``node_count`` sorts before the measured variable."""
    path, ds = _new(folder, "geometry_node_count", featureType="timeSeries")
    ds.createDimension("instance", 2)
    ds.createDimension("node", 2)
    ds.createDimension("time", 4)
    nc = ds.createVariable("node_count", "i4", ("instance",))
    nc.long_name = "count of coordinates in each instance geometry"
    nc[:] = [1, 1]
    geom = ds.createVariable("geometry_container", "i4", ())
    geom.setncatts({"geometry_type": "point", "node_count": "node_count",
                    "node_coordinates": "x y"})
    _axis(ds, "x", "node", [-5.0, -4.0], units="degrees_east", standard_name="longitude")
    _axis(ds, "y", "node", [45.0, 46.0], units="degrees_north", standard_name="latitude")
    _time(ds, "time", T0 + np.arange(4))
    sl = ds.createVariable("sea_level", "f4", ("instance", "time"))
    sl.setncatts({"standard_name": "sea_surface_height", "units": "m", "geometry":
                  "geometry_container"})
    sl[:] = np.arange(8, dtype="f4").reshape(2, 4) / 10
    ds.close()
    return path


def argo_single_profile(folder: Path) -> Path:
    """One Argo-like profile (one position, one instant): its best view is a profile."""
    path, ds = _new(folder, "R6900000_001", featureType="profile")
    ds.createDimension("N_PROF", 1)
    ds.createDimension("N_LEVELS", 5)
    _time(ds, "N_PROF", [T0], name="JULD")
    _axis(ds, "LATITUDE", "N_PROF", [10.0], units="degree_north", standard_name="latitude")
    _axis(ds, "LONGITUDE", "N_PROF", [-30.0], units="degree_east", standard_name="longitude")
    pres = ds.createVariable("PRES", "f4", ("N_PROF", "N_LEVELS"))
    pres.setncatts({"standard_name": "sea_water_pressure", "units": "decibar", "axis": "Z"})
    pres[:] = [[5, 50, 100, 500, 1000]]
    temp = ds.createVariable("TEMP", "f4", ("N_PROF", "N_LEVELS"))
    temp.setncatts({"standard_name": "sea_water_temperature", "units": "degree_Celsius"})
    temp[:] = [[25, 20, 15, 8, 4]]
    ds.close()
    return path


def timeseries_profile(folder: Path) -> Path:
    """Mooring with 3 depth levels sampled hourly (CF timeSeriesProfile, orthogonal)."""
    path, ds = _new(folder, "timeseries_profile", featureType="timeSeriesProfile")
    ds.createDimension("time", 24)
    ds.createDimension("depth", 3)
    _time(ds, "time", T0 + np.arange(24) / 24)
    _axis(ds, "depth", "depth", [10.0, 50.0, 100.0], units="m", standard_name="depth",
          positive="down", axis="Z")
    ds.createVariable("lat", "f8", ()).setncatts({"units": "degrees_north",
                                                 "standard_name": "latitude"})
    ds["lat"].assignValue(45.0)
    ds.createVariable("lon", "f8", ()).setncatts({"units": "degrees_east",
                                                 "standard_name": "longitude"})
    ds["lon"].assignValue(-5.0)
    temp = ds.createVariable("TEMP", "f4", ("time", "depth"))
    temp.setncatts({"standard_name": "sea_water_temperature", "units": "degree_C"})
    temp[:] = np.array([20.0, 15.0, 10.0], dtype="f4") + np.sin(np.arange(24) / 4)[:, None]
    ds.close()
    return path


def instrument_mooring(folder: Path) -> Path:
    """IMOS-like mooring: TEMP(instrument, time), one nominal depth per instrument."""
    path, ds = _new(folder, "instrument_mooring")
    ds.createDimension("instrument", 3)
    ds.createDimension("time", 12)
    _time(ds, "time", T0 + np.arange(12) / 24)
    ds.createVariable("LATITUDE", "f8", ()).setncatts({"units": "degrees_north",
                                                      "standard_name": "latitude"})
    ds["LATITUDE"].assignValue(-30.0)
    ds.createVariable("LONGITUDE", "f8", ()).setncatts({"units": "degrees_east",
                                                       "standard_name": "longitude"})
    ds["LONGITUDE"].assignValue(153.0)
    _axis(ds, "NOMINAL_DEPTH", "instrument", [20.0, 60.0, 100.0], units="m",
          standard_name="depth", positive="down", axis="Z")
    temp = ds.createVariable("TEMP", "f4", ("instrument", "time"))
    temp.setncatts({"standard_name": "sea_water_temperature", "units": "degree_C"})
    temp[:] = np.array([22.0, 18.0, 14.0], dtype="f4")[:, None] + np.zeros(12, dtype="f4")
    ds.close()
    return path


def epoch_zero_times(folder: Path) -> Path:
    """A series whose missing times are stored as 0 (1970-01-01) without a fill value."""
    path, ds = _new(folder, "epoch_zero_times", featureType="timeSeries")
    ds.createDimension("time", 10)
    t = _axis(ds, "time", "time", np.r_[np.zeros(5), 1.1e9 + np.arange(5) * 600],
              units="seconds since 1970-01-01", standard_name="time")
    del t
    ds.createVariable("lat", "f8", ()).setncatts({"units": "degrees_north"})
    ds["lat"].assignValue(45.0)
    ds.createVariable("lon", "f8", ()).setncatts({"units": "degrees_east"})
    ds["lon"].assignValue(-5.0)
    _axis(ds, "TEMP", "time", np.linspace(10, 11, 10), units="degree_C",
          standard_name="sea_water_temperature")
    ds.close()
    return path


def one_observation(folder: Path) -> Path:
    """A point file holding a single valid observation."""
    path, ds = _new(folder, "one_observation", featureType="point")
    ds.createDimension("obs", 1)
    _time(ds, "obs", [T0])
    _axis(ds, "lat", "obs", [44.0], units="degrees_north", standard_name="latitude")
    _axis(ds, "lon", "obs", [-4.0], units="degrees_east", standard_name="longitude")
    _axis(ds, "TEMP", "obs", [13.5], units="degree_C", standard_name="sea_water_temperature")
    ds.close()
    return path


def duplicate_dimension(folder: Path) -> Path:
    """``temp(time, time)``: a variable declared with the same dimension twice."""
    path, ds = _new(folder, "duplicate_dimension", featureType="timeSeries")
    ds.createDimension("time", 3)
    _time(ds, "time", T0 + np.arange(3))
    temp = ds.createVariable("temp", "f4", ("time", "time"))
    temp.units = "degree_C"
    temp[:] = np.ones((3, 3), dtype="f4")
    ds.close()
    return path


def text_scale_factor(folder: Path) -> Path:
    """A packed variable whose ``scale_factor`` is the text '0.01'."""
    path, ds = _new(folder, "text_scale_factor", featureType="timeSeries")
    ds.createDimension("time", 3)
    _time(ds, "time", T0 + np.arange(3))
    temp = ds.createVariable("temp", "i2", ("time",))
    temp.set_auto_maskandscale(False)
    temp.setncatts({"units": "degree_C", "scale_factor": "0.01"})
    temp[:] = np.array([1200, 1300, 1400], dtype="i2")
    ds.close()
    return path


def zero_records(folder: Path) -> Path:
    """An UNLIMITED time dimension of length 0: the file holds no records."""
    path, ds = _new(folder, "zero_records", featureType="timeSeries")
    ds.createDimension("time", None)
    _time(ds, "time", [])
    _axis(ds, "lat", "time", [], units="degrees_north", standard_name="latitude")
    _axis(ds, "lon", "time", [], units="degrees_east", standard_name="longitude")
    _axis(ds, "TEMP", "time", [], units="degree_C", standard_name="sea_water_temperature")
    ds.close()
    return path


def trajectory_times_at_fixes(folder: Path) -> Path:
    """A drifter whose samples between fixes carry neither time nor position (fills), as in
    Argo ``_Rtraj`` files: times and positions are known only at the fixes (0, 3, 6)."""
    path, ds = _new(folder, "trajectory_times_at_fixes", featureType="trajectory")
    ds.createDimension("obs", 8)
    fixes = np.array([0, 3, 6])

    def sparse(values, fill=-999.0):
        out = np.full(8, fill)
        out[fixes] = values
        return out

    for name, values, attrs in (
            ("time", sparse(T0 + np.array([0.0, 3.0, 6.0])),
             {"units": "days since 1950-01-01", "standard_name": "time", "axis": "T"}),
            ("lat", sparse([40.0, 43.0, 46.0]), {"units": "degrees_north",
                                                  "standard_name": "latitude"}),
            ("lon", sparse([-10.0, -7.0, -4.0]), {"units": "degrees_east",
                                                   "standard_name": "longitude"})):
        var = ds.createVariable(name, "f8", ("obs",), fill_value=-999.0)
        var.setncatts(attrs)
        var[:] = np.ma.masked_equal(values, -999.0)
    temp = ds.createVariable("TEMP", "f4", ("obs",))
    temp.setncatts({"standard_name": "sea_water_temperature", "units": "degree_C"})
    temp[:] = np.arange(8, dtype="f4") + 10.0
    ds.close()
    return path


def argo_traj_position_qc8(folder: Path) -> Path:
    """An Argo trajectory whose file flags two positions as interpolated
    (``POSITION_QC = '8'``) and one time (``JULD_QC = '8'``)."""
    path, ds = _new(folder, "argo_traj_position_qc8", featureType="trajectory",
                    Conventions="Argo-3.1 CF-1.6",
                    data_type="Argo trajectory", format_version="3.1")
    ds.createDimension("N_MEASUREMENT", 5)
    ds.createDimension("N_CYCLE", 2)
    _axis(ds, "JULD", "N_MEASUREMENT", 20_000.0 + np.arange(5) * 2.0,
          units="days since 1950-01-01 00:00:00 UTC", standard_name="time", axis="T")
    _axis(ds, "LATITUDE", "N_MEASUREMENT", np.linspace(-20, -18, 5), units="degree_north",
          standard_name="latitude", axis="Y")
    _axis(ds, "LONGITUDE", "N_MEASUREMENT", np.linspace(60, 62, 5), units="degree_east",
          standard_name="longitude", axis="X")
    for name, flags in (("POSITION_QC", "11881"), ("JULD_QC", "11181")):
        var = ds.createVariable(name, "S1", ("N_MEASUREMENT",))
        var.setncatts({"long_name": "Quality on position" if name[0] == "P" else
                       "Quality on date and time", "conventions": "Argo reference table 2"})
        var[:] = np.array(list(flags), dtype="S1")
    cycle = ds.createVariable("CYCLE_NUMBER", "i4", ("N_MEASUREMENT",))
    cycle[:] = np.array([1, 1, 1, 2, 2], dtype="i4")
    _axis(ds, "PRES", "N_MEASUREMENT", [0.0, 1000.0, 1000.0, 0.0, 1000.0],
          units="decibar", standard_name="sea_water_pressure", axis="Z", positive="down")
    _axis(ds, "TEMP", "N_MEASUREMENT", [20.0, 5.0, 5.1, 20.5, 5.2], units="degree_Celsius",
          standard_name="sea_water_temperature")
    ds.close()
    return path


WRITERS = {f.__name__: f for f in (
    trajectory_times_at_fixes, argo_traj_position_qc8,
    grid_fillvalue_no_underscore, timeseries_fills, glider_segment_id, geometry_node_count,
    argo_single_profile, timeseries_profile, instrument_mooring, epoch_zero_times,
    one_observation, duplicate_dimension, text_scale_factor, zero_records,
)}


def scanned_catalog(tmp_path, *paths):
    """(catalog path, loaded catalog) of a folder holding copies of ``paths``, as scanned."""
    from portal.catalog.loader import load_catalog, write_catalog
    from portal.cataloging.scan import scan_folder

    folder = tmp_path / "data"
    folder.mkdir()
    for path in paths:
        (folder / path.name).write_bytes(path.read_bytes())
    out = tmp_path / "cat.yaml"
    write_catalog(scan_folder(str(folder)).entries, str(out))
    return out, load_catalog(str(out))
