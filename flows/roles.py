"""Roles and who may do what: the one table access control reads."""

from __future__ import annotations

COORDINATOR = "coordinator"
STAFF = "staff"
VOLUNTEER = "volunteer"
RESIDENT = "resident"
STRANGER = "stranger"

MEMBER_ROLES = (COORDINATOR, STAFF, VOLUNTEER, RESIDENT)
EVERYONE = frozenset({*MEMBER_ROLES, STRANGER})
MEMBERS = frozenset(MEMBER_ROLES)
COORDINATORS = frozenset({COORDINATOR})
FIELDWORKERS = frozenset({COORDINATOR, STAFF, VOLUNTEER})
# Paid staff: methods that take some skill to run (a focus group) are theirs.
STAFF_ROLES = frozenset({COORDINATOR, STAFF})


def consent_audience(role: str) -> str:
    """Return which consent text a role reads: residents and volunteers get the simpler one."""
    return "resident" if role in (RESIDENT, VOLUNTEER) else "staff"
