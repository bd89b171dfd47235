"""Map of a point store: every observation in view, aggregated server-side.

The store's handle aggregates the points (or its overview pyramid) onto a canvas
(``xr.DataArray``): count, mean of a parameter, or QC classes. Colour comes last:
count and mean as a colour-mapped image, the QC mix as an RGB composite (red bad,
green good, blue probably good). Hovering a pixel shows its count and the mean of the
parameter (both come from one aggregation pass). In the page a ``RangeXY`` stream
re-aggregates on every zoom and pan, so only the row groups in view are read; in count
and mean modes the new image goes straight to the figure's data source (:mod:`.fast_zoom`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import xarray as xr

from portal.i18n import number, t
from portal.model import Query
from portal.processing.variables import qc_label
from portal.quicklooks import Style
from portal.quicklooks.fast_zoom import FAST_ZOOM_LOD, ZoomFrame, fast_zoom
from portal.quicklooks.style import ZOOM_LOD, _mercator_xy, fit_title, land_layer, resolve_cmap
from portal.quicklooks.zoom_progress import zoom_progress

HOW_BY_COLOR = {"auto": "count", "value": "mean", "qc": "qc", "time": "count", "feature": "count",
                "depth": "count"}
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


def _grid(da, interactive: bool):
    """Pixel centres (and the data resampled to even Mercator rows in the page), with CRS."""
    import cartopy.crs as ccrs

    if interactive:
        x, y, rows = _mercator_rows(da)
        return x, y, ccrs.GOOGLE_MERCATOR, da.isel(y=rows)
    return da.x.values, da.y.values, ccrs.PlateCarree(), da


def _qc_element(da: xr.DataArray, interactive: bool):
    """The QC mix as RGB: red bad, green good, blue probably good; empty cells clear."""
    import geoviews as gv

    from portal.pointstore.aggregate import qc_shares

    x, y, crs, da = _grid(da, interactive)
    shares = qc_shares(da).fillna(0.0)
    rgb = [shares.sel(qc=c).values for c in ("bad", "good", "probably_good")]
    alpha = (da.sum("qc").values > 0).astype("float64")
    return gv.RGB((x, y, *rgb, alpha), vdims=["R", "G", "B", "A"], crs=crs)


def _stats_element(ds: xr.Dataset, how: str, label: str, variable: str, interactive: bool):
    """Count or mean as the colour, the other beside it: hover shows both at a pixel.

    In count mode the image holds log10(count) (counts span decades); the hover turns
    it back into the count in the browser, so only two arrays travel, not three.
    """
    import geoviews as gv
    import holoviews as hv

    x, y, crs, ds = _grid(ds, interactive)
    count = ds["count"].values.astype("float32")
    mean = ds["mean"].values.astype("float32")
    units = ds.attrs.get("units", "")
    mean_dim = hv.Dimension("mean", label=f"Mean {variable}" + (f" [{units}]" if units else ""))
    if how == "count":
        colour = _log_count(count)
    if not interactive:  # a PNG has no hover (and Matplotlib draws one value per cell)
        values = colour if how == "count" else mean
        return gv.Image((x, y, values.astype("float32")), vdims=[label], crs=crs)
    if how == "count":
        element = gv.Image((x, y, colour.astype("float32"), mean), vdims=[label, mean_dim],
                           crs=crs)
        tips = [("Observations", "@image{obs}"), (mean_dim.label, "@{mean}{0.000}")]
    else:
        element = gv.Image((x, y, mean, count), vdims=[label, "count"], crs=crs)
        tips = [("Observations", "@{count}{0,0}"), (mean_dim.label, "@image{0.000}")]
    return element.opts(tools=[_hover(tips, count_is_log=how == "count")], backend="bokeh")


def _log_count(count: np.ndarray) -> np.ndarray:
    """The colour of count mode: log10(count), NaN (clear) where a cell is empty."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(count > 0, np.log10(np.maximum(count, 1e-3)), np.nan).astype("float32")


def stats_frame(agg: xr.Dataset, how: str, title: str) -> ZoomFrame:
    """A count- or mean-coloured view as the page's image source gets it
    (:mod:`.fast_zoom`): the arrays of :func:`_stats_element`, placed in Web Mercator, and
    the colour limits HoloViews gives it (count: :func:`count_limits`; mean: the span of
    the means in view)."""
    x, y, _, ds = _grid(agg, True)
    dx, dy = x[1] - x[0], y[1] - y[0]
    count = ds["count"].values.astype("float32")
    mean = ds["mean"].values.astype("float32")
    data: dict[str, Any] = {"x": np.array([x[0] - dx / 2]), "y": np.array([y[0] - dy / 2]),
                            "dw": np.array([x[-1] - x[0] + dx]),
                            "dh": np.array([y[-1] - y[0] + dy])}
    if how == "count":
        data.update(image=[_log_count(count)], mean=[mean])
        return ZoomFrame(data, count_limits(agg), title)
    data.update(image=[mean], count=[count])
    finite = mean[np.isfinite(mean)]
    return ZoomFrame(data, (float(finite.min()), float(finite.max())) if finite.size else None,
                     title)


def _hover(tips: list[tuple[str, str]], count_is_log: bool):
    """A hover tool giving longitude, latitude (from Web Mercator) and the cell's values,
    and nothing over an empty cell (NaN in the image).

    GeoViews' own geographic hover replaces custom tooltips, hence an explicit tool."""
    from bokeh.models import CustomJSHover

    from portal.quicklooks.hover import hover_tool, position_tips

    formatters = {"@image": CustomJSHover(code=FROM_LOG10_JS)} if count_is_log else {}
    tips = [*position_tips(), *[(k, v.replace("{obs}", "{custom}")) for k, v in tips]]
    return hover_tool(tips, mercator=True, not_nan=("@image",), formatters=formatters)


FROM_LOG10_JS = ("return (value === value && value !== null) ? "
                  "Math.round(Math.pow(10, value)).toLocaleString('en') : '0'")


QC_PRESETS_NAMED = ("good", "good_probably", "all")  # presets with words in portal.i18n


def colouring(how: str, style: Style, variable: str) -> tuple[str, list[str]]:
    """Colour-bar label and colours of a point-store map (shared with the fast PNG)."""
    key = {"count": "plot_store_count", "mean": "plot_store_mean"}.get(how, "plot_store_qc")
    label = t(key, style.lang, variable=variable)
    cmap = resolve_cmap("viridis" if how == "count" and style.cmap == "auto" else style.cmap,
                        "", variable)
    return label, cmap


def count_limits(agg: xr.Dataset) -> tuple[float, float]:
    """Colour limits of log10(count): overviews spread coarse cells, so the scale keeps
    at least one point per cell and ten at the top."""
    top = float(np.nanmax(agg["count"].values, initial=10.0))
    return 0.0, float(np.log10(max(top, 10.0)))


def view_aggregate(handle, query: Query, style: Style, variable: str,
                   bbox: tuple[float, float, float, float], preview: bool = False,
                   cancel: Any = None):
    """The aggregate of one view and its note ("N observations in view, from …"): what
    the page, the embed and the fast PNG all draw (``aggregate first, colour last``).

    A QC-mix DataArray (dims y, x, qc) for ``color_by="qc"``, else a Dataset with the
    count and mean per cell, on a canvas of one cell per ``CELL_PX`` screen pixels.
    ``preview``: a cold view (rows to read from disk) comes from the overviews, said in
    the note (attrs ``preview``); ``cancel`` stops the exact answer's reads (the zoom's
    fast path, :mod:`.fast_zoom`)."""
    how = HOW_BY_COLOR[style.color_by]
    width, height = max(style.width // CELL_PX, 100), max(style.height // CELL_PX, 60)
    canvas = {"bbox": bbox, "width": width, "height": height, "variable": variable}
    if how == "qc":
        agg = handle.aggregate(query, how="qc", **canvas)
        n = int(agg.sum())
    else:
        agg = handle.preview_stats(query, **canvas) if preview else None
        if agg is None:
            agg = handle.aggregate_stats(query, **canvas, **({"cancel": cancel} if cancel
                                                             else {}))
        n = int(agg["count"].sum())
    source = agg.attrs.get("source", "points")
    lang = style.lang
    qc = t(f"plot_qc_{query.qc}", lang) if query.qc in QC_PRESETS_NAMED else qc_label(query.qc)
    note = t("plot_store_note", lang, n=number(n, lang), variable=variable, qc=qc,
             source=source) + (t("plot_store_groups", lang, read=agg.attrs.get(
                 "row_groups_read", 0), total=agg.attrs.get("row_groups_total", 0))
                 if source == "points" else "")
    if agg.attrs.get("preview"):
        note += t("plot_store_preview", lang)
    rounded = agg.attrs.get("depth_effective")
    if rounded is not None:  # a depth filter answered at band resolution must say so
        note += t("plot_store_depth_rounded", lang, lo=f"{float(rounded[0]):.4g}",
                  hi=f"{float(rounded[1]):.4g}")
    return agg, note


@dataclasses.dataclass(frozen=True)
class StoreZoom:
    """The zoom's fast path of a store map in count or mean colouring (:mod:`.fast_zoom`):
    the frame of a view (a cold view previewed from the overviews unless ``exact``), and
    the prefetch of the rows around a view the user looks at."""

    handle: Any
    query: Query
    style: Style
    variable: str
    title: str
    how: str
    view: Any  # (x_range, y_range) in Web Mercator -> (W, S, E, N)

    def __call__(self, x_range, y_range, exact: bool = False, cancel: Any = None) -> ZoomFrame:
        agg, note = view_aggregate(self.handle, self.query, self.style, self.variable,
                                   self.view(x_range, y_range), not exact, cancel)
        frame = stats_frame(agg, self.how, fit_title(f"{self.title} — {note}",
                                                     self.style.width))
        return dataclasses.replace(frame, preview=bool(agg.attrs.get("preview")))

    def prefetch(self, x_range, y_range, cancel: Any = None) -> int:
        """Read the row groups around the view into memory (stopped by ``cancel()``)."""
        return self.handle.prefetch(self.query, bbox=self.view(x_range, y_range),
                                    variable=self.variable, cancel=cancel,
                                    width=max(self.style.width // CELL_PX, 100),
                                    height=max(self.style.height // CELL_PX, 60))


def build(handle, *, variable: str, query: Query, title: str, style: Style):
    """Aggregated map of a point store, re-aggregated on zoom in the page."""
    from portal.quicklooks.frames import Frames, colorbar_sync, framed

    how = HOW_BY_COLOR[style.color_by]
    label, cmap = colouring(how, style, variable)
    # a box across the date line: one continuous canvas (east + 360)
    west, south, east, north = query.bbox.continuous() if query.bbox else (-180.0, -80.0, 180.0, 85.0)

    def aggregate(bbox):
        agg, note = view_aggregate(handle, query, style, variable, bbox)
        if how == "qc":
            element = _qc_element(agg, style.interactive)
        else:
            element = _stats_element(agg, how, label, variable, style.interactive)
        opts = {"title": f"{title} — {note}"}
        if how != "qc":
            opts.update(cmap=cmap, colorbar=True, clabel=label)
        if how == "count":
            opts["clim"] = count_limits(agg)
        bokeh = {"tools": ["hover"]} if how == "qc" else {"hooks": [colorbar_sync]}
        return element.opts(**bokeh, **{**opts, "title": fit_title(opts["title"], style.width)},
                            backend="bokeh").opts(**opts, backend="matplotlib")

    if not style.interactive:
        return (aggregate((west, south, east, north)) * land_layer(False)).opts(
            xlim=(west, east), ylim=(south, north), backend="matplotlib")

    def view(x_range=None, y_range=None):
        if x_range is None or y_range is None:
            return (west, south, east, north)
        (lon0, lon1), (lat0, lat1) = (_lonlat(x_range, [0, 0])[0],
                                      _lonlat([0, 0], y_range)[1])
        return (max(float(lon0), -180.0), max(float(lat0), -85.0),
                min(float(lon1), 180.0), min(float(lat1), 85.0))

    def on_range(x_range=None, y_range=None):
        return aggregate(view(x_range, y_range))

    # a control change sends new frames to the map on screen (portal.ui.map_patching);
    # a zoom in count or mean colouring draws the frames on screen now (a patch replaces them)
    fast = how != "qc"
    zoom = StoreZoom(handle, query, style, variable, title, how, view) if fast else None
    dmap = framed(Frames(on_range, ranged=True, shape=("store", how), zoom=zoom))
    pipe, stream = dmap.streams
    hooks = [zoom_progress(style.lang)]
    if fast:  # the frames on screen (a patch sends new ones) draw the zoom
        hooks.append(fast_zoom(stream, lambda *view, **kw: pipe.data.zoom(*view, **kw),
                               lambda *view, **kw: pipe.data.zoom.prefetch(*view, **kw)))
    (mx0, mx1), (my0, my1) = (_mercator_xy([west, east], [0, 0])[0],
                              _mercator_xy([0, 0], [south, north])[1])
    return (dmap * land_layer(True)).opts(responsive=True, height=style.height,
                                          xlim=(mx0, mx1), ylim=(my0, my1),
                                          active_tools=["wheel_zoom"],
                                          lod=FAST_ZOOM_LOD if fast else ZOOM_LOD,
                                          hooks=hooks, backend="bokeh")
