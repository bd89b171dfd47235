"""A map's control change updates the figure on screen, in headless Chromium (issue 16).

The point store's variable and a grid's time step go to the map on screen as new frames:
the same Bokeh figure (its model id stays), a new colour-bar title or map title, and new
pixels inside the axes. Screenshots land in ``artifacts/browser/``.
"""

from __future__ import annotations

import re

import pytest

from .conftest import bokeh_axis_labels, figure_titles, settled, wait_for_plot
from .test_page import choose_option, wait_until

pytestmark = pytest.mark.browser

# the quicklook map on screen (not the landing's overview): its model id and plotting area
MAP_JS = """() => {
    const v = [...Bokeh.index.all_views()].find(v => v.model.type === 'Figure'
        && v.el.isConnected && !(v.model.css_classes || []).includes('portal-overview'));
    if (!v) return null;
    const f = v.frame.bbox, r = v.canvas_view.el.getBoundingClientRect();
    return {id: v.model.id, clip: {x: r.left + f.left + 2, y: r.top + f.top + 2,
                                   width: f.width - 4, height: f.height - 4}};
}"""


# the progress overlay is on a view of the page
BUSY_JS = """() => [...Bokeh.index.all_views()].some(v => v.el && v.el.isConnected
    && v.el.classList && v.el.classList.contains('pn-loading'))"""


def _drawn(page) -> tuple[str, bytes]:
    """:func:`_inside` once the progress overlay is off (it veils the old pixels)."""
    wait_until(lambda: not page.evaluate(BUSY_JS), what="the progress overlay to go")
    return _inside(page)


def _inside(page) -> tuple[str, bytes]:
    """(figure id, screenshot of the plotting area) of the map on screen."""
    found = wait_until(lambda: settled(lambda: page.evaluate(MAP_JS)), what="a map on screen")
    return found["id"], settled(lambda: page.screenshot(clip=found["clip"]))


def _steady(page) -> tuple[str, bytes]:
    """:func:`_inside` once the page has stopped replacing its map (the first plot is drawn
    again at the width the browser reports)."""
    last = None
    for _ in range(40):
        page.wait_for_timeout(1_500)
        found = _inside(page)
        if last is not None and found[0] == last[0]:
            return found
        last = found
    raise AssertionError("the map kept being replaced")


def test_a_point_store_variable_change_patches_the_map_on_screen(page, portal):
    page.goto(f"{portal.url}/?dataset=points&kind=map&var=TEMP&color=value")
    wait_for_plot(page, "points_map_temp")
    wait_until(lambda: any("Mean TEMP" in label for label in bokeh_axis_labels(page)),
               what="the colour bar to name the temperature")
    figure, before = _steady(page)
    choose_option(page, "var", "(PSAL)")
    page.wait_for_url(re.compile(r"var=PSAL"))
    wait_until(lambda: any("Mean PSAL" in label for label in bokeh_axis_labels(page)),
               what="the colour bar to name the salinity")
    assert any("PSAL observations" in t for t in figure_titles(page))
    patched, after = _drawn(page)
    assert patched == figure  # the same figure, patched: not a new one
    assert after != before  # salinities, in other colours
    wait_for_plot(page, "points_map_psal")
    assert page.errors == []


def test_a_grid_time_step_patches_the_map_on_screen(page, portal):
    page.goto(f"{portal.url}/?dataset=modis_sst&kind=map")
    wait_for_plot(page)
    wait_until(lambda: any("2016-12-" in t for t in figure_titles(page)),
               what="the latest step drawn")
    figure, before = _steady(page)
    page.locator(".portal-control-step .first").first.click()  # the previous step is empty
    wait_until(lambda: any("2016-10-18 12:00 UTC" in t for t in figure_titles(page)),
               what="the map title to name the first step")
    patched, after = _drawn(page)
    assert patched == figure
    assert after != before
    wait_for_plot(page, "grid_first_step_patched")
    assert page.errors == []
