"""The dataset browser: text search, facets, and a list of datasets to choose from.

Each result shows the (escaped) title as a button, with institution, data type
and time coverage beneath; choosing one sets ``state.dataset``. Facet choices
come from the catalog's own metadata.
"""

from __future__ import annotations

import html

import panel as pn
import param

from portal.catalog.search import FACETS, facet_counts, search
from portal.ui.i18n import t
from portal.ui.state import ViewState

STYLESHEET = "/assets/portal.css"

MAX_SHOWN = 40
# Long titles wrap inside the sidebar instead of running past its edge (Bokeh buttons
# keep their label on one line by default).
BUTTON_CSS = (".bk-btn { white-space: normal; overflow-wrap: anywhere; text-align: left; "
              "height: auto; line-height: 1.25; padding: 6px 10px; }")
_FACET_LABEL = {"feature_type": "feature_type", "platform": "platform", "eov": "eov",
                "institution": "institution"}


def _subtitle(entry) -> str:
    bits = [entry.institution, entry.feature_type]
    if entry.time_coverage:
        bits.append(f"{entry.time_coverage[0][:10]} → {entry.time_coverage[1][:10]}")
    return " · ".join(html.escape(b) for b in bits if b)


class DatasetList(pn.viewable.Viewer):
    """Search box, facet filters and the matching datasets."""

    state = param.ClassSelector(class_=ViewState)
    entries = param.List(default=[], doc="all DatasetEntry records of the catalog")

    def __init__(self, **params):
        super().__init__(**params)
        lang = self.state.lang
        self._search = pn.widgets.TextInput(name=t("search", lang), value=self.state.q,
                                            placeholder=t("search_placeholder", lang),
                                            sizing_mode="stretch_width")
        self._facets = {
            f: pn.widgets.MultiChoice(
                name=t(_FACET_LABEL[f], lang),
                options=[v for v, _ in facet_counts(self.entries, f)],
                sizing_mode="stretch_width", visible=bool(facet_counts(self.entries, f)))
            for f in FACETS
        }
        self._search.param.watch(self._on_search, "value_input")
        self._results = pn.Column(sizing_mode="stretch_width", css_classes=["portal-results"])
        for widget in self._facets.values():
            widget.param.watch(lambda *_: self._refresh(), "value")
        self.state.param.watch(self._on_lang, "lang")
        self._refresh()

    def _on_search(self, event) -> None:
        self.state.q = event.new or ""
        self._refresh()

    def _on_lang(self, event) -> None:
        self._search.name = t("search", event.new)
        self._search.placeholder = t("search_placeholder", event.new)
        for facet, widget in self._facets.items():
            widget.name = t(_FACET_LABEL[facet], event.new)
        self._refresh()

    def _choose(self, dataset_id: str) -> None:
        self.state.param.update(dataset=dataset_id, var="", kind="", time="", depth="",
                                bbox="", extent="")
        self._refresh()

    def _item(self, entry) -> pn.Column:
        active = entry.id == self.state.dataset
        button = pn.widgets.Button(name=entry.title or entry.id, sizing_mode="stretch_width",
                                   button_type="primary" if active else "light",
                                   css_classes=["portal-dataset-button"],
                                   stylesheets=[BUTTON_CSS])
        button.on_click(lambda _e, i=entry.id: self._choose(i))
        sub = pn.pane.HTML(f"<div class='portal-sub'>{_subtitle(entry)}</div>",
                           sizing_mode="stretch_width", margin=(0, 10, 8, 10),
                           stylesheets=[STYLESHEET])
        return pn.Column(button, sub, sizing_mode="stretch_width", margin=0)

    def _refresh(self) -> None:
        chosen = {f: w.value for f, w in self._facets.items()}
        found = search(self.entries, self.state.q, chosen)
        lang = self.state.lang
        items = [pn.pane.HTML(f"<b>{t('datasets_found', lang, n=len(found))}</b>",
                              margin=(4, 10))]
        items += [self._item(e) for e in found[:MAX_SHOWN]]
        if len(found) > MAX_SHOWN:
            items.append(pn.pane.HTML(t("more_results", lang, n=len(found) - MAX_SHOWN)))
        self._results.objects = items

    def __panel__(self):
        return pn.Column(self._search, *self._facets.values(), self._results,
                         sizing_mode="stretch_width")
