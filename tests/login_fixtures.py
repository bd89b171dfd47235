"""A real OpenID Connect provider and a portal that signs in through it, for the login tests.

The provider is ``oidc-provider-mock`` 0.3.4 (pip-installable, a real Authlib/Flask
authorization server run with uvicorn; chosen because it issues signed ID tokens with
arbitrary claims per predefined user and its consent form is one POST; 0.4 needs Python
3.12). :func:`oidc_provider` starts ``python -m oidc_provider_mock`` on a free loopback
port with two users: ``alice@example.org`` (``groups: [partners]``) and
``bob@example.org`` (``groups: [students]``). :func:`login_catalog` writes a catalog of
one generated grid under three ids: ``open_grid`` (public), ``partner_grid``
(``access: [partners]``) and ``graphs_grid`` (``access: {graphs: public, data:
[partners]}``). :func:`login_portal` serves it with sign-in configured from a settings
file. :func:`sign_in` runs the authorization-code flow over HTTP (no browser) and
returns the cookie jar of the signed-in session.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.server.conftest import Served, free_ports, serving, stop

ALICE, BOB = "alice@example.org", "bob@example.org"
USERS = {ALICE: ["partners"], BOB: ["students"]}
COOKIE_SECRET = "test-cookie-secret-0123456789abcdef"
ENCRYPTION_KEY = "Zm9yLXRlc3RzLW9ubHktMzItYnl0ZXMtbG9uZy1rZXk="  # 32 bytes, tests only
PARTNER_TITLE = "Embargoed partner cruise grid"
GRAPHS_TITLE = "Real-time partner grid, quicklooks public"


@dataclass
class LoginPortal:
    served: Served
    issuer: str
    folder: Path

    @property
    def url(self) -> str:
        return self.served.url

    @property
    def port(self) -> int:
        return self.served.port


@contextlib.contextmanager
def oidc_provider(port: int, folder: Path) -> Iterator[str]:
    """``python -m oidc_provider_mock`` on ``port``; yields its issuer URL."""
    claims = [json.dumps({"sub": user, "email": user, "groups": groups})
              for user, groups in USERS.items()]
    args = [a for c in claims for a in ("--user-claims", c)]
    log = folder / "oidc.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "oidc_provider_mock", "--port",
                                 str(port), "--host", "127.0.0.1", *args],
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    issuer = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(issuer + "/.well-known/openid-configuration", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"OIDC provider did not start:\n{log.read_text()}"
                                       ) from None
                time.sleep(0.3)
        yield issuer
    finally:
        stop(proc)


def login_catalog(folder: Path) -> Path:
    """A catalog of one small grid under a public, a restricted and a graphs-only id."""
    import numpy as np
    import xarray as xr

    from portal.catalog.loader import write_catalog
    from portal.cataloging.scan import describe_file
    from portal.model import DatasetEntry

    grid = xr.Dataset(
        {"sst": (("latitude", "longitude"), np.random.default_rng(0).random((20, 30)),
                 {"units": "degC", "long_name": "Sea surface temperature"})},
        coords={"latitude": np.linspace(40, 50, 20), "longitude": np.linspace(-10, 0, 30)},
        attrs={"title": "Open grid"})
    for name in ("open", "partner", "graphs"):  # a file each: libhdf5 crashed (trap stack
        grid.to_netcdf(folder / f"{name}.nc")  # segment) on one file opened by 3 entries at once
    base = describe_file(str(folder / "open.nc"), "open_grid")
    meta = base.metadata()
    entries = [base,
               DatasetEntry.from_metadata("partner_grid", base.source,
                                          {**base.arguments, "urlpath": str(folder / "partner.nc")},
                                          {**meta, "title": PARTNER_TITLE,
                                           "access": ["partners"]}),
               DatasetEntry.from_metadata("graphs_grid", base.source,
                                          {**base.arguments, "urlpath": str(folder / "graphs.nc")},
                                          {**meta, "title": GRAPHS_TITLE,
                                           "access": {"graphs": "public",
                                                      "data": ["partners"]}})]
    return Path(write_catalog(entries, folder / "catalog.yaml", title="Login tests"))


def login_config(folder: Path, issuer: str, top: dict | None = None, **login: str) -> Path:
    """A settings file with sign-in through ``issuer`` (``login`` fields over the test
    defaults, ``top`` settings beside them)."""
    import yaml

    section = {"issuer": issuer, "client_id": "odatis-portal", "client_secret": "s3cret",
               "cookie_secret": COOKIE_SECRET, "encryption_key": ENCRYPTION_KEY,
               "roles_claim": "groups", "user_claim": "email",
               "state_dir": str(folder / "state"), **login}
    path = folder / f"portal-{len(login)}.yaml"
    path.write_text(yaml.safe_dump({**(top or {}),
                                    "login": {k: v for k, v in section.items() if v}}))
    return path


@contextlib.contextmanager
def login_portal(folder: Path, embed_origins: tuple[str, ...] = ()) -> Iterator[LoginPortal]:
    """A provider and ``odatis-portal serve`` signing in through it (one of each)."""
    idp_port, port = free_ports(2)
    with oidc_provider(idp_port, folder) as issuer:
        config = login_config(folder, issuer, {"embed_origins": list(embed_origins)})
        with serving(login_catalog(folder), folder, "--config", str(config),
                     port=port) as served:
            yield LoginPortal(served, issuer, folder)


def opener(jar: http.cookiejar.CookieJar | None = None) -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(
        jar if jar is not None else http.cookiejar.CookieJar()))


def sign_in(base_url: str, user: str, next_path: str = "/health"
            ) -> http.cookiejar.CookieJar:
    """Sign ``user`` in through the provider's consent form; the session's cookies."""
    jar = http.cookiejar.CookieJar()
    browser = opener(jar)
    with browser.open(f"{base_url}/login?next={urllib.parse.quote(next_path)}",
                      timeout=60) as resp:  # redirected to the provider's form
        form_url = resp.geturl()
    assert "/oauth2/authorize" in form_url, form_url
    data = urllib.parse.urlencode({"sub": user}).encode()
    with browser.open(form_url, data=data, timeout=60) as resp:  # back to the portal
        assert resp.status == 200
        assert urllib.parse.urlsplit(resp.geturl()).path == next_path
    assert any(c.name == "id_token" for c in jar), [c.name for c in jar]
    return jar


def fetch(base_url: str, path: str, jar: http.cookiejar.CookieJar | None = None,
          headers: dict | None = None, data: bytes | None = None
          ) -> tuple[int, dict[str, str], bytes]:
    """(status, lower-case headers, body) of a request with the jar's cookies; no
    redirects followed."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    handlers: list = [NoRedirect()]
    if jar is not None:
        handlers.append(urllib.request.HTTPCookieProcessor(jar))
    request = urllib.request.Request(base_url + path, data=data, headers=headers or {})
    try:
        with urllib.request.build_opener(*handlers).open(request, timeout=120) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def env_without_login() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_LOGIN",
                                                                     "PORTAL_COOKIE"))}
