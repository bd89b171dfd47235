"""Personal API tokens: created by a signed-in user, shown once, stored hashed, revocable.

A token is ``odp_`` and 32 random url-safe bytes; the store (:class:`TokenStore`, one
SQLite file ``api-tokens.sqlite`` under the settings' state folder) keeps only its
SHA-256, the user, the roles the user held when creating it, a label and the creation
time — at most ``login.max_tokens_per_user`` per user (the oldest goes first) and
:data:`MAX_TOKENS` in all. ``Authorization: Bearer odp_…`` on the PNG, API, tile, WMS and
download routes then acts with those roles (:func:`portal.server.auth.request_identity`).
``/account/tokens`` (:class:`TokensHandler`) is the page: it lists the user's tokens,
creates one (shown once) and revokes one; its forms carry a token derived from the cookie
secret and the user, so another site cannot post them.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import html
import json
import os
import secrets
import sqlite3
import threading
import time
from typing import Any

import tornado.web

from portal.access import Identity
from portal.settings import Settings, current, login_links

PREFIX = "odp_"
MAX_TOKENS = 10_000
_SCHEMA = """CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY, hash TEXT UNIQUE NOT NULL, user TEXT NOT NULL, roles TEXT NOT NULL,
    label TEXT NOT NULL, created REAL NOT NULL)"""


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class TokenStore:
    """API tokens in one SQLite file (a connection per call: safe across threads and the
    processes of ``--num-procs``)."""

    def __init__(self, path: str, per_user: int = 10) -> None:
        self.path, self.per_user = path, max(1, per_user)
        self._lock = threading.Lock()
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        with self._db() as db:
            db.execute(_SCHEMA)

    def _db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def create(self, identity: Identity, label: str = "") -> tuple[str, str]:
        """(token id, the token itself — shown once, never stored)."""
        if identity.anonymous:
            raise ValueError("only a signed-in user can create a token")
        secret = PREFIX + secrets.token_urlsafe(32)
        ident = secrets.token_hex(6)
        roles = json.dumps(sorted(identity.roles))
        with self._lock, self._db() as db:
            db.execute("INSERT INTO tokens VALUES (?, ?, ?, ?, ?, ?)",
                       (ident, _digest(secret), identity.user, roles, label[:80], time.time()))
            db.execute("DELETE FROM tokens WHERE user = ? AND id NOT IN (SELECT id FROM tokens "
                       "WHERE user = ? ORDER BY created DESC LIMIT ?)",
                       (identity.user, identity.user, self.per_user))
            db.execute("DELETE FROM tokens WHERE id NOT IN (SELECT id FROM tokens "
                       "ORDER BY created DESC LIMIT ?)", (MAX_TOKENS,))
        return ident, secret

    def lookup(self, secret: str) -> Identity | None:
        """The identity a token acts as, or None when unknown or revoked."""
        if not secret.startswith(PREFIX) or len(secret) > 200:
            return None
        with self._db() as db:
            row = db.execute("SELECT user, roles FROM tokens WHERE hash = ?",
                             (_digest(secret),)).fetchone()
        return Identity(row[0], frozenset(json.loads(row[1]))) if row else None

    def tokens(self, user: str) -> list[dict[str, Any]]:
        """The user's tokens (id, label, roles, created), newest first — never secrets."""
        with self._db() as db:
            rows = db.execute("SELECT id, label, roles, created FROM tokens WHERE user = ? "
                              "ORDER BY created DESC", (user,)).fetchall()
        return [{"id": r[0], "label": r[1], "roles": json.loads(r[2]), "created": r[3]}
                for r in rows]

    def revoke(self, user: str, ident: str) -> bool:
        """Delete one of the user's tokens; False when the user has no such token."""
        with self._lock, self._db() as db:
            return db.execute("DELETE FROM tokens WHERE user = ? AND id = ?",
                              (user, ident)).rowcount > 0


def token_store(settings: Settings | None = None) -> TokenStore:
    """The store of the configured state folder (one object per path and process)."""
    settings = settings or current()
    return _store(os.path.join(settings.state_path, "api-tokens.sqlite"),
                  settings.login.max_tokens_per_user)


@functools.lru_cache(maxsize=4)
def _store(path: str, per_user: int) -> TokenStore:
    return TokenStore(path, per_user)


def form_token(settings: Settings, user: str) -> str:
    """The anti-forgery value of the token page's forms for ``user``."""
    key = settings.login.cookie_secret.encode("utf-8")
    return hmac.new(key, f"api-tokens:{user}".encode(), hashlib.sha256).hexdigest()


_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>API tokens</title><style>body{{font-family:system-ui,sans-serif;max-width:46em;
margin:2em auto}} code{{background:#eef;padding:.2em}} td,th{{padding:.2em .6em}}</style>
</head><body><h1>Personal API tokens</h1><p>Signed in as <b>{user}</b> (roles: {roles}).
<a href="{home}">Back to the portal</a></p>{fresh}
<form method="post"><input type="hidden" name="form" value="{form}">
<input name="label" placeholder="label (e.g. my script)" maxlength="80">
<button name="action" value="create">Create a token</button></form>
<table><tr><th>id</th><th>label</th><th>roles</th><th></th></tr>{rows}</table>
<p>Use a token as <code>Authorization: Bearer odp_…</code> on <code>/api</code>,
<code>/quicklook</code>, <code>/tiles</code>, <code>/wms</code> and <code>/download</code>.
</p></body></html>"""
_ROW = ("<tr><td>{id}</td><td>{label}</td><td>{roles}</td><td><form method='post'>"
        "<input type='hidden' name='form' value='{form}'><input type='hidden' name='id' "
        "value='{id}'><button name='action' value='revoke'>Revoke</button></form></td></tr>")


class TokensHandler(tornado.web.RequestHandler):
    """GET/POST /account/tokens — a signed-in user's tokens (cookie sign-in only)."""

    def _user(self) -> Identity | None:
        from portal.server.auth import identity_from_cookies

        settings = current()
        if not settings.login.enabled:
            raise tornado.web.HTTPError(404)
        who = identity_from_cookies(self.get_cookie, settings.login)
        if who.anonymous:
            self.redirect(login_links(settings, "/account/tokens")["login"])
            return None
        return who

    def get(self) -> None:
        who = self._user()
        if who is not None:
            self._page(who)

    def post(self) -> None:
        who = self._user()
        if who is None:
            return
        settings = current()
        if not hmac.compare_digest(self.get_body_argument("form", ""),
                                   form_token(settings, who.user)):
            raise tornado.web.HTTPError(403, "form from another site")
        store, action = token_store(settings), self.get_body_argument("action", "")
        if action == "create":
            _, secret = store.create(who, self.get_body_argument("label", ""))
            return self._page(who, secret)
        if action == "revoke":
            store.revoke(who.user, self.get_body_argument("id", ""))
        self._page(who)

    def _page(self, who: Identity, fresh: str = "") -> None:
        settings = current()
        form, esc = form_token(settings, who.user), html.escape
        rows = "".join(_ROW.format(id=esc(t["id"]), label=esc(t["label"]),
                                   roles=esc(", ".join(t["roles"])), form=form)
                       for t in token_store(settings).tokens(who.user))
        shown = (f"<p class='fresh'>Your new token (copy it now, it is not shown again): "
                 f"<code id='new-token'>{esc(fresh)}</code></p>") if fresh else ""
        self.set_header("Cache-Control", "no-store")
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(_PAGE.format(user=esc(who.user), roles=esc(", ".join(sorted(who.roles)))
                                 or "none", home=esc(settings.link("/")), fresh=shown,
                                 form=form, rows=rows))
