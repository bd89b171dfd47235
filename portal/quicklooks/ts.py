"""T-S diagram: conservative temperature against absolute salinity (TEOS-10), with σ₀.

The observation table (temperature and salinity of each sample, with its pressure and
position) goes through :func:`portal.processing.teos10.teos10`; the potential density
anomaly σ₀ is contoured over the diagram's range as thin grey lines, each labelled with
its value, behind the samples. Samples are coloured by time (default), depth, QC flag,
cycle/profile number or σ₀ itself ("value"). Above :data:`SHADE_ABOVE` samples (a whole
float, a point-store selection) they are rasterised (datashader): each pixel shows the
mean colour value of its samples — the worst QC flag with ``color_by="qc"`` — and the
page re-aggregates on zoom. For a point store the samples are a bounded read of the
selection (:meth:`portal.sources.base.Aggregator.observations`). The converted samples
(:class:`Sample`) are pure data shared by every session: computed once per view
(:func:`shared_sample`) or per store selection (the pipeline caches :func:`store_sample`);
each diagram builds its own HoloViews objects on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from portal.i18n import count
from portal.i18n import t as tr
from portal.processing.teos10 import TSColumns, sigma0_grid, teos10, ts_columns
from portal.quicklooks import Style, columns
from portal.quicklooks.frames import raster_settled
from portal.quicklooks.style import (
    depth_label,
    fit_title,
    resolve_cmap,
    time_colorbar_opts,
    time_colour_values,
    time_label,
)

#: above this many samples the points are rasterised rather than drawn one by one
SHADE_ABOVE = 50_000
#: most samples read from a point store for one diagram
STORE_SAMPLE = 1_000_000


def sigma0_step(low: float, high: float) -> float:
    """A round contour interval giving about 5 to 12 σ₀ lines between ``low`` and ``high``."""
    span = max(high - low, 1e-6)
    for step in (0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0):
        if span / step <= 12:
            return step
    return 10.0


def sigma0_lines(sa_range, ct_range) -> tuple[list[np.ndarray], list[tuple[float, float, str]]]:
    """σ₀ contour paths over the ranges and one label (SA, CT, text) per level, placed
    where the line meets the top or right edge of the diagram."""
    import contourpy  # Bokeh's dependency; only for the T-S view

    sa, ct, sig = sigma0_grid(sa_range, ct_range)
    step = sigma0_step(float(np.nanmin(sig)), float(np.nanmax(sig)))
    levels = np.arange(np.ceil(np.nanmin(sig) / step) * step, np.nanmax(sig), step)
    generator = contourpy.contour_generator(sa, ct, sig)
    paths, labels = [], []
    for level in levels:
        found: Any = generator.lines(float(level))  # a list of (N, 2) arrays: LineType.Separate
        lines = [np.asarray(line) for line in found if len(line) > 1]
        if not lines:
            continue
        paths.extend(lines)
        end = max((line[np.argmax(line[:, 1] + line[:, 0])] for line in lines),
                  key=lambda p: p[0] + p[1])
        labels.append((float(end[0]), float(end[1]), f"{level:.{_decimals(step)}f}"))
    return paths, labels


def _decimals(step: float) -> int:
    return 0 if step >= 1 else 1 if step * 10 == round(step * 10) else 2


def _colouring(tsd: xr.Dataset, obs: xr.Dataset, columns, style: Style):
    """(colour values, label, colours, is_time) of the samples."""
    from portal.processing.qc import FLAG_COLORS

    choice = style.color_by
    if choice == "auto":
        choice = "time" if "time" in tsd.coords else "depth"
    qc = f"{columns.salinity}_qc"
    if choice == "qc" and qc in obs:
        flags = np.maximum(obs[qc].values, obs.get(f"{columns.temperature}_qc", obs[qc]).values)
        colours = [FLAG_COLORS.get(i, "#000000") for i in range(10)]
        return flags.astype("float64"), tr("plot_qc_worst", style.lang), colours, False
    if choice == "time" and "time" in tsd.coords:
        return time_colour_values(tsd.time.values), time_label(style.lang), resolve_cmap(
            "viridis" if style.cmap == "auto" else style.cmap), True
    if choice == "feature" and "feature" in tsd.coords:
        return tsd.feature.values.astype("float64"), tr("plot_cycle", style.lang), resolve_cmap(
            "viridis" if style.cmap == "auto" else style.cmap), False
    if choice == "value":
        return tsd.sigma0.values, "σ₀ [kg/m³]", resolve_cmap(
            "dense" if style.cmap == "auto" else style.cmap), False
    zlabel = depth_label(str(tsd.z.attrs.get("units", "")), style.lang)
    return tsd.z.values.astype("float64"), zlabel, \
        resolve_cmap("deep" if style.cmap == "auto" else style.cmap), False


def _ts_dims(lang: str) -> list:
    import holoviews as hv

    return [hv.Dimension("SA", label=tr("plot_sa", lang)),
            hv.Dimension("CT", label=tr("plot_ct", lang))]


def _contours(sa_range, ct_range, lang: str = "en"):
    import holoviews as hv

    paths, labels = sigma0_lines(sa_range, ct_range)
    dims = _ts_dims(lang)
    lines = hv.Path(_joined(paths), kdims=dims, label="σ₀").opts(
        color="#8c8c8c", line_width=0.8, backend="bokeh").opts(
        color="#8c8c8c", linewidth=0.7, backend="matplotlib")
    text = hv.Labels(labels, kdims=dims, vdims=["text"]).opts(
        text_color="#555555", text_font_size="8pt", text_align="right",
        text_baseline="top", backend="bokeh").opts(
        color="#555555", size=7, horizontalalignment="right", verticalalignment="top",
        backend="matplotlib")
    return lines * text


def _joined(paths: list[np.ndarray]) -> np.ndarray:
    """The lines as one path broken by NaN rows (Bokeh and Matplotlib draw the breaks):
    HoloViews handles each path of a list as a dataset of its own, 60 ms for 12 lines."""
    gap = np.full((1, 2), np.nan)
    parts = [part for path in paths for part in (path, gap)][:-1]
    return np.concatenate(parts) if parts else np.empty((0, 2))


def _samples(tsd: xr.Dataset, cvalues, clabel: str, colours, is_time: bool, qc: bool,
             style: Style):
    import holoviews as hv

    dims = _ts_dims(style.lang)
    cdim = hv.Dimension("cvalue", label=clabel)
    points = columns.points((tsd.SA.values, tsd.CT.values, cvalues), dims, [cdim])
    clim = (0, 9) if qc else None
    extra = {"clim": clim} if clim else {}
    if tsd.sizes["obs"] > SHADE_ABOVE:
        import datashader as ds
        from holoviews.operation.datashader import rasterize

        agg = ds.max("cvalue") if qc else ds.mean("cvalue")
        element = rasterize(points, aggregator=agg, dynamic=style.interactive,
                            width=style.width // 2, height=style.height // 2)
        element = element.opts(cmap=colours, colorbar=True, clabel=clabel, backend="bokeh",
                               **extra).opts(cmap=colours, colorbar=True, clabel=clabel,
                                             aspect=style.width / style.height,
                                             backend="matplotlib", **extra)
    else:
        element = points.opts(color="cvalue", cmap=colours, colorbar=True, size=3,
                              tools=["hover"], backend="bokeh", **extra).opts(
            color="cvalue", cmap=colours, colorbar=True, s=4, backend="matplotlib", **extra)
    if is_time:
        bokeh_opts, mpl_opts = time_colorbar_opts(np.asarray(cvalues))
        element = element.opts(backend="bokeh", **bokeh_opts).opts(backend="matplotlib",
                                                                    **mpl_opts)
    return element


def _padded(values: np.ndarray, share: float = 0.05) -> tuple[float, float]:
    low, high = float(np.nanmin(values)), float(np.nanmax(values))
    pad = max((high - low) * share, 0.05)
    return low - pad, high + pad


@dataclass(frozen=True)
class Sample:
    """What a T-S diagram draws, computed once per selection and shared read-only: the
    samples with a finite Sᴀ and Θ — ``obs`` (their T and S, flags and coordinates) and
    ``tsd`` (:func:`~portal.processing.teos10.teos10`'s columns) — and which columns are T
    and S."""

    obs: xr.Dataset
    tsd: xr.Dataset
    columns: TSColumns


def sample(obs: xr.Dataset, dataset: str = "") -> Sample:
    """The TEOS-10 sample of an observation table (NoDataInSelection without T and S)."""
    columns = ts_columns(obs, dataset)
    tsd = teos10(obs, columns, dataset)
    keep = np.flatnonzero(np.isfinite(tsd.SA.values) & np.isfinite(tsd.CT.values))
    if keep.size == 0:
        from portal.errors import NoDataInSelection

        raise NoDataInSelection("no sample with both temperature and salinity", dataset=dataset)
    return Sample(obs.isel(obs=keep), tsd.isel(obs=keep), columns)


def shared_sample(obs: xr.Dataset, dataset: str = "") -> Sample:
    """:func:`sample` of a shared read-only view, computed once per process
    (:func:`portal.cache.derived`: keyed on the view's arrays)."""
    from portal.cache import derived

    arrays = [v.data for v in obs.variables.values()]
    names = tuple((str(k), tuple(map(str, v.dims))) for k, v in obs.variables.items())
    attrs = tuple((str(k), repr(v.attrs)) for k, v in obs.variables.items())  # units
    return derived("ts_sample", arrays, lambda: sample(obs, dataset),
                   extra=(dataset, names, attrs))


def build(obs: xr.Dataset, *, variable: str, feature_type: str, title: str, style: Style,
          dataset: str = ""):
    """The T-S diagram of the temperature and salinity columns of ``obs``."""
    return draw(shared_sample(obs, dataset), title=title, style=style)


def draw(ts: Sample, *, title: str, style: Style):
    """The T-S diagram of a :class:`Sample`: σ₀ contours and the samples, coloured."""
    obs, tsd, columns = ts.obs, ts.tsd, ts.columns
    sa_range, ct_range = _padded(tsd.SA.values), _padded(tsd.CT.values)
    cvalues, clabel, colours, is_time = _colouring(tsd, obs, columns, style)
    qc = style.color_by == "qc" and clabel == tr("plot_qc_worst", style.lang)
    samples = _samples(tsd, cvalues, clabel, colours, is_time, qc, style)
    n = tsd.sizes["obs"]
    full = tr("title_ts", style.lang, title=title, n=count(n, "sample", style.lang))
    big = tsd.sizes["obs"] > SHADE_ABOVE  # a raster first: it sets the axes, lines over it
    lines = _contours(sa_range, ct_range, style.lang)
    overlay = (samples * lines if big else lines * samples).opts(
        title=fit_title(full, style.width), responsive=True, height=style.height,
        show_grid=True, xlim=sa_range, ylim=ct_range, hooks=[raster_settled], backend="bokeh")
    return overlay.opts(title=full, xlim=sa_range, ylim=ct_range,
                        aspect=style.width / style.height, backend="matplotlib")


def store_sample(handle, query, dataset: str = "") -> Sample:
    """The :class:`Sample` of a point-store selection: a bounded read of its rows (the
    variable asked for does not matter), QC applied to T and S, only the columns the
    diagram reads kept (~1.5 s of CPU for 10⁶ rows: :func:`portal.pipeline` caches it)."""
    from portal.processing.qc import apply_qc

    obs = handle.observations(query, max_points=STORE_SAMPLE, platform=False)
    columns = ts_columns(obs, dataset)
    names = (columns.temperature, columns.salinity)
    obs = obs[[c for n in names for c in (n, f"{n}_qc") if c in obs]]  # no platform names
    for name in names:
        obs = apply_qc(obs, name, query.qc)
    valid = obs[columns.temperature].notnull() & obs[columns.salinity].notnull()
    obs = obs.isel(obs=np.flatnonzero(valid.values))
    if obs.sizes["obs"] == 0:
        from portal.errors import NoDataInSelection

        raise NoDataInSelection("no sample with both temperature and salinity in this selection",
                                dataset=dataset, hint="widen the area or time range")
    return sample(obs, dataset)


def build_store(handle, *, query, title: str, style: Style, dataset: str = "",
                cached: Sample | None = None):
    """A T-S diagram of a point-store selection (``cached``: its :func:`store_sample`)."""
    ts = cached if cached is not None else store_sample(handle, query, dataset)
    more = tr("title_first_rows", style.lang) if ts.obs.attrs.get("truncated") else ""
    return draw(ts, title=title + more, style=style)
