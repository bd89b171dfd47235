"""The profile quicklook: every profile in one Segments table (one glyph), lines that join
only consecutive samples of one profile, and a figure that follows a control change (the
new variable's label and data range), in both backends."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from portal.quicklooks import Style, ensure_backends, profile


@pytest.fixture(autouse=True, scope="module")
def _backends():
    ensure_backends()


def _floats(n_prof: int = 3, levels=(0.0, 50.0, 100.0, 200.0)) -> xr.Dataset:
    """Profiles 10 days apart; TEMP = 20 - z/20 + profile, PSAL = 35 + z/1000 + profile/10."""
    rows = [(p, z) for p in range(n_prof) for z in levels]
    feature = np.array([r[0] for r in rows], dtype="int32")
    z = np.array([r[1] for r in rows])
    time = np.datetime64("2024-01-01") + feature * np.timedelta64(10, "D")
    return xr.Dataset(
        {"TEMP": ("obs", 20 - z / 20 + feature,
                  {"units": "degree_Celsius", "standard_name": "sea_water_temperature"}),
         "PSAL": ("obs", 35 + z / 1000 + feature / 10,
                  {"units": "psu", "standard_name": "sea_water_salinity"})},
        coords={"feature": ("obs", feature), "z": ("obs", z, {"units": "dbar"}),
                "time": ("obs", time.astype("datetime64[ns]"))},
        attrs={"platform_number": "6901744"})


def test_segments_join_consecutive_samples_of_one_profile_only():
    values = np.array([1.0, 2.0, np.nan, 4.0, 10.0, 11.0])
    z = np.array([0.0, 10.0, 20.0, 30.0, 0.0, 10.0])
    starts = np.array([0, 4])  # profile 0: samples 0-3, profile 1: samples 4-5
    seg = profile._segments(values, z, starts, np.array([100.0, 200.0]))
    # 0-1 joined; 1-2 and 2-3 dropped (NaN); 3-4 crosses profiles; 4-5 joined
    np.testing.assert_array_equal(seg, [[1, 0, 2, 10, 100], [10, 0, 11, 10, 200]])


def test_interleaved_profiles_are_grouped_and_coloured_by_their_time():
    obs = _floats().isel(obs=[0, 4, 1, 5, 2, 6, 3, 7])  # two profiles, interleaved
    values, z, starts, colours = profile._grouped(obs, "TEMP", "time")
    assert starts.tolist() == [0, 4]
    np.testing.assert_array_equal(z, [0, 50, 100, 200] * 2)
    assert colours[1] - colours[0] == 10 * 86_400_000  # ms: 10 days apart


def _render_bokeh(obs, variable):
    import holoviews as hv

    element = profile.build(obs, variable=variable, feature_type="profile", title="Float",
                            style=Style(width=800, height=500))
    return element, hv.render(element, backend="bokeh")


@pytest.mark.parametrize("variable, label", [("TEMP", "[degree_Celsius]"), ("PSAL", "[psu]")])
def test_a_variable_change_draws_the_new_variable_its_label_and_range(variable, label):
    import holoviews as hv

    obs = _floats()
    element, fig = _render_bokeh(obs, variable)
    lines, hover = element.get(0), element.get(1)
    assert isinstance(lines, hv.Segments)  # one glyph for all profiles
    assert len(lines) == 3 * 3  # 3 profiles of 4 samples: 3 segments each
    x = np.concatenate([lines.dimension_values(0), lines.dimension_values(2)])
    np.testing.assert_allclose([x.min(), x.max()], [obs[variable].min(), obs[variable].max()])
    assert label in fig.xaxis[0].axis_label and fig.yaxis[0].axis_label == "Pressure [dbar]"
    low, high = float(obs[variable].min()), float(obs[variable].max())
    assert fig.x_range.start <= low < high <= fig.x_range.end  # the new variable's range
    assert fig.x_range.end - fig.x_range.start < 2 * (high - low)  # not the other's
    assert fig.y_range.start > fig.y_range.end  # pressure down
    assert "3 profiles, 12 samples" in fig.title.text
    tips = dict(next(t for t in fig.tools if type(t).__name__ == "HoverTool").tooltips)
    assert tips["Platform"] == "6901744" and "Cycle / profile" in tips  # hover kept
    assert len(hover) == 12


def test_the_png_path_draws_the_segments_with_a_date_colour_bar():
    import holoviews as hv

    element = profile.build(_floats(), variable="TEMP", feature_type="profile", title="Float",
                            style=Style(interactive=False))
    fig = hv.render(element, backend="matplotlib")
    ax = fig.axes[0]
    assert ax.get_ylim()[0] > ax.get_ylim()[1]  # pressure down
    assert "degree_Celsius" in ax.get_xlabel()
    bar = fig.axes[-1]
    assert bar is not ax and any("2024" in t.get_text() for t in bar.get_yticklabels())


def test_one_sample_per_profile_is_drawn_as_dots():
    import holoviews as hv

    obs = _floats(n_prof=5, levels=(1000.0,))
    element = profile.build(obs, variable="TEMP", feature_type="profile", title="Park",
                            style=Style(interactive=False))
    assert isinstance(element, hv.Points) and len(element) == 5
