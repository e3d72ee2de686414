"""Moving from SQLite to PostgreSQL: every row copied, new ids continue after the old ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.runtime.cli import main
from storage import organisations as orgs
from storage import pipeline
from storage.copy import CopyError, copy_database
from storage.db import make_engine, make_session_factory, upgrade
from storage.models import Base, InboxUpdate, Observation, Organisation
from storage.observations import add_observation

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def fill(url: str) -> None:
    upgrade(url)
    engine = make_engine(url)
    with make_session_factory(engine).begin() as session:
        org = orgs.create_organisation(session, "Buurtwerk Zuid", NOW, "fr", [1, 37])
        invite = orgs.create_invite(session, org.id, "staff", NOW, timedelta(days=3), None)
        member = orgs.join_with_invite(session, invite, 4242, "fr", "staff-1", NOW)
        for number in range(3):
            add_observation(
                session,
                organisation_id=org.id,
                member_id=member.id,
                author="staff",
                kind="walk_note",
                now=NOW + timedelta(minutes=number),
                text=f"banc cassé n°{number} « près de l'école »",
                chat_id=4242,
                message_id=number + 1,
                details={"tags": ["groen", "veilig"]},
            )
        update = {"update_id": 77, "message": {"chat": {"id": 4242}}}
        pipeline.store_updates(session, [pipeline.Received(77, 4242, update)], NOW)
    engine.dispose()


def counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with engine.connect() as connection:
        found = {
            table.name: connection.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
        }
    engine.dispose()
    return found


def test_every_row_is_copied_and_new_ids_follow(tmp_path: Path, database_url: str) -> None:
    source = f"sqlite:///{tmp_path / 'old.db'}"
    target = (
        database_url
        if database_url.startswith("postgresql")
        else (f"sqlite:///{tmp_path / 'new.db'}")
    )
    fill(source)
    copied = copy_database(source, target)
    assert copied == counts(source) == counts(target)
    assert copied["observations"] == 3 and copied["members"] == 1
    engine = make_engine(target)
    with make_session_factory(engine).begin() as session:
        texts = session.scalars(select(Observation.text).order_by(Observation.id)).all()
        assert texts[1] == "banc cassé n°1 « près de l'école »"
        observation = session.scalars(select(Observation)).first()
        assert observation is not None and observation.created_at == NOW
        assert observation.details == {"tags": ["groen", "veilig"]}
        assert session.scalar(select(InboxUpdate.payload))["update_id"] == 77
        fresh = orgs.create_organisation(session, "Nieuw", NOW)
        assert fresh.id == 2
        assert session.scalar(select(func.count()).select_from(Organisation)) == 2
    engine.dispose()
    with pytest.raises(CopyError, match="already holds data"):
        copy_database(source, target)


def test_the_cli_copies_in_one_line(tmp_path: Path, monkeypatch, capsys) -> None:
    source = f"sqlite:///{tmp_path / 'old.db'}"
    fill(source)
    monkeypatch.setenv("BUURTBOT_DATABASE_URL", source)
    monkeypatch.chdir(tmp_path)
    assert main(["db", "copy", "--to", f"sqlite:///{tmp_path / 'new.db'}"]) == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith("copied ") and "BUURTBOT_DATABASE_URL" in out
    assert main(["db", "copy", "--to", source]) == 1
    assert "same database" in capsys.readouterr().err
