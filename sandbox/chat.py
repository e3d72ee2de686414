"""`buurtbot chat`: talk to the real bot from a terminal through the local Bot API sandbox."""

from __future__ import annotations

import html
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any, TextIO

from bot.runtime.runner import BotThread
from bot.runtime.settings import Settings
from sandbox.server import SandboxServer

CHAT_USER_ID = 1001
TAG = re.compile(r"<[^>]+>")

HELP = """Type a message and press Enter. Also:
  a number       tap that button
  /loc LAT LON   send a location (e.g. /loc 50.8467 4.3525)
  /photo PATH    send a photo from a file
  /quit          leave"""


def plain(text: str) -> str:
    """Return Telegram HTML as plain terminal text."""
    return html.unescape(TAG.sub("", text))


def buttons_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    """Return a message's buttons in reading order (inline or reply keyboard)."""
    markup = message.get("reply_markup") or {}
    rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
    return [button for row in rows for button in row]


class TerminalChat:
    """Shows the bot's messages as they arrive and turns typed lines into user actions."""

    def __init__(self, server: SandboxServer, out: TextIO = sys.stdout) -> None:
        self.server = server
        self.user = server.user(user_id=CHAT_USER_ID, first_name="You", language_code="nl")
        self.out = out
        self.buttons: list[dict[str, Any]] = []
        self.button_message: dict[str, Any] | None = None
        self._seen = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def show_new(self) -> None:
        """Print bot messages that arrived since the last look."""
        with self._lock:
            messages = self.user.messages()
            for message in messages[self._seen :]:
                self._show(message)
            self._seen = len(messages)

    def _show(self, message: dict[str, Any]) -> None:
        text = message.get("text") or message.get("caption") or ""
        if message.get("photo"):
            text = f"[photo] {text}".strip()
        if message.get("document"):
            text = f"[file {message['document'].get('file_name', '')}] {text}".strip()
        self.out.write(f"\nbot> {plain(text)}\n")
        buttons = buttons_of(message)
        if buttons:
            self.buttons = buttons
            self.button_message = message
            for number, button in enumerate(buttons, 1):
                self.out.write(f"   [{number}] {button['text']}\n")
        self.out.write("you> ")
        self.out.flush()

    def watch(self) -> None:
        """Print incoming messages until stopped."""
        while not self._stop.is_set():
            self.show_new()
            time.sleep(0.2)

    def handle(self, line: str) -> bool:
        """Act on one typed line; return False to leave."""
        line = line.strip()
        if not line:
            return True
        if line in ("/quit", "/exit"):
            return False
        if line.isdigit() and self.buttons:
            index = int(line) - 1
            if not 0 <= index < len(self.buttons):
                self.out.write(f"(there is no button {line})\nyou> ")
                return True
            button = self.buttons[index]
            if "callback_data" in button:
                self.user.click(button["callback_data"], message=self.button_message)
            elif button.get("request_location"):
                self.out.write("(send your location with /loc LAT LON)\nyou> ")
            else:
                self.user.send_text(button["text"])
            return True
        if line.startswith("/loc"):
            parts = line.split()
            try:
                lat, lon = float(parts[1]), float(parts[2])
            except (IndexError, ValueError):
                self.out.write("(use: /loc 50.8467 4.3525)\nyou> ")
                return True
            self.user.send_location(lat, lon)
            return True
        if line.startswith("/photo"):
            path = Path(line[len("/photo") :].strip()).expanduser()
            if not path.is_file():
                self.out.write(f"(no such file: {path})\nyou> ")
                return True
            self.user.send_photo(path.read_bytes())
            return True
        if line.startswith("/"):
            command, _, args = line.partition(" ")
            self.user.send_command(command, args.strip() or None)
            return True
        self.user.send_text(line)
        return True

    def stop(self) -> None:
        """Stop watching."""
        self._stop.set()


def run_chat(settings: Settings, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout) -> None:
    """Start the sandbox and the real bot, then chat until /quit or end of input."""
    server = SandboxServer(strict=True)
    server.start()
    chat_settings = settings.with_overrides(
        telegram_token=server.token,
        telegram_api_url=server.url,
        bot_username=settings.bot_username or server.bot_username,
        poll_timeout=10,
    )
    bot = BotThread(chat_settings)
    try:
        bot.start()
        chat = TerminalChat(server, out)
        out.write(f"Buurtbot sandbox chat (database: {settings.database_url}).\n{HELP}\nyou> ")
        out.flush()
        watcher = threading.Thread(target=chat.watch, daemon=True)
        watcher.start()
        for line in stdin:
            if not chat.handle(line):
                break
        time.sleep(0.5)
        chat.show_new()
        chat.stop()
    finally:
        bot.stop()
        server.stop()
    out.write("\n")
