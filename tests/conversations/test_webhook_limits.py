"""The webhook port under abuse: bad updates get 400, slow or idle connections are closed,
connections beyond the cap shed the longest idle, /healthz answers within a second.

These run the bot in a thread with shortened time limits; test_webhook_fault.py runs it as a
process with the shipped limits and a 1,024-file limit.
"""

from __future__ import annotations

import json
import logging
import socket
import sqlite3
import time
import urllib.request
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

import bot.intake.webhook
from bot.runtime.runner import BotThread
from storage import deployment
from storage.db import make_engine, make_session_factory, reading, sqlite_file
from storage.models import InboxUpdate
from tests.conversations.helpers import free_port, http_status, says, stop_bot, unpaced

pytestmark = pytest.mark.pipeline

PATH = "/telegram/hook"


class Hook:
    """A bot running in webhook mode on a free port, with the secret it expects."""

    def __init__(self, runner: BotThread, port: int, secret: str, factory) -> None:
        self.runner = runner
        self.port = port
        self.secret = secret
        self.factory = factory
        self.url = f"http://127.0.0.1:{port}{PATH}"

    def post(self, body: bytes, timeout: float = 10) -> int:
        return http_status(self.url, body, self.secret, timeout=timeout)

    def stored(self) -> int:
        with reading(self.factory) as session:
            return session.scalar(select(func.count()).select_from(InboxUpdate))

    def raw(self) -> socket.socket:
        connection = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        return connection


@pytest.fixture
def hook(sandbox, settings, monkeypatch) -> Iterator[Hook]:
    # Shorter limits than the shipped 5 s, so waiting them out keeps the tests quick.
    monkeypatch.setattr(bot.intake.webhook, "IDLE_TIMEOUT", 1.0)
    monkeypatch.setattr(bot.intake.webhook, "BODY_TIMEOUT", 1.0)
    monkeypatch.setattr(bot.intake.webhook, "MAX_CONNECTIONS", 8)
    port = free_port()
    runner = BotThread(
        settings, webhook_url=f"http://127.0.0.1:{port}{PATH}", port=port, pacer=unpaced()
    ).start()
    factory = make_session_factory(make_engine(settings.database_url))
    with reading(factory) as session:
        secret = deployment.get_value(session, "webhook_secret")
    try:
        yield Hook(runner, port, secret, factory)
    finally:
        stop_bot(runner)
        factory.kw["bind"].dispose()


def update(update_id: object, text: str = "hi", chat_id: object = 4301) -> bytes:
    return json.dumps(
        {
            "update_id": update_id,
            "message": {
                "message_id": 1,
                "date": 1,
                "chat": {"id": chat_id, "type": "private"},
                "from": {"id": 4301, "is_bot": False, "first_name": "W"},
                "text": text,
            },
        }
    ).encode()


def closed_within(connection: socket.socket, seconds: float) -> tuple[bool, bytes]:
    """Read until the server closes the connection or `seconds` pass; return (closed, bytes)."""
    connection.settimeout(0.1)
    received = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            chunk = connection.recv(4096)
        except TimeoutError:
            continue
        except ConnectionResetError:
            return True, received
        if not chunk:
            return True, received
        received += chunk
    return False, received


def test_updates_telegram_would_never_send_get_400_and_are_not_stored(hook, caplog) -> None:
    caplog.set_level(logging.INFO)
    before = hook.stored()
    refused = [
        update(True),  # a boolean is no update_id, though Python calls it an int
        update(False),
        update(-5),
        update(0),
        update(2**53),
        update(2**64),  # past BIGINT: used to fail the insert with a 503, for ever
        update(1.5),
        update("12"),
        update(777_000_010, chat_id=10**30),  # a chat id no column can hold
        b'{"update_id": 777000011, "message": {"date": NaN}}',
        b'{"update_id": 777000012, "message": {"date": 1e999}}',
        b'{"update_id": 777000013, "message": {"text": "\\ud800"}}',
        b'{"update_id": 777000014, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"update_id": 777000015, "x": ' + b'{"a":' * 40 + b"1" + b"}" * 40 + b"}",
        b"[" * 200_000,
        b"[]",
    ]
    for body in refused:
        assert hook.post(body) == 400, body[:80]
    assert hook.stored() == before
    # Nothing was logged with a traceback (a deeply nested body used to raise RecursionError).
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]
    # A real update still goes through, with the largest allowed numbers.
    assert hook.post(update(2**53 - 1, chat_id=2**52)) == 200
    assert hook.stored() == before + 1


def test_a_slow_body_is_cut_off(hook) -> None:
    with hook.raw() as connection:
        head = (
            f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"X-Telegram-Bot-Api-Secret-Token: {hook.secret}\r\nContent-Length: 400\r\n\r\n"
        )
        connection.sendall(head.encode() + b'{"update_id": 1')
        closed, answer = closed_within(connection, 4)
    assert closed
    assert answer.startswith(b"HTTP/1.1 408"), answer[:80]


def test_a_half_sent_request_head_is_closed_after_the_idle_limit(hook) -> None:
    started = time.monotonic()
    with hook.raw() as silent, hook.raw() as half:
        half.sendall(f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Ty".encode())
        assert closed_within(half, 4)[0]
        assert closed_within(silent, 1)[0]
    assert time.monotonic() - started < 4


def test_connections_beyond_the_cap_shed_the_longest_idle(hook, sandbox) -> None:
    # The cap is 8 here: twenty idle connections, then Telegram's update still gets in.
    idle = [hook.raw() for _ in range(20)]
    try:
        for connection in idle:
            connection.sendall(b"POST / HTTP/1.1\r\n")
        assert hook.post(update(777_000_020), timeout=2) == 200
        # The oldest were shed to make room; the newest are still open.
        assert closed_within(idle[0], 1)[0]
        assert not closed_within(idle[-1], 0.2)[0]
        # Telegram's own calls go through too.
        user = sandbox.user(user_id=4302, language_code="en")
        user.send_text("hello")
        [answer] = user.wait_for_messages(1, timeout=5)
        assert says(answer, "stranger.how_to_join", "en")
    finally:
        for connection in idle:
            connection.close()


def test_the_webhook_binds_only_the_loopback_address_by_default(hook, settings) -> None:
    assert settings.webhook_listen == "127.0.0.1"
    assert http_status(f"http://127.0.0.1:{hook.port}/healthz", timeout=2) == 200
    # Bound to 0.0.0.0 it would answer on every address; 127.0.0.2 is another local one.
    assert http_status(f"http://127.0.0.2:{hook.port}/healthz", timeout=2) == 0


def answers_ok(url: str) -> bool:
    """Say whether a GET answers 200 within 2 s."""
    try:
        return http_status(url, timeout=2) == 200
    except TimeoutError:
        return False


def test_healthz_says_503_within_a_second_while_another_process_holds_the_write_lock(
    hook, settings
) -> None:
    path = sqlite_file(settings.database_url)
    if path is None:
        pytest.skip("SQLite's write lock; PostgreSQL takes writes beside other writers")
    health = f"http://127.0.0.1:{hook.port}/healthz"
    assert http_status(health, timeout=2) == 200
    locker = sqlite3.connect(path, isolation_level=None)
    try:
        locker.execute("BEGIN IMMEDIATE")
        for _ in range(3):
            started = time.monotonic()
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(health, timeout=5)
            assert refused.value.code == 503
            assert time.monotonic() - started < 1.0
    finally:
        locker.rollback()
        locker.close()
    # Recovered within 5 s. The bot's writers that waited for the lock all go at once now, so
    # on a loaded machine one answer may come late: a timed-out request is another try.
    deadline = time.monotonic() + 5
    while not answers_ok(health):
        assert time.monotonic() < deadline, "healthz did not recover"
        time.sleep(0.05)
