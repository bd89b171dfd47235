"""Synthetic demo data: real layouts, realistic values, labelled synthetic, quicklook-ready."""

from __future__ import annotations

import os
from pathlib import Path

import netCDF4
import numpy as np
import pytest

from portal import demo
from portal.demo.argo import FLOATS

SCALE = 0.01  # small mooring / glider / 3 SST days: the full size is tested once below
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "data" / "demo"
    demo.ensure_demo(str(folder), scale=SCALE)
    return folder


def _open(folder: Path, name: str) -> netCDF4.Dataset:
    return netCDF4.Dataset(folder / name)


def test_all_files_are_written_and_labelled_synthetic(small):
    assert sorted(os.listdir(small)) == sorted([*demo.DEMO_FILES, demo.POINTS_DIR])
    assert os.path.isfile(os.path.join(small, demo.POINTS_DIR, "_portal_store.json"))
    for name in demo.DEMO_FILES:
        with _open(small, name) as nc:
            assert nc.title.startswith("[SYNTHETIC DEMO] "), name
            assert "SYNTHETIC" in nc.comment and "odatis-portal" in nc.comment
            assert nc.summary.startswith("SYNTHETIC")


def test_argo_files_follow_the_multiprofile_layout(small):
    from portal.processing.cf import char_to_str

    with _open(small, "9900001_prof.nc") as nc:
        assert nc.data_model == "NETCDF3_CLASSIC" and nc.Conventions == "Argo-3.1 CF-1.6"
        assert {"N_PROF", "N_LEVELS", "N_PARAM", "STRING8", "DATE_TIME"} <= set(nc.dimensions)
        for name in ("PRES", "TEMP", "PSAL"):
            for suffix in ("", "_QC", "_ADJUSTED", "_ADJUSTED_QC", "_ADJUSTED_ERROR"):
                assert nc[name + suffix].dimensions == ("N_PROF", "N_LEVELS")
        assert nc["JULD"].units == "days since 1950-01-01 00:00:00 UTC"
        nc.set_auto_mask(False)
        assert char_to_str(nc["DATA_TYPE"][:]) == "Argo profile"
        assert char_to_str(nc["PLATFORM_NUMBER"][0]) == "9900001"
        assert char_to_str(nc["PLATFORM_TYPE"][0]) == "ARVOR"
        assert char_to_str(nc["STATION_PARAMETERS"][0, 1]) == "TEMP"
        modes = nc["DATA_MODE"][:].tobytes().decode()
        assert set(modes) == {"D", "A", "R"} and modes.startswith("D") and modes.endswith("R")
        flags = nc["TEMP_QC"][:].tobytes().decode().replace(" ", "")
        temp, adj = nc["TEMP"][:], nc["TEMP_ADJUSTED"][:]
        assert (adj[modes.index("R")] == 99999.0).all()  # real-time rows: no adjusted values
    shares = {f: flags.count(f) / len(flags) for f in "1234"}
    assert shares["1"] > 0.9 and all(0 < shares[f] < 0.05 for f in "234")
    assert (temp[temp < 99999] > -2.5).all() and (temp[temp < 99999] < 40).all()


def test_argo_floats_drift_in_their_regions_with_plausible_water_masses(small):
    for spec in FLOATS:
        with _open(small, f"{spec.wmo}_prof.nc") as nc:
            lat, lon = nc["LATITUDE"][:], nc["LONGITUDE"][:]
            west, south, east, north = spec.box
            assert (south <= lat).all() and (lat <= north).all()
            assert (west <= lon).all() and (lon <= east).all()
            pres, temp, psal = (nc[v][:].filled(np.nan) for v in ("PRES", "TEMP", "PSAL"))
            good = nc["TEMP_QC"][:].filled(b" ") == b"1"
        deep = good & (pres > 1400)
        mow = good & (np.abs(pres - 1000) < 100)
        if spec.region == "med":
            assert np.nanmedian(temp[deep]) == pytest.approx(12.95, abs=0.2)
            assert np.nanmedian(psal[good & (pres > 300)]) > 38.4
        else:
            assert np.nanmedian(temp[deep]) < 7
            assert 34.9 < np.nanmedian(psal[good]) < 35.9
        if spec.region == "biscay":  # Mediterranean Outflow Water: salinity maximum at ~1000 m
            assert np.nanmedian(psal[mow]) > np.nanmedian(psal[good & (pres > 1600)]) + 0.3


def test_small_mooring_time_series(small):
    with _open(small, "mooring_biscay_1min.nc") as nc:
        assert nc.featureType == "timeSeries" and nc.data_model == "NETCDF4"
        assert len(nc.dimensions["TIME"]) == int(demo.MOORING_SAMPLES * SCALE)
        assert nc["TEMP"].dtype == np.float32 and nc["TEMP"].filters()["zlib"]
        assert nc["station"].cf_role == "timeseries_id"
        flags = nc["TEMP_QC"][:]
        temp = nc["TEMP"][:]
    assert demo.MOORING_SAMPLES >= 1_000_000
    assert (flags == 1).mean() > 0.9 and (flags == 4).sum() >= 3
    spikes = np.abs(temp[flags == 4] - np.ma.median(temp[flags == 1]))
    assert spikes.min() > 1.0  # flagged bad values are visibly bad


def test_sst_grid_has_land_masked_and_fronts(small):
    with _open(small, "sst_biscay_daily_0.1deg.nc") as nc:
        assert nc["sst"].standard_name == "sea_surface_temperature"
        assert nc["sst"].dimensions == ("time", "lat", "lon")
        assert len(nc.dimensions["time"]) == 3
        lat, lon = nc["lat"][:], nc["lon"][:]
        sst = nc["sst"][0].filled(np.nan)
    land = demo.land_mask(np.array([2.0, -5.0]), np.array([47.0, 45.5]))
    assert land.tolist() == [True, False]  # central France / Bay of Biscay
    i, j = np.abs(lat - 47.05).argmin(), np.abs(lon - 2.05).argmin()
    assert np.isnan(sst[i, j])
    assert 10 < np.nanmin(sst) and np.nanmax(sst) < 26
    assert np.nanmean(sst[lat < 44]) > np.nanmean(sst[lat > 52]) + 3  # north-south gradient
    assert 0.25 < np.isnan(sst).mean() < 0.6


def test_glider_yoyos_between_surface_and_1000_m(small):
    with _open(small, "glider_ligurian_section.nc") as nc:
        assert nc.featureType == "trajectory" and nc["trajectory"].cf_role == "trajectory_id"
        depth = nc["depth"][:]
        assert depth.min() < 5 and 950 < depth.max() <= 1001
        assert {"temperature_qc", "salinity_qc", "pressure", "lat", "lon", "time"} <= set(
            nc.variables)
        assert (nc["salinity_qc"][:] == 4).sum() > 0


def test_files_are_quicklook_ready(small):
    from portal.cataloging.scan import describe_file
    from portal.processing.normalize import to_grid, to_observations
    from portal.sources import open_dataset

    expected = {"demo_argo_biscay": "profile", "demo_argo_atlantic": "profile",
                "demo_argo_mediterranean": "profile", "demo_mooring_biscay": "timeSeries",
                "demo_sst_biscay": "grid", "demo_glider_ligurian": "trajectory"}
    for name, dataset_id in demo.DEMO_FILES.items():
        entry = describe_file(str(small / name), dataset_id)
        assert entry.feature_type == expected[dataset_id]
        assert entry.title.startswith("[SYNTHETIC DEMO]")
        assert entry.license == "CC0-1.0 (synthetic data)" and not entry.doi
        ds = open_dataset(entry)
        if entry.feature_type == "grid":
            grid = to_grid(ds)
            assert grid.dims == ("time", "latitude", "longitude") and grid.name == "sst"
            continue
        main = entry.variables[0]
        assert main.qc and main.eov
        obs = to_observations(ds, main.name)
        assert obs.sizes["obs"] > 0 and f"{main.name}_qc" in obs
        assert {"time", "latitude", "longitude"} <= set(obs.coords)
        assert int((obs[f"{main.name}_qc"] == 4).sum()) > 0


def test_existing_files_are_kept_and_writes_are_atomic(small, tmp_path, monkeypatch):
    before = {n: os.path.getmtime(small / n) for n in demo.DEMO_FILES}
    demo.ensure_demo(str(small), scale=SCALE)
    assert {n: os.path.getmtime(small / n) for n in demo.DEMO_FILES} == before

    def broken(path: str, scale: float = 1.0) -> None:
        Path(path).write_bytes(b"half a file")
        raise RuntimeError("disk full")

    monkeypatch.setattr(demo.files, "write_sst", broken)
    with pytest.raises(RuntimeError):
        demo.ensure_demo(str(tmp_path), scale=SCALE)
    assert not any("sst" in name or ".tmp" in name for name in os.listdir(tmp_path))


def test_build_demo_catalog_writes_relative_paths_and_real_metadata(small):
    from portal.catalog.loader import load_catalog
    from portal.cataloging.validate import validate_file

    catalog = small.parent.parent / "catalogs" / "demo.yaml"
    demo.build_demo_catalog(str(small), str(catalog))
    text = catalog.read_text()
    for name in demo.DEMO_FILES:
        assert f"urlpath: '{{CATALOG_DIR}}/../data/demo/{name}'" in text
    assert validate_file(catalog) == []
    loaded = load_catalog(catalog)
    assert sorted(loaded.entries) == sorted([*demo.DEMO_FILES.values(), demo.POINTS_ID])
    assert loaded[demo.POINTS_ID].source == "pointstore"
    mooring = loaded["demo_mooring_biscay"]
    assert mooring.variables[0].name == "TEMP" and mooring.platform == "mooring"
    assert mooring.bbox == (-3.05, 47.28, -3.05, 47.28)


def test_committed_catalog_matches_the_generator():
    from portal.catalog.loader import load_catalog

    assert demo.DEFAULT_CATALOG == str(REPO / "catalogs" / "demo.yaml")
    assert demo.DEFAULT_DATA_DIR == str(REPO / "data" / "demo")
    text = Path(demo.DEFAULT_CATALOG).read_text()
    assert sorted([*demo.DEMO_FILES.values(), demo.POINTS_ID]) == sorted(
        line.strip()[:-1] for line in text.splitlines() if line.startswith("  demo_"))
    if os.path.isdir(demo.DEFAULT_DATA_DIR):
        entries = load_catalog(demo.DEFAULT_CATALOG)
        assert all(e.title.startswith("[SYNTHETIC DEMO]") for e in entries)


def test_full_size_demo_catalog_from_scratch(tmp_path, monkeypatch):
    """ensure_demo_catalog at full size: the mooring holds more than 10⁶ samples."""
    from portal.formats.netcdf import open_netcdf_file
    from portal.processing.normalize import to_observations

    monkeypatch.setattr(demo.files, "DEFAULT_DATA_DIR", str(tmp_path / "data" / "demo"))
    monkeypatch.setattr(demo.files, "DEFAULT_CATALOG", str(tmp_path / "catalogs" / "demo.yaml"))
    assert demo.ensure_demo_catalog() == str(tmp_path / "catalogs" / "demo.yaml")
    assert (tmp_path / "catalogs" / "demo.yaml").read_text() == Path(
        REPO / "catalogs" / "demo.yaml").read_text()  # deterministic: same as committed
    mooring = open_netcdf_file(str(tmp_path / "data" / "demo" / "mooring_biscay_1min.nc"))
    obs = to_observations(mooring, "TEMP")
    assert obs.sizes["obs"] == demo.MOORING_SAMPLES >= 1_000_000
    assert (tmp_path / "data" / "demo" / "mooring_biscay_1min.nc").stat().st_size < 8_000_000
