"""The page's server-rendered first paint in Chromium: drawn before BokehJS runs, its map
boxes open datasets (the smallest under the pointer), gone once Panel has drawn the page;
a shared link shows its PNG first, then the interactive plot."""

from __future__ import annotations

import pytest

from tests.browser.conftest import EVIL_TITLE, wait_for_plot

# Records, from the page's start, what had happened when the browser first painted content,
# and when the first paint's images were drawn (Element Timing).
PAINT_LOG_JS = """window.__paint = {};
new PerformanceObserver(function (list) {
  for (const e of list.getEntries()) {
    if (e.name === 'first-contentful-paint') {
      window.__paint.fcp = {at: e.startTime, bokeh: typeof window.Bokeh,
                            block: !!document.getElementById('portal-prepaint')};
    }
  }
}).observe({type: 'paint', buffered: true});
new PerformanceObserver(function (list) {
  for (const e of list.getEntries()) {
    if (!(e.identifier in window.__paint)) { window.__paint[e.identifier] = e.renderTime; }
  }
}).observe({type: 'element', buffered: true});"""


@pytest.fixture
def static_page(browser):
    """A page with JavaScript off: what the server's HTML alone shows."""
    context = browser.new_context(viewport={"width": 1366, "height": 768},
                                  java_script_enabled=False)
    yield context.new_page()
    context.close()


def test_first_paint_precedes_bokeh_and_goes_when_panel_has_drawn(page, portal, artifacts):
    page.add_init_script(PAINT_LOG_JS)
    page.goto(f"{portal.url}/", wait_until="commit")
    page.wait_for_function("() => window.__paint && window.__paint.fcp")
    fcp = page.evaluate("window.__paint.fcp")
    assert fcp["block"] and fcp["bokeh"] == "undefined", fcp  # painted before any BokehJS
    page.locator("#portal-prepaint").wait_for(state="detached", timeout=120_000)
    page.locator(".portal-overview canvas").first.wait_for(state="visible")
    page.locator(".portal-dataset-button button").first.wait_for(state="visible")
    page.wait_for_timeout(500)
    page.screenshot(path=str(artifacts / "first-paint-then-panel.png"))
    assert not page.errors


def test_first_paint_alone_lists_and_maps_the_datasets(static_page, portal, artifacts):
    static_page.goto(f"{portal.url}/")
    static_page.screenshot(path=str(artifacts / "first-paint-no-js.png"))
    titles = static_page.locator("#portal-prepaint .pp-t").all_inner_texts()
    assert any(EVIL_TITLE in t for t in titles)  # escaped: shown as text
    assert static_page.locator("#portal-prepaint .pp-map img").evaluate_all(
        "els => els.length === 1 && els[0].complete && els[0].naturalWidth > 500")
    assert static_page.locator(".pp-box").count() >= 3


def test_a_click_on_the_smallest_box_opens_its_dataset(static_page, portal):
    static_page.goto(f"{portal.url}/")
    boxes = static_page.locator(".pp-box")
    found = []
    for i in range(boxes.count()):
        box = boxes.nth(i).bounding_box()
        found.append((box["width"] * box["height"], i, box))
    _, index, box = min(found, key=lambda f: (f[0], -f[1]))  # later boxes are drawn on top
    dataset = boxes.nth(index).get_attribute("data-dataset")
    static_page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    static_page.wait_for_url(f"**dataset={dataset}**")
    active = static_page.locator("#portal-prepaint .pp-item.active .pp-t")
    assert active.count() == 1 and active.get_attribute("href") == f"?dataset={dataset}"


def test_phone_first_paint_has_no_horizontal_scroll(browser, portal, artifacts):
    context = browser.new_context(viewport={"width": 400, "height": 800},
                                  java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{portal.url}/?lang=fr")
        page.screenshot(path=str(artifacts / "first-paint-phone-fr.png"))
        block = page.locator("#portal-prepaint")
        assert block.evaluate("b => b.scrollWidth <= b.clientWidth")
        assert block.get_attribute("lang") == "fr"
        main = page.locator("#portal-prepaint .pp-main").bounding_box()
        assert main["x"] >= 0 and main["x"] + main["width"] <= 400
    finally:
        context.close()


def test_shared_link_shows_its_png_then_the_interactive_plot(page, portal, artifacts):
    page.add_init_script(PAINT_LOG_JS)
    page.goto(f"{portal.url}/?dataset=modis_sst&kind=map", wait_until="commit")
    page.wait_for_function("() => window.__paint && window.__paint['portal-plot']",
                           timeout=120_000)
    page.locator("#portal-prepaint").wait_for(state="detached", timeout=120_000)
    wait_for_plot(page, "first-paint-shared-link-final")
    drawn, ready = page.evaluate("[window.__paint['portal-plot'], window.portalReadyAt]")
    assert drawn < ready  # the PNG was on screen before the interactive plot replaced it
    assert page.evaluate("window.portalReadyBy") == "plot"  # not the 20 s fallback
    assert not page.errors


@pytest.mark.parametrize(("kind", "by"), [("section", "plot"), ("linked", "idle")])
def test_a_shared_layout_replaces_its_first_paint_once_drawn(page, portal, artifacts, kind, by):
    """A section (the positions map beside it) is several figures in one model: its first
    paint went only 20 s after the page was ready, hiding the live plot and its controls
    that long; now once they are drawn. The linked views have no PNG (page only): their
    first paint goes when the page is ready."""
    page.goto(f"{portal.url}/?dataset=argo_6901744&kind={kind}", wait_until="commit")
    page.locator("#portal-prepaint").wait_for(state="detached", timeout=120_000)
    assert page.evaluate("window.portalReadyBy") == by
    wait_for_plot(page, f"first-paint-shared-{kind}-final")
    assert not page.errors
