"""Copy every table from one database into an empty one (SQLite to PostgreSQL, say)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine, Integer, func, select, text
from sqlalchemy.engine import make_url

from storage.db import READ_ONLY, current_revision, make_engine, normalise_url, upgrade
from storage.models import Base

CHUNK = 5000


class CopyError(RuntimeError):
    """The copy cannot be made safely."""


def _head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    from storage.db import alembic_config

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def shown(url: str) -> str:
    """Return a URL fit to print: the password hidden."""
    return make_url(normalise_url(url)).render_as_string(hide_password=True)


def _check_target_empty(engine: Engine) -> None:
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            if connection.scalar(select(func.count()).select_from(table)):
                raise CopyError(
                    f"the target already holds data (table {table.name}); use an empty one"
                )


def _reset_sequences(engine: Engine) -> None:
    """Move PostgreSQL's id sequences past the copied ids, so new rows get fresh ones."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as connection:
        for table in Base.metadata.sorted_tables:
            for column in table.primary_key.columns:
                if not isinstance(column.type, Integer) or column.autoincrement is False:
                    continue
                sequence = connection.scalar(
                    text("SELECT pg_get_serial_sequence(:table, :column)"),
                    {"table": table.name, "column": column.name},
                )
                if sequence:
                    connection.execute(
                        text(
                            f'SELECT setval(:sequence, COALESCE((SELECT MAX("{column.name}")'
                            f' FROM "{table.name}"), 0) + 1, false)'
                        ),
                        {"sequence": sequence},
                    )


def copy_database(
    source_url: str, target_url: str, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Copy every row from the source into the empty, migrated target; return rows per table."""
    if normalise_url(source_url) == normalise_url(target_url):
        raise CopyError("the source and the target are the same database")
    source = make_engine(source_url)
    try:
        if current_revision(source) != _head_revision():
            raise CopyError("the source is not at the latest migration: run buurtbot db upgrade")
        upgrade(target_url)
        target = make_engine(target_url)
        try:
            _check_target_empty(target)
            copied: dict[str, int] = {}
            # One transaction on the target: a failed copy leaves it empty, ready for a retry.
            reading_source = source.execution_options(**{READ_ONLY: True})
            with reading_source.connect() as reader, target.begin() as writer:
                for table in Base.metadata.sorted_tables:
                    order = list(table.primary_key.columns)
                    result = reader.execution_options(yield_per=CHUNK).execute(
                        select(table).order_by(*order)
                    )
                    count = 0
                    for chunk in result.mappings().partitions(CHUNK):
                        writer.execute(table.insert(), [dict(row) for row in chunk])
                        count += len(chunk)
                    copied[table.name] = count
                    if progress is not None:
                        progress(table.name, count)
            _reset_sequences(target)
            return copied
        finally:
            target.dispose()
    finally:
        source.dispose()
