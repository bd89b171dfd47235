"""Per-session view state, mirrored in the URL query string.

:class:`ViewState` holds everything that defines what a user sees (dataset,
quicklook kind, variable, time and depth range, QC preset, colours, map extent,
language, search text). It is synced both ways with ``pn.state.location``, so a
copied URL restores the same view. :meth:`ViewState.query` turns it into the
hashable :class:`~portal.model.Query` the pipeline caches on.
"""

from __future__ import annotations

import param

from portal.model import QC_PRESETS, Query
from portal.quicklooks import COLOR_BY, Style

URL_KEYS = ("dataset", "kind", "var", "time", "depth", "qc", "cmap", "color", "bbox", "extent",
            "lang", "q")


def parse_pair(text: str, cast=float) -> tuple | None:
    """'A/B' -> (A, B) with empty sides as None; None if blank or invalid."""
    if not text or "/" not in text:
        return None
    lo, hi = text.split("/", 1)
    try:
        pair = (cast(lo) if lo.strip() else None, cast(hi) if hi.strip() else None)
    except ValueError:
        return None
    return None if pair == (None, None) else pair


def parse_bbox(text: str) -> tuple[float, float, float, float] | None:
    try:
        west, south, east, north = (float(v) for v in text.split(","))
    except ValueError:
        return None
    if not (-90 <= south < north <= 90):
        return None
    return (west, south, east, north)


def _iso(value: str) -> str:
    import pandas as pd

    return pd.Timestamp(value).isoformat()


class ViewState(param.Parameterized):
    """What one browser tab shows; every parameter is a URL query key."""

    dataset = param.String(default="", doc="catalog id of the dataset shown")
    kind = param.String(default="", doc="quicklook kind: map, profile or timeseries")
    var = param.String(default="", doc="variable drawn")
    time = param.String(default="", doc="time window START/END (ISO)")
    depth = param.String(default="", doc="vertical window MIN/MAX")
    qc = param.Selector(default="auto", objects=list(QC_PRESETS), doc="QC preset")
    cmap = param.String(default="auto", doc="colormap name")
    color = param.Selector(default="auto", objects=list(COLOR_BY), doc="colouring")
    bbox = param.String(default="", doc="data filter box W,S,E,N")
    extent = param.String(default="", doc="map view W,S,E,N (zoom), not a filter")
    lang = param.Selector(default="en", objects=["en", "fr"], doc="interface language")
    q = param.String(default="", doc="dataset search text")

    def query(self) -> Query:
        """The data selection as a hashable Query (invalid text fields are ignored)."""
        time = parse_pair(self.time, _iso)
        return Query(variable=self.var or None, time=time, depth=parse_pair(self.depth),
                     bbox=parse_bbox(self.bbox) if self.bbox else None, qc=self.qc)

    def style(self, width: int = 900, height: int = 520, interactive: bool = True) -> Style:
        return Style(cmap=self.cmap or "auto", color_by=self.color, width=width, height=height,
                     interactive=interactive)

    def sync_url(self) -> None:
        """Two-way sync with the browser's query string (only inside a server session)."""
        import panel as pn

        if pn.state.location is not None:
            pn.state.location.sync(self, {k: k for k in URL_KEYS})
