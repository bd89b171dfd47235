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


def test_the_colour_bar_follows_each_frames_label_and_date_format():
    from types import SimpleNamespace

    from bokeh.models import ColorBar, DatetimeTickFormatter

    from portal.quicklooks.frames import colorbar_sync

    bar = ColorBar(title="Sea temperature [degree_Celsius]")
    days = DatetimeTickFormatter(days="%Y-%m-%d")
    plot = SimpleNamespace(handles={"color_colorbar": bar}, clabel="Practical salinity [psu]",
                           cformatter=days)
    colorbar_sync(plot, None)
    assert bar.title == "Practical salinity [psu]" and bar.formatter is days
    plot.cformatter = DatetimeTickFormatter(days="%Y-%m-%d")  # the same format, anew
    colorbar_sync(plot, None)
    assert bar.formatter is days  # no new model sent for the same format
    plot.cformatter = DatetimeTickFormatter(days="%Y")
    colorbar_sync(plot, None)
    assert bar.formatter.days == "%Y"


def _raster_map(calls, **opts):
    from portal.quicklooks.frames import settled

    def draw(x_range, y_range):
        calls.append((x_range, y_range))
        return hv.Image(np.arange(16.0).reshape(4, 4), bounds=(0, 0, 10, 10))

    return framed(Frames(draw, ranged=True, opts={"hooks": [settled], **opts}))


def test_a_figure_showing_its_whole_frame_does_not_draw_it_again():
    """HoloViews sends a new figure's axis ranges to the map's RangeXY and draws the frame
    again; the whole raster, inside those ranges, is already what the view shows."""
    calls: list = []
    hv.renderer("bokeh").get_plot(_raster_map(calls, xlim=(-1, 11), ylim=(-1, 11)))
    assert calls == [(None, None)]
    markers: list = []

    def points(x_range, y_range):
        markers.append((x_range, y_range))
        return hv.Points([(1, 2), (3, 4)])

    from portal.quicklooks.frames import settled

    hv.renderer("bokeh").get_plot(framed(Frames(points, ranged=False, opts={
        "hooks": [settled], "xlim": (0, 5), "ylim": (0, 5)})))
    assert len(markers) == 1  # markers: one element, whatever the view


def test_a_view_inside_the_data_is_still_drawn_for_itself():
    """A shared link zoomed into the data: the frame is drawn again for that window, at
    its resolution (as without the hook)."""
    calls: list = []
    hv.renderer("bokeh").get_plot(_raster_map(calls, xlim=(2, 4), ylim=(2, 4)))
    assert calls[0] == (None, None) and len(calls) == 2
    assert tuple(map(float, calls[1][0])) == (2.0, 4.0)


def _rasterized(calls, hook: bool, **opts):
    """rasterize(points) counting its aggregations, with or without ``raster_settled``."""
    from holoviews.operation.datashader import rasterize

    from portal.quicklooks.frames import raster_settled

    class counted(rasterize):
        def _process(self, element, key=None):
            calls.append((self.p.x_range, self.p.y_range))
            return super()._process(element, key)

    rng = np.random.default_rng(1)
    points = hv.Points((rng.normal(35, 1, 5000), rng.normal(10, 3, 5000)), ["S", "T"])
    image = counted(points, dynamic=True, width=60, height=40)
    return image.opts(hooks=[raster_settled] if hook else [], **opts)


def _image_data(plot):
    sources = [p.handles["source"] for p in plot.traverse(lambda p: p)
               if type(p.current_frame).__name__ == "Image"]
    return np.asarray(sources[0].data["image"][0])


def test_a_raster_drawn_for_the_figure_ranges_is_not_aggregated_again():
    """rasterize first draws the data's extent; the new figure sends those very ranges
    back (a T-S diagram, a section): the second aggregation is skipped, same image."""
    renderer = hv.renderer("bokeh")
    plain: list = []
    expected = _image_data(renderer.get_plot(_rasterized(plain, hook=False)))
    assert len(plain) == 2  # HoloViews' own path aggregates twice
    settled_calls: list = []
    plot = renderer.get_plot(_rasterized(settled_calls, hook=True))
    assert len(settled_calls) == 1
    np.testing.assert_array_equal(_image_data(plot), expected)
    in_overlay: list = []  # the hook on the overlay holding the raster (the T-S diagram)
    from portal.quicklooks.frames import raster_settled

    overlay = (_rasterized(in_overlay, hook=False) * hv.Curve([(34, 5), (36, 15)], "S", "T"))
    renderer.get_plot(overlay.opts(hooks=[raster_settled]))
    assert len(in_overlay) == 1


def test_a_raster_of_other_ranges_or_a_curve_following_them_is_drawn_again():
    renderer = hv.renderer("bokeh")
    wider: list = []  # the figure shows more than the data: aggregated for its ranges
    plot = renderer.get_plot(_rasterized(wider, hook=True, xlim=(30, 40), ylim=(-5, 25)))
    assert len(wider) == 2 and wider[1][0] == (30, 40)
    assert plot.current_frame.bounds.lbrt() == (30, -5, 40, 25)
    from portal.quicklooks.frames import raster_settled

    follows: list = []

    def curve(x_range=None):
        follows.append(x_range)
        return hv.Curve([(0, 1), (10, 2)])

    following = hv.DynamicMap(curve, streams=[hv.streams.RangeX()]).opts(xlim=(0, 10))
    renderer.get_plot((_rasterized([], hook=False) * following).opts(hooks=[raster_settled]))
    assert len(follows) == 2  # a curve decimated per view keeps its second drawing
