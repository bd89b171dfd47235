"""ODV spreadsheets as a source: ``driver: odv``, files opened through xarray's ``odv``
engine (:mod:`portal.formats.odv.backend`).

The reader is imported when a file is opened, not with this module, so the scan
still recognises ODV files (by their comment markers or column labels, see
:func:`portal.sources.sniff.is_odv`) and says why when the reader is missing.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from portal.errors import SourceUnavailable
from portal.formats.netcdf import expand_paths
from portal.sources.base import FileSource, Refusal
from portal.sources.sniff import is_odv, sniff

if TYPE_CHECKING:
    import xarray as xr

    from portal.model import DatasetEntry, Query


class ODVSource(FileSource):
    """``driver: odv`` — argument ``urlpath`` (a path, a list or a glob; files are
    concatenated station after station)."""

    name = "odv"
    suffixes = (".txt", ".odv", ".csv")
    reads = "ODV spreadsheets"

    def guess_can_open(self, path: str) -> bool:
        return (os.path.isfile(path) and os.path.splitext(path)[1].lower() in self.suffixes
                and sniff(path) == "text" and is_odv(path))

    def refusal(self, path: str) -> Refusal | None:
        if not os.path.isfile(path) or sniff(path) != "text":
            return None
        return Refusal("text file without ODV spreadsheet headers (no //<Version>, "
                       "//SDN_parameter_mapping, nor Cruise/Station/Longitude/Latitude columns)",
                       notable=False)

    def open(self, entry: DatasetEntry, query: Query | None = None) -> xr.Dataset:
        concat_stations, open_odv = _reader(entry.id)
        urlpath = entry.arguments.get("urlpath", "")
        paths = expand_paths(urlpath)
        if not paths:
            raise SourceUnavailable(f"no file matches {urlpath!r}", dataset=entry.id)
        parts = [open_odv(p, entry.id) for p in paths]  # xarray engine "odv"
        return concat_stations(parts, entry.id)


def _reader(dataset: str):
    """The ODV reader's functions; SourceUnavailable when it cannot be imported."""
    try:
        from portal.formats.odv import concat_stations, open_odv
    except ImportError as exc:
        raise SourceUnavailable(f"ODV spreadsheet, but the ODV reader is not available ({exc})",
                                dataset=dataset, hint="portal.formats.odv is missing or broken "
                                "in this installation") from exc
    return concat_stations, open_odv
