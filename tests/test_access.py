"""The per-dataset access policy (:mod:`portal.access`) and its one filter over a catalog."""

from __future__ import annotations

import pytest

from portal.access import (
    ANONYMOUS,
    NOBODY,
    Identity,
    Rule,
    can_download,
    can_see,
    is_public,
    parse_rule,
    rule_of,
    validate_access,
    visible_entries,
)
from portal.catalog.loader import Catalog
from portal.errors import DatasetNotFound
from portal.model import DatasetEntry

PARTNER = Identity("alice", frozenset({"partners"}))
STUDENT = Identity("bob", frozenset({"students"}))


def entry(ident: str, access=None) -> DatasetEntry:
    meta = {"title": ident, **({"access": access} if access is not None else {})}
    return DatasetEntry.from_metadata(ident, "netcdf", {"urlpath": "/x.nc"}, meta)


@pytest.mark.parametrize("value, rule", [
    (None, Rule(None, None)),
    ("public", Rule(None, None)),
    (["partners"], Rule(frozenset({"partners"}), frozenset({"partners"}))),
    ("partners, crew", Rule(frozenset({"partners", "crew"}), frozenset({"partners", "crew"}))),
    ({"graphs": "public", "data": ["partners"]}, Rule(None, frozenset({"partners"}))),
    ({"graphs": ["a", "b"]}, Rule(frozenset({"a", "b"}), frozenset({"a", "b"}))),
    ({"graphs": ["a"], "data": ["a", "b"]}, Rule(frozenset({"a"}), frozenset({"a"}))),
    ([], Rule(frozenset(), frozenset())),
])
def test_rules_read_from_metadata(value, rule):
    assert parse_rule(value) == rule


@pytest.mark.parametrize("value", [{"graph": "public"}, 3, [1, 2], {"data": {"x": 1}}])
def test_unreadable_access_is_nobody_never_public(value):
    assert validate_access(value)
    e = entry("odd", value)
    assert rule_of(e) == NOBODY
    assert not can_see(e, PARTNER) and not is_public(e)


def test_who_sees_and_downloads_what():
    public, restricted = entry("p"), entry("r", ["partners"])
    graphs = entry("g", {"graphs": "public", "data": ["partners"]})
    table = {who: [(can_see(e, who), can_download(e, who)) for e in (public, restricted, graphs)]
             for who in (ANONYMOUS, STUDENT, PARTNER)}
    assert table[ANONYMOUS] == [(True, True), (False, False), (True, False)]
    assert table[STUDENT] == [(True, True), (False, False), (True, False)]
    assert table[PARTNER] == [(True, True), (True, True), (True, True)]
    assert [e.id for e in visible_entries([public, restricted, graphs], STUDENT)] == ["p", "g"]


def test_access_survives_a_catalog_round_trip(tmp_path):
    from portal.catalog.loader import load_catalog, write_catalog

    write_catalog([entry("r", ["partners"]), entry("g", {"graphs": "public", "data": ["x"]})],
                  tmp_path / "c.yaml")
    cat = load_catalog(tmp_path / "c.yaml")
    assert rule_of(cat["r"]) == Rule(frozenset({"partners"}), frozenset({"partners"}))
    assert rule_of(cat["g"]) == Rule(None, frozenset({"x"}))


def test_catalog_view_hides_restricted_ids_and_hints():
    from portal.server.auth import catalog_for

    cat = Catalog(entries={e.id: e for e in (entry("open"), entry("partner_grid", ["partners"]))})
    assert catalog_for(cat, PARTNER) is cat  # nothing hidden: the same object
    view = catalog_for(cat, STUDENT)
    assert list(view.entries) == ["open"]
    assert catalog_for(cat, STUDENT) is view  # one view per role set, kept
    with pytest.raises(DatasetNotFound) as err:
        view["partner_grid"]
    assert "partner_grid" not in (err.value.hint or "")  # no "did you mean" leak
    with pytest.raises(DatasetNotFound) as unknown:
        view["nothing_here"]
    assert type(err.value) is type(unknown.value)


def test_search_index_and_facets_of_a_view_count_only_visible_entries():
    from portal.catalog.search import SearchRequest, index_for
    from portal.server.auth import catalog_for

    cat = Catalog(entries={e.id: e for e in (entry("open"), entry("secret", ["partners"]))})
    student = index_for(catalog_for(cat, STUDENT)).search(SearchRequest())
    partner = index_for(catalog_for(cat, PARTNER)).search(SearchRequest())
    assert student.ids == ["open"] and student.facets["source"] == {"netcdf": 1}
    assert partner.ids == ["open", "secret"] and partner.facets["source"] == {"netcdf": 2}


def test_catalog_validate_reads_access():
    from portal.cataloging.validate import check_metadata

    assert check_metadata({"title": "x", "access": {"graphs": "public", "data": ["p"]}}) == []
    assert any("hidden from everyone" in p for p in check_metadata({"access": {"grahps": "x"}}))
