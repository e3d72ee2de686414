"""Coordinators invite people in Telegram; the invite works for the person who gets it."""

from __future__ import annotations

import re

import pytest

from tests.conversations.helpers import TRANSLATOR, join, says, tap

pytestmark = pytest.mark.pipeline


def test_coordinator_invites_a_resident_who_then_joins(sandbox, world) -> None:
    coordinator = sandbox.user(user_id=600, language_code="en")
    join(coordinator, world.invite(world.organisation(), "coordinator"), "en")
    coordinator.send_command("/invite")
    [ask_role] = coordinator.wait_for_messages(1)
    assert says(ask_role, "invite.choose_role", "en")
    tap(coordinator, ask_role, TRANSLATOR.raw("en", "role.resident"))
    [ask_uses] = coordinator.wait_for_messages(1)
    tap(coordinator, ask_uses, TRANSLATOR.raw("en", "invite.button_single"))
    created, qr = coordinator.wait_for_messages(2)
    code = re.search(r"Code: (\w+)", created["text"]).group(1)
    assert f"https://t.me/{sandbox.bot_username}?start={code}" in created["text"]
    assert qr.get("photo"), qr
    assert qr["caption"] == TRANSLATOR.raw("en", "invite.qr_caption")

    resident = sandbox.user(user_id=601, language_code="nl")
    join(resident, code, "nl")
    member = world.member(601)
    assert member.role == "resident"
    assert member.organisation_id == world.member(600).organisation_id
    # Single use: a second person is refused.
    other = sandbox.user(user_id=602, language_code="nl")
    other.send_command("/start", code)
    [refused] = other.wait_for_messages(1)
    assert says(refused, "start.code_used_up", "nl")


def test_group_invite_lets_several_people_join(sandbox, world) -> None:
    coordinator = sandbox.user(user_id=610, language_code="fr")
    join(coordinator, world.invite(world.organisation(), "coordinator"), "fr")
    coordinator.send_command("/invite")
    [ask_role] = coordinator.wait_for_messages(1)
    tap(coordinator, ask_role, TRANSLATOR.raw("fr", "role.volunteer"))
    [ask_uses] = coordinator.wait_for_messages(1)
    tap(coordinator, ask_uses, TRANSLATOR.raw("fr", "invite.button_group"))
    created, _qr = coordinator.wait_for_messages(2)
    code = re.search(r"Code : (\w+)", created["text"]).group(1)
    for user_id in (611, 612, 613):
        join(sandbox.user(user_id=user_id, language_code="fr"), code, "fr")
        assert world.member(user_id).role == "volunteer"
