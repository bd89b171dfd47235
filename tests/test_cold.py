"""portal.cold: xarray's dask check without importing dask.array, still right for dask
arrays once dask.array is imported (each case in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO

CHECK = """
import sys
import numpy as np
from portal.cold import defer_dask_array
assert defer_dask_array()
assert not defer_dask_array()  # once per process
import xarray as xr
ds = xr.Dataset({"v": ("x", np.arange(4.0))}, coords={"x": np.arange(4)})
ds = ds.assign(w=ds.v * 2).isel(x=slice(1, 3))
assert float(ds.w.sum()) == 6.0
assert "dask" not in sys.modules, "xarray imported dask"
import dask.array as da
lazy = xr.DataArray(da.ones(6, chunks=3), dims="x")
assert lazy.chunks == ((3, 3),) and float((lazy * 2).sum().compute()) == 12.0
assert xr.Variable("x", np.arange(2)).chunks is None
print("OK")
"""


def test_xarray_checks_for_dask_arrays_without_importing_dask_array():
    res = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True,
                         timeout=120, cwd=REPO)
    assert res.returncode == 0 and "OK" in res.stdout, res.stderr


def test_without_the_deferral_xarray_imports_dask_array():
    """The peer: what the deferral saves happens without it (else the test above proves
    nothing)."""
    code = ("import sys, numpy as np, xarray as xr; xr.Variable('x', np.arange(2)); "
            "print('dask.array' in sys.modules)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, cwd=REPO)
    assert res.stdout.strip() == "True", res.stderr
