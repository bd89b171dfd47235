"""Timing helper shared by the benchmarks: median wall time of repeated calls."""

from __future__ import annotations

import statistics
import time


def timed(fn, repeat: int = 5) -> tuple[float, object]:
    """Median wall time in seconds of ``fn()`` over ``repeat`` runs, and its last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result
