"""What the round report reads: one organisation's period, its key persons and its diaries.

`load_round()` runs every query the round report needs and returns a `RoundRows` of frozen
values (no ORM objects, nothing lazy), so the builders in reports/round/ never touch the
database. Coordinators set their round with /round (`set_round`), and the scheduler records
each round's report once (`record_sent`, unique per organisation and round start).

Cost. The period's observations are read through the (organisation_id, created_at) index and
its walks through (organisation_id, started_at): the cost grows with the period, not with the
history. The key-person register reads one kind over the whole history through the
(organisation_id, kind, created_at) index, so the rest of the history is never touched.
Columns are selected, not entities.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage import deployment
from storage import hypotheses as stored
from storage import surveys as stored_surveys
from storage.kinds import DIARY_ENTRY, KEY_PERSON, SURVEY_RESPONSE
from storage.models import (
    Diarist,
    Observation,
    Organisation,
    RoundReport,
    SurveyResponse,
)
from storage.privacy import pseudonym
from storage.surveys import ResponseRow, SurveyRow
from storage.weekly import (
    _OBSERVATION_COLUMNS,
    ObservationRow,
    OrganisationRow,
    WalkRow,
    _observation,
    observations_between,
    organisation_row,
    walks_between,
)

DEFAULT_WEEKS = 4
MAX_WEEKS = 26

__all__ = [
    "DEFAULT_WEEKS",
    "MAX_WEEKS",
    "DiaryRow",
    "RoundRows",
    "HypothesisRows",
    "SurveyRows",
    "first_observation_at",
    "load_hypotheses",
    "load_round",
    "organisation_row",
    "record_sent",
    "round_of",
    "set_round",
    "was_sent",
]


@dataclass(frozen=True)
class DiaryRow:
    """A diary that ran during the period: its pseudonym, its days and how it ended."""

    member_id: int
    pseudonym: str
    started_on: date
    ends_on: date
    stopped_at: datetime | None
    paused_until: date | None


# Each survey open during the period, with its responses of the period.
SurveyRows = tuple[tuple[SurveyRow, tuple[ResponseRow, ...]], ...]


@dataclass(frozen=True)
class RoundRows:
    """Everything the round report is built from.

    `observations` are the period's ([start, end)), oldest first; `walks` the walks started in
    it; `key_persons` every key person recorded before `end` (the register is cumulative),
    oldest first; `diaries` the diaries running at some day of the period; `surveys` the
    surveys open during it, each with its responses begun in the period (trials left out).
    """

    organisation: OrganisationRow
    observations: tuple[ObservationRow, ...]
    walks: tuple[WalkRow, ...]
    key_persons: tuple[ObservationRow, ...]
    diaries: tuple[DiaryRow, ...]
    surveys: SurveyRows = ()


def load_round(
    session: Session,
    organisation: OrganisationRow,
    start: datetime,
    end: datetime,
    days: tuple[date, date],
) -> RoundRows:
    """Read a period ([start, end)) and the key persons and diaries that go with it.

    `days` are the period's first and last local day (for the diaries running then).
    """
    org_id = organisation.id
    observations = observations_between(session, org_id, start, end)
    walks = walks_between(session, org_id, start, end)
    key_persons = tuple(
        _observation(row)
        for row in session.execute(
            select(*_OBSERVATION_COLUMNS)
            .where(
                Observation.organisation_id == org_id,
                Observation.kind == KEY_PERSON,
                Observation.created_at < end,
            )
            .order_by(Observation.created_at, Observation.id)
        )
    )
    return RoundRows(
        organisation=organisation,
        observations=observations,
        walks=walks,
        key_persons=key_persons,
        diaries=diaries(session, org_id, *days, observations),
        surveys=surveys(session, org_id, start, end, observations),
    )


def surveys(
    session: Session,
    org_id: int,
    start: datetime,
    end: datetime,
    observations: tuple[ObservationRow, ...],
) -> SurveyRows:
    """Return the surveys open during [start, end), each with its responses of the period.

    A response is an observation of the period, already read: only the surveys themselves
    and the response-to-survey links of those observations are read here.
    """
    running = stored_surveys.running_surveys(session, org_id, start, end)
    if not running:
        return ()
    answers = {o.id: o for o in observations if o.kind == SURVEY_RESPONSE}
    found: dict[int, list[ResponseRow]] = {survey.id: [] for survey in running}
    sizes = {survey.id: len(survey.questions or ()) for survey in running}
    survey_of: dict[int, int] = {
        observation_id: survey_id
        for observation_id, survey_id in session.execute(
            select(SurveyResponse.observation_id, SurveyResponse.survey_id).where(
                SurveyResponse.observation_id.in_(list(answers)),
                SurveyResponse.survey_id.in_(list(found)),
            )
        )
    }
    # Observations come oldest first: each survey keeps that order.
    for observation in answers.values():
        survey_id = survey_of.get(observation.id)
        if survey_id is None or stored_surveys.is_trial(observation.details):
            continue
        found[survey_id].append(
            stored_surveys.response_row(
                survey_id,
                sizes[survey_id],
                observation.created_at,
                observation.details,
                observation.wijk_code,
                observation.id,
            )
        )
    return tuple((stored_surveys.survey_row(survey), tuple(found[survey.id])) for survey in running)


def diaries(
    session: Session,
    organisation_id: int,
    first_day: date,
    last_day: date,
    observations: tuple[ObservationRow, ...],
) -> tuple[DiaryRow, ...]:
    """Return the diaries running between two local days, each with its pseudonym."""
    rows = session.execute(
        select(
            Diarist.member_id,
            Diarist.started_on,
            Diarist.ends_on,
            Diarist.stopped_at,
            Diarist.paused_until,
        )
        .where(
            Diarist.organisation_id == organisation_id,
            Diarist.started_on <= last_day,
            Diarist.ends_on >= first_day,
        )
        .order_by(Diarist.started_on, Diarist.id)
    ).all()
    if not rows:
        return ()
    # The pseudonym the entries carry; the deployment's key makes it for a diary still silent.
    written: dict[int, str] = defaultdict(str)
    for o in observations:
        if o.kind == DIARY_ENTRY and o.member_id is not None:
            written[o.member_id] = written[o.member_id] or o.author
    key = deployment.get_value(session, "secret_key") or ""
    return tuple(
        DiaryRow(
            member_id=r.member_id,
            pseudonym=written.get(r.member_id) or pseudonym(key, r.member_id),
            started_on=r.started_on,
            ends_on=r.ends_on,
            stopped_at=r.stopped_at,
            paused_until=r.paused_until,
        )
        for r in rows
    )


@dataclass(frozen=True)
class HypothesisRows:
    """The organisation's hypotheses, their marked evidence (with the observations, wherever
    they fall in time) and each one's unlinked candidates of the period (ids, newest first)."""

    hypotheses: tuple[stored.HypothesisView, ...]
    evidence: tuple[stored.Evidence, ...]
    observations: dict[int, ObservationRow]
    candidates: dict[int, tuple[int, ...]]


def load_hypotheses(
    session: Session, organisation_id: int, start: datetime, end: datetime, limit: int = 50
) -> HypothesisRows:
    """Read every hypothesis of an organisation (closed ones too) and what goes with it."""
    views = tuple(stored.list_hypotheses(session, organisation_id, include_closed=True))
    evidence = tuple(stored.evidence_for(session, organisation_id, [h.id for h in views]))
    ids = sorted({e.observation_id for e in evidence})
    observations: dict[int, ObservationRow] = {}
    for first in range(0, len(ids), 5000):
        for row in session.execute(
            select(*_OBSERVATION_COLUMNS).where(Observation.id.in_(ids[first : first + 5000]))
        ):
            observation = _observation(row)
            observations[observation.id] = observation
    candidates = {
        h.id: tuple(stored.candidate_ids(session, organisation_id, h, start, end, limit))
        for h in views
        if h.status == stored.OPEN
    }
    return HypothesisRows(views, evidence, observations, candidates)


def first_observation_at(session: Session, organisation_id: int) -> datetime | None:
    """Return when the organisation's first observation was made, or None."""
    return session.scalar(
        select(func.min(Observation.created_at)).where(
            Observation.organisation_id == organisation_id
        )
    )


# -- the round coordinators set, and its report sent once -------------------------------------


def round_of(session: Session, organisation_id: int) -> tuple[date, int] | None:
    """Return an organisation's round (first day, weeks), or None when none is set."""
    row = session.execute(
        select(Organisation.round_start, Organisation.round_weeks).where(
            Organisation.id == organisation_id
        )
    ).first()
    if row is None or row.round_start is None:
        return None
    return row.round_start, row.round_weeks or DEFAULT_WEEKS


def set_round(session: Session, organisation_id: int, start: date, weeks: int) -> None:
    """Set an organisation's round: its first day and how many weeks it runs."""
    if not 1 <= weeks <= MAX_WEEKS:
        raise ValueError(f"a round runs 1 to {MAX_WEEKS} weeks, not {weeks}")
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise LookupError(f"there is no organisation with id {organisation_id}")
    organisation.round_start = start
    organisation.round_weeks = weeks


def rounds_set(session: Session) -> list[tuple[int, date, int]]:
    """Return (organisation id, first day, weeks) of every organisation with a round set."""
    rows = session.execute(
        select(Organisation.id, Organisation.round_start, Organisation.round_weeks)
        .where(Organisation.round_start.is_not(None))
        .order_by(Organisation.id)
    )
    return [(r.id, r.round_start, r.round_weeks or DEFAULT_WEEKS) for r in rows]


def was_sent(session: Session, organisation_id: int, round_start: date) -> bool:
    """Say whether the report of an organisation's round has been recorded."""
    found = session.scalar(
        select(RoundReport.id).where(
            RoundReport.organisation_id == organisation_id,
            RoundReport.round_start == round_start,
        )
    )
    return found is not None


def record_sent(
    session: Session, organisation_id: int, round_start: date, round_end: date, now: datetime
) -> RoundReport | None:
    """Record a round's report as sent; None when another run recorded it meanwhile.

    The row is written in a savepoint, so a clash (unique per organisation and round start)
    leaves the caller's transaction usable.
    """
    try:
        with session.begin_nested():
            row = RoundReport(
                organisation_id=organisation_id,
                round_start=round_start,
                round_end=round_end,
                created_at=now,
                sent_at=now,
            )
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


def set_path(session: Session, report_id: int, path: str) -> None:
    """Record where a round's report was written (relative to the media folder)."""
    session.execute(update(RoundReport).where(RoundReport.id == report_id).values(path=path))
