"""A grid window reduced chunk by chunk gives the block means of the whole window (blocks
spanning chunks added up), its finite count and range; the map PNG of a chunked file takes
that path and draws what the whole-window path draws."""

from __future__ import annotations

import io

import numpy as np
import pytest
import xarray as xr

from portal.render.gridwindow import reduce_window
from portal.render.maps import block_mean


def _window(ny: int, nx: int, chunks: tuple[int, int], seed: int = 0) -> xr.DataArray:
    rng = np.random.default_rng(seed)
    values = rng.normal(15, 5, size=(ny, nx)).astype("float32")
    values[rng.random(values.shape) < 0.15] = np.nan
    values[:, nx // 3: nx // 2] = np.nan  # a land band
    field = xr.DataArray(values, dims=("latitude", "longitude"),
                         coords={"latitude": np.linspace(20, 60, ny),
                                 "longitude": np.linspace(-40, 10, nx)}, name="sst")
    return field.chunk({"latitude": chunks[0], "longitude": chunks[1]})


@pytest.mark.parametrize("shape,chunks,out", [((157, 203), (40, 64), (50, 80)),
                                              ((157, 203), (7, 5), (13, 11)),
                                              ((64, 64), (64, 64), (100, 100)),
                                              ((300, 90), (33, 90), (1, 1))])
def test_chunk_by_chunk_equals_the_whole_window(shape, chunks, out):
    field = _window(*shape, chunks)
    whole = field.values
    reduced = reduce_window(field, *out)
    want, count = block_mean(whole, *out)
    assert reduced is not None and reduced.values.shape == want.shape
    np.testing.assert_allclose(reduced.values, want, rtol=1e-5, atol=1e-5, equal_nan=True)
    assert reduced.count == count == int(np.isfinite(whole).sum())
    assert reduced.low == np.nanmin(whole) and reduced.high == np.nanmax(whole)


def test_not_dask_or_not_ascending_is_left_to_the_caller():
    field = _window(30, 40, (10, 10))
    assert reduce_window(field.compute(), 10, 10) is None
    assert reduce_window(field.isel(latitude=slice(None, None, -1)), 10, 10) is None


def test_a_window_without_a_valid_value_counts_none():
    field = _window(20, 20, (8, 8)) * np.nan
    reduced = reduce_window(field, 5, 5)
    assert reduced is not None and reduced.count == 0 and np.isnan(reduced.values).all()


def test_map_png_of_a_chunked_file_takes_the_chunk_path_and_draws_the_same(
        tmp_path, monkeypatch):
    from PIL import Image

    import portal.formats.netcdf as ncfmt
    import portal.render.maps as maps
    from portal.cache import reset
    from portal.model import DatasetEntry, Query
    from portal.pipeline import load_view
    from portal.processing.variables import titled
    from portal.query import BBox
    from portal.quicklooks import Style

    field = _window(180, 360, (180, 360)).compute()
    ds = field.expand_dims(time=[np.datetime64("2024-01-01")]).to_dataset()
    ds["sst"].attrs.update(standard_name="sea_surface_temperature", units="degree_Celsius")
    ds["latitude"].attrs.update(standard_name="latitude", units="degrees_north")
    ds["longitude"].attrs.update(standard_name="longitude", units="degrees_east")
    path = tmp_path / "grid.nc"
    ds.to_netcdf(path, encoding={"sst": {"chunksizes": (1, 50, 70)}})
    monkeypatch.setattr(ncfmt, "DASK_ABOVE_BYTES", 0)  # opened with dask, as a big file
    reset()
    entry = DatasetEntry.from_metadata("g", "netcdf", {"urlpath": str(path)},
                                       {"title": "Grid", "featureType": "grid"})
    query, style = Query(bbox=BBox(-35, 25, 5, 55)), Style(width=300, height=200,
                                                          interactive=False)
    fast = maps._grid_window_picture(entry, query, style)
    assert fast is not None  # the chunk path
    view = load_view(entry, "map", query)
    assert hasattr(view.data, "values")
    whole = maps.grid_picture(view.data, titled("Grid", "all", list(view.warnings)), style)
    assert whole is not None and fast.title == whole.title
    np.testing.assert_allclose(fast.values, whole.values, rtol=1e-5, atol=1e-5, equal_nan=True)
    pngs = [maps.render_picture(p, style) for p in (fast, whole)]
    a, b = (np.asarray(Image.open(io.BytesIO(p)).convert("RGB")) for p in pngs)
    assert (a != b).any(axis=-1).sum() <= 3  # float rounding may move a pixel's colour
    assert maps.map_png(entry, query, style) == pngs[0]
    reset()
