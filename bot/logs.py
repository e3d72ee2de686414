"""Logging that never writes the bot token."""

from __future__ import annotations

import logging


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
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper() if level.upper() in logging._nameToLevel else "INFO")
    # httpx logs every request URL, and Bot API URLs contain the token.
    for name in ("httpx", "httpcore", "apscheduler", "aiohttp.access", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
