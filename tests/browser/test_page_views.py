"""Tooltips, shared zoomed links and the typed time picker, in headless Chromium (issue 12).

Hovering a profile or a map gives a Bokeh tooltip with values, units, dates as dates
and the platform, never ``NaN`` over empty pixels; a zoomed view's link reopens on the
same zoom for a grid, a point store, an Argo map and a time series; an ISO date typed in
the time picker sets the window (URL and plot). Screenshots land in ``artifacts/browser/``.
"""

from __future__ import annotations

import re

import pytest

from .conftest import ARTIFACTS, figure_ranges, figure_titles, wait_for_plot
from .test_page import close_ranges, query_of, wait_until

pytestmark = pytest.mark.browser

#: the visible Bokeh tooltips' text (they live in shadow roots)
TOOLTIPS_JS = """() => {
    const out = [];
    const walk = (root) => {
        for (const el of root.querySelectorAll('*')) {
            if (el.shadowRoot) walk(el.shadowRoot);
            if (el.classList && el.classList.contains('bk-tooltip-content')
                && el.innerText.trim()) out.push(el.innerText.trim());
        }
    };
    walk(document);
    return out;
}"""
DATE = re.compile(r"\b(19|20)\d\d-\d\d-\d\d \d\d:\d\d\b")


def close_time(got, want) -> bool:
    """Two time axes (ms) agree to the second (the URL keeps whole seconds)."""
    return got is not None and all(abs(g - w) <= 1000 for g, w in zip(got[:2], want[:2],
                                                                       strict=True))


def sweep_tooltips(page, plot, columns: int = 14, rows: int = 8) -> list[str | None]:
    """Move over a grid of points of the plot; the tooltip text at each (None: none)."""
    box = plot.bounding_box()
    seen = []
    for i in range(1, columns):
        for j in range(1, rows):
            page.mouse.move(box["x"] + box["width"] * i / columns,
                            box["y"] + box["height"] * j / rows)
            page.wait_for_timeout(50)
            tips = page.evaluate(TOOLTIPS_JS)
            seen.append("\n".join(tips) if tips else None)
    return seen


def test_profile_tooltip_gives_value_units_pressure_date_cycle_and_platform(page, portal):
    page.goto(f"{portal.url}/?dataset=argo_6901744&kind=profile")
    plot = wait_for_plot(page)
    tip = next((t for t in sweep_tooltips(page, plot) if t), None)
    page.screenshot(path=str(ARTIFACTS / "profile_tooltip.png"))
    assert tip is not None, "no tooltip anywhere over the profiles"
    assert re.search(r"\[degree_Celsius\]:\s*-?\d+\.\d{3}", tip)  # value with units
    assert re.search(r"Pressure \[dbar\]:\s*\d+\.\d", tip)
    assert DATE.search(tip), tip  # a date, not 2.023e+3 nor milliseconds
    assert re.search(r"Cycle / profile:\s*\d+", tip) and "Platform:\t6901744" in tip
    assert "e+" not in tip and "NaN" not in tip
    assert tip.count("Pressure") == 1  # the nearest sample, not a stack of them


def test_map_tooltips_give_position_and_value_and_nothing_over_empty_cells(page, portal):
    page.goto(f"{portal.url}/?dataset=modis_sst&kind=map")
    plot = wait_for_plot(page)
    tips = sweep_tooltips(page, plot)
    page.screenshot(path=str(ARTIFACTS / "grid_tooltip.png"))
    shown = [t for t in tips if t]
    assert shown, "no tooltip over the SST field"
    assert not [t for t in shown if "NaN" in t]  # empty (land, cloud) pixels show nothing
    assert None in tips  # ... and there are such pixels in this field
    tip = shown[0]
    assert re.search(r"Longitude:\s*-1\d\d\.\d{3}°", tip) and re.search(r"Latitude:\s*\d", tip)
    assert re.search(r"Sea Surface Temperature \[degree_C\]:\s*\d+\.\d{3}", tip)
    assert "2016-" in tip  # the step drawn, as a date
    page.goto(f"{portal.url}/?dataset=argo_6901744&kind=map")
    plot = wait_for_plot(page)
    tip = next((t for t in sweep_tooltips(page, plot, 24, 14) if t), None)
    assert tip is not None and DATE.search(tip) and "Platform:\t6901744" in tip
    assert tip.count("Longitude") == 1  # coordinates once, in degrees
    assert page.errors == []


VIEWS = [  # (id, link, URL key, title part, zoom factor checked on x)
    ("grid", "dataset=modis_sst&kind=map", "extent", "SST, Aqua"),
    ("pointstore", "dataset=points&kind=map&var=TEMP", "extent", "observations in view"),
    ("argo", "dataset=argo_6901744&kind=map", "extent", "positions"),
    ("timeseries", "dataset=tidegauge&kind=timeseries", "view", "samples in source"),
]


@pytest.mark.parametrize(("link", "key", "title"), [v[1:] for v in VIEWS],
                         ids=[v[0] for v in VIEWS])
def test_a_shared_zoomed_link_reopens_on_the_zoom(page, browser, portal, link, key, title):
    page.goto(f"{portal.url}/?{link}")
    plot = wait_for_plot(page)
    full = wait_until(lambda: figure_ranges(page, title), what="the plot's ranges")
    box = plot.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.5)
    page.mouse.wheel(0, -500)  # the wheel zooms (time only, on a series)
    page.wait_for_url(lambda url: key in query_of(url), timeout=30_000)
    zoomed = figure_ranges(page, title)
    assert zoomed[1] - zoomed[0] < 0.9 * (full[1] - full[0])
    wait_until(lambda: figure_ranges(page, title) == zoomed and key in query_of(page.url),
               what="the view to settle")
    shared = page.url
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        other = context.new_page()
        other.goto(shared)
        wait_for_plot(other, f"zoom_restored_{key}_{link.split('&')[0].split('=')[1]}")
        # a series refits y to the samples in view: its time span is the zoom
        same = close_time if key == "view" else close_ranges
        wait_until(lambda: same(figure_ranges(other, title), zoomed), timeout=60,
                   what="the shared link to reopen on the zoomed view")
        assert query_of(other.url)[key] == query_of(shared)[key]  # opening did not move it
    finally:
        context.close()


def test_an_iso_date_typed_in_the_time_picker_sets_the_window(page, portal):
    page.goto(f"{portal.url}/?dataset=tidegauge&kind=timeseries")
    wait_for_plot(page)
    before = next(t for t in figure_titles(page) if "samples in source" in t)
    start = page.locator(".portal-time-start input")
    start.fill("1998-08-01")
    start.press("Enter")
    end = page.locator(".portal-time-end input")
    end.fill("1998-08-10")
    end.press("Enter")
    page.wait_for_url(re.compile(r"time=1998-08-01%2F1998-08-10(&|$)"), timeout=30_000)
    wait_until(lambda: any("samples in source" in t and t != before for t in figure_titles(page)),
               what="the series to redraw the typed window")
    assert start.input_value() == "1998-08-01"  # a date stays a date: no 00:00 nor 06:00
    ranges = figure_ranges(page, "samples in source")
    assert ranges[1] - ranges[0] <= 10.1 * 86_400_000  # ten days of data on the axis
    wait_for_plot(page, "time_picker_typed")
    start.fill("not a date")
    start.press("Enter")
    page.get_by_text("is not an ISO 8601 date").wait_for()  # says why, keeps the view
    assert "time=1998-08-01%2F1998-08-10" in page.url
    assert page.errors == []
