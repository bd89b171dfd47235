"""ODV spreadsheet files (Ocean Data View and SeaDataNet ODV exports) as CF ragged datasets.

An ODV spreadsheet is a tab- or semicolon-separated text table after ``//`` comment lines
that declare the columns; station metadata columns come first and are filled only where
a station starts, data columns follow, each optionally followed by a ``QV:<scheme>`` flag
column. The package splits the reader by job: :mod:`.text` (decoding, sniffing),
:mod:`.header` (comment and header-row grammar), :mod:`.layout` (rows, stations, column
roles), :mod:`.variables` (CF variables and flags), :mod:`.dataset` (assembly,
:func:`read_odv`, :func:`concat_stations`) and :mod:`.backend` (the xarray engine
``odv``). Only the sniffing test is imported eagerly: the readers need pandas and xarray,
which ``import portal`` must not pull in, so they load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from portal.formats.odv.text import looks_like_odv

if TYPE_CHECKING:
    from portal.formats.odv.backend import ODVBackendEntrypoint, open_odv
    from portal.formats.odv.dataset import concat_stations, read_odv

__all__ = ["ODVBackendEntrypoint", "concat_stations", "looks_like_odv", "open_odv", "read_odv"]

_LAZY = {"read_odv": "dataset", "concat_stations": "dataset", "open_odv": "backend",
         "ODVBackendEntrypoint": "backend"}


def __getattr__(name: str) -> Any:
    """The readers, imported on first use (they need pandas and xarray)."""
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
