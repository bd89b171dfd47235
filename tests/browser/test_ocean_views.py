"""The oceanographer's views in a real headless Chromium: a real Argo float's T-S diagram
(TEOS-10 axes, σ₀ contour labels) and its section (distance along the track, the
positions map beside it) draw real pixels in the page, and the kind buttons switch
between them with the URL following. Screenshots land in ``artifacts/browser/``."""

from __future__ import annotations

import re

import pytest

from .conftest import ARTIFACTS, TO_SCREEN_JS, bokeh_axis_labels, figure_titles, wait_for_plot
from .test_page import choose_option, wait_until

pytestmark = pytest.mark.browser


def test_ts_diagram_and_section_draw_in_the_page(page, portal):
    page.goto(f"{portal.url}/?dataset=argo_6901744&kind=ts")
    wait_until(lambda: any("T-S diagram (TEOS-10)" in (t or "") for t in figure_titles(page)),
               timeout=120, what="the T-S diagram's title")
    wait_for_plot(page, "argo_ts_diagram")
    wanted = {"Absolute salinity Sᴀ [g/kg]", "Conservative temperature Θ [°C]",
              "Time (UTC)"}  # coloured by time by default
    wait_until(lambda: wanted <= set(bokeh_axis_labels(page)), what="the T-S axis labels")
    page.screenshot(path=str(ARTIFACTS / "argo_ts_page.png"))

    page.locator(".portal-control-kind").get_by_role("button", name="Section").click()
    page.wait_for_url(re.compile(r"kind=section"))
    wait_until(lambda: any("section of" in (t or "") for t in figure_titles(page)),
               timeout=120, what="the section's title")
    wait_for_plot(page, "argo_section")
    wait_until(lambda: "Distance along the track [km]" in bokeh_axis_labels(page),
               what="the section's distance axis")
    wait_until(lambda: "Positions" in figure_titles(page), what="the positions map beside")
    page.screenshot(path=str(ARTIFACTS / "argo_section_page.png"))
    assert page.errors == []


def _pixels(png: bytes):
    import io

    from PIL import Image

    return Image.open(io.BytesIO(png)).convert("RGB")


def test_box_on_the_map_filters_the_linked_views(page, portal):
    """Linked views: boxing a few positions on the map fades the other samples in the
    time-depth plot (its pixels change): the plots share one data source, and with it
    the selection, in the browser."""
    from PIL import ImageChops

    page.goto(f"{portal.url}/?dataset=argo_6901744&kind=linked")
    wait_until(lambda: "T-S (TEOS-10; click: a profile)" in figure_titles(page), timeout=120,
               what="the linked views")
    plot = wait_for_plot(page, "argo_linked_before")
    page.wait_for_timeout(1500)
    box = plot.bounding_box()
    middle = {"x": box["x"] + box["width"] * 0.36, "y": box["y"] + box["height"] * 0.15,
              "width": box["width"] * 0.28, "height": box["height"] * 0.7}
    before = _pixels(page.screenshot(clip=middle))
    tool = page.locator(".bk-tool-icon-box-select").first
    if tool.count():  # make sure a drag selects (the merged toolbar's active drag tool)
        tool.click()
    x0, y0 = box["x"] + box["width"] * 0.08, box["y"] + box["height"] * 0.3
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0 + box["width"] * 0.12, y0 + box["height"] * 0.4, steps=10)
    page.mouse.up()

    def changed() -> bool:
        after = _pixels(page.screenshot(clip=middle))
        diff = ImageChops.difference(before, after).convert("L").point(lambda v: v > 40)
        return sum(diff.getdata()) > 500

    wait_until(changed, timeout=60, what="the time-depth plot to show the selection")
    page.screenshot(path=str(ARTIFACTS / "argo_linked_selected_page.png"))
    assert page.errors == []


FRAME_JS = """(part) => {
    const v = [...Bokeh.index.all_views()].find(v => v.model.type === 'Figure'
        && v.el.isConnected && (v.model.title?.text || '').includes(part));
    if (!v) return null;
    const f = v.frame.bbox, r = v.canvas_view.el.getBoundingClientRect();
    return {x: r.left + f.left, y: r.top + f.top, width: f.width, height: f.height};
}"""

SAMPLE_XY_JS = f"""([part, xcol, ycol]) => {{
    const v = [...Bokeh.index.all_views()].find(v => v.model.type === 'Figure'
        && v.el.isConnected && (v.model.title?.text || '').includes(part));
    if (!v) return null;
    const r0 = v.model.renderers.find(r => r.data_source && r.data_source.data[xcol]
        && r.data_source.data[xcol].length);
    if (!r0) return null;
    const xs = r0.data_source.data[xcol], ys = r0.data_source.data[ycol];
    const i = Math.floor(xs.length / 2);
    return ({TO_SCREEN_JS})(v, xs[i], ys[i]);
}}"""


def test_a_click_on_a_profile_highlights_its_position_on_the_map(page, portal):
    """Linked views: clicking one sample of the T-S plot selects its whole profile (the
    other views fade the rest) and rings its position on the map (the map's pixels change)."""
    page.goto(f"{portal.url}/?dataset=argo_6901744&kind=linked")
    wait_until(lambda: "T-S (TEOS-10; click: a profile)" in figure_titles(page), timeout=120,
               what="the linked views")
    wait_for_plot(page, "argo_linked_tap_before")
    _click_a_profile_and_see_its_ring(page, "argo_linked_tapped_page.png")
    assert page.errors == []


def _click_a_profile_and_see_its_ring(page, screenshot: str) -> None:
    """Click a sample of the T-S plot; wait for the map's pixels to change (the ring)."""
    from PIL import ImageChops

    page.wait_for_timeout(1500)
    frame = wait_until(lambda: page.evaluate(FRAME_JS, "Positions"), what="the map's frame")
    before = _pixels(page.screenshot(clip=frame))
    xy = wait_until(lambda: page.evaluate(SAMPLE_XY_JS, ["click: a profile", "SA", "CT"]),
                    what="a sample of the T-S plot")
    page.mouse.click(*xy)

    def changed() -> bool:
        after = _pixels(page.screenshot(clip=frame))
        diff = ImageChops.difference(before, after).convert("L").point(lambda v: v > 40)
        return sum(diff.getdata()) > 200

    wait_until(changed, timeout=60, what="the map to highlight the clicked profile")
    page.mouse.move(5, 5)  # the hover tooltip off the plots for the screenshot
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / screenshot))


SHARED_MEAN_JS = """() => {
    const v = [...Bokeh.index.all_views()].find(v => v.model.type === 'Figure'
        && v.el.isConnected && (v.model.title?.text || '').includes('click: a profile'));
    if (!v) return null;
    const r0 = v.model.renderers.find(r => r.data_source && r.data_source.data.value);
    if (!r0) return null;
    const xs = [...r0.data_source.data.value].filter(Number.isFinite);
    return {id: r0.data_source.id, mean: xs.reduce((a, b) => a + b, 0) / xs.length,
            figures: [...Bokeh.index.all_views()].filter(v => v.model.type === 'Figure'
                && v.el.isConnected).map(v => v.model.id).sort().join(',')};
}"""


def test_linked_views_patched_with_another_variable_still_select_in_the_browser(page, portal):
    """A variable change on the linked views refills the figures on screen (the same
    figures and shared table in the browser, salinity's values in it), and a click on a
    T-S sample still rings its profile on the map."""
    page.goto(f"{portal.url}/?dataset=argo_6901744&kind=linked&var=TEMP")
    wait_until(lambda: "T-S (TEOS-10; click: a profile)" in figure_titles(page), timeout=120,
               what="the linked views")
    wait_for_plot(page, "argo_linked_patch_before")
    before = wait_until(lambda: page.evaluate(SHARED_MEAN_JS), what="the shared table")
    assert before["mean"] < 25  # temperature
    choose_option(page, "var", "salinity")
    page.wait_for_url(re.compile(r"var=PSAL"))
    after = wait_until(lambda: (lambda s: s if s and s["mean"] > 30 else None)(
        page.evaluate(SHARED_MEAN_JS)), timeout=120, what="salinity in the shared table")
    assert (after["id"], after["figures"]) == (before["id"], before["figures"])  # patched
    _click_a_profile_and_see_its_ring(page, "argo_linked_patched_tapped_page.png")
    assert page.errors == []


def test_french_page_titles_the_ts_diagram_and_sizes_the_download_in_french(page, portal):
    """``lang=fr``: the T-S diagram's title and the download size hint are French."""
    page.goto(f"{portal.url}/?dataset=argo_6901744&kind=ts&lang=fr")
    wait_until(lambda: any("diagramme T-S (TEOS-10)" in (t or "") for t in figure_titles(page)),
               timeout=120, what="the French T-S title")
    assert not any("T-S diagram" in (t or "") for t in figure_titles(page))
    size = page.locator(".portal-download-size").first
    size.wait_for(timeout=60_000)
    assert re.fullmatch(r"≈ [\d\u202f]+ lignes, ~[\d,]+ [kMG]?o", size.text_content()), \
        size.text_content()
    wait_for_plot(page, "argo_ts_fr")
    page.screenshot(path=str(ARTIFACTS / "argo_ts_fr_download.png"))
    links = page.locator(".portal-download").first.locator("xpath=..")
    links.screenshot(path=str(ARTIFACTS / "download_panel_fr.png"))
    assert page.errors == []
