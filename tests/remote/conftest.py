"""Fixtures of the remote tests: short timeouts, a private cache, loopback servers."""

from __future__ import annotations

import os

import pytest

from .servers import SHARED, DapProcess, ERDDAPReplay

TIMEOUT = 1.0  # connect and read timeouts of every remote test, seconds

needs_shared = pytest.mark.skipif(not os.path.isdir(SHARED), reason="needs ../shared/data")


@pytest.fixture(scope="session", autouse=True)
def _warm_imports():
    """Import the heavy libraries once, so timed tests measure the servers, not imports."""
    import erddapy.core.url  # noqa: F401
    import requests  # noqa: F401
    import xarray  # noqa: F401

    import portal.sources.erddap  # noqa: F401
    import portal.sources.netcdf  # noqa: F401
    import portal.sources.opendap  # noqa: F401


@pytest.fixture(autouse=True)
def remote_env(monkeypatch, tmp_path):
    """Quick timeouts and retries, a fresh cache folder, clean limits before and after."""
    from portal.remote import http

    settings = {
        "PORTAL_HTTP_TIMEOUT": f"{TIMEOUT},{TIMEOUT}",
        "PORTAL_HTTP_TOTAL_TIMEOUT": "20",
        "PORTAL_HTTP_RETRIES": "1",
        "PORTAL_HTTP_BACKOFF_S": "0.1",
        "PORTAL_HTTP_RETRY_MAX_WAIT_S": "5",
        "PORTAL_MAX_PER_HOST": "2",
        "PORTAL_QUEUE_MAX": "16",
        "PORTAL_QUEUE_WAIT_S": "10",
        "PORTAL_HOST_FAILURES": "2",
        "PORTAL_HOST_RETRY_S": "30",
        "PORTAL_CACHE_DIR": str(tmp_path / "http-cache"),
        "PORTAL_CACHE_TTL_S": "3600",
        "PORTAL_CACHE_SIZE_MB": "64",
        "PORTAL_CONTACT": "mailto:portal-test@example.org",
        "PORTAL_OPENDAP_MAX_MB": "200",
        "PORTAL_OPENDAP_OVERSIZE": "stride",
    }
    for key, value in settings.items():
        monkeypatch.setenv(key, value)
    http.reset()
    yield settings
    http.reset()


@pytest.fixture
def erddap():
    """A fresh ERDDAP replay server (no fault)."""
    if not os.path.isdir(SHARED):
        pytest.skip("needs ../shared/data")
    with ERDDAPReplay() as server:
        yield server


@pytest.fixture(scope="session")
def dap_server():
    """pydap's DapServer (fixed) serving ../shared/data, for the whole session."""
    if not os.path.isdir(SHARED):
        pytest.skip("needs ../shared/data")
    with DapProcess() as server:
        yield server
