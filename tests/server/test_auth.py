"""Sign-in configuration, cookie identities and the API-token store, without a server."""

from __future__ import annotations

import base64
import json

import pytest
import tornado.web

from portal.access import ANONYMOUS, Identity
from portal.errors import ConfigError
from portal.server.auth import check_login, identity_from_cookies, roles_of
from portal.server.tokens import TokenStore
from portal.settings import LoginConfig, Settings
from tests.login_fixtures import COOKIE_SECRET, ENCRYPTION_KEY

LOGIN = LoginConfig(issuer="http://idp", client_id="c", client_secret="s",
                    cookie_secret=COOKIE_SECRET, encryption_key=ENCRYPTION_KEY,
                    authorize_url="http://idp/a", token_url="http://idp/t")


@pytest.mark.parametrize("missing, named", [
    ("cookie_secret", "PORTAL_COOKIE_SECRET"), ("encryption_key", "PORTAL_OAUTH_ENCRYPTION_KEY"),
    ("client_secret", "PORTAL_LOGIN_CLIENT_SECRET"), ("client_id", "PORTAL_LOGIN_CLIENT_ID"),
])
def test_login_without_a_secret_refuses_and_says_which(missing, named):
    import dataclasses

    with pytest.raises(ConfigError, match=named):
        check_login(Settings(login=dataclasses.replace(LOGIN, **{missing: ""})))


def test_without_the_login_extra_only_sign_in_needs_it(monkeypatch):
    """``bash bootstrap.sh serve`` installs no extra: with sign-in off nothing imports
    ``cryptography``; with it on, start-up refuses and names the extra to install."""
    import sys

    from portal.server.auth import configure_panel

    monkeypatch.setitem(sys.modules, "cryptography", None)  # an import of it fails
    monkeypatch.setitem(sys.modules, "cryptography.fernet", None)
    configure_panel(Settings())  # sign-in off
    off = LoginConfig()
    assert identity_from_cookies({"id_token": "x"}.get, off) == ANONYMOUS
    with pytest.raises(ConfigError) as info:
        check_login(Settings(login=LOGIN))
    assert "cryptography" in str(info.value) and "odatis-portal[login]" in info.value.hint


def test_login_settings_from_file_and_environment(tmp_path):
    (tmp_path / "c.yaml").write_text("login: {issuer: http://idp, roles_claim: realm_access.roles}\n")
    settings = Settings.load({"PORTAL_COOKIE_SECRET": "x" * 20}, str(tmp_path / "c.yaml"))
    assert settings.login.enabled and settings.login.roles_claim == "realm_access.roles"
    assert settings.login.cookie_secret == "x" * 20
    assert not Settings.load({}).login.enabled
    check_login(Settings.load({}))  # off: nothing to check
    with pytest.raises(ConfigError, match="bad_key"):
        Settings.load({}, _write(tmp_path, "login: {bad_key: 1}\n"))


def _write(folder, text: str) -> str:
    path = folder / "bad.yaml"
    path.write_text(text)
    return str(path)


def test_roles_from_list_text_and_nested_claims():
    assert roles_of({"groups": ["a", "b"]}, "groups") == {"a", "b"}
    assert roles_of({"groups": "a, b c"}, "groups") == {"a", "b", "c"}
    assert roles_of({"realm_access": {"roles": ["x"]}}, "realm_access.roles") == {"x"}
    assert roles_of({}, "groups") == frozenset()


def _panel_cookie(claims: dict, secret: str = COOKIE_SECRET) -> str:
    from cryptography.fernet import Fernet

    def b64(d: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")

    jwt = f"{b64({'alg': 'RS256'})}.{b64(claims)}.sig"
    token = Fernet(ENCRYPTION_KEY.encode()).encrypt(jwt.encode())
    return tornado.web.create_signed_value(secret, "id_token", token).decode()


def test_identity_from_panels_signed_encrypted_cookie():
    cookie = _panel_cookie({"email": "alice", "groups": ["partners"]})
    who = identity_from_cookies({"id_token": cookie}.get, LOGIN)
    assert who == Identity("alice", frozenset({"partners"}))
    forged = _panel_cookie({"email": "eve", "groups": ["partners"]}, secret="not-ours" * 3)
    assert identity_from_cookies({"id_token": forged}.get, LOGIN) == ANONYMOUS
    assert identity_from_cookies({}.get, LOGIN) == ANONYMOUS


def test_tokens_are_hashed_bounded_and_revocable(tmp_path):
    store = TokenStore(str(tmp_path / "t.sqlite"), per_user=2)
    alice = Identity("alice", frozenset({"partners"}))
    ids = [store.create(alice, f"n{i}") for i in range(3)]
    assert (tmp_path / "t.sqlite").read_bytes().find(ids[-1][1].encode()) == -1  # hashed
    assert [t["id"] for t in store.tokens("alice")] == [ids[2][0], ids[1][0]]  # oldest gone
    assert store.lookup(ids[0][1]) is None
    assert store.lookup(ids[2][1]) == alice
    assert not store.revoke("bob", ids[2][0])  # only the owner revokes
    assert store.revoke("alice", ids[2][0]) and store.lookup(ids[2][1]) is None
    with pytest.raises(ValueError):
        store.create(ANONYMOUS)
