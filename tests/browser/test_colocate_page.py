"""The page's "Compare with observations" section draws the colocation (headless Chromium).

Served: the demo catalog (its SST grid and Argo float overlap in August 2023). The French
page lists the overlapping in-situ datasets under the grid; choosing the float draws the
scatter (title with N, bias, RMSE) and the map of differences; screenshots are kept in
``artifacts/browser/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import ARTIFACTS, PLOT_TIMEOUT_MS, figure_titles, shadow_text
from tests.server.conftest import http_get, serving


@pytest.fixture(scope="module")
def demo_portal(tmp_path_factory):
    from portal.demo import ensure_demo_catalog

    with serving(Path(ensure_demo_catalog()), tmp_path_factory.mktemp("coloc_page")) as served:
        yield served


def wait_for_rmse_title(page) -> None:
    """Until the colocation's scatter (its title carries the RMSE: REQM on these French
    pages) is a Bokeh figure."""
    page.wait_for_function("""() => [...Bokeh.index.all_views()].some(v =>
        v.model.type === 'Figure' && v.model.title && (v.model.title.text || '').includes('REQM'))""",
                           timeout=PLOT_TIMEOUT_MS)


def shot_and_csv_link(page, name: str) -> str:
    """Screenshot of the drawn colocation (under ARTIFACTS/name); the CSV link's href."""
    plot = page.locator(".portal-coloc-result").first
    plot.scroll_into_view_if_needed()
    page.wait_for_timeout(1500)  # Bokeh paints after the models exist
    plot.screenshot(path=str(ARTIFACTS / name))
    return page.locator(".portal-coloc-csv").first.get_attribute("href")


def test_compare_with_observations_draws_scatter_and_difference_map(page, demo_portal):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{demo_portal.url}/?dataset=demo_sst_biscay&lang=fr")
    select = page.locator(".portal-coloc-obs select").first
    select.wait_for(state="visible", timeout=PLOT_TIMEOUT_MS)
    assert "Comparer aux observations" in shadow_text(page)
    labels = select.evaluate("s => [...s.options].map(o => o.text)")
    assert any("demo_argo_biscay" in label for label in labels)
    assert not any("demo_argo_atlantic" in label for label in labels)  # off the grid's box
    select.select_option(label=next(x for x in labels if "demo_argo_biscay" in x))
    page.locator(".portal-coloc-plot canvas").first.wait_for(state="visible",
                                                            timeout=PLOT_TIMEOUT_MS)
    wait_for_rmse_title(page)
    titles = figure_titles(page)
    scatter = next(t for t in titles if "REQM" in t).replace("\n", " ")  # French page
    assert "N=3" in scatter and "biais=" in scatter and "(plus proche)" in scatter
    assert any("Écart aux observations" in t for t in titles)  # the map
    href = shot_and_csv_link(page, "colocate_page.png")
    assert "/api/colocate?grid=demo_sst_biscay&obs=demo_argo_biscay&method=nearest" in href
    status, _, body = http_get(demo_portal.port, href[href.index("/api/"):])
    assert status == 200 and body.count(b"\n2023-08-") == 3  # the page's link: three pairs
    assert not page.errors


def test_compare_with_a_grid_from_the_floats_page(page, demo_portal):
    """The symmetric section: on the Argo float's page, the grids meeting it are listed
    (the SST grid), and choosing it draws the same colocation and links."""
    page.goto(f"{demo_portal.url}/?dataset=demo_argo_biscay&lang=fr")
    select = page.locator(".portal-coloc-grid select").first
    select.wait_for(state="visible", timeout=PLOT_TIMEOUT_MS)
    assert "Comparer à une grille" in shadow_text(page)
    labels = select.evaluate("s => [...s.options].map(o => o.text)")
    assert [label for label in labels if "(" in label] == [
        next(x for x in labels if "demo_sst_biscay" in x)]  # the one grid it meets
    select.select_option(label=next(x for x in labels if "demo_sst_biscay" in x))
    wait_for_rmse_title(page)
    scatter = next(t for t in figure_titles(page) if "REQM" in t).replace("\n", " ")
    assert ("demo_argo_biscay (TEMP) comparé à demo_sst_biscay (sst)"
            in scatter)
    assert "N=3" in scatter and "(plus proche)" in scatter
    href = shot_and_csv_link(page, "colocate_from_obs_page.png")
    assert "grid=demo_sst_biscay&obs=demo_argo_biscay&method=nearest" in href
    status, _, body = http_get(demo_portal.port, href[href.index("/api/"):])
    assert status == 200 and body.count(b"\n2023-08-") == 3
    assert not page.errors
