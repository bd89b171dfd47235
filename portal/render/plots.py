"""Profiles and time series as PNGs with Matplotlib alone: the CLI's and thumbnails' path.

The map kinds have their own fast path (:mod:`.maps`); this module draws the two other
kinds from the pipeline's view (:func:`portal.pipeline.load_view`) straight on a Matplotlib
``Figure`` with the Agg canvas — no pyplot, HoloViews, GeoViews, Cartopy or Bokeh, so a cold
``odatis-portal quicklook`` stays near the ``import xarray, matplotlib`` floor. It reuses
the quicklook builders' data helpers (profile paths and casts, MinMaxLTTB decimation, depth
levels, colormaps, date ticks), so the PNG shows what the page shows: one line per
profile coloured by time, cycle, QC flag or value, the vertical axis down; a decimated
series (QC or value colouring), one line per depth level, or a time–depth section; a
point store's profile density. A ``bare`` figure is a thumbnail: the plot fills the image,
with no title, axis labels, ticks or colour bar that would be unreadable at 320×200.
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING, cast

import numpy as np

from portal.i18n import count, number
from portal.i18n import t as tr
from portal.text import one_line

if TYPE_CHECKING:
    import xarray as xr

    from portal.model import DatasetEntry, Query
    from portal.quicklooks import Style

DPI = 100
LINE = "#1f4e79"
SECTION_POINTS = 20_000  # above: a binned mean image, as the page rasterizes


def plot_png(entry: DatasetEntry, kind: str, query: Query, style: Style,
             bare: bool = False) -> bytes | None:
    """PNG bytes of a ``profile`` or ``timeseries`` quicklook, or None where this path does
    not draw it (several variables at once: the stacked HoloViews layout)."""
    from portal.pipeline import load_view
    from portal.processing.variables import titled, view_notes
    from portal.sources import is_aggregating

    if "," in (query.variable or "") or kind not in ("profile", "timeseries"):
        return None
    if is_aggregating(entry):
        return density_png(entry, query, style, bare) if kind == "profile" else None
    view = load_view(entry, kind, query)
    obs = cast("xr.Dataset", view.data)  # observations: grids have only the map kind
    if bare and kind == "timeseries":
        png = series_thumbnail(obs, view.variable, style)
        if png is not None:
            return png
    title = one_line(titled(entry.title or entry.id, view.qc, list(view.warnings),
                            view_notes(view.data), style.lang))
    draw = draw_profile if kind == "profile" else draw_timeseries
    return _png(lambda ax: draw(ax, obs, view.variable, style), title, style, bare)


def _png(draw, title: str, style: Style, bare: bool) -> bytes:
    """Run ``draw(ax)`` on a fresh figure of the style's size; ``draw`` returns the title's
    figures (``"N profiles, M samples"``) and the colour scale to show, if any."""
    from portal.render.png import collect_garbage

    png = _drawn_png(draw, title, style, bare)
    collect_garbage()  # the figure's reference cycles, unreachable now
    return png


def _drawn_png(draw, title: str, style: Style, bare: bool) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from portal.render.png import _LOCK, _title_on_figure, keep_texts_inside, save_plain

    fig = Figure(figsize=(style.width / DPI, style.height / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0) if bare else (0.1, 0.12, 0.72, 0.74))
    with _LOCK:  # Matplotlib's text and font caches are not thread-safe
        figures, scale = draw(ax)
        if bare:
            _strip(ax)
        else:
            ax.grid(True, color="#dddddd", linewidth=0.6)
            ax.set_axisbelow(True)
            if scale is not None:
                _colorbar(fig, ax, *scale)
            ax.set_title(f"{title} — {figures}" if figures else title)
            _title_on_figure(fig, style.width)
            keep_texts_inside(fig)
        buf = io.BytesIO()
        save_plain(fig, buf, format="png", dpi=DPI, facecolor="white")
    return buf.getvalue()


def _strip(ax) -> None:
    """A thumbnail: no ticks, labels, legend or spines, data to the edges."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    legend = ax.get_legend()
    if legend is not None:
        legend.remove()
    for spine in ax.spines.values():
        spine.set_color("#bbbbbb")


def _colorbar(fig, ax, mappable, label: str, dates: bool) -> None:
    """A colour bar beside the axes; over times its ticks are round dates."""
    bar = fig.colorbar(mappable, ax=ax, fraction=0.05, pad=0.02)
    bar.set_label(label)
    if dates:
        from portal.quicklooks.style import date_ticks

        lo, hi = mappable.get_clim()
        marks = date_ticks(lo, hi)
        bar.set_ticks([m for m, _ in marks], labels=[text for _, text in marks])


def _cmap(colors):
    from matplotlib.colors import ListedColormap

    return ListedColormap(list(colors))


def _time_clim(values: np.ndarray) -> tuple[float, float]:
    """The range of times (ms), an instant widened to a day, as the page (``time_range``)."""
    from portal.quicklooks.style import time_range

    finite = values[np.isfinite(values)]
    return time_range(*((float(finite.min()), float(finite.max())) if finite.size
                        else (0.0, 1.0)))


def _z_label(obs: xr.Dataset, lang: str) -> str:
    from portal.quicklooks.style import depth_label

    return depth_label(str(obs.z.attrs.get("units", "")), lang)


def draw_profile(ax, obs: xr.Dataset, variable: str, style: Style):
    """Profiles of ``variable`` against depth (down): lines coloured by time or cycle,
    or samples coloured by QC flag or by value (``style.color_by``)."""
    from portal.quicklooks.style import axis_label

    color = style.color_by if style.color_by in ("time", "feature", "qc", "value") else "time"
    n_profiles = int(np.unique(obs.feature.values).size)
    ax.set_xlabel(axis_label(obs[variable].attrs, variable, style.lang))
    ax.set_ylabel(_z_label(obs, style.lang))
    x, z = obs[variable].values.astype("float64"), obs.z.values.astype("float64")
    scale = None
    if color == "qc" and f"{variable}_qc" in obs:
        _qc_scatter(ax, x, z, obs[f"{variable}_qc"].values, _scheme(obs, variable), 8)
    elif color == "value":
        scale = _value_scatter(ax, x, z, x, obs, variable, style)
    else:
        n_profiles, scale = _profile_lines(ax, obs, variable, style, color)
    if not ax.yaxis_inverted():
        ax.invert_yaxis()
    lang = style.lang
    return f"{count(n_profiles, 'profile', lang)}, {count(obs.sizes['obs'], 'sample', lang)}", scale


def _profile_paths(values: np.ndarray, z: np.ndarray, starts: np.ndarray,
                   cvalues: np.ndarray) -> list[np.ndarray]:
    """One (value, z, colour) array per profile (or cast), from the page's grouping."""
    bounds = np.append(starts[1:], values.size)
    return [np.column_stack([values[a:b], z[a:b], np.full(b - a, c)])
            for a, b, c in zip(starts, bounds, cvalues, strict=True) if b > a]


def _profile_lines(ax, obs: xr.Dataset, variable: str, style: Style, color: str):
    from matplotlib.collections import LineCollection

    from portal.quicklooks.profile import _grouped
    from portal.quicklooks.style import resolve_cmap, time_label

    if color == "time" and "time" not in obs.coords:
        color = "feature"
    paths = _profile_paths(*_grouped(obs, variable, color))
    n_profiles = max(int(np.unique(obs.feature.values).size), len(paths))
    cmap = _cmap(resolve_cmap("viridis" if style.cmap == "auto" else style.cmap))
    cvalues = np.array([p[0, 2] for p in paths]) if paths else np.zeros(0)
    dates = color == "time"
    clim = _time_clim(cvalues) if dates else _range(cvalues)
    if paths and max(len(p) for p in paths) == 1:  # one sample per "profile": dots
        pts = np.concatenate(paths)
        artist = ax.scatter(pts[:, 0], pts[:, 1], c=pts[:, 2], cmap=cmap, s=12,
                            vmin=clim[0], vmax=clim[1])
    else:
        artist = LineCollection([p[:, :2] for p in paths], cmap=cmap, linewidths=1.2)
        artist.set_array(cvalues)
        artist.set_clim(*clim)
        ax.add_collection(artist)
        ax.autoscale_view()
    label = time_label(style.lang) if dates else tr("plot_cycle", style.lang)
    return n_profiles, ((artist, label, dates) if n_profiles > 1 else None)


def _range(values: np.ndarray) -> tuple[float, float]:
    from portal.render.fast import color_limits

    return color_limits(np.asarray(values, dtype="float64"))


def _scheme(obs: xr.Dataset, variable: str) -> str:
    return str(obs[f"{variable}_qc"].attrs.get("qc_scheme", "generic"))


def _qc_scatter(ax, x, y, flags: np.ndarray, scheme: str, size: int) -> None:
    """Samples coloured by QC flag, one legend entry per flag present."""
    from portal.processing.qc import FLAG_COLORS, flag_label

    for flag in np.unique(flags):
        sel = flags == flag
        ax.scatter(x[sel], y[sel], s=size, color=FLAG_COLORS.get(int(flag), "#000000"),
                   label=flag_label(int(flag), scheme))
    ax.legend(loc="best", fontsize=8)


def _value_scatter(ax, x, y, value, obs: xr.Dataset, variable: str, style: Style):
    from portal.quicklooks.style import axis_label, resolve_cmap

    colours = resolve_cmap(style.cmap, str(obs[variable].attrs.get("standard_name", "")),
                           variable)
    artist = ax.scatter(x, y, c=value, cmap=_cmap(colours), s=8)
    return artist, axis_label(obs[variable].attrs, variable, style.lang), False


def draw_timeseries(ax, obs: xr.Dataset, variable: str, style: Style):
    """The decimated series of ``variable`` (extremes kept); over several depths one line
    per level (few) or a time–depth section (many), as the page draws them."""
    from portal.quicklooks.style import axis_label, time_label
    from portal.quicklooks.timeseries import MAX_LINES, depth_levels

    ax.set_xlabel(time_label(style.lang))
    levels = depth_levels(obs)
    if levels is not None and levels.size <= MAX_LINES:
        ax.set_ylabel(axis_label(obs[variable].attrs, variable, style.lang))
        return _per_level(ax, obs, variable, levels, style), None
    if levels is not None:
        ax.set_ylabel(_z_label(obs, style.lang))
        return _section(ax, obs, variable, style)
    ax.set_ylabel(axis_label(obs[variable].attrs, variable, style.lang))
    return _series_lines(ax, obs, variable, style)


def _decimated(obs: xr.Dataset, variable: str, width: int):
    """(times, values, flags, kept, indices): the valid samples in time order and the
    indices of the at most ``width * POINTS_PER_PIXEL`` (>= 200) of them drawn, extremes
    kept (MinMaxLTTB), as the page decimates."""
    from portal.processing.decimate import decimate_indices, is_regular
    from portal.quicklooks.timeseries import POINTS_PER_PIXEL, _series

    t, y, flags = _series(obs, variable)
    keep = ~np.isnat(t) & np.isfinite(y)
    if not keep.all():  # (copies only then)
        t, y = t[keep], y[keep]
    idx = decimate_indices(t, y, max(width * POINTS_PER_PIXEL, 200), is_regular(t))
    return t, y, flags, keep, idx


def _series_lines(ax, obs: xr.Dataset, variable: str, style: Style):
    t, y, flags, keep, idx = _decimated(obs, variable, style.width)
    ax.plot(t[idx], y[idx], color=LINE, linewidth=0.8)
    scale = None
    if style.color_by == "value" and idx.size:
        scale = _value_scatter(ax, t[idx], y[idx], y[idx], obs, variable, style)
    if style.color_by == "qc" and flags is not None:
        _qc_scatter(ax, t[idx], y[idx], flags[keep][idx], _scheme(obs, variable), 6)
    _date_axis(ax, t)
    lang = style.lang
    return tr("plot_in_source", lang, n=count(obs.sizes["obs"], "sample", lang),
             drawn=number(idx.size, lang)), scale


#: a thumbnail's line is drawn this many times larger, then reduced (antialiasing)
SUPERSAMPLE = 3
MARGIN = 0.05  # of each axis' span on both sides, as Matplotlib's autoscale
FRAME = "#bbbbbb"  # a bare plot's spines (:func:`_strip`)


def series_thumbnail(obs: xr.Dataset, variable: str, style: Style) -> bytes | None:
    """A bare single-line series as a PNG drawn with PIL (no Matplotlib figure to import or
    build: ~0.3 s of a cold process): the same decimated samples and line colour as the
    Matplotlib thumbnail, 5 % margins, a light frame. None where that is not what the
    thumbnail shows (several depth levels, colouring by value or QC, nothing valid)."""
    from portal.quicklooks.timeseries import depth_levels

    if style.color_by in ("value", "qc") or depth_levels(obs) is not None:
        return None
    t, y, _, _, idx = _decimated(obs, variable, style.width)
    if idx.size < 2:
        return None
    x = t[idx].astype("datetime64[ns]").astype("int64").astype("float64")
    return _line_png(x, y[idx].astype("float64"), style.width, style.height)


def _scaled(values: np.ndarray, size: int, flip: bool) -> np.ndarray:
    """Pixel coordinates (supersampled) of ``values`` on an axis of ``size`` pixels."""
    lo, hi = float(values.min()), float(values.max())
    span = hi - lo if hi > lo else max(abs(lo), 1.0)
    lo, hi = (lo - MARGIN * span, hi + MARGIN * span) if hi > lo else (lo - span, lo + span)
    frac = (values - lo) / (hi - lo)
    return (1.0 - frac if flip else frac) * (size * SUPERSAMPLE - 1)


def _line_png(x: np.ndarray, y: np.ndarray, width: int, height: int) -> bytes:
    from PIL import Image, ImageDraw

    from portal.render.fast import PNG_COMPRESS_LEVEL

    image = Image.new("RGB", (width * SUPERSAMPLE, height * SUPERSAMPLE), "white")
    points = np.column_stack([_scaled(x, width, False), _scaled(y, height, True)])
    line_px = math.ceil(0.8 * DPI / 72 * SUPERSAMPLE)  # Matplotlib's 0.8 pt line, snapped
    ImageDraw.Draw(image).line(points.ravel().tolist(), fill=LINE, width=line_px,
                               joint="curve")
    image = image.reduce(SUPERSAMPLE)
    ImageDraw.Draw(image).rectangle((0, 0, width - 1, height - 1), outline=FRAME)
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buf.getvalue()


def _per_level(ax, obs: xr.Dataset, variable: str, levels: np.ndarray, style: Style) -> str:
    from portal.processing.decimate import decimate_indices, is_regular
    from portal.quicklooks.timeseries import POINTS_PER_PIXEL, _series

    z = np.round(np.asarray(obs.z.values, dtype="float64"), 1)
    unit = str(obs.z.attrs.get("units", "m"))
    n_out = max(style.width * POINTS_PER_PIXEL // levels.size, 100)
    for level in levels:
        t, y, _ = _series(obs.isel(obs=np.flatnonzero(z == level)), variable)
        keep = ~np.isnat(t) & np.isfinite(y)
        t, y = t[keep], y[keep]
        idx = decimate_indices(t, y, n_out, is_regular(t))
        ax.plot(t[idx], y[idx], linewidth=0.8, label=f"{level:g} {unit}")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    _date_axis(ax, obs.time.values)
    return tr("plot_levels", style.lang, levels=levels.size,
             n=count(obs.sizes["obs"], "sample", style.lang))


def _section(ax, obs: xr.Dataset, variable: str, style: Style):
    """Each sample at (time, depth) coloured by its value; a binned mean when dense."""
    from portal.quicklooks.style import axis_label, resolve_cmap, time_colour_values
    from portal.render.maps import binned_mean

    t_ms = time_colour_values(obs.time.values)
    z = obs.z.values.astype("float64")
    value = obs[variable].values.astype("float64")
    cmap = _cmap(resolve_cmap(style.cmap, str(obs[variable].attrs.get("standard_name", "")),
                              variable))
    ok = np.isfinite(t_ms) & np.isfinite(z)
    days = t_ms / 86_400_000.0  # Matplotlib's date numbers (days since 1970)
    if ok.sum() > SECTION_POINTS:
        extent = (float(days[ok].min()), float(z[ok].min()), float(days[ok].max()),
                  float(z[ok].max()))
        grid = binned_mean(days[ok], z[ok], value[ok], extent, max(style.width // 2, 1),
                           max(style.height // 2, 1))
        artist = ax.imshow(grid, origin="lower", aspect="auto", cmap=cmap, interpolation="nearest",
                           extent=(extent[0], extent[2], extent[1], extent[3]))
    else:
        artist = ax.scatter(days[ok], z[ok], c=value[ok], cmap=cmap, s=6)
    ax.invert_yaxis()
    _date_axis(ax, obs.time.values)
    label = axis_label(obs[variable].attrs, variable, style.lang)
    return tr("plot_section", style.lang, n=count(obs.sizes["obs"], "sample", style.lang)), (
        artist, label, False)


def _date_axis(ax, times: np.ndarray) -> None:
    from portal.quicklooks.timeseries import _date_formatter

    ax.xaxis.set_major_formatter(_date_formatter(times))
    ax.xaxis.set_major_locator(_locator())


def _locator():
    import matplotlib.dates as mdates

    return mdates.AutoDateLocator(minticks=3, maxticks=6)


def density_png(entry: DatasetEntry, query: Query, style: Style, bare: bool) -> bytes:
    """A point store's profile density (observations per (value, depth) cell, log colour),
    from the same aggregation as the page's."""
    import dataclasses

    from portal.pipeline import resolve_variable
    from portal.quicklooks.pointprofile import CELL_PX
    from portal.quicklooks.style import resolve_cmap
    from portal.sources import open_aggregator

    if query.qc == "auto":  # the store's own default, as the page
        query = dataclasses.replace(query, qc="all")
    handle = open_aggregator(entry)
    variable = resolve_variable(entry, query.variable) or "TEMP"
    da = handle.profile_density(query, variable=variable, width=max(style.width // CELL_PX, 80),
                                height=max(style.height // CELL_PX, 60), value_range=None,
                                depth_range=query.depth)
    counts = da.values.astype("float32")
    with np.errstate(divide="ignore", invalid="ignore"):
        colour = np.where(counts > 0, np.log10(np.maximum(counts, 1e-3)), np.nan)
    cmap = _cmap(resolve_cmap("viridis" if style.cmap == "auto" else style.cmap))
    x, y = da.x.values, da.y.values

    def draw(ax):
        artist = ax.pcolormesh(x, y, colour, cmap=cmap, shading="nearest")
        ax.invert_yaxis()
        ax.set_xlabel(variable)
        ax.set_ylabel("Pressure [dbar] or depth [m]")
        figures = f"profile density of {variable}: {int(counts.sum()):,} observations"
        return figures, (artist, "Observations per cell (log10)", False)

    return _png(draw, one_line(entry.title or entry.id), style, bare)
