"""What the weekly picture reads: one organisation's two compared weeks, as plain rows.

`load_week()` runs every query the picture needs and returns a `WeekRows` of frozen values
(no ORM objects, nothing lazy), so the builders in reports/ never touch the database.

Cost. Each query reads through an index whose first column is the organisation (or a member,
a walk, an observation) and whose second is a moment: observations on (organisation_id,
created_at), walks on (organisation_id, started_at), track points on their walk, media on their
observation, follow-ups on their date, the coverage count on (organisation_id, wijk_code). The
cost grows with the weeks compared, not with the history. Columns are selected, not entities:
a week of 10,000 observations loads several times faster that way.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage import deployment
from storage import hypotheses as hyp
from storage.diaries import DIARY_DAYS
from storage.feed import CommentRow, comments_on
from storage.hypotheses import Evidence, HypothesisView
from storage.kinds import DIARY_ENTRY
from storage.models import (
    Diarist,
    MediaFile,
    Member,
    Observation,
    Organisation,
    TrackPoint,
    Walk,
)

__all__ = [
    "DIARY_DAYS",
    "DiaristRow",
    "MediaRow",
    "ObservationRow",
    "OrganisationRow",
    "WalkRow",
    "WeekRows",
    "load_week",
]


@dataclass(frozen=True)
class OrganisationRow:
    """The organisation pictured: its name, its buurt (wijk codes) and its settings."""

    id: int
    name: str
    created_at: datetime
    buurt: tuple[int, ...]
    retention_months: int


@dataclass(frozen=True)
class ObservationRow:
    """One observation as the picture reads it (never a Telegram id)."""

    id: int
    kind: str
    created_at: datetime
    author: str
    member_id: int | None
    text: str | None
    theme: str | None
    lat: float | None
    lon: float | None
    wijk_code: int | None
    municipality_nis: int | None
    walk_id: int | None
    details: dict[str, Any]
    follow_up_on: date | None

    @property
    def located(self) -> bool:
        """Say whether the observation has a position."""
        return self.lat is not None and self.lon is not None


@dataclass(frozen=True)
class WalkRow:
    """One walk: when it started and ended, how far, and how it was closed."""

    id: int
    author: str
    started_at: datetime
    ended_at: datetime | None
    closed_reason: str | None
    last_point_at: datetime | None
    distance_m: float | None


@dataclass(frozen=True)
class MediaRow:
    """A photo, voice note or video of an observation, and where its file is (if stored)."""

    id: int
    observation_id: int
    kind: str
    status: str
    path: str | None
    duration: int | None
    file_size: int | None
    mime_type: str | None


@dataclass(frozen=True)
class DiaristRow:
    """A diary kept during the week: its days, whether it stopped, and its last entry."""

    member_id: int
    started_on: date
    ends_on: date
    stopped_at: datetime | None
    last_entry_at: datetime | None


@dataclass(frozen=True)
class WeekRows:
    """Everything the picture of one week is built from.

    `observations` and `walks` cover both weeks compared ([previous_start, end)), oldest
    first; `tracks` holds the (lat, lon) points of those walks; `media` the files of the
    pictured week's observations by observation id; `follow_ups` the key persons to follow up
    between two dates; `coverage` how many located observations each buurt wijk had from the
    organisation's start until the end of the week; `roles` each member's role.
    """

    organisation: OrganisationRow
    observations: tuple[ObservationRow, ...]
    walks: tuple[WalkRow, ...]
    tracks: dict[int, list[tuple[float, float]]]
    media: dict[int, list[MediaRow]]
    diarists: tuple[DiaristRow, ...]
    follow_ups: tuple[ObservationRow, ...]
    coverage: dict[int, int]
    roles: dict[int, str]
    retention: dict[str, Any] | None = field(default=None)
    # Every hypothesis (numbered H1, H2 ... in this order), the evidence of the open ones,
    # and the bot's username for the links that mark evidence.
    hypotheses: tuple[HypothesisView, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    bot_username: str | None = None
    # Team comments on the week's observations (by observation id), and members' chosen names.
    comments: dict[int, list[CommentRow]] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)


_OBSERVATION_COLUMNS = (
    Observation.id,
    Observation.kind,
    Observation.created_at,
    Observation.author,
    Observation.member_id,
    Observation.text,
    Observation.theme,
    Observation.lat,
    Observation.lon,
    Observation.wijk_code,
    Observation.municipality_nis,
    Observation.walk_id,
    Observation.details,
    Observation.follow_up_on,
)


def _observation(row: Sequence[Any]) -> ObservationRow:
    values = list(row)
    if not isinstance(values[12], dict):
        values[12] = {}
    return ObservationRow(*values)


def observations_between(
    session: Session, org_id: int, start: datetime, end: datetime
) -> tuple[ObservationRow, ...]:
    """Read an organisation's observations made in [start, end), oldest first."""
    return tuple(
        _observation(row)
        for row in session.execute(
            select(*_OBSERVATION_COLUMNS)
            .where(
                Observation.organisation_id == org_id,
                Observation.created_at >= start,
                Observation.created_at < end,
            )
            .order_by(Observation.created_at, Observation.id)
        )
    )


def walks_between(
    session: Session, org_id: int, start: datetime, end: datetime
) -> tuple[WalkRow, ...]:
    """Read an organisation's walks started in [start, end), oldest first."""
    return tuple(
        WalkRow(*row)
        for row in session.execute(
            select(
                Walk.id,
                Walk.author,
                Walk.started_at,
                Walk.ended_at,
                Walk.closed_reason,
                Walk.last_point_at,
                Walk.distance_m,
            )
            .where(
                Walk.organisation_id == org_id,
                Walk.started_at >= start,
                Walk.started_at < end,
            )
            .order_by(Walk.started_at, Walk.id)
        )
    )


def organisation_row(session: Session, organisation_id: int) -> OrganisationRow | None:
    """Return the organisation and its buurt, or None when there is no such organisation."""
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        return None
    return OrganisationRow(
        id=organisation.id,
        name=organisation.name,
        created_at=organisation.created_at,
        buurt=tuple(sorted(w.wijk_code for w in organisation.wijken)),
        retention_months=organisation.retention_months,
    )


def load_week(
    session: Session,
    organisation: OrganisationRow,
    previous_start: datetime,
    start: datetime,
    end: datetime,
    days: tuple[date, date],
    follow_ups: tuple[date, date],
) -> WeekRows:
    """Read both weeks ([previous_start, start) and [start, end)) and what goes with them.

    `days` are the pictured week's first and last local day (for the diaries running then),
    `follow_ups` the first and last day of the follow-ups to list.
    """
    org_id = organisation.id
    observations = observations_between(session, org_id, previous_start, end)
    walks = walks_between(session, org_id, previous_start, end)
    # The week's tracks are drawn; last week's are measured only when no distance was kept.
    wanted = [w.id for w in walks if w.started_at >= start or w.distance_m is None]
    week_ids = [o.id for o in observations if o.created_at >= start]
    views, evidence, bot_username = hypotheses(session, org_id)
    return WeekRows(
        organisation=organisation,
        observations=observations,
        walks=walks,
        tracks=tracks(session, wanted),
        media=media(session, week_ids),
        diarists=diarists(session, org_id, *days, start, end),
        follow_ups=follow_ups_between(session, org_id, *follow_ups),
        coverage=coverage(session, org_id, organisation.buurt, end),
        roles=roles(session, org_id),
        retention=retention(session, org_id),
        hypotheses=views,
        evidence=evidence,
        bot_username=bot_username,
        comments=comments(session, week_ids),
        names=display_names(session, org_id),
    )


def hypotheses(
    session: Session, organisation_id: int
) -> tuple[tuple[HypothesisView, ...], tuple[Evidence, ...], str | None]:
    """Return every hypothesis, the open ones' evidence, and the bot's username for links."""
    views = tuple(hyp.list_hypotheses(session, organisation_id))
    open_ids = [view.id for view in views if view.status == hyp.OPEN]
    if not open_ids:
        return views, (), None
    evidence = tuple(hyp.evidence_for(session, organisation_id, open_ids))
    return views, evidence, deployment.get_value(session, "bot_username")


def tracks(session: Session, walk_ids: Sequence[int]) -> dict[int, list[tuple[float, float]]]:
    """Return the (lat, lon) tracks of some walks, read through the walk_id index."""
    result: dict[int, list[tuple[float, float]]] = defaultdict(list)
    if not walk_ids:
        return result
    rows = session.execute(
        select(TrackPoint.walk_id, TrackPoint.lat, TrackPoint.lon)
        .where(TrackPoint.walk_id.in_(list(walk_ids)))
        .order_by(TrackPoint.walk_id, TrackPoint.recorded_at, TrackPoint.id)
    )
    for walk_id, lat, lon in rows:
        result[walk_id].append((lat, lon))
    return result


def media(session: Session, observation_ids: Sequence[int]) -> dict[int, list[MediaRow]]:
    """Return the media rows of some observations, by observation id (oldest first)."""
    result: dict[int, list[MediaRow]] = defaultdict(list)
    if not observation_ids:
        return result
    ids = list(observation_ids)
    # Only observation_id is in the WHERE clause, so the planner reads through its index; with
    # the status there too, SQLite may choose the (status, id) index and read every file.
    for start in range(0, len(ids), 5000):
        rows = session.execute(
            select(
                MediaFile.id,
                MediaFile.observation_id,
                MediaFile.kind,
                MediaFile.status,
                MediaFile.path,
                MediaFile.duration,
                MediaFile.file_size,
                MediaFile.mime_type,
            )
            .where(MediaFile.observation_id.in_(ids[start : start + 5000]))
            .order_by(MediaFile.observation_id, MediaFile.id)
        )
        for row in rows:
            result[row[1]].append(MediaRow(*row))
    return result


def diarists(
    session: Session,
    organisation_id: int,
    first_day: date,
    last_day: date,
    start: datetime,
    end: datetime,
) -> tuple[DiaristRow, ...]:
    """Return the diaries running between two local days (not stopped before `start`), each
    with its last entry before `end`."""
    rows = session.execute(
        select(Diarist.member_id, Diarist.started_on, Diarist.ends_on, Diarist.stopped_at)
        .where(
            Diarist.organisation_id == organisation_id,
            Diarist.started_on <= last_day,
            Diarist.ends_on >= first_day,
        )
        .order_by(Diarist.started_on, Diarist.id)
    ).all()
    keeping = [r for r in rows if r.stopped_at is None or r.stopped_at >= start]
    if not keeping:
        return ()
    # Read through the (member, created_at) index: each diarist's own entries only.
    last: dict[int | None, datetime] = {}
    for member_id, moment in session.execute(
        select(Observation.member_id, func.max(Observation.created_at))
        .where(
            Observation.member_id.in_([r.member_id for r in keeping]),
            Observation.created_at < end,
            Observation.kind == DIARY_ENTRY,
        )
        .group_by(Observation.member_id)
    ):
        last[member_id] = moment
    return tuple(
        DiaristRow(r.member_id, r.started_on, r.ends_on, r.stopped_at, last.get(r.member_id))
        for r in keeping
    )


def follow_ups_between(
    session: Session, organisation_id: int, first: date, last: date
) -> tuple[ObservationRow, ...]:
    """Return the key persons to follow up between two dates (inclusive), soonest first."""
    # Read through the follow-up date index only (a week of every organisation's follow-ups);
    # the organisation in the WHERE clause would let SQLite prefer the (organisation,
    # created_at) index and read the organisation's whole history.
    rows = session.execute(
        select(*_OBSERVATION_COLUMNS, Observation.organisation_id)
        .where(Observation.follow_up_on >= first, Observation.follow_up_on <= last)
        .order_by(Observation.follow_up_on, Observation.id)
    )
    return tuple(
        _observation(row[:-1])
        for row in rows
        if row[-1] == organisation_id and row[1] == "key_person"
    )


def coverage(
    session: Session, organisation_id: int, buurt: Sequence[int], end: datetime
) -> dict[int, int]:
    """Return how many observations each buurt wijk had from the start until `end`.

    Counted on the (organisation_id, wijk_code) index when there is one: a count per wijk,
    never the rows.
    """
    if not buurt:
        return {}
    rows = session.execute(
        select(Observation.wijk_code, func.count())
        .where(
            Observation.organisation_id == organisation_id,
            Observation.wijk_code.in_(list(buurt)),
            Observation.created_at < end,
            Observation.kind != DIARY_ENTRY,
        )
        .group_by(Observation.wijk_code)
    )
    return {int(code): int(count) for code, count in rows}


def roles(session: Session, organisation_id: int) -> dict[int, str]:
    """Return each member's role (member id -> role), to count observations per role."""
    rows = session.execute(
        select(Member.id, Member.role).where(Member.organisation_id == organisation_id)
    )
    return {member_id: role for member_id, role in rows}


def comments(session: Session, observation_ids: Sequence[int]) -> dict[int, list[CommentRow]]:
    """Return the team's comments on some observations, by observation id, oldest first."""
    found: dict[int, list[CommentRow]] = {}
    for start in range(0, len(observation_ids), 500):
        for row in comments_on(session, observation_ids[start : start + 500]):
            if row.observation_id is not None:
                found.setdefault(row.observation_id, []).append(row)
    return found


def display_names(session: Session, organisation_id: int) -> dict[int, str]:
    """Return the names members chose for their team to see (member id -> name)."""
    rows = session.execute(
        select(Member.id, Member.display_name).where(
            Member.organisation_id == organisation_id, Member.display_name.is_not(None)
        )
    )
    return {member_id: name for member_id, name in rows if name}


def retention(session: Session, organisation_id: int) -> dict[str, Any] | None:
    """Return the retention job's last removal record for the organisation, if any."""
    raw = deployment.get_value(session, f"retention:{organisation_id}")
    if not raw:
        return None
    try:
        record = json.loads(raw)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None
