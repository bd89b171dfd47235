"""The ``odatis-portal`` command line.

Subcommands: ``serve`` (the web portal), ``catalog scan|validate|from-erddap``
(catalogs from folders and servers), ``quicklook`` (one PNG through the same
builder as the page), ``thumbnails`` (every entry's small PNG), ``demo`` (generate the demo data), and the point-store
commands ``ingest`` and ``demo-points``. Errors print one readable line naming the
dataset and the problem; no traceback reaches the user unless ``--debug``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from portal.errors import BadParameter, PortalError
from portal.query import COLOR_BY, QC_PRESETS, QUICKLOOK_KINDS, Query, parse_query
from portal.text import one_line

log = logging.getLogger("portal")


QUICKLOOK_OPTIONS = {"var": "var", "time": "time", "depth": "depth", "bbox": "bbox", "qc": "qc",
                     "cmap": "cmap", "color": "color_by", "kind": "kind", "width": "width",
                     "height": "height", "dataset": "dataset"}  # query parameter -> option


def quicklook_query(args: argparse.Namespace) -> Query:
    """The :class:`~portal.query.Query` of ``quicklook`` options, through ``parse_query``
    (the same parser as the URL parameters); BadParameter names the option."""
    return parse_query({key: "" if getattr(args, dest, None) is None else str(getattr(args, dest))
                        for key, dest in QUICKLOOK_OPTIONS.items()})


def _default_catalogs(paths: list[str] | None) -> list[str]:
    from portal.demo.home import prepare_catalogs  # the demo catalog gets its data generated

    return list(prepare_catalogs(paths))


def cmd_quicklook(args: argparse.Namespace) -> int:
    from portal.catalog.loader import load_catalog
    from portal.cold import defer_dask_array
    from portal.quicklooks import Style
    from portal.render.quicklook import render_quicklook_png

    catalog = load_catalog(_default_catalogs(args.catalog))
    defer_dask_array()
    entry = catalog[args.dataset]
    query = args.query
    style = Style(cmap=query.cmap, color_by=query.color, width=query.width,
                  height=query.height, interactive=False)
    png = render_quicklook_png(entry, query.kind, query.selection, style)
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
    p = sub.add_parser("quicklook", help="render one quicklook to PNG")
    p.add_argument("dataset", help="dataset id in the catalog")
    p.add_argument("--catalog", action="append", help="catalog file (default: the demo catalog)")
    p.add_argument("--kind", choices=QUICKLOOK_KINDS, help="default: suits the featureType")
    p.add_argument("--var", help="variable (default: the dataset's main variable)")
    p.add_argument("--time", help="START/END, ISO dates, either may be empty; an end date "
                   "alone means that whole day")
    p.add_argument("--depth", help="MIN/MAX depth (m) or pressure (dbar)")
    p.add_argument("--bbox", help="W,S,E,N in degrees (W > E crosses the antimeridian)")
    p.add_argument("--qc", choices=QC_PRESETS, default="auto",
                   help="QC preset (default auto: good and probably good where flags exist)")
    p.add_argument("--cmap", default="auto", help="colormap (cmocean name, default auto)")
    p.add_argument("--color-by", choices=COLOR_BY, default="auto", dest="color_by")
    p.add_argument("--width", type=int, default=900)
    p.add_argument("--height", type=int, default=560)
    p.add_argument("-o", "--output", default="quicklook.png")
    p.set_defaults(func=cmd_quicklook, make_query=quicklook_query)


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
    p.add_argument("--config", help="YAML settings file (default: $PORTAL_CONFIG)")
    p.add_argument("--prefix", help="URL path behind a reverse proxy, e.g. /portail")
    p.add_argument("--public-url", dest="public_url",
                   help="public origin of the site in links, e.g. https://www.odatis-ocean.fr "
                        "(default: http://ADDRESS:PORT)")
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
    for name in ("portal.cli_points", "portal.cli_thumbnails"):
        try:
            importlib.import_module(name).add_commands(sub)
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
    if getattr(args, "make_query", None) is not None:
        try:
            args.query = args.make_query(args)
        except BadParameter as exc:  # a bad option: usage and exit status 2, like argparse's
            parser.error(str(exc))
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except PortalError as exc:
        log.error("%s", one_line(exc))
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - last resort: one line, traceback with --debug
        if args.debug:
            raise
        log.debug("unexpected error", exc_info=True)  # the traceback only with --debug
        print(one_line(f"error: unexpected {type(exc).__name__}: {exc}")
              + " (run with --debug for details)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
