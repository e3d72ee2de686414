"""/team: coordinators see the team and diaries without content, and can remove a member."""

from __future__ import annotations

import pytest

from storage.privacy import pseudonym
from tests.conversations.helpers import TRANSLATOR, join, says, tap

pytestmark = pytest.mark.pipeline


def test_coordinator_sees_the_team_and_removes_a_member(sandbox, world, bot) -> None:
    org = world.organisation()
    coordinator = sandbox.user(user_id=3000, language_code="en")
    join(coordinator, world.invite(org, "coordinator"), "en")
    staff = sandbox.user(user_id=3001, first_name="Bertha", language_code="nl")
    join(staff, world.invite(org, "staff"), "nl")
    secret = bot.app.flow_config.secret_key
    staff_name = pseudonym(secret, world.member(3001).id)
    coordinator.send_command("/team")
    [overview] = coordinator.wait_for_messages(1)
    assert says(overview, "team.overview", "en")
    assert staff_name in overview["text"] and "Bertha" not in overview["text"]
    tap(coordinator, overview, f"Remove {staff_name}")
    [confirm] = coordinator.wait_for_messages(1)
    tap(coordinator, confirm, TRANSLATOR.raw("en", "forget.button_yes"))
    [removed] = coordinator.wait_for_messages(1)
    assert says(removed, "team.removed", "en", pseudonym=staff_name)
    assert world.member(3001) is None
    staff.send_text("hallo")
    [stranger] = staff.wait_for_messages(1)
    assert says(stranger, "stranger.how_to_join", "nl")


def test_staff_cannot_see_the_team(sandbox, world) -> None:
    user = sandbox.user(user_id=3002, language_code="en")
    join(user, world.invite(world.organisation(), "staff"), "en")
    user.send_command("/team")
    [refused] = user.wait_for_messages(1)
    assert says(refused, "error.not_allowed", "en", command="team")
