"""``driver: pointstore`` — a Parquet point store (see :mod:`portal.pointstore`) as a dataset.

A store may hold billions of rows, which are never materialised: the adapter
implements the :class:`~portal.sources.base.AggregatingSource` contract.
:meth:`PointStoreSource.aggregator` returns a :class:`PointStoreHandle` whose
aggregates (:meth:`~PointStoreHandle.aggregate`,
:meth:`~PointStoreHandle.aggregate_stats`, :meth:`~PointStoreHandle.profile_density`)
are already ``xr.DataArray`` canvases, shaded last; ``open`` gives a bounded sample
of observations in the canonical form. Catalog arguments: ``store`` (the folder),
optional ``dask_scheduler``. The data version is the manifest's stamp (rewritten by
every ingest).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from portal.errors import SourceUnavailable
from portal.pointstore import STORE_MARKER
from portal.sources.arguments import Argument, resolve_path
from portal.sources.base import AggregatingSource, Refusal

if TYPE_CHECKING:
    import xarray as xr

    from portal.model import DatasetEntry, Query



@dataclass(frozen=True)
class PointStoreHandle:
    """What the point store's ``aggregator`` returns: a path plus methods that aggregate."""

    store: str
    dataset: str = ""
    scheduler: str | None = None

    def info(self) -> dict[str, Any]:
        from portal.pointstore import store_info

        return store_info(self.store)

    def aggregate(self, query: Query | None = None, **kwargs: Any) -> xr.DataArray:
        """Map aggregate (see :func:`portal.pointstore.aggregate.render_aggregate`)."""
        from portal.pointstore.aggregate import render_aggregate

        return render_aggregate(self.store, **{**_from_query(query), **self._sched(), **kwargs})

    def aggregate_stats(self, query: Query | None = None, **kwargs: Any) -> xr.Dataset:
        """Count and mean of a parameter per cell in one pass (what the map's hover shows;
        see :func:`portal.pointstore.aggregate.aggregate_dataset`)."""
        from portal.pointstore.aggregate import aggregate_dataset

        args = {**_from_query(query), **self._sched(), **kwargs}
        return aggregate_dataset(self.store, **args)

    def preview_stats(self, query: Query | None = None, **kwargs: Any) -> xr.Dataset | None:
        """A cold view's count and mean from the overviews, or None when the exact answer
        is quick (see :func:`portal.pointstore.views.preview_dataset`)."""
        from portal.pointstore.views import preview_dataset

        return preview_dataset(self.store, **{**_from_query(query), **kwargs})

    def prefetch(self, query: Query | None = None, **kwargs: Any) -> int:
        """Read the row groups around a view into memory (see
        :func:`portal.pointstore.views.prefetch_ring`); ``cancel`` stops it."""
        from portal.pointstore.views import prefetch_ring

        return prefetch_ring(self.store, **{**_from_query(query), **kwargs})

    def profile_density(self, query: Query | None = None, **kwargs: Any) -> xr.DataArray:
        from portal.pointstore.aggregate import profile_density

        args = {k: v for k, v in _from_query(query).items() if k != "depth"}
        return profile_density(self.store, **{**args, **self._sched(), **kwargs})

    def observations(self, query: Query | None = None, max_points: int = 1_000_000,
                     platform: bool = True) -> xr.Dataset:
        """Up to ``max_points`` rows of the selection in the canonical observation form
        (``platform=False``: without the platform names)."""
        from portal.pointstore.sample import observations

        return observations(self.store, query, max_points=max_points, platform=platform)

    def export(self, query: Query) -> Any:
        """The planned download of ``query`` (:class:`portal.pointstore.export.Export`):
        its size estimate comes from the row-group index, its rows stream on demand."""
        from portal.pointstore.export import plan

        return plan(self.store, query)

    def with_scheduler(self, scheduler: str | None) -> PointStoreHandle:
        """This handle, using ``scheduler`` unless the catalog entry names its own."""
        if self.scheduler or not scheduler:
            return self
        return dataclasses.replace(self, scheduler=scheduler)

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


def _folder(entry: DatasetEntry) -> str:
    return str(entry.arguments.get("store", "")).removeprefix("file://")


class PointStoreSource(AggregatingSource):
    """Adapter for point-store folders (a directory holding ``_portal_store.json``)."""

    name = "pointstore"
    reads = "point-store folders"
    arguments = (
        Argument("store", required=True, path=True, doc="the point-store folder"),
        Argument("dask_scheduler", doc="address of a dask scheduler for this store"),
    )

    def guess_can_open(self, path: str) -> bool:
        return os.path.isdir(path) and os.path.isfile(os.path.join(path, STORE_MARKER))

    def refusal(self, path: str) -> Refusal | None:
        if os.path.isdir(path):
            return Refusal(f"folder without a {STORE_MARKER} marker is not a point store")
        return None

    def check(self, arguments: dict[str, Any], catalog_dir: str) -> list[str]:
        folder = str(resolve_path(str(arguments["store"]), catalog_dir))
        return [] if os.path.isdir(folder) else [f"point-store folder not found: {folder}"]

    def aggregator(self, entry: DatasetEntry) -> PointStoreHandle:
        path = _folder(entry)
        if not path or not os.path.isfile(os.path.join(path, STORE_MARKER)):
            raise SourceUnavailable(f"no point store at {path or '(no store argument)'}: "
                                    f"missing {STORE_MARKER}", dataset=entry.id,
                                    hint="build it with 'odatis-portal ingest' or 'demo-points'")
        return PointStoreHandle(path, entry.id, entry.arguments.get("dask_scheduler"))

    def metadata(self, entry: DatasetEntry) -> dict[str, Any]:
        """The store's metadata block (from :func:`portal.pointstore.store_info`)."""
        from portal.pointstore import store_info

        info = store_info(_folder(entry))
        return dict(info.get("metadata", info)) if isinstance(info, dict) else {}

    def version(self, entry: DatasetEntry) -> str:
        """The store's manifest stamp (rewritten atomically by every ingest)."""
        from portal.pointstore.store import manifest_version

        return "p-" + manifest_version(_folder(entry))
