"""PlotPatcher: an element of the same shape goes through the pipe to the figure shown;
another shape, or a reset, asks for a new figure; frames name their zoom or refit."""

from __future__ import annotations

import math

import holoviews as hv
import pytest

from portal.quicklooks import ensure_backends
from portal.ui.patching import PlotPatcher, shape_of, zoomed


@pytest.fixture(autouse=True, scope="module")
def _backends():
    ensure_backends()


def _curve(scale: float, colorbar: bool = False):
    points = hv.Points([(0, 0, 1), (1, scale, 2)], vdims=["c"])
    return points.opts(color="c", colorbar=colorbar, backend="bokeh")


def test_same_shape_is_sent_to_the_shown_plot_another_is_not():
    patcher = PlotPatcher()
    first = _curve(1.0)
    dmap = patcher.wrap(first, shape_of(first, "auto"))
    assert dmap[()] is first
    second = _curve(5.0)
    # not yet on screen (its plot may still be built in a worker thread): drawn anew
    assert not patcher.patch(second, shape_of(second, "auto"))
    assert dmap[()] is first
    patcher.shown()
    assert patcher.patch(second, shape_of(second, "auto"))
    assert dmap[()] is second  # the DynamicMap on screen now shows the new data
    assert not patcher.patch(second, shape_of(second, "qc"))  # another colouring
    bar = _curve(2.0, colorbar=True)
    assert not patcher.patch(bar, shape_of(bar, "auto"))  # a colour bar appears: rebuild
    patcher.wrap(second, shape_of(second, "auto"))  # a newer figure, not shown yet
    assert not patcher.patch(second, shape_of(second, "auto"))
    patcher.shown()
    assert patcher.patch(second, shape_of(second, "auto"))
    patcher.reset()
    assert not patcher.patch(second, shape_of(second, "auto"))


def test_frames_name_the_urls_zoom_or_refit():
    opts = hv.Store.lookup_options("bokeh", zoomed(_curve(1.0), "1,2,0,500"), "plot").kwargs
    assert opts["xlim"] == (1.0, 2.0) and opts["ylim"] == (0.0, 500.0)
    opts = hv.Store.lookup_options("bokeh", zoomed(_curve(1.0), ""), "plot").kwargs
    assert all(math.isnan(v) for v in (*opts["xlim"], *opts["ylim"]))
