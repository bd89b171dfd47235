"""The ODV reader as an xarray engine: real exports in ../shared/data/odv, small synthetic
files, ``guess_can_open`` and the ``xarray.backends`` entry point."""

from __future__ import annotations

import io
import sys
import tomllib
from importlib import import_module, metadata
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from portal.errors import SourceUnavailable
from portal.formats.odv import ODVBackendEntrypoint, looks_like_odv, open_odv, read_odv
from portal.processing.normalize import to_observations
from portal.processing.qc import apply_qc

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data"
ODV = DATA / "odv"
shared = pytest.mark.skipif(not ODV.is_dir(), reason=f"shared test data not found at {ODV}")
REAL = ["bio_ecopart_uvp_zooplankton_reduced_odv.txt", "odv4_export_BlackSea_2profiles.txt",
        "odv_export_timeseries_eutrophication.txt", "sdn_ctd_profile_withBOM.txt",
        "sdn_nutrients_profiles_diapazon.txt"]
ENGINE = ODVBackendEntrypoint  # the class: works whatever the installed entry points say

ODV_DATES = (
    "//<Version>ODV Spreadsheet V4.0</Version>\n"
    "Cruise\tStation\tType\tmon/day/yr\thh:mm\tLongitude [degrees_east]\t"
    "Latitude [degrees_north]\tBot. Depth [m]\tDepth [m]\tQV:ODV\tTemperature [degC]\tQV:ODV\n"
    "C1\tS1\tB\t07/15/2010\t13:45\t-5.0\t47.5\t100\t0\t0\t15.25\t0\n"
    "\t\t\t\t\t\t\t\t10\t0\t14.5\t8\n"
    "C1\tS2\tB\t07/16/2010\t06:00\t-5.5\t47.0\t\t0\t0\t16.0\t1\n"
)
QARTOD = (
    "Cruise\tStation\tType\tyyyy-mm-ddThh:mm:ss\tLongitude [degrees_east]\t"
    "Latitude [degrees_north]\tPressure [dbar]\tOxygen [umol/kg]\tQV:QARTOD\n"
    "G1\tP1\tC\t2021-03-01T00:00:00\t3.0\t42.0\t5\t250.5\t1\n"
    "\t\t\t\t\t\t10\t249.0\t2\n"
    "\t\t\t\t\t\t15\t251.0\t3\n"
    "\t\t\t\t\t\t20\t400.0\t4\n"
    "\t\t\t\t\t\t25\t\t9\n"
)


def _write(tmp_path: Path, text: str, name: str = "synthetic.txt") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# ------------------------------------------------------------------------------ real files


@pytest.mark.shared
@shared
@pytest.mark.parametrize("name", REAL)
def test_engine_gives_the_reader_dataset(name):
    opened = xr.open_dataset(ODV / name, engine=ENGINE).load()
    xr.testing.assert_identical(opened, read_odv(str(ODV / name)))
    assert opened.encoding["source"].endswith(name)


@pytest.mark.shared
@shared
def test_sdn_ctd_values_units_time_and_flags_through_xarray():
    ds = xr.open_dataset(ODV / "sdn_ctd_profile_withBOM.txt", engine=ENGINE)
    temp = ds["Temperature_of_the_water_column"]
    assert temp.values[0] == pytest.approx(9.5761)
    assert temp.attrs["units"] == "C"
    assert temp.attrs["standard_name"] == "sea_water_temperature"
    assert ds["depth"].attrs["units"] == "m" and ds["depth"].attrs["positive"] == "down"
    assert ds["time"].values[0] == np.datetime64("2006-02-18T12:54:17")
    assert ds["time"].dtype == np.dtype("datetime64[ns]")
    flags = ds[temp.attrs["ancillary_variables"]]
    assert flags.name == "Temperature_of_the_water_column_qc"
    assert flags.dtype == np.int8 and flags.values[0] == 1
    assert flags.attrs["qc_scheme"] == "seadatanet"
    assert flags.attrs["flag_meanings"].split()[:2] == ["no_QC", "good"]
    assert len(flags.attrs["flag_values"]) == len(flags.attrs["flag_meanings"].split())


@pytest.mark.shared
@shared
def test_time_series_has_per_sample_times_and_drop_variables():
    ds = xr.open_dataset(ODV / "odv_export_timeseries_eutrophication.txt", engine=ENGINE,
                         drop_variables=["bot_depth"])
    assert "bot_depth" not in ds
    assert ds.attrs["featureType"] == "timeSeries"
    assert ds["time"].dims == ("obs",) and ds["time"].dtype.kind == "M"
    assert not np.isnat(ds["time"].values).any()


@pytest.mark.shared
@shared
def test_engine_is_guessed_for_odv_text_but_not_for_netcdf():
    backend = ODVBackendEntrypoint()
    for name in REAL:
        assert backend.guess_can_open(str(ODV / name)), name
        assert backend.guess_can_open(ODV / name), name
    netcdf = DATA / "argo" / "profiles" / "D4900590_097.nc"
    assert not backend.guess_can_open(str(netcdf))
    assert not backend.guess_can_open(str(DATA / "erddap" / "listing" /
                                          "search_sea_water_temperature.csv"))


# ------------------------------------------------------------------------- synthetic files


def test_odv_dates_clock_and_translated_odv_flags(tmp_path):
    ds = open_odv(_write(tmp_path, ODV_DATES), dataset="my_entry")
    np.testing.assert_array_equal(ds["time"].values, np.array(
        ["2010-07-15T13:45", "2010-07-16T06:00"], dtype="datetime64[ns]"))
    np.testing.assert_array_equal(ds["rowSize"].values, [2, 1])
    np.testing.assert_allclose(ds["Temperature"].values, [15.25, 14.5, 16.0])
    assert ds["Temperature"].attrs["units"] == "degC"
    np.testing.assert_allclose(ds["bot_depth"].values, [100, np.nan])
    # ODV flags 0 (good) -> 1, 8 (bad) -> 4, 1 (unknown) -> 0 on the generic scale
    np.testing.assert_array_equal(ds["Temperature_qc"].values, [1, 4, 0])
    assert ds["Temperature"].attrs["ancillary_variables"] == "Temperature_qc"
    obs = to_observations(ds, "Temperature")
    kept = apply_qc(obs, "Temperature", "good")["Temperature"].values
    np.testing.assert_allclose(kept, [15.25, np.nan, np.nan])


def test_qartod_flags_keep_their_scheme(tmp_path):
    ds = xr.open_dataset(_write(tmp_path, QARTOD), engine=ENGINE)
    flags = ds["Oxygen_qc"]
    np.testing.assert_array_equal(flags.values, [1, 2, 3, 4, 9])
    assert flags.attrs["qc_scheme"] == "qartod"
    assert flags.attrs["flag_meanings"] == "pass not_evaluated suspect fail missing"
    assert ds["pressure"].attrs["standard_name"] == "sea_water_pressure"
    obs = to_observations(ds, "Oxygen")
    assert obs["Oxygen_qc"].attrs["qc_scheme"] == "qartod"
    good = apply_qc(obs, "Oxygen", "good")["Oxygen"].values
    np.testing.assert_allclose(good, [250.5, np.nan, np.nan, np.nan, np.nan])
    kept = apply_qc(obs, "Oxygen", "good_probably")["Oxygen"].values
    np.testing.assert_allclose(kept, [250.5, 249.0, np.nan, np.nan, np.nan])


def test_guess_can_open_on_synthetic_and_other_files(tmp_path):
    backend = ODVBackendEntrypoint()
    assert backend.guess_can_open(_write(tmp_path, ODV_DATES, "a.odv"))
    headers_only = "Cruise;Site;Station;Latitude [degrees_north];Longitude [degrees_east];Depth\n"
    utf16 = tmp_path / "utf16.txt"
    utf16.write_bytes(b"\xff\xfe" + headers_only.encode("utf-16-le"))
    assert backend.guess_can_open(str(utf16))
    assert not backend.guess_can_open(_write(tmp_path, "lon,lat,temp\n1,2,3\n", "plain.csv"))
    assert not backend.guess_can_open(_write(tmp_path, "// just a comment\nnotes\n", "n.txt"))
    assert not backend.guess_can_open(str(tmp_path / "missing.txt"))
    assert not backend.guess_can_open(str(tmp_path))  # a folder
    assert not backend.guess_can_open(io.BytesIO(ODV_DATES.encode()))
    assert looks_like_odv(tmp_path / "a.odv")


def test_engine_reads_paths_only_and_names_the_dataset(tmp_path):
    with pytest.raises(TypeError, match="by path"):
        ODVBackendEntrypoint().open_dataset(io.BytesIO(ODV_DATES.encode()))
    with pytest.raises(SourceUnavailable, match="Longitude/Latitude") as caught:
        open_odv(_write(tmp_path, "a\tb\n1\t2\n"), dataset="entry_7")
    assert caught.value.dataset == "entry_7"


# ---------------------------------------------------------------------------- entry point


def _declared_entry_point() -> str:
    with open(REPO / "pyproject.toml", "rb") as fh:
        project = tomllib.load(fh)["project"]
    return project["entry-points"]["xarray.backends"]["odv"]


def test_entry_point_is_declared_and_names_the_backend():
    module, _, attr = _declared_entry_point().partition(":")
    assert getattr(import_module(module), attr) is ODVBackendEntrypoint


def test_declared_entry_point_makes_engine_odv_work(tmp_path, monkeypatch):
    """A distribution carrying the pyproject's entry point gives xarray the ``odv`` engine
    (as an installed portal does), without reinstalling the package under test."""
    dist = tmp_path / "odatis_portal-0.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: odatis-portal\nVersion: 0.0\n")
    (dist / "entry_points.txt").write_text(f"[xarray.backends]\nodv = {_declared_entry_point()}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    xr.backends.refresh_engines()
    try:
        assert isinstance(xr.backends.list_engines()["odv"], ODVBackendEntrypoint)
        ds = xr.open_dataset(_write(tmp_path, ODV_DATES), engine="odv")
        np.testing.assert_allclose(ds["Temperature"].values, [15.25, 14.5, 16.0])
        guessed = xr.open_dataset(_write(tmp_path, ODV_DATES, "guessed.txt"))  # no engine
        assert guessed.sizes == {"station": 2, "obs": 3}
    finally:
        monkeypatch.undo()
        xr.backends.refresh_engines()


def test_installed_entry_point_loads_when_the_metadata_has_it():
    found = metadata.entry_points(group="xarray.backends", name="odv")
    if not found:
        pytest.skip("this installation's metadata predates the odv entry point "
                    "(pip install -e . again)")
    (entry,) = found
    assert entry.load() is ODVBackendEntrypoint
    assert sys.modules[entry.module] is sys.modules["portal.formats.odv.backend"]
