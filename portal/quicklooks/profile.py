"""Profile quicklook: a variable against pressure or depth, the vertical axis down.

One or many profiles are drawn as ONE ``hv.Segments`` table (each pair of consecutive
samples of a profile; one glyph, whose ranges HoloViews computes at once), coloured by
time (default) or by cycle/profile number; with
``color_by="qc"`` the samples are drawn as points coloured by their QC flag, and with
``color_by="value"`` as points coloured by the variable itself (on the colormap).
In the page an invisible layer of every sample carries the hover: the value with its
units, the depth or pressure, the date, the cycle and the platform.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from portal.i18n import count, t
from portal.processing.qc import FLAG_COLORS, flag_label
from portal.quicklooks import Style, columns
from portal.quicklooks.style import (
    axis_label,
    depth_label,
    fit_title,
    resolve_cmap,
    time_colorbar_opts,
    time_colour_values,
    time_label,
)


def _grouped(obs: xr.Dataset, variable: str, color: str):
    """The samples grouped by profile (measurement order kept): values, z, the index where
    each profile (or cast) starts, and each profile's colour value (time or number)."""
    feature, values, z = obs.feature.values, obs[variable].values, obs.z.values
    times = obs.time.values if "time" in obs.coords else None
    if (np.diff(feature) < 0).any():  # profiles interleaved: group them (measurement order kept)
        order = np.argsort(feature, kind="stable")
        feature, values, z = feature[order], values[order], z[order]
        times = times[order] if times is not None else None
    starts = np.union1d(np.concatenate([[0], np.flatnonzero(np.diff(feature)) + 1]),
                        _cast_starts(z)).astype(int)
    has_time = color == "time" and times is not None and not np.isnat(times).all()
    cvalues = (time_colour_values(times[starts]) if has_time and times is not None
               else feature[starts].astype("float64"))
    return values.astype("float64"), z.astype("float64"), starts, cvalues


def _segments(values: np.ndarray, z: np.ndarray, starts: np.ndarray,
              cvalues: np.ndarray) -> np.ndarray:
    """(x0, z0, x1, z1, colour) of each pair of consecutive finite samples of one profile:
    every profile in ONE table, drawn as one glyph. (A list of per-profile lines made
    HoloViews work out ranges one line at a time: ~70 % of a render.)"""
    profile = np.zeros(values.size, dtype=int)
    profile[starts[1:]] = 1
    profile = np.cumsum(profile)  # the profile of each sample
    finite = np.isfinite(values) & np.isfinite(z)
    keep = (profile[1:] == profile[:-1]) & finite[1:] & finite[:-1]
    return np.column_stack([values[:-1][keep], z[:-1][keep], values[1:][keep], z[1:][keep],
                            cvalues[profile[:-1][keep]]]).astype("float32")  # half the bytes


def _cast_starts(z: np.ndarray) -> np.ndarray:
    """Where a new cast begins inside one "profile": the depth jumps from the deepest fifth
    of the range back to the top fifth (flat tables, e.g. ERDDAP tabledap, that join
    several casts); a profile stored bottom-up, in steps, is never split."""
    finite = z[np.isfinite(z)]
    if finite.size < 3:
        return np.array([], dtype=int)
    top, span = float(finite.min()), float(finite.max() - finite.min())
    with np.errstate(invalid="ignore"):  # from the deepest fifth back to the top fifth
        jump = (z[:-1] - top > 0.8 * span) & (z[1:] - top < 0.2 * span)
    return np.flatnonzero(jump) + 1


def _qc_points(obs: xr.Dataset, variable: str, xlabel, ylabel):
    import holoviews as hv

    flags = obs[f"{variable}_qc"].values
    scheme = str(obs[f"{variable}_qc"].attrs.get("qc_scheme", "generic"))
    layers = []
    for flag in np.unique(flags):
        sel = flags == flag
        pts = hv.Scatter((obs[variable].values[sel], obs.z.values[sel]), xlabel, ylabel,
                         label=flag_label(int(flag), scheme))
        colour = FLAG_COLORS.get(int(flag), "#000000")
        layers.append(pts.opts(color=colour, size=4, backend="bokeh").opts(
            color=colour, s=8, backend="matplotlib"))
    return hv.Overlay(layers)


def _value_points(obs: xr.Dataset, variable: str, xlabel, ylabel, style: Style):
    """Every sample at (value, z), coloured by its value on the chosen colormap."""
    import holoviews as hv

    values = obs[variable].values.astype("float64")
    cmap = resolve_cmap(style.cmap, str(obs[variable].attrs.get("standard_name", "")), variable)
    clabel = hv.Dimension("colour", label=xlabel.label)
    points = columns.points((values, obs.z.values, values), [xlabel, ylabel], [clabel])
    return points.opts(color="colour", cmap=cmap, colorbar=True, size=4,
                       backend="bokeh").opts(color="colour", cmap=cmap, colorbar=True, s=8,
                                             backend="matplotlib")


FRAMEWISE = ("Segments", "Points", "Scatter", "Overlay")  # the element types drawn here
HOVER_SAMPLES = 50_000  # above, every n-th sample carries the hover


def _hover_layer(obs: xr.Dataset, variable: str, xlabel, ylabel):
    """Every sample as an invisible point that lights up under the cursor and tells its
    value with units, depth or pressure, date, cycle and platform."""
    import holoviews as hv

    from portal.quicklooks.hover import DATE, hover_tool, number_format, platform_of

    step = max(1, -(-obs.sizes["obs"] // HOVER_SAMPLES))
    values = obs[variable].values[::step].astype("float32")  # sent to the browser: 7 digits
    columns: dict = {"value": values, "z": obs.z.values[::step].astype("float32")}
    tips = [(xlabel.label, f"@value{number_format(values)}"),
            (ylabel.label, "@z{0.0}")]
    dates: tuple[str, ...] = ()
    if "time" in obs.coords:
        columns["time"] = obs.time.values[::step]
        tips.append(("Time (UTC)", f"@time{DATE}"))
        dates = ("@time",)
    if "feature" in obs.coords:
        columns["feature"] = obs.feature.values[::step]
        tips.append(("Cycle / profile", "@feature"))
    platform = platform_of(obs.attrs)
    if platform:
        tips.append(("Platform", platform))
    keep = np.isfinite(values)
    frame = {k: v[keep] for k, v in columns.items()}
    vdims = [c for c in frame if c not in ("value", "z")]
    points = hv.Points(frame, kdims=[xlabel, ylabel], vdims=vdims)
    tool = hover_tool(tips, dates=dates, limit=1)  # the nearest sample, not a stack
    return points.opts(size=7, fill_alpha=0, line_alpha=0, hover_fill_alpha=1,
                       hover_line_alpha=1, hover_fill_color="#ffffff", hover_line_color="#000000",
                       tools=[tool], backend="bokeh")


def build(obs: xr.Dataset, *, variable: str, feature_type: str, title: str, style: Style):
    """Profiles of ``variable`` (one line per profile), vertical axis pointing down."""
    import holoviews as hv

    lang = style.lang
    # "value", whatever the variable: a page that patches its plot in place with another
    # variable's data keeps the same columns (the label names the variable)
    xlabel = hv.Dimension("value", label=axis_label(obs[variable].attrs, variable, lang))
    ylabel = hv.Dimension("z", label=depth_label(str(obs.z.attrs.get("units", "")), lang))
    n_profiles = int(np.unique(obs.feature.values).size)
    color = style.color_by if style.color_by in ("time", "feature", "qc", "value") else "time"
    if color == "qc" and f"{variable}_qc" in obs:
        element = _qc_points(obs, variable, xlabel, ylabel)
    elif color == "value":
        element = _value_points(obs, variable, xlabel, ylabel, style)
    else:
        if color == "time" and "time" not in obs.coords:
            color = "feature"
        clabel = time_label(lang) if color == "time" else t("plot_cycle", lang)
        values, z, starts, cvalues = _grouped(obs, variable, color)
        n_profiles = max(n_profiles, starts.size)  # casts that a flat table joined
        cmap = resolve_cmap("viridis" if style.cmap == "auto" else style.cmap)
        cdim = hv.Dimension("cvalue", label=clabel)
        shown = dict(color="cvalue", cmap=cmap, colorbar=n_profiles > 1)
        if starts.size == values.size:  # one sample per "profile" (drift, park): dots
            element = columns.points((values, z, cvalues), [xlabel, ylabel], [cdim])
            element = element.opts(size=5, backend="bokeh", **shown).opts(
                s=12, backend="matplotlib", **shown)
        else:
            ends = [hv.Dimension(f"{d.name}_end") for d in (xlabel, ylabel)]  # label: unique
            element = hv.Segments(_segments(values, z, starts, cvalues),
                                  kdims=[xlabel, ylabel, *ends], vdims=[cdim])
            element = element.opts(line_width=1.5, backend="bokeh", **shown).opts(
                linewidth=1.2, backend="matplotlib", **shown)
        if color == "time" and n_profiles > 1:
            bokeh_opts, mpl_opts = time_colorbar_opts(cvalues)
            element = element.opts(backend="bokeh", **bokeh_opts).opts(backend="matplotlib",
                                                                       **mpl_opts)
    if style.interactive:
        element = element * _hover_layer(obs, variable, xlabel, ylabel)
    full = (f"{title} — {count(n_profiles, 'profile', lang)}, "
            f"{count(obs.sizes['obs'], 'sample', lang)}")
    # framewise: a page that patches the plot in place refits the axes to the new data
    element = element.opts({kind: {"framewise": True} for kind in FRAMEWISE}, backend="bokeh")
    element = element.opts(title=fit_title(full, style.width), invert_yaxis=True, responsive=True,
                           height=style.height, show_grid=True, framewise=True, backend="bokeh")
    return element.opts(title=full, invert_yaxis=True, show_grid=True,
                        aspect=style.width / style.height, backend="matplotlib")
