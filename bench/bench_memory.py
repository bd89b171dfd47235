"""Server memory under a stream of distinct PNG requests: flat after warm-up, or a leak?

Starts ``odatis-portal serve`` on loopback with the demo catalog (or uses ``--url``; the
helpers come from ``bench_load.py``), warms every kind up with ``--warm`` requests, then
sends ``--per-kind`` distinct requests of each kind in turn (a new image size, tile or
box each time, so no cache answers): maps of a grid, of the point store and of Argo
profiles, profile, time-series, T-S and section plots, the combined (overlay) map, XYZ
tiles and WMS GetMap. Before and after each kind's block it reads the server's RSS and,
from ``/health``, the bytes held by each byte-bounded cache (PNG, data, furniture, point
store): growth of the RSS beyond what the caches took is what does not stay bounded.
Prints, per kind, RSS growth per 100 requests and the same less the caches' growth;
then the whole run's figures and the machine's load (``uptime``). Exit status 1 when a
request failed (5xx) or ``--max-growth`` MB per 100 requests (less caches) was exceeded.

    python bench/bench_memory.py                          # 100 per kind, ~10 kinds
    python bench/bench_memory.py --per-kind 30 --kinds map_grid,profile
    MALLOC_ARENA_MAX=2 python bench/bench_memory.py       # the server inherits it
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_load import _uptime, free_port, get, start_server, tree_rss_mb  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SIZE = "width={w}&height={h}"


def _png(dataset: str, kind: str) -> Callable[[int], str]:
    return lambda i: (f"/quicklook/{dataset}/{kind}.png?"
                      + SIZE.format(w=320 + i % 600, h=240 + i // 600))


def _tile(i: int) -> str:
    z = 4 + i // 256  # 256 distinct tiles per zoom level, around the Bay of Biscay
    n = 2 ** z
    x, y = (n * 7 // 16 + i % 16) % n, (n * 5 // 16 + (i // 16) % 16) % n
    return f"/tiles/demo_coriolis_points/{z}/{x}/{y}.png"


def _wms(i: int) -> str:
    west, south = -20 + 0.01 * i, 30 + 0.005 * i
    return ("/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=demo_argo_biscay,"
            f"demo_sst_biscay&STYLES=&CRS=CRS:84&BBOX={west:.3f},{south:.3f},"
            f"{west + 25:.3f},{south + 20:.3f}&WIDTH={256 + i % 400}&HEIGHT=256"
            "&FORMAT=image/png&TRANSPARENT=TRUE")


KINDS: dict[str, Callable[[int], str]] = {
    "map_grid": _png("demo_sst_biscay", "map"),
    "map_pointstore": _png("demo_coriolis_points", "map"),
    "map_profiles": _png("demo_argo_biscay", "map"),
    "profile": _png("demo_argo_biscay", "profile"),
    "timeseries": _png("demo_mooring_biscay", "timeseries"),
    "ts": _png("demo_argo_biscay", "ts"),
    "section": _png("demo_glider_ligurian", "section"),
    "overlay": lambda i: ("/quicklook/overlay/map.png?datasets=demo_argo_biscay,"
                          "demo_sst_biscay&" + SIZE.format(w=320 + i % 600, h=240 + i // 600)),
    "tiles": _tile,
    "wms": _wms,
}


def snapshot(url: str, pid: int | None) -> dict:
    """RSS (the server's process tree when started here, else the answering process) and
    the caches' held MB, from ``/health``."""
    process = json.loads(get(f"{url}/health", timeout=30)[1])["process"]
    caches = process.get("caches", {})
    return {"rss_mb": tree_rss_mb(pid) if pid else process["rss_mb"],
            "cache_mb": sum(c["mb"] for c in caches.values()), "caches": caches}


def send(url: str, path: str, errors: list[str]) -> float:
    start = time.perf_counter()
    status, body = get(url + path, timeout=120)
    if status >= 500 or (status == 200 and not body.startswith(b"\x89PNG")):
        errors.append(f"{path} -> {status}: {body[:120]!r}")
    return time.perf_counter() - start


def run(url: str, pid: int | None, kinds: list[str], warm: int, per_kind: int) -> dict:
    """Warm every kind up, then one block of ``per_kind`` distinct requests per kind."""
    errors: list[str] = []
    for name in kinds:  # request numbers 0..warm-1 are the warm-up, never asked again
        for i in range(warm):
            send(url, KINDS[name](i), errors)
    first = snapshot(url, pid)
    rows = []
    for name in kinds:
        before = snapshot(url, pid)
        seconds = [send(url, KINDS[name](warm + i), errors) for i in range(per_kind)]
        after = snapshot(url, pid)
        rss = (after["rss_mb"] - before["rss_mb"]) * 100 / per_kind
        cache = (after["cache_mb"] - before["cache_mb"]) * 100 / per_kind
        rows.append({"kind": name, "rss_per_100": rss, "caches_per_100": cache,
                     "other_per_100": rss - cache, "median_s": sorted(seconds)[len(seconds) // 2],
                     "rss_mb": after["rss_mb"]})
    last = snapshot(url, pid)
    total = per_kind * len(kinds)
    return {"rows": rows, "errors": errors, "requests": total, "warm_rss_mb": first["rss_mb"],
            "end_rss_mb": last["rss_mb"], "caches_end": last["caches"],
            "rss_per_100": (last["rss_mb"] - first["rss_mb"]) * 100 / total,
            "other_per_100": ((last["rss_mb"] - first["rss_mb"])
                              - (last["cache_mb"] - first["cache_mb"])) * 100 / total,
            "uptime": _uptime()}


def report(f: dict) -> str:
    lines = [f"{'kind':16s} {'RSS MB/100':>10s} {'caches':>8s} {'other':>8s} {'median s':>9s}"
             f" {'RSS MB':>8s}"]
    lines += [f"{r['kind']:16s} {r['rss_per_100']:10.1f} {r['caches_per_100']:8.1f} "
              f"{r['other_per_100']:8.1f} {r['median_s']:9.2f} {r['rss_mb']:8.0f}"
              for r in f["rows"]]
    caches = ", ".join(f"{name} {c['mb']:.0f}/{c['max_mb']:.0f}"
                       for name, c in f["caches_end"].items())
    lines += [f"errors: {len(f['errors'])}", *(f"  {e}" for e in f["errors"][:10]),
              f"{f['requests']} distinct requests after warm-up: RSS {f['warm_rss_mb']:.0f} -> "
              f"{f['end_rss_mb']:.0f} MB, {f['rss_per_100']:.1f} MB per 100 "
              f"({f['other_per_100']:.1f} MB per 100 beyond the caches' growth)",
              f"caches at the end (MB held/bound): {caches}", f"machine: {f['uptime']}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kinds", default=",".join(KINDS), help="comma-separated, of: " + ", ".join(KINDS))
    p.add_argument("--warm", type=int, default=10, help="warm-up requests per kind")
    p.add_argument("--per-kind", type=int, default=100, help="measured requests per kind")
    p.add_argument("--url", help="a running portal instead of starting one")
    p.add_argument("--catalog", help="catalog file (default: the demo)")
    p.add_argument("--max-growth", type=float, default=5.0,
                   help="MB per 100 requests, beyond the caches' growth, that fails the run")
    args = p.parse_args(argv)
    kinds = [k for k in args.kinds.split(",") if k]
    unknown = set(kinds) - set(KINDS)
    if unknown:
        p.error(f"unknown kinds: {', '.join(sorted(unknown))}")
    proc, url = None, args.url
    if url is None:
        port = free_port()
        log_path = Path(tempfile.mkdtemp(prefix="bench-memory-")) / "server.log"
        proc = start_server(args.catalog, port, 1, log_path)
        url = f"http://127.0.0.1:{port}"
        print(f"server pid {proc.pid} on {url} (log {log_path})", flush=True)
    try:
        figures = run(url, proc.pid if proc else None, kinds, args.warm, args.per_kind)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(30)
    print(report(figures))
    return 1 if figures["errors"] or figures["other_per_100"] > args.max_growth else 0


if __name__ == "__main__":
    sys.exit(main())
