"""ODV spreadsheets as a source: ``driver: odv``, files opened through xarray's
``odv`` engine (:mod:`portal.formats.odv.backend`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal.errors import SourceUnavailable
from portal.formats.netcdf import expand_paths
from portal.formats.odv import concat_stations, open_odv
from portal.sources.base import Source

if TYPE_CHECKING:
    import xarray as xr

    from portal.model import DatasetEntry, Query


class ODVSource(Source):
    """``driver: odv`` — argument ``urlpath`` (a path, a list or a glob; files are
    concatenated station after station)."""

    source_type = "odv"

    def open(self, entry: DatasetEntry, query: Query | None = None) -> xr.Dataset:
        urlpath = entry.arguments.get("urlpath", "")
        paths = expand_paths(urlpath)
        if not paths:
            raise SourceUnavailable(f"no file matches {urlpath!r}", dataset=entry.id)
        parts = [open_odv(p, entry.id) for p in paths]  # xarray engine "odv"
        return concat_stations(parts, entry.id)
