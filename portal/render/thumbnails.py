"""Thumbnails: a dataset's default quicklook as a small true thumbnail (320×200 by default).

One builder for every thumbnail (``odatis-portal thumbnails``, and any list or search page
that wants one): the default kind of the entry, drawn by the same fast paths as the full
quicklook (:mod:`.maps` for maps, :mod:`.plots` for profiles and time series) but ``bare``
— the data fill the image, with no title, degree labels, ticks or colour bar, which would be
unreadable at this size. Shrinking a full quicklook would keep them as noise. A dataset that
neither fast path covers (several variables, curvilinear grids) falls back to the HoloViews
PNG at thumbnail size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal.query import Query

if TYPE_CHECKING:
    from portal.model import DatasetEntry

THUMB_WIDTH, THUMB_HEIGHT = 320, 200


def thumbnail_kind(entry: DatasetEntry) -> str:
    """The kind a thumbnail shows: the entry's default quicklook (UnsupportedQuicklook for
    metadata-only entries)."""
    from portal.pipeline import resolve_kind

    return resolve_kind(entry, None)


def _query(entry: DatasetEntry) -> Query:
    """A point store's map over its own box, padded (its default view is the world, where a
    regional store is a few pixels in a thumbnail); other maps already fit their data."""
    from portal.query import BBox
    from portal.sources import is_aggregating

    if not is_aggregating(entry) or entry.bbox is None:
        return Query()
    west, south, east, north = entry.bbox
    pad = max(east - west, north - south, 1.0) * 0.1
    try:
        return Query(bbox=BBox(max(west - pad, -180.0), max(south - pad, -90.0),
                               min(east + pad, 180.0), min(north + pad, 90.0)))
    except ValueError:  # a degenerate box: the store's default view
        return Query()


def thumbnail_png(entry: DatasetEntry, width: int = THUMB_WIDTH,
                  height: int = THUMB_HEIGHT) -> bytes:
    """PNG bytes of the entry's default quicklook as a ``width`` x ``height`` thumbnail."""
    from portal.quicklooks import Style
    from portal.render.maps import map_png
    from portal.render.plots import plot_png

    kind = thumbnail_kind(entry)
    style = Style(width=width, height=height, interactive=False)
    query = _query(entry) if kind == "map" else Query()
    if kind == "map":
        png = map_png(entry, query, style, bare=True)
    else:
        png = plot_png(entry, kind, query, style, bare=True)
    if png is None:  # not covered by a fast path: the HoloViews PNG at this size
        from portal.render.quicklook import render_quicklook_png

        png = render_quicklook_png(entry, kind, query, style)
    return png
