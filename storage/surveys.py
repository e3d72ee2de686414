"""Surveys a team designs, and the answers people give: one observation per respondent.

A response is an observation of kind `survey_response` whose details hold the survey, the
channel (door to door or self-completed), how far the person got and one value per question
(`s<survey>_q<n>`, one export column each). A self-completed response is found again through a
keyed hash of (survey, Telegram user) in `survey_responses`: the Telegram id itself is stored
nowhere beside the answers.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.deployment import get_or_create_secret
from storage.kinds import SURVEY_RESPONSE
from storage.models import MediaFile, Observation, OutboxMessage, Survey, SurveyResponse
from storage.observations import NewMedia, Place, add_observation, media_row, set_place
from storage.privacy import forget_failed_updates

DRAFT = "draft"
OPEN = "open"
CLOSED = "closed"
# Channels: asked on a doorstep by a team member, answered alone through the link, or a trial.
DOOR = "door"
SELF = "self"
TRIAL = "trial"
PARTIAL = "partial"
COMPLETE = "complete"
MAX_QUESTIONS = 12
# The details keys of a response besides its answers (export columns of kind survey_response).
CHANNEL_KEY = "survey_channel"
STATUS_KEY = "survey_status"
LANGUAGE_KEY = "survey_language"
# How many questions the respondent has gone past (answered or skipped).
PROGRESS_KEY = "survey_progress"
# The deployment value holding the key of respondent hashes (generated once, kept in the db).
RESPONDENT_SECRET = "survey_respondent_key"

# Question types, in the order the design buttons show them.
ONE = "one"
MANY = "many"
NUMBER = "number"
FREE = "text"
PLACE = "place"
SCALE = "scale"
QUESTION_TYPES = (ONE, MANY, SCALE, NUMBER, FREE, PLACE)
CHOICE_TYPES = frozenset({ONE, MANY})
SCALE_VALUES = ("1", "2", "3", "4", "5")
# A spoken answer's value; the voice note itself is a media file of the response.
VOICE_ANSWER = "(voice)"


@dataclass(frozen=True)
class Question:
    """One survey question: its answer type, theme, and its words per language.

    `base` is the language the coordinator wrote it in; choices are listed per language in the
    same order, so a choice is stored by its base-language label whatever language was shown.
    """

    kind: str = FREE
    theme: str | None = None
    base: str = "nl"
    text: dict[str, str] = field(default_factory=dict)
    options: dict[str, list[str]] = field(default_factory=dict)

    def language_for(self, wanted: str) -> str:
        """Return the language to show: the one wanted when written in it, else the base."""
        if self.text.get(wanted) and (
            self.kind not in CHOICE_TYPES
            or len(self.options.get(wanted, ())) == len(self.options.get(self.base, ()))
        ):
            return wanted
        if self.text.get(self.base):
            return self.base
        return next((language for language, words in self.text.items() if words), self.base)

    def words(self, wanted: str) -> str:
        """Return the question in the language wanted, or in one it has."""
        return self.text.get(self.language_for(wanted), "")

    def choices(self, wanted: str) -> list[str]:
        """Return the choices in the language the question is shown in."""
        return list(self.options.get(self.language_for(wanted), ()))

    def base_choices(self) -> list[str]:
        """Return the choices as stored in answers (the base language)."""
        return list(self.options.get(self.base, ()))


def questions_of(stored: Sequence[Any] | None) -> tuple[Question, ...]:
    """Return the questions a survey row stores (unknown fields of a newer version ignored)."""
    found = []
    for item in stored or ():
        if not isinstance(item, dict):
            continue
        text = {str(k): str(v) for k, v in (item.get("text") or {}).items() if v}
        options = {
            str(k): [str(choice) for choice in v]
            for k, v in (item.get("options") or {}).items()
            if isinstance(v, list)
        }
        theme = item.get("theme")
        found.append(
            Question(
                kind=str(item.get("kind") or FREE),
                theme=str(theme) if theme else None,
                base=str(item.get("base") or "nl"),
                text=text,
                options=options,
            )
        )
    return tuple(found)


def answer_key(survey_id: int, index: int) -> str:
    """Return the details key (and export column) of a survey's question (0-based index)."""
    return f"s{survey_id}_q{index + 1}"


def new_code() -> str:
    """Return a fresh survey code: short, URL-safe, not guessable in turn."""
    return secrets.token_hex(5)


def create_survey(
    session: Session,
    organisation_id: int,
    title: str,
    questions: Sequence[dict[str, Any]],
    now: datetime,
    member_id: int | None = None,
) -> Survey:
    """Store a new survey as a draft."""
    if not questions or len(questions) > MAX_QUESTIONS:
        raise ValueError(f"a survey has 1 to {MAX_QUESTIONS} questions")
    survey = Survey(
        organisation_id=organisation_id,
        code=new_code(),
        title=title[:200],
        status=DRAFT,
        questions=[dict(q) for q in questions],
        created_at=now,
        created_by_member_id=member_id,
    )
    session.add(survey)
    session.flush()
    return survey


def get_survey(session: Session, survey_id: int) -> Survey | None:
    """Return a survey by id."""
    return session.get(Survey, survey_id)


def survey_by_code(session: Session, code: str) -> Survey | None:
    """Return the survey a link's code names."""
    return session.scalar(select(Survey).where(Survey.code == code))


def list_surveys(session: Session, organisation_id: int) -> list[Survey]:
    """Return an organisation's surveys, newest first."""
    return list(
        session.scalars(
            select(Survey)
            .where(Survey.organisation_id == organisation_id)
            .order_by(Survey.id.desc())
        )
    )


def set_questions(session: Session, survey: Survey, questions: Sequence[dict[str, Any]]) -> None:
    """Replace a survey's questions (translations added)."""
    survey.questions = [dict(q) for q in questions]
    session.flush()


def open_survey(session: Session, survey: Survey, now: datetime) -> None:
    """Open a survey for answers; trial answers made before are dropped."""
    delete_trials(session, survey.id)
    survey.status = OPEN
    survey.opened_at = survey.opened_at or now
    survey.closed_at = None


def close_survey(survey: Survey, now: datetime) -> None:
    """Close a survey: no new answers; what was given stays."""
    survey.status = CLOSED
    survey.closed_at = now


def respondent_key(session: Session, survey_id: int, telegram_user_id: int) -> str:
    """Return the keyed hash that stands for one Telegram user in one survey."""
    secret = get_or_create_secret(session, RESPONDENT_SECRET)
    message = f"survey:{survey_id}:{telegram_user_id}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def find_response(session: Session, survey_id: int, key: str) -> Observation | None:
    """Return the response kept under a respondent key, if any."""
    return session.scalar(
        select(Observation)
        .join(SurveyResponse, SurveyResponse.observation_id == Observation.id)
        .where(SurveyResponse.survey_id == survey_id, SurveyResponse.respondent_key == key)
    )


def start_response(
    session: Session,
    survey: Survey,
    key: str,
    channel: str,
    now: datetime,
    *,
    language: str,
    member_id: int | None = None,
    author: str | None = None,
) -> Observation:
    """Store an empty response (consent given) under a respondent key."""
    observation = add_observation(
        session,
        organisation_id=survey.organisation_id,
        member_id=member_id,
        # A self-completed response carries a random stand-in, never anything about the person.
        author=author or "R-" + secrets.token_hex(4).upper(),
        kind=SURVEY_RESPONSE,
        now=now,
        details={
            "survey_id": survey.id,
            "survey": survey.title,
            CHANNEL_KEY: channel,
            STATUS_KEY: PARTIAL,
            LANGUAGE_KEY: language,
            PROGRESS_KEY: 0,
        },
    )
    session.add(
        SurveyResponse(survey_id=survey.id, respondent_key=key, observation_id=observation.id)
    )
    session.flush()
    return observation


def next_question(response: Observation) -> int:
    """Return the 0-based index of the question a response is at."""
    value = (response.details or {}).get(PROGRESS_KEY, 0)
    return value if isinstance(value, int) else 0


def put_answer(
    session: Session,
    response: Observation,
    survey: Survey,
    index: int,
    value: Any,
    now: datetime,
    *,
    move_on: bool = True,
    place: Place | None = None,
    media: Iterable[NewMedia] = (),
) -> None:
    """Keep one answer at once; move the response past the question unless told not to."""
    details = dict(response.details or {})
    details[answer_key(survey.id, index)] = value
    if move_on:
        following = max(next_question(response), index + 1)
        details[PROGRESS_KEY] = following
        if following >= len(survey.questions):
            details[STATUS_KEY] = COMPLETE
    # A new dict: JSON columns only notice a replaced value.
    response.details = details
    if place is not None and response.lat is None:
        set_place(response, place)
    known = {item.file_unique_id for item in response.media}
    for item in media:
        if item.file_unique_id not in known:
            response.media.append(media_row(item, now))
    session.flush()


def delete_trials(session: Session, survey_id: int) -> int:
    """Delete the trial answers of a survey (tried before it opened)."""
    ids = [
        observation.id
        for observation in session.scalars(
            select(Observation)
            .join(SurveyResponse, SurveyResponse.observation_id == Observation.id)
            .where(SurveyResponse.survey_id == survey_id)
        )
        if (observation.details or {}).get(CHANNEL_KEY) == TRIAL
    ]
    return delete_responses(session, ids)


def delete_responses(session: Session, observation_ids: Sequence[int]) -> int:
    """Delete responses with their media rows and their keyed links; return how many."""
    if not observation_ids:
        return 0
    session.execute(
        delete(SurveyResponse).where(SurveyResponse.observation_id.in_(observation_ids))
    )
    session.execute(delete(MediaFile).where(MediaFile.observation_id.in_(observation_ids)))
    session.execute(
        delete(Observation)
        .where(Observation.id.in_(observation_ids))
        .execution_options(synchronize_session=False)
    )
    session.expire_all()
    return len(observation_ids)


def responses_of_person(session: Session, telegram_user_id: int) -> list[int]:
    """Return the responses a person gave through links, recomputing their keyed hashes."""
    survey_ids = list(session.scalars(select(Survey.id)))
    if not survey_ids:
        return []
    keys = {
        respondent_key(session, survey_id, telegram_user_id): survey_id for survey_id in survey_ids
    }
    rows = session.execute(
        select(
            SurveyResponse.survey_id, SurveyResponse.respondent_key, SurveyResponse.observation_id
        ).where(SurveyResponse.respondent_key.in_(list(keys)))
    ).all()
    return [row.observation_id for row in rows if keys.get(row.respondent_key) == row.survey_id]


def media_paths(session: Session, observation_ids: Sequence[int]) -> list[str]:
    """Return the stored files of some responses (voice answers)."""
    if not observation_ids:
        return []
    return [
        path
        for path in session.scalars(
            select(MediaFile.path).where(
                MediaFile.observation_id.in_(observation_ids), MediaFile.path.is_not(None)
            )
        )
        if path
    ]


def drop_delivered(session: Session, chat_id: int) -> None:
    """Delete a chat's messages already sent: the questions and ticked choices they showed.

    A link respondent's chat is their Telegram id; the outbox would keep what the bot showed
    them (a ticked "✓ Trees") beside it until the daily purge.
    """
    session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.chat_id == chat_id, OutboxMessage.status != "pending"
        )
    )


def forget_respondent(session: Session, telegram_user_id: int) -> list[str]:
    """Delete every answer a person gave through a survey link; return their files to delete.

    Their updates kept for a retry (which hold what they typed) and the messages sent to them
    go too.
    """
    ids = responses_of_person(session, telegram_user_id)
    paths = media_paths(session, ids)
    delete_responses(session, ids)
    forget_failed_updates(session, telegram_user_id)
    drop_delivered(session, telegram_user_id)
    return paths


@dataclass(frozen=True)
class SurveyRow:
    """A survey as the picture reads it: title, status and questions."""

    id: int
    title: str
    status: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class ResponseRow:
    """One response as the picture reads it: when, through which channel, the respondent's
    wijk (from a place answer; never a point) and the answers by question index.

    A question skipped holds None; a question not reached is absent. `observation_id` is the
    response's record, which a report may link to (None when not read with it).
    """

    created_at: datetime
    channel: str
    complete: bool
    wijk_code: int | None
    answers: dict[int, Any]
    observation_id: int | None = None


def response_row(
    survey_id: int,
    questions: int,
    created_at: datetime,
    details: dict[str, Any] | None,
    wijk_code: int | None,
    observation_id: int | None = None,
) -> ResponseRow:
    """Return a response as the reports read it, from its observation's columns."""
    details = details or {}
    answers = {
        index: details[answer_key(survey_id, index)]
        for index in range(questions)
        if answer_key(survey_id, index) in details
    }
    return ResponseRow(
        created_at=created_at,
        channel=str(details.get(CHANNEL_KEY) or SELF),
        complete=details.get(STATUS_KEY) == COMPLETE,
        wijk_code=wijk_code,
        answers=answers,
        observation_id=observation_id,
    )


def is_trial(details: dict[str, Any] | None) -> bool:
    """Say whether a response was a coordinator's trial run (never counted)."""
    return (details or {}).get(CHANNEL_KEY) == TRIAL


def survey_row(survey: Survey) -> SurveyRow:
    """Return a survey as the reports read it."""
    return SurveyRow(survey.id, survey.title, survey.status, questions_of(survey.questions))


def running_surveys(
    session: Session, organisation_id: int, start: datetime, end: datetime
) -> list[Survey]:
    """Return the surveys open at some moment of [start, end), oldest first."""
    return [
        survey
        for survey in session.scalars(
            select(Survey)
            .where(
                Survey.organisation_id == organisation_id,
                Survey.status != DRAFT,
                Survey.opened_at.is_not(None),
                Survey.opened_at < end,
            )
            .order_by(Survey.id)
        )
        if survey.closed_at is None or survey.closed_at >= start
    ]


def survey_results(
    session: Session, organisation_id: int, start: datetime, end: datetime
) -> list[tuple[SurveyRow, list[ResponseRow]]]:
    """Return the surveys running during [start, end) with their responses up to `end`.

    A survey counts when it was opened before `end` and not closed before `start`; its
    responses are every one since it opened (results add up over the weeks), trials left out.
    """
    surveys = running_surveys(session, organisation_id, start, end)
    if not surveys:
        return []
    found: dict[int, list[ResponseRow]] = {survey.id: [] for survey in surveys}
    by_id = {survey.id: survey for survey in surveys}
    rows = session.execute(
        select(SurveyResponse.survey_id, Observation)
        .join(Observation, SurveyResponse.observation_id == Observation.id)
        .where(SurveyResponse.survey_id.in_(list(by_id)), Observation.created_at < end)
        .order_by(Observation.created_at, Observation.id)
    ).all()
    for survey_id, observation in rows:
        if not is_trial(observation.details):
            survey = by_id[survey_id]
            found[survey_id].append(
                response_row(
                    survey.id,
                    len(survey.questions or ()),
                    observation.created_at,
                    observation.details,
                    observation.wijk_code,
                    observation.id,
                )
            )
    return [(survey_row(survey), found[survey.id]) for survey in surveys]


def response_counts(session: Session, survey_id: int) -> dict[str, int]:
    """Return how many responses of a survey are complete and partial (trials left out)."""
    counts = {COMPLETE: 0, PARTIAL: 0}
    details = session.scalars(
        select(Observation.details)
        .join(SurveyResponse, SurveyResponse.observation_id == Observation.id)
        .where(SurveyResponse.survey_id == survey_id)
    )
    for item in details:
        if (item or {}).get(CHANNEL_KEY) != TRIAL:
            status = (item or {}).get(STATUS_KEY)
            counts[COMPLETE if status == COMPLETE else PARTIAL] += 1
    return counts
