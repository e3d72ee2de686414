"""Logging that never writes the bot token."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable


class RedactFilter(logging.Filter):
    """Replace secrets in log records (the token appears in Bot API URLs)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [secret for secret in secrets if secret]

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record's message in place; always keep the record."""
        if not self.secrets:
            return True
        message = record.getMessage()
        redacted = message
        for secret in self.secrets:
            redacted = redacted.replace(secret, "<redacted>")
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True


class ThrottleFilter(logging.Filter):
    """Let one record of each kind (logger, level, message, exception type) through per interval.

    The rest are counted, and the next record of that kind let through says how many there
    were: an error repeated in a tight loop (a full file table, a database gone) costs one line
    a minute, not a disk. Records below `level` always pass.
    """

    MAX_KINDS = 1000

    def __init__(
        self,
        interval: float = 60.0,
        level: int = logging.WARNING,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.interval = interval
        self.level = level
        self.clock = clock
        self._kinds: dict[tuple[str, int, str, str], list[float]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        """Pass the first record of its kind in an interval (with the count of those held back)."""
        if record.levelno < self.level:
            return True
        error = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else ""
        kind = (record.name, record.levelno, str(record.msg).split("\n", 1)[0][:200], error)
        now = self.clock()
        seen = self._kinds.get(kind)
        if seen is not None and now - seen[0] < self.interval:
            seen[1] += 1
            return False
        if seen is None and len(self._kinds) >= self.MAX_KINDS:
            self._kinds = {k: v for k, v in self._kinds.items() if now - v[0] < self.interval}
        held_back = int(seen[1]) if seen else 0
        self._kinds[kind] = [now, 0]
        if held_back:
            record.msg = (
                f"{record.getMessage()} ({held_back} more like this in the last "
                f"{self.interval:g} s)"
            )
            record.args = None
        return True


# Loggers that may see Bot API URLs (which contain the token) or our own messages.
GUARDED_LOGGERS = ("httpx", "httpcore", "telegram", "telegram.ext", "buurtbot", "aiohttp.access")


def protect_logs(token: str) -> None:
    """Redact the token on every logger that might see it, whatever handler listens."""
    guard = RedactFilter([token, token.split(":", 1)[-1]])
    for name in GUARDED_LOGGERS:
        logger = logging.getLogger(name)
        logger.filters = [f for f in logger.filters if not isinstance(f, RedactFilter)]
        logger.addFilter(guard)
    # httpx logs every request URL at INFO, and Bot API URLs contain the token; PTB's DEBUG
    # lines carry whole updates (names, texts). Neither level is allowed, whatever is configured.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in ("telegram", "telegram.ext"):
        logging.getLogger(name).setLevel(logging.INFO)


def configure_logging(level: str, secrets: list[str]) -> None:
    """Log to stderr at a level, with secrets redacted and chatty HTTP libraries quieted."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactFilter(secrets))
    # Errors repeated in a loop (a full file table, the database away) log once a minute.
    handler.addFilter(ThrottleFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper() if level.upper() in logging._nameToLevel else "INFO")
    # httpx logs every request URL, and Bot API URLs contain the token.
    for name in ("httpx", "httpcore", "apscheduler", "aiohttp.access", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
