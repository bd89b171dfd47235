"""The page's controls as a scientist uses them, in headless Chromium (issue 12).

The landing map opens the dataset under the click (the smallest box wins; global datasets
are listed under the map, not framed over it); controls that do not apply to a view are
hidden or disabled; a grid says which time step it draws and steps through time with a
slider kept in the URL. Screenshots land in ``artifacts/browser/``.
"""

from __future__ import annotations

import re

import pytest

from .conftest import (
    ARTIFACTS,
    TO_SCREEN_JS,
    bokeh_axis_labels,
    distinct_colours,
    figure_ranges,
    figure_titles,
    settled,
    shadow_text,
    wait_for_plot,
)
from .test_page import mercator, query_of, wait_until

pytestmark = pytest.mark.browser
PlaywrightError = pytest.importorskip("playwright.sync_api").Error

SCREEN_XY_JS = f"""([x, y]) => {{
    const v = [...Bokeh.index.all_views()].find(v => v.model.type === 'Figure'
        && v.el.isConnected && (v.model.css_classes || []).includes('portal-overview'));
    return v ? ({TO_SCREEN_JS})(v, x, y) : null;
}}"""


def test_landing_map_click_opens_the_small_box_not_the_global_store(page, portal):
    page.goto(f"{portal.url}/")
    page.locator(".portal-overview canvas").first.wait_for(state="visible")
    page.locator(".portal-global-dataset").first.wait_for()
    assert "Global datasets" in shadow_text(page)
    xy = wait_until(lambda: page.evaluate(SCREEN_XY_JS, list(mercator(-149.5, 30.5))),
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


def test_grid_names_its_step_and_the_slider_moves_it(page, portal):
    page.goto(f"{portal.url}/?dataset=modis_sst&kind=map")
    wait_for_plot(page)
    title = wait_until(lambda: next((t for t in figure_titles(page) if " UTC, " in t), None),
                       what="the map title to name its time step")
    assert "2016-12-" in title  # the latest valid step of the SST file
    step = page.locator(".portal-control-step").first
    step.wait_for()
    assert not page.locator(".portal-control-qc").first.is_visible()  # grids: no QC control
    assert not page.locator(".portal-control-color").first.is_visible()
    page.screenshot(path=str(ARTIFACTS / "grid_time_slider.png"))
    page.locator(".portal-control-step .first").first.click()  # the player's "first step"
    page.wait_for_url(re.compile(r"at=2016-10-18"))
    wait_until(lambda: any("2016-10-18 12:00 UTC" in t for t in figure_titles(page)),
               what="the map to redraw the first step")
    wait_for_plot(page, "grid_first_step")
    page.screenshot(path=str(ARTIFACTS / "grid_time_slider_first.png"))
    with page.context.new_page() as other:  # the shared link opens the same step
        other.goto(page.url)
        wait_until(lambda: any("2016-10-18 12:00 UTC" in t for t in figure_titles(other)),
                   what="the shared link to restore the step")
    assert page.errors == []


def test_colour_by_value_redraws_a_profile_in_colour(page, portal):
    page.goto(f"{portal.url}/?dataset=argo_6901744&kind=profile")
    before = settled(wait_for_plot(page, "profile_by_time").screenshot)
    from .test_page import choose_option

    choose_option(page, "color", "Value")
    page.wait_for_url(re.compile(r"color=value"))
    def redrawn() -> bool:
        try:  # the plot may be swapped while the screenshot is taken: look again
            return page.locator(".portal-plot").first.screenshot(timeout=5_000) != before
        except PlaywrightError:
            return False

    wait_until(redrawn, what="the profile to be redrawn coloured by value")
    wait_for_plot(page, "profile_by_value")
    page.goto(f"{portal.url}/?dataset=tidegauge&kind=timeseries")
    wait_for_plot(page)
    assert page.locator(".portal-control-cmap select").first.is_disabled()  # one line
    assert page.errors == []


# the plotting area (inside the axes) of the figure on screen, in page pixels
FRAME_JS = """() => {
    const v = [...Bokeh.index.all_views()].find(v => v.model.type === 'Figure'
        && v.el.isConnected);
    if (!v) return null;
    const f = v.frame.bbox, r = v.canvas_view.el.getBoundingClientRect();
    return {x: r.left + f.left + 2, y: r.top + f.top + 2, width: f.width - 4,
            height: f.height - 4};
}"""


def test_a_profile_variable_change_draws_the_new_variable(page, portal):
    """Temperature to salinity on an Argo float: the new axis label, an x range that is the
    salinity's (not the temperature's), pressure still down, and the lines drawn inside the
    axes (not only the colour bar)."""
    from .test_page import choose_option

    page.goto(f"{portal.url}/?dataset=argo_6901744&kind=profile")
    wait_for_plot(page, "profile_temperature")
    assert any("[degree_Celsius]" in label for label in bokeh_axis_labels(page))
    choose_option(page, "var", "(PSAL)")
    page.wait_for_url(re.compile(r"var=PSAL"))
    wait_until(lambda: any("[psu]" in label for label in bokeh_axis_labels(page)),
               what="the x axis to name the salinity")
    assert not any("[degree_Celsius]" in label for label in bokeh_axis_labels(page))
    x0, x1, y0, y1 = wait_until(lambda: figure_ranges(page, "profiles"),
                                what="the redrawn profile figure")
    assert 34.0 < x0 < x1 < 37.2  # the file's salinity spans 34.49-36.71 psu
    assert y0 > 2000 > 0 > y1 > -250  # pressure down, surface to ~2000 dbar (padded)
    wait_for_plot(page, "profile_salinity")
    page.wait_for_timeout(1_000)  # past the URL's debounce: the refit is not a user's zoom
    assert "view" not in query_of(page.url)
    frame = settled(lambda: page.evaluate(FRAME_JS))
    inside = settled(lambda: page.screenshot(clip=frame))
    assert distinct_colours(inside) >= 12, "no profile lines inside the axes"
    page.screenshot(path=str(ARTIFACTS / "profile_salinity_page.png"))
    assert page.errors == []


# the ids of the quicklook figures on screen (the landing map's excluded)
FIGURE_IDS_JS = """() => [...Bokeh.index.all_views()].filter(v => v.model.type === 'Figure'
    && v.el.isConnected && !(v.model.css_classes || []).includes('portal-overview'))
    .map(v => v.model.id)"""


def test_a_series_variable_change_patches_the_figure_on_screen(page, portal):
    """Temperature to sea level on a tide gauge: the same Bokeh figure on screen (patched in
    place, not replaced), its y axis and range now the sea level's, and new pixels inside
    the axes."""
    from .test_page import choose_option

    page.goto(f"{portal.url}/?dataset=tidegauge&kind=timeseries&var=TEMPPR01")
    wait_for_plot(page, "series_temperature")
    ids = f"() => ({FIGURE_IDS_JS})()"
    shown = wait_until(lambda: page.evaluate(ids), what="the series figure")
    frame = settled(lambda: page.evaluate(FRAME_JS))
    before = settled(lambda: page.screenshot(clip=frame))
    choose_option(page, "var", "(ASLVZZ01)")
    page.wait_for_url(re.compile(r"var=ASLVZZ01"))
    wait_until(lambda: any("[meter]" in label for label in bokeh_axis_labels(page)),
               what="the y axis to name the sea level")
    assert page.evaluate(ids) == shown  # the same figure: patched, not rebuilt
    _, _, y0, y1 = wait_until(lambda: figure_ranges(page, "samples in source"),
                              what="the patched series figure")
    assert 0.2 < y0 < 0.448 and 2.041 < y1 < 2.3  # the file's sea level spans 0.448-2.041 m
    wait_for_plot(page, "series_sea_level")
    after = settled(lambda: page.screenshot(clip=frame))
    assert after != before and distinct_colours(after) >= 3, "no new series drawn"
    page.wait_for_timeout(1_000)  # past the URL's debounce: the refit is not a user's zoom
    assert "view" not in query_of(page.url)
    # the wheel zooms the patched figure (time only): re-decimated for the zoom, in the URL
    box = page.locator(".portal-plot").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.5)
    page.mouse.wheel(0, -500)
    page.wait_for_url(lambda url: "view" in query_of(url), timeout=30_000)
    wait_until(lambda: "in view" in " ".join(figure_titles(page)), what="the zoomed frame")
    x0, x1, _, _ = figure_ranges(page, "samples in source")
    choose_option(page, "var", "(TEMPPR01)")  # back to temperature: patched on the zoom
    wait_until(lambda: any("[celsius degree]" in label for label in bokeh_axis_labels(page)),
               what="the y axis to name the temperature")
    assert page.evaluate(ids) == shown
    z0, z1, _, _ = figure_ranges(page, "samples in source")
    assert abs(z0 - x0) < 1_000 and abs(z1 - x1) < 1_000  # ms: the URL's zoom kept
    assert page.errors == []
