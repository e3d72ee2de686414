"""Geocoding: an offline geocoder on the gazetteer and a cached, rate-limited Nominatim client.

All geocoders here are synchronous and may block (Nominatim waits 1 s between requests);
call them off the event loop, e.g. with ``asyncio.to_thread``. They never raise on network
or service errors: they log and return None.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol, runtime_checkable

from geo.gazetteer import Gazetteer, get_gazetteer, normalize_language
from geo.places import match_place

log = logging.getLogger(__name__)

NOMINATIM_MIN_DELAY_S = 1.0
"""Nominatim's usage policy allows at most one request per second."""

BRUSSELS_VIEWBOX: tuple[tuple[float, float], tuple[float, float]] = (
    (50.7536, 4.2337),
    (50.9239, 4.4923),
)
"""(south-west, north-east) corners as (lat, lon): the region's bounding box plus ~1 km."""


class GeocodeResult(NamedTuple):
    """A geocoded place: WGS84 coordinates and a human-readable label."""

    lat: float
    lon: float
    label: str


@runtime_checkable
class Geocoder(Protocol):
    """Turns text into a point and a point into a label; returns None when it cannot."""

    def geocode(self, text: str) -> GeocodeResult | None:
        """Return (lat, lon, label) for a typed place or address, or None."""
        ...

    def reverse(self, lat: float, lon: float) -> str | None:
        """Return a label for a point, or None."""
        ...


@runtime_checkable
class GeocodeCache(Protocol):
    """Store geocoder answers as JSON text keyed by (kind, query)."""

    # kind is "geocode" or "reverse"; query is a normalised string that already includes the
    # language ("nl|place flagey", "fr|50.84670,4.35250"). value is opaque JSON text, where
    # "null" records a confirmed miss. get() returns None when nothing is cached. A storage
    # implementation can keep these in a table with a unique (kind, query) key.

    def get(self, kind: str, query: str) -> str | None:
        """Return the cached JSON text for (kind, query), or None."""
        ...

    def put(self, kind: str, query: str, value: str) -> None:
        """Store JSON text for (kind, query), replacing any earlier value."""
        ...


class MemoryGeocodeCache:
    """Thread-safe in-memory GeocodeCache with least-recently-used eviction."""

    def __init__(self, max_entries: int = 10_000) -> None:
        """Create an empty cache holding at most max_entries answers."""
        self._max_entries = max_entries
        self._data: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, kind: str, query: str) -> str | None:
        """Return the cached JSON text for (kind, query), or None."""
        with self._lock:
            value = self._data.get((kind, query))
            if value is not None:
                self._data.move_to_end((kind, query))
            return value

    def put(self, kind: str, query: str, value: str) -> None:
        """Store JSON text for (kind, query), evicting the oldest entry when full."""
        with self._lock:
            self._data[(kind, query)] = value
            self._data.move_to_end((kind, query))
            while len(self._data) > self._max_entries:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        """Return the number of cached answers."""
        return len(self._data)


def _valid_point(lat: float, lon: float) -> bool:
    """Return whether (lat, lon) are finite, in-range degrees."""
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        return False
    return math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180


class OfflineGeocoder:
    """Geocoder on the packaged gazetteer: wijk and municipality names only, no network."""

    def __init__(self, language: str = "nl", gazetteer: Gazetteer | None = None) -> None:
        """Create a geocoder answering in nl/fr/en (en uses French names)."""
        self.language = normalize_language(language)
        self._gazetteer = gazetteer

    @property
    def gazetteer(self) -> Gazetteer:
        """Return the gazetteer in use."""
        return self._gazetteer or get_gazetteer()

    def geocode(self, text: str) -> GeocodeResult | None:
        """Return the label point and name of the wijk or municipality named in text, or None."""
        match = match_place(text, self.gazetteer)
        if match is None:
            return None
        return GeocodeResult(match.lat, match.lon, match.name(self.language))

    def reverse(self, lat: float, lon: float) -> str | None:
        """Return the name of the wijk (or municipality) holding the point, or None outside."""
        if not _valid_point(lat, lon):
            return None
        location = self.gazetteer.locate(lat, lon)
        return location.wijk_name(self.language) or location.municipality_name(self.language)


class NominatimGeocoder:
    """Geocode with OpenStreetMap Nominatim, cached and limited to one request per second."""

    # Forward searches are restricted to Belgium and bounded to the Brussels viewbox. Answers,
    # including "not found", are cached; network and service errors are logged, not cached,
    # and give None.

    def __init__(
        self,
        user_agent: str,
        cache: GeocodeCache,
        *,
        language: str = "nl",
        geolocator: Any | None = None,
        min_delay_seconds: float = NOMINATIM_MIN_DELAY_S,
        timeout: float = 10.0,
        max_retries: int = 1,
        error_wait_seconds: float = 2.0,
        viewbox: tuple[tuple[float, float], tuple[float, float]] = BRUSSELS_VIEWBOX,
        domain: str = "nominatim.openstreetmap.org",
    ) -> None:
        """Create the client; pass geolocator to inject a geopy-compatible object (tests)."""
        from geopy.extra.rate_limiter import RateLimiter

        if not user_agent.strip():
            raise ValueError("Nominatim requires an identifying user_agent")
        self.language = normalize_language(language)
        self.cache = cache
        self.viewbox = viewbox
        if geolocator is None:
            from geopy.geocoders import Nominatim

            geolocator = Nominatim(user_agent=user_agent, timeout=timeout, domain=domain)
        self.geolocator = geolocator
        limits: dict[str, Any] = {
            "min_delay_seconds": min_delay_seconds,
            "max_retries": max_retries,
            "error_wait_seconds": error_wait_seconds,
            "swallow_exceptions": False,
        }
        self._geocode: Callable[..., Any] = RateLimiter(geolocator.geocode, **limits)
        self._reverse: Callable[..., Any] = RateLimiter(geolocator.reverse, **limits)

    def geocode(self, text: str) -> GeocodeResult | None:
        """Return (lat, lon, address) for text inside Brussels, or None."""
        query = " ".join(str(text).split())
        if not query:
            return None
        key = f"{self.language}|{query.casefold()}"
        cached = self._cache_get("geocode", key)
        if cached is not None:
            hit, result = _result_from_json(cached)
            if hit:
                return result
        try:
            location = self._geocode(
                query,
                exactly_one=True,
                country_codes="be",
                viewbox=list(self.viewbox),
                bounded=True,
                language=self.language,
            )
        except Exception as exc:  # geocoding must never break a conversation
            log.warning("nominatim geocode failed for %r: %s", query, exc)
            return None
        result = _result_from_location(location)
        self._cache_put("geocode", key, _result_to_json(result))
        return result

    def reverse(self, lat: float, lon: float) -> str | None:
        """Return the address Nominatim gives for the point, or None."""
        if not _valid_point(lat, lon):
            return None
        lat, lon = float(lat), float(lon)
        key = f"{self.language}|{lat:.5f},{lon:.5f}"
        cached = self._cache_get("reverse", key)
        if cached is not None:
            try:
                value: Any = json.loads(cached)
            except ValueError:
                value = 0  # unreadable entry: ask again
            if value is None or isinstance(value, str):
                return value
        try:
            location = self._reverse((lat, lon), exactly_one=True, language=self.language, zoom=18)
        except Exception as exc:  # geocoding must never break a conversation
            log.warning("nominatim reverse failed for (%s, %s): %s", lat, lon, exc)
            return None
        address = getattr(location, "address", None) if location is not None else None
        label = address if isinstance(address, str) and address else None
        self._cache_put("reverse", key, json.dumps(label))
        return label

    def _cache_get(self, kind: str, key: str) -> str | None:
        """Return a cached value, treating cache failures as misses."""
        try:
            return self.cache.get(kind, key)
        except Exception as exc:  # a broken cache must not break geocoding
            log.warning("geocode cache get failed: %s", exc)
            return None

    def _cache_put(self, kind: str, key: str, value: str) -> None:
        """Store a value, ignoring cache failures."""
        try:
            self.cache.put(kind, key, value)
        except Exception as exc:  # a broken cache must not break geocoding
            log.warning("geocode cache put failed: %s", exc)


def _result_from_location(location: Any) -> GeocodeResult | None:
    """Convert a geopy Location (or None) to a GeocodeResult."""
    if location is None:
        return None
    try:
        lat, lon = float(location.latitude), float(location.longitude)
    except (AttributeError, TypeError, ValueError):
        return None
    if not _valid_point(lat, lon):
        return None
    return GeocodeResult(lat, lon, str(getattr(location, "address", "") or ""))


def _result_to_json(result: GeocodeResult | None) -> str:
    """Serialise a result (or a miss) for the cache."""
    if result is None:
        return "null"
    return json.dumps({"lat": result.lat, "lon": result.lon, "label": result.label})


def _result_from_json(text: str) -> tuple[bool, GeocodeResult | None]:
    """Deserialise a cached answer as (usable, result); unreadable entries are not usable."""
    try:
        value = json.loads(text)
        if value is None:
            return True, None
        return True, GeocodeResult(float(value["lat"]), float(value["lon"]), str(value["label"]))
    except (ValueError, KeyError, TypeError):
        return False, None
