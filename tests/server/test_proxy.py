"""The portal behind a real reverse proxy under ``/portail`` (nginx on loopback).

Debian's nginx runs in the foreground with a temporary configuration that forwards
``/portail/`` (websocket upgrade included) to ``odatis-portal serve --prefix /portail
--public-url http://127.0.0.1:PROXYPORT``. Through the proxy: every URL of
``/api/datasets`` carries the public URL and prefix, a PNG is served, and headless
Chromium draws the page and an embed (screenshots under ``artifacts/browser/``). Plain
``panel serve --prefix`` with the plugin is checked too. Skipped where nginx is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.server.conftest import REPO, free_ports, http_get, serving, small_catalog, stop

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PREFIX = "/portail"
ARTIFACTS = REPO / "artifacts" / "browser"

NGINX_CONF = """daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log stderr;
events {{ worker_connections 256; }}
http {{
  access_log {tmp}/access.log;
  client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fcgi; uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
  server {{
    listen 127.0.0.1:{port};
    location {prefix}/ {{
      proxy_pass http://127.0.0.1:{upstream};
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_read_timeout 3600s;
    }}
  }}
}}
"""


def start_nginx(folder: Path, port: int, upstream: int) -> subprocess.Popen:
    conf = folder / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=folder, port=port, upstream=upstream, prefix=PREFIX))
    proc = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(folder)],
                            stdout=subprocess.DEVNULL, stderr=open(folder / "nginx.err", "w"))
    deadline = time.monotonic() + 20
    while True:
        try:
            http_get(port, "/", timeout=2)
            return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((folder / "nginx.err").read_text()) from None
            time.sleep(0.2)


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    """(proxy port, public URL) of a portal served under /portail behind nginx."""
    if not os.path.exists(NGINX):
        pytest.skip("nginx not installed (apt-get install nginx-light)")
    folder = tmp_path_factory.mktemp("proxy")
    port, proxy_port = free_ports(2)
    catalog = small_catalog(folder)
    public = f"http://127.0.0.1:{proxy_port}"
    with serving(catalog, folder, "--prefix", PREFIX, "--public-url", public, port=port,
                 health=f"{PREFIX}/health"):
        nginx = start_nginx(folder, proxy_port, port)
        try:
            yield proxy_port, public
        finally:
            stop(nginx)


def test_api_links_carry_public_url_and_prefix(proxied):
    proxy_port, public = proxied
    status, _, body = http_get(proxy_port, f"{PREFIX}/api/datasets",
                               headers={"Host": f"127.0.0.1:{proxy_port}"})
    assert status == 200
    grid = json.loads(body)["datasets"][0]
    assert grid["quicklooks"]["map"] == f"{public}{PREFIX}/quicklook/grid/map.png"
    assert grid["page"] == f"{public}{PREFIX}/?dataset=grid"
    assert grid["embed"] == f"{public}{PREFIX}/embed?dataset=grid"


def test_links_never_follow_the_host_header(proxied):
    proxy_port, public = proxied
    body = http_get(proxy_port, f"{PREFIX}/api/datasets",
                    headers={"Host": f"127.0.0.1:{proxy_port}",
                             "X-Forwarded-Host": "evil.example"})[2]
    assert b"evil.example" not in body and public.encode() in body


def test_png_through_the_proxy(proxied):
    proxy_port, _ = proxied
    status, headers, png = http_get(proxy_port, f"{PREFIX}/quicklook/grid/map.png?width=300"
                                    "&height=200", timeout=120)
    assert status == 200 and png.startswith(b"\x89PNG")
    assert headers["content-security-policy"].startswith("frame-ancestors")
    from tests.browser.conftest import distinct_colours

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "proxy-quicklook.png").write_bytes(png)
    assert distinct_colours(png) > 20  # a drawn map, not a blank image


def test_nothing_outside_the_prefix_is_proxied(proxied):
    status, _, body = http_get(proxied[0], "/health")  # nginx answers itself
    assert status in (403, 404) and b"datasets" not in body
