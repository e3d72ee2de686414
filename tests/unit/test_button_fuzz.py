"""Forged callback data never raises: the button parser and every global button, fuzzed.

Telegram hands the bot whatever callback data a client sends. `str.isdigit()` is True for
'²' and '٣', and int('²') raises, so ids are read with flows.engine.ascii_id (ASCII digits
only). Anything that is not a button the bot offered is answered as stale.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.dispatch.i18n import load_translator
from bot.reporting import ReportFiles
from flows.consent import consent_for
from flows.engine import CallbackAnswer, FlowConfig, Input, InputKind, StepContext, ascii_id
from flows.registry import GLOBAL_BUTTONS
from flows.router import Position, decode_button, encode_button, route
from storage import observations as obs
from storage import organisations as orgs

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
CONFIG = FlowConfig(secret_key="k", reports=ReportFiles(load_translator().raw))
USER = 4242

# Digits of every sort: ASCII, superscripts (isdigit, not decimal), Arabic-Indic, Devanagari,
# fullwidth, mathematical; int() refuses some and reads others as numbers.
DIGITS = "0123456789²³¹⁰₃٠١٢٣۴߀०১੧௭๓໒༣၃႒១᠑１９𝟘𝟡⓪①"
WORDS = ["undo", "tags", "t", "missing", "encounter", "diary", "none", "pause", "yes", "no", ""]

digit_runs = st.text(alphabet=DIGITS, min_size=1, max_size=22)
pieces = st.one_of(
    st.text(max_size=10), digit_runs, st.sampled_from(WORDS), st.sampled_from(["1", "2", "3"])
)
arguments = st.lists(pieces, max_size=5)
fuzz = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def test_ascii_id_reads_ascii_digits_only() -> None:
    assert ascii_id("42") == 42
    assert ascii_id("007") == 7
    for forged in ("²", "١٢", "１", "4²", "", "-1", "+1", " 1", "1 ", "1.0", "9" * 19, "𝟘"):
        assert ascii_id(forged) is None, forged


@given(data=st.one_of(st.text(max_size=30), st.builds("|".join, st.lists(pieces, max_size=4))))
def test_decode_button_never_raises(data: str) -> None:
    value = decode_button(data, 7)
    assert value is None or data == f"7|{value}"


@given(version=st.integers(0, 10**9), value=st.text(min_size=1, max_size=20))
def test_decode_reads_what_encode_wrote(version: int, value: str) -> None:
    if value.startswith("g|"):
        return
    assert decode_button(encode_button(version, value), version) == value


@pytest.fixture
def member_with_items(session_factory):
    """A member with a note, a walk note and a running diary, in a transaction kept open."""
    with session_factory() as session:
        organisation = orgs.create_organisation(session, "A", NOW)
        invite = orgs.create_invite(session, organisation.id, "staff", NOW, timedelta(days=1))
        member = orgs.join_with_invite(
            session, invite, USER, "en", consent_for("staff").version, NOW
        )
        for kind in ("note", "walk_note"):
            obs.add_observation(
                session,
                organisation_id=organisation.id,
                member_id=member.id,
                author="P-AAAA",
                kind=kind,
                now=NOW,
                text=kind,
            )
        session.flush()
        yield session, member
        session.rollback()


def tap(data: str) -> Input:
    return Input(
        kind=InputKind.CALLBACK,
        chat_id=USER,
        user_id=USER,
        date=NOW,
        callback_data=data,
        callback_query_id="q",
        callback_message_id=5,
    )


@pytest.mark.parametrize("name", sorted(GLOBAL_BUTTONS))
@fuzz
@given(args=arguments)
def test_every_global_button_answers_forged_data_without_raising(
    member_with_items, name: str, args: list[str]
) -> None:
    session, member = member_with_items
    savepoint = session.begin_nested()
    try:
        ctx = StepContext(session=session, now=NOW, config=CONFIG, member=member)
        GLOBAL_BUTTONS[name](ctx, tap("g|" + "|".join([name, *args])), list(args))
    finally:
        savepoint.rollback()


@fuzz
@given(data=st.one_of(st.builds("|".join, st.lists(pieces, min_size=1, max_size=5)), pieces))
def test_the_router_answers_any_callback_data(member_with_items, data: str) -> None:
    session, member = member_with_items
    savepoint = session.begin_nested()
    try:
        ctx = StepContext(session=session, now=NOW, config=CONFIG, member=member)
        for candidate in (data, "g|" + data, "g|obs|" + data, "g|note|" + data):
            route(ctx, tap(candidate), Position(version=3))
    finally:
        savepoint.rollback()


@pytest.mark.parametrize("data", ["²|x", "g|obs|²|undo", "g|note|²|undo", "g|obs|١|tags"])
def test_the_forged_taps_of_the_report_are_answered_as_stale(member_with_items, data) -> None:
    session, member = member_with_items
    ctx = StepContext(session=session, now=NOW, config=CONFIG, member=member)
    transition = route(ctx, tap(data), Position(version=3))
    answers = [e for e in transition.effects if isinstance(e, CallbackAnswer)]
    assert [a.key for a in answers] == ["error.stale_button"]
