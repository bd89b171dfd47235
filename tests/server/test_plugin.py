"""Plain ``panel serve`` with ``--plugins portal.server.plugin`` serves every portal route.

Starts the real ``panel serve`` command (the page and embed app files, ``--index app``)
on a loopback port with a one-dataset catalog and fetches each route: the page, the
embed, a PNG, the API, health, a static asset; the security headers and the ``Host``
check apply there as under ``odatis-portal serve``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from tests.server.conftest import REPO, free_port, http_get, small_catalog, stop, wait_up


def panel_serve(catalog, port: int, log, *extra: str, env: dict | None = None):
    """Start ``panel serve`` with the portal's apps and plugin; returns the process."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PORTAL_CATALOGS": str(catalog),
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
           **(env or {})}
    command = [sys.executable, "-m", "panel", "serve", "portal/server/app.py",
               "portal/server/embed.py", "--index", "app", "--plugins", "portal.server.plugin",
               "--port", str(port), "--address", "127.0.0.1",
               "--allow-websocket-origin", f"127.0.0.1:{port}", *extra]
    with open(log, "w") as out:
        # a process group of its own: stop() then ends --num-procs workers with it
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env,
                                cwd=str(REPO), start_new_session=True)


@pytest.fixture(scope="module")
def plugin_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plugin")
    catalog, port, log = small_catalog(folder), free_port(), folder / "panel.log"
    proc = panel_serve(catalog, port, log)
    try:
        wait_up(proc, port, log)
        yield port
    finally:
        stop(proc)


@pytest.mark.parametrize("path, content_type", [
    ("/", "text/html"), ("/embed?dataset=grid", "text/html"),
    ("/quicklook/grid/map.png?width=300&height=200", "image/png"),
    ("/api/datasets", "application/json"), ("/health", "application/json"),
    ("/assets/portal.css", "text/css"),
])
def test_every_route_answers_under_panel_serve(plugin_server, path, content_type):
    status, headers, body = http_get(plugin_server, path, timeout=120)
    assert status == 200, body[:300]
    assert headers["content-type"].startswith(content_type)
    assert headers["content-security-policy"] == "frame-ancestors 'self'"
    assert headers["x-content-type-options"] == "nosniff"
    if content_type == "image/png":
        assert body.startswith(b"\x89PNG")


def test_api_lists_the_catalog_under_panel_serve(plugin_server):
    body = json.loads(http_get(plugin_server, "/api/datasets")[2])
    assert [d["id"] for d in body["datasets"]] == ["grid"]
    assert body["datasets"][0]["quicklooks"]["map"].endswith("/quicklook/grid/map.png")


def test_foreign_host_is_refused_under_panel_serve(plugin_server):
    status, _, _ = http_get(plugin_server, "/health", headers={"Host": "evil.example:80"})
    assert status == 403


def test_unknown_module_components_route_is_shadowed(plugin_server):
    assert http_get(plugin_server, "/components/this/x.js")[0] == 404
    assert http_get(plugin_server, "/health")[0] == 200


def test_panel_serve_warms_the_catalog_in_each_process(tmp_path):
    """The plugin starts what ``odatis-portal serve`` starts in each process (heap trims,
    paced collections, then the catalog warm-up, whose log line says it ran)."""
    catalog, port, log = small_catalog(tmp_path), free_port(), tmp_path / "panel.log"
    proc = panel_serve(catalog, port, log, "--num-procs", "2")
    try:
        wait_up(proc, port, log)
        end = time.monotonic() + 90
        while log.read_text().count("catalog warmed up: grid") < 2 and time.monotonic() < end:
            time.sleep(0.5)
        assert log.read_text().count("catalog warmed up: grid") == 2, log.read_text()
        # each process froze its start-up heap out of the paced full collections
        assert log.read_text().count("start-up heap frozen") == 2, log.read_text()
    finally:
        stop(proc)


def test_panel_serve_prefix_reaches_links_and_routes(tmp_path):
    catalog, port, log = small_catalog(tmp_path), free_port(), tmp_path / "panel.log"
    public = "https://www.odatis-ocean.fr"
    proc = panel_serve(catalog, port, log, "--prefix", "/portail",
                       env={"PORTAL_PUBLIC_URL": public})
    try:
        wait_up(proc, port, log, health="/portail/health")
        grid = json.loads(http_get(port, "/portail/api/datasets")[2])["datasets"][0]
        assert grid["quicklooks"]["map"] == f"{public}/portail/quicklook/grid/map.png"
        assert grid["embed"] == f"{public}/portail/embed?dataset=grid"
        assert http_get(port, "/portail/assets/portal.css")[0] == 200
        page = http_get(port, "/portail/", timeout=120)[2].decode()
        assert "/portail/assets/odatis-logo.svg" in page
    finally:
        stop(proc)
