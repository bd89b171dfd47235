"""Time-series quicklook: variables against time, decimated on the server.

Every sample stays available: the series is decimated to about two points per
screen pixel with MinMaxLTTB (extremes kept) and re-sampled on every zoom through a
``RangeX`` stream, so a 10⁸-sample mooring zooms down to its raw samples. The
title says how many samples the source has and how many are drawn. With
``color_by="qc"`` the drawn samples are coloured by their QC flag, with ``color_by="value"``
by their value on the chosen colormap (the only colourings a series offers: see
:data:`COLOR_CHOICES`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from portal.i18n import count, number
from portal.i18n import t as tr
from portal.processing.decimate import decimate_indices, is_regular, window
from portal.processing.qc import FLAG_COLORS, flag_label
from portal.quicklooks import Style
from portal.quicklooks.frames import raster_settled
from portal.quicklooks.hover import raster_hover
from portal.quicklooks.style import ZOOM_LOD, axis_label, depth_label, fit_title, time_label

POINTS_PER_PIXEL = 2
#: the "Colour by" choices that change a time series (time is its x axis already)
COLOR_CHOICES = ("auto", "value", "qc")
FRAMEWISE = ("Curve", "Points", "Scatter")  # the element types a series draws


def _series(obs: xr.Dataset, variable: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    t = obs.time.values
    y = obs[variable].values.astype("float64")
    flags = obs[f"{variable}_qc"].values if f"{variable}_qc" in obs else None
    if t.size > 1 and not (t[1:] >= t[:-1]).all():  # in time order already: no copies
        order = np.argsort(t, kind="stable")  # (NaT last, as before)
        t, y = t[order], y[order]
        flags = flags[order] if flags is not None else None
    return t, y, flags


def _frame(t, y, flags, x_range, n_out: int, regular: bool):
    if x_range is not None and x_range[0] is not None:
        start, end = (np.datetime64(pd.Timestamp(v), "ns") for v in x_range)
        sl = window(t, start, end)
        t, y = t[sl], y[sl]
        flags = flags[sl] if flags is not None else None
    idx = decimate_indices(t, y, n_out, regular)
    return t[idx], y[idx], (flags[idx] if flags is not None else None), t.size


def _curve(t, y, flags, n_visible, total, variable, ylabel, style: Style, title: str):
    import holoviews as hv
    import matplotlib.dates as mdates  # (here: a series thumbnail imports no Matplotlib)

    lang = style.lang
    kdim = hv.Dimension("time", label=time_label(lang))
    head = f"{title} — " + tr("plot_in_source", lang, n=count(total, "sample", lang),
                              drawn=number(t.size, lang))
    if n_visible != total:
        head += tr("plot_in_view", lang, n=number(n_visible, lang))

    span = (t[-1] - t[0]) / np.timedelta64(1, "D") if t.size > 1 else 0.0
    fmt = "%Y-%m-%d" if span > 20 else "%m-%d %H:%M" if span > 1 else "%H:%M"
    curve = hv.Curve((t, y), kdim, ylabel).opts(
        color="#1f4e79", line_width=1.2, tools=[_series_hover(ylabel, y), "xwheel_zoom", "xpan"],
        default_tools=["save", "reset", "xbox_zoom"], active_tools=["xwheel_zoom", "xpan"],
        responsive=True, height=style.height, show_grid=True,
        backend="bokeh").opts(color="#1f4e79", linewidth=0.8, xticks=5,
                              xformatter=mdates.DateFormatter(fmt), show_grid=True,
                              backend="matplotlib")
    layers = [curve]
    if style.color_by == "value" and t.size:
        from portal.quicklooks.style import resolve_cmap

        cmap = resolve_cmap(style.cmap, "", variable)
        pts = hv.Points((t, y, y), [kdim, ylabel], [hv.Dimension("colour", label=ylabel.label)])
        layers.append(pts.opts(color="colour", cmap=cmap, colorbar=True, size=4,
                               backend="bokeh").opts(color="colour", cmap=cmap, colorbar=True,
                                                     s=6, backend="matplotlib"))
    if style.color_by == "qc" and flags is not None:
        scheme = "generic"
        for flag in np.unique(flags):
            sel = flags == flag
            colour = FLAG_COLORS.get(int(flag), "#000000")
            pts = hv.Scatter((t[sel], y[sel]), kdim, ylabel, label=flag_label(int(flag), scheme))
            layers.append(pts.opts(color=colour, size=4, backend="bokeh").opts(
                color=colour, s=6, backend="matplotlib"))
    overlay = hv.Overlay(layers).opts(title=fit_title(head, style.width), lod=ZOOM_LOD,
                                      backend="bokeh").opts(title=head, backend="matplotlib")
    return overlay


def _series_hover(ylabel, values: np.ndarray, level: str = ""):
    """Date and value (with units) of the sample nearest the cursor's time."""
    from portal.quicklooks.hover import DATE, hover_tool, number_format

    tips = [("Time (UTC)", f"@time{DATE}"),
            (ylabel.label, f"@{{{ylabel.name}}}{number_format(values)}")]
    if level:
        tips.append(("Level", level))
    return hover_tool(tips, dates=("@time",), mode="vline")


def _section_hover(clabel: str, zlabel: str, variable: str, values: np.ndarray):
    """Date, depth and value of a sample of a (small, not rasterized) section."""
    from portal.quicklooks.hover import DATE, hover_tool, number_format

    return hover_tool([("Time (UTC)", f"@time{DATE}"), (zlabel, "@z{0.0}"),
                       (clabel, f"@{{{variable}}}{number_format(values)}")], dates=("@time",))


MAX_LINES = 8
MIN_SPREAD = 5.0  # m or dbar
SENSOR_WOBBLE = 0.5  # of the median depth: a fixed sensor's knock-down or tide stays one line


def depth_levels(obs: xr.Dataset) -> np.ndarray | None:
    """Distinct vertical levels (0.1 m/dbar) when the series spans several, else None.

    A sensor whose depth wobbles around one level (a mooring's knock-down, a tide
    gauge's pressure: a 12 m sensor reading 10-15 dbar) spans less than ``MIN_SPREAD`` or
    half its median depth and stays one line; gliders and profiling moorings span more."""
    if "z" not in obs.coords or obs.sizes["obs"] < 2:
        return None
    from portal.cache import derived

    # once per shared view (the median of a 10⁶-sample mooring's depths costs ~30 ms)
    levels = derived("depth_levels", [obs.z.values], lambda: _levels(obs.z.values))
    return None if levels is None else levels.copy()


def _levels(z: np.ndarray) -> np.ndarray | None:
    z = np.asarray(z)  # (in its own type: a float64 copy of 10^6 depths costs)
    finite = np.isfinite(z)
    if not finite.all():  # (a copy only then)
        z = z[finite]
    spread = float(z.max()) - float(z.min()) if z.size else 0.0
    if spread < MIN_SPREAD:  # one sensor: no median to compute (a partition of every sample)
        return None
    if spread < SENSOR_WOBBLE * abs(_median(z)):
        return None
    levels = np.unique(np.round(z.astype("float64"), 1))  # (the levels compared in float64)
    return levels if levels.size > 1 else None


#: depths the median of :func:`depth_levels` is taken over at most (evenly strided): the
#: wobble test needs no exact median, and a partition of 10^6 copies them all
MEDIAN_SAMPLE = 65_536


def _median(z: np.ndarray) -> float:
    return float(np.median(z[::max(z.size // MEDIAN_SAMPLE, 1)]))


def _per_level(obs, variable, levels, ylabel, style: Style, title: str):
    """One decimated line per depth level (the depth selector picks the levels)."""
    import holoviews as hv

    z = np.round(np.asarray(obs.z.values, dtype="float64"), 1)
    unit = str(obs.z.attrs.get("units", "m"))
    n_out = max(style.width * POINTS_PER_PIXEL // levels.size, 100)
    dates = _date_formatter(obs.time.values)
    curves = []
    for level in levels:
        part = obs.isel(obs=np.flatnonzero(z == level))
        t, y, _ = _series(part, variable)
        idx = decimate_indices(t, y, n_out, is_regular(t))
        curve = hv.Curve((t[idx], y[idx]), hv.Dimension("time", label=time_label(style.lang)),
                         ylabel,
                         label=f"{level:g} {unit}")
        curve = curve.opts(tools=[_series_hover(ylabel, y[idx], f"{level:g} {unit}")],
                           backend="bokeh")
        curves.append(curve.opts(xticks=5, xformatter=dates, backend="matplotlib"))
    head = f"{title} — " + tr("plot_levels", style.lang, levels=levels.size,
                              n=count(obs.sizes["obs"], "sample", style.lang))
    overlay = hv.Overlay(curves)
    overlay = overlay.opts(title=fit_title(head, style.width), responsive=True,
                           height=style.height, show_grid=True, legend_position="right",
                           lod=ZOOM_LOD, backend="bokeh")
    return overlay.opts(title=head, show_grid=True, legend_position="right",
                        aspect=style.width / style.height * 0.9, backend="matplotlib")


def _date_formatter(times: np.ndarray):
    """Date ticks that fit the span (days, hours or minutes)."""
    import matplotlib.dates as mdates

    t = np.asarray(times)
    t = t[~np.isnat(t)]
    span = (t.max() - t.min()) / np.timedelta64(1, "D") if t.size > 1 else 0.0
    return mdates.DateFormatter("%Y-%m-%d" if span > 20 else "%m-%d %H:%M" if span > 1
                                else "%H:%M")


def _section(obs, variable, ylabel, style: Style, title: str):
    """Time–depth section: each sample at (time, depth) coloured by its value."""
    import holoviews as hv

    from portal.quicklooks.means import rasterized_mean
    from portal.quicklooks.style import resolve_cmap

    zlabel = depth_label(str(obs.z.attrs.get("units", "m")), style.lang)
    frame = pd.DataFrame({"time": obs.time.values, "z": obs.z.values,
                          variable: obs[variable].values.astype("float64")})
    cmap = resolve_cmap(style.cmap, str(obs[variable].attrs.get("standard_name", "")), variable)
    points = hv.Points(frame, [hv.Dimension("time", label=time_label(style.lang)),
                               hv.Dimension("z", label=zlabel)], [ylabel])
    clabel = getattr(ylabel, "label", str(ylabel))  # rasterize names its output 'time_z VAR'

    head = f"{title} — " + tr("plot_section", style.lang,
                              n=count(len(frame), "sample", style.lang))
    if len(frame) > 20_000:
        element = rasterized_mean(points, ylabel, width=style.width, height=style.height,
                                  dynamic=style.interactive)
        element = element.opts(tools=[raster_hover(clabel, frame[variable].values,
                                                   mercator=False, x_date=True,
                                                   y_label=zlabel)],
                               hooks=[raster_settled], backend="bokeh")
    else:
        element = points.opts(color=variable, size=4, tools=[_section_hover(
            clabel, zlabel, variable, frame[variable].values)], backend="bokeh").opts(
            color=variable, s=6, backend="matplotlib")
    element = element.opts(cmap=cmap, colorbar=True, clabel=clabel, invert_yaxis=True,
                           responsive=True, height=style.height,
                           title=fit_title(head, style.width), backend="bokeh")
    return element.opts(cmap=cmap, colorbar=True, clabel=clabel, invert_yaxis=True, title=head,
                        xticks=5,
                        xformatter=_date_formatter(obs.time.values),
                        aspect=style.width / style.height * 0.9, backend="matplotlib")


def build(obs: xr.Dataset, *, variable: str, feature_type: str, title: str, style: Style):
    """Decimated, zoom-resampled time series of ``variable``; series over several depths
    become one line per level (few levels) or a time–depth section (many), never one
    saw-tooth line through every depth."""
    import holoviews as hv

    levels = depth_levels(obs)
    if levels is not None:
        ylabel = hv.Dimension(variable, label=axis_label(obs[variable].attrs, variable,
                                                           style.lang))
        if levels.size <= MAX_LINES:  # "value" columns, as below
            return _per_level(obs, variable, levels, hv.Dimension("value", label=ylabel.label),
                              style, title)
        return _section(obs, variable, ylabel, style, title)
    t, y, flags = _series(obs, variable)
    # "value", whatever the variable: a page that patches its plot in place with another
    # variable's series keeps the same columns (the label names the variable)
    ylabel = hv.Dimension("value", label=axis_label(obs[variable].attrs, variable, style.lang))
    n_out = max(style.width * POINTS_PER_PIXEL, 200)
    total = t.size
    regular = is_regular(t)  # once: every zoom then bins by index when it can

    def draw(x_range=None):
        tt, yy, ff, n_visible = _frame(t, y, flags, x_range, n_out, regular)
        overlay = _curve(tt, yy, ff, n_visible, total, variable, ylabel, style, title)
        return _refit_y(overlay, x_range, yy, style)

    if not style.interactive:
        return draw().opts(aspect=style.width / style.height * 0.9, backend="matplotlib")
    return hv.DynamicMap(draw, streams=[hv.streams.RangeX()])


def y_limits(values: np.ndarray, pad: float = 0.05) -> tuple[float, float] | None:
    """The y range that fits ``values`` (finite ones), padded; None when there are none."""
    finite = values[np.isfinite(values)]
    if not finite.size:
        return None
    lo, hi = float(finite.min()), float(finite.max())
    margin = (hi - lo) * pad or max(abs(lo) * pad, 1e-9)
    return lo - margin, hi + margin


def _refit_y(overlay, x_range, values: np.ndarray, style: Style):
    """Zooming (the wheel moves time only) refits y to the samples in view, unless
    ``style.lock_y``: the x range stays the one asked for, the y range follows the data."""
    if not style.interactive or style.lock_y:
        return overlay
    # every layer framewise: a patched figure (portal.ui.patch_series) refits its colours too
    overlay = overlay.opts({kind: {"framewise": True} for kind in FRAMEWISE}, backend="bokeh")
    # NaN limits: fit the data (a patched figure keeps the last frame's limits otherwise)
    nan = float("nan")
    opts: dict = {"framewise": True, "ylim": y_limits(values) or (nan, nan), "xlim": (nan, nan)}
    if x_range is not None and None not in x_range:
        opts["xlim"] = tuple(pd.Timestamp(v) for v in x_range)
    return overlay.opts(backend="bokeh", **opts)
