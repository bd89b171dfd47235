"""``/health`` for monitoring: catalog load state and upstream servers, answered at once.

It answers anonymous probes, so it counts and probes the public datasets only (restricted
ones are never confirmed to exist; the server log names the whole catalog).

:func:`health_report` returns ``(http_status, body)``: the number of datasets, the
catalog files, when they were loaded, the entries left out (bad metadata), the error
of a failed reload (the previous catalog keeps serving), and each upstream server of
the catalog with whether it answered its cheap probe (ERDDAP ``/version``, OPeNDAP
``.dds``; see :mod:`portal.cataloging.status`). Probes never run in the request: a
:class:`ProbeCache` (one per process) keeps the last results and, when they are older
than its TTL, starts one background probe round and answers with what it has (a
server not yet probed is ``null``). ``status`` is ``ok``, or ``degraded`` when a
reload failed, entries were skipped or a server is unreachable; the HTTP status is
200 while the portal serves (a monitor reads ``status``). :func:`process_report` adds the
answering process: its pid, resident memory, live Bokeh sessions (``--num-procs`` runs
several processes; a load test checks that closed sessions are let go) and the bytes held by
each of its byte-bounded caches with their bounds (:func:`cache_report`), so that a memory
bench tells bounded cache growth from a leak.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable
from typing import Any

from portal.errors import strip_paths
from portal.model import DatasetEntry

log = logging.getLogger(__name__)

PROBE_TTL_S = 60.0  # how long a probe round is trusted


class ProbeCache:
    """The last probe round of the catalog's servers; refreshed in the background."""

    def __init__(self, ttl_s: float = PROBE_TTL_S) -> None:
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._results: dict[str, dict[str, Any]] = {}  # one item per server: bounded
        self._checked_at: float | None = None  # time.time() of the last finished round
        self._started = float("-inf")          # time.monotonic() of the last round started
        self._running = False

    def snapshot(self, entries: Iterable[DatasetEntry]) -> tuple[dict[str, dict], float | None]:
        """(results by host, time of the round); starts a round when stale, never waits."""
        with self._lock:
            if not self._running and time.monotonic() - self._started > self.ttl_s:
                self._running, self._started = True, time.monotonic()
                threading.Thread(target=self._round, args=(list(entries),), daemon=True,
                                 name="portal-health-probe").start()
            return dict(self._results), self._checked_at

    def _round(self, entries: list[DatasetEntry]) -> None:
        from portal.cataloging.status import probe_servers

        try:
            servers = probe_servers(entries)
            results = {host: {"reachable": s.reachable, "message": s.message,
                              "seconds": round(s.seconds, 3), "datasets": len(s.datasets)}
                       for host, s in servers.items()}
        except Exception:  # noqa: BLE001 - a probe bug must not stop the health route
            log.exception("health probe round failed")
            results = {}
        with self._lock:
            self._results, self._checked_at, self._running = results, time.time(), False


def probe_cache() -> ProbeCache:
    """This process's probe cache (kept with ``pn.state.as_cached``)."""
    import panel as pn

    return pn.state.as_cached("portal-health-probes", ProbeCache)


def health_report() -> tuple[int, dict[str, Any]]:
    """``(200, body)`` of ``/health`` (see the module docstring); never blocks on a server."""
    from portal.access import ANONYMOUS
    from portal.server.auth import catalog_for
    from portal.server.context import catalog, catalog_state

    state = catalog_state()
    # an anonymous route: counts and upstream servers of public datasets only, so that
    # /health never confirms that restricted datasets (or their servers) exist
    public = catalog_for(catalog(), ANONYMOUS)
    servers, checked = probe_cache().snapshot(public)
    degraded = (state.reload_error or state.skipped
                or any(s["reachable"] is False for s in servers.values()))
    return 200, {
        "status": "degraded" if degraded else "ok",
        "datasets": len(public.entries),
        # file names only: /health answers anonymous probes, server paths stay private
        "catalog": {"files": [os.path.basename(f) for f in state.files],
                    "loaded_at": _iso(state.loaded_at), "skipped": list(state.skipped),
                    "reload_error": strip_paths(state.reload_error) if state.reload_error
                    else None},
        "servers": servers,
        "servers_checked_at": _iso(checked) if checked else None,
    }


def _iso(seconds: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(timespec="seconds")


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def process_report(application: Any) -> dict[str, Any]:
    """The answering process: ``pid``, ``rss_mb`` and ``sessions`` (live Bokeh sessions of
    every app it serves; ``application`` is Bokeh's tornado application, None elsewhere)."""
    from portal.server.balance import live_sessions

    sessions = live_sessions(application)
    try:
        rss = round(_rss_mb(), 1)
    except OSError:  # no /proc (not Linux)
        rss = None
    return {"pid": os.getpid(), "rss_mb": rss, "sessions": sessions, "caches": cache_report()}


def cache_report() -> dict[str, dict[str, float]]:
    """``{cache: {"mb": held, "max_mb": bound}}`` of this process's caches created so far
    (the point store's only once its module is loaded: /health imports nothing heavy)."""
    import sys

    from portal.cache import _CACHES, _FAILURES

    sizes = {name: (c.stats.nbytes, c.max_bytes) for name, c in list(_CACHES.items())}
    sizes |= {f"{name}-failures": (c._lru.stats.nbytes, c._lru.max_bytes)
              for name, c in list(_FAILURES.items())}
    furniture = sys.modules.get("portal.render.furniture")
    if furniture is not None and furniture.furniture_cache.cache_info().currsize:
        stats = furniture.furniture_cache().stats
        sizes["furniture"] = (stats.nbytes, stats.max_bytes)
    points = sys.modules.get("portal.pointstore.cache")
    if points is not None and points._CACHE is not None:
        sizes["pointstore"] = (points._CACHE.nbytes, points._CACHE.budget)
    return {name: {"mb": round(held / 2**20, 1), "max_mb": round(bound / 2**20, 1)}
            for name, (held, bound) in sizes.items()}
