"""Deliver outbox rows in order per chat within Telegram's limits, retrying what may be retried."""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot, InputFile
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.warnings import PTBUserWarning

from bot.delivery.ratelimit import (
    JUMPS_THE_QUEUE,
    PACED_REACTIONS,
    SendPacer,
    counts_as_message,
)
from storage import organisations as orgs
from storage import pipeline
from storage.db import reading
from storage.models import OutboxMessage
from storage.privacy import is_member_data

# The outbox stores calls as raw Bot API parameters; PTB's generic request is the right tool.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.", category=PTBUserWarning)

log = logging.getLogger("buurtbot.outbox")

FILE_FIELDS = ("photo", "document", "voice", "video")
MAX_BACKOFF = 300.0
# A 429 with a retry_after this long is a flood warning for the whole bot, not one chat.
GLOBAL_PAUSE_AFTER = 5.0
# A call is leased to its sender for the read timeout plus this; after that it is due again.
LEASE_MARGIN = 10.0
# The least time between two looks at the outbox (at most 100 a second).
SWEEP_GAP = 0.01


def utc_now() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


# Telegram's answers to a call whose effect is already there (or can no longer matter).
ALREADY_DONE = (
    "message is not modified",
    "query is too old",
    "message to delete not found",
)


def already_done(description: str) -> bool:
    """Say whether Telegram refused a call because its effect is already in place."""
    lowered = description.lower()
    return any(phrase in lowered for phrase in ALREADY_DONE)


def backoff(attempts: int) -> float:
    """Return how long to wait before retry number `attempts` after a network problem."""
    return min(MAX_BACKOFF, 2.0 ** min(attempts, 10))


Row = tuple[int, int, str, dict[str, Any]]


class OutboxSender:
    """Sends pending calls; one call per chat in flight, so order within a chat holds.

    Answers to taps (answerCallbackQuery) and reactions jump their chat's queue: they are
    fetched on their own and sent at once, a reaction at most once per chat interval on a
    clock of its own (bot/delivery/ratelimit.py), while the chat's messages keep their order and
    pace.
    """

    def __init__(
        self,
        bot: Bot,
        session_factory: sessionmaker[Session],
        media_dir: Path,
        pacer: SendPacer | None = None,
        clock: Callable[[], datetime] = utc_now,
        max_in_flight: int = 64,
        read_timeout: float = 20.0,
    ) -> None:
        self.bot = bot
        self.session_factory = session_factory
        self.media_dir = media_dir
        self.pacer = pacer or SendPacer()
        self.clock = clock
        self.max_in_flight = max_in_flight
        self.read_timeout = read_timeout
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        # Calls that jump their chat's queue, by outbox id.
        self._jumping: dict[int, asyncio.Task[None]] = {}
        self.sent = 0

    def _heads(self, limit: int) -> list[Row]:
        with reading(self.session_factory) as session:
            rows = pipeline.pending_heads(session, self.clock(), self._in_flight.keys(), limit)
            return [(row.id, row.chat_id, row.method, dict(row.payload)) for row in rows]

    def _due(self, limit: int, jumping_limit: int) -> tuple[list[Row], list[Row]]:
        """Return the chats' head calls and the due calls that jump the queue, in one read."""
        with reading(self.session_factory) as session:
            now = self.clock()
            heads = (
                pipeline.pending_heads(session, now, self._in_flight.keys(), limit)
                if limit > 0
                else []
            )
            jumping = (
                pipeline.pending_jumping_calls(
                    session, now, JUMPS_THE_QUEUE, self._jumping.keys(), jumping_limit
                )
                if jumping_limit > 0
                else []
            )
            return (
                [(row.id, row.chat_id, row.method, dict(row.payload)) for row in heads],
                [(row.id, row.chat_id, row.method, dict(row.payload)) for row in jumping],
            )

    def _prepare(self, payload: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
        """Replace stored file references by uploads of files under the media folder."""
        opened: list[Any] = []
        prepared = dict(payload)
        for name in FILE_FIELDS:
            value = prepared.get(name)
            if isinstance(value, dict) and "path" in value:
                path = (self.media_dir / value["path"]).resolve()
                if self.media_dir.resolve() not in path.parents:
                    raise BadRequest("file outside the media folder")
                if not path.is_file():
                    # Swept or erased (/forget) before it went: it will not come back.
                    raise BadRequest("file is gone")
                handle = path.open("rb")
                opened.append(handle)
                prepared[name] = InputFile(handle, filename=path.name)
        return prepared, opened

    async def call(self, method: str, payload: dict[str, Any]) -> Any:
        """Make one Bot API call with stored parameters."""
        prepared, opened = self._prepare(payload)
        try:
            return await self.bot.do_api_request(
                method, api_kwargs=prepared, read_timeout=self.read_timeout
            )
        finally:
            for handle in opened:
                handle.close()

    def _record(self, action: Callable[[Session], None]) -> None:
        with self.session_factory.begin() as session:
            action(session)

    def _discard_member_data(self, payload: dict[str, Any]) -> None:
        """Delete a /mydata file once its call is done with: Telegram has it, or never will."""
        for name in FILE_FIELDS:
            value = payload.get(name)
            if isinstance(value, dict) and is_member_data(str(value.get("path", ""))):
                (self.media_dir / value["path"]).unlink(missing_ok=True)

    async def _paced_call(self, chat_id: int, method: str, payload: dict[str, Any]) -> Any:
        """Make a call, keeping a message call within what Telegram can have seen this second."""
        if not counts_as_message(method):
            return await self.call(method, payload)
        wait = self.pacer.wire_wait()
        while wait > 0:
            await asyncio.sleep(wait)
            wait = self.pacer.wire_wait()
        self.pacer.sending()
        try:
            return await self.call(method, payload)
        finally:
            self.pacer.sent(chat_id)

    async def _deliver(self, outbox_id: int, chat_id: int, method: str, payload: dict) -> None:
        now = self.clock
        try:
            result = await self._paced_call(chat_id, method, payload)
        except RetryAfter as error:
            seconds = error.retry_after
            wait = seconds.total_seconds() if isinstance(seconds, timedelta) else float(seconds)
            self.pacer.hold_chat(chat_id, wait)
            if wait >= GLOBAL_PAUSE_AFTER:
                self.pacer.pause(wait)
            until = now() + timedelta(seconds=wait)
            await asyncio.to_thread(
                self._record, lambda s: pipeline.postpone(s, outbox_id, until, "429")
            )
        except Forbidden:
            # The user blocked the bot (or left): stop writing to them and mark them inactive.
            def blocked(session: Session) -> None:
                pipeline.give_up_chat(session, chat_id, "forbidden")
                if chat_id > 0:
                    orgs.mark_member_inactive(session, chat_id)

            await asyncio.to_thread(self._record, blocked)
            self._discard_member_data(payload)
        except (BadRequest, ChatMigrated, InvalidToken) as error:
            if isinstance(error, InvalidToken):
                log.critical("Telegram rejected the bot token; check BUURTBOT_TELEGRAM_TOKEN")
                until = now() + timedelta(seconds=60)
                await asyncio.to_thread(
                    self._record, lambda s: pipeline.postpone(s, outbox_id, until, "token")
                )
                return
            message = f"{type(error).__name__}: {error.message}"[:200]
            if already_done(error.message):
                # A repeat of a call Telegram already carried out (its sender died before the
                # sent-mark): what the user sees is right, so the call counts as delivered.
                await asyncio.to_thread(
                    self._record, lambda s: pipeline.mark_sent(s, outbox_id, now(), None, message)
                )
                return
            log.warning("%s refused for good: %s", method, type(error).__name__)
            await asyncio.to_thread(self._record, lambda s: pipeline.give_up(s, outbox_id, message))
            self._discard_member_data(payload)
        except (TimedOut, NetworkError, TelegramError, OSError) as error:
            attempts = await asyncio.to_thread(self._attempts, outbox_id)
            until = now() + timedelta(seconds=backoff(attempts))
            label = type(error).__name__
            await asyncio.to_thread(
                self._record, lambda s: pipeline.postpone(s, outbox_id, until, label)
            )
        else:
            message_id = result.get("message_id") if isinstance(result, dict) else None
            await asyncio.to_thread(
                self._record, lambda s: pipeline.mark_sent(s, outbox_id, now(), message_id)
            )
            self.sent += 1
            self._discard_member_data(payload)

    def _attempts(self, outbox_id: int) -> int:
        with reading(self.session_factory) as session:
            row = session.get(OutboxMessage, outbox_id)
            return row.attempts if row else 0

    def _claim(self, outbox_id: int) -> bool:
        lease = timedelta(seconds=self.read_timeout + LEASE_MARGIN)
        with self.session_factory.begin() as session:
            return pipeline.claim_send(session, outbox_id, self.clock(), lease)

    async def _run_one(self, slot: float, row: Row) -> None:
        outbox_id, chat_id, method, payload = row
        try:
            delay = slot - self.pacer.clock()
            if delay > 0:
                await asyncio.sleep(delay)
            if not await asyncio.to_thread(self._claim, outbox_id):
                return
            await self._deliver(outbox_id, chat_id, method, payload)
        except Exception as error:  # noqa: BLE001 - a sender task must never die silently
            log.error("outbox call %s failed: %s", outbox_id, type(error).__name__)

    def start_jumping(self, rows: list[Row]) -> float:
        """Start the calls that jump their chat's queue; return seconds until the next may."""
        wait = 1.0
        clock_now = self.pacer.clock()
        for row in rows:
            if len(self._jumping) >= self.max_in_flight:
                return 0.05
            outbox_id, chat_id, method = row[0], row[1], row[2]
            if outbox_id in self._jumping:
                continue
            slot = clock_now
            if method in PACED_REACTIONS:
                ready = self.pacer.reaction_ready_at(chat_id)
                if ready > clock_now:
                    wait = min(wait, ready - clock_now)
                    continue
                slot = self.pacer.reserve_reaction(chat_id)
            task = asyncio.ensure_future(self._run_one(slot, row))
            self._jumping[outbox_id] = task
            task.add_done_callback(lambda _t, o=outbox_id: self._jumping.pop(o, None))
        return wait

    def start_ready(self, heads: list[Row]) -> float:
        """Start sending the head rows that may go now; return seconds until the next may."""
        wait = 1.0
        clock_now = self.pacer.clock()
        for row in heads:
            if len(self._in_flight) >= self.max_in_flight:
                return 0.05
            chat_id, method = row[1], row[2]
            if chat_id in self._in_flight or row[0] in self._jumping:
                continue
            slot = clock_now
            if counts_as_message(method):
                ready = self.pacer.chat_ready_at(chat_id)
                if ready > clock_now:
                    wait = min(wait, ready - clock_now)
                    continue
                slot = self.pacer.reserve(chat_id)
            task = asyncio.ensure_future(self._run_one(slot, row))
            self._in_flight[chat_id] = task
            task.add_done_callback(lambda _t, c=chat_id: self._in_flight.pop(c, None))
        return wait

    async def sweep(self) -> float:
        """Fetch due head rows and start what may go; return seconds until the next sweep."""
        room = self.max_in_flight - len(self._in_flight)
        jumping_room = self.max_in_flight - len(self._jumping)
        if room <= 0 and jumping_room <= 0:
            return 0.05
        heads, jumping = await asyncio.to_thread(self._due, room * 2, jumping_room)
        wait = self.start_jumping(jumping)
        if room <= 0:
            return min(wait, 0.05)
        return min(wait, self.start_ready(heads))

    async def run(self, stop: asyncio.Event, wake: asyncio.Event) -> None:
        """Send until stopped; wake early when the dispatcher queued something."""
        loop = asyncio.get_running_loop()
        last_sweep = -SWEEP_GAP
        while not stop.is_set():
            # Each processed update wakes the sender: under a burst, sweeping more often than
            # this only repeats the same query while the limits hold the messages back anyway.
            since = loop.time() - last_sweep
            if since < SWEEP_GAP:
                await asyncio.sleep(SWEEP_GAP - since)
            last_sweep = loop.time()
            try:
                wait = await self.sweep()
            except Exception as error:  # noqa: BLE001 - the database may be briefly away
                log.error("outbox sweep failed: %s", type(error).__name__)
                wait = 1.0
            running = [*self._in_flight.values(), *self._jumping.values()]
            if running and wait > 0.05:
                done_waiter = asyncio.ensure_future(
                    asyncio.wait(running, return_when="FIRST_COMPLETED")
                )
            else:
                done_waiter = None
            wake_waiter = asyncio.ensure_future(wake.wait())
            stop_waiter = asyncio.ensure_future(stop.wait())
            waiters = [w for w in (done_waiter, wake_waiter, stop_waiter) if w is not None]
            await asyncio.wait(waiters, timeout=max(wait, 0.01), return_when="FIRST_COMPLETED")
            for waiter in waiters:
                waiter.cancel()
            wake.clear()
        running = [*self._in_flight.values(), *self._jumping.values()]
        if running:
            await asyncio.wait(running, timeout=10)
