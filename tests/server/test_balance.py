"""``--num-procs``: a new connection goes to the worker with the fewest sessions.

The decision (:func:`should_defer`), the load a worker publishes, and the accept handler
on a real loopback socket: a more loaded worker leaves a pending connection to a fresh
sibling (here, no sibling takes it: it is accepted once the longest deferral is over),
a less loaded one takes it at once.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time

from portal.server import balance
from portal.server.balance import (
    ACCEPT_WINDOW_S,
    MAX_DEFER_S,
    STALE_S,
    Balancer,
    shared_loads,
    should_defer,
)
from tests.threads import run_async


def test_a_worker_defers_to_a_fresh_less_loaded_sibling_only():
    now = 100.0
    assert should_defer(3, [(1, now - 0.1)], now, deferred_s=0.0)
    assert not should_defer(1, [(1, now)], now, 0.0)  # as loaded: both may take it
    assert not should_defer(2, [(1, now)], now, 0.0)  # one more: within the margin
    assert not should_defer(1, [(3, now)], now, 0.0)  # the sibling has more
    assert not should_defer(3, [(1, now - STALE_S - 0.1)], now, 0.0)  # silent: busy or gone
    assert not should_defer(3, [(1, now)], now, MAX_DEFER_S)  # waited long enough: take it
    assert not should_defer(3, [], now, 0.0)
    assert should_defer(4, [(0, now - STALE_S - 1), (2, now)], now, 0.0)  # one fresh is enough


def test_the_load_is_sessions_pages_building_and_recent_accepts():
    clock = {"t": 10.0}
    loads = shared_loads(3)
    assert shared_loads(1) is None
    sessions = {"n": 2}
    worker = Balancer(loads, 1, lambda: sessions["n"], clock=lambda: clock["t"])
    worker.building = 1
    worker.took()
    assert worker.load() == 4 and list(loads[2:4]) == [4.0, 10.0]  # its own slot, and when
    clock["t"] += ACCEPT_WINDOW_S + 0.01
    sessions["n"] = 3  # the accepted page became a session
    worker.building = 0
    worker.publish()
    assert list(loads[2:4]) == [3.0, clock["t"]]
    assert worker.siblings() == [(0.0, 0.0), (0.0, 0.0)]  # the others never wrote


def _time_to_accept(my_sessions: int, sibling_load: float) -> float:
    """Seconds from a client's connect to this worker's accept, worker 0 of two with
    ``my_sessions`` and a sibling that keeps writing ``sibling_load`` (and takes nothing)."""
    async def main() -> float:
        loads = shared_loads(2)
        worker = Balancer(loads, 0, lambda: my_sessions)
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.setblocking(False)
        accepted = asyncio.get_running_loop().create_future()
        remove = balance._accept_handler(
            listener, lambda conn, addr: (conn.close(), accepted.set_result(time.monotonic())),
            worker)
        loads[2], loads[3] = sibling_load, time.monotonic()
        start = time.monotonic()
        client = threading.Thread(target=lambda: socket.create_connection(
            listener.getsockname(), timeout=5).close())
        client.start()
        try:
            return await asyncio.wait_for(accepted, 5) - start
        finally:
            remove()
            client.join()
            listener.close()

    return run_async(main, timeout=30)


def test_a_more_loaded_worker_leaves_a_connection_then_takes_it():
    assert _time_to_accept(my_sessions=0, sibling_load=5) < MAX_DEFER_S / 2
    waited = _time_to_accept(my_sessions=5, sibling_load=0)  # nobody else takes it
    assert MAX_DEFER_S <= waited < MAX_DEFER_S + 1.0
