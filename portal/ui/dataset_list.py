"""The dataset browser: text search, facets, and a list of datasets to choose from.

Each result shows its title as a button, with institution, data type and time
coverage beneath, and a PNG thumbnail from the quicklook endpoint (``<img
loading="lazy">``: rendered on demand and kept by the PNG cache, never blocking the list);
choosing one sets ``state.dataset``. The Filters panel also takes a W,S,E,N box
(``state.where``, URL key ``where``) that keeps datasets overlapping it. The search box and the facets
query the catalog's shared :class:`~portal.catalog.search.SearchIndex` (built once per
catalog version); each facet option shows how many datasets it would give. The results are one :class:`DatasetItems` component (a
small JavaScript module drawing every item, text set with ``textContent`` so
metadata never becomes HTML): a Panel button and pane per dataset cost ~30 ms of
server time each, i.e. over a second for a 40-item page.
"""

from __future__ import annotations

from typing import Any

import panel as pn
import param
from panel.custom import JSComponent

from portal.catalog.search import FACETS, SearchIndex, SearchRequest
from portal.errors import BadParameter
from portal.query import BBox
from portal.settings import current
from portal.ui.i18n import t
from portal.ui.state import ViewState, required

STYLESHEET = "/assets/portal.css"

MAX_SHOWN = 40
THUMBNAIL = "width=240&height=160"  # as portal.server.api.THUMBNAIL (ui sits below server)
ITEMS_CSS = """
:host { display: block; width: 100%; }
.portal-dataset-button { margin: 0 0 8px 0; }
.portal-dataset-button button {
  display: block; width: 100%; text-align: left; white-space: normal; overflow-wrap: anywhere;
  font: inherit; font-size: 0.95rem; line-height: 1.25; padding: 6px 10px; cursor: pointer;
  color: #0b3d6b; background: #f4f7fa; border: 1px solid #d5dde5; border-radius: 4px;
}
.portal-dataset-button button:hover { background: #e6eef6; border-color: #0b5394; }
.portal-dataset-button.active button:not(.portal-add) { color: #fff; background: #0b5394;
  border-color: #0b5394; }
.portal-dataset-button { display: flex; gap: 6px; align-items: flex-start; }
.portal-text { flex: 1 1 auto; min-width: 0; }
.portal-thumb { flex: 0 0 96px; width: 96px; height: 64px; object-fit: cover;
  border: 1px solid #d5dde5; border-radius: 3px; background: #eef2f5; cursor: pointer; }
.portal-sub { font-size: .8rem; color: #5b6770; line-height: 1.2; margin: 3px 10px 0 10px; }
.portal-dataset-button button.portal-add { display: inline-block; width: auto; margin: 4px 10px 0;
  padding: 1px 8px; font-size: .78rem; color: #0b3d6b; background: #fff; }
"""
_FACET_LABEL = {name: name for name in FACETS}  # i18n keys


def _subtitle(entry) -> str:
    """Institution · data type · time coverage, as plain text (drawn with textContent)."""
    bits = [entry.institution, entry.feature_type]
    if entry.time_coverage:
        bits.append(f"{entry.time_coverage[0][:10]} → {entry.time_coverage[1][:10]}")
    return " · ".join(b for b in bits if b)


def _thumbnail(entry) -> str:
    """The entry's thumbnail PNG URL (public URL and prefix), '' when it has no quicklook:
    the same URL as the API's ``links.thumbnail``, so both share the PNG cache."""
    import urllib.parse

    from portal.quicklooks import entry_kinds

    kinds = entry_kinds(entry)
    if not kinds:
        return ""
    ident = urllib.parse.quote(entry.id, safe="")
    return current().link(f"/thumbnail/{ident}.png?{THUMBNAIL}")


def facet_options(values, counts: dict[str, int] | None = None) -> dict[str, str]:
    """MultiChoice options {label: value} with HTML-escaped labels: Choices.js draws
    labels as HTML, and facet values are catalog metadata (``<img onerror=…>`` would
    run). The widget's value stays the raw metadata value. With ``counts``, each label
    ends with the value's count, ``" (3)"``."""
    import html

    def label(value: str) -> str:
        text = html.escape(value, quote=False)
        return text if counts is None else f"{text} ({counts.get(value, 0)})"

    return {label(v): v for v in values}


class DatasetItems(JSComponent):
    """The result list as one model: ``items`` in, the chosen id out (``selected``)."""

    items = param.List(default=[], doc="[{'id', 'title', 'sub', 'thumb'}] in display order")
    selected = param.String(default="", doc="id of the chosen dataset")
    added = param.String(default="", doc="id whose 'Add to view' was clicked (then reset)")
    add_label = param.String(default="Add to view", doc="the add button's text")

    _stylesheets = [ITEMS_CSS]
    _esm = """
    export function render({ model, el }) {
      const draw = () => {
        el.replaceChildren();
        for (const item of model.items) {
          const row = document.createElement('div');
          row.className = 'portal-dataset-button' + (item.id === model.selected ? ' active' : '');
          const button = document.createElement('button');
          button.type = 'button';
          button.textContent = item.title;
          button.addEventListener('click', () => { model.selected = item.id; });
          const sub = document.createElement('div');
          sub.className = 'portal-sub';
          sub.textContent = item.sub;
          const text = document.createElement('div');
          text.className = 'portal-text';
          const add = document.createElement('button');
          add.type = 'button';
          add.className = 'portal-add';
          add.textContent = '+ ' + model.add_label;
          add.title = model.add_label;
          add.addEventListener('click', () => { model.added = item.id; });
          text.append(button, sub, add);
          row.append(text);
          if (item.thumb) {  // lazy: the list never waits for a quicklook
            const img = document.createElement('img');
            img.className = 'portal-thumb';
            img.loading = 'lazy';
            img.decoding = 'async';
            img.alt = '';
            img.width = 96; img.height = 64;
            img.src = item.thumb;
            img.addEventListener('error', () => img.remove());
            img.addEventListener('click', () => { model.selected = item.id; });
            row.append(img);
          }
          el.append(row);
        }
      };
      draw();
      model.on(['items', 'selected', 'add_label'], draw);
    }
    """


class DatasetList(pn.viewable.Viewer):
    """Search box, facet filters and the matching datasets."""

    state = required(ViewState)
    entries = param.List(default=[], doc="all DatasetEntry records of the catalog")
    index = param.ClassSelector(class_=SearchIndex, default=None, allow_None=True,
                                doc="the catalog's shared search index (else built here)")
    found = param.List(default=[], doc="ids matching the search and facets, in list order")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._index: SearchIndex = self.index or SearchIndex(self.entries)
        self._counts: dict[str, dict[str, int]] = {}
        lang = self.state.lang
        self._search = pn.widgets.TextInput(label=t("search", lang), value=self.state.q,
                                            placeholder=t("search_placeholder", lang),
                                            sizing_mode="stretch_width")
        self._facets: dict = {}  # built on first opening of the filters (see _on_filters)
        self._filters = pn.widgets.Toggle(label=t("filters", lang), value=False,
                                          color="primary", variant="outline",
                                          sizing_mode="stretch_width",
                                          css_classes=["portal-filters"],
                                          stylesheets=[".bk-btn { white-space: normal; }"])
        self._filters.param.watch(self._on_filters, "value")
        self._where = pn.widgets.TextInput(
            label=t("search_box", lang), placeholder="W,S,E,N  (-10,40,5,52)",
            value=self.state.where.to_text() if self.state.where else "",
            sizing_mode="stretch_width", css_classes=["portal-where"])
        self._where.param.watch(self._on_where, "value")
        self.state.param.watch(self._show_where, "where")
        self._facet_box = pn.Column(self._where, sizing_mode="stretch_width", visible=False, margin=0)
        self._search.param.watch(self._on_search, "value_input")
        self._count = pn.pane.HTML(margin=(4, 10), sizing_mode="stretch_width")
        self._items = DatasetItems(selected=self.state.dataset, sizing_mode="stretch_width",
                                   margin=(0, 10))
        self._items.param.watch(lambda e: self._choose(e.new), "selected")
        self._items.add_label = t("add_to_view", lang)
        self._items.param.watch(self._on_added, "added")
        self.state.param.watch(lambda e: setattr(self._items, "selected", e.new), "dataset")
        self._results = pn.Column(self._count, self._items, sizing_mode="stretch_width",
                                  css_classes=["portal-results"])
        self.state.param.watch(self._on_lang, "lang")
        self._refresh()

    def _make_facets(self) -> dict:
        lang = self.state.lang
        facets = {}
        for facet in FACETS:
            counts = self._counts.get(facet) or {}
            if not counts:
                continue
            widget = pn.widgets.MultiChoice(label=t(_FACET_LABEL[facet], lang),
                                            options=facet_options(counts, counts),
                                            sizing_mode="stretch_width")
            widget.param.watch(lambda *_: self._refresh(), "value")
            facets[facet] = widget
        return facets

    def _on_filters(self, event) -> None:
        """Facets are built when first shown: four choice widgets cost the first paint
        ~0.3 s in the browser, and most visits start from the search box or the map."""
        if event.new and not self._facets:
            self._facets = self._make_facets()
            self._facet_box.objects = [self._where, *self._facets.values()]
        self._facet_box.visible = bool(event.new)

    def _on_where(self, event) -> None:
        """A typed W,S,E,N box filters the search (cleared: no box); a malformed one is
        left out and said so in the field's tooltip."""

        text = (event.new or "").strip()
        try:
            self.state.where = BBox.parse(text) if text else None
            self._where.description = None
        except BadParameter as exc:
            self._where.description = str(exc)

    def _show_where(self, event) -> None:
        """A box drawn on the landing map shows in the typed field, and filters the list."""
        text = event.new.to_text() if event.new else ""
        if (self._where.value or "").strip() != text:
            self._where.value = text
        self._refresh()

    def _on_search(self, event) -> None:
        self.state.q = event.new or ""
        self._refresh()

    def _on_lang(self, event) -> None:
        self._search.name = t("search", event.new)
        self._search.placeholder = t("search_placeholder", event.new)
        self._filters.name = t("filters", event.new)
        for facet, widget in self._facets.items():
            widget.name = t(_FACET_LABEL[facet], event.new)
        self._where.label = t("search_box", event.new)
        self._items.add_label = t("add_to_view", event.new)
        self._refresh()

    def _on_added(self, event) -> None:
        """'Add to view': the dataset joins the combined view (``datasets=`` in the URL)."""
        if event.new:
            self.state.add_to_view(event.new)
            self._items.added = ""

    def _choose(self, dataset_id: str) -> None:
        if dataset_id == self.state.dataset:
            return
        self.state.param.update(dataset=dataset_id, var="", kind="", time=None, at="", depth=None,
                                bbox=None, extent=None, view="")

    def _update_options(self) -> None:
        """Facet options with their counts for the current search (chosen values kept)."""
        for facet, widget in self._facets.items():
            counts = self._counts.get(facet, {})
            values = list(counts) + [v for v in widget.value if v not in counts]
            options = facet_options(values, counts)
            if options != widget.options:
                widget.options = options

    def _refresh(self) -> None:
        chosen = {f: w.value for f, w in self._facets.items()}
        result = self._index.search(SearchRequest.of(self.state.q, bbox=self.state.where,
                                                     facets=chosen))
        self._counts = result.facets
        self._update_options()
        found = result.entries
        lang = self.state.lang
        more = len(found) - MAX_SHOWN
        text = f"<b>{t('datasets_found', lang, n=len(found))}</b>"
        if more > 0:
            text += f"<br><span class='portal-sub'>{t('more_results', lang, n=more)}</span>"
        self._count.object = text
        self.found = [e.id for e in found]
        self._items.items = [{"id": e.id, "title": e.title or e.id, "sub": _subtitle(e),
                              "thumb": _thumbnail(e)} for e in found[:MAX_SHOWN]]

    def __panel__(self):
        return pn.Column(self._search, self._filters, self._facet_box, self._results,
                         sizing_mode="stretch_width")
