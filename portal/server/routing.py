"""``serve --num-procs N``: each page's websocket reaches the process that built its session.

Tornado's forked workers share one listening socket, so a page's ``GET`` (which builds its
Bokeh session) and its websocket may reach different processes; the second one then built
the whole session again from the token, the visitor waited for a second build and the
first session stayed orphaned until it expired. Here, before the fork,
:func:`bind_private_sockets` binds one private loopback socket per worker (127.0.0.1,
ephemeral ports, never the public address); after it, :func:`route_websockets` makes worker
``k`` serve the same application on private socket ``k`` (closing the others), tag the
session ids it generates with ``k`` (:func:`tagged_session_id`: still 44 random characters,
signed when the settings sign sessions), and answer ``<prefix>/ws`` with
:class:`RoutingWSHandler`. That handler relays a websocket whose token names a session of
another worker to that worker's private socket (same subprotocols, ``Host``, ``Origin``,
cookies and other end-to-end headers), pipes text and binary messages both ways in order
and closes both sides together; the public side keeps the server's permessage-deflate, the
loopback hop is uncompressed (one compression per message, not three). A session without a
tag, a tag naming no worker, or a worker that cannot be reached is handled as before: this
process builds it. Host and origin checks still run on the public socket, and again on the
private one (the relayed request carries the visitor's ``Host`` and ``Origin``). With one
process nothing changes.
"""

from __future__ import annotations

import logging
import os
import re
import socket
from typing import Any

from panel.io.server import WSHandler as PanelWSHandler
from tornado.netutil import Resolver
from tornado.websocket import WebSocketClosedError

log = logging.getLogger(__name__)

_TAG = re.compile(r"-w(\d{1,4})$")  # the end of a tagged session id (before a signature)
SETTINGS_KEY = "portal_private_ports"  # the app's setting: each worker's private port
#: to reach a sibling and have its answer to the handshake. On loopback a dead sibling is
#: refused at once; a timeout only says that a loop was busy building pages (this one: a
#: 10 s connect timeout expired in a load run while the kernel had long connected), and the
#: session is on the sibling anyway: building it again here only doubled the work
RELAY_TIMEOUT_S = 300.0
KEEPALIVE_S = 30.0  # pings on a relayed public websocket (Bokeh pings only its own sessions)
#: request headers not copied to the relayed handshake (hop-by-hop, or the handshake's own)
_NOT_RELAYED = frozenset({
    "connection", "upgrade", "keep-alive", "proxy-connection", "proxy-authorization",
    "te", "trailer", "transfer-encoding", "content-length", "sec-websocket-key",
    "sec-websocket-version", "sec-websocket-protocol", "sec-websocket-extensions"})


def worker_count(num_procs: int) -> int:
    """How many workers Tornado forks for ``--num-procs`` (0 or less: one per CPU)."""
    import tornado.process

    return num_procs if num_procs > 0 else tornado.process.cpu_count()


def bind_private_sockets(num_procs: int) -> list[socket.socket]:
    """One listening loopback socket per worker, on ephemeral ports; none for one process.
    Call before the fork: every worker inherits them all and keeps its own."""
    from tornado.netutil import bind_sockets

    if num_procs == 1:
        return []
    return [bind_sockets(0, "127.0.0.1", family=socket.AF_INET)[0]
            for _ in range(worker_count(num_procs))]


def tagged_session_id(worker: int, secret_key: bytes | None = None,
                      signed: bool = False) -> str:
    """A new session id that names ``worker``: Bokeh's 44 random characters, ``-w`` and
    the worker's index, then Bokeh's signature of all that when sessions are signed."""
    from bokeh.util.token import _signature, generate_session_id

    base = f"{generate_session_id(signed=False)}-w{worker}"
    return f"{base}.{_signature(base, secret_key)}" if signed else base


def session_worker(session_id: str) -> int | None:
    """The worker index a session id names, or None (untagged or malformed)."""
    found = _TAG.search(session_id.split(".", 1)[0])
    return int(found.group(1)) if found else None


def token_worker(token: str | None) -> int | None:
    """The worker index named by the session id in a Bokeh token, or None."""
    from bokeh.util.token import get_session_id

    if not token:
        return None
    try:
        return session_worker(get_session_id(token))
    except Exception:  # noqa: BLE001 - a malformed token: this process answers as before
        return None


def relayed_headers(headers: Any) -> dict[str, str]:
    """The request's end-to-end headers (``Host``, ``Origin``, ``Cookie``, …) for the
    relayed handshake; Tornado's client adds the websocket handshake's own."""
    return {name: value for name, value in headers.get_all()
            if name.lower() not in _NOT_RELAYED}


class _Loopback(Resolver):
    """No name lookup for ``127.0.0.1``: Tornado's default resolver runs it in the default
    thread pool, where renders queue (a load run timed out 'resolving 127.0.0.1')."""

    async def resolve(self, host: str, port: int, family: socket.AddressFamily = socket.AF_UNSPEC,
                      ) -> list[tuple[int, Any]]:
        return [(socket.AF_INET, (host, port))]


def _close_code(code: int | None) -> int | None:
    """A close code that may be sent on (None for 'no status' and 'abnormal')."""
    return code if code is not None and code not in (1005, 1006, 1015) else None


class RoutingWSHandler(PanelWSHandler):
    """Panel's websocket handler, relaying a session of another worker to that worker."""

    _relay_port: int | None = None
    _upstream: Any = None  # tornado's WebSocketClientConnection to the sibling worker
    _closed = False

    def select_subprotocol(self, subprotocols: list[str]) -> str | None:
        chosen = super().select_subprotocol(subprotocols)
        self._relay_port = self._sibling_port() if chosen == "bokeh" else None
        return chosen

    def _sibling_port(self) -> int | None:
        route = self.application.settings.get(SETTINGS_KEY)
        worker = token_worker(self._token)
        if not route or worker is None:
            return None
        own, ports = route
        return ports[worker] if worker != own and 0 <= worker < len(ports) else None

    @property
    def ping_interval(self) -> float | None:
        return KEEPALIVE_S if self._relay_port is not None else super().ping_interval

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if self._relay_port is None:
            return super().open(*args, **kwargs)
        return self._open_relay(*args, **kwargs)

    async def _open_relay(self, *args: Any, **kwargs: Any) -> None:
        from tornado.httpclient import HTTPRequest
        from tornado.ioloop import IOLoop
        from tornado.websocket import websocket_connect

        port, token = self._relay_port, self._token or ""
        request = HTTPRequest(f"ws://127.0.0.1:{port}{self.request.uri}",
                              headers=relayed_headers(self.request.headers),
                              connect_timeout=RELAY_TIMEOUT_S,
                              request_timeout=RELAY_TIMEOUT_S)
        size = self.application.settings.get("websocket_max_message_size", 20 * 1024 * 1024)
        try:
            upstream = await websocket_connect(request, subprotocols=["bokeh", token],
                                               max_message_size=size, resolver=_Loopback())
        except Exception as exc:  # noqa: BLE001 - the sibling is gone: build it here
            log.warning("websocket relay to port %s failed (%s): this process builds the "
                        "session", port, exc)
            self._relay_port = None
            return super().open(*args, **kwargs)
        if self._closed:  # the visitor left while we connected
            upstream.close()
            return None
        self._upstream = upstream
        log.info("websocket relayed to the worker on port %s", port)
        IOLoop.current().add_callback(self._pump_down, upstream)
        return None

    async def _pump_down(self, upstream: Any) -> None:
        """The sibling's messages to the visitor, in order, until either side closes."""
        try:
            while (message := await upstream.read_message()) is not None:
                await self.write_message(message, binary=isinstance(message, bytes))
        except WebSocketClosedError:
            pass  # the visitor left
        finally:
            self._close_both(upstream.close_code, upstream.close_reason)

    async def on_message(self, fragment: str | bytes) -> None:
        if self._relay_port is None:
            return await super().on_message(fragment)
        if self._upstream is None:
            return None
        try:
            await self._upstream.write_message(fragment, binary=isinstance(fragment, bytes))
        except WebSocketClosedError:
            self._close_both(self._upstream.close_code, self._upstream.close_reason)
        return None

    def on_close(self) -> None:
        self._closed = True
        if self._relay_port is None:
            return super().on_close()
        self._close_both(self.close_code, self.close_reason)
        return None

    def _close_both(self, code: int | None, reason: str | None) -> None:
        code = _close_code(code)
        if self.ws_connection is not None:
            self.close(code, reason if code else None)
        if self._upstream is not None:
            self._upstream.close(code, reason if code else None)


def tag_session_ids(worker: int) -> None:
    """Make Bokeh's page handler (and Panel's, which also makes ids) generate ids naming
    ``worker``. Process-wide and set once, right after the fork: a worker's identity."""
    import functools

    import bokeh.server.views.session_handler as bokeh_sessions
    import panel.io.server as panel_server

    generate = functools.partial(tagged_session_id, worker)
    bokeh_sessions.generate_session_id = generate  # type: ignore[assignment]
    panel_server.generate_session_id = generate  # type: ignore[assignment]


def install_ws_handler(app) -> int:
    """Answer every ``…/ws`` route of Panel's Tornado ``app`` with
    :class:`RoutingWSHandler`; returns how many rules were changed."""
    from tornado.routing import PathMatches

    rules: list = []
    for rule in app.default_router.rules + app.wildcard_router.rules:
        rules.extend(getattr(rule.target, "rules", [rule]))  # inside host rules too
    changed = 0
    for rule in rules:
        if (isinstance(rule.matcher, PathMatches) and rule.target is PanelWSHandler
                and rule.matcher.regex.pattern.rstrip("$").endswith("/ws")):
            rule.target = RoutingWSHandler
            changed += 1
    return changed


def route_websockets(server, sockets: list[socket.socket]) -> int | None:
    """In a forked worker ``k`` (``tornado.process.task_id()``): serve Panel's Tornado app
    on private socket ``k`` too, close the others, tag new session ids with ``k`` and
    relay websockets of other workers' sessions. Returns ``k``; None (and nothing
    changed) outside a fork or without private sockets."""
    from tornado.httpserver import HTTPServer
    from tornado.process import task_id

    worker = task_id()
    if worker is None or not 0 <= worker < len(sockets):
        for sock in sockets:
            sock.close()
        return None
    ports = tuple(sock.getsockname()[1] for sock in sockets)
    app, public = server._tornado, server._http
    app.settings[SETTINGS_KEY] = (worker, ports)
    tag_session_ids(worker)
    install_ws_handler(app)
    private = HTTPServer(app, xheaders=public.xheaders,
                         trusted_downstream=public.trusted_downstream)
    private.add_sockets([sockets[worker]])
    for index, sock in enumerate(sockets):
        if index != worker:
            sock.close()
    log.info("worker %d (pid %s): websockets of the other workers' sessions are relayed "
             "over 127.0.0.1 (ports %s)", worker, os.getpid(),
             ", ".join(map(str, ports)))
    return worker
