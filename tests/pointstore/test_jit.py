"""portal.pointstore.jit: the point store's modules import without numba; the first kernel
call loads it, and kernels (calling kernels) give numba's results."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO

CHECK = """
import sys
import numpy as np
import portal.pointstore.aggregate as A
from portal.pointstore import jit, kernels as K, overviews as ov
assert "numba" not in sys.modules and not jit.loaded()
assert isinstance(ov._spread, jit._Kernel) and ov._spread.__name__ == "_spread"
A.warmup()  # every kernel the server warms up, one calling others
assert jit.loaded() and type(K.aggregate_rows).__name__ == "CPUDispatcher"
assert type(ov._spread).__name__ == "CPUDispatcher"
sums, low, high = ov.spread({"cell": np.array([0, 1])}, 0, np.ones((2, 1)), (-180, -90, 180, 90),
                            4, 2, np.array([[1.0, 2.0], [3.0, 4.0]]))
assert sums.sum() == 2.0 and np.nanmax(high) == 4.0
print("OK")
"""


def test_kernels_compile_on_first_call_not_at_import():
    res = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True,
                         timeout=300, cwd=REPO)
    assert res.returncode == 0 and "OK" in res.stdout, res.stderr[-3000:]
