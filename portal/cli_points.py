"""Command-line hooks of the point store: ``ingest``, ``demo-points``, ``points-png`` and
``points overviews STORE --depth-bands`` (depth-band overviews added to an existing store).

``portal.cli`` calls :func:`add_commands` with its subparsers; each command has its handler
as ``func`` and returns an exit status (0 ok, 1 some files failed, 2 nothing done).
``--dask-scheduler ADDRESS`` (an existing cluster, e.g. ``tcp://host:8786``) moves the work
there; without it everything runs in-process. Errors print as one line, never a traceback.
"""

from __future__ import annotations

import argparse
import sys

from portal.errors import PortalError


def _count(text: str) -> int:
    """'1e9', '10**9', '1_000_000' -> int."""
    try:
        if "**" in text:
            base, exp = text.split("**")
            return int(base) ** int(exp)
        return int(float(text.replace("_", "")))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of points: {text!r}") from None


def add_commands(subparsers) -> None:
    """Register the point-store subcommands on an argparse subparsers object."""
    p = subparsers.add_parser("ingest", help="append observation files to a point store")
    p.add_argument("sources", nargs="+", metavar="SRC",
                   help="files, folders or glob patterns (Argo, CF DSG, ODV, ERDDAP tabledap)")
    p.add_argument("--store", required=True, metavar="DIR", help="point-store folder")
    p.add_argument("--dask-scheduler", metavar="ADDRESS", help="read files on this Dask cluster")
    p.add_argument("--row-group-size", type=_count, help="rows per row group (new stores)")
    p.add_argument("--levels", type=int, help="finest overview level (new stores, default 9)")
    p.add_argument("--time-bin", choices=("year", "month"), help="overview time bins (new stores)")
    p.set_defaults(func=run_ingest)

    d = subparsers.add_parser("demo-points", help="generate a Coriolis-like demo point store")
    d.add_argument("--n", type=_count, required=True, help="number of points (e.g. 1e9)")
    d.add_argument("--store", required=True, metavar="DIR", help="point-store folder")
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--row-group-size", type=_count, help="rows per row group (default: by N)")
    d.add_argument("--chunk-points", type=_count, help="points per part (default 2.5e7)")
    d.add_argument("--overwrite", action="store_true", help="replace an existing store")
    d.set_defaults(func=run_demo)

    r = subparsers.add_parser("points-png", help="render a point-store map as PNG")
    r.add_argument("store", metavar="DIR")
    r.add_argument("-o", "--output", required=True)
    r.add_argument("--bbox", type=float, nargs=4, metavar=("W", "S", "E", "N"))
    r.add_argument("--time", nargs=2, metavar=("START", "END"))
    r.add_argument("--how", default="count", choices=("count", "mean", "min", "max", "qc"))
    r.add_argument("--variable", default="TEMP")
    r.add_argument("--qc", default="all", choices=("good", "good_probably", "all"))
    r.add_argument("--depth", type=float, nargs=2, metavar=("MIN", "MAX"))
    r.add_argument("--width", type=int, default=800)
    r.add_argument("--height", type=int, default=500)
    r.add_argument("--dask-scheduler", metavar="ADDRESS")
    r.set_defaults(func=run_png)

    g = subparsers.add_parser("points", help="maintain a point store")
    sub = g.add_subparsers(dest="points_command", required=True)
    o = sub.add_parser("overviews", help="add overviews to an existing store (no re-ingest)")
    o.add_argument("store", metavar="DIR")
    o.add_argument("--depth-bands", action="store_true", required=True,
                   help="per depth band (see portal.pointstore.bands)")
    o.add_argument("--edges", type=_edges, metavar="Z,Z,...",
                   help="band edges in the store's z units (default 10,50,100,200,500,1000,2000)")
    o.set_defaults(func=run_overviews)


def _edges(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of depths: {text!r}") from None


def run_overviews(args: argparse.Namespace) -> int:
    import time

    from portal.pointstore.bands import DEFAULT_EDGES, add_depth_bands, size_on_disk
    from portal.pointstore.store import open_store

    def progress(done: int, total: int) -> None:
        print(f"\r  {done:,} / {total:,} points", end="", file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    try:
        sec = add_depth_bands(args.store, args.edges or DEFAULT_EDGES, progress=progress)
    except PortalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(file=sys.stderr)
    mib = size_on_disk(open_store(args.store)) / 2**20
    print(f"{args.store}: depth-band overviews at edges {sec['edges']} "
          f"({sum(b['n'] for b in sec['bands']):,} points with z, {mib:.1f} MiB) in "
          f"{time.perf_counter() - t0:.1f} s")
    return 0


def run_ingest(args: argparse.Namespace) -> int:
    from portal.pointstore.ingest import ingest

    config = {k: v for k, v in (("row_group_size", args.row_group_size), ("levels", args.levels),
                                ("time_bin", args.time_bin)) if v}
    try:
        report = ingest(args.sources, args.store, scheduler=args.dask_scheduler, config=config)
    except PortalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report.summary())
    if not report.ingested and report.failed:
        return 2
    return 1 if report.failed else 0


def run_demo(args: argparse.Namespace) -> int:
    from portal.demo.points import generate

    def progress(done: int, total: int) -> None:
        print(f"\r  {done:,} / {total:,} points", end="", file=sys.stderr, flush=True)

    try:
        report = generate(args.n, args.store, seed=args.seed, chunk_points=args.chunk_points,
                          row_group_size=args.row_group_size, overwrite=args.overwrite,
                          progress=progress)
    except PortalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(file=sys.stderr)
    print(report.summary())
    return 0


def run_png(args: argparse.Namespace) -> int:
    from portal.pointstore.aggregate import render_aggregate
    from portal.pointstore.shade import to_png

    try:
        agg = render_aggregate(args.store, bbox=args.bbox, time=args.time, width=args.width,
                               height=args.height, how=args.how, variable=args.variable,
                               qc=args.qc, depth=args.depth, scheduler=args.dask_scheduler)
    except PortalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with open(args.output, "wb") as fh:
        fh.write(to_png(agg))
    print(f"{args.output}: {agg.attrs.get('how')} from {agg.attrs.get('source')} "
          f"({agg.attrs.get('row_groups_read', 0)}/{agg.attrs.get('row_groups_total')} row "
          f"groups, {agg.attrs.get('seconds', 0):.3f} s)")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (``python -m portal.cli_points``) until portal.cli calls us."""
    parser = argparse.ArgumentParser(prog="odatis-portal")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
