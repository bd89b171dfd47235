"""Decimation keeps extremes, respects zoom windows and both binning paths agree."""

from __future__ import annotations

import numpy as np

from portal.processing.decimate import decimate_indices, is_regular, window


def _series(n=200_000, seed=1):
    rng = np.random.default_rng(seed)
    t = (np.arange(n, dtype="int64") * 60).astype("datetime64[s]").astype("datetime64[ns]")
    y = np.cumsum(rng.standard_normal(n))
    spikes = [i for i in (1234, 98765, 150000) if i < n]
    y[spikes] += [400.0, -400.0, 250.0][: len(spikes)]
    return t, y


def test_spikes_survive_decimation():
    t, y = _series()
    for regular in (True, False):
        idx = decimate_indices(t, y, 1600, regular)
        assert idx.size <= 1600
        assert {1234, 98765, 150000} <= set(idx.tolist())
        assert np.all(np.diff(idx) > 0)


def test_regularity_detection():
    t, _ = _series(1000)
    assert is_regular(t)
    gappy = np.delete(t, np.arange(100, 200))
    assert not is_regular(gappy)


def test_window_slices_the_zoomed_range():
    t, _ = _series(10_000)
    sl = window(t, t[2000], t[3000])
    assert t[sl][0] <= t[2000] and t[sl][-1] >= t[3000]
    assert sl.stop - sl.start <= 1003


def test_short_series_are_not_decimated():
    t, y = _series(500)
    assert decimate_indices(t, y, 1600).tolist() == list(range(500))
