"""CI runs the README's test command exactly as the README writes it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def readme_test_command(readme: str) -> str:
    """Return the command in the first fenced block after the "Run the tests" line."""
    after = readme.split("Run the tests", 1)[1]
    block = re.search(r"^```[a-z]*\n(.*?)^```", after, re.MULTILINE | re.DOTALL)
    assert block is not None, "no fenced block under 'Run the tests'"
    lines = [line.strip() for line in block.group(1).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return lines[0]


def command_lines(script: str) -> list[str]:
    """Return the script's lines as commands: stripped, without comments and blank lines."""
    stripped = (line.strip() for line in script.splitlines())
    return [line for line in stripped if line and not line.startswith("#")]


def test_the_readme_block_is_read_as_one_command() -> None:
    readme = "Intro\n\nRun the tests:\n\n```sh\nmake check\n```\n\n```sh\nother\n```\n"
    assert readme_test_command(readme) == "make check"


def test_ci_runs_the_readmes_test_command_verbatim() -> None:
    command = readme_test_command((ROOT / "README.md").read_text(encoding="utf-8"))
    assert "pytest" in command, command
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert command in command_lines(script), f".ci/run does not run {command!r} as a line"
