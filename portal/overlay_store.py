"""A point store on a combined time-series or profile axis (maps use its aggregate).

Profiles: the store's profile density — observations per (value, depth) cell — over the
shared selection (bbox, time, depth, QC), from its aggregation API, drawn as a grey
rasterized layer under the other datasets' profiles. Time series: the store's values in
the shared bbox/depth/time binned in time (mean, min and max per bin) from a bounded read
of the selection's rows (:attr:`portal.settings.Limits.max_points`; the ``truncated``
attribute says when the cap cut it), drawn as a line with a min–max band. Both take an
aggregator handle (``open_aggregator(entry)``); nothing here opens paths.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import xarray as xr

    from portal.query import Query

DENSITY_CELL_PX = 4  # the density under other profiles: one cell per 4x4 pixels
TIME_BIN_PX = 4  # one time bin per 4 pixels of the axis


def profile_density(handle: Any, query: Query, variable: str, width: int,
                    height: int) -> xr.DataArray:
    """Observations per (value, depth) cell of ``variable`` in the query's selection."""
    return handle.profile_density(query, variable=variable,
                                  width=max(width // DENSITY_CELL_PX, 40),
                                  height=max(height // DENSITY_CELL_PX, 30),
                                  value_range=None, depth_range=query.depth)


def time_bins(handle: Any, query: Query, variable: str, n_bins: int,
              max_points: int) -> xr.Dataset:
    """Mean, min, max and count of ``variable`` per time bin over the selection's rows
    (QC applied; at most ``max_points`` rows read). Empty bins are left out."""
    import xarray as xr

    from portal.processing.qc import apply_qc

    obs = apply_qc(handle.observations(query, max_points=max_points, platform=False),
                   variable, query.qc)
    t = obs.time.values.astype("datetime64[ns]")
    v = obs[variable].values.astype("float64")
    keep = np.isfinite(v) & ~np.isnat(t)
    t, v = t[keep].astype("int64"), v[keep]
    mean, low, high, count, centres = _binned(t, v, max(int(n_bins), 1))
    return xr.Dataset(
        {variable: ("time", mean, dict(obs[variable].attrs)), "vmin": ("time", low),
         "vmax": ("time", high), "count": ("time", count)},
        coords={"time": centres.astype("datetime64[ns]")},
        attrs={"truncated": int(obs.attrs.get("truncated", 0)), "rows": int(v.size)})


def _binned(t: np.ndarray, v: np.ndarray, n: int):
    """(mean, min, max, count, bin centres) of ``v`` over ``n`` equal bins of ``t``."""
    if t.size == 0:
        empty = np.zeros(0)
        return empty, empty, empty, np.zeros(0, "int64"), np.zeros(0, "int64")
    t0, t1 = int(t.min()), int(t.max())
    edges = np.linspace(t0, t1 + 1, n + 1)
    idx = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, n - 1)
    count = np.bincount(idx, minlength=n)
    sums = np.bincount(idx, weights=v, minlength=n)
    low, high = np.full(n, np.inf), np.full(n, -np.inf)
    np.minimum.at(low, idx, v)
    np.maximum.at(high, idx, v)
    full = count > 0
    centres = ((edges[:-1] + edges[1:]) / 2).astype("int64")
    return (sums[full] / count[full], low[full], high[full], count[full], centres[full])
