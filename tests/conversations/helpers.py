"""Small helpers that play common steps of a conversation."""

from __future__ import annotations

import contextlib
import html
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.delivery.ratelimit import SendPacer
from bot.dispatch.i18n import load_translator
from storage.models import InboxUpdate, OutboxMessage

ROOT = Path(__file__).resolve().parents[2]

TRANSLATOR = load_translator()
LANGUAGE_NAMES = {"nl": "Nederlands", "fr": "Français", "en": "English"}


def unpaced() -> SendPacer:
    """Return a pacer that never waits: for every test that is not about pacing itself.

    The real pacer keeps 1.05 s between messages to one chat, 3.1 s in a group and 1/29 s
    between any two messages; a conversation test would spend most of its time waiting on it.
    """
    return SendPacer(per_second=1_000_000, private_interval=0.0, group_interval=0.0, spacing=0.0)


def stop_bot(runner: Any) -> None:
    """Stop a BotThread without waiting out the dispatcher's idle pause.

    BotThread.stop() sets the stop event, but an idle dispatch loop only looks at it after
    its next check (up to half a second); waking it as new updates would saves that wait.
    """
    loop, app = runner._loop, runner.app
    if loop is not None and app is not None and not loop.is_closed():
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: already stopped
            loop.call_soon_threadsafe(app.stop_event.set)
            loop.call_soon_threadsafe(app.inbox_event.set)
    runner.stop()


def wait_until(
    predicate: Callable[[], Any],
    timeout: float = 15.0,
    message: str | Callable[[], str] = "",
    interval: float = 0.05,
) -> Any:
    """Poll predicate() until it returns something truthy and return that; fail at the deadline.

    `message` (or a function making it, called only on failure) explains what was awaited.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            text = message() if callable(message) else message
            raise AssertionError(text or f"condition not met within {timeout:g} s")
        time.sleep(interval)


def plain(text: str) -> str:
    """Return catalog HTML as the plain text Telegram shows."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def says(message: dict[str, Any], key: str, language: str, **params: Any) -> bool:
    """Say whether a bot message is the catalog text for a key in a language."""
    text = message.get("text") or message.get("caption") or ""
    if params:
        return text == plain(TRANSLATOR.text(language, key, params))
    head = plain(TRANSLATOR.raw(language, key)).split("{")[0].strip()
    return text.startswith(head)


def button_texts(message: dict[str, Any]) -> list[str]:
    """Return the texts of a message's inline buttons."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [button["text"] for row in rows for button in row]


def tap(user: Any, message: dict[str, Any], label_end: str) -> None:
    """Tap the button of a message whose label ends with the given text."""
    matches = [text for text in button_texts(message) if text.endswith(label_end)]
    assert len(matches) == 1, (label_end, button_texts(message))
    user.click(matches[0], message=message)


def join(
    user: Any, code: str, language: str = "nl", name: str | None = None
) -> list[dict[str, Any]]:
    """Play onboarding to the end with a code; return the welcome and help messages.

    Staff, volunteers and coordinators are asked the name their team sees: `name` is typed,
    else the Telegram first name is tapped.
    """
    user.send_command("/start", code)
    [choose] = user.wait_for_messages(1)
    tap(user, choose, LANGUAGE_NAMES[language])
    [about] = user.wait_for_messages(1)
    tap(user, about, TRANSLATOR.raw(language, "button.continue"))
    [consent] = user.wait_for_messages(1)
    tap(user, consent, TRANSLATOR.raw(language, "button.agree"))
    [after] = user.wait_for_messages(1)
    if not says(after, "name.ask", language):
        return [after, *user.wait_for_messages(1)]
    if name is not None:
        user.send_text(name)
    else:
        tap(user, after, user.user["first_name"])
    [saved, *welcome] = user.wait_for_messages(3)
    assert says(saved, "name.saved", language), saved
    return welcome


def shows_menu(user: Any) -> bool:
    """Say whether the chat shows the main menu (not a one-time keyboard, not nothing)."""
    return bool((user.keyboard() or {}).get("is_persistent"))


def start_walk(user: Any) -> dict[str, Any]:
    """Start a walk; return the started message (the line with the walk's buttons follows)."""
    user.send_command("/walk")
    started, _walking = user.wait_for_messages(2)
    assert shows_menu(user), "the walk's buttons came with it"
    return started


def free_port() -> int:
    """Return a local TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_status(
    url: str, body: bytes | None = None, secret: str | None = None, timeout: float = 10
) -> int:
    """POST a JSON body (GET without one) as Telegram would; return the status, 0 if refused."""
    request = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET")
    if body is not None:
        request.add_header("Content-Type", "application/json")
    if secret is not None:
        request.add_header("X-Telegram-Bot-Api-Secret-Token", secret)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except urllib.error.URLError:
        return 0  # nobody listens on that port


def spawn_bot(
    env: dict[str, str], log: Path, *args: str, paced: bool = False
) -> subprocess.Popen[bytes]:
    """Start `buurtbot run` as a child process, its output appended to a log file.

    Unless `paced`, the bot runs with a zero-interval pacer (see unpaced_bot.py).
    """
    command = ["bot.runtime.cli", "run"] if paced else ["tests.conversations.unpaced_bot"]
    return subprocess.Popen(
        [sys.executable, "-m", *command, *args],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )


def wait_drained(
    factory: sessionmaker[Session],
    sandbox: Any,
    timeout: float = 120,
    describe: Callable[[], str] = lambda: "",
) -> None:
    """Wait until every update is confirmed and processed and every call sent."""

    def drained() -> bool:
        if sandbox.pending_updates() != 0:
            return False
        try:
            with factory() as session:
                waiting = session.scalar(
                    select(func.count()).where(InboxUpdate.status == "new")
                ) + session.scalar(select(func.count()).where(OutboxMessage.status == "pending"))
        except Exception:  # noqa: BLE001 - the database may be coming back
            return False
        return waiting == 0 and sandbox.pending_updates() == 0

    wait_until(drained, timeout, lambda: f"the bot did not catch up\n{describe()}", interval=0.1)
