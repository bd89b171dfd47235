"""The one Query: boxes across the antimeridian, time windows, parsing and limits."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from portal import settings as portal_settings
from portal.errors import BadParameter, PortalError
from portal.query import (
    COLOR_BY,
    QC_PRESETS,
    QUICKLOOK_KINDS,
    BBox,
    DepthRange,
    Query,
    TimeRange,
    parse_query,
)

lons = st.floats(-180, 180, allow_nan=False).map(lambda v: round(v, 3))
lats = st.floats(-90, 90, allow_nan=False).map(lambda v: round(v, 3))


@st.composite
def boxes(draw) -> BBox:
    west, east = draw(lons), draw(lons)
    south, north = sorted((draw(lats), draw(lats)))
    if (east - west) % 360 == 0:  # no span: not a box
        east = west + 1.0 if west < 179 else west - 1.0
    if south == north:
        north, south = (south + 1.0, south) if south < 89 else (90.0, 89.0)
    return BBox(west, south, east, north)


# ------------------------------------------------------------------------------ BBox


@given(boxes(), st.lists(st.tuples(lons, lats), min_size=1, max_size=30))
def test_contains_agrees_with_the_split_boxes(box, points):
    lon, lat = np.array(points).T
    parts = box.split()
    assert 1 <= len(parts) <= 2
    assert all(-180 <= p.west < p.east <= 180 for p in parts)
    in_parts = np.zeros(lon.shape, bool)
    for p in parts:
        in_parts |= (lon >= p.west) & (lon <= p.east) & (lat >= p.south) & (lat <= p.north)
    # 180 and -180 are the same meridian
    in_parts |= (lon == -180) & np.array([any(p.east == 180 and p.south <= y <= p.north
                                              for p in parts) for y in lat])
    in_parts |= (lon == 180) & np.array([any(p.west == -180 and p.south <= y <= p.north
                                             for p in parts) for y in lat])
    assert (box.contains(lon, lat) == in_parts).all()
    assert sum(p.width for p in parts) == pytest.approx(box.width)


@given(boxes())
def test_crossing_means_west_east_of_east(box):
    assume(box.east != -180 and box.west != 180)  # an edge on the date line is not a crossing
    assert box.crosses == (box.west > box.east)
    assert not BBox(0, 0, -180, 1).crosses and BBox(0, 0, -180, 1).split() == (BBox(0, 0, 180, 1),)


def test_antimeridian_box():
    box = BBox.parse("170,-10,-170,10")
    assert box.crosses and box.width == 20
    assert box.split() == (BBox(170, -10, 180, 10), BBox(-180, -10, -170, 10))
    assert box.contains([175, -175, 180, 0, 190], [0, 0, 0, 0, 0]).tolist() == [
        True, True, True, False, True]
    assert box.continuous() == (170, -10, 190, 10)


def test_0_360_box_is_the_same_as_its_crossing_form():
    box = BBox(170, -10, 190, 10)
    assert box.split() == BBox(170, -10, -170, 10).split()
    assert not BBox(210.1, 30.2, 210.9, 30.8).crosses
    assert BBox(210.1, 30.2, 210.9, 30.8).contains([-149.5], [30.5]).tolist() == [True]


@pytest.mark.parametrize(("text", "match"), [
    ("1,2,3", "W,S,E,N"), ("a,0,10,10", "'a' is not a number"), ("0,10,10,5", "-90 <= S < N"),
    ("0,-95,10,5", "-90 <= S"), ("5,0,5,10", "span"), ("180,0,-180,10", "span"), ("-200,0,200,10", "span"),
    ("0,0,nan,10", "finite"),
])
def test_bad_boxes_name_the_parameter(text, match):
    with pytest.raises(BadParameter, match=match) as info:
        BBox.parse(text)
    assert str(info.value).startswith("bbox:") and info.value.parameter == "bbox"


def test_whole_world_box():
    assert BBox(-180, -90, 180, 90).split() == (BBox(-180, -90, 180, 90),)
    assert BBox(0, -90, 360, 90).split() == (BBox(-180, -90, 180, 90),)


# ------------------------------------------------------------------------------ time


def test_a_date_alone_as_the_end_means_the_whole_day():
    window = TimeRange.parse("2020-01-01/2020-01-31")
    assert window.start == pd.Timestamp("2020-01-01", tz="UTC")
    assert window.end == pd.Timestamp("2020-02-01", tz="UTC") - pd.Timedelta("1us")
    assert TimeRange.parse("2020-02").end == pd.Timestamp("2020-02-29T23:59:59.999999", tz="UTC")
    assert TimeRange.parse("/2021").end == pd.Timestamp("2021-12-31T23:59:59.999999", tz="UTC")
    assert TimeRange.parse("2020-01-01T00:00/2020-01-02T06:00").end == pd.Timestamp(
        "2020-01-02T06:00", tz="UTC")


def test_times_are_utc():
    window = TimeRange.parse("2004-01-31T12:00:00+02:00/2004-01-31T12:00:00-0130")
    assert window.start == pd.Timestamp("2004-01-31T10:00", tz="UTC")
    assert window.end == pd.Timestamp("2004-01-31T13:30", tz="UTC")
    naive = TimeRange(datetime(2020, 1, 1), datetime(2020, 1, 2, tzinfo=UTC))
    assert naive.start.tzinfo is not None and naive.epoch_bounds() == (1577836800.0, 1577923200.0)
    lo, hi = naive.datetime64_bounds()
    assert lo == np.datetime64("2020-01-01T00:00", "ns") and hi == np.datetime64("2020-01-02")
    far = TimeRange.parse("2263-01-01/9999")  # past pandas' nanosecond range
    assert far.epoch_bounds()[1] == pytest.approx(253402300800.0)


@pytest.mark.parametrize("text", ["yesterday/", "2020-13-01/", "2020-02-30/", "31/01/2004",
                                  "2020-01-01;x/", "/"])
def test_bad_times_name_the_parameter(text):
    with pytest.raises(BadParameter, match="^time: ") as info:
        TimeRange.parse(text)
    assert info.value.parameter == "time"


def test_a_window_that_ends_before_it_starts_is_refused():
    with pytest.raises(BadParameter, match="before it starts"):
        TimeRange.parse("2020-02-01/2020-01-01")


def test_separate_start_and_end():
    assert TimeRange.from_strings("2020-01-01", None) == TimeRange.parse("2020-01-01/")
    assert parse_query({"start": "2020-01-01", "end": "2020-01-31"}).time == TimeRange.parse(
        "2020-01-01/2020-01-31")


# ------------------------------------------------------------------------------ Query

times = st.tuples(st.dates(min_value=datetime(1900, 1, 1).date(),
                           max_value=datetime(2200, 1, 1).date()),
                  st.integers(0, 3), st.integers(0, 86399)).map(
    lambda t: (pd.Timestamp(t[0], tz="UTC") + pd.Timedelta(seconds=t[2]) if t[1] else
               pd.Timestamp(t[0], tz="UTC")))
depths = st.one_of(st.none(), st.floats(-10, 11000, allow_nan=False).map(lambda v: round(v, 2)))


@st.composite
def queries(draw) -> Query:
    lo, hi = sorted((draw(times), draw(times)))
    end_of_day = draw(st.booleans())
    hi = hi.normalize() + pd.Timedelta(days=1) - pd.Timedelta("1us") if end_of_day else hi
    time = draw(st.sampled_from([None, TimeRange(lo, hi), TimeRange(None, hi),
                                 TimeRange(lo, None)]))
    d1, d2 = draw(depths), draw(depths)
    if d1 is not None and d2 is not None:
        d1, d2 = sorted((d1, d2))
    depth = None if d1 is None and d2 is None else DepthRange(d1, d2)
    variables = draw(st.lists(st.sampled_from(["TEMP", "PSAL", "sst", "DOXY"]), max_size=3,
                              unique=True))
    size = st.one_of(st.none(), st.integers(100, 4000))
    return Query(variable=",".join(variables) or None, time=time, depth=depth,
                 bbox=draw(st.one_of(st.none(), boxes())), qc=draw(st.sampled_from(QC_PRESETS)),
                 dataset=draw(st.sampled_from([None, "demo_argo", "a b/c"])),
                 kind=draw(st.sampled_from((None, *QUICKLOOK_KINDS))),
                 color=draw(st.sampled_from(COLOR_BY)),
                 cmap=draw(st.sampled_from(["auto", "thermal", "viridis"])),
                 width=draw(size), height=draw(size))


@settings(max_examples=200)
@given(queries())
def test_round_trip_through_parameters(query):
    params = query.to_params()
    assert all(isinstance(v, str) and v for v in params.values())
    assert parse_query(params) == query
    # as tornado/Panel hand them over: lists of bytes
    assert parse_query({k: [v.encode()] for k, v in params.items()}) == query
    assert hash(parse_query(params)) == hash(query)


def test_parse_query_from_url_arguments():
    query = parse_query({"var": [b"TEMP", b"PSAL"], "time": [b"2015-10-01/2015-12-31"],
                         "depth": [b"100/500"], "bbox": [b"170,-10,-170,10"], "qc": [b"good"],
                         "width": [b"640"], "lang": [b"fr"]})
    assert query.variables == ("TEMP", "PSAL")
    assert query.time.end == pd.Timestamp("2015-12-31T23:59:59.999999", tz="UTC")
    assert tuple(query.depth) == (100.0, 500.0) and query.bbox.crosses
    assert (query.qc, query.width, query.height) == ("good", 640, None)
    assert query.selection == Query(variable="TEMP,PSAL", time=query.time, depth=query.depth,
                                    bbox=query.bbox, qc="good")


@pytest.mark.parametrize(("params", "name"), [
    ({"qc": "best"}, "qc"), ({"color": "red"}, "color"), ({"kind": "movie"}, "kind"),
    ({"width": "huge"}, "width"), ({"height": "50"}, "height"), ({"depth": "deep"}, "depth"),
    ({"depth": "500/100"}, "depth"), ({"bbox": "1,2"}, "bbox"), ({"time": "soon/"}, "time"),
    ({"start": "2020-01-99"}, "time"), ({"var": "a,b,c,d,e"}, "var"),
])
def test_bad_parameters_are_named(params, name):
    with pytest.raises(BadParameter) as info:
        parse_query(params)
    assert info.value.parameter == name and str(info.value).startswith(f"{name}:")
    assert isinstance(info.value, PortalError) and info.value.http_status == 400


def test_tuples_become_typed_values():
    query = Query(time=("2016-11-01", "2016-11-01"), bbox=(0, 0, 10, 10), depth=(None, 50))
    assert query.time == TimeRange.parse("2016-11-01")
    assert query.bbox == BBox(0, 0, 10, 10) and query.depth == DepthRange(None, 50)
    assert Query(time=(None, None), depth=("", None)) == Query()
    with pytest.raises(ValueError, match="qc"):  # still a ValueError for older callers
        Query(qc="perfect")


def test_size_limits_come_from_the_settings(monkeypatch):
    table = portal_settings.Limits()
    assert Query(width=table.max_image_px, height=table.min_image_px).width == table.max_image_px
    with pytest.raises(BadParameter, match=f"between {table.min_image_px} and "
                                           f"{table.max_image_px}"):
        Query(width=table.max_image_px + 1)
    small = dataclasses.replace(table, max_image_px=300, max_variables=1)
    current = portal_settings.Settings(limits=small)
    monkeypatch.setattr(portal_settings, "current", lambda: current, raising=False)
    with pytest.raises(BadParameter, match="between 100 and 300"):
        parse_query({"width": "400"})
    with pytest.raises(BadParameter, match="at most 1 variables"):
        parse_query({"var": "TEMP,PSAL"})


# ------------------------------------------------------------------------------ entry points

END = pd.Timestamp("2020-01-31T23:59:59.999999", tz="UTC")


def test_whole_day_end_at_every_entry_point():
    import xarray as xr

    from portal.cli import build_parser, quicklook_query
    from portal.pointstore.query import parse_time
    from portal.processing.subset import select_obs
    from portal.remote.erddap_urls import time_bounds
    from portal.server.handlers import parse_png_args
    from portal.ui.state import ViewState

    text = "2020-01-01/2020-01-31"
    assert parse_query({"time": text}).time.end == END  # URL
    args = build_parser().parse_args(["quicklook", "demo", "--time", text])
    assert quicklook_query(args).time.end == END  # CLI
    assert parse_png_args({"time": [text.encode()]})[0].time.end == END  # PNG route
    assert ViewState.param.time.deserialize(text).end == END  # page URL sync
    assert parse_time(("2020-01-01", "2020-01-31"))[1] == int(END.timestamp())  # point store
    assert time_bounds(("2020-01-01", "2020-01-31"))[1] == END.timestamp()  # ERDDAP/OPeNDAP
    times = np.array(["2020-01-31T23:59:59", "2020-02-01T00:00:00"], "datetime64[ns]")
    obs = xr.Dataset({"T": ("obs", [1.0, 2.0])}, coords={"time": ("obs", times)})
    kept = select_obs(obs, Query(time=("2020-01-01", "2020-01-31")), "T")  # subset
    assert kept["T"].values.tolist() == [1.0]


def test_page_state_holds_typed_values_and_writes_url_text():
    from portal.ui.state import ViewState

    state = ViewState()
    query = state.apply_params({"dataset": "d", "bbox": "170,-10,-170,10", "depth": "0/50",
                                "time": "2020-01-01/", "qc": "good"})
    assert isinstance(state.bbox, BBox) and isinstance(state.time, TimeRange)
    assert state.query() == query.selection
    assert ViewState.param.bbox.serialize(state.bbox) == "170,-10,-170,10"
    assert ViewState.param.bbox.serialize(None) == ""
    assert ViewState.param.bbox.deserialize("1,2,3") is None  # a bad URL key is ignored
    assert state.quicklook_params() == {"time": "2020-01-01/", "depth": "0/50",
                                        "bbox": "170,-10,-170,10", "qc": "good"}
    with pytest.raises(BadParameter, match="^bbox:"):
        state.apply_params({"bbox": "1,2,3"})


def test_png_route_and_cli_sizes_share_the_limits():
    from portal.cli import build_parser, main
    from portal.server.handlers import parse_png_args

    big = str(portal_settings.Limits().max_image_px + 1)
    with pytest.raises(BadParameter, match="^width:"):
        parse_png_args({"width": [big.encode()]})
    query, style = parse_png_args({"cmap": ["thermal"], "color": ["time"]})
    assert style == {"cmap": "thermal", "color_by": "time", "width": 800, "height": 500,
                     "lang": "en"}
    assert query == Query()  # the data selection only: styles do not split the data cache
    assert build_parser().parse_args(["quicklook", "x", "--width", big]).width == int(big)
    with pytest.raises(SystemExit) as info:
        main(["quicklook", "x", "--width", big])
    assert info.value.code == 2


def test_the_grid_time_step_at_round_trips_through_the_url():
    query = parse_query({"dataset": "sst", "at": "2016-11-01T12:00+02:00"})
    assert query.at == pd.Timestamp("2016-11-01T10:00Z")
    assert query.to_params()["at"] == "2016-11-01T10:00:00Z"
    assert parse_query(query.to_params()) == query
    assert query.selection.at == query.at  # it picks data: part of the cache key
    assert parse_query({"at": "2016-11-01"}).to_params()["at"] == "2016-11-01"
    with pytest.raises(BadParameter, match="^at:"):
        parse_query({"at": "yesterday"})


def test_datasets_parsed_deduplicated_and_capped():
    from portal.query import MAX_DATASETS

    q = parse_query({"datasets": "a, b,a,,c", "var": "a:TEMP,c:sst", "kind": "map"})
    assert q.datasets == ("a", "b", "c")
    assert q.variable_for("a") == "TEMP" and q.variable_for("c") == "sst"
    assert q.variable_for("b") is None
    assert parse_query(q.to_params()) == q and q.selection.datasets == q.datasets
    with pytest.raises(BadParameter, match="datasets"):
        parse_query({"datasets": ",".join(f"d{i}" for i in range(MAX_DATASETS + 1))})
