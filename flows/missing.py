"""/missing: what the buurt lacks, or no longer has, and what that does to people's lives.

| state       | accepts                                      | step                 | goes to     |
|-------------|----------------------------------------------|----------------------|-------------|
| (start)     | /missing                                     | start                | what        |
| what        | text, photo, voice, video                    | what                 | theme       |
| theme       | callback th:THEME, th:- (skip)               | choose_theme         | status      |
| theme       | photo, voice, video (more about it); text    | more                 | theme       |
|             | that is not a theme's label is asked again   |                      |             |
| status      | callback st:never, st:year, st:1to5,         | choose_status        | place       |
|             | st:longer, st:unknown                        |                      |             |
| place       | location; text: keyboard "skip" or a place   | place_location,      | alternative |
|             |                                              | place_text           | (or place)  |
| alternative | location; text: keyboard "nowhere" or any    | alternative_location,| transport   |
|             | typed place (matched offline when possible)  | alternative_text     | (nowhere:   |
|             |                                              |                      | affected)   |
| transport   | callback tr:foot, bike, transit, car, lift,  | choose_transport     | affected    |
|             | online, none                                 |                      |             |
| affected    | text, voice, callback skip                   | affected             | impact      |
| impact      | text, voice, callback skip                   | impact               | ends (saved)|

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
    Reaction,
    Reply,
    State,
    StepContext,
    Text,
    done,
    goto,
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
from flows.themes import THEMES, theme_buttons
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
SKIP = "skip"


# Questions (also used to ask again when something unexpected arrives).


def ask_what(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Reply, ...]:
    """Ask what is missing."""
    return (Reply("missing.ask_what", remove_keyboard=True),)


def ask_theme(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Reply, ...]:
    """Ask for a theme (optional)."""
    rows = (*theme_buttons("th:"), (Button("button.skip", f"th:{SKIP_THEME}"),))
    return (Reply("missing.ask_theme", buttons=rows),)


def ask_status(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Reply, ...]:
    """Ask whether it was never there or disappeared, and roughly when."""
    rows = tuple((Button(f"missing.status.{value}", f"st:{value}"),) for value in STATUSES)
    return (Reply("missing.ask_status", buttons=rows),)


def ask_place(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Reply, ...]:
    """Ask where it is missing: a location, a typed place, or skip."""
    return (
        Reply(
            "missing.ask_place",
            request_location="button.send_location",
            keyboard=("button.skip",),
        ),
    )


def ask_alternative(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Reply, ...]:
    """Ask where people go instead, saying first what was understood of the place."""
    place = _place(draft)
    if place is None:
        noted = Text("missing.place_none")
    else:
        noted = Text("missing.place_noted", {"where": where(place, language_of(ctx))})
    return (
        Reply(
            "missing.ask_alternative",
            {"noted": noted},
            request_location="button.send_location",
            keyboard=("button.nowhere",),
        ),
    )


def ask_transport(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Reply, ...]:
    """Ask how people get to the other place."""
    buttons = [Button(f"missing.transport.{value}", f"tr:{value}") for value in TRANSPORTS]
    rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
    return (Reply("missing.ask_transport", buttons=rows),)


def ask_affected(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Reply, ...]:
    """Ask who feels it most (optional)."""
    return (Reply("missing.ask_affected", buttons=((Button("button.skip", SKIP),),)),)


def ask_impact(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Reply, ...]:
    """Ask what it changes for people's lives or the organisation's work (optional)."""
    return (Reply("missing.ask_impact", buttons=((Button("button.skip", SKIP),),)),)


def chosen(question: str, answer: str) -> Reply:
    """Return the tapped question, edited to show the answer (and without its buttons)."""
    return Reply("missing.chosen", {"question": Text(question), "answer": Text(answer)}, edit=True)


# Draft helpers: everything in the draft is plain JSON.


def _media_dicts(inp: Input, role: str) -> list[dict[str, Any]]:
    return [{**asdict(item), "role": role} for item in media_of(inp)]


def _place(draft: Mapping[str, Any]) -> Place | None:
    value = draft.get("place")
    return Place(**value) if value else None


def _reference(
    ctx: StepContext, draft: Mapping[str, Any]
) -> tuple[tuple[float, float], str] | None:
    """Return the point distances are measured from: the missing place, else the buurt."""
    place = _place(draft)
    if place is not None:
        return (place.lat, place.lon), "place"
    centre = buurt_centre(ctx)
    return (centre, "buurt") if centre is not None else None


# Steps.


def start(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Begin a report of something missing."""
    return goto("what", {}, *ask_what(ctx, {}))


def what(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Keep what is missing (words, a photo or a voice message) and ask for a theme."""
    text = text_of(inp)
    media = _media_dicts(inp, "what")
    if text is None and not media:
        return goto("what", draft, *ask_what(ctx, draft))
    new_draft = {
        "text": text,
        "media": media,
        "chat_id": inp.chat_id,
        "message_id": inp.message_id,
    }
    return goto("theme", new_draft, *ask_theme(ctx, new_draft))


def from_note(ctx: StepContext, note_id: int, text: str | None, theme: str | None) -> Outcome:
    """Begin a report with a kept note as what is missing; saving it turns the note into it."""
    new_draft = {"text": text, "media": [], "note_id": note_id}
    if theme in THEMES:
        new_draft["theme"] = theme
        return goto("status", new_draft, *ask_status(ctx, new_draft))
    return goto("theme", new_draft, *ask_theme(ctx, new_draft))


def more(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Add a second message about the missing thing (a photo after the words, say).

    The step bumps the chat's button version, so the theme question comes again, fresh.
    """
    text = text_of(inp)
    texts = [t for t in (draft.get("text"), text) if t]
    new_draft = {
        **draft,
        "text": "\n".join(texts) if texts else None,
        "media": [*draft.get("media", []), *_media_dicts(inp, "what")],
    }
    return goto("theme", new_draft, Reaction(), *ask_theme(ctx, new_draft))


def choose_theme(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Keep the theme (or none) and ask whether it was never there or disappeared."""
    value = (inp.callback_data or "").removeprefix("th:")
    if value != SKIP_THEME and value not in THEMES:
        return goto("theme", draft, CallbackAnswer("error.stale_button"), *ask_theme(ctx, draft))
    theme = None if value == SKIP_THEME else value
    new_draft = {**draft, "theme": theme}
    effects: list[Effect] = [CallbackAnswer()]
    if theme is not None:
        effects.append(chosen("missing.ask_theme", f"theme.{theme}"))
    return goto("status", new_draft, *effects, *ask_status(ctx, new_draft))


def choose_status(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Keep never / disappeared (and since when), then ask where it is missing."""
    value = (inp.callback_data or "").removeprefix("st:")
    if value not in STATUSES:
        return goto("status", draft, CallbackAnswer("error.stale_button"), *ask_status(ctx, draft))
    status, since = STATUSES[value]
    new_draft = {**draft, "status": status, "since": since}
    return goto(
        "place",
        new_draft,
        CallbackAnswer(),
        chosen("missing.ask_status", f"missing.status.{value}"),
        *ask_place(ctx, new_draft),
    )


def _with_place(ctx: StepContext, draft: Mapping[str, Any], place: Place | None) -> Outcome:
    new_draft = {**draft, "place": asdict(place) if place is not None else None}
    return goto("alternative", new_draft, *ask_alternative(ctx, new_draft))


def place_location(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """A location says where it is missing."""
    if inp.location is None:
        return goto("place", draft, *ask_place(ctx, draft))
    return _with_place(ctx, draft, place_at(ctx, inp.location, "message"))


def place_text(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """ "Skip" means no place; other words are matched to a wijk or municipality."""
    if inp.keyboard_key == "button.skip":
        return _with_place(ctx, draft, None)
    place = place_from_text(ctx, inp.text or "")
    if place is None:
        return goto(
            "place",
            draft,
            Reply(
                "missing.place_unknown",
                request_location="button.send_location",
                keyboard=("button.skip",),
            ),
        )
    return _with_place(ctx, draft, place)


def _with_alternative(
    ctx: StepContext, draft: Mapping[str, Any], label: Any, source: str, place: Place | None
) -> Outcome:
    """Keep the other place, its distance when both points are known, then ask how."""
    new_draft: dict[str, Any] = {
        **draft,
        "alternative": label if isinstance(label, str) else None,
        "alternative_source": source,
        "alternative_lat": place.lat if place else None,
        "alternative_lon": place.lon if place else None,
        "alternative_wijk": place.wijk_code if place else None,
        "distance_m": None,
        "distance_from": None,
    }
    shown = Text("missing.outside_brussels") if label is None else label
    fields, noted = went_elsewhere(
        place,
        shown,
        _reference(ctx, draft),
        language_of(ctx),
        ("missing.alternative_km", "missing.alternative_noted", "missing.from_"),
    )
    new_draft.update(fields)
    return goto("transport", new_draft, noted, *ask_transport(ctx, new_draft))


def alternative_location(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """A location says where people go instead."""
    if inp.location is None:
        return goto("alternative", draft, *ask_alternative(ctx, draft))
    place = place_at(ctx, inp.location, "message")
    label = place_label(place, language_of(ctx))
    return _with_alternative(ctx, draft, label, "location", place)


def alternative_text(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """ "Nowhere" skips the way there; other words are kept, with a point when they match."""
    if inp.keyboard_key == "button.nowhere":
        new_draft = {
            **draft,
            "alternative": None,
            "alternative_source": "nowhere",
            "alternative_lat": None,
            "alternative_lon": None,
            "alternative_wijk": None,
            "distance_m": None,
            "distance_from": None,
            "transport": None,
        }
        return goto(
            "affected",
            new_draft,
            Reply("missing.alternative_none", remove_keyboard=True),
            *ask_affected(ctx, new_draft),
        )
    typed = text_of(inp)
    if typed is None:
        return goto("alternative", draft, *ask_alternative(ctx, draft))
    return _with_alternative(ctx, draft, typed, "typed", place_from_text(ctx, typed))


def choose_transport(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Keep how people get there, then ask who feels it most."""
    value = (inp.callback_data or "").removeprefix("tr:")
    if value not in TRANSPORTS:
        return goto(
            "transport", draft, CallbackAnswer("error.stale_button"), *ask_transport(ctx, draft)
        )
    new_draft = {**draft, "transport": value}
    return goto(
        "affected",
        new_draft,
        CallbackAnswer(),
        chosen("missing.ask_transport", f"missing.transport.{value}"),
        *ask_affected(ctx, new_draft),
    )


def _answer(inp: Input, draft: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    """Return the draft with an optional answer (words, a voice message or skip), or None."""
    if inp.kind == InputKind.CALLBACK:
        if inp.callback_data != SKIP:
            return None
        return {**draft, name: None}
    return {
        **draft,
        name: text_of(inp),
        "media": [*draft.get("media", []), *_media_dicts(inp, name)],
    }


def affected(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Keep who feels it most, then ask what it changes."""
    new_draft = _answer(inp, draft, "affected")
    if new_draft is None:
        return goto(
            "affected", draft, CallbackAnswer("error.stale_button"), *ask_affected(ctx, draft)
        )
    return goto("impact", new_draft, *ask_impact(ctx, new_draft))


def impact(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Keep what it changes and save the whole report."""
    new_draft = _answer(inp, draft, "impact")
    if new_draft is None:
        return goto("impact", draft, CallbackAnswer("error.stale_button"), *ask_impact(ctx, draft))
    return save(ctx, new_draft)


def save(ctx: StepContext, draft: Mapping[str, Any]) -> Outcome:
    """Store the observation and end with the saved line."""
    assert ctx.member is not None
    media_items = list(draft.get("media", []))
    details: dict[str, Any] = {
        name: draft.get(name)
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
    if media_items:
        details["media_roles"] = [item["role"] for item in media_items]
    place = _place(draft)
    observation = obs.add_observation(
        ctx.session,
        organisation_id=ctx.member.organisation_id,
        member_id=ctx.member.id,
        author=author_of(ctx),
        kind="missing",
        now=ctx.now,
        text=draft.get("text"),
        theme=draft.get("theme"),
        place=place,
        chat_id=draft.get("chat_id"),
        message_id=draft.get("message_id"),
        details=details,
        media=[NewMedia(**{k: v for k, v in item.items() if k != "role"}) for item in media_items],
        from_note=draft.get("note_id"),
    )
    effects: list[Effect] = [
        CallbackAnswer(),
        saved_line(observation, place, language_of(ctx), key="missing.saved"),
    ]
    if too_big(observation):
        effects.append(Reply("observe.file_too_big"))
    return done(*effects)


MISSING = Flow(
    name="missing",
    start=start,
    states={
        "what": State(
            {
                InputKind.TEXT: what,
                InputKind.PHOTO: what,
                InputKind.VOICE: what,
                InputKind.VIDEO: what,
            },
            ask_what,
        ),
        "theme": State(
            {
                InputKind.CALLBACK: choose_theme,
                # Typed words are no theme and no longer join the description: asked again.
                InputKind.PHOTO: more,
                InputKind.VOICE: more,
                InputKind.VIDEO: more,
            },
            ask_theme,
        ),
        "status": State({InputKind.CALLBACK: choose_status}, ask_status),
        "place": State({InputKind.LOCATION: place_location, InputKind.TEXT: place_text}, ask_place),
        "alternative": State(
            {InputKind.LOCATION: alternative_location, InputKind.TEXT: alternative_text},
            ask_alternative,
        ),
        "transport": State({InputKind.CALLBACK: choose_transport}, ask_transport),
        "affected": State(
            {InputKind.TEXT: affected, InputKind.VOICE: affected, InputKind.CALLBACK: affected},
            ask_affected,
        ),
        "impact": State(
            {InputKind.TEXT: impact, InputKind.VOICE: impact, InputKind.CALLBACK: impact},
            ask_impact,
        ),
    },
)
