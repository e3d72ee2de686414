"""Gazetteer: loading, point lookup, the 25 m fallback, adjacency and names."""

from __future__ import annotations

import dataclasses
import random
import subprocess
import sys

import pytest
import shapely
from geopy.distance import geodesic

import geo
from geo import Gazetteer, Location, Wijk, get_gazetteer, locate

GRAND_PLACE = (50.8467, 4.3525)
ATOMIUM = (50.8949, 4.3415)
PLACE_FLAGEY = (50.8274, 4.3724)
GARE_DU_MIDI = (50.8359, 4.3366)
ZAVENTEM = (50.8846, 4.4720)


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    """Return the shared gazetteer."""
    return get_gazetteer()


def test_loads_all_wijken_and_municipalities(gaz: Gazetteer) -> None:
    """Load 145 wijken and 19 municipalities with int codes and valid geometry."""
    assert len(gaz.wijken()) == 145
    assert len({w.code for w in gaz.wijken()}) == 145
    assert len(gaz.municipalities()) == 19
    assert [m.nis for m in gaz.municipalities()] == list(range(21001, 21020))
    assert all(w.geometry.is_valid and w.area_km2 > 0 for w in gaz.wijken())
    assert get_gazetteer() is gaz


def test_wijk_fields(gaz: Gazetteer) -> None:
    """Expose code, names, kind, main municipality and label point of a wijk."""
    w = gaz.wijk(37)
    assert isinstance(w, Wijk)
    assert (w.code, w.name_fr, w.name_nl, w.kind) == (
        37,
        "Flagey - Malibran",
        "Flagey - Malibran",
        "residential",
    )
    assert w.municipality_nis == 21009
    assert w.municipalities == (21009,)
    lat, lon = w.label
    assert 50.8 < lat < 50.9 and 4.3 < lon < 4.4
    assert geo.wijk(37) == w
    assert geo.wijk(999) is None
    assert geo.wijk("37") == w
    assert geo.wijk("x") is None
    assert {w.kind for w in geo.wijken()} == {
        "residential",
        "cemetery",
        "industrial_or_infrastructure",
        "park_or_forest",
    }


def test_municipality_lookup() -> None:
    """Find municipalities by int or str NIS code."""
    anderlecht = geo.municipality(21001)
    assert anderlecht is not None and anderlecht.name_nl == "Anderlecht"
    assert geo.municipality("21012") == geo.municipality(21012)
    assert geo.municipality(21012).name_nl == "Sint-Jans-Molenbeek"  # type: ignore[union-attr]
    assert geo.municipality(99999) is None
    assert geo.municipality("x") is None


@pytest.mark.parametrize(
    ("point", "wijk", "nis"),
    [
        (GRAND_PLACE, 1, 21004),
        (ATOMIUM, 74, 21004),
        (PLACE_FLAGEY, 37, 21009),
        (GARE_DU_MIDI, 804, 21013),
    ],
)
def test_known_places(point: tuple[float, float], wijk: int, nis: int) -> None:
    """Locate landmarks in the wijk and municipality the data README lists."""
    loc = locate(*point)
    assert isinstance(loc, Location)
    assert (loc.wijk_code, loc.municipality_nis) == (wijk, nis)
    assert loc.in_brussels and loc.fallback_m is None
    assert (loc.lat, loc.lon) == point


def test_grand_place_names() -> None:
    """Carry both names of the wijk and the municipality."""
    loc = locate(*GRAND_PLACE)
    assert (loc.wijk_name_nl, loc.wijk_name_fr) == ("Grote Markt", "Grand Place")
    assert (loc.municipality_name_nl, loc.municipality_name_fr) == ("Brussel", "Bruxelles")
    assert loc.wijk_name("nl") == "Grote Markt"
    assert loc.wijk_name("en") == "Grand Place"
    assert loc.municipality_name("fr") == "Bruxelles"


def test_zaventem_is_outside() -> None:
    """Report a point outside the region as outside, not as an error."""
    loc = locate(*ZAVENTEM)
    assert loc.in_brussels is False
    assert loc.wijk_code is None and loc.municipality_nis is None
    assert loc.wijk_name("nl") is None and loc.municipality_name("nl") is None
    assert loc.fallback_m is None
    assert locate(48.8566, 2.3522).in_brussels is False  # Paris


def test_location_is_frozen() -> None:
    """Make Location immutable."""
    loc = locate(*GRAND_PLACE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        loc.wijk_code = 2  # type: ignore[misc]


@pytest.mark.parametrize("bad", [(float("nan"), 4.35), (50.8, float("inf")), (91.0, 4.3)])
def test_invalid_coordinates_raise(bad: tuple[float, float]) -> None:
    """Reject coordinates that are not finite WGS84 degrees."""
    with pytest.raises(ValueError):
        locate(*bad)


def _extreme_vertices(gaz: Gazetteer) -> dict[float, tuple[float, float]]:
    """Return the region's outermost vertex (lat, lon) per compass bearing, over both layers."""
    geoms = [w.geometry for w in gaz.wijken()] + [m.geometry for m in gaz.municipalities()]
    coords = shapely.get_coordinates(geoms)
    lon_lat = {
        0.0: coords[coords[:, 1].argmax()],
        90.0: coords[coords[:, 0].argmax()],
        180.0: coords[coords[:, 1].argmin()],
        270.0: coords[coords[:, 0].argmin()],
    }
    return {bearing: (float(c[1]), float(c[0])) for bearing, c in lon_lat.items()}


def _moved(point: tuple[float, float], metres: float, bearing: float) -> tuple[float, float]:
    """Return point moved by metres along a bearing (geodesic)."""
    dest = geodesic(meters=metres).destination(point, bearing)
    return dest.latitude, dest.longitude


@pytest.mark.parametrize("bearing", [0.0, 90.0, 180.0, 270.0])
def test_fallback_within_25_m_of_the_border(gaz: Gazetteer, bearing: float) -> None:
    """Give a point 10 m beyond the outermost vertex the nearest polygon, with its distance."""
    vertex = _extreme_vertices(gaz)[bearing]
    inside_loc = gaz.locate(*vertex)
    point = _moved(vertex, 10.0, bearing)
    loc = gaz.locate(*point)
    assert loc.in_brussels
    assert loc.fallback_m is not None and 9.0 <= loc.fallback_m <= 10.5
    assert loc.wijk_code is not None and loc.municipality_nis is not None
    assert gaz.locate_naive(*point) == loc
    assert inside_loc.in_brussels


@pytest.mark.parametrize("bearing", [0.0, 90.0, 180.0, 270.0])
def test_no_fallback_100_m_beyond_the_border(gaz: Gazetteer, bearing: float) -> None:
    """Treat a point 100 m beyond the outermost vertex as outside Brussels."""
    point = _moved(_extreme_vertices(gaz)[bearing], 100.0, bearing)
    loc = gaz.locate(*point)
    assert not loc.in_brussels
    assert loc.fallback_m is None and loc.wijk_code is None and loc.municipality_nis is None
    assert gaz.locate_naive(*point) == loc


def test_fallback_limit_is_25_m(gaz: Gazetteer) -> None:
    """Apply the fallback up to 25 m and not at 30 m."""
    vertex = _extreme_vertices(gaz)[90.0]
    assert gaz.locate(*_moved(vertex, 24.0, 90.0)).in_brussels
    assert not gaz.locate(*_moved(vertex, 30.0, 90.0)).in_brussels


def test_municipality_comes_from_municipality_layer(gaz: Gazetteer) -> None:
    """Take the municipality of a point in a cross-border wijk from the municipality layer."""
    porte_tervueren = gaz.wijk(30)
    assert porte_tervueren is not None and porte_tervueren.municipality_nis == 21005
    other = gaz.municipality(21004)
    assert other is not None and 21004 in porte_tervueren.municipalities
    part = porte_tervueren.geometry.intersection(other.geometry)
    probe = part.representative_point()
    loc = gaz.locate(probe.y, probe.x)
    assert loc.wijk_code == 30
    assert loc.municipality_nis == 21004 != porte_tervueren.municipality_nis


def test_every_cross_border_wijk_part_gets_its_own_municipality(gaz: Gazetteer) -> None:
    """Check each sizeable wijk/municipality overlap resolves to that municipality."""
    checked = 0
    for w in gaz.wijken():
        for nis in w.municipalities:
            if nis == w.municipality_nis:
                continue
            muni = gaz.municipality(nis)
            assert muni is not None
            part = w.geometry.intersection(muni.geometry).buffer(-1e-5)
            if part.is_empty:
                continue
            probe = part.representative_point()
            loc = gaz.locate(probe.y, probe.x)
            assert loc.municipality_nis == nis
            checked += 1
    assert checked >= 40


def test_every_label_point_locates_to_itself(gaz: Gazetteer) -> None:
    """Locate each wijk's and municipality's label point in that area."""
    for w in gaz.wijken():
        assert gaz.locate(*w.label).wijk_code == w.code, w
    for m in gaz.municipalities():
        assert gaz.locate(*m.label).municipality_nis == m.nis, m


def test_strtree_equals_naive_loop(gaz: Gazetteer) -> None:
    """Give identical results with the index, the naive loop and the bulk path."""
    south, west, north, east = gaz.bbox
    rng = random.Random(20261129)
    points = [(rng.uniform(south, north), rng.uniform(west, east)) for _ in range(2000)]
    indexed = [gaz.locate(lat, lon) for lat, lon in points]
    naive = [gaz.locate_naive(lat, lon) for lat, lon in points]
    assert indexed == naive
    assert gaz.locate_many(points) == indexed
    inside = sum(loc.in_brussels for loc in indexed)
    assert 800 < inside < 1600  # the region fills roughly 60 % of its bounding box


def test_locate_many_empty_and_validates(gaz: Gazetteer) -> None:
    """Return [] for no points and reject invalid ones."""
    assert gaz.locate_many([]) == []
    with pytest.raises(ValueError):
        gaz.locate_many([GRAND_PLACE, (float("nan"), 0.0)])


def test_neighbours(gaz: Gazetteer) -> None:
    """Return the wijken touching a set, without the set itself."""
    flagey = geo.neighbours({37})
    assert 37 not in flagey
    assert {36, 38, 39} <= flagey
    assert 1 not in flagey
    pair = geo.neighbours({37, 36})
    assert 36 not in pair and 37 not in pair
    assert flagey - {36} <= pair
    assert geo.neighbours(set()) == set()
    assert geo.neighbours({123456}) == set()
    for w in gaz.wijken():
        for other in gaz.neighbours({w.code}):
            assert w.code in gaz.neighbours({other}), (w.code, other)
        assert gaz.neighbours({w.code}), w.code


def test_wijk_name_languages() -> None:
    """Name a wijk in nl, fr and en (en uses the French display name)."""
    assert geo.wijk_name(3, "nl") == "Begijnhof - Diksmuide"
    assert geo.wijk_name(3, "fr") == "Béguinage - Dixmude"
    assert geo.wijk_name(3, "en") == "Béguinage - Dixmude"
    assert geo.wijk_name(3, "nl-BE") == "Begijnhof - Diksmuide"
    with pytest.raises(ValueError):
        geo.wijk_name(3, "de")
    with pytest.raises(KeyError):
        geo.wijk_name(999, "nl")
    assert geo.is_valid_wijk(804) and not geo.is_valid_wijk(119)


def test_bbox_and_region(gaz: Gazetteer) -> None:
    """Expose the bounding box (south, west, north, east) and the region outline."""
    south, west, north, east = gaz.bbox
    assert 50.76 < south < north < 50.92 and 4.24 < west < east < 4.49
    assert gaz.region.contains(shapely.Point(GRAND_PLACE[1], GRAND_PLACE[0]))
    assert 160 < sum(m.area_km2 for m in gaz.municipalities()) < 163


def test_geo_imports_no_other_project_package() -> None:
    """Keep geo free of telegram and of the project's other packages."""
    code = (
        "import sys, geo, geo.geocoding, geo.indicators, geo.places; "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "{'telegram', 'storage', 'flows', 'bot', 'reports'}]; "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
