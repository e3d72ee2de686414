"""Failed updates in the inbox: kept for a retry on a schedule, replayed in order, then deleted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.intake.updates import received, update_kind
from storage import organisations as orgs
from storage import pipeline
from storage.models import InboxUpdate
from storage.privacy import forget_member

pytestmark = pytest.mark.pipeline


def message(update_id: int, chat_id: int, sender: int | None = None, **content) -> dict:
    """A message update; private (chat = sender) unless the chat id is a group's."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": {"id": sender or chat_id, "is_bot": False, "first_name": "X"},
            **(content or {"text": f"note {update_id}"}),
        },
    }


def inbox(*updates: dict) -> list[pipeline.Received]:
    """Return raw updates as the intake hands them to the inbox."""
    return [received(update) for update in updates]


def fail(session, update_id: int, now) -> InboxUpdate:  # noqa: ANN001
    """Mark an update failed as the dispatcher does: content and chat stay."""
    row = session.scalar(select(InboxUpdate).where(InboxUpdate.update_id == update_id))
    row.status, row.error, row.processed_at = "failed", "RuntimeError", now
    row.attempts += 1
    session.flush()
    return row


def test_a_failed_update_keeps_its_content_and_chat_and_is_retried_on_a_schedule(
    session_factory, now
) -> None:
    with session_factory.begin() as session:
        pipeline.store_updates(session, inbox(message(1, 5)), now)
        row = session.scalar(select(InboxUpdate))
        assert pipeline.mark_failed(row, "RuntimeError", now) == 1
    with session_factory() as session:
        row = session.scalar(select(InboxUpdate))
        assert (row.status, row.chat_id, row.error) == ("failed", 5, "RuntimeError")
        assert row.payload["message"]["text"] == "note 1"
        assert pipeline.inbox_backlog(session) == 0
        assert pipeline.next_try(row) == now + timedelta(minutes=1)
        assert pipeline.due_retries(session, now + timedelta(seconds=59)) == []
        assert pipeline.due_retries(session, now + timedelta(minutes=1)) == [row.id]
    # Each failed try waits longer: 1 min, 10 min, 1 h; after the fourth try none follows.
    waits = []
    moment = now
    for _ in range(pipeline.MAX_ATTEMPTS - 1):
        with session_factory.begin() as session:
            row = session.scalar(select(InboxUpdate))
            due = pipeline.next_try(row)
            waits.append(due - moment)
            assert pipeline.due_retries(session, due - timedelta(seconds=1)) == []
            assert pipeline.requeue(session, pipeline.due_retries(session, due)) == 1
            claimed = pipeline.claim_inbox(session, row.id)
            assert claimed is not None and claimed.payload["message"]["text"] == "note 1"
            moment = due
            pipeline.mark_failed(claimed, "RuntimeError", moment)
    assert waits == [timedelta(minutes=1), timedelta(minutes=10), timedelta(hours=1)]
    with session_factory() as session:
        row = session.scalar(select(InboxUpdate))
        assert (row.status, row.attempts) == ("failed", pipeline.MAX_ATTEMPTS)
        assert pipeline.next_try(row) is None
        assert pipeline.due_retries(session, now + timedelta(days=29)) == []
        assert row.payload is not None


def test_a_retried_update_goes_before_its_chats_later_updates_but_never_blocks_them(
    session_factory, now
) -> None:
    with session_factory.begin() as session:
        pipeline.store_updates(session, inbox(message(1, 5), message(2, 5), message(3, 6)), now)
        fail(session, 1, now)
    # Meanwhile the chat goes on: its next update is the head now.
    with session_factory.begin() as session:
        head = pipeline.claim_inbox(session, pipeline.next_inbox_ids(session)[0])
        assert head.update_id == 2
        pipeline.mark_done(head, now)
        pipeline.store_updates(session, inbox(message(4, 5)), now)
    with session_factory.begin() as session:
        assert pipeline.requeue(session) == 1
    with session_factory.begin() as session:
        ids = pipeline.next_inbox_ids(session)
        assert len(ids) == 3
        # Offered the chat's later update, the worker takes the retried one first.
        later = session.scalar(select(InboxUpdate.id).where(InboxUpdate.update_id == 4))
        head = pipeline.claim_inbox(session, later)
        assert head.update_id == 1 and head.payload["message"]["text"] == "note 1"
        pipeline.mark_done(head, now)
        assert head.payload is None and head.chat_id is None


def test_requeue_takes_only_failed_updates_that_hold_their_content(session_factory, now) -> None:
    with session_factory.begin() as session:
        pipeline.store_updates(session, inbox(message(1, 5), message(2, 5), message(3, 5)), now)
        failed = fail(session, 1, now)
        done = session.scalar(select(InboxUpdate).where(InboxUpdate.update_id == 2))
        pipeline.mark_done(done, now)
        failed_id, done_id = failed.id, done.id
    with session_factory.begin() as session:
        assert pipeline.requeue(session, [done_id, 999]) == 0
        assert pipeline.requeue(session, []) == 0
        assert pipeline.requeue(session, [failed_id]) == 1
        assert pipeline.requeue(session, [failed_id]) == 0
        assert [row.id for row in pipeline.failed_updates(session)] == []


def test_purge_keeps_failed_updates_for_thirty_days_then_deletes_them(session_factory, now) -> None:
    with session_factory.begin() as session:
        pipeline.store_updates(session, inbox(message(1, 5), message(2, 5), message(3, 5)), now)
        pipeline.mark_done(session.scalar(select(InboxUpdate).limit(1)), now)
        fail(session, 2, now)
    later = now + timedelta(days=3)
    with session_factory.begin() as session:
        # Done rows go after two days; a failed one stays with its content for the team.
        assert pipeline.purge_processed(session, later - timedelta(days=2)) == (1, 0)
        assert pipeline.purge_processed(
            session, later - timedelta(days=2), failed_before=later - pipeline.KEEP_FAILED
        ) == (0, 0)
        assert [row.update_id for row in pipeline.failed_updates(session)] == [2]
    month = now + pipeline.KEEP_FAILED + timedelta(minutes=1)
    with session_factory.begin() as session:
        assert pipeline.purge_processed(
            session, month - timedelta(days=2), failed_before=month - pipeline.KEEP_FAILED
        ) == (1, 0)
        assert pipeline.failed_updates(session) == []
        assert pipeline.inbox_backlog(session) == 1


def test_forget_deletes_the_members_failed_updates_in_every_chat(session_factory, now) -> None:
    with session_factory.begin() as session:
        org = orgs.create_organisation(session, "Buurtwerk", now)
        invite = orgs.create_invite(session, org.id, "staff", now, timedelta(days=1), None)
        member = orgs.join_with_invite(session, invite, 7001, "nl", "v1", now)
        updates = [
            message(1, 7001),  # their private chat
            message(2, -100500, sender=7001, photo=[{"file_id": "f", "file_unique_id": "u"}]),
            message(3, -100500, sender=7002),  # someone else in the same group
            message(4, 7002),  # someone else's private chat
        ]
        pipeline.store_updates(session, inbox(*updates), now)
        for update_id in (1, 2, 3, 4):
            fail(session, update_id, now)
        forget_member(session, member)
    with session_factory() as session:
        left = session.scalars(select(InboxUpdate.update_id).order_by(InboxUpdate.update_id))
        assert list(left) == [3, 4]


def test_update_kinds_and_senders_are_read_without_the_content() -> None:
    kind = update_kind
    assert kind(message(1, 5)) == "text"
    assert kind(message(1, 5, text="/walk")) == "command"
    assert kind(message(1, 5, voice={"file_id": "v"})) == "voice"
    assert kind(message(1, 5, location={"latitude": 50.8, "longitude": 4.3})) == "location"
    edited = {"update_id": 2, "edited_message": message(2, 5)["message"]}
    assert kind(edited) == "edited text"
    tap = {"update_id": 3, "callback_query": {"id": "q", "from": {"id": 9}, "data": "x"}}
    assert kind(tap) == "button"
    assert kind({"update_id": 4, "my_chat_member": {}}) == "my_chat_member"
    assert kind(None) == "unknown"
    assert pipeline.update_sender_id(message(1, -100, sender=42)) == 42
    assert pipeline.update_sender_id(tap) == 9
    assert pipeline.update_sender_id({"update_id": 5}) is None
