"""Sign-in and restricted datasets in Chromium: the page, the embed and a same-site iframe.

One OpenID Connect provider and one portal for the module (:mod:`tests.login_fixtures`);
each identity signs in through the provider's own form in a fresh browser context. alice
(role ``partners``) sees ``partner_grid`` in the list and draws it in the page, the embed
and an iframe of another port of the same site; bob (signed in, no role) and an anonymous
visitor never see its title, and get "unknown dataset" (bob) or the sign-in prompt
(anonymous), whose link signs in and comes back to the dataset.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS, embedding_site, shadow_text, wait_for_plot
from tests.login_fixtures import ALICE, BOB, GRAPHS_TITLE, PARTNER_TITLE, login_portal
from tests.server.conftest import free_port

TEXT_TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def site_server():
    server = embedding_site(free_port())
    yield server
    server.shutdown()


@pytest.fixture(scope="module")
def site(site_server):
    """The embedding site's page of the restricted map: another port of 127.0.0.1 (same
    site, another origin)."""
    return f"http://127.0.0.1:{site_server.server_port}"


@pytest.fixture(scope="module")
def portal(tmp_path_factory, site, site_server, artifacts):
    with login_portal(tmp_path_factory.mktemp("login-browser"), (site,)) as served:
        site_server.RequestHandlerClass.portal_url = served.url
        yield served


def sign_in(page, user: str) -> None:
    """Through the provider's consent form: a button per predefined user."""
    page.locator(f"button[name='sub'][value='{user}']").click()


def wait_text(page, text: str) -> None:
    page.get_by_text(text).first.wait_for(state="visible", timeout=TEXT_TIMEOUT_MS)


def test_alice_signs_in_and_sees_the_restricted_dataset(page, portal, site):
    page.goto(f"{portal.url}/login?next=/")
    sign_in(page, ALICE)
    wait_text(page, PARTNER_TITLE)  # in the dataset list
    wait_text(page, ALICE)  # her name in the header
    assert page.get_by_text("Sign out").count() >= 1
    page.goto(f"{portal.url}/?dataset=partner_grid")
    wait_for_plot(page, "login_alice_page")
    page.screenshot(path=str(ARTIFACTS / "login_alice_page_full.png"))
    page.goto(f"{portal.url}/embed?dataset=partner_grid&kind=map")
    wait_for_plot(page, "login_alice_embed")
    page.goto(f"{site}/frame?dataset=partner_grid&kind=map")  # same site, other origin: the cookie goes with the iframe
    wait_for_plot(page.frame_locator("#quicklook"), "login_alice_iframe")
    page.screenshot(path=str(ARTIFACTS / "login_alice_iframe_full.png"))
    assert page.errors == []


def test_bob_without_the_role_never_sees_it(page, portal):
    page.goto(f"{portal.url}/login?next=/")
    sign_in(page, BOB)
    wait_text(page, GRAPHS_TITLE)
    wait_text(page, BOB)
    assert PARTNER_TITLE not in shadow_text(page)
    page.goto(f"{portal.url}/?dataset=partner_grid")
    wait_text(page, GRAPHS_TITLE)  # the list is there, the dataset is not
    assert PARTNER_TITLE not in shadow_text(page)
    assert page.locator(".portal-plot canvas").count() == 0
    page.goto(f"{portal.url}/embed?dataset=partner_grid")
    wait_text(page, "unknown dataset id")
    page.screenshot(path=str(ARTIFACTS / "login_bob_embed.png"))
    assert PARTNER_TITLE not in shadow_text(page)


def test_anonymous_gets_the_prompt_and_signs_in_back_to_the_dataset(page, portal, site):
    page.goto(f"{portal.url}/")
    wait_text(page, GRAPHS_TITLE)
    assert PARTNER_TITLE not in shadow_text(page)
    assert page.get_by_text("Sign in").count() >= 1
    page.goto(f"{site}/frame?dataset=partner_grid&kind=map")  # the iframe: a prompt, no plot
    frame = page.frame_locator("#quicklook")
    frame.get_by_text("you must sign in").first.wait_for(timeout=TEXT_TIMEOUT_MS)
    page.screenshot(path=str(ARTIFACTS / "login_anonymous_iframe.png"))
    page.goto(f"{portal.url}/?dataset=partner_grid")
    wait_text(page, "you must sign in")
    page.screenshot(path=str(ARTIFACTS / "login_anonymous_page.png"))
    page.locator(".portal-sign-in-prompt a.portal-sign-in").first.click()
    sign_in(page, ALICE)
    page.wait_for_url("**/?dataset=partner_grid", timeout=TEXT_TIMEOUT_MS)
    wait_for_plot(page, "login_anonymous_then_alice")
