"""Ingest of real files: counts, idempotence, bad files, atomic commits, appends."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from portal.pointstore import render_aggregate, store_info
from portal.pointstore.ingest import ingest, read_source
from portal.pointstore.store import open_store

FILES = ("argo/multiprofile/6901744_prof.nc", "dsg/profile/netCDF_vertical_profiles_ctd.nc",
         "erddap/tabledap/ArgoFloats_box_2004-01.nc")
CONFIG = {"row_group_size": 2048, "levels": 5}


def paths(root, names=FILES):
    return [str(root / n) for n in names]


def test_real_files_become_points(shared_data, tmp_path):
    files = paths(shared_data)
    expected = {f: read_source(f).rows for f in files}
    report = ingest(files, str(tmp_path / "s"), config=CONFIG)
    assert not report.failed and [n for _, n in report.ingested] == list(expected.values())
    info = store_info(str(tmp_path / "s"))
    assert info["n_points"] == sum(expected.values())
    assert {"TEMP", "PSAL", "DOXY"} <= set(info["variables"])
    assert info["metadata"]["featureType"] == "point"
    argo = read_source(files[0])
    assert set(argo.platform) == {"6901744"} and argo.columns["cycle"].min() >= 0
    assert np.nanmax(argo.columns["z"]) > 100  # pressure in dbar, positive down
    agg = render_aggregate(str(tmp_path / "s"), width=64, height=32)
    assert agg.values.sum() == pytest.approx(info["n_points"])


def test_second_ingest_is_a_no_op(shared_data, tmp_path):
    store = str(tmp_path / "s")
    ingest(paths(shared_data)[:2], store, config=CONFIG)
    before = open_store(store).manifest
    again = ingest(paths(shared_data)[:2], store)
    assert not again.ingested and len(again.skipped) == 2
    assert "already ingested" in again.skipped[0][1]
    assert open_store(store).manifest["generation"] == before["generation"]
    assert open_store(store).n_points == sum(p["rows"] for p in before["parts"])


def test_corrupt_file_is_reported_and_skipped(shared_data, tmp_path):
    bad = tmp_path / "broken_prof.nc"
    bad.write_bytes(b"CDF\x01" + b"\x00garbage" * 10)
    text = shared_data / "edge_cases" / "AG2005040_BadFile.nc"
    good = paths(shared_data)[0]
    report = ingest([str(bad), str(text), good], str(tmp_path / "s"), config=CONFIG)
    failed = dict(report.failed)
    assert set(failed) == {str(bad), str(text)}
    assert "broken_prof.nc" in failed[str(bad)] and "not a NetCDF" in failed[str(text)]
    assert open_store(str(tmp_path / "s")).n_points == read_source(good).rows


def test_failed_commit_leaves_nothing_visible(shared_data, tmp_path, monkeypatch):
    from portal.pointstore import writer

    store = str(tmp_path / "s")
    ingest(paths(shared_data)[:1], store, config=CONFIG)
    before = open_store(store)
    n_before, manifest = before.n_points, json.dumps(before.manifest)

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(writer, "commit", crash)
    with pytest.raises(OSError):
        ingest(paths(shared_data)[1:], store)
    assert open_store(store).n_points == n_before
    assert json.dumps(open_store(store).manifest) == manifest
    orphans = os.listdir(os.path.join(store, "parts"))
    assert len(orphans) == 2  # written, never referenced
    monkeypatch.undo()
    report = ingest(paths(shared_data)[1:], store)  # the retry commits and cleans up
    assert len(report.ingested) == 2
    assert len(os.listdir(os.path.join(store, "parts"))) == 2


def test_appends_keep_overviews_consistent(shared_data, tmp_path):
    store = str(tmp_path / "s")
    ingest(paths(shared_data)[:1], store, config=CONFIG)
    ingest(paths(shared_data)[1:], store)
    s = open_store(store)
    assert len(s.parts) == 2 and s.manifest["generation"] == 2
    ov = render_aggregate(store, width=64, height=32, how="count", variable="TEMP", qc="good")
    pts = render_aggregate(store, width=64, height=32, how="count", variable="TEMP", qc="good",
                           use_overviews=False)
    assert ov.attrs["source"] == "overview"
    assert ov.values.sum() == pytest.approx(pts.values.sum())


def test_bgc_and_single_profile_files(shared_data, tmp_path):
    names = ("argo/multiprofile/3902131_Sprof.nc", "argo/profiles/D4900590_097.nc",
             "erddap/tabledap/ArgoFloats-synthetic-BGC_box_doxy.nc")
    report = ingest(paths(shared_data, names), str(tmp_path / "s"), config=CONFIG)
    assert len(report.ingested) == 3 and not report.failed
    assert "DOXY" in open_store(str(tmp_path / "s")).params


def test_odv_when_the_reader_exists(shared_data, tmp_path):
    pytest.importorskip("portal.formats.odv", reason="ODV reader not installed yet")
    from portal.formats import odv

    if not hasattr(odv, "read_odv"):
        pytest.skip("portal.formats.odv has no read_odv")
    f = str(shared_data / "odv" / "odv4_export_BlackSea_2profiles.txt")
    report = ingest([f], str(tmp_path / "s"), config=CONFIG)
    assert report.ingested and report.ingested[0][1] > 0


def test_erddap_csv_without_position_is_refused(shared_data, tmp_path):
    f = str(shared_data / "erddap" / "tabledap" / "amelia-20180501T0000_glider_temperature.csvp")
    report = ingest([f], str(tmp_path / "s"), config=CONFIG)
    assert report.failed and "longitude" in report.failed[0][1]


def test_erddap_csv_rows(tmp_path):
    f = tmp_path / "tabledap.csv"
    f.write_text("platform_number,time,latitude,longitude,pres,temp,temp_qc\n"
                 ",UTC,degrees_north,degrees_east,decibar,degree_Celsius,\n"
                 "6902746,2020-01-01T00:00:00Z,45.1,-20.5,10.0,14.2,1\n"
                 "6902746,2020-01-01T00:00:00Z,45.1,-20.5,20.0,13.9,4\n")
    rows = read_source(str(f))
    assert rows.rows == 2 and rows.params == ["TEMP"]
    assert rows.columns["TEMP_qc"].tolist() == [1, 4] and rows.platform[0] == "6902746"
