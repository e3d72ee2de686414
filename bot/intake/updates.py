"""Turn a raw Telegram update into the flows' plain Input value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import Message, Update
from telegram.constants import ChatMemberStatus, ChatType, MessageEntityType

from flows.commands import command_named
from flows.engine import Input, InputKind, Media, Point
from storage.pipeline import Received

ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]

SUPPORTED_HINT_TYPES = (
    "sticker",
    "contact",
    "dice",
    "poll",
    "document",
    "audio",
    "animation",
    "video_note",
    "venue",
    "game",
    "story",
    "invoice",
)


MESSAGE_KINDS = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_message",
    "edited_business_message",
)


def update_chat_id(update: dict[str, Any]) -> int | None:
    """Return the chat an update belongs to, so work on one chat stays in order."""
    for kind in MESSAGE_KINDS:
        if kind in update:
            return update[kind].get("chat", {}).get("id")
    if "callback_query" in update:
        query = update["callback_query"]
        message = query.get("message") or {}
        return message.get("chat", {}).get("id") or query.get("from", {}).get("id")
    for kind in ("my_chat_member", "chat_member", "chat_join_request", "message_reaction"):
        if kind in update:
            return update[kind].get("chat", {}).get("id")
    for value in update.values():
        if isinstance(value, dict) and isinstance(value.get("from"), dict):
            return value["from"].get("id")
    return None


# What a message may carry, named in the failed-updates list instead of its content.
CONTENT_KINDS = (
    "photo",
    "voice",
    "video",
    "video_note",
    "audio",
    "document",
    "animation",
    "sticker",
    "location",
    "venue",
    "contact",
    "poll",
)


def update_kind(update: dict[str, Any] | None) -> str:
    """Name what an update is (text, photo, button ...) without showing any of its content."""
    if not update:
        return "unknown"
    for kind in MESSAGE_KINDS:
        message = update.get(kind)
        if not isinstance(message, dict):
            continue
        edited = "edited " if kind.startswith("edited_") else ""
        if "text" in message:
            text = str(message.get("text") or "")
            return edited + ("command" if text.startswith("/") else "text")
        for media in CONTENT_KINDS:
            if media in message:
                return edited + media
        return edited + "message"
    if "callback_query" in update:
        return "button"
    for kind in update:
        if kind != "update_id":
            return kind
    return "unknown"


def received(update: dict[str, Any]) -> Received:
    """Return a raw update as the inbox stores it: its id, its chat, the payload itself."""
    return Received(int(update["update_id"]), update_chat_id(update), update)


def _now() -> datetime:
    return datetime.now(UTC)


def _command(message: Message) -> tuple[str, str] | None:
    """Return (command, args) when the message starts with a bot command.

    A Dutch or French word for a command (/wandeling, /balade) comes back as its English
    name (walk), so everything after this reads one name per command.
    """
    text = message.text or ""
    entities = message.entities or ()
    if not entities or entities[0].type != MessageEntityType.BOT_COMMAND or entities[0].offset:
        return None
    word = text[: entities[0].length]
    name = word[1:].split("@", 1)[0].lower()
    return command_named(name), text[entities[0].length :].strip()


def _reply_to_buttons(message: Message) -> tuple[str, ...]:
    """Return the callback data of the bot message's buttons this message replies to.

    Telegram fills reply_to_message itself: a sender cannot make it up.
    """
    original = message.reply_to_message
    if original is None or original.from_user is None or not original.from_user.is_bot:
        return ()
    markup = original.reply_markup
    if markup is None:
        return ()
    return tuple(
        button.callback_data
        for row in markup.inline_keyboard
        for button in row
        if isinstance(button.callback_data, str)
    )


def _content_type(message: Message) -> str:
    for name in SUPPORTED_HINT_TYPES:
        if getattr(message, name, None):
            return name
    return "other"


def _from_message(message: Message, base: dict[str, Any], edited: bool) -> Input:
    if message.location is not None:
        location = message.location
        point = Point(location.latitude, location.longitude, location.horizontal_accuracy)
        live = location.live_period is not None
        if edited and not live:
            kind = InputKind.LIVE_STOPPED
        else:
            kind = InputKind.LIVE_LOCATION if live else InputKind.LOCATION
        live_period = _seconds(location.live_period)
        # A venue is a location with a name: the name and address travel as its words.
        venue = message.venue
        words = ", ".join(w for w in (venue.title, venue.address) if w) if venue else None
        return Input(
            kind=kind,
            location=point,
            live_period=live_period,
            caption=words or None,
            edited=edited,
            **base,
        )
    if edited:
        return Input(kind=InputKind.EDITED, text=message.text, edited=True, **base)
    command = _command(message)
    if command is not None:
        return Input(kind=InputKind.COMMAND, command=command[0], args=command[1], **base)
    if message.text is not None:
        replied = _reply_to_buttons(message)
        return Input(kind=InputKind.TEXT, text=message.text, reply_to_buttons=replied, **base)
    if message.photo:
        largest = max(
            message.photo, key=lambda size: (size.width * size.height, size.file_size or 0)
        )
        media = Media(largest.file_id, largest.file_unique_id, largest.file_size)
        return Input(kind=InputKind.PHOTO, media=media, caption=message.caption, **base)
    if message.voice is not None:
        voice = message.voice
        media = Media(
            voice.file_id,
            voice.file_unique_id,
            voice.file_size,
            _seconds(voice.duration),
            voice.mime_type,
        )
        return Input(kind=InputKind.VOICE, media=media, caption=message.caption, **base)
    if message.video is not None:
        video = message.video
        media = Media(
            video.file_id,
            video.file_unique_id,
            video.file_size,
            _seconds(video.duration),
            video.mime_type,
        )
        return Input(kind=InputKind.VIDEO, media=media, caption=message.caption, **base)
    if message.video_note is not None:
        round_video = message.video_note
        media = Media(
            round_video.file_id,
            round_video.file_unique_id,
            round_video.file_size,
            _seconds(round_video.duration),
        )
        return Input(kind=InputKind.VIDEO, media=media, **base)
    # Audio files, documents and GIFs are kept as files; stickers and dice have nothing to keep.
    document = message.audio or message.document or message.animation
    if document is not None:
        media = Media(
            document.file_id,
            document.file_unique_id,
            document.file_size,
            _seconds(getattr(document, "duration", None)),
            document.mime_type,
        )
        return Input(
            kind=InputKind.DOCUMENT,
            media=media,
            caption=message.caption,
            content_type=_content_type(message),
            **base,
        )
    return Input(kind=InputKind.UNSUPPORTED, content_type=_content_type(message), **base)


def _from_group(message: Message, base: dict[str, Any], edited: bool) -> Input:
    """Read a group message: a command to the bot, or a text reply (a comment on a card).

    Nothing else in a group is read: it is ignored without an answer.
    """
    if edited:
        return Input(kind=InputKind.IGNORED, **base)
    if message.migrate_to_chat_id:
        return Input(kind=InputKind.GROUP_MOVED, args=str(message.migrate_to_chat_id), **base)
    command = _command(message)
    if command is not None:
        return Input(kind=InputKind.GROUP, command=command[0], args=command[1], **base)
    replied = message.reply_to_message
    if replied is not None and message.text:
        return Input(
            kind=InputKind.GROUP,
            text=message.text,
            reply_to_message_id=replied.message_id,
            **base,
        )
    return Input(kind=InputKind.IGNORED, **base)


def _unreadable(payload: dict[str, Any]) -> Input:
    """Describe an update PTB cannot read: a private message still earns a short answer."""
    message = payload.get("message")
    chat = message.get("chat", {}) if isinstance(message, dict) else {}
    sender = message.get("from", {}) if isinstance(message, dict) else {}
    private = chat.get("type") == ChatType.PRIVATE and isinstance(chat.get("id"), int)
    return Input(
        kind=InputKind.UNSUPPORTED if private else InputKind.IGNORED,
        chat_id=update_chat_id(payload),
        user_id=sender.get("id") if isinstance(sender, dict) else None,
        language_code=sender.get("language_code") if isinstance(sender, dict) else None,
        chat_type=ChatType.PRIVATE if private else str(chat.get("type") or "unknown"),
        date=_now(),
        content_type="other",
    )


def _seconds(value: Any) -> int | None:
    """Return a duration in whole seconds, whether PTB gives an int or a timedelta."""
    if value is None:
        return None
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    return int(value)


def without_nul(value: Any) -> Any:
    """Return a JSON value with U+0000 taken out of every string (keys too).

    Telegram passes it on in texts and captions, and PostgreSQL refuses it in a text column:
    the update would fail on PostgreSQL and be stored with it on SQLite.
    """
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_nul(item) for item in value]
    return value


def parse_update(payload: dict[str, Any]) -> Input:
    """Return the Input an update means; anything unknown becomes IGNORED, never an error.

    U+0000 never reaches a flow (see without_nul).
    """
    payload = without_nul(payload)
    try:
        update = Update.de_json(payload, None)
    except Exception:  # noqa: BLE001 - a malformed or too-new update must not stop the bot
        return _unreadable(payload)
    if update is None:
        return _unreadable(payload)
    user = update.effective_user
    chat = update.effective_chat
    base: dict[str, Any] = {
        "chat_id": chat.id if chat else (user.id if user else None),
        "user_id": user.id if user else None,
        "language_code": user.language_code if user else None,
        "chat_type": chat.type if chat else ChatType.PRIVATE,
        "date": _now(),
        "first_name": user.first_name if user else None,
        "chat_title": chat.title if chat else None,
    }
    if update.my_chat_member is not None:
        status = update.my_chat_member.new_chat_member.status
        if chat is not None and chat.type != ChatType.PRIVATE:
            added = status in (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR)
            if added:
                return Input(kind=InputKind.GROUP, **base)
            gone = status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)
            return Input(kind=InputKind.GROUP_LEFT if gone else InputKind.IGNORED, **base)
        blocked = status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)
        return Input(kind=InputKind.BLOCKED if blocked else InputKind.UNBLOCKED, **base)
    if update.callback_query is not None:
        query = update.callback_query
        message = query.message
        if chat is not None and chat.type != ChatType.PRIVATE:
            return Input(kind=InputKind.IGNORED, callback_query_id=query.id, **base)
        return Input(
            kind=InputKind.CALLBACK,
            callback_data=query.data,
            callback_query_id=query.id,
            callback_message_id=message.message_id if message else None,
            **base,
        )
    message = update.message or update.edited_message
    if message is None:
        return Input(kind=InputKind.IGNORED, **base)
    base["message_id"] = message.message_id
    moment = message.edit_date if update.edited_message is not None else message.date
    base["date"] = moment.astimezone(UTC) if moment else _now()
    if chat is not None and chat.type != ChatType.PRIVATE:
        return _from_group(message, base, edited=update.edited_message is not None)
    return _from_message(message, base, edited=update.edited_message is not None)
