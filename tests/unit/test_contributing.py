"""CONTRIBUTING.md's "How to add a flow" holds: what it names exists, its example flow works."""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
import types
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.dispatch.i18n import LANGUAGES
from flows import tables
from flows.engine import END, Flow, Input, InputKind

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT.joinpath("CONTRIBUTING.md").read_text()
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
# `path/to/file.py:NAME`, `path/with/<lang>/file.po`, `some/file.py` (new)
QUOTED = re.compile(r"`([^`\s]+)`( \(new\))?")


def section(title: str) -> str:
    """Return one section of the guide, up to the next section."""
    start = GUIDE.index(f"## {title}")
    end = GUIDE.find("\n## ", start + 1)
    return GUIDE[start : end if end != -1 else None]


def paths(text: str) -> list[tuple[str, bool]]:
    """Return the quoted paths of a text (with or without a name), and whether each is new."""
    return [(m[1], bool(m[2])) for m in QUOTED.finditer(text) if re.match(r"[\w<>]+/", m[1])]


def test_the_guide_has_the_section() -> None:
    assert "## How to add a flow" in GUIDE
    assert len(paths(section("How to add a flow"))) >= 15


@pytest.mark.parametrize(("quoted", "new"), paths(GUIDE))
def test_every_file_and_name_the_guide_quotes_exists(quoted: str, new: bool) -> None:
    path, _, name = quoted.partition(":")
    files = [path.replace("<lang>", language) for language in LANGUAGES]
    for file in files:
        if new:
            assert not ROOT.joinpath(file).exists(), f"{file} exists: drop its (new)"
            continue
        assert ROOT.joinpath(file).exists(), f"CONTRIBUTING.md names {file}, which is gone"
    if name:
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        assert hasattr(module, name), f"CONTRIBUTING.md names {quoted}, which is gone"


def test_every_command_the_guide_runs_exists() -> None:
    commands = re.findall(r"`python -m ([\w.]+)", GUIDE)
    assert commands
    for module in commands:
        assert importlib.util.find_spec(module) is not None, module


def example_flow() -> Flow[Any]:
    """Run the guide's example module and return the flow it declares."""
    [code] = re.findall(r"```python\n(.*?)```", section("How to add a flow"), re.DOTALL)
    module = types.ModuleType("meeting_example")
    sys.modules[module.__name__] = module  # dataclasses and typed drafts look their module up
    exec(compile(code, "CONTRIBUTING.md", "exec", dont_inherit=True), module.__dict__)
    [flow] = [value for value in vars(module).values() if isinstance(value, Flow)]
    return flow


def test_the_example_flow_is_a_whole_table() -> None:
    flow = example_flow()
    assert tables.unreachable(flow) == [] and tables.dead_ends(flow) == []
    assert "| size    | tap size:small, medium, large | size  | outcome |" in tables.render(flow)


def test_the_example_flow_runs_to_its_end() -> None:
    flow = example_flow()

    def said(kind: InputKind, **fields: Any) -> Input:
        return Input(kind=kind, chat_id=1, user_id=1, date=NOW, **fields)

    ctx: Any = None  # the example's steps need neither the database nor the member
    answers = [
        (None, said(InputKind.COMMAND, command="meeting"), "topic"),
        ("topic", said(InputKind.TEXT, text="De speeltuin"), "size"),
        ("size", said(InputKind.CALLBACK, callback_data="size:medium"), "outcome"),
        ("outcome", said(InputKind.TEXT, text="Meer schaduw"), END),
    ]
    draft = flow.fresh()
    for here, inp, expected in answers:
        if here is None:
            go, args = flow.start, (ctx, inp, draft)
        else:
            call = flow.states[here].find(ctx, inp, draft)
            assert not isinstance(call, str) and call is not None, here
            go, args = call.go, call.args
        outcome = flow.settle(ctx, go, here, go.step(*args))
        assert outcome.state == expected
        draft = outcome.draft if outcome.draft is not None else draft
    assert flow.read(flow.write(draft)) == draft
    assert (draft.topic, draft.size) == ("De speeltuin", "medium")
