"""Linked views of one selection: positions map, time–depth samples and T-S (or profile).

Three plots draw from one Bokeh data source, the table of samples (position, time, depth,
the variable, and absolute salinity / conservative temperature when T and S are there),
so a selection in one plot is the selection of all three, made in the browser: a box drawn
on the map, or a time span (and depth band) boxed on the time–depth plot, keeps those
samples drawn in every plot and fades the rest; boxing water masses on the T-S diagram
shows where and when they were measured. A click on one sample of the profile (or T-S)
plot selects every sample of its profile (same feature id, or same position and time) and
rings that profile's position on the map (a faded position under a hundred stacked samples
would still look solid); a click away from the samples clears both (:data:`TAP_JS`,
:data:`CLEAR_JS`). No selection reaches the server: HoloViews' ``link_selections``, which
this replaced, cost four times the server's CPU per drawn view (0.5 s, 287 Bokeh models)
and a round trip per box. Above :data:`MOST_SAMPLES` samples, an even subsample is drawn
(the title says so): the browser holds every drawn point. The page only: a PNG shows the
three plots unselected.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from portal.errors import UnsupportedQuicklook
from portal.i18n import count
from portal.i18n import t as tr
from portal.quicklooks import Style
from portal.quicklooks.style import axis_label, depth_label, land_geometries, time_label

MOST_SAMPLES = 40_000
UNSELECTED_ALPHA = 0.08
RING_COLOR = "#d62728"
RING_NAME = "portal-linked-ring"  # the ring layer, and the tag of the shared table
TAP_REACH = 4.0  # a click hits a 3-pixel sample within four times its radius

#: the profile plot's tap tool, after it selected the clicked sample (``cb_data.source``,
#: the shared table): select every sample of that profile (``keys``: its feature id, or
#: its position and time), ring its position(s) on the map; ``ring.tags[0]`` is the size
#: of the selection the ring stands for
TAP_JS = """
const source = cb_data.source, data = source.data;
const i = source.selected.indices[0];
if (i === undefined) { return; }
const n = data[keys[0]].length, rows = [];
for (let j = 0; j < n; j++) {
  if (keys.every((k) => data[k][j] === data[k][i])) { rows.push(j); }
}
if (rows.length === 0) { rows.push(i); }  // a NaN key equals nothing, itself included
const xs = [], ys = [], seen = new Set();
for (const j of rows) {
  const at = data.lon[j] + ',' + data.lat[j];
  if (!seen.has(at)) { seen.add(at); xs.push(data.lon[j]); ys.push(data.lat[j]); }
}
ring.tags = [rows.length];
ring.data = {x: xs, y: ys};
source.selected.indices = rows;
"""

#: any other change of the shared selection (a box, a click away, the reset tool) clears
#: the map's ring
CLEAR_JS = """
if (cb_obj.indices.length !== ring.tags[0]) {
  ring.tags = [-1];
  ring.data = {x: [], y: []};
}
"""


class SharedSource:
    """The Bokeh models one drawing of the linked views shares, made by the map's hook when
    the views are drawn (a model belongs to one document): the table as the data source of
    the three plots' points, and the map's ring of the clicked profile. A later drawing
    patched into the same figures (:mod:`portal.ui.patch_layout`) refills those models in
    place, its selection and ring cleared. ``keys`` are the columns that tell a profile."""

    def __init__(self, df: pd.DataFrame) -> None:
        self.df = df
        self.keys = ["feature"] if "feature" in df else ["lon", "lat", "time"]
        self.source: Any = None
        self.ring: Any = None

    def _columns(self) -> dict:
        return {c: self.df[c].to_numpy() for c in self.df.columns}

    def _share(self, plot) -> None:
        renderer = plot.handles["glyph_renderer"]
        if renderer.data_source is not self.source:
            renderer.data_source = self.source

    def on_map(self, plot, _element) -> None:
        """Hook of the map's points (drawn first): new models, the ring layer on top; or,
        on a figure drawn before, its models refilled."""
        from bokeh.models import ColumnDataSource, CustomJS

        rings = plot.state.select(name=RING_NAME)
        shared = plot.handles["glyph_renderer"].data_source
        if rings and RING_NAME in (shared.tags or []):  # patched: the same models, new data
            self.source, self.ring = shared, rings[0].data_source
            self.source.selected.indices = []
            self.source.data = self._columns()
            self.ring.update(tags=[-1], data={"x": [], "y": []})
            return
        self.source = ColumnDataSource(self._columns(), tags=[RING_NAME])
        self.ring = ColumnDataSource({"x": [], "y": []}, tags=[-1])
        self._share(plot)
        plot.state.scatter("x", "y", source=self.ring, size=16, fill_alpha=0,
                           line_color=RING_COLOR, line_width=3, name=RING_NAME)
        self.source.selected.js_on_change("indices", CustomJS(args={"ring": self.ring},
                                                              code=CLEAR_JS))

    def on_when(self, plot, _element) -> None:
        """Hook of the time–depth points."""
        self._share(plot)

    def on_what(self, plot, _element) -> None:
        """Hook of the T-S (or profile) points: a click (within :data:`TAP_REACH` of a
        sample's radius) selects a profile."""
        from bokeh.models import CustomJS, TapTool

        self._share(plot)
        glyph = plot.handles["glyph_renderer"].glyph
        if hasattr(glyph, "hit_dilation"):
            glyph.hit_dilation = TAP_REACH
        for tool in plot.state.select(type=TapTool):
            callback = tool.callback
            if isinstance(callback, CustomJS) and callback.code == TAP_JS:
                if callback.args.get("ring") is not self.ring or callback.args.get(
                        "keys") != self.keys:
                    callback.args = {"ring": self.ring, "keys": self.keys}
                continue
            tool.callback = CustomJS(args={"ring": self.ring, "keys": self.keys}, code=TAP_JS)


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
    """Map, time–depth and T-S (or profile) plots over one shared selection."""
    import holoviews as hv

    if not style.interactive:
        raise UnsupportedQuicklook("linked views are interactive: open them in the page",
                                   dataset=dataset, hint="the PNG has the ts, section and "
                                   "timedepth kinds")
    df, rings = _shared_table(obs, variable, dataset)
    lang = style.lang
    units = str(obs.z.attrs.get("units", ""))
    zlabel = depth_label(units if units.lower() in ("dbar", "decibar") else "m", lang)
    labels = {"lon": tr("plot_longitude", lang), "lat": tr("plot_latitude", lang),
              "time": time_label(lang), "z": zlabel,
              "value": axis_label(obs[variable].attrs, variable, lang),
              "SA": tr("plot_sa", lang), "CT": tr("plot_ct", lang)}
    d = {c: hv.Dimension(c, label=labels.get(c, c)) for c in df.columns}
    shared = SharedSource(df)
    size = max((style.width - 60) // 3, 220)
    common = {"width": size, "height": min(style.height, size + 60), "size": 3,
              "tools": ["box_select", "hover"], "active_tools": ["box_select"],
              "default_tools": ["save", "reset", "wheel_zoom"],  # no pan: a drag selects
              "show_grid": True, "nonselection_alpha": UNSELECTED_ALPHA}
    where = hv.Points(df, [d["lon"], d["lat"]], [d["time"], d["z"], d["value"]]).opts(
        title=tr("linked_where", lang), hooks=[shared.on_map], **common)
    when = hv.Points(df, [d["time"], d["z"]], [d["value"]]).opts(
        title=tr("linked_when", lang), invert_yaxis=True, hooks=[shared.on_when], **common)
    tap = {**common, "tools": ["box_select", "hover", "tap"], "hooks": [shared.on_what]}
    if "SA" in df:
        what = hv.Points(df, [d["SA"], d["CT"]], [d["z"]]).opts(
            title=tr("linked_ts", lang), **tap)
    else:
        what = hv.Points(df, [d["value"], d["z"]], [d["time"]]).opts(
            title=tr("linked_profiles", lang, variable=variable), invert_yaxis=True, **tap)
    full = tr("title_linked", lang, title=title, n=count(len(df), "sample", lang)) + (
        tr("title_subsample", lang) if obs.sizes["obs"] > MOST_SAMPLES else "")
    most = max(int(style.width / 8.5), 40)  # a layout's title is one line
    short = full if len(full) <= most else full[:most - 1] + "…"
    layout = (_land(rings, d) * where) + when + what
    return layout.opts(shared_axes=False, title=short, backend="bokeh")
