"""Nothing lost, nothing done twice: SIGKILL the bot at random moments while users talk to it."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage import organisations as orgs
from storage.db import make_engine, make_session_factory, upgrade
from storage.models import ChatState, InboxUpdate, Member, Observation, OutboxMessage
from tests.conversations.helpers import LANGUAGE_NAMES, TRANSLATOR, spawn_bot, wait_drained

pytestmark = pytest.mark.pipeline

USERS = 6
NOTES_PER_USER = 10
LOOSE_NOTES = 3
KILLS = 6
# Per user: choose language, about, consent, welcome, help; before the walk, one saved line per
# loose note and one "where was this?"; the walk's start and the line bringing its buttons;
# one saved line per walk note, the one "where was this?" question, and an observation prompt
# every fourth note. Joining also asks the name the team sees, and says it is saved.
MESSAGES_PER_USER = 7 + LOOSE_NOTES + 1 + 2 + NOTES_PER_USER + 1 + NOTES_PER_USER // 4


def loose_text(note: int, user_id: int) -> str:
    return f"loose {note} from {user_id}: the shop window is boarded up"


def walk_text(note: int, user_id: int) -> str:
    return f"note {note} from {user_id}: the bench by the school is gone"


def play_user(sandbox, user_id: int, code: str, language: str, factory, errors: list) -> None:
    """Join with taps (tolerating repeats after a crash), start a walk, send notes at once."""
    try:
        user = sandbox.user(user_id=user_id, first_name=f"U{user_id}", language_code=language)
        user.send_command("/start", code)
        tapped: set[int] = set()
        labels = [
            LANGUAGE_NAMES[language],
            TRANSLATOR.raw(language, "button.continue"),
            TRANSLATOR.raw(language, "button.agree"),
            f"U{user_id}",
        ]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with factory() as session:
                member = orgs.get_member(session, user_id)
                if member is not None and member.display_name is not None:
                    break
            for message in reversed(user.messages()):
                rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
                buttons = [b["text"] for row in rows for b in row]
                if not buttons:
                    continue
                if message["message_id"] not in tapped:
                    tapped.add(message["message_id"])
                    label = next(b for b in buttons if any(b.endswith(x) for x in labels))
                    user.click(label, message=message)
                break
            time.sleep(0.1)  # poll: the next button, or membership
        else:
            raise AssertionError(f"user {user_id} never became a member")
        # Notes sent outside any flow are kept too.
        for note in range(LOOSE_NOTES):
            user.send_text(loose_text(note, user_id))
            # Deliberate: notes trickle in as typed, so the kills land mid-conversation.
            time.sleep(random.uniform(0.05, 0.4))
        user.send_command("/walk")
        for note in range(NOTES_PER_USER):
            user.send_text(walk_text(note, user_id))
            time.sleep(random.uniform(0.05, 0.4))  # deliberate, as above
    except Exception as error:  # noqa: BLE001 - reported to the test thread
        errors.append(error)


def test_sigkill_at_random_moments_loses_nothing_and_doubles_nothing(
    sandbox, database_url: str, tmp_path: Path
) -> None:
    upgrade(database_url)
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    from datetime import UTC, datetime, timedelta

    with factory.begin() as session:
        org = orgs.create_organisation(session, "Durable", datetime.now(UTC))
        code = orgs.create_invite(
            session, org.id, "volunteer", datetime.now(UTC), timedelta(days=1), None
        ).code
    env = {
        **os.environ,
        "BUURTBOT_TELEGRAM_TOKEN": sandbox.token,
        "BUURTBOT_TELEGRAM_API_URL": sandbox.url,
        "BUURTBOT_DATABASE_URL": database_url,
        "BUURTBOT_MEDIA_DIR": str(tmp_path / "media"),
        "BUURTBOT_POLL_TIMEOUT": "2",
        "BUURTBOT_LOG_LEVEL": "WARNING",
    }
    log = tmp_path / "bot.log"
    process = spawn_bot(env, log)
    rng = random.Random(int(os.environ.get("BUURTBOT_KILL_SEED", "4")))
    languages = ["nl", "fr", "en"]
    errors: list[Exception] = []
    threads = [
        threading.Thread(
            target=play_user,
            args=(sandbox, 9000 + i, code, languages[i % 3], factory, errors),
        )
        for i in range(USERS)
    ]
    try:
        for thread in threads:
            thread.start()
        for _ in range(KILLS):
            # Deliberate: let the bot work a random while, so each kill lands somewhere else.
            time.sleep(rng.uniform(0.8, 3.0))
            process.send_signal(signal.SIGKILL)
            process.wait()
            process = spawn_bot(env, log)
        for thread in threads:
            thread.join(180)
        assert not errors, errors
        # Let the last bot finish: every update processed, every reply sent.
        wait_drained(factory, sandbox, describe=lambda: log.read_text()[-3000:])
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()

    with factory() as session:
        assert session.scalar(select(func.count()).where(InboxUpdate.status != "done")) == 0, (
            log.read_text()[-3000:]
        )
        # Exactly-once processing: exactly the replies the updates call for were queued
        # (delivered rows forget their chat, so the count is over all chats).
        replies = session.scalar(select(func.count()).where(OutboxMessage.method == "sendMessage"))
        assert replies == USERS * MESSAGES_PER_USER, replies
        for i in range(USERS):
            chat = 9000 + i
            member = session.scalar(select(Member).where(Member.telegram_user_id == chat))
            assert member is not None and member.language == languages[i % 3]
            # Every loose note and every walk note exactly once, each of its own kind.
            stored = session.execute(
                select(Observation.kind, Observation.text).where(Observation.member_id == member.id)
            ).all()
            assert sorted(stored) == sorted(
                [("note", loose_text(n, chat)) for n in range(LOOSE_NOTES)]
                + [("walk_note", walk_text(n, chat)) for n in range(NOTES_PER_USER)]
            )
        # Everyone is still walking: the flow state survived every kill.
        states = session.scalars(select(ChatState)).all()
        assert sorted((s.chat_id, s.flow, s.state) for s in states) == [
            (9000 + i, "walk", "walking") for i in range(USERS)
        ]
        not_sent = session.execute(
            select(OutboxMessage.method, OutboxMessage.status, OutboxMessage.error).where(
                OutboxMessage.status != "sent"
            )
        ).all()
        assert not_sent == [], (not_sent, log.read_text()[-3000:])
    # Nothing lost on the way to the user; a repeat is only possible in the instant between
    # Telegram's answer and the sent-mark, so it must stay rare.
    for i in range(USERS):
        received = [m for m in sandbox.user(user_id=9000 + i).messages()]
        assert len(received) >= MESSAGES_PER_USER
        assert len(received) <= MESSAGES_PER_USER + KILLS
    engine.dispose()
