"""Small helpers that play common steps of a conversation."""

from __future__ import annotations

import html
import re
from typing import Any

from bot.i18n import load_translator

TRANSLATOR = load_translator()
LANGUAGE_NAMES = {"nl": "Nederlands", "fr": "Français", "en": "English"}


def plain(text: str) -> str:
    """Return catalog HTML as the plain text Telegram shows."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def says(message: dict[str, Any], key: str, language: str, **params: Any) -> bool:
    """Say whether a bot message is the catalog text for a key in a language."""
    text = message.get("text") or message.get("caption") or ""
    if params:
        return text == plain(TRANSLATOR.text(language, key, params))
    head = plain(TRANSLATOR.raw(language, key)).split("{")[0].strip()
    return text.startswith(head)


def button_texts(message: dict[str, Any]) -> list[str]:
    """Return the texts of a message's inline buttons."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [button["text"] for row in rows for button in row]


def tap(user: Any, message: dict[str, Any], label_end: str) -> None:
    """Tap the button of a message whose label ends with the given text."""
    matches = [text for text in button_texts(message) if text.endswith(label_end)]
    assert len(matches) == 1, (label_end, button_texts(message))
    user.click(matches[0], message=message)


def join(user: Any, code: str, language: str = "nl") -> list[dict[str, Any]]:
    """Play onboarding to the end with a code; return the welcome and help messages."""
    user.send_command("/start", code)
    [choose] = user.wait_for_messages(1)
    tap(user, choose, LANGUAGE_NAMES[language])
    [about] = user.wait_for_messages(1)
    tap(user, about, TRANSLATOR.raw(language, "button.continue"))
    [consent] = user.wait_for_messages(1)
    tap(user, consent, TRANSLATOR.raw(language, "button.agree"))
    return user.wait_for_messages(2)
