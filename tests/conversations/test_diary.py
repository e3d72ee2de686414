"""/diary through the real HTTP stack: enrolment, entries, reminders and their buttons, control."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.runtime.jobs import run_sweep
from flows.diary import due_reminders
from flows.engine import Text
from geo import distance_m, get_gazetteer, match_place
from storage.models import ChatState, Diarist, Observation
from tests.conversations.clock import SetClock, restart_on
from tests.conversations.helpers import TRANSLATOR, join, says, shows_menu, tap, wait_drained

pytestmark = pytest.mark.pipeline

GRAND_PLACE = (50.8467, 4.3525)
ATOMIUM = (50.8949, 4.3415)
VOICE = b"OggS" + b"\x00" * 100
BRUSSELS = ZoneInfo("Europe/Brussels")


def label(language: str, key: str) -> str:
    return TRANSLATOR.raw(language, key)


def resident(sandbox, world, user_id: int, language: str = "en"):
    user = sandbox.user(user_id=user_id, language_code=language)
    join(user, world.invite(world.organisation(), "resident"), language)
    return user


def local_today() -> date:
    return datetime.now(UTC).astimezone(BRUSSELS).date()


def wait_for(predicate, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def edited(user, message_id: int, key: str, language: str, **params) -> dict:
    """Wait until a message was edited into the catalog text for a key."""

    def check() -> dict | None:
        for message in user.messages():
            if message["message_id"] == message_id and says(message, key, language, **params):
                return message
        return None

    return wait_for(check)


def diarist(world, user_id: int) -> Diarist:
    member_id = world.member(user_id).id
    with world.factory() as session:
        return session.scalars(select(Diarist).where(Diarist.member_id == member_id)).one()


def entries(world, user_id: int) -> list[Observation]:
    member_id = world.member(user_id).id
    with world.factory() as session:
        rows = session.scalars(
            select(Observation).where(Observation.member_id == member_id).order_by(Observation.id)
        ).all()
        for row in rows:
            _ = list(row.media)
        return list(rows)


def enrol_quickly(user, language: str = "en", time_key: str = "diary.time.off") -> dict:
    """Enrol with a reminder button and no home wijk; return the welcome message."""
    user.send_command("/diary")
    [about] = user.wait_for_messages(1)
    tap(user, about, label(language, "diary.button.agree"))
    [ask_time] = user.wait_for_messages(1)
    tap(user, ask_time, label(language, time_key))
    [ask_home] = user.wait_for_messages(1)
    assert says(ask_home, "diary.ask_home", language)
    user.press(label(language, "button.skip"))
    skipped, welcome = user.wait_for_messages(2)
    assert says(skipped, "diary.home_skipped", language)
    return welcome


def make_due(world, user_id: int) -> None:
    """Set the reminder a minute in the past (local time), as if its moment just passed."""
    now = datetime.now(UTC).astimezone(BRUSSELS)
    before = now - timedelta(minutes=1)
    value = before.strftime("%H:%M") if before.date() == now.date() else "00:00"
    member_id = world.member(user_id).id
    with world.factory.begin() as session:
        row = session.scalars(select(Diarist).where(Diarist.member_id == member_id)).one()
        row.reminder_time = value
        row.last_reminded_on = None


def test_a_resident_enrols_with_a_typed_time_and_home_by_location(sandbox, world) -> None:
    user = resident(sandbox, world, 1300)
    user.send_command("/diary")
    [about] = user.wait_for_messages(1)
    assert says(about, "diary.about", "en", organisation="Buurtwerk Noord", version="diary-2026-11")
    tap(user, about, label("en", "diary.button.agree"))
    [ask_time] = user.wait_for_messages(1)
    assert says(ask_time, "diary.ask_time", "en")
    user.send_text("quarter past eight")
    [unknown] = user.wait_for_messages(1)
    assert says(unknown, "diary.time_unknown", "en")
    user.send_text("20.15")
    noted, ask_home = user.wait_for_messages(2)
    assert says(noted, "diary.time_noted", "en", time="20:15")
    assert says(ask_home, "diary.ask_home", "en")
    user.press(label("en", "button.send_location"), *GRAND_PLACE)
    home, welcome = user.wait_for_messages(2)
    assert says(home, "diary.home_set", "en", wijk="Grand Place")
    assert shows_menu(user)  # the one-time keyboard made way for the main menu
    today = local_today()
    assert says(welcome, "diary.enrolled", "en")
    assert (
        "20:15" in welcome["text"]
        and (today + timedelta(days=29)).strftime("%d/%m") in (welcome["text"])
    )

    row = diarist(world, 1300)
    assert row.consent_version == "diary-2026-11"
    assert row.reminder_time == "20:15" and row.home_wijk == 1
    assert row.started_on == today and row.ends_on == today + timedelta(days=29)
    # Only the wijk of home is kept: no coordinate anywhere on the diarist, no observation.
    values = [getattr(row, column.key) for column in Diarist.__table__.columns]
    assert not any(isinstance(value, float) for value in values)
    assert entries(world, 1300) == []

    with world.factory() as session:
        assert session.get(ChatState, 1300) is None  # nothing lingers after enrolment
    # Words sent at the overview are today's need.
    user.send_command("/diary")
    [menu] = user.wait_for_messages(1)
    assert says(
        menu,
        "diary.menu",
        "en",
        day=1,
        days=30,
        needs=0,
        status=Text("diary.status.reminder", {"time": "20:15"}),
    )
    user.send_text("Fresh fruit")
    [theme] = user.wait_for_messages(1)
    assert says(theme, "diary.ask_theme", "en")
    tap(user, theme, label("en", "theme.food"))
    [met] = user.wait_for_messages(1)
    tap(user, met, label("en", "diary.met.yes"))
    saved, thanks = user.wait_for_messages(2)
    assert says(
        saved,
        "observe.saved_theme",
        "en",
        where=Text("diary.saved_where.buurt"),
        theme=Text("theme.food"),
    )
    assert says(thanks, "diary.thanks", "en", day=1, days=30)
    [entry] = entries(world, 1300)
    assert entry.kind == "diary_entry" and entry.text == "Fresh fruit" and entry.theme == "food"
    assert entry.lat is None and entry.author.startswith("P-")
    assert entry.details == {
        "need": "Fresh fruit",
        "met": "yes",
        "where_instead": None,
        "where_source": None,
        "where_wijk": None,
        "transport": None,
        "duration": None,
        "distance_m": None,
        "distance_from": None,
        "day_number": 1,
        "for_date": today.isoformat(),
        "home_wijk": 1,
    }
    with world.factory() as session:
        assert session.get(ChatState, 1300) is None


def test_an_entry_with_a_location_far_from_the_buurt(sandbox, world) -> None:
    user = resident(sandbox, world, 1301)
    welcome = enrol_quickly(user)
    assert says(welcome, "diary.enrolled", "en")
    assert diarist(world, 1301).reminder_time is None
    user.send_command("/diary")
    [menu] = user.wait_for_messages(1)
    assert says(menu, "diary.menu", "en")
    assert "Yesterday" not in str(menu["reply_markup"])  # the diary started today
    tap(user, menu, label("en", "diary.button.today"))
    [ask] = user.wait_for_messages(1)
    assert says(ask, "diary.ask_need", "en", when=Text("diary.when.today"))
    user.send_text("A pharmacy open on Sunday")
    [theme] = user.wait_for_messages(1)
    tap(user, theme, label("en", "theme.health"))
    [met] = user.wait_for_messages(1)
    tap(user, met, label("en", "diary.met.no"))
    [where] = user.wait_for_messages(1)
    assert says(where, "diary.ask_where", "en")
    user.press(label("en", "button.send_location"), *ATOMIUM)
    noted, transport = user.wait_for_messages(2)
    gazetteer = get_gazetteer()
    labels = [gazetteer.wijk(code).label for code in (1, 2)]
    centre = (sum(p[0] for p in labels) / 2, sum(p[1] for p in labels) / 2)
    metres = distance_m(centre, ATOMIUM)
    assert says(
        noted,
        "diary.where_km",
        "en",
        place=gazetteer.wijk_name(74, "en"),
        km=f"{metres / 1000:.1f}",
        reference=Text("diary.from_buurt"),
    )
    tap(user, transport, label("en", "diary.transport.transit"))
    [duration] = user.wait_for_messages(1)
    tap(user, duration, label("en", "diary.duration.30to60"))
    saved, thanks = user.wait_for_messages(2)
    assert says(
        saved,
        "observe.saved_theme",
        "en",
        where=Text("observe.in_place", {"place": gazetteer.wijk_name(74, "en")}),
        theme=Text("theme.health"),
    )
    [entry] = entries(world, 1301)
    assert (entry.lat, entry.lon, entry.wijk_code, entry.in_buurt) == (*ATOMIUM, 74, False)
    details = entry.details
    assert details["met"] == "no" and details["where_source"] == "location"
    # Shown in the member's language, kept in the organisation's (nl) so reports can count it.
    assert details["where_instead"] == gazetteer.wijk_name(74, "nl")
    assert details["where_wijk"] == 74
    assert details["transport"] == "transit" and details["duration"] == "30to60"
    assert details["distance_m"] == round(metres) and details["distance_from"] == "buurt"


def test_a_voice_need_a_typed_place_and_doing_without_yesterday(sandbox, world) -> None:
    user = resident(sandbox, world, 1302, "nl")
    enrol_quickly(user, "nl")
    # Voice at the overview: a need for today; the typed place is matched offline.
    user.send_command("/diary")
    user.wait_for_messages(1)
    user.send_voice(VOICE, duration=6)
    [theme] = user.wait_for_messages(1)
    tap(user, theme, label("nl", "theme.other"))
    [met] = user.wait_for_messages(1)
    tap(user, met, label("nl", "diary.met.partly"))
    user.wait_for_messages(1)
    user.send_text("Anderlecht")
    noted, transport = user.wait_for_messages(2)
    assert says(noted, "diary.where_km", "nl")
    tap(user, transport, label("nl", "diary.transport.online"))
    saved, thanks = user.wait_for_messages(2)
    assert says(saved, "observe.saved_theme", "nl")
    # The diary started three days ago: yesterday can be told too.
    member_id = world.member(1302).id
    with world.factory.begin() as session:
        row = session.scalars(select(Diarist).where(Diarist.member_id == member_id)).one()
        row.started_on -= timedelta(days=3)
        row.ends_on -= timedelta(days=3)
    user.send_command("/diary")
    [menu] = user.wait_for_messages(1)
    assert says(
        menu, "diary.menu", "nl", day=4, days=30, needs=1, status=Text("diary.status.no_reminder")
    )
    tap(user, menu, label("nl", "diary.button.yesterday"))
    [ask] = user.wait_for_messages(1)
    assert says(ask, "diary.ask_need", "nl", when=Text("diary.when.yesterday"))
    user.send_text("Een bankkantoor met mensen")
    [theme] = user.wait_for_messages(1)
    tap(user, theme, label("nl", "theme.work"))
    [met] = user.wait_for_messages(1)
    tap(user, met, label("nl", "diary.met.no"))
    user.wait_for_messages(1)
    user.press(label("nl", "button.did_without"))
    without, saved, thanks = user.wait_for_messages(3)
    assert says(without, "diary.did_without", "nl")
    assert says(
        saved,
        "observe.saved_theme",
        "nl",
        where=Text("diary.saved_where.without"),
        theme=Text("theme.work"),
    )
    assert says(thanks, "diary.thanks", "nl", day=3, days=30)
    assert shows_menu(user)  # the one-time keyboard made way for the main menu

    voice, bank = entries(world, 1302)
    anderlecht = match_place("Anderlecht")
    assert voice.text is None and [(m.kind, m.duration) for m in voice.media] == [("voice", 6)]
    assert voice.theme == "other" and voice.details["need"] is None
    assert voice.details["met"] == "partly" and voice.details["where_source"] == "typed"
    assert voice.details["where_instead"] == "Anderlecht"
    assert (voice.lat, voice.lon) == (anderlecht.lat, anderlecht.lon)
    assert voice.details["transport"] == "online" and voice.details["duration"] is None
    today = local_today()
    assert voice.details["for_date"] == today.isoformat()
    assert bank.text == "Een bankkantoor met mensen" and bank.lat is None
    assert bank.details["where_source"] == "did_without" and bank.details["transport"] is None
    assert bank.details["for_date"] == (today - timedelta(days=1)).isoformat()
    assert bank.details["day_number"] == 3


def test_reminders_their_buttons_and_the_diary_controls(sandbox, world, bot) -> None:
    user = resident(sandbox, world, 1303)
    enrol_quickly(user, time_key="diary.time.morning")
    assert diarist(world, 1303).reminder_time == "09:00"
    # A reminder due while the member is in the middle of something else waits ...
    user.send_command("/missing")
    user.wait_for_messages(1)
    make_due(world, 1303)
    run_sweep(bot.app, due_reminders)
    wait_drained(world.factory, sandbox)
    assert user.new_messages() == []
    assert diarist(world, 1303).last_reminded_on is None
    # ... and comes once the chat is free.
    user.send_command("/cancel")
    user.wait_for_messages(1)
    run_sweep(bot.app, due_reminders)
    [reminder] = user.wait_for_messages(1)
    assert says(reminder, "diary.reminder", "en", day=1, days=30)
    assert run_sweep(bot.app, due_reminders) == 0
    # Its buttons work whatever the chat is doing next.
    user.send_command("/missing")
    user.wait_for_messages(1)
    tap(user, reminder, label("en", "diary.button.nothing"))
    edited(user, reminder["message_id"], "diary.nothing_noted", "en", when=Text("diary.when.today"))
    [marker] = entries(world, 1303)
    assert marker.details["nothing"] is True
    # ... and the other conversation goes on where it was.
    user.send_text("A post office")
    [theme] = user.wait_for_messages(1)
    assert says(theme, "missing.ask_theme", "en")
    user.send_command("/cancel")
    user.wait_for_messages(1)

    # Another day's reminder: pause it for three days.
    with world.factory.begin() as session:
        session.delete(session.get(Observation, marker.id))
    make_due(world, 1303)
    assert run_sweep(bot.app, due_reminders) == 1
    [reminder] = user.wait_for_messages(1)
    tap(user, reminder, label("en", "diary.button.pause_reminder"))
    again_on = local_today() + timedelta(days=4)
    edited(user, reminder["message_id"], "diary.paused", "en")
    assert diarist(world, 1303).paused_until == local_today() + timedelta(days=3)
    assert again_on.strftime("%d/%m") in user.messages()[-1]["text"]
    make_due(world, 1303)
    assert run_sweep(bot.app, due_reminders) == 0

    # /diary: resume, change the time, pause for a week, stop.
    user.send_command("/diary")
    [menu] = user.wait_for_messages(1)
    assert "Paused" in menu["text"]
    tap(user, menu, label("en", "diary.button.resume"))
    [resumed] = user.wait_for_messages(1)
    assert says(resumed, "diary.resumed", "en")
    assert diarist(world, 1303).paused_until is None
    user.send_command("/diary")
    [menu] = user.wait_for_messages(1)
    tap(user, menu, label("en", "diary.button.time"))
    user.wait_for_messages(1)
    user.send_text("7:45")
    [changed] = user.wait_for_messages(1)
    # Today's reminder has come already: the new time starts tomorrow.
    assert says(changed, "diary.time_changed_tomorrow", "en", time="07:45")
    assert diarist(world, 1303).reminder_time == "07:45"
    user.send_command("/diary")
    [menu] = user.wait_for_messages(1)
    tap(user, menu, label("en", "diary.button.pause"))
    [ask_pause] = user.wait_for_messages(1)
    tap(user, ask_pause, label("en", "diary.button.pause_7"))
    edited(user, ask_pause["message_id"], "diary.paused", "en")
    assert diarist(world, 1303).paused_until == local_today() + timedelta(days=7)
    user.send_command("/diary")
    [menu] = user.wait_for_messages(1)
    tap(user, menu, label("en", "diary.button.stop"))
    [ask_stop] = user.wait_for_messages(1)
    assert says(ask_stop, "diary.ask_stop", "en")
    tap(user, ask_stop, label("en", "diary.button.stop_yes"))
    edited(user, ask_stop["message_id"], "diary.stopped", "en")
    assert diarist(world, 1303).stopped_at is not None
    make_due(world, 1303)
    assert run_sweep(bot.app, due_reminders) == 0
    user.send_command("/diary")
    [ended] = user.wait_for_messages(1)
    assert says(ended, "diary.ended_stopped", "en")


def start_yesterday(world, user_id: int, days: int = 3) -> None:
    """Move a diary's start some days back, so yesterday can be told too."""
    member_id = world.member(user_id).id
    with world.factory.begin() as session:
        row = session.scalars(select(Diarist).where(Diarist.member_id == member_id)).one()
        row.started_on -= timedelta(days=days)
        row.ends_on -= timedelta(days=days)


def tell_a_need(user, need: str) -> None:
    """Answer the need, theme and met questions of an entry already started; wait for thanks."""
    user.send_text(need)
    [theme] = user.wait_for_messages(1)
    tap(user, theme, label("en", "theme.work"))
    [met] = user.wait_for_messages(1)
    tap(user, met, label("en", "diary.met.yes"))
    saved, thanks = user.wait_for_messages(2)
    assert says(thanks, "diary.thanks", "en")


def test_a_reminder_never_interrupts_an_entry(sandbox, world, bot) -> None:
    # One resident tells about yesterday: the reminder waits until the entry is saved.
    user = resident(sandbox, world, 1304)
    enrol_quickly(user, time_key="diary.time.evening")
    start_yesterday(world, 1304)
    user.send_command("/diary")
    [menu] = user.wait_for_messages(1)
    tap(user, menu, label("en", "diary.button.yesterday"))
    [ask] = user.wait_for_messages(1)
    assert says(ask, "diary.ask_need", "en", when=Text("diary.when.yesterday"))
    make_due(world, 1304)
    run_sweep(bot.app, due_reminders)
    wait_drained(world.factory, sandbox)
    assert user.new_messages() == []
    tell_a_need(user, "A cash machine that works")
    run_sweep(bot.app, due_reminders)
    [reminder] = user.wait_for_messages(1)
    assert says(reminder, "diary.reminder", "en", day=4, days=30)

    # Another tells about today: the entry answers today, so no reminder follows it.
    other = resident(sandbox, world, 1305)
    enrol_quickly(other, time_key="diary.time.evening")
    other.send_command("/diary")
    [menu] = other.wait_for_messages(1)
    tap(other, menu, label("en", "diary.button.today"))
    other.wait_for_messages(1)
    make_due(world, 1305)
    run_sweep(bot.app, due_reminders)
    tell_a_need(other, "A bank office with people")
    run_sweep(bot.app, due_reminders)
    wait_drained(world.factory, sandbox)
    assert other.new_messages() == []
    assert diarist(world, 1305).last_reminded_on is None


def test_enrolling_after_the_reminder_time_reminds_from_the_next_day(
    sandbox, settings, world, bot
) -> None:
    user = resident(sandbox, world, 1306)
    # Tuesday 8 December, 21:00 in Brussels: after the 20:00 the resident chooses.
    clock = SetClock(datetime(2026, 12, 8, 21, 0, tzinfo=BRUSSELS))
    running = restart_on(bot, settings, clock, world, sandbox)
    try:
        user.send_command("/diary")
        [about] = user.wait_for_messages(1)
        tap(user, about, label("en", "diary.button.agree"))
        user.wait_for_messages(1)
        user.send_text("20:00")
        user.wait_for_messages(2)
        user.press(label("en", "button.skip"))
        _, welcome = user.wait_for_messages(2)
        assert says(welcome, "diary.enrolled", "en")
        tomorrow = TRANSLATOR.text("en", "diary.enrolled_reminder_tomorrow", {"time": "20:00"})
        assert tomorrow in welcome["text"]
        # No reminder that evening, however late ...
        for hour, minute in ((21, 1), (23, 59)):
            clock.set(datetime(2026, 12, 8, hour, minute, tzinfo=BRUSSELS))
            run_sweep(running.app, due_reminders)
            wait_drained(world.factory, sandbox)
            assert user.new_messages() == []
        # ... and the first one the next day at 20:00.
        clock.set(datetime(2026, 12, 9, 19, 59, tzinfo=BRUSSELS))
        run_sweep(running.app, due_reminders)
        wait_drained(world.factory, sandbox)
        assert user.new_messages() == []
        clock.set(datetime(2026, 12, 9, 20, 0, tzinfo=BRUSSELS))
        run_sweep(running.app, due_reminders)
        [reminder] = user.wait_for_messages(1)
        assert says(reminder, "diary.reminder", "en", day=2, days=30)
    finally:
        running.stop()
