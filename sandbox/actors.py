"""Simulated Telegram users and groups that drive a SandboxServer from test code."""

from __future__ import annotations

import asyncio
import copy
import time
from typing import TYPE_CHECKING, Any

from .spec import auto_entities, utf16_len

if TYPE_CHECKING:
    from .server import SandboxServer, _Chat

__all__ = ["SandboxError", "SandboxGroup", "SandboxUser"]

_DEFAULT_LOCATION = (50.8467, 4.3525)  # Grand-Place, Brussels
_STICKER_BYTES = (
    b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00"
    b"\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
)


class SandboxError(AssertionError):
    """Misuse of the sandbox from test code (no such button, bot not in the group, ...)."""


class _ChatHandle:
    """What a test can observe in one chat: the bot's messages, keyboards and chat actions."""

    def __init__(self, server: SandboxServer, chat_id: int) -> None:
        """Bind the handle to a chat of a server."""
        self._server = server
        self.chat_id = chat_id

    def _state(self) -> _Chat:
        return self._server._chat(self.chat_id)

    def messages(self) -> list[dict[str, Any]]:
        """Return the bot's messages in this chat, in order, with edits applied, minus deleted."""
        with self._server._lock:
            chat = self._state()
            return [copy.deepcopy(chat.messages[m]) for m in chat.bot_ids if m not in chat.deleted]

    def all_messages(self) -> list[dict[str, Any]]:
        """Return every message in the chat (user and bot), in order, minus deleted ones."""
        with self._server._lock:
            chat = self._state()
            return [
                copy.deepcopy(m)
                for mid, m in sorted(chat.messages.items())
                if mid not in chat.deleted
            ]

    def new_messages(self) -> list[dict[str, Any]]:
        """Return the bot messages sent since the read cursor, without waiting; advance it."""
        with self._server._lock:
            chat = self._state()
            ids = chat.bot_ids[chat.cursor :]
            chat.cursor = len(chat.bot_ids)
            return [copy.deepcopy(chat.messages[m]) for m in ids]

    def wait_for_messages(self, count: int = 1, timeout: float = 15.0) -> list[dict[str, Any]]:
        """Wait for the next `count` bot messages after the read cursor; advance the cursor."""
        deadline = time.monotonic() + timeout
        server = self._server
        with server._cond:
            while True:
                chat = self._state()
                if len(chat.bot_ids) - chat.cursor >= count:
                    ids = chat.bot_ids[chat.cursor : chat.cursor + count]
                    chat.cursor += count
                    return [copy.deepcopy(chat.messages[m]) for m in ids]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(self._timeout_report(count, timeout))
                server._cond.wait(min(remaining, 0.25))

    async def wait_for_messages_async(
        self, count: int = 1, timeout: float = 15.0
    ) -> list[dict[str, Any]]:
        """Await wait_for_messages() in a worker thread (for tests running an event loop)."""
        return await asyncio.to_thread(self.wait_for_messages, count, timeout)

    def _timeout_report(self, count: int, timeout: float) -> str:
        server = self._server
        chat = self._state()
        new = [chat.messages[m] for m in chat.bot_ids[chat.cursor :]]
        old = [chat.messages[m] for m in chat.bot_ids[max(0, chat.cursor - 5) : chat.cursor]]
        lines = [
            f"expected {count} new bot message(s) in chat {self.chat_id} within {timeout:g} s, "
            f"got {len(new)}",
            f"  new: {[_short(m) for m in new]}",
            f"  already read (last 5): {[_short(m) for m in old]}",
            f"  pending updates (not yet confirmed by the bot): {len(server._updates)}",
        ]
        recent = server._calls[-12:]
        lines.append("  last API calls:")
        for call in recent:
            outcome = (
                call["status"] if call["error"] is None else f"{call['status']} {call['error']}"
            )
            lines.append(f"    {call['method']} {_brief(call['params'])} -> {outcome}")
        if server.violations:
            lines.append(f"  violations: {server.violations[-5:]}")
        return "\n".join(lines)

    def keyboard(self) -> dict[str, Any] | None:
        """Return the reply keyboard currently shown in this chat (ReplyKeyboardMarkup) or None."""
        with self._server._lock:
            return copy.deepcopy(self._state().keyboard)

    def chat_actions(self) -> list[str]:
        """Return the chat actions (typing, upload_photo, ...) the bot sent to this chat."""
        with self._server._lock:
            return list(self._state().actions)


class SandboxUser(_ChatHandle):
    """A Telegram user talking to the bot in their private chat (chat id == user id)."""

    def __init__(self, server: SandboxServer, user_id: int) -> None:
        """Bind the handle to a user created by SandboxServer.user()."""
        super().__init__(server, user_id)
        self.user_id = user_id

    @property
    def user(self) -> dict[str, Any]:
        """Return the Telegram User object of this user."""
        with self._server._lock:
            return copy.deepcopy(self._server._users[self.user_id])

    # -- messages

    def send(self, content: dict[str, Any], reply_to: int | None = None) -> dict[str, Any]:
        """Send a message with arbitrary Message content fields; return the Message."""
        return self._server._user_message(self.chat_id, self.user_id, content, reply_to)

    def send_text(self, text: str, reply_to: int | None = None) -> dict[str, Any]:
        """Send a text message (commands, URLs and mentions get entities, as in Telegram)."""
        return self.send({"text": text}, reply_to)

    def send_command(self, command: str, args: str | None = None) -> dict[str, Any]:
        """Send a bot command such as "/start" with optional arguments."""
        if not command.startswith("/"):
            command = "/" + command
        text = f"{command} {args}" if args else command
        entity = {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
        return self.send({"text": text, "entities": [entity]})

    def send_location(
        self,
        latitude: float,
        longitude: float,
        live_period: int | None = None,
        horizontal_accuracy: float | None = None,
    ) -> dict[str, Any]:
        """Share a location; with live_period it is a live location that can be edited."""
        location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
        if horizontal_accuracy is not None:
            location["horizontal_accuracy"] = horizontal_accuracy
        if live_period is not None:
            location["live_period"] = live_period
        return self.send({"location": location})

    def edit_location(
        self,
        message_id: int,
        latitude: float,
        longitude: float,
        horizontal_accuracy: float | None = None,
        heading: int | None = None,
    ) -> dict[str, Any]:
        """Move a live location; the bot receives an edited_message update."""

        def change(message: dict[str, Any]) -> None:
            location = message.get("location")
            if not location or "live_period" not in location:
                raise SandboxError(f"message {message_id} is not an active live location")
            location.update(latitude=latitude, longitude=longitude)
            for key, value in (("horizontal_accuracy", horizontal_accuracy), ("heading", heading)):
                if value is None:
                    location.pop(key, None)
                else:
                    location[key] = value

        message = self._server._user_edit(self.chat_id, self.user_id, message_id, change)
        with self._server._lock:
            self._state().last_location = (latitude, longitude)
        return message

    def stop_live_location(self, message_id: int) -> dict[str, Any]:
        """Stop sharing a live location (edited_message whose location has no live_period)."""

        def change(message: dict[str, Any]) -> None:
            location = message.get("location")
            if not location or "live_period" not in location:
                raise SandboxError(f"message {message_id} is not an active live location")
            location.pop("live_period", None)
            location.pop("heading", None)

        return self._server._user_edit(self.chat_id, self.user_id, message_id, change)

    def edit_text(self, message_id: int, new_text: str) -> dict[str, Any]:
        """Edit one of the user's text messages (edited_message update)."""

        def change(message: dict[str, Any]) -> None:
            if "text" not in message:
                raise SandboxError(f"message {message_id} has no text")
            message["text"] = new_text
            entities = auto_entities(new_text)
            if entities:
                message["entities"] = entities
            else:
                message.pop("entities", None)

        return self._server._user_edit(self.chat_id, self.user_id, message_id, change)

    def _media(
        self,
        kind: str,
        data: bytes,
        caption: str | None,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        server = self._server
        with server._lock:
            stored = server._store_file(kind, data, file_name, mime_type, meta)
            obj = server._media_object(stored, meta or {})
        content: dict[str, Any] = {kind: obj}
        if caption:
            content["caption"] = caption
        return self.send(content)

    def send_photo(self, data: bytes, caption: str | None = None) -> dict[str, Any]:
        """Send a photo (PNG/JPEG bytes; sizes are read from the header) with a caption."""
        return self._media("photo", data, caption)

    def send_voice(self, data: bytes, duration: int = 3) -> dict[str, Any]:
        """Send a voice note (audio/ogg)."""
        return self._media("voice", data, None, mime_type="audio/ogg", meta={"duration": duration})

    def send_video(
        self, data: bytes, duration: int = 5, caption: str | None = None
    ) -> dict[str, Any]:
        """Send a video (video/mp4, 1280x720)."""
        meta = {"duration": duration, "width": 1280, "height": 720}
        return self._media("video", data, caption, mime_type="video/mp4", meta=meta)

    def send_video_note(self, data: bytes, duration: int = 5) -> dict[str, Any]:
        """Send a round video note."""
        return self._media("video_note", data, None, meta={"duration": duration, "length": 240})

    def send_audio(
        self, data: bytes, duration: int = 30, file_name: str = "audio.mp3"
    ) -> dict[str, Any]:
        """Send an audio file (music)."""
        return self._media(
            "audio",
            data,
            None,
            file_name=file_name,
            mime_type="audio/mpeg",
            meta={"duration": duration},
        )

    def send_document(
        self,
        data: bytes,
        file_name: str = "document.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
    ) -> dict[str, Any]:
        """Send a file as a document."""
        return self._media("document", data, caption, file_name=file_name, mime_type=mime_type)

    def send_sticker(self, emoji: str = "👍") -> dict[str, Any]:
        """Send a regular sticker."""
        return self._media("sticker", _STICKER_BYTES, None, meta={"emoji": emoji})

    def send_contact(
        self,
        phone_number: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        user_id: int | None = None,
    ) -> dict[str, Any]:
        """Share a contact; by default the user's own (as a request_contact button does)."""
        own = phone_number is None
        contact: dict[str, Any] = {
            "phone_number": phone_number or f"+3247{self.user_id % 10_000_000:07d}",
            "first_name": first_name or (self.user["first_name"] if own else "Contact"),
        }
        if last_name:
            contact["last_name"] = last_name
        if own or user_id is not None:
            contact["user_id"] = user_id or self.user_id
        return self.send({"contact": contact})

    def send_dice(self, emoji: str = "🎲", value: int | None = None) -> dict[str, Any]:
        """Throw a dice."""
        top = {"🎰": 64, "🏀": 5, "⚽": 5}.get(emoji, 6)
        with self._server._lock:
            rolled = value if value is not None else self._server._random.randint(1, top)
        return self.send({"dice": {"emoji": emoji, "value": rolled}})

    def send_poll(
        self, question: str = "Which day suits you?", options: list[str] | None = None
    ) -> dict[str, Any]:
        """Send a regular anonymous poll."""
        options = options or ["Monday", "Wednesday", "Friday"]
        with self._server._lock:
            poll_id = str(5_000_000_000_000_000 + self._server._random.getrandbits(40))
        poll = {
            "id": poll_id,
            "question": question,
            "options": [
                {"persistent_id": str(index), "text": o, "voter_count": 0}
                for index, o in enumerate(options)
            ],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
            "allows_revoting": False,
            "members_only": False,
        }
        return self.send({"poll": poll})

    def send_venue(
        self,
        latitude: float = _DEFAULT_LOCATION[0],
        longitude: float = _DEFAULT_LOCATION[1],
        title: str = "Grand-Place",
        address: str = "Grote Markt, 1000 Brussel",
    ) -> dict[str, Any]:
        """Share a venue (the message also carries its location)."""
        location = {"latitude": latitude, "longitude": longitude}
        venue = {"location": dict(location), "title": title, "address": address}
        return self.send({"venue": venue, "location": location})

    # -- buttons

    def click(self, label_or_data: str, message: dict[str, Any] | None = None) -> dict[str, Any]:
        """Press an inline button (by text or callback_data) on the newest bot message having it."""
        return self._server._click(self.chat_id, self.user_id, label_or_data, message)

    def press(
        self, text: str, latitude: float | None = None, longitude: float | None = None
    ) -> dict[str, Any]:
        """Tap a reply-keyboard button: sends its text, or a location/contact if it requests one."""
        with self._server._lock:
            chat = self._state()
            keyboard = chat.keyboard
            if keyboard is None:
                raise SandboxError(f"no reply keyboard is shown in chat {self.chat_id}")
            found: Any = None
            labels = []
            for row in keyboard["keyboard"]:
                for button in row:
                    label = button if isinstance(button, str) else button.get("text")
                    labels.append(label)
                    if label == text and found is None:
                        found = button
            if found is None:
                raise SandboxError(f"no reply keyboard button {text!r}; buttons: {labels}")
            last = chat.last_location
        if isinstance(found, dict) and found.get("request_location"):
            if latitude is None or longitude is None:
                latitude, longitude = last or _DEFAULT_LOCATION
            return self.send_location(latitude, longitude)
        if isinstance(found, dict) and found.get("request_contact"):
            return self.send_contact()
        return self.send_text(text)

    # -- membership

    def block(self) -> None:
        """Block the bot: further sends answer 403 and the bot gets my_chat_member (kicked)."""
        server = self._server
        with server._lock:
            chat = self._state()
            if chat.blocked:
                return
            chat.blocked = True
            server._member_update(chat, server._users[self.user_id], "member", "kicked")

    def unblock(self) -> None:
        """Unblock the bot (my_chat_member: kicked -> member)."""
        server = self._server
        with server._lock:
            chat = self._state()
            if not chat.blocked:
                return
            chat.blocked = False
            server._member_update(chat, server._users[self.user_id], "kicked", "member")


class SandboxGroup(_ChatHandle):
    """A group or supergroup with the bot in it; members send messages as SandboxUsers."""

    def __init__(self, server: SandboxServer, chat_id: int, user: SandboxUser | None) -> None:
        """Bind the handle to a group created by SandboxServer.group()."""
        super().__init__(server, chat_id)
        self.user = user

    def _sender(self, user: SandboxUser | None) -> SandboxUser:
        sender = user or self.user
        if sender is None:
            raise SandboxError("pass user= (or create the group with a default user)")
        return sender

    def send(
        self, content: dict[str, Any], user: SandboxUser | None = None, reply_to: int | None = None
    ) -> dict[str, Any]:
        """Send a message with arbitrary content as a member of the group."""
        sender = self._sender(user)
        return self._server._user_message(self.chat_id, sender.user_id, content, reply_to)

    def send_text(
        self, text: str, user: SandboxUser | None = None, reply_to: int | None = None
    ) -> dict[str, Any]:
        """Send a text message (privacy mode: the bot sees commands, mentions, replies)."""
        return self.send({"text": text}, user, reply_to)

    def send_command(
        self, command: str, args: str | None = None, user: SandboxUser | None = None
    ) -> dict[str, Any]:
        """Send a bot command, e.g. "/digest" or "/digest@botname"."""
        if not command.startswith("/"):
            command = "/" + command
        text = f"{command} {args}" if args else command
        entity = {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
        return self.send({"text": text, "entities": [entity]}, user)

    def click(
        self,
        label_or_data: str,
        message: dict[str, Any] | None = None,
        user: SandboxUser | None = None,
    ) -> dict[str, Any]:
        """Press an inline button on the newest bot message in the group that has it."""
        return self._server._click(self.chat_id, self._sender(user).user_id, label_or_data, message)

    def add_member(self, user: SandboxUser) -> dict[str, Any] | None:
        """Let a user join the group (a new_chat_members service message)."""
        server = self._server
        with server._lock:
            chat = self._state()
            chat.members.add(user.user_id)
            if chat.bot_status in {"left", "kicked"}:
                return None
        return self.send({"new_chat_members": [user.user]}, user)

    def add_bot(self, by: SandboxUser | None = None, admin: bool = False) -> None:
        """Add the bot to the group: my_chat_member update plus a new_chat_members message."""
        server = self._server
        sender = self._sender(by)
        with server._lock:
            chat = self._state()
            old = chat.bot_status
            new = "administrator" if admin else "member"
            if old == new:
                return
            chat.bot_status = new
            chat.members.add(sender.user_id)
            if chat.owner_id is None:
                chat.owner_id = sender.user_id
            server._member_update(chat, server._users[sender.user_id], old, new)
            if old in {"left", "kicked"}:
                bot = copy.deepcopy(server.bot_user)
                self.send({"new_chat_members": [bot]}, sender)

    def remove_bot(self, by: SandboxUser | None = None) -> None:
        """Kick the bot: further sends answer 403 and the bot gets my_chat_member (kicked)."""
        server = self._server
        sender = self._sender(by)
        with server._lock:
            chat = self._state()
            if chat.bot_status == "kicked":
                return
            old = chat.bot_status
            chat.bot_status = "kicked"
            server._member_update(chat, server._users[sender.user_id], old, "kicked")


def _short(message: dict[str, Any]) -> str:
    for key in ("text", "caption"):
        if key in message:
            return f"#{message['message_id']} {message[key][:60]!r}"
    kinds = [
        k for k in ("photo", "document", "voice", "video", "location", "sticker") if k in message
    ]
    return f"#{message['message_id']} <{kinds[0] if kinds else 'message'}>"


def _brief(params: dict[str, Any]) -> str:
    text = repr({k: v for k, v in params.items() if k not in {"reply_markup"}})
    return text if len(text) <= 120 else text[:117] + "..."
