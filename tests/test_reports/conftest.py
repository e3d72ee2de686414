"""Fixtures the report tests share: the round report's four weeks of fieldwork, and an
organisation's focus groups in those weeks."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.test_reports.test_round_builder import (
    RoundScene,
    populate_focus_groups,
    populate_round,
    populate_surveys,
)


@pytest.fixture
def round_scene(session_factory: sessionmaker[Session], now: datetime) -> RoundScene:
    """Return the populated organisation of the round report tests."""
    return populate_round(session_factory, now)


@pytest.fixture
def focus_scene(session_factory: sessionmaker[Session], now: datetime) -> RoundScene:
    """Return an organisation whose four weeks hold focus groups."""
    return populate_focus_groups(session_factory, now)


@pytest.fixture
def survey_scene(session_factory: sessionmaker[Session], now: datetime) -> RoundScene:
    """Return an organisation whose four weeks hold survey answers."""
    return populate_surveys(session_factory, now)
