"""The page's controls as a scientist uses them, in headless Chromium (issue 12).

The landing map opens the dataset under the click (the smallest box wins; global datasets
are listed under the map, not framed over it); controls that do not apply to a view are
hidden or disabled; a grid says which time step it draws and steps through time with a
slider kept in the URL. Screenshots land in ``artifacts/browser/``.
"""

from __future__ import annotations

import re

import pytest

from .conftest import ARTIFACTS, figure_titles, shadow_text, wait_for_plot
from .test_page import mercator, query_of, wait_until

pytestmark = pytest.mark.browser

SCREEN_XY_JS = """([x, y]) => {
    const v = [...Bokeh.index.all_views()].find(v => v.model.type === 'Figure'
        && v.el.isConnected && (v.model.css_classes || []).includes('portal-overview'));
    if (!v) return null;
    const f = v.frame.bbox, xr = v.model.x_range, yr = v.model.y_range;
    const r = v.canvas_view.el.getBoundingClientRect();
    return [r.left + f.left + (x - xr.start) / (xr.end - xr.start) * f.width,
            r.top + f.top + (yr.end - y) / (yr.end - yr.start) * f.height];
}"""


def test_landing_map_click_opens_the_small_box_not_the_global_store(page, portal):
    page.goto(f"{portal.url}/")
    page.locator(".portal-overview canvas").first.wait_for(state="visible")
    page.locator(".portal-global-dataset").first.wait_for()
    assert "Global datasets" in shadow_text(page)
    xy = wait_until(lambda: page.evaluate(SCREEN_XY_JS, list(mercator(210.5, 30.5))),
                    what="the landing map's figure")
    page.screenshot(path=str(ARTIFACTS / "landing_map.png"))
    page.mouse.click(*xy)
    page.wait_for_url(re.compile(r"dataset="))
    assert query_of(page.url)["dataset"] in ("modis_sst", "evil")  # same box; never "points"
    page.goto(f"{portal.url}/")
    page.locator(".portal-global-dataset").first.wait_for()
    page.locator(".portal-global-dataset button").first.click()
    page.wait_for_url(re.compile(r"dataset=points"))
    assert page.errors == []
