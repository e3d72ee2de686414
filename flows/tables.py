"""Every flow's table, as the engine reads it: rendered for people, walked as a graph for tests.

`python -m flows.tables` prints the tables of every flow module; `--write` puts them into the
modules' docstrings, where tests/unit/test_flow_tables.py checks they still match the code.

Reading a table: "goes to" lists where a step may lead besides staying in its state, which is
always allowed ("(stays)": nowhere else); "end" ends the flow. (start) is the command that
starts the flow, (entry) another way in (a kept note), (any) a command answered in any state.
"""

from __future__ import annotations

import importlib
import re
import sys
import textwrap
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from flows.commands import COMMANDS
from flows.engine import END, Choice, Flow, Go, InputKind, Key
from flows.registry import FLOWS

START = "(start)"
ENTRY = "(entry)"
ANY = "(any)"
HEADER = ("state", "accepts", "step", "goes to")
# Widest a cell grows before it wraps: a table line stays within 100 characters.
WIDTHS = (11, 34, 22, 18)


def accepts_text(item: InputKind | Choice | Key) -> str:
    """Describe what a table entry accepts: an input kind, a tapped choice, a keyboard key."""
    if isinstance(item, Key):
        return f"keyboard {item.key.removeprefix('button.')}"
    if isinstance(item, Choice):
        if item.shown or not isinstance(item.values, tuple):
            values = item.shown
        else:
            values = ", ".join(item.values)
        return f"tap {item.prefix}:{values}" if item.prefix else f"tap {values}"
    return item.value.replace("_", " ")


def targets_text(go: Go[Any]) -> str:
    """Describe where a step may lead (staying put is always allowed, so it is not listed)."""
    if not go.to:
        return "(stays)"
    return ", ".join("end" if target is END else target for target in go.to)


def rows(flow: Flow[Any]) -> list[tuple[str, str, str, str]]:
    """Return a flow's table rows: state, accepts, step, goes to."""
    commands = [f"/{c.name}" for c in COMMANDS if c.flow == flow.name]
    found = [(START, ", ".join(commands) or "-", flow.start.name, targets_text(flow.start))]
    for name, go in flow.entries.items():
        found.append((ENTRY, name, go.name, targets_text(go)))
    for state_name, state in flow.states.items():
        for item, go in state.on.items():
            row = (state_name, accepts_text(item), go.name, targets_text(go))
            last = found[-1]
            if (last[0], last[2], last[3]) == (row[0], row[2], row[3]):
                # One row for the inputs one step takes alike (text, voice ...).
                found[-1] = (last[0], f"{last[1]}, {row[1]}", last[2], last[3])
            else:
                found.append(row)
    for command, go in flow.commands.items():
        found.append((ANY, f"/{command}", go.name, targets_text(go)))
    if flow.cancel is not None:
        found.append((ANY, "/cancel", flow.cancel.name, targets_text(flow.cancel)))
    return found


def render(flow: Flow[Any]) -> str:
    """Return a flow's table as Markdown, cells wrapped to keep lines short."""
    table = rows(flow)
    widths = [
        min(limit, max(len(HEADER[i]), *(len(row[i]) for row in table)))
        for i, limit in enumerate(WIDTHS)
    ]

    def line(cells: Iterable[str]) -> str:
        return (
            "| "
            + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
            + " |"
        )

    lines = [line(HEADER), "|" + "|".join("-" * (width + 2) for width in widths) + "|"]
    for row in table:
        wrapped = [
            textwrap.wrap(cell, width, break_on_hyphens=False) or [""]
            for cell, width in zip(row, widths, strict=True)
        ]
        for i in range(max(len(cell) for cell in wrapped)):
            lines.append(line(cell[i] if i < len(cell) else "" for cell in wrapped))
    return "\n".join(lines)


# -- the graph -----------------------------------------------------------------------------


def edges(flow: Flow[Any]) -> dict[str, set[str | None]]:
    """Return where each state may lead: its own steps' targets and the flow's commands'."""
    anywhere = {target for go in flow.commands.values() for target in go.to}
    return {
        name: {target for go in state.on.values() for target in go.to} | anywhere
        for name, state in flow.states.items()
    }


def ways_in(flow: Flow[Any]) -> set[str | None]:
    """Return the states a chat may enter the flow at (by its start, entries or commands)."""
    ways = [flow.start, *flow.entries.values(), *flow.commands.values()]
    return {target for go in ways for target in go.to}


def unreachable(flow: Flow[Any]) -> list[str]:
    """Return the states no way into the flow leads to."""
    graph = edges(flow)
    seen: set[str | None] = set()
    todo = list(ways_in(flow))
    while todo:
        state = todo.pop()
        if state in seen:
            continue
        seen.add(state)
        todo.extend(graph.get(state, ()) if state is not END else ())
    return [name for name in flow.states if name not in seen]


def dead_ends(flow: Flow[Any]) -> list[str]:
    """Return the states from which the flow can never end (/cancel aside)."""
    graph = edges(flow)
    ending: set[str | None] = {END}
    changed = True
    while changed:
        changed = False
        for name, targets in graph.items():
            if name not in ending and targets & ending:
                ending.add(name)
                changed = True
    return [name for name in flow.states if name not in ending]


# -- the docstrings ------------------------------------------------------------------------


def modules() -> dict[str, list[Flow[Any]]]:
    """Return each flow module's name with the flows it defines, in registry order."""
    found: dict[str, list[Flow[Any]]] = {}
    for flow in FLOWS.values():
        found.setdefault(flow.start.step.__module__, []).append(flow)
    return found


def module_tables(flows: list[Flow[Any]]) -> str:
    """Return the tables of a module's flows, each under its name when there are several."""
    if len(flows) == 1:
        return render(flows[0])
    return "\n\n".join(f"{flow.name}:\n\n{render(flow)}" for flow in flows)


def _table_span(docstring: str) -> tuple[int, int] | None:
    """Return the (first, last + 1) lines of a docstring's tables, from the first table line."""
    lines = docstring.split("\n")
    table = [i for i, text in enumerate(lines) if text.startswith("|")]
    if not table:
        return None
    first, last = table[0], table[-1]
    # A flow's name above its table belongs to the tables too.
    if first >= 2 and lines[first - 1] == "" and re.fullmatch(r"[a-z_]+:", lines[first - 2]):
        first -= 2
    return first, last + 1


def docstring_tables(module: ModuleType) -> str | None:
    """Return the tables in a module's docstring (with the flow names between them)."""
    docstring = module.__doc__ or ""
    span = _table_span(docstring)
    if span is None:
        return None
    return "\n".join(docstring.split("\n")[span[0] : span[1]])


def write_tables(module: ModuleType, tables: str) -> None:
    """Put the rendered tables into a module's docstring, in place of the tables there."""
    path = Path(module.__file__ or "")
    source = path.read_text()
    old = docstring_tables(module)
    if old is not None:
        source = source.replace(old, tables, 1)
    else:
        # After the docstring's summary line.
        end = source.index("\n")
        summary = source[:end]
        if summary.endswith('"""'):
            summary = summary.removesuffix('"""') + "\n"
            source = f'{summary}\n{tables}\n"""' + source[end:]
        else:
            source = f"{summary}\n\n{tables}" + source[end:]
    path.write_text(source)


def check(write: bool = False) -> Iterator[str]:
    """Yield the flow modules whose docstring tables differ from their flows (and fix them)."""
    for name, flows in modules().items():
        module = importlib.import_module(name)
        tables = module_tables(flows)
        if docstring_tables(module) != tables:
            if write:
                write_tables(module, tables)
            yield name


def main(argv: list[str]) -> int:
    """Print every flow's table; with --write, update the docstrings that differ."""
    if "--write" in argv:
        for name in check(write=True):
            print(f"updated {name}")
        return 0
    for name, flows in modules().items():
        print(f"{name}\n\n{module_tables(flows)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
