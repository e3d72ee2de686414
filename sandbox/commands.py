"""The `buurtbot demo` and `buurtbot chat` commands, added to the bot's command line."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.runtime.cli import CliError, PluginCommand
from bot.runtime.settings import Settings


def _demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=Path("demo-out"), help="output folder")


def run_demo_command(settings: Settings, args: argparse.Namespace) -> str:
    """Run the scripted demo against the sandbox and write its outputs."""
    from sandbox.demo import run_demo

    if args.out.exists() and not args.out.is_dir():
        raise CliError(f"{args.out} exists and is not a folder")
    written = run_demo(settings, args.out)
    return f"done: {len(written)} files in {args.out}"


def run_chat_command(settings: Settings, _args: argparse.Namespace) -> str:
    """Talk to the bot from the terminal through the sandbox."""
    from sandbox.chat import run_chat

    run_chat(settings)
    return "bye"


DEMO = PluginCommand(
    name="demo",
    help="play four weeks of scripted fieldwork and write the weekly pictures",
    add_arguments=_demo_arguments,
    run=run_demo_command,
)
CHAT = PluginCommand(
    name="chat",
    help="talk to the bot from this terminal through a local sandbox",
    add_arguments=lambda parser: None,
    run=run_chat_command,
)
