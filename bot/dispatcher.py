"""Process inbox rows in order: one transaction writes data, flow state, outbox and done-mark."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import inspect, select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.flood import FloodGuard
from bot.render import Renderer, RenderTarget
from bot.typed import typed_button, typed_key
from bot.updates import parse_update
from flows.engine import CallbackAnswer, FlowConfig, Input, InputKind, StepContext, reply
from flows.onboarding import preferred_language
from flows.router import Position, Transition, encode_button, route, shown_buttons
from storage import organisations as orgs
from storage import pipeline
from storage.db import reading
from storage.models import InboxUpdate, Member

log = logging.getLogger("buurtbot.dispatch")

Clock = Callable[[], datetime]

# What a member is told when their update failed, by the number of tries so far.
FAILURE_NOTICES = {1: "error.generic", pipeline.MAX_ATTEMPTS: "error.gave_up"}
# Seconds between looks for failed updates whose next try is due (the first waits a minute).
RETRY_CHECK = 5.0


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
    _next_retry_check: float = field(default=0.0, init=False, repr=False)

    def pending(self, limit: int = 200) -> list[int]:
        """Return ids of inbox rows waiting to be processed, oldest first."""
        with reading(self.session_factory) as session:
            return pipeline.next_inbox_ids(session, limit)

    def process_pending(
        self, limit: int = 200, after_each: Callable[[], None] | None = None
    ) -> int:
        """Process waiting inbox rows in update order; return how many were handled."""
        self.requeue_due()
        handled = 0
        for inbox_id in self.pending(limit):
            if self.process(inbox_id):
                handled += 1
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

    def process(self, inbox_id: int) -> bool:
        """Process the next update of this row's chat in one transaction.

        Another worker may hold the chat: then nothing is done here and False is returned. An
        update whose step fails keeps its content, is marked failed for a retry (see
        pipeline.RETRY_AFTER) and the sender is told; the chat's later updates go on meanwhile.
        Only a database outage raises, leaving the update waiting for the next try.
        """
        claimed: int | None = None
        try:
            with self.session_factory.begin() as session:
                row = pipeline.claim_inbox(session, inbox_id)
                if row is None:
                    return False
                claimed = row.id
                self._handle(session, row.id, row.payload or {})
                pipeline.mark_done(row, self.clock())
            return True
        except (OperationalError, InterfaceError):
            # The database is away (restarting, network): the update stays new for a retry.
            raise
        except Exception as error:  # noqa: BLE001 - one bad update must not stop the bot
            if claimed is None:
                raise
            # Log the kind of error only: the update itself may hold personal content.
            log.error("update %s failed: %s", claimed, type(error).__name__)
            self._record_failure(claimed, type(error).__name__)
            return True

    def _record_failure(self, inbox_id: int, error: str) -> None:
        with self.session_factory.begin() as session:
            # Wait for a worker that may have taken the row meanwhile; skip it if it is done.
            row = session.scalar(
                select(InboxUpdate)
                .where(InboxUpdate.id == inbox_id, InboxUpdate.status == "new")
                .with_for_update()
            )
            if row is None:
                return
            attempts = pipeline.mark_failed(row, error, self.clock())
            if pipeline.next_try(row) is None:
                log.error("update %s kept after %s tries (buurtbot inbox)", inbox_id, attempts)
            # Told once that it will be tried again, once when the tries are spent.
            key = FAILURE_NOTICES.get(attempts)
            chat_id = row.chat_id
            if key is not None and chat_id is not None and chat_id > 0:
                member = orgs.get_member(session, chat_id)
                language = member.language if member else self.config.default_language
                target = RenderTarget(chat_id, language, 0, self.media_dir)
                calls = self.renderer.render([reply(key)], target)
                pipeline.enqueue(session, calls, self.clock(), inbox_id=inbox_id)

    def _keyboard_key(self, ctx: StepContext, inp: Input, position: Position) -> Input:
        """Take a typed button label as the button: DESIGN's "typing a label counts as tapping".

        A label of the question's inline buttons becomes the tap (a callback with the current
        version); a reply-keyboard label (skip, here ...) is marked as that key. Any language,
        case or accents (bot/typed.py).
        """
        if inp.kind != InputKind.TEXT or not inp.text or inp.chat_type != "private":
            return inp
        translator = self.renderer.translator
        value = typed_button(translator, inp.text, shown_buttons(ctx, position))
        if value is not None:
            data = encode_button(position.version, value)
            return replace(inp, kind=InputKind.CALLBACK, callback_data=data)
        return replace(inp, keyboard_key=typed_key(translator, inp.text))

    def _handle(self, session: Session, inbox_id: int, payload: dict) -> None:
        inp = parse_update(payload)
        if inp.chat_id is None:
            return
        member = orgs.get_member(session, inp.user_id) if inp.user_id is not None else None
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
        state_row = (
            pipeline.get_chat_state(session, inp.chat_id) if inp.chat_type == "private" else None
        )
        position = Position(
            flow=state_row.flow if state_row else None,
            state=state_row.state if state_row else None,
            draft=dict(state_row.draft or {}) if state_row else {},
            version=state_row.version if state_row else 0,
        )
        ctx = StepContext(session=session, now=self.clock(), config=self.config, member=member)
        inp = self._keyboard_key(ctx, inp, position)
        transition = route(ctx, inp, position)
        version = self._save_position(session, inp, transition, position)
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
        calls = self.renderer.render(effects, target)
        pipeline.enqueue(session, calls, self.clock(), inbox_id=inbox_id)

    def _member_after(self, session: Session, before: Member | None, inp: Input) -> Member | None:
        """Return the member as the step left them: maybe just joined, maybe just forgotten."""
        if before is None:
            return orgs.get_member(session, inp.user_id) if inp.user_id is not None else None
        state = inspect(before)
        gone = before in session.deleted or state.deleted or state.was_deleted
        return None if gone or state.detached else before

    def _save_position(
        self, session: Session, inp: Input, transition: Transition, position: Position
    ) -> int:
        """Store the new position; idle chats keep no state row at all."""
        if not transition.moved or inp.chat_type != "private" or inp.chat_id is None:
            return position.version
        if transition.flow is None:
            if position.flow is not None:
                pipeline.delete_chat_state(session, inp.chat_id)
            return position.version
        row = pipeline.save_chat_state(
            session,
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
