"""The T-S kind on tiny generated files: offered exactly when the file holds a temperature
and a salinity with data (the builder's own finder judges the catalog entry), drawn for
every spelling of practical salinity real files use, and for absolute salinity in g/kg."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from portal.model import Query
from portal.quicklooks import entry_kinds

CTD = np.array([[14.0, 12.0, 8.0, 4.0], [15.0, 11.5, 7.5, 3.8]])
SAL = np.array([[35.6, 35.7, 35.4, 35.0], [35.5, 35.6, 35.3, 34.9]])


def _profile_file(path, salinity: dict | None, sal_values=SAL, temp_units="degree_Celsius"):
    """A CF profile file: 2 stations × 4 pressures, TEMP and (optionally) a salinity."""
    data = {"TEMP": (("profile", "z"), CTD, {"standard_name": "sea_water_temperature",
                                            "units": temp_units})}
    if salinity is not None:
        name = salinity.pop("name", "PSAL")
        data[name] = (("profile", "z"), sal_values, salinity)
    ds = xr.Dataset(data, coords={
        "z": ("z", [5.0, 100.0, 500.0, 1000.0], {"units": "dbar", "positive": "down",
                                                 "standard_name": "sea_water_pressure",
                                                 "axis": "Z"}),
        "time": ("profile", np.array(["2024-03-01", "2024-03-09"], dtype="datetime64[ns]"),
                 {"standard_name": "time"}),
        "lat": ("profile", [44.0, 45.0], {"standard_name": "latitude", "units": "degrees_north"}),
        "lon": ("profile", [-10.0, -11.0], {"standard_name": "longitude",
                                            "units": "degrees_east"})},
        attrs={"featureType": "profile", "Conventions": "CF-1.8", "title": "T-S fixture"})
    ds.to_netcdf(path)
    return str(path)


def _entry(tmp_path, name, **kwargs):
    from portal.cataloging.scan import describe_file

    return describe_file(_profile_file(tmp_path / f"{name}.nc", **kwargs), name)


@pytest.mark.parametrize("units", ["p.s.u.", "dimensionless"])
def test_practical_salinity_spellings_are_offered_and_drawn(tmp_path, units):
    from portal.pipeline import load_view

    entry = _entry(tmp_path, "ctd", salinity={"name": "PSLTZZ01", "units": units,
                                              "standard_name": "sea_water_practical_salinity"},
                   temp_units="celsius degree")
    assert "ts" in entry_kinds(entry)
    view = load_view(entry, "ts", Query())
    assert view.variable == "PSLTZZ01" and view.data.sizes["obs"] == 8


def test_absolute_salinity_is_drawn_as_sa(tmp_path):
    from portal.pipeline import load_view
    from portal.processing.teos10 import teos10, ts_columns

    entry = _entry(tmp_path, "sa", salinity={"name": "SA", "units": "g/kg",
                                             "standard_name": "sea_water_absolute_salinity"})
    assert "ts" in entry_kinds(entry)
    obs = load_view(entry, "ts", Query()).data
    out = teos10(obs, ts_columns(obs))
    np.testing.assert_array_equal(np.sort(out.SA.values), np.sort(SAL.ravel()))


@pytest.mark.parametrize("case", ["absent", "all fill"])
def test_no_salinity_no_ts(tmp_path, case):
    """A file without salinity, or whose salinity is all fill, is not offered a T-S
    diagram; asked for anyway, the refusal names the kind."""
    from portal.errors import UnsupportedQuicklook
    from portal.pipeline import load_view

    salinity = None if case == "absent" else {"units": "psu"}
    entry = _entry(tmp_path, "t_only", salinity=salinity, sal_values=np.full((2, 4), np.nan))
    kinds = entry_kinds(entry)
    assert "profile" in kinds and "ts" not in kinds
    with pytest.raises(UnsupportedQuicklook, match="no ts quicklook"):
        load_view(entry, "ts", Query())
    if "linked" in kinds:  # linked views still draw the temperature
        assert load_view(entry, "linked", Query()).data.sizes["obs"] == 8


def test_salinity_all_flagged_bad(tmp_path):
    """Salinity present but every value flagged bad: T-S refuses naming the flags; the
    linked views draw the temperature, without a T-S plot, and say so."""
    from portal.errors import NoDataInSelection
    from portal.pipeline import load_view

    path = _profile_file(tmp_path / "bad.nc", salinity={
        "units": "psu", "standard_name": "sea_water_practical_salinity",
        "ancillary_variables": "PSAL_QC"})
    with xr.open_dataset(path) as ds:
        ds = ds.load()
    ds["TEMP"].attrs["ancillary_variables"] = "TEMP_QC"
    for name, flag in (("PSAL_QC", 4), ("TEMP_QC", 1)):
        ds[name] = (("profile", "z"), np.full((2, 4), flag, dtype="int8"), {
            "flag_values": np.arange(10, dtype="int8"), "standard_name": "status_flag",
            "conventions": "Argo reference table 2", "flag_meanings": "no_qc good "
            "probably_good probably_bad bad changed not_used not_used estimated missing"})
    ds.to_netcdf(tmp_path / "bad2.nc")
    from portal.cataloging.scan import describe_file

    entry = describe_file(str(tmp_path / "bad2.nc"), "bad")
    assert {"ts", "linked"} <= set(entry_kinds(entry))
    with pytest.raises(NoDataInSelection, match=r"every PSAL value is flagged \(bad\)"):
        load_view(entry, "ts", Query())
    view = load_view(entry, "linked", Query())
    assert view.variable == "TEMP" and view.data.sizes["obs"] == 8
    assert any(w.startswith("no T-S plot") for w in view.warnings)
