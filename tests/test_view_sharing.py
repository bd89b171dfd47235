"""One cached view for the kinds that select the same rows: when every sample with a value
has a time, a depth and a position, the map, series, profile, section and time–depth views
of a (variable, selection) are one entry of the data cache; a sample without a depth keeps
the map's view apart from the profile's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from portal import cache as pc
from portal.model import DatasetEntry, Query
from portal.pipeline import load_view


@pytest.fixture(autouse=True)
def _fresh_caches():
    pc.reset()
    yield
    pc.reset()


def _glider(path, depth_gap: bool = False) -> DatasetEntry:
    n = 60
    z = np.tile(np.linspace(0.0, 100.0, 10), 6)
    if depth_gap:
        z[5] = np.nan  # a sample with a value and no depth
    ds = xr.Dataset(
        {"TEMP": ("obs", np.linspace(10.0, 14.0, n),
                  {"units": "degree_Celsius", "standard_name": "sea_water_temperature"})},
        coords={"time": ("obs", pd.date_range("2024-05-01", periods=n, freq="10min"),
                         {"standard_name": "time"}),
                "latitude": ("obs", np.linspace(43.0, 43.5, n),
                             {"standard_name": "latitude", "units": "degrees_north"}),
                "longitude": ("obs", np.linspace(7.0, 7.5, n),
                              {"standard_name": "longitude", "units": "degrees_east"}),
                "depth": ("obs", z, {"standard_name": "depth", "units": "m",
                                     "positive": "down"})},
        attrs={"featureType": "trajectory"})
    ds.to_netcdf(path)
    return DatasetEntry.from_metadata("glider", "netcdf", {"urlpath": str(path)},
                                      {"featureType": "trajectory", "vertical_coverage": [0, 100],
                                       "variables": [{"name": "TEMP"}]})


def test_the_plain_kinds_share_one_view(tmp_path):
    entry = _glider(tmp_path / "g.nc")
    views = {kind: load_view(entry, kind, Query(variable="TEMP"))
             for kind in ("map", "timeseries", "profile", "section", "timedepth")}
    assert {k: v.kind for k, v in views.items()} == {k: k for k in views}
    assert len({id(v.data) for v in views.values()}) == 1
    assert views["map"].data.sizes["obs"] == 60
    keys = [k for k in pc.data_cache()._entries if k[0] == "view"]
    assert len(keys) == 1
    later = load_view(entry, "map", Query(variable="TEMP", time=("2024-05-01", "2024-05-01T05:00")))
    assert later.data is not views["map"].data  # another selection, another view


def test_a_sample_without_depth_keeps_the_views_apart(tmp_path):
    entry = _glider(tmp_path / "g.nc", depth_gap=True)
    mapped = load_view(entry, "map", Query(variable="TEMP"))
    profiled = load_view(entry, "profile", Query(variable="TEMP"))
    assert mapped.data.sizes["obs"] == 60 and profiled.data.sizes["obs"] == 59
    assert len([k for k in pc.data_cache()._entries if k[0] == "view"]) == 2
