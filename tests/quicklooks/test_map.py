"""Observation maps: the positions frame is computed once per shared view, each map gets
its own copy and its own HoloViews objects."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from portal import cache as pc
from portal.quicklooks import Style
from portal.quicklooks import map as map_


@pytest.fixture(autouse=True)
def _fresh_caches():
    pc.reset()
    yield
    pc.reset()


def _profiles(n_prof=30, levels=(5.0, 0.0, 100.0)):
    """Profiles 10 days apart, levels unsorted (the shallowest is not the first row)."""
    rows = [(p, z) for p in range(n_prof) for z in levels]
    feature = np.array([r[0] for r in rows], dtype="int32")
    z = np.array([r[1] for r in rows])
    time = np.datetime64("2024-01-01") + feature * np.timedelta64(10, "D")
    return xr.Dataset(
        {"TEMP": ("obs", 20 - z / 40 + feature, {"units": "degree_Celsius"})},
        coords={"feature": ("obs", feature), "z": ("obs", z, {"units": "m"}),
                "time": ("obs", time.astype("datetime64[ns]")),
                "longitude": ("obs", feature * 2.0 - 179.0), "latitude": ("obs", 0.0 * z)})


@pytest.fixture
def counted(monkeypatch):
    calls = []
    real = map_._new_points_frame

    def counting(*args):
        calls.append(args[1:])
        return real(*args)

    monkeypatch.setattr(map_, "_new_points_frame", counting)
    return calls


def test_positions_frame_is_computed_once_per_view(counted):
    obs = _profiles()
    first = map_._points_frame(obs, "TEMP", "profile")
    assert len(first) == 30 and (first["z"] == 0.0).all()  # the shallowest sample of each
    second = map_._points_frame(obs.assign_attrs(platform_id="P"), "TEMP", "profile")
    assert len(counted) == 1
    assert first.equals(second) and second.attrs == first.attrs
    map_._points_frame(obs, "TEMP", "trajectory")  # another layout: computed
    new = obs.copy(deep=True)  # equal values in other arrays (a changed file, read again)
    map_._points_frame(new, "TEMP", "profile")
    assert len(counted) == 3


def test_each_caller_gets_its_own_frame(counted):
    obs = _profiles()
    first = map_._points_frame(obs, "TEMP", "profile")
    keep = first.copy(deep=True)
    first["longitude"] = 0.0  # a caller adding or replacing columns
    first["x"] = 1.0
    first.attrs["central_longitude"] = 99.0
    again = map_._points_frame(obs, "TEMP", "profile")
    assert len(counted) == 1
    assert again.equals(keep) and again.attrs == keep.attrs and "x" not in again


def test_two_sessions_get_independent_maps_of_one_frame(counted):
    from portal.quicklooks import ensure_backends
    from portal.ui.map_patching import frames_pipe

    ensure_backends()
    obs = _profiles()
    maps = [map_.build(obs, variable="TEMP", feature_type="profile", title="T", style=Style())
            for _ in range(2)]
    assert len(counted) == 1  # one positions frame for both
    pipes = [frames_pipe(m) for m in maps]
    assert maps[0] is not maps[1] and pipes[0] is not pipes[1]  # own streams and plots
    drawn = [pipe.data() for pipe in pipes]
    assert drawn[0] is not drawn[1] and drawn[0].data is not drawn[1].data
    drawn[0].data["TEMP"] = -1.0  # one session's element changed: the other's is not
    assert (drawn[1].data["TEMP"] != -1.0).all()
    assert (map_._points_frame(obs, "TEMP", "profile")["TEMP"] != -1.0).all()
