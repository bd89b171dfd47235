"""XYZ tiles and WMS GetMap end to end over HTTP (request -> PNG bytes), new tiles only.

    python bench/bench_tiles.py                  # CI size: 10⁶ points, 8·10⁶ grid cells
    python bench/bench_tiles.py --n 1e9 --json out.json

Uses the inputs and the server of ``bench_render.py`` (a demo point store of ``--n``
points and a global grid, built once under ``--work``). Per case, one warm-up tile (imports,
kernels, the query's colour reference), then every timed tile is one no PNG cache holds,
first with rows not read yet (``cold``), then again in other colours (``hot``: new PNGs
from rows in memory, the issue's "hot data"): the
world at zoom 2 (16 tiles), the North Atlantic at zoom 5 and zoom 8 (a 1 % and a 0.02 %
view each), grid tiles at zoom 3, and WMS GetMap 512x512 in EPSG:3857 and EPSG:4326.
``first`` is a tile of a query not seen before (its colour reference computed in the same
request: a new ``time`` window each run). Median and slowest per case; target: a tile of
a 10⁹ store in ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent


def tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


def tiles_around(lon: float, lat: float, z: int, count: int) -> list[tuple[int, int, int]]:
    """``count`` distinct tiles of zoom ``z`` in a block around (lon, lat)."""
    x0, y0 = tile_xy(lon, lat, z)
    side = math.ceil(math.sqrt(count))
    n = 2 ** z
    out = [(z, (x0 + i) % n, min(max(y0 + j, 0), n - 1)) for j in range(side)
           for i in range(side)]
    return list(dict.fromkeys(out))[:count]


def get(port: int, path: str) -> float:
    t0 = time.perf_counter()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=600) as resp:
        body = resp.read()
    elapsed = time.perf_counter() - t0
    if not body.startswith(b"\x89PNG"):
        raise RuntimeError(f"{path}: not a PNG")
    return elapsed


def wms_path(dataset: str, crs: str, bbox: tuple[float, ...]) -> str:
    box = ",".join(f"{v:.4f}" for v in bbox)
    return (f"/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS={dataset}&STYLES="
            f"&CRS={crs}&BBOX={box}&WIDTH=512&HEIGHT=512&FORMAT=image/png&TRANSPARENT=TRUE")


def cases(repeat: int) -> dict[str, list[str]]:
    """Request paths per case: the first is the warm-up, the others all new."""
    n = repeat + 1
    out = {
        "points_z2": [f"/tiles/points/{z}/{x}/{y}.png" for z, x, y in tiles_around(-180, 85, 2, n)],
        "points_z5": [f"/tiles/points/{z}/{x}/{y}.png" for z, x, y in tiles_around(-40, 45, 5, n)],
        "points_z8": [f"/tiles/points/{z}/{x}/{y}.png" for z, x, y in tiles_around(-30, 40, 8, n)],
        "grid_z3": [f"/tiles/grid/{z}/{x}/{y}.png" for z, x, y in tiles_around(-180, 85, 3, n)],
        "points_first": [f"/tiles/points/4/7/5.png?time=2000-01-01/{2010 + i}-01-01"
                         for i in range(n)],
        "wms_3857": [wms_path("points", "EPSG:3857", (-5e6 + 1e4 * i, 3e6, -1e6 + 1e4 * i, 7e6))
                     for i in range(n)],
        "wms_4326": [wms_path("points", "EPSG:4326", (30 + 0.01 * i, -50, 50 + 0.01 * i, -10))
                     for i in range(n)],
    }
    return out


def run(port: int, repeat: int) -> dict[str, dict[str, float]]:
    """Per case: ``cold`` — new tiles of rows not read yet (``cmap=plasma``); ``hot`` — the
    same tiles in the default colours: new PNGs, the rows already in memory."""
    out = {}
    for name, paths in cases(repeat).items():
        get(port, paths[0])  # warm-up: imports, kernels, the query's colour reference
        hot = paths[1:]
        cold = [get(port, p + ("&" if "?" in p else "?") + "cmap=plasma") for p in hot]
        times = [get(port, p) for p in hot]
        out[name] = {"median_ms": 1000 * statistics.median(times), "max_ms": 1000 * max(times),
                     "cold_median_ms": 1000 * statistics.median(cold), "tiles": len(times)}
    return out


def report(fig: dict) -> str:
    lines = [f"tiles over HTTP, store of {fig['n']:.0e} points, grid of {fig['grid_cells']:.0e} "
             "cells (new tiles only)",
             f"{'case':<14}{'hot median ms':>14}{'hot max ms':>11}{'cold median ms':>15}{'n':>4}"]
    for name, row in fig["ours"].items():
        lines.append(f"{name:<14}{row['median_ms']:>14.1f}{row['max_ms']:>11.1f}"
                     f"{row['cold_median_ms']:>15.1f}{row['tiles']:>4}")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=float, default=1e6, help="points in the store (default 1e6)")
    p.add_argument("--grid-cells", type=float, default=8e6, dest="grid_cells")
    p.add_argument("--repeat", type=int, default=9)
    p.add_argument("--work", default="/tmp", help="where the inputs are built (reused)")
    p.add_argument("--json", help="write the figures to this file")
    args = p.parse_args(argv)
    sys.path[:0] = [str(REPO), str(BENCH)]
    import bench_render  # the same inputs and server as the PNG benchmark

    inputs = bench_render.make_inputs(args)
    port = bench_render.free_port()
    server = bench_render.start_server(inputs["catalog"], port)
    try:
        fig = {"n": int(args.n), "grid_cells": int(args.grid_cells), "repeat": args.repeat,
               "ours": run(port, args.repeat)}
    finally:
        server.terminate()
        server.wait(30)
    print(report(fig))
    if args.json:
        Path(args.json).write_text(json.dumps(fig, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
