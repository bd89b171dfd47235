"""Linked views of one selection: positions map, time–depth samples and T-S (or profile).

Three plots share one table of samples (position, time, depth, the variable, and absolute
salinity / conservative temperature when T and S are there) through HoloViews'
``link_selections``: a box drawn on the map, or a time span (and depth band) boxed on the
time–depth plot, keeps those samples coloured in every plot and greys the rest; boxing
water masses on the T-S diagram shows where and when they were measured, and boxing one
profile's samples highlights its position on the map. Above :data:`MOST_SAMPLES` samples,
an even subsample is drawn (the title says so): the browser holds every drawn point.
The page only: a PNG shows the three plots unselected.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from portal.errors import UnsupportedQuicklook
from portal.quicklooks import Style
from portal.quicklooks.style import axis_label, land_geometries

MOST_SAMPLES = 40_000


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


def _land(df: pd.DataFrame, dims: dict):
    import holoviews as hv
    import shapely

    pad = max(np.ptp(df.lon), np.ptp(df.lat), 0.5) * 0.3
    box = shapely.box(df.lon.min() - pad, df.lat.min() - pad, df.lon.max() + pad,
                      df.lat.max() + pad)
    rings = [np.asarray(p.exterior.coords) for g in land_geometries()
             for p in getattr(g.intersection(box), "geoms", [g.intersection(box)])
             if p.geom_type == "Polygon" and not p.is_empty]
    return hv.Polygons(rings, kdims=[dims["lon"], dims["lat"]]).opts(
        color="#d9d4c7", line_color="#4a4a4a", line_width=0.5, backend="bokeh")


def build(obs: xr.Dataset, *, variable: str, feature_type: str, title: str, style: Style,
          dataset: str = ""):
    """Map, time–depth and T-S (or profile) plots linked by one box selection."""
    import holoviews as hv

    if not style.interactive:
        raise UnsupportedQuicklook("linked views are interactive: open them in the page",
                                   dataset=dataset, hint="the PNG has the ts, section and "
                                   "timedepth kinds")
    df = sample_table(obs, variable, dataset)
    zlabel = "Pressure [dbar]" if str(obs.z.attrs.get("units", "")).lower() in (
        "dbar", "decibar") else "Depth [m]"
    vlabel = axis_label(obs[variable].attrs, variable)
    dims = {"lon": "Longitude", "lat": "Latitude", "time": "Time (UTC)", "z": zlabel,
            "value": vlabel, "SA": "Absolute salinity Sᴀ [g/kg]",
            "CT": "Conservative temperature Θ [°C]"}
    d = {c: hv.Dimension(c, label=dims.get(c, c)) for c in df.columns}
    table = hv.Dataset(df, kdims=list(d.values()))
    size = max((style.width - 60) // 3, 220)
    common = {"width": size, "height": min(style.height, size + 60), "size": 3,
              "tools": ["box_select", "hover"], "active_tools": ["box_select"],
              "default_tools": ["save", "reset", "wheel_zoom"],  # no pan: a drag selects
              "show_grid": True}
    where = hv.Points(table, [d["lon"], d["lat"]], [d["time"], d["z"], d["value"]]).opts(
        title="Positions (box: area)", **common)
    when = hv.Points(table, [d["time"], d["z"]], [d["value"]]).opts(
        title="Time–depth (box: time span)", invert_yaxis=True, **common)
    if "SA" in df:
        what = hv.Points(table, [d["SA"], d["CT"]], [d["z"]]).opts(title="T-S (TEOS-10)",
                                                                     **common)
    else:
        what = hv.Points(table, [d["value"], d["z"]], [d["time"]]).opts(
            title=f"Profiles of {variable}", invert_yaxis=True, **common)
    linked = hv.link_selections.instance(unselected_alpha=0.08)
    layout = linked(where + when + what)
    where_linked, when_linked, what_linked = (
        el.opts(active_tools=["box_select"], backend="bokeh") for el in layout.values())
    layout = (_land(df, d) * where_linked).opts(active_tools=["box_select"], backend="bokeh") \
        + when_linked + what_linked
    full = f"{title} — linked views, {len(df):,} samples" + (
        " (even subsample)" if obs.sizes["obs"] > MOST_SAMPLES else "")
    most = max(int(style.width / 8.5), 40)  # a layout's title is one line
    short = full if len(full) <= most else full[:most - 1] + "…"
    return layout.opts(shared_axes=False, title=short, backend="bokeh")
