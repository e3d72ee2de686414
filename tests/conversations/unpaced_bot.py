"""`buurtbot run` for tests that are not about pacing: the same bot, with a zero-interval pacer.

spawn_bot() starts this instead of `python -m bot.runtime.cli` unless a test asks for the real
pacer.
Only the pacer handed to build_app() differs; settings, migrations and the run loop are the
CLI's own. (The children of `--workers N` run `bot.runtime.cli` itself, with the real pacer.)
"""

from __future__ import annotations

import sys

import bot.runtime.app
from bot.dispatch.dispatcher import utc_now
from bot.runtime.cli import main
from tests.conversations.helpers import unpaced

_build_app = bot.runtime.app.build_app


def build_app_unpaced(settings, clock=utc_now, pacer=None):
    """build_app() with a zero-interval pacer unless one is given."""
    return _build_app(settings, clock=clock, pacer=pacer or unpaced())


if __name__ == "__main__":
    bot.runtime.app.build_app = build_app_unpaced
    sys.exit(main(["run", *sys.argv[1:]]))
