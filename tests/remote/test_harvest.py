"""Harvesting ERDDAP into catalogs, the shipped odatis.yaml, and server probes."""

from __future__ import annotations

import argparse
import json
import os
import threading
import time

import pytest

from portal.catalog.loader import load_catalog
from portal.cataloging.harvest import add_commands, find_doi, harvest_erddap, listing_details
from portal.cataloging.status import catalog_servers, known_status, probe_servers
from portal.model import DatasetEntry

from .conftest import TIMEOUT
from .servers import ERDDAP_DIR, ERDDAPReplay, closed_port

ODATIS = os.path.join(os.path.dirname(__file__), "..", "..", "catalogs", "odatis.yaml")


def cli(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers())
    return parser.parse_args(["from-erddap", *argv])


def test_harvest_recorded_listing(erddap):
    entries, problems = harvest_erddap(erddap.url)
    with open(os.path.join(ERDDAP_DIR, "listing", "erddap.ifremer.fr_info_index.json")) as fh:
        listed = [r[-1] for r in json.load(fh)["table"]["rows"]]
    assert [e.id for e in entries] == [i.replace("-", "_") for i in listed if i != "allDatasets"]
    assert len(problems) == len(entries) - 1  # only ArgoFloats has a recorded info
    assert erddap.max_active <= 2
    argo = next(e for e in entries if e.id == "ArgoFloats")
    assert argo.arguments == {"server": erddap.url, "dataset_id": "ArgoFloats",
                              "protocol": "tabledap"}
    assert argo.title == "Argo Float Measurements" and argo.institution == "Argo"
    assert argo.feature_type == "trajectoryProfile" and argo.license == "falsestandard]"
    assert argo.summary.startswith("Argo float vertical profiles from Coriolis")
    temp = argo.variable("temp")
    assert (temp.standard_name, temp.units, temp.qc) == ("sea_water_temperature",
                                                         "degree_Celsius", "temp_qc")
    assert argo.bbox == (-179.9998, -90.0, 180.0, 89.97058333333334)
    assert argo.time_coverage == ("1997-07-28T20:26:20Z", "2026-12-27T14:48:20Z")
    dyfamed = next(e for e in entries if e.id == "OS_DYFAMED_1994_2014_D_TSO2")
    assert dyfamed.arguments["protocol"] == "griddap" and dyfamed.feature_type == "profile"
    assert [v.name for v in dyfamed.variables] == ["TEMP", "PSAL", "DOXY"]
    assert dyfamed.variable("PSAL").units == "PSU"
    assert dyfamed.metadata()["source_format"].startswith(
        "ERDDAP griddap, metadata from the server listing (")
    assert argo.metadata()["source_format"] == "ERDDAP tabledap (TrajectoryProfile)"
    assert argo.metadata()["references"] == "https://argo.ucsd.edu/"


def test_cli_writes_a_loadable_catalog(erddap, tmp_path, capsys):
    out = tmp_path / "harvest.yaml"
    args = cli(erddap.url, "--dataset-id", "GEBCO_2020", "erdQMekm14day", "--prefix", "cw_",
               "-o", str(out))
    assert args.func(args) == 0
    assert "wrote 2 datasets" in capsys.readouterr().out
    cat = load_catalog(out)
    gebco = cat["cw_GEBCO_2020"]
    assert gebco.source == "erddap" and gebco.feature_type == "grid"
    assert gebco.doi == "10.5285/a29c5465-b138-234d-e053-6c86abc040b9"
    assert gebco.variable("elevation").units == "m"
    assert gebco.bbox == pytest.approx((81.0020833, -66.9979167, 123.0020833, -53.9979167))
    ekm = cat["cw_erdQMekm14day"]
    assert [v.name for v in ekm.variables] == ["mod_current", "u_current", "v_current"]
    assert ekm.time_coverage == ("2015-12-28T00:00:00Z", "2016-01-01T00:00:00Z")


def test_cli_search(erddap, tmp_path, capsys):
    args = cli(erddap.url, "--search", "size", "-o", str(tmp_path / "s.yaml"))
    assert args.func(args) == 0
    assert len(load_catalog(tmp_path / "s.yaml")) == 20
    args = cli(erddap.url, "--search", "nothing at all", "-o", str(tmp_path / "n.yaml"))
    assert args.func(args) == 1
    assert "no dataset matching 'nothing at all' found" in capsys.readouterr().err


def test_cli_server_down_fails_in_time(tmp_path, capsys):
    start = time.monotonic()
    args = cli(f"http://127.0.0.1:{closed_port()}/erddap", "-o", str(tmp_path / "x.yaml"))
    assert args.func(args) == 1
    assert time.monotonic() - start < TIMEOUT + 1
    assert "connection refused" in capsys.readouterr().err
    assert not (tmp_path / "x.yaml").exists()


def test_cli_refuses_non_erddap_urls(tmp_path, capsys):
    args = cli("file:///etc/passwd", "-o", str(tmp_path / "x.yaml"))
    assert args.func(args) == 1 and "not an ERDDAP base URL" in capsys.readouterr().err


def test_doi_and_listing_details():
    assert find_doi({"id": "https://doi.org/10.17882/42182"}) == "10.17882/42182"
    assert find_doi({"references": "DOI: 10.5285/a29c5465-b138."}) == "10.5285/a29c5465-b138"
    assert find_doi({"title": "10.1234/not-looked-at"}) == ""
    text, cdm, variables = listing_details(
        "Some data.\n\ncdm_data_type = Profile\nVARIABLES:\ntime (Time, seconds since 1970)\n"
        "TEMP (Sea temperature, degree_C)\nTEMP_QC\nPSAL (PSU)\nstation_id\n")
    assert (text, cdm) == ("Some data.", "Profile")
    assert variables == [{"name": "TEMP", "long_name": "Sea temperature", "units": "degree_C"},
                         {"name": "PSAL", "units": "PSU"}]


def test_odatis_catalog_lists_real_endpoints():
    cat = load_catalog(ODATIS)
    assert len(cat) >= 15
    servers = {e.arguments.get("server") or e.arguments.get("url") for e in cat}
    assert all(s.startswith(("https://", "http://")) and "127.0.0.1" not in s for s in servers)
    assert {"ifremer_ArgoFloats", "ifremer_ArgoFloats_synthetic_BGC",
            "ifremer_OS_DYFAMED_1994_2014_D_TSO2", "ifremer_gosud"} <= set(cat.entries)
    argo = cat["ifremer_ArgoFloats"]
    assert argo.arguments["server"] == "https://erddap.ifremer.fr/erddap"
    assert argo.doi == "10.17882/42182" and argo.variable("temp").standard_name
    for entry in cat:
        assert entry.source in ("erddap", "opendap") and entry.title and entry.variables
    hosts = catalog_servers(cat)
    assert {"erddap.ifremer.fr", "coastwatch.pfeg.noaa.gov", "psl.noaa.gov"} <= set(hosts)
    assert hosts["erddap.ifremer.fr"].probe_url == "https://erddap.ifremer.fr/erddap/version"


def test_probe_reports_each_server_within_the_timeout(erddap):
    erddap.set_fault("hang_headers", paths=("/erddap/",))
    entries = [DatasetEntry.from_metadata(name, "erddap", {"server": url, "dataset_id": "X"}, {})
               for name, url in (("hung", erddap.url),
                                 ("gone", f"http://127.0.0.1:{closed_port()}/erddap"))]
    with ERDDAPReplay() as good:
        entries.append(DatasetEntry.from_metadata("ok", "erddap",
                                                  {"server": good.url, "dataset_id": "X"}, {}))
        entries.append(DatasetEntry.from_metadata("dap", "opendap",
                                                  {"url": f"{good.url}/x.nc"}, {}))
        start = time.monotonic()
        status = probe_servers(entries)
        assert time.monotonic() - start < 2 * TIMEOUT + 1
    hung = status[erddap.host]
    assert hung.reachable is False and "did not answer" in hung.message
    gone = next(s for s in status.values() if s.datasets == ["gone"])
    assert gone.reachable is False and "connection refused" in gone.message
    assert status[good.host].reachable is True and status[good.host].datasets == ["ok", "dap"]
    known = known_status(entries)
    assert known[erddap.host].reachable is False


def test_probe_gives_up_on_a_stuck_probe(monkeypatch):
    from portal.cataloging import status as status_module

    release = threading.Event()
    monkeypatch.setattr(status_module, "_probe", lambda s: release.wait(5))
    entry = DatasetEntry.from_metadata("x", "erddap", {"server": "https://example.invalid/erddap",
                                                       "dataset_id": "X"}, {})
    start = time.monotonic()
    result = probe_servers([entry], timeout=0.3)
    release.set()
    assert time.monotonic() - start < 1.0
    assert result["example.invalid"].reachable is False
    assert result["example.invalid"].message == "no answer within 0.3 s"
