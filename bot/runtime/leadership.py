"""Roles only one process may play at a time, taken over within seconds when the leader dies.

Every worker dispatches inbox rows. Three roles are elected, each with its own lock:

| role      | what the leader does                                          |
|-----------|---------------------------------------------------------------|
| intake    | long-polls Telegram, or serves the webhook; sets the menus    |
| scheduler | runs the JobQueue sweeps (reminders, digests, housekeeping)   |
| delivery  | sends the outbox within Telegram's limits; downloads media    |

Telegram's limits are per bot, so one pacer in one process is the only exact way to keep
them; a new leader never resends a call the old one may still be making (see claim_send).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.runtime.waiting import pause
from storage.locks import LeaderLock

log = logging.getLogger("buurtbot.leadership")

ROLES = ("intake", "scheduler", "delivery")
# How often a follower tries to take a role, and a leader checks it still holds it.
CHECK_INTERVAL = 1.0


@dataclass(frozen=True)
class Role:
    """What to do on winning a role and on losing it."""

    name: str
    start: Callable[[], Awaitable[None]]
    stop: Callable[[], Awaitable[None]]


async def lead(
    lock: LeaderLock,
    role: Role,
    stop: asyncio.Event,
    interval: float = CHECK_INTERVAL,
    on_change: Callable[[str, bool], None] | None = None,
    on_first_try: Callable[[str, bool], None] | None = None,
) -> None:
    """Play a role whenever this process holds its lock, until stopped."""
    active = False
    first = True

    async def step_down(reason: str) -> None:
        nonlocal active
        log.warning("%s: %s; stepping down", role.name, reason)
        active = False
        if on_change is not None:
            on_change(role.name, False)
        try:
            await role.stop()
        except Exception as error:  # noqa: BLE001 - stepping down must always finish
            log.error("%s did not stop cleanly: %s", role.name, type(error).__name__)

    try:
        while not stop.is_set():
            if active:
                if not await asyncio.to_thread(lock.held):
                    await step_down("the lock is gone")
            elif await asyncio.to_thread(lock.acquire):
                try:
                    await role.start()
                except Exception as error:  # noqa: BLE001 - let another process try
                    log.error("%s could not start: %s", role.name, type(error).__name__)
                    # Undo whatever part did start (a bound port, say) before letting go.
                    with contextlib.suppress(Exception):
                        await role.stop()
                    await asyncio.to_thread(lock.release)
                else:
                    active = True
                    log.info("this process leads %s", role.name)
                    if on_change is not None:
                        on_change(role.name, True)
            if first and on_first_try is not None:
                on_first_try(role.name, active)
            first = False
            await pause(stop, interval)
    finally:
        if active:
            await role.stop()
            if on_change is not None:
                on_change(role.name, False)
        await asyncio.to_thread(lock.release)
