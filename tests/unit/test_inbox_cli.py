"""`buurtbot inbox --failed` and `buurtbot inbox retry ID|--all`: no content shown, clear errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.intake.updates import received
from bot.runtime.cli import main
from storage import organisations as orgs
from storage import pipeline
from storage.models import InboxUpdate
from storage.privacy import pseudonym

pytestmark = pytest.mark.pipeline

SECRET = "test-secret"
MEMBER = 7123456789
STRANGER = 6987654321
GROUP = -1001234567890


@pytest.fixture
def failed(session_factory, database_url, monkeypatch, tmp_path, now) -> dict[str, int]:
    """Three failed updates (a member's note, a stranger's photo in a group, a button tap)."""
    for name in ("BUURTBOT_TELEGRAM_TOKEN", "BUURTBOT_TELEGRAM_API_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BUURTBOT_DATABASE_URL", database_url)
    monkeypatch.setenv("BUURTBOT_SECRET_KEY", SECRET)
    monkeypatch.setenv("BUURTBOT_TIMEZONE", "Europe/Brussels")
    monkeypatch.chdir(tmp_path)

    def sent(update_id: int, chat: int, sender: int, **content) -> dict:
        return {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 0,
                "chat": {"id": chat, "type": "private" if chat > 0 else "group"},
                "from": {"id": sender, "is_bot": False, "first_name": "Fatima"},
                **content,
            },
        }

    updates = [
        sent(11, MEMBER, MEMBER, text="Mijn buurvrouw Fatima zit alleen thuis"),
        sent(12, GROUP, STRANGER, photo=[{"file_id": "secretfile", "file_unique_id": "u"}]),
        {
            "update_id": 13,
            "callback_query": {
                "id": "q",
                "from": {"id": MEMBER, "is_bot": False, "first_name": "Fatima"},
                "chat_instance": "c",
                "data": "v1:yes",
                "message": {"message_id": 5, "date": 0, "chat": {"id": MEMBER, "type": "private"}},
            },
        },
        sent(14, MEMBER, MEMBER, text="this one went through"),
    ]
    with session_factory.begin() as session:
        org = orgs.create_organisation(session, "Buurtwerk", now)
        invite = orgs.create_invite(session, org.id, "staff", now, timedelta(days=1), None)
        member = orgs.join_with_invite(session, invite, MEMBER, "nl", "v1", now)
        pipeline.store_updates(session, [received(update) for update in updates], now)
        ids = {}
        for row in session.scalars(select(InboxUpdate).order_by(InboxUpdate.update_id)):
            ids[row.update_id] = row.id
            if row.update_id == 14:
                pipeline.mark_done(row, now)
            else:
                # As the dispatcher leaves a failed update: content and chat kept for a retry.
                row.status, row.processed_at = "failed", now
                row.error = "KeyError" if row.update_id == 12 else "ValueError"
                row.attempts += 1
        ids["member"] = member.id
    return ids


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("buurtbot") and "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    return err


def statuses(session_factory) -> dict[int, str]:
    with session_factory() as session:
        return dict(session.execute(select(InboxUpdate.update_id, InboxUpdate.status)).all())


def test_failed_lists_when_who_what_and_why_but_never_the_content(failed, capsys) -> None:
    assert main(["inbox", "--failed"]) == 0
    out = capsys.readouterr().out
    header, *rows = out.strip().splitlines()
    assert header.split() == ["id", "received", "from", "kind", "error", "tries", "next", "try"]
    assert [row.split()[0] for row in rows] == [str(failed[11]), str(failed[12]), str(failed[13])]
    note, photo, tap = rows
    who = pseudonym(SECRET, failed["member"])
    assert who in note and "text" in note and "ValueError" in note
    # Received 09:30 UTC is 10:30 in Brussels; the next try is a minute after the failure.
    assert "2026-11-24 10:30" in note and "2026-11-24 10:31" in note
    assert "photo" in photo and "KeyError" in photo and "in group" in photo
    assert who in tap and "button" in tap
    for secret in ("Fatima", "buurvrouw", "secretfile", "v1:yes", str(MEMBER), str(STRANGER)):
        assert secret not in out
    assert str(GROUP) not in out and "went through" not in out


def test_retry_one_puts_it_back_in_line_with_its_content(failed, session_factory, capsys) -> None:
    assert main(["inbox", "retry", str(failed[12])]) == 0
    assert "1 update(s) waiting again" in capsys.readouterr().out
    assert statuses(session_factory) == {11: "failed", 12: "new", 13: "failed", 14: "done"}
    with session_factory() as session:
        row = session.get(InboxUpdate, failed[12])
        assert row.payload["message"]["photo"][0]["file_id"] == "secretfile"
        assert pipeline.next_inbox_ids(session) == [row.id]


def test_retry_all_puts_every_failed_update_back(failed, session_factory, capsys) -> None:
    assert main(["inbox", "retry", "--all"]) == 0
    assert "3 update(s) waiting again" in capsys.readouterr().out
    assert statuses(session_factory) == {11: "new", 12: "new", 13: "new", 14: "done"}
    assert main(["inbox", "retry", "--all"]) == 0
    assert "no failed updates to retry" in capsys.readouterr().out
    assert main(["inbox", "--failed"]) == 0
    assert capsys.readouterr().out.strip() == "no failed updates"


def test_an_unknown_or_finished_update_is_one_line_and_changes_nothing(
    failed, session_factory, capsys
) -> None:
    assert main(["inbox", "retry", "999"]) == 1
    assert "no failed update with id 999" in one_line_error(capsys)
    done = failed[14]
    assert main(["inbox", "retry", str(done)]) == 1
    assert f"no failed update with id {done}" in one_line_error(capsys)
    assert statuses(session_factory) == {11: "failed", 12: "failed", 13: "failed", 14: "done"}


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["inbox", "retry"], "one of the arguments ID --all is required"),
        (["inbox", "retry", "3", "--all"], "not allowed with"),
        (["inbox", "retry", "three"], "whole number"),
        (["inbox", "retry", "0"], "whole number"),
    ],
)
def test_bad_arguments_are_one_line(failed, capsys, argv, words) -> None:
    with pytest.raises(SystemExit) as raised:
        main(argv)
    assert raised.value.code == 2
    assert words in one_line_error(capsys)


def test_inbox_without_what_to_do_is_one_line(failed, capsys) -> None:
    assert main(["inbox"]) == 1
    assert "buurtbot inbox --failed" in one_line_error(capsys)


def test_help_says_what_retry_does_and_how_long_failed_updates_are_kept(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["inbox", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "1 min, 10 min, 1 h" in text and "30 days" in text and "/forget" in text
    assert "running bot" in text
