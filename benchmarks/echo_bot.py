"""A plain python-telegram-bot echo bot: the baseline process for benchmarks/ingest.py.

Usage: python benchmarks/echo_bot.py --token TOKEN --base-url URL/bot --times FILE.json

It long-polls, answers every text (not commands) with the same text, one update at a time (PTB's
default), stores nothing and paces nothing. On SIGTERM or SIGINT it stops and writes, for every
update it handled, when its handler started and when the reply had been sent (time.monotonic(),
which on Linux is one clock for every process on the machine) to FILE.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


def build(token: str, base_url: str, base_file_url: str, handled: list[list[float]]) -> Application:
    """Build the echo application; each handled update appends [start, end] to `handled`."""

    async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        started = time.monotonic()
        if update.message is None or update.message.text is None:
            return
        await update.message.reply_text(update.message.text)
        handled.append([started, time.monotonic()])

    application = (
        Application.builder().token(token).base_url(base_url).base_file_url(base_file_url).build()
    )
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    return application


def main(argv: list[str] | None = None) -> int:
    """Run the echo bot until signalled, then write the handler times."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--token", required=True)
    parser.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:PORT/bot")
    parser.add_argument("--base-file-url", default=None, help="default: base URL with /file/bot")
    parser.add_argument("--times", type=Path, required=True, help="where to write handler times")
    parser.add_argument("--poll-timeout", type=int, default=2)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    file_url = args.base_file_url or args.base_url.removesuffix("/bot") + "/file/bot"
    handled: list[list[float]] = []
    application = build(args.token, args.base_url, file_url, handled)
    try:
        application.run_polling(poll_interval=0.0, timeout=args.poll_timeout, close_loop=True)
    finally:
        args.times.write_text(json.dumps(handled), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
