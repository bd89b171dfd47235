"""A page session does not grow as its visitor changes controls: control changes patched in
place (a point store's variable) leave the pane's HoloViews objects, Bokeh figures and the
collector's tracked objects where the first changes left them (issue 16: memory flat after
warm-up)."""

from __future__ import annotations

import collections
import gc

import param
import pytest

from tests.conftest import store_entry
from tests.ui.drawing import draw

KINDS = ("DynamicMap", "Overlay", "Pipe", "RangeXY", "HoloViews", "figure", "Document",
         "GlyphRenderer", "Watcher")
TRANSIENT = ("OptionTree",)  # counted, not asserted: see the test


def _counts() -> dict[str, int]:
    gc.collect()
    types = collections.Counter(type(o).__name__ for o in gc.get_objects())
    return {name: types[name] for name in KINDS + TRANSIENT} | {"tracked": sum(types.values())}


@pytest.fixture
def store(small_store):
    return store_entry(small_store, "TEMP", "PSAL", vertical_coverage=[0.0, 2000.0])


def test_patched_control_changes_leave_the_session_flat(store):
    from portal.ui.quicklook_pane import QuicklookPane
    from portal.ui.state import ViewState

    pane = QuicklookPane(state=ViewState(dataset=store.id, kind="map", var="TEMP"), entry=store)
    draw(pane).get_root()  # the figure on screen, which later changes patch

    def change(n: int) -> None:
        for i in range(n):
            pane.state.var = ("PSAL", "TEMP")[i % 2]
            assert draw(pane) is param.Skip  # patched in place

    change(8)  # warm-up: caches, first frames of each variable
    before = _counts()
    change(16)
    after = _counts()
    print(f"tracked objects after 8 changes {before['tracked']}, after 16 more "
          f"{after['tracked']}")
    assert {k: after[k] for k in KINDS} == {k: before[k] for k in KINDS}
    # HoloViews' OptionTree count stays at 211-215 over 40 changes in a plain script but
    # grows ~2.4 per change under pytest (not diagnosed); the objects it brings stay far
    # below what a figure kept per change would (~26,000 tracked objects)
    print(f"OptionTree {before['OptionTree']} -> {after['OptionTree']}")
    assert after["tracked"] - before["tracked"] < 16 * 200
