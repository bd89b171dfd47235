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


def test_levels_of_float32_depths_are_the_float64_levels_drawn():
    """Depths stored as float32 (no float64 copy for the spread test) still give levels
    equal to the float64-rounded depths each level's line is selected by."""
    z = np.repeat(np.array([10.1, 20.3, 50.7], dtype="float32"), 100)
    t = np.datetime64("2024-01-01", "ns") + np.arange(z.size) * np.timedelta64(60, "s")
    ds = xr.Dataset({"TEMP": ("obs", np.ones(z.size))}, coords={"time": ("obs", t),
                                                                "z": ("obs", z)})
    levels = depth_levels(ds)
    assert levels is not None and levels.dtype == np.float64
    rounded = np.round(z.astype("float64"), 1)
    assert all((rounded == level).sum() == 100 for level in levels)


def test_a_long_wobbling_sensor_stays_one_line():
    """10^6 depths: the median is taken over a strided sample; the decision is the same."""
    n = 1_000_000
    z = (30.0 + 6.0 * np.sin(np.arange(n) / 5000.0)).astype("float32")  # 24-36 dbar
    t = np.datetime64("2024-01-01", "ns") + np.arange(n) * np.timedelta64(60, "s")
    ds = xr.Dataset({"TEMP": ("obs", np.ones(n))}, coords={"time": ("obs", t), "z": ("obs", z)})
    assert float(np.median(z)) > 24.0  # the exact median: spread 12 < half of it
    assert depth_levels(ds) is None
    deeper = ds.assign_coords(z=("obs", (z - 20.0).astype("float32")))  # 4-16 dbar
    assert depth_levels(deeper) is not None  # spread 12 > half the median (~5)
