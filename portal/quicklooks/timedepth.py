"""Time–depth (Hovmöller) section: a variable on a (time, depth) mesh.

Two shapes of data: a *series of profiles* (an Argo float, a CTD station revisited) gives
one column per profile, each profile interpolated linearly onto common depth levels
(never beyond its own top and bottom), its column spanning half-way to its neighbours;
a *sampled series* (moorings with sensors at several depths, a glider) is averaged in
regular time bins and depth cells (at each sensor's own depth when there are few). Data
at a single depth (one mooring sensor) have no Hovmöller: that is an UnsupportedQuicklook.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from portal.errors import UnsupportedQuicklook
from portal.i18n import count
from portal.i18n import t as tr
from portal.quicklooks import Style
from portal.quicklooks.style import axis_label, depth_label, fit_title, resolve_cmap, time_label

N_LEVELS = 100
N_TIMES = 400
FEW_LEVELS = 40  # sensors at fixed depths: their own levels rather than regular cells


def _edges(centres: np.ndarray) -> np.ndarray:
    """Cell edges half-way between sorted centres (the ends mirrored)."""
    c = np.asarray(centres, dtype="float64")
    if c.size == 1:
        return np.array([c[0] - 0.5, c[0] + 0.5])
    mid = (c[1:] + c[:-1]) / 2
    return np.concatenate([[2 * c[0] - mid[0]], mid, [2 * c[-1] - mid[-1]]])


def depth_levels(z: np.ndarray) -> np.ndarray:
    """The depth levels (cell centres) of the mesh: the distinct depths when few, else
    :data:`N_LEVELS` regular ones."""
    distinct = np.unique(np.round(z[np.isfinite(z)], 2))
    if distinct.size < 2:
        return distinct
    if distinct.size <= FEW_LEVELS:
        return distinct
    return np.linspace(distinct[0], distinct[-1], N_LEVELS)


def _is_profiles(obs: xr.Dataset) -> bool:
    """One vertical profile per feature, several features: columns per profile."""
    if "feature" not in obs.coords:
        return False
    features, counts = np.unique(obs.feature.values, return_counts=True)
    return bool(features.size >= 2 and np.median(counts) >= 3)


def profile_columns(obs: xr.Dataset, variable: str, levels: np.ndarray):
    """(profile times, values on ``levels`` per profile): linear in depth inside each profile."""
    feature = obs.feature.values
    times, columns = [], []
    for f in np.unique(feature):
        sel = feature == f
        z, v, t = obs.z.values[sel], obs[variable].values[sel], obs.time.values[sel]
        order = np.argsort(z, kind="stable")
        z, v = z[order].astype("float64"), v[order].astype("float64")
        keep = np.isfinite(z) & np.isfinite(v)
        if keep.sum() < 2:
            continue
        columns.append(np.interp(levels, z[keep], v[keep], left=np.nan, right=np.nan))
        times.append(np.sort(t)[t.size // 2])
    return np.array(times, dtype="datetime64[ns]"), np.array(columns).T


def binned(obs: xr.Dataset, variable: str, levels: np.ndarray):
    """(time bin centres, mean per (level, time bin)): regular time bins, depth cells."""
    t = obs.time.values.astype("datetime64[ns]").astype("int64")
    nt = int(min(N_TIMES, np.unique(t).size))
    t_edges = np.linspace(t.min(), t.max() + 1, nt + 1)
    z_edges = _edges(levels)
    ti = np.clip(np.searchsorted(t_edges, t, side="right") - 1, 0, nt - 1)
    zi = np.searchsorted(z_edges, obs.z.values, side="right") - 1
    ok = (zi >= 0) & (zi < levels.size) & np.isfinite(obs[variable].values)
    flat = zi[ok] * nt + ti[ok]
    sums = np.bincount(flat, obs[variable].values[ok].astype("float64"), levels.size * nt)
    counts = np.bincount(flat, minlength=levels.size * nt)
    with np.errstate(invalid="ignore", divide="ignore"):
        grid = np.where(counts > 0, sums / counts, np.nan).reshape(levels.size, nt)
    centres = ((t_edges[:-1] + t_edges[1:]) / 2).astype("int64").astype("datetime64[ns]")
    return centres, grid


def build(obs: xr.Dataset, *, variable: str, feature_type: str, title: str, style: Style,
          dataset: str = ""):
    """The Hovmöller of ``variable``: time on x, depth down on y, the value in colour."""
    import holoviews as hv

    levels = depth_levels(obs.z.values.astype("float64"))
    if levels.size < 2:
        raise UnsupportedQuicklook("the data are at a single depth: no time–depth view",
                                   dataset=dataset, hint="use the time-series quicklook")
    profiles = _is_profiles(obs)
    times, grid = (profile_columns if profiles else binned)(obs, variable, levels)
    if times.size < 2:
        raise UnsupportedQuicklook("a time–depth view needs at least two times", dataset=dataset)
    t_edges = _edges(times.astype("int64").astype("float64")).astype("int64")
    xdim = hv.Dimension("time", label=time_label(style.lang))
    zdim = hv.Dimension("z", label=depth_label(str(obs.z.attrs.get("units", "")), style.lang))
    # "value", whatever the variable: a page that patches its plot in place with another
    # variable's mesh keeps the same column (the label names the variable)
    vdim = hv.Dimension("value", label=axis_label(obs[variable].attrs, variable, style.lang))
    mesh = hv.QuadMesh((t_edges.astype("datetime64[ns]"), _edges(levels), grid),
                       kdims=[xdim, zdim], vdims=[vdim])
    cmap = resolve_cmap(style.cmap, str(obs[variable].attrs.get("standard_name", "")), variable)
    lang = style.lang
    how = count(times.size, "profile" if profiles else "time_bin", lang)
    full = tr("title_timedepth", lang, title=title, variable=variable, how=how,
              levels=levels.size)
    mesh = mesh.opts(cmap=cmap, colorbar=True, tools=["hover"], invert_yaxis=True,
                     title=fit_title(full, style.width), responsive=True, height=style.height,
                     backend="bokeh")
    return mesh.opts(cmap=cmap, colorbar=True, invert_yaxis=True, title=full,
                     aspect=style.width / style.height, backend="matplotlib")
