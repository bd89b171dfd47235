"""The page object without a browser: layout file, template resources, MathJax left out."""

from __future__ import annotations

import pytest

from portal.catalog.loader import Catalog
from portal.model import DatasetEntry


@pytest.fixture
def catalog():
    entry = DatasetEntry.from_metadata("grid", "netcdf", {"urlpath": "/nowhere.nc"},
                                       {"title": "A grid", "featureType": "grid",
                                        "variables": [{"name": "sst"}]})
    return Catalog({"grid": entry})


def _page(catalog):
    from portal.ui.page import PortalPage
    from portal.ui.state import ViewState

    return PortalPage(state=ViewState(), catalog=catalog).template()


def test_default_template_loads_nothing_from_outside(catalog):
    tmpl = _page(catalog)
    assert type(tmpl).__name__ == "PortalTemplate"
    resources = tmpl.resolve_resources()
    urls = [u for kind in ("css", "js", "js_modules") for u in resources.get(kind, {}).values()]
    assert not [u for u in urls if str(u).startswith(("http://", "https://"))], urls


def test_portal_layout_file_is_honoured(catalog, tmp_path, monkeypatch):
    from portal.ui.page import load_layout

    layout = tmp_path / "brand.yaml"
    layout.write_text("template: fast_list\nheader_background: '#123456'\nsidebar_width: 300\n")
    monkeypatch.setenv("PORTAL_LAYOUT", str(layout))
    load_layout.cache_clear()
    tmpl = _page(catalog)
    assert type(tmpl).__name__ == "FastListTemplate"
    assert tmpl.header_background == "#123456" and tmpl.sidebar_width == 300


def test_mathjax_bundle_left_out_of_pages_with_html(monkeypatch):
    import panel as pn
    from bokeh.document import Document
    from bokeh.resources import Resources
    from panel.io import resources

    from portal.server.serve import skip_mathjax

    # restored after the test: skip_mathjax changes the process (as the server wants)
    monkeypatch.setattr(resources, "_panel_use_mathjax", resources._panel_use_mathjax)
    doc = Document()
    pn.pane.HTML("<p>$x$ costs 1.8 MB of MathJax</p>").server_doc(doc)

    def mathjax_files():
        bundle = resources.bundle_resources(doc.roots, Resources(mode="server"))
        return [f for f in map(str, bundle.js_files) if "mathjax" in f]

    assert mathjax_files(), "Panel no longer adds MathJax for HTML panes: drop skip_mathjax"
    skip_mathjax()
    assert mathjax_files() == []


# colocate_pane (main, the colocation helper's) still uses name= and button_type=
@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_add_to_view_builds_a_combined_view_in_the_url_state():
    from portal.ui.combined_view import CombinedView
    from portal.ui.page import PortalPage
    from portal.ui.state import ViewState

    catalog = _overlay_catalog()
    state = ViewState(dataset="g")
    page = PortalPage(state=state, catalog=catalog)
    add = next(o for o in page._main.objects[0] if "portal-card-add" in o.css_classes)
    add.clicks += 1
    assert state.datasets == "g" and isinstance(page._combined, CombinedView)
    state.add_to_view("p")
    assert state.query().datasets == ("g", "p")
    view = page._combined
    assert [c.css_classes[-1] for c in view._chips.objects] == ["portal-chip-g", "portal-chip-p"]
    view._chips.objects[0].clicks += 1  # remove the first chip
    assert state.datasets == "p"


def _overlay_catalog() -> Catalog:
    """Two entries whose files are absent: the combined view shows its chips and says why
    nothing could be drawn."""
    entries = {i: DatasetEntry.from_metadata(i, "netcdf", {"urlpath": f"/nowhere/{i}.nc"},
                                             {"title": f"Dataset {i}", "featureType": ft,
                                              "variables": [{"name": "sst"}]})
               for i, ft in (("g", "grid"), ("p", "profile"))}
    return Catalog(entries)


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_language_change_keeps_the_quicklook_pane_and_translates_around_it():
    """The quicklook pane (widgets, plot) stays and redraws itself; only the colocation
    section is rebuilt, in place, and the card's "Add to view" button is translated."""
    from portal.ui.i18n import t
    from portal.ui.page import PortalPage
    from portal.ui.state import ViewState

    def coloc_section():
        (found,) = [o for o in page._main.objects if "portal-coloc" in o.css_classes]
        return found

    state = ViewState(dataset="g")
    page = PortalPage(state=state, catalog=_overlay_catalog())
    pane, coloc = page._pane, coloc_section()
    before = list(page._main.objects)
    state.lang = "fr"
    assert page._pane is pane and not pane._disposed
    after = list(page._main.objects)
    at = before.index(coloc)
    assert after[at] is coloc_section() is not coloc
    assert all(a is b for i, (a, b) in enumerate(zip(before, after, strict=True)) if i != at)
    assert t("coloc_title", "fr") in coloc_section().objects[0].object
    add = next(o for o in page._main.objects[0] if "portal-card-add" in o.css_classes)
    assert add.label == f"+ {t('add_to_view', 'fr')}"


def test_page_document_indexes_its_models_once(catalog):
    """Panel adds the template's roots one by one; Bokeh re-walked every model of the
    document after each. Under the template's freeze the index is computed once."""
    from bokeh.document import Document
    from panel.io.state import set_curdoc

    doc = Document()
    calls = []
    recompute = doc.models.recompute
    doc.models.recompute = lambda: (calls.append(1), recompute())[1]
    with set_curdoc(doc):
        _page(catalog).server_doc(doc)
    assert len(doc.roots) > 3 and len(calls) == 1
    assert {m.id for m in doc.models} == {m.id for r in doc.roots for m in r.references()}


@pytest.mark.parametrize("template", ["vanilla", "fast_list", "material"])
def test_no_page_carries_the_process_wide_busy_spinner(catalog, tmp_path, monkeypatch,
                                                        template):
    """Panel's template spinner follows ``pn.state.busy``, one flag for the whole process:
    one visitor's redraw spun it in every open page, a patch to every session each time."""
    from bokeh.document import Document
    from panel.io.state import set_curdoc, state

    from portal.ui.page import load_layout

    layout = tmp_path / "layout.yaml"
    layout.write_text(f"template: {template}\n")
    monkeypatch.setenv("PORTAL_LAYOUT", str(layout))
    load_layout.cache_clear()
    before = list(state._indicators)
    doc = Document()
    with set_curdoc(doc):
        tmpl = _page(catalog)
        tmpl.server_doc(doc)
    assert tmpl.busy_indicator is None
    assert state._indicators == before  # nothing follows the process's busy flag
    load_layout.cache_clear()
