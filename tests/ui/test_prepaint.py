"""The server-rendered first paint: list, landing map boxes, shared-link PNG, escaping."""

from __future__ import annotations

import re

import pytest

from portal.render.landing import ASPECT, fraction, land_png
from portal.ui.prepaint import PrePaint, map_html, prepaint_html
from tests.ui.test_overview_map import _entry  # the same dataset boxes as the live map

EVIL = '<script>window.x=1</script><img src=x onerror="alert(1)">'


@pytest.fixture
def entries():
    return [_entry("station", (5.0, 43.0, 5.0, 43.0), "timeSeries", EVIL),
            _entry("biscay", (-10.0, 43.0, 2.0, 51.0), "grid"),
            _entry("world", (-180.0, -80.0, 180.0, 90.0), "point"),
            _entry("dateline", (170.0, -20.0, 190.0, -10.0), "trajectory")]


def _boxes(text: str) -> list[tuple[str, float, float, float, float]]:
    return [(m[0], *map(float, m[1:])) for m in re.findall(
        r"data-dataset='([^']*)' style='left:([\d.]+)%;top:([\d.]+)%;width:([\d.]+)%;"
        r"height:([\d.]+)%", text)]


def test_boxes_largest_first_globals_listed_not_framed(entries):
    text = map_html(PrePaint(entries=entries, land="/overview/land.png"))
    ids = [b[0] for b in _boxes(text)]
    assert ids == ["dateline", "dateline", "biscay", "station"]  # later = on top
    assert "data-dataset='world'" not in text
    assert "?dataset=world" in text.split("pp-globals")[1]  # listed under the map


def test_box_placement_matches_the_land_image(entries):
    text = map_html(PrePaint(entries=entries, land="/overview/land.png"))
    _, left, top, width, height = next(b for b in _boxes(text) if b[0] == "biscay")
    x0, y0 = fraction(-10.0, 51.0)
    x1, y1 = fraction(2.0, 43.0)
    assert (left, top) == pytest.approx((x0 * 100, y0 * 100), abs=1e-3)
    assert (width, height) == pytest.approx(((x1 - x0) * 100, (y1 - y0) * 100), abs=1e-3)
    station = next(b for b in _boxes(text) if b[0] == "station")
    assert station[3] > 0.2 and station[4] > 0.2  # a point still shows (~1 degree)
    assert f"aspect-ratio:1/{ASPECT:.5f}" in text


def test_everything_from_metadata_is_escaped(entries):
    items = [{"id": "station", "title": EVIL, "sub": EVIL, "thumb": "/thumbnail/x.png?a=1&b=2"}]
    text = prepaint_html(PrePaint(title="T", count="1 dataset", items=items, entries=entries,
                                  land="/overview/land.png"))
    assert "<script>window" not in text and "<img src=x" not in text
    assert "&lt;script&gt;window.x=1&lt;/script&gt;" in text
    assert "src='/thumbnail/x.png?a=1&amp;b=2' loading='lazy'" in text


def test_shared_link_shows_the_png_not_the_map(entries):
    text = prepaint_html(PrePaint(items=[], entries=entries, plot="/quicklook/a/map.png?x=1",
                                  plot_size=(900, 520), heading="<h2>A</h2>"))
    assert "class='pp-plot' src='/quicklook/a/map.png?x=1'" in text
    assert "width='900' height='520'" in text
    assert "pp-map" not in text.split("</style>")[1]


def test_a_page_only_kind_asks_for_no_png(entries, monkeypatch):
    import portal.quicklooks
    from portal.ui.prepaint import _plot_request

    monkeypatch.setattr(portal.quicklooks, "entry_kinds", lambda entry: ("profile", "linked"))
    station = entries[0]
    request = _plot_request(station, "en", {"kind": "profile"}, (900, 520))
    assert request is not None and request[:2] == ("station", "profile")
    # linked views are drawn in the page only: /quicklook/ID/linked.png answers 400
    assert _plot_request(station, "en", {"kind": "linked"}, (900, 520)) is None


def test_links_keep_the_language(entries):
    items = [{"id": "biscay", "title": "Biscay", "sub": "", "thumb": ""}]
    text = prepaint_html(PrePaint(lang="fr", items=items, link_args={"lang": "fr"}))
    assert "href='?dataset=biscay&amp;lang=fr'" in text
    assert "id='portal-prepaint' lang='fr'" in text


def test_land_png_is_a_png_of_the_map_window():
    from io import BytesIO

    from PIL import Image

    image = Image.open(BytesIO(land_png(512)))
    assert image.size == (512, round(512 * ASPECT))
    colours = {c for _, c in image.convert("RGB").getcolors(4096)}
    assert len(colours) > 3  # sea, land, coast, graticule
    with pytest.raises(ValueError):
        land_png(100)
