"""Commands in the member's own words and the main menu under the typing field, end to end."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from flows.commands import COMMANDS, COMMANDS_BY_NAME, commands_for
from flows.menu import WALKING, menu_for
from flows.roles import STRANGER
from storage.models import Observation
from tests.conversations.helpers import (
    TRANSLATOR,
    join,
    plain,
    says,
    shows_menu,
    wait_drained,
    wait_until,
)

pytestmark = pytest.mark.pipeline


def labels(menu, language: str) -> list[list[str]]:
    return [[plain(TRANSLATOR.raw(language, key.label)) for key in row] for row in menu]


def shown(user) -> list[list[str]]:
    keyboard = user.keyboard() or {}
    return [[button["text"] for button in row] for row in keyboard.get("keyboard", [])]


def answers(user, db, sandbox) -> list[str]:
    """Return the texts of what the bot sent since the last look, once it is all sent."""
    wait_drained(db, sandbox, timeout=30)
    return [m.get("text") or m.get("caption") or "" for m in user.new_messages()]


def kinds(world, user_id: int) -> list[str]:
    member_id = world.member(user_id).id
    with world.factory() as session:
        rows = session.scalars(select(Observation.kind).where(Observation.member_id == member_id))
        return list(rows)


def test_start_up_sets_the_strangers_menu_in_each_language_with_its_words(sandbox, bot) -> None:
    strangers = commands_for(STRANGER)
    for language in ("nl", "fr", "en"):
        menu = wait_until(lambda language=language: sandbox.commands(language_code=language))
        assert [c["command"] for c in menu] == [c.word(language) for c in strangers]
        assert menu[0]["description"] == TRANSLATOR.plain(language, "command.start")
    # Telegram shows the default to everyone else: the deployment's language (nl).
    default = sandbox.commands()
    # /forget too: someone who answered a survey through its link is no member.
    assert [c["command"] for c in default] == ["beginnen", "hulp", "taal", "stoppen", "vergeten"]
    # Every setMyCommands call was checked against the Bot API (the fixture fails otherwise).
    calls = sandbox.calls("setMyCommands")
    assert {call["params"].get("language_code") for call in calls} == {None, "nl", "fr", "en"}
    assert all(call["status"] == 200 for call in calls)


@pytest.mark.parametrize(
    ("role", "language"),
    [("coordinator", "nl"), ("staff", "fr"), ("volunteer", "en"), ("resident", "fr")],
)
def test_each_role_has_its_menu_and_a_tap_does_what_the_command_does(
    sandbox, world, db, role: str, language: str
) -> None:
    user_id = 3000 + ["coordinator", "staff", "volunteer", "resident"].index(role)
    user = sandbox.user(user_id=user_id, language_code=language)
    join(user, world.invite(world.organisation(), role), language)
    # The chat's command menu speaks the member's words; the main menu sits under the field.
    menu = wait_until(lambda: sandbox.commands(scope={"type": "chat", "chat_id": user_id}))
    assert [c["command"] for c in menu] == [c.word(language) for c in commands_for(role)]
    assert shows_menu(user)
    assert shown(user) == labels(menu_for(role), language)
    assert 4 <= sum(len(row) for row in menu_for(role)) <= 6
    answers(user, db, sandbox)
    for row in menu_for(role):
        for key in row:
            label = plain(TRANSLATOR.raw(language, key.label))
            user.press(label)
            tapped = answers(user, db, sandbox)
            for leave in ("/endwalk", "/cancel"):
                user.send_command(leave)
                answers(user, db, sandbox)
            user.send_command("/" + COMMANDS_BY_NAME[key.command].word(language))
            typed = answers(user, db, sandbox)
            for leave in ("/endwalk", "/cancel"):
                user.send_command(leave)
                answers(user, db, sandbox)
            assert tapped == typed and tapped, (key.command, tapped, typed)
    # Nothing tapped was kept as a note (the capture-everything rule never saw a label).
    assert "note" not in kinds(world, user_id)
    assert shows_menu(user) and shown(user) == labels(menu_for(role), language)


def test_during_a_walk_the_menu_ends_the_walk_and_notes_what_is_missing(sandbox, world, db) -> None:
    user = sandbox.user(user_id=3100, language_code="en")
    join(user, world.invite(world.organisation(), "staff"), "en")
    answers(user, db, sandbox)
    user.press(plain(TRANSLATOR.raw("en", "menu.walk")))
    started = answers(user, db, sandbox)
    assert started[-1] == plain(TRANSLATOR.raw("en", "menu.walking"))
    assert (
        shown(user)
        == labels(WALKING, "en")
        == [["🏁 End walk"], ["💬 Conversation", "🧩 Missing thing"]]
    )
    user.send_location(50.8467, 4.3525, live_period=900)  # notes are placed from the track
    user.send_text("No bench at the bus stop")
    answers(user, db, sandbox)
    # Missing thing: its first question; /cancel goes back to the walk and its menu.
    user.press("🧩 Missing thing")
    [ask] = answers(user, db, sandbox)
    assert ask == plain(TRANSLATOR.raw("en", "missing.ask_what"))
    user.send_command("/cancel")
    answers(user, db, sandbox)
    assert shown(user) == labels(WALKING, "en")
    # Conversation: the encounter starts; cancelled, the walk goes on.
    user.press("💬 Conversation")
    first = answers(user, db, sandbox)
    assert first and first[0].startswith(plain(TRANSLATOR.raw("en", "encounter.ask_who"))[:20])
    user.send_command("/cancel")
    answers(user, db, sandbox)
    assert shown(user) == labels(WALKING, "en")
    # A label typed the reader's way also counts; a sentence with it in is a note.
    user.send_text("i walked past the end walk sign")
    answers(user, db, sandbox)
    assert kinds(world, 3100).count("walk_note") == 2
    user.send_text("end walk")
    ended = answers(user, db, sandbox)
    assert any(says({"text": text}, "walk.summary", "en") for text in ended)
    assert shown(user) == labels(menu_for("staff"), "en")
    assert sorted(kinds(world, 3100)) == ["walk_note", "walk_note"]


def test_any_member_may_use_any_language_s_words(sandbox, world, db) -> None:
    user = sandbox.user(user_id=3200, language_code="fr")
    join(user, world.invite(world.organisation(), "volunteer"), "fr")
    answers(user, db, sandbox)
    for word in ("/balade", "/wandeling", "/walk"):
        user.send_command(word)
        said = answers(user, db, sandbox)
        assert said[0] == plain(
            TRANSLATOR.raw("fr", "walk.started" if word == "/balade" else "walk.already")
        ).split("{")[0] or says({"text": said[0]}, "walk.already", "fr"), said
    user.send_command("/finbalade")
    assert any(says({"text": t}, "walk.summary", "fr") for t in answers(user, db, sandbox))
    # A volunteer's word for a coordinator's command is refused in her own words.
    user.send_command("/uitnodigen")
    [refused] = answers(user, db, sandbox)
    assert refused == plain(TRANSLATOR.text("fr", "error.not_allowed", {"command": "inviter"}))
    # Every command of the registry answers to its words (here: /hulp, /aide, /help alike).
    helps = []
    for word in COMMANDS_BY_NAME["help"].words():
        user.send_command("/" + word)
        helps.append(answers(user, db, sandbox))
    assert helps[0] == helps[1] == helps[2] and "/balade" in helps[0][0]
    assert len(COMMANDS) == len({c.name for c in COMMANDS})
