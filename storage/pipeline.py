"""The durable pipeline's tables: inbox, outbox and per-chat flow state."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    CursorResult,
    Table,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from storage.db import upsert_insert
from storage.models import ChatState, InboxUpdate, Member, OutboxMessage
from storage.notify import INBOX_CHANNEL, OUTBOX_CHANNEL, notify


@dataclass(frozen=True)
class Received:
    """A raw update as the intake read it (bot/intake/updates.py): its id, its chat, its payload.

    The chat keeps work on one chat in order; storage itself never reads Telegram's format.
    """

    update_id: int
    chat_id: int | None
    payload: dict[str, Any]


# Telegram numbers updates one after another, but after a week without updates it picks the
# next id at random, so an id seen long ago may come back on a new update. An update is a
# duplicate (a redelivery) only when its id was received within this window.
DEDUPE_WINDOW = timedelta(days=7)


def _insert_ignoring_duplicates(session: Session, rows: list[dict[str, Any]]) -> set[int]:
    """Insert inbox rows, skipping update_ids already there; return the ids inserted."""
    statement = (
        upsert_insert(session)(InboxUpdate)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(InboxUpdate.update_id)
    )
    return {row[0] for row in session.execute(statement).all()}


def _make_way(session: Session, update_ids: list[int], seen_before: datetime) -> list[int]:
    """Free the ids of rows received before the window for the new updates that carry them.

    A processed row only kept the id (its content is gone): it is deleted. A row still holding
    content (waiting, or failed and kept for a retry) keeps it under the negative of its own
    row id: Telegram's ids are positive, so it can never be taken for an update again, and it
    still comes before the chat's later updates. Returns the ids freed.
    """
    old = session.execute(
        select(InboxUpdate.id, InboxUpdate.update_id, InboxUpdate.status).where(
            InboxUpdate.update_id.in_(update_ids), InboxUpdate.received_at < seen_before
        )
    ).all()
    done = [row.id for row in old if row.status == "done"]
    kept = [row.id for row in old if row.status != "done"]
    if done:
        session.execute(delete(InboxUpdate).where(InboxUpdate.id.in_(done)))
    if kept:
        session.execute(
            update(InboxUpdate).where(InboxUpdate.id.in_(kept)).values(update_id=-InboxUpdate.id)
        )
    return [row.update_id for row in old]


def store_updates(session: Session, updates: Iterable[Received], now: datetime) -> int:
    """Write raw updates to the inbox; return how many were new.

    An id already stored is a redelivery and skipped, unless it was received before
    DEDUPE_WINDOW: then it is a new update that happens to reuse the id, and is stored.
    """
    rows: list[dict[str, Any]] = [
        {
            "update_id": update.update_id,
            "chat_id": update.chat_id,
            "payload": update.payload,
            "status": "new",
            "attempts": 0,
            "received_at": now,
        }
        for update in updates
    ]
    if not rows:
        return 0
    stored = _insert_ignoring_duplicates(session, rows)
    refused = [row for row in rows if row["update_id"] not in stored]
    if refused:
        # Only when an id was already there: the usual batch costs no extra statement.
        ids = [row["update_id"] for row in refused]
        freed = set(_make_way(session, ids, now - DEDUPE_WINDOW))
        again = [row for row in refused if row["update_id"] in freed]
        if again:
            stored |= _insert_ignoring_duplicates(session, again)
    if stored:
        notify(session, INBOX_CHANNEL)
    return len(stored)


def last_update_id(session: Session, since: datetime | None = None) -> int | None:
    """Return the highest update_id stored (received since a moment), to resume polling."""
    statement = select(func.max(InboxUpdate.update_id))
    if since is not None:
        statement = statement.where(InboxUpdate.received_at >= since)
    return session.scalar(statement)


def next_inbox_ids(session: Session, limit: int = 100) -> list[int]:
    """Return the ids of unprocessed updates, oldest first."""
    return list(
        session.scalars(
            select(InboxUpdate.id)
            .where(InboxUpdate.status == "new")
            .order_by(InboxUpdate.update_id)
            .limit(limit)
        )
    )


def claim_inbox(session: Session, inbox_id: int) -> InboxUpdate | None:
    """Lock the next update to process for this row's chat, or None if there is none for us.

    Updates of one chat are processed strictly in update order by one worker at a time: the
    worker holding the chat's lock takes the chat's oldest waiting update, which need not be
    the row it was offered. Updates without a chat are claimed one row at a time.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    if not postgres:
        # One write transaction at a time (BEGIN IMMEDIATE): take the chat's head at once.
        chat = (
            select(InboxUpdate.chat_id)
            .where(InboxUpdate.id == inbox_id, InboxUpdate.status == "new")
            .scalar_subquery()
        )
        head = session.scalar(
            select(InboxUpdate)
            .where(InboxUpdate.chat_id == chat, InboxUpdate.status == "new")
            .order_by(InboxUpdate.update_id)
            .limit(1)
        )
        if head is not None:
            return head
        return session.scalar(
            select(InboxUpdate).where(
                InboxUpdate.id == inbox_id,
                InboxUpdate.status == "new",
                InboxUpdate.chat_id.is_(None),
            )
        )
    # One round trip: find the row's chat, try its lock, and lock the chat's oldest update.
    target = (
        select(InboxUpdate.chat_id)
        .where(InboxUpdate.id == inbox_id, InboxUpdate.status == "new")
        .cte("target")
    )
    locked = (
        select(target.c.chat_id)
        .where(func.pg_try_advisory_xact_lock(target.c.chat_id))
        .cte("locked")
    )
    head = session.scalar(
        select(InboxUpdate)
        .join(locked, InboxUpdate.chat_id == locked.c.chat_id)
        .where(InboxUpdate.status == "new")
        .order_by(InboxUpdate.update_id)
        .limit(1)
        .with_for_update(of=InboxUpdate)
    )
    if head is not None:
        return head
    # Another worker holds the chat, the row is gone, or it belongs to no chat.
    return session.scalar(
        select(InboxUpdate)
        .where(
            InboxUpdate.id == inbox_id,
            InboxUpdate.status == "new",
            InboxUpdate.chat_id.is_(None),
        )
        .with_for_update(skip_locked=True)
    )


@dataclass(frozen=True)
class Claimed:
    """An inbox row taken for processing in the caller's transaction."""

    id: int
    update_id: int
    chat_id: int | None
    payload: dict[str, Any] | None
    attempts: int


@dataclass(frozen=True)
class Share:
    """Which chats a worker prefers: those whose id modulo `workers` is `index`.

    Other chats' updates are taken too once they have waited since before `overdue_before`.
    """

    index: int
    workers: int
    overdue_before: datetime


# A claim looks for chats' heads among this many times its batch of the oldest waiting rows.
CLAIM_WINDOW = 8


def claim_batch(session: Session, limit: int, share: Share | None = None) -> list[Claimed]:
    """Take the oldest waiting update of up to `limit` different chats, in one statement.

    Every chat's updates are processed strictly in update order, one worker at a time: only a
    chat's head (its oldest waiting update) is taken. The heads are found among the oldest
    waiting rows (a chat's head is always among them when any of its rows is). On PostgreSQL
    each chat is held with a transaction-level advisory lock (chats another worker holds are
    skipped) and the rows are locked; with a `share`, the worker's own chats come first and
    other chats only once overdue. Updates without a chat are taken one row each. On SQLite
    the caller's transaction holds the database's write lock (BEGIN IMMEDIATE) instead.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    oldest = (
        select(
            InboxUpdate.id,
            InboxUpdate.chat_id,
            InboxUpdate.update_id,
            InboxUpdate.received_at,
        )
        .where(InboxUpdate.status == "new")
        .order_by(InboxUpdate.update_id)
        .limit(limit * CLAIM_WINDOW)
        .subquery("oldest")
    )
    ranked = select(
        oldest,
        func.row_number()
        .over(partition_by=oldest.c.chat_id, order_by=oldest.c.update_id)
        .label("place"),
    ).subquery("ranked")
    heads = select(ranked.c.id, ranked.c.chat_id, ranked.c.update_id).where(
        or_(ranked.c.place == 1, ranked.c.chat_id.is_(None))
    )
    columns = (
        InboxUpdate.id,
        InboxUpdate.update_id,
        InboxUpdate.chat_id,
        InboxUpdate.payload,
        InboxUpdate.attempts,
    )
    if not postgres:
        chosen = heads.order_by(ranked.c.update_id).limit(limit).subquery("chosen")
        statement = (
            select(*columns)
            .join(chosen, chosen.c.id == InboxUpdate.id)
            .order_by(InboxUpdate.update_id)
        )
    else:
        order: list[Any] = [ranked.c.update_id]
        if share is not None and share.workers > 1:
            mine = func.mod(func.abs(ranked.c.chat_id), share.workers) == share.index
            heads = heads.where(
                or_(mine, ranked.c.chat_id.is_(None), ranked.c.received_at < share.overdue_before)
            )
            order.insert(0, case((mine, 0), else_=1))
        candidates = heads.order_by(*order).limit(limit * 2).subquery("candidates")
        # Evaluated once, in order, until `limit` chats are held (a volatile CTE is materialised).
        locked = (
            select(candidates.c.id)
            .where(
                or_(
                    candidates.c.chat_id.is_(None),
                    func.pg_try_advisory_xact_lock(candidates.c.chat_id),
                )
            )
            .limit(limit)
            .cte("locked")
        )
        statement = (
            select(*columns)
            # Rechecked on the row's newest version: a head another worker finished meanwhile
            # is left out.
            .where(InboxUpdate.id.in_(select(locked.c.id)), InboxUpdate.status == "new")
            .order_by(InboxUpdate.update_id)
            .with_for_update(of=InboxUpdate, skip_locked=True)
        )
    return [
        Claimed(row.id, row.update_id, row.chat_id, row.payload, row.attempts or 0)
        for row in session.execute(statement)
    ]


def mark_batch_done(session: Session, inbox_ids: list[int], now: datetime) -> None:
    """Mark updates processed and drop their raw content, in one statement."""
    if not inbox_ids:
        return
    session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.id.in_(inbox_ids))
        .values(
            status="done",
            payload=None,
            chat_id=None,
            processed_at=now,
            attempts=InboxUpdate.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )


def mark_claimed_failed(session: Session, row: Claimed, error: str, now: datetime) -> int:
    """Mark a claimed update whose step failed (see mark_failed); return its tries so far."""
    attempts = row.attempts + 1
    session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.id == row.id)
        .values(status="failed", error=error[:200], processed_at=now, attempts=attempts)
        .execution_options(synchronize_session=False)
    )
    return attempts


def retries_left(attempts: int) -> bool:
    """Say whether an update that failed this many times is tried again by itself."""
    return 1 <= attempts <= len(RETRY_AFTER)


def mark_done(row: InboxUpdate, now: datetime) -> None:
    """Mark an update processed and drop its raw content."""
    row.status = "done"
    row.payload = None
    row.chat_id = None
    row.processed_at = now
    row.attempts += 1


# A failed update is tried again this long after each failed try (then the team decides).
RETRY_AFTER = (timedelta(minutes=1), timedelta(minutes=10), timedelta(hours=1))
# Tries in all before giving up: the first one and one per retry.
MAX_ATTEMPTS = 1 + len(RETRY_AFTER)
# A failed update keeps its content this long after its last try; then the row is deleted.
KEEP_FAILED = timedelta(days=30)


def mark_failed(row: InboxUpdate, error: str, now: datetime) -> int:
    """Mark an update whose step failed, keeping its content and chat for a retry.

    Only the error's kind is recorded. `processed_at` is the time of the last try, from
    which the next one is scheduled. Returns how many tries there have been.
    """
    row.status = "failed"
    row.error = error[:200]
    row.processed_at = now
    row.attempts = (row.attempts or 0) + 1
    return row.attempts


def next_try(row: InboxUpdate) -> datetime | None:
    """Return when a failed update is tried again by itself, or None once retries are spent."""
    if row.status != "failed" or row.payload is None or row.processed_at is None:
        return None
    if not 1 <= row.attempts <= len(RETRY_AFTER):
        return None
    return row.processed_at + RETRY_AFTER[row.attempts - 1]


def due_retries(session: Session, now: datetime) -> list[int]:
    """Return the ids of failed updates whose next automatic try is due."""
    due = or_(
        *(
            and_(InboxUpdate.attempts == tries, InboxUpdate.processed_at <= now - wait)
            for tries, wait in enumerate(RETRY_AFTER, start=1)
        )
    )
    return list(
        session.scalars(
            select(InboxUpdate.id)
            .where(InboxUpdate.status == "failed", InboxUpdate.payload.is_not(None), due)
            .order_by(InboxUpdate.update_id)
        )
    )


def requeue(session: Session, inbox_ids: Iterable[int] | None = None) -> int:
    """Put failed updates (those given, or all) back in line; return how many.

    A requeued update waits as a new one: the dispatcher takes it before its chat's later
    waiting updates and runs it through the flows as the chat stands then. Its tries so far
    are kept, so the automatic schedule goes on from where it was if it fails again.
    """
    statement = update(InboxUpdate).where(
        InboxUpdate.status == "failed", InboxUpdate.payload.is_not(None)
    )
    if inbox_ids is not None:
        ids = list(inbox_ids)
        if not ids:
            return 0
        statement = statement.where(InboxUpdate.id.in_(ids))
    result = cast(CursorResult[Any], session.execute(statement.values(status="new")))
    count = result.rowcount or 0
    if count:
        notify(session, INBOX_CHANNEL)
    return count


def failed_updates(session: Session) -> list[InboxUpdate]:
    """Return the failed updates that still hold their content, oldest first."""
    return list(
        session.scalars(
            select(InboxUpdate)
            .where(InboxUpdate.status == "failed", InboxUpdate.payload.is_not(None))
            .order_by(InboxUpdate.update_id)
        )
    )


# Read here rather than in bot/intake/updates.py: /forget (storage.privacy) finds a person's failed
# updates by it, and the inbox keeps no sender column.
def update_sender_id(update: dict[str, Any] | None) -> int | None:
    """Return the Telegram user an update comes from, whatever the chat."""
    for value in (update or {}).values():
        if isinstance(value, dict) and isinstance(value.get("from"), dict):
            sender = value["from"].get("id")
            return int(sender) if sender is not None else None
    return None


@dataclass(frozen=True)
class OutgoingCall:
    """A Bot API call to queue: method, parameters, and the chat it is paced in."""

    chat_id: int
    method: str
    payload: dict[str, Any]
    dedupe_key: str | None = None


def enqueue(
    session: Session,
    calls: Iterable[OutgoingCall],
    now: datetime,
    inbox_id: int | None = None,
) -> int:
    """Queue calls in the outbox within the caller's transaction; return how many."""
    # One multi-row INSERT: a step often queues a reaction, a reply and a question together.
    return enqueue_many(session, [(inbox_id, list(calls))], now)


def enqueue_many(
    session: Session, steps: list[tuple[int | None, list[OutgoingCall]]], now: datetime
) -> int:
    """Queue the calls of several steps, (inbox id, calls) in this order, in one statement."""
    rows = [
        {
            "chat_id": call.chat_id,
            "inbox_id": inbox_id,
            "method": call.method,
            "payload": call.payload,
            "status": "pending",
            "attempts": 0,
            "not_before": now,
            "created_at": now,
            "dedupe_key": call.dedupe_key,
        }
        for inbox_id, calls in steps
        for call in calls
    ]
    if not rows:
        return 0
    session.execute(insert(OutboxMessage), rows)
    notify(session, OUTBOX_CHANNEL)
    return len(rows)


# What the sender needs of a call: outbox id, chat, method, parameters.
CALL_COLUMNS = (
    OutboxMessage.id,
    OutboxMessage.chat_id,
    OutboxMessage.method,
    OutboxMessage.payload,
)
Call = tuple[int, int, str, dict[str, Any]]


def _call(row: Any) -> Call:
    """Return a row of CALL_COLUMNS as a call (its parameters a dict of its own)."""
    return (row[0], row[1], row[2], dict(row[3]))


def head_calls(
    session: Session, now: datetime, exclude_chats: Iterable[int], limit: int
) -> list[Call]:
    """Return each chat's oldest pending call that is due, so order within a chat holds."""
    excluded = list(exclude_chats)
    heads = (
        select(func.min(OutboxMessage.id))
        .where(OutboxMessage.status == "pending")
        .group_by(OutboxMessage.chat_id)
    )
    if excluded:
        heads = heads.where(OutboxMessage.chat_id.not_in(excluded))
    statement = (
        select(*CALL_COLUMNS)
        .where(OutboxMessage.id.in_(heads), OutboxMessage.not_before <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return [_call(row) for row in session.execute(statement)]


def jumping_calls(
    session: Session, now: datetime, methods: Iterable[str], exclude_ids: Iterable[int], limit: int
) -> list[Call]:
    """Return due pending calls of these methods, oldest first, wherever they are in their
    chat's queue: answers to taps must not wait behind the chat's paced messages."""
    statement = select(*CALL_COLUMNS).where(
        OutboxMessage.status == "pending",
        OutboxMessage.method.in_(list(methods)),
        OutboxMessage.not_before <= now,
    )
    excluded = list(exclude_ids)
    if excluded:
        statement = statement.where(OutboxMessage.id.not_in(excluded))
    statement = statement.order_by(OutboxMessage.id).limit(limit)
    return [_call(row) for row in session.execute(statement)]


# The error column of a call leased to a sender that is making it.
SENDING = "sending"


def claim_send(session: Session, outbox_id: int, now: datetime, lease: timedelta) -> bool:
    """Lease a due call to this sender for a while; False if it is gone or leased already.

    A sender that dies mid-call leaves the lease to run out, after which the call is due
    again; a second sender (after a change of leader) never takes a call still leased.
    """
    return outbox_id in claim_sends(session, [outbox_id], now, lease)


def claim_sends(
    session: Session, outbox_ids: Iterable[int], now: datetime, lease: timedelta
) -> dict[int, Call]:
    """Lease every due call of these to this sender in one statement; return what it got.

    The same lease as `claim_send`, for all the calls one sweep of the sender starts. The calls
    come back as they are now: a pending call's parameters may have changed since it was read
    (a team feed card takes in more notes until it goes).
    """
    wanted = list(outbox_ids)
    if not wanted:
        return {}
    rows = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(wanted),
            OutboxMessage.status == "pending",
            OutboxMessage.not_before <= now,
        )
        .values(not_before=now + lease, error=SENDING)
        .returning(*CALL_COLUMNS)
    )
    return {row[0]: _call(row) for row in rows}


def release_leases(session: Session, now: datetime) -> int:
    """Make leased calls due now: only when their sender is known to have stopped."""
    result = cast(
        CursorResult[Any],
        session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.status == "pending",
                OutboxMessage.error == SENDING,
                OutboxMessage.not_before > now,
            )
            .values(not_before=now)
        ),
    )
    return result.rowcount or 0


def next_due_time(session: Session) -> datetime | None:
    """Return when the earliest pending call becomes due."""
    return session.scalar(
        select(func.min(OutboxMessage.not_before)).where(OutboxMessage.status == "pending")
    )


def mark_sent(
    session: Session,
    outbox_id: int,
    now: datetime,
    message_id: int | None,
    note: str | None = None,
) -> None:
    """Mark a call delivered and drop its content: the chat has it now."""
    mark_sent_many(session, [SentMark(outbox_id, now, message_id, note)])


@dataclass(frozen=True)
class SentMark:
    """A call Telegram carried out: its outbox id, when, the message it made, a note."""

    outbox_id: int
    at: datetime
    message_id: int | None
    note: str | None = None


def mark_sent_many(session: Session, marks: list[SentMark]) -> None:
    """Mark several calls delivered, as `mark_sent` does, in one executemany statement."""
    if not marks:
        return
    table = cast(Table, OutboxMessage.__table__)
    session.connection().execute(
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(
            status="sent",
            sent_at=bindparam("b_at"),
            telegram_message_id=bindparam("b_message_id"),
            # Delivered rows keep no trace of who they went to.
            chat_id=0,
            payload={},
            attempts=table.c.attempts + 1,
            error=bindparam("b_error"),
        ),
        [
            {
                "b_id": mark.outbox_id,
                "b_at": mark.at,
                "b_message_id": mark.message_id,
                "b_error": mark.note[:200] if mark.note else None,
            }
            for mark in marks
        ],
    )


def postpone(session: Session, outbox_id: int, until: datetime, error: str) -> None:
    """Try a call again later."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id)
        .values(not_before=until, error=error[:200], attempts=OutboxMessage.attempts + 1)
    )


def give_up(session: Session, outbox_id: int, error: str) -> None:
    """Mark a call that Telegram refused for good."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id)
        .values(status="failed", error=error[:200], payload={}, attempts=OutboxMessage.attempts + 1)
    )


def give_up_chat(session: Session, chat_id: int, error: str) -> int:
    """Drop every pending call to a chat that can no longer be reached."""
    result = cast(
        CursorResult[Any],
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.chat_id == chat_id, OutboxMessage.status == "pending")
            .values(status="failed", error=error[:200], payload={}, chat_id=0)
        ),
    )
    return result.rowcount or 0


def message_id_of(session: Session, outbox_id: int) -> int | None:
    """Return the Telegram message id a sent call produced."""
    return session.scalar(
        select(OutboxMessage.telegram_message_id).where(OutboxMessage.id == outbox_id)
    )


def get_chat_state(session: Session, chat_id: int) -> ChatState | None:
    """Return a chat's flow state row, if any."""
    return session.get(ChatState, chat_id)


def save_chat_state(
    session: Session,
    chat_id: int,
    flow: str | None,
    state: str | None,
    draft: dict[str, Any],
    now: datetime,
) -> ChatState:
    """Store where a chat is in its flow; bump the version that buttons carry."""
    row = put_chat_state(session, session.get(ChatState, chat_id), chat_id, flow, state, draft, now)
    session.flush()
    return row


def put_chat_state(
    session: Session,
    row: ChatState | None,
    chat_id: int,
    flow: str | None,
    state: str | None,
    draft: dict[str, Any],
    now: datetime,
) -> ChatState:
    """Like save_chat_state, given the chat's current row (None: it has none); no flush."""
    if row is None:
        # A random start keeps buttons of an earlier, finished flow from matching a new one.
        start = secrets.randbelow(1_000_000_000)
        row = ChatState(chat_id=chat_id, version=start, draft={}, updated_at=now)
        session.add(row)
    row.flow = flow
    row.state = state
    row.draft = dict(draft)
    row.version = (row.version or 0) + 1
    row.updated_at = now
    return row


def preload_chats(
    session: Session, user_ids: Iterable[int], chat_ids: Iterable[int]
) -> tuple[dict[int, Member], dict[int, ChatState]]:
    """Load a batch's members (by Telegram user id) and chat states in two statements.

    The rows stay in the session, so the steps of the batch find them without a query.
    """
    users = sorted(set(user_ids))
    chats = sorted(set(chat_ids))
    members = (
        {
            m.telegram_user_id: m
            for m in session.scalars(select(Member).where(Member.telegram_user_id.in_(users)))
        }
        if users
        else {}
    )
    states = (
        {
            s.chat_id: s
            for s in session.scalars(select(ChatState).where(ChatState.chat_id.in_(chats)))
        }
        if chats
        else {}
    )
    return members, states


def delete_chat_state(session: Session, chat_id: int) -> None:
    """Forget a chat's flow state entirely."""
    session.execute(delete(ChatState).where(ChatState.chat_id == chat_id))


def purge_processed(
    session: Session, older_than: datetime, failed_before: datetime | None = None
) -> tuple[int, int]:
    """Delete processed inbox rows and delivered outbox rows older than a moment.

    Failed updates keep their content for a retry: they are deleted only when their last
    try was before `failed_before` (the bot passes KEEP_FAILED ago), never without it.
    """
    finished = and_(InboxUpdate.status == "done", InboxUpdate.processed_at < older_than)
    if failed_before is not None:
        finished = or_(
            finished,
            and_(InboxUpdate.status == "failed", InboxUpdate.processed_at < failed_before),
        )
    inbox = cast(CursorResult[Any], session.execute(delete(InboxUpdate).where(finished)))
    outbox = cast(
        CursorResult[Any],
        session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.status != "pending",
                OutboxMessage.created_at < older_than,
                OutboxMessage.dedupe_key.is_(None),
            )
        ),
    )
    return inbox.rowcount or 0, outbox.rowcount or 0


def inbox_backlog(session: Session) -> int:
    """Return how many updates wait to be processed."""
    return (
        session.scalar(
            select(func.count()).select_from(InboxUpdate).where(InboxUpdate.status == "new")
        )
        or 0
    )


def outbox_backlog(session: Session, due_by: datetime | None = None) -> int:
    """Return how many calls wait to be sent (only those due by a moment, when given).

    A leased call (a sender has it, perhaps holding it for its chat's pace) counts as due:
    its lease's end is not when it is sent.
    """
    statement = (
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending")
    )
    if due_by is not None:
        statement = statement.where(
            or_(OutboxMessage.not_before <= due_by, OutboxMessage.error == SENDING)
        )
    return session.scalar(statement) or 0


RETRY_CAP = timedelta(minutes=5)
