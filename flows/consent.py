"""Versioned consent texts, one per audience; a new version means asking again."""

from __future__ import annotations

from dataclasses import dataclass

from flows.roles import consent_audience


@dataclass(frozen=True)
class ConsentText:
    """One consent text: its version (stored with the member) and its catalog key."""

    audience: str
    version: str
    key: str


CONSENT_TEXTS = {
    "staff": ConsentText("staff", "staff-2026-11", "consent.staff"),
    "resident": ConsentText("resident", "resident-2026-11", "consent.resident"),
}


def consent_for(role: str) -> ConsentText:
    """Return the current consent text for a role."""
    return CONSENT_TEXTS[consent_audience(role)]


# Commands and flows that record observations: they need the member's consent to be current.
RECORDING = frozenset(
    {"walk", "endwalk", "encounter", "keyperson", "missing", "focusgroup", "diary", "note"}
)


def consent_is_current(role: str, version: str) -> bool:
    """Say whether a member agreed to the current text for their role."""
    return consent_for(role).version == version
