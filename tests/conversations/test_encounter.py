"""/encounter through the real HTTP stack: answers by button, text and voice; places; restarts."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.runtime.runner import BotThread
from flows.engine import Text
from storage.models import ChatState, Observation
from tests.conversations.helpers import TRANSLATOR, join, says, shows_menu, start_walk, tap, unpaced

pytestmark = pytest.mark.pipeline

FLAGEY = (50.8275, 4.3725)
VOICE = b"OggS" + b"\x00" * 100
IN_FLAGEY = Text("observe.in_place", {"place": "Flagey - Malibran"})


def fieldworker(sandbox, world, user_id: int, language: str):
    user = sandbox.user(user_id=user_id, language_code=language)
    join(user, world.invite(world.organisation(), "staff"), language)
    return user


def encounters(world, user_id: int) -> list[Observation]:
    member = world.member(user_id)
    with world.factory() as session:
        found = session.scalars(
            select(Observation)
            .where(Observation.member_id == member.id, Observation.kind == "encounter")
            .order_by(Observation.id)
        )
        return [(observation, list(observation.media)) for observation in found]


def label(language: str, key: str) -> str:
    return TRANSLATOR.raw(language, key)


def test_a_full_encounter_with_a_location_typed_and_voice_answers(sandbox, world) -> None:
    user = fieldworker(sandbox, world, 1100, "en")
    user.send_command("/encounter")
    [who] = user.wait_for_messages(1)
    assert says(who, "encounter.ask_who", "en")
    assert "no names" in who["text"].lower()
    tap(user, who, "Resident")
    [where] = user.wait_for_messages(1)
    assert says(where, "encounter.ask_where", "en")
    assert user.keyboard()["one_time_keyboard"]
    user.send_location(*FLAGEY)
    noted, channel = user.wait_for_messages(2)
    assert says(noted, "encounter.place_noted", "en", where=IN_FLAGEY)
    assert shows_menu(user)  # the one-time keyboard made way for the main menu
    assert says(channel, "encounter.ask_channel", "en")
    tap(user, channel, label("en", "encounter.channel.visit"))
    [experience] = user.wait_for_messages(1)
    assert says(experience, "encounter.ask_experience", "en")
    user.send_text("Quiet street, but lonely since the bank office closed")
    [places] = user.wait_for_messages(1)
    assert says(places, "encounter.ask_places", "en")
    user.send_voice(VOICE, duration=3)
    [needs] = user.wait_for_messages(1)
    assert says(needs, "encounter.ask_needs", "en")
    user.send_text("A place to drink coffee with the neighbours")
    [theme] = user.wait_for_messages(1)
    tap(user, theme, "Food")
    [quote] = user.wait_for_messages(1)
    assert says(quote, "encounter.ask_quote", "en")
    tap(user, quote, "Yes")
    [saved] = user.wait_for_messages(1)
    assert saved["text"].startswith("✓") and "Flagey" in saved["text"]
    # Tapped questions show the answer instead of their buttons.
    shown = [message["text"] for message in user.messages()]
    assert "👥 Who: Resident" in shown
    assert "💬 How: House visit" in shown
    [(observation, media)] = encounters(world, 1100)
    assert observation.wijk_code == 37
    assert observation.location_source == "message"
    assert observation.theme == "food"
    assert observation.text == "A place to drink coffee with the neighbours"
    assert observation.details == {
        "who": "resident",
        "channel": "visit",
        "experience": "Quiet street, but lonely since the bank office closed",
        "places": None,
        "needs": "A place to drink coffee with the neighbours",
        "quote_ok": True,
        "voice": ["places"],
    }
    assert [(item.kind, item.duration) for item in media] == [("voice", 3)]
    with world.factory() as session:
        assert session.get(ChatState, 1100) is None


def test_typed_answers_a_typed_place_and_skipped_questions(sandbox, world) -> None:
    user = fieldworker(sandbox, world, 1101, "fr")
    user.send_command("/encounter")
    user.wait_for_messages(1)
    user.send_text("une maman au parc")
    [where] = user.wait_for_messages(1)
    # Without an open walk, "here" is unknown: the location button is offered instead.
    user.press(label("fr", "button.here"))
    [unknown] = user.wait_for_messages(1)
    assert says(unknown, "encounter.here_unknown", "fr")
    user.send_text("Place Flagey, Ixelles")
    noted, _channel = user.wait_for_messages(2)
    assert says(noted, "encounter.place_noted", "fr", where=IN_FLAGEY)
    user.send_text("au marché aux puces")
    [experience] = user.wait_for_messages(1)
    assert says(experience, "encounter.ask_experience", "fr")
    user.send_voice(VOICE, duration=5)
    [places] = user.wait_for_messages(1)
    tap(user, places, label("fr", "button.skip"))
    [needs] = user.wait_for_messages(1)
    assert says(needs, "encounter.ask_needs", "fr")
    tap(user, needs, label("fr", "button.skip"))
    [theme] = user.wait_for_messages(1)
    tap(user, theme, label("fr", "button.skip"))
    [quote] = user.wait_for_messages(1)
    tap(user, quote, "Non")
    [saved] = user.wait_for_messages(1)
    assert says(saved, "encounter.saved", "fr", where=IN_FLAGEY)
    [(observation, media)] = encounters(world, 1101)
    assert (observation.wijk_code, observation.location_source) == (37, "typed")
    assert observation.theme is None
    assert observation.text is None
    assert observation.details == {
        "who": "other",
        "who_text": "une maman au parc",
        "channel": "other",
        "channel_text": "au marché aux puces",
        "place_text": "Place Flagey, Ixelles",
        "experience": None,
        "places": None,
        "needs": None,
        "quote_ok": False,
        "voice": ["experience"],
    }
    assert [item.kind for item in media] == ["voice"]


def test_here_during_a_walk_uses_the_live_track(sandbox, world) -> None:
    user = fieldworker(sandbox, world, 1102, "en")
    start_walk(user)
    user.send_location(*FLAGEY, live_period=3600, horizontal_accuracy=10)
    user.wait_for_messages(1)
    user.send_command("/encounter")
    [who] = user.wait_for_messages(1)
    tap(user, who, "Shopkeeper")
    # The live track answers "where": no question, just what was noted.
    noted, channel = user.wait_for_messages(2)
    assert says(noted, "encounter.place_from_track", "en", where=IN_FLAGEY)
    assert says(channel, "encounter.ask_channel", "en")
    # /cancel leaves the encounter, not the walk.
    user.send_command("/cancel")
    [cancelled] = user.wait_for_messages(1)
    assert says(cancelled, "cancel.done", "en")
    assert encounters(world, 1102) == []
    with world.factory() as session:
        assert session.get(ChatState, 1102).flow == "walk"


def test_an_encounter_resumes_after_a_restart_and_cancel_keeps_nothing(
    sandbox, settings, world, bot
) -> None:
    user = fieldworker(sandbox, world, 1103, "nl")
    user.send_command("/encounter")
    [who] = user.wait_for_messages(1)
    tap(user, who, label("nl", "encounter.who.passerby"))
    user.wait_for_messages(1)
    user.press(label("nl", "button.skip"))
    skipped, channel = user.wait_for_messages(2)
    assert says(skipped, "encounter.place_skipped", "nl")
    bot.stop()
    restarted = BotThread(settings, pacer=unpaced()).start()
    try:
        tap(user, channel, label("nl", "encounter.channel.street"))
        [experience] = user.wait_for_messages(1)
        assert says(experience, "encounter.ask_experience", "nl")
        user.send_text("Het is hier druk, maar gezellig")
        [places] = user.wait_for_messages(1)
        assert says(places, "encounter.ask_places", "nl")
        user.send_command("/cancel")
        [cancelled] = user.wait_for_messages(1)
        assert says(cancelled, "cancel.done", "nl")
        assert encounters(world, 1103) == []
        with world.factory() as session:
            assert session.get(ChatState, 1103) is None
    finally:
        restarted.stop()
