"""Linked views: their sample table is computed once per shared view; each session gets its
own table copy, data source and ring."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from portal import cache as pc
from portal.quicklooks import Style, linked


@pytest.fixture(autouse=True)
def _fresh_caches():
    pc.reset()
    yield
    pc.reset()


def _profiles():
    z = np.tile([0.0, 100.0, 200.0, 400.0], 4)
    feature = np.repeat(np.arange(4, dtype="int32"), 4)
    return xr.Dataset(
        {"TEMP": ("obs", 20 - z / 40 + feature, {"units": "degree_Celsius"}),
         "PSAL": ("obs", np.full(z.size, 35.0), {"units": "psu"})},
        coords={"feature": ("obs", feature), "z": ("obs", z, {"units": "dbar"}),
                "time": ("obs", np.datetime64("2024-01-01", "ns")
                         + feature * np.timedelta64(10, "D")),
                "longitude": ("obs", feature * 1.0), "latitude": ("obs", 0.0 * z)})


def test_two_sessions_share_the_table_not_the_selection(monkeypatch):
    import holoviews as hv
    from bokeh.models import ColumnDataSource, GlyphRenderer

    from portal.quicklooks import ensure_backends

    ensure_backends()
    calls = []
    real = linked.sample_table
    monkeypatch.setattr(linked, "sample_table", lambda *a: calls.append(1) or real(*a))
    obs = _profiles()
    one, two = (linked.build(obs.assign_attrs(platform_id="P"), variable="TEMP",
                             feature_type="profile", title="T", style=Style())
                for _ in range(2))
    assert len(calls) == 1
    assert one is not two

    def sources(layout) -> set[str]:
        root = hv.renderer("bokeh").get_plot(layout).state
        return {r.data_source.id for r in root.select({"type": GlyphRenderer})
                if isinstance(r.data_source, ColumnDataSource)}

    first = sources(one)
    assert first.isdisjoint(sources(two))  # each page its own selection and ring
    assert first.isdisjoint(sources(one))  # and each drawing of one page
    mine, _ = linked._shared_table(obs, "TEMP", "")
    mine["value"] = -1.0  # a caller's copy
    again, rings = linked._shared_table(obs, "TEMP", "")
    assert (again["value"] != -1.0).all() and len(calls) == 1
    linked.build(obs.copy(deep=True), variable="TEMP", feature_type="profile",
                 title="T", style=Style())  # other arrays (a file read again)
    assert len(calls) == 2
