"""Catalogs in nl, fr and en (gettext .po files read with Babel) and the one translator."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from babel.messages.pofile import read_po

from flows.engine import Text

LANGUAGES = ("nl", "fr", "en")
TAGS = re.compile(r"<[^>]+>")


class MissingMessage(KeyError):
    """A message key is not in a catalog."""


@dataclass(frozen=True)
class Translator:
    """Turns message keys and parameters into Telegram HTML in one language."""

    catalogs: Mapping[str, Mapping[str, str]]

    def keys(self, language: str) -> set[str]:
        """Return every key a language's catalog holds."""
        return set(self.catalogs[language])

    def raw(self, language: str, key: str) -> str:
        """Return a catalog entry untouched."""
        try:
            message = self.catalogs[language][key]
        except KeyError as error:
            raise MissingMessage(f"{language}:{key}") from error
        if not message:
            raise MissingMessage(f"{language}:{key} is empty")
        return message

    def text(self, language: str, key: str, params: Mapping[str, Any] | None = None) -> str:
        """Translate a key, escaping user-supplied parameters for Telegram HTML."""
        message = self.raw(language, key)
        if not params:
            return message
        values = {name: self._value(language, value) for name, value in params.items()}
        return message.format(**values)

    def plain(self, language: str, key: str, params: Mapping[str, Any] | None = None) -> str:
        """Translate a key for a place Telegram shows as plain text (buttons, toasts, menus)."""
        return html.unescape(TAGS.sub("", self.text(language, key, params)))

    def _value(self, language: str, value: Any) -> str:
        if isinstance(value, Text):
            return self.text(language, value.key, value.params)
        if isinstance(value, tuple | list):
            return "\n".join(self._value(language, item) for item in value)
        return html.escape(str(value), quote=False)


def _read_catalog(language: str) -> dict[str, str]:
    """Merge every .po file of a language; one file per area keeps edits apart."""
    messages: dict[str, str] = {}
    folder = resources.files("bot").joinpath("locale", language)
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if not path.name.endswith(".po"):
            continue
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        for message in catalog:
            if not message.id:
                continue
            key = str(message.id)
            if key in messages:
                raise ValueError(f"{language}: {key} is defined twice ({path.name})")
            messages[key] = str(message.string)
    return messages


@cache
def load_translator() -> Translator:
    """Load the packaged catalogs once."""
    return Translator({language: _read_catalog(language) for language in LANGUAGES})
