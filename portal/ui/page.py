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
from portal.ui.dataset_card import DatasetCard
from portal.ui.dataset_list import DatasetList
from portal.ui.i18n import t
from portal.ui.overview_map import OverviewMap
from portal.ui.quicklook_pane import QuicklookPane
from portal.ui.state import ViewState, required

LAYOUTS = layouts_dir()
_TEMPLATES = {"fast_list": "FastListTemplate", "bootstrap": "BootstrapTemplate",
              "material": "MaterialTemplate", "vanilla": "VanillaTemplate"}
_RETITLE_JS = """
const title = titles[cb_obj.active];
document.title = title;
const header = document.querySelector('#header .title, .app-header .title');
if (header) { header.textContent = title; }
"""


class PortalTemplate(pn.template.VanillaTemplate):
    """Panel's VanillaTemplate without its web font: no request leaves the server.

    Vanilla needs no front-end framework (FAST adds 0.9 MB of JavaScript to parse
    before the first paint); the fonts come from the visitor's system.
    """

    _resources = {"css": {}}


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
        self._pane: QuicklookPane | None = None
        self._overview: OverviewMap | None = None
        self.state.param.watch(self._on_dataset, "dataset")
        self.state.param.watch(self._on_lang, "lang")
        self._build_main()

    def _entry(self):
        return self.catalog.entries.get(self.state.dataset)

    def _build_main(self) -> None:
        entry = self._entry()
        self._card.entry = entry
        if self._pane is not None:
            self._pane.dispose()
        notice = None
        if entry is not None:
            self._pane, notice = guarded_pane(self.state, lambda: QuicklookPane(
                state=self.state, entry=entry, downloads=can_download(entry, self.identity),
                plot_height=int(self._layout.get(
                    "plot_height", 520)), plot_width=int(self._layout.get("plot_width", 900))))
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
        self._main.objects = [self._card.header, *([notice] if notice else []),
                              *([self._pane] if self._pane else []), self._card.details]

    def _on_dataset(self, _event) -> None:
        self._build_main()

    def _on_lang(self, event) -> None:
        self._card.lang = event.new
        if self._pane is not None:
            self._pane.relabel(event.new)

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
        return [self._lang_switch(), *([account] if account is not None else [])]

    def template(self):
        """The page on the configured Panel template."""
        layout = self._layout
        name = layout.get("template", "vanilla")
        cls = PortalTemplate if name == "vanilla" else getattr(
            pn.template, _TEMPLATES.get(name, "FastListTemplate"))
        if cls.__name__ in ("FastListTemplate", "PortalTemplate"):
            return self._styled(cls, layout)
        return cls(title=t("portal_title", self.state.lang), header=self._header(),
                   sidebar=[self._list], main=[self._main])

    def _styled(self, cls, layout: dict):
        extra = {"accent_base_color": layout.get("accent", "#0b5394")} if (
            cls.__name__ == "FastListTemplate") else {"raw_css": [_fonts_css()]}
        optional = {k: asset_url(layout[k]) for k in ("logo", "favicon") if layout.get(k)}
        return cls(
            title=t("portal_title", self.state.lang), **optional,
            header_background=layout.get("header_background", "#0b3d6b"),
            sidebar_width=int(layout.get("sidebar_width", 360)),
            header=self._header(), sidebar=[self._list], main=[self._main], **extra,
        )

    def __panel__(self):
        return pn.Row(self._list, self._main, sizing_mode="stretch_width")


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
        return PortalPage(state=state, catalog=catalog, identity=identity).template()
    except Exception as exc:  # noqa: BLE001 - the last resort of the page
        return failed_page(exc, state.lang)


def _arg(name: str, default: str = "") -> str:
    return param_value(pn.state.session_args or {}, name) or default


def embed_page(catalog: Catalog, identity: Identity = ANONYMOUS):
    """One quicklook, no chrome, from ``/embed?dataset=ID&kind=…&var=…`` parameters.

    The parameters go through :func:`portal.query.parse_query`, like the PNG route's; a
    bad one shows an error that names it. ``catalog`` is what ``identity`` may see: an
    anonymous visitor asking for another dataset gets the sign-in prompt when sign-in is on.
    """

    layout = load_layout("embed")
    state = ViewState()
    state.lang = _arg("lang", "en") if _arg("lang", "en") in ("en", "fr") else "en"
    try:
        query = state.apply_params(pn.state.session_args or {})
        state.extent = ViewState.param.extent.deserialize(_arg("extent"))
        state.view = _arg("view")
        entry = catalog[query.dataset or ""]
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
    pane, notice = guarded_pane(state, lambda: QuicklookPane(
        state=state, entry=entry, show_controls=False, plot_height=height, plot_width=width,
        downloads=can_download(entry, identity)))
    items = [x for x in (notice, pane) if x is not None]
    return pn.Column(*items, sizing_mode="stretch_both", margin=0)
