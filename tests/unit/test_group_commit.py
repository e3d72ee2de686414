"""Group commit: one transaction per batch of chats, a savepoint per update."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event, select

from bot.dispatch import dispatcher
from bot.dispatch.dispatcher import Dispatcher
from bot.dispatch.i18n import load_translator
from bot.dispatch.render import Renderer
from bot.intake.updates import received
from flows.engine import FlowConfig
from storage import pipeline
from storage.models import InboxUpdate, OutboxMessage

pytestmark = pytest.mark.pipeline


def message(update_id: int, chat_id: int, text: str) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "X", "language_code": "en"},
            "text": text,
        },
    }


@pytest.fixture
def bot_dispatcher(session_factory, tmp_path: Path) -> Dispatcher:
    config = FlowConfig(default_language="en", secret_key="test", media_dir=str(tmp_path))
    return Dispatcher(session_factory, Renderer(load_translator()), config, tmp_path)


def store(session_factory, now, *updates: dict) -> None:  # noqa: ANN001
    with session_factory.begin() as session:
        pipeline.store_updates(session, [received(update) for update in updates], now)


def test_a_batch_is_one_commit_and_a_failing_update_rolls_back_alone(
    session_factory, now, bot_dispatcher: Dispatcher, monkeypatch
) -> None:
    store(
        session_factory,
        now,
        message(1, 101, "hello"),
        message(2, 102, "boom"),
        message(3, 103, "hello"),
    )
    real = dispatcher.route

    def route(ctx, inp, position):  # noqa: ANN001, ANN202 - as flows.router.route
        if inp.text == "boom":
            raise RuntimeError("injected fault")
        return real(ctx, inp, position)

    monkeypatch.setattr(dispatcher, "route", route)
    engine = session_factory.kw["bind"]
    commits: list[int] = []
    listener = lambda _conn: commits.append(1)  # noqa: E731
    event.listen(engine, "commit", listener)
    try:
        assert bot_dispatcher.process_batch() == 3
    finally:
        event.remove(engine, "commit", listener)
    assert len(commits) == 1
    with session_factory() as session:
        rows = {r.update_id: r for r in session.scalars(select(InboxUpdate))}
        # The others are done; the failed one keeps its content and chat for a retry.
        assert (rows[1].status, rows[3].status) == ("done", "done")
        assert (rows[2].status, rows[2].attempts, rows[2].chat_id) == ("failed", 1, 102)
        assert rows[2].payload["message"]["text"] == "boom"
        outbox = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        by_chat = {row.chat_id for row in outbox}
        assert by_chat == {101, 102, 103}
        # The failed update's only call is the notice, queued with the batch.
        assert [row.inbox_id for row in outbox if row.chat_id == 102] == [rows[2].id]


def test_one_update_per_chat_per_batch_in_update_order(
    session_factory, now, bot_dispatcher: Dispatcher
) -> None:
    store(
        session_factory,
        now,
        message(1, 201, "first"),
        message(2, 202, "first"),
        message(3, 201, "second"),
    )
    with session_factory.begin() as session:
        batch = pipeline.claim_batch(session, 10)
        # Only each chat's head: the second update of chat 201 waits for the first.
        assert [(row.update_id, row.chat_id) for row in batch] == [(1, 201), (2, 202)]
        session.rollback()
    assert bot_dispatcher.process_batch() == 2
    assert bot_dispatcher.process_batch() == 1
    assert bot_dispatcher.process_batch() == 0
    with session_factory() as session:
        order = session.scalars(
            select(InboxUpdate.update_id).order_by(InboxUpdate.processed_at, InboxUpdate.id)
        ).all()
    assert order == [1, 2, 3]


def test_a_failure_outside_the_savepoints_takes_the_batch_one_by_one(
    session_factory, now, bot_dispatcher: Dispatcher, monkeypatch
) -> None:
    store(session_factory, now, message(1, 301, "hello"), message(2, 302, "hello"))
    real = pipeline.enqueue_many
    calls: list[int] = []

    def enqueue_many(session, steps, moment):  # noqa: ANN001, ANN202
        calls.append(len(steps))
        if len(steps) > 1:
            raise RuntimeError("injected fault")
        return real(session, steps, moment)

    monkeypatch.setattr(pipeline, "enqueue_many", enqueue_many)
    assert bot_dispatcher.process_pending() == 2
    with session_factory() as session:
        statuses = session.scalars(select(InboxUpdate.status)).all()
        assert statuses == ["done", "done"]
        assert {row.chat_id for row in session.scalars(select(OutboxMessage))} == {301, 302}


def test_a_batch_stops_taking_updates_once_its_time_is_up(
    session_factory, now, bot_dispatcher: Dispatcher, monkeypatch
) -> None:
    store(session_factory, now, message(1, 401, "hello"), message(2, 402, "hello"))
    monkeypatch.setattr(dispatcher, "BATCH_SECONDS", -1.0)
    # The first update always goes; the rest wait, still new, for the next batch.
    assert bot_dispatcher.process_batch() == 1
    with session_factory() as session:
        statuses = session.scalars(select(InboxUpdate.status).order_by(InboxUpdate.id)).all()
    assert statuses == ["done", "new"]
    assert bot_dispatcher.process_batch() == 1
