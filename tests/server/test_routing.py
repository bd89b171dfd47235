"""``serve --num-procs 2`` relays each page's websocket to the process that built its
session (portal/server/routing.py): session ids name their worker, a page's session is
built once whichever process its websocket reaches, its plot arrives and its controls
redraw through the relay, and closing leaves no session anywhere."""

from __future__ import annotations

import asyncio
import random
import re
import socket
import threading
import time

import pytest
import tornado.httpserver
import tornado.ioloop
import tornado.netutil
import tornado.web
import tornado.websocket
from bokeh.util.token import (
    check_session_id_signature,
    generate_jwt_token,
    generate_session_id,
)
from tornado.httputil import HTTPHeaders

from portal.server.routing import (
    relayed_headers,
    session_worker,
    tagged_session_id,
    token_worker,
)
from tests.server.conftest import http_get, serving
from tests.server.test_load import bench_load, track_and_grid  # noqa: F401 - the fixture
from tests.threads import in_thread, run_async

PAGES = 10


def test_session_ids_name_their_worker_and_stay_random():
    ids = {tagged_session_id(1) for _ in range(50)}
    assert len(ids) == 50 and all(session_worker(i) == 1 for i in ids)
    assert all(len(i.split("-w")[0]) == 44 for i in ids)  # Bokeh's 261 random bits
    assert session_worker(tagged_session_id(12)) == 12
    assert session_worker(generate_session_id(signed=False)) is None  # untagged: as before
    assert session_worker("abc-wx") is None and session_worker("-w") is None


def test_signed_session_ids_keep_a_valid_signature():
    key = b"k" * 32
    signed = tagged_session_id(3, secret_key=key, signed=True)
    assert check_session_id_signature(signed, secret_key=key, signed=True)
    assert not check_session_id_signature(signed, secret_key=b"x" * 32, signed=True)
    assert session_worker(signed) == 3


def test_the_worker_is_read_from_the_token():
    token = generate_jwt_token(tagged_session_id(1), signed=False)
    assert token_worker(token) == 1
    assert token_worker(generate_jwt_token(generate_session_id(signed=False))) is None
    assert token_worker("not a token") is None and token_worker(None) is None


def test_relayed_handshake_keeps_host_origin_and_cookies_only():
    headers = HTTPHeaders({"Host": "portal.example", "Origin": "https://portal.example",
                           "Cookie": "a=1", "Connection": "Upgrade", "Upgrade": "websocket",
                           "Sec-WebSocket-Key": "x", "Sec-WebSocket-Protocol": "bokeh, t",
                           "Sec-WebSocket-Extensions": "permessage-deflate"})
    assert relayed_headers(headers) == {"Host": "portal.example", "Cookie": "a=1",
                                        "Origin": "https://portal.example"}


class Visitors:
    """``n`` pages opened as a browser opens them, each in a thread with its own event loop
    (as ``bokeh.client`` needs), advancing together: opened with their plot, then each
    changes its variable and waits for the new plot, then each closes."""

    def __init__(self, bench, url: str, n: int) -> None:
        self.bench, self.url = bench, url
        self.steps = [threading.Barrier(n + 1, timeout=240) for _ in range(3)]
        self.ids: list[str] = []
        self.errors: list[str] = []
        self.threads = [threading.Thread(target=self._visit, args=(i,)) for i in range(n)]

    def _visit(self, i: int) -> None:
        asyncio.set_event_loop(asyncio.new_event_loop())
        bench, session = self.bench, None
        try:
            session, *_ = bench.open_like_a_browser(self.url, "track")
            bench.tolerate_undecodable_patches(session, bench.Tally())
            self.ids.append(session.id)
            busy = bench.Busy(session.document)
            bench.document_ready(session)
            if not bench.pump(session, lambda: bench.has_figure(session.document)
                              and busy.idle(), 120):
                self.errors.append(f"page {i}: no plot")
            self.steps[0].wait()
            self.steps[1].wait()  # the main thread has counted the sessions
            if not self._change_and_wait(session, busy):
                self.errors.append(f"page {i}: no new plot after a variable change")
            self.steps[2].wait()
        except Exception as exc:  # noqa: BLE001 - reported by the test
            self.errors.append(f"page {i}: {type(exc).__name__}: {exc}")
            for step in self.steps:
                step.abort()
        finally:
            if session is not None:
                session.close()

    def _change_and_wait(self, session, busy) -> bool:
        bench = self.bench
        widgets = [w for w in bench._widgets(session.document)
                   if "portal-control-var" in w.css_classes]
        if not widgets:
            return False
        before = busy.started
        bench._change(widgets[0], random.Random(0))
        return bench.pump(session, lambda: busy.started > before and busy.idle(), 120)

    def start(self) -> None:
        for thread in self.threads:
            thread.start()
            time.sleep(0.2)  # visitors arrive over a while

    def join(self) -> None:
        for thread in self.threads:
            thread.join(240)


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory):
    """``serve --num-procs 2`` of a small grid and a two-variable track."""
    folder = tmp_path_factory.mktemp("routing")
    with serving(track_and_grid(folder), folder, "--num-procs", "2") as served:
        yield served


def _private_ports(served) -> set[int]:
    found = re.findall(r"relayed over 127\.0\.0\.1 \(ports ([\d, ]+)\)", served.log.read_text())
    return {int(p) for line in found for p in line.split(", ")}


def _listening(port: int) -> set[str]:
    """The local addresses (hex, as /proc/net/tcp* writes them) listening on ``port``."""
    addresses = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as fh:
            for line in fh.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                    addresses.add(local.rsplit(":", 1)[0])
    return addresses


def _handshake(host: str, origin: str, token: str) -> dict[str, str]:
    return {"Host": host, "Origin": origin, "Upgrade": "websocket", "Connection": "Upgrade",
            "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Protocol": f"bokeh, {token}"}


def test_private_sockets_are_loopback_and_checks_still_hold(two_workers):
    port = two_workers.port
    private = _private_ports(two_workers)
    assert len(private) == 2 and port not in private, private
    for each in private:
        assert _listening(each) == {"0100007F"}, each  # 127.0.0.1 only
    for worker in (0, 1):  # whichever process answers, relay or not
        token = generate_jwt_token(tagged_session_id(worker), signed=False)
        for _ in range(4):
            foreign_origin = _handshake(f"127.0.0.1:{port}", "http://evil.example", token)
            assert http_get(port, "/ws", foreign_origin)[0] == 403
            rebound = _handshake(f"evil.example:{port}", f"http://evil.example:{port}", token)
            assert http_get(port, "/ws", rebound)[0] == 403
    for each in private:  # the private sockets check Host and Origin as well
        foreign = _handshake(f"evil.example:{port}", f"http://evil.example:{port}", "t")
        assert http_get(each, "/ws", foreign)[0] == 403


def _pull(url: str, session_id: str) -> bool:
    """Whether the session ``session_id`` (built on its websocket's arrival) has a page."""
    from bokeh.client import pull_session

    with pull_session(url=f"{url}/", session_id=session_id) as session:
        return bool(session.document.roots)


def test_a_session_of_no_worker_is_built_where_its_websocket_lands(two_workers, bench_load):  # noqa: F811
    """An id naming no worker (``-w7`` of two, or untagged) is served as before the relay."""
    import bokeh.plotting  # noqa: F401 - the client decodes the page's figures
    import panel  # noqa: F401

    bench_load.tolerate_unknown_models()

    for session_id in (f"{generate_session_id(signed=False)}-w7",
                       generate_session_id(signed=False)):
        assert in_thread(lambda sid=session_id: _pull(two_workers.url, sid)), session_id
    assert bench_load.wait_sessions_closed(two_workers.url, 60, processes=2) == 0


def test_each_page_is_built_once_and_works_through_the_relay(two_workers, bench_load):  # noqa: F811
    import bokeh.plotting  # noqa: F401 - the client decodes the page's figures
    import panel  # noqa: F401

    bench_load.tolerate_unknown_models()
    served = two_workers
    visitors = Visitors(bench_load, served.url, PAGES)
    visitors.start()
    live: dict[int, int] = {}
    after: dict[int, int] = {}
    try:
        visitors.steps[0].wait()  # every page open with its plot
        live = bench_load.sessions_by_process(served.url, expected=2)
        visitors.steps[1].wait()
        visitors.steps[2].wait()  # every page redrawn after a change
        after = bench_load.sessions_by_process(served.url, expected=2)
    except threading.BrokenBarrierError:
        visitors.errors.append("the visitors did not reach every step")
    visitors.join()
    assert not visitors.errors, visitors.errors
    assert {session_worker(i) for i in visitors.ids} == {0, 1}  # ids name their builder
    assert len(live) == 2, live
    # without the relay a websocket reaching the other process built its page again
    failed = [line for line in served.log.read_text().splitlines() if "relay to port" in line]
    assert sum(live.values()) == PAGES, (live, failed)
    assert sum(after.values()) == PAGES, (after, failed)
    # the pages' websockets may all have reached their builder (the kernel's choice); of
    # two sessions named for worker 0 and worker 1, whichever process each websocket
    # reaches, one names the other worker: it is relayed there and works
    for worker in (0, 1):
        session_id = tagged_session_id(worker)
        assert in_thread(lambda sid=session_id: _pull(served.url, sid)), session_id
    relayed = len(re.findall("websocket relayed to the worker", served.log.read_text()))
    assert relayed >= 1, "no websocket reached the other process: nothing was tested"
    assert bench_load.wait_sessions_closed(served.url, 45, processes=2) == 0


if __name__ == "__main__":
    pytest.main([__file__, "-q"])


class _Echo(tornado.websocket.WebSocketHandler):
    """A stand-in sibling worker: echoes each message with its kind, records the handshake."""

    seen: list = []

    def select_subprotocol(self, subprotocols):
        self.seen.append(("handshake", subprotocols, dict(self.request.headers)))
        return subprotocols[0]

    def on_message(self, message):
        self.write_message(message, binary=isinstance(message, bytes))
        if message == "bye":
            self.close(4001, "upstream done")

    def on_close(self):
        self.seen.append(("closed", self.close_code))


async def _relay_round_trip(token_worker_index: int, sibling_port: int) -> dict:
    """A Bokeh app whose /ws is RoutingWSHandler, worker 0 of two whose sibling is an
    echo server; one client talks to it with a token naming ``token_worker_index``."""
    from bokeh.application import Application
    from bokeh.server.tornado import BokehTornado
    from tornado.httpclient import HTTPRequest
    from tornado.httpserver import HTTPServer
    from tornado.netutil import bind_sockets

    from portal.server.routing import SETTINGS_KEY, install_ws_handler

    [public] = bind_sockets(0, "127.0.0.1", family=socket.AF_INET)
    port = public.getsockname()[1]
    app = BokehTornado({"/": Application()}, extra_websocket_origins=[f"127.0.0.1:{port}"])
    app.settings[SETTINGS_KEY] = (0, (port, sibling_port))
    assert install_ws_handler(app) == 1
    server = HTTPServer(app)
    server.add_sockets([public])
    token = generate_jwt_token(tagged_session_id(token_worker_index), signed=False)
    request = HTTPRequest(f"ws://127.0.0.1:{port}/ws", headers={
        "Origin": f"http://127.0.0.1:{port}", "Cookie": "visitor=1"})
    client = await tornado.websocket.websocket_connect(request, subprotocols=["bokeh", token])
    got = []
    for message in ("one", b"\x00two", "bye"):
        await client.write_message(message, binary=isinstance(message, bytes))
        got.append(await client.read_message())
    got.append(await client.read_message())  # None: closed
    server.stop()
    return {"got": got, "code": client.close_code, "reason": client.close_reason,
            "port": port}


def test_the_relay_pipes_both_ways_and_closes_together():
    [sibling] = tornado.netutil.bind_sockets(0, "127.0.0.1", family=socket.AF_INET)
    _Echo.seen = []

    async def run():
        echo = tornado.httpserver.HTTPServer(tornado.web.Application([(r"/ws", _Echo)]))
        echo.add_sockets([sibling])
        try:
            return await _relay_round_trip(1, sibling.getsockname()[1])
        finally:
            echo.stop()

    result = run_async(run)
    assert result["got"] == ["one", b"\x00two", "bye", None]  # in order, kinds kept
    assert (result["code"], result["reason"]) == (4001, "upstream done")
    (_, subprotocols, headers), *rest = _Echo.seen
    assert subprotocols[0] == "bokeh" and token_worker(subprotocols[1]) == 1
    assert headers["Host"] == f"127.0.0.1:{result['port']}"  # the visitor's, not the hop's
    assert headers["Origin"] == f"http://127.0.0.1:{result['port']}"
    assert headers["Cookie"] == "visitor=1"
    assert "permessage-deflate" not in headers.get("Sec-Websocket-Extensions", "")


def test_an_unreachable_sibling_leaves_the_session_to_this_process():
    [gone] = tornado.netutil.bind_sockets(0, "127.0.0.1", family=socket.AF_INET)
    gone_port = gone.getsockname()[1]
    gone.close()  # nothing listens there: the relay is refused at once

    async def run():
        from bokeh.application import Application
        from bokeh.server.tornado import BokehTornado
        from tornado.httpclient import HTTPRequest

        from portal.server.routing import SETTINGS_KEY, install_ws_handler

        [public] = tornado.netutil.bind_sockets(0, "127.0.0.1", family=socket.AF_INET)
        port = public.getsockname()[1]
        app = BokehTornado({"/": Application()}, extra_websocket_origins=[f"127.0.0.1:{port}"])
        app.settings[SETTINGS_KEY] = (0, (port, gone_port))
        app.initialize(tornado.ioloop.IOLoop.current())  # as Bokeh's server does: sessions
        install_ws_handler(app)
        server = tornado.httpserver.HTTPServer(app)
        server.add_sockets([public])
        token = generate_jwt_token(tagged_session_id(1), signed=False)
        client = await tornado.websocket.websocket_connect(
            HTTPRequest(f"ws://127.0.0.1:{port}/ws", headers={"Origin": f"http://127.0.0.1:{port}"}),
            subprotocols=["bokeh", token])
        header = await asyncio.wait_for(client.read_message(), 30)
        client.close()
        server.stop()
        return header

    assert '"msgtype":"ACK"' in run_async(run).replace(" ", "")  # Bokeh's own answer
