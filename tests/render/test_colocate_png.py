"""The colocation PNG's layout: scatter, difference map and colour bar side by side, none
covering another and every text inside the image, at 800×500, 1200×600 and 400×300; the
drawn values are the pairs' (observed, gridded) and their differences."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from portal.processing.colocate import Colocation
from portal.render.colocate import figure, render_png


@pytest.fixture(scope="module")
def result() -> Colocation:
    rng = np.random.default_rng(5)
    n = 40
    observed = rng.normal(19, 0.5, n)
    gridded = observed - rng.normal(0.3, 0.4, n)
    gridded[3] = np.nan  # a missing grid cell: not drawn
    table = pd.DataFrame({
        "time": pd.date_range("2023-08-01", periods=n, freq="6h"),
        "latitude": rng.uniform(45, 46, n), "longitude": rng.uniform(-8, -6, n),
        "depth": np.full(n, 5.0), "observed": observed, "gridded": gridded,
        "feature": np.arange(n)})
    return Colocation(table, "nearest", "sst", "TEMP", "degree_Celsius", "degree_Celsius")


def _box(artist, renderer):
    return artist.get_window_extent(renderer)


@pytest.mark.parametrize(("width", "height"), [(800, 500), (1200, 600), (400, 300)])
def test_colour_bar_beside_the_map_and_texts_inside(result, width, height):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = figure(result, "grid_id", "obs_id", width, height)
    FigureCanvasAgg(fig).draw()
    renderer = fig.canvas.get_renderer()
    scatter, diff_map, bar = fig.axes
    assert _box(scatter, renderer).x1 < _box(diff_map, renderer).x0  # side by side
    # the colour bar (with its ticks) starts right of the map frame: nothing covers it
    assert bar.get_tightbbox(renderer).x0 >= _box(diff_map, renderer).x1
    for artist in (*fig.axes, fig._suptitle):  # axes: frame, drawn ticks, labels, title
        box = (artist.get_tightbbox(renderer) if artist in fig.axes
               else artist.get_window_extent(renderer))
        assert box.x0 >= -1 and box.x1 <= width + 1, artist
        assert box.y0 >= -1 and box.y1 <= height + 1, artist
    assert "N=39" in fig._suptitle.get_text().replace("\n", " ")


def test_drawn_values_are_the_pairs_and_their_differences(result):
    fig = figure(result, "grid_id", "obs_id")
    scatter, diff_map, _bar = fig.axes
    paired = result.paired
    offsets = scatter.collections[0].get_offsets()
    np.testing.assert_allclose(offsets, paired[["observed", "gridded"]].to_numpy())
    points = diff_map.collections[-1]
    diff = (paired.observed - paired.gridded).to_numpy()
    np.testing.assert_allclose(points.get_array(), diff)
    np.testing.assert_allclose(points.get_offsets(), paired[["longitude", "latitude"]])
    assert points.get_clim() == pytest.approx((-np.abs(diff).max(), np.abs(diff).max()))
    lo, hi = scatter.get_xlim()
    assert scatter.get_ylim() == (lo, hi) and lo < paired.gridded.min()  # square, 1:1
    assert scatter.get_xlabel() == "Observed TEMP [°C]"


def test_png_has_the_requested_size(result):
    from PIL import Image

    image = Image.open(io.BytesIO(render_png(result, "g", "o", 400, 300)))
    assert image.size == (400, 300)
