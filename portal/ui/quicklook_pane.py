"""The quicklook pane: controls (variable, kind, time, depth, QC, colours) and the plot.

Widgets only change the session's :class:`~portal.ui.state.ViewState`; the plot
depends on the state and calls :func:`portal.pipeline.build_quicklook` (the same
builder as the PNG endpoint and the embed) in a worker thread, so the server's
event loop never blocks while data load. Errors become readable alerts; the rest
of the page keeps working.
"""

from __future__ import annotations

import asyncio
import dataclasses
import html
import logging
import urllib.parse
from typing import Any

import pandas as pd
import panel as pn
import param

from portal.downloads import estimate
from portal.errors import PortalError
from portal.model import QC_PRESETS, DatasetEntry
from portal.query import DepthRange
from portal.quicklooks import COLOR_BY, entry_kinds
from portal.quicklooks.style import CMAP_CHOICES
from portal.settings import asset_url, current
from portal.sources import is_aggregating
from portal.ui.alert import error_alert
from portal.ui.controls import applicable, grid_axes, step_label, step_param
from portal.ui.download_links import DOWNLOAD_CSS, download_links
from portal.ui.i18n import t
from portal.ui.map_patching import MapPatcher, frames_pipe, map_shape
from portal.ui.patch_layout import layout_patchable, layout_title, patch_or_wrap_layout, retitle
from portal.ui.patch_series import patch_or_wrap_series, series_patchable
from portal.ui.patching import PlotPatcher
from portal.ui.render_thread import discard, drawn_element, render_off_loop
from portal.ui.state import ViewState, required
from portal.ui.time_picker import TimePicker
from portal.ui.view_tracking import ViewTracker

log = logging.getLogger(__name__)

COPY_JS = """
if (navigator.clipboard) { navigator.clipboard.writeText(window.location.href); }
button.label = label_done;
setTimeout(() => { button.label = label; }, 1500);
"""


class CopyLinkButton(pn.widgets.Button):
    """A button copying the page's URL in the browser (:data:`COPY_JS`), its label saying
    ``done`` for a moment.

    The script sits on the Bokeh button itself rather than in Panel's link registry
    (``js_on_click``): with a registered link in the page's main area, Panel walked every
    model of that area, the new figure's included, after each plot swap to look for
    links to set up.
    """

    done = param.String(default="", doc="the label once the link is copied")

    _rename = {**pn.widgets.Button._rename, "done": None}  # the script's, not the model's

    def _get_model(self, doc, root=None, parent=None, comm=None):
        from bokeh.models import CustomJS

        model = super()._get_model(doc, root, parent, comm)
        model.js_on_event("button_click", CustomJS(
            args={"button": model, "label": self.label, "label_done": self.done},
            code=COPY_JS))
        return model


# phones: the controls in a drawer opened by a toggle button; desktops: no button
DRAWER_CSS = """
.portal-drawer-toggle { display: none !important; }
@media screen and (max-width: 760px) {
  .portal-drawer-toggle { display: block !important; }
  .portal-controls:not(.portal-drawer-open) { display: none !important; }
}
"""

# widget key -> i18n key of its label
_LABELS = {"var": "variable", "kind": "quicklook", "qc": "qc", "cmap": "colormap",
           "color": "color_by", "time": "time_range", "depth": "depth_range",
           "step": "time_step", "level": "depth_level", "lock_y": "lock_y"}


def _color_mapper():
    from bokeh.models import ColorMapper

    return ColorMapper


def _remember_cmap(element, palette: list[str]) -> None:
    """Set the colormap on the drawn element's coloured parts, in place (no redraw)."""
    typed = {name: {"cmap": palette}
             for name in ("Image", "QuadMesh", "Points", "Contours", "Segments")}
    try:
        element.opts(typed, backend="bokeh")
    except Exception:  # noqa: BLE001 - best effort: the colours on screen are already set
        log.debug("could not keep the colormap on the element", exc_info=True)


def _patchable_kind(entry: DatasetEntry, element) -> bool:
    """Profiles of a file (lines or points, not a point store's density image, nor a
    layout of several variables) are patched in place on a control change."""
    import holoviews as hv

    return not is_aggregating(entry) and isinstance(element, (hv.Overlay, hv.Element))


def quicklook_params(state: ViewState, kind: str) -> str:
    """The query string shared by the PNG endpoint and the embed URL."""
    return urllib.parse.urlencode(state.quicklook_params())


class QuicklookPane(pn.viewable.Viewer):
    """Controls and plot for one dataset; rebuilt when the dataset changes."""

    state = required(ViewState)
    entry = required(DatasetEntry)
    show_controls = param.Boolean(default=True)
    plot_height = param.Integer(default=520)
    plot_width = param.Integer(default=900, doc="expected width: raster size, title wrapping")
    lock_y = param.Boolean(default=False, doc="time series: keep the y range when zooming")
    downloads = param.Boolean(default=True, doc="offer the data downloads (False when the "
                              "visitor may see the quicklooks but not download the data)")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        kinds = entry_kinds(self.entry)
        if self.state.kind not in kinds and kinds:
            self.state.kind = kinds[0]
        names = [v.name for v in self.entry.variables]
        if self.state.var and names and self.state.var not in names:
            self.state.var = ""
        self._disposed = False
        self._syncing = False  # the step slider follows the drawn map: no redraw then
        self._watchers: list = []  # on self.state, removed by dispose
        self._widgets = self._make_widgets(kinds, names) if self.show_controls else {}
        self._views: list = []  # panes that follow self.state (see dispose)
        self._share = self._controls = self._toggle = None
        self._plot_view: Any = None  # the plot's Panel view, set by __panel__
        self._drawn: Any = None  # the HoloViews pane drawn last
        self._patcher = PlotPatcher()  # a profile's figure, patched in place on a change
        self._maps = MapPatcher()  # a map's frames, patched in place on a change
        self._error = False
        self._generation = 0  # counts _plot calls: a superseded draw shows nothing
        self._tracker = ViewTracker(self.state, pn.state.curdoc)
        self._watchers.append(self.state.param.watch(self._forget_view, ["kind", "var"]))

    def _forget_view(self, event) -> None:
        """A time span means nothing to a profile, a value span nothing to another
        variable: the zoom key goes when the kind (or a profile's variable) changes."""
        if self._disposed or not self.state.view:
            return
        if event.name == "kind" or self.state.kind == "profile":
            self.state.view = ""

    def dispose(self) -> None:
        """Stop following the shared view state: this pane was replaced by another one.

        Panel's method panes keep watching the state after they leave the page; without
        this, every dataset once shown would be reloaded and redrawn, unseen, on each change.
        """
        self._disposed = True
        self._tracker.disposed = True
        for watcher in self._watchers:
            self.state.param.unwatch(watcher)
        for view in self._views:
            for watcher in list(getattr(view, "_internal_callbacks", ())):
                if watcher.inst is self.state:
                    self.state.param.unwatch(watcher)

    def relabel(self, lang: str) -> None:
        """Translate the controls in place (the plot redraws itself: its labels follow
        ``state.lang``)."""
        w = self._widgets
        for key, widget in w.items():
            if key != "time":  # the picker labels its own fields
                widget.name = t(_LABELS[key], lang)
        if w:
            w["kind"].options = {t(k, lang): k for k in entry_kinds(self.entry)}
            w["var"].options = self._var_options(lang)
            w["qc"].options = {t(f"qc_{p}", lang): p for p in QC_PRESETS}
            self._apply_controls(w, lang)
        if "time" in w:
            w["time"].relabel(lang)
        if self._share is not None:
            self._share.objects = [self._copy_button(lang), *self._share.objects[1:]]
        if self._toggle is not None:
            self._toggle.label = f"☰ {t('controls', lang)}"

    # ---------------------------------------------------------------- controls
    def _make_widgets(self, kinds, names) -> dict:
        lang = self.state.lang
        w: dict[str, pn.widgets.Widget] = {}
        w["var"] = pn.widgets.Select(label=t("variable", lang), options=self._var_options(lang),
                                     value=self.state.var or (names[0] if names else None))
        w["kind"] = pn.widgets.RadioButtonGroup(
            label=t("quicklook", lang), options={t(k, lang): k for k in kinds},
            value=self.state.kind or (kinds[0] if kinds else None), color="primary",
            variant="outline")
        w["qc"] = pn.widgets.Select(label=t("qc", lang), value=self.state.qc,
                                    options={t(f"qc_{p}", lang): p for p in QC_PRESETS})
        w["cmap"] = pn.widgets.Select(label=t("colormap", lang), options=list(CMAP_CHOICES),
                                      value=self.state.cmap if self.state.cmap in CMAP_CHOICES
                                      else "auto")
        w["color"] = pn.widgets.Select(label=t("color_by", lang), value=self.state.color,
                                       options={t(f"color_{c}", lang): c for c in COLOR_BY})
        w.update(self._range_widgets(lang))
        w.update(self._step_widgets(lang))
        w["lock_y"] = pn.widgets.Checkbox(label=t("lock_y", lang), value=self.lock_y)
        w["lock_y"].param.watch(lambda e: setattr(self, "lock_y", e.new), "value")
        for key in ("var", "kind", "qc", "cmap", "color"):
            w[key].param.watch(lambda e, k=key: setattr(self.state, k, e.new or ""), "value")
        for key, widget in w.items():  # stable hooks for stylesheets and browser tests
            if key != "time":  # a composite: it sets its own
                widget.css_classes = [f"portal-control-{key}"]
        self._apply_controls(w, lang)
        self._watchers.append(self.state.param.watch(
            lambda _e: self._apply_controls(self._widgets, self.state.lang), ["kind", "color"]))
        return w

    def _var_options(self, lang: str) -> dict[str, str]:
        """The variable choices: "Long name (NAME)", the long name in ``lang`` where the
        standard name has a translation (as on the plot's axes)."""
        from portal.i18n import variable_name

        def label(v) -> str:
            text = variable_name(v.standard_name, lang) or v.long_name
            return f"{text} ({v.name})" if text else v.name

        return {label(v): v.name for v in self.entry.variables}

    def _apply_controls(self, w: dict, lang: str) -> None:
        """Hide or disable the controls that do not apply to the current view."""
        if not w or self._disposed:
            return
        kind = self.state.kind or (entry_kinds(self.entry) or ("map",))[0]
        rules = applicable(kind, self.entry, self.state.color)
        colors = rules["colors"]
        if colors and self.state.color not in colors:
            self.state.color = "auto"  # e.g. "time" on a series, whose x axis is time
        w["color"].options = {t(f"color_{c}", lang): c for c in colors or ("auto",)}
        w["color"].visible = bool(colors)
        w["qc"].visible = rules["qc"]
        w["cmap"].disabled = not rules["cmap"]
        w["lock_y"].visible = rules["lock_y"]
        w["var"].visible = rules["variable"]

    def _range_widgets(self, lang: str) -> dict:
        w: dict[str, Any] = {}  # widgets and the time picker (a composite)
        cov = self.entry.time_coverage
        if cov:
            w["time"] = TimePicker(cov, self.state.time, lang)  # typed ISO dates, presets
            w["time"].param.watch(self._on_time, "window")
        vcov = self.entry.vertical_coverage
        if vcov and vcov[1] > vcov[0] and self.entry.feature_type != "grid":
            low, high = self.state.depth or (None, None)
            value = (low if low is not None else vcov[0], high if high is not None else vcov[1])
            w["depth"] = pn.widgets.RangeSlider(
                label=t("depth_range", lang), start=float(vcov[0]), end=float(vcov[1]),
                value=value, step=max((vcov[1] - vcov[0]) / 200, 0.1), format="0[.]0")
            w["depth"].param.watch(self._on_depth, "value_throttled")
        return w

    def _step_widgets(self, lang: str) -> dict:
        """A time-step slider (and a depth-level one) for grids; the step is ``state.at``."""
        w: dict[str, pn.widgets.Widget] = {}
        times, levels = grid_axes(self.entry, self.state.query())
        if len(times) > 1:
            options = {step_label(v): step_param(v) for v in times}
            chosen = self.state.query().at
            if chosen is not None:
                target = pd.Timestamp(chosen).tz_convert(None).to_datetime64()
                value = step_param(min(times, key=lambda v: abs(v - target)))
            else:
                value = step_param(times[-1])
            w["step"] = pn.widgets.DiscretePlayer(
                label=t("time_step", lang), options=options, value=value, interval=1500,
                loop_policy="once", show_loop_controls=False, visible_buttons=[
                    "first", "previous", "pause", "play", "next", "last"])
            w["step"].param.watch(self._on_step, "value")
        if len(levels) > 1:
            low = self.state.depth[0] if self.state.depth and self.state.depth[0] is not None \
                else levels[0]
            w["level"] = pn.widgets.DiscreteSlider(
                label=t("depth_level", lang), options={f"{z:g}": z for z in levels},
                value=min(levels, key=lambda z: abs(z - low)))
            w["level"].param.watch(self._on_level, "value_throttled")
        return w

    def _on_step(self, event) -> None:
        if not self._syncing:
            self.state.at = event.new or ""

    def _on_level(self, event) -> None:
        self.state.depth = DepthRange(event.new, event.new)

    def _show_drawn_step(self, kind: str | None) -> None:
        """Put the time slider on the step the map draws (the latest valid one when the
        URL names none), without asking for a redraw."""
        from portal.pipeline import load_view

        widget = self._widgets.get("step")
        if widget is None or self.state.at:
            return
        try:
            field: Any = load_view(self.entry, kind, self.state.query()).data  # a cache hit
        except Exception:  # noqa: BLE001 - the plot already shows what went wrong
            return
        if "time" in field.coords and field.time.size == 1:
            value = step_param(field.time.values.reshape(-1)[0])
            if value in widget.values:
                self._syncing = True
                try:
                    widget.value = value
                finally:
                    self._syncing = False

    def _on_time(self, event) -> None:
        self.state.time = event.new  # a TimeRange, or None: the whole record

    def _on_depth(self, event) -> None:
        self.state.depth = DepthRange(*event.new)

    def _copy_button(self, lang: str):
        return CopyLinkButton(label=t("copy_link", lang), done=t("link_copied", lang),
                              color="primary", variant="outline", height=32,
                              css_classes=["portal-copy-link"])

    def _share_row(self):
        links = pn.panel(self._links, loading_indicator=False)  # a spinner re-lays out the page
        self._views.append(links)
        # a FlexBox: on a phone the links wrap below the button instead of overflowing
        self._share = pn.FlexBox(self._copy_button(self.state.lang), links,
                                 align_items="center", sizing_mode="stretch_width")
        return self._share

    @param.depends("state.kind", "state.var", "state.time", "state.at", "state.depth",
                   "state.qc", "state.cmap", "state.color", "state.bbox", "state.lang")
    async def _links(self):
        kind = self.state.kind or entry_kinds(self.entry)[0]
        qs = quicklook_params(self.state, kind)
        ident = urllib.parse.quote(self.entry.id)
        link = current().link  # public URL and prefix of the settings
        png = link(f"/quicklook/{ident}/{kind}.png" + (f"?{qs}" if qs else ""))
        embed = link(f"/embed?dataset={ident}&kind={kind}" + (f"&{qs}" if qs else ""))
        selection = urllib.parse.urlencode(self.state.query().to_params())  # data, no style
        downloads = " · " + download_links(
            link, ident, selection,
            await asyncio.to_thread(estimate, self.entry, self.state.query().selection),
            self.state.lang) if self.downloads else ""
        return pn.pane.HTML(
            f"<a class='portal-link' href='{html.escape(png)}' target='_blank'>PNG</a> · "
            f"<a class='portal-link portal-embed-link' href='{html.escape(embed)}' "
            f"target='_blank'>{t('embed_code', self.state.lang)}</a>{downloads}", margin=(0, 8),
            stylesheets=[asset_url("portal.css"), DOWNLOAD_CSS])

    # --------------------------------------------------------------------- plot
    # the colormap is not a dependency: _on_cmap re-styles the drawn plot in place
    @param.depends("state.kind", "state.var", "state.time", "state.at", "state.depth",
                   "state.qc", "state.color", "state.bbox", "state.lang", "lock_y", "plot_width")
    async def _plot(self):
        if self._disposed:
            return None
        self._generation += 1
        generation = self._generation
        try:
            drawn = await self._draw()
        except asyncio.CancelledError:  # Panel cancelled it for a newer change, which
            raise  # lifts the overlay once drawn
        except BaseException:
            self._done_after_swap()
            raise
        if generation != self._generation:
            # a newer change is drawing: Panel cancels the previous draw of a method, but
            # once one was cancelled it forgets the running one, so two can overlap; the
            # older must not replace (nor unveil) the newer
            discard(drawn)
            return param.Skip
        self._patcher.shown()  # its figure (built, or patched) is the one on screen now
        self._maps.shown()
        self._done_after_swap()
        return drawn

    def _done_after_swap(self) -> None:
        """Lift the overlay once the returned plot is on the page: Panel swaps it in after
        ``_plot`` returns (building its Bokeh figure takes 0.2–0.6 s), so lifting it here
        would show the old plot, unveiled, that long."""
        def done() -> None:
            if self._plot_view is not None:
                self._plot_view.loading = False

        doc = pn.state.curdoc
        if doc is not None and doc.session_context is not None:
            doc.add_next_tick_callback(done)  # after the swap, under the document's lock
        else:
            done()

    async def _draw(self):
        from portal.pipeline import build_quicklook

        self._error = False
        generation = self._generation
        if not entry_kinds(self.entry):
            return pn.pane.Alert(t("metadata_only", self.state.lang), alert_type="info")
        kind = self.state.kind or None
        try:
            query = self.state.query()
            style = self.state.style(width=self.plot_width, height=self.plot_height)
            style = dataclasses.replace(style, lock_y=self.lock_y)
            element = await asyncio.to_thread(build_quicklook, self.entry, kind, query, style)
        except Exception as exc:  # noqa: BLE001 - every failure is shown, the page lives on
            self._patcher.reset()  # the alert replaces the figure: the next one is built anew
            self._maps.reset()
            if not isinstance(exc, PortalError):
                log.exception("%s: quicklook failed", self.entry.id)
            else:
                log.warning("%s", exc)
            self._error = True
            return error_alert(exc, self.state.lang)
        if generation != self._generation:
            return param.Skip  # superseded while loading: patch or draw only the newest
        drawn_kind = kind or entry_kinds(self.entry)[0]
        if drawn_kind == "profile" and _patchable_kind(self.entry, element):
            self._maps.reset()
            element = self._patch_or_wrap(element)
            if element is None:
                return param.Skip  # the figure on screen was patched in place
        elif series_patchable(drawn_kind, self.entry, element, self.lock_y):
            self._maps.reset()
            element = await patch_or_wrap_series(
                self._patcher, element, self.state.view, self.state.color, self.state.lang,
                self.plot_width, current=lambda: generation == self._generation)
            if element is None:
                return param.Skip  # patched in place (or superseded meanwhile)
        elif layout_patchable(drawn_kind, self.entry, element):
            self._maps.reset()
            title = layout_title(element)
            element = patch_or_wrap_layout(self._patcher, element, self.state.color,
                                           self.state.lang, self.plot_width)
            if element is None:
                if title:
                    retitle(self._live_pane(), title)
                return param.Skip  # each plot of the layout on screen was patched
        elif drawn_kind == "map" and frames_pipe(element) is not None:
            self._patcher.reset()
            if await self._patch_map(element):
                return param.Skip  # the map on screen was patched in place
        else:
            self._patcher.reset()
            self._maps.reset()
        element = self._tracker.track(drawn_kind, element)  # zoom from and to the URL
        if drawn_kind == "map":
            self._show_drawn_step(kind)
        # no margin in the embed: a plot of the iframe's height then fits without scrolling
        drawn = pn.pane.HoloViews(element, backend="bokeh", sizing_mode="stretch_width",
                                  min_height=300, css_classes=["portal-plot"], linked_axes=False,
                                  margin=(5, 10) if self.show_controls else 0)
        self._drawn = drawn
        await render_off_loop(drawn)
        return drawn  # not self._drawn: an overlapping newer draw may have set it meanwhile

    def _patch_or_wrap(self, element):
        """None once a profile's figure on screen is patched with ``element``; else
        ``element`` made patchable by the next change (see :mod:`portal.ui.patching`)."""
        from portal.ui.patching import zoomed

        element = zoomed(element, self.state.view)
        shape = self._shape(element)
        if self._drawn is not None and self._patcher.patch(element, shape):
            return None
        return self._patcher.wrap(element, shape)

    async def _patch_map(self, element) -> bool:
        """Whether the map on screen was patched with ``element``'s frames; else the new
        map is the one later changes patch (see :mod:`portal.ui.map_patching`)."""
        shape = map_shape(element, self.state.color, self.state.lang, self.plot_width)
        if self._drawn is not None and await self._maps.patch(element, shape):
            self._show_drawn_step(self.state.kind or None)
            return True
        self._maps.wrap(element, shape)
        return False

    def _shape(self, element) -> tuple:
        from portal.ui.patching import shape_of

        return shape_of(element, self.state.color, self.state.lang, self.plot_width)

    def _busy(self, *_events) -> None:
        """The progress overlay on the plot itself, set before the (slow) redraw starts."""
        if self._plot_view is not None and not self._disposed:
            self._plot_view.loading = True

    def _palette(self) -> list[str] | None:
        """The colours of ``state.cmap`` for the drawn variable (None: "auto", which
        depends on what is coloured: redraw)."""
        from portal.quicklooks.style import resolve_cmap

        if self.state.cmap in ("", "auto"):
            return None
        return resolve_cmap(self.state.cmap)

    def _on_cmap(self, _event) -> None:
        """Re-style the drawn plot's colour mappers in place: no data reload, no re-render;
        "auto" (which depends on the variable and the colouring) redraws."""
        if self._disposed:
            return
        palette = self._palette()
        live = self._live_pane()
        models = [m for m, _ in getattr(live, "_models", {}).values()]
        mappers = [cm for model in models for cm in model.select({"type": _color_mapper()})]
        if palette is None or not mappers:
            self._busy()
            self.param.trigger("lock_y")  # a dependency of _plot: redraw
            return
        for mapper in mappers:
            mapper.palette = palette
        if self._maps.recolour(palette):  # a patched map's later frames have the new colours
            return
        # a zoom re-render keeps the new colours (a patched series' frames too; a patched
        # profile's next frame has them anyway)
        _remember_cmap(drawn_element(live) if self._patcher.pipe is None
                       else self._patcher.pipe.data, palette)

    def _live_pane(self) -> Any:
        """The HoloViews pane on screen: Panel updates the first one drawn in place with the
        object of each new one, so the last pane returned may never have been rendered."""
        live = getattr(self._plot_view, "_pane", None)
        return live if isinstance(live, pn.pane.HoloViews) else self._drawn

    def __panel__(self):
        # the overlay is ours (_busy on, _plot off): Panel's own indicator flickers it on,
        # off and on again, and every flip is a browser re-layout and repaint of the plot
        plot = pn.panel(self._plot, loading_indicator=False, defer_load=True,
                        sizing_mode="stretch_width", min_height=self.plot_height)
        self._views.append(plot)
        self._plot_view = plot
        self._watchers.append(self.state.param.watch(
            self._busy, ["kind", "var", "time", "at", "depth", "qc", "color", "bbox", "lang"]))
        self._watchers.append(self.state.param.watch(self._on_cmap, "cmap"))
        self.param.watch(self._busy, "plot_width")
        if not self.show_controls:
            return plot
        w = self._widgets
        for key in ("var", "depth", "qc", "color", "cmap", "step", "level"):
            if key in w:
                w[key].width = {"var": 300, "depth": 280, "step": 360,
                                "level": 200}.get(key, 190)
        self._controls = pn.FlexBox(*(w[k] for k in ("kind", "var", "time", "depth", "step",
                                                     "level", "qc", "color", "cmap", "lock_y")
                                      if k in w),
                                    align_items="flex-end", sizing_mode="stretch_width",
                                    css_classes=["portal-controls"])
        return pn.Column(self._drawer_toggle(), self._controls, self._share_row(), plot,
                         sizing_mode="stretch_width", stylesheets=[DRAWER_CSS])

    def _drawer_toggle(self):
        """The phones' "Controls" button: the controls fold into a drawer below 760 px
        (:data:`DRAWER_CSS`); on wider screens the button is hidden and they always show."""
        toggle = pn.widgets.Toggle(label=f"☰ {t('controls', self.state.lang)}", value=False,
                                   css_classes=["portal-drawer-toggle"], width=140,
                                   color="primary", variant="outline")

        def flip(event) -> None:
            if self._controls is not None:
                self._controls.css_classes = ["portal-controls"] + (
                    ["portal-drawer-open"] if event.new else [])

        toggle.param.watch(flip, "value")
        self._toggle = toggle
        return toggle
