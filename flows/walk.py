"""/walk and /endwalk: walk the buurt; everything sent meanwhile is a note on the track.

walk:

| state      | accepts                            | step            | goes to         |
|------------|------------------------------------|-----------------|-----------------|
| (start)    | /walk                              | start           | walking         |
| walking    | text, photo, voice, video,         | note            | end             |
|            | document                           |                 |                 |
| walking    | location                           | location        | end             |
| walking    | keyboard skip                      | skip_place      | end             |
| walking    | tap focus:meeting, borders, shops, | choose_focus    | (stays)         |
|            | green, mobility, missing, free     |                 |                 |
| reflection | text, voice                        | reflect         | end             |
| reflection | tap refl:skip                      | skip_reflection | end             |
| (any)      | /endwalk                           | end_walk        | reflection, end |
| (any)      | /walk                              | already_walking | walking         |
| (any)      | /cancel                            | cancel_walking  | walking, end    |

endwalk:

| state      | accepts       | step            | goes to         |
|------------|---------------|-----------------|-----------------|
| (start)    | /endwalk      | end_walk        | reflection, end |
| reflection | text, voice   | reflect         | end             |
| reflection | tap refl:skip | skip_reflection | end             |

In the background (any state): live locations feed the track; a stopped share is noticed;
an edited text corrects its note. After another flow (an encounter) the chat returns here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING

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
    reply,
    stay,
)
from flows.menu import menu_for
from flows.observe import language_of, media_of, saved_line, text_of, too_big, where
from flows.places import author_of, format_km, place_at, track_place
from geo import get_gazetteer, track_length_m
from storage import observations as obs
from storage import organisations as orgs
from storage import pipeline
from storage import walks as walks_db
from storage.models import Member, Walk
from storage.observations import Place

if TYPE_CHECKING:
    from flows.router import Position

FOCUSES = ("meeting", "borders", "shops", "green", "mobility", "missing", "free")
FORGOTTEN_AFTER = timedelta(hours=3)
LIVE_QUIET = timedelta(minutes=15)
PROMPT_EVERY = 4
PROMPTS = 8
FOCUS = Choice("focus", FOCUSES, label="walk.focus.{}")
NO_REFLECTION = Choice("refl", ("skip",), label="button.skip")


@dataclass(frozen=True)
class WalkDraft:
    """The open walk, and its notes waiting for the answer to "where was this?"."""

    walk_id: int | None = None
    awaiting: tuple[int, ...] = ()


def focus_buttons() -> tuple[tuple[Button, ...], ...]:
    """Return the optional focus choices, two per row."""
    return FOCUS.rows(per_row=2)


def walking_prompt(ctx: StepContext, draft: WalkDraft) -> tuple[Reply, ...]:
    """Remind the walker what to do (when something unexpected arrives)."""
    return (reply("walk.walking_hint"),)


def _walk(ctx: StepContext) -> Walk | None:
    return walks_db.open_walk(ctx.session, ctx.member.id) if ctx.member else None


def start(ctx: StepContext, inp: Input, draft: WalkDraft) -> Outcome[WalkDraft]:
    """Begin a walk at once; the focus is optional."""
    assert ctx.member is not None
    walk = _walk(ctx)
    if walk is not None:
        return onward(WalkDraft(walk.id), reply("walk.already"), ask=False)
    walk = walks_db.start_walk(
        ctx.session,
        organisation_id=ctx.member.organisation_id,
        member_id=ctx.member.id,
        author=author_of(ctx),
        chat_id=inp.chat_id or 0,
        now=ctx.now,
    )
    started = Reply("walk.started", buttons=focus_buttons())
    return onward(WalkDraft(walk.id), started, ask=False)


def choose_focus(ctx: StepContext, inp: Input, draft: WalkDraft, focus: str) -> Outcome[WalkDraft]:
    """Store the focus the walker tapped."""
    walk = _walk(ctx)
    if walk is None:
        return stay(draft, CallbackAnswer("error.stale_button"))
    walk.focus = focus
    chosen = Reply("walk.focus_set", {"focus": Text(f"walk.focus.{focus}")}, edit=True)
    return stay(draft, CallbackAnswer(), chosen)


def _position(ctx: StepContext, walk: Walk, inp: Input) -> Place | None:
    if inp.location is not None:
        return place_at(ctx, inp.location, "message")
    return track_place(ctx, walk.id, inp.date)


def note(ctx: StepContext, inp: Input, draft: WalkDraft) -> Outcome[WalkDraft]:
    """Save whatever was sent as a walk note at once, then acknowledge it lightly."""
    assert ctx.member is not None
    walk = _walk(ctx)
    if walk is None:
        return done(reply("walk.not_walking"))
    place = _position(ctx, walk, inp)
    observation = obs.add_observation(
        ctx.session,
        organisation_id=ctx.member.organisation_id,
        member_id=ctx.member.id,
        author=walk.author,
        kind="walk_note",
        now=ctx.now,
        text=text_of(inp),
        place=place,
        walk_id=walk.id,
        chat_id=inp.chat_id,
        message_id=inp.message_id,
        details={"focus": walk.focus} if walk.focus else {},
        media=media_of(inp),
    )
    effects: list[Effect] = [Reaction(), saved_line(ctx, observation, place)]
    if too_big(observation):
        effects.append(reply("observe.file_too_big"))
    if place is None:
        if not draft.awaiting:
            effects.append(
                Reply(
                    "walk.where_was_this",
                    request_location="button.send_location",
                    keyboard=("button.skip",),
                )
            )
        draft = replace(draft, awaiting=(*draft.awaiting, observation.id))
    count = walks_db.count_walk_notes(ctx.session, walk.id)
    if count % PROMPT_EVERY == 0:
        effects.append(reply(f"walk.prompt.{walk.prompts_sent % PROMPTS + 1}"))
        walk.prompts_sent += 1
    return stay(draft, *effects)


def location(ctx: StepContext, inp: Input, draft: WalkDraft) -> Outcome[WalkDraft]:
    """Place the notes waiting for a location, or save the location itself as a note."""
    if not draft.awaiting or inp.location is None:
        return note(ctx, inp, draft)
    place = place_at(ctx, inp.location, "asked")
    placed = 0
    for observation_id in draft.awaiting:
        observation = obs.get_observation(ctx.session, observation_id)
        if observation is not None and observation.lat is None:
            obs.set_place(observation, place)
            placed += 1
    added = Reply(
        "walk.location_added",
        {"count": placed, "where": where(place, language_of(ctx))},
        remove_keyboard=True,
    )
    return stay(replace(draft, awaiting=()), added)


def skip_place(ctx: StepContext, inp: Input, draft: WalkDraft) -> Outcome[WalkDraft]:
    """A typed "skip" answers the location question; without a question it is a note."""
    if draft.awaiting:
        skipped = Reply("walk.location_skipped", remove_keyboard=True)
        return stay(replace(draft, awaiting=()), skipped)
    return note(ctx, inp, draft)


def summary(ctx: StepContext, walk: Walk) -> Reply:
    """Return the walk's summary: duration, distance, notes, wijken crossed."""
    points = walks_db.track(ctx.session, walk.id)
    distance = track_length_m((p.lat, p.lon) for p in points) if len(points) > 1 else 0.0
    walk.distance_m = distance
    notes = walks_db.walk_notes(ctx.session, walk.id)
    codes = {p.wijk_code for p in points if p.wijk_code is not None}
    codes |= {n.wijk_code for n in notes if n.wijk_code is not None}
    language = language_of(ctx)
    gazetteer = get_gazetteer()
    names = sorted(gazetteer.wijk_name(code, language) for code in codes)
    end = walk.ended_at or ctx.now
    minutes = max(0, int((end - walk.started_at).total_seconds() // 60))
    return Reply(
        "walk.summary",
        {
            "hours": minutes // 60,
            "minutes": minutes % 60,
            "km": format_km(distance, language),
            "notes": len(notes),
            "wijken": ", ".join(names) if names else Text("walk.no_wijken"),
        },
    )


def close_walk(ctx: StepContext, walk: Walk, reason: str) -> Reply:
    """End a walk now and return its summary."""
    walk.ended_at = ctx.now
    walk.closed_reason = reason
    return summary(ctx, walk)


def end_walk(ctx: StepContext, inp: Input, draft: WalkDraft) -> Outcome[WalkDraft]:
    """Close the walk, show the summary and invite a reflection."""
    walk = _walk(ctx)
    if walk is None:
        return done(reply("walk.not_walking"))
    sharing = (
        walk.live_message_id is not None
        and walk.sharing_stopped_at is None
        and (walk.live_until is None or walk.live_until > ctx.now)
    )
    report = close_walk(ctx, walk, "ended")
    if sharing:
        # Said once; later positions of this share are not answered (see live_location).
        return goto("reflection", WalkDraft(walk.id), report, reply("walk.stop_sharing"))
    return goto("reflection", WalkDraft(walk.id), report)


def reflect(ctx: StepContext, inp: Input, draft: WalkDraft) -> Outcome[WalkDraft]:
    """Keep the walker's reflection (text or voice) with the walk."""
    assert ctx.member is not None
    walk = walks_db.get_walk(ctx.session, draft.walk_id) if draft.walk_id else None
    obs.add_observation(
        ctx.session,
        organisation_id=ctx.member.organisation_id,
        member_id=ctx.member.id,
        author=walk.author if walk else author_of(ctx),
        kind="walk_note",
        now=ctx.now,
        text=text_of(inp),
        walk_id=walk.id if walk else None,
        chat_id=inp.chat_id,
        message_id=inp.message_id,
        details={"reflection": True},
        media=media_of(inp),
    )
    return done(reply("walk.reflection_saved"))


def skip_reflection(
    ctx: StepContext, inp: Input, draft: WalkDraft, value: str
) -> Outcome[WalkDraft]:
    """Finish without a reflection."""
    return done(CallbackAnswer(), reply("walk.thanks"))


def ask_reflection(ctx: StepContext, draft: WalkDraft) -> tuple[Reply, ...]:
    """Ask for a reflection."""
    return (Reply("walk.ask_reflection", buttons=NO_REFLECTION.rows()),)


def cancel_walking(ctx: StepContext, inp: Input, draft: WalkDraft) -> Outcome[WalkDraft]:
    """/cancel during a walk drops a pending question, but the walk goes on.

    After /endwalk (at the reflection) there is no walk to go on with: the chat is free.
    """
    if _walk(ctx) is None:
        return done(Reply("cancel.done", remove_keyboard=True))
    cancelled = Reply("walk.cancel_hint", remove_keyboard=True)
    return goto("walking", replace(draft, awaiting=()), cancelled, ask=False)


def already_walking(ctx: StepContext, inp: Input, draft: WalkDraft) -> Outcome[WalkDraft]:
    """Answer /walk during a walk; at the reflection of an ended one, start a new walk."""
    if _walk(ctx) is None:
        return start(ctx, inp, WalkDraft())
    return goto("walking", draft, reply("walk.already"), ask=False)


# Whatever the walker sends is a note; the step ends the flow only when the walk is gone.
NOTE = Go(note, END)
REFLECTION = State(
    ask_reflection,
    {
        TEXT: Go(reflect, END),
        VOICE: Go(reflect, END),
        NO_REFLECTION: Go(skip_reflection, END),
    },
)

WALK = Flow(
    name="walk",
    draft=WalkDraft,
    start=Go(start, "walking"),
    states={
        "walking": State(
            walking_prompt,
            {
                TEXT: NOTE,
                PHOTO: NOTE,
                VOICE: NOTE,
                VIDEO: NOTE,
                DOCUMENT: NOTE,
                LOCATION: Go(location, END),
                SKIP_KEY: Go(skip_place, END),
                FOCUS: Go(choose_focus),
            },
        ),
        "reflection": REFLECTION,
    },
    keeps_draft=False,
    commands={
        "endwalk": Go(end_walk, "reflection", END),
        "walk": Go(already_walking, "walking"),
    },
    cancel=Go(cancel_walking, "walking", END),
)
ENDWALK = Flow(
    name="endwalk",
    draft=WalkDraft,
    start=Go(end_walk, "reflection", END),
    states={"reflection": REFLECTION},
    keeps_draft=False,
)


# Background: live locations, stopped shares and corrected notes, in any state.


def live_location(ctx: StepContext, inp: Input) -> tuple[Effect, ...] | None:
    """Add a live-location position to the open walk's track."""
    walk = _walk(ctx)
    if walk is None or inp.location is None:
        # Only a share's first message earns the hint; its moves (edits) pass in silence, so a
        # share left running after /endwalk is not answered for hours.
        started = not inp.edited and inp.live_period is not None
        return (reply("walk.live_without_walk"),) if started and walk is None else ()
    code = get_gazetteer().locate(inp.location.lat, inp.location.lon).wijk_code
    new_share = walk.live_message_id != inp.message_id
    walks_db.add_track_point(
        ctx.session,
        walk,
        inp.date,
        inp.location.lat,
        inp.location.lon,
        inp.location.accuracy_m,
        code,
    )
    if not new_share:
        return ()
    walk.live_message_id = inp.message_id
    walk.sharing_stopped_at = None
    if inp.live_period:
        walk.live_until = inp.date + timedelta(seconds=inp.live_period)
    return (reply("walk.tracking"),)


def live_stopped(ctx: StepContext, inp: Input) -> tuple[Effect, ...] | None:
    """Notice that the walker stopped sharing their live location."""
    walk = _walk(ctx)
    if walk is None or walk.live_message_id != inp.message_id or walk.sharing_stopped_at:
        return ()
    walk.sharing_stopped_at = ctx.now
    return (reply("walk.sharing_stopped"),)


def corrected(ctx: StepContext, inp: Input) -> tuple[Effect, ...] | None:
    """An edited message corrects the note it became."""
    if inp.chat_id is None or inp.message_id is None or not inp.text:
        return ()
    observation = obs.find_by_message(ctx.session, inp.chat_id, inp.message_id)
    if observation is None or ctx.member is None or observation.member_id != ctx.member.id:
        return ()
    observation.text = inp.text.strip()
    return (Reaction(),)


def resume_walk(ctx: StepContext) -> Position | None:
    """Put the chat back into the walk after another flow, while a walk is open."""
    from flows.router import Position  # the router imports the registry, which imports this

    walk = _walk(ctx)
    if walk is None:
        return None
    return Position(flow=WALK.name, state="walking", draft=WALK.write(WalkDraft(walk.id)))


# Scheduled: stopped shares and forgotten walks.


def sweep(ctx: StepContext) -> list[tuple[int, int, tuple[Effect, ...]]]:
    """Return (chat, member id, effects) for walks whose sharing stopped or that were forgotten."""
    results: list[tuple[int, int, tuple[Effect, ...]]] = []
    for walk in walks_db.live_sharing_ended(ctx.session, ctx.now, LIVE_QUIET):
        walk.sharing_stopped_at = ctx.now
        if walk.member_id is not None:
            results.append((walk.chat_id, walk.member_id, (reply("walk.sharing_stopped"),)))
    for walk in walks_db.walks_to_close(ctx.session, ctx.now, FORGOTTEN_AFTER):
        walker = walk_member(ctx, walk)
        member_ctx = replace(ctx, member=walker)
        report = close_walk(member_ctx, walk, "forgotten")
        if walker is not None:
            # The walk's buttons (end walk ...) make way for the walker's usual menu.
            report = replace(report, menu=menu_for(walker.role))
        state = pipeline.get_chat_state(ctx.session, walk.chat_id)
        if state is not None and state.flow == "walk":
            pipeline.delete_chat_state(ctx.session, walk.chat_id)
        if walk.member_id is not None:
            results.append((walk.chat_id, walk.member_id, (reply("walk.closed_forgotten"), report)))
    return results


def walk_member(ctx: StepContext, walk: Walk) -> Member | None:
    """Return the member who walks a walk."""
    return orgs.member_by_id(ctx.session, walk.member_id) if walk.member_id else None
