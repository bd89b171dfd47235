"""Linked views and sections patched in place: each plot of the layout gets its new frame.

A section (the variable along the track, the positions map beside it) and the linked views
(map, time–depth and T-S or profile plots over one shared table) are HoloViews layouts of
several plots. Each change of variable, QC or time built all of them anew (19 of 182
control changes chosen as ``bench/bench_load.py`` chooses them rebuilt a section or linked
views of the same kind; layouts were 14% of a worker's profile under its 20-session
load). Here each plot of the layout draws from a
``Pipe`` of its own; a later build of the same *shape* (the same plots, element types,
colour bars and legend labels, language and width) sends each plot its new frame (refitted:
the frames are ``framewise``), and HoloViews updates the glyph data, axis labels, titles,
ranges and tooltips. The linked views' shared table is refilled in place by their hooks
(:class:`portal.quicklooks.linked.SharedSource`); the layout's own title (the linked views'
sample count) is set on the figure by :func:`retitle`. A section of many samples, drawn
rasterized per zoom, is built anew. One :class:`~portal.ui.patching.PlotPatcher` per pane.
"""

from __future__ import annotations

import logging
from typing import Any

from portal.model import DatasetEntry
from portal.sources import is_aggregating
from portal.ui.patch_series import refitted, series_shape, titled
from portal.ui.patching import PlotPatcher

log = logging.getLogger(__name__)

LAYOUT_KINDS = ("section", "linked")


def layout_patchable(kind: str, entry: DatasetEntry, element: Any) -> bool:
    """Whether a built quicklook is a layout the pane patches in place: a section or the
    linked views of a file (not a point store), every plot a static element (a section
    rasterized per zoom is a ``DynamicMap``)."""
    import holoviews as hv

    if kind not in LAYOUT_KINDS or is_aggregating(entry) or not isinstance(element, hv.Layout):
        return False
    return all(isinstance(item, hv.Overlay | hv.Element) for item in element)


def patch_or_wrap_layout(patcher: PlotPatcher, layout: Any, *context: Any) -> Any:
    """None once the layout on screen got each of ``layout``'s plots through its pipe;
    else ``layout`` as plots drawn from pipes, ready for later patches."""
    frames = [titled(refitted(item)) for item in layout]
    shape = ("layout", *context, *(series_shape(frame) for frame in frames))
    if patcher.patch_parts(frames, shape):
        return None
    return patcher.wrap_parts(frames, shape, _layout_options(layout))


def _layout_options(layout: Any) -> dict:
    import holoviews as hv

    return dict(hv.Store.lookup_options("bokeh", layout, "plot").kwargs)


def layout_title(layout: Any) -> str:
    """The title a built layout asks for ("" when none)."""
    return str(_layout_options(layout).get("title") or "")


def retitle(pane: Any, title: str) -> None:
    """Set the title of the layout ``pane`` shows (a HoloViews ``LayoutPlot`` draws it in a
    ``Div`` of its own, set once when it builds the figure); best effort."""
    from holoviews.plotting.plot import Plot

    plots = [pane.object] if isinstance(getattr(pane, "object", None), Plot) else []
    plots += [plot for plot, _view in getattr(pane, "_plots", {}).values()]  # Panel's, per root
    for plot in plots:
        if "title" not in getattr(plot, "handles", {}) or not plot.keys:
            continue
        try:
            plot.title = title
            plot._get_title_div(plot.keys[-1])  # the Div on screen, its text set in place
        except Exception:  # noqa: BLE001 - the figure on screen keeps its former title
            log.debug("could not retitle the layout on screen", exc_info=True)
