"""/focusgroup through the real HTTP stack: every state by tap and by typing, voice and photos,
wrong numbers, cancel and undo, and who may run one."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from flows.engine import Text
from storage.models import ChatState, MediaFile, Observation
from tests.conversations.helpers import TRANSLATOR, button_texts, join, says, tap, wait_until

pytestmark = pytest.mark.pipeline

FLAGEY = (50.8275, 4.3725)
VOICE = b"OggS" + b"\x00" * 100
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200 + b"\xff\xd9"
IN_FLAGEY = Text("observe.in_place", {"place": "Flagey - Malibran"})


def member(sandbox, world, user_id: int, language: str, role: str = "staff"):
    user = sandbox.user(user_id=user_id, language_code=language)
    join(user, world.invite(world.organisation(), role), language)
    return user


def label(language: str, key: str, **params) -> str:
    return TRANSLATOR.plain(language, key, params)


def observations(world, user_id: int, kind: str = "focus_group") -> list[Observation]:
    found = world.member(user_id)
    with world.factory() as session:
        return list(
            session.scalars(
                select(Observation)
                .where(Observation.member_id == found.id, Observation.kind == kind)
                .order_by(Observation.id)
            )
        )


def media_of(world, observation_id: int) -> list[str]:
    with world.factory() as session:
        return list(
            session.scalars(
                select(MediaFile.kind)
                .where(MediaFile.observation_id == observation_id)
                .order_by(MediaFile.id)
            )
        )


def brussels_today():
    return datetime.now(ZoneInfo("Europe/Brussels")).date()


def count_all(user, language: str, numbers: tuple[str, ...]) -> dict:
    """Answer the four counts by tapping; return the channel question."""
    question = user.messages()[-1]
    for number in numbers:
        user.click(number, message=question)
        question = user.wait_for_messages(1)[-1]
    return question


def test_a_whole_focus_group_by_tapping_with_voice_and_quotes(sandbox, world) -> None:
    user = member(sandbox, world, 1800, "en")
    user.send_command("/focusgroup")
    [when] = user.wait_for_messages(1)
    assert says(when, "focusgroup.ask_when", "en")
    tap(user, when, "Yesterday")
    [where] = user.wait_for_messages(1)
    yesterday = brussels_today() - timedelta(days=1)
    shown = [message["text"] for message in user.messages()]
    assert f"📅 Date: {yesterday:%d/%m/%Y}" in shown
    assert says(where, "focusgroup.ask_where", "en")
    user.send_location(*FLAGEY)
    noted, residents = user.wait_for_messages(2)
    assert says(noted, "focusgroup.place_noted", "en", where=IN_FLAGEY)
    assert says(residents, "focusgroup.ask_count.residents", "en")
    assert "no names" in residents["text"]
    assert "12" in button_texts(residents)
    user.click("8", message=residents)
    [users] = user.wait_for_messages(1)
    assert says(users, "focusgroup.ask_count.users", "en")
    user.click("3", message=users)
    [partners] = user.wait_for_messages(1)
    user.click("2", message=partners)
    [other] = user.wait_for_messages(1)
    assert says(other, "focusgroup.ask_count.others", "en")
    user.click("0", message=other)
    [channel] = user.wait_for_messages(1)
    assert says(channel, "focusgroup.ask_channel", "en")
    shown = [message["text"] for message in user.messages()]
    assert "👥 Residents: 8" in shown and "👥 Others: 0" in shown
    tap(user, channel, label("en", "focusgroup.channel.partner"))
    [question] = user.wait_for_messages(1)
    assert says(question, "focusgroup.ask_question", "en", number=1)
    user.send_text("What would make the square feel safer in the evening?")
    [said] = user.wait_for_messages(1)
    assert says(said, "focusgroup.ask_said", "en")
    user.send_text("More light near the tram stop")
    [kept] = user.wait_for_messages(1)
    assert says(kept, "focusgroup.said_kept", "en", count=1)
    user.send_voice(VOICE, duration=7)
    [kept] = user.wait_for_messages(1)
    assert says(kept, "focusgroup.said_kept", "en", count=2)
    tap(user, kept, label("en", "focusgroup.button.said_done"))
    [quotes] = user.wait_for_messages(1)
    assert says(quotes, "focusgroup.ask_quotes", "en")
    user.send_text("After eight I walk around the square, never across it.")
    [quoted] = user.wait_for_messages(1)
    assert says(quoted, "focusgroup.quote_kept", "en", count=1)
    user.send_text("The kids play here until dark, that is good.")
    [quoted] = user.wait_for_messages(1)
    assert says(quoted, "focusgroup.quote_kept", "en", count=2)
    tap(user, quoted, label("en", "focusgroup.button.next_question"))
    [second] = user.wait_for_messages(1)
    assert says(second, "focusgroup.ask_next_question", "en", number=2)
    user.send_voice(VOICE, duration=4)
    [said] = user.wait_for_messages(1)
    user.send_text("Nobody knows where to go with a housing problem")
    [kept] = user.wait_for_messages(1)
    tap(user, kept, label("en", "focusgroup.button.said_done"))
    [quotes] = user.wait_for_messages(1)
    tap(user, quotes, label("en", "focusgroup.button.all_done"))
    [theme] = user.wait_for_messages(1)
    assert says(theme, "focusgroup.ask_theme", "en")
    tap(user, theme, label("en", "theme.safety"))
    [reflection] = user.wait_for_messages(1)
    assert says(reflection, "focusgroup.ask_reflection", "en")
    user.send_voice(VOICE, duration=9)
    [saved] = user.wait_for_messages(1)
    theme = Text("theme.safety")
    assert says(saved, "observe.saved_theme", "en", where=IN_FLAGEY, theme=theme)
    [observation] = observations(world, 1800)
    assert observation.theme == "safety"
    assert observation.wijk_code == 37
    assert observation.text == "What would make the square feel safer in the evening?"
    assert observation.details == {
        "held_on": yesterday.isoformat(),
        "residents": 8,
        "users": 3,
        "partners": 2,
        "others": 0,
        "people": 13,
        "channel": "partner",
        "questions": [
            {
                "question": "What would make the square feel safer in the evening?",
                "said": ["More light near the tram stop"],
                "quotes": [
                    {
                        "text": "After eight I walk around the square, never across it.",
                        "voice": False,
                        "agreed": True,
                    },
                    {
                        "text": "The kids play here until dark, that is good.",
                        "voice": False,
                        "agreed": True,
                    },
                ],
            },
            {
                "question": None,
                "said": ["Nobody knows where to go with a housing problem"],
                "quotes": [],
            },
        ],
        "missing_voices": None,
        "media_roles": ["said:1", "question:2", "missing_voices"],
    }
    assert media_of(world, observation.id) == ["voice", "voice", "voice"]
    with world.factory() as session:
        assert session.get(ChatState, 1800) is None


def test_typed_answers_a_wrong_number_and_a_photo_at_the_wrong_moment(sandbox, world) -> None:
    user = member(sandbox, world, 1801, "nl", role="coordinator")
    user.send_command("/focusgroup")
    [when] = user.wait_for_messages(1)
    # A day still to come, then words that are no date: asked again each time.
    user.send_text("morgen")
    [future] = user.wait_for_messages(1)
    tomorrow = brussels_today() + timedelta(days=1)
    assert says(future, "focusgroup.future_date", "nl", date=f"{tomorrow:%d/%m/%Y}")
    user.send_text("ergens vorige maand")
    [bad] = user.wait_for_messages(1)
    assert says(bad, "focusgroup.bad_date", "nl")
    user.send_text("eergisteren")
    _answer, where = user.wait_for_messages(2)
    assert says(where, "focusgroup.ask_where", "nl")
    # A photo sent now is no answer, but it is kept as a note of its own.
    user.send_photo(JPEG, caption="de zaal")
    aside, again = user.wait_for_messages(2)
    assert says(aside, "capture.saved_aside", "nl")
    assert says(again, "focusgroup.ask_where", "nl")
    [note] = observations(world, 1801, "note")
    assert note.text == "de zaal"
    user.send_text("Flagey")
    noted, residents = user.wait_for_messages(2)
    assert says(noted, "focusgroup.place_noted", "nl", where=IN_FLAGEY)
    for wrong in ("veel", "-3", "2,5", "9999"):
        user.send_text(wrong)
        told, asked = user.wait_for_messages(2)
        assert says(told, "focusgroup.bad_count", "nl", most=500), (wrong, told["text"])
        assert says(asked, "focusgroup.ask_count.residents", "nl")
    user.send_text("25")
    answer, users = user.wait_for_messages(2)
    assert says(
        answer, "focusgroup.count_answer", "nl", group=Text("focusgroup.group.residents"), count=25
    )
    user.send_text("4")  # the label of a button: the same as tapping it
    _answer, partners = user.wait_for_messages(2)
    user.send_text("0")
    _answer, other = user.wait_for_messages(2)
    user.send_text("1")
    _answer, channel = user.wait_for_messages(2)
    assert says(channel, "focusgroup.ask_channel", "nl")
    user.send_text("tijdens de soepbar in de kerk")
    [question] = user.wait_for_messages(1)
    user.send_text("Wat mis je in de buurt?")
    [said] = user.wait_for_messages(1)
    user.send_photo(JPEG, caption="het flipchartblad")
    [kept] = user.wait_for_messages(1)
    assert says(kept, "focusgroup.said_kept", "nl", count=1)
    user.send_text(label("nl", "focusgroup.button.said_done"))
    _closed, quotes = user.wait_for_messages(2)
    assert says(quotes, "focusgroup.ask_quotes", "nl")
    user.send_voice(VOICE, duration=5)
    [quoted] = user.wait_for_messages(1)
    assert says(quoted, "focusgroup.quote_kept", "nl", count=1)
    user.send_text("dat was alles")
    _closed, theme = user.wait_for_messages(2)
    tap(user, theme, label("nl", "button.skip"))
    [reflection] = user.wait_for_messages(1)
    user.send_text("Jonge mannen en mensen die geen Nederlands of Frans spreken")
    [saved] = user.wait_for_messages(1)
    assert says(saved, "focusgroup.saved", "nl", where=IN_FLAGEY)
    [observation] = observations(world, 1801)
    details = observation.details
    assert details["held_on"] == (brussels_today() - timedelta(days=2)).isoformat()
    counts = {group: details[group] for group in ("residents", "users", "partners", "others")}
    assert counts == {"residents": 25, "users": 4, "partners": 0, "others": 1}
    assert (details["channel"], details["channel_text"]) == (
        "other",
        "tijdens de soepbar in de kerk",
    )
    assert details["place_text"] == "Flagey"
    assert details["questions"] == [
        {
            "question": "Wat mis je in de buurt?",
            "said": ["het flipchartblad"],
            "quotes": [{"text": None, "voice": True, "agreed": True}],
        }
    ]
    assert details["missing_voices"] == (
        "Jonge mannen en mensen die geen Nederlands of Frans spreken"
    )
    assert details["media_roles"] == ["said:1", "quote:1"]
    assert observation.theme is None
    assert media_of(world, observation.id) == ["photo", "voice"]


def test_cancel_halfway_keeps_nothing_and_undo_removes_a_saved_one(sandbox, world) -> None:
    user = member(sandbox, world, 1802, "fr")
    user.send_command("/focusgroup")
    [when] = user.wait_for_messages(1)
    tap(user, when, label("fr", "focusgroup.when.today"))
    [where] = user.wait_for_messages(1)
    user.press(label("fr", "button.skip"))
    skipped, residents = user.wait_for_messages(2)
    assert says(skipped, "focusgroup.place_skipped", "fr")
    user.click("5", message=residents)
    user.wait_for_messages(1)
    user.send_command("/cancel")
    [cancelled] = user.wait_for_messages(1)
    assert says(cancelled, "cancel.done", "fr")
    assert observations(world, 1802) == []
    with world.factory() as session:
        assert session.get(ChatState, 1802) is None
    # A whole one, short: then /undo asks first (a record of many answers) and removes it.
    user.send_command("/focusgroup")
    [when] = user.wait_for_messages(1)
    tap(user, when, label("fr", "focusgroup.when.today"))
    user.wait_for_messages(1)
    user.press(label("fr", "button.skip"))
    user.wait_for_messages(2)
    channel = count_all(user, "fr", ("6", "0", "1", "0"))
    tap(user, channel, label("fr", "focusgroup.channel.activity"))
    user.wait_for_messages(1)
    user.send_text("Qu'est-ce qui vous manque ?")
    [said] = user.wait_for_messages(1)
    tap(user, said, label("fr", "focusgroup.button.said_done"))
    [quotes] = user.wait_for_messages(1)
    tap(user, quotes, label("fr", "focusgroup.button.all_done"))
    [theme] = user.wait_for_messages(1)
    tap(user, theme, label("fr", "button.skip"))
    [reflection] = user.wait_for_messages(1)
    tap(user, reflection, label("fr", "button.skip"))
    [saved] = user.wait_for_messages(1)
    assert says(saved, "focusgroup.saved", "fr")
    [observation] = observations(world, 1802)
    stored = observation.details
    assert [stored[group] for group in ("residents", "users", "partners", "others")] == [6, 0, 1, 0]
    assert observation.details["held_on"] == brussels_today().isoformat()
    user.send_command("/undo")
    [confirm] = user.wait_for_messages(1)
    assert says(confirm, "undo.confirm", "fr")
    tap(user, confirm, label("fr", "undo.button_yes"))
    wait_until(lambda: observations(world, 1802) == [], message="/undo kept the focus group")
    # The question is edited into what was removed.
    wait_until(lambda: says(user.messages()[-1], "undo.deleted", "fr"))


@pytest.mark.parametrize("role", ["resident", "volunteer"])
def test_residents_and_volunteers_are_refused_politely(sandbox, world, role: str) -> None:
    user = member(sandbox, world, 1803 if role == "resident" else 1804, "en", role=role)
    user.send_command("/focusgroup")
    [refused] = user.wait_for_messages(1)
    assert says(refused, "error.not_allowed", "en", command="focusgroup")
    # Whatever they send next is theirs as usual (a note), not a focus group answer.
    assert observations(world, 1803 if role == "resident" else 1804) == []


def test_a_stranger_is_told_how_to_join(sandbox, world) -> None:
    world.organisation()
    stranger = sandbox.user(user_id=1805, language_code="fr")
    stranger.send_command("/focusgroup")
    [answer] = stranger.wait_for_messages(1)
    assert says(answer, "stranger.how_to_join", "fr")


def test_forget_removes_the_author_from_their_focus_groups(sandbox, world) -> None:
    # As the staff consent text promises: what staff recorded stays with the organisation,
    # anonymously; nothing links it to the member who left (storage/privacy.py).
    user = member(sandbox, world, 1806, "en")
    user.send_command("/focusgroup")
    [when] = user.wait_for_messages(1)
    tap(user, when, "Today")
    user.wait_for_messages(1)
    user.press(label("en", "button.skip"))
    user.wait_for_messages(2)
    channel = count_all(user, "en", ("3", "3", "0", "0"))
    tap(user, channel, label("en", "focusgroup.channel.event"))
    user.wait_for_messages(1)
    user.send_voice(VOICE, duration=3)
    [said] = user.wait_for_messages(1)
    tap(user, said, label("en", "focusgroup.button.said_done"))
    [quotes] = user.wait_for_messages(1)
    user.send_text("We need a bench here.")
    [quoted] = user.wait_for_messages(1)
    tap(user, quoted, label("en", "focusgroup.button.all_done"))
    [theme] = user.wait_for_messages(1)
    tap(user, theme, label("en", "button.skip"))
    [reflection] = user.wait_for_messages(1)
    user.send_text("The older people from the flats")
    user.wait_for_messages(1)
    [observation] = observations(world, 1806)
    assert media_of(world, observation.id) == ["voice"]
    pseudonym = observation.author
    user.send_command("/forget")
    [question] = user.wait_for_messages(1)
    tap(user, question, TRANSLATOR.raw("en", "forget.button_yes"))
    [goodbye] = user.wait_for_messages(1)
    assert says(goodbye, "forget.done", "en")
    assert world.member(1806) is None
    with world.factory() as session:
        kept = session.get(Observation, observation.id)
        assert kept is not None and kept.kind == "focus_group"
        assert kept.member_id is None and kept.chat_id is None
        assert kept.author != pseudonym and kept.author.startswith("P-")
        assert (
            session.scalars(select(Observation).where(Observation.author == pseudonym)).all() == []
        )
