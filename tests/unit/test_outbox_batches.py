"""The sender leases a sweep's calls in one transaction and writes finished calls' outcomes
together, and a crash between a call and that write loses nothing and repeats only what the
lease covers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from bot.delivery.outbox import LEASE_MARGIN, OutboxSender
from storage import pipeline
from storage.models import OutboxMessage
from tests.conversations.helpers import unpaced

pytestmark = pytest.mark.pipeline

READ_TIMEOUT = 20.0


class FakeBot:
    """Answers every call with a new message id; holds the calls until `gate` opens."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, str]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.answered = 0

    async def do_api_request(
        self, method: str, api_kwargs: dict[str, Any], read_timeout: float
    ) -> dict:
        self.calls.append((api_kwargs["chat_id"], api_kwargs["text"]))
        message_id = 1000 + len(self.calls)
        await self.gate.wait()
        self.answered += 1
        return {"message_id": message_id}


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def make_sender(factory: sessionmaker[Session], bot: FakeBot, clock: Clock) -> OutboxSender:
    return OutboxSender(
        bot,  # type: ignore[arg-type]
        factory,
        Path("/nonexistent"),
        pacer=unpaced(),
        clock=clock,
        read_timeout=READ_TIMEOUT,
    )


def queue_messages(factory: sessionmaker[Session], now: datetime, *chats: int) -> list[int]:
    calls = [
        pipeline.OutgoingCall(chat, "sendMessage", {"chat_id": chat, "text": f"{chat}-{i}"})
        for i, chat in enumerate(chats)
    ]
    with factory.begin() as session:
        pipeline.enqueue(session, calls, now)
        return list(session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)))


@contextmanager
def transactions(factory: sessionmaker[Session]) -> Iterator[list[list[str]]]:
    """Collect the statements sent to the database, one list per committed transaction."""
    engine = factory.kw["bind"]
    committed: list[list[str]] = []
    current: list[str] = []

    def statement(_conn, _cursor, sql, _params, _context, _many) -> None:  # noqa: ANN001
        current.append(sql)

    def commit(_conn) -> None:  # noqa: ANN001
        committed.append(list(current))
        current.clear()

    def rollback(_conn) -> None:  # noqa: ANN001
        current.clear()

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    event.listen(engine, "rollback", rollback)
    try:
        yield committed
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)
        event.remove(engine, "rollback", rollback)


def outbox(factory: sessionmaker[Session]) -> list[OutboxMessage]:
    with factory() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def writes(committed: list[list[str]]) -> list[list[str]]:
    return [
        [sql for sql in statements if sql.lstrip().upper().startswith("UPDATE OUTBOX")]
        for statements in committed
        if any(sql.lstrip().upper().startswith("UPDATE OUTBOX") for sql in statements)
    ]


async def settle(sender: OutboxSender) -> None:
    """Wait until the calls the sender started are answered."""
    running = [*sender._in_flight.values(), *sender._jumping.values()]
    if running:
        await asyncio.wait(running, timeout=30)


def test_one_transaction_leases_every_call_a_sweep_starts(session_factory, now) -> None:
    queue_messages(session_factory, now, 11, 12, 13, 14, 15)

    async def main() -> None:
        bot = FakeBot()
        bot.gate.clear()
        sender = make_sender(session_factory, bot, Clock(now))
        with transactions(session_factory) as committed:
            await sender.sweep()
        assert len(sender._in_flight) == 5
        # One commit, holding one UPDATE: the lease of all five calls.
        assert len(committed) == 1
        assert len(writes(committed)) == 1 and len(writes(committed)[0]) == 1
        bot.gate.set()
        await settle(sender)
        await sender.outcomes.flush()

    asyncio.run(main())
    rows = outbox(session_factory)
    assert [row.status for row in rows] == ["sent"] * 5


def test_sent_marks_of_calls_that_finish_together_share_one_commit(session_factory, now) -> None:
    ids = queue_messages(session_factory, now, 21, 22, 23, 24)

    async def main() -> None:
        bot = FakeBot()
        bot.gate.clear()
        sender = make_sender(session_factory, bot, Clock(now))
        stop, wake = asyncio.Event(), asyncio.Event()
        running = asyncio.create_task(sender.run(stop, wake))
        while len(bot.calls) < 4:
            await asyncio.sleep(0.01)
        with transactions(session_factory) as committed:
            bot.gate.set()
            while sender.outcomes.writes < 1:
                await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(running, 30)
        # The four sent-marks went in one transaction, as one statement run for four rows.
        assert len(writes(committed)) == 1 and len(writes(committed)[0]) == 1

    asyncio.run(main())
    rows = outbox(session_factory)
    assert [(row.id, row.status) for row in rows] == [(i, "sent") for i in ids]
    assert sorted(row.telegram_message_id for row in rows) == [1001, 1002, 1003, 1004]


def test_a_crash_before_the_outcomes_are_written_repeats_only_leased_calls(
    session_factory, now
) -> None:
    # Chat 31 has two messages: the second may only go after the first.
    ids = queue_messages(session_factory, now, 31, 31, 32, 33)
    clock = Clock(now)

    async def first_life() -> FakeBot:
        bot = FakeBot()
        sender = make_sender(session_factory, bot, clock)
        await sender.sweep()
        await settle(sender)
        # The process dies here: the calls were answered, their outcomes never written.
        return bot

    first = asyncio.run(first_life())
    assert first.calls == [(31, "31-0"), (32, "32-2"), (33, "33-3")]
    rows = outbox(session_factory)
    assert [row.status for row in rows] == ["pending"] * 4
    assert {row.error for row in rows if row.id != ids[1]} == {pipeline.SENDING}

    async def next_life(at: datetime) -> FakeBot:
        clock.now = at
        bot = FakeBot()
        sender = make_sender(session_factory, bot, clock)
        stop, wake = asyncio.Event(), asyncio.Event()
        running = asyncio.create_task(sender.run(stop, wake))

        def settled() -> bool:
            return all(row.status == "sent" for row in outbox(session_factory))

        deadline = asyncio.get_running_loop().time() + 3
        while not settled() and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)
        stop.set()
        await asyncio.wait_for(running, 30)
        return bot

    # A new sender within the lease repeats nothing.
    lease = timedelta(seconds=READ_TIMEOUT + LEASE_MARGIN)
    assert asyncio.run(next_life(now + lease - timedelta(seconds=1))).calls == []
    # Once the lease ran out, the three answered calls are made once more, then the rest.
    again = asyncio.run(next_life(now + lease + timedelta(seconds=1))).calls
    assert sorted(again) == [(31, "31-0"), (31, "31-1"), (32, "32-2"), (33, "33-3")]
    assert again.index((31, "31-0")) < again.index((31, "31-1"))
    rows = outbox(session_factory)
    assert [(row.id, row.status) for row in rows] == [(i, "sent") for i in ids]
