"""A bot whose clock the test sets: real seconds go by, from a moment the test chooses."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.runtime.runner import BotThread
from bot.runtime.settings import Settings
from tests.conversations.helpers import wait_drained


class SetClock:
    """A clock for the bot that runs at real speed from a chosen moment; set() moves it."""

    def __init__(self, moment: datetime) -> None:
        self.set(moment)

    def set(self, moment: datetime) -> None:
        """Make it `moment` (an aware datetime) now; the clock goes on from there."""
        self._offset = moment - datetime.now(UTC)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self._offset


def restart_on(bot: BotThread, settings: Settings, clock: SetClock, world, sandbox) -> BotThread:
    """Stop the test's bot once all is sent and start it on a set clock; stop it after.

    Everything queued is sent first: a message queued at the real time would otherwise wait
    for the set clock to reach that moment, holding up its chat.
    """
    wait_drained(world.factory, sandbox)
    bot.stop()
    return BotThread(settings, pacer=bot.pacer, clock=clock).start()
