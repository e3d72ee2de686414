"""/area (coordinators): the organisation's buurt as a set of monitoring wijken.

| state   | accepts      | step           | goes to      |
|---------|--------------|----------------|--------------|
| (start) | /area        | start          | menu         |
| menu    | tap rm       | start_removing | remove, menu |
| menu    | tap done     | finish         | end          |
| menu    | text         | search         | menu, choose |
| menu    | location     | located        | menu         |
| choose  | tap add:CODE | add            | menu         |
| choose  | tap back     | back           | menu         |
| choose  | text         | search         | menu, choose |
| choose  | location     | located        | menu         |
| remove  | tap rm:CODE  | remove         | menu         |
| remove  | tap back     | back           | menu         |
| remove  | text         | search         | menu, choose |
| remove  | location     | located        | menu         |

Every change is written at once (storage.buurt) and followed by the updated list. One match
asks for a confirmation; several offer up to six buttons.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from flows.engine import (
    END,
    LOCATION,
    TEXT,
    Accepts,
    Button,
    CallbackAnswer,
    Choice,
    Flow,
    Go,
    Input,
    Outcome,
    Reply,
    State,
    StepContext,
    Text,
    done,
    goto,
    onward,
)
from flows.observe import language_of
from geo import get_gazetteer, search_wijken
from storage import buurt

MAX_CHOICES = 6


@dataclass(frozen=True)
class AreaDraft:
    """The wijken a search found, offered to add, and the words searched for."""

    codes: tuple[int, ...] = ()
    query: str = ""


def _organisation(ctx: StepContext) -> int:
    assert ctx.member is not None
    return ctx.member.organisation_id


def _name(ctx: StepContext, code: int) -> str:
    return get_gazetteer().wijk_name(code, language_of(ctx))


def _names(ctx: StepContext) -> list[tuple[str, int]]:
    """Return the buurt's wijken as (name, code), sorted by name in the member's language."""
    codes = buurt.list_wijken(ctx.session, _organisation(ctx))
    gazetteer = get_gazetteer()
    return sorted((_name(ctx, code), code) for code in codes if gazetteer.wijk(code))


def found_codes(ctx: StepContext, draft: AreaDraft) -> Collection[str]:
    """Return the wijken a search found, as their buttons send them."""
    return {str(code) for code in draft.codes}


def buurt_codes(ctx: StepContext, draft: AreaDraft) -> Collection[str]:
    """Return the buurt's wijken, as their buttons send them."""
    return {str(code) for _, code in _names(ctx)}


START_REMOVING = Choice("", ("rm",), label="area.button_remove")
FINISHED = Choice("", ("done",), label="area.button_done")
BACK = Choice("", ("back",), label="area.button_back")
ADD = Choice("add", found_codes, label="area.button_wijk", shown="CODE")
REMOVE = Choice("rm", buurt_codes, label="area.button_remove_wijk", shown="CODE")


def menu_buttons() -> tuple[tuple[Button, ...], ...]:
    """Return the buttons under the buurt: take a wijk out, or finish."""
    return (*START_REMOVING.rows(), *FINISHED.rows())


def overview(ctx: StepContext, change: Text | None = None) -> Reply:
    """Return the current buurt with the remove and done buttons, after a change if any."""
    names = _names(ctx)
    lines = (
        tuple(Text("area.wijk_line", {"name": name}) for name, _ in names)
        if names
        else (Text("area.none_yet"),)
    )
    buttons = menu_buttons()
    if change is None:
        return Reply("area.current", {"wijken": lines}, buttons=buttons)
    return Reply("area.changed", {"change": change, "wijken": lines}, buttons=buttons)


def menu_prompt(ctx: StepContext, draft: AreaDraft) -> tuple[Reply, ...]:
    """Show the buurt."""
    return (overview(ctx),)


def start(ctx: StepContext, inp: Input, draft: AreaDraft) -> Outcome[AreaDraft]:
    """Show the organisation's current buurt."""
    return onward(draft)


def _changed(ctx: StepContext, change: Text) -> Outcome[AreaDraft]:
    """Show the buurt after a change."""
    return goto("menu", AreaDraft(), CallbackAnswer(), overview(ctx, change), ask=False)


def _add(ctx: StepContext, code: int) -> Outcome[AreaDraft]:
    name = _name(ctx, code)
    added = buurt.add_wijk(ctx.session, _organisation(ctx), code)
    return _changed(ctx, Text("area.added" if added else "area.already", {"name": name}))


def search(ctx: StepContext, inp: Input, draft: AreaDraft) -> Outcome[AreaDraft]:
    """Look a typed name or number up among the wijken."""
    query = (inp.text or "").strip()
    found = search_wijken(query) if query else []
    if not found:
        no_match = Reply("area.no_match", {"query": query}, buttons=menu_buttons())
        return goto("menu", AreaDraft(), no_match, ask=False)
    return goto("choose", AreaDraft(tuple(w.code for w in found[:MAX_CHOICES]), query))


def choose_prompt(ctx: StepContext, draft: AreaDraft) -> tuple[Reply, ...]:
    """Offer the matches of a search: one to confirm, or several to pick from."""
    codes = draft.codes
    if not codes:
        return menu_prompt(ctx, draft)
    if len(codes) == 1:
        return (
            Reply(
                "area.confirm",
                {"name": _name(ctx, codes[0])},
                buttons=((ADD.button(str(codes[0]), "area.button_add"), BACK.button("back")),),
            ),
        )
    rows = tuple((ADD.button(str(code), name=_name(ctx, code)),) for code in codes)
    return (Reply("area.pick", {"query": draft.query}, buttons=(*rows, *BACK.rows())),)


def located(ctx: StepContext, inp: Input, draft: AreaDraft) -> Outcome[AreaDraft]:
    """Add the wijk a location lies in; a place outside Brussels is refused politely."""
    if inp.location is None:
        return goto("menu", AreaDraft())
    code = get_gazetteer().locate(inp.location.lat, inp.location.lon).wijk_code
    if code is None:
        outside = Reply("area.outside", buttons=menu_buttons())
        return goto("menu", AreaDraft(), outside, ask=False)
    return _add(ctx, code)


def remove_prompt(ctx: StepContext, draft: AreaDraft) -> tuple[Reply, ...]:
    """Offer the current wijken as buttons to take one out."""
    names = _names(ctx)
    if not names:
        return (Reply("area.nothing_to_remove", buttons=menu_buttons()),)
    rows = tuple((REMOVE.button(str(code), name=name),) for name, code in names)
    return (Reply("area.choose_remove", buttons=(*rows, *BACK.rows())),)


def start_removing(ctx: StepContext, inp: Input, draft: AreaDraft, value: str) -> Outcome[Any]:
    """Offer the current wijken to take one out (the menu again when there is none)."""
    state = "remove" if _names(ctx) else "menu"
    return goto(state, AreaDraft(), CallbackAnswer(), *remove_prompt(ctx, draft), ask=False)


def finish(ctx: StepContext, inp: Input, draft: AreaDraft, value: str) -> Outcome[Any]:
    """Close the buurt with its list of wijken."""
    names = ", ".join(name for name, _ in _names(ctx))
    return done(CallbackAnswer(), Reply("area.done", {"wijken": names or Text("area.none")}))


def back(ctx: StepContext, inp: Input, draft: AreaDraft, value: str) -> Outcome[AreaDraft]:
    """Go back to the buurt."""
    return goto("menu", AreaDraft(), CallbackAnswer())


def add(ctx: StepContext, inp: Input, draft: AreaDraft, code: str) -> Outcome[AreaDraft]:
    """Add the wijk tapped among the matches."""
    return _add(ctx, int(code))


def remove(ctx: StepContext, inp: Input, draft: AreaDraft, code: str) -> Outcome[AreaDraft]:
    """Take the wijk tapped out of the buurt."""
    name = _name(ctx, int(code))
    buurt.remove_wijk(ctx.session, _organisation(ctx), int(code))
    return _changed(ctx, Text("area.removed", {"name": name}))


# Typed words and locations are searched and added from any of the states.
ANYWHERE: dict[Accepts, Go[AreaDraft]] = {
    TEXT: Go(search, "menu", "choose"),
    LOCATION: Go(located, "menu"),
}

AREA = Flow(
    name="area",
    draft=AreaDraft,
    start=Go(start, "menu"),
    states={
        "menu": State(
            menu_prompt,
            {
                START_REMOVING: Go(start_removing, "remove", "menu"),
                FINISHED: Go(finish, END),
                **ANYWHERE,
            },
        ),
        "choose": State(choose_prompt, {ADD: Go(add, "menu"), BACK: Go(back, "menu"), **ANYWHERE}),
        "remove": State(
            remove_prompt, {REMOVE: Go(remove, "menu"), BACK: Go(back, "menu"), **ANYWHERE}
        ),
    },
    keeps_draft=False,
)
