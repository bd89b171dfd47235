"""The landing map's base image: land on sea in Web Mercator, drawn with Pillow.

The first paint of ``/`` (:mod:`portal.ui.prepaint`) shows the landing map before any
JavaScript runs: this image, over the same world window as the interactive map
(:mod:`portal.ui.overview_map`: longitudes -180..180, latitudes -70..80, Web Mercator),
with each dataset box laid over it as an HTML link placed by :func:`fraction`. The image
holds no dataset, so it is the same for every visitor (no access rule applies to it): it is
drawn once per size (~0.3 s, supersampled twice for smooth coasts, at the server's warm-up)
and kept in the byte-bounded PNG cache, and written into the page as a ``data:`` URL
(:func:`land_data_url`): while Panel builds a session the server answers no other request,
so a separate image request would wait for it. Pillow only: no Matplotlib, cartopy or
Bokeh import on this path.
"""

from __future__ import annotations

import io
import math

WORLD = (-180.0, -70.0, 180.0, 80.0)  # W, S, E, N of the landing map (as OverviewMap's)
SIZES = (512, 1024, 2048)  # widths drawn, pixels
SEA, LAND, COAST, GRID = "#eef4f8", "#d9d4c7", "#8a8a8a", "#dbe3ea"


def _merc(lat: float) -> float:
    lat = min(max(lat, -85.0), 85.0)
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


ASPECT = (_merc(WORLD[3]) - _merc(WORLD[1])) / math.radians(WORLD[2] - WORLD[0])  # h / w


def fraction(lon: float, lat: float) -> tuple[float, float]:
    """Where (``lon``, ``lat``) falls on the landing map, as fractions of its width and
    height from the top-left corner (outside 0..1 when off the map)."""
    west, south, east, north = WORLD
    fx = (lon - west) / (east - west)
    fy = (_merc(north) - _merc(lat)) / (_merc(north) - _merc(south))
    return fx, fy


def _pixels(coords, width: int, height: int) -> list[tuple[float, float]]:
    points = []
    for lon, lat in coords:
        fx, fy = fraction(lon, lat)
        points.append((fx * width, fy * height))
    return points


def _draw(width: int) -> bytes:
    from PIL import Image, ImageDraw

    from portal.quicklooks.style import land_geometries

    scale = 2  # drawn twice as large, then reduced: smooth coasts without anti-aliasing
    big_w, big_h = width * scale, round(width * ASPECT) * scale
    image = Image.new("RGB", (big_w, big_h), SEA)
    draw = ImageDraw.Draw(image)
    for lon in range(-150, 180, 30):  # a light graticule, every 30 degrees
        x = fraction(lon, 0)[0] * big_w
        draw.line([(x, 0), (x, big_h)], fill=GRID, width=scale)
    for lat in (-60, -30, 0, 30, 60):
        y = fraction(0, lat)[1] * big_h
        draw.line([(0, y), (big_w, y)], fill=GRID, width=scale)
    for poly in land_geometries():
        draw.polygon(_pixels(poly.exterior.coords, big_w, big_h), fill=LAND, outline=COAST,
                     width=scale)
        for hole in poly.interiors:
            draw.polygon(_pixels(hole.coords, big_w, big_h), fill=SEA, outline=COAST,
                         width=scale)
    image = image.resize((width, big_h // scale), Image.Resampling.BILINEAR)
    out = io.BytesIO()  # 8 colours: ~30 KB instead of ~180 KB of RGB, coasts still smooth
    image.quantize(colors=8, method=Image.Quantize.MEDIANCUT).save(out, "PNG", optimize=True)
    return out.getvalue()


def land_data_url(width: int = 1024) -> str:
    """:func:`land_png` as a ``data:`` URL, to write into a page (~40 KB for 1024 px)."""
    import base64

    return "data:image/png;base64," + base64.b64encode(land_png(width)).decode("ascii")


def land_png(width: int = 1024) -> bytes:
    """The landing map's base image, ``width`` pixels wide (one of :data:`SIZES`), from
    the process's PNG cache (bounded in bytes)."""
    from portal.cache import png_cache

    if width not in SIZES:
        raise ValueError(f"width must be one of {SIZES}, got {width}")
    return png_cache().get_or_compute(("landing-land", width), lambda: _draw(width))
