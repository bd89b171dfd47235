"""The Coriolis-scale point store: billions of in-situ observations drawn server-side.

A point store is a folder of Parquet files (``parts/``) whose rows — one observation each:
platform, cycle, time, longitude, latitude, pressure or depth, parameter values and their QC
flags, in compact types — are ordered along a Hilbert curve (then time) so that each row group
covers a small box; a row-group index (boxes, time and depth ranges) drives pruning, and a
multi-resolution pyramid of overview aggregates (count, sum, min, max per parameter, per time
bin and QC class) answers full-extent views without touching the points. A JSON manifest
(``_portal_store.json``), replaced atomically, is the single source of truth: ingests append
parts and commit by rewriting it, so a reader never sees half an ingest. Importing this package
is light; :func:`render_aggregate`, :func:`profile_density` and :func:`store_info` import the
heavy machinery (numba, pyarrow, xarray) when first called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["STORE_MARKER", "is_point_store", "profile_density", "render_aggregate", "store_info"]

STORE_MARKER = "_portal_store.json"


def is_point_store(path: str) -> bool:
    """True when ``path`` is a folder holding a point-store manifest."""
    import os

    return os.path.isfile(os.path.join(path, STORE_MARKER))


def store_info(store_dir: str) -> dict[str, Any]:
    """Size, extent, time range and variables of a store (see :func:`.store.store_info`)."""
    from portal.pointstore.store import store_info as _info

    return _info(store_dir)


def render_aggregate(store_dir: str, **kwargs: Any) -> xr.DataArray:
    """Aggregate a store on a lon/lat canvas (see :func:`.aggregate.render_aggregate`)."""
    from portal.pointstore.aggregate import render_aggregate as _render

    return _render(store_dir, **kwargs)


def profile_density(store_dir: str, **kwargs: Any) -> xr.DataArray:
    """Value-against-depth density of all profiles in a selection (see :mod:`.aggregate`)."""
    from portal.pointstore.aggregate import profile_density as _density

    return _density(store_dir, **kwargs)
