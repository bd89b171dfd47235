"""Section along a track (glider, cruise, float): a variable against distance and depth.

Samples are put in time order; the x axis is the cumulative great-circle distance along
the track in km (haversine between successive positions, on a 6371 km sphere), or time
when the platform barely moves (under :data:`MIN_TRACK_KM`) or ``x="time"`` is asked for.
Depth (or pressure) points down; colours follow the variable's colormap. A large section
(a glider's hundred thousand samples) is rasterised to the mean value per pixel. Beside
the section, a small map shows the positions on the offline land layer, the start marked.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from portal.errors import UnsupportedQuicklook
from portal.i18n import count, number
from portal.i18n import t as tr
from portal.quicklooks import Style, columns
from portal.quicklooks.frames import raster_settled
from portal.quicklooks.style import (
    axis_label,
    depth_label,
    fit_title,
    land_geometries,
    resolve_cmap,
    time_label,
)

EARTH_RADIUS_KM = 6371.0
MIN_TRACK_KM = 1.0
SHADE_ABOVE = 50_000
INSET_PX = 260
TRACK_NODES = 500


def great_circle_km(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Cumulative great-circle distance (km, haversine) from the first position."""
    lon_r, lat_r = np.radians(np.asarray(lon, "float64")), np.radians(np.asarray(lat, "float64"))
    dlat, dlon = np.diff(lat_r), np.diff(lon_r)
    a = np.sin(dlat / 2) ** 2 + np.cos(lat_r[:-1]) * np.cos(lat_r[1:]) * np.sin(dlon / 2) ** 2
    steps = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return np.concatenate([[0.0], np.cumsum(steps)])


def along_track_km(lon: np.ndarray, lat: np.ndarray, nodes: int = TRACK_NODES) -> np.ndarray:
    """Distance along the track (km) of each sample. Past ``nodes`` samples the track is the
    chain of the mean positions of ``nodes`` consecutive chunks, each sample placed on it
    by its rank: position noise (a glider's GPS, a second apart) does not add up."""
    lon, lat = np.asarray(lon, "float64"), np.asarray(lat, "float64")
    moved = np.concatenate([[True], (np.diff(lon) != 0) | (np.diff(lat) != 0)])
    if not moved.all():  # the samples of one profile share its position: one step each
        run = np.cumsum(moved) - 1
        return along_track_km(lon[moved], lat[moved], nodes)[run]
    if lon.size <= nodes:
        return great_circle_km(lon, lat)
    chunks = np.array_split(np.arange(lon.size), nodes)
    centre = np.array([c.mean() for c in chunks])
    km = great_circle_km(np.array([lon[c].mean() for c in chunks]),
                         np.array([lat[c].mean() for c in chunks]))
    return np.interp(np.arange(lon.size), centre, km)


def in_track_order(obs: xr.Dataset) -> xr.Dataset:
    """The samples in time order (stable: a profile's own order is kept)."""
    if "time" not in obs.coords:
        return obs
    order = np.argsort(obs.time.values, kind="stable")
    return obs.isel(obs=order)


def _z_dimension(obs: xr.Dataset, lang: str = "en"):
    import holoviews as hv

    return hv.Dimension("z", label=depth_label(str(obs.z.attrs.get("units", "")), lang))


def _inset_window(lon: np.ndarray, lat: np.ndarray):
    """((W, E), (S, N)) around the positions, and the land polygons (lon/lat rings) in it."""
    import shapely

    pad = max(np.ptp(lon), np.ptp(lat), 0.5) * 0.4
    west, east = float(lon.min() - pad), float(lon.max() + pad)
    south, north = float(lat.min() - pad), float(lat.max() + pad)
    window = shapely.box(west, south, east, north)
    polys = [np.asarray(p.exterior.coords) for g in land_geometries()
             for p in getattr(g.intersection(window), "geoms", [g.intersection(window)])
             if p.geom_type == "Polygon" and not p.is_empty]
    return ((west, east), (south, north)), polys


def _mpl_inset(lon: np.ndarray, lat: np.ndarray):
    """A Matplotlib hook drawing the positions as a true inset map in the section's
    lower-right corner (the PNG; the page shows the map beside the section)."""
    (xlim, ylim), polys = _inset_window(lon, lat)
    step = max(lon.size // 2000, 1)

    def hook(plot, _element) -> None:
        from matplotlib.patches import Polygon

        ax = plot.handles["axis"].inset_axes([0.73, 0.03, 0.25, 0.42])
        for ring in polys:
            ax.add_patch(Polygon(ring, facecolor="#d9d4c7", edgecolor="#4a4a4a", lw=0.4))
        ax.plot(lon[::step], lat[::step], color="#c0392b", lw=1.2)
        ax.plot(lon[:1], lat[:1], "o", color="black", ms=3)
        ax.set(xlim=xlim, ylim=ylim, xticks=[], yticks=[], facecolor="white")
        ax.set_aspect(1 / max(np.cos(np.radians(np.mean(ylim))), 0.1))

    return hook


def _inset(lon: np.ndarray, lat: np.ndarray, lang: str = "en"):
    """Positions on a small lon/lat map with the land around them; the start as a dot."""
    import holoviews as hv

    ((west, east), (south, north)), polys = _inset_window(lon, lat)
    dims = [hv.Dimension("lon", label=tr("plot_longitude", lang)),
            hv.Dimension("lat", label=tr("plot_latitude", lang))]
    land = hv.Polygons(polys, kdims=dims).opts(color="#d9d4c7", line_color="#4a4a4a",
                                               line_width=0.5, backend="bokeh").opts(
        color="#d9d4c7", edgecolor="#4a4a4a", linewidth=0.5, backend="matplotlib")
    track = hv.Path([np.column_stack([lon, lat])], kdims=dims).opts(
        color="#c0392b", line_width=2, backend="bokeh").opts(color="#c0392b", linewidth=1.5,
                                                             backend="matplotlib")
    start = hv.Points([(lon[0], lat[0])], kdims=dims).opts(color="black", size=6,
                                                            backend="bokeh").opts(
        color="black", s=20, backend="matplotlib")
    return (land * track * start).opts(
        title=tr("plot_positions", lang), xlim=(west, east), ylim=(south, north),
        width=INSET_PX, height=INSET_PX, backend="bokeh").opts(
        title=tr("plot_positions", lang), xlim=(west, east), ylim=(south, north), aspect=1,
        backend="matplotlib")


def section_x(obs: xr.Dataset, x: str = "auto") -> tuple[np.ndarray, str]:
    """The x values (km along the track, or times) and which one was used."""
    km = along_track_km(obs.longitude.values, obs.latitude.values)
    use_time = x == "time" or (x == "auto" and km[-1] < MIN_TRACK_KM)
    if use_time and "time" in obs.coords:
        return obs.time.values, "time"
    return km, "distance"


def _cells(x, z, values, xdim, zdim, cdim, cmap, style: Style):

    points = columns.points((x, z, values), [xdim, zdim], [cdim])
    if len(values) <= SHADE_ABOVE:
        return points.opts(color="value", cmap=cmap, colorbar=True, size=4, tools=["hover"],
                           backend="bokeh").opts(color="value", cmap=cmap, colorbar=True,
                                                 s=6, backend="matplotlib")
    import datashader as ds
    from holoviews.operation.datashader import rasterize

    image = rasterize(points, aggregator=ds.mean("value"), dynamic=style.interactive,
                      width=style.width // 5, height=style.height // 4)
    return image.opts(cmap=cmap, colorbar=True, tools=["hover"], clabel=cdim.label,
                      hooks=[raster_settled], backend="bokeh").opts(cmap=cmap, colorbar=True, clabel=cdim.label,
                                            backend="matplotlib")


def build(obs: xr.Dataset, *, variable: str, feature_type: str, title: str, style: Style,
          dataset: str = "", x: str = "auto"):
    """``variable`` along the track: distance (or time) on x, depth down on y."""
    import holoviews as hv

    if "z" not in obs.coords or np.unique(obs.z.values).size < 2:
        raise UnsupportedQuicklook("a section needs samples at several depths", dataset=dataset,
                                   hint="use the map or time-series quicklook")
    obs = in_track_order(obs)
    xs, used = section_x(obs, x)
    lang = style.lang
    xdim = hv.Dimension("x", label=tr("plot_distance", lang) if used == "distance"
                        else time_label(lang))
    cdim = hv.Dimension("value", label=axis_label(obs[variable].attrs, variable, lang))
    cmap = resolve_cmap(style.cmap, str(obs[variable].attrs.get("standard_name", "")), variable)
    values = obs[variable].values.astype("float64")
    body = _cells(xs, obs.z.values, values, xdim, _z_dimension(obs, lang), cdim, cmap, style)
    extent = (f"{number(round(float(xs[-1])), lang)} km" if used == "distance"
              else tr("title_time_on_x", lang))
    full = tr("title_section", lang, title=title, variable=variable, extent=extent,
              n=count(obs.sizes["obs"], "sample", lang))
    width = max(style.width - INSET_PX - 40, 300)  # beside the map, which has a fixed size
    body = body.opts(title=fit_title(full, width), invert_yaxis=True, show_grid=True,
                     height=style.height, width=width, backend="bokeh")
    lon, lat = obs.longitude.values.astype("float64"), obs.latitude.values.astype("float64")
    if not style.interactive:  # the PNG: one plot, the map inset in its corner
        return body.opts(title=full, invert_yaxis=True, show_grid=True,
                         aspect=style.width / style.height, hooks=[_mpl_inset(lon, lat)],
                         backend="matplotlib")
    return (body + _inset(lon, lat, lang)).opts(shared_axes=False, backend="bokeh")
