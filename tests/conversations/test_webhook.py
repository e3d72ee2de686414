"""Webhook mode: Telegram's secret is checked, and 200 comes only after the inbox commit."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest
from sqlalchemy import select

from bot.runtime.runner import BotThread
from storage import deployment
from storage.db import make_engine, make_session_factory, reading
from storage.models import InboxUpdate
from tests.conversations.helpers import free_port, http_status, says, unpaced

pytestmark = pytest.mark.pipeline


def test_webhook_mode_end_to_end(sandbox, settings) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    runner = BotThread(settings, webhook_url=url, port=port, pacer=unpaced()).start()
    factory = make_session_factory(make_engine(settings.database_url))
    try:
        assert sandbox.webhook_info()["url"] == url
        # Telegram (the sandbox) pushes a user's message; the bot answers through the outbox.
        user = sandbox.user(user_id=4000, language_code="en")
        user.send_text("hello")
        [answer] = user.wait_for_messages(1)
        assert says(answer, "stranger.how_to_join", "en")

        with reading(factory) as session:
            secret = deployment.get_value(session, "webhook_secret")
        update = {
            "update_id": 777_000_001,
            "message": {
                "message_id": 1,
                "date": 1,
                "chat": {"id": 4001, "type": "private"},
                "from": {"id": 4001, "is_bot": False, "first_name": "W"},
                "text": "hi",
            },
        }
        body = json.dumps(update).encode()
        assert http_status(url, body, "wrong") == 403
        assert http_status(url, body, None) == 403
        assert http_status(url, b"not json", secret) == 400
        # Refused without being read on: the 413 may reach the client, or the connection may
        # close while it is still sending (0); it is never accepted.
        assert http_status(url, b"x" * (2 * 1024 * 1024), secret) in (413, 0)
        assert http_status(url, body, secret) == 200
        # The 200 means committed: the row is there the moment the answer arrives.
        with reading(factory) as session:
            assert session.scalar(
                select(InboxUpdate.id).where(InboxUpdate.update_id == 777_000_001)
            )
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as health:
            assert health.read() == b"ok"
    finally:
        runner.stop()
        factory.kw["bind"].dispose()


def test_the_webhook_moves_to_another_worker_when_its_leader_stops(sandbox, settings) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    first = BotThread(settings, webhook_url=url, port=port, pacer=unpaced()).start()
    second = BotThread(settings, webhook_url=url, port=port, pacer=unpaced()).start()
    try:
        user = sandbox.user(user_id=4100, language_code="en")
        user.send_text("hello")
        [answer] = user.wait_for_messages(1)
        assert says(answer, "stranger.how_to_join", "en")
        first.stop()
        # The other worker takes the intake role: it binds the port and serves the webhook.
        deadline = time.monotonic() + 15
        while http_status(f"http://127.0.0.1:{port}/healthz", timeout=2) != 200:
            assert time.monotonic() < deadline, "no worker took the webhook over"
            time.sleep(0.1)
        user.send_text("still there?")
        [answer] = user.wait_for_messages(1, timeout=30)
        assert says(answer, "stranger.how_to_join", "en")
    finally:
        first.stop()
        second.stop()
