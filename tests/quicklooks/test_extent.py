"""The extent thumbnail of the dataset card: an inline SVG of the box over land."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from portal.quicklooks.extent import extent_svg


def _parse(svg: str):
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    rects = root.findall(f"{ns}rect")
    paths = root.findall(f".//{ns}path")
    return root, rects, paths


def test_box_is_centred_and_land_is_drawn_near_a_coast():
    root, rects, paths = _parse(extent_svg((-10.0, 43.0, 2.0, 51.0)))  # Bay of Biscay
    assert root.get("width") == "260" and root.get("height") == "160"
    box = rects[-1]
    x, y = float(box.get("x")), float(box.get("y"))
    w, h = float(box.get("width")), float(box.get("height"))
    assert 0 < x and x + w < 260 and 0 < y and y + h < 160
    assert abs((x + w / 2) - 130) < 2 and abs((y + h / 2) - 80) < 2  # window centred on the box
    assert len(paths) >= 1  # France, Spain, Britain


def test_open_ocean_box_has_no_land():
    _root, _rects, paths = _parse(extent_svg((-35.0, -45.0, -30.0, -40.0)))  # South Atlantic
    assert paths == []


def test_point_and_world_boxes_stay_small_and_valid():
    _root, rects, _ = _parse(extent_svg((5.0, 43.5, 5.0, 43.5)))  # a single station
    assert float(rects[-1].get("width")) >= 3 and float(rects[-1].get("height")) >= 3
    world = extent_svg((-180.0, -80.0, 180.0, 90.0))
    _parse(world)
    assert len(world) < 20_000  # simplified to the pixel


@pytest.mark.parametrize("bbox", [(-10.0, 43.0, 2.0, 51.0), (170.0, -50.0, 179.9, -30.0)])
def test_only_numbers_enter_the_svg(bbox):
    svg = extent_svg(bbox)
    attrs = re.findall(r"(\w[\w-]*)='([^']*)'", svg)
    for name, value in attrs:
        if name in ("d", "x", "y", "width", "height", "viewBox"):
            assert re.fullmatch(r"[-0-9., MLZ]*", value), (name, value[:40])


def test_longitudes_beyond_180_stay_in_the_picture():
    for bbox, n_boxes in (((200.0, 0.0, 220.0, 5.0), 1), ((150.0, -10.0, 200.0, 10.0), 2),
                          ((0.25, -75.0, 359.75, 89.0), 1)):
        _root, rects, _paths = _parse(extent_svg(bbox))
        boxes = rects[1:]  # the first rect is the sea
        assert len(boxes) == n_boxes, bbox
        for box in boxes:
            x, w = float(box.get("x")), float(box.get("width"))
            assert -0.5 <= x and x + w <= 260.5, (bbox, x, w)
