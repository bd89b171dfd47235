"""Search and facets over the portal's metadata (Intake's own search only sees names).

:class:`SearchIndex` is built once per catalog version (:func:`index_for` keeps it in the
data cache, keyed on the catalog object) and answers a :class:`SearchRequest` without
looking at the entries again: an inverted index of folded words (case- and
accent-insensitive) over title, summary, id, institution, platform type and ids, and
variable names, long names and standard names, where every word of the query must
prefix-match a word of the entry; numpy arrays of bounding boxes (an entry's box and the
query's :class:`~portal.query.BBox` may both cross the antimeridian) and of time coverage
(overlap, open ends allowed); and, per facet, (entry, value) pairs so that counts are
one ``bincount``. Facets are :data:`FACETS`; values chosen within a facet are OR-ed,
facets AND-ed, and each facet's counts ignore that facet's own choice (multi-select
facets). A box or a time range excludes entries without a box or a time coverage.
With text, hits are ranked by where and how well the words match (:data:`FIELD_WEIGHTS`:
title > variable long/standard name and EOV > variable names and ids > platform and
institution > summary; a whole word beats a prefix), plus bonuses when every word is in
one field and when the query's phrase appears as such; ties keep catalog order.
numpy and pandas are imported inside functions so that ``import portal`` stays light.
"""

from __future__ import annotations

import re
import unicodedata
import weakref
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from portal.cache import data_cache
from portal.model import DatasetEntry
from portal.query import BBox, TimeRange
from portal.vocab import P01_STANDARD_NAMES

if TYPE_CHECKING:
    import numpy as np

#: facet name -> what it holds (the names are also the URL parameters of /api/datasets)
FACET_DOCS: dict[str, str] = {
    "feature_type": "CF featureType",
    "platform": "platform type",
    "eov": "GOOS Essential Ocean Variable",
    "institution": "institution or data centre",
    "standard_name": "CF standard name",
    "p01": "SeaDataNet P01 parameter code",
    "source": "source kind (netcdf, odv, erddap, opendap, pointstore)",
}
FACETS = tuple(FACET_DOCS)
_WORD = re.compile(r"\w+")
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_P01 = re.compile(r"SDN:P01::(\w+)", re.I)
#: metadata keys (DatasetEntry.extra) read by the search
PLATFORM_ID_KEYS = ("platform_id", "platform_code", "wmo_platform_code", "platform_name")
DATA_CENTRE_KEYS = ("data_centre", "data_center", "publisher_institution")
P01_KEYS = ("p01", "sdn_p01_codes", "sdn_parameter_urn", "sdn_parameter_urns")


def fold(text: str) -> str:
    """Lower case without accents (``Température`` -> ``temperature``)."""
    text = text.lower()
    if text.isascii():
        return text
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text))


def words(text: str) -> list[str]:
    """The folded words of ``text`` (letters, digits and ``_`` split on ``_`` too)."""
    out: list[str] = []
    for word in _WORD.findall(fold(text)):
        out.append(word)
        if "_" in word:
            out += [w for w in word.split("_") if w]
    return out


def _extra_texts(entry: DatasetEntry, keys: Iterable[str]) -> list[str]:
    extra = dict(entry.extra) if entry.extra else {}  # frozen lists are tuples
    out: list[str] = []
    for key in keys:
        value = extra.get(key)
        items = value if isinstance(value, list | tuple) else [value]
        out += [str(v).strip() for v in items if v not in (None, "") and str(v).strip()]
    return out


def p01_codes(entry: DatasetEntry) -> set[str]:
    """SeaDataNet P01 codes the metadata carries: ``SDN:P01::CODE`` URNs in the entry's
    P01 keys or in variable fields, and variable names that are known P01 codes."""
    codes = set()
    for text in _extra_texts(entry, P01_KEYS):
        found = _P01.findall(text)
        codes |= {c.upper() for c in found} if found else {text.upper()}
    for var in entry.variables:
        codes |= {c.upper() for c in _P01.findall(f"{var.name} {var.long_name}")}
        if var.name.upper() in P01_STANDARD_NAMES:
            codes.add(var.name.upper())
    return codes


def facet_values(entry: DatasetEntry, facet: str) -> set[str]:
    """The values an entry has for a facet (variables may give several)."""
    if facet == "eov":
        return {v.eov for v in entry.variables if v.eov}
    if facet == "standard_name":
        return {v.standard_name for v in entry.variables if v.standard_name}
    if facet == "p01":
        return p01_codes(entry)
    if facet == "institution":
        return {v for v in [entry.institution, *_extra_texts(entry, DATA_CENTRE_KEYS)] if v}
    value = {"platform": entry.platform, "feature_type": entry.feature_type,
             "source": entry.source}.get(facet, "")
    return {value} if value else set()


#: ranked fields, best first: (name, weight); a word's score is its best field's weight
FIELD_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("title", 8.0), ("variable", 5.0), ("name", 3.0), ("meta", 2.0), ("summary", 1.0))
PREFIX_FACTOR = 0.6      # a prefix match ("temp" of "temperature") counts less than a word
ALL_TERMS_BONUS = {"title": 6.0, "variable": 4.0}   # every query word in that one field
PHRASE_BONUS = {"title": 10.0, "variable": 6.0, "summary": 2.0}  # the phrase itself


def field_texts(entry: DatasetEntry) -> dict[str, str]:
    """The entry's text per ranked field (:data:`FIELD_WEIGHTS`)."""
    var_text = [t.replace("_", " ") for v in entry.variables
                for t in (v.long_name, v.standard_name, v.eov) if t]
    meta = [entry.institution, entry.platform, entry.feature_type,
            *_extra_texts(entry, PLATFORM_ID_KEYS + DATA_CENTRE_KEYS)]
    return {"title": entry.title or "", "variable": " | ".join(var_text),
            "name": " ".join([entry.id, *(v.name for v in entry.variables)]),
            "meta": " ".join(t for t in meta if t), "summary": entry.summary or ""}


def _phrase(text: str) -> str:
    """Folded words joined by single spaces (for phrase matching)."""
    return " ".join(_WORD.findall(fold(text)))


def searchable_text(entry: DatasetEntry) -> str:
    """Every text the free-text search looks at, joined."""
    parts = [entry.id, entry.title, entry.summary, entry.institution, entry.platform,
             entry.feature_type, *_extra_texts(entry, PLATFORM_ID_KEYS + DATA_CENTRE_KEYS)]
    for var in entry.variables:
        parts += [var.name, var.long_name, var.standard_name, var.eov]
    return " ".join(p for p in parts if p)


@dataclass(frozen=True)
class SearchRequest:
    """What to look for: text, a box, a time range and chosen facet values."""

    text: str = ""
    bbox: BBox | None = None
    time: TimeRange | None = None
    facets: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, text: str = "", bbox: BBox | None = None, time: TimeRange | None = None,
           facets: Mapping[str, Iterable[str]] | None = None) -> SearchRequest:
        chosen = {k: frozenset(v) for k, v in (facets or {}).items() if v}
        return cls(text=text or "", bbox=bbox, time=time, facets=chosen)


@dataclass(frozen=True)
class SearchResult:
    """Matching entries (ranked when searched by text) and, per facet, {value: count} (most first)."""

    entries: list[DatasetEntry]
    facets: dict[str, dict[str, int]]

    @property
    def ids(self) -> list[str]:
        return [e.id for e in self.entries]


@dataclass(frozen=True)
class _Facet:
    values: tuple[str, ...]          # value index -> value
    lookup: dict[str, int]
    entry: np.ndarray                # int32, one per (entry, value) pair
    value: np.ndarray                # int32, same length


class SearchIndex:
    """An inverted index of one catalog version; read-only, shared by sessions."""

    def __init__(self, entries: Iterable[DatasetEntry]) -> None:
        import numpy as np

        self.entries: tuple[DatasetEntry, ...] = tuple(entries)
        postings: dict[str, dict[int, int]] = {}  # word -> {entry: bit mask of fields}
        phrases: dict[str, list[str]] = {name: [] for name in PHRASE_BONUS}
        for i, entry in enumerate(self.entries):
            texts = field_texts(entry)
            for bit, (name, _) in enumerate(FIELD_WEIGHTS):
                for word in set(words(texts[name])):
                    fields = postings.setdefault(word, {})
                    fields[i] = fields.get(i, 0) | (1 << bit)
            for word in set(words(searchable_text(entry))):  # anything else searched
                postings.setdefault(word, {}).setdefault(i, 0)
            for name in phrases:
                phrases[name].append(f" {_phrase(texts[name])} ")
        self.vocabulary: tuple[str, ...] = tuple(sorted(postings))
        self.postings = {w: np.fromiter(p, dtype=np.int32, count=len(p))
                         for w, p in postings.items()}
        self.fields = {w: np.fromiter(p.values(), dtype=np.uint8, count=len(p))
                       for w, p in postings.items()}
        self.phrases = phrases
        self._weights = _mask_weights()
        self.boxes = _box_arrays(self.entries)
        self.times = _time_arrays(self.entries)
        self.facets = {name: _facet(self.entries, name) for name in FACETS}

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def nbytes(self) -> int:
        """Approximate memory held (for the byte-bounded cache)."""
        arrays: list[np.ndarray] = [*self.postings.values(), *self.fields.values(), *self.boxes,
                                    *self.times,
                  *(a for f in self.facets.values() for a in (f.entry, f.value))]
        phrases = sum(len(t) + 50 for texts in self.phrases.values() for t in texts)
        return (sum(int(a.nbytes) + 100 for a in arrays) + 60 * len(self.vocabulary)
                + 2000 * len(self.entries) + phrases)

    # -------------------------------------------------------------- matching

    def _word_fields(self, word: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(match mask, fields holding ``word`` itself, fields holding a longer word it
        starts) per entry; field masks are bits of :data:`FIELD_WEIGHTS`."""
        import numpy as np

        n = len(self.entries)
        mask = np.zeros(n, bool)
        exact, prefix = np.zeros(n, np.uint8), np.zeros(n, np.uint8)
        start = bisect_left(self.vocabulary, word)
        for token in self.vocabulary[start:]:
            if not token.startswith(word):
                break
            rows = self.postings[token]
            mask[rows] = True
            target = exact if token == word else prefix
            target[rows] |= self.fields[token]
        return mask, exact, prefix

    def _word_mask(self, word: str) -> np.ndarray:
        """Entries with a word starting with ``word``."""
        return self._word_fields(word)[0]

    def _text_match(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(entries holding every word of ``text``, their relevance score)."""
        import numpy as np

        n = len(self.entries)
        base, score = np.ones(n, bool), np.zeros(n)
        together = np.full(n, 0xFF, np.uint8)  # fields holding every word so far
        for word in dict.fromkeys(words(text)):
            mask, exact, prefix = self._word_fields(word)
            base &= mask
            score += np.maximum(self._weights[exact], PREFIX_FACTOR * self._weights[prefix])
            together &= exact | prefix
        bits = {name: 1 << i for i, (name, _) in enumerate(FIELD_WEIGHTS)}
        for name, bonus in ALL_TERMS_BONUS.items():
            score += bonus * ((together & bits[name]) > 0)
        phrase = _phrase(text)
        if " " in phrase:  # a phrase of two words or more, found as typed
            rows = np.flatnonzero(base)
            for name, bonus in PHRASE_BONUS.items():
                texts = self.phrases[name]
                hit = [i for i in rows if f" {phrase} " in texts[i]]
                score[hit] += bonus
        return base, score

    def _box_mask(self, box: BBox) -> np.ndarray:
        import numpy as np

        west, south, east, north = self.boxes
        lat = (south <= box.north) & (north >= box.south)
        lon = np.zeros(len(self.entries), bool)
        for part in box.split():  # an entry's own crossing box is two rows of parts
            with np.errstate(invalid="ignore"):
                hit = (west <= part.east) & (east >= part.west)
            lon |= hit.any(axis=1)
        return lat & lon

    def _time_mask(self, time: TimeRange) -> np.ndarray:
        import numpy as np

        start, end = self.times
        lo, hi = time.epoch_bounds()
        mask = ~np.isnan(start) & ~np.isnan(end)
        if hi is not None:
            mask &= start <= hi
        if lo is not None:
            mask &= end >= lo
        return mask

    def _facet_mask(self, name: str, chosen: frozenset[str]) -> np.ndarray:
        import numpy as np

        facet = self.facets[name]
        wanted = [facet.lookup[v] for v in chosen if v in facet.lookup]
        mask = np.zeros(len(self.entries), bool)
        mask[facet.entry[np.isin(facet.value, wanted)]] = True
        return mask

    def _counts(self, name: str, mask: np.ndarray) -> dict[str, int]:
        import numpy as np

        facet = self.facets[name]
        counts = np.bincount(facet.value[mask[facet.entry]], minlength=len(facet.values))
        order = sorted((i for i in np.flatnonzero(counts)),
                       key=lambda i: (-counts[i], facet.values[i]))
        return {facet.values[i]: int(counts[i]) for i in order}

    def search(self, request: SearchRequest) -> SearchResult:
        """Matching entries (best first with text, else catalog order) and facet counts."""
        import numpy as np

        base, score = self._text_match(request.text)
        if request.bbox is not None:
            base &= self._box_mask(request.bbox)
        if request.time is not None:
            base &= self._time_mask(request.time)
        chosen = {k: self._facet_mask(k, v) for k, v in request.facets.items() if k in self.facets}
        counts = {}
        for name in FACETS:
            others = base.copy()
            for key, mask in chosen.items():
                if key != name:
                    others &= mask
            counts[name] = self._counts(name, others)
        for mask in chosen.values():
            base &= mask
        rows = np.flatnonzero(base)
        rows = rows[np.argsort(-score[rows], kind="stable")]
        return SearchResult([self.entries[i] for i in rows], counts)


def _mask_weights() -> np.ndarray:
    """Weight of the best field in each field bit mask (index: the mask)."""
    import numpy as np

    table = np.zeros(256)
    for mask in range(256):
        table[mask] = max((w for i, (_, w) in enumerate(FIELD_WEIGHTS) if mask >> i & 1),
                          default=0.0)
    return table


def _facet(entries: tuple[DatasetEntry, ...], name: str) -> _Facet:
    import numpy as np

    lookup: dict[str, int] = {}
    pairs = [(i, lookup.setdefault(v, len(lookup)))
             for i, entry in enumerate(entries) for v in sorted(facet_values(entry, name))]
    array = np.asarray(pairs, dtype=np.int32).reshape(-1, 2)
    return _Facet(tuple(lookup), lookup, array[:, 0].copy(), array[:, 1].copy())


def _wrap(lon: float) -> float:
    return lon if -180.0 <= lon < 180.0 else ((lon + 180.0) % 360.0) - 180.0


def _lon_parts(west: float, east: float) -> list[tuple[float, float]]:
    """An entry's longitude span as at most two non-crossing parts in -180..180 (a point
    or a line, west == east, is allowed; a span of 360° or more is the whole circle)."""
    if east - west >= 360.0 or (west != east and (east - west) % 360.0 == 0):
        return [(-180.0, 180.0)]
    w, e = _wrap(west), _wrap(east)
    if w == e:
        return [(w, e)] if west == east else [(-180.0, 180.0)]
    e = 180.0 if e == -180.0 else e
    return [(w, e)] if w < e else [(w, 180.0), (-180.0, e)]


def _box_arrays(entries: tuple[DatasetEntry, ...]) -> tuple[np.ndarray, ...]:
    """(west[n, 2], south[n], east[n, 2], north[n]); NaN where an entry has no box."""
    import numpy as np

    n = len(entries)
    west, east = np.full((n, 2), np.nan), np.full((n, 2), np.nan)
    south, north = np.full(n, np.nan), np.full(n, np.nan)
    for i, entry in enumerate(entries):
        if not entry.bbox or len(entry.bbox) != 4:
            continue
        w, s, e, n_ = (float(v) for v in entry.bbox)
        for j, (pw, pe) in enumerate(_lon_parts(w, e)):
            west[i, j], east[i, j] = pw, pe
        south[i], north[i] = min(s, n_), max(s, n_)
    return west, south, east, north


def _time_arrays(entries: tuple[DatasetEntry, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) of each entry's time coverage, epoch seconds; NaN when unknown."""
    import numpy as np
    import pandas as pd

    cover = [e.time_coverage or ("", "") for e in entries]
    out = []
    for side in (0, 1):
        stamps = pd.to_datetime([c[side] or None for c in cover], utc=True, errors="coerce",
                                format="mixed")
        missing = np.asarray(stamps.isna())
        seconds = np.asarray((stamps - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(seconds=1),
                             dtype="float64")
        seconds[missing] = np.nan
        out.append(seconds)
    return out[0], out[1]


def index_for(catalog: Any) -> SearchIndex:
    """The search index of a loaded catalog (an iterable of entries), built once per
    catalog object — a reloaded catalog is a new object, so a new index — and kept in
    the byte-bounded data cache."""

    try:
        owner = weakref.ref(catalog)
    except TypeError:  # a plain list of entries: nothing to key the cache on
        return SearchIndex(catalog)
    cache = data_cache()
    key = ("search-index", id(catalog))
    found = cache.get(key)
    if found is not None and found[0]() is catalog:
        return found[1]
    index = SearchIndex(catalog)
    cache.put(key, (owner, index), nbytes=index.nbytes)
    return index


def search(entries: Iterable[DatasetEntry], text: str = "",
           facets: Mapping[str, Iterable[str]] | None = None, *, bbox: BBox | None = None,
           time: TimeRange | None = None) -> list[DatasetEntry]:
    """Entries matching ``text``, box, time and facets (builds a throwaway index: use
    :func:`index_for` or :class:`SearchIndex` for repeated searches)."""
    index = entries if isinstance(entries, SearchIndex) else SearchIndex(entries)
    return index.search(SearchRequest.of(text, bbox, time, facets)).entries


def facet_counts(entries: Iterable[DatasetEntry], facet: str) -> list[tuple[str, int]]:
    """(value, count) of a facet over entries, most common first."""
    index = entries if isinstance(entries, SearchIndex) else SearchIndex(entries)
    return list(index.search(SearchRequest()).facets[facet].items())
