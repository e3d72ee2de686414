"""Conversation fixtures: the real bot over HTTP against the local Bot API sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.runtime.runner import BotThread
from bot.runtime.settings import Settings, load_settings
from sandbox.server import SandboxServer
from storage import organisations as orgs
from storage.db import make_engine, make_session_factory, reading
from tests.conversations.helpers import stop_bot, unpaced


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """Start a strict sandbox; any request that breaks the Bot API spec fails the test."""
    server = SandboxServer(strict=True)
    server.start()
    yield server
    server.stop()
    assert server.violations == [], server.violations


@pytest.fixture
def settings(sandbox: SandboxServer, migrated_database_url: str, tmp_path: Path) -> Settings:
    """Return settings that point the bot at the sandbox and a fresh, migrated database."""
    return load_settings(environ={}, dotenv_path=None).with_overrides(
        telegram_token=sandbox.token,
        telegram_api_url=sandbox.url,
        database_url=migrated_database_url,
        media_dir=str(tmp_path / "media"),
        poll_timeout=5,
    )


@pytest.fixture
def bot(settings: Settings) -> Iterator[BotThread]:
    """Run the real bot in a thread until the test ends (with a pacer that never waits)."""
    runner = BotThread(settings, pacer=unpaced()).start()
    yield runner
    stop_bot(runner)


@pytest.fixture
def db(bot: BotThread, settings: Settings) -> Iterator[sessionmaker[Session]]:
    """Return a session factory on the bot's database."""
    engine = make_engine(settings.database_url)
    yield make_session_factory(engine)
    engine.dispose()


class World:
    """Organisations and invites made directly in the database, as the CLI would."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    def organisation(self, name: str = "Buurtwerk Noord") -> int:
        with self.factory.begin() as session:
            return orgs.create_organisation(session, name, datetime.now(UTC), "nl", [1, 2]).id

    def invite(
        self,
        organisation_id: int,
        role: str,
        max_uses: int | None = 1,
        valid_for: timedelta = timedelta(days=14),
    ) -> str:
        with self.factory.begin() as session:
            invite = orgs.create_invite(
                session, organisation_id, role, datetime.now(UTC), valid_for, max_uses
            )
            return invite.code

    def member(self, telegram_user_id: int):
        with reading(self.factory) as session:
            return orgs.get_member(session, telegram_user_id)


@pytest.fixture
def world(db: sessionmaker[Session]) -> World:
    """Return helpers to set up organisations and invites."""
    return World(db)
