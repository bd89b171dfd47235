"""Python's full garbage collections at quiet moments, not in the middle of a redraw.

CPython starts a full (generation 2) collection when enough objects have survived the
young ones: that is, while something allocates, which in a server means during a
visitor's redraw. Under 20 sessions (``bench/bench_load.py``, 2 processes) each process
ran one every 6–7 s, and each scanned the ~250 000 objects the sessions' documents and
plots hold: 170–340 ms during which the whole process stood still, in the middle of
whichever redraws were running. :func:`pace_full_collections` turns the automatic full
collections off (the young generations keep their own) and runs them from a thread:
every ``min_s`` seconds at the first moment no session callback is running
(``pn.state.busy`` is false), or after ``max_s`` seconds whatever the load. Garbage in
reference cycles then lives at most ``max_s`` seconds, as long as under a busy default
collector.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

NEVER = 1 << 30  # a generation-2 threshold no count of young collections reaches


class PacedCollector(threading.Thread):
    """A daemon thread running ``gc.collect()`` when ``quiet()`` after ``min_s`` seconds
    since the last run, or after ``max_s`` seconds in any case."""

    def __init__(self, quiet: Callable[[], bool], min_s: float = 10.0, max_s: float = 30.0,
                 poll_s: float = 0.25) -> None:
        super().__init__(name="portal-gc", daemon=True)
        self.quiet, self.min_s, self.max_s, self.poll_s = quiet, min_s, max_s, poll_s
        self.rounds = 0  # full collections run
        self.forced = 0  # ... of which waited ``max_s`` for a quiet moment in vain
        self._stop_event = threading.Event()

    def run(self) -> None:
        last = time.monotonic()
        while not self._stop_event.wait(self.poll_s):
            since = time.monotonic() - last
            if since < self.min_s:
                continue
            forced = since >= self.max_s
            if forced or self._quiet():
                gc.collect()
                last = time.monotonic()
                self.rounds += 1
                self.forced += forced

    def _quiet(self) -> bool:
        try:
            return bool(self.quiet())
        except Exception:  # noqa: BLE001 - a failing probe must not stop the collections
            return False

    def stop(self) -> None:
        self._stop_event.set()


def pace_full_collections(quiet: Callable[[], bool] | None = None, min_s: float = 10.0,
                          max_s: float = 30.0) -> PacedCollector:
    """Turn off CPython's automatic full collections in this process and run them from
    a :class:`PacedCollector` (``quiet``: no Panel callback running in this process).
    The server calls it in each process, after ``--num-procs`` forked them."""
    if quiet is None:
        quiet = _no_callback_running
    young, middle, _full = gc.get_threshold()
    gc.set_threshold(young, middle, NEVER)
    collector = PacedCollector(quiet, min_s, max_s)
    collector.start()
    return collector


def _no_callback_running() -> bool:
    import panel as pn

    return not pn.state.busy
