"""The colocation's PNG: scatter of observed against gridded values and the map of their
differences, drawn with Matplotlib alone (no HoloViews on this path).

:func:`figure` lays out scatter | difference map | colour bar as three columns of a grid
spec under constrained layout: the colour bar has an axis of its own and never covers the
map, and titles and labels (font scaled to the image) stay inside it from 400×300 to large
sizes. The panels are those of :func:`portal.quicklooks.colocate.build` (the page's, in
Bokeh): the same drawn rows, title, 1:1 line, diverging colormap centred on zero and
offline coastlines. :func:`render_png` saves it under the Matplotlib render lock.
"""

from __future__ import annotations

import io
import textwrap
from typing import TYPE_CHECKING

import numpy as np

from portal.i18n import t
from portal.processing.colocate import SHORT_UNITS
from portal.quicklooks.colocate import DIFF_CMAP, _drawn, _window, method_name, title_of
from portal.quicklooks.style import _land_clipped
from portal.render.png import _LOCK, DPI, collect_garbage, save_plain

if TYPE_CHECKING:
    from portal.processing.colocate import Colocation


def figure(result: Colocation, grid_name: str, obs_name: str, width: int = 800,
           height: int = 500, lang: str = "en"):
    """The Matplotlib figure of the PNG: scatter | difference map | colour bar, each in a
    column of a grid spec under constrained layout, the title wrapped over the figure."""
    from matplotlib.figure import Figure
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    drawn, step = _drawn(result)
    size = float(np.clip(min(width / 80, height / 50), 6.0, 10.0))  # points, fits 400x300
    fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, layout=ConstrainedLayoutEngine(
        w_pad=2 / DPI, h_pad=2 / DPI, wspace=0.04))
    grid = fig.add_gridspec(1, 3, width_ratios=[1, 1, 0.05])
    scatter, diff_map, bar = (fig.add_subplot(grid[0, i]) for i in range(3))
    short = SHORT_UNITS.get(result.obs_units, result.obs_units)
    units = f" [{short}]" if short else ""
    _mpl_scatter(scatter, drawn, result, units, size, lang)
    points = _mpl_diff_map(diff_map, drawn, size, lang)
    colorbar = fig.colorbar(points, cax=bar)
    colorbar.set_label(t("coloc_difference", lang, units=units), fontsize=size)
    colorbar.ax.tick_params(labelsize=size)
    title = title_of(result, grid_name, obs_name, lang) + (
        t("title_one_in", lang, step=step) if step > 1 else "")
    per_line = max(int(width / (size * DPI / 72 * 0.6)), 30)  # ~0.6 em a character
    fig.suptitle("\n".join(textwrap.wrap(title, per_line, max_lines=3, placeholder=" …")),
                 fontsize=size)
    return fig


def _mpl_scatter(ax, drawn, result: Colocation, units: str, size: float,
                 lang: str = "en") -> None:
    observed, gridded = drawn.observed.to_numpy(), drawn.gridded.to_numpy()
    values = np.concatenate([observed, gridded])
    lo, hi = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
    pad = (hi - lo) * 0.05 or 0.5
    lo, hi = lo - pad, hi + pad
    ax.plot([lo, hi], [lo, hi], color="#333333", linestyle="--", linewidth=1, label="1:1")
    ax.scatter(observed, gridded, s=max(size * 2, 8), color="#1f5fa8", alpha=0.7)
    ax.set(xlim=(lo, hi), ylim=(lo, hi))
    ax.set_xlabel(t("coloc_observed", lang, variable=result.obs_variable, units=units),
                  fontsize=size)
    ax.set_ylabel(t("coloc_gridded", lang, variable=result.grid_variable, units=units,
                    method=method_name(result.method, lang)), fontsize=size)
    ax.set_title(t("coloc_scatter_title", lang), fontsize=size)
    ax.tick_params(labelsize=size)


def _mpl_diff_map(ax, drawn, size: float, lang: str = "en"):
    diff = (drawn.observed - drawn.gridded).to_numpy()
    limit = float(np.abs(diff).max()) if diff.size else 0.0
    lon, lat = drawn.longitude.to_numpy(), drawn.latitude.to_numpy()
    window = _window(lon, lat)
    for polygon in _land_clipped(tuple(round(v, 2) for v in window), False):
        ax.fill(*polygon.exterior.xy, facecolor="#eeeeee", edgecolor="#4a4a4a", linewidth=0.6)
    points = ax.scatter(lon, lat, c=diff, cmap=DIFF_CMAP, vmin=-limit or -1, vmax=limit or 1,
                        s=max(size * 3, 12), edgecolors="#333333", linewidths=0.5, zorder=3)
    ax.set(xlim=window[0::2], ylim=window[1::2])
    ax.set_xlabel("Longitude [°E]", fontsize=size)
    ax.set_ylabel("Latitude [°N]", fontsize=size)
    ax.set_title(t("coloc_diff_title", lang, units=""), fontsize=size)
    ax.tick_params(labelsize=size)
    return points


def render_png(result: Colocation, grid_name: str, obs_name: str, width: int = 800,
               height: int = 500, lang: str = "en") -> bytes:
    """PNG bytes of :func:`figure` (under the Matplotlib render lock), labelled in ``lang``."""
    buf = io.BytesIO()
    with _LOCK:  # Matplotlib is not thread-safe
        fig = figure(result, grid_name, obs_name, width, height, lang)
        save_plain(fig, buf, format="png", facecolor="white")
    del fig
    collect_garbage()  # the figure's reference cycles, unreachable now
    return buf.getvalue()
