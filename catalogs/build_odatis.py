"""Regenerate ``catalogs/odatis.yaml`` offline, from the recorded server answers.

Run ``.venv/bin/python catalogs/build_odatis.py`` (needs ../shared/data). The
Ifremer ERDDAP part is produced by the harvest command itself
(:func:`portal.catalog.harvest.run_from_erddap`) run against a loopback replay of
the recorded ``erddap.ifremer.fr/erddap/info/index.json`` listing and
``ArgoFloats`` info, then pointed back at https://erddap.ifremer.fr/erddap. The
other ERDDAP entries come from recorded ``/info`` answers or from the global
attributes of recorded data answers (coverage left out where only a subset was
recorded); the OPeNDAP entries are written by hand from their recorded DAS or
documented attributes. With network, re-harvest with
``odatis-portal catalog from-erddap https://erddap.ifremer.fr/erddap --dataset-id ...``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

IFREMER = "https://erddap.ifremer.fr/erddap"
IFREMER_IDS = [
    "ArgoFloats", "ArgoFloats-synthetic-BGC", "ArgoFloats-reference", "OS_DYFAMED_1994-2014_D_TSO2",
    "gosud", "OceanGlidersGDACTrajectories", "drifter_6hour_qc", "SDC_GLO_AGG_V2",
    "SDC_MED_AGG_V2", "SDC_NATL_AGG_V2", "SDC_MED_CLIM_TS_V2_m_whole_period",
    "SDC_NAT_CLIM_TS_V2_050_m", "OACP-Argo-Global", "gebco2021",
]
ARGO_LICENSE = ("Argo data are free and unrestricted (Argo data policy); cite "
                "doi:10.17882/42182 (Argo float data and metadata from GDAC)")
HAND = {  # metadata the recordings do not carry, known from the data centres
    "ifremer_ArgoFloats": {"license": ARGO_LICENSE, "doi": "10.17882/42182",
                           "platform_type": "Argo profiling float"},
    "ifremer_ArgoFloats_synthetic_BGC": {"license": ARGO_LICENSE, "doi": "10.17882/42182",
                                         "platform_type": "Argo profiling float"},
    "ifremer_ArgoFloats_reference": {"license": ARGO_LICENSE},
    "ifremer_gosud": {"platform_type": "research and opportunity vessels (thermosalinograph)",
                      "main": "SSTP"},
    "ifremer_OceanGlidersGDACTrajectories": {"platform_type": "ocean glider", "main": "TEMP"},
    "ifremer_drifter_6hour_qc": {"platform_type": "surface drifting buoy", "main": "sst"},
    "ifremer_OS_DYFAMED_1994_2014_D_TSO2": {"platform_type": "fixed point observatory",
                                             "featureType": "timeSeriesProfile"},
}
RECORDED = [  # (entry id, server, dataset id, recorded answer, is grid, subset only)
    ("ifremer_ArgoFloats_synthetic_BGC", IFREMER, "ArgoFloats-synthetic-BGC",
     "tabledap/ArgoFloats-synthetic-BGC_box_doxy.nc", False, True),
    ("coastwatch_erdMWsstd1day", "https://coastwatch.pfeg.noaa.gov/erddap", "erdMWsstd1day",
     "../gridded/MWsstd1day_modis_sst_westus.nc", True, True),
    ("coastwatch_GEBCO_2020", "https://coastwatch.pfeg.noaa.gov/erddap", "GEBCO_2020",
     "griddap/GEBCO_2020_subset.nc", True, True),
    ("coastwatch_pmelTao5dayIso", "https://coastwatch.pfeg.noaa.gov/erddap", "pmelTao5dayIso",
     "tabledap/pmelTao5dayIso_ncCF_timeseries.nc", False, True),
]
OPENDAP = [
    {
        "id": "apdrc_soda_2_2_4", "url": "http://apdrc.soest.hawaii.edu/dods/public_data/SODA/"
        "soda_pop2.2.4",
        "title": "SODA v2.2.4 monthly means",
        "summary": "Simple Ocean Data Assimilation ocean reanalysis v2.2.4, monthly means of "
                   "temperature, salinity, currents, wind stress and sea level, 0.5°, 40 levels.",
        "institution": "APDRC, SOEST, University of Hawaii (GrADS Data Server)",
        "featureType": "grid", "bbox": [0.25, -75.25, 359.75, 89.25],
        "time_coverage": ["1871-01-15T00:00:00Z", "2010-12-15T00:00:00Z"],
        "vertical_coverage": [5.01, 5375.0],
        "variables": [{"name": "temp", "long_name": "temperature", "units": "degC"},
                      {"name": "salt", "long_name": "salinity", "units": "psu"},
                      {"name": "ssh", "long_name": "sea level", "units": "m"},
                      {"name": "u", "long_name": "zonal velocity", "units": "m/s"},
                      {"name": "v", "long_name": "meridional velocity", "units": "m/s"}],
    },
    {
        "id": "psl_oisst_v2_highres_monthly", "url": "https://psl.noaa.gov/thredds/dodsC/Datasets/"
        "noaa.oisst.v2.highres/sst.mon.mean.nc",
        "title": "NOAA OI SST V2 High Resolution, monthly means (THREDDS OPeNDAP)",
        "summary": "NOAA 1/4° daily Optimum Interpolation Sea Surface Temperature (OISST) "
                   "analysis, monthly means, served by the NOAA PSL THREDDS server.",
        "institution": "NOAA Physical Sciences Laboratory", "featureType": "grid",
        "bbox": [0.125, -89.875, 359.875, 89.875],
        "variables": [{"name": "sst", "long_name": "Monthly Mean of Sea Surface Temperature",
                       "standard_name": "sea_surface_temperature", "units": "degC"}],
    },
]


def ifremer_entries(replay_url: str):
    """The harvest command on the recorded Ifremer listing, pointed back at the real server."""
    from portal.catalog.harvest import run_from_erddap
    from portal.catalog.loader import load_catalog
    from portal.catalog.model import DatasetEntry

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "ifremer.yaml")
        args = argparse.Namespace(url=replay_url, search=None, dataset_ids=None,
                                  prefix="ifremer_", title="", output=out)
        if run_from_erddap(args) != 0:
            raise SystemExit("harvest failed")
        entries = load_catalog(out)
    wanted = {f"ifremer_{i}".replace("-", "_"): i for i in IFREMER_IDS}
    result = []
    for entry in entries:
        if entry.id not in wanted:
            continue
        meta = entry.metadata()
        if "listing" in meta.get("source_format", ""):
            meta["source_format"] = (f"ERDDAP {entry.arguments['protocol']}, metadata from the "
                                     "server listing (no info recorded offline)")
        args = {**entry.arguments, "server": IFREMER}
        result.append(DatasetEntry.from_metadata(entry.id, "erddap", args, meta))
    return result


def recorded_info_entries():
    """Entries from recorded /info answers (upwell JSON, IOOS sensors CSV)."""
    from remote.servers import ERDDAP_DIR

    from portal.catalog.harvest import entry_from_info
    from portal.remote.erddap_info import parse_info

    with open(os.path.join(ERDDAP_DIR, "info", "erdCinpKfmBT_info.json")) as fh:
        kelp = parse_info("erdCinpKfmBT", json.load(fh))
    with open(os.path.join(ERDDAP_DIR, "info", "org_cormp_cap2_info.csv")) as fh:
        cap2 = parse_info("org_cormp_cap2", fh.read())
    return [entry_from_info("https://upwell.pfeg.noaa.gov/erddap", kelp, prefix="upwell_"),
            entry_from_info("https://standards.sensors.ioos.us/erddap", cap2, prefix="ioos_")]


def recorded_data_entries():
    """Entries from the global attributes of recorded data answers."""
    from remote.servers import synth_info

    from portal.catalog.harvest import entry_from_info
    from portal.catalog.model import DatasetEntry
    from portal.remote.erddap_info import parse_info

    out = []
    for entry_id, server, dataset_id, rel, grid, subset in RECORDED:
        info = parse_info(dataset_id, synth_info(rel, grid=grid))
        entry = entry_from_info(server, info)
        meta = entry.metadata()
        if subset:
            for key in ("bbox", "time_coverage", "vertical_coverage"):
                meta.pop(key, None)
            meta["source_format"] += "; metadata from a recorded subset answer, coverage unknown"
        out.append(DatasetEntry.from_metadata(entry_id, "erddap", entry.arguments, meta))
    return out


def with_hand_metadata(entry):
    """``entry`` with the HAND metadata (``main`` moves that variable first)."""
    from portal.catalog.model import DatasetEntry

    extra = dict(HAND.get(entry.id, {}))
    main = extra.pop("main", None)
    meta = {**entry.metadata(), **extra}
    if main:
        meta["variables"].sort(key=lambda v: v["name"] != main)
    return DatasetEntry.from_metadata(entry.id, entry.source, entry.arguments, meta)


def opendap_entries():
    from portal.catalog.model import DatasetEntry

    out = []
    for item in OPENDAP:
        meta = {k: v for k, v in item.items() if k not in ("id", "url")}
        out.append(DatasetEntry.from_metadata(item["id"], "opendap", {"url": item["url"]}, meta))
    return out


def main() -> None:
    from remote.servers import ERDDAPReplay

    from portal.catalog.loader import write_catalog

    os.environ.setdefault("PORTAL_CACHE_TTL_S", "0")
    with ERDDAPReplay() as replay:
        entries = ifremer_entries(replay.url)
    recorded = recorded_data_entries()
    replaced = {e.id for e in recorded}
    entries = [e for e in entries if e.id not in replaced] + recorded
    entries += recorded_info_entries() + opendap_entries()
    entries = [with_hand_metadata(e) for e in entries]
    path = write_catalog(entries, os.path.join(HERE, "odatis.yaml"),
                         title="ODATIS remote data: ERDDAP and OPeNDAP endpoints",
                         description="Public ERDDAP and THREDDS/OPeNDAP datasets for ODATIS "
                         "users; generated offline by catalogs/build_odatis.py")
    print(f"wrote {len(entries)} entries to {path}")


if __name__ == "__main__":
    main()
