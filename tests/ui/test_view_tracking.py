"""The zoom kept in the URL: texts of a time span and a profile's spans, streams found in
a drawn element, debounced writes to the state (browser tests cover the page)."""

from __future__ import annotations

import holoviews as hv
import numpy as np

from portal.ui.state import ViewState
from portal.ui.view_tracking import (
    ViewTracker,
    parse_profile_view,
    parse_time_view,
    profile_view_text,
    same_view,
    streams_of,
    time_view_text,
)


def test_time_view_round_trips_to_the_second():
    span = (np.datetime64("1998-08-05T14:26:14.400"), np.datetime64("1998-08-25T14:59:34"))
    text = time_view_text(span)
    assert text == "1998-08-05T14:26:14Z/1998-08-25T14:59:34Z"
    start, end = parse_time_view(text)
    assert start == np.datetime64("1998-08-05T14:26:14") and end == span[1]
    for bad in ("", "1998-08-05", "later/sooner", "1998-09-01/1998-08-01"):
        assert parse_time_view(bad) is None


def test_profile_view_round_trips_and_refuses_nonsense():
    text = profile_view_text((10.0, 3.0), (1500.0, 500.0))  # an inverted y axis: sorted
    assert text == "3,10,500,1500"
    assert parse_profile_view(text) == ((3.0, 10.0), (500.0, 1500.0))
    for bad in ("", "1,2,3", "a,b,c,d", "3,3,0,1", "1,2,nan,4"):
        assert parse_profile_view(bad) is None


def test_same_view_ignores_an_inverted_axis_and_tiny_differences():
    home = ((0.0, 100.0), (2000.0, 0.0))
    assert same_view(((0.0, 100.0 + 1e-6), (0.0, 2000.0)), home)
    assert not same_view(((0.0, 90.0), (0.0, 2000.0)), home)
    assert not same_view(((0.0, 100.0), (0.0, 2000.0)), (None, None))


def test_streams_of_finds_the_range_streams_inside_overlaid_dynamic_maps():
    stream = hv.streams.RangeXY()
    dmap = hv.DynamicMap(lambda x_range, y_range: hv.Points([(0, 0)]), streams=[stream])
    overlay = (dmap * hv.Curve([(0, 0), (1, 1)])).opts(xlim=(0, 1))
    assert streams_of(overlay, hv.streams.RangeXY) == [stream]
    assert streams_of(hv.Curve([]), hv.streams.RangeXY) == []


def test_a_series_opens_on_the_urls_span_and_writes_the_zoom():
    state = ViewState(view="2020-01-02T00:00:00Z/2020-01-03T00:00:00Z")
    seen = []
    stream = hv.streams.RangeX()
    dmap = hv.DynamicMap(lambda x_range: seen.append(x_range) or hv.Curve([]), streams=[stream])
    tracker = ViewTracker(state)  # no document: writes at once
    tracker.track("timeseries", dmap)
    assert stream.x_range == (np.datetime64("2020-01-02"), np.datetime64("2020-01-03"))
    stream.event(x_range=(np.datetime64("2020-01-02T06:00"), np.datetime64("2020-01-02T18:00")))
    assert state.view == "2020-01-02T06:00:00Z/2020-01-02T18:00:00Z"
    tracker.disposed = True  # a replaced pane writes nothing more
    stream.event(x_range=(np.datetime64("2020-01-01"), np.datetime64("2020-01-05")))
    assert state.view == "2020-01-02T06:00:00Z/2020-01-02T18:00:00Z"


def test_a_patchable_marker_map_writes_its_zoom():
    """A map of markers drawn from a ``Pipe`` of frames (no range stream of its own): the
    tracker's new stream is linked to the plot, so a zoom reaches the URL's extent."""
    from portal.quicklooks.frames import Frames, framed
    from portal.quicklooks.map import mercator

    hv.extension("bokeh")
    points = hv.Points([(0.0, 0.0), (1e6, 1e6)])
    element = framed(Frames(lambda _x, _y: points, ranged=False)) * hv.Curve([])
    state = ViewState()
    ViewTracker(state).track("map", element)
    plot = hv.renderer("bokeh").get_plot(element)
    linked = [s for p in plot.traverse(lambda p: p) for c in getattr(p, "callbacks", [])
              for s in c.streams if isinstance(s, hv.streams.RangeXY)]
    assert len(linked) == 1
    (x0, x1), (y0, y1) = mercator((-10.0, 5.0), (40.0, 50.0))
    linked[0].event(x_range=(x0, x1), y_range=(y0, y1))
    assert state.extent is not None
    assert np.allclose(tuple(state.extent), (-10.0, 40.0, 5.0, 50.0), atol=1e-3)
