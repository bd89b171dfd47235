"""A bounded sample of a store's observations in the portal's canonical form.

For quicklooks that need rows rather than aggregates (a few profiles, a table), this reads
the row groups a query selects — stopping at ``max_points`` — and returns an ``obs``
Dataset like :func:`portal.processing.normalize.to_observations` does (coordinates time,
latitude, longitude, z, feature = cycle; values with ``<P>_qc`` flags).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from portal.pointstore import query as Q
from portal.pointstore.cache import read_row_groups
from portal.pointstore.store import open_store

if TYPE_CHECKING:
    import xarray as xr

    from portal.model import Query


def observations(store_dir: str, query: Query | None = None,
                 max_points: int = 1_000_000, platform: bool = True) -> xr.Dataset:
    """Rows of the selection (bbox, time, depth), at most ``max_points``, as an obs Dataset
    (``platform=False``: without the platform names, a third of the read for a T-S sample
    or time bins, which do not show them)."""
    import xarray as xr

    store = open_store(store_dir)
    spec = Q.make_spec(store, "map", bbox=query.bbox if query else None,
                       time=query.time if query else None, depth=query.depth if query else None)
    rows = Q.select_row_groups(store, spec)
    cols = ["time", "longitude", "latitude", "z", "z_qc", "cycle"] + (["platform"] if platform else [])
    cols += [c for p in store.params for c in (p, f"{p}_qc")]
    chunks, total = [], 0
    for part in np.unique(store.index["part"][rows]):
        sel = rows[store.index["part"][rows] == part]
        first = int(np.flatnonzero(store.index["part"] == part)[0])
        data = read_row_groups(store, int(part), [int(g - first) for g in sel], cols)
        keep = _mask(data, spec)
        chunks.append({k: np.asarray(v)[keep] for k, v in data.items()})
        total += int(keep.sum())
        if total >= max_points:
            break
    table = {k: np.concatenate([c[k] for c in chunks])[:max_points] if chunks else np.zeros(0)
             for k in cols}
    ds = xr.Dataset({k: ("obs", v) for k, v in table.items() if k not in _COORDS})
    ds = ds.assign_coords({"time": ("obs", table["time"].astype("datetime64[s]")),
                           "longitude": ("obs", table["longitude"]),
                           "latitude": ("obs", table["latitude"]), "z": ("obs", table["z"]),
                           "feature": ("obs", table["cycle"].astype(np.int32))})
    for p in store.params:
        ds[p].attrs.update(store.manifest["variables"].get(p, {}))
        ds[f"{p}_qc"].attrs["qc_scheme"] = "argo"
    ds.attrs.update(featureType="point", source_file=store.path,
                    truncated=int(total > max_points))
    return ds


_COORDS = ("time", "longitude", "latitude", "z", "cycle")


def _mask(data, spec: Q.AggSpec) -> np.ndarray:
    lon, lat = data["longitude"].astype(np.float64), data["latitude"]
    x0, y0, x1, y1 = spec.bbox
    inside = np.zeros(lon.size, bool)
    for sh in Q.shifts(spec):
        inside |= (lon + sh >= x0) & (lon + sh <= x1)
    keep = inside & (lat >= y0) & (lat <= y1)
    if spec.time is not None:
        keep &= (data["time"] >= spec.time[0]) & (data["time"] <= spec.time[1])
    if spec.depth is not None:
        keep &= (data["z"] >= spec.depth[0]) & (data["z"] <= spec.depth[1])
    return keep
