"""Deliver outbox rows in order per chat within Telegram's limits, retrying what may be retried."""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass
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
# A call is leased to its sender for the read timeout plus this (plus the wait for its send
# time); after that it is due again.
LEASE_MARGIN = 10.0
# The least time between two reads of the outbox (at most 100 a second).
SWEEP_GAP = 0.01
# How long the outcomes of finished calls wait before they are written in a transaction of their
# own (those that finish meanwhile, or while a write is under way, share it). None: a member may
# answer a message at once, and the answer is only known as a reply once the message's
# Telegram id is written.
RECORD_GAP = 0.0
# Read the outbox at least this often without a wake-up: postponed calls and run-out leases
# become due by the clock alone.
IDLE_READ = 1.0


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


Row = pipeline.Call


async def first_of(*events: asyncio.Event, timeout: float | None = None) -> None:
    """Wait until one of these events is set, or the timeout passes."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when="FIRST_COMPLETED")
    finally:
        for waiter in waiters:
            waiter.cancel()


@dataclass(frozen=True)
class Outcome:
    """What one finished call came to: a sent-mark or another change, and what follows."""

    outbox_id: int
    mark: pipeline.SentMark | None
    action: Callable[[Session], None] | None
    after: Callable[[], None] | None


class Outcomes:
    """Writes what finished calls came to, several in one transaction.

    The outcomes ride along with the sender's next lease (OutboxSender._start), or after
    RECORD_GAP go in a transaction of their own. Waiting is safe because a call stays
    leased (claim_sends) until its outcome is written: no sender takes it again meanwhile,
    and this one also skips the calls whose outcome is still waiting here. If the process
    dies before the write, a call Telegram carried out is made again once its lease runs
    out, exactly as when a process dies between a call and its own sent-mark; a repeated
    edit or delete is refused as already done and counts as delivered (`already_done`).
    The wait only widens that window by at most RECORD_GAP and one commit.
    """

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory
        self._queue: list[Outcome] = []
        self.waiting: set[int] = set()
        self._added = asyncio.Event()
        self.writes = 0

    def sent(self, mark: pipeline.SentMark, after: Callable[[], None] | None = None) -> None:
        """Queue a sent-mark; `after` runs once it is written."""
        self._queue.append(Outcome(mark.outbox_id, mark, None, after))
        self.waiting.add(mark.outbox_id)
        self._added.set()

    def add(
        self,
        outbox_id: int,
        action: Callable[[Session], None],
        after: Callable[[], None] | None = None,
    ) -> None:
        """Queue another outcome (postpone, give up): a change to make in the transaction."""
        self._queue.append(Outcome(outbox_id, None, action, after))
        self.waiting.add(outbox_id)
        self._added.set()

    def empty(self) -> bool:
        """Say whether no outcome waits to be written."""
        return not self._queue

    def take(self) -> list[Outcome]:
        """Hand the waiting outcomes over for writing; settle() must follow."""
        queue, self._queue = self._queue, []
        return queue

    @staticmethod
    def write_in(session: Session, outcomes: list[Outcome]) -> None:
        """Make the outcomes' changes in the caller's transaction."""
        pipeline.mark_sent_many(
            session, [outcome.mark for outcome in outcomes if outcome.mark is not None]
        )
        for outcome in outcomes:
            if outcome.action is not None:
                outcome.action(session)

    def _write(self, outcomes: list[Outcome]) -> None:
        with self.session_factory.begin() as session:
            self.write_in(session, outcomes)

    async def settle(self, outcomes: list[Outcome], written: bool) -> None:
        """Finish taken outcomes: if their transaction failed, write them one at a time."""
        done = outcomes
        if not written:
            # One at a time, so one bad outcome cannot hold back the others. What still
            # fails keeps its lease and is sent again when it runs out, as before batching.
            done = []
            for outcome in outcomes:
                try:
                    await asyncio.to_thread(self._write, [outcome])
                    done.append(outcome)
                except Exception as error:  # noqa: BLE001 - the lease covers it
                    log.error(
                        "recording outbox %s failed: %s", outcome.outbox_id, type(error).__name__
                    )
        for outcome in outcomes:
            self.waiting.discard(outcome.outbox_id)
        if outcomes:
            self.writes += 1
        for outcome in done:
            if outcome.after is not None:
                outcome.after()

    async def flush(self) -> bool:
        """Write every waiting outcome in one transaction (one by one if that fails).

        Return whether there were any.
        """
        outcomes = self.take()
        if not outcomes:
            return False
        try:
            await asyncio.to_thread(self._write, outcomes)
            written = True
        except Exception as error:  # noqa: BLE001 - the database may be briefly away
            log.error("recording %d outcomes failed: %s", len(outcomes), type(error).__name__)
            written = False
        await self.settle(outcomes, written)
        return True

    async def run(self, finished: asyncio.Event, written: Callable[[], None]) -> None:
        """Write outcomes as they come until `finished` is set and none is left."""
        self._added = asyncio.Event()
        while not (finished.is_set() and self.empty()):
            if self.empty():
                await first_of(self._added, finished)
                self._added.clear()
                continue
            # Outcomes that come within this wait share a transaction; most ride along with
            # the sender's next lease before it ends (OutboxSender.sweep).
            await asyncio.sleep(RECORD_GAP)
            self._added.clear()
            if await self.flush():
                written()


class OutboxSender:
    """Sends pending calls; one call per chat in flight, so order within a chat holds.

    Answers to taps (answerCallbackQuery) and reactions jump their chat's queue: they are
    fetched on their own and sent at once, a reaction at most once per chat interval on a
    clock of its own (bot/delivery/ratelimit.py), while the chat's messages keep their order and
    pace.

    Per sweep: one read of the due heads, one transaction that leases every call the sweep
    starts and writes the outcomes of the calls finished since (Outcomes). Heads
    whose chat must still wait for its pace are kept here until their time rather than read
    again: the outbox is read again when the dispatcher queued something, when outcomes
    were written (their chats have new heads), and at least every IDLE_READ.
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
        # What the last read found that may not go yet: heads by chat, jumping calls by id.
        self._waiting_heads: dict[int, Row] = {}
        self._waiting_jumps: dict[int, Row] = {}
        self.outcomes = Outcomes(session_factory)
        self._read_wanted = True
        self._poke = asyncio.Event()
        self.sent = 0

    def _due(
        self, exclude_chats: list[int], exclude_ids: list[int], limit: int, jumping_limit: int
    ) -> tuple[list[Row], list[Row]]:
        """Return the chats' head calls and the due calls that jump the queue, in one read."""
        with reading(self.session_factory) as session:
            now = self.clock()
            heads = pipeline.head_calls(session, now, exclude_chats, limit) if limit > 0 else []
            jumping = (
                pipeline.jumping_calls(session, now, JUMPS_THE_QUEUE, exclude_ids, jumping_limit)
                if jumping_limit > 0
                else []
            )
            return heads, jumping

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
                # Streamed from the open file while the request is sent: a 10 MB export read
                # whole (and copied into the request body) would add 20 MB at its peak.
                prepared[name] = InputFile(handle, filename=path.name, read_file_handle=False)
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
        outcomes = self.outcomes
        try:
            result = await self._paced_call(chat_id, method, payload)
        except RetryAfter as error:
            seconds = error.retry_after
            wait = seconds.total_seconds() if isinstance(seconds, timedelta) else float(seconds)
            self.pacer.hold_chat(chat_id, wait)
            if wait >= GLOBAL_PAUSE_AFTER:
                self.pacer.pause(wait)
            until = now() + timedelta(seconds=wait)
            outcomes.add(outbox_id, lambda s: pipeline.postpone(s, outbox_id, until, "429"))
        except Forbidden:
            # The user blocked the bot (or left): stop writing to them and mark them inactive.
            def blocked(session: Session) -> None:
                pipeline.give_up_chat(session, chat_id, "forbidden")
                if chat_id > 0:
                    orgs.mark_member_inactive(session, chat_id)

            outcomes.add(outbox_id, blocked, lambda: self._discard_member_data(payload))
        except (BadRequest, ChatMigrated, InvalidToken) as error:
            if isinstance(error, InvalidToken):
                log.critical("Telegram rejected the bot token; check BUURTBOT_TELEGRAM_TOKEN")
                until = now() + timedelta(seconds=60)
                outcomes.add(outbox_id, lambda s: pipeline.postpone(s, outbox_id, until, "token"))
                return
            message = f"{type(error).__name__}: {error.message}"[:200]
            if already_done(error.message):
                # A repeat of a call Telegram already carried out (its sender died before the
                # sent-mark): what the user sees is right, so the call counts as delivered.
                outcomes.sent(pipeline.SentMark(outbox_id, now(), None, message))
                return
            log.warning("%s refused for good: %s", method, type(error).__name__)
            outcomes.add(
                outbox_id,
                lambda s: pipeline.give_up(s, outbox_id, message),
                lambda: self._discard_member_data(payload),
            )
        except (TimedOut, NetworkError, TelegramError, OSError) as error:
            attempts = await asyncio.to_thread(self._attempts, outbox_id)
            until = now() + timedelta(seconds=backoff(attempts))
            label = type(error).__name__
            outcomes.add(outbox_id, lambda s: pipeline.postpone(s, outbox_id, until, label))
        else:
            message_id = result.get("message_id") if isinstance(result, dict) else None
            self.sent += 1
            outcomes.sent(
                pipeline.SentMark(outbox_id, now(), message_id),
                lambda: self._discard_member_data(payload),
            )

    def _attempts(self, outbox_id: int) -> int:
        with reading(self.session_factory) as session:
            row = session.get(OutboxMessage, outbox_id)
            return row.attempts if row else 0

    def _exchange(
        self, outcomes: list[Outcome], planned: list[int], lease: timedelta
    ) -> dict[int, Row]:
        """Write finished calls' outcomes and lease the planned calls in one transaction."""
        with self.session_factory.begin() as session:
            Outcomes.write_in(session, outcomes)
            return pipeline.claim_sends(session, planned, self.clock(), lease)

    async def _run_one(self, slot: float, row: Row) -> None:
        outbox_id, chat_id, method, payload = row
        try:
            delay = slot - self.pacer.clock()
            if delay > 0:
                await asyncio.sleep(delay)
            await self._deliver(outbox_id, chat_id, method, payload)
        except Exception as error:  # noqa: BLE001 - a sender task must never die silently
            log.error("outbox call %s failed: %s", outbox_id, type(error).__name__)

    def _plan_jumping(self, planned: list[tuple[float, Row, bool]]) -> float:
        """Plan the waiting calls that jump their chat's queue; return seconds until the next."""
        wait = 1.0
        clock_now = self.pacer.clock()
        room = self.max_in_flight - len(self._jumping)
        for outbox_id, row in sorted(self._waiting_jumps.items()):
            if room <= 0:
                return 0.05
            chat_id, method = row[1], row[2]
            if outbox_id in self._jumping or outbox_id in self.outcomes.waiting:
                del self._waiting_jumps[outbox_id]
                continue
            slot = clock_now
            if method in PACED_REACTIONS:
                ready = self.pacer.reaction_ready_at(chat_id)
                if ready > clock_now:
                    wait = min(wait, ready - clock_now)
                    continue
                slot = self.pacer.reserve_reaction(chat_id)
            del self._waiting_jumps[outbox_id]
            planned.append((slot, row, True))
            room -= 1
        return wait

    def _plan_heads(self, planned: list[tuple[float, Row, bool]]) -> float:
        """Plan the waiting heads whose chat may go now; return seconds until the next may."""
        wait = 1.0
        clock_now = self.pacer.clock()
        room = self.max_in_flight - len(self._in_flight)
        taken = {row[0] for _, row, _ in planned}
        for row in sorted(self._waiting_heads.values(), key=lambda head: head[0]):
            chat_id = row[1]
            if room <= 0:
                return 0.05
            outbox_id, method = row[0], row[2]
            if (
                chat_id in self._in_flight
                or outbox_id in self._jumping
                or outbox_id in taken
                or outbox_id in self.outcomes.waiting
            ):
                del self._waiting_heads[chat_id]
                continue
            slot = clock_now
            if counts_as_message(method):
                ready = self.pacer.chat_ready_at(chat_id)
                if ready > clock_now:
                    wait = min(wait, ready - clock_now)
                    continue
                slot = self.pacer.reserve(chat_id)
            del self._waiting_heads[chat_id]
            planned.append((slot, row, False))
            room -= 1
        return wait

    async def _start(self, planned: list[tuple[float, Row, bool]]) -> None:
        """Lease the planned calls in one transaction and start those that were still due.

        The outcomes of calls that finished meanwhile go in the same transaction.
        """
        clock_now = self.pacer.clock()
        # The lease covers the wait for the latest send time as well as the call itself.
        ahead = max(slot for slot, _, _ in planned) - clock_now
        lease = timedelta(seconds=self.read_timeout + LEASE_MARGIN + max(ahead, 0.0))
        outcomes = self.outcomes.take()
        try:
            claimed = await asyncio.to_thread(
                self._exchange, outcomes, [row[0] for _, row, _ in planned], lease
            )
        except Exception:
            await self.outcomes.settle(outcomes, written=False)
            raise
        await self.outcomes.settle(outcomes, written=True)
        if outcomes:
            self._read_wanted = True
        for slot, row, jumps in planned:
            outbox_id, chat_id = row[0], row[1]
            if outbox_id not in claimed:
                # Sent, refused or leased meanwhile: what comes next is for a new read to say.
                self._read_wanted = True
                continue
            # The call as the lease found it: its parameters may have changed since the read.
            task = asyncio.ensure_future(self._run_one(slot, claimed[outbox_id]))
            if jumps:
                self._jumping[outbox_id] = task
                task.add_done_callback(lambda _t, o=outbox_id: self._jumping.pop(o, None))
            else:
                self._in_flight[chat_id] = task
                task.add_done_callback(lambda _t, c=chat_id: self._in_flight.pop(c, None))

    async def sweep(self, read: bool = True, full: bool = True) -> float:
        """Read due calls (if asked), start what may go; return seconds until the next may.

        A full read replaces what is kept from earlier reads; a partial one asks only for the
        chats and calls not kept already (a kept head stays its chat's head: only this sender
        sends it, and the claim finds out if it went otherwise meanwhile).
        """
        room = self.max_in_flight - len(self._in_flight)
        jumping_room = self.max_in_flight - len(self._jumping)
        if read and (room > 0 or jumping_room > 0):
            skip_chats, skip_ids = list(self._in_flight), list(self._jumping)
            limit, jumping_limit = max(room, 0) * 2, max(jumping_room, 0)
            if not full:
                skip_chats += self._waiting_heads
                skip_ids += self._waiting_jumps
                limit = max(limit - len(self._waiting_heads), 0)
                jumping_limit = max(jumping_limit - len(self._waiting_jumps), 0)
            heads, jumping = await asyncio.to_thread(
                self._due, skip_chats, skip_ids, limit, jumping_limit
            )
            if full:
                self._waiting_heads, self._waiting_jumps = {}, {}
            self._waiting_heads.update((row[1], row) for row in heads)
            self._waiting_jumps.update((row[0], row) for row in jumping)
        planned: list[tuple[float, Row, bool]] = []
        wait = self._plan_jumping(planned)
        wait = min(wait, self._plan_heads(planned))
        if planned:
            await self._start(planned)
        return wait

    def _written(self) -> None:
        """Outcomes were written: their chats may have new heads, so read again."""
        self._read_wanted = True
        self._poke.set()

    async def run(self, stop: asyncio.Event, wake: asyncio.Event) -> None:
        """Send until stopped; wake early when the dispatcher queued something."""
        loop = asyncio.get_running_loop()
        self._poke = asyncio.Event()
        finished = asyncio.Event()
        recorder = asyncio.create_task(self.outcomes.run(finished, self._written))
        self._read_wanted = True
        last_read = last_full = -IDLE_READ
        while not stop.is_set():
            since = loop.time() - last_read
            full = loop.time() - last_full >= IDLE_READ
            read = full or self._read_wanted or wake.is_set()
            if read:
                # Under a burst the dispatcher wakes the sender after every batch: reading
                # more often than this only repeats the same query while the limits hold.
                if since < SWEEP_GAP:
                    await asyncio.sleep(SWEEP_GAP - since)
                wake.clear()
                self._poke.clear()
                self._read_wanted = False
                last_read = loop.time()
                if full:
                    last_full = last_read
            try:
                wait = await self.sweep(read, full)
            except Exception as error:  # noqa: BLE001 - the database may be briefly away
                log.error("outbox sweep failed: %s", type(error).__name__)
                wait = 1.0
            until_full = last_full + IDLE_READ - loop.time()
            await first_of(wake, self._poke, stop, timeout=max(min(wait, until_full), 0.001))
            self._poke.clear()
        running = [*self._in_flight.values(), *self._jumping.values()]
        if running:
            await asyncio.wait(running, timeout=10)
        finished.set()
        await recorder
