"""Geometry of a fast map PNG: where the map sits in the image and how lon/lat map to pixels.

A :class:`Frame` is the picture's layout for one (projection, extent, size): a title band
on top, longitude labels below, latitude labels on the left, the colour bar on the right,
and the map box in between, fitted to the extent at equal scale (degrees for
``platecarree`` — today's PNG look —, metres for Web Mercator). It converts longitudes and
latitudes to pixel columns and rows and back (pixel centres), and picks round graticule
steps. Pure numpy: nothing here draws.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

PROJECTIONS = ("platecarree", "mercator")
MERCATOR_LAT = 85.0
TITLE_BAND = 44   # two 10-point lines
LEFT, BOTTOM, TOP_GAP = 62, 34, 8
COLORBAR_BAND = 110  # bar, tick labels and the rotated label
_STEPS = (0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0)


def merc_y(lat, limit: float = MERCATOR_LAT) -> np.ndarray:
    """Web Mercator ordinate (unit sphere) of latitudes clipped to ±``limit`` (85°; tiles
    use the square world's edge, 85.0511°)."""
    phi = np.radians(np.clip(np.asarray(lat, dtype="float64"), -limit, limit))
    return np.log(np.tan(np.pi / 4 + phi / 2))


def merc_lat(y) -> np.ndarray:
    """Latitude of a Web Mercator ordinate (unit sphere)."""
    return np.degrees(2 * np.arctan(np.exp(np.asarray(y, dtype="float64"))) - np.pi / 2)


@dataclass(frozen=True)
class Frame:
    """Layout of one map image; ``extent`` is (west, south, east, north) in degrees."""

    projection: str
    extent: tuple[float, float, float, float]
    width: int
    height: int
    colorbar: bool = True
    bare: bool = False  # a thumbnail: the map fills the image, no title, labels or colour bar

    def __post_init__(self) -> None:
        if self.projection not in PROJECTIONS:
            raise ValueError(f"projection must be one of {', '.join(PROJECTIONS)}")
        west, south, east, north = self.extent
        if not (east > west and north > south):
            raise ValueError(f"empty map extent {self.extent}")

    def _y(self, lat) -> np.ndarray:
        lat = np.asarray(lat, dtype="float64")
        return merc_y(lat) if self.projection == "mercator" else lat

    @property
    def box(self) -> tuple[int, int, int, int]:
        """(left, top, width, height) of the map in image pixels, at equal scale."""
        west, south, east, north = self.extent
        left, top = (0, 0) if self.bare else (LEFT, TITLE_BAND + TOP_GAP)
        avail_w = self.width - left - (0 if self.bare else COLORBAR_BAND if self.colorbar
                                       else 16)
        avail_h = self.height - top - (0 if self.bare else BOTTOM)
        span_x = math.radians(east - west) if self.projection == "mercator" else east - west
        span_y = float(self._y(north) - self._y(south))
        scale = min(avail_w / span_x, avail_h / span_y)
        w, h = max(int(round(span_x * scale)), 10), max(int(round(span_y * scale)), 10)
        return left + (avail_w - w) // 2, top + (avail_h - h) // 2, w, h

    def columns(self, lon) -> np.ndarray:
        """Fractional map-box column (0 = west edge) of longitudes."""
        west, _, east, _ = self.extent
        return (np.asarray(lon, dtype="float64") - west) / (east - west) * self.box[2]

    def rows(self, lat) -> np.ndarray:
        """Fractional map-box row (0 = north edge) of latitudes."""
        _, south, _, north = self.extent
        y0, y1 = self._y(south), self._y(north)
        return (y1 - self._y(lat)) / (y1 - y0) * self.box[3]

    def pixel_lonlat(self) -> tuple[np.ndarray, np.ndarray]:
        """Longitude of each map-box column centre and latitude of each row centre (north
        first)."""
        west, south, east, north = self.extent
        _, _, w, h = self.box
        lon = west + (np.arange(w) + 0.5) / w * (east - west)
        y0, y1 = self._y(south), self._y(north)
        y = y1 - (np.arange(h) + 0.5) / h * (y1 - y0)
        return lon, (merc_lat(y) if self.projection == "mercator" else y)


def nice_step(span: float, pixels: int, min_px: int = 70) -> float:
    """A round graticule step giving labels at least ``min_px`` apart."""
    target = span * min_px / max(pixels, 1)
    for step in _STEPS:
        if step >= target:
            return step
    return 90.0


def ticks(lo: float, hi: float, step: float) -> np.ndarray:
    """Multiples of ``step`` within [lo, hi]."""
    first = math.ceil(lo / step - 1e-9) * step
    return np.arange(first, hi + step * 1e-6, step)


def degrees_label(value: float, axis: str) -> str:
    """'60°W', '0°', '48.5°N' — Cartopy's style for longitude (``x``) or latitude (``y``)."""
    if axis == "x" and abs(value) > 180.0:
        value = (value + 180.0) % 360.0 - 180.0
    if abs(value) < 1e-9:
        return "0°"
    text = f"{abs(value):.2f}".rstrip("0").rstrip(".")
    hemi = ("E" if value > 0 else "W") if axis == "x" else ("N" if value > 0 else "S")
    return f"{text}°{hemi}"
