"""HTTP routes beside the Panel app: PNG quicklooks, the dataset API, health, CSP.

``/quicklook/ID/KIND.png`` renders through the same builder as the page, and
``/thumbnail/ID.png`` through the CLI's thumbnail builder (bare, small), off the
        self.finish(png)


``/quicklook/ID/KIND.png`` (and ``/quicklook/overlay/KIND.png?datasets=ID1,ID2`` for
several datasets on one view) renders through the same builder as the page, off the
event loop, cached in memory (bounded in bytes, keyed on the data version); every failure
goes through :func:`error_response` (a :class:`PortalError` answers with its status and
public message; anything else is a 500 with a generic message and the traceback in the
log). ``/api/datasets`` (search), ``/api/datasets/ID/citation`` and the downloads
``/download/ID.csv|nc`` live in :mod:`portal.server.api`; the colocation's
``/quicklook/colocate.png`` and ``/api/colocate`` in :mod:`portal.server.colocate`; ``/health`` reports the
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
from portal.errors import BadParameter, PortalError, public_message, status_of
from portal.query import QUICKLOOK_KINDS, Query, param_value, parse_query
from portal.settings import frame_ancestors

log = logging.getLogger(__name__)


PNG_WIDTH, PNG_HEIGHT = 800, 500  # default image size of the PNG route


def parse_png_args(arguments: Mapping[str, Any]) -> tuple[Query, dict[str, Any]]:
    """(data selection, style kwargs) of request arguments, through :func:`parse_query`;
    :class:`~portal.errors.BadParameter` names a bad parameter."""
    query = parse_query(arguments)
    style = {"cmap": query.cmap, "color_by": query.color,
             "width": query.width or PNG_WIDTH, "height": query.height or PNG_HEIGHT,
             "lang": png_lang(arguments)}
    return query.selection, style


def png_lang(arguments: Mapping[str, Any]) -> str:
    """The labels' language of an image (``lang=en|fr``, English when absent)."""
    from portal.i18n import LANGUAGES

    lang = param_value(arguments, "lang") or "en"
    if lang not in LANGUAGES:
        raise BadParameter(f"lang: {lang[:20]!r} is not one of {', '.join(LANGUAGES)}",
                           parameter="lang")
    return lang


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


THUMB_SIZES = range(80, 641)  # pixels, each side


def _thumbnail_cached(entry, width: int, height: int) -> bytes:
    """A thumbnail (:func:`portal.render.thumbnails.thumbnail_png`, the CLI's builder) from
    the PNG cache, keyed on the data version like the quicklooks."""
    from portal.render.thumbnails import thumbnail_png
    from portal.sources.versioning import data_version

    key = ("thumbnail", entry.id, entry, data_version(entry), width, height)
    return png_cache().get_or_compute(key, lambda: png_failures().get_or_compute(
        key, lambda: thumbnail_png(entry, width, height)))


class ThumbnailPNGHandler(tornado.web.RequestHandler):
    """GET /thumbnail/<dataset>.png[?width=W&height=H] — the default quicklook as a bare
    thumbnail (no title, labels or colour bar), 320x200 unless asked, 80 to 640 px a side."""

    async def get(self, dataset_id: str) -> None:
        from portal.errors import BadParameter
        from portal.server.auth import private_cache, request_catalog

        try:  # only what this identity may see: a restricted dataset is a 404 to others
            entry = request_catalog(self)[urllib.parse.unquote(dataset_id)]
            size = []
            for name, default in (("width", 320), ("height", 200)):
                text = self.get_argument(name, str(default))
                if not text.isdigit() or int(text) not in THUMB_SIZES:
                    raise BadParameter(f"{name}: a thumbnail is 80 to 640 pixels, got "
                                       f"{text[:20]!r}", parameter=name)
                size.append(int(text))
            png = await asyncio.to_thread(_thumbnail_cached, entry, *size)
        except Exception as exc:  # noqa: BLE001 - every failure answers through error_response
            return error_response(self, exc)
        self.set_header("Content-Type", "image/png")
        private_cache(self, entry, "public, max-age=300")
        self.finish(png)


def _render_overlay_cached(entries: list, kind: str, query: Query, style_kw: tuple) -> bytes:
    """PNG bytes of a combined view from the PNG cache, keyed on every dataset's version."""
    from portal.quicklooks import Style
    from portal.render.quicklook import render_overlay_png
    from portal.sources.versioning import data_version

    def version(entry) -> str:
        try:
            return data_version(entry)
        except PortalError as exc:  # that source's legend says why; the others draw
            return f"unavailable: {type(exc).__name__}"

    key = ("overlay", tuple((e.id, e, version(e)) for e in entries), kind, query, style_kw)
    return png_cache().get_or_compute(key, lambda: png_failures().get_or_compute(
        key, lambda: render_overlay_png(entries, kind, query,
                                        Style(**dict(style_kw), interactive=False))))


class OverlayPNGHandler(tornado.web.RequestHandler):
    """GET /quicklook/overlay/<kind>.png?datasets=ID1,ID2&… — several datasets on one view."""

    async def get(self, kind: str) -> None:
        from portal.access import is_public
        from portal.overlay import resolve_entries
        from portal.server.auth import request_catalog

        try:
            query, style_kw = parse_png_args(self.request.arguments)
            # only what this identity may see: a restricted id is unknown to others
            entries = resolve_entries(request_catalog(self), query.datasets)
            png = await asyncio.to_thread(_render_overlay_cached, entries, kind, query,
                                          tuple(sorted(style_kw.items())))
        except Exception as exc:  # noqa: BLE001 - every failure answers through error_response
            return error_response(self, exc)
        self.set_header("Content-Type", "image/png")
        if all(is_public(e) for e in entries):
            self.set_header("Cache-Control", "public, max-age=300")
        else:  # one restricted layer: no shared cache may keep the image
            self.set_header("Cache-Control", "private, no-store")
            self.set_header("Vary", "Cookie, Authorization")
        self.finish(png)


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


class LangTransform(tornado.web.OutputTransform):
    """``<html lang="fr">`` in a page served in French: Panel's templates write ``en``. The
    language is negotiated as the page does it (``?lang=``, else ``Accept-Language``); the
    replacement keeps the chunk's length (the ``Content-Length`` is already set)."""

    def __init__(self, request) -> None:
        from portal.i18n import negotiate

        super().__init__(request)
        query = param_value(request.query_arguments, "lang")
        self.lang = negotiate(query, request.headers.get("Accept-Language"))

    def transform_first_chunk(self, status_code, headers, chunk, finishing):
        if self.lang != "en" and str(headers.get("Content-Type", "")).startswith("text/html"):
            chunk = chunk.replace(b'<html lang="en"', f'<html lang="{self.lang}"'.encode(), 1)
        return status_code, headers, chunk


def routes() -> list[tuple]:
    """Tornado routes to serve beside the Panel apps (the allow-listed components
    route first: it shadows Panel's, which imports any module named in the URL)."""
    from portal.server.api import CitationHandler, DatasetsHandler, DownloadHandler
    from portal.server.colocate import ROUTES as COLOCATE
    from portal.server.security import component_route
    from portal.server.tiles import ROUTE as TILES
    from portal.server.tokens import TokensHandler
    from portal.server.wms import ROUTE as WMS

    return [
        component_route(),
        (r"/quicklook/overlay/(map|profile|timeseries)\.png", OverlayPNGHandler),
        *COLOCATE,  # /quicklook/colocate.png and /api/colocate (before the dataset routes)
        (rf"/quicklook/([^/]+)/({'|'.join(QUICKLOOK_KINDS)})\.png", QuicklookPNGHandler),
        (r"/thumbnail/([^/]+)\.png", ThumbnailPNGHandler),
        (r"/api/datasets/?", DatasetsHandler),
        (r"/api/datasets/([^/]+)/citation/?", CitationHandler),
        (r"/download/([^/]+)\.(csv|nc)", DownloadHandler),
        (r"/health/?", HealthHandler),
        (r"/account/tokens/?", TokensHandler),
        TILES,
        WMS,
    ]


ROUTES = routes()  # routes only; `--plugins portal.server.plugin` adds headers and assets too
