"""/keyperson through the real HTTP stack: follow-up dates, contact only with consent, restarts."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.runtime.runner import BotThread
from flows.engine import Text
from storage.models import ChatState, Observation
from tests.conversations.clock import SetClock, restart_on
from tests.conversations.helpers import TRANSLATOR, button_texts, join, says, tap, unpaced

pytestmark = pytest.mark.pipeline

FLAGEY = (50.8275, 4.3725)


def fieldworker(sandbox, world, user_id: int, language: str):
    user = sandbox.user(user_id=user_id, language_code=language)
    join(user, world.invite(world.organisation(), "volunteer"), language)
    return user


def key_persons(world, user_id: int) -> list[Observation]:
    member = world.member(user_id)
    with world.factory() as session:
        return list(
            session.scalars(
                select(Observation)
                .where(Observation.member_id == member.id, Observation.kind == "key_person")
                .order_by(Observation.id)
            )
        )


def label(language: str, key: str) -> str:
    return TRANSLATOR.raw(language, key)


def brussels_today():
    return datetime.now(ZoneInfo("Europe/Brussels")).date()


def test_a_key_person_with_a_follow_up_date_and_contact_consent(sandbox, world) -> None:
    user = fieldworker(sandbox, world, 1200, "en")
    user.send_command("/keyperson")
    [alias] = user.wait_for_messages(1)
    assert says(alias, "keyperson.ask_alias", "en")
    assert "no full name" in alias["text"]
    user.send_text("the baker on Place Flagey")
    [role] = user.wait_for_messages(1)
    assert says(role, "keyperson.ask_role", "en")
    user.send_text("baker, chair of the shopkeepers' association")
    [where] = user.wait_for_messages(1)
    assert says(where, "keyperson.ask_where", "en")
    user.send_location(*FLAGEY)
    noted, network = user.wait_for_messages(2)
    place = Text("observe.in_place", {"place": "Flagey - Malibran"})
    assert says(noted, "keyperson.place_noted", "en", where=place)
    assert says(network, "keyperson.ask_network", "en")
    user.send_text("the shopkeepers around the square")
    [follow_up] = user.wait_for_messages(1)
    assert says(follow_up, "keyperson.ask_follow_up", "en")
    user.send_text("invite them to our spring market")
    [when] = user.wait_for_messages(1)
    tap(user, when, label("en", "keyperson.when.2weeks"))
    [consent] = user.wait_for_messages(1)
    due = brussels_today() + timedelta(days=14)
    edited = [message["text"] for message in user.messages()]
    assert f"📅 I will remind you on {due:%d/%m/%Y}." in edited
    assert says(consent, "keyperson.ask_consent", "en")
    tap(user, consent, label("en", "keyperson.consent_yes"))
    [contact] = user.wait_for_messages(1)
    assert says(contact, "keyperson.ask_contact", "en")
    user.send_text("0470 12 34 56")
    [saved] = user.wait_for_messages(1)
    assert says(saved, "keyperson.saved", "en", where=place)
    [observation] = key_persons(world, 1200)
    assert observation.wijk_code == 37
    assert observation.follow_up_on == due
    assert observation.follow_up_sent_at is None
    assert observation.details == {
        "alias": "the baker on Place Flagey",
        "role": "baker, chair of the shopkeepers' association",
        "network": "the shopkeepers around the square",
        "follow_up": "invite them to our spring market",
        "contact_consent": True,
        "contact": "0470 12 34 56",
    }
    with world.factory() as session:
        assert session.get(ChatState, 1200) is None


def test_without_consent_no_contact_is_asked_or_kept(sandbox, world) -> None:
    user = fieldworker(sandbox, world, 1201, "nl")
    user.send_command("/keyperson")
    user.wait_for_messages(1)
    user.send_text("moeder aan de schoolpoort")
    user.wait_for_messages(1)
    user.send_text("actief in de oudergroep")
    user.wait_for_messages(1)
    user.send_text("bij de bakker op de hoek")
    kept, _network = user.wait_for_messages(2)
    assert says(kept, "keyperson.place_kept", "nl", place="bij de bakker op de hoek")
    user.send_text("de ouders van de school")
    [follow_up] = user.wait_for_messages(1)
    tap(user, follow_up, label("nl", "button.skip"))
    user.wait_for_messages(1)
    user.send_text("na de zomer")
    [bad] = user.wait_for_messages(1)
    assert says(bad, "keyperson.bad_date", "nl")
    due = brussels_today() + timedelta(days=40)
    user.send_text(f"{due:%d/%m/%Y}")
    answer, consent = user.wait_for_messages(2)
    assert says(answer, "keyperson.when_answer", "nl", date=f"{due:%d/%m/%Y}")
    tap(user, consent, label("nl", "keyperson.consent_no"))
    [saved] = user.wait_for_messages(1)
    assert says(saved, "keyperson.saved", "nl", where=Text("observe.no_place"))
    [observation] = key_persons(world, 1201)
    assert observation.lat is None
    assert observation.follow_up_on == due
    assert observation.details == {
        "alias": "moeder aan de schoolpoort",
        "role": "actief in de oudergroep",
        "network": "de ouders van de school",
        "follow_up": None,
        "contact_consent": False,
        "place_text": "bij de bakker op de hoek",
    }


def test_a_key_person_resumes_after_a_restart_and_cancel_keeps_nothing(
    sandbox, settings, world, bot
) -> None:
    user = fieldworker(sandbox, world, 1202, "fr")
    user.send_command("/keyperson")
    user.wait_for_messages(1)
    user.send_text("l'imam de la mosquée de la rue")
    [role] = user.wait_for_messages(1)
    bot.stop()
    restarted = BotThread(settings, pacer=unpaced()).start()
    try:
        user.send_text("imam")
        [where] = user.wait_for_messages(1)
        assert says(where, "keyperson.ask_where", "fr")
        user.press(label("fr", "button.skip"))
        skipped, network = user.wait_for_messages(2)
        assert says(skipped, "keyperson.place_skipped", "fr")
        assert says(network, "keyperson.ask_network", "fr")
        user.send_command("/cancel")
        [cancelled] = user.wait_for_messages(1)
        assert says(cancelled, "cancel.done", "fr")
        assert key_persons(world, 1202) == []
        with world.factory() as session:
            assert session.get(ChatState, 1202) is None
    finally:
        restarted.stop()


def test_a_day_just_gone_is_asked_again_and_a_weekday_is_the_next_one(
    sandbox, settings, world, bot
) -> None:
    user = fieldworker(sandbox, world, 1203, "nl")
    # Thursday 3 December, mid-morning in Brussels.
    clock = SetClock(datetime(2026, 12, 3, 10, 30, tzinfo=ZoneInfo("Europe/Brussels")))
    running = restart_on(bot, settings, clock, world, sandbox)
    try:
        user.send_command("/keyperson")
        user.wait_for_messages(1)
        user.send_text("de voorzitter van het buurtcomité")
        user.wait_for_messages(1)
        user.send_text("voorzitter")
        user.wait_for_messages(1)
        user.press(label("nl", "button.skip"))
        user.wait_for_messages(2)
        user.send_text("de bewoners van de blokken")
        [follow_up] = user.wait_for_messages(1)
        tap(user, follow_up, label("nl", "button.skip"))
        [when] = user.wait_for_messages(1)
        assert says(when, "keyperson.ask_when", "nl")
        # "1/12" on 3 December is two days ago: asked again, not moved to next year.
        user.send_text("1/12")
        [again] = user.wait_for_messages(1)
        assert says(again, "keyperson.past_date", "nl", date="01/12/2026")
        assert label("nl", "keyperson.when.week") in button_texts(again)
        # "maandag" is the next Monday.
        user.send_text("maandag")
        answer, consent = user.wait_for_messages(2)
        assert says(answer, "keyperson.when_answer", "nl", date="07/12/2026")
        tap(user, consent, label("nl", "keyperson.consent_no"))
        [saved] = user.wait_for_messages(1)
        assert says(saved, "keyperson.saved", "nl")
        [observation] = key_persons(world, 1203)
        assert observation.follow_up_on == date(2026, 12, 7)
    finally:
        running.stop()
