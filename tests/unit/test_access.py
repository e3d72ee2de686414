"""Access control: every command for every role, strangers, and other organisations' data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.dispatch.i18n import load_translator
from bot.intake.updates import parse_update
from bot.reporting import ReportFiles
from flows.capture import note_button
from flows.commands import COMMANDS, COMMANDS_BY_NAME
from flows.consent import consent_for
from flows.engine import FlowConfig, Input, InputKind, Reply, StepContext
from flows.observe import obs_button
from flows.registry import FLOWS
from flows.router import Position, route
from storage import observations as obs
from storage import organisations as orgs
from storage.models import Walk

ROLES = ("coordinator", "staff", "volunteer", "resident", "stranger")

# The table users can rely on: who may use which command. "-" is a polite refusal.
EXPECTED = {
    "start": "CSVRx",
    "help": "CSVRx",
    "language": "CSVRx",
    "cancel": "CSVRx",
    "walk": "CSV--",
    "endwalk": "CSV--",
    "encounter": "CSV--",
    "keyperson": "CSV--",
    "missing": "CSVR-",
    "focusgroup": "CS---",
    "undo": "CSVR-",
    "mydata": "CSVR-",
    # A stranger is refused unless they answered a survey through its link (then: erased).
    "forget": "CSVR-",
    "diary": "CSVR-",
    # Coordinators design surveys; staff and volunteers ask people on their doorstep.
    "survey": "CSV--",
    "invite": "C----",
    "area": "C----",
    "export": "C----",
    "digest": "C----",
    "report": "C----",
    "round": "C----",
    "team": "C----",
    # Staff too once a coordinator allows it (tests/conversations/test_hypothesis.py).
    "hypothesis": "C----",
    "name": "CSVR-",
    "linkteam": "C----",
    "unlinkteam": "C----",
}
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def member_of(session, organisation_id: int, role: str, user_id: int):
    invite = orgs.create_invite(session, organisation_id, role, NOW, timedelta(days=1))
    version = consent_for(role).version
    return orgs.join_with_invite(session, invite, user_id, "en", version, NOW)


def refusal_keys(effects) -> set[str]:
    return {e.key for e in effects if isinstance(e, Reply)} & {
        "error.not_allowed",
        "stranger.how_to_join",
        "hypothesis.staff_not_allowed",
    }


CONFIG = FlowConfig(secret_key="k", reports=ReportFiles(load_translator().raw))


def test_the_expected_table_covers_every_command() -> None:
    # The matrix below runs over the registry (flows/commands.py:COMMANDS), so a command added
    # there is walked for every role; this says who it is meant for, in one line of EXPECTED.
    missing = {c.name for c in COMMANDS} - set(EXPECTED)
    assert not missing, f"say who may use {sorted(missing)} in EXPECTED"
    assert set(EXPECTED) <= {c.name for c in COMMANDS}, "EXPECTED names a command that is gone"


def typed(word: str, user_id: int) -> Input:
    """Return a command as Telegram sends it when typed (/wandeling reads as /walk)."""
    message = {
        "message_id": 1,
        "date": int(NOW.timestamp()),
        "chat": {"id": user_id, "type": "private"},
        "from": {"id": user_id, "is_bot": False, "first_name": "A"},
        "text": f"/{word}",
        "entities": [{"type": "bot_command", "offset": 0, "length": len(word) + 1}],
    }
    return parse_update({"update_id": 1, "message": message})


@pytest.mark.parametrize("command_name", [c.name for c in COMMANDS])
@pytest.mark.parametrize("role_index", range(len(ROLES)))
def test_every_command_for_every_role(session_factory, command_name: str, role_index: int) -> None:
    role = ROLES[role_index]
    allowed = EXPECTED[command_name][role_index] != "-"
    with session_factory.begin() as session:
        org = orgs.create_organisation(session, "A", NOW)
        member = None if role == "stranger" else member_of(session, org.id, role, 4242)
        ctx = StepContext(session=session, now=NOW, config=CONFIG, member=member)
        # The English name and every Dutch and French word of the command, as typed.
        for word in COMMANDS_BY_NAME[command_name].words():
            with session.begin_nested() as savepoint:
                inp = typed(word, 4242)
                assert inp.command == command_name, word
                transition = route(ctx, inp, Position())
                refused = refusal_keys(transition.effects)
                if command_name in ("start", "help", "language") and role == "stranger":
                    # Strangers may ask; the answer is how to join (nothing is stored).
                    assert orgs.get_member(session, 4242) is None
                    savepoint.rollback()
                    continue
                assert bool(refused) != allowed, (word, role, transition.effects)
                # An allowed command reaches its own flow, or answers at once; never another.
                own = COMMANDS_BY_NAME[command_name].flow
                assert transition.flow in (None, own), (word, role, transition.flow)
                # Only /walk starts a walk (/endwalk once started one when none was running).
                walks = session.scalar(select(func.count()).select_from(Walk))
                assert walks == (1 if command_name == "walk" and allowed else 0), word
                savepoint.rollback()
        session.rollback()


def test_every_command_has_a_flow_of_its_own() -> None:
    # Each command's flow is named after it (onboarding answers /start); /cancel has none.
    named = {"start": "onboarding", "cancel": None}
    for command_name in EXPECTED:
        expected = named.get(command_name, command_name)
        assert COMMANDS_BY_NAME[command_name].flow == expected, command_name
        assert expected is None or FLOWS[expected].name == expected


def test_nobody_touches_another_organisations_observations(session_factory) -> None:
    with session_factory.begin() as session:
        first = orgs.create_organisation(session, "A", NOW)
        second = orgs.create_organisation(session, "B", NOW)
        author = member_of(session, first.id, "staff", 1)
        stranger_coordinator = member_of(session, second.id, "coordinator", 2)
        observation = obs.add_observation(
            session,
            organisation_id=first.id,
            member_id=author.id,
            author="P-AAAA",
            kind="walk_note",
            now=NOW,
            text="private",
        )
        ctx = StepContext(
            session=session, now=NOW, config=FlowConfig(secret_key="k"), member=stranger_coordinator
        )
        tap = Input(
            kind=InputKind.CALLBACK,
            chat_id=2,
            user_id=2,
            date=NOW,
            callback_data=f"g|obs|{observation.id}|undo",
            callback_query_id="q",
        )
        effects = obs_button(ctx, tap, [str(observation.id), "undo"])
        assert effects[0].key == "error.stale_button"
        assert obs.get_observation(session, observation.id) is not None
        # Forged, malformed and unknown global buttons are refused the same way.
        for args in ([], ["x"], ["999999", "undo"], [str(observation.id), "boom"]):
            assert obs_button(ctx, tap, args)[0].key == "error.stale_button"
        # The same for a kept note's buttons: another member cannot turn or remove it.
        note = obs.add_observation(
            session,
            organisation_id=first.id,
            member_id=author.id,
            author="P-AAAA",
            kind="note",
            now=NOW,
            text="mine",
        )
        for action in ("undo", "missing", "encounter", "diary", "tags", "t"):
            answer = note_button(ctx, tap, [str(note.id), action])
            assert isinstance(answer, tuple) and answer[0].key == "error.stale_button", action
        assert obs.get_observation(session, note.id) is not None
