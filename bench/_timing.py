"""Timing helpers shared by the benchmarks: median wall time of repeated calls, and a
process's CPU seconds so far."""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path


def timed(fn, repeat: int = 5) -> tuple[float, object]:
    """Median wall time in seconds of ``fn()`` over ``repeat`` runs, and its last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux ``/proc``; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
