"""Run a bot in a background thread with its own event loop (chat, demo and tests)."""

from __future__ import annotations

import asyncio
import threading

from bot.delivery.ratelimit import SendPacer
from bot.dispatch.dispatcher import Clock, utc_now
from bot.runtime.app import Buurtbot, build_app, run_bot
from bot.runtime.settings import Settings
from storage.db import upgrade


class BotThread:
    """A running bot in a thread: start() returns once it polls, stop() waits for it."""

    def __init__(
        self,
        settings: Settings,
        pacer: SendPacer | None = None,
        clock: Clock = utc_now,
        webhook_url: str | None = None,
        port: int | None = None,
    ) -> None:
        self.settings = settings
        self.pacer = pacer
        self.clock = clock
        self.webhook_url = webhook_url
        self.port = port
        self.app: Buurtbot | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self.error: BaseException | None = None

    def start(self, timeout: float = 30.0) -> BotThread:
        """Migrate the database, start the bot and wait until it runs."""
        upgrade(self.settings.database_url)
        self.app = build_app(self.settings, clock=self.clock, pacer=self.pacer)
        self._thread = threading.Thread(target=self._main, name="buurtbot", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError(f"the bot did not start: {self.error!r}")
        if self.error is not None:
            raise RuntimeError("the bot failed to start") from self.error
        return self

    def _main(self) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        ready = asyncio.Event()

        async def main() -> None:
            assert self.app is not None
            watcher = asyncio.create_task(self._signal_ready(ready))
            try:
                await run_bot(self.app, self.webhook_url, self.port, ready=ready)
            finally:
                watcher.cancel()

        try:
            self._loop.run_until_complete(main())
        except BaseException as error:  # noqa: BLE001 - reported to the starting thread
            self.error = error
        finally:
            self._ready.set()
            self._loop.close()

    async def _signal_ready(self, ready: asyncio.Event) -> None:
        await ready.wait()
        self._ready.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the bot to stop and wait for it."""
        if self._loop is not None and self.app is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.app.stop_event.set)
        if self._thread is not None:
            self._thread.join(timeout)

    def __enter__(self) -> BotThread:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
