"""Local NetCDF files (one file, a list, or a glob pattern aggregated along time).

Files are opened lazily with dask chunks and ``decode_times=False``; times are
decoded by :mod:`portal.processing.decode`, which survives the calendars and units
that break xarray's defaults. Anything unreadable becomes a
:class:`~portal.errors.SourceUnavailable` naming the file and the problem.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal.errors import SourceUnavailable
from portal.formats.netcdf import expand_paths, open_netcdf_file
from portal.sources.base import Source

if TYPE_CHECKING:
    import xarray as xr

    from portal.model import DatasetEntry, Query

class NetCDFSource(Source):
    """``driver: netcdf`` — args ``urlpath`` (path, list or glob) and optional ``concat_dim``."""

    source_type = "netcdf"

    def open(self, entry: DatasetEntry, query: Query | None = None) -> xr.Dataset:
        import xarray as xr

        args = entry.arguments
        paths = expand_paths(args.get("urlpath", ""))
        if not paths:
            raise SourceUnavailable(f"no file matches {args.get('urlpath')!r}", dataset=entry.id)
        parts = [open_netcdf_file(p, entry.id) for p in paths]
        if len(parts) == 1:
            return parts[0]
        try:
            return xr.combine_by_coords(parts, combine_attrs="override", data_vars="all",
                                        coords="minimal", compat="override", join="outer")
        except Exception as exc:  # noqa: BLE001
            raise SourceUnavailable(f"cannot aggregate {len(parts)} files: {exc}",
                                    dataset=entry.id,
                                    hint="files of one dataset must share variables and differ "
                                    "along time") from exc
