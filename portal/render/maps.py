"""Map quicklooks as fast PNGs: point stores, gridded fields and observation positions.

Each adapter takes the same aggregate the page draws — the point store's
:func:`~portal.quicklooks.pointmap.view_aggregate`, the pipeline's grid or observations
from :func:`~portal.pipeline.load_view` (render sits above the pipeline) — reduces it to at most one cell per screen pixel
(block means for grids, binned means for dense points, markers for a few hundred
positions), picks colours and labels with the quicklook builders' own helpers, and hands a
:class:`~portal.render.fast.Picture` to :func:`~portal.render.fast.render`. Colour comes
last. A ``None`` picture (curvilinear grids) sends the caller to the HoloViews path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import numpy as np

from portal import i18n
from portal.errors import PortalError
from portal.render.fast import Picture, color_limits, render
from portal.settings import Settings
from portal.text import one_line

if TYPE_CHECKING:
    import xarray as xr

    from portal.model import DatasetEntry, Query
    from portal.quicklooks import Style

WORLD = (-180.0, -80.0, 180.0, 85.0)
#: rows of a grid are block-averaged in bands of about this many bytes: fresh window-sized
#: temporaries cost page faults (up to ~300 ms under memory churn on this VM), ~1 MB ones
#: are reused from the heap
BAND_BYTES = 1 << 20


def map_png(entry: DatasetEntry, query: Query, style: Style,
            projection: str = "platecarree", bare: bool = False) -> bytes | None:
    """PNG bytes of the map quicklook of ``entry``, or None when the fast path does not
    cover it (several variables at once, curvilinear grids); ``bare``: a thumbnail."""
    from portal.pipeline import load_view
    from portal.processing.variables import titled, view_notes
    from portal.sources import is_aggregating

    if "," in (query.variable or ""):
        return None
    if is_aggregating(entry):
        return render_picture(_point_store(entry, query, style), style, projection, bare)
    view = load_view(entry, "map", query)
    title = one_line(titled(entry.title or entry.id, view.qc, list(view.warnings),
                            view_notes(view.data), style.lang))
    return render_picture(view_picture(view, title, style), style, projection, bare)


def _point_store(entry: DatasetEntry, query: Query, style: Style) -> Picture:
    """The store's picture, opened and resolved as the page does (``qc=auto`` keeps the
    store's own default); an unexpected failure names the dataset."""
    import dataclasses
    import logging

    from portal.pipeline import resolve_variable
    from portal.sources import open_aggregator

    if query.qc == "auto":
        query = dataclasses.replace(query, qc="all")
    handle = open_aggregator(entry).with_scheduler(Settings.from_env().dask_scheduler)
    variable = resolve_variable(entry, query.variable) or "TEMP"
    try:
        return point_store_picture(handle, variable, query, entry.title or entry.id, style)
    except PortalError:
        raise
    except Exception as exc:  # noqa: BLE001 - name the dataset, keep the server up
        logging.getLogger(__name__).exception("%s: point-store aggregation failed", entry.id)
        raise PortalError(f"could not aggregate the point store ({exc})",
                          dataset=entry.id) from exc


def view_picture(view, title: str, style: Style) -> Picture | None:
    """A loaded map view (:class:`portal.pipeline.View`): a grid or observations."""
    if view.feature_type == "grid":  # a grid view holds a DataArray, others a Dataset
        return grid_picture(cast("xr.DataArray", view.data), title, style)
    return obs_picture(cast("xr.Dataset", view.data), view.variable, view.feature_type, title,
                       style)


def render_picture(picture: Picture | None, style: Style, projection: str = "platecarree",
                   bare: bool = False) -> bytes | None:
    """PNG bytes of ``picture`` at the style's size (None passes through)."""
    import dataclasses

    if picture is None:
        return None
    return render(dataclasses.replace(picture, projection=projection), style.width,
                  style.height, bare)


def point_store_picture(handle, variable: str, query: Query, title: str,
                        style: Style) -> Picture:
    """The point store's view aggregate (count as log10, mean, or the QC mix); ``handle``
    is the store's aggregator, ``query.qc`` a preset of the store (not ``auto``)."""
    from portal.quicklooks import pointmap

    bbox = query.bbox.continuous() if query.bbox else WORLD  # across the date line: east + 360
    agg, note = pointmap.view_aggregate(handle, query, style, variable, bbox)
    title = f"{one_line(title)} — {note}"
    how = pointmap.HOW_BY_COLOR[style.color_by]
    edges = _edges(agg)
    if how == "qc":
        return Picture(bbox, title, rgba=qc_rgba(agg), grid_extent=edges)
    label, cmap = pointmap.colouring(how, style, variable)
    if how == "count":
        count = agg["count"].values
        with np.errstate(divide="ignore"):
            values = np.where(count > 0, np.log10(np.maximum(count, 1e-3)), np.nan)  # as the page
        clim = pointmap.count_limits(agg)
    else:
        values = agg["mean"].values
        clim = color_limits(values)
    return Picture(bbox, title, values=values, grid_extent=edges, cmap=tuple(cmap),
                   clim=clim, label=label)


def qc_rgba(agg: xr.DataArray) -> np.ndarray:
    """The QC mix as RGBA floats: red bad, green good, blue probably good; empty clear."""
    from portal.pointstore.aggregate import qc_shares

    shares = qc_shares(agg).fillna(0.0)
    rgb = [shares.sel(qc=c).values for c in ("bad", "good", "probably_good")]
    alpha = (agg.sum("qc").values > 0).astype("float64")
    return np.dstack([*rgb, alpha])


def _edges(agg) -> tuple[float, float, float, float]:
    """(W, S, E, N) of the canvas edges from its ascending pixel centres."""
    x, y = agg["x"].values, agg["y"].values
    dx = (x[-1] - x[0]) / max(x.size - 1, 1) if x.size > 1 else 1.0
    dy = (y[-1] - y[0]) / max(y.size - 1, 1) if y.size > 1 else 1.0
    return (float(x[0] - dx / 2), float(y[0] - dy / 2), float(x[-1] + dx / 2),
            float(y[-1] + dy / 2))


def grid_picture(field: xr.DataArray, title: str, style: Style) -> Picture | None:
    """A 2-D lon/lat field, block-averaged to at most one cell per output pixel."""
    from portal.quicklooks.style import axis_label, cmap_colors, cmap_name

    if field.longitude.ndim != 1 or field.latitude.ndim != 1 or field.ndim != 2:
        return None
    field = ascending(field)
    values = np.asarray(field.transpose("latitude", "longitude").values, dtype="float32")
    values, n = block_mean(values, style.height, style.width)
    edges = _edges_of(field.longitude.values, field.latitude.values)
    attrs = field.attrs
    name = str(field.name)
    choice = style.cmap if style.cmap != "auto" else cmap_name(attrs.get("standard_name", ""),
                                                                name)
    return Picture(edges, f"{title} — {i18n.count(n, 'cell', style.lang)}", values=values,
                   grid_extent=edges, cmap=cmap_colors(choice), clim=color_limits(values),
                   label=axis_label(attrs, name, style.lang))


def ascending(field: xr.DataArray) -> xr.DataArray:
    """``field`` with longitudes wrapped (-180..180, or 0..360 across the antimeridian) and
    both axes ascending. An axis already in order is kept and a descending one reversed as
    a view: only an unordered axis (a 0..360 grid wrapped, say) is sorted, which copies the
    values (``sortby`` copied the window twice on every request, 30-140 ms for 12 MB)."""
    from portal.quicklooks.map import wrap_longitudes

    lon, _ = wrap_longitudes(field.longitude.values.astype("float64"))
    field = field.assign_coords(longitude=lon)
    for axis in ("longitude", "latitude"):
        step = np.diff(field[axis].values)
        if (step > 0).all():
            continue
        if (step < 0).all():
            field = field.isel({axis: slice(None, None, -1)})
        else:
            field = field.sortby(axis)
    return field


def _edges_of(lon: np.ndarray, lat: np.ndarray) -> tuple[float, float, float, float]:
    dx = (lon[-1] - lon[0]) / (lon.size - 1) if lon.size > 1 else 1.0
    dy = (lat[-1] - lat[0]) / (lat.size - 1) if lat.size > 1 else 1.0
    return (float(lon[0] - dx / 2), float(lat[0] - dy / 2), float(lon[-1] + dx / 2),
            float(lat[-1] + dy / 2))


def block_mean(values: np.ndarray, max_rows: int, max_cols: int) -> tuple[np.ndarray, int]:
    """Mean of the finite values in blocks so that the result has at most ``max_rows`` x
    ``max_cols`` cells (Datashader's ``raster`` mean, without Datashader), and the number of
    finite values, in one pass. The last row and column of blocks may be partial."""
    fy = -(-values.shape[0] // max_rows)
    fx = -(-values.shape[1] // max_cols)
    if fy == 1 and fx == 1:
        return values, int(np.isfinite(values).sum())
    step = fy * max(1, BAND_BYTES // max(fy * values.shape[1] * 4, 1))
    sums, counts = [], []
    for r0 in range(0, values.shape[0], step):  # bands: the temporaries stay ~1 MB, reused
        band = values[r0:r0 + step]
        finite = np.isfinite(band)
        sums.append(_block_sum(np.where(finite, band, np.float32(0)), fy, fx, "float32"))
        counts.append(_block_sum(finite, fy, fx, "int32"))
    total = np.concatenate(counts)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (np.concatenate(sums) / total).astype("float32"), int(total.sum())


def _block_sum(a: np.ndarray, fy: int, fx: int, dtype: str) -> np.ndarray:
    """Sums over blocks of ``fy`` rows x ``fx`` columns (the last ones partial): whole
    blocks through reshaped views, which numpy sums at memory speed (``reduceat`` along
    rows is ~5x slower)."""
    n = a.shape[0] // fy * fy
    rows = a[:n].reshape(n // fy, fy, a.shape[1]).sum(axis=1, dtype=dtype)
    if n < a.shape[0]:
        rows = np.concatenate([rows, a[n:].sum(axis=0, keepdims=True, dtype=dtype)])
    m = a.shape[1] // fx * fx
    out = rows[:, :m].reshape(rows.shape[0], m // fx, fx).sum(axis=2, dtype=dtype)
    if m < a.shape[1]:
        out = np.concatenate([out, rows[:, m:].sum(axis=1, keepdims=True, dtype=dtype)], axis=1)
    return out


def obs_picture(obs: xr.Dataset, variable: str, feature_type: str, title: str,
                style: Style) -> Picture:
    """Positions (one marker per profile or station) or, when dense, their binned mean."""
    from portal.quicklooks import map as map_

    df = map_._points_frame(obs, variable, feature_type)
    color, cmap, labels = map_.obs_colouring(obs, df, variable, feature_type, style)
    (west, east), (south, north) = map_._extent(df["longitude"].values, df["latitude"].values)
    extent = (west, south, east, north)
    noun = "position" if feature_type in map_.PER_FEATURE else "point"
    head = f"{title} — {i18n.count(len(df), noun, style.lang)}"
    lon, lat = df["longitude"].values, df["latitude"].values
    value = df[color].values.astype("float64")
    clim, label, dates = color_limits(value), labels.get(color, color), color == "year"
    if dates:  # as the page: an instant is widened to a day, a span keeps its range
        from portal.quicklooks.style import time_range

        clim = time_range(*clim)
    if len(df) <= map_.RASTERIZE_ABOVE:
        return Picture(extent, head, markers=(lon, lat, value), cmap=tuple(cmap), clim=clim,
                       label=label, dates=dates)
    grid = binned_mean(lon, lat, value, extent, max(style.width // 3, 1),
                       max(style.height // 3, 1))
    return Picture(extent, head, values=grid, grid_extent=extent, cmap=tuple(cmap),
                   clim=color_limits(grid), label=label, dates=dates)  # range of the means


def binned_mean(lon: np.ndarray, lat: np.ndarray, value: np.ndarray,
                extent: tuple[float, float, float, float], nx: int, ny: int) -> np.ndarray:
    """Mean of ``value`` per cell of an ``ny`` x ``nx`` lon/lat canvas (rows south→north)."""
    west, south, east, north = extent
    col = np.floor((lon - west) / (east - west) * nx).astype(np.int64)
    row = np.floor((lat - south) / (north - south) * ny).astype(np.int64)
    ok = (col >= 0) & (col < nx) & (row >= 0) & (row < ny) & np.isfinite(value)
    cell = row[ok] * nx + col[ok]
    sums = np.bincount(cell, weights=value[ok], minlength=nx * ny)
    counts = np.bincount(cell, minlength=nx * ny)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (sums / counts).reshape(ny, nx).astype("float32")
