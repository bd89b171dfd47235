"""Hostile catalog metadata in the filters: shown as text, never run as HTML."""

from __future__ import annotations

from .conftest import ARTIFACTS, EVIL_FACET, shadow_text

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
