"""/area (coordinators): the organisation's buurt as a set of monitoring wijken.

| state  | accepts                                   | step     | goes to                      |
|--------|-------------------------------------------|----------|------------------------------|
|(start) | /area                                     | start    | menu (the current buurt)     |
| any    | text (a wijk name or number)              | search   | choose (one or more matches) |
|        |                                           |          | or menu (no match)           |
| any    | location                                  | located  | menu (wijk added, or outside)|
| menu   | callback rm                               | button   | remove (or menu when empty)  |
| menu   | callback done                             | button   | ends                         |
| choose | callback add:CODE (one of the matches)    | button   | menu (wijk added)            |
| choose | callback back                             | button   | menu                         |
| remove | callback rm:CODE                          | button   | menu (wijk removed)          |
| remove | callback back                             | button   | menu                         |

Every change is written at once (storage.buurt) and followed by the updated list. One match
asks for a confirmation; several offer up to six buttons.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flows.engine import (
    Button,
    CallbackAnswer,
    Flow,
    Input,
    InputKind,
    Outcome,
    Reply,
    State,
    StepContext,
    Text,
    done,
    goto,
)
from flows.observe import language_of
from geo import get_gazetteer, search_wijken
from storage import buurt

MAX_CHOICES = 6


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


def menu_buttons() -> tuple[tuple[Button, ...], ...]:
    """Return the buttons under the buurt: take a wijk out, or finish."""
    return ((Button("area.button_remove", "rm"),), (Button("area.button_done", "done"),))


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


def menu_prompt(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Reply, ...]:
    """Show the buurt again."""
    return (overview(ctx),)


def start(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Show the organisation's current buurt."""
    return goto("menu", {}, overview(ctx))


def _add(ctx: StepContext, code: int) -> Outcome:
    name = _name(ctx, code)
    added = buurt.add_wijk(ctx.session, _organisation(ctx), code)
    change = Text("area.added" if added else "area.already", {"name": name})
    return goto("menu", {}, CallbackAnswer(), overview(ctx, change))


def search(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Look a typed name or number up among the wijken."""
    query = (inp.text or "").strip()
    found = search_wijken(query) if query else []
    if not found:
        return goto("menu", {}, Reply("area.no_match", {"query": query}, buttons=menu_buttons()))
    new = {"codes": [w.code for w in found[:MAX_CHOICES]], "query": query}
    return goto("choose", new, *choose_prompt(ctx, new))


def choose_prompt(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Reply, ...]:
    """Offer the matches of a search: one to confirm, or several to pick from."""
    codes = [int(code) for code in draft.get("codes", [])]
    if not codes:
        return menu_prompt(ctx, draft)
    if len(codes) == 1:
        return (
            Reply(
                "area.confirm",
                {"name": _name(ctx, codes[0])},
                buttons=(
                    (
                        Button("area.button_add", f"add:{codes[0]}"),
                        Button("area.button_back", "back"),
                    ),
                ),
            ),
        )
    rows = tuple(
        (Button("area.button_wijk", f"add:{code}", {"name": _name(ctx, code)}),) for code in codes
    )
    return (
        Reply(
            "area.pick",
            {"query": draft.get("query", "")},
            buttons=(*rows, (Button("area.button_back", "back"),)),
        ),
    )


def located(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Add the wijk a location lies in; a place outside Brussels is refused politely."""
    if inp.location is None:
        return goto("menu", {}, overview(ctx))
    code = get_gazetteer().locate(inp.location.lat, inp.location.lon).wijk_code
    if code is None:
        return goto("menu", {}, Reply("area.outside", buttons=menu_buttons()))
    return _add(ctx, code)


def remove_prompt(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Reply, ...]:
    """Offer the current wijken as buttons to take one out."""
    names = _names(ctx)
    if not names:
        return (Reply("area.nothing_to_remove", buttons=menu_buttons()),)
    rows = tuple(
        (Button("area.button_remove_wijk", f"rm:{code}", {"name": name}),) for name, code in names
    )
    return (Reply("area.choose_remove", buttons=(*rows, (Button("area.button_back", "back"),))),)


def ask_remove(ctx: StepContext) -> Outcome:
    """Offer the current wijken to take one out (the menu again when there is none)."""
    state = "remove" if _names(ctx) else "menu"
    return goto(state, {}, CallbackAnswer(), *remove_prompt(ctx, {}))


def _code(value: str, prefix: str) -> int | None:
    rest = value.removeprefix(prefix)
    return int(rest) if value.startswith(prefix) and rest.isdigit() else None


def button(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Handle the buttons of every state: remove, done, add:CODE, rm:CODE, back."""
    value = inp.callback_data or ""
    if value == "done":
        names = ", ".join(name for name, _ in _names(ctx))
        return done(CallbackAnswer(), Reply("area.done", {"wijken": names or Text("area.none")}))
    if value == "rm":
        return ask_remove(ctx)
    if value == "back":
        return goto("menu", {}, CallbackAnswer(), overview(ctx))
    add = _code(value, "add:")
    if add is not None and add in draft.get("codes", []):
        return _add(ctx, add)
    remove = _code(value, "rm:")
    if remove is not None and get_gazetteer().wijk(remove) is not None:
        name = _name(ctx, remove)
        buurt.remove_wijk(ctx.session, _organisation(ctx), remove)
        change = Text("area.removed", {"name": name})
        return goto("menu", {}, CallbackAnswer(), overview(ctx, change))
    return goto("menu", {}, CallbackAnswer("error.stale_button"), overview(ctx))


ANY = {InputKind.TEXT: search, InputKind.LOCATION: located, InputKind.CALLBACK: button}

AREA = Flow(
    name="area",
    start=start,
    states={
        "menu": State(ANY, menu_prompt),
        "choose": State(ANY, choose_prompt),
        "remove": State(ANY, remove_prompt),
    },
    keeps_draft=False,
)
