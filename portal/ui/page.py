"""Page composition: the full portal and the chrome-less embed.

``portal_page`` builds one session's page on a Panel template described by
``layouts/portal.yaml`` (title, colours, logo, sizes): header with the FR/EN
switch, the dataset browser in the sidebar, and in the main area either the map
of all datasets (landing) or the chosen dataset's card and quicklook pane.
``embed_page`` builds the single quicklook of ``/embed`` from URL parameters. Both
create fresh objects per session.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

import panel as pn
import param

from portal.access import ANONYMOUS, Identity, can_download
from portal.assets import layouts_dir
from portal.catalog.loader import Catalog
from portal.errors import DatasetNotFound, PortalError
from portal.query import param_value
from portal.settings import Settings, asset_url, current
from portal.ui.account import account_bar, sign_in_prompt
from portal.ui.alert import error_alert, failed_page, guarded_pane
from portal.ui.colocate_pane import colocate_section
from portal.ui.combined_view import CombinedView
from portal.ui.connection import watch_connection
from portal.ui.dataset_card import DatasetCard
from portal.ui.dataset_list import DatasetList
from portal.ui.design import plain_paths
from portal.ui.i18n import t
from portal.ui.overview_map import OverviewMap
from portal.ui.quicklook_pane import QuicklookPane
from portal.ui.state import ViewState, required
from portal.ui.viewport import ViewportWidth, follow_viewport, plot_width_for

log = logging.getLogger(__name__)
LAYOUTS = layouts_dir()
_TEMPLATES = {"fast_list": "FastListTemplate", "bootstrap": "BootstrapTemplate",
              "material": "MaterialTemplate", "vanilla": "VanillaTemplate"}
_RETITLE_JS = """
const title = titles[cb_obj.active];
document.title = title;
document.documentElement.lang = ["en", "fr"][cb_obj.active];
const header = document.querySelector('#header .title, .app-header .title');
if (header) { header.textContent = title; }
"""


class PortalTemplate(pn.template.VanillaTemplate):
    """Panel's VanillaTemplate without its web font: no request leaves the server.

    Vanilla needs no front-end framework (FAST adds 0.9 MB of JavaScript to parse
    before the first paint); the fonts come from the visitor's system.
    """

    _resources = {"css": {}}
    # Vanilla plus the server-rendered first paint (portal.ui.prepaint) before BokehJS
    _template = Path(__file__).parent / "templates" / "portal.html"

    prepaint = param.String(default="", doc="HTML of the first paint ('' : none)")

    def _update_vars(self, *args: Any) -> None:
        super()._update_vars(*args)
        self._render_variables["prepaint"] = self.prepaint

    def server_doc(self, doc: Any = None, title: str | None = None,
                   location: Any = True) -> Any:
        """Panel's, with the document's model index recomputed once at the end: Panel adds
        each of the template's roots (header items, sidebar, main, location…) in turn, and
        Bokeh walked every model of the document again after each (~5 % of a page build's
        CPU in-process)."""
        doc = doc if doc is not None else pn.state.curdoc
        if doc is None:
            return super().server_doc(doc, title, location)
        with doc.models.freeze():
            return super().server_doc(doc, title, location)


def _fonts_css() -> str:
    return (":root { --bokeh-base-font: system-ui, -apple-system, 'Segoe UI', Roboto, "
            "'DejaVu Sans', sans-serif; }")


@functools.lru_cache(maxsize=8)
def load_layout(name: str) -> dict:
    """A layout file (``layouts/NAME.yaml`` or a path), as a dict."""
    import yaml


    path = Path(name) if name.endswith((".yaml", ".yml")) else LAYOUTS / f"{name}.yaml"
    try:
        layout = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise PortalError(f"layout file {path} cannot be read ({exc})",
                          hint="fix PORTAL_LAYOUT or copy layouts/portal.yaml") from exc
    if layout is not None and not isinstance(layout, dict):
        raise PortalError(f"layout file {path} is not a mapping of settings",
                          hint="copy layouts/portal.yaml and edit its values")
    return layout or {}


class PortalPage(pn.viewable.Viewer):
    """One browser tab of the portal."""

    state = required(ViewState)
    catalog = required(Catalog)
    identity = param.ClassSelector(class_=Identity, default=ANONYMOUS,
                                   doc="who is visiting (the catalog is already filtered)")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)

        self._layout = load_layout(Settings.from_env().layout)  # PORTAL_LAYOUT
        entries = list(self.catalog)
        from portal.catalog.search import index_for

        self._list = DatasetList(state=self.state, entries=entries, index=index_for(self.catalog))
        self._card = DatasetCard(entry=self._entry(), lang=self.state.lang)
        self._main = pn.Column(sizing_mode="stretch_width")
        self._probe = ViewportWidth()  # phones: plots as wide as the screen
        self._desktop_width = int(self._layout.get("plot_width", 900))
        self._sidebar_width = int(self._layout.get("sidebar_width", 360))
        follow_viewport(self._probe, lambda: self._pane, self._desktop_width, self._sidebar_width)
        self._pane: QuicklookPane | None = None
        self._overview: OverviewMap | None = None
        self._combined: CombinedView | None = None
        self._coloc: Any = None  # the colocation section on the page (None: none)
        self._add: pn.widgets.Button | None = None  # the card's "Add to view" button
        self.state.param.watch(self._on_dataset, "dataset")
        self.state.param.watch(self._on_combined, "datasets")
        self.state.param.watch(self._on_lang, "lang")
        self._build_main()

    def _entry(self):
        return self.catalog.entries.get(self.state.dataset)

    def _on_combined(self, event) -> None:
        if bool(event.old) != bool(event.new):  # the combined view appears or goes
            self._build_main()

    def _build_main(self) -> None:
        if self.state.combined_ids():  # several datasets on one view (datasets=…)
            if self._combined is None:
                self._combined = CombinedView(state=self.state, catalog=self.catalog,
                                              plot_height=int(self._layout.get("plot_height",
                                                                               520)))
            self._main.objects = [self._combined]
            return
        self._combined = None
        self._coloc = None
        entry = self._entry()
        self._card.entry = entry
        if self._pane is not None:
            self._pane.dispose()
        notice = None
        if entry is not None:
            self._pane, notice = guarded_pane(self.state, lambda: QuicklookPane(
                state=self.state, entry=entry, downloads=can_download(entry, self.identity),
                plot_height=int(self._layout.get("plot_height", 520)), plot_width=plot_width_for(
                    self._probe.viewport, self._desktop_width, self._sidebar_width)))
        else:
            self._pane = None
        settings = current()
        if entry is None and self.state.dataset and self.identity.anonymous and (
                settings.login.enabled):  # unknown or restricted: the same prompt
            self._main.objects = [sign_in_prompt(settings, self.state.lang,
                                                 f"/?dataset={self.state.dataset}")]
            return
        if entry is None:  # the landing page: where the datasets are
            if self._overview is None:
                overview = OverviewMap(state=self.state, entries=list(self.catalog),
                                       height=int(self._layout.get("plot_height", 520)))
                overview.show_only(self._list.found)
                self._list.param.watch(lambda e: overview.show_only(e.new), "found")
                self._overview = overview
            self._main.objects = [self._card.header, self._overview]
            return
        # header, controls and plot first: the plot is in view at 1366x768; details below
        head = pn.Row(self._card.header, self._add_button(entry), sizing_mode="stretch_width")
        coloc = colocate_section(self.state, entry, list(self.catalog)) if self._pane else None
        self._coloc = coloc
        self._main.objects = [head, *([notice] if notice else []),
                              *([self._pane] if self._pane else []), *([coloc] if coloc else []),
                              self._card.details]

    def _add_button(self, entry) -> pn.widgets.Button:
        """"Add to view" on the card: this dataset starts (or joins) a combined view."""
        button = pn.widgets.Button(label=f"+ {t('add_to_view', self.state.lang)}",
                                   color="primary", variant="outline",
                                   css_classes=["portal-card-add"], width=180)
        dataset_id = str(entry.id)

        def add(_event: Any) -> None:
            self.state.add_to_view(dataset_id)

        button.on_click(add)
        self._add = button
        return button

    def _on_dataset(self, _event) -> None:
        self._build_main()

    def _on_lang(self, event) -> None:
        self._card.lang = event.new
        if self._pane is not None:
            self._pane.relabel(event.new)  # the plot redraws itself in the new language
            if self._add is not None:
                self._add.label = f"+ {t('add_to_view', event.new)}"
            if self._coloc is not None:
                self._relabel_coloc()

    def _relabel_coloc(self) -> None:
        """The colocation section rebuilt in the new language, in its place: the rest of
        the page (the quicklook pane, its widgets and plot) stays."""
        coloc = colocate_section(self.state, self._entry(), list(self.catalog))
        self._main.objects = [coloc if obj is self._coloc else obj
                              for obj in self._main.objects if coloc or obj is not self._coloc]
        self._coloc = coloc

    def _lang_switch(self):
        switch = pn.widgets.RadioButtonGroup(options={"EN": "en", "FR": "fr"},
                                             value=self.state.lang, color="light",
                                             css_classes=["portal-lang"], width=110)
        switch.param.watch(lambda e: setattr(self.state, "lang", e.new), "value")
        # The template renders its title into the page once: retitle it in the browser.
        switch.jscallback(value=_RETITLE_JS, args={"titles": [t("portal_title", lang)
                                                              for lang in ("en", "fr")]})
        return switch

    def _header(self) -> list:
        account = account_bar(self.identity, current(), self.state.lang,
                              f"/?dataset={self.state.dataset}" if self.state.dataset else "/")
        return [self._lang_switch(), *([account] if account is not None else []), self._probe]

    def template(self):
        """The page on the configured Panel template, without the template's busy
        indicator: Panel's is one spinner for the whole process (``pn.state.busy``), so
        one visitor's redraw turned it on in every open page, and each turn was a patch
        sent to every session (5 % of the server's CPU under 20 sessions); the plot
        has its own progress overlay."""
        layout = self._layout
        name = layout.get("template", "vanilla")
        cls = PortalTemplate if name == "vanilla" else getattr(
            pn.template, _TEMPLATES.get(name, "FastListTemplate"))
        if cls.__name__ in ("FastListTemplate", "PortalTemplate"):
            return self._styled(cls, layout)
        return cls(title=t("portal_title", self.state.lang), header=self._header(),
                   sidebar=[self._list], main=[self._main],
                   design=plain_paths(cls.param.design.default), busy_indicator=None)

    def prepaint(self) -> str:
        """The first paint of this page as HTML (:func:`portal.ui.prepaint.prepaint_for`
        of the URL's parameters); '' if it cannot be built (the page works without)."""
        from portal.query import param_value
        from portal.ui.prepaint import prepaint_for

        raw = pn.state.session_args or {}
        args = {k: param_value(raw, k) or "" for k in raw}
        try:
            return prepaint_for(self.catalog, self.state.lang, args, self._layout,
                                self.identity)
        except Exception:  # noqa: BLE001 - the page works without its first paint
            log.exception("first paint of %s not built", self.state.dataset or "/")
            return ""

    def _styled(self, cls, layout: dict):
        extra: dict[str, Any] = {"accent_base_color": layout.get("accent", "#0b5394")} if (
            cls.__name__ == "FastListTemplate") else {"raw_css": [_fonts_css()]}
        extra.update(meta_viewport="width=device-width, initial-scale=1",
                     css_files=[asset_url(layout.get("page_css", "/assets/portal-page.css"))])
        optional = {k: asset_url(layout[k]) for k in ("logo", "favicon") if layout.get(k)}
        template = cls(
            title=t("portal_title", self.state.lang), **optional,
            header_background=layout.get("header_background", "#0b3d6b"),
            sidebar_width=int(layout.get("sidebar_width", 360)),
            header=self._header(), sidebar=[self._list], main=[self._main], **extra,
            design=plain_paths(cls.param.design.default), busy_indicator=None,
        )
        if cls is PortalTemplate and pn.state.curdoc is not None:  # served: paint first
            template.prepaint = self.prepaint()
        return template

    def __panel__(self):
        return pn.Row(self._list, self._main, self._probe, sizing_mode="stretch_width")


def _request_language(state: ViewState) -> None:
    from portal.ui.i18n import negotiate

    args = pn.state.session_args or {}
    query_lang = (args.get("lang") or [b""])[0].decode("utf-8", "replace")
    accept = (pn.state.headers or {}).get("Accept-Language")
    if isinstance(accept, list):  # a repeated header: its values form one list
        accept = ",".join(accept)
    state.lang = negotiate(query_lang, accept)


def portal_page(catalog: Catalog, identity: Identity = ANONYMOUS):
    """Build the full portal for the current session (served at ``/``) over ``catalog``
    as ``identity`` sees it; whatever the URL holds, the visitor gets a page (at worst one
    polite message), never a traceback."""
    state = ViewState()
    try:
        if pn.state.curdoc is not None:
            _request_language(state)
            state.sync_url()
            watch_connection(pn.state.curdoc, state.lang)
        return PortalPage(state=state, catalog=catalog, identity=identity).template()
    except Exception as exc:  # noqa: BLE001 - the last resort of the page
        return failed_page(exc, state.lang)


def _arg(name: str, default: str = "") -> str:
    return param_value(pn.state.session_args or {}, name) or default


def embed_page(catalog: Catalog, identity: Identity = ANONYMOUS):
    """One quicklook, no chrome, from ``/embed?dataset=ID&kind=…&var=…`` parameters (or
    ``/embed?datasets=ID1,ID2&kind=…``: a combined view, built like the page's).

    The parameters go through :func:`portal.query.parse_query`, like the PNG route's; a
    bad one shows an error that names it. ``catalog`` is what ``identity`` may see: an
    anonymous visitor asking for another dataset gets the sign-in prompt when sign-in is on.
    """

    layout = load_layout("embed")
    state = ViewState()
    state.lang = _arg("lang", "en") if _arg("lang", "en") in ("en", "fr") else "en"
    if pn.state.curdoc is not None:
        watch_connection(pn.state.curdoc, state.lang)
    try:
        query = state.apply_params(pn.state.session_args or {})
        state.extent = ViewState.param.extent.deserialize(_arg("extent"))
        state.view = _arg("view")
        if query.datasets:  # several datasets on one view: the same builder as the page
            from portal.overlay import resolve_entries

            resolve_entries(catalog, query.datasets)  # unknown ids: one error naming them
        entry = None if query.datasets else catalog[query.dataset or ""]
    except DatasetNotFound as exc:
        if identity.anonymous and current().login.enabled and query.dataset:
            import urllib.parse

            here = "/embed?" + urllib.parse.urlencode(
                {k: param_value(pn.state.session_args or {}, k) for k in pn.state.session_args})
            return sign_in_prompt(current(), state.lang, here, new_tab=True)
        return error_alert(exc, state.lang)
    except PortalError as exc:
        return error_alert(exc, state.lang)
    height = query.height or int(layout.get("plot_height", 500))
    width = query.width or int(layout.get("plot_width", 800))
    if entry is None:
        view = CombinedView(state=state, catalog=catalog, show_controls=False,
                            plot_height=height, plot_width=width)
        return pn.Column(view, sizing_mode="stretch_both", margin=0)
    probe = ViewportWidth()  # a narrow iframe: a narrow plot, its title wrapped to fit
    pane, notice = guarded_pane(state, lambda: QuicklookPane(
        state=state, entry=entry, show_controls=False, plot_height=height, plot_width=width,
        downloads=can_download(entry, identity)))
    follow_viewport(probe, lambda: pane, width)
    items = [x for x in (probe, notice, pane) if x is not None]
    return pn.Column(*items, sizing_mode="stretch_both", margin=0)
