"""HTTP routes of the colocation: the PNG quicklook and the CSV of the pairs.

``/quicklook/colocate.png?grid=ID&obs=ID&var_grid=&var_obs=&method=nearest|linear&time=&bbox=&depth=&qc=&width=&height=``
renders :func:`portal.render.colocate.render_png` (the panels the page draws with
Bokeh, drawn with Matplotlib alone), cached in the PNG cache under both data versions, for the datasets the
request's identity may see (publicly cacheable only when both are public); ``/api/colocate?…`` (same
parameters) streams CSV: ``# key: value`` provenance lines (both datasets, variables and
units, method, rules, N, bias, RMSE, query), then ``time,latitude,longitude,depth,observed,
gridded`` rows, for datasets the identity may download. Errors answer through :func:`portal.server.handlers.error_response`: an
unknown dataset 404, a non-grid ``grid=`` or non-in-situ ``obs=`` 400, no overlap 404 —
each message naming both datasets.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import tornado.web

from portal.errors import BadParameter
from portal.i18n import negotiate
from portal.model import DatasetEntry
from portal.query import Query, param_value, parse_query


@dataclass(frozen=True)
class ColocationRequest:
    grid: DatasetEntry
    obs: DatasetEntry
    query: Query
    var_grid: str | None
    var_obs: str | None
    method: str

    def compute(self):
        from portal.colocation import colocate_entries

        return colocate_entries(self.grid, self.obs, self.query, self.var_grid, self.var_obs,
                                self.method)


def parse_request(arguments: Mapping[str, Any],
                  lookup: Callable[[str], DatasetEntry]) -> tuple[ColocationRequest, Query]:
    """The request and the full query (style: width, height) of URL arguments; ``lookup``
    gives the entry of an id as the request's identity may use it (404 otherwise)."""
    from portal.processing.colocate import check_method

    ids = {}
    for key in ("grid", "obs"):
        ids[key] = param_value(arguments, key)
        if not ids[key]:
            raise BadParameter(f"{key}: give a dataset id ({key}=ID)", parameter=key)
    query = parse_query(arguments)
    request = ColocationRequest(
        lookup(ids["grid"]), lookup(ids["obs"]), query.selection,
        param_value(arguments, "var_grid") or None, param_value(arguments, "var_obs") or None,
        check_method(param_value(arguments, "method") or "nearest"))
    return request, query


def render(request: ColocationRequest, width: int, height: int, lang: str = "en") -> bytes:
    from portal.render.colocate import render_png

    return render_png(request.compute(), request.grid.id, request.obs.id, width, height, lang)


def _render_cached(request: ColocationRequest, width: int, height: int,
                   lang: str = "en") -> bytes:
    from portal.cache import png_cache, png_failures
    from portal.sources.versioning import data_version

    key = ("colocate", request, data_version(request.grid), data_version(request.obs),
           width, height, lang)
    return png_cache().get_or_compute(key, lambda: png_failures().get_or_compute(
        key, lambda: render(request, width, height, lang)))


def _cache_control(handler: tornado.web.RequestHandler, request: ColocationRequest,
                   public_value: str) -> None:
    """Public caching only when both datasets are public."""
    from portal.access import is_public
    from portal.server.auth import private_cache

    private_cache(handler, request.grid if not is_public(request.grid) else request.obs,
                  public_value)


class ColocatePNGHandler(tornado.web.RequestHandler):
    """GET /quicklook/colocate.png?grid=ID&obs=ID&…"""

    async def get(self) -> None:
        from portal.server.auth import request_catalog
        from portal.server.handlers import PNG_HEIGHT, PNG_WIDTH, error_response

        try:
            visible = request_catalog(self)  # what this identity may see
            request, query = parse_request(self.request.arguments, visible.__getitem__)
            lang = negotiate(param_value(self.request.arguments, "lang"),
                             self.request.headers.get("Accept-Language"))
            png = await asyncio.to_thread(_render_cached, request, query.width or PNG_WIDTH,
                                          query.height or PNG_HEIGHT, lang)
        except Exception as exc:  # noqa: BLE001 - every failure answers through error_response
            return error_response(self, exc)
        self.set_header("Content-Type", "image/png")
        _cache_control(self, request, "public, max-age=300")
        self.finish(png)


class ColocateCSVHandler(tornado.web.RequestHandler):
    """GET /api/colocate?grid=ID&obs=ID&… — the pairs as streamed CSV."""

    async def get(self) -> None:
        from portal.colocation import csv_chunks
        from portal.server.auth import request_download
        from portal.server.handlers import error_response

        try:  # data of both datasets: both must be downloadable by this identity
            request, _ = parse_request(self.request.arguments,
                                       lambda ident: request_download(self, ident))
            result = await asyncio.to_thread(request.compute)
        except Exception as exc:  # noqa: BLE001 - every failure answers through error_response
            return error_response(self, exc)
        name = "".join(c if c.isalnum() or c in "-_." else "_"
                       for c in f"colocate_{request.grid.id}_{request.obs.id}")
        self.set_header("Content-Type", "text/csv; charset=utf-8")
        self.set_header("Content-Disposition", f'attachment; filename="{name}.csv"')
        self.set_header("Cache-Control", "no-store")
        chunks = csv_chunks(request.grid, request.obs, request.query, result)
        while chunk := await asyncio.to_thread(next, chunks, ""):
            self.write(chunk)
            await self.flush()
        self.finish()


ROUTES = [(r"/quicklook/colocate\.png", ColocatePNGHandler),
          (r"/api/colocate/?", ColocateCSVHandler)]
