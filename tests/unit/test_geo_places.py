"""Offline name search (search_wijken) and place matching (match_place)."""

from __future__ import annotations

import pytest

import geo
from geo import PlaceMatch, match_place, search_wijken


def codes(text: str) -> list[int]:
    """Return the codes search_wijken finds for text."""
    return [w.code for w in search_wijken(text)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Béguinage", 3),
        ("beguinage", 3),
        ("BEGUINAGE", 3),
        ("Begijnhof", 3),
        ("dixmude", 3),
        ("diksmuide", 3),
        ("Cureghem Vétérinaire", 12),
        ("cureghem veterinaire", 12),
        ("Kuregem Veeartsenij", 12),
        ("Étangs d'Ixelles", 39),
        ("etangs d ixelles", 39),
        ("Vijvers van Elsene", 39),
        ("Molière", 45),
        ("moliere", 45),
        ("Zuidstation", 804),
        ("gare du midi", 804),
        ("Heizel", 74),
        ("grote markt", 1),
        ("Grand-Place", 1),
    ],
)
def test_search_by_name_both_languages(query: str, expected: int) -> None:
    """Find wijken by nl or fr name regardless of accents, case and punctuation."""
    assert codes(query)[0] == expected


def test_search_partial_words_and_ranking() -> None:
    """Match partial words and rank exact names first."""
    assert codes("flag") == [37]
    assert codes("cureg veter") == [12]
    assert codes("kuregem")[:3] == [11, 12, 13]
    assert codes("Koekelberg")[0] == 17
    found = codes("hopital")
    assert set(found[:2]) == {38, 64}
    assert codes("saint-gilles")[:2] == [47, 702]
    assert codes("Matonge")[0] == 36


def test_search_by_code() -> None:
    """Put the wijk with a typed code first."""
    assert codes("37")[0] == 37
    assert codes(" 804 ")[0] == 804
    assert codes("1")[0] == 1


def test_search_nothing() -> None:
    """Return no results for empty or unknown text."""
    assert search_wijken("") == []
    assert search_wijken("   ") == []
    assert search_wijken("qqqqzzzz") == []


def test_search_tolerates_small_typos() -> None:
    """Find a wijk despite a small typo, after better matches."""
    assert 94 in codes("Stokel")
    assert codes("Marolen")[0] == 8


@pytest.mark.parametrize(
    ("text", "kind", "code"),
    [
        ("Flagey", "wijk", 37),
        ("Place Flagey", "wijk", 37),
        ("Flageyplein", "wijk", 37),
        ("place flagey, Ixelles", "wijk", 37),
        ("Place Flagey Elsene", "wijk", 37),
        ("Anderlecht", "municipality", 21001),
        ("Sint-Jans-Molenbeek", "municipality", 21012),
        ("Molenbeek-Saint-Jean", "municipality", 21012),
        ("Molenbeek", "municipality", 21012),
        ("molenbeek historique", "wijk", 16),
        ("Historisch Molenbeek", "wijk", 16),
        ("Koekelberg", "municipality", 21011),
        ("Elsene", "municipality", 21009),
        ("IXELLES", "municipality", 21009),
        ("St-Gilles", "municipality", 21013),
        ("Sint-Gillis", "municipality", 21013),
        ("Saint-Josse", "municipality", 21014),
        ("Sint-Joost-ten-Node", "municipality", 21014),
        ("Boitsfort", "municipality", 21017),
        ("Brussel", "municipality", 21004),
        ("Brussels", "municipality", 21004),
        ("1050", "municipality", 21009),
        ("1080 Molenbeek", "municipality", 21012),
        ("Gare du Midi", "wijk", 804),
        ("Zuidstation", "wijk", 804),
        ("Grand-Place", "wijk", 1),
        ("Grote Markt", "wijk", 1),
        ("Marollen", "wijk", 8),
        ("Heysel", "wijk", 74),
        ("Stokkel", "wijk", 94),
        ("Josaphatpark", "wijk", 901),
        ("Ter Kamerenbos", "wijk", 907),
        ("Rue de la Paix 5, Ixelles", "municipality", 21009),
        ("Atomium", "wijk", 74),
        ("Place du Jeu de Balle", "wijk", 8),
        ("Vossenplein", "wijk", 8),
        ("Neder-over-Heembeek", "wijk", 77),
        ("Laeken", "municipality", 21004),
    ],
)
def test_match_place(text: str, kind: str, code: int) -> None:
    """Resolve typed places to the expected wijk or municipality."""
    match = match_place(text)
    assert match is not None, text
    assert (match.kind, match.code) == (kind, code)


def test_match_place_carries_names_and_label_point() -> None:
    """Return both names, the label point and what matched."""
    match = match_place("Flagey")
    assert isinstance(match, PlaceMatch)
    flagey = geo.wijk(37)
    assert flagey is not None
    assert (match.lat, match.lon) == flagey.label
    assert match.matched == "Flagey"
    assert match.exact
    assert match.name("fr") == "Flagey - Malibran"
    assert geo.locate(match.lat, match.lon).wijk_code == 37
    anderlecht = match_place("anderlecht")
    assert anderlecht is not None
    assert (anderlecht.name_nl, anderlecht.name_fr) == ("Anderlecht", "Anderlecht")
    assert geo.locate(anderlecht.lat, anderlecht.lon).municipality_nis == 21001


def test_match_place_partial_and_fuzzy_are_not_exact() -> None:
    """Mark partial and misspelt matches as inexact."""
    partial = match_place("Cureghem")
    assert partial is not None and partial.kind == "wijk" and partial.code in {11, 12, 13}
    assert not partial.exact
    typo = match_place("Anderlect")
    assert typo is not None and typo.code == 21001 and not typo.exact


@pytest.mark.parametrize(
    "text",
    ["", "   ", "xyz", "Rue de la Loi 16", "Avenue Louise", "Chaussée d'Ixelles 100", "Paris"],
)
def test_match_place_none(text: str) -> None:
    """Return None for text that names no wijk or municipality (e.g. plain street addresses)."""
    assert match_place(text) is None


def test_landmark_aliases_lie_in_their_wijk() -> None:
    """Check landmark coordinates fall in the wijk their alias maps to."""
    assert geo.locate(50.8949, 4.3415).wijk_code == 74  # Atomium
    assert geo.locate(50.8374, 4.3454).wijk_code == 8  # Place du Jeu de Balle
    assert geo.locate(50.84499, 4.34998).wijk_code == 1  # Manneken Pis
    manneken = match_place("Manneken-Pis")
    assert manneken is not None and (manneken.kind, manneken.code) == ("wijk", 1)
