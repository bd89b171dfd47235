"""Map tiles and GIS views: XYZ Web Mercator tiles and WMS ``GetMap`` images, transparent.

A :class:`ViewBox` is one image of a GIS client — a projection (``mercator`` for XYZ tiles
and EPSG:3857, ``platecarree`` for EPSG:4326/CRS:84), a lon/lat extent and a pixel size —
with the lon/lat of its pixel centres. :func:`tile_view` turns ``z/x/y`` into one (256 px,
out-of-range numbers raise :class:`~portal.errors.BadParameter`). :func:`view_png` draws a
dataset's layer (:mod:`portal.render.layers`: the same aggregate and colouring as the PNG
route, with colour limits fixed per dataset and query so that neighbouring tiles match) as
an RGBA PNG with nothing but data on it: no land, graticule, title or colour bar, empty
pixels transparent. :func:`cached_view_png` keeps the bytes in the process's PNG cache,
keyed on the data version.
"""

from __future__ import annotations

import functools
import io
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from portal.cache import png_cache
from portal.errors import BadParameter
from portal.render import frame
from portal.render.frame import merc_lat

if TYPE_CHECKING:
    from portal.model import DatasetEntry
    from portal.query import Query
    from portal.render.layers import Layer

TILE_PX = 256
MAX_ZOOM = 22
MERCATOR_MAX_LAT = 85.0511287798066  # the square Web Mercator world's edge
EARTH_RADIUS = 6378137.0  # EPSG:3857 sphere, metres


def merc_y(lat) -> np.ndarray:
    """Web Mercator ordinate (unit sphere) of latitudes, clipped to the square world."""
    return frame.merc_y(lat, MERCATOR_MAX_LAT)


@dataclass(frozen=True)
class ViewBox:
    """One image of a GIS client: ``extent`` (W, S, E, N) in degrees, rows north first."""

    projection: str
    extent: tuple[float, float, float, float]
    width: int
    height: int

    def __post_init__(self) -> None:
        west, south, east, north = self.extent
        if self.projection not in ("mercator", "platecarree"):
            raise ValueError(f"unknown projection {self.projection!r}")
        if not (east > west and north > south):
            raise BadParameter("empty map extent", parameter="bbox")

    def pixel_lonlat(self) -> tuple[np.ndarray, np.ndarray]:
        """Longitude of each column centre and latitude of each row centre (north first)."""
        west, south, east, north = self.extent
        lon = west + (np.arange(self.width) + 0.5) / self.width * (east - west)
        frac = (np.arange(self.height) + 0.5) / self.height
        if self.projection == "mercator":
            y0, y1 = merc_y(south), merc_y(north)
            return lon, merc_lat(y1 - frac * (y1 - y0))
        return lon, north - frac * (north - south)

    def rows(self, lat) -> np.ndarray:
        """Fractional row (0 = north edge) of latitudes."""
        _, south, _, north = self.extent
        if self.projection == "mercator":
            y0, y1 = merc_y(south), merc_y(north)
            return (y1 - merc_y(lat)) / (y1 - y0) * self.height
        return (north - np.asarray(lat, dtype="float64")) / (north - south) * self.height

    def columns(self, lon) -> np.ndarray:
        """Fractional column (0 = west edge) of longitudes."""
        west, _, east, _ = self.extent
        return (np.asarray(lon, dtype="float64") - west) / (east - west) * self.width

    @property
    def pixel_degrees(self) -> float:
        """Width of one pixel in degrees of longitude."""
        return (self.extent[2] - self.extent[0]) / self.width

    def lat_rows(self) -> int:
        """Rows of a lon/lat canvas fine enough for every row of this view (Mercator rows
        narrow towards the poles), at most four times the view's."""
        if self.projection != "mercator":
            return self.height
        _, south, _, north = self.extent
        span = float(merc_y(north) - merc_y(south)) / self.height
        steepest = math.cos(math.radians(min(max(abs(south), abs(north)), MERCATOR_MAX_LAT)))
        finest = math.degrees(span * steepest)
        return int(min(4 * self.height, max(self.height, math.ceil((north - south) / finest))))


def tile_view(z: int, x: int, y: int) -> ViewBox:
    """The 256-pixel Web Mercator view of XYZ tile ``z/x/y`` (``y`` from the north)."""
    if not 0 <= z <= MAX_ZOOM:
        raise BadParameter(f"z: must be between 0 and {MAX_ZOOM}, got {z}", parameter="z")
    n = 2 ** z
    for name, value in (("x", x), ("y", y)):
        if not 0 <= value < n:
            raise BadParameter(f"{name}: must be between 0 and {n - 1} at zoom {z}, got "
                               f"{value}", parameter=name)
    west, east = x / n * 360.0 - 180.0, (x + 1) / n * 360.0 - 180.0
    north = float(merc_lat(math.pi * (1 - 2 * y / n)))
    south = float(merc_lat(math.pi * (1 - 2 * (y + 1) / n)))
    return ViewBox("mercator", (west, south, east, north), TILE_PX, TILE_PX)


def mercator_view(bbox: tuple[float, float, float, float], width: int, height: int) -> ViewBox:
    """The view of an EPSG:3857 box (minx, miny, maxx, maxy in metres)."""
    minx, miny, maxx, maxy = bbox
    lon = np.degrees(np.array([minx, maxx]) / EARTH_RADIUS)
    lat = merc_lat(np.array([miny, maxy]) / EARTH_RADIUS)
    return ViewBox("mercator", (float(lon[0]), float(lat[0]), float(lon[1]), float(lat[1])),
                   width, height)


def encode(rgba: np.ndarray) -> bytes:
    """PNG bytes of an (h, w, 4) uint8 array."""
    from PIL import Image

    from portal.render.fast import PNG_COMPRESS_LEVEL

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba), "RGBA").save(
        buf, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buf.getvalue()


@functools.lru_cache(maxsize=8)
def empty_png(width: int = TILE_PX, height: int = TILE_PX) -> bytes:
    """A fully transparent PNG (a tile where there are no data)."""
    return encode(np.zeros((height, width, 4), dtype="uint8"))


def view_layer(entry: DatasetEntry, query: Query, view: ViewBox) -> Layer:
    """The dataset's layer on ``view`` (see :func:`portal.render.layers.layer`)."""
    from portal.render.layers import layer

    return layer(entry, query, view)


def view_png(entry: DatasetEntry, query: Query, view: ViewBox) -> bytes:
    """Transparent PNG bytes of the dataset's layer on ``view``."""
    drawn = view_layer(entry, query, view)
    if not drawn.rgba[..., 3].any():
        return empty_png(view.width, view.height)
    return encode(drawn.rgba)


def cached_view_png(entry: DatasetEntry, query: Query, view: ViewBox) -> bytes:
    """:func:`view_png` through the PNG cache, keyed on (entry, data version, query, view)."""
    from portal.sources.versioning import data_version

    key = ("view", entry.id, entry, data_version(entry), query, view)
    return png_cache().get_or_compute(key, lambda: view_png(entry, query, view))
