"""Search and facets over the portal's metadata (Intake's own search only sees names).

Free text matches every word against title, summary, institution, platform, id
and variable names/long names/standard names (case- and accent-insensitive);
facets filter on featureType, platform type, EOV and institution.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable

from portal.model import DatasetEntry

FACETS = ("feature_type", "platform", "eov", "institution")


def _fold(text: str) -> str:
    norm = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in norm if not unicodedata.combining(c))


def haystack(entry: DatasetEntry) -> str:
    parts = [entry.id, entry.title, entry.summary, entry.institution, entry.platform,
             entry.feature_type]
    for var in entry.variables:
        parts += [var.name, var.long_name, var.standard_name, var.eov]
    return _fold(" ".join(p for p in parts if p))


def facet_values(entry: DatasetEntry, facet: str) -> set[str]:
    """The values an entry has for a facet (EOV may have several)."""
    if facet == "eov":
        return {v.eov for v in entry.variables if v.eov}
    value = getattr(entry, facet, "")
    return {value} if value else set()


def search(entries: Iterable[DatasetEntry], text: str = "",
           facets: dict[str, Iterable[str]] | None = None) -> list[DatasetEntry]:
    """Entries matching every word of ``text`` and, per facet, any of the chosen values."""
    words = _fold(text).split()
    chosen = {k: set(v) for k, v in (facets or {}).items() if v}
    result = []
    for entry in entries:
        hay = haystack(entry)
        if not all(w in hay for w in words):
            continue
        if all(facet_values(entry, k) & values for k, values in chosen.items()):
            result.append(entry)
    return result


def facet_counts(entries: Iterable[DatasetEntry], facet: str) -> list[tuple[str, int]]:
    """(value, count) of a facet over entries, most common first."""
    counts: Counter[str] = Counter()
    for entry in entries:
        counts.update(facet_values(entry, facet))
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
