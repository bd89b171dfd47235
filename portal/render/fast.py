"""The fast map PNG: an aggregate in, PNG bytes out, colour last, no plotting library.

"Aggregate first, colour last": the caller hands a :class:`Picture` — a 2-D aggregate on a
regular lon/lat canvas (rows south to north, as Datashader and the point store make them),
or an RGB(A) composite (QC mix), or a few markers — and :func:`render` samples it onto the
map box of a :class:`~portal.render.frame.Frame` (nearest cell, so Web Mercator is a row
lookup), shades it through a 256-colour look-up table (NaN is transparent), lays it between
the cached furniture (page and labels under it; graticule, land and coastline over it), adds
the title and colour bar and encodes the PNG with PIL. A view costs a few milliseconds
beyond its aggregation; HoloViews, GeoViews, Cartopy and Matplotlib's figure machinery are
never involved.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass

import numpy as np

from portal.render.frame import Frame
from portal.render.furniture import draw_colorbar, draw_title, furniture

MARKER_EDGE = (0x33, 0x33, 0x33)
PNG_COMPRESS_LEVEL = 1  # zlib level: 6 costs 3-5x the time for ~20 % fewer bytes


@dataclass(frozen=True)
class Picture:
    """What to draw on one map. ``values``: 2-D aggregate (rows south→north) over
    ``grid_extent`` (W, S, E, N of the canvas edges), shaded with ``cmap`` (hex colours)
    between ``clim``; or ``rgba`` (same layout, floats 0..1) drawn as it is; ``markers``:
    (lon, lat, value) arrays drawn as dots over the land."""

    extent: tuple[float, float, float, float]
    title: str
    values: np.ndarray | None = None
    rgba: np.ndarray | None = None
    grid_extent: tuple[float, float, float, float] | None = None
    markers: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    cmap: tuple[str, ...] = ()
    clim: tuple[float, float] | None = None
    label: str = ""
    projection: str = "platecarree"
    dates: bool = False  # values are times (ms since 1970): the colour bar prints dates

    @property
    def has_colorbar(self) -> bool:
        return bool(self.cmap) and self.rgba is None


@functools.lru_cache(maxsize=32)
def lut(colors: tuple[str, ...]) -> np.ndarray:
    """Hex colours as an (n, 4) uint8 table."""
    rgb = [tuple(int(c.lstrip("#")[k:k + 2], 16) for k in (0, 2, 4)) for c in colors]
    return np.array([(*c, 255) for c in rgb], dtype="uint8")


def shade(values: np.ndarray, table: np.ndarray, clim: tuple[float, float]) -> np.ndarray:
    """RGBA (uint8) of ``values`` through ``table`` between ``clim``; NaN transparent."""
    lo, hi = clim
    scale = (len(table) - 1) / (hi - lo) if hi > lo else 0.0
    finite = np.isfinite(values)
    index = np.clip((np.where(finite, values, lo) - lo) * scale, 0, len(table) - 1)
    out = table[index.astype(np.intp)]
    out[..., 3] = np.where(finite, out[..., 3], 0)
    return out


def color_limits(values: np.ndarray) -> tuple[float, float]:
    """Data range of the finite values (Matplotlib's default normalisation)."""
    finite = values[np.isfinite(values)]
    if not finite.size:
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    return (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)


def sample(grid: np.ndarray, grid_extent: tuple[float, float, float, float],
           frame: Frame) -> np.ndarray:
    """The grid's cell under each map-box pixel centre (rows north first); outside the
    grid NaN (or a transparent pixel for RGBA)."""
    lon, lat = frame.pixel_lonlat()
    west, south, east, north = grid_extent
    ny, nx = grid.shape[:2]
    col = np.floor((lon - west) / (east - west) * nx).astype(np.intp)
    row = np.floor((lat - south) / (north - south) * ny).astype(np.intp)
    ok_c, ok_r = (col >= 0) & (col < nx), (row >= 0) & (row < ny)
    out = grid[np.clip(row, 0, ny - 1)[:, None], np.clip(col, 0, nx - 1)[None, :]]
    outside = ~(ok_r[:, None] & ok_c[None, :])
    if out.dtype.kind == "f" and out.ndim == 2:
        out = np.where(outside, np.nan, out)
    else:
        out[outside] = 0
    return out


def _data_layer(picture: Picture, frame: Frame) -> np.ndarray | None:
    """The picture's aggregate as RGBA on the map box, or None."""
    extent = picture.grid_extent or picture.extent
    if picture.rgba is not None:
        rgba = np.clip(np.asarray(picture.rgba, dtype="float32") * 255 + 0.5, 0, 255)
        return sample(rgba.astype("uint8"), extent, frame)
    if picture.values is None:
        return None
    values = np.asarray(picture.values, dtype="float32")
    clim = picture.clim or color_limits(values)
    return shade(sample(values, extent, frame), lut(picture.cmap), clim)


def _markers(image, picture: Picture, frame: Frame) -> None:
    from PIL import ImageDraw

    if picture.markers is None:
        return
    lon, lat, value = picture.markers
    left, top, _, _ = frame.box
    table = lut(picture.cmap)
    colours = shade(np.asarray(value, "float32")[None, :], table,
                    picture.clim or color_limits(np.asarray(value, "float64")))[0]
    draw = ImageDraw.Draw(image)
    r = 4
    for x, y, c in zip(left + frame.columns(lon), top + frame.rows(lat), colours, strict=True):
        fill = tuple(int(v) for v in c[:3]) if c[3] else (200, 200, 200)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=fill, outline=MARKER_EDGE)


def render(picture: Picture, width: int, height: int, bare: bool = False) -> bytes:
    """PNG bytes of ``picture`` at ``width`` x ``height`` pixels; ``bare``: a thumbnail,
    the map filling the image (its extent widened to the image's shape), no title, degree
    labels or colour bar."""
    from PIL import Image, ImageDraw

    extent = fill_extent(picture.extent, width, height, picture.projection) if bare \
        else picture.extent
    frame = Frame(picture.projection, extent, width, height, picture.has_colorbar and not bare,
                  bare)
    parts = furniture(frame)
    image = Image.fromarray(parts.base).convert("RGBA")
    left, top, _, _ = frame.box
    data = _data_layer(picture, frame)
    if data is not None:
        image.alpha_composite(Image.fromarray(data, "RGBA"), (left, top))
    image.alpha_composite(Image.fromarray(parts.overlay, "RGBA"), (left, top))
    image = image.convert("RGB")
    if picture.markers is not None:
        _markers(image, picture, frame)
    if not bare:
        draw_title(ImageDraw.Draw(image), picture.title, width)
    if picture.has_colorbar and not bare:
        clim = picture.clim or color_limits(_finite_source(picture))
        draw_colorbar(image, frame, lut(picture.cmap), clim, picture.label, picture.dates)
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buf.getvalue()


def fill_extent(extent: tuple[float, float, float, float], width: int, height: int,
                projection: str = "platecarree") -> tuple[float, float, float, float]:
    """``extent`` widened in longitude or latitude (about its centre, latitudes kept within
    ±90°) to the shape of a ``width`` x ``height`` image at equal scale (degrees)."""
    west, south, east, north = extent
    if projection != "platecarree":
        return extent
    want = width / height
    span_x, span_y = east - west, north - south
    if span_x / span_y < want:
        pad = (span_y * want - span_x) / 2
        return west - pad, south, east + pad, north
    span = min(span_x / want, 180.0)
    mid = min(max((south + north) / 2, -90 + span / 2), 90 - span / 2)
    return west, mid - span / 2, east, mid + span / 2


def _finite_source(picture: Picture) -> np.ndarray:
    if picture.values is not None:
        return np.asarray(picture.values, dtype="float64")
    if picture.markers is not None:
        return np.asarray(picture.markers[2], dtype="float64")
    return np.zeros(0)
