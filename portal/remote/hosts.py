"""Per-server limits and health: request slots, a bounded queue, a down-server breaker.

ERDDAP meters requests per client IP and every portal user shares the portal's IP,
so each upstream server (``host[:port]``) gets at most ``max_per_host`` requests in
flight, process-wide; further requests wait in a queue bounded in length and in
time. Failures to connect or to get an answer are counted per server: after
``host_failures`` in a row the server is reported down and not asked again for
``host_retry_s`` seconds, so a hanging server costs each page one timeout, not
one per dataset. This is a limit and a health record, not session state.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from portal.errors import UpstreamUnavailable


class UpstreamError(UpstreamUnavailable):
    """A remote server failed; ``host``, ``status`` (HTTP code or None) and ``kind``.

    ``kind`` is one of ``refused``, ``timeout``, ``busy``, ``http``, ``too_large``,
    ``truncated``, ``unavailable`` (502/503), ``down``, ``invalid``. ``unreachable`` is
    True when the server could not be reached or did not answer at all.
    """

    UNREACHABLE = ("refused", "timeout", "down", "truncated", "unavailable")

    def __init__(self, message: str, *, host: str, kind: str, status: int | None = None,
                 dataset: str | None = None, hint: str | None = None):
        super().__init__(message, dataset=dataset, hint=hint)
        self.host = host
        self.kind = kind
        self.status = status  # the server's HTTP status; ``http_status`` is the portal's
        if kind == "timeout":
            self.http_status = 504

    @property
    def unreachable(self) -> bool:
        return self.kind in self.UNREACHABLE


@dataclass
class HostState:
    """What the portal knows of one server's health."""

    host: str
    failures: int = 0
    last_error: str = ""
    last_kind: str = ""
    last_failure: float = 0.0
    last_success: float = 0.0

    def is_down(self, threshold: int, retry_s: float, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        return self.failures >= threshold and now - self.last_failure < retry_s


class _Gate:
    """At most ``limit`` holders; at most ``queue_max`` waiters, each for ``wait_s``."""

    def __init__(self, limit: int, queue_max: int):
        self.limit = limit
        self.queue_max = queue_max
        self.in_flight = 0
        self.waiting = 0
        self.cond = threading.Condition()

    def acquire(self, host: str, wait_s: float) -> None:
        with self.cond:
            if self.in_flight < self.limit:
                self.in_flight += 1
                return
            if self.waiting >= self.queue_max:
                raise UpstreamError(
                    f"{host} is busy: {self.in_flight} requests in flight and {self.waiting} "
                    "waiting", host=host, kind="busy",
                    hint="the portal limits its load on each server; try again in a moment")
            self.waiting += 1
            try:
                ok = self.cond.wait_for(lambda: self.in_flight < self.limit, timeout=wait_s)
            finally:
                self.waiting -= 1
            if not ok:
                raise UpstreamError(f"{host} is busy: no request slot within {wait_s:g} s",
                                    host=host, kind="busy", hint="try again in a moment")
            self.in_flight += 1

    def release(self) -> None:
        with self.cond:
            self.in_flight -= 1
            self.cond.notify()


_LOCK = threading.Lock()
_GATES: dict[tuple[str, int, int], _Gate] = {}
_STATES: dict[str, HostState] = {}


@contextmanager
def slot(host: str, limit: int, queue_max: int, wait_s: float) -> Iterator[None]:
    """Hold one of the ``limit`` request slots of ``host`` (UpstreamError 'busy' if none)."""
    with _LOCK:
        gate = _GATES.setdefault((host, limit, queue_max), _Gate(limit, queue_max))
    gate.acquire(host, wait_s)
    try:
        yield
    finally:
        gate.release()


def _state(host: str) -> HostState:
    with _LOCK:
        return _STATES.setdefault(host, HostState(host))


def check_up(host: str, threshold: int, retry_s: float, dataset: str | None = None,
             since: float | None = None) -> None:
    """Raise UpstreamError 'down' while ``host`` is marked down.

    With ``since`` (when the caller started waiting for a slot), also when the
    server failed to answer after that moment: a request queued behind one that
    timed out fails at once instead of waiting a second full timeout.
    """
    state = _state(host)
    now = time.monotonic()
    failed_while_queued = since is not None and state.failures > 0 \
        and state.last_failure >= since and state.last_kind in UpstreamError.UNREACHABLE
    if state.is_down(threshold, retry_s, now) or failed_while_queued:
        wait = max(0.0, retry_s - (now - state.last_failure))
        raise UpstreamError(
            f"{host} is unreachable ({state.last_error})", host=host, kind="down",
            dataset=dataset, hint=f"the portal will try it again in {wait:.0f} s; "
            "other datasets are not affected")


def record_failure(host: str, error: UpstreamError) -> None:
    """Count an unreachable-kind failure (others only update the last error)."""
    state = _state(host)
    with _LOCK:
        state.last_error = error.reason
        state.last_kind = error.kind
        if error.unreachable:
            state.failures += 1
            state.last_failure = time.monotonic()


def record_success(host: str) -> None:
    state = _state(host)
    with _LOCK:
        state.failures = 0
        state.last_error = ""
        state.last_kind = ""
        state.last_success = time.monotonic()


def host_states() -> dict[str, HostState]:
    """A snapshot of every server the process has talked to."""
    with _LOCK:
        return {h: HostState(**vars(s)) for h, s in _STATES.items()}


def in_flight(host: str) -> int:
    """Requests to ``host`` holding a slot now (all limits together)."""
    with _LOCK:
        return sum(g.in_flight for (h, _, _), g in _GATES.items() if h == host)


def reset() -> None:
    """Forget every gate and health record (tests; idle gates only)."""
    with _LOCK:
        _GATES.clear()
        _STATES.clear()
