"""Answers that cannot wait: a tap is answered within a second while the chat's replies queue.

Telegram's spinner turns on a tapped button until answerCallbackQuery arrives. The chat's
messages go one a second (Telegram's limit), so an answer queued behind ten of them used to
arrive ten seconds late. Here the sandbox enforces Telegram's limits (429 beyond them) and
the bot runs with its real pacer.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.runtime.runner import BotThread
from sandbox.server import SandboxServer
from storage import organisations as orgs
from storage.db import make_engine, make_session_factory, reading
from storage.models import OutboxMessage
from tests.conversations.helpers import TRANSLATOR, button_texts, join, stop_bot, wait_until

pytestmark = pytest.mark.pipeline

USER = 4500


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A strict sandbox that also enforces Telegram's rate limits (429 beyond them)."""
    server = SandboxServer(strict=True, rate_limits=True)
    server.start()
    yield server
    server.stop()
    assert server.violations == [], server.violations


def queued_for(factory, chat_id: int) -> int:
    with reading(factory) as session:
        return session.scalar(
            select(func.count()).where(
                OutboxMessage.chat_id == chat_id,
                OutboxMessage.status == "pending",
                OutboxMessage.method == "sendMessage",
            )
        )


def answered_at(sandbox: SandboxServer, query_id: str) -> float | None:
    for call in sandbox.calls("answerCallbackQuery"):
        if call["params"].get("callback_query_id") == query_id and call["status"] == 200:
            return call["time"]
    return None


def test_every_tap_is_answered_within_a_second_while_ten_replies_wait(sandbox, settings) -> None:
    runner = BotThread(settings).start()  # the real pacer: one message a second per chat
    factory = make_session_factory(make_engine(settings.database_url))
    try:
        with factory.begin() as session:
            org = orgs.create_organisation(session, "Buurtwerk Noord", datetime.now(UTC), "nl")
            code = orgs.create_invite(
                session, org.id, "staff", datetime.now(UTC), timedelta(days=1)
            ).code
        user = sandbox.user(user_id=USER, language_code="en")
        join(user, code, "en")
        user.send_text("first note: the fountain on the square is broken")
        first = user.wait_for_messages(1, timeout=10)[0]
        theme = TRANSLATOR.raw("en", "observe.button_theme")
        assert theme in button_texts(first)
        # Ten more notes at once: their replies queue, one a second.
        for number in range(10):
            user.send_text(f"note {number}")
        wait_until(lambda: queued_for(factory, USER) >= 10, timeout=10, interval=0.02)
        delays = []
        for _ in range(3):
            assert queued_for(factory, USER) >= 8
            query = user.click(theme, message=first)
            tapped = time.monotonic()
            wait_until(lambda q=query: answered_at(sandbox, q["id"]), timeout=5, interval=0.01)
            delays.append(answered_at(sandbox, query["id"]) - tapped)
        print("tap answered after", [round(d, 3) for d in delays])
        assert max(delays) < 1.0, delays
        assert sandbox.too_many_requests == 0
    finally:
        stop_bot(runner)
        factory.kw["bind"].dispose()
