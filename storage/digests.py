"""Weekly pictures sent: one Digest row per organisation and ISO week, never two."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import Digest, Member, Organisation


def organisations(session: Session) -> list[Organisation]:
    """Return every organisation, in id order."""
    return list(session.scalars(select(Organisation).order_by(Organisation.id)))


def was_sent(session: Session, organisation_id: int, iso_year: int, iso_week: int) -> bool:
    """Say whether an organisation's picture of a week has been recorded."""
    found = session.scalar(
        select(Digest.id).where(
            Digest.organisation_id == organisation_id,
            Digest.iso_year == iso_year,
            Digest.iso_week == iso_week,
        )
    )
    return found is not None


def active_members(session: Session, organisation_id: int, role: str) -> list[Member]:
    """Return the organisation's active members of one role, in id order."""
    return list(
        session.scalars(
            select(Member)
            .where(
                Member.organisation_id == organisation_id,
                Member.role == role,
                Member.active.is_(True),
            )
            .order_by(Member.id)
        )
    )


def record_sent(
    session: Session, organisation_id: int, iso_year: int, iso_week: int, now: datetime
) -> Digest | None:
    """Record a week's picture as sent; None when another run recorded it meanwhile.

    The row is written in a savepoint, so a clash (unique per organisation and week) leaves the
    caller's transaction usable.
    """
    try:
        with session.begin_nested():
            row = Digest(
                organisation_id=organisation_id,
                iso_year=iso_year,
                iso_week=iso_week,
                created_at=now,
                sent_at=now,
            )
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


def set_path(session: Session, digest_id: int, path: str) -> None:
    """Record where a week's picture was written (relative to the media folder)."""
    session.execute(update(Digest).where(Digest.id == digest_id).values(path=path))
