"""Display names: chosen at onboarding by staff and volunteers, changed with /name by anyone."""

from __future__ import annotations

import pytest

from flows.engine import Text
from storage.privacy import pseudonym
from tests.conversations.helpers import TRANSLATOR, button_texts, join, says, tap

pytestmark = pytest.mark.pipeline


@pytest.mark.parametrize(
    ("role", "language"), [("staff", "fr"), ("volunteer", "nl"), ("coordinator", "en")]
)
def test_the_team_roles_choose_a_name_when_they_join(sandbox, world, role, language) -> None:
    user = sandbox.user(user_id=3100, first_name="Amina", language_code=language)
    # Typing another name works as well as tapping the first name.
    join(user, world.invite(world.organisation(), role), language, name="Amina B.")
    assert world.member(3100).display_name == "Amina B."


def test_residents_are_not_asked_for_a_name(sandbox, world) -> None:
    user = sandbox.user(user_id=3101, first_name="Rosa", language_code="en")
    welcome, _ = join(user, world.invite(world.organisation(), "resident"), "en")
    assert says(welcome, "onboarding.welcome", "en")
    assert world.member(3101).display_name is None


def test_name_changes_and_removes_the_name(sandbox, world, bot) -> None:
    user = sandbox.user(user_id=3102, first_name="Samir", language_code="en")
    join(user, world.invite(world.organisation(), "staff"), "en")
    assert world.member(3102).display_name == "Samir"
    user.send_command("/name")
    current, question = user.wait_for_messages(2)
    assert says(current, "name.current", "en", name="Samir")
    assert says(question, "name.ask", "en")
    assert button_texts(question) == ["Samir", TRANSLATOR.plain("en", "name.button_none")]
    user.send_text("  Sam   from the centre ")
    [saved] = user.wait_for_messages(1)
    assert says(saved, "name.saved", "en", name="Sam from the centre")
    assert world.member(3102).display_name == "Sam from the centre"
    # No name at all: the team sees the code again.
    user.send_command("/name")
    _, question = user.wait_for_messages(2)
    tap(user, question, TRANSLATOR.plain("en", "name.button_none"))
    [removed] = user.wait_for_messages(1)
    code = pseudonym(bot.app.flow_config.secret_key, world.member(3102).id)
    assert says(removed, "name.removed", "en", code=code)
    assert world.member(3102).display_name is None
    user.send_command("/name")
    [current, _] = user.wait_for_messages(2)
    assert says(current, "name.current", "en", name=Text("name.current_none"))


def test_a_name_question_can_be_left_with_another_command(sandbox, world) -> None:
    user = sandbox.user(user_id=3103, first_name="Lea", language_code="en")
    join(user, world.invite(world.organisation(), "volunteer"), "en")
    user.send_command("/name")
    user.wait_for_messages(2)
    user.send_command("/help")
    [help_message] = user.wait_for_messages(1)
    assert says(help_message, "help.text", "en")
    assert world.member(3103).display_name == "Lea"


def test_strangers_cannot_choose_a_name(sandbox, world) -> None:
    user = sandbox.user(user_id=3104, language_code="en")
    user.send_command("/name")
    [answer] = user.wait_for_messages(1)
    assert says(answer, "stranger.how_to_join", "en")
