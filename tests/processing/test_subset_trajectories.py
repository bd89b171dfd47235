"""Trajectories whose samples carry no time or position of their own (issue 10).

Argo ``_Rtraj`` files time and locate only a few samples (surface fixes, descent and
ascent events); the park measurements in between have neither. They are drawn with times
interpolated along the trajectory, and the title says so; flags that the file itself
sets on positions/times (QC 8) are reported too.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from portal.formats.netcdf import open_netcdf_file
from portal.model import Query
from portal.processing.normalize import to_observations
from portal.processing.subset import interpolate_times, select_obs
from portal.processing.variables import titled, view_notes
from tests.processing.test_realfiles import _catalog

DAY = np.timedelta64(1, "D")


def test_samples_between_fixes_get_times_and_positions(realfiles):
    obs = to_observations(open_netcdf_file(str(realfiles("trajectory_times_at_fixes"))))
    assert int(np.isnat(obs.time.values).sum()) == 5
    out = select_obs(obs, Query(), "TEMP", require=("time",))
    # 0..6 are bracketed by fixes, 7 comes after the last fix: it keeps no time
    assert out.sizes["obs"] == 7
    t = out.time.values
    assert ((t[1:] - t[:-1]) == DAY).all()
    assert out.attrs["times_interpolated"] == 4
    assert out.latitude.values[1] == 41.0 and out.longitude.values[5] == -5.0
    assert out.attrs["positions_interpolated"] == 4
    assert view_notes(out) == ["4 times interpolated", "4 positions interpolated"]
    assert "4 times interpolated" in titled("T", "all", [], view_notes(out))


def _track(times, feature):
    return xr.Dataset({"TEMP": ("obs", np.ones(len(times)))},
                      coords={"time": ("obs", np.array(times, dtype="datetime64[ns]")),
                              "feature": ("obs", np.array(feature))},
                      attrs={"featureType": "trajectory"})


def test_no_time_is_invented_across_tracks_or_backwards():
    t0 = np.datetime64("2004-01-01", "ns")
    nat = np.datetime64("NaT", "ns")
    across = _track([t0, nat, t0 + 2 * DAY, t0 + 3 * DAY], [0, 0, 1, 1])
    out, done = interpolate_times(across)
    assert np.isnat(out.time.values[1]) and not done.any()
    backwards = _track([t0 + 2 * DAY, nat, t0], [0, 0, 0])
    assert np.isnat(interpolate_times(backwards)[0].time.values[1])
    forwards = _track([t0, nat, t0 + 2 * DAY], [0, 0, 0])
    assert interpolate_times(forwards)[0].time.values[1] == t0 + DAY


def test_argo_cycles_are_one_track():
    t0 = np.datetime64("2004-01-01", "ns")
    nat = np.datetime64("NaT", "ns")
    obs = _track([t0, nat, t0 + 2 * DAY], [1, 1, 2])  # park sample of cycle 1, next fix: 2
    obs.attrs["feature_unit"] = "cycle"
    assert interpolate_times(obs)[0].time.values[1] == t0 + DAY


def test_positions_flagged_interpolated_in_the_file_are_said(realfiles):
    obs = to_observations(open_netcdf_file(str(realfiles("argo_traj_position_qc8"))))
    assert obs.attrs["positions_estimated_by_provider"] == 2
    assert obs.attrs["times_estimated_by_provider"] == 1
    out = select_obs(obs, Query(), "TEMP", require=("time",))
    notes = view_notes(out)
    assert "2 positions flagged interpolated/estimated in the file" in notes


def test_real_argo_trajectory_draws_its_park_temperatures_in_time(shared, tmp_path):
    from portal.pipeline import load_view

    _, entries = _catalog(tmp_path, shared / "argo" / "trajectory" / "13857_Rtraj.nc")
    entry = entries["ds_13857_rtraj"]
    view = load_view(entry, "timeseries", Query())
    # the file times none of its 140 TEMP samples: all are timed along the trajectory
    assert view.data.sizes["obs"] == 140 == view.data.attrs["times_interpolated"]
    years = view.data.time.values.astype("datetime64[Y]").astype(int) + 1970
    assert 1997 <= years.min() and years.max() <= 2001
    title = titled(entry.title, view.qc, list(view.warnings), view_notes(view.data))
    assert "140 times interpolated" in title and "140 positions interpolated" in title
