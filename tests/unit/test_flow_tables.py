"""Every flow's declared table holds together (flows/tables.py walks it as a graph).

Every state is reachable from a way in, every state can reach the end, steps go only where their
table says (checked in their code here, and by the router at run time), drafts survive JSON and
drafts stored by the earlier, untyped code still read. The docstring tables match the code.
The buttons each question shows are checked in tests/unit/test_typed_registry.py.
"""

from __future__ import annotations

import ast
import inspect
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import ModuleType
from typing import Any

import pytest

from bot.dispatch.i18n import load_translator
from bot.reporting import ReportFiles
from flows import tables
from flows.consent import consent_for
from flows.diary import DiaryDraft
from flows.drafts import DraftError, NoDraft, read_draft, write_draft
from flows.encounter import EncounterDraft, VoiceAnswer
from flows.engine import (
    END,
    TEXT,
    Choice,
    Flow,
    FlowConfig,
    FlowError,
    Go,
    Input,
    InputKind,
    Outcome,
    Reply,
    State,
    StepContext,
    done,
    goto,
    onward,
    stay,
)
from flows.keyperson import KeyPersonDraft
from flows.missing import MissingDraft, RoleMedia
from flows.registry import FLOWS
from flows.router import Position, route
from flows.walk import WalkDraft
from storage import organisations as orgs
from storage.observations import NewMedia, Place

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
CONFIG = FlowConfig(secret_key="k", reports=ReportFiles(load_translator().raw))


# -- the graph -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_every_state_is_reachable_and_can_end(name: str) -> None:
    flow = FLOWS[name]
    assert tables.unreachable(flow) == [], f"{name}: no way in leads to these states"
    assert tables.dead_ends(flow) == [], f"{name}: these states never reach the end"


@dataclass(frozen=True)
class ToyDraft:
    step: int = 0


def _ask(ctx: StepContext, draft: ToyDraft) -> tuple[Reply, ...]:
    return (Reply("toy.ask"),)


def _next(ctx: StepContext, inp: Input, draft: ToyDraft) -> Outcome[ToyDraft]:
    return onward(draft)


def _finish(ctx: StepContext, inp: Input, draft: ToyDraft) -> Outcome[ToyDraft]:
    return done()


def test_the_graph_checks_find_a_broken_flow() -> None:
    # "orphan" is declared but nothing leads there; "trap" is entered but never left.
    broken = Flow(
        name="broken",
        draft=ToyDraft,
        start=Go(_next, "first"),
        states={
            "first": State(_ask, {TEXT: Go(_next, "trap"), InputKind.VOICE: Go(_finish, END)}),
            "trap": State(_ask, {TEXT: Go(_next, "trap")}),
            "orphan": State(_ask, {TEXT: Go(_finish, END)}),
        },
    )
    assert tables.unreachable(broken) == ["orphan"]
    assert tables.dead_ends(broken) == ["trap"]
    for name, flow in FLOWS.items():
        assert tables.unreachable(flow) == [] and tables.dead_ends(flow) == [], name


def test_a_step_leading_to_an_undeclared_state_is_refused_at_import() -> None:
    with pytest.raises(FlowError):
        Flow(
            name="typo", draft=ToyDraft, start=Go(_next, "frist"), states={"first": State(_ask, {})}
        )


def test_a_step_going_where_its_table_does_not_say_is_an_error(session_factory) -> None:
    def wander(ctx: StepContext, inp: Input, draft: ToyDraft) -> Outcome[ToyDraft]:
        return goto("second", draft)

    flow = Flow(
        name="toy",
        draft=ToyDraft,
        start=Go(_next, "first"),
        states={
            "first": State(_ask, {TEXT: Go(wander, "first")}),
            "second": State(_ask, {TEXT: Go(_finish, END)}),
        },
    )
    with session_factory() as session:
        ctx = StepContext(session=session, now=NOW, config=CONFIG, member=None)
        go = flow.states["first"].on[TEXT]
        with pytest.raises(FlowError):
            flow.settle(ctx, go, "first", wander(ctx, text("x"), ToyDraft()))
        # Staying put is always allowed; going on asks the next question; the end ends.
        stayed = flow.settle(ctx, go, "first", stay(ToyDraft(1)))
        assert (stayed.state, stayed.effects, stayed.draft) == ("first", (), ToyDraft(1))
        went = flow.settle(ctx, flow.start, None, onward(ToyDraft(2)))
        assert (went.state, went.effects) == ("first", (Reply("toy.ask"),))
        with pytest.raises(FlowError):
            flow.settle(ctx, flow.start, None, done())


# -- steps go where their table says: read in their code -------------------------------------

MOVES = {"goto", "onward", "done"}


def _functions(module: ModuleType) -> dict[str, ast.FunctionDef]:
    tree = ast.parse(inspect.getsource(module))
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


def _moves(function: ast.FunctionDef, module: dict[str, ast.FunctionDef]) -> Iterator[ast.Call]:
    """Yield the goto / onward / done calls of a function and the module's helpers it calls."""
    seen: set[str] = set()
    todo = [function]
    while todo:
        node = todo.pop()
        if node.name in seen:
            continue
        seen.add(node.name)
        for call in ast.walk(node):
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name):
                if call.func.id in MOVES:
                    yield call
                elif call.func.id in module:
                    todo.append(module[call.func.id])


def _declared_steps() -> Iterator[tuple[str, Go[Any]]]:
    for name, flow in FLOWS.items():
        for go in flow.steps():
            yield name, go


@pytest.mark.parametrize(("flow", "go"), list(_declared_steps()), ids=repr)
def test_steps_go_only_where_their_table_says(flow: str, go: Go[Any]) -> None:
    module = inspect.getmodule(go.step)
    assert module is not None
    functions = _functions(module)
    for call in _moves(functions[go.name], functions):
        where = f"{flow}: {go!r}, line {call.lineno}"
        if call.func.id == "goto":  # type: ignore[attr-defined]
            target = call.args[0]
            if isinstance(target, ast.Constant):
                assert target.value in go.to, f"{where} goes to {target.value!r}"
        elif call.func.id == "onward":  # type: ignore[attr-defined]
            assert len(go.to) == 1, f"{where} goes onward but declares {len(go.to)} ways"
        else:
            assert END in go.to, f"{where} ends the flow but does not declare END"


# -- the docstring tables --------------------------------------------------------------------


def test_the_docstring_tables_are_the_flows_tables() -> None:
    stale = list(tables.check())
    assert stale == [], f"run `python -m flows.tables --write` to update {stale}"


def test_a_table_says_what_each_state_accepts() -> None:
    rendered = tables.render(FLOWS["keyperson"])
    assert "| when      | tap when:week, 2weeks, month, none | when_tapped  | consent" in rendered
    assert "| where     | location, keyboard here, keyboard  | where_answer | network" in rendered
    for line in tables.render(FLOWS["diary"]).splitlines():
        assert len(line) <= 100


# -- drafts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_a_fresh_draft_is_stored_as_an_empty_object(name: str) -> None:
    flow = FLOWS[name]
    assert flow.write(flow.fresh()) == {}
    assert flow.read({}) == flow.fresh()
    # Keys a draft does not know (the router's pending command) are left to their owner.
    assert flow.read({"_pending": {"command": "help"}}) == flow.fresh()


PLACE = {
    "lat": 50.85,
    "lon": 4.35,
    "accuracy_m": None,
    "source": "track",
    "wijk_code": 12,
    "municipality_nis": 21004,
    "in_brussels": True,
    "in_buurt": False,
}
VOICE = {
    "kind": "voice",
    "file_id": "f",
    "file_unique_id": "u",
    "file_size": 10,
    "duration": 3,
    "mime_type": "audio/ogg",
}

# Drafts as the untyped flows stored them before drafts were typed: a chat mid-flow during
# the upgrade carries on where it was.
OLD_DRAFTS: list[tuple[type, dict[str, Any], Callable[[Any], bool]]] = [
    (
        EncounterDraft,
        {
            "place": PLACE,
            "place_source": "track",
            "who": "resident",
            "who_text": None,
            "experience": None,
            "voice": [{"field": "experience", **VOICE}],
        },
        lambda d: (
            d.place == Place(**PLACE)
            and d.voice == (VoiceAnswer("experience", **VOICE),)
            and d.who == "resident"
        ),
    ),
    (
        KeyPersonDraft,
        {
            "alias": "the baker",
            "place": None,
            "place_text": "de markt",
            "follow_up_on": "2026-12-07",
        },
        lambda d: d.follow_up_on == date(2026, 12, 7) and d.place_text == "de markt",
    ),
    (
        MissingDraft,
        {
            "text": "geen bank",
            "media": [{**VOICE, "role": "what"}],
            "chat_id": 5,
            "message_id": 9,
            "theme": None,
            "distance_m": 1200,
        },
        lambda d: d.media == (RoleMedia("what", **VOICE),) and d.distance_m == 1200,
    ),
    (
        DiaryDraft,
        {"for_date": "2026-11-23", "yesterday": True, "need": "a doctor", "media": [VOICE]},
        lambda d: d.for_date == date(2026, 11, 23) and d.media == (NewMedia(**VOICE),),
    ),
    (
        DiaryDraft,
        {"mode": "enrol", "consent": "diary-2026-11", "time": None, "codes": [3, 4]},
        lambda d: d.mode == "enrol" and d.codes == (3, 4) and d.time is None,
    ),
    (WalkDraft, {"walk_id": 4, "awaiting": [7, 8]}, lambda d: d.awaiting == (7, 8)),
]


@pytest.mark.parametrize(("kind", "stored", "check"), OLD_DRAFTS)
def test_drafts_stored_before_they_were_typed_still_read(
    kind: type, stored: dict[str, Any], check: Callable[[Any], bool]
) -> None:
    draft = read_draft(kind, stored)
    assert check(draft)
    again = write_draft(draft)
    json.dumps(again)
    assert read_draft(kind, again) == draft


@pytest.mark.parametrize(
    ("kind", "stored"),
    [
        (WalkDraft, {"walk_id": "four"}),
        (WalkDraft, {"awaiting": 7}),
        (EncounterDraft, {"place": {"lat": 50.8}}),
        (DiaryDraft, {"for_date": "gisteren"}),
        (KeyPersonDraft, {"contact_consent": "yes"}),
        (WalkDraft, ["not", "an", "object"]),
    ],
)
def test_a_draft_that_does_not_fit_is_refused(kind: type, stored: Any) -> None:
    with pytest.raises(DraftError):
        read_draft(kind, stored)


def test_a_draft_type_needs_defaults() -> None:
    @dataclass(frozen=True)
    class Required:
        name: str

    with pytest.raises(TypeError):
        Flow(name="x", draft=Required, start=Go(_finish, END))
    assert write_draft(NoDraft()) == {}


def text(words: str) -> Input:
    return Input(
        kind=InputKind.TEXT, chat_id=4242, user_id=4242, date=NOW, message_id=1, text=words
    )


@pytest.fixture
def member_ctx(session_factory) -> Iterator[StepContext]:
    with session_factory() as session:
        org = orgs.create_organisation(session, "Buurtwerk", NOW, "en", [1])
        invite = orgs.create_invite(session, org.id, "staff", NOW, timedelta(days=1))
        version = consent_for("staff").version
        member = orgs.join_with_invite(session, invite, 4242, "en", version, NOW)
        yield StepContext(session=session, now=NOW, config=CONFIG, member=member)
        session.rollback()


def test_a_chat_whose_draft_cannot_be_read_starts_its_flow_afresh(member_ctx) -> None:
    broken = Position("missing", "theme", {"text": ["not", "words"]}, version=3)
    transition = route(member_ctx, text("De bakker is weg"), broken)
    keys = [effect.key for effect in transition.effects if isinstance(effect, Reply)]
    assert keys == ["flow.started_afresh", "missing.ask_what"]
    assert (transition.flow, transition.state, transition.draft) == ("missing", "what", {})


def test_a_tap_the_question_does_not_offer_is_answered_and_changes_nothing(member_ctx) -> None:
    position = Position("missing", "status", {"text": "geen bank"}, version=3)
    forged = Input(
        kind=InputKind.CALLBACK,
        chat_id=4242,
        user_id=4242,
        date=NOW,
        callback_data="3|st:forever",
        callback_query_id="q",
    )
    transition = route(member_ctx, forged, position)
    assert not transition.moved
    assert [effect.key for effect in transition.effects] == ["error.stale_button"]  # type: ignore[union-attr]
    # The same question's real button is read once, by its choice.
    tapped = route(
        member_ctx, Input(**{**forged.__dict__, "callback_data": "3|st:never"}), position
    )
    assert tapped.state == "place" and tapped.draft["status"] == "never"


def test_a_choice_reads_only_its_own_values() -> None:
    who = Choice("who", ("resident", "other"), label="encounter.who.{}")
    assert who.read("who:resident", None, None) == "resident"  # type: ignore[arg-type]
    assert who.read("who:mayor", None, None) is None  # type: ignore[arg-type]
    assert who.read("ch:resident", None, None) is None  # type: ignore[arg-type]
    assert who.button("other").value == "who:other"
    bare = Choice("", ("skip",), label="button.skip")
    assert bare.read("skip", None, None) == "skip"  # type: ignore[arg-type]
    assert bare.read("theme:skip", None, None) is None  # type: ignore[arg-type]
    assert tables.accepts_text(who) == "tap who:resident, other"
