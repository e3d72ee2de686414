"""/hypothesis: record, list, edit, close and reopen the team's hypotheses about the buurt.

| state     | accepts                            | step           | goes to            |
|-----------|------------------------------------|----------------|--------------------|
| (start)   | /hypothesis                        | start          | menu, end          |
| menu      | tap h:ID                           | open_one       | item, end          |
| menu      | tap new, staff, done               | menu_action    | statement, menu,   |
|           |                                    |                | end                |
| menu      | text, voice                        | new_from_menu  | themes, end        |
| statement | text, voice                        | take_statement | themes, item,      |
|           |                                    |                | menu, end          |
| themes    | tap th:THEME                       | toggle_theme   | (stays)            |
| themes    | tap next                           | themes_done    | wijken, item,      |
|           |                                    |                | menu, end          |
| wijken    | tap wk:CODE                        | toggle_wijk    | (stays)            |
| wijken    | tap save                           | wijken_done    | item, menu, end    |
| item      | tap words, themes, wijken, close,  | item_action    | statement, themes, |
|           | reopen, back                       |                | wijken, menu, end  |

Coordinators always may; staff when a coordinator allowed it (the switch in the menu).
A new hypothesis is a short statement (words or a voice note), the themes it concerns
(at least one, several may be ticked) and, optionally, wijken of the buurt. Every change is
written at once. Observations sharing a theme or wijk with an open hypothesis are its
candidates; the team marks them as evidence under their saved line (flows/evidence.py), by
replying to that line (verdict_reply) or through the weekly picture's links (/start h_...).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any

from flows.capture import line_buttons
from flows.engine import (
    END,
    TEXT,
    VOICE,
    Button,
    CallbackAnswer,
    Choice,
    EditButtons,
    Effect,
    Flow,
    Go,
    Input,
    Outcome,
    Reply,
    State,
    StepContext,
    Text,
    ascii_id,
    done,
    goto,
    reply,
    stay,
)
from flows.evidence import (
    VERDICT_CODES,
    may_mark,
    numbers,
    snippet,
    verdict_rows,
)
from flows.help import role_of
from flows.observe import language_of, text_of
from flows.roles import COORDINATOR, STAFF
from geo import get_gazetteer
from storage import buurt
from storage import hypotheses as hyp
from storage import observations as obs
from storage.hypotheses import HypothesisView
from storage.models import Hypothesis, Observation
from storage.observations import NewMedia
from storage.themes import THEMES

MAX_LISTED = 20


@dataclass(frozen=True)
class VoiceNote:
    """A voice note a hypothesis is recorded as, as Telegram describes it."""

    file_id: str = ""
    file_unique_id: str = ""
    duration: int | None = None
    file_size: int | None = None
    mime_type: str | None = None


@dataclass(frozen=True)
class HypothesisDraft:
    """The hypothesis looked at (0 while a new one is made) and the answers so far."""

    hypothesis_id: int = 0
    statement: str = ""
    voice: VoiceNote | None = None
    themes: tuple[str, ...] = ()
    wijken: tuple[int, ...] = ()


# -- who may, and what is shown -----------------------------------------------------------------


def _organisation(ctx: StepContext) -> int:
    assert ctx.member is not None
    return ctx.member.organisation_id


def may_record(ctx: StepContext) -> bool:
    """Say whether the person writing may record and edit hypotheses."""
    role = role_of(ctx)
    if role == COORDINATOR:
        return True
    return role == STAFF and hyp.staff_may_record(ctx.session, _organisation(ctx))


def _views(ctx: StepContext) -> list[HypothesisView]:
    return hyp.list_hypotheses(ctx.session, _organisation(ctx))


def joined(items: list[Any]) -> Any:
    """Return items as one comma-separated phrase (each may be a translatable Text)."""
    if not items:
        return Text("hypothesis.nothing_chosen")
    if len(items) == 1:
        return items[0]
    return Text("hypothesis.list_join", {"first": items[0], "rest": joined(items[1:])})


def _wijk_name(ctx: StepContext, code: int) -> str:
    return get_gazetteer().wijk_name(code, language_of(ctx))


def _about(ctx: StepContext, view: HypothesisView, number: int) -> dict[str, Any]:
    """Return what a hypothesis's line and card show."""
    evidence = hyp.evidence_for(ctx.session, view.organisation_id, [view.id])
    return {
        "number": number,
        "statement": snippet(view) if not view.statement else view.statement,
        "status": Text(f"hypothesis.status.{view.status}"),
        "themes": joined([Text(f"theme.{theme}") for theme in view.themes]),
        "wijken": joined([_wijk_name(ctx, code) for code in view.wijken]),
        "supports": sum(1 for e in evidence if e.verdict == hyp.SUPPORTS),
        "contradicts": sum(1 for e in evidence if e.verdict == hyp.CONTRADICTS),
    }


def hypothesis_ids(ctx: StepContext, draft: HypothesisDraft) -> Collection[str]:
    """Return the hypotheses the menu offers, as their buttons send them."""
    return {str(view.id) for view in _views(ctx)[-MAX_LISTED:]}


def menu_values(ctx: StepContext, draft: HypothesisDraft) -> Collection[str]:
    """Return the menu's other buttons: a new one, the staff switch (coordinators), done."""
    return ("new", "staff", "done") if role_of(ctx) == COORDINATOR else ("new", "done")


def buurt_codes(ctx: StepContext, draft: HypothesisDraft) -> Collection[str]:
    """Return the buurt's wijken, as their buttons send them."""
    return {str(code) for code in buurt.list_wijken(ctx.session, _organisation(ctx))}


def item_values(ctx: StepContext, draft: HypothesisDraft) -> Collection[str]:
    """Return what can be done with the hypothesis looked at."""
    row = hyp.get_hypothesis(ctx.session, _organisation(ctx), draft.hypothesis_id)
    switch = "reopen" if row is not None and row.status == hyp.CLOSED else "close"
    return ("words", "themes", "wijken", switch, "back")


OPEN_ONE = Choice("h", hypothesis_ids, label="hypothesis.button_open", shown="ID")
MENU = Choice(
    "",
    menu_values,
    label={
        "new": "hypothesis.button_new",
        "staff": "hypothesis.button_staff",
        "done": "hypothesis.button_done",
    },
    shown="new, staff, done",
)
THEME = Choice("th", THEMES, label="hypothesis.button_theme", shown="THEME")
THEMES_DONE = Choice("", ("next",), label="hypothesis.button_next")
WIJK = Choice("wk", buurt_codes, label="hypothesis.button_wijk", shown="CODE")
WIJKEN_DONE = Choice("", ("save",), label="hypothesis.button_save")
ITEM = Choice(
    "",
    item_values,
    label={
        "words": "hypothesis.button_words",
        "themes": "hypothesis.button_themes",
        "wijken": "hypothesis.button_wijken",
        "close": "hypothesis.button_close",
        "reopen": "hypothesis.button_reopen",
        "back": "hypothesis.button_back",
    },
    shown="words, themes, wijken, close, reopen, back",
)


# The card's second row: close or reopen, and back.
LAST_ROW = ("close", "reopen", "back")


# -- questions -----------------------------------------------------------------------------------


def ask_menu(ctx: StepContext, draft: HypothesisDraft) -> tuple[Effect, ...]:
    """Show the hypotheses with their evidence, and what can be done."""
    views = _views(ctx)
    numbered = numbers(views)
    shown = views[-MAX_LISTED:]
    lines = tuple(Text("hypothesis.line", _about(ctx, view, numbered[view.id])) for view in shown)
    rows: list[tuple[Button, ...]] = [
        (OPEN_ONE.button(str(view.id), number=numbered[view.id], statement=snippet(view)),)
        for view in shown
    ]
    rows.append((MENU.button("new"),))
    params: dict[str, Any] = {"hypotheses": lines or Text("hypothesis.none_yet")}
    if role_of(ctx) == COORDINATOR:
        allowed = hyp.staff_may_record(ctx.session, _organisation(ctx))
        rows.append(
            (MENU.button("staff", state=Text(f"hypothesis.staff_{'on' if allowed else 'off'}")),)
        )
    rows.append((MENU.button("done"),))
    return (Reply("hypothesis.menu", params, buttons=tuple(rows)),)


def ask_statement(ctx: StepContext, draft: HypothesisDraft) -> tuple[Effect, ...]:
    """Ask for the hypothesis in one short sentence, written or spoken."""
    key = "hypothesis.ask_new_words" if draft.hypothesis_id else "hypothesis.ask_statement"
    return (Reply(key),)


def themes_question(ctx: StepContext, draft: HypothesisDraft) -> Reply:
    """Return the theme question: every theme, those chosen ticked, and next."""
    buttons = [
        THEME.button(
            theme, theme=Text(f"theme.{theme}"), mark="✓ " if theme in draft.themes else ""
        )
        for theme in THEMES
    ]
    rows = tuple(tuple(buttons[i : i + 3]) for i in range(0, len(buttons), 3))
    return Reply("hypothesis.ask_themes", buttons=(*rows, *THEMES_DONE.rows()))


def ask_themes(ctx: StepContext, draft: HypothesisDraft) -> tuple[Effect, ...]:
    """Ask which themes the hypothesis concerns."""
    return (themes_question(ctx, draft),)


def wijken_question(ctx: StepContext, draft: HypothesisDraft) -> Reply:
    """Return the wijk question: the buurt's wijken, those chosen ticked, and save."""
    codes = buurt.list_wijken(ctx.session, _organisation(ctx))
    named = sorted((_wijk_name(ctx, code), code) for code in codes)
    rows = tuple(
        (WIJK.button(str(code), name=name, mark="✓ " if code in draft.wijken else ""),)
        for name, code in named
    )
    return Reply("hypothesis.ask_wijken", buttons=(*rows, *WIJKEN_DONE.rows()))


def ask_wijken(ctx: StepContext, draft: HypothesisDraft) -> tuple[Effect, ...]:
    """Ask which wijken of the buurt it concerns (none is fine)."""
    return (wijken_question(ctx, draft),)


def card(ctx: StepContext, draft: HypothesisDraft) -> Reply:
    """Return one hypothesis with its themes, wijken, evidence and what can be done."""
    views = _views(ctx)
    view = next((v for v in views if v.id == draft.hypothesis_id), None)
    if view is None:
        return Reply("hypothesis.gone", buttons=ITEM.rows(values=("back",)))
    about = _about(ctx, view, numbers(views)[view.id])
    return Reply(
        "hypothesis.card",
        about,
        buttons=(
            tuple(ITEM.button(v) for v in ("words", "themes", "wijken")),
            tuple(
                ITEM.button(v) for v in item_values(ctx, draft) if v in ("close", "reopen", "back")
            ),
        ),
    )


def ask_item(ctx: StepContext, draft: HypothesisDraft) -> tuple[Effect, ...]:
    """Show the hypothesis looked at."""
    return (card(ctx, draft),)


# -- steps ---------------------------------------------------------------------------------------


def refused(ctx: StepContext) -> Outcome[Any]:
    """End: staff may not (any more) record hypotheses here."""
    return done(CallbackAnswer(), reply("hypothesis.staff_not_allowed"))


def start(ctx: StepContext, inp: Input, draft: HypothesisDraft) -> Outcome[HypothesisDraft]:
    """Answer /hypothesis with the list, if this member may."""
    if ctx.member is None:
        return done(reply("stranger.how_to_join"))
    if not may_record(ctx):
        if role_of(ctx) == STAFF:
            return refused(ctx)
        return done(reply("error.not_allowed", command="hypothesis"))
    return goto("menu", HypothesisDraft())


def _voice_of(inp: Input) -> VoiceNote | None:
    if inp.media is None:
        return None
    media = inp.media
    return VoiceNote(
        media.file_id, media.file_unique_id, media.duration, media.file_size, media.mime_type
    )


def new_from_menu(ctx: StepContext, inp: Input, draft: HypothesisDraft) -> Outcome[HypothesisDraft]:
    """Take words or a voice note sent at the menu as a new hypothesis's statement."""
    if not may_record(ctx):
        return refused(ctx)
    words, voice = text_of(inp) or "", _voice_of(inp)
    if not words and voice is None:
        return stay(draft, reply("hypothesis.words_needed"))
    return goto("themes", HypothesisDraft(statement=words, voice=voice))


def menu_action(
    ctx: StepContext, inp: Input, draft: HypothesisDraft, value: str
) -> Outcome[HypothesisDraft]:
    """Start a new hypothesis, switch what staff may, or leave."""
    if not may_record(ctx):
        return refused(ctx)
    if value == "done":
        return done(CallbackAnswer(), reply("hypothesis.closed_menu"))
    if value == "staff":
        allowed = not hyp.staff_may_record(ctx.session, _organisation(ctx))
        hyp.set_staff_may_record(ctx.session, _organisation(ctx), allowed)
        toast = CallbackAnswer(f"hypothesis.staff_now_{'on' if allowed else 'off'}")
        return goto("menu", HypothesisDraft(), toast)
    return goto("statement", HypothesisDraft(), CallbackAnswer())


def open_one(
    ctx: StepContext, inp: Input, draft: HypothesisDraft, value: str
) -> Outcome[HypothesisDraft]:
    """Show one hypothesis."""
    if not may_record(ctx):
        return refused(ctx)
    return goto("item", HypothesisDraft(hypothesis_id=int(value)), CallbackAnswer())


def _row(ctx: StepContext, draft: HypothesisDraft) -> Hypothesis | None:
    return hyp.get_hypothesis(ctx.session, _organisation(ctx), draft.hypothesis_id)


def take_statement(
    ctx: StepContext, inp: Input, draft: HypothesisDraft
) -> Outcome[HypothesisDraft]:
    """Keep the statement of a new hypothesis, or change the words of the one looked at."""
    if not may_record(ctx):
        return refused(ctx)
    words = text_of(inp) or ""
    if draft.hypothesis_id:
        row = _row(ctx, draft)
        if row is None:
            return goto("menu", HypothesisDraft(), reply("hypothesis.gone"))
        if not words:
            # A voice note cannot replace the words: ask for them written.
            return stay(draft, reply("hypothesis.words_needed"))
        hyp.update_hypothesis(row, statement=words)
        return goto("item", draft, reply("hypothesis.changed"))
    voice = _voice_of(inp)
    if not words and voice is None:
        return stay(draft, reply("hypothesis.words_needed"))
    return goto("themes", replace(draft, statement=words, voice=voice))


def toggle_theme(
    ctx: StepContext, inp: Input, draft: HypothesisDraft, theme: str
) -> Outcome[HypothesisDraft]:
    """Tick or untick a theme, in the same message."""
    chosen = set(draft.themes) ^ {theme}
    ticked = replace(draft, themes=tuple(t for t in THEMES if t in chosen))
    return stay(ticked, CallbackAnswer(), replace(themes_question(ctx, ticked), edit=True))


def _save_new(ctx: StepContext, draft: HypothesisDraft) -> Outcome[Any]:
    """Store a new hypothesis and say so."""
    assert ctx.member is not None
    voice = draft.voice
    row = hyp.create_hypothesis(
        ctx.session,
        ctx.member.organisation_id,
        ctx.member.id,
        ctx.now,
        statement=draft.statement,
        themes=draft.themes,
        wijken=draft.wijken,
        voice=None
        if voice is None
        else NewMedia(
            "voice",
            voice.file_id,
            voice.file_unique_id,
            voice.file_size,
            voice.duration,
            voice.mime_type,
        ),
    )
    views = _views(ctx)
    view = next(v for v in views if v.id == row.id)
    return done(
        CallbackAnswer(),
        reply("hypothesis.saved", **_about(ctx, view, numbers(views)[row.id])),
    )


def themes_done(
    ctx: StepContext, inp: Input, draft: HypothesisDraft, value: str
) -> Outcome[HypothesisDraft]:
    """Go on to the wijken (or save, or store the themes of the one looked at)."""
    if not may_record(ctx):
        return refused(ctx)
    if not draft.themes:
        return stay(draft, CallbackAnswer("hypothesis.theme_needed"))
    if draft.hypothesis_id:
        row = _row(ctx, draft)
        if row is None:
            return goto("menu", HypothesisDraft(), CallbackAnswer(), reply("hypothesis.gone"))
        hyp.update_hypothesis(row, themes=draft.themes)
        return goto("item", draft, CallbackAnswer("hypothesis.changed"))
    if not buurt.list_wijken(ctx.session, _organisation(ctx)):
        return _save_new(ctx, draft)
    return goto("wijken", draft, CallbackAnswer())


def toggle_wijk(
    ctx: StepContext, inp: Input, draft: HypothesisDraft, code: str
) -> Outcome[HypothesisDraft]:
    """Tick or untick a wijk, in the same message."""
    chosen = set(draft.wijken) ^ {int(code)}
    ticked = replace(draft, wijken=tuple(sorted(chosen)))
    return stay(ticked, CallbackAnswer(), replace(wijken_question(ctx, ticked), edit=True))


def wijken_done(
    ctx: StepContext, inp: Input, draft: HypothesisDraft, value: str
) -> Outcome[HypothesisDraft]:
    """Save the new hypothesis, or store the wijken of the one looked at."""
    if not may_record(ctx):
        return refused(ctx)
    if not draft.hypothesis_id:
        return _save_new(ctx, draft)
    row = _row(ctx, draft)
    if row is None:
        return goto("menu", HypothesisDraft(), CallbackAnswer(), reply("hypothesis.gone"))
    hyp.update_hypothesis(row, wijken=draft.wijken)
    return goto("item", draft, CallbackAnswer("hypothesis.changed"))


def item_action(
    ctx: StepContext, inp: Input, draft: HypothesisDraft, value: str
) -> Outcome[HypothesisDraft]:
    """Edit words, themes or wijken, close or reopen, or go back to the list."""
    if not may_record(ctx):
        return refused(ctx)
    if value == "back":
        return goto("menu", HypothesisDraft(), CallbackAnswer())
    row = _row(ctx, draft)
    if row is None:
        return goto("menu", HypothesisDraft(), CallbackAnswer(), reply("hypothesis.gone"))
    if value == "words":
        return goto("statement", draft, CallbackAnswer())
    if value == "themes":
        return goto("themes", replace(draft, themes=tuple(row.themes or ())), CallbackAnswer())
    if value == "wijken":
        wijken = tuple(int(code) for code in row.wijken or ())
        return goto("wijken", replace(draft, wijken=wijken), CallbackAnswer())
    if value == "close":
        hyp.close_hypothesis(row, ctx.now)
    else:
        hyp.reopen_hypothesis(row)
    toast = CallbackAnswer(f"hypothesis.now_{row.status}")
    return stay(draft, toast, replace(card(ctx, draft), edit=True))


HYPOTHESIS = Flow(
    name="hypothesis",
    draft=HypothesisDraft,
    start=Go(start, "menu", END),
    states={
        "menu": State(
            ask_menu,
            {
                OPEN_ONE: Go(open_one, "item", END),
                MENU: Go(menu_action, "statement", "menu", END),
                TEXT: Go(new_from_menu, "themes", END),
                VOICE: Go(new_from_menu, "themes", END),
            },
        ),
        "statement": State(
            ask_statement,
            {
                TEXT: Go(take_statement, "themes", "item", "menu", END),
                VOICE: Go(take_statement, "themes", "item", "menu", END),
            },
        ),
        "themes": State(
            ask_themes,
            {
                THEME: Go(toggle_theme),
                THEMES_DONE: Go(themes_done, "wijken", "item", "menu", END),
            },
        ),
        "wijken": State(
            ask_wijken,
            {WIJK: Go(toggle_wijk), WIJKEN_DONE: Go(wijken_done, "item", "menu", END)},
        ),
        "item": State(
            ask_item, {ITEM: Go(item_action, "statement", "themes", "wijken", "menu", END)}
        ),
    },
)


# -- marking evidence ----------------------------------------------------------------------------


def _marked(
    ctx: StepContext, observation_id: str, hypothesis_id: str, code: str
) -> tuple[Observation, Hypothesis, str] | CallbackAnswer:
    """Return the observation, hypothesis and verdict a button or link names, else why not."""
    stale = CallbackAnswer("error.stale_button")
    obs_id, hyp_id = ascii_id(observation_id), ascii_id(hypothesis_id)
    verdict = VERDICT_CODES.get(code)
    if obs_id is None or hyp_id is None or verdict is None or not may_mark(ctx):
        return stale
    organisation = _organisation(ctx)
    observation = obs.get_observation(ctx.session, obs_id)
    row = hyp.get_hypothesis(ctx.session, organisation, hyp_id)
    if (
        observation is None
        or row is None
        or observation.organisation_id != organisation
        or not hyp.linkable(observation)
    ):
        return stale
    if row.status != hyp.OPEN:
        return CallbackAnswer("hypothesis.is_closed")
    return observation, row, verdict


def _toggle(ctx: StepContext, observation: Observation, row: Hypothesis, verdict: str) -> Text:
    """Mark a verdict, or remove it when it was the one marked; return what happened."""
    assert ctx.member is not None
    current = hyp.verdicts_on(ctx.session, observation.id).get(row.id)
    new = None if current == verdict else verdict
    hyp.set_verdict(ctx.session, row, observation, new, ctx.member.id, ctx.now)
    return _what(ctx, row, new)


def _what(ctx: StepContext, row: Hypothesis, verdict: str | None) -> Text:
    views = _views(ctx)
    view = next(v for v in views if v.id == row.id)
    key = "hypothesis.unmarked" if verdict is None else f"hypothesis.marked_{verdict}"
    return Text(key, {"number": numbers(views)[row.id], "statement": snippet(view)})


def _tap(ctx: StepContext, args: list[str]) -> tuple[Observation, Text] | tuple[CallbackAnswer]:
    """Toggle the verdict a g|hyp or g|hypr button names; return what happened, or the answer."""
    if len(args) != 3 or ctx.member is None:
        return (CallbackAnswer("error.stale_button"),)
    found = _marked(ctx, *args)
    if not isinstance(found, tuple):
        return (found,)
    observation, row, verdict = found
    return observation, _toggle(ctx, observation, row, verdict)


def evidence_button(ctx: StepContext, inp: Input, args: list[str]) -> tuple[Effect, ...]:
    """Handle g|hyp|OBS|HYP|s or c under a saved line: mark, change or remove a verdict."""
    tapped = _tap(ctx, args)
    if len(tapped) == 1:
        return tapped
    observation, what = tapped
    return (CallbackAnswer(what.key, what.params), EditButtons(line_buttons(ctx, observation)))


def _choice_rows(
    ctx: StepContext, observation: Observation, views: list[HypothesisView]
) -> tuple[tuple[Button, ...], ...]:
    """Return 👍 / 👎 rows for some hypotheses, for a message of its own (g|hypr)."""
    marked = hyp.verdicts_on(ctx.session, observation.id)
    return verdict_rows("g|hypr", observation.id, views, numbers(_views(ctx)), marked)


def _concerned(ctx: StepContext, observation: Observation) -> list[HypothesisView]:
    return hyp.hypotheses_for(ctx.session, observation)


def evidence_reply_button(ctx: StepContext, inp: Input, args: list[str]) -> tuple[Effect, ...]:
    """Handle g|hypr|OBS|HYP|s or c under a message of its own: mark and say so there."""
    tapped = _tap(ctx, args)
    if len(tapped) == 1:
        return tapped
    observation, what = tapped
    rows = _choice_rows(ctx, observation, _concerned(ctx, observation))
    return (CallbackAnswer(what.key, what.params), Reply(what.key, what.params, rows, edit=True))


# What a saved line's buttons say about its observation: g|obs|ID|..., g|note|ID|..., g|hyp|ID|.
LINE_DATA = re.compile(r"^g\|(?:obs|note|hyp)\|(\d{1,18})\|")


def replied_observation(inp: Input) -> int | None:
    """Return the observation whose saved line a message replies to, if any."""
    for data in inp.reply_to_buttons:
        found = LINE_DATA.match(data)
        if found:
            return int(found.group(1))
    return None


def verdict_reply(ctx: StepContext, inp: Input) -> tuple[Effect, ...] | None:
    """Mark evidence by a reply to a saved line ("+1", "klopt niet" ...); None if not one."""
    observation_id = replied_observation(inp)
    if inp.verdict is None or observation_id is None or not may_mark(ctx):
        return None
    observation = obs.get_observation(ctx.session, observation_id)
    if (
        observation is None
        or observation.organisation_id != _organisation(ctx)
        or not hyp.linkable(observation)
    ):
        return (reply("hypothesis.reply_unknown"),)
    concerned = _concerned(ctx, observation)
    if not concerned:
        return (reply("hypothesis.reply_none"),)
    if len(concerned) > 1:
        key = f"hypothesis.reply_which_{inp.verdict}"
        return (Reply(key, buttons=_choice_rows(ctx, observation, concerned)),)
    row = hyp.get_hypothesis(ctx.session, observation.organisation_id, concerned[0].id)
    assert row is not None
    assert ctx.member is not None
    hyp.set_verdict(ctx.session, row, observation, inp.verdict, ctx.member.id, ctx.now)
    what = _what(ctx, row, inp.verdict)
    return (Reply(what.key, what.params, _choice_rows(ctx, observation, concerned)),)


# A weekly picture's link: /start h_HYP_OBS_s (or _c) marks one candidate.
LINK = re.compile(r"^h_(\d{1,18})_(\d{1,18})_([sc])$")


def is_link(payload: str) -> bool:
    """Say whether a /start payload is a marking link (not an invite code)."""
    return payload.startswith(hyp.LINK_PREFIX)


def mark_from_link(ctx: StepContext, payload: str) -> tuple[Effect, ...]:
    """Mark what a weekly picture's link names (set, never toggled: a link may be opened twice)."""
    found = LINK.match(payload)
    if found is None or ctx.member is None:
        return (reply("hypothesis.link_unknown"),)
    hypothesis_id, observation_id, code = found.groups()
    checked = _marked(ctx, observation_id, hypothesis_id, code)
    if not isinstance(checked, tuple):
        key = "hypothesis.link_closed" if checked.key == "hypothesis.is_closed" else None
        return (reply(key or "hypothesis.link_unknown"),)
    observation, row, verdict = checked
    hyp.set_verdict(ctx.session, row, observation, verdict, ctx.member.id, ctx.now)
    what = _what(ctx, row, verdict)
    views = [v for v in _views(ctx) if v.id == row.id]
    return (Reply(what.key, what.params, _choice_rows(ctx, observation, views)),)
