"""Min/max-preserving decimation of long series to the screen's width.

Wraps tsdownsample's MinMaxLTTB (Rust): the indices it keeps include every local
extreme of each pixel column, so spikes survive decimation. Slicing to a zoomed
range uses ``np.searchsorted`` on the sorted time axis, so re-sampling on zoom
costs only the visible points.
"""

from __future__ import annotations

import numpy as np


def is_regular(x: np.ndarray, tolerance: float = 1e-3) -> bool:
    """True when a sorted axis is evenly spaced (then bins by index equal bins in time).

    Checks 10,001 evenly spread samples against the straight line from first to last
    value: any gap or change of rate shifts every later sample, so it shows up, and
    the check costs microseconds even for 10⁸ values.
    """
    if x.size < 3:
        return True
    xs = x.view("int64") if x.dtype.kind == "M" else x
    idx = np.unique(np.linspace(0, xs.size - 1, 10_001).astype("int64"))
    mean = (float(xs[-1]) - float(xs[0])) / (xs.size - 1)
    expected = float(xs[0]) + idx * mean
    return bool(mean > 0 and np.abs(xs[idx] - expected).max() <= max(tolerance * mean, 1.0))


def decimate_indices(x: np.ndarray, y: np.ndarray, n_out: int,
                     regular: bool | None = None) -> np.ndarray:
    """Indices of at most ``n_out`` points keeping extremes (``x`` sorted, no NaN in ``y``).

    An evenly sampled series (``regular``; checked when None) is binned by index,
    which reads half the memory: the time axis is not needed to place the bins.
    """
    n = x.size
    if n <= n_out or n_out < 4:
        return np.arange(n)
    from tsdownsample import MinMaxLTTBDownsampler

    if regular is None:
        regular = is_regular(x)
    if regular:
        return MinMaxLTTBDownsampler().downsample(y, n_out=n_out, parallel=True)
    xs = x.view("int64") if x.dtype.kind == "M" else x
    return MinMaxLTTBDownsampler().downsample(xs, y, n_out=n_out, parallel=True)


def window(x: np.ndarray, start=None, end=None) -> slice:
    """Slice of a sorted ``x`` between ``start`` and ``end`` (inclusive; None = open)."""
    lo = 0 if start is None else int(np.searchsorted(x, start, side="left"))
    hi = x.size if end is None else int(np.searchsorted(x, end, side="right"))
    return slice(max(lo - 1, 0), min(hi + 1, x.size))
