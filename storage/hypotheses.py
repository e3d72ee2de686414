"""Hypotheses about the buurt and the observations marked as evidence for or against them.

An observation is a candidate for an open hypothesis when it shares one of its themes or
wijken. Diary entries are private (storage/kinds.py): they are never candidates and never
linked, so no single entry of a person's days is ever listed under a hypothesis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, exists, or_, select
from sqlalchemy.orm import Session

from storage import kinds
from storage.models import Hypothesis as HypothesisRow
from storage.models import HypothesisLink, MediaFile, Observation, Organisation
from storage.observations import NewMedia, media_row
from storage.themes import THEMES

OPEN = "open"
CLOSED = "closed"
STATUSES = (OPEN, CLOSED)
SUPPORTS = "supports"
CONTRADICTS = "contradicts"
VERDICTS = (SUPPORTS, CONTRADICTS)
# Kinds never linked to a hypothesis: a person's own days are shown only aggregated.
PRIVATE_KINDS = frozenset(kind.name for kind in kinds.KINDS if kind.private)
MAX_STATEMENT = 500
# The one-letter codes of the verdicts in buttons and links.
VERDICT_CODES = {"s": SUPPORTS, "c": CONTRADICTS}
CODE_OF = {verdict: code for code, verdict in VERDICT_CODES.items()}
# A /start payload that marks evidence: h_HYP_OBS_s (Telegram allows 64 of [A-Za-z0-9_-]).
LINK_PREFIX = "h_"


def link_payload(hypothesis_id: int, observation_id: int, verdict: str) -> str:
    """Return the /start payload that marks an observation as evidence for a hypothesis."""
    return f"{LINK_PREFIX}{hypothesis_id}_{observation_id}_{CODE_OF[verdict]}"


def mark_link(bot_username: str, hypothesis_id: int, observation_id: int, verdict: str) -> str:
    """Return the t.me link that opens the bot and marks an observation (weekly picture)."""
    return (
        f"https://t.me/{bot_username}?start={link_payload(hypothesis_id, observation_id, verdict)}"
    )


@dataclass(frozen=True)
class HypothesisView:
    """One hypothesis as reports and flows read it."""

    id: int
    organisation_id: int
    statement: str
    themes: tuple[str, ...]
    wijken: tuple[int, ...]
    status: str  # "open" | "closed"
    created_at: datetime
    closed_at: datetime | None
    author_member_id: int | None
    voice_media: str | None  # relative media path when recorded as a voice note
    # Neither words nor a voice note are kept: retention cleared them (storage/retention.py).
    cleared: bool = False

    def concerns(self, theme: str | None, wijk_code: int | None) -> bool:
        """Say whether an observation with this theme and wijk is a candidate for it."""
        return (theme is not None and theme in self.themes) or (
            wijk_code is not None and wijk_code in self.wijken
        )


@dataclass(frozen=True)
class Evidence:
    """One observation marked as supporting or contradicting a hypothesis."""

    hypothesis_id: int
    observation_id: int
    verdict: str  # "supports" | "contradicts"
    marked_at: datetime
    marked_by_member_id: int | None


def _clean_themes(themes: Sequence[str]) -> list[str]:
    unknown = [theme for theme in themes if theme not in THEMES]
    if unknown:
        raise ValueError(f"unknown themes: {', '.join(unknown)}")
    return [theme for theme in THEMES if theme in themes]


def _clean_statement(statement: str) -> str:
    return " ".join(statement.split())[:MAX_STATEMENT]


def _voice_paths(session: Session, hypothesis_ids: Sequence[int]) -> dict[int, str | None]:
    """Return the voice note of each hypothesis recorded as one: its stored file, or None
    while it is not downloaded yet."""
    if not hypothesis_ids:
        return {}
    rows = session.execute(
        select(MediaFile.hypothesis_id, MediaFile.path)
        .where(MediaFile.hypothesis_id.in_(list(hypothesis_ids)))
        .order_by(MediaFile.id)
    ).all()
    paths: dict[int, str | None] = {}
    for hypothesis_id, path in rows:
        paths[hypothesis_id] = paths.get(hypothesis_id) or path
    return paths


def _view(row: HypothesisRow, voices: dict[int, str | None]) -> HypothesisView:
    """Return a stored hypothesis as a view, given the voice notes read for it."""
    return view_of(row, voices.get(row.id), cleared=not row.statement and row.id not in voices)


def view_of(
    row: HypothesisRow, voice_media: str | None = None, *, cleared: bool = False
) -> HypothesisView:
    """Return a stored hypothesis as a view."""
    return HypothesisView(
        id=row.id,
        organisation_id=row.organisation_id,
        statement=row.statement,
        themes=tuple(row.themes or ()),
        wijken=tuple(int(code) for code in row.wijken or ()),
        status=row.status,
        created_at=row.created_at,
        closed_at=row.closed_at,
        author_member_id=row.author_member_id,
        voice_media=voice_media,
        cleared=cleared,
    )


_ANY_OPEN = (
    select(HypothesisRow.id)
    .where(
        HypothesisRow.organisation_id == bindparam("organisation_id"),
        HypothesisRow.status == OPEN,
    )
    .limit(1)
)


def has_open(session: Session, organisation_id: int) -> bool:
    """Say whether an organisation has an open hypothesis (asked for every note saved)."""
    # Through the connection: the ORM's execute would cost more than this query.
    return session.connection().scalar(_ANY_OPEN, {"organisation_id": organisation_id}) is not None


def list_hypotheses(
    session: Session, organisation_id: int, *, include_closed: bool = True
) -> list[HypothesisView]:
    """Return an organisation's hypotheses, oldest first."""
    statement = select(HypothesisRow).where(HypothesisRow.organisation_id == organisation_id)
    if not include_closed:
        statement = statement.where(HypothesisRow.status == OPEN)
    rows = session.scalars(statement.order_by(HypothesisRow.created_at, HypothesisRow.id)).all()
    voices = _voice_paths(session, [row.id for row in rows])
    return [_view(row, voices) for row in rows]


def get_hypothesis(
    session: Session, organisation_id: int, hypothesis_id: int
) -> HypothesisRow | None:
    """Return one of an organisation's hypotheses, or None (another organisation's too)."""
    row = session.get(HypothesisRow, hypothesis_id)
    return row if row is not None and row.organisation_id == organisation_id else None


def get_view(session: Session, organisation_id: int, hypothesis_id: int) -> HypothesisView | None:
    """Return one of an organisation's hypotheses as a view, or None."""
    row = get_hypothesis(session, organisation_id, hypothesis_id)
    if row is None:
        return None
    return _view(row, _voice_paths(session, [row.id]))


def create_hypothesis(
    session: Session,
    organisation_id: int,
    author_member_id: int | None,
    now: datetime,
    statement: str = "",
    themes: Sequence[str] = (),
    wijken: Sequence[int] = (),
    voice: NewMedia | None = None,
) -> HypothesisRow:
    """Store a new open hypothesis, with the voice note it was recorded as (downloaded later)."""
    row = HypothesisRow(
        organisation_id=organisation_id,
        author_member_id=author_member_id,
        statement=_clean_statement(statement),
        themes=_clean_themes(themes),
        wijken=sorted({int(code) for code in wijken}),
        status=OPEN,
        created_at=now,
    )
    session.add(row)
    session.flush()
    if voice is not None:
        media = media_row(voice, now)
        media.hypothesis_id = row.id
        session.add(media)
        session.flush()
    return row


def update_hypothesis(
    row: HypothesisRow,
    *,
    statement: str | None = None,
    themes: Sequence[str] | None = None,
    wijken: Sequence[int] | None = None,
) -> None:
    """Change a hypothesis's words, themes or wijken."""
    if statement is not None:
        row.statement = _clean_statement(statement)
    if themes is not None:
        row.themes = _clean_themes(themes)
    if wijken is not None:
        row.wijken = sorted({int(code) for code in wijken})


def close_hypothesis(row: HypothesisRow, now: datetime) -> None:
    """Close a hypothesis: it keeps its evidence but takes no more."""
    row.status = CLOSED
    row.closed_at = now


def reopen_hypothesis(row: HypothesisRow) -> None:
    """Open a closed hypothesis again."""
    row.status = OPEN
    row.closed_at = None


def evidence_for(
    session: Session, organisation_id: int, hypothesis_ids: Sequence[int]
) -> list[Evidence]:
    """Return the marked evidence of some of an organisation's hypotheses, oldest first."""
    if not hypothesis_ids:
        return []
    rows = session.execute(
        select(HypothesisLink)
        .join(HypothesisRow, HypothesisRow.id == HypothesisLink.hypothesis_id)
        .where(
            HypothesisRow.organisation_id == organisation_id,
            HypothesisLink.hypothesis_id.in_(list(hypothesis_ids)),
        )
        .order_by(
            HypothesisLink.hypothesis_id, HypothesisLink.marked_at, HypothesisLink.observation_id
        )
    ).scalars()
    return [
        Evidence(
            hypothesis_id=link.hypothesis_id,
            observation_id=link.observation_id,
            verdict=link.verdict,
            marked_at=link.marked_at,
            marked_by_member_id=link.marked_by_member_id,
        )
        for link in rows
    ]


def candidate_ids(
    session: Session,
    organisation_id: int,
    hypothesis: HypothesisView,
    start: datetime,
    end: datetime,
    limit: int = 50,
) -> list[int]:
    """Return observations in [start, end) sharing a theme or wijk, not yet linked, newest first.

    Diary entries are never candidates: they are private and shown only aggregated.
    """
    matches = []
    if hypothesis.themes:
        matches.append(Observation.theme.in_(list(hypothesis.themes)))
    if hypothesis.wijken:
        matches.append(Observation.wijk_code.in_(list(hypothesis.wijken)))
    if not matches or limit <= 0:
        return []
    linked = exists().where(
        HypothesisLink.hypothesis_id == hypothesis.id,
        HypothesisLink.observation_id == Observation.id,
    )
    return list(
        session.scalars(
            select(Observation.id)
            .where(
                Observation.organisation_id == organisation_id,
                Observation.created_at >= start,
                Observation.created_at < end,
                Observation.kind.not_in(sorted(PRIVATE_KINDS)),
                or_(*matches),
                ~linked,
            )
            .order_by(Observation.created_at.desc(), Observation.id.desc())
            .limit(limit)
        )
    )


def linkable(observation: Observation) -> bool:
    """Say whether an observation may be marked as evidence (never a private diary entry)."""
    return observation.kind not in PRIVATE_KINDS


def hypotheses_for(session: Session, observation: Observation) -> list[HypothesisView]:
    """Return the open hypotheses an observation is a candidate for (or already marked for)."""
    if not linkable(observation):
        return []
    marked = verdicts_on(session, observation.id)
    return [
        view
        for view in list_hypotheses(session, observation.organisation_id, include_closed=False)
        if view.concerns(observation.theme, observation.wijk_code) or view.id in marked
    ]


def verdicts_on(session: Session, observation_id: int) -> dict[int, str]:
    """Return the verdicts marked on an observation, by hypothesis id."""
    rows = session.execute(
        select(HypothesisLink.hypothesis_id, HypothesisLink.verdict).where(
            HypothesisLink.observation_id == observation_id
        )
    ).all()
    return {hypothesis_id: verdict for hypothesis_id, verdict in rows}


def set_verdict(
    session: Session,
    hypothesis: HypothesisRow,
    observation: Observation,
    verdict: str | None,
    member_id: int | None,
    now: datetime,
) -> None:
    """Mark an observation as supporting or contradicting a hypothesis; None removes the mark."""
    if verdict is not None and verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}")
    if hypothesis.organisation_id != observation.organisation_id or not linkable(observation):
        raise ValueError("this observation cannot be evidence for this hypothesis")
    link = session.get(HypothesisLink, (hypothesis.id, observation.id))
    if verdict is None:
        if link is not None:
            session.delete(link)
    elif link is None:
        session.add(
            HypothesisLink(
                hypothesis_id=hypothesis.id,
                observation_id=observation.id,
                verdict=verdict,
                marked_at=now,
                marked_by_member_id=member_id,
            )
        )
    else:
        link.verdict = verdict
        link.marked_at = now
        link.marked_by_member_id = member_id
    session.flush()


def staff_may_record(session: Session, organisation_id: int) -> bool:
    """Say whether an organisation lets staff record and edit hypotheses."""
    organisation = session.get(Organisation, organisation_id)
    return bool(organisation is not None and organisation.staff_hypotheses)


def set_staff_may_record(session: Session, organisation_id: int, allowed: bool) -> None:
    """Let staff record and edit hypotheses, or not."""
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise ValueError(f"no organisation {organisation_id}")
    organisation.staff_hypotheses = allowed
    session.flush()


def member_hypotheses(session: Session, member_id: int) -> list[HypothesisRow]:
    """Return the hypotheses a member recorded (for /mydata)."""
    return list(
        session.scalars(
            select(HypothesisRow)
            .where(HypothesisRow.author_member_id == member_id)
            .order_by(HypothesisRow.id)
        )
    )


def member_marks(session: Session, member_id: int) -> list[HypothesisLink]:
    """Return the evidence a member marked (for /mydata)."""
    return list(
        session.scalars(
            select(HypothesisLink)
            .where(HypothesisLink.marked_by_member_id == member_id)
            .order_by(HypothesisLink.marked_at)
        )
    )


def unlink_observations(session: Session, observation_ids: Sequence[int]) -> None:
    """Remove every mark on these observations (before they are deleted)."""
    if observation_ids:
        session.execute(
            delete(HypothesisLink)
            .where(HypothesisLink.observation_id.in_(list(observation_ids)))
            .execution_options(synchronize_session=False)
        )
