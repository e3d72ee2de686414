"""/missing: what the buurt lacks, or no longer has, and what that does to people's lives.

| state       | accepts                            | step                 | goes to       |
|-------------|------------------------------------|----------------------|---------------|
| (start)     | /missing                           | start                | what          |
| (entry)     | note                               | from_note            | theme, status |
| what        | text, photo, voice, video          | what                 | theme         |
| theme       | tap th:THEME, -                    | choose_theme         | status        |
| theme       | photo, voice, video                | more                 | (stays)       |
| status      | tap st:never, year, 1to5, longer,  | choose_status        | place         |
|             | unknown                            |                      |               |
| place       | location                           | place_location       | alternative   |
| place       | keyboard skip                      | no_place             | alternative   |
| place       | text                               | place_text           | alternative   |
| alternative | location                           | alternative_location | transport     |
| alternative | keyboard nowhere                   | nowhere              | affected      |
| alternative | text                               | alternative_text     | transport     |
| transport   | tap tr:foot, bike, transit, car,   | choose_transport     | affected      |
|             | lift, online, none                 |                      |               |
| affected    | tap skip                           | no_affected          | impact        |
| affected    | text, voice                        | affected             | impact        |
| impact      | tap skip                           | no_impact            | end           |
| impact      | text, voice                        | impact               | end           |

Nothing is stored before the last answer: the draft holds the answers (files as Telegram file
references) and /cancel drops it. The observation (kind "missing") has the missing thing as its
text and files, and "where it is missing" as its place (only when the member gives one). Its
details: status (never / disappeared), since (this_year / 1_5_years / longer / unknown),
alternative (typed text or the place's wijk name), alternative_source (location / typed /
nowhere), alternative_lat / _lon / _wijk, distance_m and distance_from (from the missing
place, else from the centre of the organisation's buurt wijken), transport, affected, impact,
and media_roles (per file, in order: what / affected / impact).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from flows.engine import (
    END,
    LOCATION,
    NOWHERE_KEY,
    PHOTO,
    SKIP_KEY,
    TEXT,
    VIDEO,
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
from flows.observe import language_of, media_of, saved_line, text_of, too_big, where
from flows.places import (
    author_of,
    buurt_centre,
    place_at,
    place_from_text,
    place_label,
    went_elsewhere,
)
from flows.themes import THEMES, theme_choice, theme_rows
from storage import observations as obs
from storage.observations import NewMedia, Place

STATUSES = {
    "never": ("never", None),
    "year": ("disappeared", "this_year"),
    "1to5": ("disappeared", "1_5_years"),
    "longer": ("disappeared", "longer"),
    "unknown": ("disappeared", "unknown"),
}
TRANSPORTS = ("foot", "bike", "transit", "car", "lift", "online", "none")
SKIP_THEME = "-"

THEME = theme_choice("th", skip=SKIP_THEME)
STATUS = Choice("st", tuple(STATUSES), label="missing.status.{}")
TRANSPORT = Choice("tr", TRANSPORTS, label="missing.transport.{}")
SKIP = Choice("", ("skip",), label="button.skip")


# The draft: everything is plain JSON, and nothing is stored before the last answer.


@dataclass(frozen=True)
class RoleMedia:
    """A file sent in answer to one question (what / affected / impact), not yet downloaded."""

    role: str
    kind: str
    file_id: str
    file_unique_id: str
    file_size: int | None = None
    duration: int | None = None
    mime_type: str | None = None


@dataclass(frozen=True)
class MissingDraft:
    """The report so far: what is missing, where, where people go instead, who feels it."""

    text: str | None = None
    media: tuple[RoleMedia, ...] = ()
    chat_id: int | None = None
    message_id: int | None = None
    note_id: int | None = None
    theme: str | None = None
    status: str | None = None
    since: str | None = None
    place: Place | None = None
    alternative: str | None = None
    alternative_source: str | None = None
    alternative_lat: float | None = None
    alternative_lon: float | None = None
    alternative_wijk: int | None = None
    distance_m: int | None = None
    distance_from: str | None = None
    transport: str | None = None
    affected: str | None = None
    impact: str | None = None


def role_media(inp: Input, role: str) -> tuple[RoleMedia, ...]:
    """Return the file an input carries, marked with the question it answers."""
    return tuple(RoleMedia(role, **asdict(item)) for item in media_of(inp))


def stored_media(media: tuple[RoleMedia, ...]) -> list[NewMedia]:
    """Return a draft's files as they are stored with the observation, in the order they came."""
    return [
        NewMedia(m.kind, m.file_id, m.file_unique_id, m.file_size, m.duration, m.mime_type)
        for m in media
    ]


# Questions (also used to ask again when something unexpected arrives).


def ask_what(ctx: StepContext, draft: MissingDraft) -> tuple[Reply, ...]:
    """Ask what is missing."""
    return (Reply("missing.ask_what", remove_keyboard=True),)


def ask_theme(ctx: StepContext, draft: MissingDraft) -> tuple[Reply, ...]:
    """Ask for a theme (optional)."""
    return (Reply("missing.ask_theme", buttons=theme_rows(THEME)),)


def ask_status(ctx: StepContext, draft: MissingDraft) -> tuple[Reply, ...]:
    """Ask whether it was never there or disappeared, and roughly when."""
    return (Reply("missing.ask_status", buttons=STATUS.rows()),)


def ask_place(ctx: StepContext, draft: MissingDraft) -> tuple[Reply, ...]:
    """Ask where it is missing: a location, a typed place, or skip."""
    return (
        Reply(
            "missing.ask_place",
            request_location="button.send_location",
            keyboard=("button.skip",),
        ),
    )


def ask_alternative(ctx: StepContext, draft: MissingDraft) -> tuple[Reply, ...]:
    """Ask where people go instead, saying first what was understood of the place."""
    if draft.place is None:
        noted = Text("missing.place_none")
    else:
        noted = Text("missing.place_noted", {"where": where(draft.place, language_of(ctx))})
    return (
        Reply(
            "missing.ask_alternative",
            {"noted": noted},
            request_location="button.send_location",
            keyboard=("button.nowhere",),
        ),
    )


def ask_transport(ctx: StepContext, draft: MissingDraft) -> tuple[Reply, ...]:
    """Ask how people get to the other place."""
    return (Reply("missing.ask_transport", buttons=TRANSPORT.rows(per_row=2)),)


def ask_affected(ctx: StepContext, draft: MissingDraft) -> tuple[Reply, ...]:
    """Ask who feels it most (optional)."""
    return (Reply("missing.ask_affected", buttons=SKIP.rows()),)


def ask_impact(ctx: StepContext, draft: MissingDraft) -> tuple[Reply, ...]:
    """Ask what it changes for people's lives or the organisation's work (optional)."""
    return (Reply("missing.ask_impact", buttons=SKIP.rows()),)


def chosen(question: str, answer: str) -> Reply:
    """Return the tapped question, edited to show the answer (and without its buttons)."""
    return Reply("missing.chosen", {"question": Text(question), "answer": Text(answer)}, edit=True)


def _reference(ctx: StepContext, draft: MissingDraft) -> tuple[tuple[float, float], str] | None:
    """Return the point distances are measured from: the missing place, else the buurt."""
    if draft.place is not None:
        return (draft.place.lat, draft.place.lon), "place"
    centre = buurt_centre(ctx)
    return (centre, "buurt") if centre is not None else None


# Steps.


def start(ctx: StepContext, inp: Input, draft: MissingDraft) -> Outcome[MissingDraft]:
    """Begin a report of something missing."""
    return onward(draft)


def what(ctx: StepContext, inp: Input, draft: MissingDraft) -> Outcome[MissingDraft]:
    """Keep what is missing (words, a photo or a voice message) and ask for a theme."""
    text = text_of(inp)
    media = role_media(inp, "what")
    if text is None and not media:
        return stay(draft, ask=True)
    return onward(
        MissingDraft(text=text, media=media, chat_id=inp.chat_id, message_id=inp.message_id)
    )


def from_note(
    ctx: StepContext, note_id: int, text: str | None, theme: str | None
) -> Outcome[MissingDraft]:
    """Begin a report with a kept note as what is missing; saving it turns the note into it."""
    report = MissingDraft(text=text, note_id=note_id)
    if theme in THEMES:
        return goto("status", replace(report, theme=theme))
    return goto("theme", report)


def more(ctx: StepContext, inp: Input, draft: MissingDraft) -> Outcome[MissingDraft]:
    """Add a second message about the missing thing (a photo after the words, say).

    The step bumps the chat's button version, so the theme question comes again, fresh.
    """
    texts = [t for t in (draft.text, text_of(inp)) if t]
    added = replace(
        draft,
        text="\n".join(texts) if texts else None,
        media=(*draft.media, *role_media(inp, "what")),
    )
    return stay(added, Reaction(), ask=True)


def choose_theme(
    ctx: StepContext, inp: Input, draft: MissingDraft, value: str
) -> Outcome[MissingDraft]:
    """Keep the theme (or none) and ask whether it was never there or disappeared."""
    theme = None if value == SKIP_THEME else value
    effects: list[Effect] = [CallbackAnswer()]
    if theme is not None:
        effects.append(chosen("missing.ask_theme", f"theme.{theme}"))
    return onward(replace(draft, theme=theme), *effects)


def choose_status(
    ctx: StepContext, inp: Input, draft: MissingDraft, value: str
) -> Outcome[MissingDraft]:
    """Keep never / disappeared (and since when), then ask where it is missing."""
    status, since = STATUSES[value]
    answer = chosen("missing.ask_status", f"missing.status.{value}")
    return onward(replace(draft, status=status, since=since), CallbackAnswer(), answer)


def place_location(ctx: StepContext, inp: Input, draft: MissingDraft) -> Outcome[MissingDraft]:
    """A location says where it is missing."""
    if inp.location is None:
        return stay(draft, ask=True)
    return onward(replace(draft, place=place_at(ctx, inp.location, "message")))


def no_place(ctx: StepContext, inp: Input, draft: MissingDraft) -> Outcome[MissingDraft]:
    """ "Skip" means no place."""
    return onward(replace(draft, place=None))


def place_text(ctx: StepContext, inp: Input, draft: MissingDraft) -> Outcome[MissingDraft]:
    """Typed words are matched to a wijk or municipality."""
    place = place_from_text(ctx, inp.text or "")
    if place is None:
        unknown = Reply(
            "missing.place_unknown",
            request_location="button.send_location",
            keyboard=("button.skip",),
        )
        return stay(draft, unknown)
    return onward(replace(draft, place=place))


def _with_alternative(
    ctx: StepContext, draft: MissingDraft, label: Any, source: str, place: Place | None
) -> Outcome[MissingDraft]:
    """Keep the other place, its distance when both points are known, then ask how."""
    shown = Text("missing.outside_brussels") if label is None else label
    distance_m, distance_from, noted = went_elsewhere(
        place,
        shown,
        _reference(ctx, draft),
        language_of(ctx),
        ("missing.alternative_km", "missing.alternative_noted", "missing.from_"),
    )
    went = replace(
        draft,
        alternative=label if isinstance(label, str) else None,
        alternative_source=source,
        alternative_lat=place.lat if place else None,
        alternative_lon=place.lon if place else None,
        alternative_wijk=place.wijk_code if place else None,
        distance_m=distance_m,
        distance_from=distance_from,
    )
    return onward(went, noted)


def alternative_location(
    ctx: StepContext, inp: Input, draft: MissingDraft
) -> Outcome[MissingDraft]:
    """A location says where people go instead."""
    if inp.location is None:
        return stay(draft, ask=True)
    place = place_at(ctx, inp.location, "message")
    label = place_label(place, language_of(ctx))
    return _with_alternative(ctx, draft, label, "location", place)


def nowhere(ctx: StepContext, inp: Input, draft: MissingDraft) -> Outcome[MissingDraft]:
    """ "Nowhere" skips the way there."""
    none = replace(
        draft,
        alternative=None,
        alternative_source="nowhere",
        alternative_lat=None,
        alternative_lon=None,
        alternative_wijk=None,
        distance_m=None,
        distance_from=None,
        transport=None,
    )
    return onward(none, Reply("missing.alternative_none", remove_keyboard=True))


def alternative_text(ctx: StepContext, inp: Input, draft: MissingDraft) -> Outcome[MissingDraft]:
    """Typed words are kept, with a point when they match a place."""
    typed = text_of(inp)
    if typed is None:
        return stay(draft, ask=True)
    return _with_alternative(ctx, draft, typed, "typed", place_from_text(ctx, typed))


def choose_transport(
    ctx: StepContext, inp: Input, draft: MissingDraft, value: str
) -> Outcome[MissingDraft]:
    """Keep how people get there, then ask who feels it most."""
    answer = chosen("missing.ask_transport", f"missing.transport.{value}")
    return onward(replace(draft, transport=value), CallbackAnswer(), answer)


def _answered(inp: Input, draft: MissingDraft, name: str) -> MissingDraft:
    """Return the draft with an optional answer in words or a voice message."""
    answer: dict[str, Any] = {name: text_of(inp)}
    return replace(draft, **answer, media=(*draft.media, *role_media(inp, name)))


def affected(ctx: StepContext, inp: Input, draft: MissingDraft) -> Outcome[MissingDraft]:
    """Keep who feels it most, then ask what it changes."""
    return onward(_answered(inp, draft, "affected"))


def no_affected(
    ctx: StepContext, inp: Input, draft: MissingDraft, value: str
) -> Outcome[MissingDraft]:
    """Skip who feels it most."""
    return onward(replace(draft, affected=None))


def impact(ctx: StepContext, inp: Input, draft: MissingDraft) -> Outcome[Any]:
    """Keep what it changes and save the whole report."""
    return save(ctx, _answered(inp, draft, "impact"))


def no_impact(ctx: StepContext, inp: Input, draft: MissingDraft, value: str) -> Outcome[Any]:
    """Skip what it changes and save the whole report."""
    return save(ctx, replace(draft, impact=None))


def save(ctx: StepContext, draft: MissingDraft) -> Outcome[Any]:
    """Store the observation and end with the saved line."""
    assert ctx.member is not None
    details: dict[str, Any] = {
        name: getattr(draft, name)
        for name in (
            "status",
            "since",
            "alternative",
            "alternative_source",
            "alternative_lat",
            "alternative_lon",
            "alternative_wijk",
            "distance_m",
            "distance_from",
            "transport",
            "affected",
            "impact",
        )
    }
    if draft.media:
        details["media_roles"] = [item.role for item in draft.media]
    observation = obs.add_observation(
        ctx.session,
        organisation_id=ctx.member.organisation_id,
        member_id=ctx.member.id,
        author=author_of(ctx),
        kind="missing",
        now=ctx.now,
        text=draft.text,
        theme=draft.theme,
        place=draft.place,
        chat_id=draft.chat_id,
        message_id=draft.message_id,
        details=details,
        media=stored_media(draft.media),
        from_note=draft.note_id,
    )
    effects: list[Effect] = [
        CallbackAnswer(),
        saved_line(ctx, observation, draft.place, key="missing.saved"),
    ]
    if too_big(observation):
        effects.append(Reply("observe.file_too_big"))
    return done(*effects)


WHAT = Go(what, "theme")
MORE = Go(more)

MISSING = Flow(
    name="missing",
    draft=MissingDraft,
    start=Go(start, "what"),
    entries={"note": Go(from_note, "theme", "status")},
    states={
        "what": State(ask_what, {TEXT: WHAT, PHOTO: WHAT, VOICE: WHAT, VIDEO: WHAT}),
        # Typed words are no theme and no longer join the description: asked again.
        "theme": State(
            ask_theme, {THEME: Go(choose_theme, "status"), PHOTO: MORE, VOICE: MORE, VIDEO: MORE}
        ),
        "status": State(ask_status, {STATUS: Go(choose_status, "place")}),
        "place": State(
            ask_place,
            {
                LOCATION: Go(place_location, "alternative"),
                SKIP_KEY: Go(no_place, "alternative"),
                TEXT: Go(place_text, "alternative"),
            },
        ),
        "alternative": State(
            ask_alternative,
            {
                LOCATION: Go(alternative_location, "transport"),
                NOWHERE_KEY: Go(nowhere, "affected"),
                TEXT: Go(alternative_text, "transport"),
            },
        ),
        "transport": State(ask_transport, {TRANSPORT: Go(choose_transport, "affected")}),
        "affected": State(
            ask_affected,
            {
                SKIP: Go(no_affected, "impact"),
                TEXT: Go(affected, "impact"),
                VOICE: Go(affected, "impact"),
            },
        ),
        "impact": State(
            ask_impact,
            {SKIP: Go(no_impact, END), TEXT: Go(impact, END), VOICE: Go(impact, END)},
        ),
    },
)
