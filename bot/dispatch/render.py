"""The one renderer: translate reply values and turn them into Bot API calls for the outbox."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bot.dispatch.i18n import Translator
from bot.runtime.qr import qr_file_in
from flows.commands import commands_for
from flows.engine import (
    Button,
    CallbackAnswer,
    EditButtons,
    Effect,
    Reaction,
    Reply,
    SetCommands,
    Text,
)
from flows.router import encode_button
from storage.pipeline import OutgoingCall

MAX_TEXT = 4096
MAX_CAPTION = 1024


@dataclass(frozen=True)
class RenderTarget:
    """Where and how to render: the chat, its language, the button version, the tapped message."""

    chat_id: int
    language: str
    version: int
    media_dir: Path
    callback_query_id: str | None = None
    callback_message_id: int | None = None
    clear_source_keyboard: bool = False
    source_message_id: int | None = None


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split a long text at line breaks into pieces Telegram accepts."""
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current:
        pieces.append(current)
    return pieces


class Renderer:
    """Translates effects into outbox calls in one language."""

    def __init__(self, translator: Translator) -> None:
        self.translator = translator

    def _inline_keyboard(
        self, rows: tuple[tuple[Button, ...], ...], target: RenderTarget
    ) -> dict[str, Any]:
        return {
            "inline_keyboard": [
                [
                    {
                        "text": self.translator.plain(target.language, button.label, button.params),
                        "callback_data": encode_button(target.version, button.value),
                    }
                    for button in row
                ]
                for row in rows
            ]
        }

    def _markup(self, item: Reply, target: RenderTarget) -> dict[str, Any] | None:
        if item.buttons:
            return self._inline_keyboard(item.buttons, target)
        if item.request_location or item.keyboard:
            rows: list[list[dict[str, Any]]] = []
            if item.request_location:
                label = self.translator.plain(target.language, item.request_location)
                rows.append([{"text": label, "request_location": True}])
            rows.extend(
                [{"text": self.translator.plain(target.language, key)}] for key in item.keyboard
            )
            return {"keyboard": rows, "resize_keyboard": True, "one_time_keyboard": True}
        if item.menu:
            # The main menu stays under the typing field until another keyboard replaces it.
            return {
                "keyboard": [
                    [{"text": self.translator.plain(target.language, key.label)} for key in row]
                    for row in item.menu
                ],
                "is_persistent": True,
                "resize_keyboard": True,
            }
        if item.remove_keyboard:
            return {"remove_keyboard": True}
        return None

    def _edit(self, item: Reply, target: RenderTarget) -> list[OutgoingCall]:
        text = split_text(self.translator.text(target.language, item.key, item.params))[0]
        payload: dict[str, Any] = {
            "chat_id": target.chat_id,
            "message_id": target.callback_message_id,
            "text": text,
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": True},
        }
        if item.buttons:
            payload["reply_markup"] = self._inline_keyboard(item.buttons, target)
        return [OutgoingCall(target.chat_id, "editMessageText", payload)]

    def _reply(self, item: Reply, target: RenderTarget) -> list[OutgoingCall]:
        if item.chat_id is not None and item.chat_id != target.chat_id:
            # Elsewhere (a group's question to a coordinator): a new message, never an edit.
            target = replace(
                target, chat_id=item.chat_id, callback_message_id=None, source_message_id=None
            )
            item = replace(item, edit=False)
        if item.edit and target.callback_message_id:
            return self._edit(item, target)
        text = self.translator.text(target.language, item.key, item.params)
        pieces = split_text(text)
        calls: list[OutgoingCall] = []
        for index, piece in enumerate(pieces):
            payload: dict[str, Any] = {
                "chat_id": target.chat_id,
                "text": piece,
                "parse_mode": "HTML",
                "link_preview_options": {"is_disabled": True},
            }
            markup = self._markup(item, target) if index == len(pieces) - 1 else None
            if markup is not None:
                payload["reply_markup"] = markup
            calls.append(OutgoingCall(target.chat_id, "sendMessage", payload))
        if item.document:
            calls.append(
                OutgoingCall(
                    target.chat_id,
                    "sendDocument",
                    {"chat_id": target.chat_id, "document": {"path": item.document}},
                )
            )
        if item.qr:
            path = qr_file_in(target.media_dir, item.qr)
            caption = self.translator.plain(target.language, "invite.qr_caption")
            calls.append(
                OutgoingCall(
                    target.chat_id,
                    "sendPhoto",
                    {"chat_id": target.chat_id, "photo": {"path": path}, "caption": caption},
                )
            )
        return calls

    def _commands(self, item: SetCommands, target: RenderTarget) -> OutgoingCall:
        scope = {"type": "chat", "chat_id": target.chat_id}
        if item.role is None:
            return OutgoingCall(target.chat_id, "deleteMyCommands", {"scope": scope})
        return OutgoingCall(
            target.chat_id,
            "setMyCommands",
            {"commands": self.command_list(item.role, target.language), "scope": scope},
        )

    def command_list(self, role: str, language: str) -> list[dict[str, str]]:
        """Return a role's command menu in a language, each command in that language's words."""
        return [
            {
                "command": command.word(language),
                "description": self.translator.plain(language, command.description),
            }
            for command in commands_for(role)
        ]

    def render(self, effects: Iterable[Effect], target: RenderTarget) -> list[OutgoingCall]:
        """Return the calls that carry out these effects, in order."""
        effects = list(effects)
        calls: list[OutgoingCall] = []
        if target.callback_query_id:
            answer = next((e for e in effects if isinstance(e, CallbackAnswer)), CallbackAnswer())
            payload: dict[str, Any] = {"callback_query_id": target.callback_query_id}
            if answer.key:
                payload["text"] = self.translator.plain(target.language, answer.key, answer.params)
            calls.append(OutgoingCall(target.chat_id, "answerCallbackQuery", payload))
            edits_source = any(
                isinstance(e, EditButtons) or (isinstance(e, Reply) and e.edit) for e in effects
            )
            if target.clear_source_keyboard and target.callback_message_id and not edits_source:
                calls.append(
                    OutgoingCall(
                        target.chat_id,
                        "editMessageReplyMarkup",
                        {"chat_id": target.chat_id, "message_id": target.callback_message_id},
                    )
                )
        for effect in effects:
            if isinstance(effect, Reply):
                calls.extend(self._reply(effect, target))
            elif isinstance(effect, SetCommands):
                calls.append(self._commands(effect, target))
            elif isinstance(effect, EditButtons) and target.callback_message_id:
                calls.append(
                    OutgoingCall(
                        target.chat_id,
                        "editMessageReplyMarkup",
                        {
                            "chat_id": target.chat_id,
                            "message_id": target.callback_message_id,
                            "reply_markup": self._inline_keyboard(effect.buttons, target),
                        },
                    )
                )
            elif isinstance(effect, Reaction) and target.source_message_id:
                calls.append(
                    OutgoingCall(
                        target.chat_id,
                        "setMessageReaction",
                        {
                            "chat_id": target.chat_id,
                            "message_id": target.source_message_id,
                            "reaction": [{"type": "emoji", "emoji": effect.emoji}],
                        },
                    )
                )
        return calls

    def text(self, language: str, key: str, **params: Any) -> str:
        """Translate one key (for messages composed outside a flow)."""
        return self.translator.text(language, key, params)


__all__ = ["Renderer", "RenderTarget", "Text", "split_text"]
