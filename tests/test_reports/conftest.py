"""Fixtures the report tests share: the round report's four weeks of fieldwork."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.test_reports.test_round_builder import RoundScene, populate_round


@pytest.fixture
def round_scene(session_factory: sessionmaker[Session], now: datetime) -> RoundScene:
    """Return the populated organisation of the round report tests."""
    return populate_round(session_factory, now)
