"""Walks through the real HTTP stack: live track, notes of every kind, places, undo, endings."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.runtime.jobs import run_sweep
from bot.runtime.runner import BotThread
from flows import walk as walk_flow
from storage.models import MediaFile, Observation, TrackPoint, Walk
from tests.conversations.helpers import TRANSLATOR, join, says, start_walk, tap, unpaced

pytestmark = pytest.mark.pipeline

GRAND_PLACE = (50.8467, 4.3525)
MANNEKEN_PIS = (50.8450, 4.3500)
FLAGEY = (50.8275, 4.3725)
ATOMIUM = (50.8949, 4.3415)
ZAVENTEM = (50.8860, 4.4720)
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200 + b"\xff\xd9"


def walker(sandbox, world, user_id: int, language: str = "en"):
    user = sandbox.user(user_id=user_id, language_code=language)
    join(user, world.invite(world.organisation(), "staff"), language)
    return user


def notes(world, user_id: int) -> list[Observation]:
    member = world.member(user_id)
    with world.factory() as session:
        return list(
            session.scalars(
                select(Observation)
                .where(Observation.member_id == member.id)
                .order_by(Observation.id)
            )
        )


def wait_for(predicate, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_a_walk_with_a_moving_live_location_and_every_kind_of_note(
    sandbox, world, settings
) -> None:
    user = walker(sandbox, world, 1000)
    started = start_walk(user)
    assert says(started, "walk.started", "en")
    tap(user, started, TRANSLATOR.raw("en", "walk.focus.borders"))
    live = user.send_location(*GRAND_PLACE, live_period=3600, horizontal_accuracy=8)
    [tracking] = user.wait_for_messages(1)
    assert says(tracking, "walk.tracking", "en")
    for lat, lon in (MANNEKEN_PIS, (50.8400, 4.3560), (50.8330, 4.3650), FLAGEY):
        user.edit_location(live["message_id"], lat, lon, horizontal_accuracy=12)
    user.send_text("Lots of people chatting on the benches near the ponds")
    user.send_photo(JPEG, caption="closed bakery")
    user.send_voice(b"OggS" + b"\x00" * 100, duration=4)
    user.send_video(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100, duration=3)
    user.send_location(*ATOMIUM)
    replies = user.wait_for_messages(6)  # five saved lines and one observation prompt
    saved = [m for m in replies if m["text"].startswith("✓")]
    assert len(saved) == 5
    assert any(says(m, "walk.prompt.1", "en") for m in replies)
    # The notes without their own location take the track's latest position: Flagey.
    assert "Flagey" in saved[0]["text"]
    assert "Heysel" in saved[4]["text"]
    wait_for(lambda: len(sandbox.reactions(1000)) >= 5)

    user.send_command("/endwalk")
    summary, stop_sharing, ask = user.wait_for_messages(3)
    assert says(summary, "walk.summary", "en") or summary["text"].startswith("🏁")
    assert "Grand Place" in summary["text"] and "Flagey" in summary["text"]
    # The live location is still shared: the walker is told once to stop it.
    assert says(stop_sharing, "walk.stop_sharing", "en")
    assert says(ask, "walk.ask_reflection", "en")
    user.send_text("The ponds are a real meeting place; the busy road cuts the wijk in two.")
    [thanks] = user.wait_for_messages(1)
    assert says(thanks, "walk.reflection_saved", "en")

    stored = notes(world, 1000)
    assert [o.kind for o in stored] == ["walk_note"] * 6
    text_note, photo, voice, video, location_note, reflection = stored
    assert text_note.wijk_code == 37 and text_note.location_source == "track"
    assert text_note.details == {"focus": "borders"}
    assert photo.text == "closed bakery"
    assert location_note.wijk_code == 74 and location_note.location_source == "message"
    assert reflection.details == {"reflection": True} and reflection.lat is None
    with world.factory() as session:
        walk = session.scalars(select(Walk)).one()
        assert walk.ended_at is not None and walk.closed_reason == "ended"
        assert walk.focus == "borders"
        assert 1500 < walk.distance_m < 4000
        points = session.scalars(select(TrackPoint).order_by(TrackPoint.id)).all()
        assert len(points) == 5
        assert points[0].wijk_code == 1 and points[-1].wijk_code == 37
        assert points[1].accuracy_m == 12
    # Media are downloaded into the media folder under generated names.
    media_dir = Path(settings.media_dir)

    def downloaded() -> list[MediaFile]:
        with world.factory() as session:
            rows = session.scalars(select(MediaFile)).all()
            return rows if all(r.status == "stored" for r in rows) and len(rows) == 3 else []

    rows = wait_for(downloaded)
    assert sorted(r.kind for r in rows) == ["photo", "video", "voice"]
    for row in rows:
        assert (media_dir / row.path).is_file()
        assert row.path.split("/")[0] == row.kind
    photo_row = next(r for r in rows if r.kind == "photo")
    assert (media_dir / photo_row.path).read_bytes() == JPEG


def test_a_note_without_any_location_asks_once_and_accepts_skip(sandbox, world) -> None:
    user = walker(sandbox, world, 1001, "nl")
    start_walk(user)
    user.send_text("Geen bank meer aan de bushalte")
    saved, ask = user.wait_for_messages(2)
    assert says(saved, "observe.saved", "nl", where="") or "nog geen plaats" in saved["text"]
    assert says(ask, "walk.where_was_this", "nl")
    user.send_text("Nog een notitie")
    [second] = user.wait_for_messages(1)  # no second question while one is open
    assert second["text"].startswith("✓")
    user.press(TRANSLATOR.raw("nl", "button.skip"))
    [skipped] = user.wait_for_messages(1)
    assert says(skipped, "walk.location_skipped", "nl")
    stored = notes(world, 1001)
    assert len(stored) == 2 and all(o.lat is None for o in stored)
    # The next unplaced note asks again; this time the location answers it.
    user.send_text("Derde notitie")
    user.wait_for_messages(2)
    user.press(TRANSLATOR.raw("nl", "button.send_location"), *ZAVENTEM)
    [added] = user.wait_for_messages(1)
    assert says(added, "walk.location_added", "nl")
    third = notes(world, 1001)[-1]
    assert third.location_source == "asked"
    assert third.in_brussels is False and third.wijk_code is None and third.lat == ZAVENTEM[0]


def test_stopping_live_sharing_is_noticed(sandbox, world) -> None:
    user = walker(sandbox, world, 1002)
    start_walk(user)
    live = user.send_location(*GRAND_PLACE, live_period=900)
    user.wait_for_messages(1)
    user.stop_live_location(live["message_id"])
    [stopped] = user.wait_for_messages(1)
    assert says(stopped, "walk.sharing_stopped", "en")
    with world.factory() as session:
        assert session.scalars(select(Walk)).one().sharing_stopped_at is not None


def test_a_forgotten_walk_is_closed_with_a_message(sandbox, world, bot) -> None:
    user = walker(sandbox, world, 1003)
    start_walk(user)
    user.send_location(*FLAGEY)
    user.wait_for_messages(1)
    # Four hours pass without a sign of life.
    with world.factory.begin() as session:
        walk = session.scalars(select(Walk)).one()
        walk.started_at -= timedelta(hours=4)
        for note in session.scalars(select(Observation)):
            note.created_at -= timedelta(hours=4)
    run_sweep(bot.app, walk_flow.sweep)
    closed, summary = user.wait_for_messages(2)
    assert says(closed, "walk.closed_forgotten", "en")
    assert summary["text"].startswith("🏁")
    with world.factory() as session:
        walk = session.scalars(select(Walk)).one()
        assert walk.closed_reason == "forgotten"
    # The chat is no longer walking: a text is a note of its own, not a walk note.
    user.send_text("hello")
    kept, _where = user.wait_for_messages(2)
    assert says(kept, "capture.saved", "en")
    with world.factory() as session:
        note = session.scalars(select(Observation).where(Observation.text == "hello")).one()
        assert note.kind == "note" and note.walk_id is None


def test_walk_survives_a_restart(sandbox, world, settings, bot) -> None:
    user = walker(sandbox, world, 1004)
    start_walk(user)
    bot.stop()
    restarted = BotThread(settings, pacer=unpaced()).start()
    try:
        user.send_location(*GRAND_PLACE)
        [saved] = user.wait_for_messages(1)
        assert "Grand Place" in saved["text"]
        user.send_command("/endwalk")
        user.wait_for_messages(2)
    finally:
        restarted.stop()
    assert len(notes(world, 1004)) == 1


def test_theme_undo_correction_and_slash_undo(sandbox, world) -> None:
    user = walker(sandbox, world, 1005)
    start_walk(user)
    first = user.send_location(*GRAND_PLACE)
    [saved] = user.wait_for_messages(1)
    tap(user, saved, TRANSLATOR.raw("en", "observe.button_theme"))
    wait_for(
        lambda: (
            any(
                "Food" in b["text"]
                for row in user.messages()[-1]["reply_markup"]["inline_keyboard"]
                for b in row
            )
            if user.messages()[-1].get("reply_markup")
            else False
        )
    )
    user.click(TRANSLATOR.raw("en", "theme.food"), message=user.messages()[-1])
    wait_for(lambda: "Food" in user.messages()[-1]["text"])
    assert notes(world, 1005)[0].theme == "food"

    note = user.send_text("bench brokn")
    second, _where = user.wait_for_messages(2)
    user.edit_text(note["message_id"], "bench broken")
    wait_for(lambda: notes(world, 1005)[-1].text == "bench broken")

    tap(user, second, TRANSLATOR.raw("en", "observe.button_undo"))
    wait_for(lambda: len(notes(world, 1005)) == 1)
    user.send_command("/undo")
    [undone] = user.wait_for_messages(1)
    assert says(undone, "undo.deleted", "en"), undone["text"]
    assert notes(world, 1005) == []
    user.send_command("/undo")
    [nothing] = user.wait_for_messages(1)
    assert says(nothing, "undo.nothing", "en")
    assert first["message_id"]


def test_live_location_without_a_walk_explains_how_to_start(sandbox, world) -> None:
    user = walker(sandbox, world, 1006)
    user.send_location(*GRAND_PLACE, live_period=900)
    [hint] = user.wait_for_messages(1)
    assert says(hint, "walk.live_without_walk", "en")


def test_residents_cannot_walk(sandbox, world) -> None:
    user = sandbox.user(user_id=1007, language_code="en")
    join(user, world.invite(world.organisation(), "resident"), "en")
    user.send_command("/walk")
    [refused] = user.wait_for_messages(1)
    assert says(refused, "error.not_allowed", "en", command="walk")
