"""Errors in the page: plain text from the URL, and a bad link never replaces the page."""

from __future__ import annotations

import pytest

from portal.catalog.loader import Catalog
from portal.errors import CatalogError
from portal.model import DatasetEntry

HOSTILE_ID = "[Log in](https://evil.example/login) ![x](https://evil.example/p.png) <b>x</b>"


@pytest.fixture
def catalog():
    entry = DatasetEntry.from_metadata(
        "series", "netcdf", {"urlpath": "/nowhere.nc"},
        {"title": "A series", "featureType": "timeSeries", "variables": [{"name": "sea_level"}],
         "time_coverage": ["2020-01-01T00:00:00", "2020-12-31T00:00:00"],
         "vertical_coverage": [0.0, 10.0]})
    return Catalog({"series": entry})


def test_alert_shows_user_text_as_text():
    from portal.ui.alert import PlainAlert, error_alert

    alert = error_alert(CatalogError(f"unknown dataset id {HOSTILE_ID!r}"), "en")
    assert isinstance(alert, PlainAlert) and "portal-error" in alert.css_classes
    html = alert.object
    assert "<a" not in html and "<img" not in html and "<b>x" not in html
    assert "[Log in](https://evil.example/login)" in html  # shown literally
    assert "&lt;b&gt;x&lt;/b&gt;" in html


def test_unexpected_errors_show_no_server_detail():
    from portal.ui.alert import error_alert

    html = error_alert(ValueError("cannot open /srv/secret/path.nc"), "en").object
    assert "/srv/secret" not in html and "ValueError" not in html and "logged" in html


@pytest.mark.parametrize("time", ["2030-01-01/2031-01-01", "2020-12-01/2020-01-01", "NaT/NaT",
                                  "1700-01-01/2500-01-01", "x/y", "2020-01-01/"])
@pytest.mark.parametrize("depth", ["", "nan/inf", "50/-3"])
def test_any_time_range_in_the_link_gives_a_page(catalog, time, depth):
    from portal.ui.page import PortalPage
    from portal.ui.state import ViewState

    # as the URL sync sets them: text read by the typed params (an unreadable value is None)
    state = ViewState(dataset="series", time=ViewState.param.time.deserialize(time),
                      depth=ViewState.param.depth.deserialize(depth))
    page = PortalPage(state=state, catalog=catalog)
    page.template()
    main = page._main.objects
    notices = [o for o in main if "portal-error" in getattr(o, "css_classes", [])]
    assert page._pane is not None and len(main) == 3 + len(notices)  # header, pane, details
    if notices:  # the selection was dropped, and the visitor is told so
        assert state.time is None and "could not be used" in notices[0].object


def test_embed_of_an_unknown_hostile_id_is_plain_text(catalog, monkeypatch):
    import panel as pn

    from portal.ui.page import embed_page

    monkeypatch.setattr(pn.state, "_session_args_override", None, raising=False)
    monkeypatch.setattr(type(pn.state), "session_args", property(
        lambda self: {"dataset": [HOSTILE_ID.encode()]}))
    out = embed_page(catalog)
    assert "<a" not in out.object and "[Log in](https://evil.example/login)" in out.object


@pytest.mark.parametrize(("time", "picked"), [
    ("2030-01-01/2031-01-01", ("2020-01-01", "2020-12-31")),  # after the coverage: all of it
    ("2019-06-01/2020-03-01", ("2020-01-01", "2020-03-01 23:59:59.999999")),  # the overlap
])
def test_a_time_window_beyond_the_coverage_is_kept_and_the_picker_clamped(catalog, time, picked):
    import pandas as pd

    from portal.ui.page import PortalPage
    from portal.ui.state import ViewState

    window = ViewState.param.time.deserialize(time)
    state = ViewState(dataset="series", time=window)
    page = PortalPage(state=state, catalog=catalog)
    assert not [o for o in page._main.objects if "portal-error" in getattr(o, "css_classes", [])]
    assert state.time == window  # the plot says what the window holds (no data)
    value = page._pane._widgets["time"].value
    assert tuple(value) == tuple(pd.Timestamp(v).to_pydatetime() for v in picked)


def test_an_equal_range_set_again_triggers_no_redraw():
    """The browser's URL comes back once the page connects: equal values change nothing."""
    from portal.ui.state import ViewState

    state = ViewState(time=ViewState.param.time.deserialize("2020-01-01/2020-02-01"),
                      bbox=ViewState.param.bbox.deserialize("-10,40,5,50"))
    events = []
    state.param.watch(events.append, ["time", "bbox"])
    state.param.update(time=ViewState.param.time.deserialize("2020-01-01/2020-02-01"),
                       bbox=ViewState.param.bbox.deserialize("-10,40,5,50"))
    assert events == []
