"""Linked views: their sample table is computed once per shared view; each session gets its
own table copy, selection and streams."""

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
    from portal.quicklooks import ensure_backends

    ensure_backends()
    calls = []
    real = linked.sample_table
    monkeypatch.setattr(linked, "sample_table", lambda *a: calls.append(1) or real(*a))
    obs = _profiles()
    one, two = (linked.linked_views(obs.assign_attrs(platform_id="P"), variable="TEMP",
                                    feature_type="profile", title="T", style=Style())
                for _ in range(2))
    assert len(calls) == 1
    assert one.selection is not two.selection and one.tap is not two.tap
    assert one.layout is not two.layout
    one.tap.event(x=float(real(obs, "TEMP").SA[8]), y=float(real(obs, "TEMP").CT[8]))
    assert one.selection.selection_expr is not None and two.selection.selection_expr is None
    mine, _ = linked._shared_table(obs, "TEMP", "")
    mine["value"] = -1.0  # a caller's copy
    again, rings = linked._shared_table(obs, "TEMP", "")
    assert (again["value"] != -1.0).all() and len(calls) == 1
    linked.linked_views(obs.copy(deep=True), variable="TEMP", feature_type="profile",
                        title="T", style=Style())  # other arrays (a file read again)
    assert len(calls) == 2
