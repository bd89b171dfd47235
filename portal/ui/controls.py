"""Which quicklook controls apply, and the grid's time and depth steps they offer.

The quicklook pane shows a control only where it changes the view (:func:`applicable`:
the "Colour by" choices a kind honours, QC, colormap, y lock, variable), and steps a
gridded field's sliders through its time steps and depth levels (:func:`grid_axes`),
labelled for the slider (:func:`step_label`) and written in the URL (:func:`step_param`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from portal.model import DatasetEntry
from portal.quicklooks import COLOR_BY


def applicable(kind: str, entry: DatasetEntry, color: str) -> dict[str, Any]:
    """Which style controls change the view of ``kind``: the "Colour by" choices it
    honours, whether QC and the colormap apply, whether the y lock does, whether the
    variable does (a T-S diagram draws its temperature and salinity, whatever the chosen
    variable). A control that does not apply is hidden or disabled, never silently ignored."""
    from portal.quicklooks.timeseries import COLOR_CHOICES

    grid = entry.feature_type == "grid"
    if kind == "map" and grid:
        colors: tuple[str, ...] = ()  # a field is coloured by its value; no QC flags
    elif kind == "timeseries":
        colors = COLOR_CHOICES
    elif kind in ("section", "timedepth", "linked"):
        colors = ()  # coloured by the variable itself
    elif kind == "ts":
        colors = COLOR_BY  # "value" is σ₀
    else:
        colors = tuple(c for c in COLOR_BY if c != "depth")
    cmap = not (color == "qc" and colors) and (kind != "timeseries" or color == "value")
    return {"colors": colors, "qc": not (kind == "map" and grid), "cmap": cmap,
            "lock_y": kind == "timeseries", "variable": kind != "ts"}

def grid_axes(entry: DatasetEntry, query) -> tuple[list, list]:
    """The time steps (numpy datetimes) and depth levels of a gridded entry's variable
    ([] when it has none or is not a grid): what the grid's sliders step through."""
    from portal.pipeline import normalised_data

    if entry.feature_type != "grid":
        return [], []
    try:
        grid = normalised_data(entry, query.replace(time=None, at=None, depth=None))
    except Exception:  # noqa: BLE001 - the plot shows the error; the sliders just stay away
        return [], []
    if not hasattr(grid, "dims"):
        return [], []
    times = list(grid.time.values) if "time" in grid.dims else []
    levels = [float(z) for z in grid.z.values] if "z" in grid.dims else []
    return times, levels


def step_label(value) -> str:
    """A time step as the slider shows it (a date, with the time of day when not 00:00)."""
    ts = pd.Timestamp(value)
    return ts.strftime("%Y-%m-%d" if ts == ts.normalize() else "%Y-%m-%d %H:%M")


def step_param(value) -> str:
    """A time step as the URL's ``at`` holds it (ISO, UTC)."""
    return pd.Timestamp(value).strftime("%Y-%m-%dT%H:%M:%SZ")
