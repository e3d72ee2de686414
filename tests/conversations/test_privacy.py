"""Privacy as a feature: own data, erasure that leaves no trace, consent asked again, clean logs."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text

from flows import consent as consent_module
from storage.db import reading, sqlite_file
from storage.models import Member, Observation, OutboxMessage
from tests.conversations.helpers import TRANSLATOR, join, says, start_walk, tap

pytestmark = pytest.mark.pipeline

FLAGEY = (50.8275, 4.3725)
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 300 + b"\xff\xd9"


def wait_for(predicate, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def walk_with_notes(user) -> None:
    start_walk(user)
    user.send_location(*FLAGEY)
    user.send_photo(JPEG, caption="Zorro saw the broken fountain")
    user.wait_for_messages(3)  # two saved lines and the location question for the photo
    user.send_command("/endwalk")
    user.wait_for_messages(2)
    user.send_text("Reflection by Zorro: the square is alive")
    user.wait_for_messages(1)


def test_mydata_sends_everything_about_and_by_the_member(sandbox, world, settings) -> None:
    user = sandbox.user(user_id=2000, first_name="Zorro", language_code="en")
    join(user, world.invite(world.organisation(), "staff"), "en")
    walk_with_notes(user)
    # A note kept outside the walk is the member's too.
    user.send_text("Zorro's note after the walk")
    user.wait_for_messages(2)
    user.send_text(TRANSLATOR.raw("en", "button.skip"))
    user.wait_for_messages(1)
    wait_for(lambda: world.member(2000) and _stored_media(world))
    user.send_command("/mydata")
    ready, document, media, archive = user.wait_for_messages(4)
    assert says(ready, "mydata.ready", "en")
    assert says(media, "mydata.media", "en")
    data = json.loads(sandbox.file_bytes(document["document"]["file_id"]))
    assert data["about_you"]["telegram_user_id"] == 2000
    assert data["about_you"]["role"] == "staff"
    assert data["about_you"]["pseudonym_in_reports"].startswith("P-")
    texts = [o["text"] for o in data["observations"]]
    assert "Zorro saw the broken fountain" in texts
    kinds = {o["text"]: o["kind"] for o in data["observations"]}
    assert kinds["Zorro's note after the walk"] == "note"
    assert len(data["walks"]) == 1
    assert archive["document"]["file_name"].endswith(".zip")
    # Once Telegram has them, the files are deleted from the bot's disk.
    wait_for(lambda: not member_data_files(settings))


def member_data_files(settings) -> list[Path]:
    """Return the /mydata files (JSON and media ZIP) on the bot's disk."""
    return sorted((settings.media_path / "exports").glob("mydata-*"))


def test_forget_deletes_mydata_files_not_sent_yet(sandbox, world, settings) -> None:
    user = sandbox.user(user_id=2006, language_code="en")
    join(user, world.invite(world.organisation(), "staff"), "en")
    # Telegram refuses the file for now: it waits in the outbox (retried after 2 s, 4 s ...).
    sandbox.inject_faults("sendDocument", ["502"] * 5)
    user.send_command("/mydata")
    [ready] = user.wait_for_messages(1)
    assert says(ready, "mydata.ready", "en")
    wait_for(lambda: len(sandbox.calls("sendDocument")) >= 1)
    assert member_data_files(settings)
    # The question waits behind the file in the chat's queue; typing the answer is tapping it.
    user.send_command("/forget")
    user.send_text(TRANSLATOR.raw("en", "forget.button_yes"))
    wait_for(lambda: world.member(2006) is None)
    assert member_data_files(settings) == []


def _stored_media(world) -> bool:
    with world.factory() as session:
        return bool(session.scalars(select(Observation)).all()) and all(
            m.status == "stored" for o in session.scalars(select(Observation)) for m in o.media
        )


def test_forget_leaves_no_trace_of_the_member_in_any_table(sandbox, world, settings) -> None:
    org = world.organisation()
    user = sandbox.user(user_id=2001, first_name="Zorro", username="zorro_bxl", language_code="en")
    join(user, world.invite(org, "staff"), "en")
    walk_with_notes(user)
    wait_for(lambda: _stored_media(world))
    with world.factory() as session:
        pseudonym = session.scalars(select(Observation.author)).first()
    user.send_command("/forget")
    [question] = user.wait_for_messages(1)
    assert says(question, "forget.ask_staff", "en", organisation="Buurtwerk Noord")
    tap(user, question, TRANSLATOR.raw("en", "forget.button_yes"))
    [goodbye] = user.wait_for_messages(1)
    assert says(goodbye, "forget.done", "en")
    assert world.member(2001) is None

    def goodbye_delivered() -> bool:
        with reading(world.factory) as session:
            return not session.scalars(
                select(OutboxMessage.id).where(OutboxMessage.status == "pending")
            ).all()

    wait_for(goodbye_delivered)
    # SQLite keeps recent pages in its write-ahead log: the erased values must not be there.
    database = sqlite_file(settings.database_url)
    if database is not None:
        log = database.with_name(database.name + "-wal")
        leftover = log.read_bytes() if log.exists() else b""
        for needle in ("zorro_bxl", pseudonym):
            assert needle.encode() not in leftover, (needle, len(leftover))
    # Staff observations stay with the organisation, with their free text, unlinked.
    with reading(world.factory) as session:
        kept = session.scalars(select(Observation)).all()
        assert {o.text for o in kept} >= {"Zorro saw the broken fountain"}
        assert all(o.member_id is None and o.chat_id is None for o in kept)
        assert all(o.author != pseudonym for o in kept)
        # Scan every column of every table for the Telegram id, the name, the username.
        needles = ("2001", "zorro_bxl", pseudonym)
        for table in inspect(session.get_bind()).get_table_names():
            for row in session.execute(text(f'SELECT * FROM "{table}"')):
                for value in row:
                    rendered = json.dumps(value, default=str) if value is not None else ""
                    for needle in needles:
                        if needle == "2001":
                            assert value != 2001, (table, row)
                            continue
                        assert needle not in rendered, (table, needle, row)
    # The member is a stranger again.
    user.send_text("hello?")
    [again] = user.wait_for_messages(1)
    assert says(again, "stranger.how_to_join", "en")


def test_a_resident_forgetting_loses_their_diary_entries_and_media(
    sandbox, world, settings
) -> None:
    from datetime import UTC, datetime

    from storage import observations as obs
    from storage.observations import NewMedia

    user = sandbox.user(user_id=2002, language_code="nl")
    join(user, world.invite(world.organisation(), "resident"), "nl")
    member = world.member(2002)
    media_file = settings.media_path / "photo" / "2026-11" / "diary-test.jpg"
    media_file.parent.mkdir(parents=True, exist_ok=True)
    media_file.write_bytes(JPEG)
    with world.factory.begin() as session:
        entry = obs.add_observation(
            session,
            organisation_id=member.organisation_id,
            member_id=member.id,
            author="P-TEST",
            kind="diary_entry",
            now=datetime.now(UTC),
            text="needed a laundrette",
            media=[NewMedia("photo", "f", "u")],
        )
        entry.media[0].path = "photo/2026-11/diary-test.jpg"
        entry.media[0].status = "stored"
    user.send_command("/forget")
    [question] = user.wait_for_messages(1)
    assert says(question, "forget.ask_resident", "nl", organisation="Buurtwerk Noord")
    tap(user, question, TRANSLATOR.raw("nl", "forget.button_yes"))
    user.wait_for_messages(1)
    with world.factory() as session:
        assert session.scalars(select(Observation)).all() == []
        assert session.scalars(select(Member)).all() == []
    assert not media_file.exists()


def test_forget_can_be_declined(sandbox, world) -> None:
    user = sandbox.user(user_id=2003, language_code="fr")
    join(user, world.invite(world.organisation(), "volunteer"), "fr")
    user.send_command("/forget")
    [question] = user.wait_for_messages(1)
    tap(user, question, TRANSLATOR.raw("fr", "forget.button_no"))
    [kept] = user.wait_for_messages(1)
    assert says(kept, "forget.kept", "fr")
    assert world.member(2003) is not None


def test_a_new_consent_text_is_asked_before_the_next_observation(
    sandbox, world, monkeypatch
) -> None:
    user = sandbox.user(user_id=2004, language_code="en")
    join(user, world.invite(world.organisation(), "staff"), "en")
    new = consent_module.ConsentText("staff", "staff-2027-01", "consent.staff")
    monkeypatch.setitem(consent_module.CONSENT_TEXTS, "staff", new)
    user.send_command("/walk")
    changed, text_message = user.wait_for_messages(2)
    assert says(changed, "consent.changed", "en")
    assert "staff-2027-01" in text_message["text"]
    assert world.member(2004).consent_version == "staff-2026-11"
    tap(user, text_message, TRANSLATOR.raw("en", "button.agree"))
    wait_for(lambda: world.member(2004).consent_version == "staff-2027-01")
    started = start_walk(user)
    assert says(started, "walk.started", "en")


def test_logs_never_hold_the_token_ids_or_names(sandbox, world, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    user = sandbox.user(user_id=2005, first_name="Xanthippe", username="xan_b", language_code="en")
    join(user, world.invite(world.organisation(), "staff"), "en")
    start_walk(user)
    user.send_text("Xanthippe's secret note")
    user.wait_for_messages(2)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert sandbox.token not in logged
    token_secret = sandbox.token.split(":", 1)[1]
    assert token_secret not in logged
    for needle in ("Xanthippe", "xan_b", "secret note"):
        assert needle not in logged
    assert "2005" not in logged
