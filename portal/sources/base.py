"""The adapter contract and its registry.

Adapters register by their ``source_type`` class attribute when their module is
imported; :func:`get_source` imports the built-in modules on first use and
answers an unknown type with a did-you-mean message.
"""

from __future__ import annotations

import difflib
import importlib
from typing import TYPE_CHECKING, ClassVar

from portal.errors import CatalogError

if TYPE_CHECKING:
    import xarray as xr

    from portal.model import DatasetEntry, Query

_BUILTIN = {
    "netcdf": "portal.sources.netcdf",
    "odv": "portal.sources.odv",
    "erddap": "portal.sources.erddap",
    "opendap": "portal.sources.opendap",
    "pointstore": "portal.sources.pointstore",
}
_REGISTRY: dict[str, type[Source]] = {}


class Source:
    """Base class of source adapters.

    Subclasses set ``source_type`` and implement :meth:`open`, which returns a lazy
    ``xarray.Dataset`` in CF form (times decoded to datetime64, fills masked).
    ``query`` lets remote sources subset on the server; local ones may ignore it.
    """

    source_type: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if cls.source_type:
            _REGISTRY[cls.source_type] = cls

    def open(self, entry: DatasetEntry, query: Query | None = None) -> xr.Dataset:
        raise NotImplementedError


def registered() -> tuple[str, ...]:
    """All known source types (built-in ones included, imported or not)."""
    return tuple(sorted(set(_BUILTIN) | set(_REGISTRY)))


def get_source(source_type: str, dataset: str | None = None) -> Source:
    """An adapter instance for ``source_type``; CatalogError with suggestions if unknown."""
    if source_type not in _REGISTRY and source_type in _BUILTIN:
        try:
            importlib.import_module(_BUILTIN[source_type])
        except ImportError as exc:
            raise CatalogError(
                f"source type {source_type!r} needs a missing dependency ({exc.name})",
                dataset=dataset, hint="install the portal with its dependencies: pip install -e .",
            ) from exc
    if source_type not in _REGISTRY:
        close = difflib.get_close_matches(source_type, registered(), n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"known types: {', '.join(registered())}"
        raise CatalogError(f"unknown source type {source_type!r}", dataset=dataset, hint=hint)
    return _REGISTRY[source_type]()
