"""Requests an attacker can send: they neither stop the server nor reach other hosts' names."""

from __future__ import annotations

import pytest

from tests.server.conftest import http_get


@pytest.mark.parametrize("path", [
    "/components/portal.__main__/a/b/c",
    "/components/this/x/y/z",
    "/components/venv.__main__/x/y/z",
    "/components/bokeh.__main__/x/y/z",
    "/components/antigravity/x/y/z",
])
def test_components_route_imports_nothing(served_portal, path):
    status, _, _ = http_get(served_portal.port, path)
    assert status in (403, 404)
    assert served_portal.proc.poll() is None, "the server stopped"
    assert http_get(served_portal.port, "/health")[0] == 200
    log = served_portal.log.read_text()
    assert "The Zen of Python" not in log and "usage: odatis-portal" not in log


def test_panel_component_resources_still_served():
    from portal.server.security import component_module_allowed

    assert component_module_allowed("panel.widgets.select")  # imported by the test run
    assert not component_module_allowed("panel.__main__")
    assert not component_module_allowed("portal.cli")
    assert not component_module_allowed("panel.not_imported_module_xyz")


def test_foreign_host_is_refused_on_http_and_websocket(served_portal):
    port = served_portal.port
    assert http_get(port, "/api/datasets", {"Host": f"localhost:{port}"})[0] == 200
    status, _, body = http_get(port, "/api/datasets", {"Host": f"evil.example:{port}"})
    assert status == 403 and b"grid" not in body
    assert http_get(port, "/health", {"Host": f"10.1.2.3:{port}"})[0] == 200  # probes
    ws = {"Host": f"evil.example:{port}", "Origin": f"http://evil.example:{port}",
          "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
          "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    assert http_get(port, "/ws", ws)[0] == 403
    assert http_get(port, "/?dataset=grid", {"Host": f"evil.example:{port}"})[0] == 403


def test_an_unknown_path_is_not_found_and_a_foreign_host_still_refused(served_portal):
    """A path no route serves, asked by the portal's own name, is a 404 saying so (it
    used to fall through to the foreign-host 403, "this host name is not served here")."""
    port = served_portal.port
    status, _, body = http_get(port, "/png/grid", {"Host": f"localhost:{port}"})
    assert status == 404 and b"no such page" in body and b"host name" not in body
    status, _, body = http_get(port, "/png/grid", {"Host": f"evil.example:{port}"})
    assert status == 403 and b"host name is not served" in body


@pytest.mark.parametrize("path", ["/health", "/api/datasets", "/", "/no/such/page",
                                  "/quicklook/grid/map.png?width=200&height=150"])
def test_every_route_sends_nosniff_and_cache_control(served_portal, path):
    status, headers, _ = http_get(served_portal.port, path)
    assert headers.get("x-content-type-options") == "nosniff", (status, headers)
    assert headers.get("cache-control"), (status, headers)
    if status >= 400:
        assert headers["cache-control"] == "no-store"
