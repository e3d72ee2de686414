"""What every fieldwork flow shares: saving from an input, the light acknowledgement, undo.

The buttons under a saved line stay valid across steps (global buttons, obs_button):
g|obs|ID|tags shows the theme buttons, g|obs|ID|t|THEME stores the theme, g|obs|ID|undo
deletes the observation; each line then says what happened.

/undo removes the member's latest item: a note at once, a record (several answers) or
something further back after asking.

| state   | accepts          | step      | goes to      |
|---------|------------------|-----------|--------------|
| (start) | /undo            | undo_last | confirm, end |
| confirm | tap undo:yes, no | confirm   | end          |

/undo only reaches the member's items of the last hour; once something was undone, the next
/undo asks before it removes the item before it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from flows.engine import (
    END,
    MEDIA_KINDS,
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
    ascii_id,
    done,
    goto,
    reply,
)
from flows.evidence import evidence_rows
from flows.places import place_label
from flows.themes import THEMES, theme_buttons
from storage import observations as obs
from storage.kinds import RECORD_KINDS
from storage.models import Observation
from storage.observations import NewMedia, Place

UNDO_WINDOW = timedelta(hours=1)
BUTTON_UNDO_WINDOW = timedelta(hours=24)


def media_of(inp: Input) -> list[NewMedia]:
    """Return the file an input carries, ready to store."""
    if inp.media is None or inp.kind not in MEDIA_KINDS:
        return []
    return [
        NewMedia(
            kind=inp.kind.value,
            file_id=inp.media.file_id,
            file_unique_id=inp.media.file_unique_id,
            file_size=inp.media.file_size,
            duration=inp.media.duration,
            mime_type=inp.media.mime_type,
        )
    ]


def text_of(inp: Input) -> str | None:
    """Return the words an input carries (its text or caption)."""
    value = inp.text if inp.kind == InputKind.TEXT else inp.caption
    return value.strip() if value and value.strip() else None


def too_big(observation: Observation) -> bool:
    """Say whether a file of this observation is over Telegram's 20 MB download limit."""
    return any(item.status == "too_big" for item in observation.media)


def where(place: Place | None, language: str) -> Text:
    """Return a short description of where something was saved."""
    if place is None:
        return Text("observe.no_place")
    label = place_label(place, language)
    if label is None:
        return Text("observe.outside_brussels")
    return Text("observe.in_place", {"place": label})


def saved_words(
    ctx: StepContext, observation: Observation, place: Place | None, key: str = "observe.saved"
) -> Reply:
    """Return the one-line acknowledgement of a saved observation, without its buttons."""
    params: dict[str, Any] = {"where": where(place, language_of(ctx))}
    if observation.theme:
        return Reply("observe.saved_theme", {**params, "theme": Text(f"theme.{observation.theme}")})
    return Reply(key, params)


def saved_line(
    ctx: StepContext, observation: Observation, place: Place | None, key: str = "observe.saved"
) -> Reply:
    """Return the one-line acknowledgement with theme and undo buttons, and verdict buttons.

    The verdict buttons (flows/evidence.py) mark the observation as evidence for the open
    hypotheses it concerns.
    """
    buttons = (
        (
            Button("observe.button_theme", f"g|obs|{observation.id}|tags"),
            Button("observe.button_undo", f"g|obs|{observation.id}|undo"),
        ),
        *evidence_rows(ctx, observation),
    )
    return replace(saved_words(ctx, observation, place, key), buttons=buttons)


def language_of(ctx: StepContext) -> str:
    """Return the member's language."""
    return ctx.member.language if ctx.member else ctx.config.default_language


def place_of(observation: Observation) -> Place | None:
    """Return an observation's stored place."""
    if observation.lat is None or observation.lon is None:
        return None
    return Place(
        lat=observation.lat,
        lon=observation.lon,
        accuracy_m=observation.accuracy_m,
        source=observation.location_source or "message",
        wijk_code=observation.wijk_code,
        municipality_nis=observation.municipality_nis,
        in_brussels=bool(observation.in_brussels),
        in_buurt=bool(observation.in_buurt),
    )


def obs_button(ctx: StepContext, inp: Input, args: list[str]) -> tuple[Effect, ...]:
    """Handle the buttons under a saved observation: theme, undo."""
    stale = (CallbackAnswer("error.stale_button"),)
    observation_id = ascii_id(args[0]) if args else None
    if observation_id is None or ctx.member is None:
        return stale
    observation = obs.get_observation(ctx.session, observation_id)
    if observation is None or observation.member_id != ctx.member.id:
        return stale
    action = args[1] if len(args) > 1 else ""
    if action == "tags":
        return (
            CallbackAnswer(),
            Reply(
                "observe.choose_theme",
                buttons=theme_buttons(f"g|obs|{observation.id}|t|"),
                edit=True,
            ),
        )
    if action == "t" and len(args) > 2 and args[2] in THEMES:
        observation.theme = args[2]
        return (
            CallbackAnswer("observe.theme_set", {"theme": Text(f"theme.{args[2]}")}),
            replace_edit(saved_line(ctx, observation, place_of(observation))),
        )
    if action == "undo":
        if observation.created_at < ctx.now - BUTTON_UNDO_WINDOW:
            return (CallbackAnswer("undo.too_old"),)
        obs.delete_observation(ctx.session, observation)
        return (CallbackAnswer("undo.done"), Reply("undo.done_line", edit=True))
    return stale


def replace_edit(item: Reply) -> Reply:
    """Return the same reply as an edit of the tapped message."""
    return Reply(item.key, item.params, buttons=item.buttons, edit=True)


# Records that took several answers: /undo asks before removing one.
MULTI_STEP = RECORD_KINDS
SNIPPET = 40


def describe(observation: Observation) -> Text:
    """Name an observation for the member: its kind and the start of its words, or its file."""
    kind = Text(f"kind.{observation.kind}")
    words = " ".join((observation.text or "").split())
    if words:
        snippet = words if len(words) <= SNIPPET else words[: SNIPPET - 1].rstrip() + "…"
        return Text("undo.what_text", {"kind": kind, "text": snippet})
    if observation.media:
        file = Text(f"file.{observation.media[0].kind}")
        return Text("undo.what_file", {"kind": kind, "file": file})
    return Text("undo.what", {"kind": kind})


UNDO_ANSWER = Choice(
    "undo", ("yes", "no"), label={"yes": "undo.button_yes", "no": "undo.button_no"}
)


@dataclass(frozen=True)
class UndoDraft:
    """The item /undo asks about."""

    id: int = 0


def _ask(observation: Observation, key: str) -> Reply:
    return Reply(key, {"what": describe(observation)}, buttons=UNDO_ANSWER.rows(per_row=2))


def _remove(ctx: StepContext, observation: Observation) -> Text:
    """Delete an observation and remember the moment, so the next /undo asks first."""
    what = describe(observation)
    obs.delete_observation(ctx.session, observation)
    assert ctx.member is not None
    ctx.member.last_undo_at = ctx.now
    return what


def undo_last(ctx: StepContext, inp: Input, draft: UndoDraft) -> Outcome[UndoDraft]:
    """Remove the member's latest item of the last hour, asking first where that matters."""
    if ctx.member is None:
        return done(reply("stranger.how_to_join"))
    latest = obs.last_observation(ctx.session, ctx.member.id, ctx.now, UNDO_WINDOW)
    if latest is None:
        return done(reply("undo.nothing"))
    undone = ctx.member.last_undo_at
    reaches_back = undone is not None and undone >= latest.created_at
    if reaches_back:
        return goto(
            "confirm", UndoDraft(latest.id), _ask(latest, "undo.confirm_earlier"), ask=False
        )
    if latest.kind in MULTI_STEP:
        return goto("confirm", UndoDraft(latest.id))
    return done(reply("undo.deleted", what=_remove(ctx, latest)))


def confirm(ctx: StepContext, inp: Input, draft: UndoDraft, answer: str) -> Outcome[Any]:
    """Remove the item asked about, or keep it."""
    observation = obs.get_observation(ctx.session, draft.id)
    if observation is None or ctx.member is None or observation.member_id != ctx.member.id:
        return done(CallbackAnswer("error.stale_button"), Reply("undo.gone", edit=True))
    if answer == "no":
        kept = Reply("undo.kept", {"what": describe(observation)}, edit=True)
        return done(CallbackAnswer(), kept)
    what = _remove(ctx, observation)
    return done(CallbackAnswer("undo.done"), Reply("undo.deleted", {"what": what}, edit=True))


def ask_again(ctx: StepContext, draft: UndoDraft) -> tuple[Effect, ...]:
    """Ask about the item /undo would remove."""
    observation = obs.get_observation(ctx.session, draft.id)
    if observation is None:
        return (reply("undo.nothing"),)
    return (_ask(observation, "undo.confirm"),)


UNDO = Flow(
    name="undo",
    draft=UndoDraft,
    start=Go(undo_last, "confirm", END),
    states={"confirm": State(ask_again, {UNDO_ANSWER: Go(confirm, END)})},
    keeps_draft=False,
)
