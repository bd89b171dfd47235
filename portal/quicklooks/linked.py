"""Linked views of one selection: positions map, time–depth samples and T-S (or profile).

Three plots share one table of samples (position, time, depth, the variable, and absolute
salinity / conservative temperature when T and S are there) through HoloViews'
``link_selections``: a box drawn on the map, or a time span (and depth band) boxed on the
time–depth plot, keeps those samples coloured in every plot and greys the rest; boxing
water masses on the T-S diagram shows where and when they were measured, and boxing one
profile's samples highlights its position on the map. A click on one sample of the
profile (or T-S) plot selects every sample of its profile (same feature id, or same
position and time) and rings that profile's position on the map (a faded position under
a hundred stacked samples would still look solid); a click away from the samples clears. Above :data:`MOST_SAMPLES` samples,
an even subsample is drawn (the title says so): the browser holds every drawn point.
The page only: a PNG shows the three plots unselected.
"""

from __future__ import annotations

from functools import partial
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import xarray as xr

from portal.errors import UnsupportedQuicklook
from portal.i18n import count
from portal.i18n import t as tr
from portal.quicklooks import Style
from portal.quicklooks.style import axis_label, depth_label, land_geometries, time_label

MOST_SAMPLES = 40_000
TAP_REACH = 0.04  # a click selects the nearest sample within 4 % of the axes' extent


class LinkedViews(NamedTuple):
    """The three linked plots, the selection that links them, and the profile-tap stream."""

    layout: Any
    selection: Any  # hv.link_selections instance
    tap: Any  # hv.streams.Tap on the profile (or T-S) plot
    ring: Any  # the map's DynamicMap of the clicked profile's position


def _scaled(column: pd.Series) -> tuple[np.ndarray, float, float]:
    values = column.to_numpy()
    if np.issubdtype(values.dtype, np.datetime64):
        values = values.astype("datetime64[ns]").astype("int64")
    values = values.astype("float64")
    low, high = np.nanmin(values), np.nanmax(values)
    return values, float(low), float(high - low) or 1.0


def profile_rows(df: pd.DataFrame, xcol: str, ycol: str, x: float | None,
                 y: float | None) -> np.ndarray | None:
    """Boolean mask of the rows of the profile of the sample nearest (x, y), or None.

    Distances are measured in axis fractions; a click farther than :data:`TAP_REACH` from
    every sample finds nothing. A profile is one ``feature`` id, or else one position and
    time (the rows of a profile share them)."""
    if x is None or y is None or df.empty:
        return None
    (xs, x0, dx), (ys, y0, dy) = _scaled(df[xcol]), _scaled(df[ycol])
    fx, fy = (float(x) - x0) / dx, (float(y) - y0) / dy
    dist = np.hypot((xs - x0) / dx - fx, (ys - y0) / dy - fy)
    if np.all(np.isnan(dist)) or np.nanmin(dist) > TAP_REACH:
        return None
    row = df.iloc[int(np.nanargmin(dist))]
    if "feature" in df:
        return (df["feature"] == row["feature"]).to_numpy()
    return ((df["lon"] == row["lon"]) & (df["lat"] == row["lat"])
            & (df["time"] == row["time"])).to_numpy()


def profile_at(df: pd.DataFrame, xcol: str, ycol: str, x: float | None, y: float | None):
    """The link_selections expression selecting :func:`profile_rows`, or None."""
    import holoviews as hv

    rows = profile_rows(df, xcol, ycol, x, y)
    if rows is None:
        return None
    row = df[rows].iloc[0]
    if "feature" in df:
        fid = row["feature"]
        return hv.dim("feature") == (fid.item() if isinstance(fid, np.generic) else fid)
    return ((hv.dim("lon") == row["lon"]) & (hv.dim("lat") == row["lat"])
            & (hv.dim("time") == row["time"]))


def _select_tapped(selection, df: pd.DataFrame, xcol: str, ycol: str, x=None, y=None):
    """A click on a sample selects its profile; a click away from every sample clears."""
    selection.selection_expr = profile_at(df, xcol, ycol, x, y)


def highlighted(df: pd.DataFrame, xcol: str, ycol: str, dims: dict, x=None, y=None):
    """The map's highlight: the clicked profile's position(s) as rings (empty when none)."""
    import holoviews as hv

    rows = profile_rows(df, xcol, ycol, x, y)
    where = df.loc[rows, ["lon", "lat"]].drop_duplicates() if rows is not None else df[:0]
    return hv.Points(where[["lon", "lat"]], kdims=[dims["lon"], dims["lat"]]).opts(
        size=16, fill_alpha=0, line_color="#d62728", line_width=3, backend="bokeh")


def sample_table(obs: xr.Dataset, variable: str, dataset: str = "") -> pd.DataFrame:
    """One row per sample: lon, lat, time, z, value, feature, and SA/CT when T and S exist."""
    from portal.processing.teos10 import teos10, ts_columns

    for need in ("longitude", "latitude", "time", "z"):
        if need not in obs.coords:
            raise UnsupportedQuicklook(f"linked views need {need}; this dataset has none",
                                       dataset=dataset)
    if obs.sizes["obs"] > MOST_SAMPLES:
        obs = obs.isel(obs=np.linspace(0, obs.sizes["obs"] - 1, MOST_SAMPLES).astype(int))
    df = pd.DataFrame({"lon": obs.longitude.values, "lat": obs.latitude.values,
                       "time": obs.time.values, "z": obs.z.values,
                       "value": obs[variable].values.astype("float64")})
    if "feature" in obs.coords:
        df["feature"] = obs.feature.values
    try:
        tsd = teos10(obs, ts_columns(obs, dataset), dataset)
        df["SA"], df["CT"] = tsd.SA.values, tsd.CT.values
    except UnsupportedQuicklook:  # no salinity: the third plot is the profile
        pass
    return df


def _shared_table(obs: xr.Dataset, variable: str, dataset: str
                  ) -> tuple[pd.DataFrame, list[np.ndarray]]:
    """(:func:`sample_table`, the land rings around it) of a shared view, computed once per
    process (:func:`portal.cache.derived`); the table is this caller's shallow copy."""
    from portal.cache import derived

    def compute() -> tuple[pd.DataFrame, list[np.ndarray]]:
        df = sample_table(obs, variable, dataset)
        return df, _land_rings(df)

    names = tuple(map(str, obs.variables))
    df, rings = derived("linked_table", [v.data for v in obs.variables.values()], compute,
                        extra=(variable, dataset, names))
    return df.copy(deep=False), [ring.copy() for ring in rings]  # a few hundred points


def _land_rings(df: pd.DataFrame) -> list[np.ndarray]:
    import shapely

    pad = max(np.ptp(df.lon), np.ptp(df.lat), 0.5) * 0.3
    box = shapely.box(df.lon.min() - pad, df.lat.min() - pad, df.lon.max() + pad,
                      df.lat.max() + pad)
    return [np.asarray(p.exterior.coords) for g in land_geometries()
            for p in getattr(g.intersection(box), "geoms", [g.intersection(box)])
            if p.geom_type == "Polygon" and not p.is_empty]


def _land(rings: list[np.ndarray], dims: dict):
    import holoviews as hv

    return hv.Polygons(rings, kdims=[dims["lon"], dims["lat"]]).opts(
        color="#d9d4c7", line_color="#4a4a4a", line_width=0.5, backend="bokeh")


def build(obs: xr.Dataset, *, variable: str, feature_type: str, title: str, style: Style,
          dataset: str = ""):
    """Map, time–depth and T-S (or profile) plots linked by one box selection."""
    return linked_views(obs, variable=variable, feature_type=feature_type, title=title,
                        style=style, dataset=dataset).layout


def linked_views(obs: xr.Dataset, *, variable: str, feature_type: str, title: str,
                 style: Style, dataset: str = "") -> LinkedViews:
    """:func:`build`'s plots with their link_selections and the profile-tap stream."""
    import holoviews as hv

    if not style.interactive:
        raise UnsupportedQuicklook("linked views are interactive: open them in the page",
                                   dataset=dataset, hint="the PNG has the ts, section and "
                                   "timedepth kinds")
    df, rings = _shared_table(obs, variable, dataset)
    lang = style.lang
    units = str(obs.z.attrs.get("units", ""))
    zlabel = depth_label(units if units.lower() in ("dbar", "decibar") else "m", lang)
    dims = {"lon": tr("plot_longitude", lang), "lat": tr("plot_latitude", lang),
            "time": time_label(lang), "z": zlabel,
            "value": axis_label(obs[variable].attrs, variable, lang),
            "SA": tr("plot_sa", lang), "CT": tr("plot_ct", lang)}
    d = {c: hv.Dimension(c, label=dims.get(c, c)) for c in df.columns}
    table = hv.Dataset(df, kdims=list(d.values()))
    size = max((style.width - 60) // 3, 220)
    common = {"width": size, "height": min(style.height, size + 60), "size": 3,
              "tools": ["box_select", "hover"], "active_tools": ["box_select"],
              "default_tools": ["save", "reset", "wheel_zoom"],  # no pan: a drag selects
              "show_grid": True}
    where = hv.Points(table, [d["lon"], d["lat"]], [d["time"], d["z"], d["value"]]).opts(
        title=tr("linked_where", lang), **common)
    when = hv.Points(table, [d["time"], d["z"]], [d["value"]]).opts(
        title=tr("linked_when", lang), invert_yaxis=True, **common)
    xcol, ycol = ("SA", "CT") if "SA" in df else ("value", "z")
    if "SA" in df:
        what = hv.Points(table, [d["SA"], d["CT"]], [d["z"]]).opts(
            title=tr("linked_ts", lang), **common)
    else:
        what = hv.Points(table, [d["value"], d["z"]], [d["time"]]).opts(
            title=tr("linked_profiles", lang, variable=variable), invert_yaxis=True, **common)
    linked = hv.link_selections.instance(unselected_alpha=0.08)
    layout = linked(where + when + what)
    # link_selections' (and the geo plots') clones take new plot ids: the tap is the stream
    # of an empty layer of ours, which the plot then listens on
    tap = hv.streams.Tap(x=None, y=None)
    tapped = hv.DynamicMap(lambda x, y: hv.Points([], kdims=[d[xcol], d[ycol]]),
                           streams=[tap])
    where_linked, when_linked, what_linked = (
        el.opts(active_tools=["box_select"], backend="bokeh") for el in layout.values())
    ring = hv.DynamicMap(partial(highlighted, df, xcol, ycol, d), streams=[tap])
    layout = (_land(rings, d) * where_linked * ring).opts(active_tools=["box_select"],
                                                       backend="bokeh") \
        + when_linked + (tapped * what_linked)
    full = tr("title_linked", lang, title=title, n=count(len(df), "sample", lang)) + (
        tr("title_subsample", lang) if obs.sizes["obs"] > MOST_SAMPLES else "")
    most = max(int(style.width / 8.5), 40)  # a layout's title is one line
    short = full if len(full) <= most else full[:most - 1] + "…"
    tap.add_subscriber(partial(_select_tapped, linked, df, xcol, ycol))
    return LinkedViews(layout.opts(shared_axes=False, title=short, backend="bokeh"), linked,
                       tap, ring)
