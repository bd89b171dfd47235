"""The dataset card: what a dataset is, who made it, how to cite it, where it lies.

Every text that comes from metadata is escaped before it reaches HTML (a title
holding ``<script>`` shows as text). The DOI becomes a link only when it looks
like a DOI; the extent is drawn as a small map over the offline land layer.
"""

from __future__ import annotations

import datetime as dt
import html
import re

import panel as pn
import param

from portal.catalog.model import DatasetEntry
from portal.ui.i18n import t

STYLESHEET = "/assets/portal.css"

_DOI = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)?(10\.\d{4,9}/\S+)$", re.I)


def doi_link(doi: str) -> str:
    """An escaped <a> to doi.org for a valid DOI, else the escaped text."""
    match = _DOI.match(doi.strip())
    if not match:
        return html.escape(doi)
    target = html.escape(f"https://doi.org/{match.group(1)}", quote=True)
    return f"<a href='{target}' target='_blank' rel='noopener'>{html.escape(match.group(1))}</a>"


def citation(entry: DatasetEntry) -> str:
    """A recommended citation (plain text) built from the metadata."""
    year = entry.time_coverage[1][:4] if entry.time_coverage else str(dt.date.today().year)
    who = entry.institution or "ODATIS"
    text = f"{who} ({year}). {entry.title or entry.id}."
    match = _DOI.match(entry.doi.strip()) if entry.doi else None
    if match:
        text += f" https://doi.org/{match.group(1)}"
    text += f" Accessed {dt.date.today().isoformat()} via the ODATIS quicklook portal."
    return text


def card_html(entry: DatasetEntry, lang: str) -> str:
    """The card's HTML, every metadata value escaped."""
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
    if entry.license:  # licences can run to a paragraph: scroll it, keep the plot in view
        rows.append((t("license", lang), f"<div class='portal-long'>{esc(entry.license)}</div>"))
    if entry.doi:
        rows.append((t("doi", lang), doi_link(entry.doi)))
    table = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    summary = esc(entry.summary or "")
    return (
        f"<div class='portal-card'><h2 class='portal-card-title'>{esc(entry.title or entry.id)}"
        f"</h2><p class='portal-summary'>{summary}</p><table class='portal-meta'>{table}</table>"
        f"<details><summary>{t('citation', lang)}</summary>"
        f"<p class='portal-citation'>{esc(citation(entry))}</p></details></div>"
    )


def extent_map(entry: DatasetEntry, width: int = 280, height: int = 170):
    """A small map of the dataset's bounding box over land (None without a bbox)."""
    if not entry.bbox:
        return None
    import geoviews as gv

    from portal.quicklooks import ensure_backends
    from portal.quicklooks.style import land_layer

    ensure_backends()
    west, south, east, north = entry.bbox
    pad = max(east - west, north - south, 4.0) * 0.6
    box = gv.Rectangles([(west, south, max(east, west + 0.05), max(north, south + 0.05))])
    box = box.opts(fill_alpha=0.25, fill_color="#e4572e", line_color="#e4572e", line_width=2)
    from portal.quicklooks.map import mercator

    lon = (max(west - pad, -180), min(east + pad, 180))
    lat = (max(south - pad, -85), min(north + pad, 85))
    xlim, ylim = mercator(lon, lat)
    land = land_layer(True, extent=(lon, lat))  # clipped to the window: a light thumbnail
    overlay = (land * box).opts(width=width, height=height, toolbar=None, xaxis=None,
                                yaxis=None, xlim=xlim, ylim=ylim, backend="bokeh")
    # linked_axes=False: Panel would otherwise tie this map's ranges to the quicklook map's
    return pn.pane.HoloViews(overlay, backend="bokeh", width=width, height=height, margin=(0, 8),
                             linked_axes=False)


class DatasetCard(pn.viewable.Viewer):
    """Metadata of the chosen dataset."""

    entry = param.ClassSelector(class_=DatasetEntry, allow_None=True)
    lang = param.String(default="en")

    def __init__(self, **params):
        super().__init__(**params)
        self._layout = None

    @param.depends("entry", "lang")
    def _info(self):
        if self.entry is None:
            return pn.pane.HTML(f"<p class='portal-hint'>{t('no_dataset', self.lang)}</p>",
                                stylesheets=[STYLESHEET])
        return pn.pane.HTML(card_html(self.entry, self.lang), sizing_mode="stretch_width",
                            stylesheets=[STYLESHEET])

    @param.depends("entry")
    def _mini(self):  # apart from the text: a language switch does not redraw the map
        mini = extent_map(self.entry) if self.entry is not None else None
        return mini if mini is not None else pn.Spacer(width=0)

    def __panel__(self):
        if self._layout is None:  # one layout: re-adding the card adds no second set of views
            self._layout = pn.Row(pn.panel(self._info, sizing_mode="stretch_width"),
                                  pn.panel(self._mini), sizing_mode="stretch_width")
        return self._layout
