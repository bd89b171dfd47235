"""The dataset list: search box and facets query the shared index; options show counts."""

from __future__ import annotations

from portal.catalog.search import SearchIndex
from portal.query import BBox
from tests.catalog.test_search import ENTRIES

EVIL = '<img src=x onerror="alert(1)">'


def test_facet_options_escape_labels_and_show_counts():
    from portal.ui.dataset_list import facet_options

    options = facet_options([EVIL, "IRD"], {EVIL: 1, "IRD": 2})
    assert options == {'&lt;img src=x onerror="alert(1)"&gt; (1)': EVIL, "IRD (2)": "IRD"}
    assert facet_options([EVIL]) == {'&lt;img src=x onerror="alert(1)"&gt;': EVIL}


def test_list_follows_text_and_facets_with_counts():
    from portal.ui.dataset_list import DatasetList
    from portal.ui.state import ViewState

    index = SearchIndex(ENTRIES)
    state = ViewState()
    listing = DatasetList(state=state, entries=list(ENTRIES), index=index)
    assert listing.found == [e.id for e in ENTRIES]
    listing._on_filters(type("Event", (), {"new": True})())  # the filters opened
    types = listing._facets["feature_type"]
    assert types.options["profile (2)"] == "profile"
    state.q = "temperature"
    listing._refresh()
    assert listing.found == ["argo_6901744", "fiji_mooring", "sst_grid"]
    assert "profile (1)" in types.options and "metadata (1)" not in types.options
    types.value = ["grid"]
    assert listing.found == ["sst_grid"]
    institutions = listing._facets["institution"]
    assert institutions.options == {"NASA (1)": "NASA"}  # follows the other facets' choice
    assert "timeSeries (1)" in types.options  # its own choice does not narrow its counts


def test_typed_box_filters_the_list_and_the_url_key():
    from portal.ui.dataset_list import DatasetList
    from portal.ui.state import URL_KEYS, ViewState

    state = ViewState()
    listing = DatasetList(state=state, entries=list(ENTRIES), index=SearchIndex(ENTRIES))
    listing._where.value = "-35,35,-15,55"
    assert "argo_6901744" in listing.found and "fiji_mooring" not in listing.found
    assert len(listing.found) < len(ENTRIES) and state.where.to_text() == "-35,35,-15,55"
    assert "where" in URL_KEYS
    listing._where.value = "1,2,3"  # malformed: left out, said in the tooltip
    assert listing._where.description and state.where.to_text() == "-35,35,-15,55"
    listing._where.value = ""
    assert state.where is None and listing.found == [e.id for e in ENTRIES]
    reopened = DatasetList(state=ViewState(where=BBox.parse("170,-30,-170,-10")), entries=list(ENTRIES))
    assert "fiji_mooring" in reopened.found and "argo_6901744" not in reopened.found
    assert reopened._where.value == "170,-30,-170,-10"


def test_items_carry_lazy_thumbnail_urls():
    from portal.ui.dataset_list import DatasetList
    from portal.ui.state import ViewState

    listing = DatasetList(state=ViewState(), entries=list(ENTRIES))
    thumbs = {i["id"]: i["thumb"] for i in listing._items.items}
    assert thumbs["sst_grid"].startswith("/thumbnail/sst_grid.png?width=240")
    assert "loading = 'lazy'" in listing._items._esm
    from portal.server.api import dataset_links

    api = {e.id: dataset_links(e)["thumbnail"] or "" for e in ENTRIES}
    assert thumbs == {k: api[k] for k in thumbs}  # one URL: one PNG cache entry
