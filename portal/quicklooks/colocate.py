"""Colocation quicklook: observed against gridded values, and where they differ.

:func:`build` turns a :class:`~portal.processing.colocate.Colocation` into a two-panel
HoloViews layout: a scatter of observed (x) against gridded (y) values with the 1:1 line,
N, bias (observed − gridded), RMSE, the units and the sampling method in the title; and a
map of the differences (observed − gridded) at the observations, on a diverging colormap
centred on zero, over the offline coastlines. Rows without a grid value (land, cloud) are
not drawn. The page draws it with Bokeh; the PNG route draws the same two panels with
Matplotlib alone (:mod:`portal.render.colocate`); nothing here opens files.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import numpy as np

from portal.i18n import t
from portal.quicklooks import Style

if TYPE_CHECKING:
    from portal.processing.colocate import Colocation

MAX_DRAWN = 20_000  # points drawn per panel (every k-th beyond: the statistics use all)
DIFF_CMAP = "RdBu_r"


def title_of(result: Colocation, grid_name: str, obs_name: str, lang: str = "en") -> str:
    """``OBS (var) vs GRID (var) — N=…, bias=…, RMSE=… units (method)`` in ``lang``."""
    from portal.processing.colocate import SHORT_UNITS

    s = result.stats()
    units = f" {SHORT_UNITS.get(result.obs_units, result.obs_units)}" if result.obs_units else ""
    return t("title_coloc", lang, obs=obs_name, obs_var=result.obs_variable, grid=grid_name,
             grid_var=result.grid_variable, n=s["n"], bias=f"{s['bias']:.3g}{units}",
             rmse=f"{s['rmse']:.3g}{units}", method=method_name(result.method, lang))


def method_name(method: str, lang: str = "en") -> str:
    """"nearest", "linear" in ``lang`` ("plus proche", "linéaire")."""
    return t(f"coloc_{method}", lang).lower() if method in ("nearest", "linear") else method


def build(result: Colocation, grid_name: str, obs_name: str, style: Style | None = None):
    """The scatter-with-1:1 and the difference map, side by side."""
    import holoviews as hv

    from portal.quicklooks import ensure_backends

    ensure_backends()
    style = style or Style()
    drawn, step = _drawn(result)
    units = f" [{result.obs_units}]" if result.obs_units else ""
    width = max(style.width // 2, 150)
    title = title_of(result, grid_name, obs_name, style.lang) + (
        t("title_one_in", style.lang, step=step) if step > 1 else "")
    if style.interactive:  # Bokeh never wraps: each part on its own lines, none cut
        per_line = max(int((width - 80) / 8.5), 30)  # bold 13 px: ~8.5 px a character
        title = "\n".join(line for part in title.split(" — ", 1)
                          for line in textwrap.wrap(part, per_line))
    scatter = _scatter(drawn, result, units, title, width, style)
    diff_map = _diff_map(drawn, units, width, style)
    return hv.Layout([scatter, diff_map]).cols(2).opts(
        sublabel_format="", hspace=0.6, tight=True, backend="matplotlib")


def _scatter(drawn, result: Colocation, units: str, title: str, width: int, style: Style):
    import holoviews as hv

    lang = style.lang
    obs_label = t("coloc_observed", lang, variable=result.obs_variable, units=units)
    grid_label = t("coloc_gridded", lang, variable=result.grid_variable, units=units,
                   method=method_name(result.method, lang))
    values = np.concatenate([drawn.observed.to_numpy(), drawn.gridded.to_numpy()])
    lo, hi = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
    pad = (hi - lo) * 0.05 or 0.5
    lo, hi = lo - pad, hi + pad
    points = hv.Scatter((drawn.observed.to_numpy(), drawn.gridded.to_numpy()),
                        kdims=[hv.Dimension("observed", label=obs_label)],
                        vdims=[hv.Dimension("gridded", label=grid_label)])
    one = hv.Curve(([lo, hi], [lo, hi]), label="1:1")
    common = {"xlim": (lo, hi), "ylim": (lo, hi)}
    points = points.opts(color="#1f5fa8", alpha=0.6, size=5, tools=["hover"], backend="bokeh",
                         **common).opts(color="#1f5fa8", alpha=0.7, s=25, backend="matplotlib")
    one = one.opts(color="#333333", line_dash="dashed", backend="bokeh").opts(
        color="#333333", linestyle="--", backend="matplotlib")
    overlay = (points * one).opts(title=title, show_legend=False, backend="bokeh").opts(
        title=title, show_legend=False, backend="matplotlib")
    return overlay.opts(width=width, height=style.height, backend="bokeh", **common).opts(
        backend="matplotlib", **common)


def _diff_map(drawn, units: str, width: int, style: Style):
    import holoviews as hv

    diff = (drawn.observed - drawn.gridded).to_numpy()
    limit = float(np.abs(diff).max()) if diff.size else 1.0
    lon, lat = drawn.longitude.to_numpy(), drawn.latitude.to_numpy()
    label = t("coloc_difference", style.lang, units=units)
    points = hv.Points((lon, lat, diff), kdims=["longitude", "latitude"],
                       vdims=[hv.Dimension("difference", label=label)])
    points = points.opts(color="difference", cmap=DIFF_CMAP, clim=(-limit or -1, limit or 1),
                         colorbar=True, backend="bokeh", size=8, tools=["hover"],
                         line_color="#333333").opts(
        color="difference", cmap=DIFF_CMAP, clim=(-limit or -1, limit or 1), colorbar=True,
        backend="matplotlib", s=30, edgecolors="#333333")
    window = _window(lon, lat)
    land = _land(window)
    out = land * points if land is not None else points
    opts = {"title": t("coloc_diff_title", style.lang, units=units), "xlim": window[0::2],
            "ylim": window[1::2], "xlabel": "Longitude [°E]", "ylabel": "Latitude [°N]"}
    return out.opts(width=width, height=style.height, backend="bokeh", **opts).opts(
        backend="matplotlib", **opts)


def _window(lon: np.ndarray, lat: np.ndarray) -> tuple[float, float, float, float]:
    """(W, S, E, N) around the points, at least 2° wide."""
    if lon.size == 0:
        return (-180.0, -90.0, 180.0, 90.0)
    west, east, south, north = lon.min(), lon.max(), lat.min(), lat.max()
    pad = max((east - west), (north - south), 2.0) * 0.2
    return (float(west - pad), float(max(south - pad, -90)), float(east + pad),
            float(min(north + pad, 90)))


def _land(window):
    import holoviews as hv

    from portal.quicklooks.style import _land_clipped

    polygons = [{"longitude": np.asarray(g.exterior.xy[0]),
                 "latitude": np.asarray(g.exterior.xy[1])}
                for g in _land_clipped(tuple(round(v, 2) for v in window), False)]
    if not polygons:
        return None
    coast = hv.Path(polygons, kdims=["longitude", "latitude"])
    return coast.opts(color="#4a4a4a", line_width=0.8, backend="bokeh").opts(
        color="#4a4a4a", linewidth=0.8, backend="matplotlib")


def _drawn(result: Colocation):
    paired = result.paired
    step = max(len(paired) // MAX_DRAWN + (len(paired) % MAX_DRAWN > 0), 1)
    return paired.iloc[::step], step
