"""Every flow by name, plus the hooks the router consults: all of it plain data."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flows import walk
from flows.area import AREA
from flows.capture import NOTE_FLOW, note_button
from flows.diary import DIARY, diary_button
from flows.digest import DIGEST
from flows.encounter import ENCOUNTER
from flows.engine import Effect, Flow, Input, InputKind, StepContext, Switch
from flows.export import EXPORT
from flows.focusgroup import FOCUSGROUP
from flows.help import HELP
from flows.hypothesis import HYPOTHESIS, evidence_button, evidence_reply_button, verdict_reply
from flows.invite import INVITE
from flows.keyperson import KEYPERSON
from flows.language import LANGUAGE
from flows.missing import MISSING
from flows.name import NAME
from flows.observe import UNDO, obs_button
from flows.onboarding import ONBOARDING
from flows.privacy import FORGET, MYDATA, consent_button
from flows.rounds import REPORT, ROUND
from flows.survey import LINK_PREFIX, SURVEY
from flows.team import TEAM
from flows.teamfeed import LINKTEAM, UNLINKTEAM, team_button

if TYPE_CHECKING:
    from flows.router import Position

FLOWS: dict[str, Flow[Any]] = {
    flow.name: flow
    for flow in (
        ONBOARDING,
        MYDATA,
        FORGET,
        TEAM,
        HELP,
        LANGUAGE,
        INVITE,
        UNDO,
        walk.WALK,
        walk.ENDWALK,
        EXPORT,
        ENCOUNTER,
        KEYPERSON,
        MISSING,
        FOCUSGROUP,
        AREA,
        DIARY,
        DIGEST,
        SURVEY,
        REPORT,
        ROUND,
        HYPOTHESIS,
        NOTE_FLOW,
        NAME,
        LINKTEAM,
        UNLINKTEAM,
    )
}

# A /start argument with one of these prefixes opens another flow than joining (a survey link).
START_LINKS: dict[str, str] = {LINK_PREFIX: SURVEY.name}

# Inputs handled whatever flow the chat is in (a live location keeps feeding the walk's track).
BACKGROUND: dict[InputKind, Callable[[StepContext, Input], tuple[Effect, ...] | None]] = {
    InputKind.LIVE_LOCATION: walk.live_location,
    InputKind.LIVE_STOPPED: walk.live_stopped,
    InputKind.EDITED: walk.corrected,
}

# Buttons that stay valid across steps, by the name after "g|" (their handler checks them).
GLOBAL_BUTTONS: dict[
    str, Callable[[StepContext, Input, list[str]], tuple[Effect, ...] | Switch]
] = {
    "obs": obs_button,
    "note": note_button,
    "consent": consent_button,
    "diary": diary_button,
    "hyp": evidence_button,
    "hypr": evidence_reply_button,
    "team": team_button,
}

# A verdict word replying to a saved line ("+1", "klopt niet"): evidence for a hypothesis.
VERDICT_REPLY: Callable[[StepContext, Input], tuple[Effect, ...] | None] = verdict_reply

# When a flow ends, these may put the chat back into a longer-running flow.
RESUME: list[Callable[[StepContext], Position | None]] = [walk.resume_walk]
