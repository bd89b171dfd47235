"""Data versions per source type, and caches that show new data when the version moves."""

from __future__ import annotations

import io
import json
import os
import time
from urllib.parse import unquote

import numpy as np
import pytest

from portal import cache as pc
from portal.model import DatasetEntry, Query
from portal.sources import versioning
from portal.sources.versioning import data_version, files_version, time_bucket

STYLE = (("cmap", "auto"), ("color_by", "auto"), ("height", 300), ("width", 400))


@pytest.fixture(autouse=True)
def _fresh_caches():
    pc.reset()
    yield
    pc.reset()


def ttl_setting(monkeypatch, ttl: float) -> None:
    """Make the settings' ``remote_ttl_s`` equal ``ttl`` (other cache settings: defaults)."""
    monkeypatch.setenv("PORTAL_REMOTE_TTL_S", str(ttl))


# -- local files ---------------------------------------------------------------------------


def test_files_version_follows_size_mtime_and_the_glob(tmp_path):
    a = tmp_path / "a.nc"
    a.write_bytes(b"one")
    pattern = str(tmp_path / "*.nc")
    first = files_version(pattern)
    assert files_version(pattern) == first  # stable while nothing changes
    stamp = os.stat(a).st_mtime_ns
    os.utime(a, ns=(stamp + 10**9, stamp + 10**9))
    touched = files_version(pattern)
    assert touched != first
    (tmp_path / "b.nc").write_bytes(b"two")
    assert files_version(pattern) not in (first, touched)
    entry = DatasetEntry.from_metadata("f", "netcdf", {"urlpath": pattern}, {})
    assert data_version(entry) == files_version(pattern)


def test_time_bucket_moves_with_the_ttl(monkeypatch):
    ttl_setting(monkeypatch, 600.0)
    assert time_bucket(now=1200.0) == time_bucket(now=1799.0) == 2
    assert time_bucket(now=1800.0) == 3
    opendap = DatasetEntry.from_metadata("o", "opendap", {"url": "http://x/dap"}, {})
    assert data_version(opendap) == f"t-{time_bucket()}"


# -- point store ---------------------------------------------------------------------------


def _append(path: str, cols) -> None:
    from portal.pointstore import store as st
    from portal.pointstore import writer

    with st.writer_lock(path):
        store = st.open_store(path)
        platforms = [f"69{i:05d}" for i in range(20)]
        part = writer.write_part(path, cols, ["TEMP", "PSAL"], platforms, store.config,
                                 sources=[{"name": "again", "sha256": "1" * 64,
                                           "ingested": "now"}])
        writer.commit(path, [part], {})


def test_reingested_store_shows_new_data(tmp_path):
    from portal.server.handlers import _render_cached
    from portal.sources import open_aggregator
    from tests.pointstore.conftest import build, make_columns

    path = build(tmp_path / "store", [make_columns(3_000, 1)])
    entry = DatasetEntry.from_metadata("pts", "pointstore", {"store": path}, {"title": "P"})
    first_version = data_version(entry)
    counts = open_aggregator(entry).aggregate(Query(), width=60, height=30)
    png = _render_cached(entry, "map", Query(), STYLE)
    assert _render_cached(entry, "map", Query(), STYLE) is png  # served from the PNG cache
    assert int(counts.sum()) == 3_000

    _append(path, make_columns(2_000, 2))
    assert data_version(entry) != first_version
    recount = open_aggregator(entry).aggregate(Query(), width=60, height=30)
    assert int(recount.sum()) == 5_000
    assert _render_cached(entry, "map", Query(), STYLE) != png


# -- ERDDAP --------------------------------------------------------------------------------


def _data_with_offset(offset: float) -> bytes:
    """The recorded ArgoFloats answer with ``offset`` added to ``temp``."""
    import xarray as xr

    from tests.remote.servers import read

    ds = xr.load_dataset(io.BytesIO(read("tabledap/ArgoFloats_box_2004-01.nc")))
    ds["temp"] = ds["temp"] + offset
    return ds.to_netcdf(format="NETCDF3_64BIT")


def _info_ending(end: str) -> bytes:
    """ArgoFloats' recorded /info with its time coverage ending at ``end``."""
    from tests.remote.servers import INFO, read

    payload = json.loads(read(INFO["ArgoFloats"]))
    seconds = np.datetime64(end.rstrip("Z"), "s").astype("int64")
    for row in payload["table"]["rows"]:
        if row[1] == "NC_GLOBAL" and row[2] == "time_coverage_end":
            row[4] = end
        if row[1] == "time" and row[2] == "actual_range":
            row[4] = f"8.7012158E8, {float(seconds)}"
    return json.dumps(payload).encode()


@pytest.fixture
def moving_erddap(monkeypatch, tmp_path):
    """An ERDDAP replay whose ArgoFloats info and data the test can move forward."""
    from portal.remote import http
    from tests.remote.servers import SHARED, ERDDAPReplay

    if not os.path.isdir(SHARED):
        pytest.skip("needs ../shared/data")

    class Moving(ERDDAPReplay):
        info = _info_ending("2004-01-31T00:00:00Z")
        data = _data_with_offset(0.0)

        def _info(self, parts):
            if parts == ["ArgoFloats", "index.json"]:
                return 200, "application/json", self.info
            return super()._info(parts)

        def answer(self, path, query):
            if path == "/erddap/tabledap/ArgoFloats.nc":
                return 200, "application/x-netcdf", self.data
            return super().answer(path, query)

    for key, value in {"PORTAL_CACHE_DIR": str(tmp_path / "http"), "PORTAL_CACHE_TTL_S": "3600",
                       "PORTAL_HTTP_TIMEOUT": "2,5", "PORTAL_HTTP_RETRIES": "0"}.items():
        monkeypatch.setenv(key, value)
    http.reset()
    with Moving() as server:
        yield server
    http.reset()


def test_erddap_new_coverage_end_gives_new_version_and_data(moving_erddap, monkeypatch):
    from portal.pipeline import load_view

    ttl_setting(monkeypatch, 0.5)  # answers trusted for half a second
    monkeypatch.setattr(versioning, "time_bucket", lambda now=None: 0)  # isolate the info
    entry = DatasetEntry.from_metadata(
        "argo-erddap", "erddap", {"server": moving_erddap.url, "dataset_id": "ArgoFloats",
                                  "protocol": "tabledap"},
        {"featureType": "profile", "variables": [{"name": "temp"}]})
    before = data_version(entry)
    first = load_view(entry, "map", Query(variable="temp")).data["temp"].values
    assert load_view(entry, "map", Query(variable="temp")).data["temp"].values is first
    requests = len(moving_erddap.data_requests())

    moving_erddap.info = _info_ending("2004-02-29T00:00:00Z")
    moving_erddap.data = _data_with_offset(5.0)
    time.sleep(0.6)  # the cached /info expires
    assert data_version(entry) != before
    second = load_view(entry, "map", Query(variable="temp")).data["temp"].values
    assert len(moving_erddap.data_requests()) == requests + 1
    assert "time<=1078012800.0" in unquote(moving_erddap.data_requests()[-1].query)
    np.testing.assert_allclose(second, first + 5.0, rtol=1e-6)
