"""Issue 10: fills, plausibility, main variable and honest refusals on real-file quirks.

Each test opens a minimal synthetic file (``realfiles`` fixture) the way the portal
does and, where ``../shared/data`` holds a real case, that file too.
"""

from __future__ import annotations

import numpy as np
import pytest

from portal.cataloging.describe import describe_dataset
from portal.errors import NoDataInSelection, UnsupportedQuicklook
from portal.formats.netcdf import open_netcdf_file
from portal.processing.normalize import data_variables, to_grid, to_observations
from portal.processing.variables import implausible_range, is_bookkeeping, time_axis_warnings
from portal.sources import get_source


def _entry(path):
    return describe_dataset(get_source("netcdf").open_path(str(path), "x"), "x", "netcdf", {"urlpath": str(path)},
                            str(path))


# ------------------------------------------------------------------------ 1. fills, ranges

def test_fillvalue_without_underscore_is_masked_in_a_grid(realfiles):
    field = to_grid(open_netcdf_file(str(realfiles("grid_fillvalue_no_underscore"))))
    values = field.values
    assert np.isnan(values).sum() == 10
    assert np.nanmin(values) == 15.0


def test_integer_fillvalue_and_valid_range_are_masked(realfiles):
    obs = to_observations(open_netcdf_file(str(realfiles("timeseries_fills"))), "TEMP")
    temp = obs["TEMP"].values
    assert np.isnan(temp).sum() == 1 and np.nanmax(temp) == 16
    psal = to_observations(open_netcdf_file(str(realfiles("timeseries_fills"))), "PSAL")
    assert np.nanmax(psal["PSAL"].values) == pytest.approx(35.3)  # 99 outside valid_range


def test_implausible_salinity_is_a_data_warning(realfiles):
    entry = _entry(realfiles("timeseries_fills"))
    warnings = dict(entry.extra).get("data_warnings")
    assert warnings and "PSAL" in warnings[0] and "implausible" in warnings[0]


def test_plausibility_rules():
    temp = {"standard_name": "sea_water_temperature", "units": "degree_C"}
    assert implausible_range(temp, -2.0, 30.0) is None
    assert "implausible" in implausible_range(temp, -9999.0, 30.0)
    assert implausible_range({**temp, "units": "K"}, 271.0, 300.0) is None
    assert implausible_range({"standard_name": "sea_water_salinity"}, -1.0, 35.0)


# ----------------------------------------------------------------------- 2. main variable

def test_glider_segment_id_is_not_the_main_variable(realfiles):
    ds = open_netcdf_file(str(realfiles("glider_segment_id")))
    names = data_variables(ds)
    assert names[0] == "temperature"
    assert "segment_id" not in names and "profile_index" not in names


def test_geometry_node_count_is_not_data(realfiles):
    ds = open_netcdf_file(str(realfiles("geometry_node_count")))
    assert data_variables(ds) == ["sea_level"]


def test_bookkeeping_rules():
    assert is_bookkeeping("segment_id", {})
    assert is_bookkeeping("trajectory", {"cf_role": "trajectory_id"})
    assert not is_bookkeeping("TEMP", {"standard_name": "sea_water_temperature"})
    assert not is_bookkeeping("u", {"units": "m s-1"})


def test_core_eov_comes_before_alphabetical_order():
    import xarray as xr

    ds = xr.Dataset({name: ("obs", np.arange(3.0), {"units": "1"}) for name in
                     ("bbp470", "cdom", "doxy", "temp")})
    assert data_variables(ds)[:2] == ["temp", "doxy"]


# ---------------------------------------------------------------------- 6. honest refusals

def test_one_observation_is_data(realfiles):
    entry = _entry(realfiles("one_observation"))
    assert entry.main_variable.name == "TEMP"


def test_duplicate_dimension_is_explained(realfiles):
    with pytest.raises(NoDataInSelection, match=r"same dimension twice"):
        _entry(realfiles("duplicate_dimension"))


def test_text_scale_factor_is_explained(realfiles):
    with pytest.raises(NoDataInSelection, match=r"scale_factor stored as text"):
        _entry(realfiles("text_scale_factor"))
    ds = open_netcdf_file(str(realfiles("text_scale_factor")))
    with pytest.raises(UnsupportedQuicklook, match=r"scale_factor stored as text"):
        to_observations(ds.assign(other=("time", np.arange(3.0))), "temp")


def test_zero_records_say_so(realfiles):
    with pytest.raises(NoDataInSelection, match=r"holds no records"):
        _entry(realfiles("zero_records"))
    with pytest.raises(NoDataInSelection, match=r"holds no records"):
        to_observations(open_netcdf_file(str(realfiles("zero_records"))))


# --------------------------------------------------------------------------- 5. time axes

def test_epoch_zero_times_are_warned(realfiles):
    entry = _entry(realfiles("epoch_zero_times"))
    assert any("1970-01-01" in w for w in dict(entry.extra)["data_warnings"])


def test_non_monotonic_time_is_warned():
    t = np.array(["2020-01-02", "2020-01-01", "2020-01-03"], dtype="datetime64[ns]")
    assert "not monotonic" in time_axis_warnings(t)[0]
    assert time_axis_warnings(np.sort(t)) == []


# ------------------------------------------------- 1 + 8. warnings and QC preset in titles

def _catalog(tmp_path, *paths):
    from tests.fixtures_realfiles import scanned_catalog

    return scanned_catalog(tmp_path, *paths)


def test_validate_reports_data_warnings_without_failing(realfiles, tmp_path, capsys):
    import argparse

    from portal.cataloging.validate import run_validate

    out, _ = _catalog(tmp_path, realfiles("timeseries_fills"))
    assert run_validate(argparse.Namespace(file=str(out))) == 0
    assert "warning: entry 'timeseries_fills': PSAL: values -3 to 35.3" in capsys.readouterr().out


def test_quicklook_title_says_warning_and_qc_preset(realfiles, tmp_path):
    from portal.model import Query
    from portal.pipeline import load_view
    from portal.processing.variables import titled

    _, entries = _catalog(tmp_path, realfiles("timeseries_fills"))
    entry = entries["timeseries_fills"]
    view = load_view(entry, "timeseries", Query(variable="PSAL"))
    assert view.warnings and "implausible" in view.warnings[0]
    assert "⚠ values -3 to 35.3" in titled("T", view.qc, list(view.warnings))
    assert view.qc == "all"  # no flags: nothing hidden


def test_flagged_real_argo_profile_defaults_to_good_and_probably_good(shared, tmp_path):
    from portal.model import Query
    from portal.pipeline import load_view

    _, entries = _catalog(tmp_path, shared / "argo" / "profiles" / "D4900590_097.nc")
    entry = entries["d4900590_097"]
    assert load_view(entry, "profile", Query()).qc == "good_probably"
    assert load_view(entry, "profile", Query(qc="all")).qc == "all"


def test_real_glider_main_variable_is_a_measurement(shared):
    path = shared / "dsg" / "trajectory" / "ru29-20140101T0942_glider.nc"
    entry = _entry(path)
    assert entry.main_variable.name == "temperature"
    assert not any(v.name in ("profile_id", "trajectory", "platform") for v in entry.variables)


def test_real_profile_collection_is_not_warned_for_cast_order(shared):
    entry = _entry(shared / "dsg" / "profile" / "wod_biology_JP14323.nc")
    assert not any("monotonic" in w for w in dict(entry.extra).get("data_warnings", ()))


def test_stations_at_different_positions_stay_a_time_series(realfiles):
    from portal.processing import cf

    ds = open_netcdf_file(str(realfiles("geometry_node_count")))
    assert cf.classify(ds) == "timeSeries"
