"""The ERDDAP query builder under generated input: allowed variables, operators, host only."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from portal.errors import CatalogError, PortalError, UnsupportedQuicklook
from portal.remote import erddap_urls as urls
from portal.remote.erddap_info import parse_info

from .servers import ERDDAP_DIR, GRIDDAP, synth_info

SERVER = "https://erddap.ifremer.fr/erddap"
HOST = "erddap.ifremer.fr"
pytestmark = pytest.mark.skipif(not os.path.isdir(ERDDAP_DIR), reason="needs ../shared/data")


def _argo():
    with open(os.path.join(ERDDAP_DIR, "info", "ArgoFloats_info.json")) as fh:
        return parse_info("ArgoFloats", json.load(fh))


ARGO = _argo() if os.path.isdir(ERDDAP_DIR) else None
GRIDS = {name[:-3]: parse_info(name[:-3], synth_info(rel, grid=True))
         for name, rel in GRIDDAP.items()} if os.path.isdir(ERDDAP_DIR) else {}

NUMBER = r"-?\d+\.\d+(?:e[+-]?\d+)?|-?\d+(?:\.\d+)?e[+-]?\d+|-?inf|nan"
CONSTRAINT = re.compile(rf"^(?P<var>[A-Za-z_][A-Za-z0-9_]*)(?P<op>>=|<=)(?P<value>{NUMBER})$")
GRID_VALUE = rf"(?:{NUMBER}|\d{{4}}-\d{{2}}-\d{{2}}T\d{{2}}:\d{{2}}:\d{{2}}Z|last)"
GRID_AXIS = re.compile(rf"\[\((?P<a>{GRID_VALUE})\):(?P<s>[1-9]\d*):\((?P<b>{GRID_VALUE})\)\]")
RAW_ALLOWED = re.compile(r"^[A-Za-z0-9_.\-~%,&]*$")

user_text = st.text(max_size=40)
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
any_float = st.one_of(st.floats(), st.integers(-10**30, 10**30), user_text, st.none())
dates = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31),
                     timezones=st.one_of(st.none(), st.just(UTC),
                                         st.builds(lambda m: timezone(timedelta(minutes=m)),
                                                   st.integers(-900, 900))))
iso = dates.map(lambda d: d.isoformat())
times = st.one_of(st.none(), st.tuples(st.one_of(st.none(), dates, iso, user_text),
                                       st.one_of(st.none(), dates, iso, user_text)))
bboxes = st.one_of(st.none(), st.tuples(any_float, any_float, any_float, any_float),
                   st.tuples(finite, finite, finite, finite))
depths = st.one_of(st.none(), st.tuples(st.one_of(st.none(), any_float),
                                        st.one_of(st.none(), any_float)))


def names(info):
    """Mostly the dataset's own names; sometimes typed text among them."""
    own = st.lists(st.sampled_from(info.names()), min_size=1, max_size=6)
    mixed = st.lists(st.one_of(st.sampled_from(info.names()), user_text), min_size=1, max_size=6)
    return st.one_of(own, own, mixed)


def grid_boxes(info):
    """Boxes inside the grid's range (plausible) or anything (hostile)."""
    lat, lon = (info.get(info.role(r)).actual_range for r in ("latitude", "longitude"))
    inside = st.tuples(st.floats(*lon), st.floats(*lat), st.floats(*lon), st.floats(*lat)).map(
        lambda b: (min(b[0], b[2]), min(b[1], b[3]), max(b[0], b[2]), max(b[1], b[3])))
    return st.one_of(st.none(), inside, inside, bboxes)


def check_host_and_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", HOST, path)
    assert not parts.fragment and parts.username is None
    assert RAW_ALLOWED.match(parts.query), parts.query
    return parts.query


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(variables=names(ARGO) if ARGO else st.just(["x"]), time=times, bbox=bboxes, depth=depths)
def test_tabledap_urls_hold_only_allowed_parts(variables, time, bbox, depth):
    try:
        url = urls.tabledap_url(SERVER, ARGO, variables, time=time, bbox=bbox, depth=depth)
    except PortalError:
        event("refused")
        return
    event("built")
    query = check_host_and_path(url, "/erddap/tabledap/ArgoFloats.nc")
    first, *constraints = query.split("&")
    allowed = set(ARGO.names())
    assert set(unquote(first).split(",")) <= allowed
    assert set(unquote(first).split(",")) == set(variables)
    roles = {ARGO.role(r) for r in ("time", "latitude", "longitude", "z")}
    for part in constraints:
        match = CONSTRAINT.match(unquote(part))
        assert match, part
        assert match["var"] in roles and match["var"] in allowed
        assert match["value"] not in ("nan", "inf", "-inf")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(which=st.sampled_from(sorted(GRIDS) or ["x"]), data=st.data(),
       time=st.one_of(st.none(), st.none(), times), depth=depths,
       stride=st.one_of(st.none(), st.integers(-3, 50)))
def test_griddap_urls_hold_only_allowed_parts(which, data, time, depth, stride):
    info = GRIDS[which]
    variables = data.draw(names(info))
    bbox = data.draw(grid_boxes(info))
    strides = {axis: stride for axis in info.axes} if stride is not None else None
    try:
        url = urls.griddap_url(SERVER, info, variables, time=time, bbox=bbox, depth=depth,
                               strides=strides)
    except PortalError:
        event("refused")
        return
    event("built")
    query = unquote(check_host_and_path(url, f"/erddap/griddap/{which}.nc"))
    for part in query.split(","):
        name = part.split("[", 1)[0]
        assert name in info.variables and name not in info.axes
        axes = GRID_AXIS.findall(part[len(name):])
        assert len(axes) == len(info.axes)
        assert "".join(f"[({a}):{s}:({b})]" for a, s, b in axes) == part[len(name):]


@given(text=user_text)
def test_search_text_is_encoded(text):
    try:
        url = urls.search_url(SERVER, text)
    except CatalogError:
        assert not text.strip() or len(text) > 200
        return
    parts = urlsplit(url)
    assert parts.netloc == HOST and parts.path == "/erddap/search/advanced.json"
    assert parts.query.split("&searchFor=")[1].count("&") == 0


@pytest.mark.parametrize("server", [
    "https://evil.example.org/", "https://user@erddap.ifremer.fr/erddap",
    "ftp://erddap.ifremer.fr/erddap", "https://erddap.ifremer.fr/erddap?x=1",
    "https://erddap.ifremer.fr/erddap#frag", "javascript:alert(1)", "",
])
def test_only_erddap_base_urls(server):
    with pytest.raises(CatalogError):
        urls.check_server(server)


@pytest.mark.parametrize("dataset_id", ["../etc", "a b", "x?y", "", "a/b", "é"])
def test_dataset_ids_are_checked(dataset_id):
    with pytest.raises(CatalogError):
        urls.check_dataset_id(dataset_id)


@pytest.mark.parametrize(("text", "expected"), [
    ("2004-01-31", "2004-01-31T00:00:00Z"),
    ("2004-01-31T12:30", "2004-01-31T12:30:00Z"),
    ("2004-01-31 12:30:15.5Z", "2004-01-31T12:30:15Z"),
    ("2004-01-31T12:00:00+02:00", "2004-01-31T10:00:00Z"),
    ("2004-01-31T12:00:00-0130", "2004-01-31T13:30:00Z"),
])
def test_time_formats(text, expected):
    assert urls.format_time(text) == expected


@pytest.mark.parametrize("text", ["now-1day", "2004-13-01", "31/01/2004", "2004-01-31;x",
                                  "1e9", "2004-02-30"])
def test_bad_times_are_refused(text):
    with pytest.raises(UnsupportedQuicklook):
        urls.parse_time(text)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "1; drop", None, "1e400"])
def test_bad_numbers_are_refused(value):
    with pytest.raises(UnsupportedQuicklook):
        urls.format_number(value)


def test_end_date_covers_its_day():
    lo, hi = urls.time_bounds(("2004-01-01", "2004-01-31"))
    assert hi - lo == pytest.approx(31 * 86400 - 0.001)
