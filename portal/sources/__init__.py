"""Source adapters: one per protocol, each turning a catalog entry into a lazy Dataset.

An adapter subclasses :class:`portal.sources.base.Source`, sets ``source_type``
(the catalog's ``driver`` key) and implements ``open(entry, query)``. Sources never
plot and never see a path or URL typed by a user: only the catalog entry's own
arguments. :func:`open_dataset` dispatches by ``entry.source``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal.sources.base import Source, get_source, registered

if TYPE_CHECKING:
    import xarray as xr

    from portal.model import DatasetEntry, Query

__all__ = ["Source", "get_source", "open_dataset", "registered"]


def open_dataset(entry: DatasetEntry, query: Query | None = None) -> xr.Dataset:
    """Open ``entry`` lazily with its adapter (times decoded, fills masked)."""
    return get_source(entry.source, dataset=entry.id).open(entry, query)
