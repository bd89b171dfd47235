"""ODV spreadsheet adapter: the real exports in ../shared/data/odv and small synthetic files."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from portal.errors import SourceUnavailable
from portal.formats.odv import read_odv
from portal.model import DatasetEntry, _freeze
from portal.processing.normalize import to_observations
from portal.processing.qc import apply_qc
from portal.sources.base import get_source
from portal.sources.odv import ODVSource

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
ODV = DATA / "odv"
shared = pytest.mark.skipif(not ODV.is_dir(), reason=f"shared test data not found at {ODV}")

# file -> (stations, samples, featureType)
EXPECTED = {
    "bio_ecopart_uvp_particles_reduced_odv.txt": (15, 2736, "profile"),
    "bio_ecopart_uvp_zooplankton_reduced_odv.txt": (5, 59, "profile"),
    "odv4_export_BlackSea_2profiles.txt": (2, 15, "profile"),
    "odv_export_timeseries_eutrophication.txt": (2, 21, "timeSeries"),
    "sdn_ctd_profile_withBOM.txt": (1, 88, "profile"),
    "sdn_nutrients_profiles_diapazon.txt": (13, 110, "profile"),
    "sdn_timeseries_waves_FS1.txt": (1, 28539, "timeSeries"),
}


def _odv(name: str) -> str:
    return str(ODV / name)


def _write(tmp_path: Path, text: str, name: str = "synthetic.txt", encoding="utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


# ------------------------------------------------------------------------- every real file


@pytest.mark.shared
@shared
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_shared_file_reads_as_ragged_array(name):
    stations, samples, feature = EXPECTED[name]
    ds = read_odv(_odv(name))
    assert ds.sizes["station"] == stations
    assert ds.sizes["obs"] == samples
    assert int(ds["rowSize"].sum()) == samples
    assert ds["rowSize"].attrs["sample_dimension"] == "obs"
    assert ds.attrs["featureType"] == feature
    assert ds.attrs["Conventions"] == "CF-1.8"
    assert ds.attrs["source_file"].endswith(name)
    assert ds.attrs["title"] == name.removesuffix(".txt")
    assert ds["latitude"].attrs["units"] == "degrees_north"
    assert ds["longitude"].attrs["standard_name"] == "longitude"
    assert np.all(np.abs(ds["latitude"].values) <= 90)
    assert np.all(np.abs(ds["longitude"].values) <= 180)
    measured = [v for v in ds.data_vars if ds[v].dims == ("obs",) and ds[v].dtype == "float64"]
    assert measured, "no measured variable"
    assert ds["depth"].attrs["standard_name"] == "depth"
    assert ds["depth"].attrs["positive"] == "down"


@pytest.mark.shared
@shared
@pytest.mark.parametrize("name", ["odv4_export_BlackSea_2profiles.txt",
                                  "bio_ecopart_uvp_zooplankton_reduced_odv.txt"])
def test_dataset_survives_a_netcdf_round_trip(tmp_path, name):
    ds = read_odv(_odv(name))
    ds.to_netcdf(tmp_path / "copy.nc")
    with xr.open_dataset(tmp_path / "copy.nc") as back:
        assert back.sizes == ds.sizes
        assert back["rowSize"].attrs["sample_dimension"] == "obs"
        assert to_observations(back).sizes["obs"] == ds.sizes["obs"]


@pytest.mark.shared
@shared
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_shared_file_normalises_to_observations(name):
    ds = read_odv(_odv(name))
    obs = to_observations(ds)
    for axis in ("time", "latitude", "longitude", "z", "feature"):
        assert axis in obs.coords, axis
    assert obs.sizes["obs"] == ds.sizes["obs"]
    assert obs["time"].dtype.kind == "M"
    assert obs["time"].notnull().any()
    assert int(obs["feature"].max()) == ds.sizes["station"] - 1
    # the feature index follows rowSize
    expected = np.repeat(np.arange(ds.sizes["station"]), ds["rowSize"].values)
    np.testing.assert_array_equal(obs["feature"].values, expected)


# ----------------------------------------------------------------------- file by file


@pytest.mark.shared
@shared
def test_sdn_ctd_with_bom_values_and_sdn_attributes():
    ds = read_odv(_odv("sdn_ctd_profile_withBOM.txt"))
    temp = ds["Temperature_of_the_water_column"]
    assert temp.values[0] == pytest.approx(9.5761)
    assert temp.values[-1] == pytest.approx(9.5892)
    assert ds["depth"].values[0] == 1.0 and ds["depth"].values[-1] == 88.0
    assert ds["Temperature_of_the_water_column_qc"].values[0] == 1
    assert ds["Temperature_of_the_water_column_qc"].dtype == np.int8
    assert temp.attrs["units"] == "C"
    assert temp.attrs["long_name"] == "Temperature of the water column"
    assert temp.attrs["sdn_parameter_urn"] == "SDN:P01::TEMPPR01"
    assert temp.attrs["standard_name"] == "sea_water_temperature"
    assert temp.attrs["ancillary_variables"] == "Temperature_of_the_water_column_qc"
    assert ds["Salinity"].attrs["standard_name"] == "sea_water_practical_salinity"
    assert ds["Salinity"].values[0] == pytest.approx(35.1763)
    assert ds["Temperature_of_the_water_column_qc"].attrs["qc_scheme"] == "seadatanet"
    assert ds["depth"].attrs["sdn_parameter_urn"] == "SDN:P01::ADEPZZ01"
    # the BOM is gone: the first column is Cruise, so the cruise name is read
    assert ds["cruise"].values[0] == "MI CTD Oceanographic Survey"
    assert ds["station_name"].values[0] == "1"
    assert ds["latitude"].values[0] == pytest.approx(51.2471667)
    assert ds["longitude"].values[0] == pytest.approx(-8.4245)
    assert ds["bot_depth"].values[0] == 88.0
    assert ds["time"].values[0] == np.datetime64("2006-02-18T12:54:17")
    assert ds["time"].dtype == np.dtype("datetime64[ns]")
    assert ds["time"].attrs["standard_name"] == "time"
    assert "station_time" not in ds
    assert "SDN_parameter_mapping" in ds.attrs["odv_comments"]


@pytest.mark.shared
@shared
def test_odv4_blacksea_two_profiles_and_wod_flags():
    ds = read_odv(_odv("odv4_export_BlackSea_2profiles.txt"))
    np.testing.assert_array_equal(ds["rowSize"].values, [4, 11])
    assert list(ds["station_name"].values) == ["11570900", "11570901"]
    assert list(ds["cruise"].values) == ["WOD05_BG000003", "WOD05_BG000003"]
    np.testing.assert_allclose(ds["longitude"].values, [28.3333, 28.8333])
    np.testing.assert_allclose(ds["bot_depth"].values, [36, 325])
    # "1991-09-03T16:25" under a yyyy-mm-ddThh:mm:ss.sss header: no seconds
    assert ds["time"].values[1] == np.datetime64("1991-09-03T21:10")
    assert ds["Temperature"].values[0] == pytest.approx(22.208)
    assert ds["Temperature"].values[4] == pytest.approx(21.946)  # first row of station 2
    assert ds["Salinity"].values[-1] == pytest.approx(21.4960)
    assert ds["depth"].values[-1] == 250.0
    # WOD flag 0 (accepted) becomes 1 (good) on the generic scale
    qc = ds["Temperature_qc"]
    assert qc.attrs["qc_scheme"] == "generic"
    assert qc.attrs["odv_flag_scheme"] == "QV:WOD"
    assert set(qc.values.tolist()) == {1}
    obs = to_observations(ds, "Temperature")
    assert int(apply_qc(obs, "Temperature", "good")["Temperature"].notnull().sum()) == 15


@pytest.mark.shared
@shared
def test_blacksea_missing_value_indicator_and_blank_cells(tmp_path):
    text = (ODV / "odv4_export_BlackSea_2profiles.txt").read_text()
    assert "<MissingValueIndicators>-99</MissingValueIndicators>" in text
    text = text.replace("\t22.260\t", "\t-99\t").replace("\t17.5830\t0\t1\n", "\t\t0\t1\n", 1)
    ds = read_odv(_write(tmp_path, text, "blacksea_missing.txt"))
    assert np.isnan(ds["Temperature"].values[1])  # -99 -> NaN
    assert np.isnan(ds["Salinity"].values[4])  # blank cell -> NaN
    assert ds["Temperature"].values[0] == pytest.approx(22.208)
    assert int(ds["Temperature"].notnull().sum()) == 14


@pytest.mark.shared
@shared
def test_diapazon_french_header_plus_signs_trailing_spaces_and_no_qc():
    ds = read_odv(_odv("sdn_nutrients_profiles_diapazon.txt"))
    assert ds["longitude"].values[0] == pytest.approx(166.747)  # "+166.747000"
    assert ds["latitude"].values[0] == pytest.approx(-21.951667)  # "-21.951667 "
    assert list(ds["station_name"].values[:3]) == ["1", "5", "7"]
    assert np.all(np.isnan(ds["bot_depth"].values))  # " " everywhere
    # DEPHPR01 [m] is the vertical coordinate; pressure stays a variable, listed last
    assert ds["depth"].attrs["sdn_parameter_urn"] == "SDN:P01::DEPHPR01"
    np.testing.assert_allclose(ds["depth"].values[:3], [0.0, 5.0, 9.9])
    assert "PRESPR01" in ds and "standard_name" not in ds["PRESPR01"].attrs
    assert ds["NTRAYYDZ"].attrs["units"] == "Micromoles per litre"
    assert "Ces donnees hydrologiques" in ds.attrs["odv_comments"]
    assert len(ds.attrs["odv_comments"]) <= 2000
    obs = to_observations(ds)
    assert obs.attrs["main_variable"] == "NTRAYYDZ"
    # every flag is 0 (no QC): the "good" preset keeps nothing, "all" keeps everything
    assert set(obs["NTRAYYDZ_qc"].values.tolist()) == {0}
    assert int(apply_qc(obs, "NTRAYYDZ", "good")["NTRAYYDZ"].notnull().sum()) == 0
    assert int(apply_qc(obs, "NTRAYYDZ", "all")["NTRAYYDZ"].notnull().sum()) == 110


@pytest.mark.shared
@shared
def test_waves_time_series_has_per_sample_time_and_reads_fast():
    read_odv(_odv("odv4_export_BlackSea_2profiles.txt"))  # warm pandas/pyarrow up
    elapsed = []
    for _ in range(2):
        start = time.perf_counter()
        ds = read_odv(_odv("sdn_timeseries_waves_FS1.txt"))
        elapsed.append(time.perf_counter() - start)
    assert min(elapsed) < 1.0, f"1.3 MB ODV file took {min(elapsed):.2f} s"
    assert ds["time"].dims == ("obs",)
    assert ds["time"].attrs["standard_name"] == "time"
    assert ds["time"].values[0] == np.datetime64("2003-01-23T12:00:00")
    assert ds["time"].values[-1] == np.datetime64("2008-02-17T02:00:00")
    assert ds["station_time"].values[0] == np.datetime64("2003-01-23T12:00:00")
    assert "standard_name" not in ds["station_time"].attrs
    assert ds["WaveHeight"].values[0] == pytest.approx(1.3)
    assert ds["WavePeriod"].values[0] == pytest.approx(5.0)
    assert ds["WaveHeight"].attrs["sdn_parameter_urn"] == "SDN:P01::GSSPWR01"
    assert ds["WaveHeight"].attrs["units"] == "m"
    # file line 426: blank value flagged 9 (missing)
    assert np.isnan(ds["WaveHeight"].values[418]) and ds["WaveHeight_qc"].values[418] == 9
    assert ds["cruise"].values[0] == "FS1 Weather Buoy Deployment"
    obs = to_observations(ds)
    assert obs.attrs["featureType"] == "timeSeries"
    assert obs["time"].values[5] == np.datetime64("2003-01-23T17:00:00")


@pytest.mark.shared
@shared
def test_eutrophication_skips_history_lines_between_stations():
    ds = read_odv(_odv("odv_export_timeseries_eutrophication.txt"))
    np.testing.assert_array_equal(ds["rowSize"].values, [14, 7])
    assert list(ds["cruise"].values) == ["BOBGEO1-MOUILLAGE-GUILVINEC",
                                         "BOBGEO2-MOUILLAGE-GUILVINEC"]
    oxygen = ds["Water_body_dissolved_oxygen_concentration"]
    assert oxygen.values[0] == pytest.approx(193.39062)
    assert oxygen.values[14] == pytest.approx(242.60406)
    assert oxygen.attrs["units"] == "umol/l"
    assert ds["depth"].attrs["sdn_parameter_urn"] == "SDN:P01::ADEPZZ01"  # from <DataVariable>
    np.testing.assert_allclose(ds["depth"].values[[0, -1]], [856.0, 718.0])
    assert ds["time"].values[1] == np.datetime64("2009-10-23T16:56:00")
    assert ds["station_time"].values[1] == np.datetime64("2010-07-25T07:00:00")
    # the metadata block (Instrument Info ... CDI-partner) is not taken for data
    assert "Water_depth" not in ds and "EDMO_code" not in ds


@pytest.mark.shared
@shared
def test_ecopart_zooplankton_semicolons_and_typed_labels():
    ds = read_odv(_odv("bio_ecopart_uvp_zooplankton_reduced_odv.txt"))
    assert ds["station_name"].values[0] == "brusample01"
    assert ds["cruise"].values[0] == ""  # Cruise column is empty
    assert ds["depth"].values[0] == 12.5
    assert ds["Sampled_volume"].values[0] == pytest.approx(5.65)
    assert ds["Sampled_volume"].attrs["units"] == "L"
    assert ds["latitude"].values[0] == pytest.approx(44.0905)
    assert ds["time"].values[0] == np.datetime64("2019-11-21T01:00:00")


@pytest.mark.shared
@shared
def test_ecopart_particles_latin1_per_row_times_and_empty_columns():
    ds = read_odv(_odv("bio_ecopart_uvp_particles_reduced_odv.txt"))
    lpm = ds["LPM_1_2_um"]
    assert lpm.attrs["long_name"] == "LPM (1-2 \u00b5m)"  # 0xB5 decoded as the micro sign
    assert lpm.attrs["units"] == "# l-1"
    assert ds["station_name"].values[6] == "lambdasampleT1"
    assert ds["rowSize"].values[0] == 300 and ds["rowSize"].values[6] == 6
    assert ds["depth"].values[0] == 2.5
    assert ds["Sampled_volume"].values[300] == pytest.approx(2.26)
    # the time changes on every depth bin: a per-sample time, station time kept apart
    assert ds["time"].dims == ("obs",)
    assert ds["station_time"].values[0] == np.datetime64("2019-11-21T01:00:00")
    # the extra CTD depth/pressure columns get distinct names; empty columns are dropped
    assert ds["depth_2"].attrs["long_name"] == "depth"
    assert ds["pressure_2"].attrs["units"] == "db"
    assert "extrames01" not in ds
    assert to_observations(ds).attrs["main_variable"] == "temperature"


# ----------------------------------------------------------------------- the source adapter


def test_odv_source_is_registered():
    assert isinstance(get_source("odv"), ODVSource)
    assert ODVSource.name == "odv"


@pytest.mark.shared
@shared
def test_odv_source_concatenates_a_list_and_a_glob():
    files = [_odv("odv4_export_BlackSea_2profiles.txt"), _odv("sdn_ctd_profile_withBOM.txt")]
    entry = DatasetEntry(id="odv-pair", source="odv", args=_freeze({"urlpath": files}))
    ds = ODVSource().open(entry)
    np.testing.assert_array_equal(ds["rowSize"].values, [4, 11, 88])
    assert ds.sizes["obs"] == 103
    assert ds["Temperature_qc"].dtype == np.int8
    assert ds["Temperature_qc"].values[-1] == -1  # the CTD file has no "Temperature" column
    assert list(ds["station_name"].values) == ["11570900", "11570901", "1"]
    obs = to_observations(ds, "Salinity")
    assert obs["feature"].values[-1] == 2
    glob_entry = DatasetEntry(id="odv-sdn", source="odv",
                              args=_freeze({"urlpath": str(ODV / "sdn_*.txt")}))
    mixed = ODVSource().open(glob_entry)  # profiles and a time series together
    assert mixed.sizes["station"] == 15
    assert mixed["time"].dims == ("obs",)
    assert mixed["time"].values[0] == np.datetime64("2006-02-18T12:54:17")


def test_odv_source_without_matching_file(tmp_path):
    entry = DatasetEntry(id="odv-none", source="odv",
                         args=_freeze({"urlpath": str(tmp_path / "*.txt")}))
    with pytest.raises(SourceUnavailable, match="no file matches"):
        ODVSource().open(entry)


# ------------------------------------------------------------------------- synthetic files

SYNTHETIC = (
    "//<DataType>Profiles</DataType>\n"
    "//<MissingValueIndicators>-999</MissingValueIndicators>\n"
    "Cruise;Station;Type;yyyy-mm-ddThh:mm:ss.sss;Longitude [degrees_east];"
    "Latitude [degrees_north];Depth [m];QV:ODV;Temp [deg C];QV:ODV;Comment;Turbidity [NTU]\n"
    "C1;S1;B;2020-01-02T03:04:05;5,5;43,25;0;0;12,5;0;fine;1\n"
    "C1;S1;B;2020-01-02T03:04:05;5,5;43,25;10;0;12,0;8;odd;-999\n"
    "C1;S2;B;2020-01-03T00:00:00;6,0;43,5;0;0;11,0;4;ok;\n"
    "C1;S2;B;2020-01-03T00:00:00;6,0;43,5;20;0;10,5;;ok;3\n"
)


def test_synthetic_repeated_metadata_decimal_commas_and_odv_flags(tmp_path, caplog):
    ds = read_odv(_write(tmp_path, SYNTHETIC, "repeated.txt", encoding="cp1252"))
    np.testing.assert_array_equal(ds["rowSize"].values, [2, 2])  # new station when S changes
    np.testing.assert_allclose(ds["longitude"].values, [5.5, 6.0])
    np.testing.assert_allclose(ds["Temp"].values, [12.5, 12.0, 11.0, 10.5])
    assert ds["Temp"].attrs["units"] == "deg C"
    # ODV flags: 0 good -> 1, 8 bad -> 4, 4 questionable -> 3, blank -> -1
    np.testing.assert_array_equal(ds["Temp_qc"].values, [1, 4, 3, -1])
    assert ds["Temp_qc"].attrs["qc_scheme"] == "generic"
    # unknown numeric column kept (with the missing value masked); text column skipped
    np.testing.assert_allclose(ds["Turbidity"].values, [1, np.nan, np.nan, 3])
    assert "Comment" not in ds
    assert "holds text" in caplog.text
    obs = to_observations(ds, "Temp")
    good = apply_qc(obs, "Temp", "good")["Temp"].values
    np.testing.assert_allclose(good, [12.5, np.nan, np.nan, np.nan])


def test_synthetic_tab_file_with_letters_in_seadatanet_flags(tmp_path):
    text = (
        "//<subject>SDN:LOCAL:TEMP</subject><object>SDN:P01::TEMPS901</object>"
        "<units>SDN:P06::UPAA</units>\n"
        "Cruise\tStation\tType\tyyyy-mm-ddThh:mm:ss.sss\tLongitude [degrees_east]\t"
        "Latitude [degrees_north]\tPressure [dbar]\tQV:SEADATANET\tTEMP [degC]\tQV:SEADATANET\n"
        "X\tA\tB\t2001-01-01T00:00:00\t-4.5\t48.2\t1\t1\t14.0\t1\n"
        "\t\t\t\t\t\t2\t1\t13.9\tA\n"
        "\t\t\t\t\t\t3\t1\t13.8\tQ\n"
        "\t\t\t\t\t\t4\t1\t13.7\t4\n"
    )
    ds = read_odv(_write(tmp_path, text))
    assert "depth" not in ds
    assert ds["pressure"].attrs["standard_name"] == "sea_water_pressure"
    assert ds["pressure"].attrs["units"] == "dbar"
    np.testing.assert_array_equal(ds["TEMP_qc"].values, [1, 10, 11, 4])
    assert ds["TEMP"].attrs["standard_name"] == "sea_water_temperature"
    assert ds["TEMP"].attrs["sdn_parameter_urn"] == "SDN:P01::TEMPS901"
    assert ds.attrs["featureType"] == "profile"  # inferred: four pressures, one station
    obs = to_observations(ds, "TEMP")
    assert obs["z"].attrs["units"] == "dbar"
    np.testing.assert_allclose(apply_qc(obs, "TEMP", "good")["TEMP"].values,
                               [14.0, np.nan, np.nan, np.nan])


def test_utf8_bom_and_latin1_bytes(tmp_path):
    header = "Cruise\tStation\tLongitude [degrees_east]\tLatitude [degrees_north]\t"
    header += "Depth [m]\tChl [\u00b5g/l]\n"
    rows = "K\tS\u00e9te\t3.7\t43.4\t5\t0.8\n"
    bom = tmp_path / "bom.txt"
    bom.write_bytes(b"\xef\xbb\xbf" + (header + rows).encode("utf-8"))
    latin = _write(tmp_path, header + rows, "latin.txt", encoding="latin-1")
    for path in (str(bom), latin):
        ds = read_odv(path)
        assert ds["cruise"].values[0] == "K"
        assert ds["station_name"].values[0] == "S\u00e9te"
        assert ds["Chl"].attrs["units"] == "\u00b5g/l"
        assert np.isnat(ds["time"].values[0])  # no time column: NaT, not a failure


# ---------------------------------------------------------------------------- bad input


def test_random_bytes_are_not_a_text_file(tmp_path):
    path = tmp_path / "noise.txt"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(SourceUnavailable, match="noise.txt is not a text file"):
        read_odv(str(path))


def test_netcdf_file_is_refused_with_a_hint(tmp_path):
    path = tmp_path / "profile.nc"
    xr.Dataset({"TEMP": ("obs", [1.0, 2.0])}).to_netcdf(path)
    with pytest.raises(SourceUnavailable, match="profile.nc is not a text file") as info:
        read_odv(str(path), dataset="my-dataset")
    assert info.value.dataset == "my-dataset"
    assert "netcdf" in str(info.value)


def test_text_without_odv_header(tmp_path):
    path = _write(tmp_path, "// just a comment\nname,value\na,1\n", "table.csv")
    with pytest.raises(SourceUnavailable,
                       match="table.csv: no ODV header row with Longitude/Latitude"):
        read_odv(path)


@pytest.mark.parametrize("content", ["", "//<DataType>Profiles</DataType>\n//\n"])
def test_empty_or_comment_only_file(tmp_path, content):
    path = _write(tmp_path, content, "hollow.txt")
    with pytest.raises(SourceUnavailable, match="hollow.txt"):
        read_odv(path)


def test_only_text_after_the_metadata(tmp_path):
    text = "Cruise\tLongitude [degrees_east]\tLatitude [degrees_north]\tNote\nA\t1\t2\tcalm\n"
    with pytest.raises(SourceUnavailable, match="notes.txt: no numeric data column"):
        read_odv(_write(tmp_path, text, "notes.txt"))


def test_header_without_rows_and_missing_file(tmp_path):
    path = _write(tmp_path, "Cruise\tLongitude [degrees_east]\tLatitude [degrees_north]\n",
                  "headeronly.txt")
    with pytest.raises(SourceUnavailable, match="headeronly.txt: ODV header row but no data"):
        read_odv(path)
    with pytest.raises(SourceUnavailable, match="file not found"):
        read_odv(os.path.join(tmp_path, "absent.txt"))
