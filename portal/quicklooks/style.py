"""Styling shared by every quicklook: colormaps, labels, the offline land layer.

Colormaps are cmocean's, chosen from the variable's CF ``standard_name`` (or its
name when the file has none), passed to HoloViews as hex lists so both the Bokeh
(page) and Matplotlib (PNG) backends draw the same colours. Land comes from the
Natural Earth layer in ``static/land_110m.geojson``: maps need no internet.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from portal import assets
from portal.assets import land_geojson
from portal.i18n import t, variable_name
from portal.quicklooks.extent import LAND_FILL
from portal.text import one_line

LAND_FILE = land_geojson()

_BY_STANDARD_NAME = (
    ("temperature", "thermal"),
    ("salinity", "haline"),
    ("oxygen", "oxy"),
    ("chlorophyll", "algae"),
    ("density", "dense"),
    ("sea_surface_height", "balance"),
    ("sea_level", "balance"),
    ("elevation", "topo"),
    ("depth", "deep"),
    ("speed", "speed"),
    ("direction", "phase"),
    ("turbidity", "turbid"),
    ("nitrate", "matter"),
    ("phosphate", "matter"),
    ("carbon", "matter"),
    ("wave", "amp"),
    ("pressure", "deep"),
    ("anomaly", "balance"),
)
_BY_NAME = (
    ("temp", "thermal"), ("sst", "thermal"), ("psal", "haline"), ("sal", "haline"),
    ("doxy", "oxy"), ("oxy", "oxy"), ("chl", "algae"), ("dens", "dense"), ("sigma", "dense"),
    ("aslv", "balance"), ("ssta", "balance"), ("elev", "topo"), ("cndc", "haline"),
    ("wspd", "speed"), ("wdir", "phase"), ("speed", "speed"), ("dir", "phase"),
)
#: Bokeh's level-of-detail settings for zoomable plots. A wheel zoom or a pan tells the server
#: its new ranges only when the browser's interactive mode ends: ``timeout`` ms after the last
#: tool event (Bokeh's default 500 ms, all of it added to every zoom's wait for new pixels).
#: A continuous wheel sends an event every ~16–50 ms, so 60 ms still ends one gesture once.
ZOOM_LOD = {"timeout": 60}

CMAP_CHOICES = ("auto", "thermal", "haline", "oxy", "algae", "dense", "deep", "balance", "speed",
                "phase", "topo", "matter", "turbid", "amp", "viridis")


def cmap_name(standard_name: str = "", name: str = "") -> str:
    """cmocean colormap name suited to a variable."""
    std = standard_name.lower()
    for key, cmap in _BY_STANDARD_NAME:
        if key in std:
            return cmap
    low = name.lower()
    for key, cmap in _BY_NAME:
        if low.startswith(key) or key in low:
            return cmap
    return "thermal"


@functools.lru_cache(maxsize=32)
def cmap_colors(name: str) -> tuple[str, ...]:
    """A colormap (cmocean name, or any matplotlib name) as 256 hex colours."""
    rows = _cmocean_rows(name)
    if rows is None and name.isidentifier():  # viridis as Matplotlib draws it, shipped:
        rows = _rgb_rows(assets.path("static", "cmaps", f"{name}-rgb.txt"))  # (no import)
    if rows is not None:  # cmocean's own table: importing cmocean imports pyplot (~0.5 s)
        return tuple("#" + "".join(format(round(v * 255), "02x") for v in row) for row in rows)
    import matplotlib
    import matplotlib.colors as mcolors

    cmap = matplotlib.colormaps.get(name)
    if cmap is None:
        try:
            import cmocean

            cmap = cmocean.cm.cmap_d[name]
        except (ImportError, KeyError):
            cmap = matplotlib.colormaps["viridis"]
    return tuple(mcolors.to_hex(cmap(i / 255.0)) for i in range(256))


def _cmocean_rows(name: str) -> list[list[float]] | None:
    """The 256 RGB rows (0..1) of a cmocean colormap read from its table, or None."""
    import importlib.util
    import os

    spec = importlib.util.find_spec("cmocean")
    for base in (spec.submodule_search_locations or []) if spec else []:
        path = os.path.join(base, "rgb", f"{name}-rgb.txt")
        if os.path.exists(path):
            return _rgb_rows(path)
    return None


def _rgb_rows(path) -> list[list[float]] | None:
    """The 256 RGB rows (0..1) of a table file, or None (no such file, not 256 rows)."""
    try:
        with open(path) as fh:
            rows = [[float(v) for v in line.split()] for line in fh if line.strip()]
    except OSError:
        return None
    return rows if len(rows) == 256 else None


def resolve_cmap(choice: str | None, standard_name: str = "", name: str = "") -> list[str]:
    """Colours for a colormap choice (``auto`` picks from the variable)."""
    if not choice or choice == "auto":
        choice = cmap_name(standard_name, name)
    return list(cmap_colors(choice))


def axis_label(attrs: dict, fallback: str, lang: str = "en") -> str:
    """'Long name [units]' from CF attributes, on one line without control characters; in
    French the standard name's French name when :mod:`portal.i18n` knows it."""

    text = variable_name(str(attrs.get("standard_name", "")), lang) or one_line(
        attrs.get("long_name") or attrs.get("standard_name") or fallback)
    text = text.replace("_", " ").strip() or fallback
    units = one_line(attrs.get("units", ""))
    if units and units not in ("1", "none"):
        return f"{text} [{units}]"
    return text


@functools.lru_cache(maxsize=1)
def land_geometries() -> tuple:
    """Shapely polygons of the land layer (empty if the file is missing)."""
    from shapely.geometry import shape

    if not LAND_FILE.exists():
        return ()
    data = json.loads(LAND_FILE.read_text())
    geoms: list = []
    for feature in data.get("features", []):
        geom = shape(feature["geometry"])
        geoms.extend(getattr(geom, "geoms", [geom]))
    return tuple(geoms)


def _mercator_xy(x, y):
    import numpy as np

    radius = 6378137.0
    lat = np.clip(np.asarray(y, dtype="float64"), -85.0, 85.0)
    return (np.radians(np.asarray(x, dtype="float64")) * radius,
            radius * np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)))


@functools.lru_cache(maxsize=64)
def _land_clipped(window: tuple[float, float, float, float] | None, mercator: bool) -> tuple:
    """Land polygons cut to a window (W, S, E, N), optionally in Web Mercator metres.

    Cutting and projecting only what a map can show keeps Bokeh plots fast: the
    whole world's coastlines cost over a second per plot.
    """
    import shapely

    geoms: Sequence[Any] = land_geometries()
    if window is not None:
        west, south, east, north = window
        geoms = [g.intersection(shapely.box(west, max(south, -85), east, min(north, 85)))
                 for g in geoms]
        geoms = [g for g in geoms if not g.is_empty]
        geoms = [p for g in geoms for p in getattr(g, "geoms", [g]) if p.geom_type == "Polygon"]
    if mercator:
        geoms = [shapely.transform(g, lambda xy: np.column_stack(_mercator_xy(xy[:, 0], xy[:, 1])))
                 for g in geoms]
    return tuple(geoms)


def fit_title(text: str, width: int) -> str:
    """The title on as many lines (at most 3, 4 under 600 px) as a ``width``-pixel Bokeh
    plot needs.

    Bokeh draws '\\n' as a new line and never wraps by itself: a long dataset name
    followed by its figures ran off the right edge of embeds. The name comes first,
    the figures after ' — ' on their own line.
    """
    import textwrap

    # Bokeh's bold 13 px title: ~8.5 px a character, from the left of the frame (the y
    # axis takes ~60 px of the plot's width)
    per_line = max(int((width - 60) / 8.5), 30)
    if len(text) <= per_line:
        return text
    most = 3 if width >= 600 else 4  # a phone's plot: one more line rather than lost figures
    lines = [line for part in text.split(" — ", 1) for line in textwrap.wrap(part, per_line)]
    if len(lines) > most:
        lines = [*lines[:most - 1], textwrap.shorten(lines[most - 1] + " " + lines[most],
                                                     per_line, placeholder=" …")]
    return "\n".join(lines)


def _window(extent) -> tuple[float, float, float, float] | None:
    """A generous, rounded window around a map extent ((xmin, xmax), (ymin, ymax))."""
    if extent is None:
        return None
    (x0, x1), (y0, y1) = extent
    pad = max(x1 - x0, y1 - y0) * 1.5 + 5.0
    return (float(np.floor(x0 - pad)), float(np.floor(y0 - pad)),
            float(np.ceil(x1 + pad)), float(np.ceil(y1 + pad)))


#: the coastline's colour on quicklook maps (page and PNG); the land's is ``extent.LAND_FILL``
COASTLINE = "#4a4a4a"
#: the name of the Bokeh renderer that draws the land on a page map (one per figure)
LAND_RENDERER = "portal-land"


@functools.lru_cache(maxsize=64)
def _land_multipolygons(window: tuple[float, float, float, float] | None) -> tuple[list, list]:
    """The land of a window as Bokeh ``multi_polygons`` columns in Web Mercator metres:
    per polygon, its outer ring then its holes (read-only arrays shared by every page)."""
    xs: list = []
    ys: list = []
    for poly in _land_clipped(window, True):
        rings = [np.asarray(ring.coords) for ring in (poly.exterior, *poly.interiors)]
        for ring in rings:
            ring.flags.writeable = False
        xs.append([[ring[:, 0] for ring in rings]])
        ys.append([[ring[:, 1] for ring in rings]])
    return xs, ys


class DrawLand:
    """A HoloViews hook that draws the land of ``window`` on a Bokeh figure as one glyph,
    once per figure (a patched frame runs the hook again and finds it there).

    GeoViews projects every geographic path at every plot build, even one already in the
    plot's projection, and converts its geometries to columns again: a quarter of a second
    for the land of each page map. Here the columns are computed once per window and
    handed to Bokeh as they are.
    """

    def __init__(self, window: tuple[float, float, float, float] | None) -> None:
        self.window = window

    def __call__(self, plot: Any, element: Any) -> None:
        figure = plot.state
        if any(getattr(r, "name", None) == LAND_RENDERER for r in figure.renderers):
            return
        xs, ys = _land_multipolygons(self.window)
        figure.multi_polygons(xs=list(xs), ys=list(ys), fill_color=LAND_FILL,
                              line_color=COASTLINE, line_width=0.6, name=LAND_RENDERER)


def land_layer(interactive: bool = False, extent=None):
    """A GeoViews land/coastline overlay element (grey land, dark outline).

    ``interactive`` gives a layer for Bokeh pages: an empty element whose hook
    (:class:`DrawLand`) draws the land, already in Web Mercator, without GeoViews'
    projection at plot time. The PNG path uses geographic coordinates, which Cartopy
    projects while drawing. ``extent`` ((W, E), (S, N)) cuts the layer to a generous
    window around the view.
    """
    import cartopy.crs as ccrs
    import geoviews as gv

    window = _window(extent)
    if interactive:
        return gv.Polygons([], crs=ccrs.GOOGLE_MERCATOR, label="land").opts(
            hooks=[DrawLand(window)], backend="bokeh")
    land = gv.Polygons(list(_land_clipped(window, False)), crs=ccrs.PlateCarree(), label="land")
    return land.opts(color=LAND_FILL, facecolor=LAND_FILL, edgecolor=COASTLINE, linewidth=0.5,
                     backend="matplotlib")


TIME_LABEL = "Time (UTC)"


def time_label(lang: str = "en") -> str:
    """The label of a time axis or colour bar: "Time (UTC)", "Date (UTC)"."""
    return t("plot_time", lang)


def depth_label(units: str, lang: str = "en") -> str:
    """"Pressure [dbar]" for decibars, else "Depth [m]" (in ``lang``)."""
    key = "plot_pressure" if str(units).lower() in ("dbar", "decibar") else "plot_depth"
    return axis_label({"long_name": t(key, lang), "units": units}, t(key, lang))


def time_colour_values(times) -> np.ndarray:
    """datetime64 values as float milliseconds since 1970 (NaN for NaT), for colour scales."""
    t = np.asarray(times, dtype="datetime64[ms]")
    out = t.astype("int64").astype("float64")
    out[np.isnat(t)] = np.nan
    return out


def _date_format(span_days: float) -> str:
    if span_days > 3 * 365:
        return "%Y"
    if span_days > 60:
        return "%Y-%m"
    if span_days > 2:
        return "%Y-%m-%d"
    return "%Y-%m-%d %H:%M"


_DATE_STEPS = (("Y", (1, 2, 5, 10, 20, 50), "%Y"), ("M", (1, 2, 3, 6), "%Y-%m"),
               ("D", (1, 2, 5, 10), "%Y-%m-%d"), ("h", (1, 2, 3, 6, 12), "%Y-%m-%d %H:%M"),
               ("m", (1, 5, 15, 30), "%Y-%m-%d %H:%M"))


def date_ticks(lo_ms: float, hi_ms: float, most: int = 7) -> list[tuple[float, str]]:
    """Round instants (whole years, months, days, hours or minutes) between two times in
    milliseconds since 1970, with their labels: at least two, at most ``most``."""
    import datetime as dt

    lo, hi = np.datetime64(int(lo_ms), "ms"), np.datetime64(int(hi_ms), "ms")
    for fewest in (3, 2):  # the coarsest unit giving three marks, else two
        for unit, steps, fmt in _DATE_STEPS:
            first, last = lo.astype(f"datetime64[{unit}]"), hi.astype(f"datetime64[{unit}]")
            for step in steps:
                start = -(-int(first.astype("int64")) // step) * step  # aligned on the step
                marks = np.arange(start, int(last.astype("int64")) + 1, step)
                marks = marks.astype(f"datetime64[{unit}]").astype("datetime64[ms]")
                marks = marks[(marks >= lo) & (marks <= hi)]
                if fewest <= marks.size <= most:
                    return [(float(m.astype("int64")),
                             dt.datetime.fromtimestamp(m.astype("int64") / 1000, dt.UTC)
                             .strftime(fmt)) for m in marks]
    return []


INSTANT_MS = 60_000  # a time colour scale spanning less than a minute is one instant


def time_range(lo: float, hi: float) -> tuple[float, float]:
    """The colour range of times ``lo``..``hi`` (ms): a single instant (under a minute) is
    widened to a day around it; any longer span keeps its own range, so a 44-minute ship
    track is coloured over its 44 minutes with ticks in minutes. The page's colour bars,
    the map PNG and the Matplotlib plots all take their range here."""
    if hi - lo < INSTANT_MS:
        return lo - 43_200_000, hi + 43_200_000
    return lo, hi


def time_colorbar_opts(values: np.ndarray) -> tuple[dict, dict]:
    """(Bokeh, Matplotlib) options so a colour bar over times prints dates, never decimal
    years or offsets; the range is :func:`time_range`'s."""
    import matplotlib.ticker as mticker
    import pandas as pd
    from bokeh.models import DatetimeTickFormatter

    finite = values[np.isfinite(values)]
    lo, hi = time_range(*((float(finite.min()), float(finite.max())) if finite.size
                          else (0.0, 1.0)))
    fmt = _date_format((hi - lo) / 86_400_000)

    def label(x, _pos=None) -> str:
        return pd.Timestamp(int(x), unit="ms").strftime(fmt) if np.isfinite(x) else ""

    bokeh = {"clim": (lo, hi), "cformatter": DatetimeTickFormatter(
        minutes=fmt, hourmin=fmt, hours=fmt, days=fmt, months=fmt, years=fmt)}
    return bokeh, {"clim": (lo, hi), "cformatter": mticker.FuncFormatter(label),
                   "cbar_ticks": date_ticks(lo, hi)}  # round dates, each once
