"""Combined-view drawing: one legend entry per source, own y axes when units differ."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from portal.overlay import MARKERS, PALETTE, Layer, harmonise
from portal.quicklooks import Style, ensure_backends
from portal.quicklooks.overlay import build


def series(variable: str, units: str, offset: float) -> xr.Dataset:
    t = pd.date_range("2023-01-01", periods=50, freq="h").values
    return xr.Dataset({variable: ("obs", np.sin(np.arange(50) / 5) + offset, {"units": units})},
                      coords={"time": ("obs", t), "latitude": ("obs", np.full(50, 45.0)),
                              "longitude": ("obs", np.zeros(50))})


def layers(units_b: str) -> list[Layer]:
    a = Layer("a", "Mooring", "Inst A", PALETTE[0], MARKERS[0], "TEMP", "degC",
              feature_type="timeSeries", data=series("TEMP", "degC", 12.0))
    b = Layer("b", "Glider", "Inst B", PALETTE[1], MARKERS[1], "X", units_b,
              feature_type="trajectory", data=series("X", units_b, 285.0 if units_b == "K"
                                                     else 35.0))
    down = Layer("c", "Down", "Inst C", PALETTE[2], MARKERS[2], error="cannot connect")
    return [a, b, down]


def legend_labels(element) -> list[str]:
    import holoviews as hv

    fig = hv.render(element, backend="bokeh")
    return [item.label["value"] for legend in fig.legend for item in legend.items]


def test_shared_unit_one_axis_three_legend_entries():
    ensure_backends()
    combined = harmonise(layers("K"), "timeseries")
    assert combined.unit == "degC"
    np.testing.assert_allclose(combined.layers[1].data["X"].values.min(),
                               series("X", "K", 285.0)["X"].values.min() - 273.15)
    labels = legend_labels(build(combined, title="t", style=Style()))
    assert len(labels) == 3 and labels[0].startswith("Mooring (Inst A)")
    assert "not drawn: cannot connect" in labels[2]


def test_different_kinds_get_their_own_y_axes_in_the_page_and_panels_in_the_png():
    import holoviews as hv

    from portal.render.png import render_png

    ensure_backends()
    combined = harmonise(layers("PSS-78"), "timeseries")
    assert combined.unit is None
    fig = hv.render(build(combined, title="t", style=Style()), backend="bokeh")
    axis_labels = {axis.axis_label for axis in [*fig.left, *fig.right]}
    assert {"TEMP [degC]", "X [PSS-78]"} <= axis_labels
    static = build(combined, title="t", style=Style(interactive=False))
    assert isinstance(static, hv.Layout) and len(static) == 2  # the failed source: legend only
    assert render_png(static, 700, 400, legend_below=True)[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_map_legend_entry_has_a_swatch_in_bokeh():
    """BokehJS draws no legend glyph for a renderer whose data source is empty: the grid's
    entry (and a failed layer's) keep one NaN row, drawn nowhere on the map."""
    import holoviews as hv

    ensure_backends()
    grid = xr.DataArray(np.random.default_rng(0).random((10, 12)), name="sst",
                        dims=("latitude", "longitude"), attrs={"units": "degC"},
                        coords={"latitude": np.linspace(40, 50, 10),
                                "longitude": np.linspace(-10, 0, 12)})
    track = series("sst", "degC", 15.0)
    track["longitude"] = ("obs", np.linspace(-8, -2, 50))
    track = track.set_coords("longitude")
    ocean = Layer("g", "SST", "Inst G", PALETTE[0], MARKERS[0], "sst", "degC",
                  feature_type="grid", data=grid)
    ship = Layer("t", "Ship", "Inst T", PALETTE[1], MARKERS[1], "sst", "degC",
                 feature_type="trajectory", data=track)
    down = Layer("c", "Down", "Inst C", PALETTE[2], MARKERS[2], error="cannot connect")
    fig = hv.render(build(harmonise([ocean, ship, down], "map"), title="t", style=Style()),
                    backend="bokeh")
    items = [item for legend in fig.legend for item in legend.items]
    assert len(items) == 3 and any("(image)" in item.label["value"] for item in items)
    for item in items:
        sizes = {len(col) for r in item.renderers for col in r.data_source.data.values()}
        assert sizes and min(sizes) >= 1, item.label["value"]
