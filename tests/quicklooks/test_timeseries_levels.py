"""Which series over depth stay one line (a fixed sensor) and which become levels or a section."""

from __future__ import annotations

import numpy as np
import xarray as xr

from portal.quicklooks.timeseries import depth_levels


def _obs(z: np.ndarray) -> xr.Dataset:
    n = z.size
    time = np.datetime64("2024-01-01") + np.arange(n) * np.timedelta64(1, "m")
    return xr.Dataset({"TEMP": ("obs", np.linspace(10, 12, n))},
                      coords={"time": ("obs", time), "z": ("obs", z)})


def test_a_fixed_sensor_with_tides_stays_one_line():
    tide = 12.5 + 2.5 * np.sin(np.linspace(0, 40 * np.pi, 5000))  # a 12 m sensor, 10-15 dbar
    assert depth_levels(_obs(tide)) is None


def test_a_glider_spans_levels():
    yo = 500 + 500 * np.sin(np.linspace(0, 20 * np.pi, 5000))  # 0-1000 m yo-yos
    levels = depth_levels(_obs(yo))
    assert levels is not None and levels.size > 100


def test_a_mooring_string_gives_its_instrument_depths():
    z = np.tile([10.0, 20.0, 50.0, 100.0], 500)
    assert list(depth_levels(_obs(z))) == [10.0, 20.0, 50.0, 100.0]


def test_levels_are_computed_once_per_shared_view(monkeypatch):
    from portal import cache as pc
    from portal.quicklooks import timeseries

    pc.reset()
    calls = []
    real = timeseries._levels
    monkeypatch.setattr(timeseries, "_levels", lambda z: calls.append(1) or real(z))
    obs = _obs(np.tile([10.0, 20.0, 50.0, 100.0], 500))
    first = depth_levels(obs)
    first[0] = -1.0  # a caller's copy
    assert list(depth_levels(obs.assign_attrs(platform_id="P"))) == [10.0, 20.0, 50.0, 100.0]
    assert len(calls) == 1
    depth_levels(obs.copy(deep=True))  # other arrays: computed
    assert len(calls) == 2
    pc.reset()


def test_a_series_sends_its_zoom_within_100_ms():
    # the wheel zooms time and the series reloads at full resolution: Bokeh's default
    # lod_timeout waited 500 ms after the wheel before telling the server the new span
    import holoviews as hv

    from portal.quicklooks import Style, ensure_backends
    from portal.quicklooks.timeseries import build

    ensure_backends()
    obs = _obs(np.full(5000, 12.0))
    element = build(obs, variable="TEMP", feature_type="timeSeries", title="Series",
                    style=Style(width=400, height=300))
    assert hv.render(element, backend="bokeh").lod_timeout <= 100
