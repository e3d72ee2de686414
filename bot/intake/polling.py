"""Long polling: write each batch to the inbox and only then move Telegram's offset past it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot
from telegram.error import Conflict, InvalidToken, NetworkError, TimedOut

from bot.intake.updates import ALLOWED_UPDATES, received
from bot.runtime.waiting import pause
from storage import pipeline
from storage.db import reading

log = logging.getLogger("buurtbot.polling")


def store_batch(factory: sessionmaker[Session], updates: list[dict[str, Any]]) -> int:
    """Commit a batch of raw updates to the inbox; return how many were new."""
    with factory.begin() as session:
        rows = [received(update) for update in updates]
        return pipeline.store_updates(session, rows, datetime.now(UTC))


def resume_offset(factory: sessionmaker[Session]) -> int | None:
    """Return the offset that confirms everything already in the inbox.

    Only ids of the last DEDUPE_WINDOW count: after a week without updates Telegram starts
    again at a random id, which an offset past an older, higher id would confirm unseen.
    """
    since = datetime.now(UTC) - pipeline.DEDUPE_WINDOW
    with reading(factory) as session:
        last = pipeline.last_update_id(session, since)
    return None if last is None else last + 1


async def poll_updates(
    bot: Bot,
    factory: sessionmaker[Session],
    stop: asyncio.Event,
    on_stored: Callable[[], None],
    timeout: int = 30,
) -> None:
    """Fetch updates until stopped; the offset advances only after the inbox commit."""
    offset = await asyncio.to_thread(resume_offset, factory)
    failures = 0
    while not stop.is_set():
        params: dict[str, Any] = {"timeout": timeout, "allowed_updates": ALLOWED_UPDATES}
        if offset is not None:
            params["offset"] = offset
        try:
            updates = await bot.do_api_request(
                "getUpdates", api_kwargs=params, read_timeout=timeout + 10
            )
            failures = 0
        except TimedOut:
            continue
        except Conflict:
            log.error("another process is polling this bot, or a webhook is set; retrying")
            await pause(stop, 5)
            continue
        except InvalidToken:
            log.critical("Telegram rejected the bot token; check BUURTBOT_TELEGRAM_TOKEN")
            await pause(stop, 30)
            continue
        except NetworkError as error:
            failures += 1
            log.warning("getUpdates failed (%s); retrying", type(error).__name__)
            await pause(stop, min(30, 2**failures))
            continue
        if not updates:
            continue
        try:
            await asyncio.to_thread(store_batch, factory, list(updates))
        except Exception as error:  # noqa: BLE001 - keep the offset; Telegram will resend
            log.error(
                "could not store updates (%s); they will be fetched again", type(error).__name__
            )
            await pause(stop, 2)
            continue
        offset = max(int(update["update_id"]) for update in updates) + 1
        on_stored()
