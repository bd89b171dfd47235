"""Benchmark of point-store downloads: rows streamed as CSV over HTTP, against pandas.

    python bench/bench_downloads.py            # CI size, 10⁶ rows
    python bench/bench_downloads.py --n 1e7    # the issue's figure (≤ 5 s); stores go to /tmp

Builds a demo store of ``--n`` rows (the generator of ``odatis-portal demo-points``), writes a
catalog of it and a settings file whose download cap admits every row, starts ``odatis-portal
serve`` on a loopback port and times ``GET /download/points.csv?var=TEMP&qc=all`` (the whole
store, read to the end; median of ``--repeat``), checking the row count. The peer, in the same
run, is pandas ``DataFrame.to_csv`` of the same rows (read from the store's Parquet parts with
pyarrow beforehand, so only the formatting is timed). The server's CPU seconds per download
(from ``/proc``, less sensitive than wall time to other work on the machine) and the load
average print with them; with ``--json`` the figures are written.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _timing import cpu_seconds, timed  # bench/ is on sys.path when a benchmark runs
from bench_render import free_port, start_server

COLUMNS = ["platform", "cycle", "time", "longitude", "latitude", "z", "TEMP", "TEMP_qc"]


def build(n: int, work: Path) -> tuple[Path, Path]:
    """(catalog, settings file) of a demo store of ``n`` rows under ``work``."""
    import yaml

    from portal.demo import ensure_demo_catalog
    from portal.demo.points import generate

    store = work / "store"
    generate(n, str(store), seed=1, overwrite=True)
    demo = yaml.safe_load(Path(ensure_demo_catalog()).read_text())
    entry = dict(demo["entries"]["demo_coriolis_points"])
    entry["kwargs"] = {**entry["kwargs"], "store": str(store)}
    catalog = work / "bench_downloads.yaml"
    catalog.write_text(yaml.safe_dump({**demo, "entries": {"points": entry}}, sort_keys=False))
    config = work / "settings.yaml"
    config.write_text(yaml.safe_dump({"limits": {"max_download_rows": 2 * n + 10}}))
    return catalog, config


def download(port: int) -> tuple[int, int]:
    """(bytes, data rows) of the whole store's CSV, read in 1 MiB pieces."""
    url = f"http://127.0.0.1:{port}/download/points.csv?var=TEMP&qc=all"
    size = lines = 0
    with urllib.request.urlopen(url, timeout=600) as response:
        while piece := response.read(1 << 20):
            if not size:  # provenance comments and the header are not rows
                lines -= sum(1 for line in piece.split(b"\n", 40) if line.startswith(b"#")) + 1
            size += len(piece)
            lines += piece.count(b"\n")
    return size, lines


def peer(store: Path) -> float:
    """Median seconds of pandas ``to_csv`` of the same rows (formatting only)."""
    import pandas as pd
    import pyarrow.parquet as pq

    from portal.pointstore.store import open_store

    opened = open_store(str(store))
    parts = [pq.read_table(opened.part_file(i), columns=COLUMNS).to_pandas()
             for i in range(len(opened.parts))]
    frame = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    seconds, _ = timed(lambda: frame.to_csv(io.StringIO(), index=False), repeat=1)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=float, default=1e6)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    n = int(args.n)
    with tempfile.TemporaryDirectory(prefix="bench_downloads_") as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        catalog, config = build(n, work)
        print(f"store of {n:,} rows built in {time.perf_counter() - t0:.1f} s", flush=True)
        port = free_port()
        import os

        os.environ["PORTAL_CONFIG"] = str(config)
        server = start_server(str(catalog), port)
        try:
            download(port) if n <= 2e6 else None  # warm-up: imports, opened files
            cpu0 = cpu_seconds(server.pid)
            seconds, (size, lines) = timed(lambda: download(port), repeat=args.repeat)
            server_cpu = (cpu_seconds(server.pid) - cpu0) / args.repeat
        finally:
            server.terminate()
        rows = lines
        figures = {"rows": n, "rows_received": rows, "bytes": size, "http_csv_s": seconds,
                   "rows_per_s": n / seconds, "server_cpu_s": server_cpu,
                   "peer_pandas_to_csv_s": peer(work / "store"),
                   "target_s": 5.0 * n / 1e7, "load_average": os.getloadavg()[0]}
    print(json.dumps(figures, indent=1))
    if rows != n:
        sys.exit(f"expected {n:,} rows, received {rows:,}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
