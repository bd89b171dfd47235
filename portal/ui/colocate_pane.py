"""The page's "Compare with observations" section, under a gridded dataset's quicklook.

A selector lists the catalog's in-situ datasets whose box and time coverage meet the grid's
(:func:`portal.colocation.overlapping`), with the sampling method (nearest or linear);
choosing one draws :func:`portal.quicklooks.colocate.build` for the page's current
selection (time, bbox, depth, QC) and links the same view as PNG
(``/quicklook/colocate.png``) and the pairs as CSV (``/api/colocate``). Strings in EN/FR.
"""

from __future__ import annotations

import asyncio
import html
import logging
import urllib.parse
from typing import Any

import panel as pn

from portal.errors import PortalError
from portal.model import DatasetEntry
from portal.ui.alert import error_alert
from portal.ui.i18n import t

log = logging.getLogger(__name__)


class ColocatePane:
    """Selector and result of the colocation of ``grid`` with an in-situ dataset."""

    def __init__(self, state, grid: DatasetEntry, entries: list[DatasetEntry]) -> None:
        from portal.colocation import overlapping

        self.state, self.grid = state, grid
        self.candidates = overlapping(grid, entries)
        lang = state.lang
        self.obs = pn.widgets.Select(
            name=t("coloc_with", lang), width=420, css_classes=["portal-coloc-obs"],
            options={"—": "", **{f"{e.title or e.id} ({e.id})": e.id for e in self.candidates}})
        self.method = pn.widgets.RadioButtonGroup(
            options={t("coloc_nearest", lang): "nearest", t("coloc_linear", lang): "linear"},
            value="nearest", css_classes=["portal-coloc-method"], button_type="primary",
            button_style="outline")
        self.result = pn.Column(sizing_mode="stretch_width", css_classes=["portal-coloc-result"])
        self.obs.param.watch(self._draw, "value")
        self.method.param.watch(self._draw, "value")

    def _params(self) -> str:
        params = {"grid": self.grid.id, "obs": self.obs.value, "method": self.method.value,
                  **self.state.query().selection.to_params()}
        var = params.pop("var", None)
        if var:
            params["var_grid"] = var
        return urllib.parse.urlencode(params)

    async def _draw(self, _event=None) -> None:
        from portal.colocation import colocate_entries
        from portal.quicklooks import Style
        from portal.quicklooks.colocate import build

        if not self.obs.value:
            self.result.objects = []
            return
        self.result.loading = True
        try:
            obs = next(e for e in self.candidates if e.id == self.obs.value)
            query = self.state.query().selection
            result = await asyncio.to_thread(colocate_entries, self.grid, obs, query,
                                             query.variable, None, self.method.value)
            element = build(result, self.grid.id, obs.id, Style(width=880, height=420))
            self.result.objects = [self._links(), pn.pane.HoloViews(
                element, backend="bokeh", sizing_mode="stretch_width", min_height=300,
                css_classes=["portal-coloc-plot"], linked_axes=False)]
        except Exception as exc:  # noqa: BLE001 - shown in the page, which lives on
            if not isinstance(exc, PortalError):
                log.exception("%s: colocation failed", self.grid.id)
            self.result.objects = [error_alert(exc, self.state.lang)]
        finally:
            self.result.loading = False

    def _links(self):
        from portal.settings import current

        link, qs = current().link, self._params()
        png, csv = link(f"/quicklook/colocate.png?{qs}"), link(f"/api/colocate?{qs}")
        return pn.pane.HTML(
            f"<a class='portal-link' href='{html.escape(png)}' target='_blank'>PNG</a> · "
            f"<a class='portal-link portal-coloc-csv' href='{html.escape(csv)}'>CSV "
            f"({t('coloc_pairs', self.state.lang)})</a>", margin=(0, 8))

    def panel(self) -> Any:
        lang = self.state.lang
        if not self.candidates:
            return None
        return pn.Column(pn.pane.Markdown(f"### {t('coloc_title', lang)}", margin=(10, 10, 0, 10)),
                         pn.Row(self.obs, self.method, align="end"), self.result,
                         sizing_mode="stretch_width", css_classes=["portal-coloc"])


def colocate_section(state, entry: DatasetEntry | None, entries: list[DatasetEntry]) -> Any:
    """The section for a grid entry with overlapping in-situ datasets, else None."""
    if entry is None or entry.feature_type != "grid":
        return None
    return ColocatePane(state, entry, entries).panel()
