"""Observations and their media: stored at once, each message at most once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, bindparam, delete, select
from sqlalchemy.orm import Session, make_transient_to_detached

from storage import kinds
from storage.db import insert_skipping_conflicts
from storage.models import MediaFile, Member, Observation

# Every kind an observation may have, in registry order (storage/kinds.py).
KINDS = kinds.NAMES
# A note is what a member sent outside any flow; it may later become one of these records.
NOTE = kinds.NOTE
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Place:
    """Where an observation was made, with what the gazetteer says about the point."""

    lat: float
    lon: float
    accuracy_m: float | None = None
    source: str = "message"
    wijk_code: int | None = None
    municipality_nis: int | None = None
    in_brussels: bool = False
    in_buurt: bool = False


@dataclass(frozen=True)
class NewMedia:
    """A file a user sent, to be downloaded after the observation is saved."""

    kind: str
    file_id: str
    file_unique_id: str
    file_size: int | None = None
    duration: int | None = None
    mime_type: str | None = None


def place_columns(place: Place | None) -> dict[str, Any]:
    """Return the observation columns for a place (all empty without one)."""
    if place is None:
        return {
            "lat": None,
            "lon": None,
            "accuracy_m": None,
            "location_source": None,
            "wijk_code": None,
            "municipality_nis": None,
            "in_brussels": None,
            "in_buurt": None,
        }
    return {
        "lat": place.lat,
        "lon": place.lon,
        "accuracy_m": place.accuracy_m,
        "location_source": place.source,
        "wijk_code": place.wijk_code,
        "municipality_nis": place.municipality_nis,
        "in_brussels": place.in_brussels,
        "in_buurt": place.in_buurt,
    }


# Built once: every note looks itself up before it is stored.
_BY_MESSAGE = select(Observation).where(
    Observation.chat_id == bindparam("chat_id"), Observation.message_id == bindparam("message_id")
)


def find_by_message(session: Session, chat_id: int, message_id: int) -> Observation | None:
    """Return the observation stored for a message, if any."""
    return session.scalar(_BY_MESSAGE, {"chat_id": chat_id, "message_id": message_id})


def add_observation(
    session: Session,
    *,
    organisation_id: int,
    member_id: int | None,
    author: str,
    kind: str,
    now: datetime,
    text: str | None = None,
    theme: str | None = None,
    place: Place | None = None,
    walk_id: int | None = None,
    chat_id: int | None = None,
    message_id: int | None = None,
    details: dict[str, Any] | None = None,
    media: list[NewMedia] | tuple[NewMedia, ...] = (),
    follow_up_on: Any = None,
    from_note: int | None = None,
) -> Observation:
    """Store an observation; a message already stored returns its observation unchanged.

    With from_note, the member's kept note of that id becomes this record (same row, its files
    kept), so what they first sent is never stored twice nor lost.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown observation kind {kind!r}")
    note = _note_to_promote(session, from_note, member_id)
    if note is not None:
        note.kind = kind
        note.text = text if text is not None else note.text
        note.theme = theme or note.theme
        note.details = {**dict(details or {}), "from_note": True}
        note.follow_up_on = follow_up_on
        note.walk_id = walk_id if walk_id is not None else note.walk_id
        if place is not None:
            set_place(note, place)
        known = {item.file_unique_id for item in note.media}
        for item in media:
            if item.file_unique_id not in known:
                note.media.append(media_row(item, now))
        session.flush()
        return note
    if chat_id is not None and message_id is not None and not media:
        return _add_message_observation(
            session,
            {
                "organisation_id": organisation_id,
                "member_id": member_id,
                "author": author,
                "kind": kind,
                "created_at": now,
                "text": text,
                "theme": theme,
                "walk_id": walk_id,
                "chat_id": chat_id,
                "message_id": message_id,
                "details": dict(details or {}),
                "follow_up_on": follow_up_on,
                "follow_up_sent_at": None,
                **place_columns(place),
            },
        )
    if chat_id is not None and message_id is not None:
        existing = find_by_message(session, chat_id, message_id)
        if existing is not None:
            return existing
    observation = Observation(
        organisation_id=organisation_id,
        member_id=member_id,
        author=author,
        kind=kind,
        created_at=now,
        text=text,
        theme=theme,
        walk_id=walk_id,
        chat_id=chat_id,
        message_id=message_id,
        details=dict(details or {}),
        follow_up_on=follow_up_on,
        # Set even when empty: a new note then needs no query to learn it has no media.
        media=[media_row(item, now) for item in media],
        **place_columns(place),
    )
    session.add(observation)
    session.flush()
    return observation


def _add_message_observation(session: Session, values: dict[str, Any]) -> Observation:
    """Insert a message's observation (no media) in one statement; a repeat returns the first.

    The row goes in through Core and the object joins the session as if loaded, so neither a
    look-up before nor the unit of work's INSERT is needed.
    """
    statement = insert_skipping_conflicts(
        Observation.__table__, tuple(values), ("chat_id", "message_id"), "id"
    )
    # Through the connection: the ORM's execute would cost more than the INSERT itself.
    new_id = session.connection().scalar(statement, values)
    if new_id is None:
        existing = find_by_message(session, values["chat_id"], values["message_id"])
        assert existing is not None
        return existing
    observation = Observation(id=new_id, media=[], **values)
    make_transient_to_detached(observation)
    session.add(observation)
    return observation


def _note_to_promote(
    session: Session, note_id: int | None, member_id: int | None
) -> Observation | None:
    if note_id is None:
        return None
    note = session.get(Observation, note_id)
    if note is None or note.kind != NOTE or note.member_id != member_id:
        return None
    return note


def media_row(item: NewMedia, now: datetime) -> MediaFile:
    """Return a media row; files over Telegram's 20 MB download limit are marked at once."""
    too_big = item.file_size is not None and item.file_size > MAX_DOWNLOAD_BYTES
    return MediaFile(
        kind=item.kind,
        file_id=item.file_id,
        file_unique_id=item.file_unique_id,
        file_size=item.file_size,
        duration=item.duration,
        mime_type=item.mime_type,
        status="too_big" if too_big else "pending",
        attempts=0,
        created_at=now,
    )


def add_media(
    session: Session, observation: Observation, item: NewMedia, now: datetime
) -> MediaFile:
    """Attach one more file to an observation."""
    row = media_row(item, now)
    observation.media.append(row)
    session.flush()
    return row


def set_place(observation: Observation, place: Place | None) -> None:
    """Position (or unposition) an observation."""
    for name, value in place_columns(place).items():
        setattr(observation, name, value)


def get_observation(session: Session, observation_id: int) -> Observation | None:
    """Return one observation."""
    return session.get(Observation, observation_id)


def last_observation(
    session: Session, member_id: int, now: datetime, within: timedelta
) -> Observation | None:
    """Return the member's most recent observation if it is recent enough to undo."""
    return session.scalar(
        select(Observation)
        .where(Observation.member_id == member_id, Observation.created_at >= now - within)
        .order_by(Observation.created_at.desc(), Observation.id.desc())
        .limit(1)
    )


def delete_observation(session: Session, observation: Observation) -> None:
    """Delete an observation and its media rows (files go with the media sweep)."""
    session.delete(observation)
    session.flush()


def referenced_media_paths(session: Session) -> set[str]:
    """Return every media path some observation still refers to.

    The rows are fetched a chunk at a time, so only the set itself grows with the history.
    """
    statement = select(MediaFile.path).where(MediaFile.path.is_not(None))
    return set(session.scalars(statement.execution_options(yield_per=2000)))


def observations_between(
    session: Session,
    organisation_id: int,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[Observation]:
    """Return an organisation's observations in a period, oldest first."""
    statement = select(Observation).where(Observation.organisation_id == organisation_id)
    if start is not None:
        statement = statement.where(Observation.created_at >= start)
    if end is not None:
        statement = statement.where(Observation.created_at < end)
    return list(session.scalars(statement.order_by(Observation.created_at, Observation.id)))


def delete_member_observations(session: Session, member_id: int, kind: str) -> int:
    """Delete one member's observations of a kind."""
    result = cast(
        CursorResult[Any],
        session.execute(
            delete(Observation).where(Observation.member_id == member_id, Observation.kind == kind)
        ),
    )
    return result.rowcount or 0


def recent_observations(session: Session, limit: int) -> list[Observation]:
    """Return the latest observations of every organisation, newest first."""
    statement = select(Observation).order_by(Observation.id.desc()).limit(limit)
    return list(session.scalars(statement))


def due_follow_ups(session: Session, today: date) -> list[tuple[Observation, Member]]:
    """Return key persons whose follow-up falls today or earlier and was not yet reminded.

    Each comes with its member; only active members are reminded.
    """
    rows = session.execute(
        select(Observation, Member)
        .join(Member, Observation.member_id == Member.id)
        .where(
            Observation.kind == kinds.KEY_PERSON,
            Observation.follow_up_on.is_not(None),
            Observation.follow_up_on <= today,
            Observation.follow_up_sent_at.is_(None),
            Member.active.is_(True),
        )
        .order_by(Observation.follow_up_on, Observation.id)
    )
    return [(observation, member) for observation, member in rows]
