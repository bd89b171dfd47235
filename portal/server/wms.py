"""``/wms``: a minimal OGC WMS 1.3.0 — GetCapabilities, GetMap, GetFeatureInfo.

Enough for QGIS, OpenLayers (Sextant, the ODATIS map viewer) and OWSLib to add a dataset
as a layer. One queryable ``Layer`` per catalog dataset that has a map quicklook, named by
its id, with the catalog's bounding box in CRS:84, EPSG:4326 (WMS 1.3.0 axis order:
latitude first) and EPSG:3857. ``GetMap`` draws the same transparent layer as the XYZ
tiles (:mod:`portal.render.tiles`; several layers are stacked in order) as ``image/png``,
its size bounded by the settings' ``Limits.max_image_px``; the PNG route's parameters
(``var``, ``qc``, ``color``, ``cmap``, ``time``, ``depth``) pass through as vendor
parameters. ``GetFeatureInfo`` answers the count and mean under pixel ``I``, ``J`` as
``text/plain`` or GeoJSON (``application/json``). Errors are ``ServiceExceptionReport``
XML documents with the standard codes and an HTTP status of 400 (client) or 5xx; the
capabilities' URLs use the configured public URL, else the request's (allow-listed) host.
Parameter names are case-insensitive, as the standard asks.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Any

import numpy as np
import tornado.web

from portal.errors import PortalError, public_message, status_of
from portal.query import limits, parse_query
from portal.settings import current
from portal.text import clean_text, one_line

if TYPE_CHECKING:
    from portal.catalog.loader import Catalog
    from portal.model import DatasetEntry
    from portal.query import Query
    from portal.render.tiles import ViewBox

log = logging.getLogger(__name__)

VERSION = "1.3.0"
WMS_NS = "http://www.opengis.net/wms"
OGC_NS = "http://www.opengis.net/ogc"
XLINK_NS = "http://www.w3.org/1999/xlink"
CRS_LIST = ("EPSG:3857", "EPSG:4326", "CRS:84")
INFO_FORMATS = ("text/plain", "application/json")
QUERY_KEYS = ("var", "qc", "color", "cmap", "time", "start", "end", "depth")
MERCATOR_LAT = 85.0511287798066


class WMSError(Exception):
    """A service exception: ``code`` from WMS 1.3.0 (None for a generic one), HTTP status."""

    def __init__(self, message: str, code: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.status = code, status


def exception_xml(message: str, code: str | None = None) -> bytes:
    """A ``ServiceExceptionReport`` document (text escaped by the XML writer)."""
    ET.register_namespace("", OGC_NS)
    root = ET.Element(f"{{{OGC_NS}}}ServiceExceptionReport", version=VERSION)
    item = ET.SubElement(root, f"{{{OGC_NS}}}ServiceException")
    if code:
        item.set("code", code)
    item.text = message
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


# ----------------------------------------------------------------------- parameters

def lower_params(arguments: dict[str, list[bytes]]) -> dict[str, str]:
    """Request arguments with lower-case names and the last value as text."""
    return {k.lower(): v[-1].decode("utf-8", "replace").strip() for k, v in arguments.items()
            if v}


def required(params: dict[str, str], name: str) -> str:
    value = params.get(name.lower(), "")
    if not value:
        raise WMSError(f"missing parameter {name}", "MissingParameterValue")
    return value


def _size(params: dict[str, str]) -> tuple[int, int]:

    top = limits().max_image_px
    out = []
    for name in ("WIDTH", "HEIGHT"):
        text = required(params, name)
        if not text.isdigit() or not 1 <= int(text) <= top:
            raise WMSError(f"{name} must be an integer between 1 and {top}", "InvalidParameterValue")
        out.append(int(text))
    return out[0], out[1]


def parse_view(params: dict[str, str]) -> ViewBox:
    """The view of a GetMap/GetFeatureInfo request (CRS, BBOX in the CRS's axis order)."""
    from portal.render.tiles import ViewBox, mercator_view

    crs = required(params, "CRS").upper()
    try:
        box = [float(v) for v in required(params, "BBOX").split(",")]
    except ValueError:
        raise WMSError("BBOX must be four numbers", "InvalidParameterValue") from None
    if len(box) != 4 or not all(math.isfinite(v) for v in box) or not (
            box[2] > box[0] and box[3] > box[1]):
        raise WMSError("BBOX must be minx,miny,maxx,maxy with max > min",
                       "InvalidParameterValue")
    width, height = _size(params)
    if crs == "EPSG:3857":
        return mercator_view((box[0], box[1], box[2], box[3]), width, height)
    if crs == "EPSG:4326":  # WMS 1.3.0: latitude first
        return ViewBox("platecarree", (box[1], box[0], box[3], box[2]), width, height)
    if crs == "CRS:84":
        return ViewBox("platecarree", (box[0], box[1], box[2], box[3]), width, height)
    raise WMSError(f"CRS {crs} is not offered (use one of {', '.join(CRS_LIST)})", "InvalidCRS")


def layer_entries(params: dict[str, str], key: str, cat: Catalog | None = None
                  ) -> list[DatasetEntry]:
    """The entries of ``cat`` (default: the whole catalog; a request's: only those its
    identity may see) named by ``LAYERS`` or ``QUERY_LAYERS``; LayerNotDefined else."""
    from portal.server.context import catalog

    cat = catalog() if cat is None else cat
    names = [n for n in required(params, key).split(",") if n]
    if not names:
        raise WMSError(f"{key} names no layer", "LayerNotDefined")
    missing = [n for n in names if n not in cat or not drawable(cat[n])]
    if missing:
        raise WMSError(f"unknown layer {missing[0]}", "LayerNotDefined")
    styles = [s for s in params.get("styles", "").split(",") if s and s != "default"]
    if styles:
        raise WMSError(f"unknown style {styles[0]} (use default)", "StyleNotDefined")
    return [cat[n] for n in names]


def layer_query(params: dict[str, str]) -> Query:
    """The colouring and selection vendor parameters (``var``, ``qc``, ``time`` …)."""

    return parse_query({k: params[k] for k in QUERY_KEYS if k in params})


def drawable(entry: DatasetEntry) -> bool:
    from portal.quicklooks import entry_kinds

    return "map" in entry_kinds(entry)


# ---------------------------------------------------------------------- capabilities

def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    item = ET.SubElement(parent, f"{{{WMS_NS}}}{tag}", attrs)
    if text is not None:
        item.text = text
    return item


def _resource(parent: ET.Element, url: str) -> None:
    _el(parent, "OnlineResource", **{f"{{{XLINK_NS}}}type": "simple",
                                     f"{{{XLINK_NS}}}href": url})


def _operation(parent: ET.Element, name: str, formats: tuple[str, ...], url: str) -> None:
    op = _el(parent, name)
    for fmt in formats:
        _el(op, "Format", fmt)
    _resource(_el(_el(_el(op, "DCPType"), "HTTP"), "Get"), url)


def _num(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _boxes(parent: ET.Element, bbox: tuple[float, float, float, float]) -> None:
    west, south, east, north = bbox
    geo = _el(parent, "EX_GeographicBoundingBox")
    for tag, value in (("westBoundLongitude", west), ("eastBoundLongitude", east),
                       ("southBoundLatitude", south), ("northBoundLatitude", north)):
        _el(geo, tag, _num(value))
    _el(parent, "BoundingBox", CRS="CRS:84", minx=_num(west), miny=_num(south),
        maxx=_num(east), maxy=_num(north))
    _el(parent, "BoundingBox", CRS="EPSG:4326", minx=_num(south), miny=_num(west),
        maxx=_num(north), maxy=_num(east))
    x0, y0, x1, y1 = mercator_box(bbox)
    _el(parent, "BoundingBox", CRS="EPSG:3857", minx=_num(x0), miny=_num(y0), maxx=_num(x1),
        maxy=_num(y1))


def mercator_box(bbox: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """EPSG:3857 metres of a lon/lat box (latitudes clipped to the square world)."""
    from portal.render.tiles import EARTH_RADIUS, merc_y

    west, south, east, north = bbox
    ys = merc_y(np.array([south, north])) * EARTH_RADIUS
    return (math.radians(west) * EARTH_RADIUS, float(ys[0]), math.radians(east) * EARTH_RADIUS,
            float(ys[1]))


def entry_bbox(entry: DatasetEntry) -> tuple[float, float, float, float]:
    """The catalog's box in -180..180 (a box across the date line: the whole width)."""
    if not entry.bbox:
        return (-180.0, -90.0, 180.0, 90.0)
    west, south, east, north = (float(v) for v in entry.bbox)
    if east > 180.0 or west < -180.0 or east < west:
        west, east = -180.0, 180.0
    return (west, max(south, -90.0), east, min(north, 90.0))


def capabilities_xml(entries: list[DatasetEntry], url: str) -> bytes:
    """The GetCapabilities document of the drawable ``entries``, operations at ``url``."""

    ET.register_namespace("", WMS_NS)
    ET.register_namespace("xlink", XLINK_NS)
    root = ET.Element(f"{{{WMS_NS}}}WMS_Capabilities", version=VERSION)
    service = _el(root, "Service")
    _el(service, "Name", "WMS")
    _el(service, "Title", "ODATIS portal")
    _el(service, "Abstract", "Quicklook maps of the ODATIS portal's datasets")
    _resource(service, url)
    _el(service, "MaxWidth", str(limits().max_image_px))
    _el(service, "MaxHeight", str(limits().max_image_px))
    capability = _el(root, "Capability")
    request = _el(capability, "Request")
    _operation(request, "GetCapabilities", ("text/xml",), url + "?")
    _operation(request, "GetMap", ("image/png",), url + "?")
    _operation(request, "GetFeatureInfo", INFO_FORMATS, url + "?")
    _el(_el(capability, "Exception"), "Format", "XML")
    top = _el(capability, "Layer")
    _el(top, "Title", "ODATIS portal datasets")
    for crs in CRS_LIST:
        _el(top, "CRS", crs)
    _boxes(top, (-180.0, -MERCATOR_LAT, 180.0, MERCATOR_LAT))
    for entry in entries:
        item = _el(top, "Layer", queryable="1")
        _el(item, "Name", entry.id)
        _el(item, "Title", one_line(entry.title or entry.id))
        if entry.summary:
            _el(item, "Abstract", clean_text(entry.summary))
        _boxes(item, entry_bbox(entry))
        style = _el(item, "Style")
        _el(style, "Name", "default")
        _el(style, "Title", "Same colours as the portal's quicklook")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


# ------------------------------------------------------------------------- operations

def get_map(params: dict[str, str], cat: Catalog | None = None) -> bytes:
    """PNG bytes of GetMap: the layers stacked in order, transparent unless asked."""
    from portal.render.tiles import cached_view_png

    fmt = required(params, "FORMAT").split(";")[0].strip().lower()
    if fmt != "image/png":
        raise WMSError(f"FORMAT {fmt} is not offered (use image/png)", "InvalidFormat")
    entries = layer_entries(params, "LAYERS", cat)
    view, query = parse_view(params), layer_query(params)
    images = [cached_view_png(entry, query, view) for entry in entries]
    opaque = params.get("transparent", "FALSE").upper() != "TRUE"
    if len(images) == 1 and not opaque:
        return images[0]
    background = _bgcolor(params.get("bgcolor", "")) if opaque else None
    return _stack(images, view.width, view.height, background)


def _bgcolor(text: str) -> tuple[int, int, int, int]:
    digits = text.upper().removeprefix("0X") or "FFFFFF"
    try:
        value = int(digits, 16)
    except ValueError:
        raise WMSError("BGCOLOR must be 0xRRGGBB", "InvalidParameterValue") from None
    return (value >> 16 & 255, value >> 8 & 255, value & 255, 255)


def _stack(images: list[bytes], width: int, height: int,
           background: tuple[int, int, int, int] | None) -> bytes:
    import io

    from PIL import Image

    out = Image.new("RGBA", (width, height), background or (0, 0, 0, 0))
    for png in images:
        out.alpha_composite(Image.open(io.BytesIO(png)).convert("RGBA"))
    buf = io.BytesIO()
    out.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def feature_info(params: dict[str, str], cat: Catalog | None = None) -> tuple[str, bytes]:
    """(content type, body) of GetFeatureInfo: count and mean under pixel I, J per layer."""
    from portal.render.tiles import view_layer

    fmt = params.get("info_format", "text/plain").split(";")[0].strip().lower()
    if fmt not in INFO_FORMATS:
        raise WMSError(f"INFO_FORMAT {fmt} is not offered (use {' or '.join(INFO_FORMATS)})",
                       "InvalidFormat")
    entries = layer_entries(params, "QUERY_LAYERS", cat)
    view, query = parse_view(params), layer_query(params)
    col, row = (_pixel(params, name, size) for name, size in
                (("I", view.width), ("J", view.height)))
    lon, lat = view.pixel_lonlat()
    found = []
    for entry in entries:
        drawn = view_layer(entry, query, view)
        count = float(drawn.count[row, col])
        mean = None if drawn.mean is None else float(drawn.mean[row, col])
        found.append({"layer": entry.id, "count": int(count),
                      "mean": None if mean is None or not math.isfinite(mean) else mean,
                      "label": drawn.label})
    return _info_body(fmt, float(lon[col]), float(lat[row]), found)


def _pixel(params: dict[str, str], name: str, size: int) -> int:
    text = required(params, name)
    if not text.isdigit() or int(text) >= size:
        raise WMSError(f"{name} must be a pixel between 0 and {size - 1}", "InvalidPoint")
    return int(text)


def _info_body(fmt: str, lon: float, lat: float, found: list[dict[str, Any]]) -> tuple[str, bytes]:
    if fmt == "application/json":
        features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                     "properties": item} for item in found]
        body = {"type": "FeatureCollection", "features": features}
        return "application/json", json.dumps(body).encode()
    lines = [f"longitude = {lon:.5f}", f"latitude = {lat:.5f}"]
    for item in found:
        lines += [f"layer = {item['layer']}", f"count = {item['count']}",
                  f"mean = {'' if item['mean'] is None else format(item['mean'], '.6g')}",
                  f"mean of = {item['label']}"]
    return "text/plain; charset=utf-8", ("\n".join(lines) + "\n").encode()


def service_url(handler: tornado.web.RequestHandler) -> str:
    """The WMS URL clients should call: the configured public URL, else the request's
    (allow-listed) host under the prefix."""

    settings = current()
    if settings.public_url.strip():
        return settings.link("/wms")
    return f"{handler.request.protocol}://{handler.request.host}{settings.base_path}/wms"


def answer(params: dict[str, str], url: str, cat: Catalog | None = None
           ) -> tuple[str, bytes]:
    """(content type, body) of one WMS request over ``cat`` (default: the whole catalog),
    or :class:`WMSError`."""
    from portal.server.context import catalog

    cat = catalog() if cat is None else cat
    if params.get("service", "WMS").upper() != "WMS":
        raise WMSError("SERVICE must be WMS", "InvalidParameterValue")
    request = required(params, "REQUEST").lower()
    if request == "getcapabilities":
        entries = [e for e in cat.entries.values() if drawable(e)]
        return "text/xml; charset=utf-8", capabilities_xml(entries, url)
    if params.get("version", VERSION) != VERSION:
        raise WMSError(f"VERSION must be {VERSION}", "InvalidParameterValue")
    if request == "getmap":
        return "image/png", get_map(params, cat)
    if request == "getfeatureinfo":
        return feature_info(params, cat)
    raise WMSError(f"REQUEST {request} is not offered", "OperationNotSupported")


class WMSHandler(tornado.web.RequestHandler):
    """GET /wms?SERVICE=WMS&REQUEST=…"""

    async def get(self) -> None:
        from portal.server.auth import all_public, request_catalog

        params = lower_params(self.request.arguments)
        try:
            cat = request_catalog(self)  # the layers this identity may see, and no others
            ctype, body = await asyncio.to_thread(answer, params, service_url(self), cat)
        except Exception as exc:  # noqa: BLE001 - every failure is a service exception
            return self._exception(exc)
        self.set_header("Content-Type", ctype)
        if all_public(cat):
            self.set_header("Cache-Control", "public, max-age=300")
        else:  # a shared cache must never hand restricted layers to someone else
            self.set_header("Cache-Control", "private, no-store")
            self.set_header("Vary", "Cookie, Authorization")
        self.set_header("Access-Control-Allow-Origin", "*")  # web GIS clients on other hosts
        self.finish(body)

    def _exception(self, exc: BaseException) -> None:
        if isinstance(exc, tornado.web.HTTPError) and exc.status_code < 500:  # a bad token
            exc = WMSError(exc.log_message or "refused", None, exc.status_code)
        if isinstance(exc, WMSError):
            status, code, message = exc.status, exc.code, str(exc)
        else:
            status, code, message = status_of(exc), None, public_message(exc)
            if not isinstance(exc, PortalError):
                log.error("unexpected error answering %s", self.request.uri, exc_info=exc)
        self.set_status(status)
        self.set_header("Content-Type", "text/xml; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(exception_xml(message, code))


ROUTE = (r"/wms/?", WMSHandler)
