"""HTTP routes beside the Panel app: PNG quicklooks, the dataset API, health, CSP.

``/quicklook/ID/KIND.png`` renders through the same builder as the page, off the
event loop, cached in memory; bad parameters give 400 with the reason, unknown
datasets 404. ``/api/datasets`` lists the catalog as JSON; ``/health`` reports the
catalog size. :class:`FrameAncestorsTransform` adds
``Content-Security-Policy: frame-ancestors`` to every response.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import urllib.parse

import tornado.web

from portal.errors import CatalogError, NoDataInSelection, PortalError, UnsupportedQuicklook
from portal.model import QC_PRESETS, Query

log = logging.getLogger(__name__)


class BadRequest(ValueError):
    """A query parameter that cannot be used, with the reason for the 400 answer."""


def _pair(text: str, name: str, cast=float):
    from portal.ui.state import parse_pair

    if not text:
        return None
    pair = parse_pair(text, cast)
    if pair is None:
        raise BadRequest(f"{name} must be MIN/MAX (either side may be empty), got {text!r}")
    return pair


def _iso(value: str) -> str:
    import pandas as pd

    return pd.Timestamp(value).isoformat()


def parse_png_args(get) -> tuple[Query, dict]:
    """(Query, style kwargs) from request arguments; BadRequest with the reason."""
    from portal.quicklooks import COLOR_BY
    from portal.ui.state import parse_bbox

    qc = get("qc", "auto")
    if qc not in QC_PRESETS:
        raise BadRequest(f"qc must be one of {', '.join(QC_PRESETS)}")
    bbox_text = get("bbox", "")
    bbox = parse_bbox(bbox_text) if bbox_text else None
    if bbox_text and bbox is None:
        raise BadRequest("bbox must be W,S,E,N with -90 <= S < N <= 90")
    query = Query(variable=get("var", "") or None, time=_pair(get("time", ""), "time", _iso),
                  depth=_pair(get("depth", ""), "depth"), bbox=bbox, qc=qc)
    color = get("color", "auto")
    if color not in COLOR_BY:
        raise BadRequest(f"color must be one of {', '.join(COLOR_BY)}")
    try:
        width, height = int(get("width", "800")), int(get("height", "500"))
    except ValueError as exc:
        raise BadRequest("width and height must be integers") from exc
    if not (100 <= width <= 3000 and 100 <= height <= 3000):
        raise BadRequest("width and height must be between 100 and 3000")
    return query, {"cmap": get("cmap", "auto"), "color_by": color, "width": width,
                   "height": height}


@functools.lru_cache(maxsize=256)
def _render_cached(entry, kind: str, query: Query, style_kw: tuple) -> bytes:
    from portal.pipeline import render_quicklook_png
    from portal.quicklooks import Style

    return render_quicklook_png(entry, kind, query, Style(**dict(style_kw), interactive=False))


class QuicklookPNGHandler(tornado.web.RequestHandler):
    """GET /quicklook/<dataset>/<kind>.png"""

    async def get(self, dataset_id: str, kind: str) -> None:
        from portal.server.context import catalog

        dataset_id = urllib.parse.unquote(dataset_id)
        try:
            entry = catalog()[dataset_id]
        except CatalogError as exc:
            return self._fail(404, str(exc))
        try:
            query, style_kw = parse_png_args(lambda k, d="": self.get_argument(k, d))
            png = await asyncio.to_thread(_render_cached, entry, kind, query,
                                          tuple(sorted(style_kw.items())))
        except BadRequest as exc:
            return self._fail(400, str(exc))
        except (UnsupportedQuicklook, NoDataInSelection, ValueError) as exc:
            return self._fail(400 if not isinstance(exc, NoDataInSelection) else 404, str(exc))
        except PortalError as exc:
            log.warning("%s", exc)
            return self._fail(502, str(exc))
        self.set_header("Content-Type", "image/png")
        self.set_header("Cache-Control", "public, max-age=300")
        self.finish(png)

    def _fail(self, status: int, message: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(message + "\n")


class DatasetsHandler(tornado.web.RequestHandler):
    """GET /api/datasets — every dataset with its id, metadata and quicklook URLs."""

    def get(self) -> None:
        from portal.quicklooks import entry_kinds
        from portal.server.context import catalog

        base = f"{self.request.protocol}://{self.request.host}"
        items = []
        for entry in catalog():
            ident = urllib.parse.quote(entry.id)
            items.append({
                "id": entry.id, "source": entry.source, "metadata": entry.metadata(),
                "quicklooks": {k: f"{base}/quicklook/{ident}/{k}.png"
                               for k in entry_kinds(entry)},
                "page": f"{base}/?dataset={ident}",
                "embed": f"{base}/embed?dataset={ident}",
            })
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps({"count": len(items), "datasets": items}, default=str))


class HealthHandler(tornado.web.RequestHandler):
    """GET /health — 200 with the number of datasets."""

    def get(self) -> None:
        from portal.server.context import catalog

        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"status": "ok", "datasets": len(catalog())}))


class FrameAncestorsTransform(tornado.web.OutputTransform):
    """Adds ``Content-Security-Policy: frame-ancestors …`` to every response."""

    def transform_first_chunk(self, status_code, headers, chunk, finishing):
        from portal.server.context import settings
        from portal.settings import frame_ancestors

        headers["Content-Security-Policy"] = f"frame-ancestors {frame_ancestors(settings())}"
        return status_code, headers, chunk


def routes() -> list[tuple]:
    """Tornado routes to serve beside the Panel apps."""
    return [
        (r"/quicklook/([^/]+)/(map|profile|timeseries)\.png", QuicklookPNGHandler),
        (r"/api/datasets/?", DatasetsHandler),
        (r"/health/?", HealthHandler),
    ]


ROUTES = routes()  # for `panel serve --plugins portal.server.handlers`
