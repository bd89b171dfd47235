"""The ODV reader as an xarray backend: ``xr.open_dataset(path, engine="odv")``.

:class:`ODVBackendEntrypoint` is registered under the ``xarray.backends`` entry-point
group in ``pyproject.toml`` (``odv = "portal.formats.odv.backend:ODVBackendEntrypoint"``),
so any installation of the portal lets xarray open ODV and SeaDataNet spreadsheets by
engine name; ``guess_can_open`` sniffs the first lines with
:func:`~portal.formats.odv.text.looks_like_odv`, so ``xr.open_dataset(path)`` also finds
it for ODV text files that the NetCDF engines do not claim. The keyword ``dataset``
names the catalogue entry in error messages. :func:`open_odv` is what the portal's own
code calls: it passes the class itself as the engine, which works whether or not the
installation's entry points are up to date (an editable install made before the entry
point was declared does not list it).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import xarray as xr
from xarray.backends import BackendEntrypoint

from portal.formats.odv.dataset import read_odv
from portal.formats.odv.text import looks_like_odv


class ODVBackendEntrypoint(BackendEntrypoint):
    """xarray backend for ODV spreadsheet text files (CF contiguous ragged arrays)."""

    description = "Open ODV / SeaDataNet spreadsheet text files as CF ragged arrays"
    url = "https://odv.awi.de/"
    open_dataset_parameters = ("filename_or_obj", "drop_variables", "dataset")

    def open_dataset(  # type: ignore[override]  # a path only, plus the ``dataset`` name
        self,
        filename_or_obj: str | os.PathLike[Any],
        *,
        drop_variables: str | Iterable[str] | None = None,
        dataset: str = "",
    ) -> xr.Dataset:
        """Read the file; ``dataset`` (the catalogue id) is named in error messages."""
        if not isinstance(filename_or_obj, (str, os.PathLike)):
            raise TypeError("the odv engine reads files by path, not "
                            f"{type(filename_or_obj).__name__} objects")
        ds = read_odv(os.fspath(filename_or_obj), dataset=dataset)
        if drop_variables is not None:
            names = [drop_variables] if isinstance(drop_variables, str) else list(drop_variables)
            ds = ds.drop_vars(names, errors="ignore")
        return ds

    def guess_can_open(self, filename_or_obj: Any) -> bool:
        """True for paths of ODV spreadsheets (sniffed), False for anything else."""
        if not isinstance(filename_or_obj, (str, os.PathLike)):
            return False
        return looks_like_odv(filename_or_obj)


def open_odv(path: str | os.PathLike[str], dataset: str = "") -> xr.Dataset:
    """One ODV file through xarray's ``open_dataset`` with this package's backend."""
    return xr.open_dataset(path, engine=ODVBackendEntrypoint, dataset=dataset)
