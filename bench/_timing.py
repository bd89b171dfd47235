"""Timing helpers shared by the benchmarks: median wall time of repeated calls, a
process's CPU seconds so far, and how fast the machine hands a process fresh memory."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
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


_TOUCH = ("import numpy as np, time\n"
          "for _ in range(2):\n"
          "    t = time.perf_counter(); a = np.ones({n}); print(time.perf_counter() - t); del a")


def fresh_memory_gbps(mb: int = 200) -> tuple[float, float]:
    """(GB/s, GB/s): a fresh process filling ``mb`` MB it has never touched, then filling
    the same amount again (memory it freed and got back). On a bare machine both are
    several GB/s. On a virtual machine whose host takes back free guest memory
    (virtio-balloon free page reporting, as on the 2-core measurement machine) the first
    figure fell to 0.06–0.2 GB/s, while the second stayed at 3–5 GB/s: then a cold process
    pays ~5–15 ms per MB it touches, counted as system CPU, and cold figures swing with
    what the machine freed in the seconds before. Printed beside the load average."""
    out = subprocess.run([sys.executable, "-c", _TOUCH.format(n=mb * 2**20 // 8)],
                         capture_output=True, text=True, check=True).stdout.split()
    first, again = (float(x) for x in out[:2])
    return mb / 1024 / first, mb / 1024 / again


def machine_line() -> str:
    """The load average and :func:`fresh_memory_gbps`, one line for a benchmark's output."""
    fresh, again = fresh_memory_gbps()
    return (f"load average {os.getloadavg()[0]:.1f}; fresh memory {fresh:.2f} GB/s "
            f"(freed and reused {again:.1f} GB/s)")
