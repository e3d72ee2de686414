"""/area through the real HTTP stack: a coordinator shapes the buurt from Brussels wijken."""

from __future__ import annotations

import pytest

from flows.engine import Text
from storage import buurt
from storage.models import ChatState
from tests.conversations.helpers import TRANSLATOR, button_texts, join, says, tap

pytestmark = pytest.mark.pipeline

ATOMIUM = (50.8949, 4.3415)
ZAVENTEM = (50.8860, 4.4720)


def wijken_of(world, organisation_id: int) -> list[int]:
    with world.factory() as session:
        return buurt.list_wijken(session, organisation_id)


def lines(*names: str) -> tuple[Text, ...]:
    return tuple(Text("area.wijk_line", {"name": name}) for name in names)


def changed(message, change: str, name: str, *names: str) -> bool:
    params = {"change": Text(change, {"name": name}), "wijken": lines(*names)}
    return says(message, "area.changed", "nl", **params)


def test_a_coordinator_adds_by_name_and_location_and_removes(sandbox, world) -> None:
    org = world.organisation()  # wijken 1 (Grote Markt) and 2 (Dansaert)
    user = sandbox.user(user_id=1200, language_code="nl")
    join(user, world.invite(org, "coordinator"), "nl")
    user.send_command("/area")
    [current] = user.wait_for_messages(1)
    assert says(current, "area.current", "nl", wijken=lines("Dansaert", "Grote Markt"))

    # One match: confirm with a button.
    user.send_text("flagey")
    [confirm] = user.wait_for_messages(1)
    assert says(confirm, "area.confirm", "nl", name="Flagey - Malibran")
    tap(user, confirm, TRANSLATOR.raw("nl", "area.button_add"))
    [after] = user.wait_for_messages(1)
    assert changed(
        after, "area.added", "Flagey - Malibran", "Dansaert", "Flagey - Malibran", "Grote Markt"
    )

    # Several matches: pick one.
    user.send_text("Vorst")
    [pick] = user.wait_for_messages(1)
    assert says(pick, "area.pick", "nl", query="Vorst")
    assert button_texts(pick) == ["Laag Vorst", "Dudenpark - Park van Vorst", "↩ Terug"]
    tap(user, pick, "Laag Vorst")
    user.wait_for_messages(1)

    # A location adds the wijk it lies in; outside Brussels is refused.
    user.send_location(*ATOMIUM)
    [after] = user.wait_for_messages(1)
    assert changed(
        after,
        "area.added",
        "Heizel",
        "Dansaert",
        "Flagey - Malibran",
        "Grote Markt",
        "Heizel",
        "Laag Vorst",
    )
    user.send_location(*ZAVENTEM)
    [outside] = user.wait_for_messages(1)
    assert says(outside, "area.outside", "nl")

    # Remove mode: the current wijken as buttons.
    tap(user, outside, "Wijk weghalen")
    [choose] = user.wait_for_messages(1)
    assert says(choose, "area.choose_remove", "nl")
    assert len(button_texts(choose)) == 6
    tap(user, choose, "Dansaert")
    [after] = user.wait_for_messages(1)
    assert changed(
        after,
        "area.removed",
        "Dansaert",
        "Flagey - Malibran",
        "Grote Markt",
        "Heizel",
        "Laag Vorst",
    )

    user.send_text("xyzzy")
    [nothing] = user.wait_for_messages(1)
    assert says(nothing, "area.no_match", "nl", query="xyzzy")
    tap(user, nothing, TRANSLATOR.raw("nl", "area.button_done"))
    [finished] = user.wait_for_messages(1)
    assert says(
        finished, "area.done", "nl", wijken="Flagey - Malibran, Grote Markt, Heizel, Laag Vorst"
    )
    assert wijken_of(world, org) == [1, 37, 50, 74]
    with world.factory() as session:
        assert session.get(ChatState, 1200) is None


def test_a_volunteer_may_not_change_the_buurt(sandbox, world) -> None:
    org = world.organisation()
    user = sandbox.user(user_id=1201, language_code="en")
    join(user, world.invite(org, "volunteer"), "en")
    user.send_command("/area")
    [refused] = user.wait_for_messages(1)
    assert says(refused, "error.not_allowed", "en", command="area")
    assert wijken_of(world, org) == [1, 2]
    with world.factory() as session:
        assert session.get(ChatState, 1201) is None
