"""A photo sent while Telegram's file server has a hiccup still reaches the media folder."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from reports.export import open_export
from storage.models import MediaFile, Observation
from tests.conversations.helpers import TRANSLATOR, join, says, start_walk, tap

pytestmark = pytest.mark.pipeline

GRAND_PLACE = (50.8467, 4.3525)
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200 + b"\xff\xd9"


def wait_for(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_a_photo_sent_while_files_are_refused_is_fetched_afterwards(
    sandbox, world, settings
) -> None:
    organisation = world.organisation()
    user = sandbox.user(user_id=1000, language_code="en")
    join(user, world.invite(organisation, "staff"), "en")
    started = start_walk(user)
    tap(user, started, TRANSLATOR.raw("en", "walk.focus.borders"))
    user.send_location(*GRAND_PLACE, live_period=3600)
    [tracking] = user.wait_for_messages(1)
    assert says(tracking, "walk.tracking", "en")

    # Telegram's file server answers 502 for a few seconds: the first tries fail.
    sandbox.refuse_files(3)
    user.send_photo(JPEG, caption="closed bakery")
    [saved] = user.wait_for_messages(1)
    assert saved["text"].startswith("✓")
    sandbox.wait_until(lambda: sandbox.refused_file_requests >= 1)

    def stored() -> MediaFile | None:
        with world.factory() as session:
            row = session.scalars(select(MediaFile)).one()
            return row if row.status != "pending" else None

    row = wait_for(stored)
    assert row.status == "stored" and row.attempts >= 2
    assert (Path(settings.media_dir) / row.path).read_bytes() == JPEG
    # Every try asked getFile afresh.
    assert len(sandbox.calls("getFile")) == row.attempts

    with world.factory() as session:
        note = session.scalars(select(Observation)).one()
        export = open_export(session, organisation)
        features = list(export.observation_features())
        paths = list(export.media_paths())
    [feature] = [f for f in features if f["id"] == note.id]
    assert feature["properties"]["media"] == [row.path]
    assert feature["properties"]["media_missing"] == []
    assert paths == [row.path]
