"""Styling shared by every quicklook: colormaps, labels, the offline land layer.

Colormaps are cmocean's, chosen from the variable's CF ``standard_name`` (or its
name when the file has none), passed to HoloViews as hex lists so both the Bokeh
(page) and Matplotlib (PNG) backends draw the same colours. Land comes from the
Natural Earth layer in ``static/land_110m.geojson``: maps need no internet.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "static"
LAND_FILE = STATIC / "land_110m.geojson"

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
    import matplotlib.colors as mcolors

    try:
        import cmocean

        cmap = cmocean.cm.cmap_d[name]
    except (ImportError, KeyError):
        import matplotlib

        cmap = matplotlib.colormaps.get(name) or matplotlib.colormaps["viridis"]
    return tuple(mcolors.to_hex(cmap(i / 255.0)) for i in range(256))


def resolve_cmap(choice: str | None, standard_name: str = "", name: str = "") -> list[str]:
    """Colours for a colormap choice (``auto`` picks from the variable)."""
    if not choice or choice == "auto":
        choice = cmap_name(standard_name, name)
    return list(cmap_colors(choice))


def axis_label(attrs: dict, fallback: str) -> str:
    """'Long name [units]' from CF attributes."""
    text = str(attrs.get("long_name") or attrs.get("standard_name") or fallback)
    text = text.replace("_", " ").strip() or fallback
    units = str(attrs.get("units", "")).strip()
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
    geoms = []
    for feature in data.get("features", []):
        geom = shape(feature["geometry"])
        geoms.extend(getattr(geom, "geoms", [geom]))
    return tuple(geoms)


def land_layer():
    """A GeoViews land/coastline overlay element (grey land, dark outline)."""
    import geoviews as gv

    land = gv.Polygons(list(land_geometries()), label="land")
    return land.opts(color="#d9d4c7", line_color="#4a4a4a", line_width=0.6, backend="bokeh").opts(
        color="#d9d4c7", facecolor="#d9d4c7", edgecolor="#4a4a4a", linewidth=0.5, backend="matplotlib"
    )
