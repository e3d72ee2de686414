"""Settings as data: each variable, its default and meaning; read from the environment and .env."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values


class SettingsError(ValueError):
    """A setting has a value Buurtbot cannot use."""


@dataclass(frozen=True)
class Setting:
    """One environment variable: its field name, default and meaning."""

    variable: str
    field: str
    default: str
    meaning: str
    parse: Callable[[str], Any] = str


def _language(value: str) -> str:
    if value not in ("nl", "fr", "en"):
        raise SettingsError(f"BUURTBOT_DEFAULT_LANGUAGE must be nl, fr or en, not {value!r}")
    return value


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise SettingsError(f"BUURTBOT_TIMEZONE {value!r} is not a known time zone") from error
    return value


def _geocoder(value: str) -> str:
    if value not in ("off", "nominatim"):
        raise SettingsError(f"BUURTBOT_GEOCODER must be off or nominatim, not {value!r}")
    return value


def _listen_address(value: str) -> str:
    """Accept an IP address (IPv4 or IPv6) or a host name to bind the webhook port to."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,252})", value):
            raise SettingsError(
                f"BUURTBOT_WEBHOOK_LISTEN must be an address such as 127.0.0.1, not {value!r}"
            ) from None
    return value


def _positive_int(variable: str) -> Callable[[str], int]:
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError as error:
            raise SettingsError(f"{variable} must be a whole number, not {value!r}") from error
        if number <= 0:
            raise SettingsError(f"{variable} must be more than 0")
        return number

    return parse


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "BUURTBOT_TELEGRAM_TOKEN",
        "telegram_token",
        "",
        "bot token from @BotFather (needed for run)",
    ),
    Setting(
        "BUURTBOT_TELEGRAM_API_URL",
        "telegram_api_url",
        "https://api.telegram.org",
        "Bot API server root; /bot<token>/<method> is appended as Telegram does",
    ),
    Setting(
        "BUURTBOT_DATABASE_URL",
        "database_url",
        "sqlite:///buurtbot.db",
        "any SQLAlchemy URL; postgresql://user@host/db for several processes",
    ),
    Setting(
        "BUURTBOT_MEDIA_DIR", "media_dir", "media/", "where photos, voice notes and files are kept"
    ),
    Setting(
        "BUURTBOT_TIMEZONE",
        "timezone",
        "Europe/Brussels",
        "time zone for reminders and weeks",
        _timezone,
    ),
    Setting(
        "BUURTBOT_DEFAULT_LANGUAGE",
        "default_language",
        "nl",
        "language (nl, fr or en) when Telegram gives none of these",
        _language,
    ),
    Setting(
        "BUURTBOT_BOT_USERNAME",
        "bot_username",
        "",
        "the bot's @username for invite links; learned from Telegram at start when empty",
    ),
    Setting(
        "BUURTBOT_SECRET_KEY",
        "secret_key",
        "",
        "secret for pseudonyms and hashed counters; generated and kept in the database when empty",
    ),
    Setting(
        "BUURTBOT_WEBHOOK_SECRET",
        "webhook_secret",
        "",
        "secret_token Telegram sends with each webhook call; generated when empty",
    ),
    Setting(
        "BUURTBOT_WEBHOOK_LISTEN",
        "webhook_listen",
        "127.0.0.1",
        "address the webhook port binds; 0.0.0.0 only in a container behind a proxy",
        _listen_address,
    ),
    Setting(
        "BUURTBOT_INVITE_DAYS",
        "invite_days",
        "14",
        "how many days a new invite code stays valid",
        _positive_int("BUURTBOT_INVITE_DAYS"),
    ),
    Setting(
        "BUURTBOT_POLL_TIMEOUT",
        "poll_timeout",
        "30",
        "seconds one long-polling getUpdates call waits for news",
        _positive_int("BUURTBOT_POLL_TIMEOUT"),
    ),
    Setting(
        "BUURTBOT_SEND_TIMEOUT",
        "send_timeout",
        "20",
        "seconds to wait for Telegram's answer to one call before trying it again later",
        _positive_int("BUURTBOT_SEND_TIMEOUT"),
    ),
    Setting("BUURTBOT_LOG_LEVEL", "log_level", "INFO", "DEBUG, INFO, WARNING or ERROR"),
    Setting(
        "BUURTBOT_GEOCODER",
        "geocoder",
        "off",
        "off, or nominatim to add street names and place typed places (needs internet)",
        _geocoder,
    ),
    Setting(
        "BUURTBOT_GEOCODER_USER_AGENT",
        "geocoder_user_agent",
        "",
        "who you are for Nominatim's usage policy, e.g. buurtbot-myorg (contact@example.org)",
    ),
)


@dataclass(frozen=True)
class Settings:
    """The loaded settings of one deployment."""

    telegram_token: str
    telegram_api_url: str
    database_url: str
    media_dir: str
    timezone: str
    default_language: str
    bot_username: str
    secret_key: str
    webhook_secret: str
    webhook_listen: str
    invite_days: int
    poll_timeout: int
    send_timeout: int
    log_level: str
    geocoder: str
    geocoder_user_agent: str

    def with_overrides(self, **changes: Any) -> Settings:
        """Return a copy with some values changed (tests, chat and demo use this)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return Settings(**values)

    @property
    def media_path(self) -> Path:
        """Return the media folder as a path."""
        return Path(self.media_dir)


def load_settings(
    environ: Mapping[str, str] | None = None, dotenv_path: str | Path | None = ".env"
) -> Settings:
    """Read every setting from the environment, then .env, then the default."""
    environ = os.environ if environ is None else environ
    from_file: dict[str, str | None] = {}
    if dotenv_path is not None and Path(dotenv_path).is_file():
        from_file = dotenv_values(dotenv_path)
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get(setting.variable)
        if raw is None:
            raw = from_file.get(setting.variable) or setting.default
        values[setting.field] = setting.parse(raw.strip())
    return Settings(**values)
