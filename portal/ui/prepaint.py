"""The page's first paint: plain HTML in the body of ``/`` before any JavaScript runs.

A Panel page shows nothing until BokehJS (a few MB of JavaScript) has run and the
session's document has come over the websocket: over a second on a cold browser. So the
HTML of ``/`` starts with this block, written by the server from the same session state:
the header, the dataset list (escaped titles, ``?dataset=ID`` links, lazy ``/thumbnail``
images) and, on the landing page, the landing map as an image
(:func:`portal.render.landing.land_data_url`, in the page) with every regional dataset box laid over it as a
link (largest first, so a click lands on the smallest box under it; global datasets are
listed under the map, like :class:`~portal.ui.overview_map.OverviewMap` does); for a
shared link to a dataset, the PNG of exactly that view (``/quicklook/ID/KIND.png`` with the
page's parameters) where the plot will appear. The block covers the window (fixed
position) while Panel builds the real page underneath, and a few lines of script remove
it once the Bokeh document is idle (every root drawn). Everything from metadata goes
through :func:`html.escape`; only what the visitor's catalog holds is listed (the page
passes the identity's catalog).
"""

from __future__ import annotations

import html
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from portal.access import ANONYMOUS, Identity
from portal.i18n import t

if TYPE_CHECKING:
    from collections.abc import Mapping

    from portal.catalog.loader import Catalog

PREPAINT_ID = "portal-prepaint"
BEGIN, END = "<!--portal-prepaint-->", "<!--/portal-prepaint-->"  # around the whole block
MAP_WIDTH = 1024  # the land image's width (a 2048 one for dense screens)

# Removes the block when the Panel document has drawn every root (Bokeh's "idle") and, for
# a shared link, once its interactive plot (the model of class portal-plot: a Figure, or
# the Column of a layout's figures, a section or the linked views) is drawn, the PNG
# failed, or 20 s after idle; the block stays (its links work) if Panel never connects.
# ``window.portalReadyBy`` says which of these removed it.
REMOVE_JS = """<script>(function () {
  var block = document.getElementById('portal-prepaint');
  var png = block.querySelector('.pp-plot'), failed = false, idleAt = 0;
  if (png) { png.addEventListener('error', function () { failed = true; }); }
  function idle() {
    var B = window.Bokeh;
    return !!(B && B.documents && B.documents.some(function (d) {
      return d.roots().length > 0 && d.is_idle; }));
  }
  function plotDrawn() {
    for (const v of window.Bokeh.index.all_views()) {
      if ((v.model.css_classes || []).includes('portal-plot') && v.el.isConnected
          && v.has_finished()) { return true; }
    }
    return false;
  }
  function readyBy() {
    if (!png) { return 'idle'; }
    if (failed) { return 'failed'; }
    if (plotDrawn()) { return 'plot'; }
    return performance.now() - idleAt > 20000 ? 'timeout' : '';
  }
  function check() {
    if (!idleAt && idle()) { idleAt = performance.now(); }
    var by = idleAt ? readyBy() : '';
    if (by) {
      block.remove();
      window.portalReadyAt = performance.now();  // read by bench/bench_page.py
      window.portalReadyBy = by;
    } else { window.requestAnimationFrame(check); }
  }
  window.requestAnimationFrame(check);
})();</script>"""

CSS = """<style>
#portal-prepaint { position: fixed; inset: 0; z-index: 3000; overflow: auto; background: #fff;
  color: #1f2a33; font-family: system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans',
  sans-serif; font-size: 15px; }
#portal-prepaint a { color: #0b3d6b; }
.pp-header { display: flex; align-items: center; gap: 10px; min-height: 72px; padding: 0 16px;
  box-sizing: border-box; color: #fff; }
.pp-header img { height: 40px; }
.pp-title { font-size: 1.6em; overflow-wrap: anywhere; }
#portal-prepaint .pp-account { margin-left: auto; }
#portal-prepaint .pp-account, #portal-prepaint .pp-account a { color: #fff; }
.pp-content { display: flex; align-items: flex-start; }
.pp-list { flex: 0 0 var(--pp-sidebar); width: var(--pp-sidebar); box-sizing: border-box;
  padding: 10px; border-right: 1px solid #d5dde5; }
.pp-count::before { content: attr(data-count); }
.pp-list ul { list-style: none; margin: 8px 0 0; padding: 0; }
.pp-item { display: flex; gap: 6px; align-items: flex-start; margin: 0 0 8px; }
.pp-item a.pp-t { flex: 1 1 auto; min-width: 0; display: block; text-decoration: none;
  padding: 6px 10px; background: #f4f7fa; border: 1px solid #d5dde5; border-radius: 4px;
  overflow-wrap: anywhere; line-height: 1.25; }
#portal-prepaint .pp-item.active a.pp-t { color: #fff; background: #0b5394; border-color: #0b5394; }
#portal-prepaint .pp-item.active .pp-sub { color: #dfe9f3; }
.pp-sub { display: block; font-size: .8rem; color: #5b6770; margin-top: 3px; }
.pp-item img { flex: 0 0 96px; width: 96px; height: 64px; object-fit: cover;
  border: 1px solid #d5dde5; border-radius: 3px; background: #eef2f5; }
.pp-main { flex: 1 1 auto; min-width: 0; padding: 10px; box-sizing: border-box; }
.pp-hint, .pp-main .portal-card-line { color: #5b6770; margin: 4px 0 10px; }
.pp-main h2 { font-size: 1.3em; margin: 4px 0; overflow-wrap: anywhere; }
.pp-map { position: relative; width: 100%; overflow: hidden; border: 1px solid #d5dde5; }
.pp-map img { display: block; width: 100%; height: auto; }
.pp-box { position: absolute; box-sizing: border-box; border: 2px solid; min-width: 6px;
  min-height: 6px; }
.pp-box:hover, .pp-box:focus { border-width: 3px; background-color: rgba(255,255,255,.35); }
.pp-globals a { display: inline-block; margin: 6px 8px 0 0; padding: 4px 8px;
  border: 1px solid #d5dde5; border-radius: 4px; text-decoration: none; }
.pp-plot { display: block; max-width: 100%; height: auto; background: #f4f7fa; }
@media screen and (max-width: 760px) {
  .pp-content { flex-direction: column; }
  .pp-list { flex: none; width: 100%; max-height: 45vh; overflow: auto; border-right: 0;
    border-bottom: 1px solid #d5dde5; }
  .pp-main { width: 100%; padding: 4px; }
  .pp-header { padding: 6px 8px; }
}
</style>"""


@dataclass
class PrePaint:
    """What the first paint shows; every text is plain (escaped when written)."""

    lang: str = "en"
    title: str = ""
    logo: str = ""
    header_background: str = "#0b3d6b"
    sidebar_width: int = 360
    count: str = ""  # "7 datasets"
    items: Sequence[dict[str, str]] = ()  # {'id', 'title', 'sub', 'thumb'} as the list shows
    selected: str = ""  # the dataset open, if any
    entries: Sequence[Any] = ()  # the datasets on the landing map (DatasetEntry)
    land: str = ""  # URL of the land image (a data: URL) ('' : no map)
    plot: str = ""  # URL of the quicklook PNG of a shared link ('' : none)
    plot_size: tuple[int, int] = (900, 520)
    heading: str = ""  # HTML (already escaped): the card header or the landing hint
    account: str = ""  # HTML (already escaped): the header's sign-in or user links
    link_args: dict[str, str] = field(default_factory=dict)  # kept in ?dataset= links
    plot_request: tuple[str, str, dict[str, str]] | None = None  # (id, kind, PNG params)


def _href(dataset_id: str, args: dict[str, str]) -> str:
    return "?" + urllib.parse.urlencode({"dataset": dataset_id, **args})


def list_html(p: PrePaint) -> str:
    """The dataset list: one link per dataset (title and subtitle), with its thumbnail."""
    esc = html.escape
    rows = []
    for item in p.items:
        thumb = (f"<img src='{esc(item['thumb'], quote=True)}' loading='lazy' alt='' "
                 "width='96' height='64' onerror='this.remove()'>") if item.get("thumb") else ""
        active = " active" if item["id"] == p.selected else ""
        rows.append(f"<li class='pp-item{active}'><a class='pp-t' "
                    f"href='{esc(_href(item['id'], p.link_args), quote=True)}'>"
                    f"{esc(item['title'])}<span class='pp-sub'>{esc(item.get('sub', ''))}"
                    f"</span></a>{thumb}</li>")
    # the count is drawn by CSS (not text in the DOM): the page's own count, in Panel's list,
    # is the one scripts and browser tests wait for as the sign that the page is there
    return (f"<aside class='pp-list'><b class='pp-count' data-count='{esc(p.count, quote=True)}'>"
            f"</b><ul>{''.join(rows)}</ul></aside>")


def _spans(entry) -> list[tuple[float, float, float, float]]:
    """(left, top, width, height) fractions of the landing map for an entry's box (one per
    longitude span; at least ~1 degree, like the interactive map's)."""
    from portal.quicklooks.extent import lon_spans
    from portal.render.landing import fraction

    west, south, east, north = entry.bbox
    pad_y = max(0.0, 0.5 - (north - south) / 2)
    out = []
    for lo, hi in lon_spans(west, east):
        pad_x = max(0.0, 0.5 - (hi - lo) / 2)
        x0, y0 = fraction(lo - pad_x, north + pad_y)
        x1, y1 = fraction(hi + pad_x, south - pad_y)
        x0, x1 = max(x0, 0.0), min(x1, 1.0)
        y0, y1 = max(y0, 0.0), min(y1, 1.0)
        if x1 > x0 and y1 > y0:
            out.append((x0, y0, x1 - x0, y1 - y0))
    return out


def map_html(p: PrePaint) -> str:
    """The landing map: the land image with a link per dataset box, largest first (the
    smallest box under a click is on top), and the global datasets listed beneath."""
    from portal.render.landing import ASPECT
    from portal.ui.overview_map import COLOURS, _area, is_global

    esc = html.escape
    located = [e for e in p.entries if e.bbox and not is_global(e)]
    links = []
    for entry in sorted(located, key=_area, reverse=True):
        colour = COLOURS.get(entry.feature_type, "#5b6770")
        name = esc(entry.title or entry.id, quote=True)
        href = esc(_href(entry.id, p.link_args), quote=True)
        for left, top, width, height in _spans(entry):
            links.append(
                f"<a class='pp-box' href='{href}' title='{name}' aria-label='{name}' "
                f"data-dataset='{esc(entry.id, quote=True)}' style='left:{left * 100:.3f}%;"
                f"top:{top * 100:.3f}%;width:{width * 100:.3f}%;height:{height * 100:.3f}%;"
                f"border-color:{colour};background-color:{colour}33'></a>")
    globals_ = [e for e in p.entries if is_global(e)]
    listed = "".join(f"<a href='{esc(_href(e.id, p.link_args), quote=True)}' style='border-left:"
                     f"4px solid {COLOURS.get(e.feature_type, '#5b6770')}'>&#9675; "
                     f"{esc(e.title or e.id)}</a>" for e in globals_)
    below = (f"<div class='pp-globals'><b>{esc(t('global_datasets', p.lang))}</b><br>"
             f"{listed}</div>") if globals_ else ""
    height = p.plot_size[1]  # as tall as the interactive map
    return (f"<div class='pp-map' style='aspect-ratio:1/{ASPECT:.5f};max-width:"
            f"{height / ASPECT:.0f}px'><img src='{esc(p.land, quote=True)}' alt='' "
            "elementtiming='portal-map' "
            f"width='{MAP_WIDTH}' height='{round(MAP_WIDTH * ASPECT)}'>{''.join(links)}"
            f"</div>{below}")


def plot_html(p: PrePaint) -> str:
    """The quicklook PNG of a shared link, at the interactive plot's size."""
    width, height = p.plot_size
    return (f"<img class='pp-plot' src='{html.escape(p.plot, quote=True)}' alt='' "
            "elementtiming='portal-plot' "
            f"width='{width}' height='{height}'>")


def prepaint_html(p: PrePaint) -> str:
    """The whole block (style, header, list, main area, the removal script), as HTML."""
    esc = html.escape
    logo = f"<img src='{esc(p.logo, quote=True)}' alt=''>" if p.logo else ""
    main = p.heading + (plot_html(p) if p.plot else map_html(p) if p.land else "")
    return (f"{BEGIN}<div id='{PREPAINT_ID}' lang='{esc(p.lang, quote=True)}' "
            f"style='--pp-sidebar:{int(p.sidebar_width)}px'>{CSS}"
            f"<header class='pp-header' style='background:{esc(p.header_background, quote=True)}'>"
            f"{logo}<span class='pp-title' elementtiming='portal-title'>{esc(p.title)}</span>"
            f"<span class='pp-account'>{p.account}</span></header>"
            f"<div class='pp-content'>{list_html(p)}<main class='pp-main'>{main}</main></div>"
            f"</div>{REMOVE_JS}{END}")


def _items(catalog: Catalog, args: Mapping[str, str]) -> list:
    """The entries the list shows for the URL's search (``q``, ``where``), in its order."""
    from portal.catalog.search import SearchRequest, index_for
    from portal.ui.state import ViewState

    try:
        where = ViewState.param.where.deserialize(args.get("where", "")) or None
    except Exception:  # noqa: BLE001 - a bad box: the page says so; the first paint ignores it
        where = None
    return index_for(catalog).search(SearchRequest.of(args.get("q", ""), bbox=where)).entries


def _plot_request(entry, lang: str, args: Mapping[str, str],
                  size: tuple[int, int]) -> tuple[str, str, dict[str, str]] | None:
    """(id, kind, PNG route parameters) of the view a shared link opens: the page's own
    parameters (:meth:`ViewState.quicklook_params`) at the plot's size; None: no quicklook,
    or one drawn in the page only (linked views: no PNG of them to show meanwhile)."""
    from portal.query import PAGE_ONLY_KINDS
    from portal.quicklooks import entry_kinds
    from portal.ui.state import ViewState

    state = ViewState()
    state.apply_params(args)  # BadParameter: no PNG; the page shows the error
    state.lang = lang
    kinds = entry_kinds(entry)
    kind = state.kind if state.kind in kinds else (kinds[0] if kinds else "")
    if not kind or kind in PAGE_ONLY_KINDS:
        return None
    return entry.id, kind, {**state.quicklook_params(), "width": str(size[0]),
                            "height": str(size[1])}


def _plot_url(request: tuple[str, str, dict[str, str]]) -> str:
    from portal.settings import current

    dataset_id, kind, params = request
    ident = urllib.parse.quote(dataset_id, safe="")
    return current().link(f"/quicklook/{ident}/{kind}.png?{urllib.parse.urlencode(params)}")


def prepaint_for(catalog: Catalog, lang: str, args: Mapping[str, str], layout: dict,
                 identity: Identity = ANONYMOUS) -> str:
    """The first paint of the page at ``?args`` (one value per key) over ``catalog`` (what
    ``identity`` may see) in ``lang``, styled by the page's ``layout`` settings, as HTML."""
    return prepaint_html(first_paint(catalog, lang, args, layout, identity))


def _inline(name: str, limit: int = 16_384) -> str:
    """A small image of the portal's static folder (``/assets/NAME``) as a ``data:`` URL,
    else its URL: the server answers no other request while Panel builds the session."""
    import base64
    import mimetypes

    from portal.assets import static_dir
    from portal.settings import asset_url

    if name.startswith("/assets/") and "/.." not in name:
        path = static_dir() / name.removeprefix("/assets/")
        kind = mimetypes.guess_type(path.name)[0]
        if kind and kind.startswith("image/") and path.is_file() and (
                path.stat().st_size <= limit):
            return f"data:{kind};base64," + base64.b64encode(path.read_bytes()).decode("ascii")
    return asset_url(name)


def first_paint(catalog: Catalog, lang: str, args: Mapping[str, str], layout: dict,
                identity: Identity = ANONYMOUS) -> PrePaint:
    """What :func:`prepaint_for` shows."""
    from portal.render.landing import land_data_url
    from portal.settings import current
    from portal.ui.account import account_html
    from portal.ui.dataset_card import header_html
    from portal.ui.dataset_list import MAX_SHOWN, _subtitle, _thumbnail

    found = _items(catalog, args)
    dataset = args.get("dataset", "")
    size = (int(layout.get("plot_width", 900)), int(layout.get("plot_height", 520)))
    paint = PrePaint(
        lang=lang, title=t("portal_title", lang), selected=dataset, plot_size=size,
        logo=_inline(layout["logo"]) if layout.get("logo") else "",
        header_background=layout.get("header_background", "#0b3d6b"),
        sidebar_width=int(layout.get("sidebar_width", 360)),
        count=t("datasets_found", lang, n=len(found)),
        items=[{"id": e.id, "title": e.title or e.id, "sub": _subtitle(e), "thumb": _thumbnail(e)}
               for e in found[:MAX_SHOWN]],
        link_args={"lang": lang} if lang != "en" else {},
        account=account_html(identity, current(), lang,
                             f"/?dataset={dataset}" if dataset else "/") or "")
    entry = catalog.entries.get(dataset) if dataset else None
    if args.get("datasets") or (dataset and entry is None):
        return paint  # a combined view or a sign-in prompt: no main area
    if entry is None:  # the landing map
        paint.entries = found
        paint.land = land_data_url(MAP_WIDTH)
        paint.heading = f"<p class='pp-hint'>{html.escape(t('no_dataset', lang))}</p>"
        return paint
    paint.heading = header_html(entry, lang)
    try:
        paint.plot_request = _plot_request(entry, lang, args, size)
    except Exception:  # noqa: BLE001 - a bad parameter: the page names it
        paint.plot_request = None
    paint.plot = _plot_url(paint.plot_request) if paint.plot_request else ""
    return paint


EMBED_CSS = """<style>
#portal-prepaint { position: fixed; inset: 0; z-index: 3000; overflow: hidden; background: #fff; }
#portal-prepaint .pp-plot { display: block; max-width: 100%; height: auto; }
</style>"""


def embed_paint(catalog: Catalog, lang: str, args: Mapping[str, str],
                layout: dict) -> PrePaint | None:
    """The first paint of ``/embed?args``: its quicklook's PNG at the frame's size; None
    when there is nothing to draw first (several datasets, an unknown one, a bad parameter)."""
    from portal.query import parse_query

    try:
        query = parse_query(args)
        entry = catalog.entries.get(query.dataset or "") if not query.datasets else None
        if entry is None:
            return None
        size = (query.width or int(layout.get("plot_width", 800)),
                query.height or int(layout.get("plot_height", 500)))
        request = _plot_request(entry, lang, args, size)
    except Exception:  # noqa: BLE001 - the embed names a bad parameter itself
        return None
    if request is None:
        return None
    return PrePaint(lang=lang, plot=_plot_url(request), plot_size=size, plot_request=request)


def embed_html(p: PrePaint) -> str:
    """The embed's first paint: its PNG alone, removed like the page's."""
    return (f"{BEGIN}<div id='{PREPAINT_ID}' lang='{html.escape(p.lang, quote=True)}'>"
            f"{EMBED_CSS}{plot_html(p)}</div>{REMOVE_JS}{END}")
