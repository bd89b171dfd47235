"""The catalogue's HTTP API: dataset search, citations and downloads.

``GET /api/datasets?q=TEXT&bbox=W,S,E,N&time=START/END&FACET=VALUE…&limit=N&offset=N``
answers ``{"count", "datasets": [...], "facets": {name: {value: count}}}`` from the
catalog's shared :class:`~portal.catalog.search.SearchIndex`: ``count`` is the number of
matches, ``datasets`` the matches in catalog order (a page of them with ``limit`` and
``offset``), each with its id, title, source, metadata, quicklook PNG URLs and
``links`` (thumbnail, page, embed, citation). Facet parameters are the names in
:data:`~portal.catalog.search.FACETS`; a facet repeated means any of its values. Without
parameters every dataset is listed. A box or time range that matches nothing gives an
empty list; a malformed or unknown parameter is a 400 (:class:`BadParameter`).
``GET /api/datasets/ID/citation?format=text|bibtex&lang=en|fr`` answers the dataset's
recommended citation; ``GET /download/ID.csv|nc`` with the quicklook parameters answers the
selection as a file (:mod:`portal.downloads`; over the size limits a 413). URLs start with the settings' public base URL when one is
configured (``Settings.public_url``), else they are relative: never taken from the
request's ``Host`` header.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Generator, Mapping
from typing import Any

import tornado.web

from portal.catalog.search import FACETS, SearchRequest
from portal.errors import BadParameter
from portal.model import DatasetEntry
from portal.query import PAGE_ONLY_KINDS, BBox, TimeRange, param_value, parse_query

SEARCH_PARAMS = ("q", "bbox", "time", "limit", "offset", *FACETS)
THUMBNAIL = {"width": "240", "height": "160"}


def public_base() -> str:
    """The configured public base URL and prefix, no trailing slash (``/portail`` behind a
    proxy without a public URL, '' at the root): ``Settings.link``, never the Host header."""
    from portal.server.context import settings

    return settings().link("")


def _values(params: Mapping[str, Any], key: str) -> list[str]:
    raw = params.get(key)
    items = raw if isinstance(raw, list | tuple) else [raw]
    texts = [v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in items]
    return [str(v).strip() for v in texts if v is not None and str(v).strip()]


def _count(params: Mapping[str, Any], key: str) -> int | None:
    text = param_value(params, key)
    if not text:
        return None
    if not text.isdigit():
        raise BadParameter(f"{key}: must be a whole number >= 0, got {text[:20]!r}",
                           parameter=key)
    return int(text)


def parse_search(params: Mapping[str, Any]) -> tuple[SearchRequest, int, int | None]:
    """(request, offset, limit) of /api/datasets parameters; BadParameter names a bad one."""
    unknown = sorted(set(params) - set(SEARCH_PARAMS))
    if unknown:
        raise BadParameter(f"unknown parameter {unknown[0][:40]!r}", parameter=unknown[0],
                           hint=f"known parameters: {', '.join(SEARCH_PARAMS)}")
    bbox, time = param_value(params, "bbox"), param_value(params, "time")
    request = SearchRequest.of(
        text=" ".join(_values(params, "q")),
        bbox=BBox.parse(bbox) if bbox else None,
        time=TimeRange.parse(time) if time else None,
        facets={name: _values(params, name) for name in FACETS})
    return request, _count(params, "offset") or 0, _count(params, "limit")


def dataset_links(entry: DatasetEntry, base: str = "") -> dict[str, Any]:
    """Quicklook, thumbnail, page, embed and citation URLs of an entry under ``base``."""
    from portal.quicklooks import entry_kinds

    ident = urllib.parse.quote(entry.id, safe="")
    kinds = entry_kinds(entry)
    quicklooks = {k: f"{base}/quicklook/{ident}/{k}.png" for k in kinds
                  if k not in PAGE_ONLY_KINDS}
    thumb = f"{base}/thumbnail/{ident}.png?{urllib.parse.urlencode(THUMBNAIL)}" if kinds \
        else None
    return {"quicklooks": quicklooks, "thumbnail": thumb,
            "page": f"{base}/?dataset={ident}", "embed": f"{base}/embed?dataset={ident}",
            "citation": f"{base}/api/datasets/{ident}/citation"}


def dataset_item(entry: DatasetEntry, base: str = "") -> dict[str, Any]:
    """One dataset of the JSON listing."""
    links = dataset_links(entry, base)
    return {"id": entry.id, "title": entry.title, "source": entry.source,
            "metadata": entry.metadata(), "quicklooks": links["quicklooks"],
            "page": links["page"], "embed": links["embed"], "links": links}


def search_payload(catalog: Any, params: Mapping[str, Any], base: str = "") -> dict[str, Any]:
    """The /api/datasets answer for ``params`` over ``catalog`` (see the module doc)."""
    from portal.catalog.search import index_for

    request, offset, limit = parse_search(params)
    result = index_for(catalog).search(request)
    stop = None if limit is None else offset + limit
    items = [dataset_item(e, base) for e in result.entries[offset:stop]]
    return {"count": len(result.entries), "offset": offset, "datasets": items,
            "facets": result.facets}


class DatasetsHandler(tornado.web.RequestHandler):
    """GET /api/datasets — search the catalog (every dataset without parameters)."""

    async def get(self) -> None:
        import asyncio

        from portal.server.auth import all_public, request_catalog
        from portal.server.handlers import error_response  # handlers' routes() import us

        try:  # off the event loop: the first search of a catalog version builds its index
            cat = request_catalog(self)  # only what this identity may see, facets included
            payload = await asyncio.to_thread(search_payload, cat,
                                              self.request.arguments, public_base())
        except Exception as exc:  # noqa: BLE001 - every failure answers through error_response
            return error_response(self, exc)
        if not all_public(cat):
            self.set_header("Cache-Control", "private, no-store")
            self.set_header("Vary", "Cookie, Authorization")
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(payload, default=str))


class CitationHandler(tornado.web.RequestHandler):
    """GET /api/datasets/ID/citation?format=text|bibtex&lang=en|fr"""

    def get(self, dataset_id: str) -> None:
        from portal.catalog.citation import citation_for
        from portal.server.auth import private_cache, request_catalog
        from portal.server.handlers import error_response  # handlers' routes() import us

        try:
            entry = request_catalog(self)[urllib.parse.unquote(dataset_id)]
            form = param_value(self.request.arguments, "format") or "text"
            lang = param_value(self.request.arguments, "lang") or "en"
            body, mime = citation_for(entry, form, lang)
        except Exception as exc:  # noqa: BLE001 - every failure answers through error_response
            return error_response(self, exc)
        self.set_header("Content-Type", f"{mime}; charset=utf-8")
        private_cache(self, entry, "public, max-age=300")
        self.finish(body)


def _nothing() -> Generator[str | bytes, None, None]:
    yield from ()


class DownloadHandler(tornado.web.RequestHandler):
    """GET /download/ID.csv|nc?var=&time=&depth=&bbox=&qc= — the selection as a file: CSV
    streamed in chunks, NetCDF written whole; over the size limits a 413 before reading."""

    async def get(self, dataset_id: str, form: str) -> None:
        import asyncio

        from portal.downloads import FORMATS, csv_chunks, netcdf_bytes, prepare
        from portal.server.auth import request_download
        from portal.server.handlers import error_response  # handlers' routes() import us

        try:
            entry = request_download(self, urllib.parse.unquote(dataset_id))
            query = parse_query(self.request.arguments).selection
            selection = await asyncio.to_thread(prepare, entry, query)
            if form == "nc":
                body = await asyncio.to_thread(netcdf_bytes, selection)
            chunks = csv_chunks(selection) if form == "csv" else _nothing()
            first = await asyncio.to_thread(next, chunks, "")
        except Exception as exc:  # noqa: BLE001 - every failure answers through error_response
            return error_response(self, exc)
        name = "".join(c if c.isalnum() or c in "-_." else "_" for c in entry.id)
        self.set_header("Content-Type", FORMATS[form])
        self.set_header("Content-Disposition", f'attachment; filename="{name}.{form}"')
        self.set_header("X-Selection-Size", str(selection.size))
        self.set_header("Cache-Control", "no-store")
        if form == "nc":
            self.finish(body)
            return
        try:
            self.write(first)
            while chunk := await asyncio.to_thread(next, chunks, ""):  # rows stream as read
                self.write(chunk)
                await self.flush()
            self.finish()
        finally:  # a client that went away stops the reading (and its thread pool)
            chunks.close()
