"""Hostile catalog metadata in the filters: shown as text, never run as HTML."""

from __future__ import annotations

import re
import urllib.parse

import pytest

from .conftest import ARTIFACTS, EVIL_FACET, PLOT_TIMEOUT_MS, shadow_text

INJECTED_JS = """() => {
    let found = 0;
    const walk = (root) => {
        for (const el of root.querySelectorAll('img')) if (el.getAttribute('src') === 'x') found++;
        for (const el of root.querySelectorAll('*')) if (el.shadowRoot) walk(el.shadowRoot);
    };
    walk(document);
    return found;
}"""


def test_hostile_facet_values_are_shown_as_text(page, portal):
    page.goto(f"{portal.url}/")
    page.get_by_text(f"{len(portal.ids)} datasets").wait_for()
    page.locator(".portal-filters button").click()
    inputs = page.locator(".choices input")
    inputs.first.wait_for()
    assert inputs.count() >= 3  # data type, platform, institution (EOV when present)
    option = page.get_by_role("option", name=f"{EVIL_FACET} (1)", exact=True)  # with its count
    for i in range(inputs.count()):  # open each facet's list until the hostile value shows
        inputs.nth(i).click()
        page.wait_for_timeout(300)
        assert page.evaluate("window.__pwned") is None
        if option.count() and option.first.is_visible():
            break
        page.keyboard.press("Escape")
    option.first.click()  # chosen: the selected item is drawn too
    page.get_by_text("1 datasets").or_(page.get_by_text("1 dataset")).first.wait_for()
    assert EVIL_FACET in shadow_text(page)
    page.screenshot(path=str(ARTIFACTS / "hostile_facets.png"))
    assert page.evaluate(INJECTED_JS) == 0
    assert page.evaluate("window.__pwned") is None


LINKS_JS = """() => {
    const found = [];
    const walk = (root) => {
        for (const el of root.querySelectorAll('a[href], img[src]'))
            found.push(el.getAttribute('href') || el.getAttribute('src'));
        for (const el of root.querySelectorAll('*')) if (el.shadowRoot) walk(el.shadowRoot);
    };
    walk(document);
    return found;
}"""


def test_dataset_parameter_is_shown_as_plain_text(page, portal):
    hostile = "[Log in](https://evil.example/login) ![x](https://evil.example/p.png)"
    requested = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(f"{portal.url}/embed?dataset={urllib.parse.quote(hostile)}")
    page.locator(".portal-error").first.wait_for()
    assert hostile in shadow_text(page)
    assert not [u for u in page.evaluate(LINKS_JS) if "evil.example" in u]
    assert not [u for u in requested if u.startswith("https://evil.example")]


@pytest.mark.parametrize("time", ["NaT/NaT", "2090-01-01/2091-01-01", "2020-12-01/2001-01-01",
                                  "not-a-date/2020"])
def test_any_time_in_the_link_gives_a_polite_page(page, portal, time):
    page.goto(f"{portal.url}/?dataset=modis_sst&time={urllib.parse.quote(time)}")
    page.get_by_role("button", name=re.compile(r"^SST, Aqua MODIS")).first.wait_for()
    page.locator(".portal-plot canvas, .portal-error").first.wait_for(timeout=PLOT_TIMEOUT_MS)
    text = shadow_text(page)
    assert "Traceback" not in text and "/work/" not in text and "site-packages" not in text
    assert page.errors == []
