"""The page's combined view: several datasets on one map, time-series or profile axis.

Shown when the URL holds ``datasets=ID1,ID2`` (the list's "Add to view" buttons fill it):
one chip per dataset with a remove button, the kind switch, and the plot built by
:func:`portal.pipeline.build_overlay` — the same builder as the PNG route
``/quicklook/overlay/KIND.png`` and the embed. The shared time/depth/bbox selection is
the :class:`~portal.ui.state.ViewState`'s, so the URL restores the same view. A dataset
that fails says why in its legend entry; if all fail, one alert says why.
"""

from __future__ import annotations

import asyncio
import functools
import html
import logging
from typing import Any

import panel as pn
import param

from portal.catalog.loader import Catalog
from portal.errors import PortalError
from portal.ui.alert import error_alert
from portal.ui.i18n import t
from portal.ui.render_thread import discard, render_off_loop
from portal.ui.state import ViewState, required

log = logging.getLogger(__name__)

KINDS = ("map", "timeseries", "profile")
CHIP_CSS = [".bk-btn { border-radius: 14px; font-size: .85rem; }"]


class CombinedView(pn.viewable.Viewer):
    """Chips, kind switch and the combined plot of ``state.datasets``."""

    state = required(ViewState)
    catalog = required(Catalog)
    plot_height = param.Integer(default=520)
    plot_width = param.Integer(default=900)
    show_controls = param.Boolean(default=True)

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        lang = self.state.lang
        kind = self.state.kind if self.state.kind in KINDS else "map"
        self._kind = pn.widgets.RadioButtonGroup(
            options={t(k, lang): k for k in KINDS}, value=kind, color="primary",
            variant="outline", css_classes=["portal-combined-kind"])
        self._kind.param.watch(lambda e: setattr(self.state, "kind", e.new), "value")
        self._head = pn.pane.HTML(sizing_mode="stretch_width", css_classes=["portal-combined"])
        self._chips = pn.FlexBox(sizing_mode="stretch_width", css_classes=["portal-chips"])
        self._plot = pn.Column(sizing_mode="stretch_width",
                               css_classes=["portal-plot", "portal-combined-plot"])
        self._cite = pn.pane.HTML(sizing_mode="stretch_width")
        self._generation = 0  # counts refreshes: only the newest one's plot is shown
        self.state.param.watch(lambda *_: self.refresh(), ["datasets", "kind", "time", "depth",
                                                            "bbox", "qc", "var", "lang"])
        self.refresh()

    def _chip(self, entry) -> pn.widgets.Button:
        lang = self.state.lang
        title = entry.title or entry.id
        button = pn.widgets.Button(label="✕ " + (title if len(title) <= 48 else title[:47] + "…"),
                                   description=t("remove_from_view", lang,
                                                 title=entry.title or entry.id),
                                   color="light", stylesheets=CHIP_CSS,
                                   css_classes=["portal-chip", f"portal-chip-{entry.id}"])
        dataset_id = str(entry.id)

        def remove(_event: Any) -> None:
            self.state.remove_from_view(dataset_id)

        button.on_click(remove)
        return button

    def refresh(self) -> None:
        """Rebuild chips and plot from the state (called on every change it watches)."""
        lang = self.state.lang
        ids = self.state.combined_ids()
        entries = [self.catalog.entries[i] for i in ids if i in self.catalog.entries]
        self._head.object = (f"<h3>{html.escape(t('combined_view', lang, n=len(entries)))}"
                             f"</h3><p class='portal-sub'>{html.escape(t('combined_hint', lang))}"
                             "</p>")
        self._chips.objects = [self._chip(e) for e in entries]
        self._cite.object = self._citations(entries)
        kind = self.state.kind if self.state.kind in KINDS else "map"
        args = (entries, kind, self.state.query(), self.state.style(self.plot_width,
                                                                    self.plot_height))
        self._generation += 1
        doc = pn.state.curdoc
        if doc is None or doc.session_context is None:  # no server: drawn here and now
            self._plot.objects = [self._pane(_build(*args))]
            return
        self._plot.loading = True
        # a session's first draw waits for its page to be served (drawn before, its swap
        # could be lost: the figure never reached the browser, one run in two)
        pn.state.onload(functools.partial(self._draw, args, self._generation, doc))

    async def _draw(self, args: tuple, generation: int, doc: Any) -> None:
        """Load the data and build the plot in worker threads (the event loop serves the
        other sessions meanwhile); swapped in under the document's lock unless a newer
        refresh started since."""
        element = await asyncio.to_thread(_build, *args)
        pane = self._pane(element)
        if isinstance(pane, pn.pane.HoloViews):
            await render_off_loop(pane)

        def swap() -> None:
            if generation == self._generation:
                self._plot.objects = [pane]
                self._plot.loading = False
            else:  # a newer refresh is drawing: this plot is never shown
                discard(pane)

        doc.add_next_tick_callback(swap)

    def _pane(self, element: Any):
        if isinstance(element, Exception):
            return error_alert(element, self.state.lang)
        return pn.pane.HoloViews(element, sizing_mode="stretch_width",
                                 min_height=self.plot_height, backend="bokeh")

    def _citations(self, entries: list) -> str:
        from portal.overlay import citation_text

        lang = self.state.lang
        items = "".join(f"<li>{html.escape(citation_text(e, lang) or e.title or e.id)}</li>"
                        for e in entries)
        return (f"<details><summary>{html.escape(t('layer_citations', self.state.lang))}"
                f"</summary><ul>{items}</ul></details>") if items else ""

    def __panel__(self):
        if not self.show_controls:
            return self._plot
        return pn.Column(self._head, self._chips, self._kind, self._plot, self._cite,
                         sizing_mode="stretch_width")


def _build(entries: list, kind: str, query, style) -> Any:
    """The combined element (:func:`portal.pipeline.build_overlay`), or the error that
    stopped it (shown as an alert)."""
    from portal.pipeline import build_overlay

    try:
        return build_overlay(entries, kind, query, style)
    except PortalError as exc:
        return exc
    except Exception as exc:  # noqa: BLE001 - shown in the page, which lives on
        log.exception("combined view of %s failed", ", ".join(e.id for e in entries))
        return exc
