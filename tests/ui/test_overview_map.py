"""The landing map: a box per dataset, a click on a box opens the dataset."""

from __future__ import annotations

import math

import pytest

from portal.model import DatasetEntry
from portal.query import BBox
from portal.ui.overview_map import OverviewMap, boxes, is_global, land_patches, smallest_hit
from portal.ui.state import ViewState


def _entry(dataset_id, bbox, feature_type="profile", title=None):
    meta = {"title": title or dataset_id, "featureType": feature_type}
    if bbox:
        meta["bbox"] = list(bbox)
    return DatasetEntry.from_metadata(dataset_id, "netcdf", {"urlpath": "/x.nc"}, meta)


@pytest.fixture
def entries():
    return [_entry("biscay", (-10.0, 43.0, 2.0, 51.0), "grid"),
            _entry("station", (5.0, 43.0, 5.0, 43.0), "timeSeries", "<b>Station</b>"),
            _entry("world", (-180.0, -80.0, 180.0, 90.0), "point"),
            _entry("nowhere", None)]


def test_one_box_per_regional_dataset_largest_first(entries):
    data = boxes(entries)
    assert data["id"] == ["biscay", "station"]  # the global one is listed, not framed
    left, right = data["left"][0], data["right"][0]
    assert left == pytest.approx(math.radians(-10) * 6378137.0)
    assert right == pytest.approx(math.radians(2) * 6378137.0)
    assert data["right"][1] - data["left"][1] > 100_000  # a station still shows (~1°)
    assert data["alpha"] == [0.3, 0.3]
    assert data["title"][1] == "<b>Station</b>"  # raw: Bokeh escapes @title in tooltips


def test_land_is_drawn_in_mercator():
    xs, ys = land_patches()
    assert len(xs) > 50 and len(xs) == len(ys)
    assert max(max(x) for x in xs) <= math.pi * 6378137.0 + 1


def test_clicking_a_box_opens_its_dataset(entries):
    state = ViewState(var="TEMP", extent=BBox(1, 2, 3, 4))
    overview = OverviewMap(state=state, entries=entries)
    fig = overview._figure()
    assert fig.css_classes == ["portal-overview"]
    overview._source.selected.indices = [1]
    assert state.dataset == "station" and state.var == "" and state.extent is None


def test_map_follows_the_list(entries):
    overview = OverviewMap(state=ViewState(), entries=entries)
    overview._figure()
    overview.show_only(["world", "biscay"])
    assert overview._source.data["id"] == ["biscay"]
    assert [b.label for b in overview._global_buttons.objects[1:]] == ["\u25cb world"]
    overview.show_only([])
    assert overview._source.data["id"] == []


def test_longitudes_0_360_and_date_line():
    data = boxes([_entry("pacific", (150.0, -10.0, 200.0, 10.0)),   # across the date line
                  _entry("soda", (0.25, -75.0, 180.0, 89.0), "grid"),
                  _entry("east", (200.0, 0.0, 220.0, 5.0))])
    r = 6378137.0
    lefts = [round(math.degrees(v / r), 3) for v in data["left"]]
    rights = [round(math.degrees(v / r), 3) for v in data["right"]]
    assert data["id"] == ["soda", "pacific", "pacific", "east"]  # largest first
    assert (lefts[1], rights[1]) == (150.0, 180.0) and (lefts[2], rights[2]) == (-180.0, -160.0)
    assert (lefts[0], rights[0]) == (0.25, 180.0)
    assert (lefts[3], rights[3]) == (-160.0, -140.0)


def test_a_click_on_nested_boxes_opens_the_smallest():
    state = ViewState()
    ocean = _entry("ocean", (-40.0, 0.0, 10.0, 60.0), "grid")
    mooring = _entry("mooring", (-5.0, 45.0, -4.0, 46.0), "timeSeries")
    overview = OverviewMap(state=state, entries=[mooring, ocean])
    overview._figure()
    data = overview._source.data
    assert data["id"] == ["ocean", "mooring"]  # the small box is drawn on top
    assert smallest_hit(data, [0, 1]) == "mooring" and smallest_hit(data, [1, 0]) == "mooring"
    overview._source.selected.indices = [0, 1]  # Bokeh lists every box under the click
    assert state.dataset == "mooring"


def test_global_datasets_are_listed_and_open_on_click(entries):
    state = ViewState()
    overview = OverviewMap(state=state, entries=entries)
    overview.__panel__()
    assert is_global(entries[2]) and not is_global(entries[0])
    assert "world" not in overview._source.data["id"]  # no frame that catches every click
    button = overview._global_buttons.objects[1]
    button.clicks += 1
    assert state.dataset == "world"


def _merc(lon, lat):
    r = 6378137.0
    return math.radians(lon) * r, r * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def test_a_drawn_rectangle_is_the_search_box_in_degrees():
    from portal.ui.overview_map import lonlat_box

    (x0, y0), (x1, y1) = _merc(-12.5, 40.0), _merc(3.25, 52.0)
    assert lonlat_box(x1, x0, y1, y0) == BBox(-12.5, 40.0, 3.25, 52.0)  # any drag direction
    (x0, y0), (x1, y1) = _merc(170.0, -10.0), _merc(190.0, 10.0)  # panned past 180°
    assert lonlat_box(x0, x1, y0, y1) == BBox(170.0, -10.0, -170.0, 10.0)
    (x0, _), (x1, _) = _merc(-300.0, 0.0), _merc(300.0, 0.0)  # wider than the world
    assert lonlat_box(x0, x1, y0, y1).width == 360.0


def test_drawing_a_box_sets_where_and_frames_it_without_opening_a_dataset(entries):
    from bokeh.events import SelectionGeometry

    from portal.ui.overview_map import where_frame

    state = ViewState()
    overview = OverviewMap(state=state, entries=entries)
    fig = overview._figure()
    (x0, y0), (x1, y1) = _merc(-20.0, 30.0), _merc(0.0, 50.0)
    geometry = {"type": "rect", "x0": x0, "x1": x1, "y0": y0, "y1": y1}
    overview._on_drawn(SelectionGeometry(fig, geometry=geometry, final=False))
    assert state.where is None  # only the release of the drag counts
    overview._on_drawn(SelectionGeometry(fig, geometry=geometry, final=True))
    assert state.where == BBox(-20.0, 30.0, 0.0, 50.0) and state.dataset == ""
    assert overview._frame.data["left"] == [pytest.approx(x0)]
    assert overview._source.selected.indices == []
    state.where = BBox(170.0, 0.0, -170.0, 10.0)  # typed across 180°: two frames
    assert len(overview._frame.data["left"]) == 2
    state.where = None
    assert where_frame(None)["left"] == overview._frame.data["left"] == []
