"""The weekly picture's builder: what a week adds up to, compared with the week before."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

import geo
from reports.digest import (
    Msg,
    build_digest,
    last_full_week,
    normalise,
    parse_iso_week,
    week_start,
)
from storage import observations as obs
from storage import organisations as orgs
from storage import walks as walks_db
from storage.models import Diarist, MediaFile, Observation
from storage.observations import Place

TZ = ZoneInfo("Europe/Brussels")
WEEK = (2026, 48)  # Monday 23 to Sunday 29 November 2026; `now` (conftest) is its Tuesday.
GRAND_PLACE = (50.8467, 4.3516)
DANSAERT = (50.8508, 4.3455)
FAR_AWAY = (50.8000, 4.4300)  # Watermael-Boitsfort, well outside wijken 1 and 2


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """Return a Brussels wall-clock moment as an aware UTC datetime."""
    return datetime.combine(day, time(hour, minute), TZ).astimezone(UTC)


MON = date(2026, 11, 23)
TUE, WED, THU, SUN = (MON + timedelta(days=n) for n in (1, 2, 3, 6))
LAST_WEEK = MON - timedelta(days=7)


def place(lat: float, lon: float) -> Place:
    """Return a stored place for a point, located by the gazetteer."""
    found = geo.locate(lat, lon)
    return Place(
        lat=lat,
        lon=lon,
        wijk_code=found.wijk_code,
        municipality_nis=found.municipality_nis,
        in_brussels=found.in_brussels,
        in_buurt=found.wijk_code in (1, 2),
    )


@dataclass
class Scene:
    """An organisation with a coordinator, a fieldworker, a diarist and a second organisation."""

    org_id: int
    other_org_id: int
    coordinator_id: int
    staff_id: int
    resident_id: int
    media_dir: Path


def make_member(session: Session, org_id: int, user_id: int, role: str, language: str, now):
    """Join a member to an organisation with a fresh invite."""
    invite = orgs.create_invite(session, org_id, role, now, timedelta(days=30), 1)
    return orgs.join_with_invite(session, invite, user_id, language, "v1", now)


def add(session: Session, org_id: int, member_id: int | None, kind: str, when, **kw: Any):
    """Store an observation as the flows do (the author is a pseudonym)."""
    return obs.add_observation(
        session,
        organisation_id=org_id,
        member_id=member_id,
        author=f"P-{member_id or 0:06d}",
        kind=kind,
        now=when,
        **kw,
    )


def walk(session: Session, org_id: int, member_id: int, start: datetime, minutes: int, metres):
    """Store a walk that ended, with a short track in the Grote Markt."""
    row = walks_db.start_walk(
        session,
        organisation_id=org_id,
        member_id=member_id,
        author=f"P-{member_id:06d}",
        chat_id=member_id,
        now=start,
    )
    for step in range(4):
        lat, lon = GRAND_PLACE[0] + step * 0.0004, GRAND_PLACE[1] + step * 0.0003
        walks_db.add_track_point(session, row, start + timedelta(minutes=step), lat, lon, 5.0, 1)
    row.ended_at = start + timedelta(minutes=minutes)
    row.closed_reason = "ended"
    row.distance_m = metres
    return row


def photo(session: Session, observation: Observation, path: str | None, status: str) -> None:
    """Attach a media row to an observation."""
    observation.media.append(
        MediaFile(
            kind="photo",
            file_id=f"F{observation.id}-{status}",
            file_unique_id=f"U{observation.id}-{status}",
            path=path,
            status=status,
            attempts=0,
            created_at=observation.created_at,
        )
    )
    session.flush()


def populate(factory: sessionmaker[Session], now: datetime, media_dir: Path) -> Scene:
    """Week 48 full of fieldwork, week 47 a little, and data that must not count."""
    (media_dir / "photo/2026-11").mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (1200, 800), (90, 140, 200)).save(media_dir / "photo/2026-11/a.jpg")
    Image.new("RGB", (300, 300), (200, 90, 90)).save(media_dir.parent / "outside.jpg")
    with factory.begin() as s:
        org = orgs.create_organisation(s, "Buurtwerk Noord", now - timedelta(days=90), "nl", [1, 2])
        other = orgs.create_organisation(s, "Elders", now - timedelta(days=90), "fr", [50])
        coordinator = make_member(s, org.id, 1001, "coordinator", "nl", now - timedelta(days=90))
        staff = make_member(s, org.id, 1002, "staff", "en", now - timedelta(days=90))
        resident = make_member(s, org.id, 1003, "resident", "fr", now - timedelta(days=90))
        stranger = make_member(s, other.id, 2001, "coordinator", "fr", now - timedelta(days=90))
        o, m = org.id, staff.id

        # This week: one walk of 2.5 km and 90 minutes, with notes and a reflection.
        this_walk = walk(s, o, m, at(TUE, 10), 90, 2500.0)
        first = add(
            s,
            o,
            m,
            "walk_note",
            at(TUE, 10, 5),
            text="Bench broken <script>alert(1)</script>",
            place=place(*GRAND_PLACE),
            walk_id=this_walk.id,
        )
        photo(s, first, "photo/2026-11/a.jpg", "stored")
        photo(s, first, None, "pending")
        photo(s, first, "../outside.jpg", "stored")
        add(s, o, m, "walk_note", at(TUE, 10, 20), text="Busy bakery", place=place(*DANSAERT))
        add(s, o, m, "walk_note", at(TUE, 10, 40), text="Far", place=place(*FAR_AWAY))
        add(s, o, m, "walk_note", at(TUE, 10, 50), text="No location")
        add(
            s,
            o,
            m,
            "walk_note",
            at(TUE, 11, 35),
            text="The boulevard is a border",
            walk_id=this_walk.id,
            details={"reflection": True},
        )
        add(
            s,
            o,
            m,
            "encounter",
            at(WED, 15),
            text="More green",
            theme="green",
            place=place(*GRAND_PLACE),
            details={"who": "resident", "experience": "I love the market", "quote_ok": True},
        )
        add(
            s,
            o,
            m,
            "encounter",
            at(WED, 16),
            text="Unsafe at night",
            theme="safety",
            details={"who": "shopkeeper", "experience": "SECRET-NOT-QUOTED", "quote_ok": False},
        )
        add(
            s,
            o,
            m,
            "key_person",
            at(THU, 9),
            text="Moroccan community",
            place=place(*DANSAERT),
            details={
                "alias": "Imam at the bakery",
                "role": "imam",
                "network": "Moroccan community",
                "contact": "SECRET-CONTACT 0470",
                "contact_consent": True,
            },
            follow_up_on=date(2026, 12, 1),
        )
        missing = [
            ("Laundrette", "shops", {"alternative": "Molenbeek", "distance_m": 1800}),
            ("a laundrette", "shops", {"alternative": "Anderlecht", "distance_m": 2200}),
            ("LAUNDRETTE!", "shops", {"alternative_source": "nowhere"}),
            ("Bank office", "shops", {"alternative_source": "location", "distance_m": 12000}),
            ("laundrette", None, {"alternative": "Molenbeek", "distance_m": 1000}),
        ]
        for index, (text, theme, extra) in enumerate(missing):
            details = {
                "status": "disappeared",
                "alternative": None,
                "alternative_source": "typed",
                "transport": "transit",
                "affected": "older people",
                "impact": "They stay home",
                **extra,
            }
            add(
                s,
                o,
                m,
                "missing",
                at(THU, 12, index),
                text=text,
                theme=theme,
                place=place(*GRAND_PLACE),
                details=details,
            )
        to_jette = {"met": "no", "transport": "transit", "where_instead": "Jette"}
        diary = [
            ("bread", "food", {"met": "yes"}),
            ("laundrette", "shops", to_jette),
            ("Laundrette", "shops", to_jette),
            ("doctor", "health", {"met": "partly", "transport": "foot", "where_instead": "Evere"}),
        ]
        for index, (text, theme, details) in enumerate(diary):
            add(
                s,
                o,
                resident.id,
                "diary_entry",
                at(SUN, 20, index),
                text=text,
                theme=theme,
                details={"need": text, **details},
            )
        add(s, o, resident.id, "diary_entry", at(SUN, 21), details={"nothing": True})
        s.add(
            Diarist(
                member_id=resident.id,
                organisation_id=o,
                consent_version="v1",
                started_on=MON - timedelta(days=10),
                ends_on=MON + timedelta(days=20),
                created_at=now - timedelta(days=10),
            )
        )

        # Last week: a shorter walk, one note, one encounter, two missing things.
        walk(s, o, m, at(LAST_WEEK + timedelta(days=2), 14), 30, 1000.0)
        add(s, o, m, "walk_note", at(LAST_WEEK, 9), text="Old note")
        add(s, o, m, "encounter", at(LAST_WEEK, 11), theme="green", details={"quote_ok": True})
        add(s, o, m, "missing", at(LAST_WEEK, 12), text="Post office", theme="shops")
        add(s, o, m, "missing", at(LAST_WEEK, 13), text="Playground", theme="youth")

        # Follow-ups planned earlier: the two in the 7 days after the week are due.
        for day in (date(2026, 11, 30), date(2026, 12, 6), date(2026, 12, 7)):
            add(
                s,
                o,
                m,
                "key_person",
                at(LAST_WEEK - timedelta(days=14), 9),
                details={"alias": f"Contact {day.day}", "network": "school gate"},
                follow_up_on=day,
            )

        # Never counted: before last week, after this week, another organisation.
        add(s, o, m, "walk_note", at(LAST_WEEK - timedelta(days=1), 23, 59), text="Too old")
        add(s, o, m, "walk_note", at(SUN + timedelta(days=1), 0, 0), text="Next week")
        add(s, other.id, stranger.id, "walk_note", at(TUE), text="Elsewhere")
        add(
            s,
            other.id,
            stranger.id,
            "key_person",
            at(TUE),
            details={"alias": "Not ours"},
            follow_up_on=date(2026, 12, 1),
        )
        return Scene(o, other.id, coordinator.id, staff.id, resident.id, media_dir)


@pytest.fixture
def scene(session_factory: sessionmaker[Session], now: datetime, tmp_path: Path) -> Scene:
    """Return the populated organisation."""
    return populate(session_factory, now, tmp_path / "media")


def build(factory: sessionmaker[Session], scene: Scene, language: str = "en", **kw: Any):
    """Build week 48 of the scene's organisation."""
    with factory() as session:
        return build_digest(session, scene.org_id, *WEEK, language, media_dir=scene.media_dir, **kw)


def test_at_a_glance_counts_this_week_against_the_week_before(session_factory, scene) -> None:
    digest = build(session_factory, scene)
    figures = {f.key: (f.value, f.previous, f.change) for f in digest.glance}
    assert figures == {
        "walks": (1, 1, 0),
        "km": (2.5, 1.0, 1.5),
        "hours": (1.5, 0.5, 1.0),
        "notes": (4, 1, 3),
        "encounters": (2, 1, 1),
        "key_persons": (1, 0, 1),
        "missing": (5, 2, 3),
        "focus_groups": (0, 0, 0),
        "diary_entries": (5, 0, 5),
        "diarists": (1, 0, 1),
        "survey_responses": (0, 0, 0),
    }
    assert (digest.first_day, digest.last_day) == (MON, SUN)
    assert (digest.previous_year, digest.previous_week) == (2026, 47)
    assert not digest.is_empty


def test_missing_things_are_grouped_by_theme_and_normalised_text(session_factory, scene):
    missing = build(session_factory, scene).missing
    assert (missing.total, missing.previous) == (5, 2)
    top = missing.groups[0]
    assert (top.text, top.theme, top.count) == ("Laundrette", "shops", 3)
    assert [(t.label, t.count) for t in top.alternatives] == [("Molenbeek", 1), ("Anderlecht", 1)]
    assert top.nowhere == 1
    assert top.median_distance_m == 2000
    assert top.affected == ("older people",)
    assert [(t.label, t.count) for t in top.transports] == [("transit", 3)]
    # The same words without a theme are another group; "outside Brussels" has no label.
    rest = {(g.text, g.theme): g for g in missing.groups[1:]}
    assert set(rest) == {("Bank office", "shops"), ("laundrette", None)}
    assert rest[("Bank office", "shops")].alternatives[0].label is None
    assert missing.median_distance_m == 2000  # 1800, 2200, 12000, 1000
    assert missing.with_distance == 4
    assert missing.alternatives[0].label == "Molenbeek" and missing.alternatives[0].count == 2


def test_normalising_forgives_case_accents_punctuation_and_an_article() -> None:
    assert normalise("Een  Wasserétte!") == normalise("wasserette") == "wasserette"
    assert normalise("la Poste") == normalise("LA POSTE.") == "poste"
    assert normalise("") == ""


def test_diaries_share_needs_met_inside_partly_outside(session_factory, scene) -> None:
    diary = build(session_factory, scene).diary
    assert (diary.needs, diary.nothing_days, diary.diarists, diary.enrolled) == (4, 1, 1, 1)
    assert (diary.met_inside, diary.met_partly, diary.met_outside) == (1, 1, 2)
    assert (diary.share(diary.met_inside), diary.share(diary.met_outside)) == (25, 50)
    assert [(t.label, t.count) for t in diary.top_needs] == [("laundrette", 2), ("doctor", 1)]
    assert [(t.label, t.count) for t in diary.transports] == [("transit", 2), ("foot", 1)]
    assert [(t.label, t.count) for t in diary.where_instead] == [("Jette", 2), ("Evere", 1)]


def test_voices_only_quote_people_who_agreed(session_factory, scene) -> None:
    voices = build(session_factory, scene).voices
    assert [(v.kind, v.text) for v in voices] == [
        ("encounter", "I love the market"),
        ("reflection", "The boulevard is a border"),
    ]
    assert voices[0].who == "resident" and voices[0].wijk == "Grand Place"
    assert all("SECRET" not in v.text for v in voices)


def test_key_persons_new_networks_and_follow_ups_due(session_factory, scene) -> None:
    people = build(session_factory, scene).key_persons
    assert [(p.alias, p.network, p.wijk) for p in people.new] == [
        ("Imam at the bakery", "Moroccan community", "Dansaert")
    ]
    assert people.networks == ("Moroccan community",)
    assert (people.due_from, people.due_until) == (date(2026, 11, 30), date(2026, 12, 6))
    assert [(f.on, f.alias) for f in people.due] == [
        (date(2026, 11, 30), "Contact 30"),
        (date(2026, 12, 1), "Imam at the bakery"),
        (date(2026, 12, 6), "Contact 6"),
    ]


def test_themes_count_observations_per_life_domain(session_factory, scene) -> None:
    digest = build(session_factory, scene)
    themes = {row.theme: (row.count, row.previous) for row in digest.themes}
    assert themes == {
        "shops": (6, 1),
        "green": (1, 1),
        "safety": (1, 0),
        "food": (1, 0),
        "health": (1, 0),
        "youth": (0, 1),
    }
    assert digest.unthemed == 1  # the missing laundrette without a theme
    order = [row.theme for row in digest.themes]
    assert order == ["health", "food", "shops", "youth", "green", "safety"]  # as in THEMES


def test_the_map_frames_the_buurt_and_counts_what_lies_beyond(session_factory, scene) -> None:
    data = build(session_factory, scene).map
    assert data is not None
    west, south, east, north = data.frame
    assert west < GRAND_PLACE[1] < east and south < GRAND_PLACE[0] < north
    own = {a.code for a in data.areas if a.in_buurt}
    assert own == {1, 2}
    assert {a.code for a in data.areas if not a.in_buurt} <= geo.neighbours([1, 2])
    kinds = sorted(p.kind for p in data.points)
    assert kinds == ["encounter", "key_person"] + ["missing"] * 5 + ["walk_note"] * 2
    assert data.outside == 1  # the note in Watermael-Boitsfort
    assert data.unlocated == 3  # a note, the reflection and an encounter without a place
    assert len(data.tracks) == 1 and len(data.tracks[0]) == 4


def test_without_a_buurt_the_map_frames_the_data(session_factory, now) -> None:
    with session_factory.begin() as s:
        org = orgs.create_organisation(s, "Zonder buurt", now - timedelta(days=9), "nl", [])
        add(s, org.id, None, "walk_note", at(TUE), text="a", place=place(*FAR_AWAY))
        add(s, org.id, None, "missing", at(TUE), text="b", place=place(50.803, 4.433))
        org_id = org.id
    with session_factory() as s:
        data = build_digest(s, org_id, *WEEK, "nl").map
        empty = build_digest(s, org_id, 2026, 40, "nl").map
    assert data is not None and len(data.points) == 2 and data.outside == 0
    west, south, east, north = data.frame
    assert 4.42 < west < 4.43 < 4.433 < east < 4.45 and 50.79 < south < 50.80 < north < 50.82
    assert data.areas and not any(a.in_buurt for a in data.areas)
    assert empty is None


def test_context_compares_the_wijken_with_the_region_without_inventing_values(
    session_factory, scene
) -> None:
    context = build(session_factory, scene, "fr").context
    assert context is not None
    assert context.wijken == ((1, "Grand Place"), (2, "Dansaert"))
    rows = {row.key: row for row in context.rows}
    assert rows["pct_65plus_2025"].values == (
        geo.indicators(1).pct_65plus_2025,
        geo.indicators(2).pct_65plus_2025,
    )
    assert rows["pct_65plus_2025"].region == geo.region_reference().pct_65plus_2025
    assert rows["pct_65plus_2025"].caption == "Part des 65 ans et plus (2025)"
    assert rows["unemployment_rate_pct_2023"].region is None
    assert rows["cpas_ris_rate_pct_2023"].region is None
    assert context.source == geo.SOURCE


def test_photos_are_small_embedded_jpegs_of_stored_files_only(session_factory, scene) -> None:
    photos = build(session_factory, scene).photos
    assert len(photos) == 1
    assert photos[0].data_uri.startswith("data:image/jpeg;base64,")
    assert (photos[0].width, photos[0].height) == (240, 160)
    assert photos[0].caption == "Bench broken <script>alert(1)</script>"
    with session_factory() as session:
        assert build_digest(session, scene.org_id, *WEEK, "en").photos == ()


def test_questions_fit_the_week(session_factory, scene, now) -> None:
    questions = build(session_factory, scene).questions
    keys = [q.key for q in questions]
    assert keys[0] == "digest.q.missing_theme"
    assert questions[0].params == {"theme": Msg("theme.shops"), "count": 4}
    assert "digest.q.networks" in keys
    assert keys[-1] == "digest.q.picture" and len(keys) <= 4
    with session_factory.begin() as s:
        org = orgs.create_organisation(s, "Stil", now - timedelta(days=30), "nl", [1])
        add(s, org.id, None, "walk_note", at(TUE), text="only a note", place=place(*GRAND_PLACE))
        org_id = org.id
    with session_factory() as s:
        quiet = [q.key for q in build_digest(s, org_id, *WEEK, "nl").questions]
        empty = [q.key for q in build_digest(s, org_id, 2026, 30, "nl").questions]
    assert "digest.q.no_key_persons" in quiet
    assert empty[0] == "digest.q.quiet"


def test_a_week_so_far_is_compared_with_the_same_days_before(session_factory, scene) -> None:
    as_of = at(TUE, 10, 30)  # the walk started, two notes made
    digest = build(session_factory, scene, as_of=as_of)
    assert digest.as_of == as_of
    figures = {f.key: (f.value, f.previous) for f in digest.glance}
    assert figures["walks"] == (1, 0)  # last week's walk was on Wednesday
    assert figures["notes"] == (2, 1)  # last week's note was on Monday
    assert figures["missing"] == (0, 2)
    assert digest.figure("hours").value == 0.5  # counted up to now, not to the walk's end


def test_an_unknown_organisation_or_week_is_refused(session_factory) -> None:
    with session_factory() as session, pytest.raises(LookupError):
        build_digest(session, 999, *WEEK, "nl")
    with pytest.raises(ValueError, match="no ISO week 53"):
        parse_iso_week("2025-W53")
    assert parse_iso_week("2026-W53") == (2026, 53)
    with pytest.raises(ValueError, match="not an ISO week"):
        parse_iso_week("2026-48")
    assert parse_iso_week("2026-W48") == parse_iso_week(" 2026w48 ") == (2026, 48)


def test_weeks_follow_brussels_time_across_daylight_saving() -> None:
    # Sunday 29 March 2026 is 23 hours long; Monday 30 March starts week 14 at 22:00 UTC.
    assert week_start(2026, 14) == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)
    assert week_start(2026, 13) == datetime(2026, 3, 22, 23, 0, tzinfo=UTC)
    assert last_full_week(datetime(2026, 3, 29, 22, 30, tzinfo=UTC)) == (2026, 13)
    assert last_full_week(datetime(2026, 3, 29, 21, 30, tzinfo=UTC)) == (2026, 12)


def test_the_week_is_read_through_the_organisation_indexes(session_factory, scene) -> None:
    """Observations and walks are read by (organisation, moment) ranges, never by a full scan."""
    engine = session_factory.kw["bind"]
    if engine.dialect.name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    statements: list[tuple[str, Any]] = []

    def grab(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        build(session_factory, scene)
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    plans: list[str] = []
    with engine.connect() as connection:
        for statement, parameters in statements:
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            plans.extend(str(row[-1]) for row in rows)
    assert any("ix_observations_org_created (organisation_id=? AND created_at>" in p for p in plans)
    assert any("ix_walks_org_started (organisation_id=? AND started_at>" in p for p in plans)
    assert any("ix_observations_follow_up (follow_up_on>" in p for p in plans)
    # The count per buurt wijk since the start reads its index alone, never the rows.
    assert any("COVERING INDEX ix_observations_org_wijk (organisation_id=? AND wijk_code=?" in p
               for p in plans), plans  # fmt: skip
    for table in ("observations", "walks", "track_points", "diarists"):
        assert not any(p.startswith(f"SCAN {table}") for p in plans), plans
    assert not any("ix_observations_org_created (organisation_id=?)" in p for p in plans), plans


def test_notes_kept_outside_a_walk_count_as_notes_and_sit_on_the_map(
    session_factory, scene
) -> None:
    before = build(session_factory, scene)
    with session_factory.begin() as session:
        add(
            session,
            scene.org_id,
            scene.resident_id,
            "note",
            at(WED),
            text="The bench by the church is gone",
            theme="culture",
            place=place(*DANSAERT),
        )
    after = build(session_factory, scene)
    figures = {f.key: f.value for f in after.glance}
    assert figures["notes"] == {f.key: f.value for f in before.glance}["notes"] + 1
    assert after.map is not None and [p.kind for p in after.map.points].count("note") == 1
    culture = {row.theme: row.count for row in after.themes}.get("culture", 0)
    assert culture == {row.theme: row.count for row in before.themes}.get("culture", 0) + 1


def test_the_list_holds_every_observation_but_diaries_numbered_in_time_order(
    session_factory, scene
) -> None:
    digest = build(session_factory, scene)
    kinds = [e.kind for e in digest.entries]
    assert (
        kinds
        == ["walk_note"] * 4
        + ["reflection", "encounter", "encounter", "key_person"]
        + ["missing"] * 5
    )
    assert [e.number for e in digest.entries] == list(range(1, 14))
    assert all(e.moment.tzinfo is not None for e in digest.entries)
    person = next(e for e in digest.entries if e.kind == "key_person")
    assert person.text == "Imam at the bakery"
    facts = {f.label: f.value for f in person.facts}
    assert facts["digest.entry.network"] == "Moroccan community"
    assert "SECRET" not in repr(person)  # never contact details
    quiet = digest.entries[6]
    assert quiet.text == "SECRET-NOT-QUOTED" and quiet.quotable is False
    assert [e.on_map for e in digest.entries[:4]] == [True, True, False, False]  # far, none


def test_coverage_counts_each_buurt_wijk_this_week_and_since_the_start(session_factory, scene):
    coverage = build(session_factory, scene).coverage
    assert coverage is not None
    week = {w.code: (w.week, w.since_start) for w in coverage.wijken}
    assert week == {1: (7, 7), 2: (2, 2)}  # last week's notes had no place
    assert coverage.located == 10 and coverage.outside == 1
    assert not coverage.unvisited and not coverage.mostly_outside


def test_most_notes_outside_the_buurt_ask_about_the_area(session_factory, now) -> None:
    with session_factory.begin() as s:
        org = orgs.create_organisation(s, "Elders", now - timedelta(days=30), "nl", [1, 2])
        for index in range(3):
            add(s, org.id, None, "walk_note", at(TUE, 10, index), text=f"far {index}",
                place=place(*FAR_AWAY))  # fmt: skip
        add(s, org.id, None, "walk_note", at(TUE, 11), text="here", place=place(*GRAND_PLACE))
        org_id = org.id
    with session_factory() as s:
        digest = build_digest(s, org_id, *WEEK, "nl")
    assert digest.coverage is not None and digest.coverage.mostly_outside
    assert [w.name for w in digest.coverage.unvisited] == ["Dansaert"]
    assert digest.findings[0] == Msg("digest.find.outside", {"count": 3, "located": 4})
    keys = [q.key for q in digest.questions]
    assert keys[0] == "digest.q.area" and "digest.q.unvisited" in keys
    assert digest.map is not None
    assert [a.visited for a in digest.map.areas if a.in_buurt and a.code == 2] == [False]


def test_the_unvisited_question_is_never_crowded_out(session_factory, scene, now) -> None:
    with session_factory.begin() as s:
        org = orgs.create_organisation(s, "Vol", now - timedelta(days=30), "nl", [1, 2, 3])
        org_id = org.id
    with session_factory() as s:
        base = build_digest(s, scene.org_id, *WEEK, "nl")
    from reports.sections import coverage, questions

    assert base.coverage is not None
    crowded = base.coverage.wijken + (coverage.WijkCoverage(3, "Anneessens", 0, 0),)
    digest = replace(base, coverage=replace(base.coverage, wijken=crowded))
    keys = [q.key for q in questions.build(digest)]
    assert len(keys) == 4 and "digest.q.unvisited" in keys and keys[-1] == "digest.q.picture"
    assert org_id


def test_participation_counts_roles_channels_and_diary_progress(session_factory, scene) -> None:
    participation = build(session_factory, scene).participation
    assert participation is not None
    roles = {t.label: t.count for t in participation.roles}
    assert roles == {"staff": 13, "resident": 5}
    channels = [(t.label, t.count) for t in participation.channels]
    assert channels[0] == ("street", 0) and ("other", 2) in channels  # no channel given
    [diary] = participation.diarists
    assert (diary.day, diary.days) == (17, 31) and diary.silent_days == 0 and not diary.silent


def test_photos_are_turned_upright_and_lose_their_exif(tmp_path) -> None:
    from PIL import Image

    from reports.images import thumbnail

    image = Image.new("RGB", (600, 400), (10, 200, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # shot with the phone turned: rotate 90° to view
    exif[0x8825] = {2: (50.0, 50.0, 0.0)}  # a GPS position
    image.save(tmp_path / "turned.jpg", exif=exif)
    uri, width, height = thumbnail(tmp_path / "turned.jpg")
    assert (width, height) == (160, 240)
    import base64
    import io

    small = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    assert not small.getexif()
