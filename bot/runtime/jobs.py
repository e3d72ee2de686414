"""Scheduled sweeps: derive what is due from the database and queue it through the outbox."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from telegram.ext import ContextTypes

from bot.dispatch.render import Renderer, RenderTarget
from bot.runtime.memory import releasing_after_long_jobs
from flows import geocoding
from flows.engine import Messages, StepContext
from storage import pipeline
from storage.db import reading
from storage.models import ChatState, Member

if TYPE_CHECKING:
    from bot.runtime.app import Buurtbot

log = logging.getLogger("buurtbot.jobs")

CHUNK = 500

Sweep = Callable[[StepContext], Messages]


def _by_id(session: Session, model: Any, column: Any, ids: set[int]) -> dict[int, Any]:
    """Load rows whose column is in a set of ids, in chunks the database accepts."""
    found: dict[int, Any] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        for row in session.scalars(select(model).where(column.in_(chunk))):
            found[getattr(row, column.key)] = row
    return found


def render_messages(
    session: Session, renderer: Renderer, media_dir: Path, messages: Messages
) -> list[pipeline.OutgoingCall]:
    """Render (chat, member id, effects) for active members, each in their own language."""
    if not messages:
        return []
    # Members and chat states are loaded in bulk: a sweep may reach thousands of people.
    members = _by_id(session, Member, Member.id, {member_id for _, member_id, _ in messages})
    states = _by_id(session, ChatState, ChatState.chat_id, {chat for chat, _, _ in messages})
    calls = []
    for chat_id, member_id, effects in messages:
        member = members.get(member_id)
        if member is None or not member.active:
            continue
        state = states.get(chat_id)
        target = RenderTarget(
            chat_id=chat_id,
            language=member.language,
            version=state.version if state else 0,
            media_dir=media_dir,
        )
        calls.extend(renderer.render(effects, target))
    return calls


def run_sweep(app: Buurtbot, sweep: Sweep) -> int:
    """Run one sweep in one transaction: its changes and the messages it queues commit together."""
    with app.session_factory.begin() as session:
        now = app.clock()
        ctx = StepContext(session=session, now=now, config=app.flow_config, member=None)
        results = sweep(ctx)
        calls = render_messages(session, app.renderer, app.dispatcher.media_dir, results)
        pipeline.enqueue(session, calls, now)
        return len(calls)


def geocode_round(app: Buurtbot) -> int:
    """Ask the geocoder about recent observations, outside any transaction; store the answers."""
    if app.geocoder is None:
        return 0
    with reading(app.session_factory) as session:
        todo = geocoding.lookups(session)
    answers = [
        (
            lookup,
            app.geocoder.reverse(lookup.lat, lookup.lon)
            if lookup.kind == "street"
            else app.geocoder.geocode(lookup.query),
        )
        for lookup in todo
    ]
    if not answers:
        return 0
    with app.session_factory.begin() as session:
        ctx = StepContext(session=session, now=app.clock(), config=app.flow_config, member=None)
        return geocoding.apply(ctx, answers)


async def geocode_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Run one geocoding round in a thread (the geocoder waits a second between requests)."""
    app: Buurtbot = context.job.data
    try:
        await asyncio.to_thread(geocode_round, app)
    except Exception as error:  # noqa: BLE001 - the next round tries again
        log.warning("geocoding round failed: %s", type(error).__name__)


def sweep_job(sweep: Sweep) -> Callable[[ContextTypes.DEFAULT_TYPE], object]:
    """Wrap a sweep as a JobQueue callback that never raises."""

    async def job(context: ContextTypes.DEFAULT_TYPE) -> None:
        app: Buurtbot = context.job.data
        try:
            queued = await asyncio.to_thread(releasing_after_long_jobs(run_sweep), app, sweep)
        except Exception as error:  # noqa: BLE001 - the next run catches up
            log.error("sweep %s failed: %s", sweep.__name__, type(error).__name__)
            return
        if queued:
            app.outbox_event.set()

    job.__name__ = f"sweep_{sweep.__name__}"
    return job
