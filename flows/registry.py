"""Every flow by name: the router looks flows up here."""

from __future__ import annotations

from flows.engine import Flow
from flows.help import HELP
from flows.invite import INVITE
from flows.language import LANGUAGE
from flows.onboarding import ONBOARDING

FLOWS: dict[str, Flow] = {flow.name: flow for flow in (ONBOARDING, HELP, LANGUAGE, INVITE)}
