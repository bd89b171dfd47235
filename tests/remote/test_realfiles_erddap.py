"""Issue 10: real ERDDAP metadata — sparse variables are data, impossible extents are
unknown, default time windows are rounded so that repeated views hit the caches."""

from __future__ import annotations

import json

from portal.cataloging.harvest import entry_from_info
from portal.remote.erddap_info import parse_info


def _info(variables: dict[str, dict], **globals_) -> dict:
    rows = [["attribute", "NC_GLOBAL", k, "double" if isinstance(v, float) else "String", str(v)]
            for k, v in globals_.items()]
    for name, attrs in variables.items():
        rows.append(["variable", name, "", attrs.pop("_type", "float"), ""])
        rows += [["attribute", name, k, "String", v] for k, v in attrs.items()]
    return {"table": {"rows": rows}}


SPARSE = {
    "time": {"_type": "double", "units": "seconds since 1970-01-01T00:00:00Z",
             "standard_name": "time"},
    "latitude": {"standard_name": "latitude", "units": "degrees_north"},
    "longitude": {"standard_name": "longitude", "units": "degrees_east"},
    "bbp470": {"long_name": "Particle backscattering at 470 nanometers"},
    "platform_number": {"_type": "int", "long_name": "Float unique identifier"},
    "cycle_number": {"_type": "int", "long_name": "Float cycle number"},
    "psal": {"ioos_category": "Salinity"},
    "temp": {"long_name": "Sea temperature in-situ ITS-90 scale", "ioos_category": "Temperature"},
}


def test_sparse_metadata_variables_are_data_core_first():
    info = parse_info("argo_ref", _info(json.loads(json.dumps(SPARSE))))
    assert info.data_variables() == ["temp", "psal", "bbp470"]


def test_harvest_keeps_sparse_variables_and_drops_impossible_extent():
    info = parse_info("argo_ref", _info(json.loads(json.dumps(SPARSE)), geospatial_lon_min=-999.999,
                                        geospatial_lon_max=10.0, geospatial_lat_min=-10.0,
                                        geospatial_lat_max=10.0))
    entry = entry_from_info("https://erddap.example.org/erddap", info)
    assert [v.name for v in entry.variables] == ["temp", "psal", "bbp470"]
    assert entry.bbox == (-180.0, -10.0, 10.0, 10.0)  # the impossible bound is unknown
    warnings = dict(entry.extra)["data_warnings"]
    assert "geospatial_lon_min = -999.999" in warnings[0]


def test_real_argo_info_has_an_impossible_latitude(shared):
    payload = json.loads((shared / "erddap" / "info" / "ArgoFloats_info.json").read_text())
    info = parse_info("ArgoFloats", payload)
    entry = entry_from_info("https://erddap.ifremer.fr/erddap", info)
    assert entry.variables[0].name == "temp"
    assert entry.bbox is not None and entry.bbox[1] == -90.0
    assert any("geospatial_lat_min = -99.999" in w for w in dict(entry.extra)["data_warnings"])


def test_default_time_window_is_rounded_to_the_hour(monkeypatch):
    import portal.sources.erddap as source
    from portal.model import DatasetEntry

    info = parse_info("x", _info({"time": {"_type": "double", "standard_name": "time",
                                           "units": "seconds since 1970-01-01T00:00:00Z",
                                           "actual_range": "0, 4e9"}}))
    info.variables["time"].attrs["actual_range"] = [0.0, 4e9]
    entry = DatasetEntry(id="x", source="erddap")
    windows = set()
    for now in (1_700_000_123.4, 1_700_001_999.9):
        monkeypatch.setattr(source._time, "time", lambda now=now: now)
        windows.add(source._time_window(entry, info, None))
    assert len(windows) == 1
    (start, end), = windows
    assert end.minute == end.second == end.microsecond == 0


def test_listing_404_hints_at_the_base_url(monkeypatch):
    import pytest

    from portal.cataloging.harvest import list_datasets
    from portal.remote import http
    from portal.remote.hosts import UpstreamError

    def not_found(url, *a, **k):
        raise UpstreamError("h has no such resource (HTTP 404)", host="h", kind="http",
                            status=404)

    monkeypatch.setattr(http, "fetch_json", not_found)
    with pytest.raises(UpstreamError, match="no ERDDAP dataset listing") as err:
        list_datasets("https://h.example.org/erddap")
    assert "base URL" in err.value.hint and "re-harvest" not in err.value.hint
