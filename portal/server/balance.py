"""``serve --num-procs N``: a new connection goes to the worker with the fewest sessions.

Tornado's forked workers share one listening socket, and the worker whose loop wakes first
accepts every connection pending then. Which worker builds a page is therefore chance, and
a burst of visitors can land on one of them: in a 20-session load run (``bench_load.py``)
the pages split 13/7, and the worker with 13 ran their redraws on one core (one
interpreter lock) while the other core idled; interaction p95 went from 0.7–0.9 s with an
even split to 1.9 s. Here each worker publishes its load in a small array shared by the
workers (:func:`shared_loads`, made before the fork): its live Bokeh sessions, the pages
it is building and the connections it accepted in the last :data:`ACCEPT_WINDOW_S`
seconds, with the time it last wrote them. :func:`balance_accepts` replaces Tornado's
accept handler of the public sockets in each worker: it accepts one connection per
wake-up, and a worker more loaded (by more than :data:`MARGIN`) than a sibling that
wrote its load within :data:`STALE_S` leaves the socket for :data:`DEFER_S` (the sibling, woken by the same
pending connection, takes it), for at most :data:`MAX_DEFER_S` in a row, so that a
sibling that stopped accepting still has its connections served. The websocket relay
(:mod:`portal.server.routing`) then takes each page's websocket to the worker that built it.
"""

from __future__ import annotations

import errno
import logging
import socket
import time
from collections import deque
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

ACCEPT_WINDOW_S = 0.5  # accepted connections count as load this long (a page's GET parsing)
PUBLISH_S = 0.25  # how often a worker writes its load
STALE_S = 2.0  # a sibling that wrote nothing for this long is left out (busy or gone)
DEFER_S = 0.02  # how long a more loaded worker leaves the socket to its siblings
MAX_DEFER_S = 0.1  # ... at most, in a row: then it accepts whatever the loads say
EPISODE_GAP_S = 0.2  # a wake-up this long after the last deferral is a new connection
MARGIN = 1  # more sessions than that above a sibling's make a worker defer (a PNG's
#: connection deferred for a sibling whose loop is busy waits up to MAX_DEFER_S)
SETTINGS_KEY = "portal_balance"  # the app's setting: this worker's :class:`Balancer`


def shared_loads(workers: int) -> Any:
    """An array shared by ``workers`` forked processes (load and time of each; made
    before the fork, inherited by every worker); None for one process."""
    from multiprocessing.sharedctypes import RawArray

    return RawArray("d", 2 * workers) if workers > 1 else None


def should_defer(mine: float, siblings: list[tuple[float, float]], now: float,
                 deferred_s: float) -> bool:
    """Whether a worker of load ``mine`` leaves a pending connection to its siblings
    (``(load, written at)`` each): one wrote within :data:`STALE_S` and is less loaded by
    more than :data:`MARGIN`, and this worker has not yet deferred for :data:`MAX_DEFER_S`."""
    live = [load for load, written in siblings if now - written <= STALE_S]
    return deferred_s < MAX_DEFER_S and bool(live) and mine > min(live) + MARGIN


class Balancer:
    """Worker ``index``'s side of the shared ``loads``: what it publishes, and whether it
    takes a pending connection now. ``sessions()`` counts its live Bokeh sessions."""

    def __init__(self, loads: Any, index: int, sessions: Callable[[], int],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.loads, self.index, self.sessions, self.clock = loads, index, sessions, clock
        self.building = 0  # pages whose session this worker is building
        self.accepted: deque[float] = deque()  # times of the recent accepts
        self.deferred = 0  # connections left to a sibling at least once (for the log)

    def load(self) -> float:
        now = self.clock()
        while self.accepted and now - self.accepted[0] > ACCEPT_WINDOW_S:
            self.accepted.popleft()
        return self.sessions() + self.building + len(self.accepted)

    def publish(self) -> None:
        self.loads[2 * self.index] = self.load()
        self.loads[2 * self.index + 1] = self.clock()

    def siblings(self) -> list[tuple[float, float]]:
        n = len(self.loads) // 2
        return [(self.loads[2 * k], self.loads[2 * k + 1]) for k in range(n) if k != self.index]

    def defer(self, deferred_s: float) -> bool:
        return should_defer(self.load(), self.siblings(), self.clock(), deferred_s)

    def took(self) -> None:
        self.accepted.append(self.clock())
        self.publish()


def balance_accepts(server: Any, loads: Any, index: int | None) -> Balancer | None:
    """In worker ``index`` (after the fork): publish its load every :data:`PUBLISH_S`
    and accept the public sockets' connections through :func:`_accept_handler`; None
    (nothing changed) without shared loads or outside a fork."""
    from tornado.ioloop import PeriodicCallback

    if loads is None or index is None or not 0 <= index < len(loads) // 2:
        return None
    app, public = server._tornado, server._http
    balancer = Balancer(loads, index, lambda: live_sessions(app))
    app.settings[SETTINGS_KEY] = balancer
    balancer.publish()
    PeriodicCallback(balancer.publish, PUBLISH_S * 1000).start()
    for fd, remove in list(public._handlers.items()):
        remove()  # Tornado's handler: every pending connection, whatever the loads
        public._handlers[fd] = _accept_handler(public._sockets[fd], public._handle_connection,
                                               balancer)
    log.info("worker %d: new connections go to the worker with the fewest sessions", index)
    return balancer


def live_sessions(app: Any) -> int:
    """Live Bokeh sessions of every application of Bokeh's Tornado ``app``."""
    contexts = getattr(app, "_applications", None) or {}
    return sum(len(getattr(ctx, "sessions", ())) for ctx in contexts.values())


def _accept_handler(sock: socket.socket, callback: Callable[[socket.socket, Any], None],
                    balancer: Balancer) -> Callable[[], None]:
    """Watch ``sock``: accept one connection per wake-up and hand it to ``callback``, or
    leave the socket for :data:`DEFER_S` while ``balancer`` defers. Returns the remover."""
    from tornado.ioloop import IOLoop

    loop = IOLoop.current()
    # since: when this worker first left the pending connection(s) to a sibling; last:
    # its latest deferral (a wake-up long after it starts a new episode)
    state: dict[str, Any] = {"removed": False, "watching": True, "since": None, "last": 0.0}

    def watch() -> None:
        if not state["removed"] and not state["watching"]:
            state["watching"] = True
            loop.add_handler(sock, on_readable, IOLoop.READ)

    def on_readable(fd: Any, events: int) -> None:
        now = balancer.clock()
        if state["since"] is not None and now - state["last"] > EPISODE_GAP_S:
            state["since"] = None  # the connection deferred then was taken by a sibling
        since = state["since"]
        if balancer.defer(0.0 if since is None else now - since):
            if since is None:
                state["since"] = now
                balancer.deferred += 1
            state["last"] = now
            state["watching"] = False
            loop.remove_handler(sock)  # level-triggered: watching would spin meanwhile
            loop.call_later(DEFER_S, watch)
            return
        try:
            connection, address = sock.accept()
        except BlockingIOError:  # a sibling took it
            state["since"] = None
            return
        except OSError as exc:
            if exc.errno != errno.ECONNABORTED:
                raise
            return
        state["since"] = None
        balancer.took()
        callback(connection, address)

    def remove() -> None:
        state["removed"] = True
        if state["watching"]:
            loop.remove_handler(sock)

    loop.add_handler(sock, on_readable, IOLoop.READ)
    return remove
