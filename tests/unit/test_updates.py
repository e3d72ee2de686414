"""Every kind of Telegram update becomes a plain Input, and nothing makes parsing fail."""

from __future__ import annotations

import pytest

from bot.intake.updates import parse_update, update_chat_id
from flows.engine import InputKind

USER = {"id": 42, "is_bot": False, "first_name": "Amina", "language_code": "fr-BE"}
PRIVATE = {"id": 42, "type": "private", "first_name": "Amina"}
GROUP = {"id": -100, "type": "supergroup", "title": "Team"}


def message(**fields) -> dict:
    base = {"message_id": 3, "date": 1_764_000_000, "chat": PRIVATE, "from": USER}
    return {"update_id": 1, "message": {**base, **fields}}


def test_command_with_arguments_and_bot_suffix() -> None:
    text = "/start@buurtbot ABC123"
    inp = parse_update(
        message(text=text, entities=[{"type": "bot_command", "offset": 0, "length": 15}])
    )
    assert inp.kind == InputKind.COMMAND
    assert (inp.command, inp.args) == ("start", "ABC123")
    assert inp.language_code == "fr-BE" and inp.user_id == 42 and inp.chat_id == 42


def test_plain_text_location_and_live_location() -> None:
    assert parse_update(message(text="hello")).kind == InputKind.TEXT
    loc = parse_update(message(location={"latitude": 50.84, "longitude": 4.35}))
    assert loc.kind == InputKind.LOCATION and loc.location.lat == 50.84
    live = parse_update(message(location={"latitude": 50.8, "longitude": 4.3, "live_period": 900}))
    assert live.kind == InputKind.LIVE_LOCATION and live.live_period == 900
    edited = {
        "update_id": 2,
        "edited_message": {
            "message_id": 3,
            "date": 1,
            "edit_date": 2,
            "chat": PRIVATE,
            "from": USER,
            "location": {
                "latitude": 50.81,
                "longitude": 4.31,
                "horizontal_accuracy": 12.5,
                "live_period": 900,
            },
        },
    }
    moved = parse_update(edited)
    assert moved.kind == InputKind.LIVE_LOCATION and moved.location.accuracy_m == 12.5
    del edited["edited_message"]["location"]["live_period"]
    assert parse_update(edited).kind == InputKind.LIVE_STOPPED


def test_largest_photo_voice_and_video() -> None:
    photo = parse_update(
        message(
            photo=[
                {
                    "file_id": "s",
                    "file_unique_id": "s1",
                    "width": 90,
                    "height": 90,
                    "file_size": 10,
                },
                {
                    "file_id": "l",
                    "file_unique_id": "l1",
                    "width": 1280,
                    "height": 960,
                    "file_size": 900,
                },
            ],
            caption="bench",
        )
    )
    assert photo.kind == InputKind.PHOTO and photo.media.file_id == "l" and photo.caption == "bench"
    voice = parse_update(message(voice={"file_id": "v", "file_unique_id": "v1", "duration": 4}))
    assert voice.kind == InputKind.VOICE and voice.media.duration == 4
    video = parse_update(
        message(
            video={"file_id": "d", "file_unique_id": "d1", "width": 1, "height": 1, "duration": 2}
        )
    )
    assert video.kind == InputKind.VIDEO


@pytest.mark.parametrize(
    ("fields", "content_type"),
    [
        (
            {
                "sticker": {
                    "file_id": "x",
                    "file_unique_id": "y",
                    "type": "regular",
                    "width": 1,
                    "height": 1,
                    "is_animated": False,
                    "is_video": False,
                }
            },
            "sticker",
        ),
        ({"contact": {"phone_number": "1", "first_name": "A"}}, "contact"),
        ({"dice": {"emoji": "🎲", "value": 3}}, "dice"),
        ({}, "other"),
    ],
)
def test_unsupported_messages_say_what_they_are(fields: dict, content_type: str) -> None:
    inp = parse_update(message(**fields))
    assert inp.kind == InputKind.UNSUPPORTED
    assert inp.content_type == content_type


FILE = {"file_id": "x", "file_unique_id": "y", "file_size": 10}


@pytest.mark.parametrize(
    ("fields", "kind", "content_type"),
    [
        ({"document": {**FILE, "mime_type": "application/pdf"}}, InputKind.DOCUMENT, "document"),
        ({"audio": {**FILE, "duration": 7}}, InputKind.DOCUMENT, "audio"),
        (
            {
                "animation": {**FILE, "width": 1, "height": 1, "duration": 2},
                "document": {**FILE},
            },
            InputKind.DOCUMENT,
            "document",
        ),
        ({"video_note": {**FILE, "length": 240, "duration": 3}}, InputKind.VIDEO, None),
    ],
)
def test_files_of_every_kind_are_read_as_files_to_keep(
    fields: dict, kind: InputKind, content_type: str | None
) -> None:
    inp = parse_update(message(caption="the poster", **fields))
    assert inp.kind == kind
    assert inp.media is not None and inp.media.file_unique_id == "y"
    assert inp.content_type == content_type


def test_a_venue_is_a_location_with_its_name_as_words() -> None:
    inp = parse_update(
        message(
            venue={
                "location": {"latitude": 50.85, "longitude": 4.35},
                "title": "Café Central",
                "address": "Rue Borgval 14",
            },
            location={"latitude": 50.85, "longitude": 4.35},
        )
    )
    assert inp.kind == InputKind.LOCATION
    assert inp.location is not None and inp.location.lat == 50.85
    assert inp.caption == "Café Central, Rue Borgval 14"


def test_a_moving_live_location_is_marked_as_an_edit() -> None:
    live = {"latitude": 50.85, "longitude": 4.35, "live_period": 900}
    first = parse_update(message(location=live))
    edit = {**message(location=live)["message"], "edit_date": 2}
    moved = parse_update({"update_id": 9, "edited_message": edit})
    assert first.kind == moved.kind == InputKind.LIVE_LOCATION
    assert not first.edited and moved.edited


def test_callback_query_keeps_its_message() -> None:
    update = {
        "update_id": 5,
        "callback_query": {
            "id": "cb1",
            "from": USER,
            "chat_instance": "c",
            "data": "7|lang:fr",
            "message": {"message_id": 9, "date": 1, "chat": PRIVATE, "text": "?"},
        },
    }
    inp = parse_update(update)
    assert inp.kind == InputKind.CALLBACK
    assert (inp.callback_data, inp.callback_query_id, inp.callback_message_id) == (
        "7|lang:fr",
        "cb1",
        9,
    )


def test_groups_get_a_command_answer_and_nothing_else() -> None:
    cmd = message(
        chat=GROUP, text="/start", entities=[{"type": "bot_command", "offset": 0, "length": 6}]
    )
    assert parse_update(cmd).kind == InputKind.GROUP
    assert parse_update(message(chat=GROUP, text="hello all")).kind == InputKind.IGNORED


def test_in_groups_a_reply_is_read_as_a_possible_comment_and_nothing_else() -> None:
    card = {"message_id": 9, "date": 1, "chat": GROUP, "from": {**USER, "id": 7, "is_bot": True}}
    reply = parse_update(message(chat=GROUP, text="so true", reply_to_message=card))
    assert (reply.kind, reply.text, reply.reply_to_message_id) == (InputKind.GROUP, "so true", 9)
    assert reply.command is None
    photo = [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}]
    assert parse_update(message(chat=GROUP, photo=photo, reply_to_message=card)).kind == (
        InputKind.IGNORED
    )
    edited = {"update_id": 2, "edited_message": {**message(chat=GROUP, text="x")["message"]}}
    edited["edited_message"]["edit_date"] = 1_764_000_100
    assert parse_update(edited).kind == InputKind.IGNORED
    moved = parse_update(message(chat={**GROUP, "type": "group"}, migrate_to_chat_id=-1007))
    assert (moved.kind, moved.args) == (InputKind.GROUP_MOVED, "-1007")


def test_blocking_and_unblocking_the_bot() -> None:
    def member_update(status: str) -> dict:
        return {
            "update_id": 7,
            "my_chat_member": {
                "chat": PRIVATE,
                "from": USER,
                "date": 1,
                "old_chat_member": {"status": "member", "user": USER},
                "new_chat_member": {
                    "status": status,
                    "user": USER,
                    **({"until_date": 0} if status == "kicked" else {}),
                },
            },
        }

    assert parse_update(member_update("kicked")).kind == InputKind.BLOCKED
    assert parse_update(member_update("member")).kind == InputKind.UNBLOCKED


@pytest.mark.parametrize(
    "update",
    [
        {"update_id": 8, "inline_query": {"id": "i", "from": USER, "query": "", "offset": ""}},
        {
            "update_id": 9,
            "poll": {
                "id": "p",
                "question": "q",
                "options": [],
                "total_voter_count": 0,
                "is_closed": False,
                "is_anonymous": True,
                "type": "regular",
                "allows_multiple_answers": False,
            },
        },
        {
            "update_id": 10,
            "channel_post": {
                "message_id": 1,
                "date": 1,
                "chat": {"id": -5, "type": "channel", "title": "c"},
                "text": "x",
            },
        },
        {"update_id": 11},
    ],
)
def test_other_update_types_are_ignored_quietly(update: dict) -> None:
    assert parse_update(update).kind == InputKind.IGNORED


def test_chat_ids_are_found_for_every_update_kind() -> None:
    assert update_chat_id(message()) == 42
    callback = {"update_id": 2, "callback_query": {"id": "x", "from": {"id": 8}, "data": "d"}}
    assert update_chat_id(callback) == 8
    member = {"update_id": 3, "my_chat_member": {"chat": {"id": -100}, "from": {"id": 3}}}
    assert update_chat_id(member) == -100
    assert update_chat_id({"update_id": 4}) is None
