"""U+0000 in what a member sends is taken out before anything is stored (on both databases:
PostgreSQL refuses it in a text column, so the step used to fail there)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from bot.intake.updates import without_nul
from storage.db import reading
from storage.models import Observation
from tests.conversations.helpers import join, says

pytestmark = pytest.mark.pipeline

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 300 + b"\xff\xd9"


def test_without_nul_takes_it_out_of_every_string() -> None:
    payload = {"a\x00": ["x\x00y", {"t": "\x00\x00"}, 3, None, True], "b": "clean"}
    assert without_nul(payload) == {"a": ["xy", {"t": ""}, 3, None, True], "b": "clean"}


def stored_texts(world) -> list[str]:
    with reading(world.factory) as session:
        return [t for t in session.scalars(select(Observation.text).order_by(Observation.id))]


def test_a_note_and_a_caption_with_nul_are_kept_without_it(sandbox, world) -> None:
    user = sandbox.user(user_id=4600, language_code="en")
    join(user, world.invite(world.organisation(), "staff"), "en")
    user.send_text("the fountain\x00 is broken\x00")
    [saved, *_rest] = user.wait_for_messages(1)
    assert not says(saved, "error.generic", "en")
    user.send_photo(JPEG, caption="closed\x00 bakery")
    deadline = time.monotonic() + 15
    while len(stored_texts(world)) < 2:
        assert time.monotonic() < deadline, stored_texts(world)
        time.sleep(0.05)
    assert stored_texts(world) == ["the fountain is broken", "closed bakery"]
