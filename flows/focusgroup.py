"""/focusgroup: a group conversation the team ran — when, where, who came, what was said.

| state      | accepts                            | step           | goes to         |
|------------|------------------------------------|----------------|-----------------|
| (start)    | /focusgroup                        | start          | when            |
| when       | tap when:today, yesterday          | when_tapped    | where           |
| when       | text                               | when_typed     | where           |
| where      | location, keyboard here, keyboard  | where_answer   | count           |
|            | skip, text                         |                |                 |
| count      | tap n:0, 1, 2, 3, 4, 5, 6, 8, 10,  | count_tapped   | count, channel  |
|            | 12, 15, 20                         |                |                 |
| count      | text                               | count_typed    | count, channel  |
| channel    | tap ch:activity, partner, event    | channel_tapped | question        |
| channel    | text                               | channel_typed  | question        |
| question   | text, voice                        | question       | said            |
| said       | tap said:done                      | said_done      | quotes          |
| said       | text, voice, photo                 | said           | (stays)         |
| quotes     | tap next:question, end             | next_step      | question, theme |
| quotes     | text, voice                        | quote          | (stays)         |
| theme      | tap theme:THEME, skip              | theme          | reflection      |
| reflection | tap skip                           | no_reflection  | end             |
| reflection | text, voice                        | reflection     | end             |

Nothing is stored before the last answer: the draft holds the answers (voice notes and photos
as Telegram file references) and /cancel drops it. The observation (kind "focus_group") has the
questions as its text and the rest in its details: held_on (ISO date), residents, users,
partners and others (numbers of people, never names), people (their sum), channel (own / partner /
event / other, with channel_text when typed), place_text when the place was typed, questions
(each with what was said and the quotes participants agreed to share, each quote kept apart and
marked agreed), missing_voices (the closing reflection) and media_roles (per file, in order:
question:N / said:N / quote:N / missing_voices). Each count is asked in turn in the state
"count" (the draft says which); "said" and "quotes" take as many messages as come, until a
button moves on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from flows.dates import FUTURE, read_past_day
from flows.encounter import PlaceAnswer, answer_place, place_question
from flows.engine import (
    END,
    HERE_KEY,
    LOCATION,
    PHOTO,
    SKIP_KEY,
    TEXT,
    VOICE,
    CallbackAnswer,
    Choice,
    Effect,
    Flow,
    Go,
    Input,
    Outcome,
    Reaction,
    Reply,
    State,
    StepContext,
    Text,
    done,
    goto,
    onward,
    stay,
)
from flows.missing import RoleMedia, role_media, stored_media
from flows.observe import saved_line, text_of, too_big
from flows.places import author_of
from flows.themes import theme_choice, theme_rows
from storage import observations as obs
from storage.focusgroups import ATTENDANCE, CHANNELS, OTHER_CHANNEL
from storage.kinds import FOCUS_GROUP

# More people than this in one focus group is a typing slip.
MAX_PEOPLE = 500
DATE_FORMAT = "%d/%m/%Y"

WHEN = Choice("when", ("today", "yesterday"), label="focusgroup.when.{}")
COUNT = Choice("n", ("0", "1", "2", "3", "4", "5", "6", "8", "10", "12", "15", "20"))
CHANNEL = Choice("ch", CHANNELS, label="focusgroup.channel.{}")
SAID = Choice("said", ("done",), label="focusgroup.button.said_done")
NEXT = Choice(
    "next",
    ("question", "end"),
    label={"question": "focusgroup.button.next_question", "end": "focusgroup.button.all_done"},
)
THEME = theme_choice("theme", skip="skip")
SKIP = Choice("", ("skip",), label="button.skip")


@dataclass(frozen=True)
class GroupQuote:
    """Words a participant agreed to share: typed, or a voice note (then `text` is None)."""

    text: str | None = None
    voice: bool = False


@dataclass(frozen=True)
class GroupQuestion:
    """One question put to the group, what was said about it, and the quotes agreed to."""

    question: str | None = None
    said: tuple[str, ...] = ()
    # How many messages said it (words, voice notes, photos): what the member is told.
    said_messages: int = 0
    quotes: tuple[GroupQuote, ...] = ()


@dataclass(frozen=True)
class FocusGroupDraft(PlaceAnswer):
    """The focus group so far; `counts` follow ATTENDANCE, the last question is the one running."""

    held_on: date | None = None
    counts: tuple[int, ...] = ()
    channel: str | None = None
    channel_text: str | None = None
    questions: tuple[GroupQuestion, ...] = ()
    theme: str | None = None
    missing_voices: str | None = None
    media: tuple[RoleMedia, ...] = ()


def _number(draft: FocusGroupDraft) -> int:
    """Return the running question's number (1 for the first)."""
    return max(len(draft.questions), 1)


def _current(draft: FocusGroupDraft) -> GroupQuestion:
    return draft.questions[-1] if draft.questions else GroupQuestion()


def _with_current(
    draft: FocusGroupDraft, question: GroupQuestion, inp: Input, role: str
) -> FocusGroupDraft:
    """Return the draft with the running question replaced and the input's file kept."""
    kept = role_media(inp, f"{role}:{_number(draft)}")
    return replace(draft, questions=(*draft.questions[:-1], question), media=(*draft.media, *kept))


# Questions (also used to ask again when something unexpected arrives).


def ask_when(ctx: StepContext, draft: FocusGroupDraft) -> tuple[Effect, ...]:
    """Ask when the focus group took place."""
    return (Reply("focusgroup.ask_when", buttons=WHEN.rows(per_row=2)),)


def ask_where(ctx: StepContext, draft: FocusGroupDraft) -> tuple[Effect, ...]:
    """Ask where it took place."""
    return (place_question("focusgroup.ask_where"),)


def ask_count(ctx: StepContext, draft: FocusGroupDraft) -> tuple[Effect, ...]:
    """Ask how many people of the next kind were there."""
    group = ATTENDANCE[len(draft.counts)]
    assert isinstance(COUNT.values, tuple)
    buttons = [COUNT.button(value, "focusgroup.number", number=value) for value in COUNT.values]
    rows = (tuple(buttons[:6]), tuple(buttons[6:]))
    return (Reply(f"focusgroup.ask_count.{group}", buttons=rows),)


def ask_channel(ctx: StepContext, draft: FocusGroupDraft) -> tuple[Effect, ...]:
    """Ask how the group came together."""
    return (Reply("focusgroup.ask_channel", buttons=CHANNEL.rows()),)


def ask_question(ctx: StepContext, draft: FocusGroupDraft) -> tuple[Effect, ...]:
    """Ask for the (next) question put to the group."""
    key = "focusgroup.ask_next_question" if draft.questions else "focusgroup.ask_question"
    return (Reply(key, {"number": len(draft.questions) + 1}, remove_keyboard=True),)


def ask_said(ctx: StepContext, draft: FocusGroupDraft) -> tuple[Effect, ...]:
    """Ask what the main things said were: several messages, then Done."""
    return (Reply("focusgroup.ask_said", buttons=SAID.rows()),)


def ask_quotes(ctx: StepContext, draft: FocusGroupDraft) -> tuple[Effect, ...]:
    """Ask for quotes participants agreed to share, each as its own message."""
    return (Reply("focusgroup.ask_quotes", buttons=NEXT.rows(per_row=2)),)


def ask_theme(ctx: StepContext, draft: FocusGroupDraft) -> tuple[Effect, ...]:
    """Ask which life domain the group talked about most (optional)."""
    return (Reply("focusgroup.ask_theme", buttons=theme_rows(THEME)),)


def ask_reflection(ctx: StepContext, draft: FocusGroupDraft) -> tuple[Effect, ...]:
    """Ask whose voice was missing in the group."""
    return (Reply("focusgroup.ask_reflection", buttons=SKIP.rows()),)


# Steps.


def start(ctx: StepContext, inp: Input, draft: FocusGroupDraft) -> Outcome[FocusGroupDraft]:
    """Begin: when did the group meet?"""
    return onward(draft)


def _held(draft: FocusGroupDraft, on: date, *effects: Effect) -> Outcome[FocusGroupDraft]:
    return onward(replace(draft, held_on=on), *effects)


def when_tapped(
    ctx: StepContext, inp: Input, draft: FocusGroupDraft, code: str
) -> Outcome[FocusGroupDraft]:
    """Keep today or yesterday."""
    on = ctx.today() if code == "today" else ctx.today() - timedelta(days=1)
    answer = Reply("focusgroup.when_answer", {"date": on.strftime(DATE_FORMAT)}, edit=True)
    return _held(draft, on, CallbackAnswer(), answer)


def when_typed(ctx: StepContext, inp: Input, draft: FocusGroupDraft) -> Outcome[FocusGroupDraft]:
    """Keep a typed day, or say what is wrong with it and ask again."""
    on, problem = read_past_day(text_of(inp) or "", ctx.today())
    if on is None or problem is not None:
        key = "focusgroup.future_date" if problem == FUTURE else "focusgroup.bad_date"
        params = {"date": on.strftime(DATE_FORMAT)} if on is not None else {}
        return stay(draft, Reply(key, params, buttons=WHEN.rows(per_row=2)))
    return _held(draft, on, Reply("focusgroup.when_answer", {"date": on.strftime(DATE_FORMAT)}))


def where_answer(ctx: StepContext, inp: Input, draft: FocusGroupDraft) -> Outcome[FocusGroupDraft]:
    """Keep the place (a location, here, a typed place or wijk) or none."""
    placed, effects = answer_place(ctx, inp, draft, "focusgroup")
    if placed is None:
        return stay(draft, *effects)
    return onward(placed, *effects)


def _counted(draft: FocusGroupDraft, count: int, *effects: Effect) -> Outcome[FocusGroupDraft]:
    """Keep one count; ask the next, or the channel once every kind is counted."""
    group = ATTENDANCE[len(draft.counts)]
    counted = replace(draft, counts=(*draft.counts, count))
    answer = Reply(
        "focusgroup.count_answer",
        {"group": Text(f"focusgroup.group.{group}"), "count": count},
        edit=bool(effects),
    )
    where_next = "count" if len(counted.counts) < len(ATTENDANCE) else "channel"
    return goto(where_next, counted, *effects, answer)


def count_tapped(
    ctx: StepContext, inp: Input, draft: FocusGroupDraft, value: str
) -> Outcome[FocusGroupDraft]:
    """Keep a count tapped."""
    return _counted(draft, int(value), CallbackAnswer())


def read_count(typed: str) -> int | None:
    """Return a typed number of people (0 to MAX_PEOPLE), or None when it is not one."""
    words = typed.strip().rstrip(".")
    if not (words.isascii() and words.isdigit()):
        return None
    number = int(words)
    return number if number <= MAX_PEOPLE else None


def count_typed(ctx: StepContext, inp: Input, draft: FocusGroupDraft) -> Outcome[FocusGroupDraft]:
    """Keep a typed count, or say it is not a number of people and ask again."""
    count = read_count(text_of(inp) or "")
    if count is None:
        return stay(draft, Reply("focusgroup.bad_count", {"most": MAX_PEOPLE}), ask=True)
    return _counted(draft, count)


def channel_tapped(
    ctx: StepContext, inp: Input, draft: FocusGroupDraft, code: str
) -> Outcome[FocusGroupDraft]:
    """Keep the channel tapped."""
    answer = Reply(
        "focusgroup.channel_answer", {"channel": Text(f"focusgroup.channel.{code}")}, edit=True
    )
    chosen = replace(draft, channel=code, channel_text=None)
    return onward(chosen, CallbackAnswer(), answer)


def channel_typed(ctx: StepContext, inp: Input, draft: FocusGroupDraft) -> Outcome[FocusGroupDraft]:
    """Keep a typed channel as "other"."""
    return onward(replace(draft, channel=OTHER_CHANNEL, channel_text=text_of(inp)))


def question(ctx: StepContext, inp: Input, draft: FocusGroupDraft) -> Outcome[FocusGroupDraft]:
    """Begin a question: its words, or a voice note saying it."""
    asked = replace(draft, questions=(*draft.questions, GroupQuestion(text_of(inp))))
    return onward(_with_current(asked, asked.questions[-1], inp, "question"))


def said(ctx: StepContext, inp: Input, draft: FocusGroupDraft) -> Outcome[FocusGroupDraft]:
    """Keep one message of what was said (words, a voice note, a photo of the flip chart)."""
    running = _current(draft)
    words = text_of(inp)
    said_now = (*running.said, words) if words else running.said
    running = replace(running, said=said_now, said_messages=running.said_messages + 1)
    kept = _with_current(draft, running, inp, "said")
    more = Reply("focusgroup.said_kept", {"count": running.said_messages}, buttons=SAID.rows())
    return stay(kept, Reaction(), more)


def said_done(
    ctx: StepContext, inp: Input, draft: FocusGroupDraft, value: str
) -> Outcome[FocusGroupDraft]:
    """Move on to the quotes."""
    return onward(draft, CallbackAnswer(), Reply("focusgroup.said_closed", edit=True))


def quote(ctx: StepContext, inp: Input, draft: FocusGroupDraft) -> Outcome[FocusGroupDraft]:
    """Keep one quote (typed or spoken), apart from the others and marked as agreed."""
    running = _current(draft)
    words = text_of(inp)
    running = replace(running, quotes=(*running.quotes, GroupQuote(words, words is None)))
    kept = _with_current(draft, running, inp, "quote")
    more = Reply(
        "focusgroup.quote_kept", {"count": len(running.quotes)}, buttons=NEXT.rows(per_row=2)
    )
    return stay(kept, Reaction(), more)


def next_step(
    ctx: StepContext, inp: Input, draft: FocusGroupDraft, value: str
) -> Outcome[FocusGroupDraft]:
    """Put another question, or go on to the theme when that was all."""
    closed = Reply("focusgroup.quotes_closed", {"count": len(_current(draft).quotes)}, edit=True)
    return goto("question" if value == "question" else "theme", draft, CallbackAnswer(), closed)


def theme(
    ctx: StepContext, inp: Input, draft: FocusGroupDraft, code: str
) -> Outcome[FocusGroupDraft]:
    """Keep the theme tapped, or none."""
    if code == "skip":
        skipped = Reply("focusgroup.theme_skipped", edit=True)
        return onward(replace(draft, theme=None), CallbackAnswer(), skipped)
    answer = Reply("focusgroup.theme_answer", {"theme": Text(f"theme.{code}")}, edit=True)
    return onward(replace(draft, theme=code), CallbackAnswer(), answer)


def reflection(ctx: StepContext, inp: Input, draft: FocusGroupDraft) -> Outcome[Any]:
    """Keep whose voice was missing (words or a voice note) and save the focus group."""
    kept = replace(
        draft,
        missing_voices=text_of(inp),
        media=(*draft.media, *role_media(inp, "missing_voices")),
    )
    return save(ctx, kept)


def no_reflection(ctx: StepContext, inp: Input, draft: FocusGroupDraft, value: str) -> Outcome[Any]:
    """Save without a reflection."""
    return save(ctx, draft, CallbackAnswer())


def details_of(draft: FocusGroupDraft) -> dict[str, Any]:
    """Return what the observation keeps of a draft besides its text, theme, place and files."""
    counts = dict(zip(ATTENDANCE, (*draft.counts, *(0,) * len(ATTENDANCE)), strict=False))
    details: dict[str, Any] = {
        "held_on": draft.held_on.isoformat() if draft.held_on else None,
        **counts,
        "people": sum(counts.values()),
        "channel": draft.channel,
        "questions": [
            {
                "question": item.question,
                "said": list(item.said),
                "quotes": [{"text": q.text, "voice": q.voice, "agreed": True} for q in item.quotes],
            }
            for item in draft.questions
        ],
        "missing_voices": draft.missing_voices,
    }
    for extra in ("channel_text", "place_text"):
        if getattr(draft, extra):
            details[extra] = getattr(draft, extra)
    if draft.media:
        details["media_roles"] = [item.role for item in draft.media]
    return details


def save(ctx: StepContext, draft: FocusGroupDraft, *before: Effect) -> Outcome[Any]:
    """Store the focus group and end with the saved line."""
    assert ctx.member is not None
    asked = [item.question for item in draft.questions if item.question]
    observation = obs.add_observation(
        ctx.session,
        organisation_id=ctx.member.organisation_id,
        member_id=ctx.member.id,
        author=author_of(ctx),
        kind=FOCUS_GROUP,
        now=ctx.now,
        text="\n".join(asked) or None,
        theme=draft.theme,
        place=draft.place,
        details=details_of(draft),
        media=stored_media(draft.media),
    )
    effects: list[Effect] = [
        *before,
        saved_line(ctx, observation, draft.place, key="focusgroup.saved"),
    ]
    if too_big(observation):
        effects.append(Reply("observe.file_too_big"))
    return done(*effects)


PLACE = Go(where_answer, "count")
COUNTED = ("count", "channel")
QUESTION = Go(question, "said")
SAID_MORE = Go(said)
QUOTE = Go(quote)
REFLECTION = Go(reflection, END)

FOCUSGROUP = Flow(
    name="focusgroup",
    draft=FocusGroupDraft,
    start=Go(start, "when"),
    states={
        "when": State(ask_when, {WHEN: Go(when_tapped, "where"), TEXT: Go(when_typed, "where")}),
        "where": State(ask_where, {LOCATION: PLACE, HERE_KEY: PLACE, SKIP_KEY: PLACE, TEXT: PLACE}),
        "count": State(
            ask_count, {COUNT: Go(count_tapped, *COUNTED), TEXT: Go(count_typed, *COUNTED)}
        ),
        "channel": State(
            ask_channel,
            {CHANNEL: Go(channel_tapped, "question"), TEXT: Go(channel_typed, "question")},
        ),
        "question": State(ask_question, {TEXT: QUESTION, VOICE: QUESTION}),
        "said": State(
            ask_said,
            {SAID: Go(said_done, "quotes"), TEXT: SAID_MORE, VOICE: SAID_MORE, PHOTO: SAID_MORE},
        ),
        "quotes": State(
            ask_quotes, {NEXT: Go(next_step, "question", "theme"), TEXT: QUOTE, VOICE: QUOTE}
        ),
        "theme": State(ask_theme, {THEME: Go(theme, "reflection")}),
        "reflection": State(
            ask_reflection,
            {SKIP: Go(no_reflection, END), TEXT: REFLECTION, VOICE: REFLECTION},
        ),
    },
)
