"""PNG bytes of a quicklook: the one entry point of the PNG route, the CLI and thumbnails.

Maps take the fast path of :mod:`portal.render.maps`; other kinds render the pipeline's
HoloViews element with Matplotlib (:mod:`portal.render.png`). Rendering sits above the
pipeline: it asks the pipeline for data, never the reverse. A map image shows one variable
(several are refused at once with a 400 naming ``var``).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from portal.errors import BadParameter
from portal.query import Query

if TYPE_CHECKING:
    from portal.model import DatasetEntry
    from portal.quicklooks import Style


def render_quicklook_png(entry: DatasetEntry, kind: str | None = None,
                         query: Query | None = None, style: Style | None = None) -> bytes:
    """PNG bytes of a quicklook. Maps take the fast path (:mod:`portal.render.maps`: the
    same aggregate, shaded and laid on cached furniture, no HoloViews), profiles and time
    series Matplotlib alone (:mod:`portal.render.plots`); what neither covers (several
    variables at once, curvilinear grids) renders the HoloViews element with Matplotlib."""
    from portal.pipeline import build_quicklook, resolve_kind
    from portal.quicklooks import Style
    from portal.render.png import render_png

    style = style or Style(interactive=False)
    if style.interactive:
        style = dataclasses.replace(style, interactive=False)
    query = query or Query()
    kind = resolve_kind(entry, kind)
    if kind == "map":
        if len(query.variables) > 1:  # refused before any data is read
            raise BadParameter(f"var: a map image shows one variable at a time, got "
                               f"{len(query.variables)} ({', '.join(query.variables)[:80]})",
                               parameter="var", hint="ask for one image per variable")
        from portal.render.maps import map_png

        png = map_png(entry, query, style)
        if png is not None:
            return png
    else:
        from portal.render.plots import plot_png

        png = plot_png(entry, kind, query, style)
        if png is not None:
            return png
    element = build_quicklook(entry, kind, query, style)
    return render_png(element, style.width, style.height)


def render_overlay_png(entries: list[DatasetEntry], kind: str, query: Query,
                       style: Style | None = None) -> bytes:
    """PNG bytes of a combined view (several datasets, :func:`portal.pipeline.build_overlay`),
    rendered with Matplotlib; separate y axes become panels side by side."""
    from portal.pipeline import build_overlay
    from portal.quicklooks import Style
    from portal.render.png import render_png

    style = style or Style(interactive=False)
    if style.interactive:
        style = dataclasses.replace(style, interactive=False)  # keeps lang and lock_y
    element = build_overlay(entries, kind, query, style)
    return render_png(element, style.width, style.height, legend_below=True)
