"""Recommended citations from ACDD metadata: text and BibTeX, English and French."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.catalog.citation import citation_for, citation_of, normalise_doi
from portal.errors import BadParameter
from portal.model import DatasetEntry
from portal.ui.dataset_card import card_html

DAY = dt.date(2026, 12, 6)


def entry(**meta) -> DatasetEntry:
    base = {"title": "Coriolis T&S profiles", "institution": "Ifremer",
            "license": "CC-BY 4.0", "time_coverage": ["2019-01-01", "2020-06-30"]}
    return DatasetEntry.from_metadata("cora_ts", "netcdf", {}, {**base, **meta})


ACDD = {"creator_name": "Jane Doe, John Smith", "publisher_name": "SEANOE",
        "date_issued": "2021-03-04T00:00:00Z", "product_version": "5.2",
        "doi": "https://doi.org/10.17882/46219"}


def test_text_from_acdd_attributes_in_both_languages():
    cite = citation_of(entry(**ACDD))
    assert cite.creators == ("Jane Doe", "John Smith") and cite.year == "2021"
    assert cite.doi == "10.17882/46219" and cite.doi_url == "https://doi.org/10.17882/46219"
    assert cite.text("en", DAY) == (
        "Jane Doe; John Smith (2021). Coriolis T&S profiles. Version 5.2. SEANOE. "
        "https://doi.org/10.17882/46219 Accessed 2026-12-06 via the ODATIS quicklook portal.")
    assert cite.text("fr", DAY).endswith(
        "Consulté le 2026-12-06 via le portail d'aperçus ODATIS.")


def test_fallbacks_when_attributes_are_missing():
    cite = citation_of(entry())
    assert cite.creators == ("Ifremer",) and cite.year == "2020"  # end of the coverage
    assert cite.publisher == "Ifremer" and cite.doi == "" and cite.version == ""
    text = cite.text("en", DAY)
    assert text.startswith("Ifremer (2020). Coriolis T&S profiles. Accessed")
    bare = DatasetEntry.from_metadata("x", "netcdf", {}, {"title": "X", "id": "urn:x:1"})
    assert citation_of(bare).text("fr", DAY).startswith("ODATIS (s.d.). X. urn:x:1 Consulté")
    assert citation_of(entry(id="doi:10.1234/abc")).doi == "10.1234/abc"  # a DOI in ACDD id


def test_bibtex_record_escapes_and_braces():
    text = citation_of(entry(**ACDD)).bibtex("fr")
    assert text.startswith("@misc{Jane2021_cora_ts,\n")
    assert "  author = {{Jane Doe} and {John Smith}}" in text
    assert "  title = {{Coriolis T\\&S profiles}}" in text
    assert "  year = {2021}" in text and "  version = {5.2}" in text
    assert "  doi = {10.17882/46219}" in text and "  url = {https://doi.org/10.17882/46219}" in text
    assert "  note = {Licence: CC-BY 4.0}" in text and "  language = {french}" in text
    assert text.endswith("\n}\n")


def test_http_form_checks_format_and_language():
    body, mime = citation_for(entry(), "bibtex", "en")
    assert mime == "application/x-bibtex" and "language = {english}" in body
    body, mime = citation_for(entry(), "text", "fr", accessed=DAY)
    assert mime == "text/plain" and body.endswith("portail d'aperçus ODATIS.\n")
    with pytest.raises(BadParameter) as info:
        citation_for(entry(), "ris")
    assert info.value.parameter == "format"
    with pytest.raises(BadParameter):
        citation_for(entry(), "text", "de")


def test_doi_forms():
    assert normalise_doi("doi:10.1234/abc") == "10.1234/abc"
    assert normalise_doi("http://dx.doi.org/10.1234/abc") == "10.1234/abc"
    assert normalise_doi("10.1/abc") == ""  # registrant codes have 4 digits or more
    assert normalise_doi("not a doi") == ""


def test_card_shows_escaped_citation_and_bibtex():
    evil = entry(**{**ACDD, "creator_name": "<script>x()</script>"})
    for lang in ("en", "fr"):
        html = card_html(evil, lang)
        assert "<script>" not in html and "&lt;script&gt;x()&lt;/script&gt;" in html
        assert "class='portal-bibtex'>@misc{" in html
        assert "href='https://doi.org/10.17882/46219'" in html
        assert f"/api/datasets/cora_ts/citation?lang={lang}&amp;format=bibtex" in html
    assert "Consulté le" in card_html(evil, "fr") and "Accessed" in card_html(evil, "en")


def test_a_scanned_file_keeps_its_acdd_citation_and_p01_attributes(tmp_path):
    import numpy as np
    import pandas as pd
    import xarray as xr

    from portal.catalog.search import facet_values
    from portal.cataloging.scan import describe_file
    from portal.cataloging.validate import check_metadata

    ds = xr.Dataset(
        {"TEMP": ("time", np.linspace(10, 12, 24), {"units": "degC",
                                                    "sdn_parameter_urn": "SDN:P01::TEMPPR01"})},
        coords={"time": pd.date_range("2022-05-01", periods=24, freq="h"),
                "latitude": 43.0, "longitude": 5.0},
        attrs={"title": "Buoy", "featureType": "timeSeries", **ACDD})
    ds.to_netcdf(tmp_path / "buoy.nc")
    scanned = describe_file(str(tmp_path / "buoy.nc"), "buoy")
    cite = citation_of(scanned)
    assert cite.creators == ("Jane Doe", "John Smith") and cite.version == "5.2"
    assert cite.year == "2021" and cite.publisher == "SEANOE" and cite.doi == "10.17882/46219"
    assert facet_values(scanned, "p01") == {"TEMPPR01"}
    assert check_metadata(scanned.metadata()) == []  # validate knows the keys


@pytest.mark.parametrize(("meta", "year"), [
    ({"date_created": "2019-05-02"}, "2019"),
    ({"date_modified": "2022-11-30T10:00:00Z"}, "2022"),
    ({"date_issued": "2021", "date_created": "2018", "date_modified": "2024"}, "2021"),
    ({"date_created": "2018-01-01", "date_modified": "2024-01-01"}, "2018"),
    ({"date_created": "unknown"}, ""),
    ({}, ""),
])
def test_year_without_coverage_comes_from_the_metadata_or_is_absent(meta, year):
    bare = DatasetEntry.from_metadata("x", "netcdf", {}, {"title": "X", **meta})
    cite = citation_of(bare)
    assert cite.year == year
    this_year = str(dt.date.today().year)
    if year != this_year:  # never the year of the day the citation is made
        assert f"({this_year})" not in cite.text("en") and this_year not in cite.key
    nd = {"en": "(n.d.)", "fr": "(s.d.)"}
    for lang in ("en", "fr"):
        assert cite.text(lang, DAY).startswith(f"ODATIS ({year})." if year else f"ODATIS {nd[lang]}.")
    assert ("year = " in cite.bibtex()) == bool(year)


def test_metadata_date_wins_over_the_coverage():
    assert citation_of(entry(date_created="2015-03-01")).year == "2015"
    assert citation_of(entry()).year == "2020"  # no date: the coverage's end


def test_french_citation_text():
    text = citation_of(entry(**ACDD)).text("fr", DAY)
    assert text == ("Jane Doe; John Smith (2021). Coriolis T&S profiles. Version 5.2. SEANOE. "
                    "https://doi.org/10.17882/46219 Consulté le 2026-12-06 via le portail "
                    "d'aperçus ODATIS.")
