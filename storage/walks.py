"""Walks and their tracks."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from storage.db import insert_skipping_conflicts
from storage.models import Observation, TrackPoint, Walk


def get_walk(session: Session, walk_id: int) -> Walk | None:
    """Return one walk."""
    return session.get(Walk, walk_id)


# Statements of the walk-note path, built once: building one costs more than running it.
_OPEN_WALK = (
    select(Walk)
    .where(Walk.member_id == bindparam("member_id"), Walk.ended_at.is_(None))
    .order_by(Walk.id.desc())
    .limit(1)
)
_COUNT_NOTES = (
    select(func.count())
    .select_from(Observation)
    .where(Observation.walk_id == bindparam("walk_id"), Observation.kind == "walk_note")
)


def open_walk(session: Session, member_id: int) -> Walk | None:
    """Return the member's walk that has not ended, if any."""
    return session.scalar(_OPEN_WALK, {"member_id": member_id})


def start_walk(
    session: Session,
    *,
    organisation_id: int,
    member_id: int,
    author: str,
    chat_id: int,
    now: datetime,
) -> Walk:
    """Begin a walk now."""
    walk = Walk(
        organisation_id=organisation_id,
        member_id=member_id,
        author=author,
        chat_id=chat_id,
        started_at=now,
        prompts_sent=0,
    )
    session.add(walk)
    session.flush()
    return walk


_POINT_COLUMNS = ("walk_id", "recorded_at", "lat", "lon", "accuracy_m", "wijk_code")


def add_track_point(
    session: Session,
    walk: Walk,
    recorded_at: datetime,
    lat: float,
    lon: float,
    accuracy_m: float | None,
    wijk_code: int | None,
) -> bool:
    """Add a point to the track (an upsert: the same edit twice is stored once)."""
    statement = insert_skipping_conflicts(
        TrackPoint.__table__, _POINT_COLUMNS, ("walk_id", "recorded_at", "lat", "lon"), "id"
    )
    point = {
        "walk_id": walk.id,
        "recorded_at": recorded_at,
        "lat": lat,
        "lon": lon,
        "accuracy_m": accuracy_m,
        "wijk_code": wijk_code,
    }
    added = session.execute(statement, point).first() is not None
    if walk.last_point_at is None or recorded_at > walk.last_point_at:
        walk.last_point_at = recorded_at
    session.flush()
    return added


def track(session: Session, walk_id: int) -> list[TrackPoint]:
    """Return a walk's points in time order."""
    return list(
        session.scalars(
            select(TrackPoint)
            .where(TrackPoint.walk_id == walk_id)
            .order_by(TrackPoint.recorded_at, TrackPoint.id)
        )
    )


def nearest_point(
    session: Session, walk_id: int, at: datetime, within: timedelta
) -> TrackPoint | None:
    """Return the track point closest in time to a moment, if one lies within the window."""
    walk = session.get(Walk, walk_id)
    if walk is not None and (walk.last_point_at is None or walk.last_point_at < at - within):
        # No point at all, or the newest is older than the window: nothing to look up.
        return None
    before = (
        select(TrackPoint.id)
        .where(
            TrackPoint.walk_id == walk_id,
            TrackPoint.recorded_at <= at,
            TrackPoint.recorded_at >= at - within,
        )
        .order_by(TrackPoint.recorded_at.desc(), TrackPoint.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    after = (
        select(TrackPoint.id)
        .where(
            TrackPoint.walk_id == walk_id,
            TrackPoint.recorded_at > at,
            TrackPoint.recorded_at <= at + within,
        )
        .order_by(TrackPoint.recorded_at, TrackPoint.id)
        .limit(1)
        .scalar_subquery()
    )
    # Both neighbours in one round trip.
    candidates = session.scalars(select(TrackPoint).where(TrackPoint.id.in_([before, after])))
    # On a tie the point before the moment wins: it is where the walker had just been.
    return min(
        candidates,
        key=lambda p: (abs(p.recorded_at - at), p.recorded_at > at),
        default=None,
    )


def walk_notes(session: Session, walk_id: int) -> list[Observation]:
    """Return the notes of a walk in order."""
    return list(
        session.scalars(
            select(Observation)
            .where(Observation.walk_id == walk_id, Observation.kind == "walk_note")
            .order_by(Observation.created_at, Observation.id)
        )
    )


def count_walk_notes(session: Session, walk_id: int) -> int:
    """Return how many notes a walk has."""
    # Through the connection: the ORM's execute costs more than this query on every note (a
    # note is stored by a Core INSERT too, so nothing waits to be flushed first).
    return session.connection().scalar(_COUNT_NOTES, {"walk_id": walk_id}) or 0


def walks_to_close(session: Session, now: datetime, idle: timedelta) -> list[Walk]:
    """Return open walks with no sign of life (points, notes or start) for longer than idle."""
    walks = session.scalars(select(Walk).where(Walk.ended_at.is_(None))).all()
    due: list[Walk] = []
    for walk in walks:
        last_note = session.scalar(
            select(func.max(Observation.created_at)).where(Observation.walk_id == walk.id)
        )
        moments = [m for m in (walk.started_at, walk.last_point_at, last_note) if m is not None]
        if max(moments) <= now - idle:
            due.append(walk)
    return due


def live_sharing_ended(session: Session, now: datetime, quiet: timedelta) -> list[Walk]:
    """Return open walks whose live location stopped (period over, or silent for a while)."""
    walks = session.scalars(
        select(Walk).where(
            Walk.ended_at.is_(None),
            Walk.live_message_id.is_not(None),
            Walk.sharing_stopped_at.is_(None),
        )
    ).all()
    ended: list[Walk] = []
    for walk in walks:
        expired = walk.live_until is not None and walk.live_until <= now
        silent = walk.last_point_at is not None and walk.last_point_at <= now - quiet
        if expired or silent:
            ended.append(walk)
    return ended


def walks_between(
    session: Session, organisation_id: int, start: datetime | None, end: datetime | None
) -> list[Walk]:
    """Return an organisation's walks started in a period."""
    statement = select(Walk).where(Walk.organisation_id == organisation_id)
    if start is not None:
        statement = statement.where(Walk.started_at >= start)
    if end is not None:
        statement = statement.where(Walk.started_at < end)
    return list(session.scalars(statement.order_by(Walk.started_at)))
