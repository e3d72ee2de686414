"""/report and /round in Telegram, through the real HTTP stack: each choice, days typed right
and wrong, every role, stale buttons."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from storage import observations as obs
from storage import round as rounds
from storage.observations import Place
from tests.conversations.helpers import (
    TRANSLATOR,
    button_texts,
    join,
    plain,
    says,
    tap,
    wait_until,
)

pytestmark = pytest.mark.pipeline

GRAND_PLACE = Place(lat=50.8467, lon=4.3516, wijk_code=1, municipality_nis=21004, in_brussels=True)


def today() -> date:
    return datetime.now(ZoneInfo("Europe/Brussels")).date()


def typed(day: date) -> str:
    """Return a day as people type it: 3/11/2026."""
    return f"{day.day}/{day.month}/{day.year}"


def record(world, organisation_id: int, member_id: int, when: datetime) -> None:
    """A missing thing with markup in it, stored as the flows store it."""
    with world.factory.begin() as session:
        obs.add_observation(
            session,
            organisation_id=organisation_id,
            member_id=member_id,
            author="P-ROUND01",
            kind="missing",
            now=when,
            text="Laundrette <script>alert(1)</script>",
            theme="shops",
            place=GRAND_PLACE,
            details={"status": "disappeared"},
        )


@pytest.fixture
def join_member(sandbox, world):
    """Return a helper that makes a member with a role through onboarding."""
    organisation_id = world.organisation()

    def make(user_id: int, role: str, language: str):
        user = sandbox.user(user_id=user_id, language_code=language)
        join(user, world.invite(organisation_id, role), language)
        return user, world.member(user_id)

    return make


def choose(user, language: str, button_key: str) -> dict:
    """Send /report and tap one period; return the period question."""
    user.send_command("/report")
    [question] = user.wait_for_messages(1)
    assert says(question, "round.report.choose", language)
    tap(user, question, TRANSLATOR.raw(language, button_key))
    return question


def replay(sandbox, user_id: int, message: dict, label: str, query_id: str) -> dict:
    """Send again the data of a button a message had (a stale or forged tap); return the
    bot's answer to it."""
    rows = message["reply_markup"]["inline_keyboard"]
    [data] = [b["callback_data"] for row in rows for b in row if b["text"] == label]
    sandbox.push_update(
        {
            "callback_query": {
                "id": query_id,
                "from": {"id": user_id, "is_bot": False, "first_name": "C", "language_code": "en"},
                "chat_instance": "c",
                "data": data,
                "message": {
                    "message_id": message["message_id"],
                    "date": message["date"],
                    "chat": {"id": user_id, "type": "private"},
                    "text": "x",
                },
            }
        }
    )
    return wait_until(
        lambda: next(
            (
                c
                for c in sandbox.calls("answerCallbackQuery")
                if c["params"]["callback_query_id"] == query_id
            ),
            None,
        ),
        message="the stale tap was never answered",
    )


def report_made(user, language: str) -> tuple[dict, dict]:
    """Wait for the line saying the report is coming, then the summary and the file."""
    coming, summary, document = user.wait_for_messages(3, timeout=30)
    assert says(coming, "round.report.coming", language)
    return summary, document


def page_of(sandbox, document: dict) -> str:
    assert document["document"]["file_name"].endswith(".html")
    return sandbox.file_bytes(document["document"]["file_id"]).decode()


def test_the_last_four_weeks(sandbox, world, join_member) -> None:
    coordinator, member = join_member(720, "coordinator", "en")
    record(world, member.organisation_id, member.id, datetime.now(UTC) - timedelta(days=3))
    record(world, member.organisation_id, member.id, datetime.now(UTC) - timedelta(days=40))
    choose(coordinator, "en", "round.report.button.last4")
    summary, document = report_made(coordinator, "en")
    assert says(summary, "round.summary", "en")
    assert (
        plain(TRANSLATOR.raw("en", "round.summary.title")).split("·")[0].strip()
        in (summary["text"])
    )
    assert "1 observation in this period" in summary["text"]  # the older one is not in it
    page = page_of(sandbox, document)
    assert '<html lang="en">' in page and 'id="swot"' in page
    assert "Laundrette &lt;script&gt;" in page and "<script>alert(1)" not in page


def test_since_the_first_observation_and_with_nothing_recorded(sandbox, world, join_member) -> None:
    coordinator, member = join_member(721, "coordinator", "nl")
    choose(coordinator, "nl", "round.report.button.all")
    [nothing] = coordinator.wait_for_messages(1)
    assert says(nothing, "round.report.nothing", "nl")
    assert not sandbox.calls("sendDocument")
    record(world, member.organisation_id, member.id, datetime.now(UTC) - timedelta(days=60))
    record(world, member.organisation_id, member.id, datetime.now(UTC) - timedelta(days=1))
    choose(coordinator, "nl", "round.report.button.all")
    summary, document = report_made(coordinator, "nl")
    assert "2 waarnemingen in deze periode" in summary["text"]
    assert '<html lang="nl">' in page_of(sandbox, document)


def test_a_custom_range_typed_wrong_then_right(sandbox, world, join_member) -> None:
    coordinator, member = join_member(722, "coordinator", "fr")
    record(world, member.organisation_id, member.id, datetime.now(UTC) - timedelta(days=10))
    choose(coordinator, "fr", "round.report.button.custom")
    [ask_first] = coordinator.wait_for_messages(1)
    assert says(ask_first, "round.report.ask_first", "fr")
    coordinator.send_text("la semaine des quatre jeudis")
    [bad] = coordinator.wait_for_messages(1)
    assert says(bad, "round.report.bad_day", "fr")
    first = today() - timedelta(days=20)
    coordinator.send_text(typed(first))
    [ask_last] = coordinator.wait_for_messages(1)
    assert says(ask_last, "round.report.ask_last", "fr", first=first.strftime("%d/%m/%Y"))
    coordinator.send_text(typed(first - timedelta(days=2)))
    [before] = coordinator.wait_for_messages(1)
    assert says(before, "round.report.before_first", "fr", first=first.strftime("%d/%m/%Y"))
    coordinator.send_text(typed(today() + timedelta(days=30)) + "0")  # no such day
    [bad_again] = coordinator.wait_for_messages(1)
    assert says(bad_again, "round.report.bad_day", "fr")
    assert not sandbox.calls("sendDocument")
    coordinator.send_text("aujourd'hui")
    summary, document = report_made(coordinator, "fr")
    assert "1 observation sur cette période" in summary["text"]
    page = page_of(sandbox, document)
    assert '<html lang="fr">' in page
    assert first.strftime("%Y") in page


def test_a_stale_period_button_makes_nothing_twice(sandbox, world, join_member) -> None:
    coordinator, member = join_member(723, "coordinator", "en")
    record(world, member.organisation_id, member.id, datetime.now(UTC) - timedelta(days=2))
    question = choose(coordinator, "en", "round.report.button.last4")
    report_made(coordinator, "en")
    label = TRANSLATOR.raw("en", "round.report.button.last4")
    answer = replay(sandbox, 723, question, label, "stale-report")
    assert answer["params"]["text"] == TRANSLATOR.raw("en", "error.stale_button")
    assert len(sandbox.calls("sendDocument")) == 1


@pytest.mark.parametrize("role", ["staff", "volunteer", "resident"])
def test_other_roles_are_refused(sandbox, world, join_member, role) -> None:
    user, _member = join_member(730 + len(role), role, "en")
    user.send_command("/report")
    [refused] = user.wait_for_messages(1)
    assert says(refused, "error.not_allowed", "en", command="report")
    user.send_command("/round")
    [refused] = user.wait_for_messages(1)
    assert says(refused, "error.not_allowed", "en", command="round")
    assert not sandbox.calls("sendDocument")


def test_a_stranger_gets_no_report(sandbox, world) -> None:
    user = sandbox.user(user_id=740, language_code="en")
    user.send_command("/report")
    user.send_command("/round")
    first, second = user.wait_for_messages(2)
    assert says(first, "stranger.how_to_join", "en")
    assert says(second, "stranger.how_to_join", "en")
    assert not sandbox.calls("sendDocument")


def test_setting_a_round_with_buttons(sandbox, world, join_member) -> None:
    coordinator, member = join_member(750, "coordinator", "en")
    coordinator.send_command("/round")
    [ask_start] = coordinator.wait_for_messages(1)
    assert says(ask_start, "round.set.ask_start", "en")
    tap(coordinator, ask_start, TRANSLATOR.raw("en", "round.set.button.monday"))
    [ask_weeks] = coordinator.wait_for_messages(1)
    monday = today() + timedelta(days=7 - today().weekday())
    assert says(ask_weeks, "round.set.ask_weeks", "en", first=monday.strftime("%d/%m/%Y"), count=4)
    assert "4 weeks" in button_texts(ask_weeks)
    tap(coordinator, ask_weeks, "6 weeks")
    [saved] = coordinator.wait_for_messages(1)
    last = monday + timedelta(days=41)
    assert says(
        saved,
        "round.set.saved",
        "en",
        first=monday.strftime("%d/%m/%Y"),
        last=last.strftime("%d/%m/%Y"),
        count=6,
        due=(last + timedelta(days=1)).strftime("%d/%m/%Y"),
    )
    with world.factory() as session:
        assert rounds.round_of(session, member.organisation_id) == (monday, 6)
    # The next /round shows the round set.
    coordinator.send_command("/round")
    current, _ask = coordinator.wait_for_messages(2)
    assert says(
        current,
        "round.set.current",
        "en",
        first=monday.strftime("%d/%m/%Y"),
        last=last.strftime("%d/%m/%Y"),
        count=6,
    )


def test_setting_a_round_by_typing_wrong_then_right(sandbox, world, join_member) -> None:
    coordinator, member = join_member(751, "coordinator", "nl")
    coordinator.send_command("/round")
    [ask_start] = coordinator.wait_for_messages(1)
    coordinator.send_text("ooit")
    [bad] = coordinator.wait_for_messages(1)
    assert says(bad, "round.set.bad_day", "nl")
    first = today() - timedelta(days=35)  # a round that is already over
    coordinator.send_text(typed(first))
    [ask_weeks] = coordinator.wait_for_messages(1)
    assert says(ask_weeks, "round.set.ask_weeks", "nl", first=first.strftime("%d/%m/%Y"), count=4)
    coordinator.send_text("veel")
    [bad_weeks] = coordinator.wait_for_messages(1)
    assert says(bad_weeks, "round.set.bad_weeks", "nl", max=rounds.MAX_WEEKS)
    coordinator.send_text("40")
    [too_many] = coordinator.wait_for_messages(1)
    assert says(too_many, "round.set.bad_weeks", "nl", max=rounds.MAX_WEEKS)
    coordinator.send_text("4 weken")
    [saved] = coordinator.wait_for_messages(1)
    assert says(saved, "round.set.saved_past", "nl")
    with world.factory() as session:
        assert rounds.round_of(session, member.organisation_id) == (first, 4)
    # A weeks button tapped after the flow ended changes nothing.
    answer = replay(sandbox, 751, ask_weeks, "8 weken", "stale-weeks")
    assert answer["params"]["text"] == TRANSLATOR.raw("nl", "error.stale_button")
    with world.factory() as session:
        assert rounds.round_of(session, member.organisation_id) == (first, 4)
