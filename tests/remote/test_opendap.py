"""OPeNDAP through a real DAP2 server on 127.0.0.1: values equal the files'.

The server is pydap's DapServer with the fixes of ``dap_server.py``; every read is
checked against the file itself, contiguous and strided, with both client engines.
"""

from __future__ import annotations

import os
import time
from urllib.parse import unquote

import numpy as np
import pytest

from portal.errors import SourceUnavailable
from portal.model import DatasetEntry, Query
from portal.processing.normalize import to_grid, to_observations
from portal.remote import http
from portal.remote.sizing import SelectionTooLarge
from portal.sources import open_dataset
from portal.sources.netcdf import open_netcdf_file

from .conftest import TIMEOUT
from .servers import SHARED, closed_port

pytestmark = pytest.mark.filterwarnings("ignore:PyDAP was unable:UserWarning")

SST = "gridded/MWsstd1day_modis_sst_westus.nc"
GEBCO = "erddap/griddap/GEBCO_2020_subset.nc"
SSTA = "gridded/AG2005040_2005040_ssta.nc"
TIDE = "dsg/timeseries/netCDF_timeseries_tidegauge.nc"


def local(rel: str):
    return open_netcdf_file(os.path.join(SHARED, rel))


def remote(server, rel: str, entry_id: str = "dap", **args) -> DatasetEntry:
    return DatasetEntry.from_metadata(entry_id, "opendap", {"url": f"{server.url}/{rel}", **args},
                                      {"title": rel})


def same(a, b) -> bool:
    return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)


@pytest.fixture
def spy(monkeypatch):
    """URLs the HTTP wrapper really sent upstream (cache hits excluded)."""
    sent: list[str] = []
    attempt = http._attempt

    def recording(url, *args, **kwargs):
        sent.append(url)
        return attempt(url, *args, **kwargs)

    monkeypatch.setattr(http, "_attempt", recording)
    return sent


@pytest.mark.parametrize("engine", ["netcdf4", "pydap"])
@pytest.mark.parametrize(("rel", "var", "index"), [
    (SST, "sst", np.s_[2:5, 0, 10:20, 10:30]),
    (SST, "sst", np.s_[0:10:3, 0, 5:60:7, ::4]),
    (GEBCO, "elevation", np.s_[::10, 3:900:17]),
    (SSTA, "AGssta", np.s_[0, 0, 45, 45]),
])
def test_server_reads_equal_the_file(dap_server, engine, rel, var, index):
    import xarray as xr

    url = f"{dap_server.url}/{rel}"
    raw = {"mask_and_scale": False, "decode_times": False}  # the values the server sends
    with xr.open_dataset(url, engine=engine, **raw) as ds, \
            xr.open_dataset(os.path.join(SHARED, rel), **raw) as nc:
        assert same(ds[var][index].values, nc[var][index].values)
        assert ds[var].attrs["_FillValue"] == nc[var].attrs["_FillValue"]


def test_float32_fills_are_masked_through_pydap(dap_server):
    ds = open_dataset(remote(dap_server, SSTA))
    assert same(ds["AGssta"].values, local(SSTA)["AGssta"].values)
    assert int(np.isnan(ds["AGssta"].values).sum()) == 91 * 91 - 591


def test_selection_equals_the_file(dap_server):
    query = Query(time=("2016-10-20", "2016-11-05"), bbox=(210.2, 30.1, 210.6, 30.5))
    ds = open_dataset(remote(dap_server, SST), query)
    expected = local(SST).sel(time=slice("2016-10-20", "2016-11-05T23:59"),
                              latitude=slice(30.1, 30.5), longitude=slice(210.2, 210.6))
    assert ds["sst"].shape == (17, 1, 33, 33)
    assert same(to_grid(ds).values, to_grid(expected).values)
    assert same(ds["time"].values, expected["time"].values)


def test_over_the_cap_asks_the_server_for_strides(dap_server, spy, monkeypatch):
    monkeypatch.setenv("PORTAL_OPENDAP_MAX_MB", "0.01")
    ds = open_dataset(remote(dap_server, SST), Query(time=("2016-10-20", "2016-10-20")))
    assert ds.attrs["portal_reduced"].endswith("latitude every 2, longitude every 2")
    values = ds["sst"].values
    expected = local(SST)["sst"].sel(time=slice("2016-10-20", "2016-10-20T23:59"))
    assert same(values, expected[:, :, ::2, ::2].values)
    data = [unquote(u) for u in spy if ".dods?sst" in u]
    assert data == [f"{dap_server.url}/{SST}.dods?sst[2:1:2][0:1:0][0:2:80][0:2:80]"]


def test_no_time_chosen_keeps_the_latest_field(dap_server, monkeypatch):
    monkeypatch.setenv("PORTAL_OPENDAP_MAX_MB", "0.05")
    ds = open_dataset(remote(dap_server, SST), Query())
    assert ds["sst"].shape == (1, 1, 81, 81)
    assert ds.attrs["portal_reduced"] == "about 1.57 MB selected, latest time only"
    assert same(ds["sst"].values, local(SST)["sst"][-1:].values)


def test_over_the_cap_refused_with_the_estimate(dap_server, monkeypatch):
    monkeypatch.setenv("PORTAL_OPENDAP_MAX_MB", "1")
    monkeypatch.setenv("PORTAL_OPENDAP_OVERSIZE", "refuse")
    with pytest.raises(SelectionTooLarge) as info:
        open_dataset(remote(dap_server, SST, "sst"), Query(time=("2016-10-18", "2016-12-17")))
    text = str(info.value)
    assert text.startswith("sst: sst in this selection is about 1.57 MB "
                           "(60 × 1 × 81 × 81 values), over the 1.05 MB limit")
    assert "shorter time range" in text


def test_netcdf4_engine_gives_the_same(dap_server):
    query = Query(bbox=(210.0, 30.0, 210.5, 30.5), time=("2016-11-01", "2016-11-03"))
    a = open_dataset(remote(dap_server, SST, engine="netcdf4"), query)
    b = open_dataset(remote(dap_server, SST), query)
    assert same(a["sst"].values, b["sst"].values)


def test_timeseries_observations_equal_the_file(dap_server):
    ds = open_dataset(remote(dap_server, TIDE))
    got, expected = to_observations(ds), to_observations(local(TIDE))
    assert got.sizes == expected.sizes and got.attrs["featureType"] == "timeSeries"
    for name in expected.variables:
        assert same(got[name].values, expected[name].values), name


def test_repeated_open_costs_no_upstream_request(dap_server, spy):
    query = Query(time=("2016-11-01", "2016-11-02"))
    first = open_dataset(remote(dap_server, SST), query)["sst"].values
    count = len(spy)
    second = open_dataset(remote(dap_server, SST), query)["sst"].values
    assert count > 0 and len(spy) == count
    assert same(first, second)


def test_dap_requests_get_the_timeouts(erddap):
    erddap.set_fault("hang_headers", paths=("/",))
    start = time.monotonic()
    with pytest.raises(SourceUnavailable) as info:
        open_dataset(remote(erddap, "x/dataset.nc", "hung"))
    assert time.monotonic() - start < TIMEOUT + 1
    assert "did not answer within 1 s" in str(info.value) and erddap.host in str(info.value)


def test_unreachable_dap_server():
    entry = DatasetEntry.from_metadata(
        "gone", "opendap", {"url": f"http://127.0.0.1:{closed_port()}/x.nc"}, {})
    with pytest.raises(SourceUnavailable, match="connection refused"):
        open_dataset(entry)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://host/x", "/etc/passwd",
                                 "http://user@host/x"])
def test_only_http_urls(url):
    entry = DatasetEntry.from_metadata("bad", "opendap", {"url": url}, {})
    with pytest.raises(SourceUnavailable, match="not an OPeNDAP http"):
        open_dataset(entry)


def test_non_grid_over_the_cap_is_refused(dap_server, monkeypatch):
    monkeypatch.setenv("PORTAL_OPENDAP_MAX_MB", "0.1")
    with pytest.raises(SelectionTooLarge, match=r"tide: this dataset is about 354 kB \(all its "
                       r"variables\), over the 105 kB limit"):
        open_dataset(remote(dap_server, TIDE, "tide"))
