"""Phones, French and a lost server, in a real headless Chromium.

At 400×800 (a phone: ``is_mobile``, so the viewport meta matters) the page is one column
with no horizontal scroll, the plot is on screen and as wide as the screen, and the
controls open from a drawer button; a narrow ``/embed`` fits too. A French page says
``<html lang="fr">`` and its plot's axes and colour bar are French, and switching to
English relabels the plot. Stopping the server shows the lost-connection notice with a
Reload button, and the server's log has its "stopping" and "exiting" lines.
"""

from __future__ import annotations

import re
import time

from tests.server.conftest import serving

from .conftest import ARTIFACTS, PLOT_TIMEOUT_MS, bokeh_axis_labels, wait_for_plot

PHONE = {"viewport": {"width": 400, "height": 800}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 1}
NO_HSCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"


def until(check, what: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)
    return value


def settled(locator, quiet: float = 2.0, timeout: float = 90.0) -> None:
    """Wait until ``locator``'s box has not changed for ``quiet`` seconds: the plot is
    drawn first at the desktop width, then again once the browser reports its width."""
    deadline, last, since = time.monotonic() + timeout, None, time.monotonic()
    while time.monotonic() < deadline:
        try:
            box = locator.bounding_box(timeout=2_000)
        except Exception:  # noqa: BLE001 - replaced by the redraw: look again
            box = None
        if box != last:
            last, since = box, time.monotonic()
        elif box is not None and time.monotonic() - since >= quiet:
            return
        time.sleep(0.25)


def phone_page(browser):
    context = browser.new_context(**PHONE)
    context.set_default_timeout(60_000)
    return context, context.new_page()


def test_phone_landing_has_one_column_and_no_horizontal_scroll(browser, portal):
    context, page = phone_page(browser)
    try:
        page.goto(f"{portal.url}/")
        page.get_by_text("Search datasets").wait_for()
        time.sleep(1.0)  # the overview map lays out
        assert page.evaluate("() => window.innerWidth") == 400  # the viewport meta applies
        assert page.evaluate(NO_HSCROLL)
        sidebar = page.locator("#sidebar").bounding_box()
        main = page.locator("#main").bounding_box()
        assert sidebar and main and main["y"] >= sidebar["y"] + sidebar["height"] - 1  # stacked
        assert main["width"] <= 400
        page.screenshot(path=str(ARTIFACTS / "phone_landing.png"), full_page=True)
    finally:
        context.close()


def test_phone_dataset_plot_fits_and_controls_open_from_the_drawer(browser, portal):
    context, page = phone_page(browser)
    try:
        page.goto(f"{portal.url}/?dataset=argo_6901744&kind=profile")
        page.locator(".portal-plot canvas").first.wait_for(state="visible",
                                                           timeout=PLOT_TIMEOUT_MS)
        settled(page.locator(".portal-plot").first)  # redrawn once at the phone's width
        plot = wait_for_plot(page, "phone_profile")
        until(lambda: page.evaluate(NO_HSCROLL), "no horizontal scroll")
        box = plot.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 400 and box["width"] >= 280
        controls = page.locator(".portal-controls")
        assert not controls.is_visible()  # folded into the drawer
        toggle = page.locator(".portal-drawer-toggle button")
        toggle.click()
        page.locator(".portal-control-var select").wait_for(state="visible")
        assert page.evaluate(NO_HSCROLL)
        page.screenshot(path=str(ARTIFACTS / "phone_profile_page.png"), full_page=True)
        toggle.click()
        until(lambda: not controls.is_visible(), "the drawer to close")
    finally:
        context.close()


def test_desktop_shows_controls_without_a_drawer(page, portal):
    page.goto(f"{portal.url}/?dataset=tidegauge")
    page.locator(".portal-control-var select").wait_for(state="visible")
    assert not page.locator(".portal-drawer-toggle").is_visible()


def test_embed_fits_a_narrow_iframe(browser, portal):
    context = browser.new_context(viewport={"width": 360, "height": 420})
    page = context.new_page()
    try:
        page.goto(f"{portal.url}/embed?dataset=tidegauge")
        plot = wait_for_plot(page, "embed_narrow")
        until(lambda: page.evaluate(NO_HSCROLL), "no horizontal scroll in the embed")
        box = plot.bounding_box()
        assert box and box["x"] + box["width"] <= 360
    finally:
        context.close()


def test_french_page_has_lang_fr_and_french_plot_labels(page, portal):
    page.goto(f"{portal.url}/?dataset=argo_6901744&kind=profile&lang=fr")
    wait_for_plot(page)
    assert page.evaluate("() => document.documentElement.lang") == "fr"
    labels = until(lambda: bokeh_axis_labels(page), "axis labels")
    assert "Pression [dbar]" in labels and "Date (UTC)" in labels, labels
    assert not any(label.startswith(("Pressure", "Time")) for label in labels), labels
    page.screenshot(path=str(ARTIFACTS / "page_fr_profile.png"))
    page.locator(".portal-lang").get_by_role("button", name="EN").click()
    page.wait_for_url(re.compile(r"lang=en"))
    until(lambda: "Pressure [dbar]" in bokeh_axis_labels(page), "English labels after the switch",
          timeout=PLOT_TIMEOUT_MS / 1000)
    assert page.evaluate("() => document.documentElement.lang") == "en"


def test_english_page_says_lang_en(page, portal):
    page.goto(f"{portal.url}/?dataset=tidegauge")
    page.get_by_text("Search datasets").wait_for()
    assert page.evaluate("() => document.documentElement.lang") == "en"


def test_stopped_server_shows_the_disconnect_notice(browser, test_catalog, tmp_path):
    context = browser.new_context(viewport={"width": 1000, "height": 700})
    page = context.new_page()
    try:
        with serving(test_catalog, tmp_path) as served:
            page.goto(f"{served.url}/?dataset=tidegauge&lang=fr")
            wait_for_plot(page)
            assert page.locator("#portal-disconnected").count() == 0
            served.proc.terminate()  # SIGTERM: a clean stop
            served.proc.wait(timeout=30)
            notice = page.locator("#portal-disconnected")
            notice.wait_for(state="visible", timeout=30_000)
            assert "Connexion au serveur perdue" in notice.inner_text()
            page.screenshot(path=str(ARTIFACTS / "disconnected.png"))
            assert notice.get_by_role("button", name="Recharger").is_visible()
            log = served.log.read_text()
            assert "stopping (SIGTERM)" in log and "exiting" in log, log[-2000:]
            assert "Traceback" not in log, log[-3000:]
    finally:
        context.close()
