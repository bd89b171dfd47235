"""How a point store's map PNG scales with the points a view holds: a larger store's figures
measured on the store at hand.

    python bench/bench_scale.py --catalog /tmp/zoom/catalog_1e9.yaml --dataset store_1e9

A view's cost on a Hilbert-sorted store is the row groups it reads, so a 1 % view of a store
*k* times larger reads about as many points as a view of this store holding *k* times the
points of its 1 % view. The bench finds, around the 1 % view's centre (North Atlantic), views
holding about 1, 2 and 5 times its points (counted in process through the portal's own
aggregation, ``observations in view``), then asks the running-on-loopback server
(``odatis-portal serve``) for PNGs of each, every request a view no cache holds (the box
moves a little each time), and prints the median request -> bytes time, the points and row
groups read, the server's peak RSS (VmHWM) and the load. Full extent and a depth filter are
answered from the overviews and depth bands, whose size does not grow with the points.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_render import (  # noqa: E402 - the sibling bench's server helpers
    VIEW_1PCT,
    bbox_text,
    fetch,
    free_port,
    peak_rss_mb,
    start_server,
)

W, H = 800, 500
FACTORS = (1.0, 2.0, 5.0)


def grown(bbox: tuple[float, ...], scale: float) -> tuple[float, float, float, float]:
    """``bbox`` with its sides multiplied by ``scale`` around its centre (clipped)."""
    w, s, e, n = bbox
    cx, cy, hw, hh = (w + e) / 2, (s + n) / 2, (e - w) / 2 * scale, (n - s) / 2 * scale
    return (max(cx - hw, -180.0), max(cy - hh, -80.0), min(cx + hw, 180.0), min(cy + hh, 85.0))


def points_in(entry, bbox) -> tuple[int, int]:
    """Observations in ``bbox`` and row groups read, as the page and PNG count them."""
    from portal.model import Query
    from portal.quicklooks import Style
    from portal.quicklooks.pointmap import view_aggregate
    from portal.sources import open_aggregator

    handle = open_aggregator(entry)
    agg, _ = view_aggregate(handle, Query(), Style(width=W, height=H), entry.variables[0].name
                            if entry.variables else "TEMP", bbox)
    return int(agg["count"].sum()), int(agg.attrs.get("row_groups_read", 0))


def view_holding(entry, target: int) -> tuple[tuple[float, ...], int, int]:
    """The view around the 1 % view's centre holding about ``target`` points (bisection on
    its scale, within 10 %)."""
    lo, hi = 1.0, 6.0
    best = (VIEW_1PCT, *points_in(entry, VIEW_1PCT))
    for _ in range(12):
        mid = (lo + hi) / 2
        box = grown(VIEW_1PCT, mid)
        n, groups = points_in(entry, box)
        best = (box, n, groups)
        if abs(n - target) <= 0.1 * target:
            break
        lo, hi = (mid, hi) if n < target else (lo, mid)
    return best


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--catalog", required=True)
    p.add_argument("--dataset", required=True)
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args()
    from portal.catalog.loader import load_catalog

    entry = load_catalog(args.catalog)[args.dataset]
    base, base_groups = points_in(entry, VIEW_1PCT)
    views = [(1.0, VIEW_1PCT, base, base_groups)]
    for k in FACTORS[1:]:
        views.append((k, *view_holding(entry, int(k * base))))
    port = free_port()
    server = start_server(args.catalog, port)
    rows, load0 = [], os.getloadavg()[0]
    try:
        for k, box, n, groups in views:
            for i in range(3):  # warm-up: imports, kernels, hot columns of that view
                fetch(port, args.dataset, bbox=bbox_text(box, 0.05 * (i + 50)), width=W,
                      height=H)
            times = [fetch(port, args.dataset, bbox=bbox_text(box, 0.05 * i), width=W,
                           height=H)[0] for i in range(args.repeat)]
            rows.append((k, box, n, groups, statistics.median(times)))
        rss = peak_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(30)
    print(f"map PNG over HTTP against the points a view holds ({args.dataset}, {W}x{H}, "
          f"median of {args.repeat}, each a view no cache holds)")
    print(f"{'points in view':>16} {'x 1 % view':>10} {'row groups':>10} {'ms':>8}  view")
    for _k, box, n, groups, s in rows:
        print(f"{n:>16,} {n / base:>10.2f} {groups:>10,} {s * 1000:>8.1f}  "
              + ",".join(f"{v:.1f}" for v in box))
    print(f"server peak RSS {rss:,.0f} MB; load average (1 min) {load0:.2f} before, "
          f"{os.getloadavg()[0]:.2f} after")
    return 0


if __name__ == "__main__":
    sys.exit(main())
