"""Sign-in and "which datasets may this request see", in one place for every route.

OpenID Connect sign-in is Panel's OAuth with the ``generic`` provider, configured from the
settings' ``login`` section (:class:`~portal.settings.LoginConfig`): :func:`check_login`
refuses to start a server without a client id and secret, cookie secret or a valid
encryption key, saying which is missing; :func:`panel_oauth_kwargs` gives ``pn.serve``
its arguments (``odatis-portal serve``) and :func:`configure_panel` sets the same on
``pn.config`` (``panel serve --plugins portal.server.plugin``). Sign-in is optional
(``oauth_optional``): anonymous visitors see the public datasets. Panel keeps the identity
token in its signed, encrypted ``id_token`` cookie; :func:`identity_from_cookies` reads it
back for the page and for the Tornado routes beside Panel (PNG, API, tiles, WMS,
downloads), which Panel's own authentication does not cover; a route also accepts
``Authorization: Bearer <personal API token>`` (:mod:`portal.server.tokens`).
:func:`catalog_for` is the one filter: the catalog as an identity sees it (a view per
role set, kept in the byte-bounded data cache), so an unknown and a forbidden dataset
both answer 404 with the same message and the search, facets and "did you mean" hints
only ever see allowed entries.
"""

from __future__ import annotations

import base64
import functools
import json
import logging
import weakref
from collections.abc import Callable, Mapping
from typing import Any

import tornado.web

from portal.access import ANONYMOUS, Identity, can_download, can_see, is_public
from portal.cache import data_cache
from portal.catalog.loader import Catalog
from portal.errors import ConfigError
from portal.model import DatasetEntry
from portal.settings import LoginConfig, Settings, current

log = logging.getLogger(__name__)

ID_COOKIE = "id_token"


# ------------------------------------------------------------------ configuration

@functools.lru_cache(maxsize=4)
def discover(issuer: str) -> dict[str, Any]:
    """The issuer's OpenID discovery document (fetched once per process)."""
    import urllib.request

    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:  # noqa: S310 - configured URL
            return dict(json.load(resp))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"login: cannot read the OpenID configuration at {url} ({exc})",
                          hint="check login.issuer, or give authorize_url, token_url "
                               "and userinfo_url") from None


def endpoints(login: LoginConfig) -> dict[str, str]:
    """AUTHORIZE_URL, TOKEN_URL, USER_URL (and LOGOUT_URL) as Panel names them."""
    found: Mapping[str, Any] = {}
    if not (login.authorize_url and login.token_url):
        found = discover(login.issuer)
    urls = {"AUTHORIZE_URL": login.authorize_url or found.get("authorization_endpoint", ""),
            "TOKEN_URL": login.token_url or found.get("token_endpoint", ""),
            "USER_URL": login.userinfo_url or found.get("userinfo_endpoint", ""),
            "LOGOUT_URL": login.logout_url or found.get("end_session_endpoint", "")}
    return {k: str(v) for k, v in urls.items() if v}


def _fernet_ok(key: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32
    except (ValueError, UnicodeEncodeError):
        return False


def check_login(settings: Settings) -> None:
    """Raise :class:`ConfigError` saying what is missing when sign-in is on but cannot be
    safe; nothing when it is off."""
    login = settings.login
    if not login.enabled:
        return
    missing = [name for name, value in (
        ("login.client_id (PORTAL_LOGIN_CLIENT_ID)", login.client_id),
        ("login.client_secret (PORTAL_LOGIN_CLIENT_SECRET)", login.client_secret),
        ("login.cookie_secret (PORTAL_COOKIE_SECRET)", login.cookie_secret),
        ("login.encryption_key (PORTAL_OAUTH_ENCRYPTION_KEY)", login.encryption_key))
        if not value.strip()]
    if missing:
        raise ConfigError("sign-in is configured but " + ", ".join(missing) + " is not set: "
                          "without them the session cookies could be forged or read",
                          hint="generate secrets with `panel oauth-secret` and set them")
    _fernet_class()  # the login extra is installed
    if not _fernet_ok(login.encryption_key):
        raise ConfigError("login.encryption_key is not 32 url-safe base64 bytes",
                          hint="generate one with `panel oauth-secret`")
    if len(login.cookie_secret) < 16:
        raise ConfigError("login.cookie_secret is shorter than 16 characters",
                          hint="generate one with `panel oauth-secret`")
    endpoints(login)  # the issuer must answer now, not at the first visitor's sign-in


def panel_oauth_kwargs(settings: Settings) -> dict[str, Any]:
    """``pn.serve`` arguments for sign-in ({} when it is off); call :func:`check_login`
    and :func:`configure_panel` first (``pn.serve`` takes no encryption key or expiry)."""
    login = settings.login
    if not login.enabled:
        return {}
    return {"oauth_provider": "generic", "oauth_key": login.client_id,
            "oauth_secret": login.client_secret, "cookie_secret": login.cookie_secret,
            "oauth_optional": True,
            "oauth_redirect_uri": settings.link("/login") if settings.public_url else None,
            "oauth_extra_params": {**endpoints(login), "USER_KEY": login.user_claim,
                                   "scope": list(login.scopes)}}


def _fernet_class() -> Any:
    """``cryptography``'s Fernet (the ``login`` extra): needed only when sign-in is on."""
    try:
        from cryptography.fernet import Fernet
    except ImportError as exc:
        raise ConfigError("sign-in is configured but the 'cryptography' package is missing",
                          hint="install the login extra: pip install 'odatis-portal[login]'"
                          ) from exc
    return Fernet


def configure_panel(settings: Settings) -> None:
    """Set sign-in on ``pn.config`` (and Panel's cookie cipher) before a server is built:
    all of it for ``panel serve`` (the plugin), expiry and key for ``pn.serve``."""
    import panel as pn
    from panel.io.state import state

    kwargs = panel_oauth_kwargs(settings)
    if not kwargs:
        return
    Fernet = _fernet_class()  # noqa: N806 - the class, imported only when sign-in is on
    key = settings.login.encryption_key.encode("ascii")
    values = {**kwargs, "oauth_expiry": settings.login.expiry_days, "oauth_encryption_key": key}
    for name, value in values.items():  # pn.config's properties are typed read-only
        if value is not None:
            setattr(pn.config, name, value)
    state.encryption = Fernet(key)


# ------------------------------------------------------------------ identities

def _b64json(segment: str) -> dict[str, Any]:
    data = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    value = json.loads(data.decode("utf-8"))
    return value if isinstance(value, dict) else {}


def token_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT (its payload; the signature was checked by the cookie's own
    signature and the back-channel it came through) or of Panel's base64 JSON."""
    parts = token.split(".")
    return _b64json(parts[1] if len(parts) == 3 else token)


def roles_of(claims: Mapping[str, Any], claim: str) -> frozenset[str]:
    """Roles from a claim holding a list or a text; a dotted name reaches into objects
    (``realm_access.roles`` for Keycloak)."""
    value: Any = claims
    for part in claim.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    if isinstance(value, str):
        return frozenset(v for v in value.replace(",", " ").split() if v)
    if isinstance(value, list | tuple):
        return frozenset(str(v) for v in value if str(v))
    return frozenset()


def identity_from_claims(claims: Mapping[str, Any], login: LoginConfig) -> Identity:
    user = claims.get(login.user_claim) or claims.get("sub") or ""
    return Identity(str(user), roles_of(claims, login.roles_claim)) if user else ANONYMOUS


def identity_from_cookies(cookie: Callable[[str], str | None], login: LoginConfig) -> Identity:
    """The signed-in identity of Panel's ``id_token`` cookie (``cookie(name)`` gives a
    raw cookie value), or anonymous when there is none or it does not verify."""
    raw = cookie(ID_COOKIE)
    if not login.enabled or not raw:
        return ANONYMOUS
    from cryptography.fernet import Fernet, InvalidToken  # sign-in on: checked at start-up

    signed = tornado.web.decode_signed_value(login.cookie_secret, ID_COOKIE, raw,
                                             max_age_days=login.expiry_days)
    if not signed:
        return ANONYMOUS
    try:
        token = Fernet(login.encryption_key.encode("ascii")).decrypt(signed).decode("utf-8")
        return identity_from_claims(token_claims(token), login)
    except (InvalidToken, ValueError, UnicodeDecodeError):
        return ANONYMOUS


def bearer(handler: tornado.web.RequestHandler) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, else None."""
    header = handler.request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def request_identity(handler: tornado.web.RequestHandler) -> Identity:
    """Who a Tornado request is: a personal API token, else the sign-in cookie. A Bearer
    token that is unknown or revoked is an error (401), not a silent anonymous."""
    settings = current()
    token = bearer(handler) if settings.login.enabled else None  # sign-in off: no tokens
    if token is not None:
        from portal.server.tokens import token_store

        found = token_store(settings).lookup(token)
        if found is None:
            raise tornado.web.HTTPError(401, "unknown or revoked API token")
        return found
    return identity_from_cookies(handler.get_cookie, settings.login)


def session_identity() -> Identity:
    """Who the current Panel session is (anonymous outside a session)."""
    import panel as pn

    if pn.state.curdoc is None or pn.state.curdoc.session_context is None:
        return ANONYMOUS
    cookies = pn.state.cookies or {}
    return identity_from_cookies(lambda name: cookies.get(name), current().login)


# ------------------------------------------------------------------ the one filter

def catalog_for(catalog: Catalog, identity: Identity) -> Catalog:
    """The catalog as ``identity`` sees it: the same object when every entry is visible,
    else a view of the visible entries (one per catalog version and role set, kept in the
    data cache so that its search index is built once)."""
    if all(can_see(e, identity) for e in catalog):
        return catalog
    key = ("catalog-view", id(catalog), identity.key)
    cache = data_cache()
    found = cache.get(key)
    if found is not None and found[0]() is catalog:
        return found[1]
    view = Catalog(entries={k: e for k, e in catalog.entries.items() if can_see(e, identity)},
                   title=catalog.title, files=catalog.files, skipped=list(catalog.skipped))
    cache.put(key, (weakref.ref(catalog), view), nbytes=300 * len(view) + 500)
    return view


def request_catalog(handler: tornado.web.RequestHandler) -> Catalog:
    """The server's catalog as this request's identity sees it."""
    from portal.server.context import catalog

    return catalog_for(catalog(), request_identity(handler))


def request_download(handler: tornado.web.RequestHandler, dataset_id: str) -> DatasetEntry:
    """The entry whose data this request may download; DatasetNotFound (404, as for an
    unknown id) when its identity may not."""
    from portal.errors import DatasetNotFound

    identity = request_identity(handler)
    entry = request_catalog_of(identity)[dataset_id]
    if not can_download(entry, identity):
        raise DatasetNotFound(f"unknown dataset id {dataset_id!r}",
                              hint="see /api/datasets for ids")
    return entry


def request_catalog_of(identity: Identity) -> Catalog:
    from portal.server.context import catalog

    return catalog_for(catalog(), identity)


def session_catalog() -> Catalog:
    """The server's catalog as the current Panel session's identity sees it."""
    from portal.server.context import catalog

    return catalog_for(catalog(), session_identity())


def private_cache(handler: tornado.web.RequestHandler, entry: DatasetEntry,
                  public_value: str) -> None:
    """``Cache-Control``: ``public_value`` for a public dataset; ``private, no-store`` for
    a restricted one, so that no shared cache hands it to someone else."""
    if is_public(entry):
        handler.set_header("Cache-Control", public_value)
    else:
        handler.set_header("Cache-Control", "private, no-store")
        handler.set_header("Vary", "Cookie, Authorization")


def all_public(catalog: Catalog) -> bool:
    """Whether every entry of ``catalog`` is public (an answer a shared cache may keep)."""
    return all(is_public(e) for e in catalog)
