"""The XYZ tiles as a Leaflet tile layer in Chromium (``/assets/gis.html``, Leaflet vendored)."""

from __future__ import annotations

import urllib.parse

from .conftest import ARTIFACTS

OPAQUE_PIXELS_JS = """() => {
    const counts = [];
    for (const img of document.querySelectorAll('img.leaflet-tile-loaded')) {
        const canvas = document.createElement('canvas');
        canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
        const ctx = canvas.getContext('2d');
        ctx.drawImage(img, 0, 0);
        const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        let opaque = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) opaque++;
        counts.push(opaque);
    }
    return counts;
}"""


def _tile_statuses(page) -> list[int]:
    statuses: list[int] = []
    page.on("response", lambda r: statuses.append(r.status) if "/tiles/" in r.url else None)
    return statuses


def _open(page, portal, **params) -> list[int]:
    statuses = _tile_statuses(page)
    page.goto(f"{portal.url}/assets/gis.html?{urllib.parse.urlencode(params)}")
    page.wait_for_function("() => window.portalTiles && !window.portalTiles.isLoading()"
                           " && document.querySelectorAll('img.leaflet-tile-loaded').length > 0",
                           timeout=120_000)
    page.wait_for_timeout(300)  # the land layer
    return statuses


def test_point_store_tiles_in_leaflet(page, portal):
    statuses = _open(page, portal, dataset="points", zoom=1, lat=20, lon=0)
    assert statuses and set(statuses) == {200}
    counts = page.evaluate(OPAQUE_PIXELS_JS)
    assert len(counts) >= 4 and sum(counts) > 500  # data drawn on the world tiles
    assert min(counts) < 256 * 256  # transparent where there are no data
    page.screenshot(path=str(ARTIFACTS / "tiles-points-leaflet.png"))
    assert page.errors == []


def test_grid_tiles_in_leaflet_follow_the_colouring_parameters(page, portal):
    # a 1°x1° field at 30-31°N, 210-211°E (longitudes past 180 drawn at -150)
    statuses = _open(page, portal, dataset="modis_sst", zoom=8, lat=30.5, lon=-149.5,
                     cmap="plasma")
    assert statuses and set(statuses) == {200}
    counts = page.evaluate(OPAQUE_PIXELS_JS)
    assert sum(counts) > 20_000  # about 180x210 screen pixels of field
    assert min(counts) == 0  # tiles beside it are clear
    srcs = page.eval_on_selector_all("img.leaflet-tile", "els => els.map(e => e.src)")
    assert all("cmap=plasma" in s for s in srcs)
    page.screenshot(path=str(ARTIFACTS / "tiles-grid-leaflet.png"))
    assert page.errors == []
