"""Full garbage collections paced: off the allocation path, run at quiet moments (or
after the longest wait), and cyclic garbage still freed."""

from __future__ import annotations

import gc
import time
import weakref

import pytest

from portal.server.collector import NEVER, PacedCollector, pace_full_collections


@pytest.fixture
def thresholds():
    saved = gc.get_threshold()
    yield
    gc.set_threshold(*saved)


def _until(condition, seconds: float = 5.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_automatic_full_collections_are_off_and_the_thread_runs_them(thresholds):
    young, middle, _ = gc.get_threshold()
    quiet = {"now": False}
    collector = pace_full_collections(lambda: quiet["now"], min_s=0.05, max_s=60.0)
    try:
        assert gc.get_threshold() == (young, middle, NEVER)
        garbage = _Cycle()
        gc.collect()  # survived a full collection: only the next full one frees it
        alive = weakref.ref(garbage)
        del garbage
        for _ in range(30):  # allocation-driven collections are young ones only now
            gc.collect(1)
            [_Cycle() for _ in range(2000)]
        time.sleep(0.2)
        assert alive() is not None and collector.rounds == 0  # busy: nothing paused
        quiet["now"] = True
        assert _until(lambda: alive() is None and collector.rounds >= 1)
        assert collector.forced == 0
    finally:
        collector.stop()


def test_a_busy_process_is_collected_after_the_longest_wait():
    busy = PacedCollector(lambda: False, min_s=0.05, max_s=0.6, poll_s=0.02)
    busy.start()
    try:
        time.sleep(0.3)
        assert busy.rounds == 0  # callbacks running: no pause in their middle
        assert _until(lambda: busy.rounds >= 1)
        assert busy.forced == busy.rounds
    finally:
        busy.stop()


def test_a_failing_probe_counts_as_busy_not_as_a_crash():
    def probe():
        raise RuntimeError("no state yet")

    collector = PacedCollector(probe, min_s=0.02, max_s=0.3, poll_s=0.02)
    collector.start()
    try:
        assert _until(lambda: collector.rounds >= 1)
        assert collector.is_alive() and collector.forced >= 1
    finally:
        collector.stop()


def test_the_default_probe_follows_panels_busy_flag():
    import panel as pn
    from panel.io.state import state

    from portal.server.collector import _no_callback_running

    assert _no_callback_running() is (not pn.state.busy)
    state._add_busy_event("test-event")
    try:
        assert _no_callback_running() is False
    finally:
        state._remove_busy_event("test-event")
    assert _no_callback_running() is True
