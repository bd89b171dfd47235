"""select_obs: a selection that keeps every row gives the same table as one that copies it,
without touching the table it came from."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from portal.errors import NoDataInSelection
from portal.processing.subset import select_obs
from portal.query import Query


def _obs(temp: np.ndarray) -> xr.Dataset:
    n = temp.size
    times = np.datetime64("2024-01-01", "ns") + np.arange(n) * np.timedelta64(60, "s")
    return xr.Dataset({"TEMP": ("obs", temp)},
                      coords={"time": ("obs", times), "latitude": ("obs", np.full(n, 47.0)),
                              "longitude": ("obs", np.full(n, -4.0))},
                      attrs={"featureType": "timeSeries"})


def test_every_row_kept_gives_the_rows_and_fresh_attributes():
    obs = _obs(np.arange(5, dtype="float32"))
    out = select_obs(obs, Query(), "TEMP", require=("time",))
    np.testing.assert_array_equal(out.TEMP.values, obs.TEMP.values)
    assert out.attrs["times_interpolated"] == 0
    assert "times_interpolated" not in obs.attrs  # the cached table's attributes untouched


def test_rows_without_a_value_are_dropped_and_none_left_raises():
    obs = _obs(np.array([1.0, np.nan, 3.0], dtype="float32"))
    out = select_obs(obs, Query(), "TEMP")
    np.testing.assert_array_equal(out.TEMP.values, [1.0, 3.0])
    with pytest.raises(NoDataInSelection):
        select_obs(_obs(np.full(3, np.nan, "float32")), Query(), "TEMP")


def test_a_station_position_stays_one_value_through_a_selection():
    """A constant column (a mooring's latitude: a view with 0 steps, no memory per row)
    comes out of a selection the same way, with the same values as a copied column."""
    from portal.processing.normalize import constant

    temp = np.array([1.0, np.nan, 3.0, 4.0, np.nan], dtype="float32")
    obs = _obs(temp).assign_coords(latitude=("obs", constant(47.0, (5,))))
    out = select_obs(obs, Query(), "TEMP", require=("time",))
    assert out.latitude.values.strides == (0,) and "latitude" in out.coords
    np.testing.assert_array_equal(out.latitude.values, [47.0, 47.0, 47.0])
    np.testing.assert_array_equal(out.longitude.values, [-4.0, -4.0, -4.0])  # copied: as before
    np.testing.assert_array_equal(out.TEMP.values, [1.0, 3.0, 4.0])
    np.testing.assert_array_equal(out.time.values, obs.time.values[[0, 2, 3]])
