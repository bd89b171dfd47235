"""``/health``: catalog load state and upstream servers, answered without waiting on them."""

from __future__ import annotations

import socket
import time

import pytest

from portal.catalog.loader import write_catalog
from portal.model import DatasetEntry
from portal.server.health import ProbeCache, health_report
from tests.server.conftest import small_catalog
from tests.server.test_context import clear_holders


@pytest.fixture
def hung_server():
    """A TCP server that accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/erddap"
    sock.close()


def closed_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/erddap"


@pytest.fixture
def remote_catalog(tmp_path, monkeypatch, hung_server):
    from portal.remote import http

    grid = small_catalog(tmp_path)
    gone = closed_url()
    entries = [DatasetEntry.from_metadata(name, "erddap", {"server": url, "dataset_id": "X"},
                                          {"title": name})
               for name, url in (("hung", hung_server), ("gone", gone))]
    remote = write_catalog(entries, tmp_path / "remote.yaml", title="remote")
    monkeypatch.setenv("PORTAL_CATALOGS", f"{grid}:{remote}")
    monkeypatch.setenv("PORTAL_HTTP_TIMEOUT", "1,1")
    monkeypatch.setenv("PORTAL_HTTP_RETRIES", "0")
    clear_holders()
    http.reset()
    yield {"hung": hung_server.split("/")[2], "gone": gone.split("/")[2]}
    clear_holders()
    http.reset()


def test_health_answers_at_once_then_reports_servers(remote_catalog):
    start = time.monotonic()
    status, body = health_report()
    first = time.monotonic() - start
    assert status == 200 and body["datasets"] == 3
    assert first < 1.0, f"/health waited {first:.2f} s on the servers"
    assert body["servers_checked_at"] is None  # the first round runs in the background
    deadline = time.monotonic() + 10
    while body["servers_checked_at"] is None and time.monotonic() < deadline:
        time.sleep(0.2)
        t0 = time.monotonic()
        _, body = health_report()
        assert time.monotonic() - t0 < 0.5
    servers = body["servers"]
    assert servers[remote_catalog["gone"]]["reachable"] is False
    assert servers[remote_catalog["hung"]]["reachable"] is False
    assert servers[remote_catalog["gone"]]["datasets"] == 1
    assert body["status"] == "degraded"
    assert body["catalog"]["reload_error"] is None and len(body["catalog"]["files"]) == 2


def test_probe_rounds_are_cached_for_the_ttl():
    rounds = []

    class Counting(ProbeCache):
        def _round(self, entries):
            rounds.append(len(entries))
            with self._lock:
                self._results, self._checked_at, self._running = {}, time.time(), False

    cache = Counting(ttl_s=60)
    for _ in range(5):
        cache.snapshot([])
    time.sleep(0.2)
    assert rounds == [0]
    cache.ttl_s = 0
    time.sleep(0.01)
    cache.snapshot([])
    time.sleep(0.2)
    assert rounds == [0, 0]


def test_local_catalog_is_ok(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_CATALOGS", str(small_catalog(tmp_path)))
    clear_holders()
    try:
        status, body = health_report()
        assert (status, body["status"], body["datasets"], body["servers"]) == (200, "ok", 1, {})
        assert body["catalog"]["skipped"] == []
    finally:
        clear_holders()


def test_process_report_lists_each_cache_held_and_bound():
    import numpy as np

    from portal import cache as pc
    from portal.server.health import process_report

    pc.reset()
    try:
        pc.png_cache().put("k", b"x" * 3 * 2**20)
        pc.data_cache().put("d", np.zeros(2**18))  # 2 MiB
        report = process_report(None)
        assert report["caches"]["png"]["mb"] == pytest.approx(3.0, abs=0.1)
        assert report["caches"]["data"]["mb"] == pytest.approx(2.0, abs=0.1)
        assert report["caches"]["png"]["max_mb"] == pc.png_cache().max_bytes / 2**20
    finally:
        pc.reset()
