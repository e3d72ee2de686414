"""Offline and Nominatim geocoders, the cache protocol and error handling (no network)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from geopy.exc import GeocoderServiceError, GeocoderTimedOut

import geo
from geo import (
    GeocodeCache,
    Geocoder,
    GeocodeResult,
    MemoryGeocodeCache,
    NominatimGeocoder,
    OfflineGeocoder,
)
from geo.geocoding import BRUSSELS_VIEWBOX


@dataclass
class FakeLocation:
    """Stand-in for geopy.location.Location."""

    latitude: float
    longitude: float
    address: str


@dataclass
class FakeNominatim:
    """Geopy-like geolocator that records calls and can be told to fail."""

    fail_with: Exception | None = None
    calls: list[tuple[str, Any, dict[str, Any]]] = field(default_factory=list)

    def geocode(self, query: str, **kwargs: Any) -> FakeLocation | None:
        """Answer a forward query."""
        self.calls.append(("geocode", query, kwargs))
        if self.fail_with is not None:
            raise self.fail_with
        if "nowhere" in query:
            return None
        return FakeLocation(50.8274, 4.3724, "Place Flagey, 1050 Ixelles, Belgique")

    def reverse(self, point: Any, **kwargs: Any) -> FakeLocation | None:
        """Answer a reverse query."""
        self.calls.append(("reverse", point, kwargs))
        if self.fail_with is not None:
            raise self.fail_with
        return FakeLocation(point[0], point[1], "Grote Markt, 1000 Brussel, België")


def make(fake: FakeNominatim, cache: MemoryGeocodeCache | None = None) -> NominatimGeocoder:
    """Build a NominatimGeocoder around a fake, without rate-limit waits or retries."""
    return NominatimGeocoder(
        "buurtbot-tests",
        cache if cache is not None else MemoryGeocodeCache(),
        geolocator=fake,
        min_delay_seconds=0.0,
        max_retries=0,
    )


def test_protocols_are_satisfied() -> None:
    """Make every geocoder a Geocoder and the memory cache a GeocodeCache."""
    assert isinstance(OfflineGeocoder(), Geocoder)
    assert isinstance(make(FakeNominatim()), Geocoder)
    assert isinstance(MemoryGeocodeCache(), GeocodeCache)


def test_offline_geocode() -> None:
    """Geocode names to the label point of the matched wijk or municipality."""
    result = OfflineGeocoder("fr").geocode("Flagey")
    assert isinstance(result, GeocodeResult)
    lat, lon, label = result
    assert label == "Flagey - Malibran"
    assert geo.locate(lat, lon).wijk_code == 37
    nl = OfflineGeocoder("nl").geocode("Gare du Midi")
    assert nl is not None and nl.label == "Zuidstation"
    assert OfflineGeocoder().geocode("Rue de la Loi 16") is None


def test_offline_reverse() -> None:
    """Reverse-geocode to the wijk name in the chosen language, None outside Brussels."""
    assert OfflineGeocoder("nl").reverse(50.8467, 4.3525) == "Grote Markt"
    assert OfflineGeocoder("fr").reverse(50.8467, 4.3525) == "Grand Place"
    assert OfflineGeocoder("en").reverse(50.8359, 4.3366) == "Gare du Midi"
    assert OfflineGeocoder().reverse(50.8846, 4.4720) is None
    assert OfflineGeocoder().reverse(float("nan"), 4.0) is None


def test_offline_rejects_unknown_language() -> None:
    """Refuse languages other than nl, fr and en."""
    with pytest.raises(ValueError):
        OfflineGeocoder("de")


def test_nominatim_geocode_uses_cache() -> None:
    """Ask Nominatim once per query, restricted to Belgium and the Brussels viewbox."""
    fake = FakeNominatim()
    cache = MemoryGeocodeCache()
    geocoder = make(fake, cache)
    first = geocoder.geocode("Place Flagey")
    assert first == GeocodeResult(50.8274, 4.3724, "Place Flagey, 1050 Ixelles, Belgique")
    assert geocoder.geocode("  place   FLAGEY ") == first
    assert len(fake.calls) == 1
    kind, query, kwargs = fake.calls[0]
    assert (kind, query) == ("geocode", "Place Flagey")
    assert kwargs["country_codes"] == "be"
    assert kwargs["bounded"] is True
    assert kwargs["viewbox"] == list(BRUSSELS_VIEWBOX)
    assert kwargs["language"] == "nl"
    assert len(cache) == 1
    # A second geocoder sharing the cache (e.g. after a restart) does not ask again.
    other_fake = FakeNominatim()
    assert make(other_fake, cache).geocode("Place Flagey") == first
    assert other_fake.calls == []


def test_nominatim_caches_misses() -> None:
    """Cache "not found" so the same query does not hit Nominatim again."""
    fake = FakeNominatim()
    geocoder = make(fake)
    assert geocoder.geocode("nowhere at all") is None
    assert geocoder.geocode("nowhere at all") is None
    assert len(fake.calls) == 1
    assert geocoder.geocode("   ") is None
    assert len(fake.calls) == 1


def test_nominatim_reverse_uses_cache() -> None:
    """Reverse-geocode once per (rounded) point."""
    fake = FakeNominatim()
    geocoder = make(fake)
    assert geocoder.reverse(50.8467, 4.3525) == "Grote Markt, 1000 Brussel, België"
    assert geocoder.reverse(50.846700001, 4.352500001) == "Grote Markt, 1000 Brussel, België"
    assert len(fake.calls) == 1
    assert fake.calls[0][1] == (50.8467, 4.3525)
    assert geocoder.reverse(float("nan"), 4.0) is None
    assert len(fake.calls) == 1


@pytest.mark.parametrize(
    "error",
    [GeocoderTimedOut("slow"), GeocoderServiceError("502"), OSError("network down")],
)
def test_nominatim_errors_give_none_and_are_not_cached(error: Exception) -> None:
    """Return None on network/service errors and retry on the next call."""
    fake = FakeNominatim(fail_with=error)
    cache = MemoryGeocodeCache()
    geocoder = make(fake, cache)
    assert geocoder.geocode("Place Flagey") is None
    assert geocoder.reverse(50.8467, 4.3525) is None
    assert len(cache) == 0
    fake.fail_with = None
    assert geocoder.geocode("Place Flagey") is not None
    assert geocoder.reverse(50.8467, 4.3525) is not None


def test_nominatim_survives_a_broken_cache() -> None:
    """Keep geocoding when the cache itself fails."""

    class BrokenCache:
        """Cache whose backend is down."""

        def get(self, kind: str, query: str) -> str | None:
            """Fail."""
            raise RuntimeError("database gone")

        def put(self, kind: str, query: str, value: str) -> None:
            """Fail."""
            raise RuntimeError("database gone")

    fake = FakeNominatim()
    geocoder = NominatimGeocoder(
        "buurtbot-tests", BrokenCache(), geolocator=fake, min_delay_seconds=0.0
    )
    assert geocoder.geocode("Place Flagey") is not None


def test_nominatim_ignores_unreadable_cache_entries() -> None:
    """Ask again when a cached entry cannot be parsed."""
    fake = FakeNominatim()
    cache = MemoryGeocodeCache()
    cache.put("geocode", "nl|place flagey", "{not json")
    assert make(fake, cache).geocode("Place Flagey") is not None
    assert len(fake.calls) == 1


def test_nominatim_requires_user_agent() -> None:
    """Refuse an empty user agent (Nominatim's usage policy)."""
    with pytest.raises(ValueError):
        NominatimGeocoder(" ", MemoryGeocodeCache(), geolocator=FakeNominatim())


def test_nominatim_rate_limit_is_one_per_second_by_default() -> None:
    """Default to at most one request per second."""
    geocoder = NominatimGeocoder("buurtbot-tests", MemoryGeocodeCache(), geolocator=FakeNominatim())
    limiter: Any = geocoder._geocode
    assert limiter.min_delay_seconds == 1.0


def test_memory_cache_evicts_oldest() -> None:
    """Drop the least recently used entry when full."""
    cache = MemoryGeocodeCache(max_entries=2)
    cache.put("geocode", "a", "1")
    cache.put("geocode", "b", "2")
    assert cache.get("geocode", "a") == "1"
    cache.put("geocode", "c", "3")
    assert cache.get("geocode", "b") is None
    assert cache.get("geocode", "a") == "1" and cache.get("geocode", "c") == "3"
    assert cache.get("reverse", "a") is None
