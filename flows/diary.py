"""/diary: for 30 days, what a resident needed and whether the buurt had it.

| state     | accepts                            | step             | goes to            |
|-----------|------------------------------------|------------------|--------------------|
| (start)   | /diary                             | start            | about, ended, menu |
| (entry)   | note                               | entry_from_note  | theme              |
| about     | tap yes, no                        | about            | time, end          |
| ended     | tap again                          | again            | about              |
| time      | tap t:0900, 1230, 1900, off        | choose_time      | home, end          |
| time      | text                               | typed_time       | home, end          |
| home      | tap w:CODE                         | home_tapped      | end                |
| home      | tap w:skip                         | home_skip_tapped | end                |
| home      | keyboard skip                      | home_skipped     | end                |
| home      | location                           | home_location    | end                |
| home      | text                               | home_text        | (stays)            |
| menu      | tap day:today, yesterday           | day_tapped       | need, ended        |
| menu      | tap pause, resume, time, stop      | manage_tapped    | pausing, time,     |
|           |                                    |                  | stopping, ended,   |
|           |                                    |                  | end                |
| menu      | text, voice, photo                 | menu_need        | need, theme, ended |
| pausing   | tap p:3, 7                         | pause_tapped     | ended, end         |
| pausing   | tap back                           | back_to_menu     | menu, ended        |
| stopping  | tap stop:yes, no                   | stop_tapped      | menu, ended, end   |
| need      | text, voice, photo                 | need             | theme, need        |
| theme     | tap th:THEME                       | choose_theme     | met                |
| met       | tap met:yes, partly, no            | choose_met       | where, end         |
| where     | location                           | where_location   | transport          |
| where     | keyboard did_without               | did_without      | end                |
| where     | text                               | where_text       | transport          |
| transport | tap tr:foot, bike, transit, car,   | choose_transport | duration, end      |
|           | lift, online, none                 |                  |                    |
| duration  | tap du:lt15, 15to30, 30to60, gt60  | choose_duration  | end                |

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

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flows.engine import (
    DID_WITHOUT_KEY,
    END,
    LOCATION,
    PHOTO,
    SKIP_KEY,
    TEXT,
    VOICE,
    Button,
    CallbackAnswer,
    Choice,
    Effect,
    Flow,
    Go,
    Input,
    InputKind,
    Outcome,
    Reply,
    State,
    StepContext,
    Text,
    done,
    goto,
    onward,
    stay,
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
from flows.themes import theme_choice, theme_rows
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


def _home_codes(ctx: StepContext, draft: DiaryDraft) -> Collection[str]:
    return {str(code) for code in draft.codes}


AGREE = Choice("", ("yes", "no"), label={"yes": "diary.button.agree", "no": "diary.button.decline"})
AGAIN = Choice("", ("again",), label="diary.button.again")
TIME = Choice(
    "t",
    (*TIMES, "off"),
    label={**{code: f"diary.time.{TIME_LABELS[code]}" for code in TIMES}, "off": "diary.time.off"},
)
HOME_WIJK = Choice("w", _home_codes, label="diary.button.wijk", shown="CODE")
HOME_SKIP = Choice("w", ("skip",), label="button.skip")
DAY = Choice("day", ("today", "yesterday"), label="diary.button.{}")
MANAGE = Choice("", ("pause", "resume", "time", "stop"), label="diary.button.{}")
PAUSE = Choice("p", tuple(str(days) for days in PAUSES), label="diary.button.pause_{}")
BACK = Choice("", ("back",), label="diary.button.back")
STOP = Choice("stop", ("yes", "no"), label="diary.button.stop_{}")
THEME = theme_choice("th")
MET_CHOICE = Choice("met", MET, label="diary.met.{}")
TRANSPORT = Choice("tr", TRANSPORTS, label="diary.transport.{}")
DURATION = Choice("du", DURATIONS, label="diary.duration.{}")


@dataclass(frozen=True)
class DiaryDraft:
    """Enrolment (mode "enrol", or "change" for a new reminder time) or today's entry so far.

    Enrolment keeps the consent version, the reminder time and the wijken a typed home
    matched; an entry keeps its answers until the last one stores it.
    """

    mode: str | None = None
    consent: str | None = None
    time: str | None = None
    codes: tuple[int, ...] = ()
    for_date: date | None = None
    yesterday: bool = False
    need: str | None = None
    media: tuple[NewMedia, ...] = ()
    chat_id: int | None = None
    message_id: int | None = None
    note_id: int | None = None
    theme: str | None = None
    met: str | None = None
    where_instead: str | None = None
    where_source: str | None = None
    where_wijk: int | None = None
    place: Place | None = None
    distance_m: int | None = None
    distance_from: str | None = None
    transport: str | None = None
    duration: str | None = None


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


# Questions (also used to ask again when something unexpected arrives).


def ask_about(ctx: StepContext, draft: DiaryDraft) -> tuple[Reply, ...]:
    """Explain the diary and what is kept; ask to start."""
    return (
        Reply(
            "diary.about",
            {"organisation": _organisation_name(ctx), "version": CONSENT_VERSION},
            buttons=AGREE.rows(per_row=2),
        ),
    )


def time_buttons() -> tuple[tuple[Button, ...], ...]:
    """Return the reminder times and 'no reminders', one per row."""
    return TIME.rows()


def ask_time(ctx: StepContext, draft: DiaryDraft) -> tuple[Reply, ...]:
    """Ask when to remind."""
    return (Reply("diary.ask_time", buttons=time_buttons()),)


def ask_home(ctx: StepContext, draft: DiaryDraft) -> tuple[Reply, ...]:
    """Ask roughly where home is: a wijk name, a location reduced to its wijk, or skip."""
    if draft.codes:
        # The wijken a typed name matched: asked again with their buttons (a typed name taps).
        return (Reply("diary.home_pick", buttons=_home_choices(ctx, draft.codes)),)
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
    elif diarist.paused_until is not None and diaries.is_paused(diarist, day):
        status = Text(
            "diary.status.paused",
            {"date": date_text(diarist.paused_until + timedelta(days=1))},
        )
    else:
        status = Text("diary.status.reminder", {"time": diarist.reminder_time})
    first = [DAY.button("today")]
    if day - timedelta(days=1) >= diarist.started_on:
        first.append(DAY.button("yesterday"))
    second: list[Button] = []
    if diarist.reminder_time is not None:
        second.append(MANAGE.button("resume" if diaries.is_paused(diarist, day) else "pause"))
    second.append(MANAGE.button("time"))
    return Reply(
        "diary.menu",
        {
            "day": diaries.day_number(diarist, day),
            "days": DIARY_DAYS,
            "needs": len(needs),
            "status": status,
        },
        buttons=(tuple(first), tuple(second), (MANAGE.button("stop"),)),
    )


def menu_prompt(ctx: StepContext, draft: DiaryDraft) -> tuple[Reply, ...]:
    """Show the overview (or say the diary is over)."""
    diarist = _diarist(ctx)
    if diarist is None or not diaries.is_open(diarist, ctx.today()):
        return (ended_reply(ctx, diarist),)
    return (menu_reply(ctx, diarist),)


def ended_reply(ctx: StepContext, diarist: Diarist | None) -> Reply:
    """Say the diary is over (or stopped) and offer a new one."""
    again = AGAIN.rows()
    if diarist is not None and diarist.stopped_at is not None:
        return Reply("diary.ended_stopped", buttons=again)
    last = diarist.ends_on if diarist is not None else ctx.today()
    return Reply("diary.ended", {"date": date_text(last)}, buttons=again)


def ended_prompt(ctx: StepContext, draft: DiaryDraft) -> tuple[Reply, ...]:
    """Offer a new diary."""
    return (ended_reply(ctx, _diarist(ctx)),)


def ask_pause(ctx: StepContext, draft: DiaryDraft) -> tuple[Reply, ...]:
    """Ask for how long to pause."""
    rows = (*PAUSE.rows(per_row=len(PAUSES)), *BACK.rows())
    return (Reply("diary.ask_pause", buttons=rows),)


def ask_stop(ctx: StepContext, draft: DiaryDraft) -> tuple[Reply, ...]:
    """Ask to confirm stopping."""
    return (Reply("diary.ask_stop", buttons=STOP.rows(per_row=2)),)


def _when(draft: DiaryDraft) -> Text:
    return Text("diary.when.yesterday" if draft.yesterday else "diary.when.today")


def ask_need(ctx: StepContext, draft: DiaryDraft) -> tuple[Reply, ...]:
    """Ask what the member needed (today or yesterday)."""
    return (Reply("diary.ask_need", {"when": _when(draft)}),)


def ask_theme(ctx: StepContext, draft: DiaryDraft) -> tuple[Reply, ...]:
    """Ask what the need is about."""
    return (Reply("diary.ask_theme", buttons=theme_rows(THEME)),)


def ask_met(ctx: StepContext, draft: DiaryDraft) -> tuple[Reply, ...]:
    """Ask whether the buurt had it."""
    return (Reply("diary.ask_met", buttons=MET_CHOICE.rows(per_row=len(MET))),)


def ask_where(ctx: StepContext, draft: DiaryDraft) -> tuple[Reply, ...]:
    """Ask where the member went for it instead."""
    return (
        Reply(
            "diary.ask_where",
            request_location="button.send_location",
            keyboard=("button.did_without",),
        ),
    )


def ask_transport(ctx: StepContext, draft: DiaryDraft) -> tuple[Reply, ...]:
    """Ask how the member got there."""
    return (Reply("diary.ask_transport", buttons=TRANSPORT.rows(per_row=2)),)


def ask_duration(ctx: StepContext, draft: DiaryDraft) -> tuple[Reply, ...]:
    """Ask how long getting there took."""
    return (Reply("diary.ask_duration", buttons=DURATION.rows(per_row=2)),)


# Start, enrolment and the overview.


def start(ctx: StepContext, inp: Input, draft: DiaryDraft) -> Outcome[DiaryDraft]:
    """Enrol someone new; show a running diary's overview; offer a new diary after the end."""
    diarist = _diarist(ctx)
    if diarist is None:
        return goto("about", draft)
    if not diaries.is_open(diarist, ctx.today()):
        return goto("ended", draft)
    return goto("menu", draft)


def about(ctx: StepContext, inp: Input, draft: DiaryDraft, answer: str) -> Outcome[DiaryDraft]:
    """Agreeing starts the questions; declining keeps nothing."""
    if answer == "no":
        return done(CallbackAnswer(), Reply("diary.declined", edit=True))
    return goto("time", DiaryDraft(mode="enrol", consent=CONSENT_VERSION), CallbackAnswer())


def again(ctx: StepContext, inp: Input, draft: DiaryDraft, value: str) -> Outcome[DiaryDraft]:
    """Start a new diary after the last one ended."""
    return onward(DiaryDraft(), CallbackAnswer())


def _time_chosen(ctx: StepContext, draft: DiaryDraft, value: str | None) -> Outcome[DiaryDraft]:
    """Keep the reminder time: go on with enrolment, or change a running diary's time."""
    if draft.mode == "enrol":
        return goto("home", replace(draft, time=value))
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


def choose_time(ctx: StepContext, inp: Input, draft: DiaryDraft, code: str) -> Outcome[DiaryDraft]:
    """A tapped reminder time (or none)."""
    if code == "off":
        answer = Text("diary.time.off")
        value = None
    else:
        answer = Text(f"diary.time.{TIME_LABELS[code]}")
        value = TIMES[code]
    outcome = _time_chosen(ctx, draft, value)
    effects = (CallbackAnswer(), chosen("diary.ask_time", answer), *outcome.effects)
    return replace(outcome, effects=effects)


def typed_time(ctx: StepContext, inp: Input, draft: DiaryDraft) -> Outcome[DiaryDraft]:
    """A typed reminder time such as 20:15."""
    value = diaries.read_time(inp.text or "")
    if value is None:
        return stay(draft, Reply("diary.time_unknown", buttons=time_buttons()))
    outcome = _time_chosen(ctx, draft, value)
    if draft.mode == "enrol":
        noted = Reply("diary.time_noted", {"time": value})
        return replace(outcome, effects=(noted, *outcome.effects))
    return outcome


def _enrolled(
    ctx: StepContext, draft: DiaryDraft, home: int | None, *notes: Effect
) -> Outcome[DiaryDraft]:
    """Store the enrolment, say when it ends and how to tell a need (/diary)."""
    assert ctx.member is not None
    now = local_now(ctx)
    day = now.date()
    # A reminder time already passed today starts tomorrow: no reminder in the first entry.
    diarist = diaries.enrol(
        ctx.session,
        ctx.member,
        consent_version=draft.consent or CONSENT_VERSION,
        started_on=day,
        reminder_time=draft.time,
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


def _home_choices(ctx: StepContext, codes: tuple[int, ...]) -> tuple[tuple[Button, ...], ...]:
    language = language_of(ctx)
    gazetteer = get_gazetteer()
    rows = [
        (HOME_WIJK.button(str(code), name=gazetteer.wijk_name(code, language)),) for code in codes
    ]
    return (*rows, *HOME_SKIP.rows())


def home_text(ctx: StepContext, inp: Input, draft: DiaryDraft) -> Outcome[DiaryDraft]:
    """Words are looked up among the wijk names; the matches are offered as buttons."""
    query = (inp.text or "").strip()
    found = search_wijken(query)[:MAX_WIJKEN] if query else []
    if not found:
        unknown = Reply(
            "diary.home_unknown",
            request_location="button.send_location",
            keyboard=("button.skip",),
        )
        return stay(draft, unknown)
    codes = tuple(w.code for w in found)
    return stay(replace(draft, codes=codes), ask=True)


def home_skipped(ctx: StepContext, inp: Input, draft: DiaryDraft) -> Outcome[DiaryDraft]:
    """ "Skip" keeps no wijk."""
    return _enrolled(ctx, draft, None, Reply("diary.home_skipped", remove_keyboard=True))


def home_location(ctx: StepContext, inp: Input, draft: DiaryDraft) -> Outcome[DiaryDraft]:
    """A location is reduced to its wijk at once; the point itself is not kept."""
    if inp.location is None:
        return stay(draft, ask=True)
    code = get_gazetteer().locate(inp.location.lat, inp.location.lon).wijk_code
    if code is None:
        return _enrolled(ctx, draft, None, Reply("diary.home_outside", remove_keyboard=True))
    name = get_gazetteer().wijk_name(code, language_of(ctx))
    note = Reply("diary.home_set", {"wijk": name}, remove_keyboard=True)
    return _enrolled(ctx, draft, code, note)


def home_tapped(ctx: StepContext, inp: Input, draft: DiaryDraft, value: str) -> Outcome[DiaryDraft]:
    """A tapped wijk among the matches."""
    code = int(value)
    name = get_gazetteer().wijk_name(code, language_of(ctx))
    note = Reply("diary.home_set", {"wijk": name}, remove_keyboard=True)
    return _enrolled(ctx, draft, code, CallbackAnswer(), chosen("diary.home_pick", name), note)


def home_skip_tapped(
    ctx: StepContext, inp: Input, draft: DiaryDraft, value: str
) -> Outcome[DiaryDraft]:
    """Skip tapped under the matches: no wijk kept."""
    note = Reply("diary.home_skipped", remove_keyboard=True)
    return _enrolled(ctx, draft, None, CallbackAnswer(), note)


def _running(ctx: StepContext) -> Diarist | None:
    diarist = _diarist(ctx)
    return diarist if diarist is not None and diaries.is_open(diarist, ctx.today()) else None


def day_tapped(ctx: StepContext, inp: Input, draft: DiaryDraft, day: str) -> Outcome[DiaryDraft]:
    """Today / yesterday start an entry."""
    diarist = _running(ctx)
    if diarist is None:
        return goto("ended", DiaryDraft(), CallbackAnswer())
    yesterday = day == "yesterday"
    for_date = ctx.today() - timedelta(days=1) if yesterday else ctx.today()
    if for_date < diarist.started_on:
        return stay(DiaryDraft(), CallbackAnswer("error.stale_button"), ask=True)
    return goto("need", DiaryDraft(for_date=for_date, yesterday=yesterday), CallbackAnswer())


def manage_tapped(
    ctx: StepContext, inp: Input, draft: DiaryDraft, action: str
) -> Outcome[DiaryDraft]:
    """Pause, resume, change the time or stop the diary."""
    diarist = _running(ctx)
    if diarist is None:
        return goto("ended", DiaryDraft(), CallbackAnswer())
    if action == "pause":
        return goto("pausing", DiaryDraft(), CallbackAnswer())
    if action == "resume":
        diaries.resume(diarist)
        return done(CallbackAnswer(), Reply("diary.resumed", {"time": diarist.reminder_time}))
    if action == "time":
        return goto("time", DiaryDraft(mode="change"), CallbackAnswer())
    return goto("stopping", DiaryDraft(), CallbackAnswer())


def menu_need(ctx: StepContext, inp: Input, draft: DiaryDraft) -> Outcome[DiaryDraft]:
    """Words or a voice message sent at the overview are a need for today."""
    if _running(ctx) is None:
        return goto("ended", DiaryDraft())
    return need(ctx, inp, DiaryDraft(for_date=ctx.today(), yesterday=False))


def pause_tapped(ctx: StepContext, inp: Input, draft: DiaryDraft, days: str) -> Outcome[DiaryDraft]:
    """Pause for 3 or 7 days."""
    diarist = _running(ctx)
    if diarist is None:
        return goto("ended", DiaryDraft(), CallbackAnswer())
    again_on = diaries.pause(diarist, ctx.today(), int(days))
    return done(CallbackAnswer(), Reply("diary.paused", {"date": date_text(again_on)}, edit=True))


def back_to_menu(
    ctx: StepContext, inp: Input, draft: DiaryDraft, value: str
) -> Outcome[DiaryDraft]:
    """Go back to the overview."""
    if _running(ctx) is None:
        return goto("ended", DiaryDraft(), CallbackAnswer())
    return goto("menu", DiaryDraft(), CallbackAnswer())


def stop_tapped(
    ctx: StepContext, inp: Input, draft: DiaryDraft, answer: str
) -> Outcome[DiaryDraft]:
    """Stop after the confirmation, or go back to the overview."""
    diarist = _running(ctx)
    if diarist is None:
        return goto("ended", DiaryDraft(), CallbackAnswer())
    if answer == "no":
        return goto("menu", DiaryDraft(), CallbackAnswer())
    diaries.stop(diarist, ctx.now)
    return done(CallbackAnswer(), Reply("diary.stopped", edit=True))


# The entry.


def need(ctx: StepContext, inp: Input, draft: DiaryDraft) -> Outcome[DiaryDraft]:
    """Keep what was needed (words, a voice message or a photo) and ask for a theme."""
    text = text_of(inp)
    media = tuple(media_of(inp))
    if text is None and not media:
        return goto("need", draft)
    entry = replace(draft, need=text, media=media, chat_id=inp.chat_id, message_id=inp.message_id)
    return goto("theme", entry)


# What a loose message from someone keeping a diary may start an entry with.
NEED_KINDS = frozenset({InputKind.TEXT, InputKind.VOICE, InputKind.PHOTO})


def keeps_diary(ctx: StepContext) -> bool:
    """Say whether the member's diary is running today."""
    return _running(ctx) is not None


def entry_from_note(
    ctx: StepContext, note_id: int, text: str | None, inp: Input
) -> Outcome[DiaryDraft]:
    """Start today's entry with a kept note as the need; saving it turns the note into it."""
    return goto("theme", DiaryDraft(for_date=ctx.today(), need=text, note_id=note_id))


def choose_theme(
    ctx: StepContext, inp: Input, draft: DiaryDraft, theme: str
) -> Outcome[DiaryDraft]:
    """Keep the theme, then ask whether the buurt had it."""
    answer = chosen("diary.ask_theme", Text(f"theme.{theme}"))
    return onward(replace(draft, theme=theme), CallbackAnswer(), answer)


def choose_met(ctx: StepContext, inp: Input, draft: DiaryDraft, met: str) -> Outcome[DiaryDraft]:
    """Found in the buurt: saved. Partly or not: ask where the member went."""
    answered = replace(draft, met=met)
    answer = chosen("diary.ask_met", Text(f"diary.met.{met}"))
    if met == "yes":
        return save(ctx, answered, CallbackAnswer(), answer)
    return goto("where", answered, CallbackAnswer(), answer)


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
    draft: DiaryDraft,
    label: str | None,
    source: str,
    place: Place | None,
    stored: str | None = None,
) -> Outcome[DiaryDraft]:
    """Keep where the member went, with the distance when both points are known.

    `label` is shown to the member; `stored` (default: the label) goes into the entry.
    """
    shown = Text("diary.outside_brussels") if label is None else label
    reference = reference_point(ctx, _diarist(ctx)) if place is not None else None
    distance_m, distance_from, noted = went_elsewhere(
        place,
        shown,
        reference,
        language_of(ctx),
        ("diary.where_km", "diary.where_noted", "diary.from_"),
    )
    went = replace(
        draft,
        where_instead=stored if stored is not None else label,
        where_source=source,
        where_wijk=place.wijk_code if place is not None else None,
        place=place,
        distance_m=distance_m,
        distance_from=distance_from,
    )
    return onward(went, noted)


def where_location(ctx: StepContext, inp: Input, draft: DiaryDraft) -> Outcome[DiaryDraft]:
    """A location says where the member went."""
    if inp.location is None:
        return stay(draft, ask=True)
    place = place_at(ctx, inp.location, "message")
    # The entry keeps the wijk's name in the organisation's language, so reports can count it.
    stored = place_label(place, ctx.member.organisation.language) if ctx.member else None
    return _went(ctx, draft, place_label(place, language_of(ctx)), "location", place, stored)


def did_without(ctx: StepContext, inp: Input, draft: DiaryDraft) -> Outcome[DiaryDraft]:
    """ "I did without" saves the entry."""
    without = replace(
        draft,
        where_instead=None,
        where_source="did_without",
        where_wijk=None,
        place=None,
        distance_m=None,
        distance_from=None,
        transport=None,
        duration=None,
    )
    return save(ctx, without, Reply("diary.did_without", remove_keyboard=True))


def where_text(ctx: StepContext, inp: Input, draft: DiaryDraft) -> Outcome[DiaryDraft]:
    """Typed words are kept, placed when they match a place."""
    typed = text_of(inp)
    if typed is None:
        return stay(draft, ask=True)
    return _went(ctx, draft, typed, "typed", place_from_text(ctx, typed))


def choose_transport(
    ctx: StepContext, inp: Input, draft: DiaryDraft, transport: str
) -> Outcome[DiaryDraft]:
    """Keep how the member got there; online or not going saves at once."""
    answered = replace(draft, transport=transport)
    answer = chosen("diary.ask_transport", Text(f"diary.transport.{transport}"))
    if transport in NO_TRIP:
        return save(ctx, replace(answered, duration=None), CallbackAnswer(), answer)
    return goto("duration", answered, CallbackAnswer(), answer)


def choose_duration(
    ctx: StepContext, inp: Input, draft: DiaryDraft, duration: str
) -> Outcome[DiaryDraft]:
    """Keep how long it took and save the entry."""
    answer = chosen("diary.ask_duration", Text(f"diary.duration.{duration}"))
    return save(ctx, replace(draft, duration=duration), CallbackAnswer(), answer)


def _saved_where(draft: DiaryDraft, place: Place | None) -> Text | None:
    """Return what the saved line says instead of 'no place yet', when there is no place."""
    if place is not None:
        return None
    if draft.met == "yes":
        return Text("diary.saved_where.buurt")
    if draft.where_source == "did_without":
        return Text("diary.saved_where.without")
    if draft.where_instead:
        return Text("observe.in_place", {"place": draft.where_instead})
    return None


def save(ctx: StepContext, draft: DiaryDraft, *before: Effect) -> Outcome[DiaryDraft]:
    """Store the entry and end with the saved line."""
    assert ctx.member is not None
    diarist = _diarist(ctx)
    day = draft.for_date or ctx.today()
    details: dict[str, Any] = {
        "need": draft.need,
        "met": draft.met,
        "where_instead": draft.where_instead,
        "where_source": draft.where_source,
        "where_wijk": draft.where_wijk,
        "transport": draft.transport,
        "duration": draft.duration,
        "distance_m": draft.distance_m,
        "distance_from": draft.distance_from,
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
        text=draft.need,
        theme=draft.theme,
        place=draft.place,
        chat_id=draft.chat_id,
        message_id=draft.message_id,
        details=details,
        media=list(draft.media),
        from_note=draft.note_id,
    )
    line = saved_line(ctx, observation, draft.place)
    where = _saved_where(draft, draft.place)
    if where is not None:
        line = replace(line, params={**line.params, "where": where})
    effects: list[Effect] = [*before, line]
    if too_big(observation):
        effects.append(Reply("observe.file_too_big"))
    if diarist is not None:
        effects.append(Reply("diary.thanks", {"day": details["day_number"], "days": DIARY_DAYS}))
    return done(*effects)


NEED = Go(need, "theme", "need")
MENU_NEED = Go(menu_need, "need", "theme", "ended")

DIARY = Flow(
    name="diary",
    draft=DiaryDraft,
    start=Go(start, "about", "ended", "menu"),
    entries={"note": Go(entry_from_note, "theme")},
    states={
        "about": State(ask_about, {AGREE: Go(about, "time", END)}),
        "ended": State(ended_prompt, {AGAIN: Go(again, "about")}),
        "time": State(
            ask_time, {TIME: Go(choose_time, "home", END), TEXT: Go(typed_time, "home", END)}
        ),
        "home": State(
            ask_home,
            {
                HOME_WIJK: Go(home_tapped, END),
                HOME_SKIP: Go(home_skip_tapped, END),
                SKIP_KEY: Go(home_skipped, END),
                LOCATION: Go(home_location, END),
                TEXT: Go(home_text),
            },
        ),
        "menu": State(
            menu_prompt,
            {
                DAY: Go(day_tapped, "need", "ended"),
                MANAGE: Go(manage_tapped, "pausing", "time", "stopping", "ended", END),
                TEXT: MENU_NEED,
                VOICE: MENU_NEED,
                PHOTO: MENU_NEED,
            },
        ),
        "pausing": State(
            ask_pause,
            {PAUSE: Go(pause_tapped, "ended", END), BACK: Go(back_to_menu, "menu", "ended")},
        ),
        "stopping": State(ask_stop, {STOP: Go(stop_tapped, "menu", "ended", END)}),
        "need": State(ask_need, {TEXT: NEED, VOICE: NEED, PHOTO: NEED}),
        "theme": State(ask_theme, {THEME: Go(choose_theme, "met")}),
        "met": State(ask_met, {MET_CHOICE: Go(choose_met, "where", END)}),
        "where": State(
            ask_where,
            {
                LOCATION: Go(where_location, "transport"),
                DID_WITHOUT_KEY: Go(did_without, END),
                TEXT: Go(where_text, "transport"),
            },
        ),
        "transport": State(ask_transport, {TRANSPORT: Go(choose_transport, "duration", END)}),
        "duration": State(ask_duration, {DURATION: Go(choose_duration, END)}),
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
