"""Map of a point store: every observation in view, aggregated server-side.

The store's handle aggregates the points (or its overview pyramid) onto a canvas
(``xr.DataArray``): count, mean of a parameter, or QC classes. Colour comes last:
count and mean as a colour-mapped image, the QC mix as an RGB composite (red bad,
green good, blue probably good). In the page a ``RangeXY`` stream re-aggregates on
every zoom and pan, so only the row groups in view are read.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from portal.catalog.model import Query
from portal.quicklooks import Style
from portal.quicklooks.style import _mercator_xy, land_layer, resolve_cmap

HOW_BY_COLOR = {"auto": "count", "value": "mean", "qc": "qc", "time": "count", "feature": "count"}
CELL_PX = 2  # one aggregate cell per 2x2 screen pixels: smaller updates, same picture


def _lonlat(x, y) -> tuple[np.ndarray, np.ndarray]:
    radius = 6378137.0
    lon = np.degrees(np.asarray(x, dtype="float64") / radius)
    lat = np.degrees(2 * np.arctan(np.exp(np.asarray(y, dtype="float64") / radius)) - np.pi / 2)
    return lon, lat


def _mercator_rows(da: xr.DataArray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Resample latitude rows so that they are evenly spaced in Web Mercator."""
    lat = da.y.values
    _, ym = _mercator_xy(np.zeros(2), [lat[0], lat[-1]])
    y_out = np.linspace(ym[0], ym[1], lat.size)
    _, lat_out = _lonlat(np.zeros(lat.size), y_out)
    rows = np.clip(np.searchsorted(lat, lat_out), 0, lat.size - 1)
    x, _ = _mercator_xy(da.x.values, np.zeros(da.x.size))
    return x, y_out, rows


def _element(da: xr.DataArray, how: str, label: str, interactive: bool):
    import cartopy.crs as ccrs
    import geoviews as gv

    from portal.pointstore.aggregate import qc_shares

    if interactive:
        x, y, rows = _mercator_rows(da)
        crs, da = ccrs.GOOGLE_MERCATOR, da.isel(y=rows)
    else:
        x, y, crs = da.x.values, da.y.values, ccrs.PlateCarree()
    if how == "qc":
        shares = qc_shares(da).fillna(0.0)
        total = da.sum("qc").values
        rgb = [shares.sel(qc=c).values for c in ("bad", "good", "probably_good")]
        alpha = (total > 0).astype("float64")
        return gv.RGB((x, y, *rgb, alpha), vdims=["R", "G", "B", "A"], crs=crs)
    values = da.values.astype("float32")
    if how == "count":  # counts span decades: colour their logarithm
        with np.errstate(divide="ignore", invalid="ignore"):
            values = np.where(values > 0, np.log10(np.maximum(values, 1e-3)), np.nan)
    return gv.Image((x, y, values), vdims=[label], crs=crs)


def build(handle, *, variable: str, query: Query, title: str, style: Style):
    """Aggregated map of a point store, re-aggregated on zoom in the page."""
    import holoviews as hv

    how = HOW_BY_COLOR[style.color_by]
    label = {"count": "Observations per cell (log10)", "mean": f"Mean {variable}"}.get(how,
                                                                                   "QC mix")
    cmap = resolve_cmap("viridis" if how == "count" and style.cmap == "auto" else style.cmap,
                        "", variable)
    width, height = max(style.width // CELL_PX, 100), max(style.height // CELL_PX, 60)
    west, south, east, north = query.bbox or (-180.0, -80.0, 180.0, 85.0)

    def aggregate(bbox):
        da = handle.aggregate(query, bbox=bbox, width=width, height=height, how=how,
                              variable=variable)
        element = _element(da, how, label, style.interactive)
        source = da.attrs.get("source", "points")
        note = (f"{int(da.attrs.get('points', 0)):,} observations in view, from the "
                f"{source}" + (f"; {da.attrs.get('row_groups_read', 0)} of "
                               f"{da.attrs.get('row_groups_total', 0)} row groups read"
                               if source == "points" else ""))
        opts = {"title": f"{title} — {note}"}
        if how != "qc":
            opts.update(cmap=cmap, colorbar=True, clabel=label)
        return element.opts(tools=["hover"], **opts, backend="bokeh").opts(**opts,
                                                                          backend="matplotlib")

    if not style.interactive:
        return (aggregate((west, south, east, north)) * land_layer(False)).opts(
            xlim=(west, east), ylim=(south, north), backend="matplotlib")

    def on_range(x_range=None, y_range=None):
        if x_range is None or y_range is None:
            return aggregate((west, south, east, north))
        (lon0, lon1), (lat0, lat1) = (_lonlat(x_range, [0, 0])[0],
                                      _lonlat([0, 0], y_range)[1])
        return aggregate((max(float(lon0), -180.0), max(float(lat0), -85.0),
                          min(float(lon1), 180.0), min(float(lat1), 85.0)))

    dmap = hv.DynamicMap(on_range, streams=[hv.streams.RangeXY()])
    (mx0, mx1), (my0, my1) = (_mercator_xy([west, east], [0, 0])[0],
                              _mercator_xy([0, 0], [south, north])[1])
    return (dmap * land_layer(True)).opts(responsive=True, height=style.height,
                                          xlim=(mx0, mx1), ylim=(my0, my1),
                                          active_tools=["wheel_zoom"], backend="bokeh")
