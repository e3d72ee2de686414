"""Geocoding enriches saved observations afterwards: typed places get points, points streets."""

from __future__ import annotations

from datetime import timedelta

from flows.engine import FlowConfig, StepContext
from flows.geocoding import apply, lookups
from geo import GeocodeResult
from storage import observations as obs
from storage import organisations as orgs
from storage.geocache import DatabaseGeocodeCache
from storage.observations import Place


class FakeGeocoder:
    def __init__(self) -> None:
        self.asked: list[str] = []

    def geocode(self, text: str) -> GeocodeResult | None:
        self.asked.append(text)
        if "carrefour" in text.lower():
            return GeocodeResult(50.8365, 4.3090, "Carrefour, Anderlecht")
        return None

    def reverse(self, lat: float, lon: float) -> str | None:
        self.asked.append(f"{lat},{lon}")
        return "Place Eugène Flagey"


def test_typed_places_and_streets_are_filled_in_later(session_factory, now) -> None:
    with session_factory.begin() as session:
        org = orgs.create_organisation(session, "A", now)
        invite = orgs.create_invite(session, org.id, "staff", now, timedelta(days=1))
        member = orgs.join_with_invite(session, invite, 1, "nl", "v", now)
        common = {"organisation_id": org.id, "member_id": member.id, "author": "P-X", "now": now}
        typed = obs.add_observation(
            session, kind="encounter", details={"place_text": "Carrefour Anderlecht"}, **common
        ).id
        unknown = obs.add_observation(
            session, kind="encounter", details={"place_text": "somewhere odd"}, **common
        ).id
        placed = obs.add_observation(
            session,
            kind="missing",
            place=Place(50.8275, 4.3725, wijk_code=37, in_brussels=True),
            details={"alternative": "Carrefour", "alternative_source": "typed"},
            **common,
        ).id
    geocoder = FakeGeocoder()
    with session_factory() as session:
        todo = lookups(session)
    answers = [
        (
            ask,
            geocoder.reverse(ask.lat, ask.lon)
            if ask.kind == "street"
            else geocoder.geocode(ask.query),
        )
        for ask in todo
    ]
    with session_factory.begin() as session:
        ctx = StepContext(session, now, FlowConfig(secret_key="k"), None)
        assert apply(ctx, answers) == 3
    with session_factory() as session:
        first = obs.get_observation(session, typed)
        assert first.location_source == "geocoded" and first.municipality_nis == 21001
        assert obs.get_observation(session, unknown).lat is None
        missing = obs.get_observation(session, placed)
        assert missing.details["street"] == "Place Eugène Flagey"
        assert missing.details["alternative_lat"] == 50.8365
        assert 4000 < missing.details["distance_m"] < 6000
        # Nothing is asked twice.
        assert [ask.kind for ask in lookups(session)] == ["street"]


def test_database_cache_round_trips(session_factory) -> None:
    cache = DatabaseGeocodeCache(session_factory)
    assert cache.get("geocode", "x") is None
    cache.put("geocode", "x", '{"lat": 1}')
    cache.put("geocode", "x", "null")
    assert cache.get("geocode", "x") == "null"
