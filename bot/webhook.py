"""Webhook mode: answer Telegram with 200 only after the update is committed to the inbox."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Callable
from urllib.parse import urlsplit

from aiohttp import web
from sqlalchemy.orm import Session, sessionmaker

from bot.polling import store_batch
from storage.db import ping

log = logging.getLogger("buurtbot.webhook")

MAX_BODY = 1024 * 1024


def webhook_path(url: str) -> str:
    """Return the path part of the public webhook URL, where updates are received."""
    return urlsplit(url).path or "/"


def make_webhook_app(
    factory: sessionmaker[Session],
    path: str,
    secret: str,
    on_stored: Callable[[], None],
) -> web.Application:
    """Build the aiohttp application that receives updates and a health check."""

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return web.Response(status=403, text="forbidden")
        try:
            update = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return web.Response(status=400, text="not json")
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            return web.Response(status=400, text="not an update")
        try:
            await asyncio.to_thread(store_batch, factory, [update])
        except Exception as error:  # noqa: BLE001 - a non-200 makes Telegram retry later
            log.error("could not store a webhook update: %s", type(error).__name__)
            return web.Response(status=503, text="try again")
        on_stored()
        return web.Response(text="ok")

    async def health(_request: web.Request) -> web.Response:
        # A proxy should send Telegram elsewhere (or nowhere) while the database is away.
        try:
            await asyncio.to_thread(ping, factory)
        except Exception as error:  # noqa: BLE001 - any failure means "not healthy"
            log.warning("health check: the database does not answer (%s)", type(error).__name__)
            return web.Response(status=503, text="database unavailable")
        return web.Response(text="ok")

    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_post(path, receive)
    app.router.add_get("/healthz", health)
    return app
