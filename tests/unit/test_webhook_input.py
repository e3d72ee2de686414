"""The webhook stores Telegram's updates only; logging that repeats itself is throttled."""

from __future__ import annotations

import json
import logging

import pytest

from bot.intake import webhook
from bot.intake.webhook import BadUpdate, connection_cap, read_update
from bot.runtime.logs import ThrottleFilter
from bot.runtime.settings import SettingsError, load_settings


def body(update_id: object, **extra: object) -> bytes:
    return json.dumps({"update_id": update_id, **extra}).encode()


@pytest.mark.parametrize(
    "raw",
    [
        body(True),
        body(False),
        body(-1),
        body(0),
        body(2**53),
        body(2**63),
        body(2**200),
        body(1.0),
        body("7"),
        body(None),
        b"{}",
        b"[1]",
        b"not json",
        b"\xff\xfe",
        b'{"update_id": 1, "x": NaN}',
        b'{"update_id": 1, "x": -Infinity}',
        b'{"update_id": 1, "x": 1e400}',
        b'{"update_id": 1, "x": "\\udc00"}',
        b'{"update_id": 1, "\\ud800": 1}',
        body(1, message={"chat": {"id": -(2**60)}}),
        b'{"update_id": 1, "x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        b'{"update_id": 1, "x": ' + b"[" * 40 + b"]" * 40 + b"}",
    ],
)
def test_anything_but_a_telegram_update_is_refused(raw: bytes) -> None:
    with pytest.raises(BadUpdate):
        read_update(raw)


def test_telegram_updates_pass() -> None:
    update = {
        "update_id": 2**53 - 1,
        "message": {
            "message_id": 1,
            "date": 1_700_000_000,
            "chat": {"id": -(10**12) - 123, "type": "supergroup"},
            "location": {"latitude": 50.85, "longitude": 4.35},
            "text": "café \u0000 😀",
            "reply_to_message": {"message_id": 0, "date": 1, "chat": {"id": 1, "type": "private"}},
        },
    }
    assert read_update(json.dumps(update).encode()) == update
    assert read_update(body(1)) == {"update_id": 1}


def test_the_connection_cap_leaves_most_files_to_the_rest_of_the_bot(monkeypatch) -> None:
    resource = pytest.importorskip("resource")
    for soft, expected in ((1024, 256), (20_000, webhook.MAX_CONNECTIONS), (64, 16), (10, 8)):
        monkeypatch.setattr(resource, "getrlimit", lambda _which, s=soft: (s, s))
        assert connection_cap() == expected


def test_the_listen_address_is_a_setting_with_a_safe_default() -> None:
    assert load_settings(environ={}, dotenv_path=None).webhook_listen == "127.0.0.1"
    for address in ("0.0.0.0", "::1", "::", "localhost", "bot.internal"):
        environ = {"BUURTBOT_WEBHOOK_LISTEN": address}
        assert load_settings(environ=environ, dotenv_path=None).webhook_listen == address
    for wrong in ("0.0.0.0:8080", "http://x", "a b", "-x"):
        with pytest.raises(SettingsError):
            load_settings(environ={"BUURTBOT_WEBHOOK_LISTEN": wrong}, dotenv_path=None)


def record(message: str, *args: object, level: int = logging.ERROR) -> logging.LogRecord:
    return logging.LogRecord("buurtbot.x", level, __file__, 1, message, args, None)


def test_an_error_repeated_in_a_loop_logs_once_a_minute_with_a_count() -> None:
    now = [0.0]
    throttle = ThrottleFilter(interval=60, clock=lambda: now[0])
    passed = []
    for second in range(0, 150):
        for _ in range(100):  # a hundred a second, as in a tight accept() loop
            now[0] = float(second)
            item = record("accept failed: %s", "EMFILE")
            if throttle.filter(item):
                passed.append(item.getMessage())
    assert passed == [
        "accept failed: EMFILE",
        "accept failed: EMFILE (5999 more like this in the last 60 s)",
        "accept failed: EMFILE (5999 more like this in the last 60 s)",
    ]


def test_each_kind_of_error_has_its_own_count_and_info_lines_pass() -> None:
    throttle = ThrottleFilter(interval=60, clock=lambda: 0.0)
    assert throttle.filter(record("database away: %s", "OperationalError"))
    assert throttle.filter(record("outbox sweep failed: %s", "OperationalError"))
    assert not throttle.filter(record("database away: %s", "TimeoutError"))
    for _ in range(5):
        assert throttle.filter(record("an update came in", level=logging.INFO))
