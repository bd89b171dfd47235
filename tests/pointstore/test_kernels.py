"""The numba kernel's run-length statistics against a per-point numpy reference."""

from __future__ import annotations

import numpy as np
import pytest

from portal.pointstore import kernels as K


def _runs(rng, n: int, npix: int) -> np.ndarray:
    """Pixel indices in runs (as Hilbert-sorted points give), with trash slots among them."""
    lengths = rng.integers(1, 40, n)
    pix = np.repeat(rng.integers(0, npix + 1, n), lengths)[:n]  # npix: the trash slot
    return pix.astype(np.int32)


def _reference(buf, values, av, bv, npix):
    ok = (buf < npix) & np.isfinite(values)
    decoded = values[ok] * av + bv
    count = np.bincount(buf[ok], minlength=npix)
    total = np.bincount(buf[ok], weights=decoded, minlength=npix)
    lo, hi = np.full(npix, np.inf), np.full(npix, -np.inf)
    np.minimum.at(lo, buf[ok], decoded)
    np.maximum.at(hi, buf[ok], decoded)
    return count, total, lo, hi


@pytest.mark.parametrize("compact", [True, False])
def test_scatter_stats_runs_equal_per_point_reference(compact):
    rng = np.random.default_rng(3)
    npix, n = 50, 20_000
    buf = _runs(rng, n, npix)
    buf[buf == 7] = npix  # one pixel without points
    if compact:
        codes = rng.integers(0, K.Q_NAN, n).astype(np.uint16)
        codes[rng.random(n) < 0.1] = K.Q_NAN
        values = np.where(codes == K.Q_NAN, np.nan, codes.astype(np.float64))
        vs, av, bv = codes, 0.0005, -1.5
    else:
        vs = rng.normal(10, 3, n).astype(np.float32)
        vs[rng.random(n) < 0.1] = np.nan
        values, av, bv = vs.astype(np.float64), 1.0, 0.0
    acc = np.zeros(npix + 1, np.uint32)
    sums, mins, maxs = np.zeros(npix + 1), np.full(npix + 1, np.inf), np.full(npix + 1, -np.inf)
    K._scatter_stats(buf, vs, av, bv, compact, acc, sums, mins, maxs)
    count, total, lo, hi = _reference(buf, values, av, bv, npix)
    assert acc[npix] == 0  # the trash slot takes nothing
    np.testing.assert_array_equal(acc[:npix], count)
    np.testing.assert_allclose(sums[:npix], total, rtol=1e-12, atol=1e-9)
    np.testing.assert_array_equal(mins[:npix], lo)  # one decode of the extreme code: exact
    np.testing.assert_array_equal(maxs[:npix], hi)
    assert count.min() == 0 and (np.isinf(mins[:npix]) == (count == 0)).all()
