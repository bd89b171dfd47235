"""The ``odatis-portal`` command line.

Subcommands: ``serve`` (the web portal), ``catalog scan|validate|from-erddap``
(catalogs from folders and servers), ``quicklook`` (one PNG through the same
builder as the page), ``demo`` (generate the demo data), and the point-store
commands ``ingest`` and ``demo-points``. Errors print one readable line naming the
dataset and the problem; no traceback reaches the user unless ``--debug``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from portal.errors import PortalError

log = logging.getLogger("portal")


def _range(text: str, cast=float) -> tuple:
    """'A/B' (either side may be empty) -> (A|None, B|None)."""
    if "/" not in text:
        raise argparse.ArgumentTypeError(f"expected START/END, got {text!r}")
    lo, hi = text.split("/", 1)
    try:
        return (cast(lo) if lo.strip() else None, cast(hi) if hi.strip() else None)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _time_range(text: str) -> tuple:
    import pandas as pd

    lo, hi = _range(text, str)
    for value in (lo, hi):
        if value is not None:
            try:
                pd.Timestamp(value)
            except ValueError as exc:
                raise argparse.ArgumentTypeError(f"not an ISO date: {value!r}") from exc
    return (lo, hi)


def _bbox(text: str) -> tuple[float, float, float, float]:
    try:
        west, south, east, north = (float(v) for v in text.split(","))
    except ValueError as exc:
        raise argparse.ArgumentTypeError("bbox must be W,S,E,N (four numbers)") from exc
    if not (-90 <= south < north <= 90):
        raise argparse.ArgumentTypeError("bbox latitudes must satisfy -90 <= S < N <= 90")
    return (west, south, east, north)


def _default_catalogs(paths: list[str] | None) -> list[str]:
    if paths:
        return paths
    from portal.demo import ensure_demo_catalog

    return [ensure_demo_catalog()]


def cmd_quicklook(args: argparse.Namespace) -> int:
    from portal.catalog.loader import load_catalog
    from portal.model import Query
    from portal.pipeline import render_quicklook_png
    from portal.quicklooks import Style

    catalog = load_catalog(_default_catalogs(args.catalog))
    entry = catalog[args.dataset]
    query = Query(variable=args.var, time=args.time, depth=args.depth, bbox=args.bbox, qc=args.qc)
    style = Style(cmap=args.cmap, color_by=args.color_by, width=args.width, height=args.height,
                  interactive=False)
    png = render_quicklook_png(entry, args.kind, query, style)
    with open(args.output, "wb") as fh:
        fh.write(png)
    print(f"wrote {args.output} ({len(png) // 1024} KB): {entry.id}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from portal.demo import ensure_demo_catalog

    print(f"demo catalog: {ensure_demo_catalog()}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from portal.server.serve import serve

    return serve(args)


def _add_quicklook(sub) -> None:
    from portal.model import QC_PRESETS, QUICKLOOK_KINDS
    from portal.quicklooks import COLOR_BY

    p = sub.add_parser("quicklook", help="render one quicklook to PNG")
    p.add_argument("dataset", help="dataset id in the catalog")
    p.add_argument("--catalog", action="append", help="catalog file (default: the demo catalog)")
    p.add_argument("--kind", choices=QUICKLOOK_KINDS, help="default: suits the featureType")
    p.add_argument("--var", help="variable (default: the dataset's main variable)")
    p.add_argument("--time", type=_time_range, help="START/END, ISO dates, either may be empty")
    p.add_argument("--depth", type=_range, help="MIN/MAX depth (m) or pressure (dbar)")
    p.add_argument("--bbox", type=_bbox, help="W,S,E,N in degrees")
    p.add_argument("--qc", choices=QC_PRESETS, default="auto",
                   help="QC preset (default auto: good and probably good where flags exist)")
    p.add_argument("--cmap", default="auto", help="colormap (cmocean name, default auto)")
    p.add_argument("--color-by", choices=COLOR_BY, default="auto", dest="color_by")
    p.add_argument("--width", type=int, default=900)
    p.add_argument("--height", type=int, default=560)
    p.add_argument("-o", "--output", default="quicklook.png")
    p.set_defaults(func=cmd_quicklook)


def _add_serve(sub) -> None:
    p = sub.add_parser("serve", help="serve the portal (default: demo catalog on localhost:5006)")
    p.add_argument("--catalog", action="append", help="catalog file(s) (default: demo)")
    p.add_argument("--port", type=int, default=5006)
    p.add_argument("--address", default="localhost")
    p.add_argument("--allow-websocket-origin", action="append", dest="allow_websocket_origin",
                   help="HOST[:PORT] allowed to open the websocket (default: address:port)")
    p.add_argument("--num-procs", type=int, default=1, dest="num_procs")
    p.add_argument("--embed-origin", action="append", dest="embed_origin",
                   help="origin allowed to embed the portal in an iframe (default: same origin)")
    p.add_argument("--dask-scheduler", dest="dask_scheduler",
                   help="address of a Dask distributed scheduler for point-store aggregations")
    p.add_argument("--show", action="store_true", help="open a browser")
    p.set_defaults(func=cmd_serve)


def _add_catalog(sub) -> None:
    p = sub.add_parser("catalog", help="build and check catalogs")
    csub = p.add_subparsers(dest="catalog_command", required=True)
    scan = csub.add_parser("scan", help="walk a folder and write a catalog")
    scan.add_argument("dir")
    scan.add_argument("-o", "--output", required=True)
    scan.set_defaults(func=lambda a: importlib.import_module("portal.cataloging.scan").run_scan(a))
    val = csub.add_parser("validate", help="report every problem in a catalog file")
    val.add_argument("file")
    val.set_defaults(
        func=lambda a: importlib.import_module("portal.cataloging.validate").run_validate(a))
    try:
        importlib.import_module("portal.cataloging.harvest").add_commands(csub)
    except ImportError:
        pass


def _add_optional(sub) -> None:
    try:
        importlib.import_module("portal.cli_points").add_commands(sub)
    except ImportError:
        pass


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="odatis-portal", description=__doc__.split("\n\n")[0])
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_serve(sub)
    _add_catalog(sub)
    _add_quicklook(sub)
    d = sub.add_parser("demo", help="generate the demo data and catalog")
    d.set_defaults(func=cmd_demo)
    _add_optional(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except PortalError as exc:
        log.error("%s", exc)
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - last resort: one line, traceback with --debug
        if args.debug:
            raise
        log.exception("unexpected error")
        print(f"error: unexpected {type(exc).__name__}: {exc} (run with --debug for details)",
              file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
