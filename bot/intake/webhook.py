"""Webhook mode: answer Telegram with 200 only after the update is committed to the inbox.

The port is meant to sit behind a reverse proxy, but it must also survive whatever reaches it
directly (README, "Webhook mode"):

- it binds BUURTBOT_WEBHOOK_LISTEN (127.0.0.1 unless set);
- a connection that is not in the middle of a request is closed after IDLE_TIMEOUT: that is
  the time a client has to send a whole request head (after connecting, or after the previous
  answer on a kept-alive connection) and the keep-alive limit;
- a request body must arrive within BODY_TIMEOUT (else 408) and be at most MAX_BODY (413);
- at most connection_cap() connections are open at once: a new one beyond that closes the
  connection that has been idle the longest, so half-open connections can never use up the
  process's file descriptors and lock Telegram (and the database files) out;
- an update must be one JSON object, nested at most MAX_DEPTH deep, with an integer
  `update_id` from 1 to 2^53 - 1, numbers that fit Telegram's ids, and valid Unicode;
  anything else is a 400 (never a stored row, nor a 503 Telegram would retry for ever);
- GET /healthz answers within HEALTH_TIMEOUT: 503 when the database cannot take a write by
  then (for example while another process holds SQLite's write lock).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import math
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from sqlalchemy.orm import Session, sessionmaker

from bot.intake.polling import store_batch
from storage.db import check_database

log = logging.getLogger("buurtbot.webhook")

MAX_BODY = 1024 * 1024
# Seconds a connection may sit without a request being handled: to send a request head after
# connecting or after the previous answer (Telegram sends at once), and the keep-alive limit.
IDLE_TIMEOUT = 5.0
# Seconds to receive a request's body once its head is in.
BODY_TIMEOUT = 5.0
# The most connections open at once (Telegram opens at most 100, a proxy a few); fewer when
# the process may open few files (see connection_cap()).
MAX_CONNECTIONS = 256
LISTEN_BACKLOG = 128
# /healthz answers within a second: the database gets this long to take a write.
HEALTH_TIMEOUT = 0.8
# Telegram's updates are a few levels deep (a reply inside a message inside the update).
MAX_DEPTH = 32
# update_id and every other number in an update fit in 53 bits (Telegram's ids have at most 52).
MAX_UPDATE_ID = 2**53


def webhook_path(url: str) -> str:
    """Return the path part of the public webhook URL, where updates are received."""
    return urlsplit(url).path or "/"


def connection_cap(limit: int | None = None) -> int:
    """Return how many connections to keep at most: a quarter of the files the process may open.

    The rest is left to the database, Telegram's API and the listening socket, so even with
    systemd's usual limit of 1,024 open files the process never runs out.
    """
    limit = MAX_CONNECTIONS if limit is None else limit
    try:
        import resource

        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError, ValueError):
        return limit
    if soft == resource.RLIM_INFINITY or soft <= 0:
        return limit
    return max(8, min(limit, soft // 4))


# -- reading an update ---------------------------------------------------------------------


class BadUpdate(ValueError):
    """The body is not an update Buurtbot may store; the message is the 400's text."""


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _check_values(update: dict[str, Any]) -> None:
    """Walk the update without recursion: depth, number sizes and Unicode (lone surrogates)."""
    stack: list[tuple[Any, int]] = [(update, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            if depth > MAX_DEPTH:
                raise BadUpdate("nested too deeply")
            for key, item in value.items():
                _check_text(key)
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            if depth > MAX_DEPTH:
                raise BadUpdate("nested too deeply")
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            _check_text(value)
        elif (
            isinstance(value, int)
            and not isinstance(value, bool)
            and not -MAX_UPDATE_ID < value < MAX_UPDATE_ID
        ):
            raise BadUpdate("number out of range")


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadUpdate("not valid Unicode") from None


def read_update(body: bytes) -> dict[str, Any]:
    """Return the update a webhook body holds; raise BadUpdate when it is not one to store."""
    try:
        update = json.loads(body, parse_float=_finite_float, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadUpdate("not json") from None
    if not isinstance(update, dict):
        raise BadUpdate("not an update")
    update_id = update.get("update_id")
    # bool is an int in Python: True must not pass for update 1.
    if type(update_id) is not int or not 0 < update_id < MAX_UPDATE_ID:
        raise BadUpdate("update_id must be a whole number from 1 to 2^53 - 1")
    _check_values(update)
    return update


# -- connections -----------------------------------------------------------------------------


class _Connection(asyncio.Protocol):
    """Wraps aiohttp's protocol for one connection, so the guard sees it open, busy and close."""

    def __init__(self, inner: asyncio.Protocol, guard: ConnectionGuard) -> None:
        self.inner = inner
        self.guard = guard
        self.transport: asyncio.Transport | None = None
        self.busy = 0
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.inner.connection_made(transport)
        self.guard.opened(self)

    def data_received(self, data: bytes) -> None:
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self.guard.closed(self)
        self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()


class ConnectionGuard:
    """Caps open connections (shedding the longest idle) and closes idle ones after a while."""

    def __init__(self, cap: int | None = None, idle_timeout: float | None = None) -> None:
        self.cap = cap if cap is not None else connection_cap()
        self.idle_timeout = IDLE_TIMEOUT if idle_timeout is None else idle_timeout
        # Every open connection; the idle ones in the order they became idle.
        self._open: dict[asyncio.Protocol, _Connection] = {}
        self._idle: OrderedDict[_Connection, None] = OrderedDict()
        self.shed = 0
        self.timed_out = 0

    @property
    def open_count(self) -> int:
        """Return how many connections are open."""
        return len(self._open)

    def wrap(self, factory: Callable[[], asyncio.Protocol]) -> Callable[[], asyncio.Protocol]:
        """Return a protocol factory for asyncio's server that puts each connection under guard."""
        return lambda: _Connection(factory(), self)

    def opened(self, connection: _Connection) -> None:
        """Count a new connection; beyond the cap, close the one idle the longest."""
        self._open[connection.inner] = connection
        self._become_idle(connection)
        while len(self._open) > self.cap and self._idle:
            oldest = next(iter(self._idle))
            self._drop(oldest)
            self.shed += 1
            # Logged once a minute at most (bot/runtime/logs.py), with how many more there were.
            log.warning("more than %d connections: closed the one idle the longest", self.cap)
            if oldest.transport is not None:
                oldest.transport.abort()

    def closed(self, connection: _Connection) -> None:
        """Forget a connection that closed."""
        self._drop(connection)

    def _drop(self, connection: _Connection) -> None:
        self._open.pop(connection.inner, None)
        self._idle.pop(connection, None)
        if connection.timer is not None:
            connection.timer.cancel()
            connection.timer = None

    def _become_idle(self, connection: _Connection) -> None:
        self._idle[connection] = None
        self._idle.move_to_end(connection)
        if connection.timer is not None:
            connection.timer.cancel()
        loop = asyncio.get_running_loop()
        connection.timer = loop.call_later(self.idle_timeout, self._expire, connection)

    def _expire(self, connection: _Connection) -> None:
        connection.timer = None
        if connection.busy or connection not in self._idle:
            return
        self._drop(connection)
        self.timed_out += 1
        if connection.transport is not None:
            connection.transport.close()

    def request_started(self, protocol: Any) -> _Connection | None:
        """Mark the connection of a request busy: it is not idle while its request is handled."""
        connection = self._open.get(protocol)
        if connection is None:
            return None
        connection.busy += 1
        self._idle.pop(connection, None)
        if connection.timer is not None:
            connection.timer.cancel()
            connection.timer = None
        return connection

    def request_finished(self, connection: _Connection | None) -> None:
        """Mark a connection idle again once its request is handled."""
        if connection is None:
            return
        connection.busy -= 1
        if connection.busy == 0 and connection.inner in self._open:
            self._become_idle(connection)


GUARD = web.AppKey("connection_guard", ConnectionGuard)


class GuardedSite(web.BaseSite):
    """A TCP site whose connections are under a ConnectionGuard."""

    def __init__(
        self, runner: web.BaseRunner, host: str, port: int, guard: ConnectionGuard
    ) -> None:
        super().__init__(runner, backlog=LISTEN_BACKLOG)
        self._host = host
        self._port = port
        self.guard = guard

    @property
    def name(self) -> str:
        """Return the site's URL."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self._port}"

    async def start(self) -> None:
        """Listen on the address and port."""
        await super().start()
        server = self._runner.server
        assert server is not None
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self.guard.wrap(server), self._host, self._port, backlog=self._backlog
        )


async def start_webhook_server(webapp: web.Application, host: str, port: int) -> web.AppRunner:
    """Serve the webhook application on host:port; return the runner to clean up."""
    runner = web.AppRunner(
        webapp,
        keepalive_timeout=IDLE_TIMEOUT,
        access_log=None,
        max_line_size=8190,
        max_field_size=8190,
        max_headers=64,
        # A refused body (403, 408, 413) is not read on: the connection just closes.
        lingering_time=0,
    )
    await runner.setup()
    try:
        await GuardedSite(runner, host, port, webapp[GUARD]).start()
    except OSError:
        await runner.cleanup()
        raise
    return runner


# -- the application -------------------------------------------------------------------------


class HealthCheck:
    """Asks the database for a write in a thread of its own, within HEALTH_TIMEOUT.

    One check runs at a time: a check stuck on a locked or vanished database holds one thread,
    never the pool every other part of the bot needs, and later requests wait for the same one.
    """

    def __init__(self, factory: sessionmaker[Session], timeout: float | None = None) -> None:
        self.factory = factory
        self.timeout = HEALTH_TIMEOUT if timeout is None else timeout
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="healthz")
        self._running: Future[None] | None = None

    async def healthy(self) -> tuple[bool, str]:
        """Return whether the database took a write in time, and what went wrong if not."""
        if self._running is None or self._running.done():
            self._running = self._executor.submit(check_database, self.factory, self.timeout)
            # Whatever comes of a check nobody waits for any more is read (and dropped).
            self._running.add_done_callback(lambda f: f.cancelled() or f.exception())
        try:
            await asyncio.wait_for(asyncio.wrap_future(self._running), self.timeout)
        except TimeoutError:
            return False, "timeout"
        except Exception as error:  # noqa: BLE001 - any failure means "not healthy"
            return False, type(error).__name__
        return True, ""

    def close(self) -> None:
        """Let the checking thread end; do not wait for a stuck one."""
        self._executor.shutdown(wait=False, cancel_futures=True)


def make_webhook_app(
    factory: sessionmaker[Session],
    path: str,
    secret: str,
    on_stored: Callable[[], None],
    guard: ConnectionGuard | None = None,
) -> web.Application:
    """Build the aiohttp application that receives updates and a health check."""
    guard = guard or ConnectionGuard()
    health_check = HealthCheck(factory)

    @web.middleware
    async def busy_while_handled(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        connection = guard.request_started(request.protocol)
        try:
            return await handler(request)
        finally:
            guard.request_finished(connection)

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return closing(web.Response(status=403, text="forbidden"))
        if (request.content_length or 0) > MAX_BODY:
            return closing(web.Response(status=413, text="too big"))
        try:
            body = await asyncio.wait_for(request.read(), BODY_TIMEOUT)
        except TimeoutError:
            return closing(web.Response(status=408, text="body too slow"))
        except web.HTTPRequestEntityTooLarge:
            return closing(web.Response(status=413, text="too big"))
        except (OSError, web.RequestPayloadError):
            # The client went away or sent a broken body: nobody to answer, nothing to log.
            return closing(web.Response(status=400, text="broken body"))
        try:
            update = read_update(body)
        except BadUpdate as error:
            return web.Response(status=400, text=str(error))
        try:
            await asyncio.to_thread(store_batch, factory, [update])
        except Exception as error:  # noqa: BLE001 - a non-200 makes Telegram retry later
            log.error("could not store a webhook update: %s", type(error).__name__)
            return web.Response(status=503, text="try again")
        on_stored()
        return web.Response(text="ok")

    async def health(_request: web.Request) -> web.Response:
        # A proxy should send Telegram elsewhere (or nowhere) while the database is away.
        healthy, problem = await health_check.healthy()
        if not healthy:
            log.warning("health check: the database does not answer (%s)", problem)
            return web.Response(status=503, text="database unavailable")
        return web.Response(text="ok")

    async def cleanup(_app: web.Application) -> None:
        health_check.close()

    app = web.Application(client_max_size=MAX_BODY, middlewares=[busy_while_handled])
    app[GUARD] = guard
    app.router.add_post(path, receive)
    app.router.add_get("/healthz", health)
    app.on_cleanup.append(cleanup)
    return app


def closing(response: web.Response) -> web.Response:
    """Return the response set to close its connection (the request was refused or broken)."""
    response.force_close()
    return response


__all__ = [
    "BadUpdate",
    "ConnectionGuard",
    "GuardedSite",
    "make_webhook_app",
    "read_update",
    "start_webhook_server",
    "webhook_path",
]
