"""Frames: a page map's drawing, a function of the view (or one element), styled per frame;
the view's frame can be drawn ahead (in a worker thread) and is then not drawn again."""

from __future__ import annotations

import holoviews as hv
import numpy as np
import pytest

from portal.quicklooks import ensure_backends
from portal.quicklooks.frames import Frames, framed


@pytest.fixture(autouse=True, scope="module")
def _backends():
    ensure_backends()


def _counting():
    calls = []

    def draw(x_range, y_range):
        calls.append((x_range, y_range))
        return hv.Image(np.array([[len(calls), 1.0], [2, 3]]))

    return draw, calls


def test_a_prepared_view_is_not_drawn_again_another_is():
    draw, calls = _counting()
    frames = Frames(draw, ranged=True, opts={"title": "T"})
    frames.prepare((0, 1), (2, 3))
    first = frames((0.0, 1.0), (2.0, 3.0))
    assert len(calls) == 1  # the view drawn ahead is the one shown
    assert hv.Store.lookup_options("bokeh", first, "plot").kwargs["title"] == "T"
    frames((0, 2), (2, 3))  # the user zoomed: drawn anew
    assert len(calls) == 2


def test_the_dynamic_map_draws_the_frames_its_pipe_carries():
    draw, calls = _counting()
    dmap = framed(Frames(draw, ranged=True))
    pipe, ranges = dmap.streams
    assert isinstance(ranges, hv.streams.RangeXY)
    dmap[()]
    assert calls == [(None, None)]  # no view yet: the whole extent
    other = Frames(lambda *_: hv.Image(np.full((2, 2), 9.0)), ranged=True)
    pipe.send(other)
    assert dmap[()].data.max() == 9


def test_recoloured_frames_keep_the_palette_for_later_views():
    draw, _ = _counting()
    frames = Frames(draw, ranged=True, opts={"cmap": ["#000000", "#ffffff"]})
    frames.recoloured(["#ff0000", "#00ff00"])
    style = hv.Store.lookup_options("bokeh", frames((0, 1), (0, 1)), "style").kwargs
    assert style["cmap"] == ["#ff0000", "#00ff00"]
