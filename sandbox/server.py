"""A faithful local Telegram Bot API server for tests, `buurtbot chat` and `buurtbot demo`.

The sandbox speaks Telegram's HTTP protocol on 127.0.0.1 (``{url}/bot{token}/{method}``, files at
``{url}/file/bot{token}/{path}``), validates every request against the published Bot API spec
(``api-10.0.json``), and keeps chats, messages, files, commands and reactions in memory. Tests
play the users through :class:`SandboxUser` and :class:`SandboxGroup`; the bot under test talks
to the sandbox exactly as it would to api.telegram.org.

Example::

    with SandboxServer() as server:          # strict: spec violations -> 400 + server.violations
        bot = telegram.Bot(server.token, base_url=f"{server.url}/bot",
                           base_file_url=f"{server.url}/file/bot")
        amina = server.user(1001, "Amina", language_code="fr")
        amina.send_command("/start", "INVITE")
        ...                                  # run the bot (polling or webhook) elsewhere
        [welcome] = amina.wait_for_messages(1)
        amina.click("Wandelen")              # inline button by text or callback_data
        assert server.violations == []

Deliberate differences from api.telegram.org: unknown parameters and unknown fields in nested
objects are rejected (Telegram ignores them), a bare "&" in HTML is rejected (Telegram passes it
through), webhooks may use plain http on any port, and photo thumbnails share the original bytes.
The Python API is thread-safe and must not be called from the sandbox's own event loop.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import functools
import itertools
import json
import math
import mimetypes
import random
import re
import struct
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from .actors import SandboxError, SandboxGroup, SandboxUser
from .spec import (
    DEFAULT_EXCLUDED_UPDATES,
    ApiSpec,
    FormattedText,
    SpecError,
    Upload,
    Validated,
    auto_entities,
    format_text,
    load_spec,
)

__all__ = [
    "DOWNLOAD_LIMIT",
    "UPLOAD_LIMIT",
    "ApiError",
    "SandboxError",
    "SandboxGroup",
    "SandboxServer",
    "SandboxUser",
    "Upload",
]

#: getFile refuses files above this size, like the public Bot API ("file is too big").
DOWNLOAD_LIMIT = 20 * 1024 * 1024
#: Uploads above this size are refused with 413, like the public Bot API.
UPLOAD_LIMIT = 50 * 1024 * 1024

_ERROR_TEXT = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    413: "Request Entity Too Large",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
_FILE_PREFIX = {
    "photo": "AgAC",
    "document": "BQAC",
    "voice": "AwAC",
    "video": "BAAC",
    "audio": "CQAC",
    "animation": "CgAC",
    "sticker": "CAAC",
    "video_note": "DQAC",
}
_FILE_FOLDER = {
    "photo": "photos",
    "document": "documents",
    "voice": "voice",
    "video": "videos",
    "audio": "music",
    "animation": "animations",
    "sticker": "stickers",
    "video_note": "video_notes",
}
_DEFAULT_MIME = {
    "photo": "image/jpeg",
    "document": "application/octet-stream",
    "voice": "audio/ogg",
    "video": "video/mp4",
    "audio": "audio/mpeg",
    "animation": "video/mp4",
    "sticker": "image/webp",
    "video_note": "video/mp4",
}
_MEDIA_METHODS = {
    "sendPhoto": "photo",
    "sendDocument": "document",
    "sendVoice": "voice",
    "sendVideo": "video",
    "sendAudio": "audio",
    "sendAnimation": "animation",
    "sendSticker": "sticker",
    "sendVideoNote": "video_note",
}
_MEDIA_ECHO = ("has_spoiler", "show_caption_above_media")
_dumps = functools.partial(json.dumps, ensure_ascii=False)


class ApiError(Exception):
    """An error answer of the Bot API (error_code + description)."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        """Store the HTTP status, the Telegram description and an optional retry_after."""
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        """Return the Telegram-shaped JSON body."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def _forbidden(description: str) -> ApiError:
    return ApiError(403, f"Forbidden: {description}")


def _too_many(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)


@dataclass
class _Result:
    """A successful result with an extra top-level description (as setWebhook answers)."""

    value: Any
    description: str


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    file_name: str | None = None
    mime_type: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    file_path: str | None = None

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class _Chat:
    id: int
    type: str
    title: str | None = None
    username: str | None = None
    user_id: int | None = None  # private chats: the user
    started: bool = True
    blocked: bool = False
    bot_status: str = "member"  # groups: member / administrator / left / kicked
    owner_id: int | None = None
    members: set[int] = field(default_factory=set)
    next_message_id: int = 1
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    bot_ids: list[int] = field(default_factory=list)
    deleted: set[int] = field(default_factory=set)
    cursor: int = 0
    keyboard: dict[str, Any] | None = None
    force_reply: dict[str, Any] | None = None
    actions: list[str] = field(default_factory=list)
    reactions: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    last_send: float | None = None
    minute_sends: deque[float] = field(default_factory=deque)
    last_location: tuple[float, float] | None = None

    def take_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


class SandboxServer:
    """Local Telegram Bot API server running in a background thread with its own event loop."""

    def __init__(
        self,
        token: str = "123456:TEST-token",
        *,
        strict: bool = True,
        rate_limits: bool = False,
        bot_username: str = "buurtbot_sandbox_bot",
        bot_first_name: str = "Buurtbot Sandbox",
        group_privacy: bool = True,
        group_limit_per_minute: int | None = 20,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        host: str = "127.0.0.1",
        port: int = 0,
        spec: ApiSpec | None = None,
        seed: int = 0,
        first_update_id: int = 100_000_001,
        self_check: bool = False,
        file_link_ttl: float | None = None,
    ) -> None:
        """Configure the sandbox; nothing listens until start() is called.

        With `file_link_ttl` (seconds), every getFile hands out a new file_path that stops
        working (404) that long after, as Telegram's links do after about an hour.
        """
        if ":" not in token or not token.split(":", 1)[0].isdigit():
            raise ValueError("token must look like '<bot id>:<secret>'")
        self.token = token
        self.strict = strict
        self.rate_limits = rate_limits
        self.group_privacy = group_privacy
        self.group_limit_per_minute = group_limit_per_minute
        self.self_check = self_check
        self.spec = spec or load_spec()
        self.violations: list[str] = []
        self.too_many_requests = 0
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_user: dict[str, Any] = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self._clock = clock
        self._monotonic = monotonic
        self._host = host
        self._port = port
        self._random = random.Random(seed)
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._url: str | None = None
        self._closing = False
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = first_update_id
        self._allowed: frozenset[str] | None = None
        self._poll_waiters: set[asyncio.Future[None]] = set()
        self._poll_generation = 0
        self._webhook: dict[str, Any] | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._webhook_error: tuple[int, str] | None = None
        self._chats: dict[int, _Chat] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._user_handles: dict[int, SandboxUser] = {}
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self.file_link_ttl = file_link_ttl
        self._link_expiry: dict[str, float] = {}
        self._links = itertools.count(1)
        # refuse_files(): until when (monotonic) file downloads fail, how, and getFile too?
        self._files_down_until: float | None = None
        self._files_down_how = "502"
        self._files_down_get_file = False
        self.refused_file_requests = 0
        self._file_counter = itertools.count(1)
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._callbacks: dict[str, dict[str, Any]] = {}
        self._callback_counter = itertools.count(1)
        self._faults: dict[str, deque[str]] = {}
        self._send_times: deque[float] = deque()
        self._calls: list[dict[str, Any]] = []
        self._next_user_id = 1001
        self._next_group_id = -1001000000001
        self._handlers: dict[str, Callable[[Validated], Awaitable[Any]]] = {
            "getMe": self._m_get_me,
            "getUpdates": self._m_get_updates,
            "setWebhook": self._m_set_webhook,
            "deleteWebhook": self._m_delete_webhook,
            "getWebhookInfo": self._m_get_webhook_info,
            "close": self._m_true,
            "logOut": self._m_true,
            "sendMessage": self._m_send_message,
            "editMessageText": self._m_edit_message_text,
            "editMessageCaption": self._m_edit_message_caption,
            "editMessageReplyMarkup": self._m_edit_message_reply_markup,
            "deleteMessage": self._m_delete_message,
            "deleteMessages": self._m_delete_messages,
            "answerCallbackQuery": self._m_answer_callback_query,
            "sendChatAction": self._m_send_chat_action,
            "sendLocation": self._m_send_location,
            "sendVenue": self._m_send_venue,
            "sendContact": self._m_send_contact,
            "sendDice": self._m_send_dice,
            "sendPoll": self._m_send_poll,
            "sendMediaGroup": self._m_send_media_group,
            "copyMessage": self._m_copy_message,
            "forwardMessage": self._m_forward_message,
            "getFile": self._m_get_file,
            "setMyCommands": self._m_set_my_commands,
            "getMyCommands": self._m_get_my_commands,
            "deleteMyCommands": self._m_delete_my_commands,
            "setMessageReaction": self._m_set_message_reaction,
            "leaveChat": self._m_leave_chat,
            "getChat": self._m_get_chat,
            "getChatMember": self._m_get_chat_member,
        }
        for method in _MEDIA_METHODS:
            self._handlers[method] = self._m_send_media

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        """Return the root URL ("http://127.0.0.1:PORT"); the bot appends /bot{token}/..."""
        if self._url is None:
            raise SandboxError("the sandbox is not running; call start() first")
        return self._url

    @property
    def base_url(self) -> str:
        """Return the value for telegram.Bot(base_url=...)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """Return the value for telegram.Bot(base_file_url=...)."""
        return f"{self.url}/file/bot"

    @property
    def bot_username(self) -> str:
        """Return the sandbox bot's @username (without the @)."""
        return str(self.bot_user["username"])

    def start(self) -> SandboxServer:
        """Start listening on an ephemeral port in a background thread; return self."""
        if self._thread is not None:
            return self
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            loop.run_forever()

        self._closing = False
        self._loop = loop
        self._thread = threading.Thread(target=run, name="telegram-sandbox", daemon=True)
        self._thread.start()
        ready.wait()
        asyncio.run_coroutine_threadsafe(self._astart(), loop).result(timeout=30)
        return self

    async def _astart(self) -> None:
        app = web.Application(client_max_size=UPLOAD_LIMIT + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._handle_not_found)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        await site.start()
        self._runner = runner
        host, port = runner.addresses[0][:2]
        self._url = f"http://{host}:{port}"
        if self._webhook is not None:
            self._restart_webhook()

    def stop(self) -> None:
        """Stop the server and its thread (idempotent)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._astop(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        if not thread.is_alive():
            loop.close()
        self._loop = None
        self._thread = None
        self._url = None

    async def _astop(self) -> None:
        self._closing = True
        self._wake_pollers()
        await asyncio.sleep(0)  # let woken long polls answer before the runner shuts down
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(BaseException):
                await self._webhook_task
            self._webhook_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    def __enter__(self) -> SandboxServer:
        """Start the server."""
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        """Stop the server."""
        self.stop()

    # --------------------------------------------------------------- inspection API

    def calls(self, method: str | None = None) -> list[dict[str, Any]]:
        """Return the recorded API calls ({"method","params","time","status","error"})."""
        wanted = self.spec.method_name(method) or method if method else None
        with self._lock:
            return [
                copy.deepcopy(c) for c in self._calls if wanted is None or c["method"] == wanted
            ]

    @property
    def next_update_id(self) -> int:
        """Return the id the next update will get (a restarted sandbox can go on from it)."""
        with self._lock:
            return self._next_update_id

    def call_count(self) -> int:
        """Return how many API calls the bot has made so far (cheaper than calls())."""
        with self._lock:
            return len(self._calls)

    def pending_updates(self) -> int:
        """Return how many updates are not yet confirmed (getUpdates offset or webhook 2xx)."""
        with self._lock:
            return len(self._updates)

    def reactions(self, chat_id: int) -> dict[int, list[dict[str, Any]]]:
        """Return the reactions the bot set in a chat, by message_id."""
        with self._lock:
            return copy.deepcopy(self._chat(chat_id).reactions)

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str | None = None
    ) -> list[dict[str, Any]]:
        """Return the bot commands stored for exactly this scope and language."""
        with self._lock:
            key = (self._scope_key(scope), language_code or "")
            return copy.deepcopy(self._commands.get(key, []))

    def file_bytes(self, file_id: str) -> bytes:
        """Return the stored content of a file (sent by the bot or by a user)."""
        with self._lock:
            stored = self._files.get(file_id)
        if stored is None:
            raise SandboxError(f"unknown file_id {file_id!r}")
        return stored.data

    def callback_answer(self, callback_query_id: str) -> dict[str, Any] | None:
        """Return the bot's answerCallbackQuery parameters for a query, or None if unanswered."""
        with self._lock:
            entry = self._callbacks.get(callback_query_id)
            return copy.deepcopy(entry["answer"]) if entry else None

    def webhook_info(self) -> dict[str, Any]:
        """Return what getWebhookInfo would answer."""
        with self._lock:
            return self._webhook_info()

    def inject_faults(self, method: str, faults: str | Iterable[str]) -> None:
        """Queue faults for the next calls of a method ("429:N", "500", "delay:S", "hang:S")."""
        canonical = self.spec.method_name(method)
        if canonical is None:
            raise ValueError(f"unknown Bot API method {method!r}")
        items = [faults] if isinstance(faults, str) else list(faults)
        for fault in items:
            kind, _, arg = fault.partition(":")
            try:
                if kind in {"delay", "hang"}:
                    float(arg)
                elif kind == "429":
                    int(arg or "1")
                elif not (kind.isdigit() and 400 <= int(kind) <= 599):
                    raise ValueError(fault)
            except ValueError:
                raise ValueError(f"bad fault {fault!r}") from None
        with self._lock:
            self._faults.setdefault(canonical, deque()).extend(items)

    def refuse_files(
        self, seconds: float | None = None, *, get_file: bool = False, how: str = "502"
    ) -> None:
        """Make file downloads fail for `seconds` (None: until restore_files()), like a hiccup
        of Telegram's file server; with get_file=True getFile fails too.

        `how` is an HTTP status from 500 to 599, or "drop" to close the connection without
        an answer (getFile then answers 502). Refused requests are counted in
        `refused_file_requests`.
        """
        if how != "drop" and not (how.isdigit() and 500 <= int(how) <= 599):
            raise ValueError(f"bad way to refuse files {how!r}")
        with self._lock:
            self._files_down_until = (
                math.inf if seconds is None else self._monotonic() + float(seconds)
            )
            self._files_down_how = how
            self._files_down_get_file = get_file

    def restore_files(self) -> None:
        """Serve file downloads (and getFile) again."""
        with self._lock:
            self._files_down_until = None

    @property
    def files_down(self) -> bool:
        """Say whether file downloads are being refused right now."""
        with self._lock:
            until = self._files_down_until
            return until is not None and self._monotonic() < until

    @files_down.setter
    def files_down(self, down: bool) -> None:
        if down:
            self.refuse_files(get_file=self._files_down_get_file, how=self._files_down_how)
        else:
            self.restore_files()

    def wait_until(
        self, predicate: Callable[[], Any], timeout: float = 15.0, message: str = ""
    ) -> Any:
        """Block until predicate() is truthy (re-checked on every sandbox change); return it."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = predicate()
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(message or f"condition not met within {timeout:g} s")
                self._cond.wait(min(remaining, 0.25))

    # --------------------------------------------------------------- actors

    def user(
        self,
        user_id: int | None = None,
        first_name: str = "Test",
        language_code: str | None = "nl",
        username: str | None = None,
        last_name: str | None = None,
        *,
        started: bool = True,
    ) -> SandboxUser:
        """Create (or return) a user and its private chat (chat id == user id)."""
        with self._lock:
            if user_id is None:
                while self._next_user_id in self._users:
                    self._next_user_id += 1
                user_id = self._next_user_id
            if user_id in self._user_handles:
                return self._user_handles[user_id]
            if user_id <= 0 or user_id == self.bot_id:
                raise ValueError("user ids must be positive and differ from the bot id")
            user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
            if last_name:
                user["last_name"] = last_name
            if username:
                user["username"] = username
            if language_code:
                user["language_code"] = language_code
            self._users[user_id] = user
            self._chats[user_id] = _Chat(
                id=user_id, type="private", username=username, user_id=user_id, started=started
            )
            handle = SandboxUser(self, user_id)
            self._user_handles[user_id] = handle
            return handle

    def group(
        self,
        chat_id: int | None = None,
        title: str = "Team",
        user: SandboxUser | None = None,
        *,
        username: str | None = None,
        bot_member: bool = False,
    ) -> SandboxGroup:
        """Create (or return) a group; ids starting with -100 are supergroups."""
        with self._lock:
            if chat_id is None:
                chat_id = self._next_group_id
                self._next_group_id -= 1
            chat = self._chats.get(chat_id)
            if chat is None:
                if chat_id >= 0:
                    raise ValueError("group chat ids are negative")
                kind = "supergroup" if str(chat_id).startswith("-100") else "group"
                chat = _Chat(
                    id=chat_id,
                    type=kind,
                    title=title,
                    username=username,
                    bot_status="member" if bot_member else "left",
                )
                if user is not None:
                    chat.owner_id = user.user_id
                    chat.members.add(user.user_id)
                self._chats[chat_id] = chat
            return SandboxGroup(self, chat_id, user)

    def push_update(self, raw: dict[str, Any]) -> int:
        """Queue any raw update (update_id assigned); return its id, or 0 if filtered out."""
        kinds = [k for k in raw if k != "update_id"]
        if len(kinds) != 1:
            raise ValueError("an update has exactly one field besides update_id")
        with self._lock:
            return self._enqueue(kinds[0], copy.deepcopy(raw[kinds[0]]))

    # -------------------------------------------------------- internals for actors

    def _chat(self, chat_id: int) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            raise SandboxError(f"unknown chat {chat_id}")
        return chat

    def _chat_dict(self, chat: _Chat) -> dict[str, Any]:
        if chat.type == "private":
            user = self._users[chat.id]
            data = {"id": chat.id, "type": "private", "first_name": user["first_name"]}
            for key in ("last_name", "username"):
                if key in user:
                    data[key] = user[key]
            return data
        data = {"id": chat.id, "type": chat.type, "title": chat.title or ""}
        if chat.username:
            data["username"] = chat.username
        return data

    def _now(self) -> int:
        return int(self._clock())

    def _enqueue(self, kind: str, payload: dict[str, Any]) -> int:
        allowed = self._allowed
        if (allowed is None and kind in DEFAULT_EXCLUDED_UPDATES) or (
            allowed is not None and kind not in allowed
        ):
            return 0
        update_id = self._next_update_id
        self._next_update_id += 1
        update = {"update_id": update_id, kind: payload}
        self._self_check(f"update {kind}", update, ["Update"])
        self._updates.append(update)
        self._changed()
        return update_id

    def _changed(self) -> None:
        self._cond.notify_all()
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._wake_pollers)

    def _wake_pollers(self) -> None:
        for waiter in list(self._poll_waiters):
            if not waiter.done():
                waiter.set_result(None)
        self._poll_waiters.clear()

    def _user_message(
        self,
        chat_id: int,
        user_id: int,
        content: dict[str, Any],
        reply_to: int | None = None,
        date: int | None = None,
    ) -> dict[str, Any]:
        with self._lock:
            chat = self._chat(chat_id)
            if chat.type == "private" and chat.blocked:
                raise SandboxError(
                    f"user {user_id} has blocked the bot; call unblock() before sending"
                )
            if chat.type != "private":
                if chat.bot_status in {"left", "kicked"}:
                    raise SandboxError(
                        f"the bot is not a member of group {chat_id}; call add_bot() first"
                    )
                chat.members.add(user_id)
            message: dict[str, Any] = {
                "message_id": chat.take_message_id(),
                "from": copy.deepcopy(self._users[user_id]),
                "chat": self._chat_dict(chat),
                "date": self._now() if date is None else date,
            }
            if reply_to is not None:
                original = chat.messages.get(reply_to)
                if original is None:
                    raise SandboxError(f"no message {reply_to} in chat {chat_id} to reply to")
                message["reply_to_message"] = _without_reply(original)
            message.update(copy.deepcopy(content))
            if "text" in message and "entities" not in message:
                entities = auto_entities(message["text"])
                if entities:
                    message["entities"] = entities
            if "caption" in message and "caption_entities" not in message:
                entities = auto_entities(message["caption"])
                if entities:
                    message["caption_entities"] = entities
            if "location" in message:
                loc = message["location"]
                chat.last_location = (loc["latitude"], loc["longitude"])
            chat.messages[message["message_id"]] = message
            chat.started = True
            if chat.type == "private" or self._group_visible(chat, message):
                self._enqueue("message", copy.deepcopy(message))
            else:
                self._changed()
            return copy.deepcopy(message)

    def _user_edit(
        self, chat_id: int, user_id: int, message_id: int, change: Callable[[dict[str, Any]], None]
    ) -> dict[str, Any]:
        with self._lock:
            chat = self._chat(chat_id)
            message = chat.messages.get(message_id)
            if message is None or message_id in chat.deleted:
                raise SandboxError(f"no message {message_id} in chat {chat_id}")
            if message["from"]["id"] != user_id:
                raise SandboxError(f"message {message_id} was not sent by user {user_id}")
            change(message)
            message["edit_date"] = max(self._now(), message["date"])
            if chat.type == "private" or self._group_visible(chat, message):
                self._enqueue("edited_message", copy.deepcopy(message))
            return copy.deepcopy(message)

    def _group_visible(self, chat: _Chat, message: dict[str, Any]) -> bool:
        if not self.group_privacy or chat.bot_status == "administrator":
            return True
        service = {"new_chat_members", "left_chat_member", "group_chat_created", "new_chat_title"}
        if service & set(message):
            return True
        reply = message.get("reply_to_message")
        if reply and reply.get("from", {}).get("id") == self.bot_id:
            return True
        text = message.get("text") or message.get("caption") or ""
        username = self.bot_user["username"].lower()
        if f"@{username}" in text.lower():
            return True
        match = re.match(r"/[A-Za-z0-9_]+(?:@(\w+))?", text)
        return bool(match and (match.group(1) is None or match.group(1).lower() == username))

    def _click(
        self, chat_id: int, user_id: int, label: str, message: dict[str, Any] | None
    ) -> dict[str, Any]:
        with self._lock:
            chat = self._chat(chat_id)
            if message is not None:
                candidates = [message["message_id"]]
            else:
                candidates = [m for m in reversed(chat.bot_ids) if m not in chat.deleted]
            seen: list[str] = []
            for message_id in candidates:
                current = chat.messages.get(message_id)
                if current is None or message_id in chat.deleted:
                    raise SandboxError(f"message {message_id} does not exist in chat {chat_id}")
                keyboard = (current.get("reply_markup") or {}).get("inline_keyboard") or []
                for row in keyboard:
                    for button in row:
                        seen.append(f"{button.get('text')!r}->{button.get('callback_data')!r}")
                        if label not in (button.get("text"), button.get("callback_data")):
                            continue
                        if "callback_data" not in button:
                            raise SandboxError(
                                f"button {button.get('text')!r} has no callback_data: {button}"
                            )
                        return self._callback(chat, user_id, current, button["callback_data"])
            raise SandboxError(
                f"no inline button {label!r} in the bot's messages in chat {chat_id}; "
                f"buttons seen (newest first): {seen or 'none'}"
            )

    def _callback(
        self, chat: _Chat, user_id: int, message: dict[str, Any], data: str
    ) -> dict[str, Any]:
        query_id = str(4_000_000_000_000_000 + next(self._callback_counter))
        query = {
            "id": query_id,
            "from": copy.deepcopy(self._users[user_id]),
            "message": copy.deepcopy(message),
            "chat_instance": str(abs(chat.id) * 7919 + self.bot_id),
            "data": data,
        }
        self._callbacks[query_id] = {"query": query, "answer": None}
        self._enqueue("callback_query", copy.deepcopy(query))
        return copy.deepcopy(query)

    def _member_update(self, chat: _Chat, actor: dict[str, Any], old: str, new: str) -> None:
        update = {
            "chat": self._chat_dict(chat),
            "from": copy.deepcopy(actor),
            "date": self._now(),
            "old_chat_member": self._member(self.bot_user, old),
            "new_chat_member": self._member(self.bot_user, new),
        }
        self._enqueue("my_chat_member", update)

    def _member(self, user: dict[str, Any], status: str) -> dict[str, Any]:
        member: dict[str, Any] = {"status": status, "user": copy.deepcopy(user)}
        if status == "kicked":
            member["until_date"] = 0
        elif status == "administrator":
            for name, fspec in self.spec.fields("ChatMemberAdministrator").items():
                if fspec["required"] and fspec["types"] == ["Boolean"]:
                    member[name] = name not in {"can_be_edited", "is_anonymous"}
        return member

    def _store_file(
        self,
        kind: str,
        data: bytes,
        file_name: str | None = None,
        mime_type: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> _StoredFile:
        number = next(self._file_counter)
        noise = self._random.getrandbits(64).to_bytes(8, "big")
        raw = number.to_bytes(8, "big") + noise + self.bot_id.to_bytes(8, "big", signed=False)
        body = base64.urlsafe_b64encode(raw * 2).decode().rstrip("=")
        unique = base64.urlsafe_b64encode(number.to_bytes(6, "big") + noise[:3]).decode()
        stored = _StoredFile(
            file_id=_FILE_PREFIX.get(kind, "BQAC") + "gIAAxkBAAI" + body,
            file_unique_id="AQAD" + unique.rstrip("="),
            kind=kind,
            data=data,
            file_name=file_name,
            mime_type=mime_type or _DEFAULT_MIME.get(kind),
            meta=dict(meta or {}),
        )
        self._files[stored.file_id] = stored
        return stored

    def _media_object(self, stored: _StoredFile, params: dict[str, Any]) -> Any:
        kind = stored.kind
        if kind == "photo":
            return self._photo_sizes(stored)
        obj: dict[str, Any] = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
        meta = stored.meta
        duration = int(params.get("duration") or meta.get("duration") or 1)
        if kind in {"video", "animation"}:
            obj["width"] = int(params.get("width") or meta.get("width") or 1280)
            obj["height"] = int(params.get("height") or meta.get("height") or 720)
            obj["duration"] = duration
        elif kind in {"voice", "audio"}:
            obj["duration"] = duration
            for key in ("performer", "title"):
                if params.get(key):
                    obj[key] = params[key]
        elif kind == "video_note":
            obj["length"] = int(params.get("length") or meta.get("length") or 240)
            obj["duration"] = duration
        elif kind == "sticker":
            obj.update(
                type="regular",
                width=512,
                height=512,
                is_animated=False,
                is_video=False,
                emoji=meta.get("emoji", "👍"),
                set_name=meta.get("set_name", "SandboxStickers"),
            )
        if stored.file_name and kind in {"document", "video", "audio", "animation"}:
            obj["file_name"] = stored.file_name
        if stored.mime_type and kind not in {"sticker", "video_note"}:
            obj["mime_type"] = stored.mime_type
        obj["file_size"] = stored.size
        return obj

    def _photo_sizes(self, stored: _StoredFile) -> list[dict[str, Any]]:
        sizes = stored.meta.get("sizes")
        if sizes is not None:
            return copy.deepcopy(sizes)
        width, height = _image_size(stored.data)
        longest = max(width, height)
        result: list[dict[str, Any]] = []
        for limit in (90, 320, 800, 1280):
            if limit >= longest:
                break
            scale = limit / longest
            variant = self._store_file("photo", stored.data, mime_type=stored.mime_type)
            variant.meta["sizes"] = None
            result.append(
                {
                    "file_id": variant.file_id,
                    "file_unique_id": variant.file_unique_id,
                    "width": max(1, round(width * scale)),
                    "height": max(1, round(height * scale)),
                    "file_size": max(1, round(stored.size * scale * scale)),
                }
            )
        result.append(
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "width": width,
                "height": height,
                "file_size": stored.size,
            }
        )
        stored.meta["sizes"] = result
        for size in result[:-1]:
            self._files[size["file_id"]].meta["sizes"] = result
        return copy.deepcopy(result)

    # --------------------------------------------------------------------- HTTP

    async def _handle_api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._respond(ApiError(401, "Unauthorized"))
        method = self.spec.method_name(request.match_info["method"])
        if method is None:
            return self._respond(ApiError(404, "Not Found: method not found"))
        try:
            params, uploads = await self._read_params(request)
        except ApiError as exc:
            return self._respond(exc)
        record: dict[str, Any] = {
            "method": method,
            "params": _summarize(params),
            "time": self._monotonic(),
            "status": None,
            "error": None,
        }
        with self._lock:
            self._calls.append(record)
        try:
            result = await self._dispatch(method, params, uploads, record)
        except ApiError as exc:
            with self._lock:
                record["status"] = exc.code
                record["error"] = exc.description
                if exc.code == 429:
                    self.too_many_requests += 1
                self._cond.notify_all()
            return self._respond(exc)
        with self._lock:
            record["status"] = 200
            self._cond.notify_all()
        body: dict[str, Any] = {"ok": True}
        if isinstance(result, _Result):
            body["result"] = result.value
            body["description"] = result.description
        else:
            body["result"] = result
        self._self_check(f"result of {method}", body["result"], self.spec.returns(method))
        return web.json_response(body, dumps=_dumps)

    def _respond(self, error: ApiError) -> web.Response:
        return web.json_response(error.payload(), status=error.code, dumps=_dumps)

    async def _read_params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
        params: dict[str, Any] = dict(request.query)
        uploads: dict[str, Upload] = {}
        if request.method != "POST" or not request.can_read_body:
            return params, uploads
        ctype = request.content_type
        try:
            if ctype == "multipart/form-data":
                reader = await request.multipart()
                total = 0
                async for part in reader:
                    if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                        await part.release()
                        continue
                    if part.filename is not None:
                        data = bytes(await part.read(decode=False))
                        total += len(data)
                        if total > UPLOAD_LIMIT:
                            raise ApiError(413, "Request Entity Too Large")
                        ctype_header = part.headers.get(aiohttp.hdrs.CONTENT_TYPE)
                        upload = Upload(data, part.filename, ctype_header)
                        uploads[part.name] = upload
                        params[part.name] = upload
                    else:
                        params[part.name] = await part.text()
            elif ctype == "application/json":
                raw = await request.read()
                if raw.strip():
                    try:
                        body = json.loads(raw)
                    except ValueError:
                        raise _bad("can't parse JSON request body") from None
                    if not isinstance(body, dict):
                        raise _bad("the JSON request body must be an object")
                    params.update({k: v for k, v in body.items() if v is not None})
            else:
                form = await request.post()
                params.update({k: v for k, v in form.items() if isinstance(v, str)})
        except web.HTTPRequestEntityTooLarge:
            raise ApiError(413, "Request Entity Too Large") from None
        return params, uploads

    async def _handle_not_found(self, request: web.Request) -> web.Response:
        return self._respond(ApiError(404, "Not Found"))

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._respond(ApiError(401, "Unauthorized"))
        if self.files_down:
            with self._lock:
                self.refused_file_requests += 1
                how = self._files_down_how
                self._cond.notify_all()
            if how == "drop" and request.transport is not None:
                request.transport.abort()
                raise web.HTTPBadGateway()  # never reaches the client: the connection is gone
            code = 502 if how == "drop" else int(how)
            return self._respond(ApiError(code, _ERROR_TEXT.get(code, "Error")))
        path = request.match_info["path"]
        with self._lock:
            stored = self._files_by_path.get(path)
            expiry = self._link_expiry.get(path)
        if stored is None or (expiry is not None and self._monotonic() >= expiry):
            return self._respond(ApiError(404, "Not Found"))
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    async def _dispatch(
        self,
        method: str,
        params: dict[str, Any],
        uploads: dict[str, Upload],
        record: dict[str, Any],
    ) -> Any:
        with self._lock:
            queue = self._faults.get(method)
            fault = queue.popleft() if queue else None
        if fault is not None:
            await self._apply_fault(fault)
        try:
            validated = self.spec.validate(method, params, uploads)
        except SpecError as exc:
            self._violation(method, exc.description)
            raise ApiError(400, exc.description) from None
        with self._lock:
            record["params"] = _summarize(validated.params)
        handler = self._handlers.get(method)
        if handler is None:
            if self.spec.returns(method) == ["Boolean"]:
                return True
            description = f"Bad Request: method {method} is not implemented by the sandbox"
            self._violation(method, description)
            raise ApiError(400, description)
        return await handler(validated)

    async def _apply_fault(self, fault: str) -> None:
        kind, _, arg = fault.partition(":")
        if kind == "delay":
            await asyncio.sleep(float(arg))
            return
        if kind == "hang":
            await asyncio.sleep(float(arg))
            raise ApiError(504, "Gateway Timeout")
        if kind == "429":
            raise _too_many(int(arg or "1"))
        code = int(kind)
        raise ApiError(code, arg or _ERROR_TEXT.get(code, "Error"))

    def _self_check(self, what: str, value: Any, types: list[str]) -> None:
        if not self.self_check:
            return
        try:
            self.spec.check_value(value, types, what.split()[-1])
        except SpecError as exc:
            with self._lock:
                self.violations.append(f"sandbox {what}: {exc.description}")

    def _violation(self, method: str, description: str) -> None:
        if self.strict:
            with self._lock:
                self.violations.append(f"{method}: {description}")

    # ------------------------------------------------------------ chat resolution

    def _resolve_chat(self, chat_id: Any) -> _Chat:
        if isinstance(chat_id, str):
            text = chat_id.strip()
            if re.fullmatch(r"-?\d+", text):
                chat_id = int(text)
            elif text.startswith("@"):
                name = text[1:].lower()
                for chat in self._chats.values():
                    if chat.type != "private" and (chat.username or "").lower() == name:
                        return chat
                raise _bad("chat not found")
            else:
                raise _bad("chat not found")
        chat = self._chats.get(chat_id)
        if chat is None:
            if chat_id == self.bot_id:
                raise _forbidden("bots can't send messages to bots")
            raise _bad("chat not found")
        return chat

    def _chat_for_send(self, chat_id: Any) -> _Chat:
        chat = self._resolve_chat(chat_id)
        if chat.type == "private":
            if chat.blocked:
                raise _forbidden("bot was blocked by the user")
            if not chat.started:
                raise _forbidden("bot can't initiate conversation with a user")
        elif chat.bot_status == "kicked":
            raise _forbidden(f"bot was kicked from the {chat.type} chat")
        elif chat.bot_status == "left":
            raise _forbidden(f"bot is not a member of the {chat.type} chat")
        return chat

    def _check_rate(self, chat: _Chat) -> None:
        now = self._monotonic()
        chat.last_send = now if not self.rate_limits else chat.last_send
        if self.rate_limits:
            while self._send_times and self._send_times[0] <= now - 1.0 + 1e-9:
                self._send_times.popleft()
            if len(self._send_times) >= 30:
                raise _too_many(1)
            if chat.last_send is not None and now - chat.last_send < 0.9 - 1e-9:
                raise _too_many(1)
            limit = self.group_limit_per_minute
            if chat.type != "private" and limit:
                while chat.minute_sends and chat.minute_sends[0] <= now - 60.0:
                    chat.minute_sends.popleft()
                if len(chat.minute_sends) >= limit:
                    raise _too_many(max(1, math.ceil(chat.minute_sends[0] + 60.0 - now)))
            self._send_times.append(now)
            chat.last_send = now
            chat.minute_sends.append(now)

    def _reply_target(self, chat: _Chat, params: dict[str, Any]) -> dict[str, Any] | None:
        reply = params.get("reply_parameters")
        if not reply:
            return None
        target_chat = chat
        if reply.get("chat_id") is not None:
            target_chat = self._resolve_chat(reply["chat_id"])
        original = target_chat.messages.get(reply["message_id"])
        if original is None or reply["message_id"] in target_chat.deleted:
            if reply.get("allow_sending_without_reply"):
                return None
            raise _bad("message to be replied not found")
        return _without_reply(original)

    def _deliver(self, validated: Validated, content: dict[str, Any]) -> dict[str, Any]:
        params = validated.params
        with self._lock:
            chat = self._chat_for_send(params["chat_id"])
            reply_to = self._reply_target(chat, params)
            self._check_rate(chat)
            message: dict[str, Any] = {
                "message_id": chat.take_message_id(),
                "from": copy.deepcopy(self.bot_user),
                "chat": self._chat_dict(chat),
                "date": self._now(),
            }
            if reply_to is not None:
                message["reply_to_message"] = reply_to
            message.update(content)
            markup = params.get("reply_markup")
            if markup:
                if "inline_keyboard" in markup:
                    message["reply_markup"] = copy.deepcopy(markup)
                elif "keyboard" in markup:
                    chat.keyboard = copy.deepcopy(markup)
                elif markup.get("remove_keyboard"):
                    chat.keyboard = None
                elif "force_reply" in markup:
                    chat.force_reply = copy.deepcopy(markup)
            if params.get("protect_content"):
                message["has_protected_content"] = True
            chat.messages[message["message_id"]] = message
            chat.bot_ids.append(message["message_id"])
            self._changed()
            return copy.deepcopy(message)

    # ------------------------------------------------------------- Bot API methods

    async def _m_true(self, validated: Validated) -> Any:
        return True

    async def _m_get_me(self, validated: Validated) -> Any:
        me = dict(self.bot_user)
        me.update(
            can_join_groups=True,
            can_read_all_group_messages=not self.group_privacy,
            supports_inline_queries=False,
            can_connect_to_business=False,
            has_main_web_app=False,
        )
        return me

    async def _m_get_updates(self, validated: Validated) -> Any:
        params = validated.params
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._webhook is not None:
                raise ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            offset = int(params.get("offset") or 0)
            if offset > 0:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            elif offset < 0:
                self._updates = self._updates[offset:]
            if "allowed_updates" in params:
                allowed = params["allowed_updates"]
                self._allowed = frozenset(allowed) if allowed else None
            self._cond.notify_all()
            limit = min(max(int(params.get("limit") or 100), 1), 100)
            timeout = min(max(float(params.get("timeout") or 0), 0.0), 600.0)
            self._poll_generation += 1
            generation = self._poll_generation
        self._wake_pollers()  # an older long poll is terminated with 409, as on Telegram
        deadline = loop.time() + timeout
        while True:
            with self._lock:
                if self._webhook is not None:
                    raise ApiError(409, "Conflict: terminated by setWebhook request")
                if generation != self._poll_generation:
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; "
                        "make sure that only one bot instance is running",
                    )
                batch = copy.deepcopy(self._updates[:limit])
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or self._closing:
                return batch
            waiter: asyncio.Future[None] = loop.create_future()
            self._poll_waiters.add(waiter)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter, remaining)
            self._poll_waiters.discard(waiter)

    async def _m_set_webhook(self, validated: Validated) -> Any:
        params = validated.params
        url = params["url"].strip()
        if not url:
            return await self._m_delete_webhook(validated)
        if not re.match(r"^https?://[^/\s]+", url):
            raise _bad("bad webhook: invalid webhook URL specified")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise _bad("secret token contains unallowed characters")
        config = {
            "url": url,
            "secret_token": secret,
            "max_connections": params.get("max_connections", 40),
            "ip_address": params.get("ip_address"),
        }
        with self._lock:
            same = self._webhook is not None and self._webhook == config
            if "allowed_updates" in params:
                allowed = params["allowed_updates"]
                self._allowed = frozenset(allowed) if allowed else None
            if params.get("drop_pending_updates"):
                self._updates.clear()
            if not same:
                self._webhook = config
                self._webhook_error = None
        self._wake_pollers()
        if not same:
            self._restart_webhook()
        return _Result(True, "Webhook is already set" if same else "Webhook was set")

    async def _m_delete_webhook(self, validated: Validated) -> Any:
        with self._lock:
            existed = self._webhook is not None
            self._webhook = None
            if validated.params.get("drop_pending_updates"):
                self._updates.clear()
            self._cond.notify_all()
        self._restart_webhook()
        return _Result(True, "Webhook was deleted" if existed else "Webhook is already deleted")

    async def _m_get_webhook_info(self, validated: Validated) -> Any:
        with self._lock:
            return self._webhook_info()

    def _webhook_info(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self._webhook["url"] if self._webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook:
            info["max_connections"] = self._webhook["max_connections"]
            if self._webhook["ip_address"]:
                info["ip_address"] = self._webhook["ip_address"]
        if self._allowed is not None:
            info["allowed_updates"] = sorted(self._allowed)
        if self._webhook_error is not None:
            info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info

    def _restart_webhook(self) -> None:
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            self._webhook_task = None
        with self._lock:
            config = self._webhook
        if config is not None:
            self._webhook_task = asyncio.get_running_loop().create_task(self._webhook_loop(config))

    async def _webhook_loop(self, config: dict[str, Any]) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        session = self._session
        loop = asyncio.get_running_loop()
        backoff = 0.05
        headers = {"Content-Type": "application/json"}
        if config["secret_token"]:
            headers["X-Telegram-Bot-Api-Secret-Token"] = config["secret_token"]
        while not self._closing:
            with self._lock:
                if self._webhook is not config:
                    return
                update = copy.deepcopy(self._updates[0]) if self._updates else None
            if update is None:
                waiter: asyncio.Future[None] = loop.create_future()
                self._poll_waiters.add(waiter)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waiter, 1.0)
                self._poll_waiters.discard(waiter)
                continue
            error: str | None = None
            try:
                timeout = aiohttp.ClientTimeout(total=60)
                async with session.post(
                    config["url"], data=_dumps(update).encode(), headers=headers, timeout=timeout
                ) as response:
                    await response.read()
                    if not 200 <= response.status < 300:
                        status = f"{response.status} {response.reason}"
                        error = f"Wrong response from the webhook: {status}"
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                error = f"Connection failed: {exc or type(exc).__name__}"
            with self._lock:
                if error is None:
                    self._updates = [
                        u for u in self._updates if u["update_id"] != update["update_id"]
                    ]
                    self._cond.notify_all()
                else:
                    self._webhook_error = (self._now(), error)
            if error is None:
                backoff = 0.05
            else:
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 1.0)

    def _formatted(self, validated: Validated, name: str) -> dict[str, Any]:
        formatted: FormattedText | None = validated.texts.get(name)
        if formatted is None or not formatted.text:
            return {}
        content: dict[str, Any] = {name: formatted.text}
        if formatted.entities:
            content["entities" if name == "text" else f"{name}_entities"] = formatted.entities
        return content

    async def _m_send_message(self, validated: Validated) -> Any:
        content = self._formatted(validated, "text")
        options = validated.params.get("link_preview_options")
        if options:
            content["link_preview_options"] = options
        return self._deliver(validated, content)

    async def _input_file(self, value: Any, kind: str, params: dict[str, Any]) -> _StoredFile:
        if isinstance(value, Upload):
            name = value.file_name if kind not in {"photo", "voice", "video_note"} else None
            mime = value.content_type
            if not mime or mime == "application/octet-stream":
                mime = mimetypes.guess_type(value.file_name or "")[0] or mime
            with self._lock:
                return self._store_file(kind, value.data, name, mime)
        value = str(value)
        with self._lock:
            stored = self._files.get(value)
        if stored is not None:
            if stored.kind != kind:
                raise _bad("type of file mismatch")
            return stored
        if re.match(r"^https?://", value, re.IGNORECASE):
            if self._session is None:
                self._session = aiohttp.ClientSession()
            try:
                timeout = aiohttp.ClientTimeout(total=15)
                async with self._session.get(value, timeout=timeout) as response:
                    if response.status != 200:
                        raise _bad("failed to get HTTP URL content")
                    data = await response.read()
                    mime = response.content_type
            except (aiohttp.ClientError, TimeoutError, OSError):
                raise _bad("failed to get HTTP URL content") from None
            name = value.rsplit("/", 1)[-1] or None
            with self._lock:
                return self._store_file(kind, data, name, mime)
        raise _bad("wrong file identifier/HTTP URL specified")

    async def _m_send_media(self, validated: Validated) -> Any:
        kind = _MEDIA_METHODS[validated.method]
        params = validated.params
        with self._lock:
            self._chat_for_send(params["chat_id"])  # fail before storing the upload
        stored = await self._input_file(params[kind], kind, params)
        with self._lock:
            content: dict[str, Any] = {kind: self._media_object(stored, params)}
        content.update(self._formatted(validated, "caption"))
        for key in _MEDIA_ECHO:
            if params.get(key):
                content[key] = True
        return self._deliver(validated, content)

    async def _m_send_media_group(self, validated: Validated) -> Any:
        params = validated.params
        media = params["media"]
        if not 2 <= len(media) <= 10:
            raise _bad("wrong number of messages in the media group, must be 2-10")
        with self._lock:
            chat = self._chat_for_send(params["chat_id"])
        group_id = str(10_000_000_000_000_000 + self._random.getrandbits(40))
        contents = []
        for item in media:
            kind = item["type"]
            stored = await self._input_file(item["media"], kind, item)
            with self._lock:
                content: dict[str, Any] = {
                    "media_group_id": group_id,
                    kind: self._media_object(stored, item),
                }
            if item.get("caption"):
                formatted = _format_nested(item.get("caption", ""), item)
                content["caption"] = formatted.text
                if formatted.entities:
                    content["caption_entities"] = formatted.entities
            contents.append(content)
        with self._lock:
            results = [self._deliver(validated, contents[0])]
            for content in contents[1:]:
                chat.last_send = None  # one album counts as one send for the per-chat limit
                results.append(self._deliver(validated, content))
        return results

    async def _m_send_location(self, validated: Validated) -> Any:
        params = validated.params
        location = {"latitude": params["latitude"], "longitude": params["longitude"]}
        for key in ("horizontal_accuracy", "live_period", "heading", "proximity_alert_radius"):
            if key in params:
                location[key] = params[key]
        return self._deliver(validated, {"location": location})

    async def _m_send_venue(self, validated: Validated) -> Any:
        params = validated.params
        location = {"latitude": params["latitude"], "longitude": params["longitude"]}
        venue = {"location": location, "title": params["title"], "address": params["address"]}
        return self._deliver(validated, {"venue": venue, "location": dict(location)})

    async def _m_send_contact(self, validated: Validated) -> Any:
        params = validated.params
        contact = {
            k: params[k]
            for k in ("phone_number", "first_name", "last_name", "vcard")
            if k in params
        }
        return self._deliver(validated, {"contact": contact})

    async def _m_send_dice(self, validated: Validated) -> Any:
        emoji = validated.params.get("emoji", "🎲")
        top = {"🎰": 64, "🏀": 5, "⚽": 5}.get(emoji, 6)
        return self._deliver(
            validated, {"dice": {"emoji": emoji, "value": self._random.randint(1, top)}}
        )

    async def _m_send_poll(self, validated: Validated) -> Any:
        params = validated.params
        options = params["options"]
        if not 2 <= len(options) <= 12:
            raise _bad("POLL_ANSWERS_INVALID")
        poll = {
            "id": str(5_000_000_000_000_000 + self._random.getrandbits(40)),
            "question": params["question"],
            "options": [
                {"persistent_id": str(index), "text": o["text"], "voter_count": 0}
                for index, o in enumerate(options)
            ],
            "total_voter_count": 0,
            "is_closed": bool(params.get("is_closed", False)),
            "is_anonymous": bool(params.get("is_anonymous", True)),
            "type": params.get("type", "regular"),
            "allows_multiple_answers": bool(params.get("allows_multiple_answers", False)),
            "allows_revoting": bool(params.get("allows_revoting", False)),
            "members_only": bool(params.get("members_only", False)),
        }
        return self._deliver(validated, {"poll": poll})

    def _source_message(self, params: dict[str, Any]) -> dict[str, Any]:
        source_chat = self._resolve_chat(params["from_chat_id"])
        message = source_chat.messages.get(params["message_id"])
        if message is None or params["message_id"] in source_chat.deleted:
            raise _bad("message to copy not found")
        return message

    async def _m_copy_message(self, validated: Validated) -> Any:
        with self._lock:
            source = self._source_message(validated.params)
            content = _message_content(source)
            if "caption" in validated.params:
                content.pop("caption", None)
                content.pop("caption_entities", None)
                content.update(self._formatted(validated, "caption"))
            message = self._deliver(validated, content)
        return {"message_id": message["message_id"]}

    async def _m_forward_message(self, validated: Validated) -> Any:
        with self._lock:
            source = self._source_message(validated.params)
            content = _message_content(source)
            sender = source.get("from", {})
            content["forward_origin"] = {
                "type": "user",
                "sender_user": sender,
                "date": source["date"],
            }
            return self._deliver(validated, content)

    def _bot_message(self, params: dict[str, Any], action: str) -> tuple[_Chat, dict[str, Any]]:
        if params.get("inline_message_id"):
            raise _bad("MESSAGE_ID_INVALID")
        if params.get("chat_id") is None or params.get("message_id") is None:
            raise _bad("message identifier is not specified")
        chat = self._chat_for_send(params["chat_id"])
        message = chat.messages.get(params["message_id"])
        if message is None or params["message_id"] in chat.deleted:
            raise _bad(f"message to {action} not found")
        if message["from"]["id"] != self.bot_id:
            raise _bad(f"message can't be {action}ed")
        return chat, message

    def _apply_edit(
        self,
        message: dict[str, Any],
        keys: tuple[str, ...],
        content: dict[str, Any],
        markup: dict[str, Any] | None,
    ) -> dict[str, Any]:
        same_content = all(message.get(k) == content.get(k) for k in keys)
        if same_content and message.get("reply_markup") == (markup or None):
            raise _bad(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        for key in keys:
            if content.get(key) is None:
                message.pop(key, None)
            else:
                message[key] = content[key]
        if markup:
            message["reply_markup"] = copy.deepcopy(markup)
        else:
            message.pop("reply_markup", None)
        message["edit_date"] = max(self._now(), message["date"])
        self._changed()
        return copy.deepcopy(message)

    async def _m_edit_message_text(self, validated: Validated) -> Any:
        with self._lock:
            _, message = self._bot_message(validated.params, "edit")
            if "text" not in message:
                raise _bad("there is no text in the message to edit")
            content = self._formatted(validated, "text")
            markup = validated.params.get("reply_markup")
            return self._apply_edit(message, ("text", "entities"), content, markup)

    async def _m_edit_message_caption(self, validated: Validated) -> Any:
        with self._lock:
            _, message = self._bot_message(validated.params, "edit")
            if "text" in message:
                raise _bad("there is no caption in the message to edit")
            content = self._formatted(validated, "caption")
            markup = validated.params.get("reply_markup")
            return self._apply_edit(message, ("caption", "caption_entities"), content, markup)

    async def _m_edit_message_reply_markup(self, validated: Validated) -> Any:
        with self._lock:
            _, message = self._bot_message(validated.params, "edit")
            return self._apply_edit(message, (), {}, validated.params.get("reply_markup"))

    def _delete(self, chat: _Chat, message_id: int) -> bool:
        message = chat.messages.get(message_id)
        if message is None or message_id in chat.deleted:
            return False
        from_bot = message.get("from", {}).get("id") == self.bot_id
        if chat.type != "private" and not from_bot and chat.bot_status != "administrator":
            raise _bad("message can't be deleted")
        chat.deleted.add(message_id)
        self._changed()
        return True

    async def _m_delete_message(self, validated: Validated) -> Any:
        with self._lock:
            chat = self._resolve_chat(validated.params["chat_id"])
            if not self._delete(chat, validated.params["message_id"]):
                raise _bad("message to delete not found")
            return True

    async def _m_delete_messages(self, validated: Validated) -> Any:
        with self._lock:
            chat = self._resolve_chat(validated.params["chat_id"])
            ids = validated.params["message_ids"]
            if not 1 <= len(ids) <= 100:
                raise _bad("message_ids must contain 1-100 identifiers")
            for message_id in ids:
                self._delete(chat, message_id)
            return True

    async def _m_answer_callback_query(self, validated: Validated) -> Any:
        params = validated.params
        with self._lock:
            entry = self._callbacks.get(params["callback_query_id"])
            if entry is None or entry["answer"] is not None:
                raise _bad("query is too old and response timeout expired or query ID is invalid")
            entry["answer"] = {k: v for k, v in params.items() if k != "callback_query_id"}
            self._changed()
            return True

    async def _m_send_chat_action(self, validated: Validated) -> Any:
        with self._lock:
            chat = self._chat_for_send(validated.params["chat_id"])
            chat.actions.append(validated.params["action"])
            self._changed()
            return True

    async def _m_get_file(self, validated: Validated) -> Any:
        if self._files_down_get_file and self.files_down:
            with self._lock:
                self.refused_file_requests += 1
                how = self._files_down_how
            code = 502 if how == "drop" else int(how)
            raise ApiError(code, _ERROR_TEXT.get(code, "Error"))
        with self._lock:
            stored = self._files.get(validated.params["file_id"])
            if stored is None:
                raise _bad("invalid file_id")
            if stored.size > DOWNLOAD_LIMIT:
                raise _bad("file is too big")
            if stored.file_path is None or self.file_link_ttl is not None:
                extension = _extension(stored)
                folder = _FILE_FOLDER.get(stored.kind, "documents")
                stored.file_path = f"{folder}/file_{next(self._links)}{extension}"
                self._files_by_path[stored.file_path] = stored
                if self.file_link_ttl is not None:
                    self._link_expiry[stored.file_path] = self._monotonic() + self.file_link_ttl
            return {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": stored.size,
                "file_path": stored.file_path,
            }

    def _scope_key(self, scope: dict[str, Any] | None) -> str:
        scope = dict(scope or {"type": "default"})
        for key in ("chat_id", "user_id"):
            value = scope.get(key)
            if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
                scope[key] = int(value)
        return json.dumps(scope, sort_keys=True)

    def _command_key(self, params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope")
        if scope and "chat_id" in scope:
            self._resolve_chat(scope["chat_id"])
        return self._scope_key(scope), params.get("language_code", "")

    async def _m_set_my_commands(self, validated: Validated) -> Any:
        with self._lock:
            key = self._command_key(validated.params)
            commands = validated.params["commands"]
            if commands:
                self._commands[key] = copy.deepcopy(commands)
            else:
                self._commands.pop(key, None)
            self._changed()
            return True

    async def _m_get_my_commands(self, validated: Validated) -> Any:
        with self._lock:
            return copy.deepcopy(self._commands.get(self._command_key(validated.params), []))

    async def _m_delete_my_commands(self, validated: Validated) -> Any:
        with self._lock:
            self._commands.pop(self._command_key(validated.params), None)
            self._changed()
            return True

    async def _m_set_message_reaction(self, validated: Validated) -> Any:
        params = validated.params
        with self._lock:
            chat = self._chat_for_send(params["chat_id"])
            message_id = params["message_id"]
            if message_id not in chat.messages or message_id in chat.deleted:
                raise _bad("message to react not found")
            reaction = params.get("reaction") or []
            if reaction:
                chat.reactions[message_id] = copy.deepcopy(reaction)
            else:
                chat.reactions.pop(message_id, None)
            self._changed()
            return True

    async def _m_leave_chat(self, validated: Validated) -> Any:
        with self._lock:
            chat = self._resolve_chat(validated.params["chat_id"])
            if chat.type == "private":
                raise _bad("chat member status can't be changed in private chats")
            if chat.bot_status in {"left", "kicked"}:
                raise _forbidden(f"bot is not a member of the {chat.type} chat")
            old = chat.bot_status
            chat.bot_status = "left"
            self._member_update(chat, self.bot_user, old, "left")
            return True

    async def _m_get_chat(self, validated: Validated) -> Any:
        with self._lock:
            chat = self._resolve_chat(validated.params["chat_id"])
            info = self._chat_dict(chat)
            info.update(
                accent_color_id=chat.id % 7,
                max_reaction_count=11,
                accepted_gift_types={
                    "unlimited_gifts": False,
                    "limited_gifts": False,
                    "unique_gifts": False,
                    "premium_subscription": False,
                    "gifts_from_channels": False,
                },
            )
            return info

    async def _m_get_chat_member(self, validated: Validated) -> Any:
        params = validated.params
        with self._lock:
            chat = self._resolve_chat(params["chat_id"])
            user_id = params["user_id"]
            if user_id == self.bot_id:
                status = "member" if chat.type == "private" else chat.bot_status
                return self._member(self.bot_user, status)
            user = self._users.get(user_id)
            if user is None:
                raise _bad("user not found")
            if chat.type == "private":
                status = "member" if user_id == chat.id else "left"
            elif user_id == chat.owner_id:
                status = "creator"
            else:
                status = "member" if user_id in chat.members else "left"
            member = self._member(user, status)
            if status == "creator":
                member["is_anonymous"] = False
            return member


# ---------------------------------------------------------------------- helpers


def _without_reply(message: dict[str, Any]) -> dict[str, Any]:
    snapshot = copy.deepcopy(message)
    snapshot.pop("reply_to_message", None)
    return snapshot


def _message_content(message: dict[str, Any]) -> dict[str, Any]:
    skip = {
        "message_id",
        "from",
        "chat",
        "date",
        "edit_date",
        "reply_to_message",
        "reply_markup",
        "forward_origin",
        "media_group_id",
        "has_protected_content",
    }
    return {k: copy.deepcopy(v) for k, v in message.items() if k not in skip}


def _format_nested(text: str, owner: dict[str, Any]) -> FormattedText:
    return format_text(text, owner.get("parse_mode"), owner.get("caption_entities"))


def _summarize(params: dict[str, Any]) -> dict[str, Any]:
    def convert(value: Any) -> Any:
        if isinstance(value, Upload):
            return value.describe()
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value

    return {k: convert(v) for k, v in params.items()}


def _extension(stored: _StoredFile) -> str:
    if stored.file_name and "." in stored.file_name:
        return "." + stored.file_name.rsplit(".", 1)[1]
    guessed = mimetypes.guess_extension(stored.mime_type or "") if stored.mime_type else None
    defaults = {
        "photo": ".jpg",
        "voice": ".oga",
        "video": ".mp4",
        "sticker": ".webp",
        "video_note": ".mp4",
        "animation": ".mp4",
        "audio": ".mp3",
    }
    return defaults.get(stored.kind) or guessed or ""


def _image_size(data: bytes) -> tuple[int, int]:
    """Return (width, height) of a PNG, GIF or JPEG image, or a plausible default."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        index = 2
        while index + 9 < len(data):
            if data[index] != 0xFF:
                index += 1
                continue
            marker = data[index + 1]
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE):
                height, width = struct.unpack(">HH", data[index + 5 : index + 9])
                return int(width), int(height)
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                index += 2
                continue
            (length,) = struct.unpack(">H", data[index + 2 : index + 4])
            index += 2 + length
    return 1280, 960
