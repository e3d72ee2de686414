"""Every flow by name, plus the hooks the router consults: all of it plain data."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from flows import walk
from flows.engine import Effect, Flow, Input, InputKind, StepContext
from flows.help import HELP
from flows.invite import INVITE
from flows.language import LANGUAGE
from flows.observe import UNDO, obs_button
from flows.onboarding import ONBOARDING

if TYPE_CHECKING:
    from flows.router import Position

FLOWS: dict[str, Flow] = {
    flow.name: flow for flow in (ONBOARDING, HELP, LANGUAGE, INVITE, UNDO, walk.WALK, walk.ENDWALK)
}

# Inputs handled whatever flow the chat is in (a live location keeps feeding the walk's track).
BACKGROUND: dict[InputKind, Callable[[StepContext, Input], tuple[Effect, ...] | None]] = {
    InputKind.LIVE_LOCATION: walk.live_location,
    InputKind.LIVE_STOPPED: walk.live_stopped,
    InputKind.EDITED: walk.corrected,
}

# Buttons that stay valid across steps, by the name after "g|" (their handler checks them).
GLOBAL_BUTTONS: dict[str, Callable[[StepContext, Input, list[str]], tuple[Effect, ...]]] = {
    "obs": obs_button,
}

# When a flow ends, these may put the chat back into a longer-running flow.
RESUME: list[Callable[[StepContext], Position | None]] = [walk.resume_walk]
