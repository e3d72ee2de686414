"""/digest in Telegram: a coordinator gets the summary and the picture as a file."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from reports.digest import last_full_week, week_of
from storage import observations as obs
from storage.observations import Place
from tests.conversations.helpers import TRANSLATOR, join, says, tap

pytestmark = pytest.mark.pipeline

COORDINATOR_ID = 710
GRAND_PLACE = Place(lat=50.8467, lon=4.3516, wijk_code=1, municipality_nis=21004, in_brussels=True)


def record(world, organisation_id: int, member_id: int, when: datetime) -> None:
    """A walk note with markup in it and a missing thing, stored as the flows store them."""
    common = {"organisation_id": organisation_id, "member_id": member_id, "author": "P-DIGEST1"}
    with world.factory.begin() as session:
        obs.add_observation(
            session,
            **common,
            kind="walk_note",
            now=when,
            text="Bench <script>alert(1)</script>",
            place=GRAND_PLACE,
        )
        obs.add_observation(
            session, **common, kind="missing", now=when, text="Laundrette", theme="shops"
        )


def ask(user, language: str, button_key: str) -> list[dict]:
    user.send_command("/digest")
    [choose] = user.wait_for_messages(1)
    assert says(choose, "digest.choose", language)
    tap(user, choose, TRANSLATOR.raw(language, button_key))
    coming, summary, document = user.wait_for_messages(3, timeout=30)
    assert says(coming, "digest.coming", language)
    return [summary, document]


def title(language: str, week: int) -> str:
    head = TRANSLATOR.raw(language, "digest.summary.title").split("·")[0]
    return re.sub(r"<[^>]+>", "", head).replace("{week}", str(week)).strip()


def test_a_coordinator_gets_last_weeks_picture(sandbox, world, join_member) -> None:
    coordinator, member = join_member(COORDINATOR_ID, "coordinator", "en")
    record(world, member.organisation_id, member.id, datetime.now(UTC) - timedelta(days=7))
    summary, document = ask(coordinator, "en", "digest.button.last")
    _year, week = last_full_week(datetime.now(UTC))
    assert summary["text"].startswith(title("en", week))
    assert "• " in summary["text"]  # the week's findings come first
    assert document["document"]["file_name"].endswith(".html")
    page = sandbox.file_bytes(document["document"]["file_id"]).decode()
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page
    assert "Bench &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Laundrette" in page.split('id="list"')[1]  # every note is listed
    assert "<script>alert(1)" not in page


def test_this_week_so_far_in_dutch(sandbox, world, join_member) -> None:
    coordinator, member = join_member(COORDINATOR_ID, "coordinator", "nl")
    record(world, member.organisation_id, member.id, datetime.now(UTC) - timedelta(minutes=1))
    summary, document = ask(coordinator, "nl", "digest.button.current")
    _year, week = week_of(datetime.now(UTC))
    assert "tot nu" in summary["text"] and f"week {week}" in summary["text"]
    page = sandbox.file_bytes(document["document"]["file_id"]).decode()
    assert '<html lang="nl">' in page and "Kaart van de week" in page


def test_a_volunteer_is_refused(sandbox, world, join_member) -> None:
    volunteer, _member = join_member(711, "volunteer", "fr")
    volunteer.send_command("/digest")
    [refused] = volunteer.wait_for_messages(1)
    assert says(refused, "error.not_allowed", "fr", command="portrait")  # the member's own word
    assert not sandbox.calls("sendDocument")


@pytest.fixture
def join_member(sandbox, world):
    """Return a helper that makes a member with a role through onboarding."""
    organisation_id = world.organisation()

    def make(user_id: int, role: str, language: str):
        user = sandbox.user(user_id=user_id, language_code=language)
        join(user, world.invite(organisation_id, role), language)
        return user, world.member(user_id)

    return make
