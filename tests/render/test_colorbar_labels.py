"""Colour-bar labels over time stay inside the PNG and print dates (issue 10).

Both paths: the fast PIL furniture (maps) and the HoloViews/Matplotlib render (profiles,
time series). A label is "inside" when no dark pixel touches the image's right edge and
the text drawn right of the bar is what the ticks say."""

from __future__ import annotations

import io

import numpy as np
import pytest
import xarray as xr

from portal.quicklooks.style import date_ticks

MS_DAY = 86_400_000
T0 = float(np.datetime64("2014-01-01T09:42", "ms").astype("int64"))


def _right_edge_ink(png: bytes, columns: int = 3) -> int:
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(png)).convert("L"))
    return int((img[:, -columns:] < 128).sum())


@pytest.mark.parametrize(("span_days", "fmt_len"), [(0.07, 16), (20, 10), (1500, 4)])
def test_date_ticks_are_round_distinct_dates(span_days, fmt_len):
    ticks = date_ticks(T0, T0 + span_days * MS_DAY)
    labels = [text for _, text in ticks]
    assert 2 <= len(ticks) <= 7
    assert len(set(labels)) == len(labels)  # never "2001, 2001, 1999, 1999"
    assert all(len(text) == fmt_len for text in labels[:1])
    assert all(T0 <= v <= T0 + span_days * MS_DAY for v, _ in ticks)


@pytest.mark.parametrize("span_days", [0.07, 20, 1500])
def test_fast_map_time_colorbar_inside_the_image(span_days):
    from portal.render.fast import Picture, render

    n = 50
    lon, lat = np.linspace(10, 12, n), np.linspace(40, 41, n)
    times = np.linspace(T0, T0 + span_days * MS_DAY, n)
    # the map box spans the image: the colour bar has the least room it ever gets
    picture = Picture((9.0, 39.0, 13.0, 42.0), "t", markers=(lon, lat, times),
                      cmap=("#000000", "#ffffff"), clim=(times[0], times[-1]),
                      label="Time (UTC)", dates=True)
    png = render(picture, 640, 400)
    assert _right_edge_ink(png) == 0


def test_matplotlib_time_colorbar_labels_are_not_cut():
    from portal.quicklooks import Style, ensure_backends, profile
    from portal.render.png import render_png

    ensure_backends()
    n, per = 5, 20
    t = np.repeat(np.datetime64("2014-01-01T09:42", "ns") + np.arange(n) * np.timedelta64(40, "m"),
                  per)
    obs = xr.Dataset({"TEMP": ("obs", np.linspace(0, 1, n * per), {"units": "degC"})},
                     coords={"z": ("obs", np.tile(np.arange(per, dtype=float), n),
                                   {"units": "dbar"}),
                             "time": ("obs", t), "feature": ("obs", np.repeat(np.arange(n), per))})
    element = profile.build(obs, variable="TEMP", feature_type="profile", title="t",
                            style=Style(interactive=False))
    png = render_png(element, 800, 500)
    assert _right_edge_ink(png) == 0  # "2014-01-01 10:00" was cut at "2014-01-0"


def test_hours_of_one_day_carry_the_date_once():
    from portal.render.furniture import _short_dates

    marks = [(1.0, "2005-02-07 02:00"), (2.0, "2005-02-07 04:00")]
    assert _short_dates(marks) == [(1.0, "2005-02-07 02:00"), (2.0, "04:00")]
    years = [(1.0, "2004"), (2.0, "2005")]
    assert _short_dates(years) == years
