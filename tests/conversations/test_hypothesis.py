"""/hypothesis for every role, and marking evidence by tap, by reply and by the picture's links."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from geo import wijk
from storage import hypotheses as hyp
from storage import observations as obs
from storage.hypotheses import link_payload
from storage.models import Hypothesis, HypothesisLink, MediaFile, Observation
from tests.conversations.helpers import (
    TRANSLATOR,
    button_texts,
    join,
    plain,
    says,
    tap,
    wait_drained,
)

pytestmark = pytest.mark.pipeline

VOICE = b"OggS" + b"\x00" * 100
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200 + b"\xff\xd9"


def raw(key: str, language: str = "en") -> str:
    return plain(TRANSLATOR.raw(language, key))


def text(key: str, language: str = "en", **params: Any) -> str:
    return plain(TRANSLATOR.text(language, key, params))


def wait_for(predicate, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def current(user, message: dict[str, Any]) -> dict[str, Any]:
    """Return a bot message as it is now, with its edits."""
    return next(m for m in user.messages() if m["message_id"] == message["message_id"])


def toasts(sandbox) -> list[str]:
    return [c["params"].get("text", "") for c in sandbox.calls("answerCallbackQuery")]


def wait_toast(sandbox, expected: str) -> None:
    wait_for(lambda: expected in toasts(sandbox), timeout=10)


def joined(sandbox, world, org: int, user_id: int, role: str, language: str = "en"):
    user = sandbox.user(user_id=user_id, language_code=language)
    join(user, world.invite(org, role), language)
    return user


def make_hypothesis(world, org: int, statement: str, **kwargs: Any) -> int:
    with world.factory.begin() as session:
        return hyp.create_hypothesis(session, org, None, datetime.now(UTC), statement, **kwargs).id


def links(world) -> list[tuple[int, int, str, int | None]]:
    with world.factory() as session:
        return [
            (link.hypothesis_id, link.observation_id, link.verdict, link.marked_by_member_id)
            for link in session.scalars(select(HypothesisLink)).all()
        ]


def in_wijk_one() -> tuple[float, float]:
    place = wijk(1)
    assert place is not None
    lat, lon = place.label
    return lat, lon


def located_note(user) -> tuple[dict[str, Any], int]:
    """Send a location outside any flow; return its saved line and the note's id."""
    sent = user.send_location(*in_wijk_one())
    [line] = user.wait_for_messages(1)
    return line, sent["message_id"]


def open_link(sandbox, world, user, payload: str) -> dict[str, Any]:
    """Open the bot with /start PAYLOAD (a picture's link); return the answer, not the menu."""
    user.send_command("/start", payload)
    first = user.wait_for_messages(1)
    wait_drained(world.factory, sandbox)
    sent = [*first, *user.new_messages()]
    [answer] = [m for m in sent if not says(m, "menu.here", user_language(user))]
    return answer


def user_language(user) -> str:
    return user.user.get("language_code") or "en"


def note_id(world, chat_id: int, message_id: int) -> int:
    with world.factory() as session:
        found = obs.find_by_message(session, chat_id, message_id)
        assert found is not None
        return found.id


def new_statement(coordinator, statement: str) -> dict[str, Any]:
    """Open /hypothesis and send a statement at the menu; return the theme question."""
    coordinator.send_command("/hypothesis")
    coordinator.wait_for_messages(1)
    coordinator.send_text(statement)
    [themes] = coordinator.wait_for_messages(1)
    return themes


def tick(user, message: dict[str, Any], label: str) -> None:
    """Tap a button that ticks itself, and wait for the tick."""
    tap(user, current(user, message), label)
    wait_for(lambda: "✓ " + label in button_texts(current(user, message)))


# -- the /hypothesis flow -----------------------------------------------------------------------


def test_a_coordinator_records_a_hypothesis_with_themes_and_wijken(sandbox, world) -> None:
    org = world.organisation()
    coordinator = joined(sandbox, world, org, 5000, "coordinator")
    coordinator.send_command("/hypothesis")
    [menu] = coordinator.wait_for_messages(1)
    assert says(menu, "hypothesis.menu", "en")
    assert raw("hypothesis.none_yet") in menu["text"]
    assert text("hypothesis.button_staff", state=raw("hypothesis.staff_off")) in button_texts(menu)
    tap(coordinator, menu, raw("hypothesis.button_new"))
    [ask] = coordinator.wait_for_messages(1)
    assert says(ask, "hypothesis.ask_statement", "en")
    coordinator.send_text("Older residents have no place to meet since the bank closed")
    [themes] = coordinator.wait_for_messages(1)
    assert says(themes, "hypothesis.ask_themes", "en")
    tick(coordinator, themes, raw("theme.welfare"))
    tick(coordinator, themes, raw("theme.housing"))
    # Tapping again unticks.
    tap(coordinator, current(coordinator, themes), raw("theme.housing"))
    wait_for(lambda: raw("theme.housing") in button_texts(current(coordinator, themes)))
    tap(coordinator, current(coordinator, themes), raw("hypothesis.button_next"))
    [wijken] = coordinator.wait_for_messages(1)
    assert says(wijken, "hypothesis.ask_wijken", "en")
    name = wijk(1).name("en")  # type: ignore[union-attr]
    tick(coordinator, wijken, name)
    tap(coordinator, current(coordinator, wijken), raw("hypothesis.button_save"))
    [saved] = coordinator.wait_for_messages(1)
    assert says(saved, "hypothesis.saved", "en")
    assert "H1" in saved["text"] and "bank closed" in saved["text"]
    with world.factory() as session:
        [view] = hyp.list_hypotheses(session, org)
    assert view.themes == ("welfare",) and view.wijken == (1,)
    assert view.author_member_id == world.member(5000).id
    coordinator.send_command("/hypothesis")
    [menu] = coordinator.wait_for_messages(1)
    assert "H1" in menu["text"] and "bank closed" in menu["text"]
    assert raw("theme.welfare") in menu["text"]


def test_typing_and_sending_things_at_the_wrong_moment(sandbox, world) -> None:
    org = world.organisation()
    coordinator = joined(sandbox, world, org, 5001, "coordinator")
    # Words sent at the menu are the statement of a new hypothesis: one step less.
    themes = new_statement(
        coordinator, "Young people hang around the station because nothing else is open"
    )
    assert says(themes, "hypothesis.ask_themes", "en")
    # Next without a theme: a short answer, nothing moves.
    tap(coordinator, themes, raw("hypothesis.button_next"))
    wait_toast(sandbox, raw("hypothesis.theme_needed"))
    # Words that are no button: a hint and the question again.
    coordinator.send_text("what?")
    hint, again = coordinator.wait_for_messages(2)
    assert says(hint, "flow.use_buttons", "en") and says(again, "hypothesis.ask_themes", "en")
    # A theme's name typed counts as the tap: the question comes again, ticked.
    coordinator.send_text(raw("theme.youth"))
    [ticked] = coordinator.wait_for_messages(1)
    assert "✓ " + raw("theme.youth") in button_texts(ticked)
    # A photo at a button question is kept as a note of its own.
    coordinator.send_photo(JPEG)
    aside, asked = coordinator.wait_for_messages(2)
    assert says(aside, "capture.saved_aside", "en") and says(asked, "hypothesis.ask_themes", "en")
    assert "✓ " + raw("theme.youth") in button_texts(asked)
    tap(coordinator, asked, raw("hypothesis.button_next"))
    [wijken] = coordinator.wait_for_messages(1)
    # Saving with no wijk ticked: the whole buurt.
    tap(coordinator, wijken, raw("hypothesis.button_save"))
    [saved] = coordinator.wait_for_messages(1)
    assert says(saved, "hypothesis.saved", "en")
    with world.factory() as session:
        [view] = hyp.list_hypotheses(session, org)
    assert view.themes == ("youth",) and view.wijken == ()


def test_cancel_midway_stores_nothing(sandbox, world) -> None:
    org = world.organisation()
    coordinator = joined(sandbox, world, org, 5002, "coordinator")
    new_statement(coordinator, "Something half thought")
    coordinator.send_command("/cancel")
    [cancelled] = coordinator.wait_for_messages(1)
    assert says(cancelled, "cancel.done", "en")
    with world.factory() as session:
        assert hyp.list_hypotheses(session, org) == []


def test_a_voice_hypothesis_is_edited_closed_and_reopened(sandbox, world) -> None:
    org = world.organisation()
    coordinator = joined(sandbox, world, org, 5003, "coordinator")
    coordinator.send_command("/hypothesis")
    coordinator.wait_for_messages(1)
    coordinator.send_voice(VOICE, duration=5)
    [themes] = coordinator.wait_for_messages(1)
    tick(coordinator, themes, raw("theme.food"))
    tap(coordinator, current(coordinator, themes), raw("hypothesis.button_next"))
    [wijken] = coordinator.wait_for_messages(1)
    tap(coordinator, wijken, raw("hypothesis.button_save"))
    [saved] = coordinator.wait_for_messages(1)
    assert raw("hypothesis.voice_only") in saved["text"]

    def voice_stored():
        with world.factory() as session:
            return session.scalar(
                select(MediaFile.path).where(
                    MediaFile.hypothesis_id.is_not(None), MediaFile.status == "stored"
                )
            )

    path = wait_for(voice_stored)
    with world.factory() as session:
        [view] = hyp.list_hypotheses(session, org)
    assert view.voice_media == path and view.statement == ""
    coordinator.send_command("/hypothesis")
    [menu] = coordinator.wait_for_messages(1)
    tap(coordinator, menu, "H1: " + raw("hypothesis.voice_only"))
    [card] = coordinator.wait_for_messages(1)
    assert says(card, "hypothesis.card", "en")
    tap(coordinator, card, raw("hypothesis.button_words"))
    [ask] = coordinator.wait_for_messages(1)
    assert says(ask, "hypothesis.ask_new_words", "en")
    coordinator.send_voice(VOICE, duration=2)
    [needed] = coordinator.wait_for_messages(1)
    assert says(needed, "hypothesis.words_needed", "en")
    coordinator.send_text("Families shop far away since the market left")
    changed, card = coordinator.wait_for_messages(2)
    assert says(changed, "hypothesis.changed", "en")
    assert "market left" in card["text"]
    tap(coordinator, card, raw("hypothesis.button_themes"))
    [themes] = coordinator.wait_for_messages(1)
    assert "✓ " + raw("theme.food") in button_texts(themes)
    tick(coordinator, themes, raw("theme.shops"))
    tap(coordinator, current(coordinator, themes), raw("hypothesis.button_next"))
    [card] = coordinator.wait_for_messages(1)
    tap(coordinator, card, raw("hypothesis.button_wijken"))
    [wijken] = coordinator.wait_for_messages(1)
    name = wijk(2).name("en")  # type: ignore[union-attr]
    tick(coordinator, wijken, name)
    tap(coordinator, current(coordinator, wijken), raw("hypothesis.button_save"))
    [card] = coordinator.wait_for_messages(1)
    tap(coordinator, card, raw("hypothesis.button_close"))
    wait_toast(sandbox, raw("hypothesis.now_closed"))
    closed = wait_for(
        lambda: (
            raw("hypothesis.status.closed") in current(coordinator, card)["text"]
            and current(coordinator, card)
        )
    )
    with world.factory() as session:
        [view] = hyp.list_hypotheses(session, org)
    assert (view.statement, view.themes, view.wijken, view.status) == (
        "Families shop far away since the market left",
        ("food", "shops"),
        (2,),
        "closed",
    )
    tap(coordinator, closed, raw("hypothesis.button_reopen"))
    wait_toast(sandbox, raw("hypothesis.now_open"))
    reopened = wait_for(
        lambda: (
            raw("hypothesis.button_close") in button_texts(current(coordinator, card))
            and current(coordinator, card)
        )
    )
    tap(coordinator, reopened, raw("hypothesis.button_back"))
    [menu] = coordinator.wait_for_messages(1)
    assert says(menu, "hypothesis.menu", "en") and raw("hypothesis.status.open") in menu["text"]
    tap(coordinator, menu, raw("hypothesis.button_done"))
    [bye] = coordinator.wait_for_messages(1)
    assert says(bye, "hypothesis.closed_menu", "en")


def test_who_may_record_hypotheses(sandbox, world) -> None:
    org = world.organisation()
    stranger = sandbox.user(user_id=5010, language_code="en")
    stranger.send_command("/hypothesis")
    [answer] = stranger.wait_for_messages(1)
    assert says(answer, "stranger.how_to_join", "en")
    for user_id, role in ((5011, "resident"), (5012, "volunteer")):
        member = joined(sandbox, world, org, user_id, role)
        member.send_command("/hypothesis")
        [answer] = member.wait_for_messages(1)
        assert says(answer, "error.not_allowed", "en", command="hypothesis")
    staff = joined(sandbox, world, org, 5013, "staff")
    staff.send_command("/hypothesis")
    [answer] = staff.wait_for_messages(1)
    assert says(answer, "hypothesis.staff_not_allowed", "en")
    coordinator = joined(sandbox, world, org, 5014, "coordinator")
    coordinator.send_command("/hypothesis")
    [menu] = coordinator.wait_for_messages(1)
    tap(coordinator, menu, text("hypothesis.button_staff", state=raw("hypothesis.staff_off")))
    wait_toast(sandbox, raw("hypothesis.staff_now_on"))
    [menu] = coordinator.wait_for_messages(1)
    assert text("hypothesis.button_staff", state=raw("hypothesis.staff_on")) in button_texts(menu)
    # Staff may now, without the switch (that stays the coordinators').
    staff.send_command("/hypothesis")
    [menu_staff] = staff.wait_for_messages(1)
    assert says(menu_staff, "hypothesis.menu", "en")
    assert not any("Staff may" in label for label in button_texts(menu_staff))
    staff.send_text("Cyclists avoid the main road at night")
    [themes] = staff.wait_for_messages(1)
    # The coordinator switches it off meanwhile: the next step is refused and nothing stored.
    tap(coordinator, menu, text("hypothesis.button_staff", state=raw("hypothesis.staff_on")))
    wait_toast(sandbox, raw("hypothesis.staff_now_off"))
    tick(staff, themes, raw("theme.mobility"))
    tap(staff, current(staff, themes), raw("hypothesis.button_next"))
    [refused] = staff.wait_for_messages(1)
    assert says(refused, "hypothesis.staff_not_allowed", "en")
    with world.factory() as session:
        assert hyp.list_hypotheses(session, org) == []


# -- marking evidence ----------------------------------------------------------------------------


def test_marking_by_tap_marks_changes_and_removes(sandbox, world) -> None:
    org = world.organisation()
    first = make_hypothesis(world, org, "No place to meet", themes=["welfare"], wijken=[1])
    make_hypothesis(world, org, "About food", themes=["food"])  # concerns nothing sent here
    staff = joined(sandbox, world, org, 5020, "staff")
    line, message_id = located_note(staff)
    assert says(line, "capture.saved", "en")
    assert button_texts(line)[-2:] == ["👍 H1", "👎 H1"]
    observation = note_id(world, 5020, message_id)
    tap(staff, line, "👍 H1")
    wait_toast(sandbox, text("hypothesis.marked_supports", number=1, statement="No place to meet"))
    wait_for(lambda: "✓ 👍 H1" in button_texts(current(staff, line)))
    member_id = world.member(5020).id
    assert links(world) == [(first, observation, "supports", member_id)]
    tap(staff, current(staff, line), "👎 H1")
    wait_for(lambda: "✓ 👎 H1" in button_texts(current(staff, line)))
    assert links(world) == [(first, observation, "contradicts", member_id)]
    tap(staff, current(staff, line), "✓ 👎 H1")
    wait_toast(sandbox, text("hypothesis.unmarked", number=1))
    wait_for(lambda: "👎 H1" in button_texts(current(staff, line)))
    assert links(world) == []
    # A closed hypothesis takes no more marks.
    with world.factory.begin() as session:
        row = session.get(Hypothesis, first)
        hyp.close_hypothesis(row, datetime.now(UTC))
    tap(staff, current(staff, line), "👍 H1")
    wait_toast(sandbox, raw("hypothesis.is_closed"))
    assert links(world) == []


def test_residents_get_no_verdict_buttons_and_the_theme_brings_them(sandbox, world) -> None:
    org = world.organisation()
    make_hypothesis(world, org, "Streets are dirty", themes=["green"])
    resident = joined(sandbox, world, org, 5030, "resident")
    line, _ = located_note(resident)
    assert not any("H1" in label for label in button_texts(line))
    volunteer = joined(sandbox, world, org, 5031, "volunteer")
    volunteer.send_text("Litter along the canal again")
    line, where = volunteer.wait_for_messages(2)
    assert not any("H1" in label for label in button_texts(line))
    volunteer.send_text(raw("button.skip"))
    volunteer.wait_for_messages(1)
    # Giving the note a theme the hypothesis concerns brings its buttons.
    tap(volunteer, line, raw("observe.button_theme"))
    wait_for(lambda: raw("theme.green") in button_texts(current(volunteer, line)))
    tap(volunteer, current(volunteer, line), raw("theme.green"))
    wait_for(lambda: "👍 H1" in button_texts(current(volunteer, line)))


def test_marking_by_reply(sandbox, world) -> None:
    org = world.organisation()
    first = make_hypothesis(world, org, "No place to meet", wijken=[1])
    staff = joined(sandbox, world, org, 5040, "staff", "nl")
    line, message_id = located_note(staff)
    observation = note_id(world, 5040, message_id)
    staff.send_text("+1", reply_to=line["message_id"])
    [marked] = staff.wait_for_messages(1)
    assert says(marked, "hypothesis.marked_supports", "nl", number=1, statement="No place to meet")
    assert links(world) == [(first, observation, "supports", world.member(5040).id)]
    staff.send_text("Klopt niet!", reply_to=line["message_id"])
    [marked] = staff.wait_for_messages(1)
    assert says(
        marked, "hypothesis.marked_contradicts", "nl", number=1, statement="No place to meet"
    )
    assert links(world)[0][2] == "contradicts"
    # Words in another language count too.
    staff.send_text("supports", reply_to=line["message_id"])
    staff.wait_for_messages(1)
    assert links(world)[0][2] == "supports"
    # Any other reply is kept as a note, as always.
    staff.send_text("+1 en ook de bank is dicht", reply_to=line["message_id"])
    kept, _where = staff.wait_for_messages(2)
    assert says(kept, "capture.saved", "nl")
    # Two hypotheses concern it: which one?
    second = make_hypothesis(world, org, "Benches were removed", wijken=[1])
    staff.send_text("-1", reply_to=line["message_id"])
    [which] = staff.wait_for_messages(1)
    assert says(which, "hypothesis.reply_which_contradicts", "nl")
    assert button_texts(which) == ["✓ 👍 H1", "👎 H1", "👍 H2", "👎 H2"]
    tap(staff, which, "👎 H2")
    wait_for(lambda: says(current(staff, which), "hypothesis.marked_contradicts", "nl"))
    assert sorted(link[:3] for link in links(world)) == [
        (first, observation, "supports"),
        (second, observation, "contradicts"),
    ]


def test_a_reply_about_nothing_to_mark(sandbox, world) -> None:
    org = world.organisation()
    staff = joined(sandbox, world, org, 5045, "staff")
    line, _ = located_note(staff)
    staff.send_text("+1", reply_to=line["message_id"])
    [none] = staff.wait_for_messages(1)
    assert says(none, "hypothesis.reply_none", "en")
    assert links(world) == []


def test_marking_by_the_pictures_link(sandbox, world) -> None:
    org = world.organisation()
    first = make_hypothesis(world, org, "No place to meet", wijken=[1])
    staff = joined(sandbox, world, org, 5050, "staff")
    _line, message_id = located_note(staff)
    observation = note_id(world, 5050, message_id)
    coordinator = joined(sandbox, world, org, 5051, "coordinator")
    payload = link_payload(first, observation, "supports")
    assert len(payload) <= 64
    marked = open_link(sandbox, world, coordinator, payload)
    assert says(marked, "hypothesis.marked_supports", "en", number=1, statement="No place to meet")
    assert links(world) == [(first, observation, "supports", world.member(5051).id)]
    # Opening the link twice keeps the mark (a link sets, it never toggles).
    open_link(sandbox, world, coordinator, payload)
    assert [link[2] for link in links(world)] == ["supports"]
    # A link made up, or for a resident, or for a stranger, marks nothing.
    unknown = open_link(sandbox, world, coordinator, "h_1_x_s")
    assert says(unknown, "hypothesis.link_unknown", "en")
    resident = joined(sandbox, world, org, 5052, "resident")
    refused = open_link(sandbox, world, resident, link_payload(first, observation, "contradicts"))
    assert says(refused, "hypothesis.link_unknown", "en")
    stranger = sandbox.user(user_id=5053, language_code="en")
    how = open_link(sandbox, world, stranger, link_payload(first, observation, "contradicts"))
    assert says(how, "stranger.how_to_join", "en")
    other_org = world.organisation("Elders")
    outsider = joined(sandbox, world, other_org, 5054, "coordinator")
    refused = open_link(sandbox, world, outsider, link_payload(first, observation, "contradicts"))
    assert says(refused, "hypothesis.link_unknown", "en")
    assert [link[2] for link in links(world)] == ["supports"]
    with world.factory.begin() as session:
        hyp.close_hypothesis(session.get(Hypothesis, first), datetime.now(UTC))
    closed = open_link(sandbox, world, coordinator, link_payload(first, observation, "contradicts"))
    assert says(closed, "hypothesis.link_closed", "en")


def push_tap(sandbox, user_id: int, message: dict[str, Any], data: str, query_id: str) -> None:
    sandbox.push_update(
        {
            "callback_query": {
                "id": query_id,
                "from": {"id": user_id, "is_bot": False, "first_name": "M", "language_code": "en"},
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


def test_forged_verdict_buttons_are_answered_and_change_nothing(sandbox, world) -> None:
    org = world.organisation()
    first = make_hypothesis(world, org, "No place to meet", wijken=[1], themes=["health"])
    staff = joined(sandbox, world, org, 5060, "staff")
    line, message_id = located_note(staff)
    observation = note_id(world, 5060, message_id)
    other_org = world.organisation("Elders")
    theirs = make_hypothesis(world, other_org, "Theirs", wijken=[1])
    with world.factory.begin() as session:
        diary = obs.add_observation(
            session,
            organisation_id=org,
            member_id=world.member(5060).id,
            author="P-X",
            kind="diary_entry",
            now=datetime.now(UTC),
            theme="health",
        ).id
    forged = (
        f"g|hyp|{observation}|{theirs}|s",  # another organisation's hypothesis
        f"g|hyp|{diary}|{first}|s",  # a diary entry: private, never evidence
        f"g|hyp|{observation}|{first}|x",  # no such verdict
        f"g|hyp|{observation}|{first}",  # too short
        f"g|hyp|99999999|{first}|s",  # no such observation
        f"g|hypr|{observation}|²|s",  # not a plain number
        "g|hyp|" + "9" * 40 + "|1|s",
    )
    for index, data in enumerate(forged):
        push_tap(sandbox, 5060, line, data, f"forged-{index}")

    def answers():
        return [
            c["params"].get("text")
            for c in sandbox.calls("answerCallbackQuery")
            if c["params"]["callback_query_id"].startswith("forged")
        ]

    wait_for(lambda: len(answers()) == len(forged))
    assert set(answers()) == {raw("error.stale_button")}
    assert links(world) == []
    # A resident's tap on a real button is refused too: residents do not mark.
    resident = joined(sandbox, world, org, 5061, "resident")
    resident_line, _ = located_note(resident)
    push_tap(sandbox, 5061, resident_line, f"g|hyp|{observation}|{first}|s", "forged-resident")
    wait_for(lambda: len(answers()) == len(forged) + 1)
    assert links(world) == []


def test_forget_leaves_the_teams_hypotheses_and_evidence_without_the_member(sandbox, world) -> None:
    org = world.organisation()
    coordinator = joined(sandbox, world, org, 5070, "coordinator")
    themes = new_statement(coordinator, "No place to meet")
    tick(coordinator, themes, raw("theme.welfare"))
    tap(coordinator, current(coordinator, themes), raw("hypothesis.button_next"))
    [wijken] = coordinator.wait_for_messages(1)
    tap(coordinator, wijken, wijk(1).name("en"))  # type: ignore[union-attr]
    wait_for(lambda: "✓ " in " ".join(button_texts(current(coordinator, wijken))))
    tap(coordinator, current(coordinator, wijken), raw("hypothesis.button_save"))
    coordinator.wait_for_messages(1)
    line, message_id = located_note(coordinator)
    tap(coordinator, line, "👍 H1")
    wait_for(lambda: links(world))
    member_id = world.member(5070).id
    coordinator.send_command("/forget")
    [question] = coordinator.wait_for_messages(1)
    tap(coordinator, question, raw("forget.button_yes"))
    coordinator.wait_for_messages(1)
    assert world.member(5070) is None
    with world.factory() as session:
        [view] = hyp.list_hypotheses(session, org)
        note = session.scalars(select(Observation)).one()
    assert view.statement == "No place to meet" and view.author_member_id is None
    [(_, observation, verdict, marked_by)] = links(world)
    assert (observation, verdict, marked_by) == (note.id, "supports", None)
    assert note.member_id is None and member_id not in (view.author_member_id, marked_by)
