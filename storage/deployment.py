"""Values the deployment generates once and keeps: secrets, the bot's username."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.db import upsert_insert
from storage.models import DeploymentValue


def get_value(session: Session, key: str) -> str | None:
    """Return a stored deployment value."""
    return session.scalar(select(DeploymentValue.value).where(DeploymentValue.key == key))


def set_value(session: Session, key: str, value: str) -> None:
    """Store a deployment value, replacing an older one (workers may do this at once)."""
    statement = upsert_insert(session)(DeploymentValue).values(key=key, value=value)
    session.execute(statement.on_conflict_do_update(index_elements=["key"], set_={"value": value}))


def get_or_create_secret(session: Session, key: str) -> str:
    """Return a generated secret, creating it the first time it is asked for.

    Workers starting together on a new database may all try: the first insert wins and every
    one of them reads that same secret back.
    """
    value = get_value(session, key)
    if value is not None:
        return value
    candidate = secrets.token_hex(32)
    session.execute(
        upsert_insert(session)(DeploymentValue)
        .values(key=key, value=candidate)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    stored = get_value(session, key)
    assert stored is not None
    return stored
