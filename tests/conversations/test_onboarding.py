"""Onboarding, help, language, cancel, strangers and wrong codes, through the real HTTP stack."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from flows.commands import COMMANDS_BY_NAME
from flows.consent import consent_for
from storage.db import reading
from storage.models import ChatState, CodeAttempt, InboxUpdate, Member
from storage.organisations import InviteProblem, check_invite
from tests.conversations.helpers import (
    TRANSLATOR,
    button_texts,
    join,
    plain,
    says,
    tap,
    wait_drained,
    wait_until,
)

pytestmark = pytest.mark.pipeline


def chat_menus(sandbox, chat_id: int) -> list[dict]:
    """Return the setMyCommands calls scoped to one chat."""
    return [
        call
        for call in sandbox.calls("setMyCommands")
        if str(call["params"].get("scope", {}).get("chat_id")) == str(chat_id)
    ]


def invite_problem(world, code: str) -> InviteProblem | None:
    """Say what is wrong with an invite code right now, as the bot would see it."""
    with reading(world.factory) as session:
        return check_invite(session, code, datetime.now(UTC)).problem


@pytest.mark.parametrize(
    ("role", "language", "audience"),
    [
        ("coordinator", "nl", "staff"),
        ("staff", "fr", "staff"),
        ("volunteer", "en", "resident"),
        ("resident", "fr", "resident"),
    ],
)
def test_onboarding_makes_a_member_with_role_language_and_consent(
    sandbox, world, role, language, audience
) -> None:
    org = world.organisation()
    code = world.invite(org, role)
    user = sandbox.user(user_id=500, first_name="Sam", language_code=language)
    user.send_command("/start", code)
    [choose] = user.wait_for_messages(1)
    assert says(choose, "onboarding.choose_language", language, organisation="Buurtwerk Noord")
    # The language Telegram reports is preselected.
    ticked = [text for text in button_texts(choose) if text.startswith("✓")]
    assert len(ticked) == 1
    tap(user, choose, ticked[0][2:])
    [about] = user.wait_for_messages(1)
    assert says(about, f"onboarding.about.{audience}", language, organisation="Buurtwerk Noord")
    tap(user, about, TRANSLATOR.raw(language, "button.continue"))
    [consent] = user.wait_for_messages(1)
    version = consent_for(role).version
    assert says(
        consent, f"consent.{audience}", language, organisation="Buurtwerk Noord", version=version
    )
    tap(user, consent, TRANSLATOR.raw(language, "button.agree"))
    if role != "resident":
        # The team will see the name they choose: the Telegram first name is one tap.
        [ask_name] = user.wait_for_messages(1)
        assert says(ask_name, "name.ask", language)
        tap(user, ask_name, "Sam")
        saved, welcome, help_message = user.wait_for_messages(3)
        assert says(saved, "name.saved", language, name="Sam")
    else:
        welcome, help_message = user.wait_for_messages(2)
    assert says(welcome, "onboarding.welcome", language)
    assert plain(TRANSLATOR.raw(language, f"help.intro.{role}")) in help_message["text"]
    # /help names the commands in the member's own words (/uitnodigen, /inviter, /invite).
    invite = COMMANDS_BY_NAME["invite"].word(language)
    assert (f"/{invite} " in help_message["text"]) == (role == "coordinator")
    assert user.keyboard()["is_persistent"]  # the main menu came with the welcome
    member = world.member(500)
    assert (member.role, member.language, member.consent_version) == (role, language, version)
    assert member.display_name == (None if role == "resident" else "Sam")
    assert member.organisation_id == org
    # The command menu is set for this chat, in the member's language.
    sandbox.wait_until(lambda: chat_menus(sandbox, 500), message="no chat-scoped command menu")
    # Nothing of the conversation is left behind: no flow state, no raw updates.
    with world.factory() as session:
        assert session.get(ChatState, 500) is None
        assert session.scalar(select(func.count()).where(InboxUpdate.payload.is_not(None))) == 0


def test_declining_consent_stores_nothing(sandbox, world) -> None:
    code = world.invite(world.organisation(), "resident")
    user = sandbox.user(user_id=501, language_code="nl")
    user.send_command("/start", code)
    [choose] = user.wait_for_messages(1)
    tap(user, choose, "Nederlands")
    [about] = user.wait_for_messages(1)
    tap(user, about, "Verder")
    [consent] = user.wait_for_messages(1)
    tap(user, consent, "Nee, bedankt")
    [declined] = user.wait_for_messages(1)
    assert says(declined, "onboarding.declined", "nl")
    assert world.member(501) is None
    with world.factory() as session:
        assert session.get(ChatState, 501) is None
    # The invite was not used up: the person can still change their mind.
    join(user, code, "nl")
    assert world.member(501) is not None


def test_stranger_learns_how_to_join_and_nothing_is_stored(sandbox, world) -> None:
    user = sandbox.user(user_id=502, language_code="en")
    user.send_command("/start")
    user.send_text("hello?")
    user.send_command("/help")
    first, second, third = user.wait_for_messages(3)
    assert says(first, "stranger.how_to_join", "en")
    assert says(second, "stranger.how_to_join", "en")
    assert plain(TRANSLATOR.raw("en", "help.intro.stranger")) in third["text"]
    with world.factory() as session:
        assert session.scalar(select(func.count()).select_from(Member)) == 0
        assert session.scalar(select(func.count()).select_from(ChatState)) == 0
        assert session.scalar(select(func.count()).select_from(CodeAttempt)) == 0
        assert session.scalar(select(func.count()).where(InboxUpdate.payload.is_not(None))) == 0


def test_wrong_expired_and_used_codes_get_clear_answers(sandbox, world) -> None:
    org = world.organisation()
    expired = world.invite(org, "staff", valid_for=timedelta(milliseconds=100))
    used = world.invite(org, "staff")
    join(sandbox.user(user_id=510, language_code="nl"), used, "nl")
    wait_until(lambda: invite_problem(world, expired) == InviteProblem.EXPIRED, timeout=5)
    user = sandbox.user(user_id=503, language_code="fr")
    user.send_command("/start", "NOTACODE")
    user.send_command("/start", expired)
    user.send_command("/start", used)
    unknown, old, gone = user.wait_for_messages(3)
    assert says(unknown, "start.code_unknown", "fr")
    assert says(old, "start.code_expired", "fr")
    assert says(gone, "start.code_used_up", "fr")
    assert world.member(503) is None


def test_repeated_wrong_codes_are_rate_limited(sandbox, world) -> None:
    good = world.invite(world.organisation(), "staff")
    # A long id: a short one (504) can turn up in a 64-digit hex hash by chance.
    user = sandbox.user(user_id=504_987_321_654, language_code="en")
    for attempt in range(5):
        user.send_command("/start", f"WRONG{attempt}")
    replies = user.wait_for_messages(6)
    assert all(says(r, "start.code_unknown", "en") for r in replies[:5])
    assert says(replies[5], "start.too_many_tries", "en")
    # Even a good code waits now.
    user.send_command("/start", good)
    [refused] = user.wait_for_messages(1)
    assert says(refused, "start.too_many_tries", "en")
    with world.factory() as session:
        attempt = session.scalars(select(CodeAttempt)).one()
        assert "504987321654" not in attempt.user_hash


def test_help_differs_by_role(sandbox, world) -> None:
    org = world.organisation()
    coordinator = sandbox.user(user_id=520, language_code="en")
    resident = sandbox.user(user_id=521, language_code="en")
    join(coordinator, world.invite(org, "coordinator"), "en")
    join(resident, world.invite(org, "resident"), "en")
    coordinator.send_command("/help")
    resident.send_command("/help")
    [coordinator_help] = coordinator.wait_for_messages(1)
    [resident_help] = resident.wait_for_messages(1)
    assert "/invite" in coordinator_help["text"]
    assert "/invite" not in resident_help["text"]
    resident.send_command("/invite")
    [refused] = resident.wait_for_messages(1)
    assert says(refused, "error.not_allowed", "en", command="invite")


def test_language_switch_changes_replies_and_menu(sandbox, world) -> None:
    user = sandbox.user(user_id=530, language_code="nl")
    join(user, world.invite(world.organisation(), "staff"), "nl")
    user.send_command("/language")
    [choose] = user.wait_for_messages(1)
    assert says(choose, "language.choose", "nl")
    assert "✓ Nederlands" in button_texts(choose)
    tap(user, choose, "Français")
    [changed] = user.wait_for_messages(1)
    assert says(changed, "language.changed", "fr")
    assert world.member(530).language == "fr"
    user.send_command("/help")
    [help_message] = user.wait_for_messages(1)
    assert plain(TRANSLATOR.raw("fr", "help.intro.staff")) in help_message["text"]
    french = TRANSLATOR.raw("fr", "command.language")
    sandbox.wait_until(
        lambda: french in str(chat_menus(sandbox, 530)[-1]["params"]["commands"]),
        message="menu not in French",
    )


def test_cancel_leaves_a_flow_and_says_when_there_is_nothing(sandbox, world) -> None:
    code = world.invite(world.organisation(), "staff")
    user = sandbox.user(user_id=540, language_code="en")
    user.send_command("/cancel")
    [nothing] = user.wait_for_messages(1)
    assert says(nothing, "cancel.nothing", "en")
    user.send_command("/start", code)
    [choose] = user.wait_for_messages(1)
    user.send_command("/cancel")
    [cancelled] = user.wait_for_messages(1)
    assert says(cancelled, "cancel.done", "en")
    with world.factory() as session:
        assert session.get(ChatState, 540) is None
    # The old language button is stale now: answered, and nothing happens.
    stale = user.click("✓ English", message=choose)
    answer = sandbox.wait_until(
        lambda: sandbox.callback_answer(stale["id"]), message="the stale button was not answered"
    )
    assert answer.get("text") == TRANSLATOR.raw("en", "error.stale_button")
    wait_drained(world.factory, sandbox, timeout=15)
    assert world.member(540) is None
    assert user.new_messages() == []


def test_another_command_mid_flow_asks_before_abandoning(sandbox, world) -> None:
    user = sandbox.user(user_id=550, language_code="en")
    join(user, world.invite(world.organisation(), "coordinator"), "en")
    user.send_command("/invite")
    [ask_role] = user.wait_for_messages(1)
    user.send_command("/language")
    [confirm] = user.wait_for_messages(1)
    assert says(confirm, "flow.confirm_abandon", "en", command="language")
    tap(user, confirm, TRANSLATOR.raw("en", "button.abandon_no"))
    [again] = user.wait_for_messages(1)
    assert again["text"] == ask_role["text"]
    user.send_command("/language")
    [confirm] = user.wait_for_messages(1)
    tap(user, confirm, TRANSLATOR.raw("en", "button.abandon_yes"))
    [choose] = user.wait_for_messages(1)
    assert says(choose, "language.choose", "en")


def test_help_mid_flow_answers_without_abandoning(sandbox, world) -> None:
    code = world.invite(world.organisation(), "staff")
    user = sandbox.user(user_id=551, language_code="en")
    user.send_command("/start", code)
    [choose] = user.wait_for_messages(1)
    user.send_command("/help")
    user.wait_for_messages(1)
    tap(user, choose, "English")
    [about] = user.wait_for_messages(1)
    assert says(about, "onboarding.about.staff", "en")


def test_typing_instead_of_tapping_asks_again(sandbox, world) -> None:
    code = world.invite(world.organisation(), "staff")
    user = sandbox.user(user_id=552, language_code="en")
    user.send_command("/start", code)
    user.wait_for_messages(1)
    user.send_text("English please")
    hint, again = user.wait_for_messages(2)
    assert says(hint, "flow.use_buttons", "en")
    assert says(again, "onboarding.choose_language", "en", organisation="Buurtwerk Noord")
