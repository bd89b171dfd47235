"""The search index: text, box (across the antimeridian), time overlap, facets with counts."""

from __future__ import annotations

import pytest

from portal.catalog.loader import Catalog
from portal.catalog.search import (
    FACETS,
    SearchIndex,
    SearchRequest,
    facet_counts,
    facet_values,
    index_for,
    search,
)
from portal.model import DatasetEntry
from portal.query import BBox, TimeRange


def entry(ident: str, source: str = "netcdf", **meta) -> DatasetEntry:
    return DatasetEntry.from_metadata(ident, source, {}, {"title": ident, **meta})


TEMP = {"name": "TEMP", "long_name": "Sea temperature", "standard_name": "sea_water_temperature",
        "eov": "Subsurface temperature"}
PSAL = {"name": "PSAL", "long_name": "Practical salinity",
        "standard_name": "sea_water_practical_salinity", "eov": "Subsurface salinity"}
ENTRIES = [
    entry("argo_6901744", title="Argo float 6901744 — profiles", featureType="profile",
          platform_type="profiling float", institution="Coriolis / Ifremer (France)",
          bbox=[-30, 40, -20, 50], time_coverage=["2019-01-01", "2019-12-31"],
          variables=[TEMP, PSAL], platform_id="6901744"),
    entry("fiji_mooring", title="Mooring off Fidji", featureType="timeSeries",
          platform_type="mooring", institution="IRD", bbox=[178, -20, -178, -16],
          time_coverage=["2010-01-01T00:00:00Z", "2012-06-30T00:00:00Z"], variables=[TEMP]),
    entry("med_odv", source="odv", title="Méditerranée salinité", featureType="profile",
          institution="SISMER", data_centre="SeaDataNet", bbox=[0, 35, 20, 45],
          time_coverage=["2015-03-01", "2015-04-01"], variables=[{"name": "PSALST01"}],
          sdn_parameter_urn=["SDN:P01::PSALST01", "SDN:P01::TEMPPR01"]),
    entry("sst_grid", title="SST, Aqua MODIS", featureType="grid", institution="NASA",
          bbox=[0, -90, 360, 90], time_coverage=["2020-01-01", "2020-12-31"],
          variables=[{"name": "sst", "standard_name": "sea_surface_temperature",
                      "eov": "Sea surface temperature"}]),
    entry("no_place", title="Cruise report", featureType="metadata", institution="IRD"),
]


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    return SearchIndex(ENTRIES)


def ids(index: SearchIndex, **kw) -> list[str]:
    return index.search(SearchRequest.of(**kw)).ids


def test_text_matches_every_word_by_prefix_without_accents(index):
    assert ids(index, text="temp") == ["argo_6901744", "fiji_mooring", "sst_grid"]
    assert ids(index, text="MEDITERRANEE salin") == ["med_odv"]
    assert ids(index, text="salinity argo") == ["argo_6901744"]  # long name + title
    assert ids(index, text="6901744") == ["argo_6901744"]  # platform id (and id)
    assert ids(index, text="seadatanet") == ["med_odv"]  # data centre
    assert ids(index, text="sea_water_practical_salinity") == ["argo_6901744"]
    assert ids(index, text="nothing-like-this") == []
    assert len(ids(index)) == len(ENTRIES)


def test_box_overlap_crosses_the_antimeridian_both_ways(index):
    # a query box across 180° finds the mooring whose own box crosses it, and the global grid
    assert ids(index, bbox=BBox(175, -25, -175, -10)) == ["fiji_mooring", "sst_grid"]
    # a query box on one side only still meets the crossing entry
    assert ids(index, bbox=BBox(-179.5, -19, -179, -17)) == ["fiji_mooring", "sst_grid"]
    assert ids(index, bbox=BBox(179, -19, 179.5, -17)) == ["fiji_mooring", "sst_grid"]
    # 0..360 query longitudes are the same place
    assert ids(index, bbox=BBox(330, 42, 335, 48)) == ["argo_6901744", "sst_grid"]
    # the box next to the mooring misses it; entries without a box never match a box
    assert ids(index, bbox=BBox(-177, -19, -170, -17)) == ["sst_grid"]
    assert "no_place" not in ids(index, bbox=BBox(-180, -90, 180, 90))


def test_time_range_overlap_with_open_ends(index):
    assert ids(index, time=TimeRange.parse("2015-03-15/2015-03-16")) == ["med_odv"]
    assert ids(index, time=TimeRange.parse("2012-06-30/2015-03-01")) == ["fiji_mooring",
                                                                         "med_odv"]
    assert ids(index, time=TimeRange.parse("2020-06/")) == ["sst_grid"]
    assert ids(index, time=TimeRange.parse("/2009")) == []  # matches nothing: empty
    assert "no_place" not in ids(index, time=TimeRange.parse("1900/2100"))


def test_facets_count_and_filter(index):
    result = index.search(SearchRequest.of())
    assert set(result.facets) == set(FACETS)
    assert result.facets["feature_type"] == {"profile": 2, "grid": 1, "metadata": 1,
                                             "timeSeries": 1}
    assert result.facets["eov"]["Subsurface temperature"] == 2
    assert result.facets["standard_name"]["sea_water_temperature"] == 2
    assert result.facets["p01"] == {"PSALST01": 1, "TEMPPR01": 1}
    assert result.facets["source"] == {"netcdf": 4, "odv": 1}
    assert result.facets["institution"]["IRD"] == 2
    assert result.facets["institution"]["SeaDataNet"] == 1
    chosen = index.search(SearchRequest.of(facets={"feature_type": ["profile"],
                                                   "institution": ["IRD", "SISMER"]}))
    assert chosen.ids == ["med_odv"]
    # a facet's counts ignore its own choice (multi-select) but follow the others
    assert chosen.facets["feature_type"] == {"metadata": 1, "profile": 1, "timeSeries": 1}
    assert chosen.facets["institution"] == {"Coriolis / Ifremer (France)": 1, "SISMER": 1,
                                           "SeaDataNet": 1}
    assert chosen.facets["source"] == {"odv": 1}


def test_counts_follow_text_box_and_time(index):
    result = index.search(SearchRequest.of(text="temperature", time=TimeRange.parse("2019/2020")))
    assert result.ids == ["argo_6901744", "sst_grid"]
    assert result.facets["feature_type"] == {"grid": 1, "profile": 1}
    assert index.search(SearchRequest.of(facets={"eov": ["no such EOV"]})).ids == []


def test_functions_keep_their_former_signatures():
    assert [e.id for e in search(ENTRIES, "mooring")] == ["fiji_mooring"]
    assert [e.id for e in search(ENTRIES, "", {"platform": ["mooring"]})] == ["fiji_mooring"]
    assert facet_counts(ENTRIES, "institution")[0] == ("IRD", 2)
    assert facet_values(ENTRIES[2], "p01") == {"PSALST01", "TEMPPR01"}


def test_index_is_built_once_per_catalog_object():
    catalog = Catalog(entries={e.id: e for e in ENTRIES})
    first = index_for(catalog)
    assert index_for(catalog) is first
    reloaded = Catalog(entries={e.id: e for e in ENTRIES[:2]})
    assert len(index_for(reloaded)) == 2 and len(index_for(catalog)) == len(ENTRIES)


# ------------------------------------------------------------------------------ ranking

SST = {"name": "sst", "long_name": "Sea surface temperature",
       "standard_name": "sea_surface_temperature", "eov": "Sea surface temperature"}


def test_text_hits_are_ranked_by_field_and_match_quality():
    """'sea surface temperature' puts the SST grid (the phrase in its variable) before
    floats that only hold 'sea' and 'temperature' in a variable and 'surface' in a summary;
    a title match beats the same word in a summary; a whole word beats a prefix."""
    floats = [entry(f"argo_{i}", title=f"Argo float {i}", variables=[TEMP],
                    summary="Profiles from 2000 m to the surface") for i in range(3)]
    grid = entry("modis_sst", title="MODIS SST, west US", featureType="grid", variables=[SST])
    titled = entry("sst_titled", title="Sea surface temperature analysis", variables=[SST])
    index = SearchIndex([*floats, grid, titled])
    ids = index.search(SearchRequest.of("sea surface temperature")).ids
    assert ids[:2] == ["sst_titled", "modis_sst"]
    assert set(ids[2:]) == {"argo_0", "argo_1", "argo_2"}
    in_summary = entry("b_summary", title="Mooring", summary="Near a glider route")
    in_title = entry("a_title", title="Glider mission 12")
    assert search([in_summary, in_title], "glider") == [in_title, in_summary]
    prefix = entry("p", title="Temperatures (gridded)")
    word = entry("w", title="Temp logger")
    assert [e.id for e in search([prefix, word], "temp")] == ["w", "p"]


def test_without_text_hits_keep_catalog_order():
    index = SearchIndex(ENTRIES)
    assert index.search(SearchRequest()).ids == [e.id for e in ENTRIES]
