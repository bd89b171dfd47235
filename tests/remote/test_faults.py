"""Failing and slow servers: each fault gives a readable message within the timeout + 1 s.

The ERDDAP replay serves the recorded info of ArgoFloats normally and applies the
fault to the data request, so every message below is what a quicklook of the
dataset would show.
"""

from __future__ import annotations

import threading
import time

import pytest

from portal.errors import NoDataInSelection, SourceUnavailable
from portal.model import DatasetEntry, Query
from portal.remote import http
from portal.remote.hosts import UpstreamError
from portal.sources import open_dataset

from .conftest import TIMEOUT
from .servers import closed_port

QUERY = Query(variable="temp", time=("2004-01-01", "2004-01-31"), bbox=(-20.0, 0.0, -16.0, 1.0))
LIMIT = TIMEOUT + 1.0


def argo(server: str, entry_id: str = "argo") -> DatasetEntry:
    args = {"server": server, "dataset_id": "ArgoFloats", "protocol": "tabledap"}
    return DatasetEntry.from_metadata(entry_id, "erddap", args, {"title": "Argo"})


def timed_failure(entry: DatasetEntry, query: Query = QUERY) -> tuple[Exception, float]:
    start = time.monotonic()
    with pytest.raises(Exception) as info:
        open_dataset(entry, query)
    return info.value, time.monotonic() - start


CASES = [
    # fault, exception type, words the message must contain
    ("hang_headers", SourceUnavailable, ["did not answer within 1 s"]),
    ("hang_body", SourceUnavailable, ["did not answer within 1 s"]),
    ("truncated", SourceUnavailable, ["truncated"]),
    ("html500", SourceUnavailable, ["HTTP 500", 'Unrecognized variable="stuff"']),
    ("nomatch", NoDataInSelection, ["no data in this selection"]),
    ("413", SourceUnavailable, ["too large", "HTTP 413", "request less data"]),
    ("429", SourceUnavailable, ["HTTP 429", "try again in 1 s"]),
    ("503", SourceUnavailable, ["unavailable", "HTTP 503", "restarting"]),
    ("bad400", SourceUnavailable, ["HTTP 400", 'Unrecognized variable="bbbbb"']),
]


@pytest.mark.parametrize(("fault", "kind", "words"), CASES, ids=[c[0] for c in CASES])
def test_fault_gives_message_within_timeout(erddap, fault, kind, words):
    erddap.set_fault(fault, retry_after="1" if fault == "429" else None)
    error, elapsed = timed_failure(argo(erddap.url))
    assert isinstance(error, kind), repr(error)
    assert elapsed < LIMIT, f"{fault}: {elapsed:.2f} s"
    text = str(error)
    assert text.startswith("argo: ")
    for word in words:
        assert word in text, text
    if isinstance(error, UpstreamError):
        assert error.host == erddap.host and erddap.host in text


def test_connection_refused(tmp_path):
    entry = argo(f"http://127.0.0.1:{closed_port()}/erddap")
    error, elapsed = timed_failure(entry)
    assert isinstance(error, UpstreamError) and error.unreachable
    assert "connection refused" in str(error) and elapsed < LIMIT
    status = http.server_status()[error.host]
    assert status["reachable"] is False and "refused" in status["error"]


def test_429_retried_after_retry_after(erddap):
    erddap.set_fault("429", count=1, retry_after="1")
    ds = open_dataset(argo(erddap.url), QUERY)
    assert ds.sizes["row"] == 55
    first, second = erddap.data_requests()
    assert second.at - first.at >= 1.0  # Retry-After honoured


def test_long_retry_after_fails_fast(erddap):
    erddap.set_fault("429", retry_after="120")
    error, elapsed = timed_failure(argo(erddap.url))
    assert "try again in 120 s" in str(error) and elapsed < 0.5
    assert len(erddap.data_requests()) == 1


def test_503_retried_with_backoff_then_succeeds(erddap):
    erddap.set_fault("503", count=1)
    assert open_dataset(argo(erddap.url), QUERY).sizes["row"] == 55
    assert len(erddap.data_requests()) == 2


def test_at_most_two_requests_in_flight(erddap):
    erddap.set_fault("delay", delay=0.3)
    errors = []

    def get(i):
        try:
            http.fetch(f"{erddap.url}/tabledap/ArgoFloats.nc?n={i}")
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=get, args=(i,)) for i in range(8)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert not errors
    assert erddap.max_active == 2
    assert time.monotonic() - start >= 4 * 0.3 - 0.05  # 8 requests, 2 at a time


def test_queue_is_bounded_and_hanging_server_fails_everyone_in_time(erddap, monkeypatch):
    monkeypatch.setenv("PORTAL_QUEUE_MAX", "2")
    erddap.set_fault("hang_headers")
    results: dict[int, tuple[str, float]] = {}

    def get(i):
        start = time.monotonic()
        try:
            http.fetch(f"{erddap.url}/tabledap/ArgoFloats.nc?n={i}")
            results[i] = ("ok", time.monotonic() - start)
        except UpstreamError as exc:
            results[i] = (exc.kind, time.monotonic() - start)

    threads = [threading.Thread(target=get, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
        time.sleep(0.02)
    for t in threads:
        t.join(10)
    kinds = sorted(k for k, _ in results.values())
    assert kinds.count("busy") == 2  # queue full: refused at once
    assert kinds.count("timeout") == 2  # the two in flight
    assert kinds.count("down") == 2  # the two queued: the server is now known down
    assert all(t < LIMIT for _, t in results.values()), results
    assert erddap.max_active <= 2


def test_one_server_hanging_does_not_block_another(erddap, monkeypatch):
    from .servers import ERDDAPReplay

    monkeypatch.setenv("PORTAL_HTTP_TIMEOUT", "1,2.5")  # the hang lasts 2.5 s
    erddap.set_fault("hang_headers", paths=("/erddap/",))
    hanging = [threading.Thread(target=lambda: pytest.raises(SourceUnavailable, open_dataset,
                                                             argo(erddap.url), QUERY))
               for _ in range(4)]
    for t in hanging:
        t.start()
    with ERDDAPReplay() as other:
        ds = open_dataset(argo(other.url, "argo_mirror"), QUERY)
        assert ds.sizes["row"] == 55
        assert any(t.is_alive() for t in hanging)  # served while the other server hangs
    for t in hanging:
        t.join(10)
    status = http.server_status()
    assert status[erddap.host]["reachable"] is False
    assert "did not answer within 2.5 s" in status[erddap.host]["error"]
    assert status[other.host]["reachable"] is True


def test_down_server_is_not_asked_again(erddap):
    erddap.set_fault("hang_headers")
    for _ in range(2):
        timed_failure(argo(erddap.url))
    asked = len(erddap.data_requests())
    error, elapsed = timed_failure(argo(erddap.url))
    assert error.kind == "down" and elapsed < 0.3
    assert "unreachable" in str(error) and "other datasets are not affected" in str(error)
    assert len(erddap.data_requests()) == asked


def test_too_large_download_is_stopped(erddap, monkeypatch):
    monkeypatch.setenv("PORTAL_DOWNLOAD_MAX_MB", "0.01")
    error, _ = timed_failure(argo(erddap.url))
    assert isinstance(error, UpstreamError) and error.kind == "too_large"
    assert "larger than" in str(error) and "smaller area" in str(error)


def test_slow_drip_hits_the_total_deadline(erddap, monkeypatch):
    monkeypatch.setenv("PORTAL_HTTP_TOTAL_TIMEOUT", "0.5")
    erddap.set_fault("hang_body")
    error, elapsed = timed_failure(argo(erddap.url))
    assert isinstance(error, UpstreamError) and error.kind == "timeout"
    assert elapsed < LIMIT
