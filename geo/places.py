"""Offline name search: wijken by name or code, and typed places to a wijk or municipality."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache
from typing import Literal

from geo._text import name_parts, normalize, tokens
from geo.gazetteer import Gazetteer, Wijk, _pick_name, get_gazetteer

PlaceKind = Literal["wijk", "municipality"]

# Extra names people type for municipalities (display form; matched after normalisation).
MUNICIPALITY_ALIASES: dict[int, tuple[str, ...]] = {
    21003: ("Berchem", "Sint-Agatha", "Berchem-Sint-Agatha"),
    21004: (
        "Brussels",
        "City of Brussels",
        "Brussels City",
        "Ville de Bruxelles",
        "Bruxelles-Ville",
        "Stad Brussel",
        "Brussel-Stad",
        "Laeken",
        "Laken",
    ),
    21012: ("Molenbeek", "Sint-Jan-Molenbeek", "Molenbeek-Saint-Jean"),
    21014: ("Saint-Josse", "Sint-Joost"),
    21017: ("Watermael", "Boitsfort", "Watermaal", "Bosvoorde"),
}

# A few landmarks and district names, each checked to lie in the wijk it maps to.
WIJK_ALIASES: dict[int, tuple[str, ...]] = {
    1: ("Manneken Pis",),
    8: ("Jeu de Balle", "Vossenplein"),
    74: ("Atomium",),
    77: ("Neder-over-Heembeek",),
}

# Postal codes: a postcode can straddle municipalities; this maps each to its main one.
POSTCODES: dict[str, int] = {
    "1000": 21004,
    "1020": 21004,
    "1030": 21015,
    "1040": 21005,
    "1050": 21009,
    "1060": 21013,
    "1070": 21001,
    "1080": 21012,
    "1081": 21011,
    "1082": 21003,
    "1083": 21008,
    "1090": 21010,
    "1120": 21004,
    "1130": 21004,
    "1140": 21006,
    "1150": 21019,
    "1160": 21002,
    "1170": 21017,
    "1180": 21016,
    "1190": 21007,
    "1200": 21018,
    "1210": 21014,
}

# Parts of compound wijk names too generic to identify a wijk on their own.
_GENERIC_PARTS = frozenset({"centre", "centrum", "rad", "roue"})


def _wordset(text: str) -> frozenset[str]:
    """Return the whitespace-separated words of text as a set."""
    return frozenset(text.split())


# Street and place words that never identify a wijk by themselves.
_STOPWORDS = _wordset(
    """
    place plein square rue straat avenue av laan chaussee steenweg boulevard bd lei dreef
    quai kaai parvis voorplein rond point rondpunt pont brug impasse allee weg gang
    de du des la le les l d en het van der den ter te op aan a au aux et
    quartier wijk commune gemeente station gare parc park bois bos
    brussels bruxelles brussel belgium belgique belgie belgien region gewest capitale
    hoofdstedelijk
    """
)

# Words that make a phrase a street address: an area name after them names the street only.
_STREET_WORDS = _wordset(
    """
    rue straat avenue av laan chaussee steenweg boulevard bd lei dreef dreve quai kaai
    impasse allee weg gang galerie
    """
)

_ST_VARIANTS = {"st": ("saint", "sint"), "ste": ("sainte", "sint"), "sts": ("saints",)}

_DUTCH_SUFFIXES = ("plein", "straat", "laan", "steenweg", "park", "wijk", "kaai", "station")

# Match ranks (higher wins at equal phrase length).
_RANK_NAME = 5
_RANK_ALIAS = 4
_RANK_PART = 3
_RANK_POSTCODE = 2


@dataclass(frozen=True)
class PlaceMatch:
    """A typed place resolved to a wijk or a municipality, with a representative point."""

    kind: PlaceKind
    code: int
    name_nl: str
    name_fr: str
    lat: float
    lon: float
    matched: str
    exact: bool

    def name(self, language: str) -> str:
        """Return the matched area's name in nl/fr/en (English uses the French name)."""
        return _pick_name(self.name_nl, self.name_fr, language)


@dataclass(frozen=True)
class _Entry:
    """One searchable name of a wijk or municipality."""

    kind: PlaceKind
    code: int
    rank: int
    display: str


class _Index:
    """Normalised names of all wijken and municipalities."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        """Build the phrase index for the gazetteer."""
        self.gazetteer = gazetteer
        self.phrases: dict[str, list[_Entry]] = {}
        self.wijk_names: dict[int, list[tuple[str, list[str]]]] = {}
        for w in gazetteer.wijken():
            full = [w.name_fr, w.name_nl, *w.alt_names]
            self.wijk_names[w.code] = [
                (normalize(n), [normalize(p) for p in name_parts(n)]) for n in full
            ]
            for name in full:
                self._add(name, _Entry("wijk", w.code, _RANK_NAME, name))
                parts = name_parts(name)
                if len(parts) > 1:
                    for part in parts:
                        if normalize(part) not in _GENERIC_PARTS:
                            self._add(part, _Entry("wijk", w.code, _RANK_PART, part))
            for alias in WIJK_ALIASES.get(w.code, ()):
                self._add(alias, _Entry("wijk", w.code, _RANK_ALIAS, alias))
        for m in gazetteer.municipalities():
            for name in (m.name_fr, m.name_nl):
                self._add(name, _Entry("municipality", m.nis, _RANK_NAME, name))
            for alias in MUNICIPALITY_ALIASES.get(m.nis, ()):
                self._add(alias, _Entry("municipality", m.nis, _RANK_ALIAS, alias))
        for postcode, nis in POSTCODES.items():
            self._add(postcode, _Entry("municipality", nis, _RANK_POSTCODE, postcode))

    def _add(self, name: str, entry: _Entry) -> None:
        """Register one name (normalised) for an entry, keeping the best rank per area."""
        key = normalize(name)
        if not key:
            return
        bucket = self.phrases.setdefault(key, [])
        for i, existing in enumerate(bucket):
            if (existing.kind, existing.code) == (entry.kind, entry.code):
                if entry.rank > existing.rank:
                    bucket[i] = entry
                return
        bucket.append(entry)


@cache
def _index_for(gazetteer: Gazetteer) -> _Index:
    """Return the (cached) name index of a gazetteer."""
    return _Index(gazetteer)


def _token_variants(words: list[str]) -> list[list[str]]:
    """Return token lists with abbreviations expanded and Dutch compounds split."""
    variants = [words]
    if any(w in _ST_VARIANTS for w in words):
        for choice in range(2):
            expanded = []
            for w in words:
                options = _ST_VARIANTS.get(w)
                expanded.append(options[min(choice, len(options) - 1)] if options else w)
            variants.append(expanded)
    split: list[str] = []
    for w in words:
        for suffix in _DUTCH_SUFFIXES:
            if w.endswith(suffix) and len(w) - len(suffix) >= 3:
                split.extend([w[: -len(suffix)], suffix])
                break
        else:
            split.append(w)
    if split != words:
        variants.append(split)
    return variants


@dataclass(frozen=True)
class _Hit:
    """An exact phrase hit: which area, over which token span, how strongly."""

    entry: _Entry
    start: int
    end: int

    @property
    def length(self) -> int:
        """Return the number of tokens covered."""
        return self.end - self.start


def _exact_hits(index: _Index, words: list[str]) -> list[_Hit]:
    """Return exact phrase hits over token spans, skipping names used as a street's name."""
    hits = []
    for start in range(len(words)):
        if any(w in _STREET_WORDS for w in words[:start]):
            break
        for end in range(start + 1, min(len(words), start + 8) + 1):
            if end < len(words) and words[end] in _STREET_WORDS:
                continue
            for entry in index.phrases.get(" ".join(words[start:end]), ()):
                hits.append(_Hit(entry, start, end))
    return hits


def _hit_order(hit: _Hit) -> tuple[int, int, int, int]:
    """Return a sort key: longer spans, higher ranks, municipalities, lower codes first."""
    return (
        -hit.length,
        -hit.entry.rank,
        0 if hit.entry.kind == "municipality" else 1,
        hit.entry.code,
    )


def _best_exact(index: _Index, words: list[str]) -> _Hit | None:
    """Return the best exact hit, preferring a wijk named beside its own municipality."""
    hits = sorted(_exact_hits(index, words), key=_hit_order)
    if not hits:
        return None
    best = hits[0]
    if best.entry.kind == "municipality":
        for hit in hits:
            disjoint = hit.end <= best.start or hit.start >= best.end
            w = index.gazetteer.wijk(hit.entry.code) if hit.entry.kind == "wijk" else None
            if disjoint and w is not None and best.entry.code in w.municipalities:
                return hit
    return best


def _partial(index: _Index, words: list[str]) -> tuple[_Entry, str] | None:
    """Return the best area whose name tokens start with every meaningful query token."""
    if any(w in _STREET_WORDS for w in words):
        return None
    meaningful = [w for w in words if w not in _STOPWORDS and not w.isdigit() and len(w) >= 3]
    if not meaningful:
        return None
    candidates: list[tuple[int, int, str, _Entry]] = []
    for phrase, entries in index.phrases.items():
        name_tokens = phrase.split()
        if all(any(t.startswith(q) for t in name_tokens) for q in meaningful):
            for entry in entries:
                kind_order = 0 if entry.kind == "municipality" else 1
                candidates.append((-entry.rank, kind_order, phrase, entry))
    if candidates:
        candidates.sort(key=lambda c: (c[0], c[1], c[3].code))
        return candidates[0][3], candidates[0][3].display
    query = " ".join(meaningful)
    if len(query) < 4:
        return None
    close = difflib.get_close_matches(query, list(index.phrases), n=1, cutoff=0.8)
    if not close:
        return None
    entry = min(index.phrases[close[0]], key=lambda e: (-e.rank, e.kind != "municipality", e.code))
    return entry, entry.display


def _to_match(index: _Index, entry: _Entry, matched: str, exact: bool) -> PlaceMatch:
    """Build a PlaceMatch for an index entry."""
    if entry.kind == "wijk":
        area: Wijk | None = index.gazetteer.wijk(entry.code)
        assert area is not None
        names, label = (area.name_nl, area.name_fr), area.label
    else:
        muni = index.gazetteer.municipality(entry.code)
        assert muni is not None
        names, label = (muni.name_nl, muni.name_fr), muni.label
    return PlaceMatch(
        kind=entry.kind,
        code=entry.code,
        name_nl=names[0],
        name_fr=names[1],
        lat=label[0],
        lon=label[1],
        matched=matched,
        exact=exact,
    )


def match_place(text: str, gazetteer: Gazetteer | None = None) -> PlaceMatch | None:
    """Match a typed place name (nl/fr, any case/accents) to a wijk or municipality, offline."""
    # Comma-separated parts are tried in order, so "Place Flagey, Ixelles" resolves to the
    # most specific part that matches. Exact names win over partial and fuzzy matches; a name
    # that follows a street word ("Rue de la Paix") names the street and is skipped.
    index = _index_for(gazetteer or get_gazetteer())
    parts = [tokens(p) for p in text.split(",")]
    parts = [p for p in parts if p]
    for words in parts:
        for variant in _token_variants(words):
            hit = _best_exact(index, variant)
            if hit is not None:
                return _to_match(index, hit.entry, hit.entry.display, exact=True)
    for words in parts:
        for variant in _token_variants(words):
            found = _partial(index, variant)
            if found is not None:
                return _to_match(index, found[0], found[1], exact=False)
    return None


def _similar(a: str, b: str, cutoff: float = 0.8) -> bool:
    """Return whether two strings reach the difflib ratio cutoff (cheap bounds first)."""
    matcher = difflib.SequenceMatcher(None, a, b)
    return (
        matcher.real_quick_ratio() >= cutoff
        and matcher.quick_ratio() >= cutoff
        and matcher.ratio() >= cutoff
    )


def _wijk_score(query: str, query_tokens: list[str], names: list[tuple[str, list[str]]]) -> int:
    """Return how well a normalised query matches one wijk's names (0 = no match)."""
    best = 0
    compact = query.replace(" ", "")
    for full, parts in names:
        name_tokens = full.split()
        if full == query:
            score = 100
        elif query in parts:
            score = 90
        elif full.startswith(query) or any(p.startswith(query) for p in parts):
            score = 80
        elif all(any(t.startswith(q) for t in name_tokens) for q in query_tokens):
            score = 60
        elif compact in full.replace(" ", ""):
            score = 40
        elif len(query) >= 4 and any(
            _similar(query, candidate) for candidate in [full, *parts, *name_tokens]
        ):
            score = 20
        else:
            continue
        best = max(best, score)
    return best


def search_wijken(text: str, gazetteer: Gazetteer | None = None) -> list[Wijk]:
    """Return wijken matching text by code or name (nl/fr, accent- and case-insensitive), ranked."""
    gaz = gazetteer or get_gazetteer()
    index = _index_for(gaz)
    query = normalize(text)
    if not query:
        return []
    query_tokens = query.split()
    scored: list[tuple[int, Wijk]] = []
    for w in gaz.wijken():
        if query == str(w.code):
            score = 1000
        else:
            score = _wijk_score(query, query_tokens, index.wijk_names[w.code])
        if score:
            scored.append((score, w))
    scored.sort(key=lambda item: (-item[0], item[1].code))
    return [w for _, w in scored]
