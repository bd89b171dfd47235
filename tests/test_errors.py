"""Errors carry their HTTP status; public messages never show server paths; the PNG
route answers every failure through one ``error_response`` (checked over loopback HTTP)."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

import pytest

from portal import errors as E


@pytest.mark.parametrize(("cls", "status"), [
    (E.BadParameter, 400), (E.UnsupportedQuicklook, 400), (E.DatasetNotFound, 404),
    (E.NoDataInSelection, 404), (E.SelectionTooLarge, 413), (E.UpstreamUnavailable, 502),
    (E.UpstreamTimeout, 504), (E.SourceUnavailable, 500), (E.ConfigError, 500),
    (E.CatalogError, 500), (E.PortalError, 500),
])
def test_each_class_carries_its_status(cls, status):
    assert E.status_of(cls("x")) == status


def test_compatible_bases():
    assert issubclass(E.BadParameter, ValueError)  # callers catching ValueError still work
    assert issubclass(E.DatasetNotFound, E.CatalogError)
    assert issubclass(E.UpstreamUnavailable, E.SourceUnavailable)
    assert E.status_of(ValueError("boom")) == 500


@pytest.mark.parametrize(("text", "shown"), [
    ("file not found: /srv/odatis/data/demo/9900002_prof.nc — check", "9900002_prof.nc"),
    ("{CATALOG_DIR}/../data/demo/a.nc is missing", "a.nc is missing"),
    ("cannot read ../data/x.nc", "cannot read x.nc"),
])
def test_public_message_strips_server_paths(text, shown):
    message = E.public_message(E.SourceUnavailable(text, dataset="d"))
    assert shown in message and "/srv" not in message and "data/" not in message
    assert message.startswith("d: ")


def test_public_message_keeps_urls_and_routes():
    text = "http://erddap.example.org/erddap/tabledap/x.csv answered 503; see /api/datasets"
    assert E.public_message(E.UpstreamUnavailable(text)) == text


def test_unexpected_exception_is_generic():
    message = E.public_message(KeyError("/secret/path/config.yaml"))
    assert message == E.GENERIC_MESSAGE and "secret" not in message


# ------------------------------------------------------------------ loopback HTTP


async def _fetch_all(paths: list[str]) -> list[tuple[int, str]]:
    import tornado.httpclient
    import tornado.httpserver
    import tornado.netutil
    import tornado.web

    from portal.server.handlers import routes

    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    port = sockets[0].getsockname()[1]
    app = tornado.web.Application(routes())
    server = tornado.httpserver.HTTPServer(app)
    server.add_sockets(sockets)
    client = tornado.httpclient.AsyncHTTPClient()
    answers = []
    try:
        for path in paths:
            resp = await client.fetch(f"http://127.0.0.1:{port}{path}", raise_error=False)
            answers.append((resp.code, resp.body.decode()))
    finally:
        server.stop()
    return answers


def test_png_route_statuses(monkeypatch, caplog):
    from portal.server import context, handlers

    failures = {"map": E.SelectionTooLarge("too many cells in /srv/a/b/grid.nc"),
                "profile": E.UpstreamTimeout("server http://h.org/erddap timed out"),
                "timeseries": ZeroDivisionError("/srv/secret/x")}

    def render(entry, kind, query, style_kw):
        raise failures[kind]

    from portal.catalog.loader import Catalog
    from portal.model import DatasetEntry

    entry = DatasetEntry.from_metadata("d", "netcdf", {"urlpath": "/x.nc"}, {"title": "d"})
    monkeypatch.setattr(context, "catalog", lambda: Catalog(entries={"d": entry}))
    monkeypatch.setattr(handlers, "_render_cached", render)
    with caplog.at_level(logging.ERROR, logger="portal.server.handlers"):
        paths = ["/quicklook/nope/map.png", "/quicklook/d/map.png?width=7",
                 "/quicklook/d/map.png", "/quicklook/d/profile.png", "/quicklook/d/timeseries.png"]
        # a loop of its own in a thread: earlier tests (Playwright) may hold this thread's loop
        with ThreadPoolExecutor(1) as pool:
            answers = pool.submit(asyncio.run, _fetch_all(paths)).result(timeout=120)
    codes = [code for code, _ in answers]
    assert codes == [404, 400, 413, 504, 500]
    assert "unknown dataset id 'nope'" in answers[0][1]
    assert "grid.nc" in answers[2][1] and "/srv" not in answers[2][1]
    assert answers[4][1].strip() == E.GENERIC_MESSAGE
    assert "ZeroDivisionError" in caplog.text  # the traceback is in the log


def test_remote_failures_are_upstream_statuses():
    from portal.remote.hosts import UpstreamError

    down = UpstreamError("cannot connect", host="h", kind="refused", status=None)
    slow = UpstreamError("too slow", host="h", kind="timeout")
    gone = UpstreamError("answered 404", host="h", kind="http", status=404)
    assert (E.status_of(down), E.status_of(slow), E.status_of(gone)) == (502, 504, 502)
    assert gone.status == 404  # the server's own status stays available


def test_page_alert_shows_the_public_message():
    from portal.ui.quicklook_pane import error_alert

    alert = error_alert(E.SourceUnavailable("cannot read /srv/odatis/data/x.nc"), "en")
    assert "x.nc" in alert.object and "/srv" not in alert.object
    generic = error_alert(RuntimeError("/srv/secret"), "en").object  # translated generic line
    assert "/srv" not in generic and "logged" in generic
