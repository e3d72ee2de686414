"""Route one input: commands, /cancel, buttons, the current flow's state table, or idle.

| input                     | when                       | goes to                          |
|---------------------------|----------------------------|----------------------------------|
| group or channel message  | always                     | flows/teamfeed.py: link, unlink, |
|                           |                            | a comment, or one short line     |
| blocked / unblocked       | always                     | member marked (in)active         |
| /cancel                   | in a flow / idle           | flow left / 'nothing to cancel'  |
| other command             | idle, or flow without draft| the command's flow               |
| other command             | flow with a draft          | 'abandon the draft?' yes / no    |
| button (callback)         | stale or forged            | polite toast, nothing changes    |
| global button (g|...)     | always                     | its handler (checks ownership)   |
| live location, edits      | always                     | background handler (walk track)  |
| recording input           | consent text changed       | the new text, agree / decline    |
| anything else             | in a flow                  | the state's step, or ask again   |
| a file or location        | in a flow whose state does | kept as a note of its own, and   |
|                           | not take it                | the question asked again         |
| verdict word replying to  | always (team members)      | evidence marked for a hypothesis |
| a saved line              |                            | (flows/hypothesis.verdict_reply) |
| text, file, location      | idle (members)             | kept as a note (flows/capture)   |
| a sticker, a dice ...     | idle (members)             | 'this cannot be kept' reply      |
| anything                  | idle (strangers)           | how to join                      |

When a flow ends, resume hooks may put the chat back in a longer-running flow (a walk).
Commands arrive by their English name whatever word was typed (/wandeling, /balade: see
bot/intake/updates.py), and a main-menu label arrives as its command (bot/dispatch). After
every step, with_menu puts the member's main menu where it is needed (flows/menu.py).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flows.capture import capture, kept_aside
from flows.commands import COMMANDS_BY_NAME
from flows.consent import RECORDING
from flows.drafts import DraftError
from flows.engine import (
    END,
    KEEPABLE_KINDS,
    STALE,
    Button,
    Call,
    CallbackAnswer,
    Effect,
    Flow,
    Go,
    Input,
    InputKind,
    Outcome,
    Reply,
    SetCommands,
    StepContext,
    Switch,
    ascii_id,
    reply,
)
from flows.help import role_of, speaks
from flows.menu import MENU_HINT, WALKING_HINT, menu_for, show_menu
from flows.privacy import needs_consent, reconsent_prompt
from flows.registry import BACKGROUND, FLOWS, GLOBAL_BUTTONS, RESUME, START_LINKS, VERDICT_REPLY
from flows.roles import STRANGER
from flows.teamfeed import in_group
from storage import organisations as orgs
from storage import walks as walks_db

log = logging.getLogger("buurtbot.flows")

PENDING = "_pending"


@dataclass(frozen=True)
class Position:
    """Where a chat is: its flow, state, stored draft (JSON) and the version its buttons carry."""

    flow: str | None = None
    state: str | None = None
    draft: Mapping[str, Any] = field(default_factory=dict)
    version: int = 0


@dataclass(frozen=True)
class Transition:
    """The router's answer: the new position (if it changed, its draft as JSON) and the effects."""

    effects: tuple[Effect, ...]
    flow: str | None = None
    state: str | None = None
    draft: Mapping[str, Any] = field(default_factory=dict)
    moved: bool = True


def unmoved(*effects: Effect) -> Transition:
    """Keep the position as it is."""
    return Transition(effects=effects, moved=False)


GLOBAL_PREFIX = "g|"


def encode_button(version: int, value: str) -> str:
    """Return callback data: the chat-state version and the button's value.

    Global buttons (value starting with g|) stay valid across steps; their handler checks them.
    """
    if value.startswith(GLOBAL_PREFIX):
        return value
    return f"{version}|{value}"


def decode_button(data: str | None, version: int) -> str | None:
    """Return the button's value if the data is well-formed and current, else None."""
    if not data or "|" not in data:
        return None
    head, _, value = data.partition("|")
    if ascii_id(head) != version or not value:
        return None
    return value


ABANDON_BUTTONS = (
    Button("button.abandon_yes", "abandon:yes"),
    Button("button.abandon_no", "abandon:no"),
)


def _confirm_abandon(ctx: StepContext, inp: Input, name: str) -> Reply:
    """Ask whether to leave the draft for a command, named in the member's own words."""
    command = COMMANDS_BY_NAME.get(name)
    word = command.word(speaks(ctx, inp)) if command else name
    return Reply("flow.confirm_abandon", {"command": word}, buttons=(ABANDON_BUTTONS,))


def shown_buttons(ctx: StepContext, position: Position) -> tuple[Button, ...]:
    """Return the inline buttons of the question the chat is at: what a typed label may mean.

    The renewed consent text while it waits (idle or in a recording flow), the abandon question
    while one is pending, else the current state's question. Nothing is written.
    """
    flow = FLOWS.get(position.flow or "")
    if needs_consent(ctx) and (flow is None or flow.name in RECORDING):
        effects = reconsent_prompt(ctx)
    elif PENDING in position.draft:
        return ABANDON_BUTTONS
    elif flow is not None and position.state is not None and position.state in flow.states:
        try:
            effects = flow.ask(ctx, position.state, flow.read(position.draft))
        except DraftError:
            return ()
    else:
        return ()
    return tuple(
        button
        for effect in effects
        if isinstance(effect, Reply)
        for row in effect.buttons
        for button in row
    )


def _resume(ctx: StepContext, effects: tuple[Effect, ...]) -> Transition:
    """End a flow, unless a longer-running flow (a walk) should take the chat back."""
    for hook in RESUME:
        position = hook(ctx)
        if position is not None:
            return Transition(
                effects=effects, flow=position.flow, state=position.state, draft=position.draft
            )
    return Transition(effects=effects)


def _settle(
    ctx: StepContext, flow: Flow[Any], go: Go[Any], here: str | None, outcome: Outcome[Any]
) -> Transition:
    """Check a step's outcome against its flow's table and move the chat accordingly."""
    settled = flow.settle(ctx, go, here, outcome)
    if settled.state is END:
        return _resume(ctx, settled.effects)
    return Transition(
        effects=settled.effects,
        flow=flow.name,
        state=settled.state,
        draft=flow.write(settled.draft),
    )


def _run(ctx: StepContext, flow: Flow[Any], call: Call[Any], here: str | None) -> Transition:
    """Run the step a table named and move the chat where it went."""
    return _settle(ctx, flow, call.go, here, call.go.step(*call.args))


def _flow_name(name: str, args: str) -> str | None:
    """Return the flow a command starts: /start with a survey link's code opens the survey."""
    if name == "start":
        for prefix, flow in START_LINKS.items():
            if args.strip().startswith(prefix):
                return flow
    return COMMANDS_BY_NAME[name].flow


def _start_command(ctx: StepContext, inp: Input, name: str) -> Transition:
    flow_name = _flow_name(name, inp.args)
    if flow_name is None:
        return unmoved()
    flow = FLOWS[flow_name]
    return _run(ctx, flow, Call(flow.start, (ctx, inp, flow.fresh())), None)


def _cancel(ctx: StepContext, inp: Input, position: Position) -> Transition:
    flow = FLOWS.get(position.flow or "")
    if flow is None:
        return unmoved(reply("cancel.nothing"))
    if flow.cancel is not None and PENDING not in position.draft:
        call = Call(flow.cancel, (ctx, inp, flow.read(position.draft)))
        return _run(ctx, flow, call, position.state)
    return _resume(ctx, (Reply("cancel.done", remove_keyboard=True),))


def _command(ctx: StepContext, inp: Input, position: Position) -> Transition:
    name = inp.command or ""
    if name == "cancel":
        return _cancel(ctx, inp, position)
    current = FLOWS.get(position.flow or "")
    if current is not None and name in current.commands and PENDING not in position.draft:
        call = Call(current.commands[name], (ctx, inp, current.read(position.draft)))
        return _run(ctx, current, call, position.state)
    command = COMMANDS_BY_NAME.get(name)
    if command is None:
        return unmoved(reply("error.unknown_command", command=name))
    role = role_of(ctx)
    if not command.allowed(role):
        if role == STRANGER:
            return unmoved(reply("stranger.how_to_join"))
        return unmoved(reply("error.not_allowed", command=command.word(speaks(ctx, inp))))
    if name in RECORDING and needs_consent(ctx):
        return unmoved(*reconsent_prompt(ctx))
    flow_name = _flow_name(name, inp.args)
    target = FLOWS.get(flow_name or "")
    if target is not None and not target.states:
        # A one-shot answer such as /help leaves the current flow where it is.
        answered = target.start.step(ctx, inp, target.fresh())
        return unmoved(*target.settle(ctx, target.start, None, answered).effects)
    flow = FLOWS.get(position.flow or "")
    if flow is not None and flow.keeps_draft and position.flow != flow_name:
        draft = {**position.draft, PENDING: {"command": name, "args": inp.args}}
        return Transition(
            effects=(_confirm_abandon(ctx, inp, name),),
            flow=position.flow,
            state=position.state,
            draft=draft,
        )
    return _start_command(ctx, inp, name)


def _resolve_pending(ctx: StepContext, inp: Input, position: Position, value: str) -> Transition:
    pending = position.draft.get(PENDING) or {}
    draft = {k: v for k, v in position.draft.items() if k != PENDING}
    if value == "abandon:yes" and pending.get("command") in COMMANDS_BY_NAME:
        replay = Input(
            kind=InputKind.COMMAND,
            chat_id=inp.chat_id,
            user_id=inp.user_id,
            date=inp.date,
            language_code=inp.language_code,
            command=pending["command"],
            args=pending.get("args", ""),
        )
        started = _start_command(ctx, replay, pending["command"])
        return Transition(
            effects=(CallbackAnswer("flow.abandoned"), *started.effects),
            flow=started.flow,
            state=started.state,
            draft=started.draft,
            moved=True,
        )
    flow = FLOWS[position.flow or ""]
    prompt = flow.ask(ctx, position.state or "", flow.read(draft))
    return Transition(
        effects=(CallbackAnswer("flow.kept"), *prompt),
        flow=position.flow,
        state=position.state,
        draft=draft,
    )


def _switch(ctx: StepContext, switch: Switch, position: Position) -> Transition:
    """Move the chat into the flow a global button or a kept note starts."""
    current = FLOWS.get(position.flow or "")
    busy = current is not None and current.keeps_draft and position.flow != switch.flow
    if busy and position.draft:
        # Another record is half-way: finishing or cancelling it comes first.
        return unmoved(CallbackAnswer("flow.finish_first"))
    flow = FLOWS[switch.flow]
    go = flow.start if switch.entry is None else flow.entries[switch.entry]
    return _settle(ctx, flow, go, None, switch.outcome)


def _idle(ctx: StepContext, inp: Input, position: Position) -> Transition:
    if ctx.member is None:
        return unmoved(reply("stranger.how_to_join"))
    if inp.kind in KEEPABLE_KINDS:
        if needs_consent(ctx):
            return unmoved(*reconsent_prompt(ctx))
        return _switch(ctx, capture(ctx, inp), position)
    return unmoved(reply("error.unsupported", kind=inp.content_type or "?"))


def _start_afresh(ctx: StepContext, inp: Input, position: Position) -> Transition:
    """Begin the chat's flow again when its stored draft cannot be read (an older version's)."""
    flow = FLOWS[position.flow or ""]
    log.warning(
        "draft of flow %s in state %s unreadable: started afresh", flow.name, position.state
    )
    started = _run(ctx, flow, Call(flow.start, (ctx, inp, flow.fresh())), None)
    return Transition(
        effects=(reply("flow.started_afresh"), *started.effects),
        flow=started.flow,
        state=started.state,
        draft=started.draft,
    )


def route(ctx: StepContext, inp: Input, position: Position) -> Transition:
    """Decide what one input does, given where the chat is."""
    try:
        transition = _route(ctx, inp, position)
    except DraftError:
        transition = _start_afresh(ctx, inp, position)
    return with_menu(ctx, inp, position, transition)


HOME = (None, None)
WALKING = ("walk", "walking")
# Commands after which the main menu is shown even on a line of its own: it changes, or the
# member asked for what they can do.
MENU_COMMANDS = frozenset({"start", "help", "walk", "endwalk"})


def with_menu(
    ctx: StepContext, inp: Input, position: Position, transition: Transition
) -> Transition:
    """Show the member's main menu where the step needs it (flows/menu.py).

    It goes on a message of the step without buttons of its own: whenever a one-time keyboard
    is removed, and when the chat comes back home (idle, or walking) from a flow. It is sent
    on a short line of its own when it changes (joining, a new language, a walk starting or
    ending) or after /start and /help. A member who leaves (/forget) loses it.
    """
    if inp.chat_type != "private":
        return transition
    menu_roles = [effect.role for effect in transition.effects if isinstance(effect, SetCommands)]
    role = menu_roles[-1] if menu_roles else (ctx.member.role if ctx.member else None)
    if role is None:
        return transition
    before = (position.flow, position.state)
    after = (transition.flow, transition.state) if transition.moved else before
    removes = any(isinstance(e, Reply) and e.remove_keyboard for e in transition.effects)
    came_home = after != before and after in (HOME, WALKING)
    needed = bool(menu_roles) or (
        inp.kind == InputKind.COMMAND and (inp.command or "") in MENU_COMMANDS
    )
    if not (removes or came_home or needed):
        return transition
    if after == WALKING:
        walking = True
    elif after[0] == WALKING[0] or after == HOME or ctx.member is None:
        walking = False
    else:
        # Another flow (an encounter) may run in the middle of a walk.
        walking = walks_db.open_walk(ctx.session, ctx.member.id) is not None
    menu = menu_for(role, walking)
    if not menu:
        return transition
    hint = WALKING_HINT if walking else MENU_HINT
    effects = show_menu(transition.effects, menu, needed, hint)
    return Transition(
        effects, transition.flow, transition.state, transition.draft, transition.moved
    )


def _route(ctx: StepContext, inp: Input, position: Position) -> Transition:
    if inp.kind in (InputKind.GROUP, InputKind.GROUP_LEFT, InputKind.GROUP_MOVED):
        return unmoved(*in_group(ctx, inp))
    if inp.kind == InputKind.IGNORED:
        return unmoved()
    if inp.kind == InputKind.BLOCKED:
        if inp.user_id is not None:
            orgs.mark_member_inactive(ctx.session, inp.user_id)
        return unmoved()
    if inp.kind == InputKind.UNBLOCKED:
        if inp.user_id is not None:
            orgs.mark_member_active(ctx.session, inp.user_id)
        return unmoved()
    background = BACKGROUND.get(inp.kind)
    if background is not None and ctx.member is not None:
        effects = background(ctx, inp)
        if effects is not None:
            return unmoved(*effects)
    if inp.kind in (InputKind.EDITED, InputKind.LIVE_LOCATION, InputKind.LIVE_STOPPED):
        # An edit nobody claimed needs no answer; a stranger's live location is not read.
        return (
            unmoved()
            if ctx.member is not None or inp.kind != InputKind.LIVE_LOCATION
            else unmoved(reply("stranger.how_to_join"))
        )
    if (
        needs_consent(ctx)
        and position.flow in RECORDING
        and inp.kind not in (InputKind.COMMAND, InputKind.CALLBACK)
    ):
        # The consent text changed: nothing is recorded until the member agrees again.
        return unmoved(*reconsent_prompt(ctx))
    if inp.kind == InputKind.COMMAND:
        return _command(ctx, inp, position)
    if inp.verdict is not None and ctx.member is not None:
        # A verdict word replying to a saved line: evidence for a hypothesis, whatever the flow.
        answered = VERDICT_REPLY(ctx, inp)
        if answered is not None:
            return unmoved(*answered)
    flow = FLOWS.get(position.flow or "")
    if inp.kind == InputKind.CALLBACK and (inp.callback_data or "").startswith(GLOBAL_PREFIX):
        parts = (inp.callback_data or "").split("|")
        handler = GLOBAL_BUTTONS.get(parts[1]) if len(parts) > 1 else None
        if handler is None or ctx.member is None:
            return unmoved(CallbackAnswer("error.stale_button"))
        handled = handler(ctx, inp, parts[2:])
        if isinstance(handled, Switch):
            return _switch(ctx, handled, position)
        return unmoved(*handled)
    if inp.kind == InputKind.CALLBACK:
        value = decode_button(inp.callback_data, position.version)
        if value is None or flow is None:
            return unmoved(CallbackAnswer("error.stale_button"))
        if PENDING in position.draft:
            if value in ("abandon:yes", "abandon:no"):
                return _resolve_pending(ctx, inp, position, value)
            return unmoved(CallbackAnswer("error.stale_button"))
        inp = Input(**{**inp.__dict__, "callback_data": value})
    if PENDING in position.draft and inp.kind == InputKind.TEXT and flow is not None:
        # Words that are neither yes nor no (bot/dispatch/typed.py) answer no earlier question.
        command = (position.draft.get(PENDING) or {}).get("command", "")
        return unmoved(reply("flow.use_buttons"), _confirm_abandon(ctx, inp, command))
    if flow is None or position.state is None or position.state not in flow.states:
        return _idle(ctx, inp, position)
    draft = flow.read(position.draft)
    call = flow.states[position.state].find(ctx, inp, draft)
    if call == STALE:
        # A tap the question does not offer (an old or forged button): nothing changes.
        return unmoved(CallbackAnswer("error.stale_button"))
    if not isinstance(call, Call):
        prompt = flow.ask(ctx, position.state, draft)
        if inp.kind in KEEPABLE_KINDS and inp.kind != InputKind.TEXT and ctx.member is not None:
            # Not an answer to this question, but never thrown away: a note of its own.
            aside: Effect = kept_aside(ctx, inp)
        elif inp.kind == InputKind.TEXT:
            aside = reply("flow.use_buttons")
        else:
            aside = reply("error.unsupported_in_flow", kind=inp.content_type or inp.kind.value)
        return Transition(
            effects=(aside, *prompt),
            flow=position.flow,
            state=position.state,
            draft=position.draft,
        )
    return _run(ctx, flow, call, position.state)
