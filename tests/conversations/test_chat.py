"""`buurtbot chat`: several people, every kind of message and button, scripted through stdin."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.runtime.settings import load_settings
from sandbox.chat import COUNTER_KEY, FIRST_UPDATE_ID, run_chat, user_id_for
from storage import deployment
from storage import organisations as orgs
from storage.db import make_engine, make_session_factory, upgrade
from storage.models import Member, Observation, TrackPoint
from tests.conversations.helpers import ROOT, TRANSLATOR, plain

pytestmark = pytest.mark.pipeline


def setup_database(url: str) -> tuple[str, str]:
    """Make an organisation with a coordinator's and a staff member's invite."""
    upgrade(url)
    engine = make_engine(url)
    now = datetime.now(UTC)
    with make_session_factory(engine).begin() as session:
        org = orgs.create_organisation(session, "Buurtwerk Noord", now, "nl", [1, 2])
        codes = tuple(
            orgs.create_invite(session, org.id, role, now, timedelta(days=3), 1).code
            for role in ("coordinator", "staff")
        )
    engine.dispose()
    return codes


def number_of(out: io.StringIO, label: str) -> str:
    """Return the number the chat last gave the button with this label."""
    found = re.findall(rf"\[(\d+)\] {re.escape(label)}", out.getvalue())
    assert found, (label, out.getvalue()[-2000:])
    return found[-1]


def test_a_session_of_two_people_with_every_kind_of_message(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'chat.db'}"
    coordinator, staff = setup_database(url)
    settings = load_settings(environ={}, dotenv_path=None).with_overrides(
        database_url=url, media_dir=str(tmp_path / "media")
    )
    out = io.StringIO()
    fr = lambda key: plain(TRANSLATOR.raw("fr", key))  # noqa: E731 - a short alias

    def lines() -> Iterator[str]:
        # Each line is read once the bot has answered the previous one (run_chat settles).
        yield f"/start {coordinator}"
        for label in ("Nederlands", TRANSLATOR.raw("nl", "button.continue")):
            yield number_of(out, label if label != "Nederlands" else "✓ Nederlands")
        yield number_of(out, TRANSLATOR.raw("nl", "button.agree"))
        yield number_of(out, TRANSLATOR.plain("nl", "name.button_none"))  # no name: a code
        yield "/as Amina fr"
        yield f"/start {staff}"
        yield number_of(out, "✓ Français")
        yield number_of(out, TRANSLATOR.raw("fr", "button.continue"))
        yield number_of(out, TRANSLATOR.raw("fr", "button.agree"))
        yield "Amina B."  # the name the team sees, typed
        yield number_of(out, fr("menu.walk"))  # a button under the typing field
        yield number_of(out, fr("walk.focus.meeting"))  # an inline button: the message changes
        yield "/live 50.8467 4.3525 30"
        yield "/move"
        yield "/move 50.8480 4.3540"
        yield "Plus de banc à l'arrêt"
        yield "/edit Plus de banc à l'arrêt de bus"
        yield "/photo"
        yield "/voice 4"
        yield from ("0", "42", "99999999999999999999")
        yield "/loc notanumber"
        yield number_of(out, fr("menu.endwalk"))
        yield number_of(out, fr("button.skip"))
        yield "/as You"
        yield "/group Hallo team"
        yield "/group /hulp"
        yield "/ontbreekt"
        yield "/gesprek"
        yield number_of(out, TRANSLATOR.raw("nl", "button.abandon_no"))
        yield "/users"
        yield "/quit"
        yield "this line is never read"

    run_chat(settings, lines(), out)
    text = out.getvalue()
    # Both people joined in their language and got their menus under the typing field.
    assert "[You] bot> " + plain(TRANSLATOR.raw("nl", "onboarding.welcome")).split("{")[0] in text
    assert "[Amina] bot> " + fr("onboarding.welcome").split("{")[0] in text
    assert "under the typing field:" in text and "] 🚶 Wandeling" in text and "] 🚶 Balade" in text
    # The walk: started from the menu, its buttons changed, the focus tap edited the message.
    assert "[Amina] bot> " + fr("walk.started").split("\n")[0] in text
    assert re.search(r"\] 🏁 Fin de la balade", text)
    assert "[Amina] bot (edited)> " + fr("walk.focus_set").split("{")[0] in text
    assert "[Amina] bot> " + fr("walk.tracking").split("{")[0][:30] in text
    assert "your live location moved to 50.84700 4.35280" in text
    assert "bot reacted ✍" in text
    # Wrong numbers and bad input get a line and the session goes on.
    for wrong in ("0", "42", "99999999999999999999"):
        assert f"(there is no button {wrong}:" in text
    assert "(use: /loc 50.8467 4.3525)" in text
    assert "[Amina] bot> " + fr("walk.ask_reflection").split("{")[0][:30] in text
    # The group: a command there gets the one short answer, in the group.
    assert "[Buurtteam] bot> " + plain(TRANSLATOR.raw("nl", "group.private_only"))[:30] in text
    # A popup answer to a tapped button.
    assert "[You] (popup) " + TRANSLATOR.raw("nl", "flow.kept") in text
    assert " * You (Telegram id 1001)" in text and "Amina (Telegram id" in text
    assert "never read" not in text
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        amina = session.scalar(
            select(Member).where(Member.telegram_user_id == user_id_for("Amina"))
        )
        assert amina is not None and amina.language == "fr"
        assert amina.display_name == "Amina B."
        notes = session.scalars(
            select(Observation).where(Observation.member_id == amina.id).order_by(Observation.id)
        ).all()
        assert [n.kind for n in notes] == ["walk_note"] * 3
        assert notes[0].text == "Plus de banc à l'arrêt de bus"  # the edit corrected it
        assert sorted(m.kind for n in notes for m in n.media) == ["photo", "voice"]
        points = session.scalars(select(TrackPoint)).all()
        assert len(points) == 3
        assert deployment.get_value(session, COUNTER_KEY) is not None
    engine.dispose()


def chat_process(env: dict[str, str], script: str) -> str:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "buurtbot"), "chat"],
        input=script,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_a_second_chat_on_the_same_database_is_answered(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'chat.db'}"
    setup_database(url)
    env = {
        **os.environ,
        "BUURTBOT_DATABASE_URL": url,
        "BUURTBOT_MEDIA_DIR": str(tmp_path / "media"),
    }
    env.pop("BUURTBOT_TELEGRAM_TOKEN", None)
    intro = plain(TRANSLATOR.raw("nl", "help.intro.stranger"))[:20]
    how_to_join = plain(TRANSLATOR.raw("nl", "stranger.how_to_join")).split("\n")[0]
    first = chat_process(env, "/hulp\n/quit\n")
    assert first.count(intro) == 1, first[-1500:]
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        counter = int(deployment.get_value(session, COUNTER_KEY) or 0)
    engine.dispose()
    assert counter > FIRST_UPDATE_ID
    # The sandbox starts again after the ids the bot has seen, so nothing is taken for a
    # redelivery: the second session is answered like the first.
    second = chat_process(env, "/hulp\nhallo\n/quit\n")
    assert second.count(intro) == 1 and second.count(how_to_join) == 1, second[-1500:]
