"""The oceanographer's kinds: T-S (σ₀ contours), section (distance along the track) and
time–depth (Hovmöller), by their values; the kinds offered per featureType; clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from portal.errors import UnsupportedQuicklook
from portal.quicklooks import Style, ensure_backends, section, timedepth, ts


@pytest.fixture(autouse=True, scope="module")
def _backends():
    ensure_backends()


def test_sigma0_contours_lie_on_their_level():
    import gsw

    paths, labels = ts.sigma0_lines((34.0, 36.0), (2.0, 20.0))
    assert 5 <= len(labels) <= 13
    for _sa, _ct, text in labels:
        level = float(text)
        on = [p for p in paths if abs(gsw.sigma0(p[0, 0], p[0, 1]) - level) < 1e-3]
        assert on, f"no contour at σ₀ = {text}"
    for path in paths:  # every vertex of a line has the same σ₀
        sig = gsw.sigma0(path[:, 0], path[:, 1])
        assert np.ptp(sig) < 5e-3
    assert ts.sigma0_step(24.0, 28.0) == 0.5 and ts.sigma0_step(10.0, 30.0) == 2.0


def test_the_sigma0_lines_are_one_path_broken_between_lines():
    """One HoloViews path, the lines split by NaN rows (Bokeh and Matplotlib break there)."""
    import holoviews as hv

    paths, _labels = ts.sigma0_lines((34.0, 36.0), (2.0, 20.0))
    drawn = [el for el in ts._contours((34.0, 36.0), (2.0, 20.0)) if type(el) is hv.Path][0]
    assert len(drawn.split()) == 1
    xy = drawn.array([0, 1])
    breaks = np.flatnonzero(np.isnan(xy[:, 0]))
    assert len(breaks) == len(paths) - 1
    pieces = np.split(xy, breaks)
    assert all(np.array_equal(piece[~np.isnan(piece[:, 0])], path)
               for piece, path in zip(pieces, paths, strict=True))


def _profiles(n_prof=4, levels=(0.0, 100.0, 200.0, 400.0)):
    """Profiles 10 days apart along the equator, 1° of longitude each, T = 20 - z/40."""
    rows = [(p, z) for p in range(n_prof) for z in levels]
    feature = np.array([r[0] for r in rows], dtype="int32")
    z = np.array([r[1] for r in rows])
    time = np.datetime64("2024-01-01") + feature * np.timedelta64(10, "D")
    return xr.Dataset(
        {"TEMP": ("obs", 20 - z / 40 + feature, {"units": "degree_Celsius"}),
         "PSAL": ("obs", np.full(z.size, 35.0), {"units": "psu"})},
        coords={"feature": ("obs", feature), "z": ("obs", z, {"units": "dbar"}),
                "time": ("obs", time.astype("datetime64[ns]")),
                "longitude": ("obs", feature.astype(float)), "latitude": ("obs", 0.0 * z)})


def test_along_track_distance_is_great_circle_and_noise_free():
    km = section.great_circle_km(np.array([0.0, 1.0, 1.0]), np.array([0.0, 0.0, 1.0]))
    np.testing.assert_allclose(km, [0, 111.195, 222.39], atol=0.01)
    rng = np.random.default_rng(0)  # a noisy straight track of 100 km: noise does not add up
    lat = np.linspace(43.0, 43.0 + 100 / 111.195, 50_000) + rng.normal(0, 2e-4, 50_000)
    lon = np.full(50_000, 7.0) + rng.normal(0, 2e-4, 50_000)
    assert section.along_track_km(lon, lat)[-1] == pytest.approx(100, abs=2)
    obs = section.in_track_order(_profiles())
    km = section.along_track_km(obs.longitude.values, obs.latitude.values)
    np.testing.assert_allclose(np.unique(km), [0, 111.195, 222.39, 333.585], atol=0.01)


def test_section_builds_distance_and_inset_and_refuses_one_depth():
    import holoviews as hv

    layout = section.build(_profiles(), variable="TEMP", feature_type="profile", title="T",
                           style=Style())
    body, inset = layout.values()
    assert body.kdims[0].label == "Distance along the track [km]"
    assert body.dimension_values("x").max() == pytest.approx(333.585, abs=0.01)
    assert isinstance(inset, hv.Overlay)
    track = [el for el in inset.values() if type(el) is hv.Path][0]
    np.testing.assert_allclose(track.dimension_values("lon"), [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                                               2, 3, 3, 3, 3])
    flat = _profiles(levels=(5.0,))
    with pytest.raises(UnsupportedQuicklook, match="several depths"):
        section.build(flat, variable="TEMP", feature_type="profile", title="T", style=Style(),
                      dataset="flat")


def test_timedepth_interpolates_each_profile_on_common_levels():
    obs = _profiles(levels=(0.0, 100.0, 200.0, 400.0, 800.0))
    levels = timedepth.depth_levels(obs.z.values)
    np.testing.assert_allclose(levels, [0, 100, 200, 400, 800])
    times, grid = timedepth.profile_columns(obs, "TEMP", np.array([50.0, 300.0]))
    assert times.size == 4
    np.testing.assert_allclose(grid[:, 2], [20 - 50 / 40 + 2, 20 - 300 / 40 + 2])
    mesh = timedepth.build(obs, variable="TEMP", feature_type="profile", title="T",
                           style=Style())
    assert mesh.dimension_values(2, flat=False).shape == (5, 4)


def test_timedepth_bins_a_sampled_series_and_refuses_one_level():
    t = pd.date_range("2024-01-01", periods=1000, freq="h").values
    z = np.tile([10.0, 50.0], 500)
    obs = xr.Dataset({"TEMP": ("obs", 15 - z / 10)},
                     coords={"time": ("obs", t), "z": ("obs", z)})
    centres, grid = timedepth.binned(obs, "TEMP", timedepth.depth_levels(z))
    assert grid.shape == (2, 400)
    np.testing.assert_allclose(np.nanmean(grid, axis=1), [14.0, 10.0])
    one = obs.assign_coords(z=("obs", np.full(1000, 12.0)))
    with pytest.raises(UnsupportedQuicklook, match="single depth") as err:
        timedepth.build(one, variable="TEMP", feature_type="timeSeries", title="T",
                        style=Style(), dataset="mooring")
    assert err.value.dataset == "mooring"


def test_ts_colours_by_depth_and_shades_large_selections():
    import holoviews as hv

    obs = _profiles()
    overlay = ts.build(obs, variable="PSAL", feature_type="profile", title="T",
                       style=Style(color_by="depth"))
    pts = [el for el in overlay.values() if isinstance(el, hv.Points)]
    assert pts and "Pressure" in pts[0].vdims[0].label
    np.testing.assert_allclose(np.sort(pts[0].dimension_values("cvalue")), np.sort(obs.z.values))
    big = xr.concat([obs] * (ts.SHADE_ABOVE // obs.sizes["obs"] + 1), dim="obs")
    shaded = ts.build(big, variable="PSAL", feature_type="profile", title="T",
                      style=Style(interactive=False))
    assert any(isinstance(el, hv.Image) for el in shaded.values())


def _entry(feature_type, variables, vertical=(0.0, 1000.0), bbox=(-20.0, 40.0, -10.0, 50.0)):
    from portal.model import DatasetEntry

    return DatasetEntry.from_metadata("e", "netcdf", {"urlpath": "x.nc"}, {
        "featureType": feature_type, "vertical_coverage": list(vertical), "bbox": list(bbox),
        "variables": [{"name": n, "standard_name": s} for n, s in variables]})


def test_kinds_offered_per_feature_type():
    from portal.sources import get_source

    kinds = get_source("netcdf").kinds
    ts_vars = [("TEMP", "sea_water_temperature"), ("PSAL", "sea_water_salinity")]
    assert {"ts", "section", "timedepth"} <= set(kinds(_entry("profile", ts_vars)))
    assert "ts" not in kinds(_entry("profile", ts_vars[:1]))  # no salinity
    glider = kinds(_entry("trajectory", ts_vars))
    assert {"ts", "section", "timedepth"} <= set(glider)
    sensor = kinds(_entry("timeSeries", ts_vars[:1], vertical=(9.7, 14.9)))
    assert "timedepth" not in sensor and "section" not in sensor  # one sensor, tides
    assert "timedepth" in kinds(_entry("timeSeries", ts_vars[:1], vertical=(0.0, 200.0)))
    assert "ts" in get_source("pointstore").kinds(_entry("point", ts_vars))


def _drawn(layout):
    """The rendered linked views: (glyph renderers by figure title, tap tools)."""
    import holoviews as hv
    from bokeh.models import GlyphRenderer, Plot, TapTool

    root = hv.renderer("bokeh").get_plot(layout).state
    figures = {f.title.text: f for f in root.select({"type": Plot})}
    renderers = {title: [r for r in f.renderers if isinstance(r, GlyphRenderer)]
                 for title, f in figures.items()}
    return renderers, list(root.select({"type": TapTool}))


def test_linked_views_share_one_selection():
    """One table behind the map, time-depth and T-S plots: the three plots' points draw
    from one Bokeh data source, so a box in one selects the same samples in the others in
    the browser; the unselected fade."""
    from portal.quicklooks import linked

    obs = _profiles()
    df = linked.sample_table(obs, "TEMP")
    assert {"lon", "lat", "time", "z", "value", "SA", "CT"} <= set(df.columns)
    layout = linked.build(obs, variable="TEMP", feature_type="profile", title="T",
                          style=Style())
    assert len(layout) == 3
    renderers, _ = _drawn(layout)
    points = [r for rs in renderers.values() for r in rs
              if r.name != "portal-linked-ring" and "lon" in r.data_source.data]
    assert len(points) == 3 and len({id(r.data_source) for r in points}) == 1
    shared = points[0].data_source.data
    assert set(df.columns) <= set(shared) and len(shared["lon"]) == len(df)
    assert all(r.nonselection_glyph.fill_alpha == linked.UNSELECTED_ALPHA for r in points)
    with pytest.raises(UnsupportedQuicklook, match="interactive"):
        linked.build(obs, variable="TEMP", feature_type="profile", title="T",
                     style=Style(interactive=False), dataset="d")
    big = xr.concat([obs] * (linked.MOST_SAMPLES // obs.sizes["obs"] + 1), dim="obs")
    assert len(linked.sample_table(big, "TEMP")) == linked.MOST_SAMPLES


def test_a_click_on_a_profile_selects_it_and_rings_its_position():
    """The T-S (or profile) plot's tap tool selects the clicked sample's whole profile
    (its feature id; else its position and time) and rings its position on the map's
    ring layer; any other selection clears the ring (the browser runs it: see
    tests/browser/test_ocean_views.py)."""
    from bokeh.models import CustomJS

    from portal.quicklooks import linked

    obs = _profiles()
    renderers, taps = _drawn(linked.build(obs, variable="TEMP", feature_type="profile",
                                          title="T", style=Style()))
    ring = [r for rs in renderers.values() for r in rs if r.name == "portal-linked-ring"]
    assert len(ring) == 1 and ring[0].data_source.data == {"x": [], "y": []}
    assert ring in [[r for r in rs if r.name == "portal-linked-ring"]
                    for title, rs in renderers.items() if title.startswith("Positions")]
    assert len(taps) == 1 and isinstance(taps[0].callback, CustomJS)
    assert taps[0].callback.args == {"ring": ring[0].data_source, "keys": ["feature"]}
    assert taps[0].callback.code == linked.TAP_JS
    tapped = [r for rs in renderers.values() for r in rs
              if getattr(r.glyph, "hit_dilation", None) == linked.TAP_REACH]
    assert len(tapped) == 1 and "SA" in tapped[0].data_source.data  # the T-S points
    shared = next(r.data_source for rs in renderers.values() for r in rs
                  if "feature" in r.data_source.data)
    clear = shared.selected.js_property_callbacks["change:indices"]
    assert [c.code for c in clear] == [linked.CLEAR_JS]
    assert clear[0].args == {"ring": ring[0].data_source}

    plain = obs.drop_vars(["PSAL", "feature"])  # no salinity: the profile plot; no feature id
    _, taps = _drawn(linked.build(plain, variable="TEMP", feature_type="profile", title="T",
                                  style=Style()))
    assert taps[0].callback.args["keys"] == ["lon", "lat", "time"]
