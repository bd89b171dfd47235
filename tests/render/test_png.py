"""PNG rendering lets every figure go: memory does not grow with distinct renders."""

from __future__ import annotations

import gc
import os

import numpy as np


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
