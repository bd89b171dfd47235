"""Time decoding and fill masking on the files that break xarray's defaults."""

from __future__ import annotations

import cftime
import netCDF4
import numpy as np
import pytest
import xarray as xr

from portal.processing.decode import _to_datetime64, decode_times, mask_fill, masked_values
from tests.conftest import needs_shared


def test_standard_calendar_matches_cftime():
    values = np.array([0.0, 1.5, 365.25, np.nan])
    out = _to_datetime64(values, "days since 1950-01-01 00:00:00", "standard")
    assert out[0] == np.datetime64("1950-01-01T00:00:00")
    assert out[1] == np.datetime64("1950-01-02T12:00:00")
    assert out[2] == np.datetime64("1951-01-01T06:00:00")
    assert np.isnat(out[3])


def test_julian_calendar_is_converted_to_real_dates():
    # Chronological Julian Day 2451016 is 1998-07-21 in the Gregorian calendar.
    out = _to_datetime64(np.array([2451016.0]), "days since -4713-01-01T00:00:00Z", "julian")
    assert out[0] == np.datetime64("1998-07-21T00:00:00")


def test_calendar_none_and_odd_timezone_tokens():
    out = _to_datetime64(np.array([1.0]), "days since 1900-01-01 00:00:00Z", "none")
    assert out[0] == np.datetime64("1900-01-02")
    out = _to_datetime64(np.array([60.0]), "seconds since 2008-06-15 00:00:00 0:00", "julian")
    # a julian label 2008-06-15 is 13 days after the Gregorian one
    assert out[0] == np.datetime64("2008-06-28T00:01:00")


def test_noleap_calendar_maps_to_nearest_real_dates():
    out = _to_datetime64(np.array([59.0]), "days since 2001-01-01", "noleap")
    assert out[0] == np.datetime64("2001-03-01")


def test_bad_units_leave_a_note_instead_of_failing():
    ds = xr.Dataset({"t": ("x", np.arange(3.0), {"units": "fortnights since 2000-01-01"})})
    out = decode_times(ds, "demo")
    assert out.t.dtype.kind == "f"
    assert "not decoded" in out.t.attrs["decode_note"]


def test_mask_fill_honours_valid_range_and_default_fill():
    da = xr.DataArray(np.array([1.0, 9.96921e36, -5.0, 50.0]),
                      attrs={"valid_min": 0.0, "valid_max": 40.0})
    out = mask_fill(da)
    assert np.isnan(out.values[1:]).all() and out.values[0] == 1.0


@pytest.mark.parametrize(("values", "attrs"), [
    (np.array([1.0, -999.0, 1e37, np.nan, 50.0, -3.0], "float32"),
     {"_FillValue": -999.0, "valid_range": [-2.0, 40.0]}),
    (np.array([5, -1, 7, 300], "int16"), {"missing_value": -1, "valid_max": 255}),
    (np.array([5, -1, 7], "int32"), {}),  # no fill declared: integers stay as they are
    (np.array([[0.5, 9.9e36], [2.0, 3.0]]), {"valid_min": 1.0}),
])
def test_masked_values_equal_mask_fill(values, attrs):
    expected = mask_fill(xr.DataArray(values, dims=[f"d{i}" for i in range(values.ndim)],
                                      attrs=attrs)).values
    got = masked_values(values, attrs)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


@needs_shared
@pytest.mark.parametrize("rel", ["dsg/timeseries/netCDF_timeseries_tidegauge.nc",
                                 "dsg/timeseriesprofile/gocd_a0000841_rcm00566_v4.nc",
                                 "argo/multiprofile/6901744_prof.nc"])
def test_decoded_times_equal_netcdf4_instants(shared, rel):
    from portal.formats.netcdf import open_netcdf_file

    path = shared / rel
    nc = netCDF4.Dataset(path)
    name = next(n for n in ("TIME", "time", "JULD") if n in nc.variables)
    var = nc.variables[name]
    raw = np.ma.filled(var[:].astype("float64"), np.nan).ravel()
    calendar = getattr(var, "calendar", "standard")
    calendar = "standard" if calendar == "none" else calendar
    dates = cftime.num2date(raw[:5], var.units.replace("Z", ""), calendar)
    expected = [np.datetime64(d.change_calendar("proleptic_gregorian")
                              .isoformat()[:19]) if calendar == "julian" else
                np.datetime64(d.isoformat()[:19]) for d in dates]
    ds = open_netcdf_file(str(path))
    got = ds[name].values.ravel()[:5].astype("datetime64[s]")
    delta = np.abs((got - np.array(expected, dtype="datetime64[s]")).astype("int64"))
    assert (delta <= 1).all()


def test_times_decode_in_place_to_the_millisecond_with_nat_for_missing_and_out_of_range():
    values = np.array([0.0, 1.5, np.nan, 1e12, -3.25, 86400.0004, np.inf])
    kept = values.copy()
    out = _to_datetime64(values, "seconds since 1970-01-01", "standard")
    np.testing.assert_array_equal(values, kept)  # the caller's array is not touched
    assert out.dtype == np.dtype("datetime64[ns]")
    want = ["1970-01-01T00:00:00", "1970-01-01T00:00:01.500", "NaT", "NaT",
            "1969-12-31T23:59:56.750", "1970-01-02T00:00:00", "NaT"]
    np.testing.assert_array_equal(out, np.array(want, dtype="datetime64[ns]"))
    minutes = _to_datetime64(np.array([1.0, 2.0]), "minutes since 2023-01-01", "standard")
    np.testing.assert_array_equal(minutes, np.array(["2023-01-01T00:01", "2023-01-01T00:02"],
                                                    dtype="datetime64[ns]"))


def test_masked_values_keeps_an_array_whose_only_gaps_are_nan():
    values = np.array([1.0, np.nan, 3.0], dtype="float32")
    assert masked_values(values, {}) is values  # nothing to mask: no copy
    out = masked_values(np.array([1.0, np.nan, 9.96921e36, np.inf], "float32"), {})
    assert np.isnan(out[1:]).all() and out[0] == 1.0


def _series_file(path, n: int = 500) -> np.ndarray:
    """A 1-D series file: TEMP (float32, fill and valid range), PSAL (float32), FLAG
    (int16 with a missing_value); returns TEMP as written."""
    rng = np.random.default_rng(3)
    temp = rng.uniform(5, 20, n).astype("float32")
    temp[::7] = -999.0
    temp[3] = 99.0  # out of the valid range
    with netCDF4.Dataset(path, "w") as nc:
        nc.createDimension("TIME", n)
        t = nc.createVariable("TIME", "f8", ("TIME",))
        t.units = "days since 2020-01-01"
        t[:] = np.arange(n) / 24.0
        v = nc.createVariable("TEMP", "f4", ("TIME",), fill_value=-999.0, zlib=True)
        v.valid_range = np.array([-2.0, 40.0], "f4")
        v.set_auto_maskandscale(False)
        v[:] = temp
        nc.createVariable("PSAL", "f4", ("TIME",), zlib=True)[:] = rng.uniform(30, 38, n)
        f = nc.createVariable("FLAG", "i2", ("TIME",))
        f.missing_value = np.int16(-1)
        f[:] = np.where(np.arange(n) % 5 == 0, -1, 1).astype("int16")
        nc.featureType = "timeSeries"
    return temp


def test_a_file_is_masked_as_read_and_only_what_a_view_reads_is_read(tmp_path):
    """Opening decodes fills lazily: the values are those of the eager masking, a view of
    TEMP reads TEMP (and keeps it), and PSAL stays on disk."""
    from portal.formats.netcdf import open_netcdf_file
    from portal.processing.normalize import to_observations
    from portal.processing.subset import select_obs
    from portal.query import Query

    written = _series_file(tmp_path / "series.nc")
    ds = open_netcdf_file(str(tmp_path / "series.nc"), "series")
    assert not any(ds[n].variable._in_memory for n in ("TEMP", "PSAL", "FLAG"))
    eager = masked_values(written, {"_FillValue": -999.0, "valid_range": [-2.0, 40.0]})
    obs = to_observations(ds, "TEMP", dataset="series")
    view = select_obs(obs, Query(qc="all"), "TEMP", dataset="series", require=("time",))
    np.testing.assert_array_equal(view["TEMP"].values, eager[~np.isnan(eager)])
    assert ds["TEMP"].variable._in_memory or obs["TEMP"].variable._in_memory
    assert not ds["PSAL"].variable._in_memory  # never read
    flag = ds["FLAG"].values  # an integer with a declared fill: float, the fill NaN
    assert flag.dtype.kind == "f" and np.isnan(flag[::5]).all() and (flag[1::5] == 1).all()


def test_decoding_times_leaves_the_opened_numbers_as_they_are():
    """Times are decoded in place on one copy (fills to NaT): the dataset they came from
    keeps its numbers, a file's cached index included."""
    numbers = np.array([0.0, 1.5, -9999.0, 3.0])
    ds = xr.Dataset(coords={"TIME": ("TIME", numbers.copy(),
                                     {"units": "days since 2020-01-01", "_FillValue": -9999.0})})
    out = decode_times(ds)
    np.testing.assert_array_equal(ds["TIME"].values, numbers)
    assert np.isnat(out["TIME"].values[2])
    assert out["TIME"].values[1] == np.datetime64("2020-01-02T12:00", "ns")
