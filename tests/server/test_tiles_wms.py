"""``/tiles`` and ``/wms`` over HTTP, on a served portal, and the WMS loaded in OWSLib."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from tests.server.conftest import http_get, serving

TITLE = 'Grid <b>&amp; "quoted"</b>'
OGC = "{http://www.opengis.net/ogc}"


@pytest.fixture(scope="module")
def gis_portal(tmp_path_factory):
    """A portal serving a small grid (45°N 0°E region, a hostile title) and a point store."""
    import xarray as xr

    from portal.catalog.loader import write_catalog
    from portal.cataloging.scan import describe_file
    from portal.demo.points import generate
    from portal.model import DatasetEntry
    from portal.pointstore import store_info

    folder = tmp_path_factory.mktemp("gis")
    lat, lon = np.linspace(40.25, 49.75, 20), np.linspace(-9.75, 4.75, 30)
    xr.Dataset({"sst": (("latitude", "longitude"), lon[None, :] + 100 * lat[:, None],
                        {"units": "degC"})},
               coords={"latitude": lat, "longitude": lon},
               attrs={"title": TITLE}).to_netcdf(folder / "grid.nc")
    generate(30_000, str(folder / "store"), seed=4)
    entries = [describe_file(str(folder / "grid.nc"), "grid"),
               DatasetEntry.from_metadata("pts", "pointstore", {"store": str(folder / "store")},
                                          store_info(str(folder / "store"))["metadata"])]
    catalog = write_catalog(entries, folder / "catalog.yaml", title="GIS tests")
    with serving(catalog, folder) as served:
        yield served


def alpha(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))[..., 3]


def test_tiles(gis_portal):
    port = gis_portal.port
    status, headers, body = http_get(port, "/tiles/grid/4/7/5.png")  # holds 45°N 0°E
    assert status == 200 and headers["content-type"] == "image/png"
    assert alpha(body).any() and not alpha(body).all()
    status, _, body = http_get(port, "/tiles/grid/4/0/0.png")  # no data: transparent
    assert status == 200 and not alpha(body).any()
    status, _, body = http_get(port, "/tiles/pts/0/0/0.png?color=value&qc=good")
    assert status == 200 and alpha(body).any()
    for path in ("/tiles/grid/2/4/0.png", "/tiles/grid/1/-1/0.png", "/tiles/grid/23/0/0.png", "/tiles/pts/1/0/2.png",
                 "/tiles/pts/0/0/0.png?color=nonsense"):
        assert http_get(port, path)[0] == 400, path
    assert http_get(port, "/tiles/nothere/0/0/0.png")[0] == 404


def wms(port: int, **params) -> tuple[int, dict, bytes]:
    import urllib.parse

    query = {"SERVICE": "WMS", "VERSION": "1.3.0", **params}
    return http_get(port, "/wms?" + urllib.parse.urlencode(query))


def test_capabilities_list_drawable_datasets_escaped(gis_portal):
    status, headers, body = wms(gis_portal.port, REQUEST="GetCapabilities")
    assert status == 200 and headers["content-type"].startswith("text/xml")
    assert b"<b>" not in body  # the title is escaped text, not markup
    root = ET.fromstring(body)
    ns = "{http://www.opengis.net/wms}"
    layers = {el.findtext(f"{ns}Name"): el for el in root.iter(f"{ns}Layer")
              if el.find(f"{ns}Name") is not None}
    assert set(layers) == {"grid", "pts"}
    assert layers["grid"].findtext(f"{ns}Title") == TITLE
    boxes = {b.get("CRS"): b for b in layers["grid"].findall(f"{ns}BoundingBox")}
    assert float(boxes["EPSG:4326"].get("minx")) == pytest.approx(40.0, abs=0.6)  # latitude
    assert float(boxes["CRS:84"].get("minx")) == pytest.approx(-10.0, abs=0.6)  # longitude
    assert float(boxes["EPSG:3857"].get("maxx")) == pytest.approx(4.75 * 111319.49, rel=1e-4)  # catalog box: cell centres


def test_getmap_crs_axis_order_and_feature_info(gis_portal):
    port = gis_portal.port
    common = {"REQUEST": "GetMap", "LAYERS": "grid", "STYLES": "", "FORMAT": "image/png",
              "WIDTH": "30", "HEIGHT": "20", "TRANSPARENT": "TRUE"}
    lonlat = wms(port, CRS="CRS:84", BBOX="-10,40,5,50", **common)
    latlon = wms(port, CRS="EPSG:4326", BBOX="40,-10,50,5", **common)
    assert lonlat[0] == latlon[0] == 200 and lonlat[2] == latlon[2]
    assert alpha(lonlat[2]).all()
    half = wms(port, CRS="EPSG:4326", BBOX="40,-10,50,20", **common)  # east half empty
    assert alpha(half[2])[:, :14].all() and not alpha(half[2])[:, 16:].any()
    opaque = wms(port, CRS="EPSG:4326", BBOX="0,-10,10,5", **{**common, "TRANSPARENT": "FALSE"})
    assert alpha(opaque[2]).all()  # the standard's default: white, opaque
    info = {"REQUEST": "GetFeatureInfo", "QUERY_LAYERS": "grid", "LAYERS": "grid",
            "CRS": "CRS:84", "BBOX": "-10,40,5,50", "WIDTH": "30", "HEIGHT": "20",
            "I": "3", "J": "0", "STYLES": ""}
    status, headers, body = wms(port, INFO_FORMAT="application/json", **info)
    props = json.loads(body)["features"][0]["properties"]
    assert status == 200 and props["count"] == 1
    assert props["mean"] == pytest.approx(-8.25 + 100 * 49.75)  # column 3, top row
    status, headers, body = wms(port, INFO_FORMAT="text/plain", **info)
    assert status == 200 and "count = 1" in body.decode()


@pytest.mark.parametrize("params, code", [
    ({"REQUEST": "GetMap", "LAYERS": "grid", "CRS": "EPSG:2154"}, "InvalidCRS"),
    ({"REQUEST": "GetMap", "LAYERS": "nope", "CRS": "CRS:84"}, "LayerNotDefined"),
    ({"REQUEST": "GetMap", "LAYERS": "grid", "CRS": "CRS:84", "FORMAT": "image/gif"},
     "InvalidFormat"),
    ({"REQUEST": "GetMap", "LAYERS": "grid", "CRS": "CRS:84", "STYLES": "fancy"},
     "StyleNotDefined"),
    ({"REQUEST": "GetMap", "LAYERS": "grid", "CRS": "CRS:84", "WIDTH": "99999"},
     "InvalidParameterValue"),
    ({"REQUEST": "GetFeatureInfo", "QUERY_LAYERS": "grid", "CRS": "CRS:84", "I": "64"},
     "InvalidPoint"),
    ({"REQUEST": "GetLegendGraphic"}, "OperationNotSupported"),
])
def test_service_exceptions(gis_portal, params, code):
    base = {"FORMAT": "image/png", "BBOX": "-10,40,5,50", "WIDTH": "64", "HEIGHT": "64",
            "STYLES": "", "INFO_FORMAT": "text/plain"}
    status, headers, body = wms(gis_portal.port, **{**base, **params})
    assert status == 400 and headers["content-type"].startswith("text/xml")
    item = ET.fromstring(body).find(f"{OGC}ServiceException")
    assert item is not None and item.get("code") == code


def test_owslib_loads_the_service_and_gets_a_map(gis_portal):
    owslib_wms = pytest.importorskip("owslib.wms")
    service = owslib_wms.WebMapService(gis_portal.url + "/wms", version="1.3.0")
    assert service.identification.type == "WMS" and {"grid", "pts"} <= set(service.contents)
    layer = service["pts"]
    assert "EPSG:3857" in layer.crsOptions and layer.queryable
    image = service.getmap(layers=["pts"], styles=[""], srs="EPSG:3857",
                           bbox=(-20037508.34, -20037508.34, 20037508.34, 20037508.34),
                           size=(256, 256), format="image/png", transparent=True)
    png = image.read()
    assert alpha(png).any() and not alpha(png).all()
    info = service.getfeatureinfo(layers=["grid"], srs="CRS:84", bbox=(-10, 40, 5, 50),
                                  size=(30, 20), format="image/png", query_layers=["grid"],
                                  info_format="application/json", xy=(3, 0))
    assert json.loads(info.read())["features"][0]["properties"]["count"] == 1
