"""Typing a button's label instead of tapping it, through the real HTTP stack.

DESIGN: "At a button step, typing a button's label (any case, accents or language) counts as
tapping it." Text that names no button at a pure button step is asked again, never kept as
something else.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.models import ChatState, Observation
from tests.conversations.helpers import TRANSLATOR, join, says, start_walk, tap

pytestmark = pytest.mark.pipeline

ORGANISATION = "Buurtwerk Noord"


def member(sandbox, world, user_id: int, role: str, language: str = "nl"):
    user = sandbox.user(user_id=user_id, language_code=language)
    join(user, world.invite(world.organisation(), role), language)
    return user


def observations(world, user_id: int) -> list[Observation]:
    member_id = world.member(user_id).id
    with world.factory() as session:
        return list(
            session.scalars(
                select(Observation)
                .where(Observation.member_id == member_id)
                .order_by(Observation.id)
            )
        )


def draft(world, user_id: int) -> dict:
    with world.factory() as session:
        return dict(session.get(ChatState, user_id).draft)


def test_typed_language_continue_and_no_answer_onboarding(sandbox, world) -> None:
    code = world.invite(world.organisation(), "resident")
    # Telegram says French, so Français is ticked; the member types Nederlands instead.
    user = sandbox.user(user_id=1500, language_code="fr")
    user.send_command("/start", code)
    [choose] = user.wait_for_messages(1)
    assert says(choose, "onboarding.choose_language", "fr", organisation=ORGANISATION)
    user.send_text("Nederlands")
    [about] = user.wait_for_messages(1)
    assert says(about, "onboarding.about.resident", "nl", organisation=ORGANISATION)
    user.send_text("verder")
    [consent] = user.wait_for_messages(1)
    assert says(consent, "consent.resident", "nl")
    user.send_text("nee")
    [declined] = user.wait_for_messages(1)
    assert says(declined, "onboarding.declined", "nl")
    assert world.member(1500) is None
    with world.factory() as session:
        assert session.get(ChatState, 1500) is None


def test_typed_agreement_in_capitals_makes_the_member(sandbox, world) -> None:
    code = world.invite(world.organisation(), "staff")
    user = sandbox.user(user_id=1501, language_code="en")
    user.send_command("/start", code)
    user.wait_for_messages(1)
    user.send_text("FRANCAIS")
    user.wait_for_messages(1)
    user.send_text("Continuer !")
    user.wait_for_messages(1)
    user.send_text("  Oui ")
    [ask_name] = user.wait_for_messages(1)
    assert says(ask_name, "name.ask", "fr")
    user.send_text("Nadia")
    _saved, welcome, _help = user.wait_for_messages(3)
    assert says(welcome, "onboarding.welcome", "fr")
    assert world.member(1501).language == "fr"
    assert world.member(1501).display_name == "Nadia"


def test_nonsense_at_the_consent_question_is_asked_again_and_stores_nothing(sandbox, world) -> None:
    code = world.invite(world.organisation(), "resident")
    user = sandbox.user(user_id=1502, language_code="nl")
    user.send_command("/start", code)
    [choose] = user.wait_for_messages(1)
    tap(user, choose, "Nederlands")
    [about] = user.wait_for_messages(1)
    tap(user, about, TRANSLATOR.raw("nl", "button.continue"))
    user.wait_for_messages(1)
    # A sentence that only starts with "nee" is not the decline button.
    user.send_text("nee, eerst wil ik meer weten")
    hint, again = user.wait_for_messages(2)
    assert says(hint, "flow.use_buttons", "nl")
    assert says(again, "consent.resident", "nl")
    assert world.member(1502) is None
    with world.factory() as session:
        assert session.get(ChatState, 1502).state == "consent"


def test_typed_theme_at_missing_keeps_the_description(sandbox, world) -> None:
    user = member(sandbox, world, 1503, "resident")
    user.send_command("/missing")
    user.wait_for_messages(1)
    user.send_text("Er is geen dokter meer in de wijk")
    [theme] = user.wait_for_messages(1)
    assert says(theme, "missing.ask_theme", "nl")
    # French, without its accent, by a Dutch-speaking member.
    user.send_text("sante")
    chosen, status = user.wait_for_messages(2)
    assert chosen["text"].endswith("→ Gezondheid")
    assert says(status, "missing.ask_status", "nl")
    assert draft(world, 1503)["theme"] == "health"
    assert draft(world, 1503)["text"] == "Er is geen dokter meer in de wijk"
    tap(user, status, TRANSLATOR.raw("nl", "missing.status.never"))
    user.wait_for_messages(1)
    user.send_text("OVERSLAAN")  # the reply keyboard's skip, typed
    user.wait_for_messages(1)
    user.send_text("nergens")
    user.wait_for_messages(2)
    user.send_text("Skip")  # the inline skip button, in English
    user.wait_for_messages(1)
    user.send_text("overslaan")
    [saved] = user.wait_for_messages(1)
    assert saved["text"].startswith("✓")
    [report] = observations(world, 1503)
    assert report.text == "Er is geen dokter meer in de wijk" and report.theme == "health"
    assert report.lat is None
    assert report.details["alternative_source"] == "nowhere"
    assert report.details["affected"] is None and report.details["impact"] is None


def test_nonsense_at_the_missing_theme_is_asked_again_not_added(sandbox, world) -> None:
    user = member(sandbox, world, 1504, "resident")
    user.send_command("/missing")
    user.wait_for_messages(1)
    user.send_text("De wasserette is dicht")
    user.wait_for_messages(1)
    user.send_text("blabla")
    hint, again = user.wait_for_messages(2)
    assert says(hint, "flow.use_buttons", "nl")
    assert says(again, "missing.ask_theme", "nl")
    state = draft(world, 1504)
    assert state["text"] == "De wasserette is dicht" and "theme" not in state
    assert observations(world, 1504) == []


@pytest.mark.parametrize("typed", ["passer", "OVERSLAAN", "skip", "Sla over"])
def test_a_typed_skip_answers_the_walks_where_question(sandbox, world, typed: str) -> None:
    user = member(sandbox, world, 1505, "staff")
    start_walk(user)
    user.send_text("Geen bank meer aan de bushalte")
    _saved, ask = user.wait_for_messages(2)
    assert says(ask, "walk.where_was_this", "nl")
    user.send_text(typed)
    [skipped] = user.wait_for_messages(1)
    assert says(skipped, "walk.location_skipped", "nl")
    [note] = observations(world, 1505)
    assert note.text == "Geen bank meer aan de bushalte" and note.lat is None
    assert "awaiting" not in draft(world, 1505)


def test_typed_yes_answers_the_abandon_question(sandbox, world) -> None:
    user = member(sandbox, world, 1506, "resident", "en")
    user.send_command("/missing")
    user.wait_for_messages(1)
    user.send_command("/language")
    [confirm] = user.wait_for_messages(1)
    assert says(confirm, "flow.confirm_abandon", "en", command="language")
    user.send_text("Yes")
    [choose] = user.wait_for_messages(1)
    assert says(choose, "language.choose", "en")
    user.send_text("nederlands")
    [changed] = user.wait_for_messages(1)
    assert says(changed, "language.changed", "nl")
    assert world.member(1506).language == "nl"


def test_words_at_the_abandon_question_answer_nothing(sandbox, world) -> None:
    user = member(sandbox, world, 1507, "resident")
    user.send_command("/missing")
    user.wait_for_messages(1)
    user.send_text("De speeltuin is weg")
    user.wait_for_messages(1)
    user.send_command("/language")
    [confirm] = user.wait_for_messages(1)
    assert says(confirm, "flow.confirm_abandon", "nl", command="taal")
    user.send_text("Gezondheid")
    hint, again = user.wait_for_messages(2)
    assert says(hint, "flow.use_buttons", "nl")
    assert says(again, "flow.confirm_abandon", "nl", command="taal")
    assert "theme" not in draft(world, 1507)
    user.send_text("Nee, verder")
    [theme] = user.wait_for_messages(1)
    assert says(theme, "missing.ask_theme", "nl")
    user.send_text("gezondheid")
    user.wait_for_messages(2)
    state = draft(world, 1507)
    assert state["theme"] == "health" and state["text"] == "De speeltuin is weg"
    assert "_pending" not in state
