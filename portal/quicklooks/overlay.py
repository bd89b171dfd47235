"""Combined-view quicklooks: several datasets on one map, time-series axis or profile axis.

Input is a :class:`portal.overlay.Combined` (layers already loaded and converted to a
common unit by the pipeline); nothing here opens files. Each layer is drawn in its own
palette colour and marker with one legend entry (title, institution, variable); a layer
that failed keeps a legend entry that says why. Maps: gridded layers are the background
image (with its colour bar), in-situ layers their positions, point stores the cells of
their aggregate; on a profile axis a point store is its profile density in greys under the
other profiles, on a time axis its mean per time bin over a min–max band
(:mod:`portal.overlay_store`). Time series and profiles share one value axis when the units agree in
kind; otherwise the page gets one y axis per dataset (Bokeh ``multi_y``) and the PNG —
which Matplotlib cannot give several y axes through HoloViews — panels side by side.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from portal.quicklooks import Style
from portal.quicklooks.style import ZOOM_LOD, fit_title, land_layer
from portal.quicklooks.zoom_progress import zoom_progress

if TYPE_CHECKING:
    from portal.overlay import Combined, Layer

POINTS_PER_PIXEL = 2


def _marker_opts(layer: Layer, size: int = 6) -> tuple[dict, dict]:
    from portal.overlay import MPL_MARKERS

    bokeh = {"color": layer.colour, "marker": layer.marker, "size": size,
             "line_color": "#222222", "line_width": 0.3}
    mpl = {"color": layer.colour, "marker": MPL_MARKERS[layer.marker], "s": size * 4,
           "edgecolor": "#222222", "linewidth": 0.3}
    return bokeh, mpl


def _styled(element, layer: Layer, size: int = 6):
    bokeh, mpl = _marker_opts(layer, size)
    return element.opts(backend="bokeh", **bokeh).opts(backend="matplotlib", **mpl)


def _failed(layer: Layer, kdims: list, vdims: list, geo: bool = False, label: str = ""):
    """An element with one point at NaN — nothing drawn — whose only trace is its legend
    entry (why the layer did not draw, or what a background image is): an empty element
    gets no legend entry in Matplotlib, nor a swatch in Bokeh. On a map it is a plain
    ``hv.Points``: GeoViews would project a geographic one and drop its NaN row."""
    import holoviews as hv

    nan = tuple([np.nan] * (len(kdims) + len(vdims)))
    kind = hv.Points if geo else hv.Scatter
    return _styled(kind([nan], kdims, vdims, label=label or layer.legend), layer)


# ------------------------------------------------------------------------------ series


def _series(layer: Layer, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    from portal.processing.decimate import decimate_indices, is_regular

    obs = layer.data
    t = obs.time.values
    order = np.argsort(t, kind="stable")
    t, y = t[order], obs[layer.variable].values[order].astype("float64")
    keep = np.isfinite(y) & ~np.isnat(t)
    t, y = t[keep], y[keep]
    if t.size > n_out:
        idx = decimate_indices(t, y, n_out, is_regular(t))
        t, y = t[idx], y[idx]
    return t, y


def _binned_element(layer: Layer, vdim):
    """A point store's values binned in time: the mean as a line over a min–max band."""
    import holoviews as hv

    kdim = hv.Dimension("time", label="Time (UTC)")
    bins = layer.data
    t = bins.time.values
    high = hv.Dimension(f"{vdim.name}_max", label=f"{vdim.label} (bin max)")
    band = hv.Area((t, bins.vmin.values, bins.vmax.values), kdim, [vdim, high]).opts(
        color=layer.colour, alpha=0.25, line_alpha=0, backend="bokeh").opts(
        color=layer.colour, facecolor=layer.colour, alpha=0.25, linewidth=0,
        backend="matplotlib")  # both: colour alone is ignored by Area here
    more = " (first rows read)" if bins.attrs.get("truncated") else ""
    mean = hv.Curve((t, bins[layer.variable].values), kdim, vdim,
                    label=f"{layer.legend} — mean per bin, band min–max{more}")
    mean = mean.opts(color=layer.colour, line_width=1.5, backend="bokeh").opts(
        color=layer.colour, linewidth=1.0, backend="matplotlib")
    formatter = _date_formatter(t) if t.size else None
    return (band * mean).opts(**({"xformatter": formatter} if formatter else {}),
                              backend="matplotlib")


def _series_element(layer: Layer, vdim, style: Style):
    import holoviews as hv

    kdim = hv.Dimension("time", label="Time (UTC)")
    if layer.feature_type == "timeBinned":
        return _binned_element(layer, vdim)
    t, y = _series(layer, style.width * POINTS_PER_PIXEL)
    if layer.feature_type == "timeSeries":
        curve = hv.Curve((t, y), kdim, vdim, label=layer.legend)
        element = curve.opts(color=layer.colour, line_width=1.2, backend="bokeh").opts(
            color=layer.colour, linewidth=0.8, backend="matplotlib")
    else:
        element = _styled(hv.Scatter((t, y), kdim, vdim, label=layer.legend), layer, 3)
    return element.opts(xticks=5, xformatter=_date_formatter(t), backend="matplotlib")


def _date_formatter(t: np.ndarray):
    import matplotlib.dates as mdates

    span = (t[-1] - t[0]) / np.timedelta64(1, "D") if t.size > 1 else 0.0
    return mdates.DateFormatter("%Y-%m-%d" if span > 20 else "%m-%d %H:%M" if span > 1
                                else "%H:%M")


def _value_dim(layer: Layer, combined: Combined, index: int):
    """One shared value dimension when units agree, else one per dataset (own axis)."""
    import holoviews as hv

    if combined.unit is not None:
        names = {ly.long_name or ly.variable for ly in combined.drawn}
        name = names.pop() if len(names) == 1 else "Value"
        return hv.Dimension("value", label=f"{name} [{combined.unit}]" if combined.unit
                            else name)
    return hv.Dimension(f"value{index}", label=layer.axis_label or layer.title)


def _timeseries(combined: Combined, style: Style):

    elements = []
    for i, layer in enumerate(combined.layers):
        vdim = _value_dim(layer, combined, i)
        elements.append(_series_element(layer, vdim, style) if layer.ok
                        else _failed(layer, ["time"], [vdim]))
    return _joined(elements, combined, style, shared_x=True)


def _density_element(layer: Layer, vdim, zdim):
    """A point store's profile density: observations per cell in greys (log scale), with a
    legend entry in the layer's colour saying what the grey is."""
    import holoviews as hv

    da = layer.data
    counts = da.values.astype("float32")
    with np.errstate(divide="ignore", invalid="ignore"):
        shade = np.where(counts > 0, np.log10(np.maximum(counts, 1e-3)), np.nan)
    image = hv.Image((da.x.values, da.y.values, shade.astype("float32")), kdims=[vdim, zdim],
                     vdims=[hv.Dimension("log_count", label="Observations per cell (log10)")])
    image = image.opts(cmap="Greys", alpha=0.8, colorbar=False, backend="bokeh").opts(
        cmap="Greys", alpha=0.8, colorbar=False, backend="matplotlib")
    n = int(counts.sum())
    key = _failed(layer, [vdim], [zdim], label=f"{layer.legend} — density of {n:,} "
                  "observations (greys, log)")
    return image * key


def _profile_element(layer: Layer, vdim, zdim):
    import holoviews as hv

    if layer.feature_type == "profileDensity":
        return _density_element(layer, vdim, zdim)
    obs = layer.data
    keep = np.isfinite(obs[layer.variable].values) & np.isfinite(obs.z.values)
    x, z = obs[layer.variable].values[keep], obs.z.values[keep]
    return _styled(hv.Scatter((x, z), vdim, zdim, label=layer.legend), layer, 3)


def _profiles(combined: Combined, style: Style):
    import holoviews as hv

    zunit = combined.z_unit or ""
    zdim = hv.Dimension("z", label=("Pressure" if zunit == "dbar" else "Depth")
                        + (f" [{zunit}]" if zunit else ""))
    elements = []
    under = sorted(range(len(combined.layers)),  # a store's density under the profiles
                   key=lambda i: combined.layers[i].feature_type != "profileDensity")
    for i in under:
        layer = combined.layers[i]
        vdim = _value_dim(layer, combined, i)
        elements.append(_profile_element(layer, vdim, zdim) if layer.ok
                        else _failed(layer, [vdim], [zdim]))
    combined = replace(combined, layers=[combined.layers[i] for i in under])
    joined = _joined(elements, combined, style, shared_x=False, multi_y=False)
    return joined.opts(invert_yaxis=True, backend="bokeh").opts(invert_yaxis=True,
                                                                 backend="matplotlib")


def _flat(elements: list) -> list:
    """The elements of a list of elements and overlays (an Overlay holds no Overlay)."""
    import holoviews as hv

    return [e for el in elements for e in (el.values() if isinstance(el, hv.Overlay) else [el])]


def _joined(elements: list, combined: Combined, style: Style, shared_x: bool,
            multi_y: bool = True):
    """One overlay (one axis, or one y axis per dataset in the page), or panels side by
    side where several axes cannot be drawn (PNG, or profiles whose x differs)."""
    import holoviews as hv

    legend = {"legend_position": "top_left", "show_legend": True}
    if combined.unit is not None or len(combined.drawn) < 2:
        overlay = hv.Overlay(_flat(elements))
        return overlay.opts(responsive=True, height=style.height, show_grid=True,
                            backend="bokeh", **legend).opts(
            show_grid=True, backend="matplotlib", legend_position="bottom",
            legend_cols=1, fontsize={"legend": 7}, aspect=style.width / style.height * 0.9)
    if multi_y and style.interactive:
        return hv.Overlay(_flat(elements)).opts(multi_y=True, responsive=True, height=style.height,
                                         show_grid=True, backend="bokeh", **legend)
    drawn = [el for el, layer in zip(elements, combined.layers, strict=True) if layer.ok]
    failed = [el for el, layer in zip(elements, combined.layers, strict=True) if not layer.ok]
    width = max(style.width // len(drawn), 160)
    aspect = style.width / style.height * 0.9 / len(drawn)
    panels = []
    for i, element in enumerate(drawn):  # the failed sources' legend entries on the first
        panel = hv.Overlay(_flat([element, *(failed if i == 0 else [])]))
        panels.append(panel.opts(width=width, height=style.height, backend="bokeh").opts(
            legend_position="bottom", legend_cols=1, fontsize={"legend": 7}, aspect=aspect,
            xticks=3, title="", backend="matplotlib"))
    return hv.Layout(panels).cols(len(panels)).opts(shared_axes=not shared_x).opts(
        sublabel_format="", tight=True, backend="matplotlib")


# ------------------------------------------------------------------------------ map


def _positions(layer: Layer, interactive: bool):
    """gv.Points of a layer's positions (one per feature for profiles and stations) or of
    the non-empty cells of a point store's aggregate."""
    import pandas as pd

    from portal.quicklooks.map import _geo_points, _points_frame

    if layer.aggregated:
        count = layer.data["count"]
        yy, xx = np.nonzero(np.nan_to_num(count.values) > 0)
        df = pd.DataFrame({"longitude": count.x.values[xx], "latitude": count.y.values[yy],
                           "count": count.values[yy, xx]})
        vdims = ["count"]
    else:
        df = _points_frame(layer.data, layer.variable, layer.feature_type)
        vdims = [layer.variable] if layer.variable in df else []
    points = _geo_points(df, vdims, interactive).relabel(layer.legend)
    size = 3 if layer.aggregated or len(df) > 2000 else 7
    return _styled(points, layer, size), df


def _extent(frames: list, grids: list, combined: Combined, query_bbox):
    if query_bbox is not None:
        west, south, east, north = query_bbox.continuous()
        return (west, east), (south, north)
    lons = [f["longitude"].values for f in frames if len(f)]
    lats = [f["latitude"].values for f in frames if len(f)]
    for grid in grids:
        lons.append(grid.longitude.values)
        lats.append(grid.latitude.values)
    if not lons:
        return (-180.0, 180.0), (-80.0, 85.0)
    lon, lat = np.concatenate(lons), np.concatenate(lats)
    pad_x = max(float(np.ptp(lon)) * 0.05, 0.5)
    pad_y = max(float(np.ptp(lat)) * 0.05, 0.5)
    return ((max(float(lon.min()) - pad_x, -180.0), min(float(lon.max()) + pad_x, 180.0)),
            (max(float(lat.min()) - pad_y, -85.0), min(float(lat.max()) + pad_y, 85.0)))


def _map(combined: Combined, style: Style, query_bbox=None):
    import cartopy.crs as ccrs

    from portal.quicklooks.map import _grid_map, mercator

    backgrounds, points, frames, grids = [], [], [], []
    for layer in combined.layers:
        if not layer.ok:
            points.append(_failed(layer, ["longitude", "latitude"], [], geo=True))
        elif layer.feature_type == "grid":
            image = _grid_map(layer.data, style)[0]
            backgrounds.append(image)
            grids.append(layer.data)
            points.append(_failed(layer, ["longitude", "latitude"], [], geo=True,
                                  label=f"{layer.legend} (image)"))
        else:
            element, df = _positions(layer, style.interactive)
            points.append(element)
            if not layer.aggregated:  # a store's aggregate spans its world: not the view's
                frames.append(df)
    xlim, ylim = _extent(frames, grids, combined, query_bbox)
    overlay = land_layer(style.interactive, (xlim, ylim))
    for element in [*backgrounds, *points]:
        overlay = overlay * element
    mx, my = mercator(xlim, ylim)
    overlay = overlay.opts(responsive=True, height=style.height, xlim=mx, ylim=my,
                           active_tools=["wheel_zoom"], legend_position="bottom_left",
                           lod=ZOOM_LOD, hooks=[zoom_progress(style.lang)], backend="bokeh")
    # the legend inside the map: one outside would squeeze the map (keep_texts_inside)
    span = (xlim[1] - xlim[0]) / max(ylim[1] - ylim[0], 1e-6)
    return overlay.opts(xlim=xlim, ylim=ylim, projection=ccrs.PlateCarree(), aspect=span,
                        legend_position="bottom_left", legend_cols=1, fontsize={"legend": 6},
                        backend="matplotlib")


def build(combined: Combined, *, title: str, style: Style, query_bbox=None):
    """The HoloViews element of a combined view (map, timeseries or profile)."""
    import holoviews as hv

    if combined.kind == "map":
        element = _map(combined, style, query_bbox)
    elif combined.kind == "profile":
        element = _profiles(combined, style)
    else:
        element = _timeseries(combined, style)
    if isinstance(element, hv.Layout):  # panels side by side: the title on the first
        first = element[element.keys()[0]]
        first.opts(title=fit_title(title, style.width // len(element)), backend="bokeh")
        first.opts(title=title, backend="matplotlib")
        return element
    return element.opts(title=fit_title(title, style.width), backend="bokeh").opts(
        title=title, backend="matplotlib")
