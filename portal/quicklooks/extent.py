"""The extent thumbnail: a dataset's bounding box over land, as a small inline SVG.

The dataset card shows where a dataset lies before any data are read. An SVG
string costs the browser nothing to draw (no Bokeh plot, no canvas, no round
trip): land polygons from the offline layer are cut to a window around the box
and drawn in an equirectangular projection stretched by 1/cos(latitude), so
shapes look right at the box's latitude. Every number is formatted here; no
metadata text enters the SVG.
"""

from __future__ import annotations

import functools
import math

LAND_FILL = "#d9d4c7"
LAND_LINE = "#6b6b6b"
BOX_COLOUR = "#e4572e"
SEA = "#eef4f8"


def lon_spans(west: float, east: float) -> list[tuple[float, float]]:
    """The box's longitude span(s) in -180..180: 0..360 boxes moved, date-line boxes split."""
    if east - west >= 359.0:
        return [(-180.0, 180.0)]
    if west >= 180.0:
        return [(west - 360.0, east - 360.0)]
    if east > 180.0:
        return [(west, 180.0), (-180.0, east - 360.0)]
    return [(west, east)]


def _window(bbox: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """A window around the box, at least 8° wide, clipped to the globe."""
    west, south, east, north = bbox
    pad = max(east - west, north - south, 4.0) * 0.6
    return (max(west - pad, -180.0), max(south - pad, -85.0),
            min(east + pad, 180.0), min(north + pad, 85.0))


@functools.lru_cache(maxsize=256)
def extent_svg(bbox: tuple[float, float, float, float], width: int = 260,
               height: int = 160) -> str:
    """An ``<svg>`` of the box (W, S, E, N, degrees) over land; cached per box."""
    from portal.quicklooks.style import _land_clipped

    west, south, east, north = (float(v) for v in bbox)
    spans = lon_spans(west, east)
    if len(spans) > 1:  # across the date line: the whole longitude range, both parts boxed
        w0, s0, e0, n0 = _window((-180.0, south, 180.0, north))
    else:
        west, east = spans[0]
        w0, s0, e0, n0 = _window((west, south, east, north))
    stretch = 1.0 / max(math.cos(math.radians((s0 + n0) / 2)), 0.2)
    span_x, span_y = e0 - w0, (n0 - s0) * stretch
    scale = min(width / span_x, height / span_y)
    off_x = (width - span_x * scale) / 2
    off_y = (height - span_y * scale) / 2

    def point(lon: float, lat: float) -> tuple[float, float]:
        return off_x + (lon - w0) * scale, off_y + (n0 - lat) * stretch * scale

    def xy(lon: float, lat: float) -> str:
        return "{:.1f},{:.1f}".format(*point(lon, lat))

    paths = []
    for poly in _land_clipped((w0, s0, e0, n0), False):
        poly = poly.simplify(0.8 / scale)  # under a pixel: a world box stays a few KB
        if poly.is_empty or poly.geom_type != "Polygon":
            continue
        rings = [poly.exterior, *poly.interiors]
        d = " ".join("M" + " L".join(xy(x, y) for x, y in ring.coords) + "Z" for ring in rings)
        paths.append(f"<path d='{d}'/>")
    rects = []
    for lo, hi in spans:
        x0, y0 = point(lo, max(north, south + 0.05))
        x1, y1 = point(max(hi, lo + 0.05), south)
        rects.append(f"<rect x='{x0:.1f}' y='{y0:.1f}' width='{max(x1 - x0, 3):.1f}' "
                     f"height='{max(y1 - y0, 3):.1f}' fill='{BOX_COLOUR}' fill-opacity='0.25' "
                     f"stroke='{BOX_COLOUR}' stroke-width='2'/>")
    box = "".join(rects)
    return (f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
            f"viewBox='0 0 {width} {height}' class='portal-extent' role='img'>"
            f"<rect width='{width}' height='{height}' fill='{SEA}'/>"
            f"<g fill='{LAND_FILL}' stroke='{LAND_LINE}' stroke-width='0.6'>{''.join(paths)}</g>"
            f"{box}</svg>")
