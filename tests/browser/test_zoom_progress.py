"""In Chromium: a map zoom whose new image is slow veils the plot until the image comes."""

from __future__ import annotations

import time

from tests.browser.conftest import ARTIFACTS
from tests.quicklooks.test_zoom_progress import _grid_figure

#: the overlay's models in the page: [box visible, label visible]
VEIL_JS = """() => Bokeh.documents.flatMap(d => [...d._all_models.values()])
    .filter(m => (m.name || '').startsWith('portal-zoom-progress')).map(m => m.visible)"""
NEW_IMAGE_JS = """() => {
    const src = Bokeh.documents.flatMap(d => [...d._all_models.values()])
        .find(m => m.type === 'ColumnDataSource' && 'image' in m.data);
    src.data = {...src.data, x: [src.data.x[0] + 1]};  // a new view's image
}"""


def test_a_slow_zoom_shows_the_overlay_until_the_new_image(page, tmp_path):
    from bokeh.embed import file_html
    from bokeh.resources import INLINE

    from portal.quicklooks.zoom_progress import SHOW_AFTER_MS

    # a standalone page: no server answers the zoom, as when it is slow (HoloViews' Python
    # range callbacks, which a standalone page cannot have, are dropped)
    figure = _grid_figure()
    for model in figure.references():
        model._callbacks.clear()
        model._event_callbacks.clear()
    html = tmp_path / "map.html"
    html.write_text(file_html(figure, INLINE, "zoom"), encoding="utf-8")
    page.goto(html.as_uri())
    canvas = page.locator("canvas").first
    canvas.wait_for(state="visible")
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.5)
    page.wait_for_function("() => window.Bokeh && Bokeh.documents.length > 0")
    assert page.evaluate(VEIL_JS) == [False, False]
    page.mouse.wheel(0, -240)
    time.sleep(SHOW_AFTER_MS / 1000 / 3)  # a fast answer would lift it before it shows
    assert page.evaluate(VEIL_JS) == [False, False]
    page.wait_for_function(f"() => ({VEIL_JS})().every(v => v)", timeout=5000)
    page.screenshot(path=str(ARTIFACTS / "zoom_progress_veiled.png"))
    page.evaluate(NEW_IMAGE_JS)  # the server's new image arrives
    page.wait_for_function(f"() => ({VEIL_JS})().every(v => !v)", timeout=5000)
    assert not page.errors
