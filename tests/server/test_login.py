"""Sign-in through a real OpenID Connect provider and per-dataset access on every route.

One provider (``oidc-provider-mock``) and one ``odatis-portal serve`` for the module
(:mod:`tests.login_fixtures`); three identities: alice (role ``partners``), bob (signed in,
no role) and an anonymous visitor. ``partner_grid`` is ``access: [partners]``,
``graphs_grid`` is ``{graphs: public, data: [partners]}``, ``open_grid`` is public. Every
route is asked by each identity, alice first, so that an answer she made the server cache
could be handed to the others if a cache key leaked.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.parse

import pytest

from tests.login_fixtures import (
    ALICE,
    BOB,
    fetch,
    login_config,
    login_portal,
    oidc_provider,
    sign_in,
)
from tests.server.conftest import REPO, free_ports

WHO = ("alice", "bob", "anonymous")
WMS = "/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST="
GETMAP = (WMS + "GetMap&LAYERS={}&STYLES=&CRS=CRS:84&BBOX=-10,40,0,50&WIDTH=200&HEIGHT=200"
          "&FORMAT=image/png")

#: route -> HTTP status for (alice, bob, anonymous)
ROUTES = {
    "/thumbnail/partner_grid.png?width=240&height=160": (200, 404, 404),  # list thumbnail
    "/thumbnail/graphs_grid.png": (200, 200, 200),
    "/quicklook/partner_grid/map.png": (200, 404, 404),
    "/quicklook/graphs_grid/map.png": (200, 200, 200),
    "/tiles/partner_grid/3/3/2.png": (200, 404, 404),
    "/api/datasets/partner_grid/citation": (200, 404, 404),
    "/download/partner_grid.csv": (200, 404, 404),
    "/download/partner_grid.nc": (200, 404, 404),
    "/download/graphs_grid.csv": (200, 404, 404),
    "/download/open_grid.csv": (200, 200, 200),
    GETMAP.format("partner_grid"): (200, 400, 400),  # WMS: LayerNotDefined, as any unknown layer
    GETMAP.format("open_grid"): (200, 200, 200),
    "/account/tokens": (200, 200, 302),
}


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    with login_portal(tmp_path_factory.mktemp("login")) as served:
        yield served


@pytest.fixture(scope="module")
def jars(portal):
    return {"alice": sign_in(portal.url, ALICE), "bob": sign_in(portal.url, BOB),
            "anonymous": None}


def ids(body: bytes) -> list[str]:
    return sorted(d["id"] for d in json.loads(body)["datasets"])


@pytest.mark.parametrize("path", list(ROUTES))
def test_route_answers_per_identity(portal, jars, path):
    statuses = tuple(fetch(portal.url, path, jars[who])[0] for who in WHO)
    assert statuses == ROUTES[path]


def test_restricted_answers_are_never_kept_by_shared_caches(portal, jars):
    _, head, _ = fetch(portal.url, "/quicklook/partner_grid/map.png", jars["alice"])
    assert head["cache-control"] == "private, no-store" and "Cookie" in head["vary"]
    _, head, _ = fetch(portal.url, "/quicklook/open_grid/map.png", None)
    assert head["cache-control"].startswith("public")
    _, head, _ = fetch(portal.url, "/thumbnail/partner_grid.png", jars["alice"])
    assert head["cache-control"] == "private, no-store" and "Cookie" in head["vary"]
    _, head, _ = fetch(portal.url, "/api/datasets", jars["alice"])
    assert head["cache-control"] == "private, no-store"


def test_not_found_says_the_same_for_restricted_and_unknown(portal, jars):
    restricted = fetch(portal.url, "/quicklook/partner_grid/map.png", jars["bob"])[2]
    unknown = fetch(portal.url, "/quicklook/partner_gri/map.png", jars["bob"])[2]
    assert b"partner_grid" not in unknown  # no "did you mean partner_grid?"
    assert restricted.replace(b"partner_grid", b"X") == unknown.replace(b"partner_gri", b"X")


def test_api_list_search_and_facets_per_identity(portal, jars):
    expect = {"alice": ["graphs_grid", "open_grid", "partner_grid"],
              "bob": ["graphs_grid", "open_grid"], "anonymous": ["graphs_grid", "open_grid"]}
    for who in WHO:
        status, _, body = fetch(portal.url, "/api/datasets", jars[who])
        assert status == 200 and ids(body) == expect[who]
        assert json.loads(body)["facets"]["source"] == {"netcdf": len(expect[who])}
        found = ids(fetch(portal.url, "/api/datasets?q=embargoed", jars[who])[2])
        assert found == (["partner_grid"] if who == "alice" else [])


def test_health_counts_public_datasets_only(portal, jars):
    for who in WHO:  # /health answers monitors without a session: the same for everyone
        status, _, body = fetch(portal.url, "/health", jars[who])
        assert status == 200 and json.loads(body)["datasets"] == 2


def test_wms_capabilities_list_only_visible_layers(portal, jars):
    for who in WHO:
        body = fetch(portal.url, WMS + "GetCapabilities", jars[who])[2].decode()
        assert ("<Name>partner_grid</Name>" in body) is (who == "alice")
        assert "<Name>graphs_grid</Name>" in body


def test_pages_and_embeds_answer_every_identity(portal, jars):
    """Their content comes over the websocket: tests/browser/test_login_page.py reads it."""
    for who in WHO:
        for path in ("/", "/?dataset=partner_grid", "/embed?dataset=partner_grid"):
            assert fetch(portal.url, path, jars[who])[0] == 200, (who, path)


def test_personal_api_token_end_to_end(portal, jars):
    page = fetch(portal.url, "/account/tokens", jars["alice"])[2].decode()
    form = re.search(r'name="form" value="([0-9a-f]+)"', page).group(1)
    post = urllib.parse.urlencode({"form": form, "action": "create", "label": "cron"}).encode()
    status, _, body = fetch(portal.url, "/account/tokens", jars["alice"], data=post)
    token = re.search(r"<code id='new-token'>(odp_[\w-]+)</code>", body.decode()).group(1)
    again = fetch(portal.url, "/account/tokens", jars["alice"])[2].decode()
    assert token not in again and "cron" in again  # shown once, listed after
    auth = {"Authorization": f"Bearer {token}"}
    assert ids(fetch(portal.url, "/api/datasets", headers=auth)[2]) == [
        "graphs_grid", "open_grid", "partner_grid"]
    for path in ("/quicklook/partner_grid/map.png", "/download/partner_grid.csv",
                 "/download/graphs_grid.csv", "/tiles/partner_grid/3/3/2.png"):
        assert fetch(portal.url, path, headers=auth)[0] == 200, path
    ident = re.search(r"name='id' value='([0-9a-f]+)'", again).group(1)
    revoke = urllib.parse.urlencode({"form": form, "action": "revoke", "id": ident}).encode()
    assert fetch(portal.url, "/account/tokens", jars["alice"], data=revoke)[0] == 200
    assert fetch(portal.url, "/api/datasets", headers=auth)[0] == 401
    assert fetch(portal.url, "/quicklook/open_grid/map.png", headers=auth)[0] == 401


def test_token_forms_from_another_site_are_refused(portal, jars):
    post = urllib.parse.urlencode({"form": "0" * 64, "action": "create"}).encode()
    assert fetch(portal.url, "/account/tokens", jars["alice"], data=post)[0] == 403
    bob_page = fetch(portal.url, "/account/tokens", jars["bob"])[2].decode()
    bob_form = re.search(r'name="form" value="([0-9a-f]+)"', bob_page).group(1)
    post = urllib.parse.urlencode({"form": bob_form, "action": "create"}).encode()
    assert fetch(portal.url, "/account/tokens", jars["alice"], data=post)[0] == 403


def test_login_redirects_to_the_provider_and_logout_signs_out(portal):
    status, head, _ = fetch(portal.url, "/login?next=/")
    assert status == 302 and head["location"].startswith(portal.issuer + "/oauth2/authorize")
    jar = sign_in(portal.url, ALICE)
    assert fetch(portal.url, "/logout", jar)[0] == 200
    assert ids(fetch(portal.url, "/api/datasets", jar)[2]) == ["graphs_grid", "open_grid"]


def test_serve_refuses_to_start_without_secrets(tmp_path):
    config = login_config(tmp_path, "http://127.0.0.1:9", cookie_secret="", encryption_key="")
    proc = subprocess.run([sys.executable, "-m", "portal", "serve", "--config", str(config),
                           "--port", "1"], capture_output=True, text=True, timeout=120,
                          cwd=str(tmp_path), env=_env())
    assert proc.returncode == 1
    assert "PORTAL_COOKIE_SECRET" in proc.stderr and "PORTAL_OAUTH_ENCRYPTION_KEY" in proc.stderr


def _env() -> dict:
    import os

    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO),
                                                         os.environ.get("PYTHONPATH", "")])}


def test_panel_serve_plugin_signs_in_from_the_settings(tmp_path):
    """Plain ``panel serve --plugins portal.server.plugin``: refused without secrets, and
    with them the plugin routes read the same sign-in cookie."""
    from tests.login_fixtures import login_catalog
    from tests.server.conftest import stop, wait_up
    from tests.server.test_plugin import panel_serve

    idp_port, port = free_ports(2)
    catalog = login_catalog(tmp_path)
    with oidc_provider(idp_port, tmp_path) as issuer:
        bad = login_config(tmp_path, issuer, encryption_key="")
        refused = panel_serve(catalog, port, tmp_path / "bad.log", env={"PORTAL_CONFIG": str(bad)})
        assert refused.wait(timeout=120) != 0
        assert "PORTAL_OAUTH_ENCRYPTION_KEY" in (tmp_path / "bad.log").read_text()
        good = login_config(tmp_path, issuer)
        proc = panel_serve(catalog, port, tmp_path / "panel.log",
                           env={"PORTAL_CONFIG": str(good)})
        try:
            wait_up(proc, port, tmp_path / "panel.log")
            url = f"http://127.0.0.1:{port}"
            assert ids(fetch(url, "/api/datasets")[2]) == ["graphs_grid", "open_grid"]
            jar = sign_in(url, ALICE)
            assert "partner_grid" in ids(fetch(url, "/api/datasets", jar)[2])
            assert fetch(url, "/quicklook/partner_grid/map.png", jar)[0] == 200
            assert fetch(url, "/quicklook/partner_grid/map.png")[0] == 404
        finally:
            stop(proc)
