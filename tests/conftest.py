"""Shared fixtures: a migrated database (SQLite by default, PostgreSQL when asked), clocks."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from storage.db import make_engine, make_session_factory, upgrade

POSTGRES_URL = os.environ.get("BUURTBOT_TEST_DATABASE_URL", "")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/test_storage as a storage test."""
    for item in items:
        if "tests/test_storage/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.storage)


def reset_postgres(url: str) -> None:
    """Drop everything in the test database's public schema."""
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def worker_postgres_url(worker: str) -> str:
    """Return a database of its own for each parallel test worker, creating it if needed."""
    if worker in ("", "master"):
        return POSTGRES_URL
    url = make_url(POSTGRES_URL)
    name = f"{url.database}_{worker}"
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).first()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_url(worker_id: str) -> str:
    """Return this worker's PostgreSQL URL (empty when PostgreSQL is not configured)."""
    return worker_postgres_url(worker_id) if POSTGRES_URL else ""


@pytest.fixture
def database_url(tmp_path: Path, postgres_url: str) -> str:
    """Return the URL of an empty database: PostgreSQL if configured, else a SQLite file."""
    if postgres_url:
        reset_postgres(postgres_url)
        return postgres_url
    return f"sqlite:///{tmp_path / 'buurtbot.db'}"


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a SQLite file migrated to the newest revision once per test process."""
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    upgrade(f"sqlite:///{path}")
    # Fold the write-ahead log into the file, so the file alone is the whole database.
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return path


@pytest.fixture
def migrated_database_url(database_url: str, request: pytest.FixtureRequest) -> str:
    """Return the URL of a database migrated to the newest revision.

    On SQLite the database starts as a copy of a migrated template: running every migration
    for each test costs far more than the test. upgrade() still runs (and finds nothing to do).
    Tests about migrating an empty database use `database_url` itself.
    """
    if database_url.startswith("sqlite:///"):
        template = request.getfixturevalue("migrated_sqlite_template")
        shutil.copyfile(template, database_url.removeprefix("sqlite:///"))
    upgrade(database_url)
    return database_url


@pytest.fixture
def session_factory(migrated_database_url: str) -> Iterator[sessionmaker[Session]]:
    """Return a session factory on a freshly migrated database."""
    engine = make_engine(migrated_database_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def now() -> datetime:
    """Return a fixed moment (a Tuesday morning in Brussels)."""
    return datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
