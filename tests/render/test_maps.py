"""The grid map picture (portal.render.maps): axes put in order without copying the values
when they already are, and the picture of a window the same whatever the axes' order."""

from __future__ import annotations

import numpy as np
import xarray as xr

from portal.quicklooks import Style
from portal.render.maps import ascending, grid_picture


def _field(lon: np.ndarray, lat: np.ndarray) -> xr.DataArray:
    values = (lat[:, None] * 10 + lon[None, :] / 100).astype("float32")
    return xr.DataArray(values, dims=("latitude", "longitude"),
                        coords={"latitude": lat, "longitude": lon}, name="sst",
                        attrs={"standard_name": "sea_surface_temperature", "units": "degC"})


def test_ordered_axes_keep_the_values_in_place():
    field = _field(np.linspace(-40, 10, 50), np.linspace(20, 60, 40))
    out = ascending(field)
    assert np.shares_memory(out.values, field.values)
    np.testing.assert_array_equal(out.values, field.values)


def test_descending_axes_are_reversed_as_views():
    field = _field(np.linspace(10, -40, 50), np.linspace(60, 20, 40))
    out = ascending(field)
    assert np.shares_memory(out.values, field.values)
    assert (np.diff(out.longitude.values) > 0).all() and (np.diff(out.latitude.values) > 0).all()
    np.testing.assert_array_equal(out.values, field.values[::-1, ::-1])


def test_a_0_360_grid_across_greenwich_is_sorted_to_minus_180_180():
    lon = np.arange(0.5, 360, 1.0)
    out = ascending(_field(lon, np.linspace(-10, 10, 5)))
    assert out.longitude.values[0] == -179.5 and out.longitude.values[-1] == 179.5
    assert (np.diff(out.longitude.values) > 0).all()
    # the value at 359.5°E is the value at -0.5°
    assert out.sel(longitude=-0.5).values[0] == np.float32(-100 + 359.5 / 100)


def test_picture_is_the_same_for_either_order():
    lon, lat = np.linspace(-40, 10, 400), np.linspace(20, 60, 300)
    style = Style(width=200, height=100, interactive=False)
    up = grid_picture(_field(lon, lat), "t", style)
    down = grid_picture(_field(lon, lat).isel(latitude=slice(None, None, -1),
                                              longitude=slice(None, None, -1)), "t", style)
    assert up is not None and down is not None
    assert up.values.shape == down.values.shape and up.values.shape[0] <= 100
    np.testing.assert_array_equal(up.values, down.values)
    assert up.grid_extent == down.grid_extent


def test_block_mean_in_bands_equals_the_plain_block_mean():
    from portal.render.maps import BAND_BYTES, block_mean

    rng = np.random.default_rng(3)
    values = rng.normal(size=(1203, 701)).astype("float32")
    values[rng.random(values.shape) < 0.2] = np.nan
    assert values.nbytes > 2 * BAND_BYTES  # several bands, the last one partial
    out, count = block_mean(values, 100, 300)
    fy, fx = 13, 3  # ceil(1203 / 100), ceil(701 / 300)
    padded = np.full((93 * fy, 234 * fx), np.nan, "float32")
    padded[:1203, :701] = values
    blocks = padded.reshape(93, fy, 234, fx)
    with np.errstate(invalid="ignore"):
        want = np.nanmean(blocks, axis=(1, 3))
    assert out.shape == want.shape and count == int(np.isfinite(values).sum())
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6, equal_nan=True)
