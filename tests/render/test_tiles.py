"""Tiles and GIS views: tile geometry, point-store, grid and observation layers, transparency."""

from __future__ import annotations

import io

import numpy as np
import pytest
import xarray as xr
from PIL import Image

from portal.errors import BadParameter
from portal.query import Query
from portal.render.layers import layer, sample
from portal.render.tiles import MERCATOR_MAX_LAT, ViewBox, tile_view, view_png


def rgba(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def test_tile_geometry():
    world = tile_view(0, 0, 0)
    assert world.extent == pytest.approx((-180, -MERCATOR_MAX_LAT, 180, MERCATOR_MAX_LAT))
    lon, lat = world.pixel_lonlat()
    assert lat[127] > 0 > lat[128] and lat[127] == pytest.approx(-lat[128])  # equator mid
    assert lon[0] == pytest.approx(-180 + 360 / 512)
    nw = tile_view(1, 0, 0)
    assert nw.extent == pytest.approx((-180, 0, 0, MERCATOR_MAX_LAT), abs=1e-9)
    assert tile_view(2, 3, 3).extent[3] == pytest.approx(tile_view(2, 3, 2).extent[1])
    assert 256 < nw.lat_rows() <= 1024  # rows fine enough near the pole


@pytest.mark.parametrize("zxy", [(-1, 0, 0), (23, 0, 0), (1, 2, 0), (1, 0, 2), (3, -1, 0)])
def test_out_of_range_tiles_are_bad_parameters(zxy):
    with pytest.raises(BadParameter):
        tile_view(*zxy)


def test_sample_takes_longitudes_modulo_360():
    grid = np.arange(4.0)[None, :].repeat(2, axis=0)  # columns 0..3 over 0..360 E
    view = ViewBox("platecarree", (-180, -10, 180, 10), 4, 2)
    assert sample(grid, (0, -90, 360, 90), view)[0].tolist() == [2, 3, 0, 1]
    outside = sample(grid, (0, 20, 90, 30), view)
    assert np.isnan(outside).all()


@pytest.fixture(scope="module")
def store_entry(tmp_path_factory):
    from portal.demo.points import generate
    from portal.model import DatasetEntry
    from portal.pointstore import store_info

    store = str(tmp_path_factory.mktemp("tiles") / "store")
    generate(50_000, store, seed=3)
    return DatasetEntry.from_metadata("pts", "pointstore", {"store": store},
                                      store_info(store)["metadata"])


def test_point_store_tiles_show_data_and_are_transparent_elsewhere(store_entry):
    world = layer(store_entry, Query(), tile_view(0, 0, 0))
    drawn = world.rgba[..., 3] > 0
    assert drawn.any() and not drawn.all()  # data somewhere, clear elsewhere
    assert (world.count[drawn] > 0).all() and (world.count[~drawn] == 0).all()
    # a tile far inside the polar night of the demo store: no data, a transparent PNG
    empty = rgba(view_png(store_entry, Query(), tile_view(6, 0, 0)))
    assert empty.shape == (256, 256, 4) and not empty[..., 3].any()


def test_tile_colours_do_not_depend_on_the_view(store_entry):
    """Neighbouring tiles share colour limits: the same pixel of a tile and of a wider
    view whose pixels coincide with it gets the same colour."""
    query = Query(color="value")
    tile = layer(store_entry, query, tile_view(1, 0, 0))
    w, s, e, n = tile_view(1, 0, 0).extent
    wider = layer(store_entry, query, ViewBox("mercator", (w, s, e + (e - w), n), 512, 256))
    both = (tile.rgba[..., 3] > 0) & (wider.rgba[:, :256, 3] > 0)
    assert both.sum() > 20
    np.testing.assert_array_equal(tile.rgba[both], wider.rgba[:, :256][both])


def test_qc_tiles_use_the_qc_mix(store_entry):
    qc = layer(store_entry, Query(color="qc"), tile_view(0, 0, 0))
    drawn = qc.rgba[..., 3] > 0
    assert drawn.any() and qc.mean is None
    assert (qc.rgba[drawn][:, 1] > 0).mean() > 0.5  # mostly good (green) data


@pytest.fixture(scope="module")
def grid_entry(tmp_path_factory):
    from portal.cataloging.scan import describe_file

    lat, lon = np.linspace(40.25, 49.75, 20), np.linspace(-9.75, 4.75, 30)
    values = lon[None, :] + 100 * lat[:, None]  # every cell distinct
    path = tmp_path_factory.mktemp("grid") / "grid.nc"
    xr.Dataset({"sst": (("latitude", "longitude"), values, {"units": "degC"})},
               coords={"latitude": lat, "longitude": lon}).to_netcdf(path)
    return describe_file(str(path), "grid")


def test_grid_tiles_sample_the_field(grid_entry):
    view = ViewBox("platecarree", (-10, 40, 5, 50), 30, 20)  # one pixel per cell
    drawn = layer(grid_entry, Query(), view)
    lon, lat = view.pixel_lonlat()
    np.testing.assert_allclose(drawn.mean, lon[None, :] + 100 * lat[:, None], rtol=1e-6)
    assert (drawn.rgba[..., 3] == 255).all() and (drawn.count == 1).all()
    tile = rgba(view_png(grid_entry, Query(), tile_view(4, 7, 5)))  # holds 45°N 0°E
    assert tile[..., 3].any() and not tile[..., 3].all()
    assert not rgba(view_png(grid_entry, Query(), tile_view(4, 0, 0)))[..., 3].any()


def test_observation_tiles_draw_dots_and_count_them(tmp_path):
    from portal.cataloging.scan import describe_file
    from tests.server.conftest import REPO  # noqa: F401 - same repository layout

    path = REPO.parent / "shared" / "data" / "argo" / "multiprofile" / "6901744_prof.nc"
    if not path.exists():
        pytest.skip("../shared/data is not here")
    entry = describe_file(str(path), "argo")
    drawn = layer(entry, Query(), tile_view(0, 0, 0))
    assert drawn.rgba[..., 3].any()
    assert drawn.count.sum() > 10  # profiles binned per pixel
    assert (drawn.count > 0).sum() < (drawn.rgba[..., 3] > 0).sum()  # dots wider than a pixel
