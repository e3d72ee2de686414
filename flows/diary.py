"""/diary: for 30 days, what a resident needed and whether the buurt had it.

| state     | accepts                                        | step             | goes to          |
|-----------|------------------------------------------------|------------------|------------------|
| (start)   | /diary, not enrolled                           | start            | about            |
| (start)   | /diary, diary running                          | start            | menu             |
| (start)   | /diary, diary over or stopped                  | start            | ended            |
| about     | callback yes / no                              | about            | time / ends      |
| ended     | callback again                                 | again            | about            |
| time      | callback t:0900, t:1230, t:1900, t:off         | choose_time      | home (enrolling) |
|           | text: a time such as 20:15                     | typed_time       | ends (changing)  |
| home      | text: keyboard "skip", or a wijk name          | home_text        | home (matches)   |
|           | location (only its wijk is kept)               | home_location    | ends (enrolled)  |
|           | callback w:CODE (one of the matches), w:skip   | home_button      | ends (enrolled)  |
| menu      | callback day:today, day:yesterday              | menu_button      | need             |
|           | text, voice, photo (a need for today at once)  | menu_need        | theme            |
|           | callback pause / resume / time / stop          | menu_button      | pausing / ends / |
|           |                                                |                  | time / stopping  |
| pausing   | callback p:3, p:7 / back                       | pause_button     | ends / menu      |
| stopping  | callback stop:yes / stop:no                    | stop_button      | ends / menu      |
| need      | text, voice, photo                             | need             | theme            |
| theme     | callback th:THEME (life domains and "other")   | choose_theme     | met              |
| met       | callback met:yes                               | choose_met       | ends (saved)     |
|           | callback met:partly, met:no                    | choose_met       | where            |
| where     | location; text: a typed place                  | where_location,  | transport        |
|           |                                                | where_text       |                  |
|           | text: keyboard "I did without"                 | where_text       | ends (saved)     |
| transport | callback tr:foot, tr:bike, tr:transit, tr:car, | choose_transport | duration         |
|           | tr:lift                                        |                  |                  |
|           | callback tr:online, tr:none                    | choose_transport | ends (saved)     |
| duration  | callback du:lt15, du:15to30, du:30to60, du:gt60| choose_duration  | ends (saved)     |

Enrolment stores nothing before the last answer (the home wijk); it keeps the diary's own
consent version, the reminder time and only the wijk of home, never a point; the chat then
leaves the flow. An entry is stored at its last answer as an observation of kind "diary_entry":
text and files are the need, theme the life domain, the place is where the member went instead
(when they sent or typed a known place). Details: need, met (yes / partly / no), where_instead
(typed words, or the wijk name in the organisation's language), where_source (location / typed
/ did_without), where_wijk, transport, duration, distance_m and distance_from (home: the home
wijk's label point; buurt: the centre of the buurt's wijken), day_number, for_date (ISO),
home_wijk.

Global buttons under a reminder (valid in any state): g|diary|none|YYYYMMDD answers "nothing
needed" for that day (a diary_entry with details {"nothing": true}, never counted as a need),
g|diary|pause|YYYYMMDD pauses reminders for 3 days. Starting an entry needs the flow, so the
reminder's text points at /diary.

Scheduled: due_reminders() and due_summaries() derive from the diarists table who is due.
A reminder never interrupts: it waits while the chat is in a flow with a draft (an entry in
progress) and is sent when the chat is free, unless today got answered meanwhile. A reminder
time already passed when it is chosen (at enrolment, or changed) first comes the next day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flows.engine import (
    Button,
    CallbackAnswer,
    Effect,
    Flow,
    Input,
    InputKind,
    Outcome,
    Reply,
    State,
    StepContext,
    Text,
    done,
    goto,
)
from flows.observe import language_of, media_of, saved_line, text_of, too_big
from flows.places import (
    author_of,
    buurt_centre,
    place_at,
    place_from_text,
    place_label,
    went_elsewhere,
)
from flows.themes import THEMES, theme_buttons
from geo import get_gazetteer, search_wijken
from storage import diaries
from storage import observations as obs
from storage.models import Diarist
from storage.observations import NewMedia, Place

CONSENT_VERSION = "diary-2026-11"
TIMES = {"0900": "09:00", "1230": "12:30", "1900": "19:00"}
TIME_LABELS = {"0900": "morning", "1230": "noon", "1900": "evening"}
PAUSES = (3, 7)
REMINDER_PAUSE_DAYS = 3
MET = ("yes", "partly", "no")
TRANSPORTS = ("foot", "bike", "transit", "car", "lift", "online", "none")
NO_TRIP = ("online", "none")
DURATIONS = ("lt15", "15to30", "30to60", "gt60")
MAX_WIJKEN = 6
DIARY_DAYS = diaries.DIARY_DAYS
# A chat whose draft has not moved for this long is not in the middle of anything any more:
# a reminder no longer waits for it.
BUSY_FOR = timedelta(hours=1)


# Clock: everything the member sees runs on the deployment's local time (Brussels).


def local_now(ctx: StepContext) -> datetime:
    """Return now on the local wall clock."""
    now = ctx.now if ctx.now.tzinfo else ctx.now.replace(tzinfo=UTC)
    return now.astimezone(ZoneInfo(ctx.config.timezone))


def day_start(ctx: StepContext, day: date) -> datetime:
    """Return the moment a local day begins, in UTC."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(ctx.config.timezone)).astimezone(UTC)


def date_text(day: date) -> Text:
    """Return a date as the member reads it: weekday and day/month."""
    return Text(
        "diary.date",
        {"weekday": Text(f"diary.weekday.{day.isoweekday()}"), "date": day.strftime("%d/%m")},
    )


def _diarist(ctx: StepContext) -> Diarist | None:
    return diaries.get_diarist(ctx.session, ctx.member.id) if ctx.member else None


def _organisation_name(ctx: StepContext) -> str:
    return ctx.member.organisation.name if ctx.member else ""


def chosen(question: str, answer: Text | str, params: Mapping[str, Any] | None = None) -> Reply:
    """Return the tapped question, edited to show the answer (and without its buttons)."""
    return Reply(
        "diary.chosen",
        {"question": Text(question, dict(params or {})), "answer": answer},
        edit=True,
    )


def stale(state: str, draft: Mapping[str, Any], *prompt: Effect) -> Outcome:
    """Answer an unexpected button politely and ask again."""
    return goto(state, draft, CallbackAnswer("error.stale_button"), *prompt)


# Questions (also used to ask again when something unexpected arrives).


def ask_about(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Reply, ...]:
    """Explain the diary and what is kept; ask to start."""
    return (
        Reply(
            "diary.about",
            {"organisation": _organisation_name(ctx), "version": CONSENT_VERSION},
            buttons=(
                (
                    Button("diary.button.agree", "yes"),
                    Button("diary.button.decline", "no"),
                ),
            ),
        ),
    )


def time_buttons() -> tuple[tuple[Button, ...], ...]:
    """Return the reminder times and 'no reminders', one per row."""
    rows = [(Button(f"diary.time.{TIME_LABELS[code]}", f"t:{code}"),) for code in TIMES]
    return (*rows, (Button("diary.time.off", "t:off"),))


def ask_time(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Reply, ...]:
    """Ask when to remind."""
    return (Reply("diary.ask_time", buttons=time_buttons()),)


def ask_home(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Reply, ...]:
    """Ask roughly where home is: a wijk name, a location reduced to its wijk, or skip."""
    if draft.get("codes"):
        # The wijken a typed name matched: asked again with their buttons (a typed name taps).
        return (Reply("diary.home_pick", buttons=_home_choices(ctx, draft["codes"])),)
    return (
        Reply(
            "diary.ask_home",
            request_location="button.send_location",
            keyboard=("button.skip",),
        ),
    )


def menu_reply(ctx: StepContext, diarist: Diarist) -> Reply:
    """Return the diary's overview: the day, the needs so far, and what can be done."""
    day = ctx.today()
    needs = diaries.entries(ctx.session, diarist.member_id, diarist.started_on, day, True)
    if diarist.reminder_time is None:
        status = Text("diary.status.no_reminder")
    elif diaries.is_paused(diarist, day):
        status = Text(
            "diary.status.paused",
            {"date": date_text(diarist.paused_until + timedelta(days=1))},
        )
    else:
        status = Text("diary.status.reminder", {"time": diarist.reminder_time})
    first = [Button("diary.button.today", "day:today")]
    if day - timedelta(days=1) >= diarist.started_on:
        first.append(Button("diary.button.yesterday", "day:yesterday"))
    second: list[Button] = []
    if diarist.reminder_time is not None:
        if diaries.is_paused(diarist, day):
            second.append(Button("diary.button.resume", "resume"))
        else:
            second.append(Button("diary.button.pause", "pause"))
    second.append(Button("diary.button.time", "time"))
    return Reply(
        "diary.menu",
        {
            "day": diaries.day_number(diarist, day),
            "days": DIARY_DAYS,
            "needs": len(needs),
            "status": status,
        },
        buttons=(tuple(first), tuple(second), (Button("diary.button.stop", "stop"),)),
    )


def menu_prompt(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Reply, ...]:
    """Show the overview again (or say the diary is over)."""
    diarist = _diarist(ctx)
    if diarist is None or not diaries.is_open(diarist, ctx.today()):
        return (ended_reply(ctx, diarist),)
    return (menu_reply(ctx, diarist),)


def ended_reply(ctx: StepContext, diarist: Diarist | None) -> Reply:
    """Say the diary is over (or stopped) and offer a new one."""
    again = ((Button("diary.button.again", "again"),),)
    if diarist is not None and diarist.stopped_at is not None:
        return Reply("diary.ended_stopped", buttons=again)
    last = diarist.ends_on if diarist is not None else ctx.today()
    return Reply("diary.ended", {"date": date_text(last)}, buttons=again)


def ended_prompt(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Reply, ...]:
    """Offer a new diary again."""
    return (ended_reply(ctx, _diarist(ctx)),)


def ask_pause(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Reply, ...]:
    """Ask for how long to pause."""
    rows = (
        tuple(Button(f"diary.button.pause_{days}", f"p:{days}") for days in PAUSES),
        (Button("diary.button.back", "back"),),
    )
    return (Reply("diary.ask_pause", buttons=rows),)


def ask_stop(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Reply, ...]:
    """Ask to confirm stopping."""
    return (
        Reply(
            "diary.ask_stop",
            buttons=(
                (
                    Button("diary.button.stop_yes", "stop:yes"),
                    Button("diary.button.stop_no", "stop:no"),
                ),
            ),
        ),
    )


def _when(draft: Mapping[str, Any]) -> Text:
    return Text("diary.when.yesterday" if draft.get("yesterday") else "diary.when.today")


def ask_need(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Reply, ...]:
    """Ask what the member needed (today or yesterday)."""
    return (Reply("diary.ask_need", {"when": _when(draft)}),)


def ask_theme(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Reply, ...]:
    """Ask what the need is about."""
    return (Reply("diary.ask_theme", buttons=theme_buttons("th:")),)


def ask_met(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Reply, ...]:
    """Ask whether the buurt had it."""
    row = tuple(Button(f"diary.met.{value}", f"met:{value}") for value in MET)
    return (Reply("diary.ask_met", buttons=(row,)),)


def ask_where(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Reply, ...]:
    """Ask where the member went for it instead."""
    return (
        Reply(
            "diary.ask_where",
            request_location="button.send_location",
            keyboard=("button.did_without",),
        ),
    )


def ask_transport(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Reply, ...]:
    """Ask how the member got there."""
    buttons = [Button(f"diary.transport.{value}", f"tr:{value}") for value in TRANSPORTS]
    rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
    return (Reply("diary.ask_transport", buttons=rows),)


def ask_duration(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Reply, ...]:
    """Ask how long getting there took."""
    buttons = [Button(f"diary.duration.{value}", f"du:{value}") for value in DURATIONS]
    return (Reply("diary.ask_duration", buttons=(tuple(buttons[:2]), tuple(buttons[2:]))),)


# Start, enrolment and the overview.


def start(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Enrol someone new; show a running diary's overview; offer a new diary after the end."""
    diarist = _diarist(ctx)
    if diarist is None:
        return goto("about", {}, *ask_about(ctx, {}))
    if not diaries.is_open(diarist, ctx.today()):
        return goto("ended", {}, ended_reply(ctx, diarist))
    return goto("menu", {}, menu_reply(ctx, diarist))


def about(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Agreeing starts the questions; declining keeps nothing."""
    if inp.callback_data == "no":
        return done(CallbackAnswer(), Reply("diary.declined", edit=True))
    if inp.callback_data != "yes":
        return stale("about", draft, *ask_about(ctx, draft))
    new = {"mode": "enrol", "consent": CONSENT_VERSION}
    return goto("time", new, CallbackAnswer(), *ask_time(ctx, new))


def again(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Start a new diary after the last one ended."""
    if inp.callback_data != "again":
        return stale("ended", draft, *ended_prompt(ctx, draft))
    return goto("about", {}, CallbackAnswer(), *ask_about(ctx, {}))


def _time_chosen(ctx: StepContext, draft: Mapping[str, Any], value: str | None) -> Outcome:
    """Keep the reminder time: go on with enrolment, or change a running diary's time."""
    if draft.get("mode") == "enrol":
        new = {**draft, "time": value}
        return goto("home", new, *ask_home(ctx, new))
    diarist = _diarist(ctx)
    if diarist is None:
        return done(Reply("diary.not_running"))
    now = local_now(ctx)
    diaries.set_reminder_time(diarist, value, now.date(), now.strftime("%H:%M"))
    if value is None:
        return done(Reply("diary.time_off"))
    if diarist.last_reminded_on == now.date():
        return done(Reply("diary.time_changed_tomorrow", {"time": value}))
    return done(Reply("diary.time_changed", {"time": value}))


def choose_time(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """A tapped reminder time (or none)."""
    code = (inp.callback_data or "").removeprefix("t:")
    if code == "off":
        answer = Text("diary.time.off")
        value = None
    elif code in TIMES:
        answer = Text(f"diary.time.{TIME_LABELS[code]}")
        value = TIMES[code]
    else:
        return stale("time", draft, *ask_time(ctx, draft))
    outcome = _time_chosen(ctx, draft, value)
    effects = (CallbackAnswer(), chosen("diary.ask_time", answer), *outcome.effects)
    return replace(outcome, effects=effects)


def typed_time(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """A typed reminder time such as 20:15."""
    value = diaries.read_time(inp.text or "")
    if value is None:
        return goto("time", draft, Reply("diary.time_unknown", buttons=time_buttons()))
    outcome = _time_chosen(ctx, draft, value)
    if draft.get("mode") == "enrol":
        noted = Reply("diary.time_noted", {"time": value})
        return replace(outcome, effects=(noted, *outcome.effects))
    return outcome


def _enrolled(ctx: StepContext, draft: Mapping[str, Any], home: int | None, *notes: Effect):
    """Store the enrolment, say when it ends and how to tell a need (/diary)."""
    assert ctx.member is not None
    now = local_now(ctx)
    day = now.date()
    # A reminder time already passed today starts tomorrow: no reminder in the first entry.
    diarist = diaries.enrol(
        ctx.session,
        ctx.member,
        consent_version=str(draft.get("consent") or CONSENT_VERSION),
        started_on=day,
        reminder_time=draft.get("time"),
        home_wijk=home,
        now=ctx.now,
        local_time=now.strftime("%H:%M"),
    )
    if diarist.reminder_time is None:
        reminder = Text("diary.enrolled_no_reminder")
    elif diarist.last_reminded_on == day:
        reminder = Text("diary.enrolled_reminder_tomorrow", {"time": diarist.reminder_time})
    else:
        reminder = Text("diary.enrolled_reminder", {"time": diarist.reminder_time})
    welcome = Reply(
        "diary.enrolled",
        {"days": DIARY_DAYS, "end": date_text(diarist.ends_on), "reminder": reminder},
    )
    # The chat leaves the flow: nothing lingers that would capture the next message.
    return done(*notes, welcome)


def _home_choices(ctx: StepContext, codes: list[int]) -> tuple[tuple[Button, ...], ...]:
    language = language_of(ctx)
    gazetteer = get_gazetteer()
    rows = [
        (Button("diary.button.wijk", f"w:{code}", {"name": gazetteer.wijk_name(code, language)}),)
        for code in codes
    ]
    return (*rows, (Button("button.skip", "w:skip"),))


def home_text(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """ "Skip" keeps no wijk; other words are looked up among the wijk names."""
    if inp.keyboard_key == "button.skip":
        return _enrolled(ctx, draft, None, Reply("diary.home_skipped", remove_keyboard=True))
    query = (inp.text or "").strip()
    found = search_wijken(query)[:MAX_WIJKEN] if query else []
    if not found:
        return goto(
            "home",
            draft,
            Reply(
                "diary.home_unknown",
                request_location="button.send_location",
                keyboard=("button.skip",),
            ),
        )
    codes = [w.code for w in found]
    new = {**draft, "codes": codes}
    return goto("home", new, Reply("diary.home_pick", buttons=_home_choices(ctx, codes)))


def home_location(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """A location is reduced to its wijk at once; the point itself is not kept."""
    if inp.location is None:
        return goto("home", draft, *ask_home(ctx, draft))
    code = get_gazetteer().locate(inp.location.lat, inp.location.lon).wijk_code
    if code is None:
        return _enrolled(ctx, draft, None, Reply("diary.home_outside", remove_keyboard=True))
    name = get_gazetteer().wijk_name(code, language_of(ctx))
    note = Reply("diary.home_set", {"wijk": name}, remove_keyboard=True)
    return _enrolled(ctx, draft, code, note)


def home_button(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """A tapped wijk among the matches, or skip."""
    value = (inp.callback_data or "").removeprefix("w:")
    if value == "skip":
        note = Reply("diary.home_skipped", remove_keyboard=True)
        return _enrolled(ctx, draft, None, CallbackAnswer(), note)
    if not value.isdigit() or int(value) not in draft.get("codes", []):
        return stale("home", draft, *ask_home(ctx, draft))
    code = int(value)
    name = get_gazetteer().wijk_name(code, language_of(ctx))
    note = Reply("diary.home_set", {"wijk": name}, remove_keyboard=True)
    return _enrolled(ctx, draft, code, CallbackAnswer(), chosen("diary.home_pick", name), note)


def _running(ctx: StepContext) -> Diarist | None:
    diarist = _diarist(ctx)
    return diarist if diarist is not None and diaries.is_open(diarist, ctx.today()) else None


def menu_button(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Today / yesterday start an entry; pause, resume, time and stop manage the diary."""
    value = inp.callback_data or ""
    diarist = _running(ctx)
    if diarist is None:
        return goto("ended", {}, CallbackAnswer(), ended_reply(ctx, _diarist(ctx)))
    day = ctx.today()
    if value in ("day:today", "day:yesterday"):
        yesterday = value == "day:yesterday"
        for_date = day - timedelta(days=1) if yesterday else day
        if for_date < diarist.started_on:
            return stale("menu", {}, menu_reply(ctx, diarist))
        new = {"for_date": for_date.isoformat(), "yesterday": yesterday}
        return goto("need", new, CallbackAnswer(), *ask_need(ctx, new))
    if value == "pause":
        return goto("pausing", {}, CallbackAnswer(), *ask_pause(ctx, {}))
    if value == "resume":
        diaries.resume(diarist)
        return done(CallbackAnswer(), Reply("diary.resumed", {"time": diarist.reminder_time}))
    if value == "time":
        new = {"mode": "change"}
        return goto("time", new, CallbackAnswer(), *ask_time(ctx, new))
    if value == "stop":
        return goto("stopping", {}, CallbackAnswer(), *ask_stop(ctx, {}))
    return stale("menu", {}, menu_reply(ctx, diarist))


def menu_need(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Words or a voice message sent at the overview are a need for today."""
    diarist = _running(ctx)
    if diarist is None:
        return goto("ended", {}, ended_reply(ctx, _diarist(ctx)))
    return need(ctx, inp, {"for_date": ctx.today().isoformat(), "yesterday": False})


def pause_button(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Pause for 3 or 7 days, or go back."""
    value = inp.callback_data or ""
    diarist = _running(ctx)
    if diarist is None:
        return goto("ended", {}, CallbackAnswer(), ended_reply(ctx, _diarist(ctx)))
    if value == "back":
        return goto("menu", {}, CallbackAnswer(), menu_reply(ctx, diarist))
    days = value.removeprefix("p:")
    if not days.isdigit() or int(days) not in PAUSES:
        return stale("pausing", draft, *ask_pause(ctx, draft))
    again_on = diaries.pause(diarist, ctx.today(), int(days))
    return done(CallbackAnswer(), Reply("diary.paused", {"date": date_text(again_on)}, edit=True))


def stop_button(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Stop after the confirmation, or go back to the overview."""
    value = inp.callback_data or ""
    diarist = _running(ctx)
    if diarist is None:
        return goto("ended", {}, CallbackAnswer(), ended_reply(ctx, _diarist(ctx)))
    if value == "stop:no":
        return goto("menu", {}, CallbackAnswer(), menu_reply(ctx, diarist))
    if value != "stop:yes":
        return stale("stopping", draft, *ask_stop(ctx, draft))
    diaries.stop(diarist, ctx.now)
    return done(CallbackAnswer(), Reply("diary.stopped", edit=True))


# The entry.


def need(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Keep what was needed (words, a voice message or a photo) and ask for a theme."""
    text = text_of(inp)
    media = [asdict(item) for item in media_of(inp)]
    if text is None and not media:
        return goto("need", draft, *ask_need(ctx, draft))
    new = {
        **draft,
        "need": text,
        "media": media,
        "chat_id": inp.chat_id,
        "message_id": inp.message_id,
    }
    return goto("theme", new, *ask_theme(ctx, new))


# What a loose message from someone keeping a diary may start an entry with.
NEED_KINDS = frozenset({InputKind.TEXT, InputKind.VOICE, InputKind.PHOTO})


def keeps_diary(ctx: StepContext) -> bool:
    """Say whether the member's diary is running today."""
    return _running(ctx) is not None


def entry_from_note(ctx: StepContext, note_id: int, text: str | None, inp: Input) -> Outcome:
    """Start today's entry with a kept note as the need; saving it turns the note into it."""
    new = {
        "for_date": ctx.today().isoformat(),
        "yesterday": False,
        "need": text,
        "media": [],
        "note_id": note_id,
    }
    return goto("theme", new, *ask_theme(ctx, new))


def choose_theme(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Keep the theme, then ask whether the buurt had it."""
    value = (inp.callback_data or "").removeprefix("th:")
    if value not in THEMES:
        return stale("theme", draft, *ask_theme(ctx, draft))
    new = {**draft, "theme": value}
    return goto(
        "met",
        new,
        CallbackAnswer(),
        chosen("diary.ask_theme", Text(f"theme.{value}")),
        *ask_met(ctx, new),
    )


def choose_met(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Found in the buurt: saved. Partly or not: ask where the member went."""
    value = (inp.callback_data or "").removeprefix("met:")
    if value not in MET:
        return stale("met", draft, *ask_met(ctx, draft))
    new = {**draft, "met": value}
    answer = chosen("diary.ask_met", Text(f"diary.met.{value}"))
    if value == "yes":
        return save(ctx, new, CallbackAnswer(), answer)
    return goto("where", new, CallbackAnswer(), answer, *ask_where(ctx, new))


def reference_point(
    ctx: StepContext, diarist: Diarist | None
) -> tuple[tuple[float, float], str] | None:
    """Return where distances run from: the home wijk's label point, else the buurt's centre."""
    gazetteer = get_gazetteer()
    home = gazetteer.wijk(diarist.home_wijk) if diarist and diarist.home_wijk else None
    if home is not None:
        return home.label, "home"
    centre = buurt_centre(ctx)
    return (centre, "buurt") if centre is not None else None


def _went(
    ctx: StepContext,
    draft: Mapping[str, Any],
    label: str | None,
    source: str,
    place: Place | None,
    stored: str | None = None,
) -> Outcome:
    """Keep where the member went, with the distance when both points are known.

    `label` is shown to the member; `stored` (default: the label) goes into the entry.
    """
    new: dict[str, Any] = {
        **draft,
        "where_instead": stored if stored is not None else label,
        "where_source": source,
        "where_wijk": place.wijk_code if place is not None else None,
        "place": asdict(place) if place is not None else None,
        "distance_m": None,
        "distance_from": None,
    }
    shown = Text("diary.outside_brussels") if label is None else label
    reference = reference_point(ctx, _diarist(ctx)) if place is not None else None
    fields, noted = went_elsewhere(
        place,
        shown,
        reference,
        language_of(ctx),
        ("diary.where_km", "diary.where_noted", "diary.from_"),
    )
    new.update(fields)
    return goto("transport", new, noted, *ask_transport(ctx, new))


def where_location(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """A location says where the member went."""
    if inp.location is None:
        return goto("where", draft, *ask_where(ctx, draft))
    place = place_at(ctx, inp.location, "message")
    # The entry keeps the wijk's name in the organisation's language, so reports can count it.
    stored = place_label(place, ctx.member.organisation.language) if ctx.member else None
    return _went(ctx, draft, place_label(place, language_of(ctx)), "location", place, stored)


def where_text(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """ "I did without" saves the entry; other words are kept, placed when they match."""
    if inp.keyboard_key == "button.did_without":
        new = {
            **draft,
            "where_instead": None,
            "where_source": "did_without",
            "where_wijk": None,
            "place": None,
            "distance_m": None,
            "distance_from": None,
            "transport": None,
            "duration": None,
        }
        return save(ctx, new, Reply("diary.did_without", remove_keyboard=True))
    typed = text_of(inp)
    if typed is None:
        return goto("where", draft, *ask_where(ctx, draft))
    return _went(ctx, draft, typed, "typed", place_from_text(ctx, typed))


def choose_transport(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Keep how the member got there; online or not going saves at once."""
    value = (inp.callback_data or "").removeprefix("tr:")
    if value not in TRANSPORTS:
        return stale("transport", draft, *ask_transport(ctx, draft))
    new = {**draft, "transport": value}
    answer = chosen("diary.ask_transport", Text(f"diary.transport.{value}"))
    if value in NO_TRIP:
        return save(ctx, {**new, "duration": None}, CallbackAnswer(), answer)
    return goto("duration", new, CallbackAnswer(), answer, *ask_duration(ctx, new))


def choose_duration(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Keep how long it took and save the entry."""
    value = (inp.callback_data or "").removeprefix("du:")
    if value not in DURATIONS:
        return stale("duration", draft, *ask_duration(ctx, draft))
    answer = chosen("diary.ask_duration", Text(f"diary.duration.{value}"))
    return save(ctx, {**draft, "duration": value}, CallbackAnswer(), answer)


def _saved_where(draft: Mapping[str, Any], place: Place | None) -> Text | None:
    """Return what the saved line says instead of 'no place yet', when there is no place."""
    if place is not None:
        return None
    if draft.get("met") == "yes":
        return Text("diary.saved_where.buurt")
    if draft.get("where_source") == "did_without":
        return Text("diary.saved_where.without")
    if draft.get("where_instead"):
        return Text("observe.in_place", {"place": draft["where_instead"]})
    return None


def save(ctx: StepContext, draft: Mapping[str, Any], *before: Effect) -> Outcome:
    """Store the entry and end with the saved line."""
    assert ctx.member is not None
    diarist = _diarist(ctx)
    day = date.fromisoformat(draft["for_date"])
    place = Place(**draft["place"]) if draft.get("place") else None
    details: dict[str, Any] = {
        "need": draft.get("need"),
        "met": draft.get("met"),
        "where_instead": draft.get("where_instead"),
        "where_source": draft.get("where_source"),
        "where_wijk": draft.get("where_wijk"),
        "transport": draft.get("transport"),
        "duration": draft.get("duration"),
        "distance_m": draft.get("distance_m"),
        "distance_from": draft.get("distance_from"),
        "day_number": diaries.day_number(diarist, day) if diarist else None,
        "for_date": day.isoformat(),
        "home_wijk": diarist.home_wijk if diarist else None,
    }
    observation = obs.add_observation(
        ctx.session,
        organisation_id=ctx.member.organisation_id,
        member_id=ctx.member.id,
        author=author_of(ctx),
        kind=diaries.KIND,
        now=ctx.now,
        text=draft.get("need"),
        theme=draft.get("theme"),
        place=place,
        chat_id=draft.get("chat_id"),
        message_id=draft.get("message_id"),
        details=details,
        media=[NewMedia(**item) for item in draft.get("media", [])],
        from_note=draft.get("note_id"),
    )
    language = language_of(ctx)
    line = saved_line(observation, place, language)
    where = _saved_where(draft, place)
    if where is not None:
        line = replace(line, params={**line.params, "where": where})
    effects: list[Effect] = [*before, line]
    if too_big(observation):
        effects.append(Reply("observe.file_too_big"))
    if diarist is not None:
        effects.append(Reply("diary.thanks", {"day": details["day_number"], "days": DIARY_DAYS}))
    return done(*effects)


DIARY = Flow(
    name="diary",
    start=start,
    states={
        "about": State({InputKind.CALLBACK: about}, ask_about),
        "ended": State({InputKind.CALLBACK: again}, ended_prompt),
        "time": State({InputKind.CALLBACK: choose_time, InputKind.TEXT: typed_time}, ask_time),
        "home": State(
            {
                InputKind.TEXT: home_text,
                InputKind.LOCATION: home_location,
                InputKind.CALLBACK: home_button,
            },
            ask_home,
        ),
        "menu": State(
            {
                InputKind.CALLBACK: menu_button,
                InputKind.TEXT: menu_need,
                InputKind.VOICE: menu_need,
                InputKind.PHOTO: menu_need,
            },
            menu_prompt,
        ),
        "pausing": State({InputKind.CALLBACK: pause_button}, ask_pause),
        "stopping": State({InputKind.CALLBACK: stop_button}, ask_stop),
        "need": State(
            {InputKind.TEXT: need, InputKind.VOICE: need, InputKind.PHOTO: need}, ask_need
        ),
        "theme": State({InputKind.CALLBACK: choose_theme}, ask_theme),
        "met": State({InputKind.CALLBACK: choose_met}, ask_met),
        "where": State({InputKind.LOCATION: where_location, InputKind.TEXT: where_text}, ask_where),
        "transport": State({InputKind.CALLBACK: choose_transport}, ask_transport),
        "duration": State({InputKind.CALLBACK: choose_duration}, ask_duration),
    },
)


# Global buttons under a reminder: valid whatever the chat is doing.


def _button_day(value: str) -> date | None:
    try:
        return datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        return None


def diary_button(ctx: StepContext, inp: Input, args: list[str]) -> tuple[Effect, ...]:
    """Handle g|diary|none|YYYYMMDD ("nothing needed that day") and g|diary|pause|YYYYMMDD."""
    action = args[0] if args else ""
    day = _button_day(args[1]) if len(args) > 1 else None
    diarist = _diarist(ctx)
    now_day = ctx.today()
    if diarist is None or day is None or not diaries.is_open(diarist, now_day):
        return (CallbackAnswer("diary.not_running_toast"),)
    if action == "pause":
        again_on = diaries.pause(diarist, now_day, REMINDER_PAUSE_DAYS)
        return (CallbackAnswer(), Reply("diary.paused", {"date": date_text(again_on)}, edit=True))
    if action != "none" or not (
        max(diarist.started_on, now_day - timedelta(days=1)) <= day <= now_day
    ):
        return (CallbackAnswer("error.stale_button"),)
    when = Text("diary.when.today") if day == now_day else Text("diary.when.yesterday")
    noted = Reply("diary.nothing_noted", {"when": when}, edit=True)
    if diaries.has_entry_on(ctx.session, diarist.member_id, day, day_start(ctx, day)):
        return (CallbackAnswer("diary.already_answered"), noted)
    assert ctx.member is not None
    obs.add_observation(
        ctx.session,
        organisation_id=ctx.member.organisation_id,
        member_id=ctx.member.id,
        author=author_of(ctx),
        kind=diaries.KIND,
        now=ctx.now,
        details={
            "nothing": True,
            "day_number": diaries.day_number(diarist, day),
            "for_date": day.isoformat(),
        },
    )
    return (CallbackAnswer(), noted)


# Scheduled sweeps: (chat, member id, effects), the caller commits and queues them.


def reminder(day_number: int, day: date) -> Reply:
    """Return the daily reminder with its one-tap answers."""
    stamp = day.strftime("%Y%m%d")
    return Reply(
        "diary.reminder",
        {"day": day_number, "days": DIARY_DAYS},
        buttons=(
            (
                Button("diary.button.nothing", f"g|diary|none|{stamp}"),
                Button("diary.button.pause_reminder", f"g|diary|pause|{stamp}"),
            ),
        ),
    )


def flows_with_a_draft() -> list[str]:
    """Return the flows in which a chat is in the middle of something (Flow.keeps_draft)."""
    from flows.registry import FLOWS  # imported here: the registry imports this module

    return sorted(name for name, flow in FLOWS.items() if flow.keeps_draft and flow.states)


def due_reminders(ctx: StepContext) -> list[tuple[int, int, tuple[Effect, ...]]]:
    """Return today's due reminders and mark them sent, so a day never gets two.

    Due when the local time has reached the member's reminder time, nothing was answered for
    today, and the diary runs and is not paused (storage.diaries.due_for_reminder). After
    downtime this catches up with one reminder, never a pile.

    A reminder never interrupts: while the member's chat is in a flow with a draft (a diary
    entry, the diary's overview, an encounter, ...) it waits, and a later sweep sends it once
    the chat is free, if today is still unanswered by then (an entry about today that was being
    made answers it, so no reminder follows). A walk holds no draft and does not hold it up;
    nor does a draft left untouched for BUSY_FOR, which is no longer in progress.
    """
    now = local_now(ctx)
    day = now.date()
    due = diaries.due_for_reminder(
        ctx.session,
        day,
        now.strftime("%H:%M"),
        day_start(ctx, day),
        busy_flows=flows_with_a_draft(),
        busy_since=ctx.now - BUSY_FOR,
    )
    diaries.mark_reminded(ctx.session, (row.diarist_id for row in due), day)
    return [
        (
            row.telegram_user_id,
            row.member_id,
            (reminder((day - row.started_on).days + 1, day),),
        )
        for row in due
    ]


def summary_reply(ctx: StepContext, diarist: Diarist, organisation: str) -> Reply:
    """Return the personal summary sent once after the 30 days."""
    figures = diaries.summary(ctx.session, diarist)
    if not figures["needs"]:
        return Reply("diary.summary_empty", {"organisation": organisation})
    return Reply(
        "diary.summary",
        {
            "needs": figures["needs"],
            "outside": figures["outside"],
            "theme": Text(f"theme.{figures['top_theme'] or 'other'}"),
            "organisation": organisation,
        },
    )


def due_summaries(ctx: StepContext) -> list[tuple[int, int, tuple[Effect, ...]]]:
    """Return the summaries due after day 30 and mark them sent (once per diary)."""
    now = local_now(ctx)
    results: list[tuple[int, int, tuple[Effect, ...]]] = []
    for diarist, member in diaries.due_for_summary(ctx.session, now.date(), now.strftime("%H:%M")):
        diarist.summary_sent_at = ctx.now
        message = summary_reply(ctx, diarist, member.organisation.name)
        results.append((member.telegram_user_id, member.id, (message,)))
    return results
