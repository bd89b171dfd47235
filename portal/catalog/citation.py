"""How to cite a dataset: a recommended citation from its ACDD/ISO metadata, as text or BibTeX.

:func:`citation_of` reads the entry's metadata block — ACDD ``creator_name`` (else
``creator_institution``, the institution, the publisher), ``publisher_name`` (else
``publisher_institution``, the institution), the year of ``date_issued`` /
``date_created`` / ``date_modified`` / ``date`` (else the end of the time coverage),
``title``, ``product_version``, the DOI (``doi``, else a DOI in ACDD ``id``) or the
``id`` itself, and the licence — into a :class:`Citation`, which writes itself as
plain text or BibTeX in English or French. DOIs are normalised to ``10.xxxx/…`` and
linked through ``https://doi.org/``. :func:`citation_for` is the HTTP form (body,
media type) and rejects an unknown format or language with :class:`BadParameter`.
Plain Python: no heavy imports.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from portal.errors import BadParameter
from portal.model import DatasetEntry

LANGS = ("en", "fr")
FORMATS = {"text": "text/plain", "bibtex": "application/x-bibtex"}
PORTAL_NAME = {"en": "the ODATIS quicklook portal", "fr": "le portail d'aperçus ODATIS"}
_DOI = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)?(10\.\d{4,9}/\S+)$", re.I)
_YEAR = re.compile(r"^\s*(\d{4})")
_WORDS = {
    "en": {"version": "Version", "accessed": "Accessed {date} via {portal}.",
           "licence": "Licence", "nd": "n.d."},
    "fr": {"version": "Version", "accessed": "Consulté le {date} via {portal}.",
           "licence": "Licence", "nd": "s.d."},
}
_BIBTEX_ESCAPES = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%",
                   "$": r"\$", "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}",
                   "^": r"\textasciicircum{}"}


def normalise_doi(text: str) -> str:
    """``10.xxxx/…`` from a DOI, a doi: URI or a doi.org URL; '' when ``text`` is none."""
    match = _DOI.match((text or "").strip())
    return match.group(1) if match else ""


def _first(meta: dict, *keys: str) -> str:
    for key in keys:
        value = meta.get(key)
        if isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value if v)
        if value not in (None, "") and str(value).strip():
            return str(value).strip()
    return ""


def _year(meta: dict, entry: DatasetEntry) -> str:
    for key in ("date_issued", "date_created", "date_modified", "date", "publication_year"):
        match = _YEAR.match(_first(meta, key))
        if match:
            return match.group(1)
    if entry.time_coverage:
        match = _YEAR.match(entry.time_coverage[1])
        if match:
            return match.group(1)
    return ""


@dataclass(frozen=True)
class Citation:
    """The parts of a recommended citation (empty strings where the metadata say nothing)."""

    key: str
    creators: tuple[str, ...]
    year: str
    title: str
    version: str
    publisher: str
    doi: str
    identifier: str
    licence: str

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""

    def text(self, lang: str = "en", accessed: dt.date | None = None) -> str:
        """One paragraph: Creators (year). Title. Version v. Publisher. DOI URL. Accessed …"""
        words = _WORDS[_lang(lang)]
        parts = [f"{'; '.join(self.creators)} ({self.year or words['nd']}).",
                 f"{self.title.rstrip('.')}."]
        if self.version:
            parts.append(f"{words['version']} {self.version}.")
        if self.publisher and self.publisher not in self.creators:
            parts.append(f"{self.publisher}.")
        if self.doi_url or self.identifier:
            parts.append(self.doi_url or self.identifier)
        when = (accessed or dt.date.today()).isoformat()
        parts.append(words["accessed"].format(date=when, portal=PORTAL_NAME[_lang(lang)]))
        return " ".join(parts)

    def bibtex(self, lang: str = "en") -> str:
        """A ``@misc`` BibTeX record (institutions as authors are braced, text escaped)."""
        fields = [
            ("author", " and ".join(f"{{{_bib(c)}}}" for c in self.creators)),
            ("title", f"{{{_bib(self.title)}}}"),
            ("year", _bib(self.year)),
            ("publisher", _bib(self.publisher)),
            ("version", _bib(self.version)),
            ("doi", _bib(self.doi)),
            ("url", self.doi_url or (self.identifier if "://" in self.identifier else "")),
            ("note", _bib(f"{_WORDS[_lang(lang)]['licence']}: {self.licence}")
             if self.licence else ""),
            ("language", "french" if _lang(lang) == "fr" else "english"),
        ]
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
        return f"@misc{{{self.key},\n{body}\n}}\n"


def _lang(lang: str) -> str:
    if lang not in LANGS:
        raise BadParameter(f"lang: {str(lang)[:20]!r} is not one of {', '.join(LANGS)}",
                           parameter="lang")
    return lang


def _bib(text: str) -> str:
    return "".join(_BIBTEX_ESCAPES.get(c, c) for c in text)


def _key(creators: tuple[str, ...], year: str, entry: DatasetEntry) -> str:
    first = re.sub(r"[^A-Za-z0-9]", "", (creators[0].split()[0] if creators else "")) or "data"
    ident = re.sub(r"[^A-Za-z0-9_-]", "", entry.id)[:40]
    return f"{first}{year}_{ident}" if ident else f"{first}{year}"


def citation_of(entry: DatasetEntry) -> Citation:
    """The citation of a catalog entry, from its metadata block (see the module doc)."""
    meta = entry.metadata()
    names = _first(meta, "creator_name", "creator_institution") or entry.institution \
        or _first(meta, "publisher_name", "publisher_institution") or "ODATIS"
    creators = tuple(n.strip() for n in re.split(r"\s*[;,]\s*(?=\S)", names) if n.strip()) \
        if ";" in names or _first(meta, "creator_name") else (names,)
    doi = normalise_doi(entry.doi) or normalise_doi(_first(meta, "id"))
    identifier = "" if doi else _first(meta, "id", "identifier")
    year = _year(meta, entry)
    return Citation(
        key=_key(creators, year, entry), creators=creators, year=year,
        title=entry.title or entry.id, version=_first(meta, "product_version", "version"),
        publisher=_first(meta, "publisher_name", "publisher_institution") or entry.institution,
        doi=doi, identifier=identifier, licence=entry.license)


def citation_for(entry: DatasetEntry, form: str = "text", lang: str = "en",
                 accessed: dt.date | None = None) -> tuple[str, str]:
    """(body, media type) of the citation in ``form`` (text or bibtex) and ``lang``."""
    if form not in FORMATS:
        raise BadParameter(f"format: {str(form)[:20]!r} is not one of {', '.join(FORMATS)}",
                           parameter="format")
    cite = citation_of(entry)
    body = cite.text(lang, accessed) + "\n" if form == "text" else cite.bibtex(lang)
    return body, FORMATS[form]
