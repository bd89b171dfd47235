"""A dataset drawn on one GIS view: RGBA pixels plus the count and mean under each pixel.

Point stores aggregate the view's lon/lat box on a canvas of one column per pixel (and
rows fine enough for Web Mercator), exactly as the PNG route does (``count`` as log10,
``mean``, or the QC mix); gridded fields are block-averaged to the view and sampled at
the pixel centres; observations (profiles, stations, trajectories) are binned per pixel
and drawn as dots. Colours use the quicklook builders' own choices (``cmap``, ``color``),
but the limits are fixed per (dataset, data version, query) — not per view — so that the
tiles of one map match: a mean uses the range of the whole selection; a count uses the
whole selection's densest cell, scaled to the view's cell area (``log10``, at least 0..1).
The per-dataset references (world aggregate, prepared grid or points) are computed once
and kept in the byte-bounded data cache, keyed on the data version.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from portal.cache import data_cache
from portal.errors import UnsupportedQuicklook
from portal.query import Query
from portal.render.fast import color_limits, lut, shade
from portal.settings import Settings

if TYPE_CHECKING:
    from portal.model import DatasetEntry
    from portal.render.tiles import ViewBox

WORLD = (-180.0, -85.0, 180.0, 85.0)
REFERENCE_CANVAS = (720, 340)  # half-degree cells: the world aggregate of count and mean
DOT_RADIUS = 3


@dataclass(frozen=True)
class Layer:
    """RGBA (h, w, 4) uint8, and per pixel the number of values and their mean (NaN where
    none; ``mean`` None when the colouring has no value, e.g. the QC mix)."""

    rgba: np.ndarray
    count: np.ndarray
    mean: np.ndarray | None
    label: str = ""


def layer(entry: DatasetEntry, query: Query, view: ViewBox) -> Layer:
    """``entry`` drawn on ``view`` with ``query``'s selection and colouring (bbox ignored)."""
    from portal.pipeline import resolve_kind
    from portal.sources import is_aggregating

    resolve_kind(entry, "map")  # UnsupportedQuicklook when the dataset has no map
    query = query.replace(bbox=None, width=None, height=None, kind=None, dataset=None)
    if is_aggregating(entry):
        return points_layer(entry, query, view)
    prepared = _cached(entry, query, "prepared", lambda: _prepare(entry, query))
    if prepared["kind"] == "grid":
        return grid_layer(prepared, view)
    return obs_layer(prepared, view)


def _cached(entry: DatasetEntry, query: Query, what: str, compute) -> Any:
    from portal.sources.versioning import data_version

    key = ("layer", what, entry.id, entry, data_version(entry), query)
    return data_cache().get_or_compute(key, compute)


# ------------------------------------------------------------------------ point stores

def _store_query(entry: DatasetEntry, query: Query) -> tuple[Any, Query, str, str]:
    from portal.pipeline import resolve_variable
    from portal.quicklooks.pointmap import HOW_BY_COLOR
    from portal.sources import open_aggregator

    if query.qc == "auto":  # as the page: aggregates keep the stores' own default
        query = query.replace(qc="all")
    handle = open_aggregator(entry).with_scheduler(Settings.from_env().dask_scheduler)
    variable = resolve_variable(entry, query.variable) or "TEMP"
    return handle, query.selection, variable, HOW_BY_COLOR[query.color]


def _reference(entry: DatasetEntry, query: Query) -> dict[str, float]:
    """Densest cell (observations per square degree) and mean range of the whole selection."""
    handle, selection, variable, _ = _store_query(entry, query)
    width, height = REFERENCE_CANVAS
    agg = handle.aggregate_stats(selection, bbox=WORLD, width=width, height=height,
                                 variable=variable)
    cell = (WORLD[2] - WORLD[0]) / width * (WORLD[3] - WORLD[1]) / height
    lo, hi = color_limits(agg["mean"].values)
    return {"density": float(np.nanmax(agg["count"].values, initial=0.0)) / cell,
            "lo": lo, "hi": hi}


def points_layer(entry: DatasetEntry, query: Query, view: ViewBox) -> Layer:
    """A point store's aggregate of the view (count as log10, mean, or the QC mix), one
    cell per 2x2 pixels as the page; ``count`` is the count of the cell under a pixel."""
    from portal.quicklooks.pointmap import CELL_PX, colouring
    from portal.render.maps import _edges, qc_rgba

    handle, selection, variable, how = _store_query(entry, query)
    finest = _cached(entry, Query(), "finest", lambda: _finest_overview_cell(handle))
    canvas = {"bbox": view.extent, **_canvas(view, CELL_PX, finest), "variable": variable}
    if how == "qc":
        agg = handle.aggregate(selection, how="qc", **canvas)
        rgba = np.clip(qc_rgba(agg) * 255 + 0.5, 0, 255).astype("uint8")
        count = sample(agg.sum("qc").values.astype("float64"), _edges(agg), view)
        return Layer(sample(rgba, _edges(agg), view), count, None, "QC mix")
    agg = handle.aggregate_stats(selection, **canvas)
    edges = _edges(agg)
    count = sample(agg["count"].values.astype("float64"), edges, view)
    mean = sample(agg["mean"].values.astype("float64"), edges, view)
    ref = _cached(entry, selection, "reference", lambda: _reference(entry, selection))
    label, cmap = colouring(how, _style(query), variable)
    if how == "count":
        w, s, e, n = edges
        top = ref["density"] * (e - w) / agg.sizes["x"] * (n - s) / agg.sizes["y"]
        with np.errstate(divide="ignore", invalid="ignore"):
            values = np.where(count > 0, np.log10(np.maximum(count, 1e-3)), np.nan)
        clim = (0.0, float(np.log10(max(top, 10.0))))
    else:
        values, clim = mean, (ref["lo"], ref["hi"])
    return Layer(shade(values.astype("float32"), lut(tuple(cmap)), clim),
                 np.where(count > 0, count, 0), np.where(count > 0, mean, np.nan), label)


def _finest_overview_cell(handle) -> float:
    """Degrees of the store's finest overview cell (0 when it has none)."""
    levels = (handle.info().get("config") or {}).get("levels")
    return 180.0 / (1 << int(levels)) if levels is not None else 0.0


def _canvas(view: ViewBox, cell_px: int, finest: float) -> dict[str, int]:
    """The aggregate canvas of a view: one column per ``cell_px`` pixels; rows as fine as
    Web Mercator's narrowest, unless the columns are as coarse as the store's overviews —
    then square lon/lat cells, which the overviews answer without touching the points (the
    rows then stretch towards the poles, as the overview cells do)."""
    width = max(view.width // cell_px, 1)
    column = (view.extent[2] - view.extent[0]) / width
    if finest and column >= finest:
        rows = math.floor((view.extent[3] - view.extent[1]) / column)  # rows >= columns
        return {"width": width, "height": max(rows, 1)}
    return {"width": width, "height": max(view.lat_rows() // cell_px, 1)}


def _style(query: Query):
    from portal.quicklooks import Style

    return Style(cmap=query.cmap, color_by=query.color, interactive=False)


# ------------------------------------------------------------------ grids and positions

def _prepare(entry: DatasetEntry, query: Query) -> dict[str, Any]:
    """The whole selection, once: a sorted lon/lat grid or the points, colours and limits."""
    from typing import cast

    import xarray as xr

    from portal.pipeline import load_view

    view = load_view(entry, "map", query.selection)
    if view.feature_type == "grid":
        return _prepare_grid(cast(xr.DataArray, view.data), query)
    return _prepare_points(cast(xr.Dataset, view.data), view.variable, view.feature_type,
                           query)


def _prepare_grid(field, query: Query) -> dict[str, Any]:
    from portal.quicklooks.style import axis_label, cmap_colors, cmap_name
    from portal.render.maps import _edges_of, ascending

    if field.longitude.ndim != 1 or field.latitude.ndim != 1 or field.ndim != 2:
        raise UnsupportedQuicklook("tiles need a 2-D field on 1-D longitude and latitude")
    field = ascending(field)
    values = np.asarray(field.transpose("latitude", "longitude").values, dtype="float32")
    name, attrs = str(field.name), field.attrs
    choice = query.cmap if query.cmap != "auto" else cmap_name(
        attrs.get("standard_name", ""), name)
    return {"kind": "grid", "values": values, "edges": _edges_of(field.longitude.values,
                                                                  field.latitude.values),
            "cmap": tuple(cmap_colors(choice)), "clim": color_limits(values),
            "label": axis_label(attrs, name)}


def _prepare_points(obs, variable: str, feature_type: str, query: Query) -> dict[str, Any]:
    from portal.quicklooks import map as map_

    df = map_._points_frame(obs, variable, feature_type)
    color, cmap, labels = map_.obs_colouring(obs, df, variable, feature_type, _style(query))
    value = df[color].values.astype("float64")
    return {"kind": "points", "lon": df["longitude"].values.astype("float64"),
            "lat": df["latitude"].values.astype("float64"), "value": value,
            "cmap": tuple(cmap), "clim": color_limits(value), "label": labels.get(color, color)}


def grid_layer(prepared: dict[str, Any], view: ViewBox) -> Layer:
    """The grid's cells in the view, block-averaged to about one per pixel, sampled."""
    from portal.render.maps import block_mean

    values, (west, south, east, north) = prepared["values"], prepared["edges"]
    ny, nx = values.shape
    vw, vs, ve, vn = view.extent
    c0, c1 = _index_span(west, east, nx, vw, ve)
    r0, r1 = _index_span(south, north, ny, vs, vn)
    if c1 <= c0 or r1 <= r0:
        return _empty(view, prepared["label"])
    dx, dy = (east - west) / nx, (north - south) / ny
    sub, _ = block_mean(values[r0:r1, c0:c1], view.lat_rows(), view.width)
    edges = (west + c0 * dx, south + r0 * dy, west + c1 * dx, south + r1 * dy)
    mean = sample(sub.astype("float64"), edges, view)
    rgba = shade(mean.astype("float32"), lut(prepared["cmap"]), prepared["clim"])
    return Layer(rgba, np.isfinite(mean).astype("float64"), mean, prepared["label"])


def _index_span(lo: float, hi: float, n: int, want_lo: float, want_hi: float) -> tuple[int, int]:
    step = (hi - lo) / n
    first = int(np.clip(np.floor((want_lo - lo) / step), 0, n))
    last = int(np.clip(np.ceil((want_hi - lo) / step), 0, n))
    return first, last


def obs_layer(prepared: dict[str, Any], view: ViewBox) -> Layer:
    """Positions binned per pixel (count, mean) and drawn as dots of the mean's colour."""
    from PIL import Image, ImageDraw

    lon, lat, value = prepared["lon"], prepared["lat"], prepared["value"]
    col = np.floor(_columns(view, lon)).astype(np.int64)
    row = np.floor(view.rows(lat)).astype(np.int64)
    r = DOT_RADIUS
    near = (col >= -r) & (col < view.width + r) & (row >= -r) & (row < view.height + r)
    inside = near & (col >= 0) & (col < view.width) & (row >= 0) & (row < view.height)
    cells = row[inside] * view.width + col[inside]
    size = view.width * view.height
    count = np.bincount(cells, minlength=size).astype("float64")
    ok = np.isfinite(value[inside])
    sums = np.bincount(cells[ok], weights=value[inside][ok], minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (sums / np.bincount(cells[ok], minlength=size)).reshape(view.height, view.width)
    image = Image.new("RGBA", (view.width, view.height), (0, 0, 0, 0))
    colours = shade(value[near].astype("float32")[None, :], lut(prepared["cmap"]),
                    prepared["clim"])[0]
    draw = ImageDraw.Draw(image)
    for x, y, c in zip(col[near] + 0.5, row[near] + 0.5, colours, strict=True):
        fill = tuple(int(v) for v in c[:3]) + (255,) if c[3] else (200, 200, 200, 255)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=fill, outline=(0x33, 0x33, 0x33, 255))
    return Layer(np.asarray(image), count.reshape(view.height, view.width), mean,
                 prepared["label"])


def _columns(view: ViewBox, lon: np.ndarray) -> np.ndarray:
    """Columns of longitudes, taking the copy (±360°) nearest the view."""
    west, _, east, _ = view.extent
    centre = (west + east) / 2
    shifted = lon + 360.0 * np.round((centre - lon) / 360.0)
    return view.columns(shifted)


def _empty(view: ViewBox, label: str) -> Layer:
    nothing = np.full((view.height, view.width), np.nan)
    return Layer(np.zeros((view.height, view.width, 4), "uint8"), np.zeros_like(nothing),
                 nothing, label)


def sample(grid: np.ndarray, extent: tuple[float, float, float, float],
           view: ViewBox) -> np.ndarray:
    """The cell of ``grid`` (rows south→north over ``extent``) under each view pixel centre
    (rows north first), longitudes taken modulo 360; outside the grid NaN (or 0 for RGBA)."""
    lon, lat = view.pixel_lonlat()
    west, south, east, north = extent
    ny, nx = grid.shape[:2]
    lon = lon + 360.0 * np.floor((east - lon) / 360.0)  # the copy at or below the east edge
    col = np.floor((lon - west) / (east - west) * nx).astype(np.intp)
    row = np.floor((lat - south) / (north - south) * ny).astype(np.intp)
    inside = ((row >= 0) & (row < ny))[:, None] & ((col >= 0) & (col < nx))[None, :]
    out = grid[np.clip(row, 0, ny - 1)[:, None], np.clip(col, 0, nx - 1)[None, :]]
    if out.ndim == 2 and out.dtype.kind == "f":
        return np.where(inside, out, np.nan)
    out[~inside] = 0
    return out

