"""`buurtbot chat`: talk to the real bot from a terminal through the local Bot API sandbox.

Several simulated people share one session (`/as NAME`), with a team group beside their
private chats. Every bot message is shown with the chat it went to, its inline buttons and the
reply-keyboard buttons under the typing field (numbered together), edits of earlier messages,
reactions and the short popup answers to tapped buttons. A wrong number only gets a line.
"""

from __future__ import annotations

import html
import json
import re
import sys
import threading
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy.orm import Session, sessionmaker

from bot.runtime.runner import BotThread
from bot.runtime.settings import Settings
from sandbox.actors import SandboxError, SandboxGroup, SandboxUser
from sandbox.server import ApiError, SandboxServer
from storage import deployment, pipeline
from storage.db import make_engine, make_session_factory, reading, upgrade

CHAT_USER_ID = 1001
FIRST_NAME = "You"
GROUP_ID = -1009990000001
GROUP_TITLE = "Buurtteam"
FIRST_UPDATE_ID = 100_000_001
# Where the next update id is kept, so a later session's updates are not taken for old ones.
COUNTER_KEY = "sandbox_next_update_id"
TAG = re.compile(r"<[^>]+>")
# A tiny JPEG and a voice note's bytes, for /photo and /voice without a file.
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200 + b"\xff\xd9"
OGG = b"OggS" + b"\x00" * 400
# How far /move walks a live location without coordinates (about 40 m to the north-east).
STEP = (0.0003, 0.0003)
# Once nothing waits in the inbox or the outbox, the bot is done when it made no call for this
# long.
QUIET = 0.2
SETTLE_LIMIT = 15.0

HELP = """Type a message and press Enter. Also:
  a number           tap that button (inline or under the typing field)
  /as NAME [nl|fr|en] talk as someone else (a new person starts with no chat)
  /users             who is in this session
  /loc LAT LON       send a location (e.g. /loc 50.8467 4.3525)
  /live LAT LON [MIN] share a live location; /move [LAT LON] moves it; /stoplive stops it
  /photo [PATH]      send a photo (a small test picture without PATH)
  /voice [SECONDS]   send a voice note
  /edit TEXT         change your last text message
  /group TEXT        send TEXT (or a /command) in the team group
  /say TEXT          send TEXT as it is (e.g. a number)
  /chathelp          this list (/help goes to the bot)
  /quit              leave"""


def plain(text: str) -> str:
    """Return Telegram HTML as plain terminal text."""
    return html.unescape(TAG.sub("", text))


def buttons_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    """Return a message's inline buttons in reading order."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [button for row in rows for button in row]


def keyboard_buttons(keyboard: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Return the buttons of a reply keyboard in reading order (labels as objects)."""
    rows = (keyboard or {}).get("keyboard") or []
    return [b if isinstance(b, dict) else {"text": b} for row in rows for b in row]


def user_id_for(name: str) -> int:
    """Return a stable Telegram id for a simulated person's name (the same in every session)."""
    if name == FIRST_NAME:
        return CHAT_USER_ID
    return 2_000_000 + zlib.crc32(name.casefold().encode()) % 1_000_000_000


@dataclass
class Tap:
    """A numbered button: inline (on a message) or under the typing field."""

    button: dict[str, Any]
    message: dict[str, Any] | None = None


@dataclass
class ChatView:
    """What the terminal already showed of one chat."""

    name: str
    shown: dict[int, str] = field(default_factory=dict)
    keyboard: str = "null"
    reactions: dict[int, str] = field(default_factory=dict)
    taps: list[Tap] = field(default_factory=list)


@dataclass
class Person:
    """A simulated person: their sandbox user and what they did last."""

    name: str
    user: SandboxUser
    last_text: int | None = None
    live: int | None = None
    position: tuple[float, float] | None = None


class TerminalChat:
    """Shows the bot's messages as they arrive and turns typed lines into people's actions."""

    def __init__(
        self,
        server: SandboxServer,
        out: TextIO = sys.stdout,
        language: str = "nl",
        database: sessionmaker[Session] | None = None,
    ) -> None:
        self.server = server
        self.database = database
        self.out = out
        self.language = language
        self.people: dict[str, Person] = {}
        self.views: dict[int, ChatView] = {}
        self.group: SandboxGroup | None = None
        self.group_members: set[int] = set()
        self.answers: list[tuple[int, str]] = []
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self.current = self._person(FIRST_NAME, language)

    # -- people and chats

    def _person(self, name: str, language: str) -> Person:
        person = self.people.get(name.casefold())
        if person is None:
            user = self.server.user(
                user_id=user_id_for(name), first_name=name, language_code=language
            )
            person = self.people[name.casefold()] = Person(name, user)
            self.views[user.chat_id] = ChatView(name)
            if self.group is not None:
                self.group.add_member(user)
                self.group_members.add(user.user_id)
        return person

    def _team_group(self) -> SandboxGroup:
        if self.group is None:
            group = self.server.group(chat_id=GROUP_ID, title=GROUP_TITLE, user=self.current.user)
            group.add_bot(by=self.current.user)
            self.group_members.add(self.current.user.user_id)
            for person in self.people.values():
                if person is not self.current:
                    group.add_member(person.user)
                    self.group_members.add(person.user.user_id)
            self.views[GROUP_ID] = ChatView(GROUP_TITLE)
            self.group = group
        return self.group

    # -- showing what the bot did

    def _write(self, text: str) -> None:
        with self._lock:
            self.out.write(text)
            self.out.flush()

    def prompt(self) -> None:
        """Show whose turn it is."""
        self._write(f"{self.current.name}> ")

    def show_new(self) -> None:
        """Print what changed in every chat since the last look: messages, edits, buttons."""
        with self._lock:
            for chat_id, view in list(self.views.items()):
                self._show_chat(chat_id, view)
            self._show_answers()

    def _handle(self, chat_id: int) -> SandboxUser | SandboxGroup:
        if chat_id == GROUP_ID and self.group is not None:
            return self.group
        return next(p.user for p in self.people.values() if p.user.chat_id == chat_id)

    def _show_chat(self, chat_id: int, view: ChatView) -> None:
        handle = self._handle(chat_id)
        changed = False
        newest_inline: dict[str, Any] | None = None
        for message in handle.messages():
            snapshot = json.dumps(
                [message.get("text"), message.get("caption"), message.get("reply_markup")],
                sort_keys=True,
            )
            if buttons_of(message):
                newest_inline = message
            before = view.shown.get(message["message_id"])
            if before == snapshot:
                continue
            view.shown[message["message_id"]] = snapshot
            self._write(
                f"\n[{view.name}] bot{'' if before is None else ' (edited)'}> "
                f"{self._describe(message)}\n"
            )
            changed = True
        keyboard = handle.keyboard()
        shown_keyboard = json.dumps(keyboard, sort_keys=True)
        if shown_keyboard != view.keyboard:
            view.keyboard = shown_keyboard
            changed = True
            if keyboard is None:
                self._write(f"[{view.name}] (the buttons under the typing field are gone)\n")
        for message_id, marks in self.server.reactions(chat_id).items():
            mark = " ".join(m.get("emoji", "?") for m in marks)
            if view.reactions.get(message_id) != mark:
                view.reactions[message_id] = mark
                self._write(f"[{view.name}] bot reacted {mark} to message {message_id}\n")
        taps = [Tap(b, newest_inline) for b in buttons_of(newest_inline or {})]
        taps += [Tap(b) for b in keyboard_buttons(keyboard)]
        if changed and self._signature(taps) != self._signature(view.taps):
            # Listed again only when they changed: numbers stay what the reader last saw.
            view.taps = taps
            self._list_taps(view)

    @staticmethod
    def _signature(taps: list[Tap]) -> str:
        return json.dumps(
            [[t.button, t.message["message_id"] if t.message else None] for t in taps],
            sort_keys=True,
        )

    def _describe(self, message: dict[str, Any]) -> str:
        text = plain(message.get("text") or message.get("caption") or "")
        for kind in ("photo", "document", "voice", "video", "location"):
            if message.get(kind):
                name = message[kind].get("file_name", "") if kind == "document" else ""
                text = f"[{kind}{' ' + name if name else ''}] {text}".strip()
        return text

    def _list_taps(self, view: ChatView) -> None:
        inline = [t for t in view.taps if t.message is not None]
        under = [t for t in view.taps if t.message is None]
        for number, tap in enumerate(inline, 1):
            extra = f" -> {tap.button['url']}" if "url" in tap.button else ""
            self._write(f"   [{number}] {tap.button['text']}{extra}\n")
        if under:
            self._write("   under the typing field:\n")
            for number, tap in enumerate(under, len(inline) + 1):
                extra = " (sends your location)" if tap.button.get("request_location") else ""
                self._write(f"   [{number}] {tap.button['text']}{extra}\n")

    def _show_answers(self) -> None:
        waiting = []
        for chat_id, query_id in self.answers:
            answer = self.server.callback_answer(query_id)
            if answer is None:
                waiting.append((chat_id, query_id))
            elif answer.get("text"):
                kind = "alert" if answer.get("show_alert") else "popup"
                name = self.views[chat_id].name if chat_id in self.views else "?"
                self._write(f"[{name}] ({kind}) {answer['text']}\n")
        self.answers = waiting

    def watch(self) -> None:
        """Print incoming messages until stopped (reminders come without being asked)."""
        while not self._stop.is_set():
            self.show_new()
            time.sleep(0.2)

    def stop(self) -> None:
        """Stop watching."""
        self._stop.set()

    def settle(self, limit: float = SETTLE_LIMIT) -> None:
        """Wait until the bot has answered everything sent so far, then show it.

        Answered: Telegram's queue is taken, the inbox processed and every reply due is sent
        (replies go out at one a second per chat); then no call for a moment.
        """
        deadline = time.monotonic() + limit
        calls, since = self.server.call_count(), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.05)
            count = self.server.call_count()
            if count != calls or self.server.pending_updates() or self._bot_busy():
                calls, since = count, time.monotonic()
            elif time.monotonic() - since >= QUIET:
                break
        self.show_new()

    def _bot_busy(self) -> bool:
        if self.database is None:
            return False
        with reading(self.database) as session:
            now = datetime.now(UTC)
            return bool(
                pipeline.inbox_backlog(session) or pipeline.outbox_backlog(session, due_by=now)
            )

    # -- acting on typed lines

    def handle(self, line: str) -> bool:
        """Act on one typed line; return False to leave. Mistakes get a line, never an exit."""
        line = line.strip()
        if not line:
            return True
        if line in ("/quit", "/exit"):
            return False
        try:
            self._act(line)
        except (SandboxError, ApiError, ValueError, OSError) as error:
            self._write(f"({error})\n")
        return True

    def _act(self, line: str) -> None:
        person = self.current
        if line.isascii() and line.isdigit():
            self._tap(line)
            return
        word, _, rest = line.partition(" ")
        rest = rest.strip()
        local = {
            "/as": self._as,
            "/users": lambda _: self._users(),
            "/loc": self._location,
            "/live": self._live,
            "/move": self._move,
            "/stoplive": lambda _: self._stop_live(),
            "/photo": self._photo,
            "/voice": self._voice,
            "/edit": self._edit,
            "/group": self._group,
            "/say": self._say,
            "/chathelp": lambda _: self._write(HELP + "\n"),
        }
        if word in local:
            local[word](rest)
        elif line.startswith("/"):
            person.user.send_command(word, rest or None)
        else:
            self._say(line)

    def _tap(self, number: str) -> None:
        view = self.views[self.current.user.chat_id]
        index = int(number) - 1
        if not 0 <= index < len(view.taps):
            count = len(view.taps)
            hint = f"buttons 1 to {count}" if count else "no buttons shown"
            self._write(f"(there is no button {number}: {hint})\n")
            return
        tap = view.taps[index]
        user = self.current.user
        if tap.message is None:
            if tap.button.get("request_location"):
                lat, lon = self.current.position or (50.8467, 4.3525)
                user.press(tap.button["text"], lat, lon)
            else:
                user.press(tap.button["text"])
        elif "callback_data" in tap.button:
            query = user.click(tap.button["callback_data"], message=tap.message)
            self.answers.append((user.chat_id, query["id"]))
        else:
            self._write(f"(this button opens {tap.button.get('url', 'something else')})\n")

    def _as(self, rest: str) -> None:
        name, _, language = rest.partition(" ")
        if not name:
            raise ValueError("use: /as NAME [nl|fr|en]")
        language = language.strip() or self.language
        if language not in ("nl", "fr", "en"):
            raise ValueError("the language is nl, fr or en")
        self.current = self._person(name, language)
        self._write(f"(you are now {self.current.name})\n")
        self._list_taps(self.views[self.current.user.chat_id])

    def _users(self) -> None:
        for person in self.people.values():
            mark = "*" if person is self.current else " "
            self._write(f" {mark} {person.name} (Telegram id {person.user.user_id})\n")

    @staticmethod
    def _point(rest: str, usage: str) -> tuple[float, float]:
        parts = rest.split()
        try:
            return float(parts[0]), float(parts[1])
        except (IndexError, ValueError):
            raise ValueError(f"use: {usage}") from None

    def _location(self, rest: str) -> None:
        lat, lon = self._point(rest, "/loc 50.8467 4.3525")
        self.current.user.send_location(lat, lon)
        self.current.position = (lat, lon)

    def _live(self, rest: str) -> None:
        lat, lon = self._point(rest, "/live 50.8467 4.3525 [minutes]")
        parts = rest.split()
        minutes = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 60
        message = self.current.user.send_location(lat, lon, live_period=max(1, minutes) * 60)
        self.current.live = message["message_id"]
        self.current.position = (lat, lon)

    def _move(self, rest: str) -> None:
        person = self.current
        if person.live is None or person.position is None:
            raise ValueError("share a live location first: /live LAT LON")
        if rest:
            lat, lon = self._point(rest, "/move [LAT LON]")
        else:
            lat, lon = person.position[0] + STEP[0], person.position[1] + STEP[1]
        person.user.edit_location(person.live, lat, lon)
        person.position = (lat, lon)
        self._write(f"(your live location moved to {lat:.5f} {lon:.5f})\n")

    def _stop_live(self) -> None:
        person = self.current
        if person.live is None:
            raise ValueError("no live location is being shared")
        person.user.stop_live_location(person.live)
        person.live = None

    def _photo(self, rest: str) -> None:
        data = JPEG
        if rest:
            path = Path(rest).expanduser()
            if not path.is_file():
                raise ValueError(f"no such file: {path}")
            data = path.read_bytes()
        self.current.user.send_photo(data)

    def _voice(self, rest: str) -> None:
        seconds = int(rest) if rest.isascii() and rest.isdigit() else 3
        self.current.user.send_voice(OGG, duration=max(1, seconds))

    def _edit(self, rest: str) -> None:
        person = self.current
        if person.last_text is None or not rest:
            raise ValueError("use /edit NEW TEXT after sending a text")
        person.user.edit_text(person.last_text, rest)

    def _group(self, rest: str) -> None:
        if not rest:
            raise ValueError("use: /group TEXT")
        group = self._team_group()
        if self.current.user.user_id not in self.group_members:
            group.add_member(self.current.user)
            self.group_members.add(self.current.user.user_id)
        if rest.startswith("/"):
            command, _, args = rest.partition(" ")
            group.send_command(command, args.strip() or None, user=self.current.user)
        else:
            group.send_text(rest, user=self.current.user)

    def _say(self, text: str) -> None:
        if not text:
            raise ValueError("use: /say TEXT")
        message = self.current.user.send_text(text)
        self.current.last_text = message["message_id"]


def first_update_id(database_url: str) -> int:
    """Return where this session's update ids start: after every id the bot has seen."""
    engine = make_engine(database_url)
    try:
        with reading(make_session_factory(engine)) as session:
            last = pipeline.last_update_id(session) or 0
            kept = deployment.get_value(session, COUNTER_KEY)
    finally:
        engine.dispose()
    stored = int(kept) if kept and kept.isdigit() else 0
    return max(FIRST_UPDATE_ID, last + 1, stored)


def keep_update_counter(database_url: str, next_id: int) -> None:
    """Remember where the next session's update ids start."""
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine).begin() as session:
            deployment.set_value(session, COUNTER_KEY, str(next_id))
    finally:
        engine.dispose()


def run_chat(
    settings: Settings, stdin: Iterable[str] = sys.stdin, out: TextIO = sys.stdout
) -> None:
    """Start the sandbox and the real bot, then chat until /quit or end of input.

    Each line is taken once the bot has answered the one before, so a script piped in (or
    any iterable of lines) plays like a person typing.
    """
    upgrade(settings.database_url)
    server = SandboxServer(strict=True, first_update_id=first_update_id(settings.database_url))
    server.start()
    chat_settings = settings.with_overrides(
        telegram_token=server.token,
        telegram_api_url=server.url,
        bot_username=settings.bot_username or server.bot_username,
        poll_timeout=10,
    )
    bot = BotThread(chat_settings)
    engine = make_engine(settings.database_url)
    try:
        bot.start()
        chat = TerminalChat(server, out, settings.default_language, make_session_factory(engine))
        out.write(f"Buurtbot sandbox chat (database: {settings.database_url}).\n{HELP}\n")
        chat.settle()
        chat.prompt()
        watcher = threading.Thread(target=chat.watch, daemon=True)
        watcher.start()
        for line in stdin:
            if not chat.handle(line):
                break
            chat.settle()
            chat.prompt()
        chat.settle()
        chat.stop()
        watcher.join(timeout=2)
    finally:
        bot.stop()
        engine.dispose()
        keep_update_counter(settings.database_url, server.next_update_id)
        server.stop()
    out.write("\n")
