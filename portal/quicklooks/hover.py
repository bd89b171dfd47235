"""Hover tooltips of the page's plots: values with units, dates as dates, nothing on empty cells.

Every interactive quicklook gets an explicit Bokeh ``HoverTool`` built here: a sample's
value with its units, its depth or pressure, its time printed as a date
(``{%F %H:%M}`` with the ``datetime`` formatter, never milliseconds or decimal years),
and the platform and cycle where the data have them. Rasterized layers (Datashader
means, point-store counts) hold NaN where a pixel has no data: their tools carry a
``filters`` callback so that no tooltip shows there. Map coordinates travel in Web
Mercator metres and are printed as degrees by small JavaScript formatters. Bokeh is
imported inside the functions: only a drawn page needs it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

DATE = "{%F %H:%M}"
#: the tooltip filter: drop a hit whose value is NaN (an empty pixel) or missing
NOT_NAN_JS = "export default (args, tool, {value}) => value != null && value === value"
LON_JS = "return (value / 6378137 * 180 / Math.PI).toFixed(3) + '°'"
LAT_JS = ("return ((2 * Math.atan(Math.exp(value / 6378137)) - Math.PI / 2) * 180 / Math.PI)"
          ".toFixed(3) + '°'")
#: observation attributes that name the platform (first found wins)
PLATFORM_ATTRS = ("platform_id", "platform_code", "wmo_platform_code", "platform_number",
                  "platform_name")


def number_format(values: Any) -> str:
    """A Bokeh number format that shows ``values`` to a useful precision."""
    finite = np.asarray(values, dtype="float64")
    finite = finite[np.isfinite(finite)]
    top = float(np.abs(finite).max()) if finite.size else 1.0
    if top >= 1e5 or (0 < top < 1e-3):
        return "{0.000e+0}"
    return "{0,0}" if top >= 1e4 else "{0.0}" if top >= 100 else "{0.000}"


def with_units(label: str, units: str = "") -> str:
    """``label [units]`` unless the label carries its units already."""
    return label if not units or f"[{units}]" in label else f"{label} [{units}]"


def platform_of(attrs: dict) -> str:
    """The platform's id or code from a dataset's attributes ('' when none)."""
    for key in PLATFORM_ATTRS:
        value = str(attrs.get(key, "") or "").strip()
        if value:
            return value
    return ""


def hover_tool(tips: list[tuple[str, str]], *, dates: tuple[str, ...] = (),
               mercator: bool = False, not_nan: tuple[str, ...] = (),
               formatters: dict | None = None, **params: Any):
    """A HoverTool with ``tips``; fields in ``dates`` print as dates, ``$x``/``$y`` as
    longitude/latitude when ``mercator``, and a hit whose ``not_nan`` field is NaN shows
    no tooltip."""
    from bokeh.models import CustomJS, CustomJSHover, HoverTool

    fmt: dict[str, Any] = {field: "datetime" for field in dates}
    if mercator:
        fmt |= {"$x": CustomJSHover(code=LON_JS), "$y": CustomJSHover(code=LAT_JS)}
    fmt |= formatters or {}
    filters: dict[str, Any] = {field: CustomJS(code=NOT_NAN_JS) for field in not_nan}
    return HoverTool(tooltips=tips, formatters=fmt, filters=filters, **params)


def position_tips() -> list[tuple[str, str]]:
    """Longitude and latitude of the cursor on a Web Mercator map."""
    return [("Longitude", "$x{custom}"), ("Latitude", "$y{custom}")]


def raster_hover(label: str, values: Any, *, extra: list[tuple[str, str]] | None = None,
                 mercator: bool = True, x_date: bool = False, y_label: str = ""):
    """The hover of a rasterized layer (an Image whose value column is ``image``): the
    cell's value, nothing over empty (NaN) cells."""
    tips = position_tips() if mercator else []
    dates: tuple[str, ...] = ()
    if x_date:
        tips, dates = [("Time (UTC)", f"$x{DATE}")], ("$x",)
    if y_label:
        tips.append((y_label, "$y{0.0}"))
    tips += [*(extra or []), (label, f"@image{number_format(values)}")]
    return hover_tool(tips, dates=dates, mercator=mercator, not_nan=("@image",))
