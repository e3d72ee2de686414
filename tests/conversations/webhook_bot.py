"""`buurtbot run --webhook URL --port N` as a process, for the webhook fault test.

The same steps as the CLI's `run` (logging, migrations, build_app, run_bot) with a pacer that
never waits; only the CLI's check that the URL starts with https:// is left out, because the
sandbox plays Telegram over plain HTTP on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from bot.runtime.app import build_app, run_bot
from bot.runtime.logs import configure_logging
from bot.runtime.settings import load_settings
from storage.db import upgrade
from tests.conversations.helpers import unpaced


def main(url: str, port: int) -> None:
    """Run the bot in webhook mode until SIGTERM or SIGINT."""
    settings = load_settings()
    configure_logging(settings.log_level, [settings.telegram_token])
    upgrade(settings.database_url)
    app = build_app(settings, pacer=unpaced())

    async def run() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, lambda: app.stop_event.set())
        await run_bot(app, webhook_url=url, port=port)

    asyncio.run(run())


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
