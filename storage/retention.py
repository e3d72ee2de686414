"""Retention: media and free text older than an organisation's period are deleted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import MediaFile, Observation, Organisation

# Free-text fields inside details that hold what people said.
FREE_TEXT_DETAILS = (
    "experience",
    "places",
    "needs",
    "affected",
    "impact",
    "contact",
    "follow_up",
    "need",
    "alternative",
    "where_instead",
    "place_text",
    "who_text",
    "channel_text",
)


@dataclass(frozen=True)
class RetentionResult:
    """What one retention run removed, per organisation."""

    organisation_id: int
    texts: int
    media: int
    paths: tuple[str, ...]


def months_before(moment: datetime, months: int) -> datetime:
    """Return roughly the same moment a number of months earlier (30.44 days a month)."""
    return moment - timedelta(days=round(months * 30.44))


def apply_retention(session: Session, now: datetime) -> list[RetentionResult]:
    """Clear free text and media older than each organisation's retention period.

    Returns, per organisation, what was removed and the media files to delete from disk.
    """
    results: list[RetentionResult] = []
    for organisation in session.scalars(select(Organisation)).all():
        cutoff = months_before(now, organisation.retention_months)
        old = session.scalars(
            select(Observation).where(
                Observation.organisation_id == organisation.id,
                Observation.created_at < cutoff,
            )
        ).all()
        texts = 0
        paths: list[str] = []
        media = 0
        for observation in old:
            details = dict(observation.details or {})
            had_text = observation.text is not None or any(k in details for k in FREE_TEXT_DETAILS)
            if had_text:
                observation.text = None
                for key in FREE_TEXT_DETAILS:
                    details.pop(key, None)
                details["retention_cleared"] = True
                observation.details = details
                texts += 1
            for item in list(observation.media):
                if item.path:
                    paths.append(item.path)
                session.delete(item)
                media += 1
        if texts or media:
            results.append(RetentionResult(organisation.id, texts, media, tuple(paths)))
    session.flush()
    return results


def media_count(session: Session) -> int:
    """Return how many media rows exist (for tests and reports)."""
    return len(session.scalars(select(MediaFile.id)).all())
