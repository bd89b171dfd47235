"""Profiles and time series drawn with Matplotlib alone (portal.render.plots): what each
figure holds, decimation, levels and sections, and bare thumbnails."""

from __future__ import annotations

import io

import numpy as np
import pytest
import xarray as xr
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from PIL import Image

from portal.quicklooks import Style
from portal.render import plots

STYLE = Style(width=600, height=400, interactive=False)


def observations(n_features: int, per: int, z_of=None, start="2024-01-01") -> xr.Dataset:
    """``n_features`` profiles (or levels) of ``per`` samples each, one time per sample."""
    feature = np.repeat(np.arange(n_features), per)
    z = np.tile(np.linspace(0, 1000, per), n_features) if z_of is None else z_of(feature)
    time = np.datetime64(start, "ns") + np.arange(feature.size) * np.timedelta64(60, "s")
    temp = 20 - z / 100 + np.random.default_rng(0).normal(0, 0.1, feature.size)
    ds = xr.Dataset({"TEMP": ("obs", temp, {"long_name": "Temperature", "units": "degC"})},
                    coords={"feature": ("obs", feature), "time": ("obs", time),
                            "z": ("obs", z, {"units": "dbar"})})
    return ds


def axes():
    fig = Figure(figsize=(6, 4), dpi=100)
    FigureCanvasAgg(fig)
    return fig.add_axes((0.1, 0.1, 0.8, 0.8))


def test_profiles_are_one_line_each_down_and_coloured_by_time():
    ax = axes()
    figures, scale = plots.draw_profile(ax, observations(3, 50), "TEMP", STYLE)
    assert figures == "3 profiles, 150 samples"
    lines = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(lines) == 1 and len(lines[0].get_segments()) == 3
    assert ax.yaxis_inverted() and ax.get_ylabel() == "Pressure [dbar]"
    artist, label, dates = scale
    assert dates and label == "Time (UTC)" and artist is lines[0]


def test_long_series_is_decimated_with_its_extremes():
    ds = observations(1, 100_000, z_of=lambda f: np.full(f.size, 10.0))
    ds["TEMP"].values[12_345] = 99.0  # a spike must survive decimation
    ax = axes()
    figures, scale = plots.draw_timeseries(ax, ds, "TEMP", STYLE)
    (line,) = ax.get_lines()
    drawn = line.get_ydata()
    assert figures == f"100,000 samples in source, {len(drawn):,} drawn"
    assert len(drawn) <= STYLE.width * 2 and max(drawn) == 99.0 and scale is None


def test_few_depth_levels_are_one_line_each():
    ds = observations(3, 500, z_of=lambda f: np.array([5.0, 50.0, 200.0])[f])
    ax = axes()
    figures, _ = plots.draw_timeseries(ax, ds, "TEMP", STYLE)
    assert figures.startswith("1,500 samples at 3 depth levels (one line each")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["5 dbar", "50 dbar",
                                                                   "200 dbar"]


@pytest.mark.parametrize("per,image", [(100, False), (3_000, True)])
def test_many_levels_make_a_section(per, image):
    ds = observations(10, per, z_of=lambda f: f * 10.0 + 5)
    ax = axes()
    figures, (artist, label, dates) = plots.draw_timeseries(ax, ds, "TEMP", STYLE)
    assert figures.startswith("time–depth section") and ax.yaxis_inverted()
    assert isinstance(artist, AxesImage) is image and label == "Temperature [degC]"
    assert not dates


def test_bare_thumbnail_has_no_text_and_the_asked_size():
    ds = observations(3, 50)

    def draw(ax):
        return plots.draw_profile(ax, ds, "TEMP", STYLE)

    style = Style(width=320, height=200, interactive=False)
    full = plots._png(draw, "A title", Style(width=600, height=400, interactive=False), False)
    bare = plots._png(draw, "A title", style, True)
    with Image.open(io.BytesIO(bare)) as image:
        assert image.size == (320, 200)
        pixels = np.asarray(image.convert("RGB"))
    # no white margins: the data reach the image's edges (no ticks, title or colour bar)
    assert (pixels[:, :4] != 255).any() and (pixels[:, -4:] != 255).any()
    with Image.open(io.BytesIO(full)) as image:
        assert image.size == (600, 400)


def _dark(png: bytes) -> np.ndarray:
    """Pixels of the line (darker than the frame and background)."""
    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    return rgb.sum(axis=2) < 450


def test_series_thumbnail_is_the_matplotlib_thumbnail_without_a_figure(monkeypatch):
    """A bare series is drawn with PIL: at most width x 2 decimated points, the spike
    kept, the line where Matplotlib's bare thumbnail puts it (per column, within 3 px)."""
    ds = observations(1, 200_000, z_of=lambda f: np.full(f.size, 10.0))
    ds["TEMP"].values[54_321] = 99.0
    thumb = Style(width=320, height=200, interactive=False)
    drawn = []
    real = plots._line_png
    monkeypatch.setattr(plots, "_line_png", lambda x, y, w, h: drawn.append(y) or real(x, y, w, h))
    png = plots.series_thumbnail(ds, "TEMP", thumb)
    assert png is not None and len(drawn[0]) <= 640 and drawn[0].max() == 99.0
    peer = plots._png(lambda ax: plots.draw_timeseries(ax, ds, "TEMP", thumb), "", thumb, True)
    ours, theirs = _dark(png), _dark(peer)
    assert ours.shape == theirs.shape == (200, 320)
    columns = [c for c in range(2, 318) if ours[:, c].any() and theirs[:, c].any()]
    assert len(columns) > 250  # 5 % margins left and right
    top = [abs(int(np.argmax(ours[:, c])) - int(np.argmax(theirs[:, c]))) for c in columns]
    assert np.percentile(top, 95) <= 3, sorted(top)[-10:]
    first = [int(np.flatnonzero(image.any(axis=1))[0]) for image in (ours, theirs)]
    assert 5 <= first[0] <= 14 and abs(first[0] - first[1]) <= 2  # the spike, 5 % margin


def test_series_thumbnail_leaves_levels_and_colourings_to_matplotlib():
    levels = observations(3, 400, z_of=lambda f: f * 50.0)
    thumb = Style(width=320, height=200, interactive=False)
    assert plots.series_thumbnail(levels, "TEMP", thumb) is None
    one = observations(1, 400, z_of=lambda f: np.full(f.size, 10.0))
    assert plots.series_thumbnail(one, "TEMP", Style(width=320, height=200, color_by="qc",
                                                     interactive=False)) is None
