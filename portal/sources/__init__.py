"""Source adapters: one per protocol, each turning a catalog entry into a lazy Dataset.

An adapter subclasses :class:`portal.sources.base.Source` (the contract: name,
argument schema, ``guess_can_open``, ``args_for_path``, ``validate``, ``kinds``,
``open``, ``version``); sources too large to open implement
:class:`~portal.sources.base.AggregatingSource` as well. This module is the
registry the rest of the portal uses: :func:`get_source` by driver name (with a
did-you-mean), :func:`guess_source` for a local path, :func:`is_aggregating`,
:func:`open_dataset` and :func:`open_aggregator`. Nothing outside this package
branches on a driver name. Sources never plot and never see a path or URL typed
by a user: only the catalog entry's own arguments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from portal.errors import CatalogError, UnsupportedQuicklook
from portal.sources.base import (
    _BUILTIN,
    AggregatingSource,
    Aggregator,
    Source,
    get_source,
    registered,
)

if TYPE_CHECKING:
    import xarray as xr

    from portal.model import DatasetEntry, Query

__all__ = ["AggregatingSource", "Aggregator", "Source", "available_sources", "get_source",
           "guess_source", "is_aggregating", "open_aggregator", "open_dataset", "registered"]


def available_sources() -> list[Source[Any]]:
    """An instance of every adapter whose dependencies are installed, built-ins first."""
    out = []
    for name in [*_BUILTIN, *(n for n in registered() if n not in _BUILTIN)]:
        try:
            out.append(get_source(name))
        except CatalogError:  # a missing optional dependency
            continue
    return out


def guess_source(path: str) -> Source[Any] | None:
    """The first adapter that can open the local file or folder ``path`` (None if none)."""
    for source in available_sources():
        if source.guess_can_open(path):
            return source
    return None


def is_aggregating(entry: DatasetEntry) -> bool:
    """True when the entry's source is aggregated per view instead of opened."""
    return isinstance(get_source(entry.source, dataset=entry.id), AggregatingSource)


def open_dataset(entry: DatasetEntry, query: Query | None = None) -> xr.Dataset:
    """Open ``entry`` lazily with its adapter (times decoded, fills masked).

    An aggregating source gives a bounded sample of its observations.
    """
    ds: xr.Dataset = get_source(entry.source, dataset=entry.id).open(entry, query)
    return ds


def open_aggregator(entry: DatasetEntry) -> Aggregator:
    """The aggregator of an aggregating source (UnsupportedQuicklook for other sources)."""
    source = get_source(entry.source, dataset=entry.id)
    if not isinstance(source, AggregatingSource):
        raise UnsupportedQuicklook(f"driver {entry.source!r} is opened, not aggregated",
                                   dataset=entry.id)
    return source.aggregator(entry)
