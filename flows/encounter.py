"""/encounter: a conversation with someone in the buurt — who, where, how, what they said.

| state      | accepts                            | step           | goes to            |
|------------|------------------------------------|----------------|--------------------|
| (start)    | /encounter                         | start          | who                |
| (entry)    | note                               | from_note      | who                |
| who        | tap who:resident, user,            | who_tapped     | where, channel     |
|            | shopkeeper, professional,          |                |                    |
|            | passerby, other                    |                |                    |
| who        | text                               | who_typed      | where, channel     |
| where      | location, keyboard here, keyboard  | where_answer   | channel            |
|            | skip, text                         |                |                    |
| channel    | tap ch:street, event, visit,       | channel_tapped | experience, places |
|            | focus, activity, other             |                |                    |
| channel    | text                               | channel_typed  | experience, places |
| experience | text, voice                        | experience     | places             |
| places     | tap skip                           | no_places      | needs              |
| places     | text, voice                        | places         | needs              |
| needs      | tap skip                           | no_needs       | theme              |
| needs      | text, voice                        | needs          | theme              |
| theme      | tap theme:THEME, skip              | theme          | quote              |
| quote      | tap quote:yes, no                  | quote          | end                |

Nothing is stored before the last answer: the draft holds the answers (voice notes as file
references) and /cancel drops it. The observation (kind "encounter") keeps each answer in its
details; its text is what they miss or need, else how they experience the buurt. "Here" means the
walker's live-track position while a walk is open; otherwise the location button is offered.
A conversation the live track or a kept note already placed skips "where"; a kept note's words
are what they said, so "experience" is skipped too.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, TypeVar

from flows.engine import (
    END,
    HERE_KEY,
    LOCATION,
    SKIP_KEY,
    TEXT,
    VOICE,
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
from flows.observe import language_of, media_of, saved_line, text_of, too_big, where
from flows.places import author_of, place_at, place_from_text, walk_place
from flows.themes import theme_choice, theme_rows
from storage import observations as obs
from storage.observations import NewMedia, Place

WHO = Choice(
    "who",
    ("resident", "user", "shopkeeper", "professional", "passerby", "other"),
    label="encounter.who.{}",
)
CHANNEL = Choice(
    "ch", ("street", "event", "visit", "focus", "activity", "other"), label="encounter.channel.{}"
)
SKIP = Choice("", ("skip",), label="button.skip")
THEME = theme_choice("theme", skip="skip")
QUOTE = Choice("quote", ("yes", "no"), label="encounter.quote_{}")


# Shared with /keyperson: a place from a location, "here", a typed name, or none.


@dataclass(frozen=True)
class PlaceAnswer:
    """The answer to a "where?" question: a place (when known) and the words typed for it."""

    place: Place | None = None
    place_text: str | None = None


A = TypeVar("A", bound=PlaceAnswer)


def place_question(key: str) -> Reply:
    """Ask where, with the location button, "here" and "skip" on the reply keyboard."""
    return Reply(
        key, request_location="button.send_location", keyboard=("button.here", "button.skip")
    )


def answer_place(
    ctx: StepContext, inp: Input, draft: A, prefix: str
) -> tuple[A | None, tuple[Effect, ...]]:
    """Read an answer to the place question (a location, "here", "skip" or typed words).

    Return the draft with the place (None when the question must be asked again) and the
    acknowledgement, which also takes the reply keyboard away.
    """
    language = language_of(ctx)
    if inp.kind == InputKind.LOCATION and inp.location is not None:
        place: Place | None = place_at(ctx, inp.location, "message")
    elif inp.keyboard_key == SKIP_KEY.key:
        skipped = Reply(f"{prefix}.place_skipped", remove_keyboard=True)
        return replace(draft, place=None, place_text=None), (skipped,)
    elif inp.keyboard_key == HERE_KEY.key:
        place = walk_place(ctx, inp.date)
        if place is None:
            unknown = Reply(
                f"{prefix}.here_unknown",
                request_location="button.send_location",
                keyboard=("button.skip",),
            )
            return None, (unknown,)
    else:
        typed = text_of(inp) or ""
        place = place_from_text(ctx, typed)
        draft = replace(draft, place_text=typed or None)
        if place is None:
            kept = Reply(f"{prefix}.place_kept", {"place": typed}, remove_keyboard=True)
            return replace(draft, place=None), (kept,)
    noted = Reply(f"{prefix}.place_noted", {"where": where(place, language)}, remove_keyboard=True)
    return replace(draft, place=place), (noted,)


# The draft: nothing is stored before the last answer.


@dataclass(frozen=True)
class VoiceAnswer:
    """A voice message answering one question, kept as Telegram's file reference until saved."""

    field: str
    kind: str
    file_id: str
    file_unique_id: str
    file_size: int | None = None
    duration: int | None = None
    mime_type: str | None = None


@dataclass(frozen=True)
class EncounterDraft(PlaceAnswer):
    """The answers so far; `place_source` "track" when the walk's live track placed it."""

    place_source: str | None = None
    note_id: int | None = None
    who: str | None = None
    who_text: str | None = None
    channel: str | None = None
    channel_text: str | None = None
    experience: str | None = None
    places: str | None = None
    needs: str | None = None
    theme: str | None = None
    voice: tuple[VoiceAnswer, ...] = ()


def with_answer(draft: EncounterDraft, field: str, inp: Input) -> EncounterDraft:
    """Return the draft with a text or voice answer to one question (voice kept as a file)."""
    voice = tuple(VoiceAnswer(field, **asdict(item)) for item in media_of(inp))
    answer: dict[str, Any] = {field: text_of(inp)}
    return replace(draft, **answer, voice=(*draft.voice, *voice))


def voice_files(draft: EncounterDraft) -> list[NewMedia]:
    """Return the voice notes a draft refers to, in the order they came."""
    return [
        NewMedia(
            item.kind,
            item.file_id,
            item.file_unique_id,
            item.file_size,
            item.duration,
            item.mime_type,
        )
        for item in draft.voice
    ]


# Questions (also used to ask again when something unexpected arrives).


def ask_who(ctx: StepContext, draft: EncounterDraft) -> tuple[Effect, ...]:
    """Ask what kind of person they talked with."""
    return (Reply("encounter.ask_who", buttons=WHO.rows(per_row=2)),)


def ask_where(ctx: StepContext, draft: EncounterDraft) -> tuple[Effect, ...]:
    """Ask where the conversation took place."""
    return (place_question("encounter.ask_where"),)


def ask_channel(ctx: StepContext, draft: EncounterDraft) -> tuple[Effect, ...]:
    """Ask how the conversation came about."""
    return (Reply("encounter.ask_channel", buttons=CHANNEL.rows(per_row=2)),)


def ask_experience(ctx: StepContext, draft: EncounterDraft) -> tuple[Effect, ...]:
    """Ask how they experience living or being here."""
    return (Reply("encounter.ask_experience"),)


def ask_places(ctx: StepContext, draft: EncounterDraft) -> tuple[Effect, ...]:
    """Ask which places matter to them (optional)."""
    return (Reply("encounter.ask_places", buttons=SKIP.rows()),)


def ask_needs(ctx: StepContext, draft: EncounterDraft) -> tuple[Effect, ...]:
    """Ask what they miss, need or expect (optional)."""
    return (Reply("encounter.ask_needs", buttons=SKIP.rows()),)


def ask_theme(ctx: StepContext, draft: EncounterDraft) -> tuple[Effect, ...]:
    """Ask for a theme (optional)."""
    return (Reply("encounter.ask_theme", buttons=theme_rows(THEME)),)


def ask_quote(ctx: StepContext, draft: EncounterDraft) -> tuple[Effect, ...]:
    """Ask whether they agreed to be quoted without their name."""
    return (Reply("encounter.ask_quote", buttons=QUOTE.rows(per_row=2)),)


# Steps.


def start(ctx: StepContext, inp: Input, draft: EncounterDraft) -> Outcome[EncounterDraft]:
    """Begin: who did you talk with? During a walk the live track already says where."""
    place = walk_place(ctx, inp.date)
    return onward(EncounterDraft(place=place, place_source="track") if place else draft)


def from_note(
    ctx: StepContext, note_id: int, text: str | None, place: Place | None
) -> Outcome[EncounterDraft]:
    """Begin with a kept note as what they said; saving the encounter turns the note into it."""
    return goto("who", EncounterDraft(place=place, note_id=note_id, experience=text))


def _after_who(
    ctx: StepContext, draft: EncounterDraft, *effects: Effect
) -> Outcome[EncounterDraft]:
    """Ask where, unless the walk's track or a kept note already placed the conversation."""
    if draft.place is not None:
        said = Reply("encounter.place_from_track", {"where": where(draft.place, language_of(ctx))})
        told = (said,) if draft.place_source == "track" else ()
        return goto("channel", draft, *effects, *told)
    return goto("where", draft, *effects)


def _after_channel(
    ctx: StepContext, draft: EncounterDraft, *effects: Effect
) -> Outcome[EncounterDraft]:
    """Ask what they said, unless a kept note already holds it."""
    return goto("places" if draft.note_id is not None else "experience", draft, *effects)


def who_tapped(
    ctx: StepContext, inp: Input, draft: EncounterDraft, code: str
) -> Outcome[EncounterDraft]:
    """Keep the kind of person tapped."""
    answer = Reply("encounter.who_answer", {"who": Text(f"encounter.who.{code}")}, edit=True)
    return _after_who(ctx, replace(draft, who=code, who_text=None), CallbackAnswer(), answer)


def who_typed(ctx: StepContext, inp: Input, draft: EncounterDraft) -> Outcome[EncounterDraft]:
    """Keep a typed kind of person."""
    return _after_who(ctx, replace(draft, who="other", who_text=text_of(inp)))


def where_answer(ctx: StepContext, inp: Input, draft: EncounterDraft) -> Outcome[EncounterDraft]:
    """Keep the place (a location, here, a typed place) or none."""
    placed, effects = answer_place(ctx, inp, draft, "encounter")
    if placed is None:
        return stay(draft, *effects)
    return onward(placed, *effects)


def channel_tapped(
    ctx: StepContext, inp: Input, draft: EncounterDraft, code: str
) -> Outcome[EncounterDraft]:
    """Keep the channel tapped."""
    answer = Reply(
        "encounter.channel_answer", {"channel": Text(f"encounter.channel.{code}")}, edit=True
    )
    chosen = replace(draft, channel=code, channel_text=None)
    return _after_channel(ctx, chosen, CallbackAnswer(), answer)


def channel_typed(ctx: StepContext, inp: Input, draft: EncounterDraft) -> Outcome[EncounterDraft]:
    """Keep a typed channel."""
    return _after_channel(ctx, replace(draft, channel="other", channel_text=text_of(inp)))


def experience(ctx: StepContext, inp: Input, draft: EncounterDraft) -> Outcome[EncounterDraft]:
    """Keep how they experience the buurt (text or voice)."""
    return onward(with_answer(draft, "experience", inp))


def places(ctx: StepContext, inp: Input, draft: EncounterDraft) -> Outcome[EncounterDraft]:
    """Keep the places that matter to them (text or voice)."""
    return onward(with_answer(draft, "places", inp))


def no_places(
    ctx: StepContext, inp: Input, draft: EncounterDraft, value: str
) -> Outcome[EncounterDraft]:
    """Skip the places."""
    return onward(replace(draft, places=None), CallbackAnswer())


def needs(ctx: StepContext, inp: Input, draft: EncounterDraft) -> Outcome[EncounterDraft]:
    """Keep what they miss, need or expect (text or voice)."""
    return onward(with_answer(draft, "needs", inp))


def no_needs(
    ctx: StepContext, inp: Input, draft: EncounterDraft, value: str
) -> Outcome[EncounterDraft]:
    """Skip the needs."""
    return onward(replace(draft, needs=None), CallbackAnswer())


def theme(
    ctx: StepContext, inp: Input, draft: EncounterDraft, code: str
) -> Outcome[EncounterDraft]:
    """Keep the theme tapped, or none."""
    if code == "skip":
        chosen = replace(draft, theme=None)
        answer = Reply("encounter.theme_skipped", edit=True)
    else:
        chosen = replace(draft, theme=code)
        answer = Reply("encounter.theme_answer", {"theme": Text(f"theme.{code}")}, edit=True)
    return onward(chosen, CallbackAnswer(), answer)


def quote(ctx: StepContext, inp: Input, draft: EncounterDraft, value: str) -> Outcome[Any]:
    """Keep the quote consent and save the encounter."""
    assert ctx.member is not None
    quote_ok = value == "yes"
    details: dict[str, Any] = {
        "who": draft.who,
        "channel": draft.channel,
        "experience": draft.experience,
        "places": draft.places,
        "needs": draft.needs,
        "quote_ok": quote_ok,
        "voice": [item.field for item in draft.voice],
    }
    for extra in ("who_text", "channel_text", "place_text"):
        if getattr(draft, extra):
            details[extra] = getattr(draft, extra)
    observation = obs.add_observation(
        ctx.session,
        organisation_id=ctx.member.organisation_id,
        member_id=ctx.member.id,
        author=author_of(ctx),
        kind="encounter",
        now=ctx.now,
        text=draft.needs or draft.experience,
        theme=draft.theme,
        place=draft.place,
        details=details,
        media=voice_files(draft),
        from_note=draft.note_id,
    )
    key = "encounter.quote_answer_yes" if quote_ok else "encounter.quote_answer_no"
    effects: list[Effect] = [
        CallbackAnswer(),
        Reply(key, edit=True),
        saved_line(ctx, observation, draft.place, key="encounter.saved"),
    ]
    if too_big(observation):
        effects.append(Reply("observe.file_too_big"))
    return done(*effects)


AFTER_WHO = ("where", "channel")
AFTER_CHANNEL = ("experience", "places")
PLACE_ANSWER = Go(where_answer, "channel")

ENCOUNTER = Flow(
    name="encounter",
    draft=EncounterDraft,
    start=Go(start, "who"),
    entries={"note": Go(from_note, "who")},
    states={
        "who": State(ask_who, {WHO: Go(who_tapped, *AFTER_WHO), TEXT: Go(who_typed, *AFTER_WHO)}),
        "where": State(
            ask_where,
            {
                LOCATION: PLACE_ANSWER,
                HERE_KEY: PLACE_ANSWER,
                SKIP_KEY: PLACE_ANSWER,
                TEXT: PLACE_ANSWER,
            },
        ),
        "channel": State(
            ask_channel,
            {CHANNEL: Go(channel_tapped, *AFTER_CHANNEL), TEXT: Go(channel_typed, *AFTER_CHANNEL)},
        ),
        "experience": State(
            ask_experience, {TEXT: Go(experience, "places"), VOICE: Go(experience, "places")}
        ),
        "places": State(
            ask_places,
            {SKIP: Go(no_places, "needs"), TEXT: Go(places, "needs"), VOICE: Go(places, "needs")},
        ),
        "needs": State(
            ask_needs,
            {SKIP: Go(no_needs, "theme"), TEXT: Go(needs, "theme"), VOICE: Go(needs, "theme")},
        ),
        "theme": State(ask_theme, {THEME: Go(theme, "quote")}),
        "quote": State(ask_quote, {QUOTE: Go(quote, END)}),
    },
)
