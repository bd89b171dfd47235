"""The oceanographer's views in a real headless Chromium: a real Argo float's T-S diagram
(TEOS-10 axes, σ₀ contour labels) and its section (distance along the track, the
positions map beside it) draw real pixels in the page, and the kind buttons switch
between them with the URL following. Screenshots land in ``artifacts/browser/``."""

from __future__ import annotations

import re

import pytest

from .conftest import ARTIFACTS, bokeh_axis_labels, figure_titles, wait_for_plot
from .test_page import wait_until

pytestmark = pytest.mark.browser


def test_ts_diagram_and_section_draw_in_the_page(page, portal):
    page.goto(f"{portal.url}/?dataset=argo_6901744&kind=ts")
    wait_until(lambda: any("T-S diagram (TEOS-10)" in (t or "") for t in figure_titles(page)),
               timeout=120, what="the T-S diagram's title")
    wait_for_plot(page, "argo_ts_diagram")
    labels = bokeh_axis_labels(page)
    assert "Absolute salinity Sᴀ [g/kg]" in labels
    assert "Conservative temperature Θ [°C]" in labels
    assert "Time (UTC)" in labels  # coloured by time by default
    page.screenshot(path=str(ARTIFACTS / "argo_ts_page.png"))

    page.locator(".portal-control-kind").get_by_role("button", name="Section").click()
    page.wait_for_url(re.compile(r"kind=section"))
    wait_until(lambda: any("section of" in (t or "") for t in figure_titles(page)),
               timeout=120, what="the section's title")
    wait_for_plot(page, "argo_section")
    wait_until(lambda: "Distance along the track [km]" in bokeh_axis_labels(page),
               what="the section's distance axis")
    assert "Positions" in figure_titles(page)  # the positions map beside the section
    page.screenshot(path=str(ARTIFACTS / "argo_section_page.png"))
    assert page.errors == []
