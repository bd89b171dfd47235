"""The page's colocation section: "Compare with observations" under a gridded dataset's
quicklook, "Compare with a grid" under an in-situ one's (profiles, mooring, glider, point store).

A selector lists the catalog's datasets of the other side whose box and time coverage meet
the page's dataset (:func:`portal.colocation.overlapping` for a grid,
:func:`portal.colocation.overlapping_grids` for observations), with the sampling method
(nearest or linear); choosing one draws :func:`portal.quicklooks.colocate.build` for the
page's current selection (time, bbox, depth, QC; its variable is the page dataset's) and
links the same view as PNG (``/quicklook/colocate.png``) and the pairs as CSV
(``/api/colocate``). Strings in EN/FR.
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
from portal.ui.render_thread import render_off_loop

log = logging.getLogger(__name__)


class ColocatePane:
    """Selector and result of the colocation of the page's ``entry`` (a grid, or in-situ
    observations) with a dataset of the other side."""

    def __init__(self, state, entry: DatasetEntry, entries: list[DatasetEntry]) -> None:
        from portal.colocation import overlapping, overlapping_grids

        self.state, self.entry = state, entry
        self.from_grid = entry.feature_type == "grid"
        self.candidates = (overlapping(entry, entries) if self.from_grid
                           else overlapping_grids(entry, entries))
        lang = state.lang
        self.other = pn.widgets.Select(
            label=t("coloc_with" if self.from_grid else "coloc_with_grid", lang), width=420,
            css_classes=["portal-coloc-obs" if self.from_grid else "portal-coloc-grid"],
            options={"—": "", **{f"{e.title or e.id} ({e.id})": e.id for e in self.candidates}})
        self.method = pn.widgets.RadioButtonGroup(
            options={t("coloc_nearest", lang): "nearest", t("coloc_linear", lang): "linear"},
            value="nearest", css_classes=["portal-coloc-method"], color="primary",
            variant="outline")
        self.result = pn.Column(sizing_mode="stretch_width", css_classes=["portal-coloc-result"])
        self._generation = 0  # counts draws: only the newest choice's result is shown
        self.other.param.watch(self._draw, "value")
        self.method.param.watch(self._draw, "value")

    def _pair(self) -> tuple[DatasetEntry, DatasetEntry]:
        """(grid, observations): the page's dataset and the chosen one, in that order."""
        chosen = next(e for e in self.candidates if e.id == self.other.value)
        return (self.entry, chosen) if self.from_grid else (chosen, self.entry)

    def _params(self) -> str:
        grid, obs = self._pair()
        params = {"grid": grid.id, "obs": obs.id, "method": self.method.value,
                  **self.state.query().selection.to_params()}
        var = params.pop("var", None)
        if var:  # the page's variable is its own dataset's
            params["var_grid" if self.from_grid else "var_obs"] = var
        return urllib.parse.urlencode(params)

    async def _draw(self, _event=None) -> None:
        from portal.quicklooks import Style

        self._generation += 1
        generation = self._generation
        if not self.other.value:
            self.result.objects = []
            return
        self.result.loading = True
        try:
            grid, obs = self._pair()
            query = self.state.query().selection
            var_grid, var_obs = ((query.variable, None) if self.from_grid
                                 else (None, query.variable))
            style = Style(width=880, height=420, lang=self.state.lang)
            element = await asyncio.to_thread(_colocated, grid, obs, query, var_grid, var_obs,
                                              self.method.value, style)
            plot = pn.pane.HoloViews(element, backend="bokeh", sizing_mode="stretch_width",
                                     min_height=300, css_classes=["portal-coloc-plot"],
                                     linked_axes=False)
            await render_off_loop(plot)  # the figure too is built off the event loop
            if generation != self._generation:
                return  # a newer choice is being drawn
            self.result.objects = [self._links(), plot]
        except Exception as exc:  # noqa: BLE001 - shown in the page, which lives on
            if not isinstance(exc, PortalError):
                log.exception("%s: colocation failed", self.entry.id)
            if generation == self._generation:
                self.result.objects = [error_alert(exc, self.state.lang)]
        finally:
            if generation == self._generation:
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
        title = t("coloc_title" if self.from_grid else "coloc_title_grid", lang)
        return pn.Column(pn.pane.Markdown(f"### {title}", margin=(10, 10, 0, 10)),
                         pn.Row(self.other, self.method, align="end"), self.result,
                         sizing_mode="stretch_width", css_classes=["portal-coloc"])


def _colocated(grid: DatasetEntry, obs: DatasetEntry, query, var_grid, var_obs,
               method: str, style) -> Any:
    """The colocation's element: pairs (:func:`portal.colocation.colocate_entries`) and
    figure (:func:`portal.quicklooks.colocate.build`), in a worker thread."""
    from portal.colocation import colocate_entries
    from portal.quicklooks.colocate import build

    result = colocate_entries(grid, obs, query, var_grid, var_obs, method)
    return build(result, grid.id, obs.id, style)


def has_colocation(entry: DatasetEntry | None) -> bool:
    """Whether the page of ``entry`` may show a colocation section (a grid, or in-situ)."""
    from portal.colocation import is_in_situ

    return entry is not None and (entry.feature_type == "grid" or is_in_situ(entry))


def colocate_section(state, entry: DatasetEntry | None, entries: list[DatasetEntry]) -> Any:
    """The section for a grid with overlapping in-situ datasets, or for in-situ observations
    with overlapping grids; else None."""
    if entry is None or not has_colocation(entry):
        return None
    return ColocatePane(state, entry, entries).panel()
