"""``driver: pointstore`` — a Parquet point store (see :mod:`portal.pointstore`) as a dataset.

Unlike the other adapters, :meth:`PointStoreSource.open` returns a lightweight
:class:`PointStoreHandle`, not an ``xarray.Dataset``: a store may hold billions of rows,
which are never materialised. Quicklooks ask the handle for aggregates
(:meth:`~PointStoreHandle.aggregate`, :meth:`~PointStoreHandle.aggregate_stats`,
:meth:`~PointStoreHandle.profile_density`) — already
``xr.DataArray`` canvases, shaded last — or for a bounded sample of observations in the
canonical form (:meth:`~PointStoreHandle.observations`). Catalog arguments: ``store`` (the
folder), optional ``dask_scheduler``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from portal.errors import SourceUnavailable
from portal.sources.base import Source

if TYPE_CHECKING:
    import xarray as xr

    from portal.model import DatasetEntry, Query


@dataclass(frozen=True)
class PointStoreHandle:
    """What ``open`` returns for a point store: a path plus methods that aggregate."""

    store: str
    dataset: str = ""
    scheduler: str | None = None

    is_point_store = True

    def info(self) -> dict[str, Any]:
        from portal.pointstore import store_info

        return store_info(self.store)

    def aggregate(self, query: Query | None = None, **kwargs) -> xr.DataArray:
        """Map aggregate (see :func:`portal.pointstore.aggregate.render_aggregate`)."""
        from portal.pointstore.aggregate import render_aggregate

        return render_aggregate(self.store, **{**_from_query(query), **self._sched(), **kwargs})

    def aggregate_stats(self, query: Query | None = None, **kwargs) -> xr.Dataset:
        """Count and mean of a parameter per cell in one pass (what the map's hover shows;
        see :func:`portal.pointstore.aggregate.aggregate_dataset`)."""
        from portal.pointstore.aggregate import aggregate_dataset

        args = {**_from_query(query), **self._sched(), **kwargs}
        return aggregate_dataset(self.store, **args)

    def profile_density(self, query: Query | None = None, **kwargs) -> xr.DataArray:
        from portal.pointstore.aggregate import profile_density

        args = {k: v for k, v in _from_query(query).items() if k != "depth"}
        return profile_density(self.store, **{**args, **self._sched(), **kwargs})

    def observations(self, query: Query | None = None, max_points: int = 1_000_000) -> xr.Dataset:
        """Up to ``max_points`` rows of the selection in the canonical observation form."""
        from portal.pointstore.sample import observations

        return observations(self.store, query, max_points=max_points)

    def _sched(self) -> dict[str, Any]:
        return {"scheduler": self.scheduler} if self.scheduler else {}


def _from_query(query: Query | None) -> dict[str, Any]:
    if query is None:
        return {}
    out: dict[str, Any] = {"qc": query.qc}
    if query.variable:
        out["variable"] = query.variable
    if query.bbox:
        out["bbox"] = query.bbox
    if query.time:
        out["time"] = query.time
    if query.depth:
        out["depth"] = query.depth
    return out


class PointStoreSource(Source):
    """Adapter for point-store folders; ``open`` returns a :class:`PointStoreHandle`."""

    source_type = "pointstore"

    def open(self, entry: DatasetEntry, query: Query | None = None) -> PointStoreHandle:  # type: ignore[override]
        from portal.pointstore import STORE_MARKER

        path = str(entry.arguments.get("store", "")).removeprefix("file://")
        if not path or not os.path.isfile(os.path.join(path, STORE_MARKER)):
            raise SourceUnavailable(f"no point store at {path or '(no store argument)'}: "
                                    f"missing {STORE_MARKER}", dataset=entry.id,
                                    hint="build it with 'odatis-portal ingest' or 'demo-points'")
        return PointStoreHandle(path, entry.id, entry.arguments.get("dask_scheduler"))
