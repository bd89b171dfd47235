"""NetCDF files (NetCDF-3 and NetCDF-4/HDF5) opened lazily and CF-decoded.

Files are opened with ``decode_times=False``; times are decoded by
:mod:`portal.processing.decode`, which survives the calendars and units that break
xarray's defaults. Anything unreadable becomes a
:class:`~portal.errors.SourceUnavailable` naming the file (never its full path) and
the problem. Used by the NetCDF source and by point-store ingest.
"""

from __future__ import annotations

import glob
import logging
import os
import threading
from typing import TYPE_CHECKING

from portal.errors import SourceUnavailable

if TYPE_CHECKING:
    import xarray as xr

log = logging.getLogger(__name__)
DASK_ABOVE_BYTES = 256 * 1024**2


def expand_paths(urlpath: str | list[str]) -> list[str]:
    """Expand a path, a list of paths or glob patterns into sorted existing file paths."""
    patterns = [urlpath] if isinstance(urlpath, str) else list(urlpath)
    paths: list[str] = []
    for pattern in patterns:
        pattern = pattern.removeprefix("file://")
        found = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        paths.extend(found)
    return paths


def netcdf_signature(path: str) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(8)
    return head[:3] == b"CDF" or head[:8] == b"\x89HDF\r\n\x1a\n"


#: Serialises opening and reading the files of :func:`open_netcdf_file` in a process:
#: netCDF-C/HDF5 are not thread-safe, and xarray's netCDF4 backend reads each variable's
#: attributes outside its lock while opening, so two PNG requests opening files at once
#: crashed the server in libhdf5 ("trap stack segment"). Reentrant: xarray takes it again
#: inside. A lock, not state: nothing is stored in it.
NETCDF_LOCK = threading.RLock()


def open_netcdf_file(path: str, dataset: str = "", chunks: dict | None = None) -> xr.Dataset:
    """Open one NetCDF file lazily, CF-decoded with robust times; SourceUnavailable if not."""
    import xarray as xr

    from portal.processing.decode import decode_dataset

    name = dataset or os.path.basename(path)
    if not os.path.exists(path):
        raise SourceUnavailable(f"file not found: {os.path.basename(path)}", dataset=name,
                                hint="check the catalog path or re-run 'odatis-portal catalog scan'")
    if os.path.getsize(path) == 0 or not netcdf_signature(path):
        raise SourceUnavailable(f"{os.path.basename(path)} is not a NetCDF file "
                                "(no NetCDF/HDF5 signature; text or truncated download?)", dataset=name)
    if chunks is None:  # small files: lazy backend arrays; large ones: dask on disk chunks
        chunks = {} if os.path.getsize(path) > DASK_ABOVE_BYTES else None
    errors = []
    for engine in ("netcdf4", "h5netcdf"):
        try:  # xarray reads variable attributes outside its own lock: one open at a time
            with NETCDF_LOCK:
                ds = xr.open_dataset(path, engine=engine, decode_times=False, chunks=chunks,
                                     lock=NETCDF_LOCK)
            break
        except Exception as exc:  # noqa: BLE001 - reported below with the file name
            errors.append(f"{engine}: {exc}")
    else:
        raise SourceUnavailable(f"cannot read {os.path.basename(path)}: {'; '.join(errors)}",
                                dataset=name)
    ds = decode_dataset(ds, name)
    ds.attrs.setdefault("source_file", path)
    return ds
