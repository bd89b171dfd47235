"""The fast map PNG: right size, data where data is, land where land is, a colour bar, the
same aggregate as the page, and a CLI that never imports Bokeh."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import numpy as np
import pytest

from portal.model import Query
from portal.quicklooks import Style
from portal.render.fast import Picture, lut, render
from portal.render.frame import Frame
from portal.render.furniture import LAND_RGB

RED = tuple(["#ff0000"] * 128 + ["#0000ff"] * 128)  # low values red, high blue


def _rgb(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def _pixel(img, frame: Frame, lon: float, lat: float) -> tuple[int, ...]:
    left, top, _, _ = frame.box
    x, y = int(left + frame.columns(lon)), int(top + frame.rows(lat))
    return tuple(img[y, x])


def _world_picture(projection: str = "platecarree") -> Picture:
    """One value per degree: 1 in a South Pacific patch, NaN elsewhere."""
    values = np.full((180, 360), np.nan, dtype="float32")
    values[50:80, 30:80] = 1.0  # lat -40..-10, lon -150..-100 (rows south to north)
    values[50:80, 30:40] = 0.0
    return Picture((-180.0, -80.0, 180.0, 80.0), "A world", values=values,
                   grid_extent=(-180.0, -90.0, 180.0, 90.0), cmap=RED, clim=(0.0, 1.0),
                   label="Value [unit]", projection=projection)


@pytest.mark.parametrize("projection", ["platecarree", "mercator"])
def test_size_data_land_and_colorbar(projection):
    picture = _world_picture(projection)
    img = _rgb(render(picture, 700, 420))
    assert img.shape == (420, 700, 3)
    frame = Frame(projection, picture.extent, 700, 420)
    assert _pixel(img, frame, -125.0, -25.0) == (0, 0, 255)  # high value: blue
    assert _pixel(img, frame, -145.0, -25.0) == (255, 0, 0)  # low value: red
    assert _pixel(img, frame, -125.0, 35.0) == (255, 255, 255)  # ocean without data
    assert _pixel(img, frame, 20.0, 15.0) == LAND_RGB  # the Sahara is land
    assert _pixel(img, frame, -60.0, -10.0) == LAND_RGB  # and the Amazon
    left, top, w, h = frame.box
    bar = img[top + 5:top + h - 5, left + w + 16:left + w + 34]
    colours = {tuple(c) for c in bar.reshape(-1, 3)}
    assert {(255, 0, 0), (0, 0, 255)} <= colours  # the colour bar shows the table
    assert (img[:30] < 128).any()  # the title is written


def test_shade_nan_is_transparent_and_clips():
    from portal.render.fast import shade

    out = shade(np.array([[np.nan, -5.0, 0.5, 9.0]]), lut(RED), (0.0, 1.0))
    assert out[0, 0, 3] == 0
    assert tuple(out[0, 1, :3]) == (255, 0, 0) and tuple(out[0, 3, :3]) == (0, 0, 255)


def test_furniture_is_cached_per_frame():
    from portal.render.furniture import furniture, furniture_cache

    frame = Frame("platecarree", (-10.0, 40.0, 10.0, 55.0), 500, 300)
    first = furniture(frame)
    assert furniture(frame) is first
    assert furniture_cache().stats.nbytes <= furniture_cache().max_bytes


def test_block_mean_ignores_nan():
    from portal.render.maps import block_mean

    values = np.arange(16, dtype="float32").reshape(4, 4)
    values[0, 0] = np.nan
    out, count = block_mean(values, 2, 2)
    assert out.shape == (2, 2) and count == 15
    assert out[0, 0] == pytest.approx((1 + 4 + 5) / 3)
    assert out[1, 1] == pytest.approx((10 + 11 + 14 + 15) / 4)
    out, count = block_mean(np.ones((5, 3), "float32"), 2, 2)  # partial last blocks count
    assert out.shape == (2, 2) and count == 15 and np.all(out == 1)


@pytest.fixture(scope="module")
def entry(small_store_entry):
    return small_store_entry


@pytest.mark.parametrize("color", ["auto", "value"])
def test_same_aggregate_as_the_holoviews_path(entry, color):
    """The fast PNG shades exactly the array the HoloViews element of the same view holds."""
    from portal.pipeline import build_quicklook
    from portal.render.maps import point_store_picture
    from portal.sources import open_aggregator

    query, style = Query(qc="all"), Style(color_by=color, width=600, height=400,
                                          interactive=False)
    picture = point_store_picture(open_aggregator(entry), "TEMP", query, "Points", style)
    element = build_quicklook(entry, "map", query, style)
    image = next(el for el in element if type(el).__name__ == "Image")
    slow = image.dimension_values(2, flat=False)
    if image.dimension_values(1, flat=False)[0, 0] > image.dimension_values(1, flat=False)[-1, 0]:
        slow = slow[::-1]  # HoloViews hands rows north first
    np.testing.assert_allclose(slow, picture.values, equal_nan=True, rtol=1e-6)
    assert np.isfinite(picture.values).sum() > 50


def test_point_store_png_through_the_pipeline(entry):
    from portal.render.quicklook import render_quicklook_png

    png = render_quicklook_png(entry, "map", Query(), Style(width=640, height=400,
                                                           interactive=False))
    img = _rgb(png)
    assert img.shape == (400, 640, 3)
    assert np.unique(img.reshape(-1, 3), axis=0).shape[0] > 20


def test_cli_quicklook_imports_no_bokeh(tmp_path):
    """`odatis-portal quicklook` of a small file (a 73-profile float) draws with PIL: no
    Bokeh, Panel, HoloViews, GeoViews, Cartopy or Datashader in the process."""
    from portal.demo import ensure_demo_catalog

    catalog, out = str(ensure_demo_catalog()), tmp_path / "q.png"
    code = ("import sys, json; from portal.cli import main; "
            f"rc = main(['quicklook', 'demo_argo_atlantic', '--catalog', {catalog!r}, "
            f"'-o', {str(out)!r}]); "
            "print(json.dumps([rc, sorted(m for m in sys.modules if m.split('.')[0] in "
            "('bokeh', 'panel', 'holoviews', 'geoviews', 'cartopy', 'datashader'))]))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    rc, heavy = json.loads(run.stdout.strip().splitlines()[-1])
    assert rc == 0 and out.read_bytes().startswith(b"\x89PNG")
    assert heavy == []


def test_binned_mean_per_cell():
    from portal.render.maps import binned_mean

    lon = np.array([0.5, 0.6, 1.5, 9.0, 50.0])
    lat = np.array([0.5, 0.5, 0.5, 9.5, 0.0])
    grid = binned_mean(lon, lat, np.array([1.0, 3.0, 5.0, 7.0, 100.0]), (0, 0, 10, 10), 10, 10)
    assert grid.shape == (10, 10)
    assert grid[0, 0] == 2.0 and grid[0, 1] == 5.0 and grid[9, 9] == 7.0  # rows south first
    assert np.isfinite(grid).sum() == 3  # the point outside the extent is left out


def test_concurrent_renders_give_the_serial_bytes():
    """The server renders in worker threads without a lock: same bytes as one at a time."""
    from concurrent.futures import ThreadPoolExecutor

    values = np.random.default_rng(0).random((100, 200)).astype("float32")
    pictures = [Picture((-180.0 + i, -80.0, 180.0, 85.0), f"title {i} " * 10, values=values,
                        grid_extent=(-180.0, -90.0, 180.0, 90.0), cmap=RED, clim=(0.0, 1.0),
                        label=f"label {i}") for i in range(6)]
    serial = [render(p, 600, 400) for p in pictures]
    with ThreadPoolExecutor(6) as pool:
        assert list(pool.map(lambda p: render(p, 600, 400), pictures)) == serial


def test_date_ticks_are_round_instants():
    from portal.render.furniture import date_ticks

    def ms(text):
        return float(np.datetime64(text, "ms").astype("int64"))

    years = date_ticks(ms("1990-02-10"), ms("2025-01-20"))
    assert [t for _, t in years] == ["1995", "2000", "2005", "2010", "2015", "2020", "2025"]
    assert years[0][0] == ms("1995-01-01")
    months = date_ticks(ms("2023-02-10"), ms("2025-01-20"))
    assert [t for _, t in months] == ["2023-07", "2024-01", "2024-07", "2025-01"]
    hours = date_ticks(ms("2023-02-10T01:30"), ms("2023-02-10T05:30"))
    assert [t for _, t in hours][:2] == ["2023-02-10 02:00", "2023-02-10 03:00"]


def test_float_positions_coloured_by_time_print_dates(tmp_path):
    """The 73-profile float through the pipeline: one marker per profile, dates on the bar."""
    from portal.catalog.loader import load_catalog
    from portal.demo import ensure_demo_catalog
    from portal.pipeline import load_view
    from portal.render.maps import view_picture

    entry = load_catalog(ensure_demo_catalog())["demo_argo_atlantic"]
    picture = view_picture(load_view(entry, "map", Query()), "Float", Style(interactive=False))
    assert picture is not None and picture.dates and picture.markers is not None
    assert len(picture.markers[0]) == 73
    img = _rgb(render(picture, 800, 500))
    assert img.shape == (500, 800, 3)
