"""A point store is a dataset like any other: its map goes through the shared pipeline."""

from __future__ import annotations

import io

import numpy as np
import pytest

from portal.catalog.model import DatasetEntry, Query
from portal.quicklooks import Style


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from portal.pointstore.demo import generate

    path = tmp_path_factory.mktemp("points") / "store"
    generate(20_000, str(path), seed=3)
    return str(path)


@pytest.fixture
def entry(store):
    return DatasetEntry.from_metadata("pts", "pointstore", {"store": store},
                                      {"title": "Points", "featureType": "point",
                                       "variables": [{"name": "TEMP"}]})


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

    from portal.pipeline import render_quicklook_png

    for bbox in (None, (-40.0, 20.0, 20.0, 65.0)):
        png = render_quicklook_png(entry, "map", Query(bbox=bbox),
                                   Style(color_by=color, width=600, height=380, interactive=False))
        img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
        assert np.unique(img.reshape(-1, 3), axis=0).shape[0] > 20


def test_page_element_reaggregates_on_zoom(entry, store):
    import holoviews as hv

    from portal.pipeline import build_quicklook
    from portal.pointstore import render_aggregate

    element = build_quicklook(entry, "map", Query(), Style(width=600, height=380))
    assert isinstance(element, hv.DynamicMap)

    def title() -> str:
        layer = element.last.values()[0] if isinstance(element.last, hv.Overlay) else element.last
        return hv.Store.lookup_options("bokeh", layer, "plot").kwargs["title"]

    element[()]
    assert "20,000 observations in view" in title()
    # zoom: the stream sends Web Mercator ranges; only that box is aggregated
    r = 6378137.0
    x_range = (np.radians(-180) * r, np.radians(0) * r)
    y_range = tuple(r * np.log(np.tan(np.pi / 4 + np.radians(v) / 2)) for v in (-60, 60))
    _range_stream(element).event(x_range=x_range, y_range=y_range)
    element[()]
    expected = int(round(float(render_aggregate(store, bbox=(-180, -60, 0, 60), how="count",
                                                width=300, height=190).sum())))
    assert 0 < expected < 20_000
    assert f"{expected:,} observations in view" in title()
