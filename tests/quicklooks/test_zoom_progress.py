"""The zoom progress overlay of server-drawn maps (portal.quicklooks.zoom_progress)."""

from __future__ import annotations

import numpy as np
import pytest


def _grid_figure(lang: str = "en"):
    import holoviews as hv
    import xarray as xr

    from portal.quicklooks import Style, ensure_backends
    from portal.quicklooks.map import build

    ensure_backends()
    lon, lat = np.linspace(-10, 0, 40), np.linspace(40, 50, 30)
    field = xr.DataArray(np.random.default_rng(0).random((30, 40)), name="sst",
                         dims=("latitude", "longitude"),
                         coords={"latitude": lat, "longitude": lon}, attrs={"units": "K"})
    element = build(field, variable="sst", feature_type="grid", title="SST",
                    style=Style(width=400, height=300, lang=lang))
    return hv.render(element, backend="bokeh")


def test_a_rasterised_map_gets_a_hidden_overlay_wired_to_zoom_and_new_images():
    from bokeh.models import BoxAnnotation, ColumnDataSource, Label

    figure = _grid_figure()
    boxes = [m for m in figure.select({"type": BoxAnnotation}) if m.name == "portal-zoom-progress"]
    labels = [m for m in figure.select({"type": Label}) if m.name == "portal-zoom-progress-label"]
    assert len(boxes) == 1 and len(labels) == 1
    assert not boxes[0].visible and labels[0].text == "Loading…"
    assert "rangesupdate" in figure.js_event_callbacks  # shown when a zoom ends ...
    images = [s for s in figure.select({"type": ColumnDataSource}) if "image" in s.data]
    assert images and all("change:data" in s.js_property_callbacks for s in images)  # ... lifted


def test_the_overlay_speaks_the_page_language():
    from bokeh.models import Label

    figure = _grid_figure("fr")
    assert [m.text for m in figure.select({"type": Label})
            if m.name == "portal-zoom-progress-label"] == ["Chargement…"]


@pytest.mark.parametrize("element", ["points", "curve"])
def test_a_plot_without_a_server_image_gets_no_overlay(element):
    import holoviews as hv

    from portal.quicklooks import ensure_backends
    from portal.quicklooks.zoom_progress import zoom_progress

    ensure_backends()
    data = [(0, 1), (1, 3), (2, 2)]
    el = hv.Points(data) if element == "points" else hv.Curve(data)
    figure = hv.render(el.opts(hooks=[zoom_progress()], backend="bokeh"), backend="bokeh")
    assert figure.select_one({"name": "portal-zoom-progress"}) is None
    assert "rangesupdate" not in figure.js_event_callbacks
