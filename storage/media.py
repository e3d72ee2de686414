"""Media files waiting to be downloaded: which are due, and when the next one is."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from storage.models import MediaFile

# Statuses of a file that will never be in the media folder: over Telegram's 20 MB download
# limit, or given up on after a day of failed tries.
UNFETCHED = ("too_big", "failed")


def due_media(session: Session, now: datetime, limit: int = 10) -> list[MediaFile]:
    """Return pending media whose next try is due (or that were never tried), oldest first."""
    return list(
        session.scalars(
            select(MediaFile)
            .where(
                MediaFile.status == "pending",
                or_(MediaFile.next_try_at.is_(None), MediaFile.next_try_at <= now),
            )
            .order_by(MediaFile.id)
            .limit(limit)
        )
    )


def next_media_due(session: Session) -> datetime | None:
    """Return the earliest next try of a pending file waiting out its back-off, if any."""
    return session.scalar(
        select(func.min(MediaFile.next_try_at)).where(MediaFile.status == "pending")
    )


def unfetched_kinds(media: list[MediaFile]) -> list[str]:
    """Return the kinds (photo, voice, video) of an observation's files that never arrived."""
    return [row.kind for row in media if row.status in UNFETCHED]
