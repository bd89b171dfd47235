"""HTTP routes beside the Panel app: PNG quicklooks, the dataset API, health, CSP.

``/quicklook/ID/KIND.png`` renders through the same builder as the page, off the
event loop, cached in memory (bounded in bytes, keyed on the data version); every failure
goes through :func:`error_response` (a :class:`PortalError` answers with its status and
public message; anything else is a 500 with a generic message and the traceback in the
log). ``/api/datasets`` (search), ``/api/datasets/ID/citation`` and the downloads
``/download/ID.csv|nc`` live in :mod:`portal.server.api`; ``/health`` reports the
catalog's load state and upstream servers; ``/tiles/ID/z/x/y.png`` and ``/wms`` (GIS
clients) live in :mod:`portal.server.tiles` and :mod:`portal.server.wms`. :class:`FrameAncestorsTransform` adds
``Content-Security-Policy: frame-ancestors`` to every response.
"""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.parse
from collections.abc import Mapping
from typing import Any

import tornado.web

from portal.cache import png_cache, png_failures
from portal.errors import PortalError, public_message, status_of
from portal.query import Query, parse_query
from portal.settings import frame_ancestors

log = logging.getLogger(__name__)


PNG_WIDTH, PNG_HEIGHT = 800, 500  # default image size of the PNG route


def parse_png_args(arguments: Mapping[str, Any]) -> tuple[Query, dict[str, Any]]:
    """(data selection, style kwargs) of request arguments, through :func:`parse_query`;
    :class:`~portal.errors.BadParameter` names a bad parameter."""
    query = parse_query(arguments)
    style = {"cmap": query.cmap, "color_by": query.color,
             "width": query.width or PNG_WIDTH, "height": query.height or PNG_HEIGHT}
    return query.selection, style


def _render_cached(entry, kind: str, query: Query, style_kw: tuple) -> bytes:
    """PNG bytes from the process's PNG cache, keyed on (entry, data version, kind, query,
    style): a changed file, a re-ingested store or a moved remote window renders anew. A
    failure under the same key within the failure TTL is answered again without rendering."""
    from portal.quicklooks import Style
    from portal.render.quicklook import render_quicklook_png
    from portal.sources.versioning import data_version

    key = (entry.id, entry, data_version(entry), kind, query, style_kw)
    return png_cache().get_or_compute(key, lambda: png_failures().get_or_compute(
        key, lambda: render_quicklook_png(entry, kind, query,
                                          Style(**dict(style_kw), interactive=False))))


class QuicklookPNGHandler(tornado.web.RequestHandler):
    """GET /quicklook/<dataset>/<kind>.png"""

    async def get(self, dataset_id: str, kind: str) -> None:
        from portal.server.auth import private_cache, request_catalog

        try:
            entry = request_catalog(self)[urllib.parse.unquote(dataset_id)]
            query, style_kw = parse_png_args(self.request.arguments)
            png = await asyncio.to_thread(_render_cached, entry, kind, query,
                                          tuple(sorted(style_kw.items())))
        except Exception as exc:  # noqa: BLE001 - every failure answers through error_response
            return error_response(self, exc)
        self.set_header("Content-Type", "image/png")
        private_cache(self, entry, "public, max-age=300")
        self.finish(png)


def error_response(handler: tornado.web.RequestHandler, exc: BaseException) -> None:
    """Answer ``exc``: a PortalError with its status and public message (no server
    paths), anything else with 500, a generic message and the traceback in the log."""
    if isinstance(exc, tornado.web.HTTPError) and exc.status_code < 500:  # 401: a bad token
        handler.set_status(exc.status_code)
        handler.set_header("Content-Type", "text/plain; charset=utf-8")
        handler.set_header("Cache-Control", "no-store")
        handler.finish(f"{exc.log_message or exc.reason or 'refused'}\n")
        return
    status = status_of(exc)
    if not isinstance(exc, PortalError):
        log.error("unexpected error answering %s", handler.request.uri, exc_info=exc)
    elif status >= 500:
        log.warning("%s answered %d: %s", handler.request.uri, status, exc)
    handler.set_status(status)
    handler.set_header("Content-Type", "text/plain; charset=utf-8")
    handler.set_header("Cache-Control", "no-store")
    handler.finish(public_message(exc) + "\n")


class HealthHandler(tornado.web.RequestHandler):
    """GET /health — catalog load state and upstream servers (:mod:`portal.server.health`)."""

    def get(self) -> None:
        from portal.server.health import health_report, process_report

        status, body = health_report()
        body["process"] = process_report(self.application)
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(body))


class FrameAncestorsTransform(tornado.web.OutputTransform):
    """Adds ``Content-Security-Policy: frame-ancestors …`` to every response."""

    def transform_first_chunk(self, status_code, headers, chunk, finishing):
        from portal.server.context import settings

        headers["Content-Security-Policy"] = f"frame-ancestors {frame_ancestors(settings())}"
        return status_code, headers, chunk


def routes() -> list[tuple]:
    """Tornado routes to serve beside the Panel apps (the allow-listed components
    route first: it shadows Panel's, which imports any module named in the URL)."""
    from portal.server.api import CitationHandler, DatasetsHandler, DownloadHandler
    from portal.server.security import component_route
    from portal.server.tiles import ROUTE as TILES
    from portal.server.tokens import TokensHandler
    from portal.server.wms import ROUTE as WMS

    return [
        component_route(),
        (r"/quicklook/([^/]+)/(map|profile|timeseries)\.png", QuicklookPNGHandler),
        (r"/api/datasets/?", DatasetsHandler),
        (r"/api/datasets/([^/]+)/citation/?", CitationHandler),
        (r"/download/([^/]+)\.(csv|nc)", DownloadHandler),
        (r"/health/?", HealthHandler),
        (r"/account/tokens/?", TokensHandler),
        TILES,
        WMS,
    ]


ROUTES = routes()  # routes only; `--plugins portal.server.plugin` adds headers and assets too
