"""Migrations build the schema from nothing and can go down and up again."""

from __future__ import annotations

from sqlalchemy import inspect

from storage.db import current_revision, downgrade, make_engine, upgrade
from storage.models import Base


def test_upgrade_from_empty_creates_every_model_table(database_url: str) -> None:
    upgrade(database_url)
    engine = make_engine(database_url)
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert current_revision(engine) is not None
    engine.dispose()


def test_downgrade_to_base_and_upgrade_again_round_trips(database_url: str) -> None:
    upgrade(database_url)
    downgrade(database_url, "base")
    engine = make_engine(database_url)
    assert not set(Base.metadata.tables) & set(inspect(engine).get_table_names())
    engine.dispose()
    upgrade(database_url)
    engine = make_engine(database_url)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_models_and_migrations_agree(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    upgrade(database_url)
    engine = make_engine(database_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []
