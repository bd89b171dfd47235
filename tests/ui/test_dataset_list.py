"""The dataset list: search box and facets query the shared index; options show counts."""

from __future__ import annotations

from portal.catalog.search import SearchIndex
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
