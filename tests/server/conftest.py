"""A portal served on a loopback port for the HTTP-level tests of ``tests/server``.

``served_portal`` writes a one-dataset catalog (a small generated grid whose metadata
carry hostile text) and runs ``python -m portal serve`` from this checkout on a free
port; it yields the base URL and the log path. :func:`http_get` answers
``(status, headers, body)`` for any status, with optional extra request headers.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HOSTILE = '<img src=x onerror="window.__pwned=1">'


@dataclass
class Served:
    url: str
    port: int
    log: Path
    proc: subprocess.Popen


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(n: int) -> list[int]:
    """``n`` distinct free loopback ports (held together while chosen)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


def http_get(port: int, path: str, headers: dict | None = None, timeout: float = 60.0):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def small_catalog(folder: Path) -> Path:
    import numpy as np
    import xarray as xr

    from portal.catalog.loader import write_catalog
    from portal.cataloging.scan import describe_file

    grid = xr.Dataset(
        {"sst": (("latitude", "longitude"), np.random.default_rng(0).random((20, 30)),
                 {"units": "degC", "long_name": "Sea surface temperature"})},
        coords={"latitude": np.linspace(40, 50, 20), "longitude": np.linspace(-10, 0, 30)},
        attrs={"title": "Small grid", "institution": HOSTILE, "platform": HOSTILE})
    grid.to_netcdf(folder / "grid.nc")
    entry = describe_file(str(folder / "grid.nc"), "grid")
    return Path(write_catalog([entry], folder / "catalog.yaml", title="Server tests"))


def wait_up(proc: subprocess.Popen, port: int, log: Path, seconds: float = 180,
            health: str = "/health") -> None:
    deadline = time.monotonic() + seconds
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"portal exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if http_get(port, health, timeout=2)[0] == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"portal did not answer /health:\n{log.read_text()[-3000:]}")
        time.sleep(0.5)


def stop(proc: subprocess.Popen) -> None:
    """Terminate a server and the processes it forked (``--num-procs``), kill after 15 s.

    Servers started by :func:`serving` lead a process group of their own."""
    def signal_all(sig: int) -> None:
        try:
            if os.getpgid(proc.pid) == proc.pid:
                os.killpg(proc.pid, sig)
                return
        except ProcessLookupError:
            return
        proc.send_signal(sig)

    signal_all(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        signal_all(signal.SIGKILL)
        proc.wait()


@contextlib.contextmanager
def serving(catalog: Path, folder: Path, *extra: str, port: int | None = None,
            health: str = "/health"):
    """``python -m portal serve`` of ``catalog`` on a free loopback port (extra CLI args;
    ``health`` is the path polled until it answers, under a prefix if one is given)."""
    port = port or free_port()
    log = folder / f"server-{port}.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1",
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "portal", "serve", "--catalog", str(catalog), "--port",
             str(port), "--address", "127.0.0.1", *extra],
            stdout=out, stderr=subprocess.STDOUT, env=env, cwd=str(folder),
            start_new_session=True)  # a group: stop() reaches forked workers too
    try:
        wait_up(proc, port, log, health=health)
        yield Served(url=f"http://127.0.0.1:{port}", port=port, log=log, proc=proc)
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def served_portal(tmp_path_factory):
    folder = tmp_path_factory.mktemp("served")
    with serving(small_catalog(folder), folder) as served:
        yield served


def answering_pids(port: int) -> dict[int, float]:
    """PID -> RSS (MB) of the processes that answered ``/health``, asked from 4 threads at
    once (an idle worker would take every sequential request)."""
    seen: dict[int, float] = {}
    lock = threading.Lock()

    def ask() -> None:
        for _ in range(15):
            status, _, body = http_get(port, "/health")
            assert status == 200
            process = json.loads(body)["process"]
            with lock:
                seen[process["pid"]] = process["rss_mb"]

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return seen
