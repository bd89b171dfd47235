"""A point store is a dataset like any other: its map goes through the shared pipeline."""

from __future__ import annotations

import io

import numpy as np
import pytest

from portal.model import Query
from portal.quicklooks import Style


@pytest.fixture
def store(small_store):
    return small_store


@pytest.fixture
def entry(small_store_entry):
    return small_store_entry


def _range_stream(dmap):
    """The RangeXY stream the Bokeh plot links to the zoom (nested in the overlay)."""
    import holoviews as hv

    for stream in dmap.streams:
        if isinstance(stream, hv.streams.RangeXY):
            return stream
    for child in dmap.callback.inputs:
        if isinstance(child, hv.DynamicMap) and (found := _range_stream(child)) is not None:
            return found
    return None


@pytest.mark.parametrize("color", ["auto", "value", "qc"])
def test_png_for_any_bbox(entry, color):
    from PIL import Image

    from portal.render.quicklook import render_quicklook_png

    for bbox in (None, (-40.0, 20.0, 20.0, 65.0)):
        png = render_quicklook_png(entry, "map", Query(bbox=bbox),
                                   Style(color_by=color, width=600, height=380, interactive=False))
        img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
        assert np.unique(img.reshape(-1, 3), axis=0).shape[0] > 20


def test_page_element_reaggregates_on_zoom(entry, store):
    import holoviews as hv

    from portal.pipeline import build_quicklook
    from portal.pointstore.aggregate import aggregate_dataset

    element = build_quicklook(entry, "map", Query(), Style(width=600, height=380))
    assert isinstance(element, hv.DynamicMap)

    def title() -> str:
        layer = element.last.values()[0] if isinstance(element.last, hv.Overlay) else element.last
        text = hv.Store.lookup_options("bokeh", layer, "plot").kwargs["title"]
        return " ".join(text.split())  # wrapped to the plot's width: compare the words

    element[()]
    full = int(aggregate_dataset(store, variable="TEMP", width=300, height=190)["count"].sum())
    assert full > 19_000
    assert f"{full:,} TEMP observations in view" in title()
    # the default preset on a store keeps every QC class, and the title says so
    assert "in view, all data (no QC filter), from the" in title()
    # zoom: the stream sends Web Mercator ranges; only that box is aggregated
    r = 6378137.0
    x_range = (np.radians(-180) * r, np.radians(0) * r)
    y_range = tuple(r * np.log(np.tan(np.pi / 4 + np.radians(v) / 2)) for v in (-60, 60))
    _range_stream(element).event(x_range=x_range, y_range=y_range)
    element[()]
    expected = int(aggregate_dataset(store, variable="TEMP", bbox=(-180, -60, 0, 60),
                                     width=300, height=190)["count"].sum())
    assert 0 < expected < full
    assert f"{expected:,} TEMP observations in view" in title()


def _image_layer(element):
    import holoviews as hv

    element[()]
    last = element.last
    layers = last.values() if isinstance(last, hv.Overlay) else [last]
    return next(layer for layer in layers if isinstance(layer, hv.Image))


@pytest.mark.parametrize("color", ["auto", "value"])
def test_hover_gives_count_and_mean(entry, store, color):
    """Hover shows a pixel's count and mean; both equal a direct aggregation of that box."""
    from bokeh.models import HoverTool

    from portal.pipeline import build_quicklook
    from portal.pointstore import render_aggregate

    bbox = (-100.0, -60.0, 40.0, 70.0)
    element = build_quicklook(entry, "map", Query(bbox=bbox), Style(width=600, height=380,
                                                                    color_by=color))
    image = _image_layer(element)
    tool = next(t for t in image.opts.get("plot", "bokeh").kwargs["tools"]
                if isinstance(t, HoverTool))
    labels = [label for label, _ in tool.tooltips]
    assert labels[:3] == ["Longitude", "Latitude", "Observations"] and "Mean TEMP" in labels[3]
    names = [d.name for d in image.vdims]
    count = image.dimension_values("count" if color == "value" else names[0], flat=False)
    mean = image.dimension_values(names[0] if color == "value" else "mean", flat=False)
    if color == "auto":  # colour is log10(count); the hover turns it back in the browser
        count = np.where(np.isfinite(count), np.round(10 ** count), 0)
    direct_count = render_aggregate(store, bbox=bbox, how="count", variable="TEMP", qc="all",
                                    width=300, height=190)
    direct_mean = render_aggregate(store, bbox=bbox, how="mean", variable="TEMP",
                                   width=300, height=190)
    assert np.nansum(count) > 100
    assert abs(np.nansum(count) - float(direct_count.sum())) <= 0.01 * float(direct_count.sum())
    assert np.nanmean(mean) == pytest.approx(float(np.nanmean(direct_mean.values)), rel=1e-3)


def test_profile_density_is_a_quicklook_kind(entry, store):
    """The point store's profile tab: value against depth of every profile, re-counted on
    zoom; its PNG goes through the same builder."""
    from PIL import Image

    from portal.pipeline import build_quicklook
    from portal.pointstore import profile_density
    from portal.quicklooks import entry_kinds
    from portal.render.quicklook import render_quicklook_png

    assert entry_kinds(entry)[:2] == ("map", "profile")  # then "ts" with T and S
    element = build_quicklook(entry, "profile", Query(), Style(width=600, height=400))
    image = _image_layer(element)
    total = np.nansum(np.round(10 ** image.dimension_values(2)))
    direct = float(profile_density(store, variable="TEMP", width=300, height=200).sum())
    assert total == pytest.approx(direct, rel=1e-3) and direct > 10_000
    _range_stream(element).event(x_range=(5.0, 15.0), y_range=(0.0, 500.0))
    zoomed = _image_layer(element)
    xs = zoomed.dimension_values(0)
    assert 5.0 <= xs.min() and xs.max() <= 15.0
    assert np.nansum(np.round(10 ** zoomed.dimension_values(2))) < total
    png = render_quicklook_png(entry, "profile", Query(),
                               Style(width=500, height=400, interactive=False))
    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    assert np.unique(img.reshape(-1, 3), axis=0).shape[0] > 20


def test_page_map_sends_its_zoom_within_100_ms(entry):
    # the browser tells the server a zoom's ranges lod_timeout ms after the last wheel
    # event (Bokeh's 500 ms by default, the whole of issue 12's budget for new pixels)
    import holoviews as hv

    from portal.pipeline import build_quicklook

    element = build_quicklook(entry, "map", Query(), Style(width=400, height=300))
    figure = hv.render(element, backend="bokeh")
    assert figure.lod_timeout <= 100
