"""The quicklook pane: controls (variable, kind, time, depth, QC, colours) and the plot.

Widgets only change the session's :class:`~portal.ui.state.ViewState`; the plot
depends on the state and calls :func:`portal.pipeline.build_quicklook` (the same
builder as the PNG endpoint and the embed) in a worker thread, so the server's
event loop never blocks while data load. Errors become readable alerts; the rest
of the page keeps working.
"""

from __future__ import annotations

import asyncio
import html
import logging
import urllib.parse

import pandas as pd
import panel as pn
import param

from portal.catalog.model import QC_PRESETS, DatasetEntry
from portal.errors import NoDataInSelection, PortalError
from portal.quicklooks import COLOR_BY, kinds_for
from portal.quicklooks.style import CMAP_CHOICES
from portal.ui.i18n import t
from portal.ui.state import ViewState, parse_pair

log = logging.getLogger(__name__)

COPY_JS = """
if (navigator.clipboard) { navigator.clipboard.writeText(window.location.href); }
button.label = label_done;
setTimeout(() => { button.label = label; }, 1500);
"""


def quicklook_params(state: ViewState, kind: str) -> str:
    """The query string shared by the PNG endpoint and the embed URL."""
    keys = {"var": state.var, "time": state.time, "depth": state.depth, "bbox": state.bbox,
            "qc": state.qc if state.qc != "all" else "", "cmap": state.cmap if state.cmap != "auto"
            else "", "color": state.color if state.color != "auto" else ""}
    return urllib.parse.urlencode({k: v for k, v in keys.items() if v})


def error_alert(exc: Exception, lang: str) -> pn.pane.Alert:
    heading = t("no_data", lang) if isinstance(exc, NoDataInSelection) else t("error", lang)
    kind = "warning" if isinstance(exc, NoDataInSelection) else "danger"
    text = str(exc) if isinstance(exc, PortalError) else f"{type(exc).__name__}: {exc}"
    return pn.pane.Alert(f"**{heading}**\n\n{html.escape(text)}", alert_type=kind,
                         sizing_mode="stretch_width", css_classes=["portal-error"])


class QuicklookPane(pn.viewable.Viewer):
    """Controls and plot for one dataset; rebuilt when the dataset changes."""

    state = param.ClassSelector(class_=ViewState)
    entry = param.ClassSelector(class_=DatasetEntry)
    show_controls = param.Boolean(default=True)
    plot_height = param.Integer(default=520)

    def __init__(self, **params):
        super().__init__(**params)
        kinds = kinds_for(self.entry.feature_type)
        if self.state.kind not in kinds and kinds:
            self.state.kind = kinds[0]
        names = [v.name for v in self.entry.variables]
        if self.state.var and names and self.state.var not in names:
            self.state.var = ""
        self._widgets = self._make_widgets(kinds, names) if self.show_controls else {}

    # ---------------------------------------------------------------- controls
    def _make_widgets(self, kinds, names) -> dict:
        lang = self.state.lang
        w = {}
        labels = {(v.long_name and f"{v.long_name} ({v.name})") or v.name: v.name
                  for v in self.entry.variables}
        w["var"] = pn.widgets.Select(name=t("variable", lang), options=labels,
                                     value=self.state.var or (names[0] if names else None))
        w["kind"] = pn.widgets.RadioButtonGroup(
            name=t("quicklook", lang), options={t(k, lang): k for k in kinds},
            value=self.state.kind or (kinds[0] if kinds else None), button_type="primary",
            button_style="outline")
        w["qc"] = pn.widgets.Select(name=t("qc", lang), value=self.state.qc,
                                    options={t(f"qc_{p}", lang): p for p in QC_PRESETS})
        w["cmap"] = pn.widgets.Select(name=t("colormap", lang), options=list(CMAP_CHOICES),
                                      value=self.state.cmap if self.state.cmap in CMAP_CHOICES
                                      else "auto")
        w["color"] = pn.widgets.Select(name=t("color_by", lang), value=self.state.color,
                                       options={t(f"color_{c}", lang): c for c in COLOR_BY})
        w.update(self._range_widgets(lang))
        for key in ("var", "kind", "qc", "cmap", "color"):
            w[key].param.watch(lambda e, k=key: setattr(self.state, k, e.new or ""), "value")
        return w

    def _range_widgets(self, lang: str) -> dict:
        w = {}
        cov = self.entry.time_coverage
        if cov:
            start, end = (pd.Timestamp(v).tz_localize(None).to_pydatetime() for v in cov)
            chosen = parse_pair(self.state.time, lambda s: pd.Timestamp(s).to_pydatetime())
            value = (chosen[0] or start, chosen[1] or end) if chosen else (start, end)
            w["time"] = pn.widgets.DatetimeRangePicker(name=t("time_range", lang),
                                                       value=value, start=start, end=end)
            w["time"].param.watch(self._on_time, "value")
        vcov = self.entry.vertical_coverage
        if vcov and vcov[1] > vcov[0] and self.entry.feature_type != "grid":
            chosen = parse_pair(self.state.depth) or (None, None)
            value = (chosen[0] if chosen[0] is not None else vcov[0],
                     chosen[1] if chosen[1] is not None else vcov[1])
            w["depth"] = pn.widgets.RangeSlider(
                name=t("depth_range", lang), start=float(vcov[0]), end=float(vcov[1]),
                value=value, step=max((vcov[1] - vcov[0]) / 200, 0.1), format="0[.]0")
            w["depth"].param.watch(self._on_depth, "value_throttled")
        return w

    def _on_time(self, event) -> None:
        if not event.new:
            self.state.time = ""
            return
        lo, hi = event.new
        self.state.time = f"{pd.Timestamp(lo).isoformat()}/{pd.Timestamp(hi).isoformat()}"

    def _on_depth(self, event) -> None:
        lo, hi = event.new
        self.state.depth = f"{lo:g}/{hi:g}"

    def _share_row(self):
        lang = self.state.lang
        copy = pn.widgets.Button(name=t("copy_link", lang), icon="link", button_type="light",
                                 css_classes=["portal-copy-link"])
        copy.js_on_click(args={"button": copy, "label": t("copy_link", lang),
                               "label_done": t("link_copied", lang)}, code=COPY_JS)
        return pn.Row(copy, pn.panel(self._links), align="center")

    @param.depends("state.kind", "state.var", "state.time", "state.depth", "state.qc",
                   "state.cmap", "state.color", "state.bbox")
    def _links(self):
        kind = self.state.kind or kinds_for(self.entry.feature_type)[0]
        qs = quicklook_params(self.state, kind)
        ident = urllib.parse.quote(self.entry.id)
        png = f"/quicklook/{ident}/{kind}.png" + (f"?{qs}" if qs else "")
        embed = f"/embed?dataset={ident}&kind={kind}" + (f"&{qs}" if qs else "")
        return pn.pane.HTML(
            f"<a class='portal-link' href='{html.escape(png)}' target='_blank'>PNG</a> · "
            f"<a class='portal-link portal-embed-link' href='{html.escape(embed)}' "
            f"target='_blank'>{t('embed_code', self.state.lang)}</a>", margin=(0, 8),
            stylesheets=["/assets/portal.css"])

    # --------------------------------------------------------------------- plot
    @param.depends("state.kind", "state.var", "state.time", "state.depth", "state.qc",
                   "state.cmap", "state.color", "state.bbox")
    async def _plot(self):
        from portal.pipeline import build_quicklook

        if not kinds_for(self.entry.feature_type):
            return pn.pane.Alert(t("metadata_only", self.state.lang), alert_type="info")
        kind = self.state.kind or None
        try:
            query = self.state.query()
            style = self.state.style(height=self.plot_height)
            element = await asyncio.to_thread(build_quicklook, self.entry, kind, query, style)
        except Exception as exc:  # noqa: BLE001 - every failure is shown, the page lives on
            if not isinstance(exc, PortalError):
                log.exception("%s: quicklook failed", self.entry.id)
            else:
                log.warning("%s", exc)
            return error_alert(exc, self.state.lang)
        return pn.pane.HoloViews(element, backend="bokeh", sizing_mode="stretch_width",
                                 min_height=300, css_classes=["portal-plot"])

    def __panel__(self):
        plot = pn.panel(self._plot, loading_indicator=True, defer_load=False,
                        sizing_mode="stretch_width", min_height=self.plot_height)
        if not self.show_controls:
            return plot
        w = self._widgets
        for key in ("var", "time", "depth", "qc", "color", "cmap"):
            if key in w:
                w[key].width = {"var": 300, "time": 330, "depth": 280}.get(key, 190)
        controls = pn.FlexBox(*(w[k] for k in ("kind", "var", "time", "depth", "qc", "color",
                                               "cmap") if k in w),
                              align_items="flex-end", sizing_mode="stretch_width")
        return pn.Column(controls, self._share_row(), plot, sizing_mode="stretch_width")
