"""Inbox, outbox and chat state: the tables the durable pipeline stands on."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from storage import pipeline
from storage.models import InboxUpdate, OutboxMessage


def message_update(update_id: int, chat_id: int, text: str = "hi") -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "X"},
            "text": text,
        },
    }


def received(*updates: dict) -> list[pipeline.Received]:
    """Return message updates as the intake hands them to the inbox (bot/intake/updates.py)."""
    return [pipeline.Received(u["update_id"], u["message"]["chat"]["id"], u) for u in updates]


def test_redelivered_updates_are_stored_once(session_factory, now) -> None:
    with session_factory.begin() as session:
        assert (
            pipeline.store_updates(
                session, received(message_update(1, 5), message_update(2, 5)), now
            )
            == 2
        )
    with session_factory.begin() as session:
        assert (
            pipeline.store_updates(
                session, received(message_update(2, 5), message_update(3, 6)), now
            )
            == 1
        )
    with session_factory() as session:
        assert pipeline.last_update_id(session) == 3
        assert len(pipeline.next_inbox_ids(session)) == 3


def test_inbox_rows_come_in_update_order_and_lose_content_when_done(session_factory, now) -> None:
    with session_factory.begin() as session:
        pipeline.store_updates(session, received(message_update(9, 1), message_update(4, 2)), now)
    with session_factory.begin() as session:
        ids = pipeline.next_inbox_ids(session)
        first = pipeline.claim_inbox(session, ids[0])
        assert first is not None and first.update_id == 4 and first.chat_id == 2
        pipeline.mark_done(first, now)
    with session_factory() as session:
        row = session.get(InboxUpdate, ids[0])
        assert row.status == "done" and row.payload is None and row.attempts == 1
        assert pipeline.claim_inbox(session, ids[0]) is None
        assert pipeline.inbox_backlog(session) == 1


def test_outbox_offers_only_the_oldest_due_row_per_chat(session_factory, now) -> None:
    calls = [
        pipeline.OutgoingCall(1, "sendMessage", {"text": "a"}),
        pipeline.OutgoingCall(1, "sendMessage", {"text": "b"}),
        pipeline.OutgoingCall(2, "sendMessage", {"text": "c"}),
    ]
    with session_factory.begin() as session:
        assert pipeline.enqueue(session, calls, now) == 3
        ids = session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)).all()
    with session_factory.begin() as session:
        heads = pipeline.head_calls(session, now, [], 10)
        assert [h[0] for h in heads] == [ids[0], ids[2]]
        assert [h[0] for h in pipeline.head_calls(session, now, [1], 10)] == [ids[2]]
        pipeline.postpone(session, ids[0], now + timedelta(seconds=30), "429")
    with session_factory.begin() as session:
        # A postponed head holds back its chat: order within a chat never changes.
        assert [h[0] for h in pipeline.head_calls(session, now, [], 10)] == [ids[2]]
        pipeline.mark_sent(session, ids[2], now, 99)
        later = now + timedelta(seconds=31)
        assert [h[0] for h in pipeline.head_calls(session, later, [], 10)] == [ids[0]]
        assert pipeline.message_id_of(session, ids[2]) == 99
        assert pipeline.outbox_backlog(session) == 2


def test_blocked_chat_drops_its_pending_calls(session_factory, now) -> None:
    with session_factory.begin() as session:
        pipeline.enqueue(session, [pipeline.OutgoingCall(3, "sendMessage", {})] * 3, now)
        assert pipeline.give_up_chat(session, 3, "forbidden") == 3
        assert pipeline.outbox_backlog(session) == 0


def test_chat_state_version_changes_on_every_save(session_factory, now) -> None:
    with session_factory.begin() as session:
        first = pipeline.save_chat_state(session, 5, "onboarding", "language", {"a": 1}, now)
        v1 = first.version
        second = pipeline.save_chat_state(session, 5, "onboarding", "about", {"a": 2}, now)
        assert second.version == v1 + 1
    with session_factory.begin() as session:
        row = pipeline.get_chat_state(session, 5)
        assert (row.flow, row.state, row.draft) == ("onboarding", "about", {"a": 2})
        pipeline.delete_chat_state(session, 5)
        assert pipeline.get_chat_state(session, 5) is None


def test_purge_removes_old_processed_rows_only(session_factory, now) -> None:
    with session_factory.begin() as session:
        pipeline.store_updates(session, received(message_update(1, 1), message_update(2, 1)), now)
        row = pipeline.claim_inbox(session, pipeline.next_inbox_ids(session)[0])
        pipeline.mark_done(row, now)
        pipeline.enqueue(session, [pipeline.OutgoingCall(1, "sendMessage", {})], now)
    with session_factory.begin() as session:
        assert pipeline.purge_processed(session, now + timedelta(days=3)) == (1, 0)
        assert pipeline.inbox_backlog(session) == 1


def test_a_leased_call_is_not_offered_again_until_released_or_expired(session_factory, now) -> None:
    calls = [
        pipeline.OutgoingCall(1, "sendMessage", {"text": "a"}),
        pipeline.OutgoingCall(2, "sendMessage", {"text": "b"}),
    ]
    lease = timedelta(seconds=30)
    with session_factory.begin() as session:
        pipeline.enqueue(session, calls, now)
        leased, postponed = session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id))
        assert pipeline.claim_send(session, leased, now, lease)
        # A second sender (after a change of leader) may not take it while it is leased.
        assert not pipeline.claim_send(session, leased, now, lease)
        pipeline.postpone(session, postponed, now + lease, "429")
        assert pipeline.head_calls(session, now, [], 10) == []
        assert pipeline.claim_send(session, leased, now + lease, lease)
    with session_factory.begin() as session:
        # The sender is known to have stopped: its lease goes, a 429's wait stays.
        assert pipeline.release_leases(session, now) == 1
        assert [h[0] for h in pipeline.head_calls(session, now, [], 10)] == [leased]


def test_an_id_seen_eight_days_ago_is_a_new_update_and_a_repeat_within_the_window_is_not(
    session_factory, now
) -> None:
    long_ago = now - timedelta(days=8)
    with session_factory.begin() as session:
        pipeline.store_updates(session, received(message_update(7, 5, "old")), long_ago)
        row = session.scalars(select(InboxUpdate)).one()
        pipeline.mark_done(row, long_ago)
    # After a week without updates Telegram may hand out 7 again, on a new message.
    with session_factory.begin() as session:
        assert pipeline.store_updates(session, received(message_update(7, 5, "new")), now) == 1
    with session_factory() as session:
        [row] = session.scalars(select(InboxUpdate)).all()
        assert row.status == "new" and row.payload["message"]["text"] == "new"
    # The same update delivered again a day later is a redelivery: dropped.
    with session_factory.begin() as session:
        again = received(message_update(7, 5, "new"))
        assert pipeline.store_updates(session, again, now + timedelta(days=1)) == 0
    with session_factory() as session:
        assert len(session.scalars(select(InboxUpdate)).all()) == 1
        # Resuming polls after ids of the window only: the old ones are not in it.
        assert pipeline.last_update_id(session, now - pipeline.DEDUPE_WINDOW) == 7
        assert pipeline.last_update_id(session, now + timedelta(days=8)) is None


def test_a_failed_update_whose_id_comes_back_keeps_its_content_and_its_place(
    session_factory, now
) -> None:
    long_ago = now - timedelta(days=9)
    with session_factory.begin() as session:
        pipeline.store_updates(session, received(message_update(40, 5, "kept")), long_ago)
        row = session.scalars(select(InboxUpdate)).one()
        pipeline.mark_failed(row, "RuntimeError", long_ago)
        failed_id = row.id
    with session_factory.begin() as session:
        assert pipeline.store_updates(session, received(message_update(40, 5, "fresh")), now) == 1
    with session_factory() as session:
        failed = session.get(InboxUpdate, failed_id)
        assert failed is not None and failed.status == "failed"
        assert failed.payload["message"]["text"] == "kept"
        # Moved aside under a negative id: never an update id again, and still first in line.
        assert failed.update_id == -failed_id
        rows = session.scalars(select(InboxUpdate).order_by(InboxUpdate.update_id)).all()
        assert [r.payload["message"]["text"] for r in rows] == ["kept", "fresh"]


def test_one_statement_leases_the_due_calls_of_a_batch_and_marks_them_sent(
    session_factory, now
) -> None:
    calls = [pipeline.OutgoingCall(chat, "sendMessage", {"text": "x"}) for chat in (1, 2, 3)]
    lease = timedelta(seconds=30)
    with session_factory.begin() as session:
        pipeline.enqueue(session, calls, now)
        first, second, third = session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id))
        pipeline.postpone(session, third, now + lease, "429")
        # The postponed call and an unknown id are left out; what was leased is not taken twice.
        assert set(pipeline.claim_sends(session, [first, second, third, 999], now, lease)) == {
            first,
            second,
        }
        assert pipeline.claim_sends(session, [first, second], now, lease) == {}
        pipeline.mark_sent_many(
            session,
            [pipeline.SentMark(first, now, 71), pipeline.SentMark(second, now, None, "repeat")],
        )
    with session_factory() as session:
        rows = {
            row.id: row for row in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        }
        assert [(rows[i].status, rows[i].telegram_message_id, rows[i].error) for i in rows] == [
            ("sent", 71, None),
            ("sent", None, "repeat"),
            ("pending", None, "429"),
        ]
        assert (rows[first].chat_id, rows[first].payload, rows[first].attempts) == (0, {}, 1)


def test_a_leased_call_counts_as_due_whatever_its_lease_says(session_factory, now) -> None:
    with session_factory.begin() as session:
        pipeline.enqueue(session, [pipeline.OutgoingCall(4, "sendMessage", {})], now)
        pipeline.enqueue(session, [pipeline.OutgoingCall(5, "sendMessage", {})], now)
        later = session.scalar(select(func.max(OutboxMessage.id)))
        pipeline.postpone(session, later, now + timedelta(minutes=5), "429")
        assert pipeline.outbox_backlog(session, due_by=now) == 1
        # A sender holds the first one (for its chat's pace, say): it is not sent yet.
        heads = [h[0] for h in pipeline.head_calls(session, now, [], 10)]
        pipeline.claim_sends(session, heads, now, timedelta(seconds=30))
        assert pipeline.outbox_backlog(session, due_by=now) == 1
        assert pipeline.outbox_backlog(session) == 2
