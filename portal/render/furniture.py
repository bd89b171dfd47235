"""Map furniture for fast PNGs: land, graticule, axis labels, title and colour bar, with PIL.

What does not depend on the data is drawn once per :class:`~portal.render.frame.Frame`
(projection, extent, size) and kept in a byte-bounded cache (:func:`furniture`): a base
image (white page, degree labels) and an RGBA overlay for the map box (graticule, the
Natural Earth land layer of ``static/land_110m.geojson`` filled and outlined, the frame),
drawn at twice the resolution and reduced for smooth coastlines. Land is read straight
from the GeoJSON (no shapely, no Cartopy) and drawn at longitude offsets of ±360° so maps
centred on the antimeridian keep it. The title and the colour bar change with every
view (counts, colour limits); drawing them with PIL costs well under a millisecond.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import textwrap
from dataclasses import dataclass

import numpy as np

from portal.cache import ByteLRU
from portal.quicklooks.style import date_ticks
from portal.render.frame import Frame, degrees_label, nice_step, ticks

LAND_RGB = (0xD9, 0xD4, 0xC7)
COAST_RGB = (0x4A, 0x4A, 0x4A)
GRID_RGBA = (0x80, 0x80, 0x80, 90)
TEXT_RGB = (0, 0, 0)
FURNITURE_CACHE_BYTES = 64 * 2**20
SUPERSAMPLE = 2


@functools.lru_cache(maxsize=8)
def font(size: int = 13):
    """DejaVu Sans (Matplotlib's font, found without importing Matplotlib) at ``size`` px."""
    from PIL import ImageFont

    spec = importlib.util.find_spec("matplotlib")
    for base in (spec.submodule_search_locations or []) if spec else []:
        path = os.path.join(base, "mpl-data", "fonts", "ttf", "DejaVuSans.ttf")
        if os.path.exists(path):
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


@functools.lru_cache(maxsize=1)
def land_rings() -> tuple[tuple[np.ndarray, bool], ...]:
    """(lon/lat ring, is_hole) of every land polygon of the GeoJSON layer."""
    from portal.assets import land_geojson

    path = land_geojson()
    if not path.exists():
        return ()
    rings: list[tuple[np.ndarray, bool]] = []
    for feature in json.loads(path.read_text()).get("features", []):
        geom = feature["geometry"]
        polygons = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
        for polygon in polygons:
            for k, ring in enumerate(polygon):
                rings.append((np.asarray(ring, dtype="float64")[:, :2], k > 0))
    return tuple(rings)


@dataclass(frozen=True)
class Furniture:
    """What one frame's images share: the page (H x W x 3) and the map-box overlay
    (h x w x 4, straight alpha)."""

    base: np.ndarray
    overlay: np.ndarray

    @property
    def nbytes(self) -> int:
        return int(self.base.nbytes + self.overlay.nbytes)


@functools.lru_cache(maxsize=1)
def furniture_cache():
    """The process's furniture cache (read-only images shared by all requests; bounded in
    bytes), created on first use."""

    return ByteLRU(FURNITURE_CACHE_BYTES, "furniture")


def furniture(frame: Frame) -> Furniture:
    """The frame's furniture, drawn once and then served from the byte-bounded cache."""
    return furniture_cache().get_or_compute(frame, lambda: _draw(frame))


def _draw(frame: Frame) -> Furniture:
    from PIL import Image, ImageDraw

    page = Image.new("RGB", (frame.width, frame.height), "white")
    if not frame.bare:
        _axis_labels(ImageDraw.Draw(page), frame)
    return Furniture(np.asarray(page).copy(), _overlay(frame))


def _overlay(frame: Frame) -> np.ndarray:
    """Graticule, land fill, coastline and frame of the map box, antialiased."""
    from PIL import Image, ImageDraw

    _, _, w, h = frame.box
    s = SUPERSAMPLE
    land, coast, grid = (Image.new("L", (w * s, h * s), 0) for _ in range(3))
    dl, dc, dg = ImageDraw.Draw(land), ImageDraw.Draw(coast), ImageDraw.Draw(grid)
    lon_ticks, lat_ticks = _graticule(frame)
    for x in frame.columns(lon_ticks) * s:
        dg.line([(x, 0), (x, h * s)], fill=255, width=s)
    for y in frame.rows(lat_ticks) * s:
        dg.line([(0, y), (w * s, y)], fill=255, width=s)
    west, _, east, _ = frame.extent
    for ring, hole in land_rings():
        for offset in (-360.0, 0.0, 360.0):
            lon = ring[:, 0] + offset
            if lon.max() < west or lon.min() > east:
                continue
            xy = np.column_stack([frame.columns(lon) * s, frame.rows(ring[:, 1]) * s])
            points = [tuple(p) for p in xy.tolist()]
            dl.polygon(points, fill=0 if hole else 255)
            dc.line(points + points[:1], fill=255, width=s)
    dc.rectangle([0, 0, w * s - 1, h * s - 1], outline=255, width=s)
    return _stack(*(im.reduce(s) for im in (grid, land, coast)))


def _stack(grid, land, coast) -> np.ndarray:
    """One RGBA layer (straight alpha): graticule under land, coastline on top."""
    from PIL import Image

    out = Image.new("RGBA", land.size, (0, 0, 0, 0))
    grid = grid.point(lambda v: v * GRID_RGBA[3] // 255)
    coast = coast.point(lambda v: v * 230 // 255)
    for colour, mask in ((GRID_RGBA[:3], grid), (LAND_RGB, land), (COAST_RGB, coast)):
        layer = Image.new("RGBA", land.size, (*colour, 0))
        layer.putalpha(mask)
        out.alpha_composite(layer)
    return np.asarray(out).copy()


def _graticule(frame: Frame) -> tuple[np.ndarray, np.ndarray]:
    west, south, east, north = frame.extent
    _, _, w, h = frame.box
    lon_step = nice_step(east - west, w, 80)
    lat_step = nice_step(north - south, h, 45)
    return ticks(west, east, lon_step), ticks(south, north, lat_step)


def _axis_labels(draw, frame: Frame) -> None:
    """Degree labels under and left of the map box, at the graticule lines."""
    left, top, w, h = frame.box
    f = font(13)
    lon_ticks, lat_ticks = _graticule(frame)
    for lon, x in zip(lon_ticks, frame.columns(lon_ticks), strict=True):
        draw.text((left + x, top + h + 5), degrees_label(float(lon), "x"), fill=TEXT_RGB,
                  font=f, anchor="mt")
    for lat, y in zip(lat_ticks, frame.rows(lat_ticks), strict=True):
        draw.text((left - 6, top + y), degrees_label(float(lat), "y"), fill=TEXT_RGB, font=f,
                  anchor="rm")


def draw_title(draw, text: str, width: int) -> None:
    """The title centred on top, wrapped on at most two lines that fit (never cut off)."""
    per_line = max(int(width / 7.6), 30)
    lines = textwrap.wrap(text, per_line, max_lines=2, placeholder=" …")
    f = font(13)
    for k, line in enumerate(lines):
        draw.text((width / 2, 6 + 16 * k), line, fill=TEXT_RGB, font=f, anchor="mt")


def draw_colorbar(image, frame: Frame, lut: np.ndarray, clim: tuple[float, float],
                  label: str, dates: bool = False) -> None:
    """A vertical colour bar right of the map: the LUT, round ticks (whole years, months,
    days… when ``dates``: values are milliseconds since 1970), the rotated label. Tick
    labels and the rotated label are kept inside the image: a label that would cross the
    right edge is shortened rather than cut, and the rotated label follows the widest."""
    from PIL import Image, ImageDraw

    left, top, w, h = frame.box
    x0, bar_w = left + w + 16, 18
    bar_h = max(int(h * 0.8), 60)
    y0 = top + (h - bar_h) // 2
    rows = np.linspace(len(lut) - 1, 0, bar_h).round().astype(int)
    strip = np.repeat(lut[rows][:, None, :3], bar_w, axis=1)
    image.paste(Image.fromarray(np.ascontiguousarray(strip)), (x0, y0))
    draw = ImageDraw.Draw(image)
    draw.rectangle([x0 - 1, y0 - 1, x0 + bar_w, y0 + bar_h], outline=TEXT_RGB)
    lo, hi = clim
    span = hi - lo if hi > lo else 1.0
    f = font(12)
    room = image.width - (x0 + bar_w + 7) - 4
    step = _value_step(span, bar_h)
    marks = _short_dates(date_ticks(lo, hi)) if dates else [
        (v, _number(v, step)) for v in ticks(lo, hi, step)]
    widest = 0
    for value, text in marks:
        text = _fit(draw, text, f, room)
        y = y0 + bar_h - (value - lo) / span * bar_h
        draw.line([(x0 + bar_w, y), (x0 + bar_w + 4, y)], fill=TEXT_RGB)
        draw.text((x0 + bar_w + 7, y), text, fill=TEXT_RGB, font=f, anchor="lm")
        widest = max(widest, int(draw.textlength(text, font=f)))
    cx = min(x0 + bar_w + 7 + widest + 12, image.width - 10)
    _rotated_label(image, label, cx, top + h // 2, frame.height - 8)


def _short_dates(marks: list[tuple[float, str]]) -> list[tuple[float, str]]:
    """Hours of one day: the date only on the first tick ("2005-02-07 02:00", "04:00"…),
    so the labels leave room for the rotated label."""
    days = {text.split(" ")[0] for _, text in marks if " " in text}
    if len(days) != 1 or not all(" " in text for _, text in marks):
        return marks
    return marks[:1] + [(v, text.split(" ", 1)[1]) for v, text in marks[1:]]


def _fit(draw, text: str, f, room: int) -> str:
    """``text``, cut with an ellipsis until it fits ``room`` pixels."""
    while len(text) > 1 and draw.textlength(text, font=f) > room:
        text = text[:-2] + "…"
    return text


def _value_step(span: float, pixels: int) -> float:
    raw = span * 30 / max(pixels, 1)
    mag = 10 ** np.floor(np.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if m * mag >= raw:
            return float(m * mag)
    return float(10 * mag)


def _number(value: float, step: float) -> str:
    decimals = max(0, -int(np.floor(np.log10(step)))) if step < 1 else 0
    decimals += 1 if decimals and step * 10**decimals % 1 else 0
    return f"{value:.{decimals}f}"


def _rotated_label(image, text: str, cx: int, cy: int, max_len: int) -> None:
    from PIL import Image, ImageDraw

    f = font(13)
    per_line = max(int(max_len / 7.6), 20)
    text = textwrap.shorten(text, per_line, placeholder=" …")
    box = ImageDraw.Draw(image).textbbox((0, 0), text, font=f)
    label = Image.new("L", (int(box[2]) + 4, int(box[3]) + 4), 0)
    ImageDraw.Draw(label).text((2, 2), text, fill=255, font=f)
    label = label.rotate(90, expand=True)
    ink = Image.new("RGB", label.size, TEXT_RGB)
    image.paste(ink, (cx - label.width // 2, cy - label.height // 2), label)
