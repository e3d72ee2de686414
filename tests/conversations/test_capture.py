"""Whatever a member sends outside a flow is kept, placed, turned into a record, or undone."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from flows.engine import Text
from reports.export import open_export
from storage.models import MediaFile, Observation, Walk
from tests.conversations.helpers import TRANSLATOR, button_texts, join, says, start_walk, tap

pytestmark = pytest.mark.pipeline

FLAGEY = (50.8275, 4.3725)
GRAND_PLACE = (50.8467, 4.3525)
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200 + b"\xff\xd9"
VOICE = b"OggS" + b"\x00" * 100
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100


def member(sandbox, world, user_id: int, role: str, language: str = "en"):
    user = sandbox.user(user_id=user_id, language_code=language)
    join(user, world.invite(world.organisation(), role), language)
    return user


def observations(world, user_id: int) -> list[Observation]:
    member_id = world.member(user_id).id
    with world.factory() as session:
        rows = session.scalars(
            select(Observation).where(Observation.member_id == member_id).order_by(Observation.id)
        ).all()
        for row in rows:
            _ = list(row.media)
        return list(rows)


def label(language: str, key: str) -> str:
    return TRANSLATOR.raw(language, key)


def wait_for(predicate, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def test_every_kind_sent_outside_a_flow_is_kept_placed_and_exported(sandbox, world) -> None:
    user = member(sandbox, world, 2000, "staff")
    user.send_text("The bench by the church is gone")
    kept, where = user.wait_for_messages(2)
    assert says(kept, "capture.saved", "en")
    assert says(where, "capture.where_was_this", "en")
    # The note's line offers to turn it into a record, besides theme and undo.
    assert label("en", "capture.button.missing") in button_texts(kept)
    assert label("en", "capture.button.encounter") in button_texts(kept)
    # More things while the question waits: each is kept; the question is not asked again.
    user.send_photo(JPEG, caption="closed laundrette")
    user.send_voice(VOICE, duration=4)
    user.send_video(MP4)
    user.send_document(b"%PDF-1.4 flyer", "flyer.pdf", "application/pdf", caption="the flyer")
    user.send_audio(VOICE, duration=9)
    user.send_video_note(MP4)
    lines = user.wait_for_messages(6)
    assert all(says(line, "capture.saved", "en") for line in lines)
    # The location answers the question for all seven.
    user.send_location(*FLAGEY)
    [placed] = user.wait_for_messages(1)
    in_flagey = Text("observe.in_place", {"place": "Flagey - Malibran"})
    assert says(placed, "capture.located", "en", count=7, where=in_flagey)
    # A location sent on its own is a note that places itself, and a venue keeps its name.
    user.send_location(*GRAND_PLACE)
    [kept_location] = user.wait_for_messages(1)
    assert says(kept_location, "capture.saved", "en") and "Grand Place" in kept_location["text"]
    user.send_venue(*FLAGEY, title="Café Belga", address="Place Flagey 18")
    user.wait_for_messages(1)

    stored = observations(world, 2000)
    assert [o.kind for o in stored] == ["note"] * 9
    assert all(o.lat is not None for o in stored)
    assert stored[1].text == "closed laundrette" and stored[4].text == "the flyer"
    assert stored[8].text == "Café Belga, Place Flagey 18"
    assert [m.kind for o in stored for m in o.media] == [
        "photo",
        "voice",
        "video",
        "document",
        "document",
        "video",
    ]
    wait_for(lambda: all(m.status == "stored" for o in observations(world, 2000) for m in o.media))
    organisation_id = world.member(2000).organisation_id
    with world.factory() as session:
        export = list(open_export(session, organisation_id).observation_features())
    features = [f for f in export if f["properties"]["kind"] == "note"]
    assert len(features) == 9
    assert sum(len(f["properties"]["media"]) for f in features) == 6
    assert all(f["geometry"] is not None for f in features)


def test_a_residents_short_message_is_kept_not_refused(sandbox, world) -> None:
    user = member(sandbox, world, 2001, "resident", "nl")
    user.send_text("Ik moest naar Anderlecht voor goedkope groenten")
    kept, where = user.wait_for_messages(2)
    assert says(kept, "capture.saved", "nl")
    # Residents may not record encounters: the line does not offer it.
    assert label("nl", "capture.button.encounter") not in button_texts(kept)
    assert label("nl", "capture.button.missing") in button_texts(kept)
    user.send_text(label("nl", "button.skip"))
    [skipped] = user.wait_for_messages(1)
    assert says(skipped, "capture.place_skipped", "nl")
    [note] = observations(world, 2001)
    assert note.kind == "note" and note.text.startswith("Ik moest naar Anderlecht")
    assert note.lat is None


def test_stickers_and_dice_are_refused_politely_and_nothing_is_stored(sandbox, world) -> None:
    user = member(sandbox, world, 2002, "staff")
    user.send_sticker()
    user.send_dice()
    for reply in user.wait_for_messages(2):
        assert says(reply, "error.unsupported", "en")
    assert observations(world, 2002) == []


def test_a_note_becomes_a_missing_report_in_the_same_row(sandbox, world) -> None:
    user = member(sandbox, world, 2003, "volunteer")
    user.send_photo(JPEG, caption="No cash machine left in the whole street")
    kept, where = user.wait_for_messages(2)
    tap(user, kept, label("en", "capture.button.missing"))
    [theme] = user.wait_for_messages(1)
    assert says(theme, "missing.ask_theme", "en")
    tap(user, theme, label("en", "button.skip"))
    [status] = user.wait_for_messages(1)
    assert says(status, "missing.ask_status", "en")
    tap(user, status, label("en", "missing.status.year"))
    [place] = user.wait_for_messages(1)
    assert says(place, "missing.ask_place", "en")
    user.send_location(*FLAGEY)
    [alternative] = user.wait_for_messages(1)
    assert says(alternative, "missing.ask_alternative", "en")
    user.send_text(label("en", "button.nowhere"))
    replies = user.wait_for_messages(2)
    assert says(replies[-1], "missing.ask_affected", "en")
    tap(user, replies[-1], label("en", "button.skip"))
    [impact] = user.wait_for_messages(1)
    tap(user, impact, label("en", "button.skip"))
    [saved] = user.wait_for_messages(1)
    assert says(saved, "missing.saved", "en")
    [record] = observations(world, 2003)
    assert record.kind == "missing"
    assert record.text == "No cash machine left in the whole street"
    assert record.details["from_note"] is True and record.details["status"] == "disappeared"
    assert [m.kind for m in record.media] == ["photo"]
    # The note's line lost its buttons when the report began: it cannot be turned twice.
    [line] = [m for m in user.messages() if m["message_id"] == kept["message_id"]]
    assert button_texts(line) == []


def test_a_note_becomes_an_encounter_and_keeps_its_place(sandbox, world) -> None:
    user = member(sandbox, world, 2004, "staff")
    user.send_location(*FLAGEY)
    user.wait_for_messages(1)
    user.send_text("A mother with two children says the playground is unsafe at night")
    kept, where = user.wait_for_messages(2)
    user.send_location(*FLAGEY)
    user.wait_for_messages(1)
    tap(user, kept, label("en", "capture.button.encounter"))
    [who] = user.wait_for_messages(1)
    assert says(who, "encounter.ask_who", "en")
    tap(user, who, label("en", "encounter.who.resident"))
    # The note already says where and what was said: those questions are skipped.
    [channel] = user.wait_for_messages(1)
    assert says(channel, "encounter.ask_channel", "en")
    tap(user, channel, label("en", "encounter.channel.street"))
    [places] = user.wait_for_messages(1)
    assert says(places, "encounter.ask_places", "en")
    tap(user, places, label("en", "button.skip"))
    [needs] = user.wait_for_messages(1)
    tap(user, needs, label("en", "button.skip"))
    [theme] = user.wait_for_messages(1)
    tap(user, theme, label("en", "button.skip"))
    [quote] = user.wait_for_messages(1)
    tap(user, quote, label("en", "encounter.quote_no"))
    [saved] = user.wait_for_messages(1)
    assert says(saved, "encounter.saved", "en")
    location_note, record = observations(world, 2004)
    assert location_note.kind == "note"
    assert record.kind == "encounter" and record.wijk_code is not None
    assert record.details["experience"].startswith("A mother with two children")


def test_a_diarists_loose_message_starts_todays_entry(sandbox, world) -> None:
    user = member(sandbox, world, 2005, "resident")
    user.send_command("/diary")
    [about] = user.wait_for_messages(1)
    tap(user, about, label("en", "diary.button.agree"))
    [time_question] = user.wait_for_messages(1)
    tap(user, time_question, label("en", "diary.time.off"))
    user.wait_for_messages(1)
    user.press(label("en", "button.skip"))
    user.wait_for_messages(2)
    user.send_text("I had to go to Anderlecht for cheap vegetables")
    kept, theme = user.wait_for_messages(2)
    assert says(kept, "capture.saved_diary", "en")
    assert says(theme, "diary.ask_theme", "en")
    assert [o.kind for o in observations(world, 2005)] == ["note"]
    tap(user, theme, label("en", "theme.food"))
    [met] = user.wait_for_messages(1)
    tap(user, met, label("en", "diary.met.yes"))
    replies = user.wait_for_messages(2)
    [entry] = observations(world, 2005)
    assert entry.kind == "diary_entry" and entry.details["from_note"] is True
    assert entry.text == "I had to go to Anderlecht for cheap vegetables"
    assert entry.lat is None  # diaries are never placed from a note
    assert any(says(m, "diary.thanks", "en") for m in replies)


def test_endwalk_without_a_walk_starts_nothing(sandbox, world) -> None:
    user = member(sandbox, world, 2006, "staff")
    user.send_command("/endwalk")
    [reply] = user.wait_for_messages(1)
    assert says(reply, "walk.not_walking", "en")
    with world.factory() as session:
        assert session.scalar(select(func.count()).select_from(Walk)) == 0
    user.send_text("Later, a thought")
    kept, _where = user.wait_for_messages(2)
    assert says(kept, "capture.saved", "en")
    [note] = observations(world, 2006)
    assert note.kind == "note" and note.walk_id is None


def test_a_live_location_left_on_after_endwalk_is_not_answered(sandbox, world) -> None:
    user = member(sandbox, world, 2007, "staff")
    start_walk(user)
    live = user.send_location(*FLAGEY, live_period=3600)
    [tracking] = user.wait_for_messages(1)
    assert says(tracking, "walk.tracking", "en")
    user.send_command("/endwalk")
    summary, stop, ask = user.wait_for_messages(3)
    assert says(stop, "walk.stop_sharing", "en")
    tap(user, ask, label("en", "button.skip"))
    user.wait_for_messages(1)
    for step in range(5):
        user.edit_location(live["message_id"], FLAGEY[0] + step * 0.0005, FLAGEY[1])
    # Updates of one chat are handled in order: /help's answer comes after the five moves.
    user.send_command("/help")
    [help_reply] = user.wait_for_messages(1)
    assert says(help_reply, "help.intro.staff", "en")
    assert user.new_messages() == []


def test_an_encounter_during_a_live_tracked_walk_takes_its_place_from_the_track(
    sandbox, world
) -> None:
    user = member(sandbox, world, 2008, "staff")
    start_walk(user)
    user.send_location(*FLAGEY, live_period=3600)
    user.wait_for_messages(1)
    user.send_command("/encounter")
    [who] = user.wait_for_messages(1)
    tap(user, who, label("en", "encounter.who.shopkeeper"))
    # No "where?" question: the track knows, and the walker is told.
    placed, channel = user.wait_for_messages(2)
    assert says(placed, "encounter.place_from_track", "en")
    assert says(channel, "encounter.ask_channel", "en")
    tap(user, channel, label("en", "encounter.channel.street"))
    [experience] = user.wait_for_messages(1)
    user.send_text("Business is slow since the works")
    [places] = user.wait_for_messages(1)
    tap(user, places, label("en", "button.skip"))
    [needs] = user.wait_for_messages(1)
    tap(user, needs, label("en", "button.skip"))
    [theme] = user.wait_for_messages(1)
    tap(user, theme, label("en", "button.skip"))
    [quote] = user.wait_for_messages(1)
    tap(user, quote, label("en", "encounter.quote_yes"))
    [saved] = user.wait_for_messages(1)
    assert "Flagey" in saved["text"]
    [record] = [o for o in observations(world, 2008) if o.kind == "encounter"]
    assert record.location_source == "track" and record.wijk_code is not None


def test_a_photo_sent_at_a_button_question_is_kept_aside_and_the_question_comes_again(
    sandbox, world
) -> None:
    user = member(sandbox, world, 2009, "staff")
    user.send_command("/encounter")
    user.wait_for_messages(1)
    user.send_photo(JPEG, caption="the square")
    aside, again = user.wait_for_messages(2)
    assert says(aside, "capture.saved_aside", "en")
    assert says(again, "encounter.ask_who", "en")
    [note] = observations(world, 2009)
    assert note.kind == "note" and note.text == "the square"


def test_undo_names_what_it_removes_and_asks_before_records_and_reaching_back(
    sandbox, world
) -> None:
    user = member(sandbox, world, 2010, "staff")
    user.send_text("first note")
    user.wait_for_messages(2)
    user.send_text(label("en", "button.skip"))
    user.wait_for_messages(1)
    user.send_text("a second note about the market square that is rather long indeed")
    user.wait_for_messages(2)
    user.send_text(label("en", "button.skip"))
    user.wait_for_messages(1)
    user.send_command("/undo")
    [removed] = user.wait_for_messages(1)
    assert removed["text"] == "↩ Removed: note “a second note about the market square t…”."
    assert [o.text for o in observations(world, 2010)] == ["first note"]
    # A second /undo would reach further back: it asks first, naming the item.
    user.send_command("/undo")
    [ask] = user.wait_for_messages(1)
    assert says(ask, "undo.confirm_earlier", "en")
    assert "“first note”" in ask["text"]
    tap(user, ask, label("en", "undo.button_no"))
    kept = TRANSLATOR.plain("en", "undo.kept", {"what": "note “first note”"})
    wait_for(lambda: user.messages()[-1]["text"] == kept)
    assert [o.text for o in observations(world, 2010)] == ["first note"]

    # An encounter took several answers: /undo asks before removing it.
    user.send_command("/encounter")
    [who] = user.wait_for_messages(1)
    tap(user, who, label("en", "encounter.who.resident"))
    [where] = user.wait_for_messages(1)
    user.send_text(label("en", "button.skip"))
    skipped, channel = user.wait_for_messages(2)
    tap(user, channel, label("en", "encounter.channel.street"))
    [experience] = user.wait_for_messages(1)
    user.send_text("a mother with two children who just moved in")
    [places] = user.wait_for_messages(1)
    tap(user, places, label("en", "button.skip"))
    [needs] = user.wait_for_messages(1)
    tap(user, needs, label("en", "button.skip"))
    [theme] = user.wait_for_messages(1)
    tap(user, theme, label("en", "button.skip"))
    [quote] = user.wait_for_messages(1)
    tap(user, quote, label("en", "encounter.quote_no"))
    user.wait_for_messages(1)
    user.send_command("/undo")
    [confirm] = user.wait_for_messages(1)
    assert says(confirm, "undo.confirm", "en")
    assert confirm["text"].endswith("encounter “a mother with two children who just mov…”")
    assert len(observations(world, 2010)) == 2
    tap(user, confirm, label("en", "undo.button_yes"))
    wait_for(lambda: user.messages()[-1]["text"].startswith("↩ Removed: encounter"))
    assert [o.kind for o in observations(world, 2010)] == ["note"]
    with world.factory() as session:
        assert session.scalar(select(func.count()).select_from(MediaFile)) == 0
