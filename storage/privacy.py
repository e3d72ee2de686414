"""Pseudonyms, a member's own data, and erasure."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, delete, event, select, update
from sqlalchemy.orm import Session, SessionTransaction

from storage import feed, filejobs, hypotheses, pipeline
from storage.db import checkpoint_sqlite
from storage.models import (
    ChatState,
    Diarist,
    Digest,
    FeedComment,
    Hypothesis,
    HypothesisLink,
    InboxUpdate,
    Invite,
    MediaFile,
    Member,
    Observation,
    OutboxMessage,
    RoundReport,
    Walk,
)

# /mydata files (written by bot/reporting.py under the media folder): deleted once Telegram has
# them (bot/delivery/outbox.py), swept after minutes if never sent (bot/delivery/media.py), and
# by /forget at once.
MEMBER_DATA_PREFIX = "exports/mydata-"


def is_member_data(path: str) -> bool:
    """Say whether a path under the media folder is a /mydata file."""
    return path.startswith(MEMBER_DATA_PREFIX) and "/" not in path[len(MEMBER_DATA_PREFIX) :]


def _files_waiting(session: Session, chat_id: int | None = None) -> list[str]:
    """Return the files that pending outbox calls (of one chat, if given) are to send."""
    statement = select(OutboxMessage.payload).where(OutboxMessage.status == "pending")
    if chat_id is not None:
        statement = statement.where(OutboxMessage.chat_id == chat_id)
    return [
        str(value["path"])
        for payload in session.scalars(statement)
        for value in (payload or {}).values()
        if isinstance(value, dict) and "path" in value
    ]


def pending_member_data(session: Session, chat_id: int) -> list[str]:
    """Return the /mydata files still waiting in a chat's outbox."""
    return [path for path in _files_waiting(session, chat_id) if is_member_data(path)]


def files_still_to_send(session: Session) -> set[str]:
    """Return the files that calls waiting in the outbox will send: none may go before."""
    return set(_files_waiting(session))


def forget_saved_reports(session: Session, organisation_id: int) -> list[str]:
    """Let go of an organisation's sent weekly pictures and round reports; return their files.

    A saved picture names its authors by pseudonym and quotes what they wrote: after /forget
    no copy stays on the server (the team keeps the ones Telegram delivered). One still
    waiting to be sent is kept for that send; the daily sweep takes it afterwards.
    """
    waiting = files_still_to_send(session)
    paths: list[str] = []
    for table in (Digest, RoundReport):
        rows = session.execute(
            select(table.id, table.path).where(
                table.organisation_id == organisation_id, table.path.is_not(None)
            )
        ).all()
        sent = [(row.id, row.path) for row in rows if row.path not in waiting]
        if sent:
            session.execute(
                update(table).where(table.id.in_([i for i, _ in sent])).values(path=None)
            )
            paths.extend(path for _, path in sent)
    return paths


def _checkpoint_when_done(session: Session, transaction: SessionTransaction) -> None:
    """After the outermost transaction of an erasure ends, empty SQLite's write-ahead log.

    (after_commit also fires for savepoints, which the dispatcher uses per update: the log
    can only be emptied once the batch's own transaction is over.)
    """
    if transaction.parent is None and session.info.pop(CHECKPOINT_AFTER, False):
        bind = session.get_bind()
        checkpoint_sqlite(bind if isinstance(bind, Engine) else bind.engine)


CHECKPOINT_AFTER = "checkpoint_sqlite_after"


def pseudonym(secret_key: str, member_id: int) -> str:
    """Return the member's pseudonym: stable per deployment, meaningless without the key."""
    digest = hmac.new(secret_key.encode(), f"member:{member_id}".encode(), hashlib.sha256).digest()
    return "P-" + base64.b32encode(digest)[:8].decode()


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime | date) else value


def _observation_data(observation: Observation) -> dict[str, Any]:
    return {
        "id": observation.id,
        "kind": observation.kind,
        "created_at": _iso(observation.created_at),
        "text": observation.text,
        "theme": observation.theme,
        "latitude": observation.lat,
        "longitude": observation.lon,
        "wijk": observation.wijk_code,
        "walk_id": observation.walk_id,
        "details": observation.details,
        "follow_up_on": _iso(observation.follow_up_on),
        "media": [
            {"kind": media.kind, "file": media.path, "status": media.status}
            for media in observation.media
        ],
    }


def member_data(session: Session, member: Member, secret_key: str) -> dict[str, Any]:
    """Return everything stored about a member and by them, with readable field names."""
    observations = session.scalars(
        select(Observation).where(Observation.member_id == member.id).order_by(Observation.id)
    ).all()
    walks = session.scalars(select(Walk).where(Walk.member_id == member.id).order_by(Walk.id)).all()
    diarist = session.scalar(select(Diarist).where(Diarist.member_id == member.id))
    invites = session.scalars(
        select(Invite).where(Invite.created_by_member_id == member.id).order_by(Invite.id)
    ).all()
    comments = session.scalars(
        select(FeedComment).where(FeedComment.member_id == member.id).order_by(FeedComment.id)
    ).all()
    return {
        "about_you": {
            "telegram_user_id": member.telegram_user_id,
            "organisation": member.organisation.name,
            "role": member.role,
            "language": member.language,
            "consent_version": member.consent_version,
            "consent_given_at": _iso(member.consent_at),
            "joined_at": _iso(member.joined_at),
            "active": member.active,
            "pseudonym_in_reports": pseudonym(secret_key, member.id),
            "name_your_team_sees": member.display_name,
        },
        "observations": [_observation_data(o) for o in observations],
        "walks": [
            {
                "id": walk.id,
                "started_at": _iso(walk.started_at),
                "ended_at": _iso(walk.ended_at),
                "focus": walk.focus,
                "distance_m": walk.distance_m,
                "track": [
                    {"at": _iso(p.recorded_at), "latitude": p.lat, "longitude": p.lon}
                    for p in walk.points
                ],
            }
            for walk in walks
        ],
        "diary": None
        if diarist is None
        else {
            "started_on": _iso(diarist.started_on),
            "ends_on": _iso(diarist.ends_on),
            "reminder_time": diarist.reminder_time,
            "paused_until": _iso(diarist.paused_until),
            "stopped_at": _iso(diarist.stopped_at),
            "home_wijk": diarist.home_wijk,
            "consent_version": diarist.consent_version,
        },
        "hypotheses_you_recorded": [
            {
                "id": h.id,
                "statement": h.statement,
                "themes": list(h.themes or ()),
                "wijken": list(h.wijken or ()),
                "status": h.status,
                "created_at": _iso(h.created_at),
                "closed_at": _iso(h.closed_at),
            }
            for h in hypotheses.member_hypotheses(session, member.id)
        ],
        "evidence_you_marked": [
            {
                "hypothesis_id": link.hypothesis_id,
                "observation_id": link.observation_id,
                "verdict": link.verdict,
                "marked_at": _iso(link.marked_at),
            }
            for link in hypotheses.member_marks(session, member.id)
        ],
        "invites_you_made": [
            {"role": i.role, "created_at": _iso(i.created_at), "uses": i.uses} for i in invites
        ],
        "comments_in_the_team_group": [
            {
                "on_observation": c.observation_id,
                "on_walk": c.walk_id,
                "at": _iso(c.created_at),
                "text": c.text,
            }
            for c in comments
        ],
    }


def member_media_paths(session: Session, member_id: int) -> list[str]:
    """Return the media files of a member's observations."""
    return list(
        session.scalars(
            select(MediaFile.path)
            .join(Observation, MediaFile.observation_id == Observation.id)
            .where(Observation.member_id == member_id, MediaFile.path.is_not(None))
        )
    )


def forget_failed_updates(session: Session, telegram_id: int) -> int:
    """Delete the failed updates a person sent, in any chat (a group too), with their content.

    Failed updates are few (they wait for a retry), so their senders are read from the kept
    payloads here rather than with dialect-specific JSON queries.
    """
    rows = session.execute(
        select(InboxUpdate.id, InboxUpdate.payload).where(
            InboxUpdate.status == "failed", InboxUpdate.payload.is_not(None)
        )
    ).all()
    ids = [row.id for row in rows if pipeline.update_sender_id(row.payload) == telegram_id]
    if ids:
        session.execute(
            delete(InboxUpdate)
            .where(InboxUpdate.id.in_(ids))
            .execution_options(synchronize_session=False)
        )
    return len(ids)


def forget_member(session: Session, member: Member) -> list[str]:
    """Erase a member: diary entries go with their media, other records lose every link.

    Observations and hypotheses the member recorded stay as the team's work, under a stand-in
    pseudonym or no author; the evidence they marked stays without their name.

    Returns the files to delete from disk: the diary's media, /mydata files not sent yet and
    the organisation's saved pictures and round reports (see forget_saved_reports).
    On SQLite the write-ahead log is emptied once the erasure is committed, so the erased
    values do not linger in the `-wal` file.
    """
    telegram_id = member.telegram_user_id
    unsent = pending_member_data(session, telegram_id)
    saved_reports = forget_saved_reports(session, member.organisation_id)
    # First, while the member's observations still point to them.
    feed.forget_member_feed(session, member)
    stand_in = "P-" + secrets.token_hex(4).upper()
    diary = session.scalars(
        select(Observation).where(
            Observation.member_id == member.id, Observation.kind == "diary_entry"
        )
    ).all()
    paths = [m.path for o in diary for m in o.media if m.path]
    hypotheses.unlink_observations(session, [o.id for o in diary])
    for observation in diary:
        session.delete(observation)
    session.execute(
        update(Observation)
        .where(Observation.member_id == member.id)
        .values(member_id=None, author=stand_in, chat_id=None, message_id=None)
    )
    session.execute(
        update(Walk)
        .where(Walk.member_id == member.id)
        .values(member_id=None, author=stand_in, chat_id=0, live_message_id=None)
    )
    session.execute(
        update(Hypothesis)
        .where(Hypothesis.author_member_id == member.id)
        .values(author_member_id=None)
    )
    session.execute(
        update(HypothesisLink)
        .where(HypothesisLink.marked_by_member_id == member.id)
        .values(marked_by_member_id=None)
    )
    session.execute(
        update(Invite)
        .where(Invite.created_by_member_id == member.id)
        .values(created_by_member_id=None)
    )
    session.execute(delete(Diarist).where(Diarist.member_id == member.id))
    session.execute(delete(ChatState).where(ChatState.chat_id == telegram_id))
    session.execute(delete(OutboxMessage).where(OutboxMessage.chat_id == telegram_id))
    session.execute(delete(InboxUpdate).where(InboxUpdate.chat_id == telegram_id))
    forget_failed_updates(session, telegram_id)
    filejobs.forget_member_jobs(session, member.id, telegram_id)
    session.delete(member)
    session.flush()
    session.info[CHECKPOINT_AFTER] = True
    if not event.contains(session, "after_transaction_end", _checkpoint_when_done):
        event.listen(session, "after_transaction_end", _checkpoint_when_done)
    return paths + unsent + saved_reports
