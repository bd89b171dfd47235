"""Issue 10: default quicklook kinds and time colour bars on real-file layouts."""

from __future__ import annotations

import numpy as np
import pytest

from portal.quicklooks import entry_kinds
from portal.quicklooks.style import time_colorbar_opts, time_colour_values


def _entries(tmp_path, *paths):
    from tests.fixtures_realfiles import scanned_catalog

    return scanned_catalog(tmp_path, *paths)[1]


def test_single_profile_defaults_to_a_profile(realfiles, tmp_path):
    entry = _entries(tmp_path, realfiles("argo_single_profile"))["r6900000_001"]
    assert entry_kinds(entry)[0] == "profile"


@pytest.mark.parametrize("name", ["R13857_001.nc", "D4900590_097.nc", "SD5904989_012.nc"])
def test_real_argo_single_profiles_default_to_a_profile(shared, tmp_path, name):
    entries = _entries(tmp_path, shared / "argo" / "profiles" / name)
    assert entry_kinds(next(iter(entries)))[0] == "profile"


def test_real_multi_profile_float_keeps_its_map(shared, tmp_path):
    entries = _entries(tmp_path, shared / "argo" / "multiprofile" / "6901744_prof.nc")
    assert entry_kinds(next(iter(entries)))[0] == "map"


def test_real_glider_single_dive_defaults_to_a_profile(shared, tmp_path):
    # 453 samples within 0.02 degrees: on a map, one blob; as a profile, the dive
    entries = _entries(tmp_path, shared / "dsg" / "trajectory" / "ru29-20140101T0942_glider.nc")
    assert entry_kinds(next(iter(entries)))[0] == "profile"


def test_real_ship_track_keeps_its_map(shared, tmp_path):
    entries = _entries(tmp_path, shared / "dsg" / "trajectory"
                       / "netCDF_trajectory_tsg_with_instrument.nc")
    assert entry_kinds(next(iter(entries)))[0] == "map"


def test_time_colour_bar_prints_dates_for_an_instant():
    values = time_colour_values(np.array(["2015-03-02T10:00"], dtype="datetime64[ns]"))
    bokeh, mpl = time_colorbar_opts(values)
    lo, hi = mpl["clim"]
    assert hi - lo == pytest.approx(86_400_000)
    assert mpl["cformatter"](values[0]) == "2015-03-02 10:00"
    assert bokeh["clim"] == mpl["clim"]


def test_time_colour_bar_under_an_hour_keeps_its_range_and_ticks_minutes():
    t = np.array(["2015-03-02T10:03", "2015-03-02T10:47"], dtype="datetime64[ns]")
    values = time_colour_values(t)  # a 44-minute ship track: one colour when widened
    bokeh, mpl = time_colorbar_opts(values)
    assert mpl["clim"] == bokeh["clim"] == (values[0], values[1])
    labels = [text for _, text in mpl["cbar_ticks"]]
    assert len(labels) >= 2 and all(text.startswith("2015-03-02 10:") for text in labels)
    assert mpl["cformatter"](values[1]) == "2015-03-02 10:47"


def test_every_time_colour_scale_takes_the_same_range():
    from portal.quicklooks.style import time_range
    from portal.render.plots import _time_clim

    values = time_colour_values(np.array(["2015-03-02T10:03", "2015-03-02T10:47"],
                                         dtype="datetime64[ns]"))
    assert _time_clim(values) == time_range(values[0], values[1]) == (values[0], values[1])
    assert time_range(5.0, 5.0) == (5.0 - 43_200_000, 5.0 + 43_200_000)  # an instant


def test_time_colour_bar_over_years_prints_years():
    t = np.array(["2001-01-01", "2015-01-01"], dtype="datetime64[ns]")
    _, mpl = time_colorbar_opts(time_colour_values(t))
    assert mpl["cformatter"](time_colour_values(t)[1]) == "2015"


# ------------------------------------------------------- 4 + 5. series over several depths

def _view(tmp_path, path, entry_id, kind="timeseries", **query):
    from portal.model import Query
    from portal.pipeline import load_view

    entry = _entries(tmp_path, path)[entry_id]
    return entry, load_view(entry, kind, Query(**query))


def _build(view):
    from portal.quicklooks import Style, builder, ensure_backends

    ensure_backends()
    return builder(view.kind)(view.data, variable=view.variable, feature_type=view.feature_type,
                              title="t", style=Style(interactive=False))


def test_timeseries_profile_draws_one_line_per_depth(realfiles, tmp_path):
    import holoviews as hv

    _, view = _view(tmp_path, realfiles("timeseries_profile"), "timeseries_profile")
    element = _build(view)
    assert isinstance(element, hv.Overlay) and len(element) == 3
    assert [c.label for c in element] == ["10 m", "50 m", "100 m"]


def test_depth_selector_picks_the_levels(realfiles, tmp_path):
    _, view = _view(tmp_path, realfiles("timeseries_profile"), "timeseries_profile",
                    depth=(40.0, 60.0))
    element = _build(view)
    assert "samples in source" in element.opts.get().kwargs["title"]  # one level: one line


def test_glider_as_time_is_a_time_depth_section(realfiles, tmp_path, monkeypatch):
    import holoviews as hv

    import portal.quicklooks.timeseries as ts

    monkeypatch.setattr(ts, "MAX_LINES", 1)
    _, view = _view(tmp_path, realfiles("glider_segment_id"), "glider_segment_id")
    element = _build(view)
    assert isinstance(element, hv.Points) and element.kdims[1].name == "z"


def test_instrument_mooring_is_a_time_series_with_lines_per_instrument(realfiles, tmp_path):
    import holoviews as hv

    entry, view = _view(tmp_path, realfiles("instrument_mooring"), "instrument_mooring")
    assert entry.feature_type in ("timeSeries", "timeSeriesProfile")
    element = _build(view)
    assert isinstance(element, hv.Overlay) and len(element) == 3


def test_casts_joined_in_a_flat_table_are_drawn_apart():
    from portal.quicklooks.profile import _cast_starts

    z = np.array([10.0, 50, 100, 12, 55, 98, 11, 60, 99])
    assert _cast_starts(z).tolist() == [3, 6]
    assert _cast_starts(np.array([1000.0, 400, 0])).size == 0  # a bottom-up profile stays one
