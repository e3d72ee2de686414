"""Geodesic distances and track lengths."""

from __future__ import annotations

import math

import pytest

from geo import distance_m, track_length_m
from geo.distance import BRUSSELS_FRAME

GRAND_PLACE = (50.8467, 4.3525)
ATOMIUM = (50.8949, 4.3415)
PLACE_FLAGEY = (50.8274, 4.3724)


def test_grand_place_to_atomium() -> None:
    """Measure Grand-Place to Atomium at about 5.3 km."""
    assert distance_m(GRAND_PLACE, ATOMIUM) == pytest.approx(5300, abs=250)


def test_distance_properties() -> None:
    """Return zero for one point and the same distance both ways."""
    assert distance_m(GRAND_PLACE, GRAND_PLACE) == 0.0
    assert distance_m(GRAND_PLACE, PLACE_FLAGEY) == pytest.approx(
        distance_m(PLACE_FLAGEY, GRAND_PLACE), rel=1e-9
    )


def test_distance_is_ellipsoidal() -> None:
    """Match the WGS84 length of one degree of latitude at Brussels (about 111.2 km)."""
    assert distance_m((50.5, 4.35), (51.5, 4.35)) == pytest.approx(111_238, abs=30)


def test_distance_rejects_bad_coordinates() -> None:
    """Raise ValueError for non-finite or out-of-range coordinates."""
    with pytest.raises(ValueError):
        distance_m((math.nan, 4.0), GRAND_PLACE)
    with pytest.raises(ValueError):
        distance_m(GRAND_PLACE, (95.0, 4.0))


def test_track_length() -> None:
    """Sum the legs of a track; fewer than two points have length zero."""
    assert track_length_m([]) == 0.0
    assert track_length_m([GRAND_PLACE]) == 0.0
    legs = distance_m(GRAND_PLACE, PLACE_FLAGEY) + distance_m(PLACE_FLAGEY, ATOMIUM)
    assert track_length_m([GRAND_PLACE, PLACE_FLAGEY, ATOMIUM]) == pytest.approx(legs)
    assert track_length_m(iter([GRAND_PLACE, GRAND_PLACE, ATOMIUM])) == pytest.approx(
        distance_m(GRAND_PLACE, ATOMIUM)
    )


def test_local_frame_round_trip_and_scale() -> None:
    """Round-trip the local frame and keep its distances within 0.5 % of geodesic ones."""
    x, y = BRUSSELS_FRAME.forward(*ATOMIUM)
    assert BRUSSELS_FRAME.inverse(x, y) == pytest.approx(ATOMIUM, abs=1e-12)
    ax, ay = BRUSSELS_FRAME.forward(*GRAND_PLACE)
    planar = math.hypot(x - ax, y - ay)
    assert planar == pytest.approx(distance_m(GRAND_PLACE, ATOMIUM), rel=0.005)
