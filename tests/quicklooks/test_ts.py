"""T-S diagrams: the TEOS-10 sample of a selection is computed once per process and shared;
each session gets its own HoloViews objects."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from portal import cache as pc
from portal.model import Query
from portal.quicklooks import Style, ts
from tests.conftest import store_entry


@pytest.fixture(autouse=True)
def _fresh_caches():
    pc.reset()
    yield
    pc.reset()


@pytest.fixture
def store(small_store):
    return small_store


@pytest.fixture
def entry(store):
    return store_entry(store, "TEMP", "PSAL")


@pytest.fixture
def reads(monkeypatch):
    """Queries the point store was read for."""
    from portal.sources.pointstore import PointStoreHandle

    seen = []
    real = PointStoreHandle.observations

    def counting(self, query=None, max_points=1_000_000, platform=True):
        seen.append(query)
        return real(self, query, max_points=max_points, platform=platform)

    monkeypatch.setattr(PointStoreHandle, "observations", counting)
    return seen


def _points(overlay):
    import holoviews as hv

    return [el for el in overlay.traverse(lambda x: x, [hv.Points])]


def test_store_rows_are_read_once_per_selection_and_version(entry, reads, monkeypatch):
    from portal.pipeline import build_quicklook
    from portal.sources import versioning

    for query in (Query(), Query(variable="PSAL"), Query(qc="all")):  # qc auto: the store's all
        build_quicklook(entry, "ts", query, Style(interactive=False))
    build_quicklook(entry, "ts", Query(), Style(interactive=False, color_by="qc", lang="fr"))
    assert len(reads) == 1
    build_quicklook(entry, "ts", Query(qc="good"), Style(interactive=False))
    assert len(reads) == 2
    monkeypatch.setattr(versioning, "data_version", lambda _entry: "re-ingested")
    build_quicklook(entry, "ts", Query(), Style(interactive=False))
    assert len(reads) == 3


def test_two_sessions_share_the_sample_not_the_plot(entry, reads):
    from portal.pipeline import build_quicklook
    from portal.quicklooks import ensure_backends

    ensure_backends()
    one, two = (build_quicklook(entry, "ts", Query(), Style()) for _ in range(2))
    assert len(reads) == 1 and one is not two
    first, second = _points(one)[0], _points(two)[0]
    assert first is not second  # each session's own element, built on the shared columns
    np.testing.assert_array_equal(first.dimension_values("SA"), second.dimension_values("SA"))
    one.opts(title="changed", backend="bokeh")
    assert two.opts.get("plot", backend="bokeh").kwargs.get("title") != "changed"


def test_store_sample_keeps_what_the_diagram_drew(entry, store):
    """The cached sample (only the T and S columns kept) holds the values a diagram of the
    whole selection's rows had."""
    from portal.processing.qc import apply_qc
    from portal.sources import open_aggregator

    handle = open_aggregator(entry)
    query = Query(qc="good")
    got = ts.store_sample(handle, query, "pts")
    obs = handle.observations(query, max_points=ts.STORE_SAMPLE)
    for name in ("TEMP", "PSAL"):
        obs = apply_qc(obs, name, "good")
    obs = obs.isel(obs=np.flatnonzero((obs.TEMP.notnull() & obs.PSAL.notnull()).values))
    full = ts.sample(obs, "pts")
    assert "platform" not in got.obs and got.obs.sizes == full.obs.sizes
    xr.testing.assert_identical(got.tsd, full.tsd)
    for name in ("TEMP", "PSAL", "TEMP_qc", "PSAL_qc"):
        np.testing.assert_array_equal(got.obs[name].values, full.obs[name].values)


def _profiles():
    z = np.tile([0.0, 100.0, 500.0], 4)
    feature = np.repeat(np.arange(4, dtype="int32"), 3)
    return xr.Dataset(
        {"TEMP": ("obs", 20 - z / 40, {"units": "degree_Celsius"}),
         "PSAL": ("obs", np.full(z.size, 35.0), {"units": "psu"})},
        coords={"feature": ("obs", feature), "z": ("obs", z, {"units": "dbar"}),
                "time": ("obs", np.datetime64("2024-01-01", "ns") + feature * np.timedelta64(1, "D")),
                "longitude": ("obs", feature * 1.0), "latitude": ("obs", 0.0 * z)})


def test_a_shared_view_is_converted_once(monkeypatch):
    calls = []
    real = ts.teos10
    monkeypatch.setattr(ts, "teos10", lambda *a: calls.append(1) or real(*a))
    obs = _profiles()
    for style in (Style(interactive=False), Style(interactive=False, color_by="depth")):
        ts.build(obs.assign_attrs(platform_id="P"), variable="PSAL", feature_type="profile",
                 title="T", style=style)
    assert len(calls) == 1
    ts.build(obs.copy(deep=True), variable="PSAL", feature_type="profile", title="T",
             style=Style(interactive=False))  # other arrays (a file read again)
    assert len(calls) == 2
