"""PNG rendering lets every figure go: memory does not grow with distinct renders."""

from __future__ import annotations

import gc
import os

import numpy as np
import pytest


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def _image(seed: int):
    import holoviews as hv

    data = np.random.default_rng(seed).random((60, 80))
    return hv.Image(data, bounds=(-10, 40, 0, 50)).opts(colorbar=True, title=f"render {seed}")


def _live_figures() -> int:
    from matplotlib.figure import Figure

    gc.collect()
    return sum(isinstance(o, Figure) for o in gc.get_objects())


def test_distinct_renders_do_not_keep_figures():
    from holoviews.plotting.mpl.element import ColorbarPlot

    from portal.render.png import render_png

    for seed in range(2):  # warm-up: fonts, caches, allocator arenas
        assert render_png(_image(seed), 3000 - seed, 3000).startswith(b"\x89PNG")
    figures, rss = _live_figures(), _rss_mb()
    for seed in range(2, 7):  # each kept figure held ~46 MB at this size
        assert render_png(_image(seed), 3000 - seed, 3000).startswith(b"\x89PNG")
    assert ColorbarPlot._colorbars == {}
    assert _live_figures() <= figures
    print(f"RSS growth over 5 distinct 3000x3000 renders: {_rss_mb() - rss:.0f} MB")
    assert _rss_mb() - rss < 50


@pytest.fixture
def frozen_heap():
    """The server's state after warm-up: the start-up heap in the permanent generation."""
    from portal.quicklooks import ensure_backends
    from portal.render.png import freeze_startup_heap

    ensure_backends()  # imported before the freeze, as the server's warm-up does
    freeze_startup_heap()
    yield
    gc.unfreeze()


def _tracked_figures() -> int:
    """Figures the collector tracks, garbage not yet collected included (no collection)."""
    from matplotlib.figure import Figure

    return sum(isinstance(o, Figure) for o in gc.get_objects())


def test_a_server_collects_each_render_s_garbage_at_once(frozen_heap):
    from portal.render.png import render_png

    for seed in range(3):  # warm-up
        render_png(_image(seed), 400, 300)
    rss = _rss_mb()
    for seed in range(3, 53):  # 50 distinct renders
        assert render_png(_image(seed), 400 + seed, 300).startswith(b"\x89PNG")
        assert _tracked_figures() == 0, f"render {seed} left its figure for a later collection"
    print(f"RSS growth over 50 distinct renders: {_rss_mb() - rss:.1f} MB")
    assert _rss_mb() - rss < 10


def test_after_large_renders_the_rss_returns_near_its_level_after_the_first(frozen_heap):
    from portal.render.png import render_png

    render_png(_image(0), 2500, 2500)
    first = _rss_mb()
    peak = first
    for seed in range(1, 6):  # each ~25 MB of Agg buffer and image
        render_png(_image(seed), 2500 - seed, 2500)
        peak = max(peak, _rss_mb())
    print(f"RSS after the first 2500x2500 render {first:.0f} MB, after 5 more "
          f"{_rss_mb():.0f} MB (peak {peak:.0f} MB)")
    assert _rss_mb() - first < 20  # issue 16 asks < 50; without malloc_trim it was +25


def _fragment_heap(mb: int) -> list:
    """``mb`` MB of 64 KB blocks (malloc'd from the heap, below glibc's mmap threshold),
    every tenth kept alive; the rest freed: holes in the heap that ``free`` never hands
    back to the system (it only trims the heap's top)."""
    blocks = [bytearray(64 * 1024) for _ in range(mb * 16)]
    for block in blocks:
        block[::4096] = b"x" * len(block[::4096])  # touch every page: resident
    kept = blocks[::10]
    del blocks
    return kept


def test_the_heap_trimmer_hands_freed_heap_back_to_the_system():
    from portal.render.png import start_heap_trimmer

    kept = _fragment_heap(300)
    held = _rss_mb()
    trimmer = start_heap_trimmer(every_s=0.1)
    if trimmer is None:
        pytest.skip("no malloc_trim in this C library")
    try:
        for _ in range(50):
            if trimmer.rounds >= 2:
                break
            trimmer.join(0.1)
        print(f"RSS with 270 MB of freed holes {held:.0f} MB, after trimming {_rss_mb():.0f} MB")
        assert trimmer.rounds >= 2
        assert held - _rss_mb() > 150  # the freed holes (270 MB) left the RSS
    finally:
        trimmer.stop()
    del kept


ARENAS_JS = """
import ctypes, sys, threading
from portal.render.png import limit_malloc_arenas
print("set" if (sys.argv[1] == "limit" and limit_malloc_arenas()) else "default", flush=True)
release = threading.Event()

def work():
    kept = [ctypes.create_string_buffer(20_000) for _ in range(50)]  # noqa: F841
    release.wait()

threads = [threading.Thread(target=work) for _ in range(12)]
[t.start() for t in threads]
import time
time.sleep(0.3)
ctypes.CDLL("libc.so.6").malloc_stats()  # one "Arena N:" block per arena, on stderr
release.set()
[t.join() for t in threads]
"""


@pytest.mark.parametrize("mode", ["limit", "default"])
def test_threads_share_two_malloc_arenas_in_a_server(mode):
    """glibc gives each allocating thread an arena (up to 8 per core); the server limits
    them to two before its threads start, so memory one thread frees serves the others."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    run = subprocess.run([sys.executable, "-c", ARENAS_JS, mode], capture_output=True,
                         text=True, env=env, timeout=60)
    if "Arena" not in run.stderr:
        pytest.skip("not glibc: no malloc_stats arenas to count")
    arenas = run.stderr.count("Arena ")
    if mode == "limit":
        assert run.stdout.strip() == "set" and arenas <= 2
    else:
        assert arenas > 2  # the C library's default: an arena per thread that allocated
    limited = subprocess.run([sys.executable, "-c", ARENAS_JS, "limit"], capture_output=True,
                             text=True, env={**env, "MALLOC_ARENA_MAX": "4"}, timeout=60)
    assert limited.stdout.strip() == "default"  # an operator's setting is left to glibc
