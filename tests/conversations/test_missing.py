"""/missing through the real HTTP stack: what the buurt lacks, where people go instead, places."""

from __future__ import annotations

import pytest
import shapely
from sqlalchemy import select

from bot.runtime.runner import BotThread
from flows.engine import Text
from geo import distance_m, get_gazetteer, match_place
from storage.models import ChatState, Observation
from tests.conversations.helpers import TRANSLATOR, join, says, shows_menu, tap, unpaced

pytestmark = pytest.mark.pipeline

GRAND_PLACE = (50.8467, 4.3525)
ATOMIUM = (50.8949, 4.3415)
FLAGEY = (50.8275, 4.3725)
ZAVENTEM = (50.8860, 4.4720)
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200 + b"\xff\xd9"
VOICE = b"OggS" + b"\x00" * 100


def member(sandbox, world, user_id: int, role: str, language: str):
    user = sandbox.user(user_id=user_id, language_code=language)
    join(user, world.invite(world.organisation(), role), language)
    return user


def label(language: str, key: str) -> str:
    return TRANSLATOR.raw(language, key)


def reports(world, user_id: int) -> list[Observation]:
    member_id = world.member(user_id).id
    with world.factory() as session:
        rows = session.scalars(
            select(Observation).where(Observation.member_id == member_id).order_by(Observation.id)
        ).all()
        for row in rows:
            _ = list(row.media)
        return list(rows)


def in_place(name: str) -> Text:
    return Text("observe.in_place", {"place": name})


def test_a_resident_reports_with_a_photo_and_a_typed_place_people_go_to(sandbox, world) -> None:
    user = member(sandbox, world, 1100, "resident", "en")
    user.send_command("/missing")
    [ask] = user.wait_for_messages(1)
    assert says(ask, "missing.ask_what", "en")
    user.send_photo(JPEG, caption="The laundrette closed")
    [theme] = user.wait_for_messages(1)
    assert says(theme, "missing.ask_theme", "en")
    tap(user, theme, label("en", "button.skip"))
    [status] = user.wait_for_messages(1)
    assert says(status, "missing.ask_status", "en")
    tap(user, status, label("en", "missing.status.1to5"))
    [where] = user.wait_for_messages(1)
    assert says(where, "missing.ask_place", "en")
    user.send_location(*GRAND_PLACE)
    [alternative] = user.wait_for_messages(1)
    noted = Text("missing.place_noted", {"where": in_place("Grand Place")})
    assert says(alternative, "missing.ask_alternative", "en", noted=noted)
    user.send_text("Anderlecht")
    noted_alternative, transport = user.wait_for_messages(2)
    anderlecht = match_place("Anderlecht")
    metres = distance_m(GRAND_PLACE, (anderlecht.lat, anderlecht.lon))
    assert says(
        noted_alternative,
        "missing.alternative_km",
        "en",
        place="Anderlecht",
        km=f"{metres / 1000:.1f}",
        reference=Text("missing.from_place"),
    )
    assert shows_menu(user)  # the one-time keyboard made way for the main menu
    tap(user, transport, "Tram, bus or metro")
    [affected] = user.wait_for_messages(1)
    assert says(affected, "missing.ask_affected", "en")
    tap(user, affected, label("en", "button.skip"))
    [impact] = user.wait_for_messages(1)
    assert says(impact, "missing.ask_impact", "en")
    tap(user, impact, label("en", "button.skip"))
    [saved] = user.wait_for_messages(1)
    assert says(saved, "missing.saved", "en", where=in_place("Grand Place"))

    [report] = reports(world, 1100)
    assert report.kind == "missing" and report.text == "The laundrette closed"
    assert report.theme is None
    assert (report.lat, report.lon, report.wijk_code) == (*GRAND_PLACE, 1)
    assert report.location_source == "message" and report.in_buurt is True
    assert [m.kind for m in report.media] == ["photo"]
    assert report.details == {
        "status": "disappeared",
        "since": "1_5_years",
        "alternative": "Anderlecht",
        "alternative_source": "typed",
        "alternative_lat": anderlecht.lat,
        "alternative_lon": anderlecht.lon,
        "alternative_wijk": get_gazetteer().locate(anderlecht.lat, anderlecht.lon).wijk_code,
        "distance_m": round(metres),
        "distance_from": "place",
        "transport": "transit",
        "affected": None,
        "impact": None,
        "media_roles": ["what"],
    }
    with world.factory() as session:
        assert session.get(ChatState, 1100) is None


def test_a_voice_note_about_something_never_there_with_nowhere_to_go(sandbox, world) -> None:
    user = member(sandbox, world, 1101, "staff", "fr")
    user.send_command("/missing")
    user.wait_for_messages(1)
    user.send_voice(VOICE, duration=5)
    [theme] = user.wait_for_messages(1)
    tap(user, theme, label("fr", "theme.health"))
    [status] = user.wait_for_messages(1)
    # The theme question now shows the answer instead of its buttons.
    [edited] = [m for m in user.messages() if m["message_id"] == theme["message_id"]]
    assert edited["text"].endswith("→ Santé") and "reply_markup" not in edited
    tap(user, status, label("fr", "missing.status.never"))
    [where] = user.wait_for_messages(1)
    assert says(where, "missing.ask_place", "fr")
    user.press(label("fr", "button.skip"))
    [alternative] = user.wait_for_messages(1)
    assert says(alternative, "missing.ask_alternative", "fr", noted=Text("missing.place_none"))
    user.press(label("fr", "button.nowhere"))
    nowhere, affected = user.wait_for_messages(2)
    assert says(nowhere, "missing.alternative_none", "fr")
    assert says(affected, "missing.ask_affected", "fr")
    user.send_text("Les personnes âgées du quartier")
    [impact] = user.wait_for_messages(1)
    user.send_voice(VOICE, duration=9)
    [saved] = user.wait_for_messages(1)
    assert says(
        saved,
        "observe.saved_theme",
        "fr",
        where=Text("observe.no_place"),
        theme=Text("theme.health"),
    )

    [report] = reports(world, 1101)
    assert report.text is None and report.theme == "health"
    assert report.lat is None and report.wijk_code is None
    assert [(m.kind, m.duration) for m in report.media] == [("voice", 5), ("voice", 9)]
    assert report.details["status"] == "never" and report.details["since"] is None
    assert report.details["alternative_source"] == "nowhere"
    assert report.details["alternative"] is None and report.details["distance_m"] is None
    assert report.details["transport"] is None
    assert report.details["affected"] == "Les personnes âgées du quartier"
    assert report.details["impact"] is None
    assert report.details["media_roles"] == ["what", "impact"]


def border_point() -> tuple[float, float]:
    """Return a point ~10 m north of the region's northernmost vertex: just outside it."""
    region = get_gazetteer().region
    polygons = getattr(region, "geoms", [region])
    lon, lat = max((c for p in polygons for c in p.exterior.coords), key=lambda c: c[1])
    point = (lat + 10 / 111_320, lon)
    assert not region.contains(shapely.Point(point[1], point[0]))
    assert 5 < distance_m((lat, lon), point) < 25
    return point


def test_the_missing_place_is_tagged_with_its_wijk(sandbox, world) -> None:
    border = border_point()
    cases = [(GRAND_PLACE, 1), (ATOMIUM, 74), (FLAGEY, 37), (ZAVENTEM, None), (border, None)]
    code = world.invite(world.organisation(), "volunteer", max_uses=None)
    users = [sandbox.user(user_id=1110 + i, language_code="en") for i in range(len(cases))]

    # Everyone plays the same short report at once: each chat has its own one-message pace.
    def everyone(action, count: int = 1) -> list[list[dict]]:
        for user, message in zip(users, last, strict=True):
            action(user, message)
        return [user.wait_for_messages(count) for user in users]

    last = [None] * len(users)
    last = [m[-1] for m in everyone(lambda u, m: u.send_command("/start", code))]
    last = [m[-1] for m in everyone(lambda u, m: tap(u, m, "English"))]
    last = [m[-1] for m in everyone(lambda u, m: tap(u, m, label("en", "button.continue")))]
    last = [m[-1] for m in everyone(lambda u, m: tap(u, m, label("en", "button.agree")))]
    # Volunteers choose the name their team sees: typed here, for each one their own.
    last = [m[-1] for m in everyone(lambda u, m: u.send_text(f"Vol {u.user_id}"), 3)]
    last = [m[-1] for m in everyone(lambda u, m: u.send_command("/missing"))]
    last = [m[-1] for m in everyone(lambda u, m: u.send_text("No post office any more"))]
    last = [m[-1] for m in everyone(lambda u, m: tap(u, m, label("en", "button.skip")))]
    last = [m[-1] for m in everyone(lambda u, m: tap(u, m, label("en", "missing.status.year")))]
    for user, (point, _) in zip(users, cases, strict=True):
        user.send_location(*point)
    last = [user.wait_for_messages(1)[-1] for user in users]
    last = [m[-1] for m in everyone(lambda u, m: u.press(label("en", "button.nowhere")), 2)]
    last = [m[-1] for m in everyone(lambda u, m: tap(u, m, label("en", "button.skip")))]
    saved = [m[-1] for m in everyone(lambda u, m: tap(u, m, label("en", "button.skip")))]

    assert says(saved[3], "missing.saved", "en", where=Text("observe.outside_brussels"))
    found = [reports(world, user.user_id)[0] for user in users]
    for (point, expected), report in zip(cases[:4], found, strict=False):
        assert (report.lat, report.lon) == point
        assert report.wijk_code == expected
    zaventem, edge = found[3], found[4]
    # Outside Brussels is stored, not refused.
    assert zaventem.in_brussels is False and zaventem.municipality_nis is None
    # Just outside the regional border, the nearest wijk within 25 m is taken.
    location = get_gazetteer().locate(*border)
    assert location.fallback_m is not None and location.fallback_m < 25
    assert edge.wijk_code == location.wijk_code is not None and edge.in_brussels is True
    assert says(saved[4], "missing.saved", "en", where=in_place(location.wijk_name("en")))


def test_a_report_carries_on_after_a_restart(sandbox, settings, world, bot) -> None:
    user = member(sandbox, world, 1120, "staff", "nl")
    user.send_command("/missing")
    user.wait_for_messages(1)
    user.send_text("Er is geen bakker meer")
    [theme] = user.wait_for_messages(1)
    bot.stop()
    restarted = BotThread(settings, pacer=unpaced()).start()
    try:
        tap(user, theme, label("nl", "theme.food"))
        [status] = user.wait_for_messages(1)
        assert says(status, "missing.ask_status", "nl")
        tap(user, status, label("nl", "missing.status.unknown"))
        user.wait_for_messages(1)
        user.press(label("nl", "button.skip"))
        user.wait_for_messages(1)
        user.send_text("Schaarbeek")
        noted, transport = user.wait_for_messages(2)
        # Without a missing place, the distance runs from the middle of the buurt (wijken 1, 2).
        gazetteer = get_gazetteer()
        labels = [gazetteer.wijk(code).label for code in (1, 2)]
        centre = (sum(p[0] for p in labels) / 2, sum(p[1] for p in labels) / 2)
        schaerbeek = match_place("Schaarbeek")
        metres = distance_m(centre, (schaerbeek.lat, schaerbeek.lon))
        assert says(
            noted,
            "missing.alternative_km",
            "nl",
            place="Schaarbeek",
            km=f"{metres / 1000:.1f}".replace(".", ","),
            reference=Text("missing.from_buurt"),
        )
        tap(user, transport, "Te voet")
        [affected] = user.wait_for_messages(1)
        tap(user, affected, label("nl", "button.skip"))
        user.wait_for_messages(1)
        user.send_text("Oudere mensen eten minder vers brood")
        [saved] = user.wait_for_messages(1)
        assert says(
            saved,
            "observe.saved_theme",
            "nl",
            where=Text("observe.no_place"),
            theme=Text("theme.food"),
        )
    finally:
        restarted.stop()
    [report] = reports(world, 1120)
    assert report.text == "Er is geen bakker meer" and report.theme == "food"
    assert report.details["since"] == "unknown" and report.details["transport"] == "foot"
    assert report.details["distance_from"] == "buurt"
    assert report.details["distance_m"] == round(metres)
    assert report.details["impact"] == "Oudere mensen eten minder vers brood"
    assert "media_roles" not in report.details


def test_cancel_keeps_nothing(sandbox, world) -> None:
    user = member(sandbox, world, 1130, "resident", "nl")
    user.send_command("/missing")
    user.wait_for_messages(1)
    user.send_text("Een bank om op te zitten")
    [theme] = user.wait_for_messages(1)
    tap(user, theme, label("nl", "button.skip"))
    [status] = user.wait_for_messages(1)
    tap(user, status, label("nl", "missing.status.longer"))
    user.wait_for_messages(1)
    user.send_text("Nergenshuizen aan Zee")
    [unknown] = user.wait_for_messages(1)
    assert says(unknown, "missing.place_unknown", "nl")
    assert user.keyboard()["one_time_keyboard"]
    user.send_command("/cancel")
    [cancelled] = user.wait_for_messages(1)
    assert says(cancelled, "cancel.done", "nl")
    assert shows_menu(user)  # the one-time keyboard made way for the main menu
    assert reports(world, 1130) == []
    with world.factory() as session:
        assert session.get(ChatState, 1130) is None
