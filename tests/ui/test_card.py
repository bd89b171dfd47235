"""Dataset card: metadata escaped, DOI links, citation, extent map inline."""

from __future__ import annotations

from portal.model import DatasetEntry
from portal.ui.dataset_card import card_html, citation, doi_link, header_html

EVIL = "<script>alert(1)</script>"


def _entry(**meta) -> DatasetEntry:
    base = {"title": f"Float {EVIL}", "summary": "<b>bold?</b>", "institution": "Ifremer & co",
            "featureType": "profile", "license": "CC-BY 4.0", "doi": "10.17882/42182",
            "bbox": [-10.0, 43.0, 2.0, 51.0],
            "time_coverage": ["2020-01-01T00:00:00Z", "2021-06-30T00:00:00Z"]}
    return DatasetEntry.from_metadata("float", "netcdf", {"urlpath": "/x.nc"}, {**base, **meta})


def test_header_and_details_escape_metadata():
    entry = _entry()
    for text in (header_html(entry, "en"), card_html(entry, "fr")):
        assert "<script>" not in text and "<b>" not in text
    assert "&lt;script&gt;" in header_html(entry, "en")
    assert "&lt;b&gt;bold?&lt;/b&gt;" in card_html(entry, "en")
    assert "Ifremer &amp; co" in header_html(entry, "en")
    assert "2020-01-01 → 2021-06-30" in header_html(entry, "en")


def test_details_hold_doi_link_citation_and_extent_svg():
    html = card_html(_entry(), "en")
    assert "href='https://doi.org/10.17882/42182'" in html
    assert "<svg" in html and "portal-extent" in html
    assert "About this dataset" in html and "How to cite" in html
    assert "À propos de ce jeu de données" in card_html(_entry(), "fr")
    assert "<svg" not in card_html(_entry(bbox=None), "en")


def test_doi_and_citation():
    assert doi_link("not a doi <x>") == "not a doi &lt;x&gt;"
    assert "doi.org/10.1/abc" in doi_link("https://doi.org/10.1/abc")
    text = citation(_entry())
    assert text.startswith("Ifremer & co (2021).") and "https://doi.org/10.17882/42182" in text
