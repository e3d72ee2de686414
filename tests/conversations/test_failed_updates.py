"""A failed update never loses content: it is kept, the member is told the truth, it is retried."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import inspect, select, text, update

from bot.dispatch import dispatcher
from bot.runtime.cli import main as cli
from storage import pipeline
from storage.db import reading
from storage.models import InboxUpdate, Observation
from tests.conversations.helpers import TRANSLATOR, join, says, tap, wait_drained

pytestmark = pytest.mark.pipeline

CONTROL = "The bench by the school is gone"
FAULTY = "The fountain on the square leaks since Monday"
LATER = "The bakery on the corner closed"


@pytest.fixture(autouse=True)
def quick_retry_checks(monkeypatch) -> None:
    """Look for due retries often; the schedule itself (RETRY_AFTER) stays as it is."""
    monkeypatch.setattr(dispatcher, "RETRY_CHECK", 0.3, raising=False)


def fail_on(monkeypatch, note: str, times: int) -> list[str]:
    """Make the flow step raise for one text, a number of times; return the failures so far."""
    real = dispatcher.route
    failures: list[str] = []

    def route(ctx, inp, position):  # noqa: ANN001, ANN202 - same signature as flows.router.route
        if inp.text == note and len(failures) < times:
            failures.append(note)
            raise RuntimeError("injected fault")
        return real(ctx, inp, position)

    monkeypatch.setattr(dispatcher, "route", route)
    return failures


def retry_checks(monkeypatch) -> list[int]:
    """Count the dispatcher's looks for due retries (a growing list; one entry per look)."""
    real = pipeline.due_retries
    looks: list[int] = []

    def due_retries(session, now):  # noqa: ANN001, ANN202 - same signature as pipeline's
        found = real(session, now)
        looks.append(len(found))
        return found

    monkeypatch.setattr(pipeline, "due_retries", due_retries)
    return looks


def wait_for(predicate, timeout: float = 30.0):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def inbox_row(factory, note: str) -> InboxUpdate | None:  # noqa: ANN001
    """Return the inbox row whose (kept) message text is this note."""
    with reading(factory) as session:
        for row in session.scalars(select(InboxUpdate).where(InboxUpdate.payload.is_not(None))):
            if (row.payload.get("message") or {}).get("text") == note:
                session.expunge(row)
                return row
    return None


def notes(factory, note: str) -> int:  # noqa: ANN001
    with reading(factory) as session:
        return len(session.scalars(select(Observation.id).where(Observation.text == note)).all())


def let_the_wait_pass(factory, row_id: int) -> None:  # noqa: ANN001
    """Move the last try back by its wait, as if the time had passed."""
    with factory.begin() as session:
        row = session.get(InboxUpdate, row_id)
        wait = pipeline.RETRY_AFTER[row.attempts - 1]
        session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.id == row_id)
            .values(processed_at=row.processed_at - wait - timedelta(seconds=1))
        )


def status(factory, row_id: int) -> tuple[str, int] | None:  # noqa: ANN001
    with reading(factory) as session:
        row = session.get(InboxUpdate, row_id)
        return None if row is None else (row.status, row.attempts)


def settled(user, factory, sandbox) -> list[dict]:  # noqa: ANN001
    wait_drained(factory, sandbox, timeout=30)
    return user.new_messages()


def test_a_failed_step_is_kept_told_truthfully_and_retried_by_itself(
    sandbox, world, monkeypatch, caplog
) -> None:
    user = sandbox.user(user_id=2101, first_name="Yasmina", language_code="en")
    join(user, world.invite(world.organisation(), "staff"), "en")
    settled(user, world.factory, sandbox)
    user.send_text(CONTROL)
    normal = settled(user, world.factory, sandbox)
    assert normal and notes(world.factory, CONTROL) == 1

    failures = fail_on(monkeypatch, FAULTY, times=1)
    user.send_text(FAULTY)
    [notice] = user.wait_for_messages(1)
    assert says(notice, "error.generic", "en"), notice["text"]
    assert failures == [FAULTY]
    # The update is kept whole, with its chat, for the retry; only the error's kind is noted.
    row = wait_for(lambda: inbox_row(world.factory, FAULTY))
    assert (row.status, row.chat_id, row.error, row.attempts) == ("failed", 2101, "RuntimeError", 1)
    assert pipeline.next_try(row) == row.processed_at + timedelta(minutes=1)
    assert notes(world.factory, FAULTY) == 0
    assert "RuntimeError" in caplog.text and FAULTY not in caplog.text

    # The chat is not blocked meanwhile: a later note goes through as usual.
    user.send_text(LATER)
    later = settled(user, world.factory, sandbox)
    assert later and notes(world.factory, LATER) == 1
    assert status(world.factory, row.id) == ("failed", 1)

    # A minute later the bot tries again by itself, through the flows as the chat stands now.
    let_the_wait_pass(world.factory, row.id)
    wait_for(lambda: status(world.factory, row.id) == ("done", 2))
    retried = settled(user, world.factory, sandbox)
    assert notes(world.factory, FAULTY) == 1
    assert len(retried) == len(later), [m.get("text") for m in retried]
    assert not any(says(m, "error.generic", "en") for m in retried)
    # The replies that step normally gives, as the later note got them.
    assert [m.get("text") for m in retried] == [
        (m.get("text") or "").replace(LATER, FAULTY) or None for m in later
    ]
    # Done: the inbox keeps nothing of it any more.
    assert inbox_row(world.factory, FAULTY) is None


def test_when_the_tries_are_spent_the_member_is_told_once_and_the_team_replays_it(
    sandbox, world, settings, monkeypatch, tmp_path
) -> None:
    user = sandbox.user(user_id=2102, language_code="nl")
    join(user, world.invite(world.organisation(), "staff"), "nl")
    settled(user, world.factory, sandbox)
    fail_on(monkeypatch, FAULTY, times=pipeline.MAX_ATTEMPTS)
    user.send_text(FAULTY)
    [notice] = user.wait_for_messages(1)
    assert says(notice, "error.generic", "nl"), notice["text"]
    row = wait_for(lambda: inbox_row(world.factory, FAULTY))
    for tries in range(1, pipeline.MAX_ATTEMPTS):
        wait_for(lambda t=tries: status(world.factory, row.id) == ("failed", t))
        let_the_wait_pass(world.factory, row.id)
    wait_for(lambda: status(world.factory, row.id) == ("failed", pipeline.MAX_ATTEMPTS))
    [gave_up] = user.wait_for_messages(1)
    assert says(gave_up, "error.gave_up", "nl"), gave_up["text"]
    # Told once: the silent retries in between sent nothing.
    assert settled(user, world.factory, sandbox) == []
    kept = inbox_row(world.factory, FAULTY)
    assert kept is not None and pipeline.next_try(kept) is None

    # No more automatic tries, however long one waits.
    with world.factory.begin() as session:
        session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.id == row.id)
            .values(processed_at=kept.processed_at - timedelta(days=2))
        )
    looks = retry_checks(monkeypatch)
    # Two looks since the change: the first one's requeue (if any) is committed by the second.
    wait_for(lambda: len(looks) >= 2)
    assert looks[:2] == [0, 0]
    assert status(world.factory, row.id) == ("failed", pipeline.MAX_ATTEMPTS)

    # The cause is fixed (the fault was for four tries only); the team replays the update
    # from the command line, and the running bot processes it.
    monkeypatch.setenv("BUURTBOT_DATABASE_URL", settings.database_url)
    monkeypatch.chdir(tmp_path)
    assert cli(["inbox", "retry", str(row.id)]) == 0
    wait_for(lambda: status(world.factory, row.id) == ("done", pipeline.MAX_ATTEMPTS + 1))
    replies = settled(user, world.factory, sandbox)
    assert replies and not any(says(m, "error.gave_up", "nl") for m in replies)
    assert notes(world.factory, FAULTY) == 1


def test_forget_deletes_the_members_failed_updates_with_their_content(
    sandbox, world, monkeypatch
) -> None:
    user = sandbox.user(user_id=2103, username="yas_bxl", language_code="fr")
    join(user, world.invite(world.organisation(), "volunteer"), "fr")
    settled(user, world.factory, sandbox)
    fail_on(monkeypatch, FAULTY, times=1)
    user.send_text(FAULTY)
    [notice] = user.wait_for_messages(1)
    assert says(notice, "error.generic", "fr"), notice["text"]
    row = wait_for(lambda: inbox_row(world.factory, FAULTY))
    assert (row.status, row.chat_id) == ("failed", 2103)

    user.send_command("/forget")
    [question] = user.wait_for_messages(1)
    tap(user, question, TRANSLATOR.raw("fr", "forget.button_yes"))
    [goodbye] = user.wait_for_messages(1)
    assert says(goodbye, "forget.done", "fr"), goodbye["text"]
    wait_drained(world.factory, sandbox, timeout=30)
    with reading(world.factory) as session:
        assert session.get(InboxUpdate, row.id) is None
        # Nothing of what they sent is left anywhere, failed or not.
        for table in inspect(session.get_bind()).get_table_names():
            for found in session.execute(text(f'SELECT * FROM "{table}"')):
                rendered = json.dumps(list(found), default=str)
                assert "fountain" not in rendered and "yas_bxl" not in rendered, (table, found)
