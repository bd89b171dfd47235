"""Folder scan: classification, metadata read from real files, skipped files, round-trip."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from portal.cataloging import scan
from portal.cataloging.describe import ARGO_DOI, ARGO_LICENSE, eov_for
from portal.cataloging.scan import describe_file, scan_folder, slug, unique_id
from portal.sources.sniff import is_odv

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(),
                                  reason=f"real data folder {SHARED} is absent (user clone)")

# featureType the scan must give each real file (PROVENANCE.md). Argo profile files say
# featureType=trajectoryProfile; cf.classify maps them to 'profile' (drawn as profiles).
EXPECTED = {
    "argo/meta/13857_meta.nc": "metadata",
    "argo/multiprofile/13857_prof.nc": "profile",
    "argo/multiprofile/3902131_Sprof.nc": "profile",
    "argo/multiprofile/6901744_prof.nc": "profile",
    "argo/profiles/D4900590_097.nc": "profile",
    "argo/profiles/D4900782_035.nc": "profile",
    "argo/profiles/D5900865_001.nc": "profile",
    "argo/profiles/R13857_001.nc": "profile",
    "argo/profiles/SD5904989_012.nc": "profile",
    "argo/trajectory/13857_Rtraj.nc": "trajectory",
    "dsg/profile/netCDF_vertical_profiles_ctd.nc": "profile",
    "dsg/profile/wod_biology_JP14323.nc": "profile",
    "dsg/timeseries/DisDel_PAPA_2012PA006_D_DEEP-SEACAT-all.nc": "timeSeries",  # "Station"
    "dsg/timeseries/netCDF_timeseries_tidegauge.nc": "timeSeries",
    "dsg/timeseriesprofile/gocd_a0000841_rcm00566_v4.nc": "timeSeries",  # one depth (z=1)
    "dsg/trajectory/GL_201207_TS_DB_44761.nc": "trajectory",  # "Time-series", but drifting
    "dsg/trajectory/netCDF_trajectory_meteorological_data.nc": "trajectory",
    "dsg/trajectory/netCDF_trajectory_tsg_with_instrument.nc": "trajectory",
    "dsg/trajectory/ru29-20140101T0942_glider.nc": "trajectory",  # cf_role only
    "edge_cases/wod2005_Profile_nan_only_vars.nc": "profile",
    "gridded/AG2005040_2005040_ssta.nc": "grid",
    "gridded/AG2005041_2005041_ssta.nc": "grid",
    "gridded/MWsstd1day_modis_sst_westus.nc": "grid",
    "gridded/OQNux10S1day_20050712_x-135_X-105_y22_Y50.nc": "grid",
}
EXPECTED_ODV = {
    "odv/bio_ecopart_uvp_particles_reduced_odv.txt": "profile",
    "odv/bio_ecopart_uvp_zooplankton_reduced_odv.txt": "profile",
    "odv/odv4_export_BlackSea_2profiles.txt": "profile",
    "odv/odv_export_timeseries_eutrophication.txt": "timeSeries",
    "odv/sdn_ctd_profile_withBOM.txt": "profile",
    "odv/sdn_nutrients_profiles_diapazon.txt": "profile",
    "odv/sdn_timeseries_waves_FS1.txt": "timeSeries",
}
HAS_ODV_READER = importlib.util.find_spec("portal.formats.odv") is not None


@pytest.fixture(scope="module")
def result():
    if not SHARED.is_dir():
        pytest.skip(f"real data folder {SHARED} is absent (user clone)")
    return scan_folder(str(SHARED))


def _by_path(result) -> dict[str, object]:
    return {str(Path(e.arguments["urlpath"]).relative_to(SHARED)): e for e in result.entries}


def _skipped(result) -> dict[str, str]:
    return {str(Path(p).relative_to(SHARED)): reason for p, reason in result.skipped}


# ------------------------------------------------------------------------------ real data


@needs_shared
@pytest.mark.shared
def test_each_real_file_gets_its_feature_type(result):
    found = {path: e.feature_type for path, e in _by_path(result).items()}
    for path, feature_type in EXPECTED.items():
        assert found.get(path) == feature_type, (path, found.get(path), _skipped(result).get(path))


@needs_shared
@pytest.mark.shared
def test_odv_files_are_datasets_or_skipped_for_the_missing_reader(result):
    found, skipped = _by_path(result), _skipped(result)
    for path, feature_type in EXPECTED_ODV.items():
        if HAS_ODV_READER:
            assert path in found, (path, skipped.get(path))
            assert found[path].feature_type == feature_type
            assert found[path].source == "odv"
        else:
            assert "ODV reader is not available" in skipped[path]


@needs_shared
@pytest.mark.shared
def test_malformed_files_are_skipped_with_specific_reasons(result):
    skipped = _skipped(result)
    bad = skipped["edge_cases/AG2005040_BadFile.nc"]
    assert "not a NetCDF file" in bad and "text file starting with 'c: '" in bad
    fill = skipped["edge_cases/trajectoryAoml_tsg_allfill.nc"]
    assert "entirely _FillValue/NaN" in fill and "sst" in fill and "sal" in fill
    erddap = skipped["erddap/errors/ArgoFloats-synthetic-BGC_404_no_matching_results.nc"]
    assert "ERDDAP error response" in erddap and "no matching results" in erddap
    assert "entirely _FillValue/NaN" in skipped["erddap/griddap/erdQMekm14day_currents_allNaN.nc"]
    assert "without ODV spreadsheet headers" in skipped["argo/index/ar_index_global_prof.txt"]
    assert "unsupported file type '.json'" in skipped["erddap/info/ArgoFloats_info.json"]
    found = _by_path(result)
    assert not set(skipped) & set(found)
    assert len(found) + len(skipped) == sum(1 for p in SHARED.rglob("*") if p.is_file())


@needs_shared
@pytest.mark.shared
def test_ids_are_stable_unique_slugs(result):
    ids = [e.id for e in result.entries]
    assert len(ids) == len(set(ids))
    assert _by_path(result)["argo/multiprofile/6901744_prof.nc"].id == (
        "argo_multiprofile_6901744_prof")


def _masked_range(var) -> tuple[float, float]:
    values = np.ma.masked_invalid(np.ma.asarray(var[:], dtype="float64")).compressed()
    return float(values.min()), float(values.max())


def _iso_range(var) -> tuple[dt.datetime, dt.datetime]:
    import netCDF4

    values = np.ma.asarray(var[:]).compressed()
    dates = netCDF4.num2date(values, var.units, only_use_cftime_datetimes=False,
                             only_use_python_datetimes=True)
    return min(dates), max(dates)


@needs_shared
@pytest.mark.shared
@pytest.mark.parametrize("path, lat, lon, time", [
    ("argo/multiprofile/6901744_prof.nc", "LATITUDE", "LONGITUDE", "JULD"),
    ("dsg/trajectory/GL_201207_TS_DB_44761.nc", "LATITUDE", "LONGITUDE", "TIME"),
])
def test_bbox_and_time_coverage_match_netcdf4(result, path, lat, lon, time):
    import netCDF4

    entry = _by_path(result)[path]
    with netCDF4.Dataset(SHARED / path) as nc:
        south, north = _masked_range(nc[lat])
        west, east = _masked_range(nc[lon])
        start, end = _iso_range(nc[time])
    assert entry.bbox == pytest.approx((west, south, east, north), abs=1e-5)
    got = [dt.datetime.fromisoformat(t.replace("Z", "")) for t in entry.time_coverage]
    assert abs((got[0] - start).total_seconds()) <= 1
    assert abs((got[1] - end).total_seconds()) <= 1


@needs_shared
@pytest.mark.shared
def test_longitudes_0_360_become_signed_and_antimeridian_bbox_crosses(result):
    found = _by_path(result)
    assert found["gridded/MWsstd1day_modis_sst_westus.nc"].bbox == pytest.approx(
        (-150.0, 30.0, -149.0, 31.0))
    west, south, east, north = found["edge_cases/wod2005_Profile_nan_only_vars.nc"].bbox
    assert west == pytest.approx(163.08, abs=1e-3) and east == pytest.approx(-134.16, abs=1e-3)
    assert (south, north) == pytest.approx((13.23, 54.8), abs=1e-3)


@needs_shared
@pytest.mark.shared
def test_all_fill_variables_are_listed_apart(result):
    entry = _by_path(result)["edge_cases/wod2005_Profile_nan_only_vars.nc"]
    assert entry.variables[0].name == "temperature"
    assert entry.variables[0].qc == "temperature_qc"
    empty = entry.metadata()["empty_variables"]
    assert {"salinity", "chlorophyll", "oxygen"} <= set(empty)
    assert not {v.name for v in entry.variables} & set(empty)


@needs_shared
@pytest.mark.shared
def test_argo_metadata(result):
    found = _by_path(result)
    multi = found["argo/multiprofile/6901744_prof.nc"]
    assert multi.title == "Argo float 6901744 — multi-profile (35 profiles)"
    assert (multi.license, multi.doi) == (ARGO_LICENSE, ARGO_DOI)
    assert multi.platform == "Argo float (ARVOR)"
    assert [(v.name, v.qc, v.eov) for v in multi.variables] == [
        ("TEMP", "TEMP_QC", "Subsurface temperature"), ("PSAL", "PSAL_QC", "Subsurface salinity")]
    assert multi.vertical_coverage[1] > 1900
    single = found["argo/profiles/D4900590_097.nc"]
    assert single.title == "Argo float 4900590 — profile, cycle 97 (delayed mode)"
    assert "BGC synthetic profile, cycle 12" in found["argo/profiles/SD5904989_012.nc"].title
    assert "BGC synthetic multi-profile" in found["argo/multiprofile/3902131_Sprof.nc"].title
    assert "Oxygen" in {v.eov for v in found["argo/multiprofile/3902131_Sprof.nc"].variables}
    assert "trajectory (real-time" in found["argo/trajectory/13857_Rtraj.nc"].title
    meta = found["argo/meta/13857_meta.nc"]
    assert meta.feature_type == "metadata" and not meta.variables
    assert "Metadata-only" in meta.summary and "PALACE" in meta.title


@needs_shared
@pytest.mark.shared
def test_titles_platforms_and_licences_from_the_files(result):
    found = _by_path(result)
    drifter = found["dsg/trajectory/GL_201207_TS_DB_44761.nc"]
    assert drifter.title.startswith("GL_201207_TS_DB_44761.nc")  # its title is blank
    assert drifter.platform == "drifting buoy"
    sdn = found["dsg/timeseries/netCDF_timeseries_tidegauge.nc"]
    assert "FI35199810007" in sdn.title and "Generated by NEMO" not in sdn.title
    assert "Sea surface height" in {v.eov for v in sdn.variables}
    glider = found["dsg/trajectory/ru29-20140101T0942_glider.nc"]
    assert glider.platform == "Slocum Glider" and glider.institution == "Rutgers University"
    assert glider.license.startswith("This data may be redistributed")
    gebco = found["erddap/griddap/GEBCO_2020_subset.nc"]
    assert gebco.doi == "10.5285/a29c5465-b138-234d-e053-6c86abc040b9"
    assert gebco.time_coverage is None


@needs_shared
@pytest.mark.shared
def test_scan_write_load_round_trip_keeps_metadata(result, tmp_path):
    from portal.catalog.loader import load_catalog, write_catalog
    from portal.cataloging.validate import validate_file

    path = write_catalog(result.entries, tmp_path / "scanned.yaml", title="scan")
    loaded = load_catalog(path)
    assert sorted(loaded.entries) == sorted(e.id for e in result.entries)  # YAML sorts keys
    for entry in result.entries:
        back = loaded[entry.id]
        assert back.metadata() == entry.metadata()
        assert (back.source, back.arguments) == (entry.source, entry.arguments)
        assert (back.bbox, back.time_coverage, back.variables) == (
            entry.bbox, entry.time_coverage, entry.variables)
    assert validate_file(path) == []


@needs_shared
@pytest.mark.shared
def test_truncated_netcdf_files_are_skipped(tmp_path):
    source = (SHARED / "dsg/trajectory/GL_201207_TS_DB_44761.nc").read_bytes()
    (tmp_path / "cut_in_header.nc").write_bytes(source[:3000])
    (tmp_path / "cut_in_data.nc").write_bytes(source[:30000])
    skipped = dict(scan_folder(str(tmp_path)).skipped)
    assert "truncated" in skipped[str(tmp_path / "cut_in_header.nc")]
    assert "truncated or corrupt NetCDF-3" in skipped[str(tmp_path / "cut_in_data.nc")]


# ------------------------------------------------------------------- made-up small folders


def _write_nc(path: Path, with_coords: bool = True) -> None:
    import xarray as xr

    data = {"temperature": ("obs", np.linspace(10, 12, 5),
                            {"standard_name": "sea_water_temperature", "units": "degC"})}
    if with_coords:
        data["lat"] = ("obs", np.full(5, 45.0), {"standard_name": "latitude"})
        data["lon"] = ("obs", np.linspace(-5, -4, 5), {"standard_name": "longitude"})
    xr.Dataset(data, attrs={"title": "tiny", "featureType": "trajectory"}).to_netcdf(path)


def test_file_without_coordinates_is_skipped(tmp_path):
    _write_nc(tmp_path / "good.nc")
    _write_nc(tmp_path / "nocoords.nc", with_coords=False)
    (tmp_path / "empty.nc").write_bytes(b"")
    result = scan_folder(str(tmp_path))
    assert [e.id for e in result.entries] == ["good"]
    assert result.entries[0].bbox == pytest.approx((-5.0, 45.0, -4.0, 45.0))
    skipped = dict(result.skipped)
    assert "no usable latitude/longitude" in skipped[str(tmp_path / "nocoords.nc")]
    assert "empty file" in skipped[str(tmp_path / "empty.nc")]


def test_recursive_flag_and_hidden_files(tmp_path):
    _write_nc(tmp_path / "top.nc")
    (tmp_path / "sub").mkdir()
    _write_nc(tmp_path / "sub" / "deep.nc")
    _write_nc(tmp_path / ".hidden.nc")
    assert [e.id for e in scan_folder(str(tmp_path)).entries] == ["top", "sub_deep"]
    assert [e.id for e in scan_folder(str(tmp_path), recursive=False).entries] == ["top"]


def test_point_store_folder_is_one_dataset(tmp_path, monkeypatch):
    import portal.pointstore

    store = tmp_path / "argo_store"
    store.mkdir()
    (store / "_portal_store.json").write_text("{}")
    (store / "part-0.parquet").write_bytes(b"PAR1")
    info = {"n_points": 10, "metadata": {
        "title": "All floats", "featureType": "point", "bbox": [-10, 40, 0, 50],
        "variables": [{"name": "TEMP", "units": "degC", "dtype": "float32"}], "n_parts": 1}}
    monkeypatch.setattr(portal.pointstore, "store_info", lambda path: info, raising=False)
    result = scan_folder(str(tmp_path))
    assert result.skipped == []
    (entry,) = result.entries
    assert (entry.id, entry.source, entry.arguments) == (
        "argo_store", "pointstore", {"store": str(store)})
    assert entry.title == "All floats" and entry.bbox == (-10.0, 40.0, 0.0, 50.0)
    assert entry.variables[0].name == "TEMP" and "n_parts" not in entry.metadata()


ODV_TEXT = """//<Version>ODV Spreadsheet V4.0</Version>
Cruise\tStation\tType\tyyyy-mm-ddThh:mm\tLongitude [degrees_east]\tLatitude [degrees_north]\t\
Depth [m]\tTemperature [C]
C1\t1\tB\t1991-09-03T16:25\t28.3\t43.1\t0\t22.1
"""


def test_odv_is_recognised_and_skipped_while_reader_is_missing(tmp_path, monkeypatch):
    (tmp_path / "profile.txt").write_text(ODV_TEXT)
    (tmp_path / "notes.txt").write_text("just some notes\n")
    assert is_odv(str(tmp_path / "profile.txt"))
    monkeypatch.setitem(sys.modules, "portal.formats.odv", None)  # import now fails
    skipped = dict(scan_folder(str(tmp_path)).skipped)
    assert "ODV spreadsheet, but the ODV reader is not available" in skipped[
        str(tmp_path / "profile.txt")]
    assert "without ODV spreadsheet headers" in skipped[str(tmp_path / "notes.txt")]


def test_odv_with_semicolons_bom_and_typed_labels_is_recognised(tmp_path):
    path = tmp_path / "bio.txt"
    path.write_bytes("\ufeffCruise:METAVAR:TEXT:40;Site:METAVAR:TEXT:20;Station:METAVAR:TEXT:20;"
                     "Latitude [degrees_north]:METAVAR:DOUBLE;Longitude [degrees_east]:METAVAR:"
                     "DOUBLE;Depth [m]:PRIMARYVAR:DOUBLE\n".encode())
    assert is_odv(str(path))


def test_slugs_and_unique_ids():
    assert slug("argo/multiprofile/6901744_prof.nc") == "argo_multiprofile_6901744_prof"
    assert slug("13857_meta.nc") == "ds_13857_meta"
    assert slug("stores/My Store") == "stores_my_store"
    assert unique_id("a", {"a", "a_2"}) == "a_3"


def test_eov_mapping():
    assert eov_for("sea_water_temperature", surface=False) == "Subsurface temperature"
    assert eov_for("sea_surface_temperature") == "Sea surface temperature"
    assert eov_for("mass_concentration_of_chlorophyll_a_in_sea_water") == (
        "Phytoplankton biomass and diversity")
    assert eov_for("sea_surface_wave_significant_height") == "Sea state"
    assert eov_for("air_pressure_at_sea_level", "ATMS") == ""
    assert eov_for("", "DOXY") == "Oxygen"
    assert eov_for("", "NTRAYYDZ", "nitrate") == "Nutrients"


def test_run_scan_prints_writes_and_exits(tmp_path, capsys):
    (tmp_path / "data").mkdir()
    _write_nc(tmp_path / "data" / "good.nc")
    (tmp_path / "data" / "bad.nc").write_text("Error {\n  code=404;\n  message=\"Not Found\";\n}\n")
    out = tmp_path / "cat" / "scanned.yaml"
    code = scan.run_scan(argparse.Namespace(dir=str(tmp_path / "data"), output=str(out)))
    printed = capsys.readouterr().out
    assert code == 0 and out.exists()
    assert "dataset  good  [trajectory]" in printed
    assert "skipped  bad.nc [not-a-data-file]: not a NetCDF file" in printed and "ERDDAP error" in printed
    missing = argparse.Namespace(dir=str(tmp_path / "nope"), output=str(out))
    assert scan.run_scan(missing) == 2
    assert "not a folder" in capsys.readouterr().out


def test_describe_file_of_a_copied_real_file_uses_its_name(tmp_path):
    if not SHARED.is_dir():
        pytest.skip(f"real data folder {SHARED} is absent (user clone)")
    shutil.copy(SHARED / "argo/profiles/R13857_001.nc", tmp_path)
    entry = describe_file(str(tmp_path / "R13857_001.nc"))
    assert entry.id == "r13857_001" and entry.feature_type == "profile"
    assert entry.title == "Argo float 13857 — profile, cycle 1 (real-time)"
    assert entry.variables[0].name == "TEMP"
