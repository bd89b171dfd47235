"""Quicklook builders: canonical data in, HoloViews element out.

One registry maps a kind (``map``, ``profile``, ``timeseries``, and the oceanographer's
``ts`` T-S diagram, ``section`` along a track and ``timedepth`` Hovmöller) to its builder; the
kinds an entry offers come from its source adapter (:meth:`portal.sources.base.Source.kinds`,
from the featureType table ``KINDS_BY_FEATURE``). The page, the iframe embed and the PNG
renderer all go through :func:`portal.pipeline.build_quicklook`, which calls these
builders; nothing here opens files.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from portal.i18n import LANGUAGES
from portal.query import COLOR_BY
from portal.sources.base import KINDS_BY_FEATURE, kinds_for

__all__ = ["COLOR_BY", "KINDS_BY_FEATURE", "Style", "builder", "default_kind", "ensure_backends",
           "entry_kinds", "kinds_for", "serial_constant_edits"]

_CONSTANT_EDITS = threading.RLock()  # HoloViews' disable_constant blocks, one at a time


@dataclass(frozen=True)
class Style:
    """How to draw (never what to load): colormap, colouring, size, interactivity, and
    the language of the labels."""

    cmap: str = "auto"
    color_by: str = "auto"
    width: int = 800
    height: int = 500
    interactive: bool = True
    lock_y: bool = False  # time series: keep the y range when zooming in time
    lang: str = "en"  # language of the plot's labels and title (portal.i18n)

    def __post_init__(self) -> None:
        if self.color_by not in COLOR_BY:
            raise ValueError(f"color_by must be one of {', '.join(COLOR_BY)}")
        if not (100 <= self.width <= 4000 and 100 <= self.height <= 4000):
            raise ValueError("width and height must be between 100 and 4000 pixels")
        if self.lang not in LANGUAGES:
            raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}")


def entry_kinds(entry) -> tuple[str, ...]:
    """Kinds that apply to a catalog entry, as its source adapter offers them."""
    from portal.sources import get_source

    return get_source(entry.source, dataset=entry.id).kinds(entry)


def default_kind(feature_type: str) -> str | None:
    kinds = kinds_for(feature_type)
    return kinds[0] if kinds else None


def ensure_backends() -> None:
    """Load HoloViews' Bokeh and Matplotlib backends (options are set for both)."""
    import geoviews.plotting.bokeh  # noqa: F401
    import geoviews.plotting.mpl  # noqa: F401
    import holoviews as hv
    import holoviews.plotting.bokeh  # noqa: F401
    import holoviews.plotting.mpl  # noqa: F401

    if not hv.Store.current_backend:
        hv.Store.set_current_backend("bokeh")
    # Canvas, not WebGL: without a GPU (headless Chromium, VMs, remote desktops) WebGL runs
    # in software and each repaint blits the WebGL canvas at ~0.5 s; a quicklook draws
    # at most a few 10⁴ glyphs (larger data are rasterised), which the 2D canvas paints in ms.
    hv.renderer("bokeh").webgl = False
    _answer_ranges_at_once()
    serial_constant_edits()  # elements and figures are built in worker threads too


def serial_constant_edits() -> None:
    """Make HoloViews' ``disable_constant`` blocks run one at a time in the process
    (idempotent; reentrant in one thread). ``.opts()`` on a ``DynamicMap`` unlocks
    class-level ``Parameter`` flags shared by every map: two threads building at once
    re-locked each other's (``Constant parameter 'callback' cannot be modified``)."""
    from holoviews.core import util
    from holoviews.plotting import util as plotting_util

    original = util.disable_constant
    if getattr(original, "portal_serial", False):
        return

    @contextlib.contextmanager
    def serial(parameterized: Any) -> Iterator[None]:
        with _CONSTANT_EDITS, original(parameterized):
            yield

    serial.portal_serial = True  # type: ignore[attr-defined]
    util.disable_constant = serial
    plotting_util.disable_constant = serial  # (imported there by name)


def _answer_ranges_at_once() -> None:
    """Re-render on a zoom as soon as its ranges arrive. HoloViews waits until no range
    event came for 100 ms (polling every 50 ms), but the browser already sends one event
    per gesture, at its end (``style.ZOOM_LOD``): that wait only delayed new pixels.
    Events that arrive while a re-render runs are still merged into one."""
    from holoviews.plotting.bokeh.callbacks import RangeXCallback, RangeXYCallback

    RangeXYCallback.debounce = None
    RangeXCallback.debounce = None


def builder(kind: str):
    """The builder function of a quicklook kind."""
    from portal.quicklooks import linked, profile, section, timedepth, timeseries, ts
    from portal.quicklooks import map as map_

    return {"map": map_.build, "profile": profile.build, "timeseries": timeseries.build,
            "ts": ts.build, "section": section.build, "timedepth": timedepth.build,
            "linked": linked.build}[kind]
