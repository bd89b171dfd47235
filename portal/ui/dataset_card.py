"""The dataset card: what a dataset is, who made it, how to cite it, where it lies.

Every text that comes from metadata is escaped before it reaches HTML (a title
holding ``<script>`` shows as text). The DOI becomes a link only when it looks
like a DOI; the citation (:mod:`portal.catalog.citation`) shows as text and BibTeX; the extent is a small inline SVG map over the offline land layer. The
page shows the card's header (title, who, when) above the plot and its details below.
"""

from __future__ import annotations

import html
import urllib.parse
from typing import Any

import panel as pn
import param

from portal.catalog.citation import citation_of, normalise_doi
from portal.model import DatasetEntry
from portal.quicklooks.extent import extent_svg
from portal.settings import asset_url
from portal.ui.i18n import t

STYLESHEET = "/assets/portal.css"



def doi_link(doi: str) -> str:
    """An escaped <a> to doi.org for a valid DOI, else the escaped text."""
    found = normalise_doi(doi)
    if not found:
        return html.escape(doi)
    target = html.escape(f"https://doi.org/{found}", quote=True)
    return f"<a href='{target}' target='_blank' rel='noopener'>{html.escape(found)}</a>"


def citation(entry: DatasetEntry, lang: str = "en") -> str:
    """The recommended citation (plain text) built from the ACDD metadata."""
    return citation_of(entry).text(lang)


def citation_html(entry: DatasetEntry, lang: str) -> str:
    """The citation panel: text and BibTeX (escaped, in ``<pre>`` to copy) and links to
    both forms from the citation API."""
    esc = html.escape
    cite = citation_of(entry)
    ident = urllib.parse.quote(entry.id, safe="")
    api = f"api/datasets/{ident}/citation?lang={lang}"
    links = " · ".join(
        f"<a href='{esc(f'{api}&format={form}', quote=True)}' target='_blank' "
        f"rel='noopener'>{label}</a>" for form, label in (("text", t("cite_text", lang)),
                                                           ("bibtex", "BibTeX")))
    return (f"<p class='portal-citation'>{esc(cite.text(lang))}</p>"
            f"<pre class='portal-bibtex'>{esc(cite.bibtex(lang))}</pre>"
            f"<p class='portal-cite-links'>{links}</p>")


def header_html(entry: DatasetEntry, lang: str) -> str:
    """Title and one line of who/what/when, above the plot; every value escaped."""
    esc = html.escape
    bits = [entry.institution, entry.platform or entry.feature_type]
    if entry.time_coverage:
        bits.append(f"{entry.time_coverage[0][:10]} → {entry.time_coverage[1][:10]}")
    line = " · ".join(esc(b) for b in bits if b)
    return (f"<div class='portal-card'><h2 class='portal-card-title'>{esc(entry.title or entry.id)}"
            f"</h2><div class='portal-card-line'>{line}</div></div>")


def card_html(entry: DatasetEntry, lang: str) -> str:
    """The card's details (summary, metadata, citation), every metadata value escaped."""
    esc = html.escape
    rows = []
    if entry.institution:
        rows.append((t("institution", lang), esc(entry.institution)))
    if entry.platform:
        rows.append((t("platform", lang), esc(entry.platform)))
    rows.append((t("feature_type", lang), esc(entry.feature_type)))
    if entry.time_coverage:
        rows.append((t("time_coverage", lang),
                     f"{esc(entry.time_coverage[0])} → {esc(entry.time_coverage[1])}"))
    if entry.vertical_coverage:
        lo, hi = entry.vertical_coverage
        rows.append((t("vertical_coverage", lang), f"{lo:g} – {hi:g}" if hi != lo else f"{lo:g}"))
    if entry.license:  # licences can run to a paragraph: scroll it
        rows.append((t("license", lang), f"<div class='portal-long'>{esc(entry.license)}</div>"))
    if entry.doi:
        rows.append((t("doi", lang), doi_link(entry.doi)))
    table = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    summary = esc(entry.summary or "")
    mini = extent_svg(tuple(entry.bbox)) if entry.bbox else ""
    return (
        f"<div class='portal-details'><div class='portal-details-text'>"
        f"<h3 class='portal-about'>{t('about', lang)}</h3>"
        f"<p class='portal-summary'>{summary}</p><table class='portal-meta'>{table}</table>"
        f"<details><summary>{t('citation', lang)}</summary>{citation_html(entry, lang)}"
        f"</details></div>{mini}</div>"
    )


class DatasetCard(pn.viewable.Viewer):
    """Metadata of the chosen dataset: a compact header above the plot, details below it."""

    entry = param.ClassSelector(class_=DatasetEntry, allow_None=True)
    lang = param.String(default="en")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.header = pn.panel(self._header, sizing_mode="stretch_width")
        self.details = pn.panel(self._details, sizing_mode="stretch_width")

    @param.depends("entry", "lang")
    def _header(self):
        if self.entry is None:
            return pn.pane.HTML(f"<p class='portal-hint'>{t('no_dataset', self.lang)}</p>",
                                stylesheets=[asset_url(STYLESHEET)])
        return pn.pane.HTML(header_html(self.entry, self.lang), sizing_mode="stretch_width",
                            stylesheets=[asset_url(STYLESHEET)], margin=(5, 10, 0, 10))

    @param.depends("entry", "lang")
    def _details(self):
        if self.entry is None:
            return pn.Spacer(height=0)
        return pn.pane.HTML(card_html(self.entry, self.lang), sizing_mode="stretch_width",
                            stylesheets=[asset_url(STYLESHEET)], css_classes=["portal-card-details"])

    def __panel__(self):
        return pn.Column(self.header, self.details, sizing_mode="stretch_width")
