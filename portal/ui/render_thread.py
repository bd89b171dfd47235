"""Quicklook figures built off the server's event loop.

Panel builds a HoloViews pane's Bokeh figure on the event loop when the pane joins the
page: 0.2–4 s of plot construction and rasterizing (more under load) during which every
other session's page load, change and PNG answer waits. :func:`render_off_loop` builds it
in a worker thread instead, one at a time, against a scratch document, and hands the
pane the built plot (Panel shows a HoloViews ``Plot`` as it is); the figure reaches the
session's document on the loop. :func:`drawn_element` is the element behind such a pane.
Bokeh's switch for property validation is one flag for the whole process, which
HoloViews turns off and back on around each data-source update; a figure built in a
worker thread meanwhile took its title unconverted (a ``str``), and two overlapping
switches could leave validation off for good, after which every new figure failed
(:func:`per_thread_bokeh_validation` makes the switch per thread). HoloViews' own
class-level state edited by builds in several threads is serialised where every build
starts (:func:`portal.quicklooks.serial_constant_edits`, installed by ``ensure_backends``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import panel as pn

log = logging.getLogger(__name__)
_VALIDATION = threading.local()  # this thread's Bokeh validation switch (default: on)


class _ThreadValidation:
    """Bokeh's ``Property._should_validate`` made per thread: true unless this thread is
    inside ``validate(False)``."""

    def __bool__(self) -> bool:
        return getattr(_VALIDATION, "on", True)


def _validate_init(self, value) -> None:
    self.old = getattr(_VALIDATION, "on", True)
    _VALIDATION.on = bool(value)


def _validate_exit(self, *_exc) -> None:
    _VALIDATION.on = self.old


def per_thread_bokeh_validation() -> None:
    """Make Bokeh's property-validation switch (``bokeh.core.property.validation
    .validate``) act on the calling thread only (idempotent). Bokeh converts a value
    such as a figure's ``title="…"`` into its model only while validation is on."""
    from bokeh.core.property import bases, validation

    if isinstance(bases.Property._should_validate, _ThreadValidation):
        return
    # Bokeh reads the switch only through ``bool(...)`` and sets it only through ``validate``
    bases.Property._should_validate = _ThreadValidation()  # type: ignore[assignment]
    validation.validate.__init__ = _validate_init  # type: ignore[method-assign]
    validation.validate.__exit__ = _validate_exit  # type: ignore[method-assign]


async def render_off_loop(pane: pn.pane.HoloViews) -> None:
    """Build ``pane``'s Bokeh figure from its HoloViews element in a worker thread; the
    pane then holds the plot. Only inside a server session; on any failure the element
    stays and Panel renders it on the loop as before."""
    doc = pn.state.curdoc
    if doc is None or doc.session_context is None:
        return
    per_thread_bokeh_validation()
    element = pane.object
    async with render_slot():
        task = asyncio.ensure_future(asyncio.to_thread(_render_apart, pane))
        try:
            plot = await asyncio.shield(task)
        except asyncio.CancelledError:  # a newer change: the thread still runs to its end,
            await asyncio.wait({task})  # and holds the slot until then
            raise
        except Exception as exc:  # noqa: BLE001 - the loop renders it instead, as before
            log.warning("off-loop render failed (%s: %s); Panel renders it on the loop",
                        type(exc).__name__, exc, exc_info=log.isEnabledFor(logging.DEBUG))
            return
    plot.document = doc  # the plot's server callbacks (zoom, hover) run in the session
    plot.portal_element = element
    pane.object = plot


def discard(pane: Any) -> None:
    """Release the plot :func:`render_off_loop` built for ``pane`` when it will never be
    shown (a newer change superseded it): in no document, no session's end cleans it up,
    and HoloViews' class-level registry of server callbacks (``Callback._callbacks``) and
    its streams' subscribers kept it."""
    from holoviews.plotting.plot import Plot

    plot = getattr(pane, "object", None)
    if isinstance(plot, Plot):
        plot.cleanup()


def _render_apart(pane: pn.pane.HoloViews) -> Any:
    """The pane's HoloViews plot, built against a scratch document (the thread touches
    nothing of the live session; Panel's lock helpers see no session to lock)."""
    from bokeh.document import Document
    from panel.io.state import set_curdoc

    scratch = Document()
    with set_curdoc(scratch):
        return pane._render(scratch, None, None)


_RENDER_SLOTS: dict[int, asyncio.Semaphore] = {}  # one per event loop (per process)


def render_slot() -> asyncio.Semaphore:
    """One off-loop render at a time: HoloViews' plotting keeps process-wide state
    (renderer, pipeline switch) that concurrent renders would share."""
    loop = asyncio.get_running_loop()
    return _RENDER_SLOTS.setdefault(id(loop), asyncio.Semaphore(1))


def drawn_element(pane: Any) -> Any:
    """The HoloViews element a plot pane shows (it may hold the plot built from it)."""
    obj = getattr(pane, "object", None)
    return getattr(obj, "portal_element", obj)
