"""The portal page in a real headless Chromium, against ``odatis-portal serve`` on loopback.

Covers what a visitor and an embedding site see: the page loads and is readable at
1366×768; choosing a dataset draws a plot with real pixels; changing the variable
redraws; the FR/EN switch relabels the page; a copied URL (variable, QC, language,
map extent) restores the view; ``/embed`` renders inside an 800×500 ``<iframe>`` of
the allowed origin (and only there, by ``Content-Security-Policy: frame-ancestors``);
the websocket origin check; the PNG endpoint, ``/api/datasets`` and ``/health``; a
title carrying ``<script>`` runs nothing; an unreadable file shows a readable error
and the page keeps working. Screenshots land in ``artifacts/browser/``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import io
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from .conftest import (
    ARTIFACTS,
    EVIL_TITLE,
    PLOT_TIMEOUT_MS,
    bokeh_axis_labels,
    distinct_colours,
    embedding_site,
    figure_ranges,
    figure_titles,
    free_port,
    shadow_text,
    wait_for_plot,
)

pytestmark = pytest.mark.browser


def fetch(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=120) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def wait_until(predicate, timeout: float = 60.0, interval: float = 0.25, what: str = ""):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).items()}


def choose_option(page, control: str, text: str) -> None:
    """Pick the option of a quicklook control (``portal-control-NAME``) whose label holds text."""
    select = page.locator(f".portal-control-{control} select")
    labels = select.evaluate("s => [...s.options].map(o => o.text)")
    label = next(lbl for lbl in labels if text in lbl)
    select.select_option(label=label)


def selected_label(page, control: str) -> str:
    return page.locator(f".portal-control-{control} select").evaluate(
        "s => s.options[s.selectedIndex].text")


def mercator(lon: float, lat: float) -> tuple[float, float]:
    import math

    radius = 6378137.0
    return (math.radians(lon) * radius,
            radius * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)))


# --------------------------------------------------------------------------- HTTP routes


def test_health_counts_the_catalog(portal):
    status, headers, body = fetch(f"{portal.url}/health")
    assert status == 200
    report = json.loads(body)
    assert report["status"] == "ok" and report["datasets"] == len(portal.ids)
    assert report["catalog"]["files"] == ["catalog.yaml"]  # a file name, no server path


def test_api_lists_datasets_with_quicklook_urls(portal):
    status, headers, body = fetch(f"{portal.url}/api/datasets")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    data = json.loads(body)
    assert data["count"] == len(portal.ids)
    by_id = {d["id"]: d for d in data["datasets"]}
    assert set(by_id) == set(portal.ids)
    assert by_id["evil"]["metadata"]["title"] == EVIL_TITLE  # data, served as JSON, not HTML
    # every kind with a PNG form (linked views are the page's only)
    assert set(by_id["argo_6901744"]["quicklooks"]) == {"map", "profile", "ts", "section",
                                                        "timedepth"}
    assert set(by_id["tidegauge"]["quicklooks"]) >= {"timeseries", "map"}
    sst = by_id["modis_sst"]  # serve's public URL defaults to its own address
    assert sst["quicklooks"]["map"] == f"{portal.url}/quicklook/modis_sst/map.png"
    assert sst["page"] == f"{portal.url}/?dataset=modis_sst"
    assert sst["embed"] == f"{portal.url}/embed?dataset=modis_sst"
    status, headers, png = fetch(sst["quicklooks"]["map"] + "?width=400&height=300")
    assert status == 200 and headers["Content-Type"] == "image/png"


def test_png_endpoint_returns_a_valid_non_uniform_png(portal):
    from PIL import Image

    url = f"{portal.url}/quicklook/modis_sst/map.png?width=640&height=420&cmap=thermal"
    start = time.perf_counter()
    status, headers, png = fetch(url)
    cold = time.perf_counter() - start
    assert status == 200, png[:300]
    assert headers["Content-Type"] == "image/png"
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    image.verify()
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.size == (640, 420)
    assert distinct_colours(png) > 50, "the quicklook PNG is (nearly) uniform"
    (ARTIFACTS / "png_endpoint_modis_sst.png").write_bytes(png)
    start = time.perf_counter()
    status, _, again = fetch(url)
    cached = time.perf_counter() - start
    assert status == 200 and again == png
    assert cached < max(cold, 0.5), f"cached {cached:.2f} s not faster than cold {cold:.2f} s"


@pytest.mark.parametrize(("path", "status", "reason"), [
    ("/quicklook/modis_sst/map.png?qc=bogus", 400, "qc: 'bogus' is not one of"),
    ("/quicklook/modis_sst/map.png?width=huge", 400, "width: must be an integer"),
    ("/quicklook/modis_sst/map.png?width=50", 400, "width: must be between 100 and 4000"),
    ("/quicklook/modis_sst/map.png?bbox=1,2,3", 400, "bbox: expected W,S,E,N"),
    ("/quicklook/modis_sst/map.png?time=yesterday/", 400, "time: 'yesterday'"),
    ("/quicklook/modis_sst/map.png?var=nope", 400, "unknown variable 'nope'"),
    ("/quicklook/modis_sst/profile.png", 400, "no profile quicklook"),
    ("/quicklook/no_such_dataset/map.png", 404, "unknown dataset id 'no_such_dataset'"),
])
def test_png_endpoint_rejects_bad_requests_with_a_reason(portal, path, status, reason):
    got, headers, body = fetch(portal.url + path)
    assert got == status, body
    assert headers["Content-Type"].startswith("text/plain")
    assert reason in body.decode()


# ------------------------------------------------------------------------------ the page


def test_page_loads_and_fits_1366x768(page, portal):
    page.goto(f"{portal.url}/")
    page.get_by_text(f"{len(portal.ids)} datasets").wait_for()
    text = shadow_text(page)
    assert "Search datasets" in text
    assert "Choose a dataset in the list" in text
    assert EVIL_TITLE in text  # shown as text
    assert page.title() == "ODATIS quicklook portal"
    buttons = page.locator(".portal-dataset-button")
    assert buttons.count() == len(portal.ids)
    sidebar = page.locator("#sidebar").bounding_box()
    for i in range(buttons.count()):  # long titles wrap inside the sidebar
        box = buttons.nth(i).locator("button").first.bounding_box()
        assert box["x"] + box["width"] <= sidebar["x"] + sidebar["width"] + 1
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 1366, f"page wider than the window: {width}px"
    page.screenshot(path=str(ARTIFACTS / "page_loaded.png"))
    assert page.errors == []


def test_choosing_a_dataset_draws_a_plot(page, portal):
    page.goto(f"{portal.url}/")
    page.get_by_role("button", name="Argo float 6901744").click()
    plot = wait_for_plot(page, "argo_map_chosen")
    assert query_of(page.url)["dataset"] == "argo_6901744"
    assert "Coriolis" in shadow_text(page)  # the card
    box = plot.bounding_box()
    assert box["width"] > 500 and box["height"] >= 300
    assert box["x"] + box["width"] <= 1366
    add = page.locator(".portal-dataset-button.active button.portal-add").first
    colours = add.evaluate("b => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]")
    assert colours[0] != colours[1] and add.inner_text().strip()  # readable on the chosen item
    page.screenshot(path=str(ARTIFACTS / "argo_chosen_page.png"))
    assert page.errors == []


def test_changing_the_variable_redraws(page, portal):
    page.goto(f"{portal.url}/?dataset=tidegauge&kind=timeseries")
    wait_for_plot(page, "tidegauge_temperature")
    assert "Temperature [celsius degree]" in bokeh_axis_labels(page)
    choose_option(page, "var", "(ASLVZZ01)")
    page.wait_for_url(re.compile(r"var=ASLVZZ01"))
    wait_until(lambda: any("Sea level" in lbl for lbl in bokeh_axis_labels(page)),
               what="the y axis to show the new variable")
    assert not any(lbl.startswith("Temperature") for lbl in bokeh_axis_labels(page))
    wait_for_plot(page, "tidegauge_sea_level")
    assert page.errors == []


def test_language_switch_changes_the_labels(page, portal):
    page.goto(f"{portal.url}/?dataset=modis_sst")
    page.locator(".portal-control-var select").wait_for()
    page.get_by_text("Search datasets").wait_for()
    english = shadow_text(page)
    for label in ("Search datasets", "Time range", "Quality control", "How to cite"):
        assert label in english
    page.locator(".portal-lang").get_by_role("button", name="FR").click()
    page.get_by_text("Rechercher des jeux de données").wait_for()
    page.wait_for_url(re.compile(r"lang=fr"))
    wait_until(lambda: "Période" in shadow_text(page), what="French quicklook controls")
    page.locator(".portal-filters button").click()  # the facets, built on first opening
    wait_until(lambda: "Institution" in shadow_text(page), what="the facets")
    french = shadow_text(page)
    for label in ("Filtres", "Type de données", "Contrôle qualité", "Palette", "Comment citer",
                  "Copier le lien", "Couverture temporelle"):
        assert label in french, label
    for label in ("Search datasets", "Time range", "How to cite"):
        assert label not in french, label
    assert page.locator("#header .title").inner_text() == "Portail d'aperçus ODATIS"
    assert page.title() == "Portail d'aperçus ODATIS"
    page.screenshot(path=str(ARTIFACTS / "page_fr.png"))
    page.locator(".portal-lang").get_by_role("button", name="EN").click()
    page.get_by_text("Search datasets").wait_for()
    assert page.locator("#header .title").inner_text() == "ODATIS quicklook portal"
    assert page.errors == []


def test_copied_url_restores_the_view(page, browser, portal):
    page.goto(f"{portal.url}/?dataset=tidegauge")
    wait_for_plot(page)
    choose_option(page, "var", "(ASLVZZ01)")
    page.wait_for_url(re.compile(r"var=ASLVZZ01"))
    page.locator(".portal-lang").get_by_role("button", name="FR").click()
    page.wait_for_url(re.compile(r"lang=fr"))
    # the redrawn plot speaks French, as a page opened in French does (below)
    wait_until(lambda: "Hauteur de la mer au-dessus du géoïde [meter]" in bokeh_axis_labels(page),
               what="the sea-level plot, in French")
    copied = page.url  # what "Copy link" writes to the clipboard
    query = query_of(copied)
    assert query["dataset"] == "tidegauge" and query["var"] == "ASLVZZ01"
    assert query["lang"] == "fr"

    context = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        other = context.new_page()
        other.goto(copied)
        wait_for_plot(other, "url_restored_sea_level")
        assert "(ASLVZZ01)" in selected_label(other, "var")
        assert "Rechercher des jeux de données" in shadow_text(other)
        assert "Hauteur de la mer au-dessus du géoïde [meter]" in bokeh_axis_labels(other)  # FR
        assert query_of(other.url) == query
    finally:
        context.close()


def test_url_parameters_set_every_control(page, portal):
    page.goto(f"{portal.url}/?dataset=argo_6901744&kind=map&var=PSAL&qc=good_probably"
              "&cmap=haline&color=value&depth=10/500")
    wait_for_plot(page, "url_controls_argo")
    assert "(PSAL)" in selected_label(page, "var")
    assert selected_label(page, "qc") == "Good and probably good"
    assert selected_label(page, "cmap") == "haline"
    assert selected_label(page, "color") == "Value"
    kind = page.locator(".portal-control-kind .bk-btn.bk-active")
    assert kind.inner_text() == "Map"
    slider = shadow_text(page)
    assert "10 .. 500" in slider, "depth slider not restored"
    assert any("salinity" in lbl.lower() for lbl in bokeh_axis_labels(page))
    query = query_of(page.url)
    assert query["qc"] == "good_probably" and query["depth"] == "10/500"
    assert page.errors == []


def close_ranges(got, want, rel: float = 0.02) -> bool:
    """Two [x0, x1, y0, y1] views agree to ``rel`` of their spans."""
    spans = (want[1] - want[0], want[1] - want[0], want[3] - want[2], want[3] - want[2])
    return all(abs(g - w) <= rel * abs(s) for g, w, s in zip(got, want, spans, strict=True))


def test_map_extent_lives_in_the_url(page, browser, portal):
    page.goto(f"{portal.url}/?dataset=argo_6901744&kind=map&extent=-30,-5,-15,5")
    plot = wait_for_plot(page)
    (ex0, ey0), (ex1, ey1) = mercator(-30, -5), mercator(-15, 5)
    wait_until(lambda: close_ranges(figure_ranges(page, "positions"), [ex0, ex1, ey0, ey1]),
               timeout=30, what="the map to open on the URL's extent")
    # zoom with the mouse wheel (the map's active tool): the URL follows the view ...
    box = plot.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.5)
    page.mouse.wheel(0, -400)
    page.wait_for_url(lambda url: query_of(url).get("extent", "-30,-5,-15,5") != "-30,-5,-15,5")
    zoomed = figure_ranges(page, "positions")
    assert zoomed[1] - zoomed[0] < 0.9 * (ex1 - ex0)
    west, south, east, north = (float(v) for v in query_of(page.url)["extent"].split(","))
    (wx0, wy0), (wx1, wy1) = mercator(west, south), mercator(east, north)
    assert close_ranges(zoomed, [wx0, wx1, wy0, wy1])
    # ... and that URL reopens the same view
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        other = context.new_page()
        other.goto(page.url)
        wait_for_plot(other, "map_extent_restored")
        wait_until(lambda: close_ranges(figure_ranges(other, "positions"), zoomed), timeout=30,
                   what="the reopened map to show the zoomed view")
    finally:
        context.close()


def test_hostile_title_runs_no_script(page, portal):
    page.goto(f"{portal.url}/?dataset=evil")
    wait_for_plot(page)
    page.get_by_role("button", name="Argo float 6901744").wait_for()
    text = shadow_text(page)
    assert text.count(EVIL_TITLE) >= 2  # list button and card title, as text
    assert "<b>not bold</b>" in text
    injected = page.evaluate("""() => {
        let found = 0;
        const walk = (root) => {
            for (const el of root.querySelectorAll('script, img, b')) {
                if ((el.textContent || '').includes('__pwned') || el.getAttribute('src') === 'x'
                    || el.textContent === 'not bold') found++;
            }
            for (const el of root.querySelectorAll('*')) if (el.shadowRoot) walk(el.shadowRoot);
        };
        walk(document);
        return found;
    }""")
    assert injected == 0
    page.screenshot(path=str(ARTIFACTS / "hostile_title.png"))
    assert page.evaluate("window.__pwned") is None
    assert page.errors == []


def test_unreadable_file_shows_a_readable_error_and_the_page_keeps_working(page, portal):
    page.goto(f"{portal.url}/")
    page.get_by_role("button", name="Unreadable file (test)").click()
    page.locator(".portal-error").first.wait_for()
    text = shadow_text(page)
    assert "Cannot draw this quicklook" in text
    assert "not a NetCDF file" in text and "Traceback" not in text
    page.screenshot(path=str(ARTIFACTS / "unreadable_file.png"))
    page.locator(".portal-lang").get_by_role("button", name="FR").click()  # message relabelled
    wait_until(lambda: "Impossible de tracer cet aperçu" in shadow_text(page),
               what="the error heading in French")
    page.get_by_role("button", name=re.compile(r"^SST, Aqua MODIS")).click()
    wait_for_plot(page, "after_error_sst")
    assert page.locator(".portal-error").count() == 0
    assert query_of(page.url)["dataset"] == "modis_sst"
    assert page.errors == []


# ------------------------------------------------------------------------- embedding


def test_embed_sets_frame_ancestors(portal):
    status, headers, _ = fetch(f"{portal.url}/embed?dataset=modis_sst&kind=map")
    assert status == 200
    assert headers["Content-Security-Policy"] == f"frame-ancestors 'self' {portal.host_url}"


def test_embed_renders_in_an_800x500_iframe_of_the_allowed_origin(page, portal):
    page.set_viewport_size({"width": 1000, "height": 700})
    page.goto(f"{portal.host_url}/frame?dataset=modis_sst&kind=map")
    frame = page.frame_locator("#quicklook")
    wait_for_plot(frame, "embed_plot")
    inner = next(f for f in page.frames if "/embed" in f.url)
    width, height = inner.evaluate(
        "[document.scrollingElement.scrollWidth, document.scrollingElement.scrollHeight]")
    assert width <= 800 and height <= 500, f"embed overflows its 800×500 iframe: {width}×{height}"
    assert frame.locator(".portal-lang").count() == 0  # no chrome
    assert "Search datasets" not in shadow_text(inner)
    page.screenshot(path=str(ARTIFACTS / "embed_iframe.png"))
    assert page.errors == []


def test_embed_is_refused_to_other_origins(page, portal):
    port = free_port()
    server = embedding_site(port, portal.url)  # an origin not in --embed-origin
    try:
        page.goto(f"http://127.0.0.1:{port}/frame?dataset=modis_sst")

        def frame_url() -> str:
            frames = [f for f in page.frames if f != page.main_frame]
            return frames[0].url if frames and frames[0].url != "about:blank" else ""

        url = wait_until(frame_url, what="the iframe to load or be refused")
        assert url.startswith("chrome-error://"), url  # refused by frame-ancestors
    finally:
        server.shutdown()


def test_websocket_origin_check(portal):
    import tornado.httpclient
    import tornado.websocket

    status, _, body = fetch(f"{portal.url}/?dataset=modis_sst")
    assert status == 200
    token = re.search(rb'"token":\s*"([^"]+)"', body).group(1).decode()
    ws_url = portal.url.replace("http://", "ws://") + "/ws"

    async def connect(origin: str):
        request = tornado.httpclient.HTTPRequest(ws_url, headers={"Origin": origin})
        conn = await tornado.websocket.websocket_connect(
            request, subprotocols=["bokeh", token], compression_options={})
        try:  # connected: the server answered 101 Switching Protocols
            ack = await asyncio.wait_for(conn.read_message(), timeout=60)  # Bokeh's ACK
            return conn.headers.get("Sec-WebSocket-Extensions", ""), ack
        finally:
            conn.close()

    def run(origin: str):  # own thread: Playwright's sync API owns this thread's event loop
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, connect(origin)).result()

    for origin in ("http://evil.example", portal.host_url, "null"):
        with pytest.raises(tornado.httpclient.HTTPClientError) as refused:
            run(origin)
        assert refused.value.code == 403, origin
    extensions, ack = run(portal.url)
    assert ack is not None
    assert "permessage-deflate" in extensions  # map updates travel compressed


# ------------------------------------------------------------------------ point store


def test_point_store_map_hover_and_profile_density(page, portal):
    """Every point drawn server-side; hover gives a pixel's count and mean; the profile tab
    draws the density of all profiles with the same machinery."""
    page.goto(f"{portal.url}/?dataset=points&var=TEMP")
    plot = wait_for_plot(page, "points_map_count")
    wait_until(lambda: any("observations in view" in (t or "") for t in figure_titles(page)),
               what="the point-store map title")
    box = plot.bounding_box()
    tooltip = None
    # sweep the map until the cursor is over a cell holding points: the hover then gives
    # the cell's count (a whole number) and the mean of the parameter
    found = re.compile(r"Observations:?\s*([\d,]+)\s+Mean TEMP[^:]*:?\s*(-?\d+\.\d+)")
    for fx in [i / 16 for i in range(2, 15)]:
        for fy in [i / 10 for i in range(2, 9)]:
            page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
            page.wait_for_timeout(80)
            match = found.search(shadow_text(page))
            if match:
                tooltip = match
                break
        if tooltip:
            break
    assert tooltip is not None, "no hover tooltip with a count and a mean"
    assert int(tooltip.group(1).replace(",", "")) >= 1
    page.screenshot(path=str(ARTIFACTS / "points_hover.png"))
    page.locator(".portal-control-kind").get_by_role("button", name="Profile").click()
    page.wait_for_url(re.compile(r"kind=profile"))
    wait_until(lambda: any("profile density of TEMP" in (t or "") for t in figure_titles(page)),
               what="the profile-density plot")
    wait_for_plot(page, "points_profile_density")
    page.screenshot(path=str(ARTIFACTS / "points_profile_density_page.png"))
    assert page.errors == []


MAP_IDS_JS = """() => {
    for (const doc of Bokeh.documents) {
        for (const m of doc.all_models) {
            if (m.type === 'ColumnDataSource' && m.data.kind !== undefined && m.data.id) {
                return [...m.data.id];
            }
        }
    }
    return null;
}"""


def test_facets_open_on_demand_and_filter_the_list(page, portal):
    page.goto(f"{portal.url}/")
    page.get_by_text(f"{len(portal.ids)} datasets").wait_for()
    assert "Data type" not in shadow_text(page)  # not built before they are asked for
    page.locator(".portal-filters button").click()
    choice = page.locator(".bk-panel-models-widgets-CustomMultiSelect, .choices").first
    choice.wait_for()
    page.locator(".choices input").first.click()  # opens the "Data type" choices
    page.get_by_role("option", name="grid (3)", exact=True).first.click()  # with its count
    page.get_by_text("3 datasets").wait_for()  # the MODIS grid, the hostile and the broken one
    # the landing map follows the list: only the located grids keep their box
    wait_until(lambda: sorted(page.evaluate(MAP_IDS_JS)) == ["evil", "modis_sst"],
               what="the landing map to show the filtered datasets")
    text = shadow_text(page)
    assert "Argo float 6901744" not in text and "SST, Aqua MODIS" in text
    page.screenshot(path=str(ARTIFACTS / "facets_grid.png"))
    assert page.errors == []


def test_citation_panel_and_download_link_in_both_languages(page, portal):
    page.goto(f"{portal.url}/?dataset=tidegauge&var=ASLVZZ01&lang=fr")
    wait_for_plot(page)
    bibtex = page.locator(".portal-bibtex").first
    bibtex.wait_for(state="attached")
    assert bibtex.text_content().startswith("@misc{")
    assert "language = {french}" in bibtex.text_content()
    assert "Consulté le" in page.locator(".portal-citation").first.text_content()
    link = page.locator("a.portal-download", has_text="CSV").first
    link.wait_for()
    href = link.get_attribute("href")
    assert href.startswith(f"{portal.url}/download/tidegauge.csv?") and "var=ASLVZZ01" in href
    status, headers, body = fetch(href)
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    import io

    import pandas as pd

    frame = pd.read_csv(io.BytesIO(body), comment="#")
    assert "ASLVZZ01" in frame.columns and len(frame) > 0
    page.locator(".portal-lang").get_by_role("button", name="EN").click()
    page.wait_for_url(re.compile(r"lang=en"))
    wait_until(lambda: "Accessed" in page.locator(".portal-citation").first.text_content(),
               what="the English citation")
    assert page.errors == []


def test_search_by_text_and_typed_box_with_lazy_thumbnails(page, portal):
    page.goto(f"{portal.url}/")
    page.get_by_text(f"{len(portal.ids)} datasets").wait_for()
    page.locator(".portal-filters button").click()
    where = page.locator(".portal-where input").first
    where.fill("-160,20,-140,40")  # the MODIS grids (and the global point store)
    where.press("Enter")
    page.wait_for_url(re.compile(r"where=-160"))
    import json

    boxed = json.loads(fetch(f"{portal.url}/api/datasets?bbox=-160,20,-140,40")[2])["count"]
    assert 0 < boxed < len(portal.ids)
    page.get_by_text(f"{boxed} datasets").first.wait_for(timeout=PLOT_TIMEOUT_MS)
    search = page.get_by_placeholder(re.compile("title|variable|Search", re.I)).first
    search.fill("sst")
    wait_until(lambda: "SST, Aqua MODIS" in shadow_text(page)
               and "tide" not in shadow_text(page).lower(), what="text and box together")
    thumbs = page.locator("img.portal-thumb")
    thumbs.first.wait_for()
    assert thumbs.first.get_attribute("loading") == "lazy"
    page.locator(".portal-filters button").click()  # folded: the list shows under the box
    page.locator(".portal-where input").first.wait_for(state="hidden")
    wait_until(lambda: thumbs.evaluate_all(
        "els => els.some(x => x.complete && x.naturalWidth > 0)"),
        timeout=PLOT_TIMEOUT_MS / 1000, what="a thumbnail PNG to load")
    page.screenshot(path=str(ARTIFACTS / "search_thumbnails.png"))
    assert page.errors == []


def test_a_box_drawn_on_the_landing_map_filters_the_list(page, portal):
    page.goto(f"{portal.url}/")
    page.get_by_text(f"{len(portal.ids)} datasets").wait_for()
    canvas = page.locator(".portal-overview canvas").first
    canvas.wait_for(timeout=PLOT_TIMEOUT_MS)
    page.locator(".bk-tool-icon-box-select").first.click()  # "Draw a search area"
    box = canvas.bounding_box()
    x0, y0 = box["x"] + box["width"] * 0.05, box["y"] + box["height"] * 0.15
    x1, y1 = box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.7
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=5)
    page.mouse.move(x1, y1, steps=5)
    page.mouse.up()
    page.wait_for_url(re.compile(r"where=-?\d"), timeout=PLOT_TIMEOUT_MS)
    where = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)["where"][0]
    west, south, east, north = (float(v) for v in where.split(","))
    assert west < east and south < north and west < -60  # the western half of the world
    found = json.loads(fetch(f"{portal.url}/api/datasets?bbox={where}")[2])["count"]
    assert found < len(portal.ids)
    page.get_by_text(f"{found} datasets").first.wait_for(timeout=PLOT_TIMEOUT_MS)
    assert "dataset=" not in page.url  # drawing never opens a dataset under the box
    page.locator(".portal-filters button").click()
    assert page.locator(".portal-where input").first.input_value() == where
    page.screenshot(path=str(ARTIFACTS / "landing_drawn_box.png"))
    assert page.errors == []


def test_point_store_download_from_the_page_shows_its_size(page, portal):
    page.goto(f"{portal.url}/?dataset=points&bbox=-40,20,0,60&var=TEMP")
    size = page.locator(".portal-download-size").first
    size.wait_for(timeout=PLOT_TIMEOUT_MS)
    assert re.match(r"≈ [\d,]+ rows, ~[\d.]+ [kMG]?B", size.text_content())
    with page.expect_download(timeout=PLOT_TIMEOUT_MS) as started:
        page.locator("a.portal-download", has_text="CSV").first.click()
    import pandas as pd

    frame = pd.read_csv(started.value.path(), comment="#")
    assert list(frame.columns[:6]) == ["platform", "cycle", "time", "longitude", "latitude", "z"]
    assert len(frame) > 100 and frame["longitude"].between(-40, 0).all()
    assert frame["latitude"].between(20, 60).all()
    assert page.errors == []
