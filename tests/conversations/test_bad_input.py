"""Bad input gets a short answer or a polite refusal, never a crash and never a leak."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from storage.models import ChatState, InboxUpdate, Member
from tests.conversations.helpers import TRANSLATOR, join, says, tap, wait_drained

pytestmark = pytest.mark.pipeline


def test_unsupported_message_types_get_a_hint(sandbox, world) -> None:
    user = sandbox.user(user_id=700, language_code="en")
    join(user, world.invite(world.organisation(), "staff"), "en")
    user.send_sticker()
    user.send_contact()
    user.send_dice()
    user.send_poll()
    for reply in user.wait_for_messages(4):
        assert says(reply, "error.unsupported", "en")


def test_group_chats_get_one_short_explanation_and_no_data(sandbox, world) -> None:
    user = sandbox.user(user_id=701, language_code="en")
    group = sandbox.group(chat_id=-100701, title="Team", user=user)
    group.add_bot()
    group.send_text("/start ABC")
    group.send_text("private things said in a group")
    # Every update handled and every reply sent: whatever the group gets, it has got by now.
    wait_drained(world.factory, sandbox, timeout=15)
    texts = [m["text"] for m in group.messages()]
    # One when added (how a coordinator links the group), one for the command; chatter: nothing.
    assert texts == [TRANSLATOR.raw("en", "feed.hello"), TRANSLATOR.raw("en", "group.private_only")]
    with world.factory() as session:
        assert session.scalar(select(func.count()).select_from(ChatState)) == 0
        assert session.scalar(select(func.count()).select_from(Member)) == 0
        assert session.scalar(select(func.count()).where(InboxUpdate.payload.is_not(None))) == 0


def test_forged_and_malformed_button_data_is_answered_and_ignored(sandbox, world) -> None:
    user = sandbox.user(user_id=702, language_code="en")
    code = world.invite(world.organisation(), "staff")
    user.send_command("/start", code)
    [choose] = user.wait_for_messages(1)
    for data in ("garbage", "999999|lang:fr", "|", "1|", "x" * 64):
        sandbox.push_update(
            {
                "callback_query": {
                    "id": f"forged-{data[:5]}",
                    "from": {"id": 702, "is_bot": False, "first_name": "M", "language_code": "en"},
                    "chat_instance": "c",
                    "data": data,
                    "message": {
                        "message_id": choose["message_id"],
                        "date": choose["date"],
                        "chat": {"id": 702, "type": "private"},
                        "text": "x",
                    },
                }
            }
        )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        answers = [
            c
            for c in sandbox.calls("answerCallbackQuery")
            if c["params"]["callback_query_id"].startswith("forged")
        ]
        if len(answers) == 5:
            break
        time.sleep(0.1)
    assert len(answers) == 5
    assert all(a["params"]["text"] == TRANSLATOR.raw("en", "error.stale_button") for a in answers)
    # The real button still works: nothing moved.
    tap(user, choose, "English")
    [about] = user.wait_for_messages(1)
    assert says(about, "onboarding.about.staff", "en")


def test_blocking_the_bot_marks_the_member_inactive(sandbox, world) -> None:
    user = sandbox.user(user_id=703, language_code="en")
    join(user, world.invite(world.organisation(), "staff"), "en")
    user.block()
    deadline = time.monotonic() + 10
    while world.member(703).active and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not world.member(703).active
    user.unblock()
    user.send_command("/help")
    user.wait_for_messages(1)
    assert world.member(703).active


def test_huge_messages_and_odd_text_do_not_break_anything(sandbox, world) -> None:
    user = sandbox.user(user_id=704, language_code="en")
    join(user, world.invite(world.organisation(), "staff"), "en")
    user.send_text("<script>alert(1)</script> & " + "é" * 4000)
    kept, where = user.wait_for_messages(2)
    assert says(kept, "capture.saved", "en") and says(where, "capture.where_was_this", "en")
    user.send_text(TRANSLATOR.raw("en", "button.skip"))
    user.wait_for_messages(1)
    user.send_command("/nosuchcommand", "x" * 100)
    [unknown] = user.wait_for_messages(1)
    assert says(unknown, "error.unknown_command", "en", command="nosuchcommand")
    sandbox.push_update(
        {
            "message": {
                "message_id": 99,
                "date": 1,
                "chat": {"id": 704, "type": "private"},
                "from": {"id": 704, "is_bot": False, "first_name": "M"},
                "poll": {"id": "p"},
            }
        }
    )
    [odd] = user.wait_for_messages(1)
    assert says(odd, "error.unsupported", "en")
