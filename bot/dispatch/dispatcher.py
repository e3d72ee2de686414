"""Process inbox rows in order: one transaction writes data, flow state, outbox and done-mark."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.dispatch.flood import FloodGuard
from bot.dispatch.render import Renderer, RenderTarget
from bot.dispatch.typed import typed_button, typed_key, typed_menu, typed_verdict
from bot.intake.updates import parse_update
from flows.engine import (
    CallbackAnswer,
    FlowConfig,
    Input,
    InputKind,
    NotYetError,
    StepContext,
    reply,
)
from flows.menu import menu_keys
from flows.onboarding import preferred_language
from flows.router import Position, Transition, encode_button, route, shown_buttons
from storage import organisations as orgs
from storage import pipeline
from storage.db import reading
from storage.locks import live_workers
from storage.models import ChatState, Member

log = logging.getLogger("buurtbot.dispatch")

Clock = Callable[[], datetime]

# What a member is told when their update failed, by the number of tries so far.
FAILURE_NOTICES = {1: "error.generic", pipeline.MAX_ATTEMPTS: "error.gave_up"}
# Seconds between looks for failed updates whose next try is due (the first waits a minute).
RETRY_CHECK = 5.0
# Updates (of different chats) per transaction. On PostgreSQL each runs in a savepoint, and a
# transaction with more than 64 subtransactions slows every other session's snapshots.
BATCH_SIZE = 50
# A batch stops taking its next update after this many seconds: the transaction holds the
# chats (and on SQLite the one write lock the intake and the sender also need), so a slow step
# (an export of years) must not keep the rest of the batch, and everyone else, waiting.
BATCH_SECONDS = 0.25
# Seconds between looks at which workers run (on PostgreSQL), to share the chats out.
WORKERS_CHECK = 2.0
# Another worker's chat is taken once its oldest update has waited this long.
OVERDUE_AFTER = timedelta(seconds=0.5)


def utc_now() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


@dataclass
class Dispatcher:
    """Runs flows for inbox rows; everything one update causes is committed together."""

    session_factory: sessionmaker[Session]
    renderer: Renderer
    config: FlowConfig
    media_dir: Path
    clock: Clock = utc_now
    flood: FloodGuard = field(default_factory=FloodGuard)
    batch_size: int = BATCH_SIZE
    _next_retry_check: float = field(default=0.0, init=False, repr=False)
    _next_workers_check: float = field(default=0.0, init=False, repr=False)
    _workers: tuple[int, ...] = field(default=(), init=False, repr=False)
    _members: dict[int, Member] = field(default_factory=dict, init=False, repr=False)
    _states: dict[int, ChatState] = field(default_factory=dict, init=False, repr=False)
    _states_known: set[int] = field(default_factory=set, init=False, repr=False)

    def process_pending(
        self, limit: int = 200, after_each: Callable[[], None] | None = None
    ) -> int:
        """Process waiting inbox rows in batches; return how many were handled.

        `after_each` is called after each committed batch (to wake the sender).
        """
        self.requeue_due()
        handled = 0
        while handled < limit:
            count = self.process_batch(min(self.batch_size, limit - handled))
            if not count:
                break
            handled += count
            if after_each is not None:
                after_each()
        return handled

    def requeue_due(self) -> int:
        """Put failed updates whose next try is due back in line; looks every few seconds."""
        if time.monotonic() < self._next_retry_check:
            return 0
        self._next_retry_check = time.monotonic() + RETRY_CHECK
        now = self.clock()
        with reading(self.session_factory) as session:
            due = pipeline.due_retries(session, now)
        if not due:
            return 0
        with self.session_factory.begin() as session:
            return pipeline.requeue(session, due)

    def process_batch(self, limit: int | None = None) -> int:
        """Process the heads of up to `limit` chats in one transaction; return how many.

        Group commit: each update runs in a savepoint of its own, and one commit covers the
        batch: every update's data, flow state and replies (outbox rows) together with its
        done-mark. An update whose step fails has only its savepoint rolled back; it keeps its
        content, is marked failed for a retry (see pipeline.RETRY_AFTER) and the sender is
        told; the chat's later updates go on meanwhile. A database outage raises and rolls the
        whole batch back, leaving every update of it waiting for the next try.
        """
        limit = limit or self.batch_size
        try:
            return self._run_batch(limit, careful=limit == 1)
        except (OperationalError, InterfaceError):
            # The database is away (restarting, network): the updates stay new for a retry.
            raise
        except Exception as error:  # noqa: BLE001 - one bad update must not stop the others
            if limit == 1:
                raise
            # Something failed outside any update's savepoint (queueing the batch's replies,
            # say): nothing of the batch was kept; take its updates one transaction each.
            log.warning("batch failed (%s); taking its updates one by one", type(error).__name__)
            handled = 0
            for _ in range(limit):
                count = self._run_batch(1, careful=True)
                if not count:
                    break
                handled += count
            return handled

    def _run_batch(self, limit: int, careful: bool) -> int:
        """Claim, process and commit one batch; `careful` queues replies inside each savepoint."""
        with self.session_factory.begin() as session:
            rows = pipeline.claim_batch(session, limit, self._share(session))
            if not rows:
                return 0
            self._preload(session, rows)
            done: list[int] = []
            replies: list[tuple[int | None, list[pipeline.OutgoingCall]]] = []
            deadline = time.monotonic() + BATCH_SECONDS
            handled = 0
            for row in rows:
                if handled and time.monotonic() > deadline:
                    # The rest stay new, each still its chat's head, for the next batch.
                    break
                handled += 1
                try:
                    with session.begin_nested():
                        calls = self._handle(session, row.id, row.payload or {})
                        if careful or any(call.dedupe_key for call in calls):
                            pipeline.enqueue(session, calls, self.clock(), inbox_id=row.id)
                        else:
                            replies.append((row.id, calls))
                except (OperationalError, InterfaceError):
                    raise
                except NotYetError:
                    # Not a fault: what it refers to is on its way; the retries take it later.
                    log.info("update %s waits for what it refers to", row.id)
                    self._record_failure(session, row, NotYetError.__name__)
                except Exception as error:  # noqa: BLE001 - one bad update must not stop the bot
                    # Log the kind of error only: the update itself may hold personal content.
                    log.error("update %s failed: %s", row.id, type(error).__name__)
                    self._record_failure(session, row, type(error).__name__)
                else:
                    done.append(row.id)
            now = self.clock()
            pipeline.enqueue_many(session, replies, now)
            pipeline.mark_batch_done(session, done, now)
            self._members = {}
            self._states = {}
        return handled

    def _share(self, session: Session) -> pipeline.Share | None:
        """Return this worker's share of the chats, when several workers run on PostgreSQL."""
        if session.get_bind().dialect.name != "postgresql":
            return None
        if time.monotonic() >= self._next_workers_check:
            self._next_workers_check = time.monotonic() + WORKERS_CHECK
            self._workers = tuple(live_workers(session))
        pid = os.getpid()
        if len(self._workers) < 2 or pid not in self._workers:
            return None
        # received_at is stamped with the real time, whatever clock the flows are given.
        overdue_before = datetime.now(UTC) - OVERDUE_AFTER
        return pipeline.Share(self._workers.index(pid), len(self._workers), overdue_before)

    def _preload(self, session: Session, rows: list[pipeline.Claimed]) -> None:
        """Load the batch's members and chat states with two statements instead of two each."""
        users = [pipeline.update_sender_id(row.payload) for row in rows]
        chats = [row.chat_id for row in rows if row.chat_id is not None and row.chat_id > 0]
        self._members, self._states = pipeline.preload_chats(
            session, [user for user in users if user is not None], chats
        )
        self._states_known = set(chats)

    def _member(self, session: Session, user_id: int) -> Member | None:
        member = self._members.get(user_id)
        if member is not None and not _gone(session, member):
            return member
        return orgs.get_member(session, user_id)

    def _chat_state(self, session: Session, chat_id: int) -> ChatState | None:
        if chat_id in self._states_known:
            # Loaded with the batch; only this chat's own update (one per batch) changes it.
            state = self._states.get(chat_id)
            return None if state is None or _gone(session, state) else state
        return pipeline.get_chat_state(session, chat_id)

    def _record_failure(self, session: Session, row: pipeline.Claimed, error: str) -> None:
        """Mark a claimed update failed in the batch's transaction and tell the sender."""
        attempts = pipeline.mark_claimed_failed(session, row, error, self.clock())
        if not pipeline.retries_left(attempts):
            log.error("update %s kept after %s tries (buurtbot inbox)", row.id, attempts)
        # Told once that it will be tried again, once when the tries are spent.
        key = FAILURE_NOTICES.get(attempts)
        chat_id = row.chat_id
        if key is None or chat_id is None or chat_id <= 0:
            return
        try:
            with session.begin_nested():
                member = orgs.get_member(session, chat_id)
                language = member.language if member else self.config.default_language
                target = RenderTarget(chat_id, language, 0, self.media_dir)
                calls = self.renderer.render([reply(key)], target)
                pipeline.enqueue(session, calls, self.clock(), inbox_id=row.id)
        except (OperationalError, InterfaceError):
            raise
        except Exception as notice_error:  # noqa: BLE001 - the failure itself is recorded
            log.error("could not tell about update %s: %s", row.id, type(notice_error).__name__)

    def _keyboard_key(self, ctx: StepContext, inp: Input, position: Position) -> Input:
        """Take a typed button label as the button: DESIGN's "typing a label counts as tapping".

        A label of the question's inline buttons becomes the tap (a callback with the current
        version); a main-menu label becomes its command, so it is never kept as a note; a
        reply-keyboard label (skip, here ...) is marked as that key. Any language, case or
        accents (bot/dispatch/typed.py).
        """
        if inp.kind != InputKind.TEXT or not inp.text or inp.chat_type != "private":
            return inp
        translator = self.renderer.translator
        if inp.reply_to_buttons:
            # A verdict word replying to a saved line marks evidence (flows/hypothesis.py).
            verdict = typed_verdict(translator, inp.text)
            if verdict is not None:
                return replace(inp, verdict=verdict)
        value = typed_button(translator, inp.text, shown_buttons(ctx, position))
        if value is not None:
            data = encode_button(position.version, value)
            return replace(inp, kind=InputKind.CALLBACK, callback_data=data)
        if ctx.member is not None:
            command = typed_menu(translator, inp.text, menu_keys(ctx.member.role))
            if command is not None:
                return replace(inp, kind=InputKind.COMMAND, command=command, args="", text=None)
        return replace(inp, keyboard_key=typed_key(translator, inp.text))

    def _handle(
        self, session: Session, inbox_id: int, payload: dict
    ) -> list[pipeline.OutgoingCall]:
        """Run one update's step; return the calls to queue for it."""
        inp = parse_update(payload)
        if inp.chat_id is None:
            return []
        member = self._member(session, inp.user_id) if inp.user_id is not None else None
        if (
            member is not None
            and not member.active
            and inp.kind
            not in (
                InputKind.BLOCKED,
                InputKind.IGNORED,
            )
        ):
            member.active = True
        state_row = self._chat_state(session, inp.chat_id) if inp.chat_type == "private" else None
        position = Position(
            flow=state_row.flow if state_row else None,
            state=state_row.state if state_row else None,
            draft=dict(state_row.draft or {}) if state_row else {},
            version=state_row.version if state_row else 0,
        )
        ctx = StepContext(session=session, now=self.clock(), config=self.config, member=member)
        inp = self._keyboard_key(ctx, inp, position)
        transition = route(ctx, inp, position)
        version = self._save_position(session, inp, transition, position, state_row)
        member = self._member_after(session, member, inp)
        language = self._language(member, transition, position, inp)
        target = RenderTarget(
            chat_id=inp.chat_id,
            language=language,
            version=version,
            media_dir=self.media_dir,
            callback_query_id=inp.callback_query_id,
            callback_message_id=inp.callback_message_id,
            clear_source_keyboard=inp.kind == InputKind.CALLBACK and transition.moved,
            source_message_id=inp.message_id,
        )
        effects = transition.effects
        pace = self.flood.check(inp.chat_id) if inp.chat_type == "private" else "ok"
        if pace != "ok":
            # The data is kept; the replies wait until the chat calms down.
            effects = tuple(e for e in effects if isinstance(e, CallbackAnswer))
            if pace == "warn":
                effects = (*effects, reply("error.slow_down"))
        return self.renderer.render(effects, target)

    def _member_after(self, session: Session, before: Member | None, inp: Input) -> Member | None:
        """Return the member as the step left them: maybe just joined, maybe just forgotten."""
        if before is None:
            return orgs.get_member(session, inp.user_id) if inp.user_id is not None else None
        return None if _gone(session, before) else before

    def _save_position(
        self,
        session: Session,
        inp: Input,
        transition: Transition,
        position: Position,
        state_row: ChatState | None,
    ) -> int:
        """Store the new position; idle chats keep no state row at all."""
        if not transition.moved or inp.chat_type != "private" or inp.chat_id is None:
            return position.version
        if transition.flow is None:
            if position.flow is not None:
                pipeline.delete_chat_state(session, inp.chat_id)
            return position.version
        if state_row is not None and _gone(session, state_row):
            state_row = None
        row = pipeline.put_chat_state(
            session,
            state_row,
            inp.chat_id,
            transition.flow,
            transition.state,
            dict(transition.draft),
            self.clock(),
        )
        return row.version

    def _language(
        self, member: Member | None, transition: Transition, position: Position, inp: Input
    ) -> str:
        if member is not None:
            return member.language
        for draft in (transition.draft, position.draft):
            language = draft.get("language") if draft else None
            if language in ("nl", "fr", "en"):
                return str(language)
        return preferred_language(inp.language_code, self.config.default_language)


def _gone(session: Session, row: object) -> bool:
    """Say whether a loaded row was deleted (or dropped from the session) meanwhile."""
    state = inspect(row)
    return row in session.deleted or state.deleted or state.was_deleted or state.detached
