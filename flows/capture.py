"""Whatever a member sends outside a flow is kept at once as a note, then placed and offered on.

| state   | accepts                            | step    | goes to    |
|---------|------------------------------------|---------|------------|
| (start) | -                                  | keep    | where, end |
| where   | location                           | located | end        |
| where   | keyboard skip                      | skipped | end        |
| where   | text, photo, voice, video,         | keep    | where, end |
|         | document                           |         |            |
| (any)   | /cancel                            | skipped | end        |

A note takes its place as a walk note does: the walker's live track near the moment, else the
message's own location, else one optional "where was this?". Someone keeping a diary gets no such
question: the note becomes the start of today's diary entry instead.

Global buttons under a note's saved line turn it into a record, the note's words (and files)
being the first answer: g|note|ID|missing, g|note|ID|encounter (fieldworkers), g|note|ID|diary
(a running diary). Saving that record turns the note's row into it (nothing stored twice); a
record left unfinished leaves the note as it was. Theme and undo are the g|obs buttons.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from flows import diary, encounter, missing
from flows.commands import COMMANDS_BY_NAME
from flows.engine import (
    DOCUMENT,
    END,
    LOCATION,
    PHOTO,
    SKIP_KEY,
    TEXT,
    VIDEO,
    VOICE,
    Button,
    CallbackAnswer,
    Effect,
    Flow,
    Go,
    Input,
    InputKind,
    Outcome,
    Reaction,
    Reply,
    State,
    StepContext,
    Switch,
    Text,
    ascii_id,
    done,
    goto,
)
from flows.evidence import evidence_rows
from flows.help import role_of
from flows.observe import (
    language_of,
    media_of,
    obs_button,
    place_of,
    replace_edit,
    saved_line,
    saved_words,
    text_of,
    too_big,
    where,
)
from flows.places import author_of, place_at, walk_place
from flows.themes import THEMES, theme_buttons
from storage import observations as obs
from storage.models import Observation
from storage.observations import NOTE, Place

# What a note can become, by the command whose flow takes it on, in button order.
BECOMES = ("missing", "encounter", "diary")


@dataclass(frozen=True)
class NoteDraft:
    """The notes kept without a place, waiting for the answer to "where was this?"."""

    awaiting: tuple[int, ...] = ()


def place_for(ctx: StepContext, inp: Input) -> Place | None:
    """Return where something sent was: its own location, else the live track."""
    if inp.location is not None:
        return place_at(ctx, inp.location, "message")
    return walk_place(ctx, inp.date)


def becomes_for(ctx: StepContext) -> tuple[str, ...]:
    """Return what this member may turn a note into."""
    role = role_of(ctx)
    return tuple(
        name
        for name in BECOMES
        if COMMANDS_BY_NAME[name].allowed(role) and (name != "diary" or diary.keeps_diary(ctx))
    )


def note_line(ctx: StepContext, note: Observation, key: str = "capture.saved") -> Reply:
    """Return a note's saved line: kept, where, theme and undo, and what it can become."""
    prefix = f"g|note|{note.id}|"
    line = saved_words(ctx, note, place_of(note), key=key)
    rows: list[tuple[Button, ...]] = [
        (
            Button("observe.button_theme", f"{prefix}tags"),
            Button("observe.button_undo", f"{prefix}undo"),
        )
    ]
    choices = [Button(f"capture.button.{name}", prefix + name) for name in becomes_for(ctx)]
    if choices:
        rows.append(tuple(choices))
    rows.extend(evidence_rows(ctx, note))
    return Reply(line.key, line.params, buttons=tuple(rows))


def line_buttons(ctx: StepContext, observation: Observation) -> tuple[tuple[Button, ...], ...]:
    """Return the buttons under an observation's saved line as they should be now."""
    if observation.kind == NOTE:
        return note_line(ctx, observation).buttons
    return saved_line(ctx, observation, place_of(observation)).buttons


def store_note(ctx: StepContext, inp: Input) -> Observation:
    """Store what was sent as a note, placed like a walk note."""
    assert ctx.member is not None
    return obs.add_observation(
        ctx.session,
        organisation_id=ctx.member.organisation_id,
        member_id=ctx.member.id,
        author=author_of(ctx),
        kind=NOTE,
        now=ctx.now,
        text=text_of(inp),
        place=place_for(ctx, inp),
        chat_id=inp.chat_id,
        message_id=inp.message_id,
        details={"content": inp.content_type} if inp.kind == InputKind.DOCUMENT else {},
        media=media_of(inp),
    )


def capture(ctx: StepContext, inp: Input) -> Switch:
    """Keep what was sent outside a flow: a note, or the start of today's diary entry."""
    if diary.keeps_diary(ctx) and inp.kind in diary.NEED_KINDS:
        note = store_note(ctx, inp)
        started = diary.entry_from_note(ctx, note.id, note.text, inp)
        effects: list[Effect] = [Reaction(), note_line(ctx, note, "capture.saved_diary")]
        if too_big(note):
            effects.append(Reply("observe.file_too_big"))
        diary_entry = replace(started, effects=(*effects, *started.effects))
        return Switch("diary", diary_entry, entry="note")
    return Switch(NOTE_FLOW.name, keep(ctx, inp, NoteDraft()))


def keep(ctx: StepContext, inp: Input, draft: NoteDraft) -> Outcome[NoteDraft]:
    """Store what was sent as a note at once, acknowledge it, and ask where when unknown."""
    note = store_note(ctx, inp)
    effects: list[Effect] = [Reaction(), note_line(ctx, note)]
    if too_big(note):
        effects.append(Reply("observe.file_too_big"))
    if note.lat is not None:
        return goto("where", draft, *effects, ask=False) if draft.awaiting else done(*effects)
    # Asked once: later notes without a place join the notes waiting for the answer.
    waiting = NoteDraft((*draft.awaiting, note.id))
    return goto("where", waiting, *effects, ask=not draft.awaiting)


def located(ctx: StepContext, inp: Input, draft: NoteDraft) -> Outcome[NoteDraft]:
    """Place the notes waiting for a location."""
    assert inp.location is not None
    place = place_at(ctx, inp.location, "asked")
    placed = 0
    for note_id in draft.awaiting:
        note = obs.get_observation(ctx.session, note_id)
        if note is not None and note.lat is None:
            obs.set_place(note, place)
            placed += 1
    return done(
        Reply(
            "capture.located",
            {"count": placed, "where": where(place, language_of(ctx))},
            remove_keyboard=True,
        )
    )


def skipped(ctx: StepContext, inp: Input, draft: NoteDraft) -> Outcome[NoteDraft]:
    """Skip the question: the notes stay without a place."""
    return done(Reply("capture.place_skipped", remove_keyboard=True))


def ask_where(ctx: StepContext, draft: NoteDraft) -> tuple[Effect, ...]:
    """Ask where the waiting notes were made (optional)."""
    return (
        Reply(
            "capture.where_was_this",
            request_location="button.send_location",
            keyboard=("button.skip",),
        ),
    )


KEEP = Go(keep, "where", END)

NOTE_FLOW = Flow(
    name="note",
    draft=NoteDraft,
    start=KEEP,
    states={
        "where": State(
            ask_where,
            {
                LOCATION: Go(located, END),
                SKIP_KEY: Go(skipped, END),
                TEXT: KEEP,
                PHOTO: KEEP,
                VOICE: KEEP,
                VIDEO: KEEP,
                DOCUMENT: KEEP,
            },
        )
    },
    keeps_draft=False,
    # /cancel at the question: the notes stay, without a place.
    cancel=Go(skipped, END),
)


def kept_aside(ctx: StepContext, inp: Input) -> Reply:
    """Keep something a flow's step did not ask for as a note of its own; return its line."""
    return note_line(ctx, store_note(ctx, inp), "capture.saved_aside")


# The buttons under a note: theme, undo, and turning it into a record.


def note_button(ctx: StepContext, inp: Input, args: list[str]) -> tuple[Effect, ...] | Switch:
    """Handle g|note|ID|ACTION: tags, t|THEME, undo, missing, encounter, diary."""
    stale = (CallbackAnswer("error.stale_button"),)
    note_id = ascii_id(args[0]) if len(args) >= 2 else None
    if note_id is None or ctx.member is None:
        return stale
    note = obs.get_observation(ctx.session, note_id)
    if note is None or note.member_id != ctx.member.id:
        return stale
    action = args[1]
    if action == "undo":
        return obs_button(ctx, inp, [args[0], "undo"])
    if note.kind != NOTE:
        return (CallbackAnswer("capture.already_turned", {"kind": Text(f"kind.{note.kind}")}),)
    if action == "tags":
        buttons = theme_buttons(f"g|note|{note.id}|t|")
        return (CallbackAnswer(), Reply("observe.choose_theme", buttons=buttons, edit=True))
    if action == "t" and len(args) > 2 and args[2] in THEMES:
        note.theme = args[2]
        return (
            CallbackAnswer("observe.theme_set", {"theme": Text(f"theme.{args[2]}")}),
            replace_edit(note_line(ctx, note)),
        )
    if action not in becomes_for(ctx):
        return stale
    outcome: Outcome[Any]
    if action == "missing":
        outcome = missing.from_note(ctx, note.id, note.text, note.theme)
    elif action == "encounter":
        outcome = encounter.from_note(ctx, note.id, note.text, place_of(note))
    else:
        outcome = diary.entry_from_note(ctx, note.id, note.text, inp)
    effects = (CallbackAnswer(), *outcome.effects)
    return Switch(action, replace(outcome, effects=effects), entry="note")
