"""Map quicklook: observation positions or a gridded field, over offline land.

Observations: profiles and stations draw one marker per feature (coloured by time
by default, or by the shallowest value); trajectories and points draw every
sample coloured by the variable, rasterized with Datashader above a few tens of
thousands of points. Grids: the 2-D field selected by time and depth, rasterized
server-side with Datashader. Colour bars carry long names and units. Hover tooltips
(:mod:`portal.quicklooks.hover`) give the position, date, value with units and platform,
and nothing over empty raster cells.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from portal.i18n import count, t
from portal.quicklooks import Style
from portal.quicklooks.hover import (
    DATE,
    hover_tool,
    number_format,
    platform_of,
    raster_hover,
    with_units,
)
from portal.quicklooks.means import rasterized_mean
from portal.quicklooks.style import (
    ZOOM_LOD,
    axis_label,
    fit_title,
    land_layer,
    resolve_cmap,
    time_colorbar_opts,
    time_colour_values,
    time_label,
)
from portal.quicklooks.zoom_progress import zoom_progress

RASTERIZE_ABOVE = 20_000
PER_FEATURE = ("profile", "trajectoryProfile", "timeSeries", "timeSeriesProfile")


def wrap_longitudes(lon: np.ndarray) -> tuple[np.ndarray, float]:
    """Longitudes in -180..180, or 0..360 when the data straddle the antimeridian.

    Returns the values and the central longitude a map projection should use.
    """
    west = ((lon + 180.0) % 360.0) - 180.0
    east = lon % 360.0
    span_w = np.nanmax(west) - np.nanmin(west) if west.size else 0.0
    span_e = np.nanmax(east) - np.nanmin(east) if east.size else 0.0
    if span_e + 1e-9 < span_w:
        return east, 180.0
    return west, 0.0


def mercator(xlim: tuple[float, float], ylim: tuple[float, float]) -> tuple[tuple, tuple]:
    """Lon/lat limits in Web Mercator metres (what GeoViews' Bokeh plots use)."""
    from portal.quicklooks.style import _mercator_xy

    xs, ys = _mercator_xy(xlim, ylim)
    return tuple(float(v) for v in xs), tuple(float(v) for v in ys)


def _extent(lon: np.ndarray, lat: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    west, east = float(np.nanmin(lon)), float(np.nanmax(lon))
    south, north = float(np.nanmin(lat)), float(np.nanmax(lat))
    pad = max(east - west, north - south, 2.0) * 0.15
    return ((west - pad, east + pad), (max(south - pad, -90.0), min(north + pad, 90.0)))


def _per_feature(obs: xr.Dataset, variable: str) -> pd.DataFrame:
    df = obs.reset_coords().to_dataframe()
    if "z" in df:
        df = df.sort_values(["feature", "z"])
    first = df.groupby("feature", sort=False).first()
    return first.reset_index()


def _points_frame(obs: xr.Dataset, variable: str, feature_type: str) -> pd.DataFrame:
    """The positions (one row per feature for profiles and stations, else per sample) with
    longitudes wrapped and a ``year`` colour column: computed once per shared view
    (:func:`portal.cache.derived`; a 10⁶-sample mooring's sort and group-by cost ~0.3 s),
    each caller getting a shallow copy it may add columns to (pandas copies on write)."""
    from portal.cache import derived

    arrays = [v.data for v in obs.variables.values()]
    df = derived("points_frame", arrays, lambda: _new_points_frame(obs, variable, feature_type),
                 extra=(feature_type, tuple(map(str, obs.variables))))
    return df.copy(deep=False)


def _new_points_frame(obs: xr.Dataset, variable: str, feature_type: str) -> pd.DataFrame:
    if feature_type in PER_FEATURE:
        df = _per_feature(obs, variable)
    else:
        df = obs.reset_coords().to_dataframe().reset_index(drop=True)
    df = df.dropna(subset=["longitude", "latitude"])
    df["longitude"], central = wrap_longitudes(df["longitude"].values.astype("float64"))
    df.attrs["central_longitude"] = central
    if "time" in df and df["time"].notna().any():
        df["year"] = time_colour_values(df["time"].values)
    return df


def _color_column(df: pd.DataFrame, variable: str, feature_type: str, style: Style) -> str:
    choice = style.color_by
    if choice == "auto":
        choice = "time" if feature_type in PER_FEATURE and "year" in df else "value"
    if choice == "time" and "year" in df:
        return "year"
    if choice == "qc" and f"{variable}_qc" in df:
        return f"{variable}_qc"
    if choice == "feature":
        return "feature"
    return variable


def obs_colouring(obs: xr.Dataset, df: pd.DataFrame, variable: str, feature_type: str,
                  style: Style) -> tuple[str, list[str], dict[str, str]]:
    """(colour column, colours, labels by column) of an observation map (shared with the
    fast PNG)."""
    color = _color_column(df, variable, feature_type, style)
    attrs = obs[variable].attrs
    lang = style.lang
    labels = {variable: axis_label(attrs, variable, lang), "year": time_label(lang),
              "feature": t("plot_feature", lang), f"{variable}_qc": t("plot_qc_flag", lang)}
    cmap = resolve_cmap(style.cmap if color == variable else "auto" if color != "year"
                        else "thermal" if style.cmap == "auto" else style.cmap,
                        attrs.get("standard_name", ""), variable)
    if color == "year" and style.cmap == "auto":
        cmap = resolve_cmap("viridis")
    return color, cmap, labels


def _obs_map(obs: xr.Dataset, variable: str, feature_type: str, style: Style):
    """(element — :class:`Frames` in the page —, extent, count, central longitude)."""
    df = _points_frame(obs, variable, feature_type)
    color, cmap, labels = obs_colouring(obs, df, variable, feature_type, style)
    vdims = [hv_dimension(color, labels.get(color, color))]
    vdims += [c for c in (variable, "year", "feature") if c in df and c != color]
    points = _geo_points(df, vdims, style.interactive, style.lang)
    units = str(obs[variable].attrs.get("units", "") or "")
    raster = len(df) > RASTERIZE_ABOVE
    clabel = labels.get(color, color)
    if raster:
        tool = raster_hover(clabel, df[color].values if color in df else None)
        bokeh = {"cmap": cmap, "colorbar": True, "clabel": clabel, "tools": [tool]}
        mpl = {"cmap": cmap, "colorbar": True, "clabel": clabel}
    else:
        tool = _points_hover(df, variable, labels[variable], units, obs.attrs)
        bokeh = {"color": color, "cmap": cmap, "colorbar": True, "size": 7,
                 "line_color": "#333333", "tools": [tool]}
        mpl = {"color": color, "cmap": cmap, "colorbar": True, "s": 28,
               "edgecolor": "#333333", "linewidth": 0.3}
    if color == "year":  # dates on the colour bar, whatever the span
        bokeh_opts, mpl_opts = time_colorbar_opts(df["year"].values)
        bokeh, mpl = {**bokeh, **bokeh_opts}, {**mpl, **mpl_opts}
    extent = _extent(df["longitude"].values, df["latitude"].values)
    central = df.attrs.get("central_longitude", 0.0)
    if style.interactive:
        shape = ("positions", raster, _colouring_kind(color, variable))
        element = _page_frames(points, raster, style, {**bokeh, "clabel": clabel}, shape,
                               mean_of=color)
        return element, extent, len(df), central
    if raster:
        # cells of ~3 screen pixels: tracks stay visible and means stay means (spreading
        # an aggregate of means would add neighbours up)
        element = rasterized_mean(points, color, width=style.width, height=style.height,
                                  dynamic=False, pixel_ratio=1 / 3)
        element = element.apply(_float32)
    else:
        element = points
    element = element.opts(backend="bokeh", **bokeh).opts(backend="matplotlib", **mpl)
    return element, extent, len(df), central


def hv_dimension(name: str, label: str):
    import holoviews as hv

    return hv.Dimension(name, label=label)


def _colouring_kind(color: str, variable: str) -> str:
    """What colours a positions map (the variable's name aside: a patch may change it)."""
    return {variable: "value", f"{variable}_qc": "qc", "year": "time"}.get(color, color)


def _page_frames(source, raster: bool, style: Style, opts: dict, shape: tuple,
                 mean_of: str | None = None):
    """A page map's :class:`Frames`: ``source`` re-rasterized for each view (cells of
    ~3 screen pixels; the mean of column ``mean_of`` for points) or drawn as it is
    (markers), styled with ``opts``."""
    from portal.quicklooks.frames import Frames, colorbar_sync, settled

    opts = {**opts, "hooks": [colorbar_sync, settled]}
    if not raster:
        return Frames(lambda _x, _y: source, ranged=False, shape=shape, opts=opts)

    def draw(x_range, y_range):
        from holoviews.operation.datashader import rasterize

        ranges = {k: v for k, v in (("x_range", x_range), ("y_range", y_range)) if v}
        size = {"width": style.width, "height": style.height, "dynamic": False,
                "pixel_ratio": 1 / 3, **ranges}
        image = (rasterized_mean(source, mean_of, **size) if mean_of is not None
                 else rasterize(source, **size))
        return _float32(image)

    return Frames(draw, ranged=True, shape=shape, opts=opts)


def _points_hover(df: pd.DataFrame, variable: str, label: str, units: str, attrs: dict):
    """Position, date, value with units, cycle and platform of a marker."""
    tips = [("Longitude", "@longitude{0.000}°"), ("Latitude", "@latitude{0.000}°")]
    dates: tuple[str, ...] = ()
    if "year" in df:
        tips.append(("Time (UTC)", f"@year{DATE}"))
        dates = ("@year",)
    if variable in df:
        tips.append((with_units(label, units), f"@{{{variable}}}{number_format(df[variable])}"))
    if "feature" in df:
        tips.append(("Cycle / profile", "@feature"))
    platform = platform_of(attrs)
    if platform:
        tips.append(("Platform", platform))
    return hover_tool(tips, dates=dates, limit=1)


def _geo_points(df: pd.DataFrame, vdims: list, interactive: bool, lang: str = "en"):
    """Points in lon/lat for Cartopy (PNG), or already in Web Mercator for Bokeh pages:
    projecting (or warping a raster) at plot time would cost seconds."""
    import cartopy.crs as ccrs
    import geoviews as gv

    from portal.quicklooks.style import _mercator_xy

    if not interactive:
        return gv.Points(df, kdims=["longitude", "latitude"], vdims=vdims)
    df = df.assign(x=0.0, y=0.0)
    df["x"], df["y"] = _mercator_xy(df["longitude"].values, df["latitude"].values)
    extra = [c for c in ("longitude", "latitude") if c not in vdims]
    kdims = lonlat_dims(lang)
    return gv.Points(df, kdims=kdims, vdims=[*vdims, *extra], crs=ccrs.GOOGLE_MERCATOR)


def lonlat_dims(lang: str = "en") -> list:
    """The x and y dimensions of a Web Mercator map, labelled in ``lang``."""
    import holoviews as hv

    return [hv.Dimension("x", label=t("plot_longitude", lang)),
            hv.Dimension("y", label=t("plot_latitude", lang))]


def _float32(image):
    """Aggregates as float32: half the bytes sent to the browser, colours unchanged."""
    data = image.data
    if isinstance(data, xr.Dataset):
        return image.clone(data.astype("float32"))
    return image


def _ZOOM_STREAMS() -> list:  # noqa: N802 - reads as the constant it stands for
    """Re-aggregate on zoom and pan only. The raster size comes from the Style, not
    from the browser's plot size: HoloViews' default PlotSize stream re-rendered
    every map once more as soon as the page had laid it out (a second round trip
    before the first plot was final)."""
    import holoviews as hv

    return [hv.streams.RangeXY]


def _grid_map(field: xr.DataArray, style: Style, frames: bool = False):
    """(element, extent, cell count, central longitude) of a 2-D field; with ``frames``
    (a page map) the element is :class:`Frames` re-rasterizing each view."""
    import geoviews as gv
    from holoviews.operation.datashader import rasterize

    attrs = field.attrs
    lon, central = wrap_longitudes(field.longitude.values.astype("float64"))
    field = field.assign_coords(longitude=lon).sortby("longitude")
    label = axis_label(attrs, str(field.name), style.lang)
    cmap = resolve_cmap(style.cmap, attrs.get("standard_name", ""), str(field.name))
    data = field.rename(label) if label != field.name else field
    if style.interactive:
        import cartopy.crs as ccrs

        from portal.quicklooks.style import _mercator_xy

        # a regular lon/lat grid stays rectilinear in Mercator: no raster warping needed
        x, y = _mercator_xy(data.longitude.values, data.latitude.values)
        kdims = lonlat_dims(style.lang)
        image = gv.QuadMesh((x, y, data.transpose("latitude", "longitude").values),
                            kdims=kdims, vdims=[label], crs=ccrs.GOOGLE_MERCATOR)
    else:
        image = gv.Image(data, kdims=["longitude", "latitude"], vdims=[label])
    step = grid_step_label(field).rstrip(", ")
    tool = raster_hover(label, field.values, extra=[("Step", step)] if step else [])
    lon, lat = field.longitude.values, field.latitude.values
    extent = ((float(lon.min()), float(lon.max())), (float(lat.min()), float(lat.max())))
    n = int(np.isfinite(field.values).sum())
    if frames and style.interactive:
        opts = {"cmap": cmap, "colorbar": True, "tools": [tool], "clabel": label}
        return _page_frames(image, True, style, opts, ("grid",)), extent, n, central
    element = rasterize(image, width=style.width, height=style.height, dynamic=style.interactive,
                        pixel_ratio=1 / 3 if style.interactive else 1.0,
                        streams=_ZOOM_STREAMS())
    element = element.apply(_float32)
    element = element.opts(cmap=cmap, colorbar=True, tools=[tool], backend="bokeh")
    element = element.opts(cmap=cmap, colorbar=True, backend="matplotlib")
    return element, extent, n, central


def grid_step_label(field: xr.DataArray) -> str:
    """"2016-12-17 12:00 UTC, 5 m, " for a field cut at one time (and depth) step: a map
    says which step it draws."""
    parts = []
    if "time" in field.coords and field.time.size == 1:
        when = pd.Timestamp(field.time.values.reshape(-1)[0])
        if when is not pd.NaT:
            parts.append(when.strftime("%Y-%m-%d" if when == when.normalize()
                                       else "%Y-%m-%d %H:%M") + " UTC")
    if "z" in field.coords and field.z.size == 1:
        units = field.z.attrs.get("units", "m")
        parts.append(f"{float(field.z.values.reshape(-1)[0]):g} {units}")
    return "".join(f"{p}, " for p in parts)


def build(data, *, variable: str, feature_type: str, title: str, style: Style):
    """Map of ``data`` (canonical observations or a 2-D grid) with land and a colour bar;
    in the page its frames can be patched in place (:mod:`portal.quicklooks.frames`)."""
    if isinstance(data, xr.DataArray):
        element, (xlim, ylim), n, central = _grid_map(data, style, frames=True)
        what = f"{grid_step_label(data)}{count(n, 'cell', style.lang)}"
    else:
        element, (xlim, ylim), n, central = _obs_map(data, variable, feature_type, style)
        what = count(n, "position" if feature_type in PER_FEATURE else "point", style.lang)
    full_title = f"{title} — {what}"
    if style.interactive:
        from portal.quicklooks.frames import framed

        element.opts["title"] = fit_title(full_title, style.width)  # patched with the data
        return _page_map(framed(element), style, xlim, ylim)
    overlay = _page_map(element, style, xlim, ylim).opts(
        title=fit_title(full_title, style.width), backend="bokeh")
    import cartopy.crs as ccrs

    projection = ccrs.PlateCarree(central_longitude=central)
    return overlay.opts(title=full_title, xlim=xlim, ylim=ylim, projection=projection,
                        backend="matplotlib")


def _page_map(element, style: Style, xlim: tuple, ylim: tuple):
    """A page map: ``element`` over land, opened on ``xlim``/``ylim`` (degrees)."""
    mx, my = mercator(xlim, ylim)
    overlay = element * land_layer(style.interactive, (xlim, ylim))
    return overlay.opts(responsive=True, height=style.height, xlim=mx, ylim=my,
                        active_tools=["wheel_zoom"], lod=ZOOM_LOD,
                        hooks=[zoom_progress(style.lang)], backend="bokeh")
