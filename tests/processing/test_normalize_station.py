"""A fixed station's position (scalar latitude/longitude) becomes columns that repeat one
value without a copy per row; runs without ../shared."""

from __future__ import annotations

import numpy as np
import xarray as xr

from portal.processing.normalize import to_observations


def _station(n: int = 1000) -> xr.Dataset:
    times = np.datetime64("2024-01-01", "ns") + np.arange(n) * np.timedelta64(60, "s")
    return xr.Dataset(
        {"TEMP": ("TIME", np.linspace(10, 12, n).astype("float32"),
                  {"standard_name": "sea_water_temperature", "units": "degree_Celsius"})},
        coords={"TIME": ("TIME", times, {"standard_name": "time", "axis": "T"}),
                "LATITUDE": ((), 47.5, {"standard_name": "latitude", "units": "degrees_north"}),
                "LONGITUDE": ((), -3.25, {"standard_name": "longitude",
                                          "units": "degrees_east"})},
        attrs={"featureType": "timeSeries"})


def test_a_station_position_is_one_value_for_every_row_without_a_copy():
    obs = to_observations(_station(), "TEMP")
    assert obs.sizes["obs"] == 1000
    for name, value in (("latitude", 47.5), ("longitude", -3.25)):
        column = obs[name].values
        assert column.strides == (0,)  # 8 bytes, not 8 per row
        np.testing.assert_array_equal(column, np.full(1000, value))
    assert obs["feature"].values.strides == (0,) and int(obs["feature"].max()) == 0
    np.testing.assert_array_equal(obs["TEMP"].values, _station()["TEMP"].values)
