"""/team: coordinators see the team and diaries without content, and can remove a member."""

from __future__ import annotations

import pytest

from flows.engine import Text
from storage.models import Invite
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
    overview, invites = coordinator.wait_for_messages(2)
    assert says(overview, "team.overview", "en")
    # The coordinator sees the name the staff member chose, beside the pseudonym.
    assert f"Bertha ({staff_name})" in overview["text"]
    assert says(invites, "team.invites", "en", invites=Text("team.no_invites"))
    tap(coordinator, invites, f"Remove Bertha ({staff_name})")
    [confirm] = coordinator.wait_for_messages(1)
    tap(coordinator, confirm, TRANSLATOR.raw("en", "forget.button_yes"))
    [removed] = coordinator.wait_for_messages(1)
    assert says(removed, "team.removed", "en", pseudonym=f"Bertha ({staff_name})")
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


def test_residents_stay_a_code_unless_they_choose_a_name(sandbox, world, bot) -> None:
    org = world.organisation()
    coordinator = sandbox.user(user_id=3010, first_name="Cora", language_code="nl")
    join(coordinator, world.invite(org, "coordinator"), "nl")
    resident = sandbox.user(user_id=3011, first_name="Rosa", language_code="nl")
    join(resident, world.invite(org, "resident"), "nl")
    code = pseudonym(bot.app.flow_config.secret_key, world.member(3011).id)
    coordinator.send_command("/team")
    overview, _ = coordinator.wait_for_messages(2)
    assert code in overview["text"] and "Rosa" not in overview["text"]
    assert "Cora (" in overview["text"]
    # The resident chooses otherwise, with /name.
    resident.send_command("/name")
    current, question = resident.wait_for_messages(2)
    assert says(current, "name.current", "nl", name=Text("name.current_none"))
    assert says(question, "name.ask_resident", "nl", code=code)
    tap(resident, question, "Rosa")
    [saved] = resident.wait_for_messages(1)
    assert says(saved, "name.saved", "nl", name="Rosa")
    coordinator.send_command("/team")
    overview, _ = coordinator.wait_for_messages(2)
    assert f"Rosa ({code})" in overview["text"]


def test_coordinator_revokes_an_unused_invite(sandbox, world) -> None:
    org = world.organisation()
    coordinator = sandbox.user(user_id=3020, first_name="Cora", language_code="en")
    join(coordinator, world.invite(org, "coordinator"), "en")
    code = world.invite(org, "volunteer")
    world.invite(org, "resident", max_uses=None)
    coordinator.send_command("/team")
    _, invites = coordinator.wait_for_messages(2)
    assert f"…{code[-4:]}" in invites["text"]
    assert invites["text"].count("•") == 2  # the used coordinator invite is not listed
    label = TRANSLATOR.plain(
        "en", "team.button_revoke", {"role": Text("role.volunteer"), "tail": code[-4:]}
    )
    tap(coordinator, invites, label)
    [confirm] = coordinator.wait_for_messages(1)
    assert says(confirm, "team.confirm_revoke", "en")
    tap(coordinator, confirm, TRANSLATOR.raw("en", "team.button_revoke_yes"))
    [revoked] = coordinator.wait_for_messages(1)
    assert says(revoked, "team.revoked", "en")
    with world.factory() as session:
        assert session.query(Invite).filter_by(code=code).one().revoked
    # The code no longer lets anyone in.
    late = sandbox.user(user_id=3021, language_code="en")
    late.send_command("/start", code)
    [refused] = late.wait_for_messages(1)
    assert says(refused, "start.code_revoked", "en")
    # The revoked invite is no longer listed.
    coordinator.send_command("/team")
    _, invites = coordinator.wait_for_messages(2)
    assert f"…{code[-4:]}" not in invites["text"]
