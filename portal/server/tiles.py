"""``/tiles/DATASET_ID/{z}/{x}/{y}.png``: XYZ Web Mercator tiles of a dataset for GIS clients.

256-pixel RGBA PNGs with a transparent background (Leaflet, OpenLayers, QGIS "XYZ Tiles"),
drawn by :mod:`portal.render.tiles` with the PNG route's colouring parameters (``var``,
``qc``, ``color``, ``cmap``, ``time``/``start``/``end``, ``depth``; a ``bbox`` is ignored:
the tile is the box). Rendered off the event loop and cached in the PNG cache keyed on the
data version. A tile number outside the zoom's range answers 400; a tile without data is
a transparent PNG, not an error.
"""

from __future__ import annotations

import asyncio
import urllib.parse

import tornado.web

from portal.query import Query, parse_query

TILE_CACHE_SECONDS = 300


def tile_query(arguments) -> Query:
    """The query of a tile request: selection and colouring only (size and box come from
    the tile)."""
    return parse_query(arguments).replace(bbox=None, width=None, height=None, kind=None,
                                          dataset=None)


class TileHandler(tornado.web.RequestHandler):
    """GET /tiles/<dataset>/<z>/<x>/<y>.png"""

    async def get(self, dataset_id: str, z: str, x: str, y: str) -> None:
        from portal.render.tiles import cached_view_png, tile_view
        from portal.server.auth import private_cache, request_catalog
        from portal.server.handlers import error_response

        try:
            view = tile_view(int(z), int(x), int(y))
            entry = request_catalog(self)[urllib.parse.unquote(dataset_id)]
            query = tile_query(self.request.arguments)
            png = await asyncio.to_thread(cached_view_png, entry, query, view)
        except Exception as exc:  # noqa: BLE001 - every failure answers through error_response
            return error_response(self, exc)
        self.set_header("Content-Type", "image/png")
        private_cache(self, entry, f"public, max-age={TILE_CACHE_SECONDS}")
        # any GIS client; "*" lets no other site read a tile fetched with the user's cookies
        self.set_header("Access-Control-Allow-Origin", "*")
        self.finish(png)


ROUTE = (r"/tiles/([^/]+)/(-?\d{1,3})/(-?\d{1,8})/(-?\d{1,8})\.png", TileHandler)
