"""``serve --num-procs N``: a new page is built by the worker with the fewest sessions.

Tornado's forked workers share one listening socket, and the worker whose loop wakes first
accepts every connection pending then: which worker builds a page is chance, and in a
20-session load run (``bench_load.py``) the pages split 13/7; the worker with 13 ran their
redraws on one core (one interpreter lock) while the other idled, and that run's
interaction p95 was 1.9 s (0.7–1.3 s in runs split 10/10 or 9/11). Balancing the accepts themselves made it worse: a page's websocket,
arriving just after its page, then went to the other worker and was relayed (11 of 20
instead of 3). So only pages move, once accepted: each worker publishes its load (live
Bokeh sessions and pages it is building) and when it wrote it, in an array the workers
share (:func:`shared_loads`, made before the fork); a worker that accepted a connection
peeks at its first bytes (never waiting for them) and, when they are a ``GET`` of the page
or the embed and a sibling that wrote within :data:`STALE_S` is less loaded, hands the
socket itself to that sibling over a Unix datagram channel (:func:`handoff_channels`, also
made before the fork; ``SCM_RIGHTS``), which serves it as if it had accepted it. Anything
else (websockets, PNGs, tiles, a page whose bytes have not arrived, a TLS handshake) stays
where the kernel put it; a page's websocket then reaches its builder through the relay of
:mod:`portal.server.routing`.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import time
from collections import deque
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

PUBLISH_S = 0.25  # how often a worker writes its load
STALE_S = 2.0  # a sibling that wrote nothing for this long is left out (busy or gone)
SENT_WINDOW_S = 1.0  # a page handed to a sibling counts on its load until it published it
PEEK_BYTES = 512
SETTINGS_KEY = "portal_balance"  # the app's setting: this worker's :class:`Balancer`
_REQUEST_LINE = re.compile(rb"GET ([^ ?#]*)[ ?#]")


def shared_loads(workers: int) -> Any:
    """An array shared by ``workers`` forked processes (load and time of each; made
    before the fork, inherited by every worker); None for one process."""
    from multiprocessing.sharedctypes import RawArray

    return RawArray("d", 2 * workers) if workers > 1 else None


def handoff_channels(workers: int) -> list[tuple[socket.socket, socket.socket]]:
    """One ``(receive, send)`` Unix datagram pair per worker (none for one process), made
    before the fork: worker ``k`` reads pair ``k`` and writes the others'."""
    if workers <= 1:
        return []
    pairs = [socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM) for _ in range(workers)]
    for receive, send in pairs:
        receive.setblocking(False)
        send.setblocking(False)
    return pairs


def is_page_request(head: bytes, base_path: str = "") -> bool:
    """Whether a request's first bytes are a ``GET`` of the page (``/``) or the embed
    (``/embed``) under ``base_path``: the requests that build a session."""
    found = _REQUEST_LINE.match(head)
    if found is None:
        return False
    path = found.group(1).decode("latin-1")
    base = base_path.rstrip("/")
    return path in {base + "/", base + "/embed", base + "/embed/"} or (bool(base) and path == base)


def pick_sibling(mine: float, siblings: list[tuple[int, float, float]], now: float) -> int | None:
    """The sibling (``(index, load, written at)`` each) to hand a page to: the least
    loaded of those that wrote within :data:`STALE_S`, when it has fewer than ``mine``."""
    fresh = [(load, index) for index, load, written in siblings if now - written <= STALE_S]
    if not fresh:
        return None
    load, index = min(fresh)
    return index if mine > load else None


class Balancer:
    """Worker ``index``'s side of the shared ``loads``: what it publishes, and which
    sibling (if any) builds the next page it accepted. ``sessions()`` counts its live
    Bokeh sessions."""

    def __init__(self, loads: Any, index: int, sessions: Callable[[], int],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.loads, self.index, self.sessions, self.clock = loads, index, sessions, clock
        self.building = 0  # pages whose session this worker is building
        self.waiting: deque[float] = deque()  # pages accepted (or received), not yet building
        self.handed: dict[int, deque[float]] = {}  # sibling -> times pages were handed to it

    def load(self) -> float:
        now = self.clock()
        while self.waiting and now - self.waiting[0] > SENT_WINDOW_S:
            self.waiting.popleft()  # never parsed (the client left): no longer a load
        return float(self.sessions() + self.building + len(self.waiting))

    def page_kept(self) -> None:
        """A page request accepted here (or handed here) that its handler has not begun."""
        self.waiting.append(self.clock())

    def page_started(self) -> None:
        """A page's handler began building it (one waiting page less)."""
        if self.waiting:
            self.waiting.popleft()
        self.building += 1

    def page_done(self) -> None:
        self.building -= 1

    def publish(self) -> None:
        self.loads[2 * self.index] = self.load()
        self.loads[2 * self.index + 1] = self.clock()

    def siblings(self) -> list[tuple[int, float, float]]:
        """``(index, load, written at)`` of the others, each with the pages handed to it
        since its last write counted in."""
        now, out = self.clock(), []
        for k in range(len(self.loads) // 2):
            if k == self.index:
                continue
            handed = self.handed.get(k, deque())
            while handed and now - handed[0] > SENT_WINDOW_S:
                handed.popleft()
            written = self.loads[2 * k + 1]
            recent = sum(1 for t in handed if t > written)
            out.append((k, self.loads[2 * k] + recent, written))
        return out

    def target(self) -> int | None:
        return pick_sibling(self.load(), self.siblings(), self.clock())

    def handed_to(self, sibling: int) -> None:
        self.handed.setdefault(sibling, deque()).append(self.clock())


def balance_pages(server: Any, loads: Any, channels: list, index: int | None,
                  base_path: str = "") -> Balancer | None:
    """In worker ``index`` (after the fork): publish its load every :data:`PUBLISH_S`,
    hand the pages it accepts to a less loaded sibling and serve those handed to it
    (module docstring). None (nothing changed) without shared loads or outside a fork."""
    from tornado.ioloop import IOLoop, PeriodicCallback
    from tornado.netutil import add_accept_handler

    if loads is None or index is None or not 0 <= index < len(channels):
        return None
    app, public = server._tornado, server._http
    balancer = Balancer(loads, index, lambda: live_sessions(app))
    app.settings[SETTINGS_KEY] = balancer
    balancer.publish()
    PeriodicCallback(balancer.publish, PUBLISH_S * 1000).start()
    serve = public._handle_connection
    for k, (receive, _send) in enumerate(channels):
        if k != index:
            receive.close()

    def accepted(connection: socket.socket, address: Any) -> None:
        page = _peek_page(connection, base_path)
        sibling = balancer.target() if page else None
        if sibling is not None and _hand_off(channels[sibling][1], connection, address):
            balancer.handed_to(sibling)
            connection.close()  # the sibling holds its own descriptor of it now
            return
        if page:
            balancer.page_kept()  # counted at once: Tornado accepts a burst in one go
        serve(connection, address)

    def handed_here(connection: socket.socket, address: Any) -> None:
        balancer.page_kept()
        serve(connection, address)

    for fd, remove in list(public._handlers.items()):
        remove()  # Tornado's handler: every connection served where it was accepted
        public._handlers[fd] = add_accept_handler(public._sockets[fd], accepted)
    receive = channels[index][0]
    IOLoop.current().add_handler(receive, lambda fd, events: _receive(receive, handed_here),
                                 IOLoop.READ)
    log.info("worker %d: pages go to the worker with the fewest sessions", index)
    return balancer


def live_sessions(app: Any) -> int:
    """Live Bokeh sessions of every application of Bokeh's Tornado ``app``."""
    contexts = getattr(app, "_applications", None) or {}
    return sum(len(getattr(ctx, "sessions", ())) for ctx in contexts.values())


def _peek_page(connection: socket.socket, base_path: str) -> bool:
    """Whether the bytes already received on ``connection`` begin a page request (never
    waits: nothing received yet is not a page)."""
    try:
        head = connection.recv(PEEK_BYTES, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except OSError:  # nothing yet (BlockingIOError), or already reset
        return False
    return is_page_request(head, base_path)


def _hand_off(channel: socket.socket, connection: socket.socket, address: Any) -> bool:
    """Send ``connection``'s descriptor and peer ``address`` over ``channel``; False
    (the connection stays here) when the channel cannot take it now."""
    try:
        socket.send_fds(channel, [json.dumps(list(address)).encode()], [connection.fileno()])
    except (OSError, TypeError, ValueError) as exc:
        log.debug("page not handed to a sibling: %s", exc)
        return False
    return True


def _receive(receive: socket.socket, serve: Callable[[socket.socket, Any], None]) -> None:
    """Serve each connection a sibling handed over (as if accepted here)."""
    while True:
        try:
            message, fds, _flags, _addr = socket.recv_fds(receive, 1024, 4)
        except BlockingIOError:
            return
        for fd in fds:
            try:
                address = tuple(json.loads(message))
            except ValueError:
                address = ("", 0)
            serve(socket.socket(fileno=fd), address)
