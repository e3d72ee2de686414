"""The geocoder's cache in the database: Nominatim is asked at most once per query."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from storage.models import GeocodeEntry


class DatabaseGeocodeCache:
    """A GeocodeCache (see geo.geocoding) kept in the geocode_cache table."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    def get(self, kind: str, query: str) -> str | None:
        """Return the cached answer for a query, if any."""
        with self.factory() as session:
            entry = session.get(GeocodeEntry, (kind, query[:300]))
            return entry.value if entry else None

    def put(self, kind: str, query: str, value: str) -> None:
        """Remember an answer (JSON text; "null" records "not found")."""
        with self.factory.begin() as session:
            entry = session.get(GeocodeEntry, (kind, query[:300]))
            if entry is None:
                session.add(
                    GeocodeEntry(
                        kind=kind, query=query[:300], value=value, created_at=datetime.now(UTC)
                    )
                )
            else:
                entry.value = value
