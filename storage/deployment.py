"""Values the deployment generates once and keeps: secrets, the bot's username."""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session

from storage.models import DeploymentValue


def get_value(session: Session, key: str) -> str | None:
    """Return a stored deployment value."""
    row = session.get(DeploymentValue, key)
    return row.value if row else None


def set_value(session: Session, key: str, value: str) -> None:
    """Store a deployment value, replacing an older one."""
    row = session.get(DeploymentValue, key)
    if row is None:
        session.add(DeploymentValue(key=key, value=value))
    else:
        row.value = value
    session.flush()


def get_or_create_secret(session: Session, key: str) -> str:
    """Return a generated secret, creating it the first time it is asked for."""
    value = get_value(session, key)
    if value is None:
        value = secrets.token_hex(32)
        set_value(session, key, value)
    return value
