"""Start-up economies for short-lived command-line processes (``quicklook``, ``thumbnails``).

xarray asks "is this a dask array?" each time it wraps a NumPy array in a ``Variable``,
and answering imports ``dask.array`` (and SciPy's sparse matrices with it): about 0.4 s of
CPU in a cold process that never makes a dask array — NetCDF files under
:data:`portal.formats.netcdf.DASK_ABOVE_BYTES` are read without dask. :func:`defer_dask_array`
gives xarray the same answer without the import: no object is a ``dask.array.Array``
while ``dask.array`` is not imported (nor a dask collection while ``dask`` is not), and
once anything imports it (a large file opened in chunks, the point store's scheduler) the
check is the real one again. The
server does not call it (it imports dask at start anyway). It touches xarray's private
cache of duck-array modules; an xarray without that cache is left as it is.
"""

from __future__ import annotations

import sys
from typing import Any


class _LazyDaskArrayMeta(type):
    """``isinstance(x, LazyDaskArray)``: x is a dask array, asked without importing dask."""

    def __instancecheck__(cls, obj: Any) -> bool:
        module = sys.modules.get("dask.array")
        return module is not None and isinstance(obj, module.Array)

    def __subclasscheck__(cls, sub: type) -> bool:
        module = sys.modules.get("dask.array")
        return module is not None and issubclass(sub, module.Array)


class LazyDaskArray(metaclass=_LazyDaskArrayMeta):
    """Stands for ``dask.array.Array`` in xarray's type checks (never instantiated)."""


class _LazyDaskModule:
    """xarray's ``DuckArrayModule("dask")`` whose type check imports nothing; its module
    and version import dask when asked (xarray itself does not ask)."""

    type = (LazyDaskArray,)
    available = True

    @property
    def module(self):
        import dask

        return dask

    @property
    def version(self):
        from packaging.version import Version

        return Version(self.module.__version__)


def defer_dask_array() -> bool:
    """Let xarray check for dask arrays without importing ``dask.array``; True when done
    (False: dask is not installed, xarray has already answered, or keeps no such cache)."""
    import importlib.util

    if "dask.array" in sys.modules or importlib.util.find_spec("dask") is None:
        return False
    try:
        from xarray.namedarray import pycompat
    except ImportError:
        return False
    cache = getattr(pycompat, "_cached_duck_array_modules", None)
    if not isinstance(cache, dict) or "dask" in cache:
        return False
    cache["dask"] = _LazyDaskModule()
    _defer_collection_check()
    return True


def _defer_collection_check() -> None:
    """xarray's ``is_dask_collection`` imports ``dask.base`` (dask's graphs, delayed, Jinja
    templates: ~0.1 s) to answer; nothing is a dask collection while dask is not imported."""
    from xarray.namedarray import utils

    real = getattr(utils, "is_dask_collection", None)
    if real is None or getattr(real, "deferred", False):
        return

    def is_dask_collection(x: object) -> bool:
        return "dask" in sys.modules and bool(real(x))

    is_dask_collection.deferred = True  # type: ignore[attr-defined]
    utils.is_dask_collection = is_dask_collection  # type: ignore[assignment]
