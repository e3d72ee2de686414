"""Retention: media and free text older than an organisation's period are deleted.

Observations lose their text, free-text details and media; hypotheses (the team's own words,
which may still name people) lose their statement and the voice note they were recorded as,
and keep their themes, wijken and marked evidence.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from storage.models import Hypothesis, MediaFile, Observation, Organisation

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
# Rows read and written per round trip: a run over years of history stays small in memory.
PAGE = 1000


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


def _old_observations(
    session: Session, organisation_id: int, cutoff: datetime
) -> Iterator[list[tuple[int, str | None, dict[str, Any] | None]]]:
    """Yield pages of (id, text, details) of observations before the cutoff not yet cleared.

    Pages follow the (organisation, created_at) index with a keyset, so each is one short
    query and nothing but the page is held.
    """
    base = select(
        Observation.id, Observation.created_at, Observation.text, Observation.details
    ).where(
        Observation.organisation_id == organisation_id,
        Observation.created_at < cutoff,
        Observation.details["retention_cleared"].as_boolean().is_(None),
    )
    last: tuple[datetime, int] | None = None
    while True:
        statement = base
        if last is not None:
            # ">=" repeats part of the OR so PostgreSQL starts its index range at the last row.
            statement = statement.where(
                Observation.created_at >= last[0],
                or_(
                    Observation.created_at > last[0],
                    and_(Observation.created_at == last[0], Observation.id > last[1]),
                ),
            )
        rows = session.execute(
            statement.order_by(Observation.created_at, Observation.id).limit(PAGE)
        ).all()
        if not rows:
            return
        last = (rows[-1].created_at, rows[-1].id)
        yield [(row.id, row.text, row.details) for row in rows]


def _clear_texts(session: Session, organisation_id: int, cutoff: datetime) -> int:
    """Clear the free text of old observations page by page; return how many changed."""
    texts = 0
    for page in _old_observations(session, organisation_id, cutoff):
        changes = []
        for observation_id, text, stored in page:
            details = dict(stored or {})
            if text is None and not any(key in details for key in FREE_TEXT_DETAILS):
                continue
            for key in FREE_TEXT_DETAILS:
                details.pop(key, None)
            details["retention_cleared"] = True
            changes.append({"id": observation_id, "text": None, "details": details})
        if changes:
            session.execute(update(Observation), changes)
            texts += len(changes)
    return texts


def _delete_media(
    session: Session, organisation_id: int, cutoff: datetime
) -> tuple[int, list[str]]:
    """Delete the media rows of old observations page by page; return the count and paths."""
    removed = 0
    paths: list[str] = []
    last_id = 0
    while True:
        rows = session.execute(
            select(MediaFile.id, MediaFile.path)
            .join(Observation, Observation.id == MediaFile.observation_id)
            .where(
                Observation.organisation_id == organisation_id,
                Observation.created_at < cutoff,
                MediaFile.id > last_id,
            )
            .order_by(MediaFile.id)
            .limit(PAGE)
        ).all()
        if not rows:
            return removed, paths
        last_id = rows[-1].id
        paths.extend(row.path for row in rows if row.path)
        session.execute(
            delete(MediaFile)
            .where(MediaFile.id.in_([row.id for row in rows]))
            .execution_options(synchronize_session=False)
        )
        removed += len(rows)


def _clear_hypotheses(
    session: Session, organisation_id: int, cutoff: datetime
) -> tuple[int, int, list[str]]:
    """Clear the words and delete the voice notes of hypotheses recorded before the cutoff.

    Returns how many statements were cleared, how many voice notes removed and their files.
    An organisation has tens of hypotheses, not thousands: one query each is enough.
    """
    old = (Hypothesis.organisation_id == organisation_id, Hypothesis.created_at < cutoff)
    worded = list(session.scalars(select(Hypothesis.id).where(*old, Hypothesis.statement != "")))
    if worded:
        session.execute(
            update(Hypothesis)
            .where(Hypothesis.id.in_(worded))
            .values(statement="")
            .execution_options(synchronize_session=False)
        )
    voices = session.execute(
        select(MediaFile.id, MediaFile.path)
        .join(Hypothesis, Hypothesis.id == MediaFile.hypothesis_id)
        .where(*old)
    ).all()
    if voices:
        session.execute(
            delete(MediaFile)
            .where(MediaFile.id.in_([row.id for row in voices]))
            .execution_options(synchronize_session=False)
        )
    return len(worded), len(voices), [row.path for row in voices if row.path]


def apply_retention(session: Session, now: datetime) -> list[RetentionResult]:
    """Clear free text and media older than each organisation's retention period: of the
    observations and of the hypotheses.

    Returns, per organisation, what was removed and the media files to delete from disk.
    Observations are read and changed in pages, never all at once: the first run on a
    long history touches many rows, later runs skip those already cleared.
    """
    results: list[RetentionResult] = []
    organisations = session.execute(
        select(Organisation.id, Organisation.retention_months).order_by(Organisation.id)
    ).all()
    for organisation_id, months in organisations:
        cutoff = months_before(now, months)
        texts = _clear_texts(session, organisation_id, cutoff)
        media, paths = _delete_media(session, organisation_id, cutoff)
        statements, voices, voice_paths = _clear_hypotheses(session, organisation_id, cutoff)
        texts, media = texts + statements, media + voices
        paths.extend(voice_paths)
        if texts or media:
            results.append(RetentionResult(organisation_id, texts, media, tuple(paths)))
    session.flush()
    return results


def media_count(session: Session) -> int:
    """Return how many media rows exist (for tests and reports)."""
    return session.scalar(select(func.count()).select_from(MediaFile)) or 0
