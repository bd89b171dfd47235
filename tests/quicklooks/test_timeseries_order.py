"""A series' samples are drawn in time order, each with its own value and QC flag, whether
the file stores them in order (no copy) or not."""

from __future__ import annotations

import numpy as np
import xarray as xr

from portal.quicklooks.timeseries import _series


def _obs(order: list[int]) -> xr.Dataset:
    time = np.datetime64("2024-01-01") + np.array(order) * np.timedelta64(1, "h")
    return xr.Dataset({"TEMP": ("obs", np.array(order, dtype="float32") * 10),
                       "TEMP_qc": ("obs", np.array(order, dtype="int8"))},
                      coords={"time": ("obs", time)})


def test_samples_come_in_time_order_with_their_values_and_flags():
    for order in ([0, 1, 2, 3], [2, 0, 3, 1], [0, 1, 1, 2]):
        t, y, flags = _series(_obs(order), "TEMP")
        hours = (t - np.datetime64("2024-01-01")) // np.timedelta64(1, "h")
        assert list(hours) == sorted(order)
        assert list(y) == [10.0 * h for h in hours] and y.dtype == np.float64
        assert flags is not None and list(flags) == list(hours)
