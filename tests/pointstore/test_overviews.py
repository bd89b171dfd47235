"""Overview spreading: the NumPy spread (used while numba is not loaded) equals the numba
kernel, weights, extremes and the date-line shifts included."""

from __future__ import annotations

import numpy as np
import pytest

from portal.pointstore import overviews as ov


@pytest.mark.parametrize("level,bbox,width,height", [
    (5, (-180, -90, 180, 90), 320, 200),   # cells of ~5 px
    (7, (-30, 10, 40, 60), 300, 200),      # cells under a pixel
    (7, (100, -50, 250, 20), 200, 100),    # across the date line (east + 360)
    (2, (-10, -10, 10, 10), 50, 40),       # one cell larger than the canvas
    (6, (-200, -80, -100, 0), 160, 120),   # west of -180
])
def test_numpy_spread_equals_the_kernel(level, bbox, width, height):
    rng = np.random.default_rng(level)
    cells = np.unique(rng.integers(0, (1 << level) ** 2 * 2, 3000))
    vals = rng.random((cells.size, 3))
    ext = np.sort(rng.random((cells.size, 2)), axis=1)
    table = {"cell": cells}
    ours = ov.spread(table, level, vals, bbox, width, height, ext)  # numba loaded: the kernel
    x0, y0, x1, y1 = bbox
    sx, sy = width / (x1 - x0), height / (y1 - y0)
    out = np.zeros((3, width * height))
    low, high = np.full(width * height, np.inf), np.full(width * height, -np.inf)
    for shift in (0.0,) + ((360.0,) if x1 > 180 else ()) + ((-360.0,) if x0 < -180 else ()):
        ov._spread_numpy(cells, level, vals, ext, x0, sx, y0, sy, shift, width, height, out,
                         low, high)
    assert ours[0].sum() > 0
    np.testing.assert_allclose(out.reshape(3, height, width), ours[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(np.where(np.isfinite(low), low, np.nan).reshape(height, width),
                                  ours[1])
    np.testing.assert_array_equal(np.where(np.isfinite(high), high, np.nan).reshape(height, width),
                                  ours[2])


def test_numpy_spread_only_for_small_footprints():
    cells = np.arange(1000)
    assert ov._numpy_will_do(cells, 7, 320 / 360, 200 / 180)      # < 1 px a cell
    assert not ov._numpy_will_do(cells, 2, 320 / 360, 200 / 180)  # ~40 px a cell
    assert not ov._numpy_will_do(np.arange(10_000_000), 7, 1.0, 1.0)  # too many cells
