"""The server's memory under load, told apart: byte-bounded caches filling, live sessions, the rest.

The load bench (``bench_load.py``) samples every few seconds the server's resident memory
(RSS: the process tree when it started the server, else the sum of what each process's
``/health`` says), the bytes its byte-bounded caches hold and their bounds (``/health``'s
``caches``, summed over processes), its live sessions and how many requests the load
has made so far (pages, control changes and PNGs). :func:`memory_figures` then gives:

- the end of the warm-up: the first sample where the data cache (the one that fills up in
  a run) holds >= 95 % of its bound, or ``warm_up_s`` seconds, whichever comes first (said
  which); before it the caches filling up dominate any growth;
- after it, the RSS growth per 100 requests (least-squares slope of RSS over the request
  count, not two noisy end points) and the same for RSS less the caches' bytes (what is not
  bounded by a cache); the issue's target is < 5 MB per 100 requests;
- the same growth of the memory that stays: the lowest RSS (and RSS less caches) of each
  ``FLOOR_WINDOW_S`` seconds after the warm-up, regressed on the request count at that
  sample. A render's buffers (a PNG, a point-store raster) lift the RSS by 100–300 MB for
  a second or two, and freed heap waits for the next trim; a sample that lands on such a
  peak near one end of a 200 s window tilts the slope of every sample by more than the
  target, while memory that is kept (a leak) lifts every window's lowest point;
- per live session: RSS less caches while every session was live, less the same once they
  had all closed, divided by the sessions (a server that keeps freed heap, or whose caches
  misjudge their bytes, blurs this one);
- the caches at the end (held / bound MB).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

FLOOR_WINDOW_S = 30.0  # the floor's window: a few trims (10 s) and redraws (5 s) long
FULL = 0.95  # a cache holding this share of its bound is full: it only replaces entries now


@dataclass(frozen=True)
class Sample:
    """The server at one moment of the load."""

    t_s: float  # seconds since the load started
    requests: int  # answered so far: pages + control changes + PNGs
    rss_mb: float  # every server process
    caches: dict[str, dict[str, float]] = field(default_factory=dict)  # name -> mb, max_mb
    sessions: int = 0  # live Bokeh sessions, every process

    @property
    def cache_mb(self) -> float:
        return sum(c["mb"] for c in self.caches.values())

    @property
    def other_mb(self) -> float:
        """RSS less what the caches hold."""
        return self.rss_mb - self.cache_mb


def cache_totals(processes: list[dict]) -> dict[str, dict[str, float]]:
    """``{cache: {"mb", "max_mb"}}`` summed over ``/health``'s ``process`` objects."""
    total: dict[str, dict[str, float]] = {}
    for process in processes:
        for name, cache in (process.get("caches") or {}).items():
            into = total.setdefault(name, {"mb": 0.0, "max_mb": 0.0})
            into["mb"] += cache["mb"]
            into["max_mb"] += cache["max_mb"]
    return total


def warm_up_end(samples: list[Sample], warm_up_s: float) -> tuple[int, str]:
    """Index of the first sample after the warm-up, and what ended it."""
    for i, s in enumerate(samples):
        data = s.caches.get("data")
        if data and data["max_mb"] and data["mb"] >= FULL * data["max_mb"]:
            return i, f"data cache full ({data['mb']:.0f}/{data['max_mb']:.0f} MB)"
        if s.t_s >= warm_up_s:
            return i, f"{warm_up_s:.0f} s passed"
    return len(samples), "never"


def slope_per_100(xs: list[float], ys: list[float]) -> float:
    """Least-squares growth of ``ys`` per 100 units of ``xs`` (nan with < 2 distinct xs)."""
    if len(set(xs)) < 2:
        return math.nan
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    return 100 * sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx


def floor_samples(samples: list[Sample], window_s: float = FLOOR_WINDOW_S,
                  key=lambda s: s.rss_mb) -> list[Sample]:
    """The sample with the lowest ``key`` in each ``window_s`` seconds of ``samples``
    (windows counted from the first sample; a last window under half as long is left
    out: its lowest point has had less time to show)."""
    if not samples:
        return []
    start, end = samples[0].t_s, samples[-1].t_s
    windows: dict[int, list[Sample]] = {}
    for s in samples:
        windows.setdefault(int((s.t_s - start) // window_s), []).append(s)
    return [min(group, key=key) for i, group in sorted(windows.items())
            if end - (start + i * window_s) >= window_s / 2]


def memory_figures(samples: list[Sample], warm_up_s: float, sessions: int,
                   closed: Sample | None = None) -> dict:
    """The figures of the module docstring from the load's ``samples`` (and one taken once
    every session had closed)."""
    start, why = warm_up_end(samples, warm_up_s)
    warm = samples[start:]
    requests = [float(s.requests) for s in warm]
    live = [s.other_mb for s in warm if s.sessions >= sessions] or [
        s.other_mb for s in samples if s.sessions >= sessions]
    per_session = ((statistics.median(live) - closed.other_mb) / sessions
                   if live and closed is not None and sessions else math.nan)
    return {
        "warm_up_s": warm[0].t_s if warm else math.nan, "warm_up_ended_by": why,
        "rss_warm_mb": warm[0].rss_mb if warm else math.nan,
        "rss_end_mb": samples[-1].rss_mb if samples else math.nan,
        "requests_after_warm_up": int(requests[-1] - requests[0]) if warm else 0,
        "seconds_after_warm_up": warm[-1].t_s - warm[0].t_s if warm else 0.0,
        "rss_per_100": slope_per_100(requests, [s.rss_mb for s in warm]),
        "other_per_100": slope_per_100(requests, [s.other_mb for s in warm]),
        "rss_floor_per_100": _floor_slope(warm, lambda s: s.rss_mb),
        "other_floor_per_100": _floor_slope(warm, lambda s: s.other_mb),
        "per_session_mb": per_session,
        "rss_closed_mb": closed.rss_mb if closed else math.nan,
        "caches_end": samples[-1].caches if samples else {},
        "cache_growth_after_warm_up_mb": warm[-1].cache_mb - warm[0].cache_mb if warm else 0.0,
        "samples": len(samples),
    }


def _floor_slope(samples: list[Sample], key) -> float:
    """Growth per 100 requests of the lowest ``key`` of each window (:func:`floor_samples`)."""
    floor = floor_samples(samples, key=key)
    return slope_per_100([float(s.requests) for s in floor], [key(s) for s in floor])


def memory_report(m: dict) -> list[str]:
    """Report lines of :func:`memory_figures`."""
    caches = ", ".join(f"{name} {c['mb']:.0f}/{c['max_mb']:.0f}"
                       for name, c in m["caches_end"].items()) or "none reported"
    filling = m.get("cache_growth_after_warm_up_mb", 0.0)
    note = ([f"  (the caches still took {filling:.0f} MB after the warm-up: their filling is in "
             "the RSS figure; run longer, or with smaller PORTAL_*_CACHE_BYTES)"]
            if filling > 20 else [])
    return [
        f"memory: warm-up ended at {m['warm_up_s']:.0f} s ({m['warm_up_ended_by']}), RSS "
        f"{m['rss_warm_mb']:.0f} MB; then {m['requests_after_warm_up']} requests (pages, "
        f"control changes, PNGs) in {m['seconds_after_warm_up']:.0f} s, RSS at the end "
        f"{m['rss_end_mb']:.0f} MB",
        f"RSS growth per 100 requests after warm-up: {m['rss_per_100']:.1f} MB "
        f"({m['other_per_100']:.1f} MB beyond the caches' own growth; target < 5)", *note,
        f"  the same of each {FLOOR_WINDOW_S:.0f} s's lowest RSS (what stays, without a "
        f"render's passing peak): {m['rss_floor_per_100']:.1f} MB "
        f"({m['other_floor_per_100']:.1f} MB beyond the caches)",
        f"memory per live session: {m['per_session_mb']:.1f} MB (RSS less caches with every "
        f"session live, less the same after they closed: {m['rss_closed_mb']:.0f} MB RSS)",
        f"caches at the end (MB held/bound): {caches}",
    ]
