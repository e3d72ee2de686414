"""/encounter: a conversation with someone in the buurt — who, where, how, what they said.

| state      | accepts                                       | step              | goes to      |
|------------|-----------------------------------------------|-------------------|--------------|
| (start)    | /encounter                                    | start             | who          |
| who        | callback who:*, text (typed kind of person)   | who_button, who   | where        |
|            | (during a walk with a live track, or from a   |                   | (or channel: |
|            | kept note with a place)                       |                   | place known) |
| where      | location; text: "here", "skip" or a place     | where_location,   | channel      |
|            |                                               | where_text        | (or where)   |
| channel    | callback ch:*, text (typed channel)           | channel_button,   | experience   |
|            |                                               | channel_text      |              |
| experience | text, voice                                   | experience        | places       |
| places     | text, voice, callback skip                    | places            | needs        |
| needs      | text, voice, callback skip                    | needs             | theme        |
| theme      | callback theme:THEME, theme:skip              | theme             | quote        |
| quote      | callback quote:yes, quote:no                  | quote             | ends (saved) |

Nothing is stored before the last answer: the draft holds the answers (voice notes as file
references) and /cancel drops it. The observation (kind "encounter") keeps each answer in its
details; its text is what they miss or need, else how they experience the buurt. "Here" means the
walker's live-track position while a walk is open; otherwise the location button is offered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from flows.engine import (
    Button,
    CallbackAnswer,
    Effect,
    Flow,
    Input,
    InputKind,
    Outcome,
    Point,
    Reply,
    State,
    StepContext,
    Text,
    done,
    goto,
)
from flows.observe import language_of, media_of, saved_line, text_of, too_big, where
from flows.places import author_of, place_at, place_from_text
from flows.themes import THEMES, theme_buttons
from flows.walk import LOCATE_WITHIN
from storage import observations as obs
from storage import walks as walks_db
from storage.observations import NewMedia, Place

WHO = ("resident", "user", "shopkeeper", "professional", "passerby", "other")
CHANNELS = ("street", "event", "visit", "focus", "activity", "other")
SKIP = "skip"


# Shared with /keyperson: a place from a location, "here", a typed name, or none.


def place_question(key: str) -> Reply:
    """Ask where, with the location button, "here" and "skip" on the reply keyboard."""
    return Reply(
        key, request_location="button.send_location", keyboard=("button.here", "button.skip")
    )


def here(ctx: StepContext, inp: Input) -> Place | None:
    """Return the walker's live-track position near this moment, if a walk is open."""
    if ctx.member is None:
        return None
    walk = walks_db.open_walk(ctx.session, ctx.member.id)
    if walk is None:
        return None
    point = walks_db.nearest_point(ctx.session, walk.id, inp.date, LOCATE_WITHIN)
    if point is None:
        return None
    return place_at(ctx, Point(point.lat, point.lon, point.accuracy_m), "track")


def answer_place(
    ctx: StepContext, inp: Input, draft: Mapping[str, Any], prefix: str
) -> tuple[dict[str, Any] | None, tuple[Effect, ...]]:
    """Read an answer to the place question.

    Return the draft with the place (None when the question must be asked again) and the
    acknowledgement, which also takes the reply keyboard away.
    """
    new = dict(draft)
    language = language_of(ctx)
    if inp.kind == InputKind.LOCATION and inp.location is not None:
        place: Place | None = place_at(ctx, inp.location, "message")
    elif inp.keyboard_key == "button.skip":
        new.update(place=None, place_text=None)
        return new, (Reply(f"{prefix}.place_skipped", remove_keyboard=True),)
    elif inp.keyboard_key == "button.here":
        place = here(ctx, inp)
        if place is None:
            return None, (
                Reply(
                    f"{prefix}.here_unknown",
                    request_location="button.send_location",
                    keyboard=("button.skip",),
                ),
            )
    else:
        typed = text_of(inp) or ""
        place = place_from_text(ctx, typed)
        new["place_text"] = typed or None
        if place is None:
            new["place"] = None
            return new, (Reply(f"{prefix}.place_kept", {"place": typed}, remove_keyboard=True),)
    new["place"] = asdict(place)
    return new, (
        Reply(f"{prefix}.place_noted", {"where": where(place, language)}, remove_keyboard=True),
    )


def place_in(draft: Mapping[str, Any]) -> Place | None:
    """Return the place a draft holds."""
    stored = draft.get("place")
    return Place(**stored) if stored else None


def with_answer(draft: Mapping[str, Any], field: str, inp: Input) -> dict[str, Any]:
    """Return the draft with a text or voice answer to one question (voice kept as a file)."""
    new = {**draft, field: text_of(inp)}
    for item in media_of(inp):
        new["voice"] = [*draft.get("voice", []), {"field": field, **asdict(item)}]
    return new


def voice_files(draft: Mapping[str, Any]) -> list[NewMedia]:
    """Return the voice notes a draft refers to, in the order they came."""
    return [
        NewMedia(**{k: v for k, v in item.items() if k != "field"})
        for item in draft.get("voice", [])
    ]


# Questions (also used to ask again when something unexpected arrives).


def ask_who(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Effect, ...]:
    """Ask what kind of person they talked with."""
    buttons = [Button(f"encounter.who.{code}", f"who:{code}") for code in WHO]
    rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
    return (Reply("encounter.ask_who", buttons=rows),)


def ask_where(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Effect, ...]:
    """Ask where the conversation took place."""
    return (place_question("encounter.ask_where"),)


def ask_channel(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Effect, ...]:
    """Ask how the conversation came about."""
    buttons = [Button(f"encounter.channel.{code}", f"ch:{code}") for code in CHANNELS]
    rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
    return (Reply("encounter.ask_channel", buttons=rows),)


def ask_experience(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Effect, ...]:
    """Ask how they experience living or being here."""
    return (Reply("encounter.ask_experience"),)


def ask_places(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Effect, ...]:
    """Ask which places matter to them (optional)."""
    return (Reply("encounter.ask_places", buttons=((Button("button.skip", SKIP),),)),)


def ask_needs(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Effect, ...]:
    """Ask what they miss, need or expect (optional)."""
    return (Reply("encounter.ask_needs", buttons=((Button("button.skip", SKIP),),)),)


def ask_theme(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Effect, ...]:
    """Ask for a theme (optional)."""
    rows = (*theme_buttons("theme:"), (Button("button.skip", f"theme:{SKIP}"),))
    return (Reply("encounter.ask_theme", buttons=rows),)


def ask_quote(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Effect, ...]:
    """Ask whether they agreed to be quoted without their name."""
    return (
        Reply(
            "encounter.ask_quote",
            buttons=(
                (
                    Button("encounter.quote_yes", "quote:yes"),
                    Button("encounter.quote_no", "quote:no"),
                ),
            ),
        ),
    )


# Steps.


def stale(state: str, draft: Mapping[str, Any]) -> Outcome:
    """Stay where we are after a button this state does not know."""
    return goto(state, draft, CallbackAnswer("error.stale_button"))


def start(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Begin: who did you talk with? During a walk the live track already says where."""
    place = here(ctx, inp)
    new = {"place": asdict(place), "place_source": "track"} if place else {}
    return goto("who", new, *ask_who(ctx, new))


def from_note(ctx: StepContext, note_id: int, text: str | None, place: Place | None) -> Outcome:
    """Begin with a kept note as what they said; saving the encounter turns the note into it."""
    new: dict[str, Any] = {"note_id": note_id, "experience": text}
    if place is not None:
        new["place"] = asdict(place)
    return goto("who", new, *ask_who(ctx, new))


def _after_who(ctx: StepContext, new: dict[str, Any], *effects: Effect) -> Outcome:
    """Ask where, unless the walk's track or a kept note already placed the conversation."""
    place = place_in(new)
    if place is not None:
        said = Reply("encounter.place_from_track", {"where": where(place, language_of(ctx))})
        told = (said,) if new.get("place_source") == "track" else ()
        return goto("channel", new, *effects, *told, *ask_channel(ctx, new))
    return goto("where", new, *effects, *ask_where(ctx, new))


def _after_channel(ctx: StepContext, new: dict[str, Any], *effects: Effect) -> Outcome:
    """Ask what they said, unless a kept note already holds it."""
    if "note_id" in new and "experience" in new:
        return goto("places", new, *effects, *ask_places(ctx, new))
    return goto("experience", new, *effects, *ask_experience(ctx, new))


def who_button(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Keep the kind of person tapped."""
    code = (inp.callback_data or "").removeprefix("who:")
    if code not in WHO:
        return stale("who", draft)
    new = {**draft, "who": code, "who_text": None}
    answer = Reply("encounter.who_answer", {"who": Text(f"encounter.who.{code}")}, edit=True)
    return _after_who(ctx, new, CallbackAnswer(), answer)


def who_typed(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Keep a typed kind of person."""
    new = {**draft, "who": "other", "who_text": text_of(inp)}
    return _after_who(ctx, new)


def where_answer(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Keep the place (a location, here, a typed place) or none."""
    new, effects = answer_place(ctx, inp, draft, "encounter")
    if new is None:
        return goto("where", draft, *effects)
    return goto("channel", new, *effects, *ask_channel(ctx, new))


def channel_button(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Keep the channel tapped."""
    code = (inp.callback_data or "").removeprefix("ch:")
    if code not in CHANNELS:
        return stale("channel", draft)
    new = {**draft, "channel": code, "channel_text": None}
    answer = Reply(
        "encounter.channel_answer", {"channel": Text(f"encounter.channel.{code}")}, edit=True
    )
    return _after_channel(ctx, new, CallbackAnswer(), answer)


def channel_typed(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Keep a typed channel."""
    new = {**draft, "channel": "other", "channel_text": text_of(inp)}
    return _after_channel(ctx, new)


def experience(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Keep how they experience the buurt (text or voice)."""
    new = with_answer(draft, "experience", inp)
    return goto("places", new, *ask_places(ctx, new))


def places(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Keep the places that matter to them, or skip."""
    if inp.kind == InputKind.CALLBACK:
        if inp.callback_data != SKIP:
            return stale("places", draft)
        new = {**draft, "places": None}
        return goto("needs", new, CallbackAnswer(), *ask_needs(ctx, new))
    new = with_answer(draft, "places", inp)
    return goto("needs", new, *ask_needs(ctx, new))


def needs(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Keep what they miss, need or expect, or skip."""
    if inp.kind == InputKind.CALLBACK:
        if inp.callback_data != SKIP:
            return stale("needs", draft)
        new = {**draft, "needs": None}
        return goto("theme", new, CallbackAnswer(), *ask_theme(ctx, new))
    new = with_answer(draft, "needs", inp)
    return goto("theme", new, *ask_theme(ctx, new))


def theme(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Keep the theme tapped, or none."""
    code = (inp.callback_data or "").removeprefix("theme:")
    if code == SKIP:
        new = {**draft, "theme": None}
        answer = Reply("encounter.theme_skipped", edit=True)
    elif code in THEMES:
        new = {**draft, "theme": code}
        answer = Reply("encounter.theme_answer", {"theme": Text(f"theme.{code}")}, edit=True)
    else:
        return stale("theme", draft)
    return goto("quote", new, CallbackAnswer(), answer, *ask_quote(ctx, new))


def quote(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Keep the quote consent and save the encounter."""
    value = (inp.callback_data or "").removeprefix("quote:")
    if value not in ("yes", "no"):
        return stale("quote", draft)
    assert ctx.member is not None
    quote_ok = value == "yes"
    place = place_in(draft)
    details: dict[str, Any] = {
        "who": draft.get("who"),
        "channel": draft.get("channel"),
        "experience": draft.get("experience"),
        "places": draft.get("places"),
        "needs": draft.get("needs"),
        "quote_ok": quote_ok,
        "voice": [item["field"] for item in draft.get("voice", [])],
    }
    for extra in ("who_text", "channel_text", "place_text"):
        if draft.get(extra):
            details[extra] = draft[extra]
    observation = obs.add_observation(
        ctx.session,
        organisation_id=ctx.member.organisation_id,
        member_id=ctx.member.id,
        author=author_of(ctx),
        kind="encounter",
        now=ctx.now,
        text=draft.get("needs") or draft.get("experience"),
        theme=draft.get("theme"),
        place=place,
        details=details,
        media=voice_files(draft),
        from_note=draft.get("note_id"),
    )
    key = "encounter.quote_answer_yes" if quote_ok else "encounter.quote_answer_no"
    effects: list[Effect] = [
        CallbackAnswer(),
        Reply(key, edit=True),
        saved_line(observation, place, language_of(ctx), key="encounter.saved"),
    ]
    if too_big(observation):
        effects.append(Reply("observe.file_too_big"))
    return done(*effects)


TEXT_OR_VOICE = (InputKind.TEXT, InputKind.VOICE)

ENCOUNTER = Flow(
    name="encounter",
    start=start,
    states={
        "who": State({InputKind.CALLBACK: who_button, InputKind.TEXT: who_typed}, ask_who),
        "where": State({InputKind.LOCATION: where_answer, InputKind.TEXT: where_answer}, ask_where),
        "channel": State(
            {InputKind.CALLBACK: channel_button, InputKind.TEXT: channel_typed}, ask_channel
        ),
        "experience": State({kind: experience for kind in TEXT_OR_VOICE}, ask_experience),
        "places": State(
            {InputKind.CALLBACK: places, **{kind: places for kind in TEXT_OR_VOICE}}, ask_places
        ),
        "needs": State(
            {InputKind.CALLBACK: needs, **{kind: needs for kind in TEXT_OR_VOICE}}, ask_needs
        ),
        "theme": State({InputKind.CALLBACK: theme}, ask_theme),
        "quote": State({InputKind.CALLBACK: quote}, ask_quote),
    },
)
