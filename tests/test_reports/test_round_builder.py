"""The round report's builders: what four weeks of fieldwork add up to, section by section."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

import geo
from reports.round.build import build_round_report, check_period, weeks_between
from reports.round.model import RoundReport
from reports.round.sections import SECTIONS
from storage import diaries
from storage import hypotheses as stored_hypotheses
from storage import organisations as orgs
from storage import surveys as surveys_db
from storage.models import Observation
from tests.test_reports.test_digest_builder import (
    DANSAERT,
    FAR_AWAY,
    GRAND_PLACE,
    add,
    at,
    make_member,
    place,
    walk,
)

FIRST = date(2026, 10, 26)  # Monday of ISO week 44
LAST = date(2026, 11, 22)  # Sunday of ISO week 47
W44, W45, W46, W47 = (FIRST + timedelta(days=7 * n + 1) for n in range(4))  # their Tuesdays
MOLENBEEK = (50.8550, 4.3300)


@dataclass
class RoundScene:
    """An organisation's four weeks: ids of what the tests look for."""

    org_id: int
    ids: dict[str, int]


def populate_round(factory: sessionmaker[Session], now: datetime) -> RoundScene:
    """Four weeks of fieldwork, older key persons, a diary, a hypothesis, and data that must
    not count (before, after, another organisation)."""
    ids: dict[str, int] = {}
    with factory.begin() as s:
        org = orgs.create_organisation(
            s, "Buurtwerk Noord", now - timedelta(days=200), "nl", [1, 2]
        )
        other = orgs.create_organisation(s, "Elders", now - timedelta(days=200), "fr", [50])
        since = now - timedelta(days=200)
        coordinator = make_member(s, org.id, 1001, "coordinator", "nl", since)
        staff = make_member(s, org.id, 1002, "staff", "en", since)
        resident = make_member(s, org.id, 1003, "resident", "fr", since)
        outsider = make_member(s, other.id, 2001, "coordinator", "fr", since)
        o, m = org.id, staff.id

        walk(s, o, m, at(W44, 10), 60, 2000.0)
        walk(s, o, m, at(W46, 10), 45, 1500.0)
        ids["meeting1"] = add(
            s,
            o,
            m,
            "encounter",
            at(W44, 15),
            text="More benches",
            theme="green",
            place=place(*GRAND_PLACE),
            details={"who": "resident", "places": "Bakkerij Ali"},
        ).id
        ids["meeting2"] = add(
            s,
            o,
            m,
            "encounter",
            at(W45, 15),
            text="Unsafe at night",
            theme="safety",
            place=place(*DANSAERT),
            details={"who": "resident", "places": "bakkerij Ali!"},
        ).id
        ids["unlocated"] = add(
            s,
            o,
            m,
            "encounter",
            at(W47, 11),
            text="We meet in the park",
            theme="green",
            details={"who": "parent", "places": "Park <b>Fontainas</b>"},
        ).id
        ids["laundrette1"] = add(
            s,
            o,
            m,
            "missing",
            at(W44, 12),
            text="Laundrette",
            theme="shops",
            place=place(*GRAND_PLACE),
            details={
                "status": "never",
                "alternative": "Molenbeek",
                "alternative_source": "location",
                "alternative_lat": MOLENBEEK[0],
                "alternative_lon": MOLENBEEK[1],
                "distance_m": 1800,
            },
        ).id
        ids["laundrette2"] = add(
            s,
            o,
            m,
            "missing",
            at(W45, 12),
            text="a laundrette",
            theme="shops",
            details={
                "status": "never",
                "alternative": "Anderlecht",
                "alternative_source": "typed",
                "distance_m": 2200,
            },
        ).id
        ids["bank1"] = add(
            s,
            o,
            m,
            "missing",
            at(W46, 12),
            text="Bank office",
            theme="shops",
            details={"status": "disappeared", "alternative_source": "nowhere"},
        ).id
        ids["bank2"] = add(
            s,
            o,
            m,
            "missing",
            at(W47, 12),
            text="bank office",
            theme="shops",
            details={"status": "disappeared", "alternative_source": "nowhere"},
        ).id
        ids["note"] = add(
            s,
            o,
            m,
            "walk_note",
            at(W45, 10),
            text="Bench <script>x</script>",
            theme="green",
            place=place(*FAR_AWAY),
        ).id
        # Key persons: one met long ago and never since (dormant), one met before the period
        # and again in it, one new in the period with a follow-up still to come.
        ids["imam"] = add(
            s,
            o,
            m,
            "key_person",
            at(date(2026, 8, 4), 9),
            text="Moroccan community",
            place=place(*DANSAERT),
            details={
                "alias": "Imam at the bakery",
                "role": "imam",
                "network": "Moroccan community",
                "contact": "SECRET-CONTACT 0470",
                "contact_consent": True,
            },
            follow_up_on=date(2026, 8, 18),
        ).id
        ids["teacher_old"] = add(
            s,
            o,
            m,
            "key_person",
            at(date(2026, 9, 22), 9),
            text="Parents of school 7",
            details={"alias": "Teacher", "role": "teacher", "network": "Parents of school 7"},
        ).id
        ids["teacher"] = add(
            s,
            o,
            m,
            "key_person",
            at(W46, 9),
            text="Parents of school 7",
            place=place(*GRAND_PLACE),
            details={"alias": "teacher", "role": "teacher", "network": "Parents of school 7"},
        ).id
        ids["chair"] = add(
            s,
            o,
            m,
            "key_person",
            at(W45, 9),
            text="Neighbourhood committee",
            details={"alias": "Chair of the committee", "network": "Neighbourhood committee"},
            follow_up_on=date(2026, 12, 1),
        ).id

        diarist = diaries.enrol(
            s,
            resident,
            consent_version="v1",
            started_on=date(2026, 11, 2),
            reminder_time="19:00",
            home_wijk=1,
            now=at(date(2026, 11, 2), 8),
        )
        for day, met, wijk, need in (
            (date(2026, 11, 3), "no", 3, "Halal butcher"),
            (date(2026, 11, 10), "partly", 3, "halal butcher"),
            (date(2026, 11, 17), "yes", None, "Bread"),
        ):
            ids[f"diary-{day}"] = add(
                s,
                o,
                resident.id,
                "diary_entry",
                at(day, 20),
                text=need,
                theme="food",
                details={
                    "for_date": day.isoformat(),
                    "met": met,
                    "where_wijk": wijk,
                    "where_instead": "Molenbeek" if wijk else None,
                    "distance_m": 2500,
                },
            ).id
        add(
            s,
            o,
            resident.id,
            "diary_entry",
            at(date(2026, 11, 18), 20),
            details={"for_date": "2026-11-18", "nothing": True},
        )
        assert diarist.member_id == resident.id

        # Outside the period, or another organisation's: none of it may count.
        add(s, o, m, "missing", at(FIRST - timedelta(days=1), 12), text="Before", theme="shops")
        add(s, o, m, "missing", at(LAST + timedelta(days=1), 1), text="After", theme="shops")
        add(s, other.id, outsider.id, "missing", at(W45, 12), text="Elsewhere", theme="shops")

        hypothesis = stored_hypotheses.create_hypothesis(
            s,
            o,
            coordinator.id,
            at(W44, 8),
            "Older residents lost their meeting places",
            themes=["shops"],
        )
        observations = {key: s.get(Observation, value) for key, value in ids.items()}
        stored_hypotheses.set_verdict(
            s, hypothesis, observations["bank1"], "supports", coordinator.id, at(W46, 13)
        )
        stored_hypotheses.set_verdict(
            s, hypothesis, observations["meeting1"], "contradicts", coordinator.id, at(W46, 13)
        )
        ids["hypothesis"] = hypothesis.id
        return RoundScene(org.id, ids)


def build_report(
    factory: sessionmaker[Session], scene: RoundScene, language: str = "en", **kw: Any
) -> RoundReport:
    """Build the report of the scene's four weeks."""
    with factory() as session:
        return build_round_report(session, scene.org_id, FIRST, LAST, language, **kw)


def test_sections_come_in_the_registered_order(session_factory, round_scene) -> None:
    report = build_report(session_factory, round_scene)
    assert report.names == tuple(section.name for section in SECTIONS)
    assert report.names[-1] == "swot"
    assert (report.first_day, report.last_day) == (FIRST, LAST)
    # 3 encounters, 4 missing, 1 note, 2 key persons and 4 diary answers in the period.
    assert report.observations == 14


def test_trends_count_each_week_and_each_life_domain(session_factory, round_scene) -> None:
    trends = build_report(session_factory, round_scene).section("trends")
    assert [w.label for w in trends.weeks] == ["2026-W44", "2026-W45", "2026-W46", "2026-W47"]
    series = {s.key: s.values for s in trends.series}
    assert series["walks"] == (1, 0, 1, 0)
    assert series["km"] == (2.0, 0, 1.5, 0)
    assert series["encounters"] == (1, 1, 0, 1)
    assert series["missing"] == (1, 1, 1, 1)
    assert series["key_persons"] == (0, 1, 1, 0)
    assert series["diary_entries"] == (0, 1, 1, 2)
    heat = {row.theme: row.counts for row in trends.heat}
    assert heat["shops"] == (1, 1, 1, 1)
    assert heat["green"] == (1, 1, 0, 1)
    assert heat["food"] == (0, 1, 1, 1)
    assert heat[None] == (0, 0, 0, 1)  # the "nothing needed" day gave no life domain
    assert [row.theme for row in trends.heat] == ["food", "shops", "green", "safety", None]
    assert trends.peak == 1


def test_missing_groups_rank_repeated_mentions_with_places_and_distances(
    session_factory, round_scene
) -> None:
    missing = build_report(session_factory, round_scene).section("missing")
    ids = round_scene.ids
    assert missing.total == 4
    first, second = missing.groups
    # Equal counts: the most recent group first.
    assert (second.text, second.count, second.status) == ("Laundrette", 2, "never")
    assert (first.count, first.status, first.nowhere) == (2, "disappeared", 2)
    assert set(second.numbers) == {ids["laundrette1"], ids["laundrette2"]}
    assert {t.label for t in second.alternatives} == {"Molenbeek", "Anderlecht"}
    assert second.median_distance_m == 2000
    assert missing.disappeared == 2 and missing.with_distance == 2


def test_diaries_are_summarised_per_pseudonym_and_overall(session_factory, round_scene) -> None:
    section = build_report(session_factory, round_scene).section("diaries")
    (diarist,) = section.diarists
    assert diarist.pseudonym.startswith("P-")
    assert (diarist.answered, diarist.needs, diarist.days, diarist.day) == (4, 3, 30, 21)
    assert (diarist.met_outside, diarist.met_partly, diarist.met_inside) == (1, 1, 1)
    assert diarist.status == "running"
    assert diarist.top_needs[0].label == "Halal butcher" and diarist.top_needs[0].count == 2
    assert (section.needs, section.nothing_days) == (3, 1)
    assert section.where_instead[0].label == "Molenbeek"


def test_register_lists_everyone_met_and_flags_dormant_contacts(
    session_factory, round_scene
) -> None:
    register = build_report(session_factory, round_scene).section("register")
    people = {p.alias: p for p in register.people}
    assert set(people) == {"Imam at the bakery", "teacher", "Chair of the committee"}
    imam = people["Imam at the bakery"]
    assert imam.dormant and not imam.new
    assert imam.last_follow_up == date(2026, 8, 18) and imam.last_contact == date(2026, 8, 18)
    teacher = people["teacher"]
    assert not teacher.dormant and teacher.first_met == date(2026, 9, 22)
    assert teacher.records == (round_scene.ids["teacher_old"], round_scene.ids["teacher"])
    chair = people["Chair of the committee"]
    assert chair.new and chair.next_follow_up == date(2026, 12, 1) and chair.last_follow_up is None
    assert register.people[0] is imam  # dormant first
    assert register.dormant == (imam,)


def test_hypotheses_show_their_evidence_and_unlinked_candidates(
    session_factory, round_scene
) -> None:
    section = build_report(session_factory, round_scene).section("hypotheses")
    (hypothesis,) = section.items
    ids = round_scene.ids
    assert hypothesis.statement == "Older residents lost their meeting places"
    assert [e.observation_id for e in hypothesis.supports] == [ids["bank1"]]
    assert [e.observation_id for e in hypothesis.contradicts] == [ids["meeting1"]]
    assert ids["bank2"] in hypothesis.candidates and ids["bank1"] not in hypothesis.candidates
    # Only the period's candidates, never another organisation's or a diary's.
    assert set(hypothesis.candidates) == {ids["bank2"], ids["laundrette2"], ids["laundrette1"]}


def test_buurtkaart_draws_places_but_diaries_only_per_wijk(session_factory, round_scene) -> None:
    kaart = build_report(session_factory, round_scene).section("buurtkaart")
    ids = round_scene.ids
    kinds = {(p.kind, p.observation_id) for p in kaart.places}
    assert ("meeting", ids["meeting1"]) in kinds and ("meeting", ids["meeting2"]) in kinds
    assert ("instead", ids["laundrette1"]) in kinds
    assert ("key_person", ids["teacher"]) in kinds
    assert all(
        p.observation_id not in {ids[k] for k in ids if k.startswith("diary")} for p in kaart.places
    )
    assert kaart.named[0].label == "Bakkerij Ali" and kaart.named[0].count == 2
    (wijk,) = kaart.diary_wijken
    assert (wijk.code, wijk.count) == (3, 2)
    assert kaart.map is not None
    assert all(p.kind != "diary_entry" for p in kaart.map.points)
    instead = next(p for p in kaart.places if p.kind == "instead")
    drawn = next(p for p in kaart.map.points if p.number == instead.number)
    assert (drawn.lat, drawn.lon) == MOLENBEEK


def test_swot_is_seeded_with_evidence_that_links_to_observations(
    session_factory, round_scene
) -> None:
    report = build_report(session_factory, round_scene)
    swot = report.section("swot")
    ids = round_scene.ids
    keys = {code: [i.text.key for i in items] for code, items in swot.quadrants}
    assert "round.swot.place" in keys["strengths"]
    place_item = next(i for i in swot.strengths if i.text.key == "round.swot.place")
    assert set(place_item.refs) == {ids["meeting1"], ids["meeting2"]}
    assert swot.weaknesses[0].text.params["what"] == "Laundrette"
    assert swot.threats[0].text.params["what"] == "Bank office"
    assert set(swot.threats[0].refs) == {ids["bank1"], ids["bank2"]}
    assert "round.swot.new_key_person" in keys["opportunities"]
    assert "round.swot.revive" in keys["opportunities"]
    assert "round.swot.diary_outside" in keys["weaknesses"]
    assert len(swot.questions) >= 5
    cited = {c.id for c in report.cited}
    for _, items in swot.quadrants:
        for item in items:
            assert set(item.refs) <= cited
    assert not any(c.kind == "diary_entry" for c in report.cited)
    assert all("SECRET" not in (c.text or "") for c in report.cited)


def test_nothing_outside_the_period_or_the_organisation_counts(
    session_factory, round_scene
) -> None:
    report = build_report(session_factory, round_scene)
    texts = [g.text for g in report.section("missing").groups]
    assert "Before" not in texts and "After" not in texts and "Elsewhere" not in texts


def test_an_empty_period_builds_every_section(session_factory, round_scene) -> None:
    with session_factory() as session:
        report = build_round_report(
            session, round_scene.org_id, date(2025, 1, 1), date(2025, 1, 31), "fr"
        )
    assert report.observations == 0
    assert report.section("missing").groups == ()
    assert report.section("diaries").diarists == ()
    assert all(s.total == 0 for s in report.section("trends").series)
    # The register is cumulative: nobody was met before 2025.
    assert report.section("register").people == ()


def test_periods_are_checked_and_weeks_span_them() -> None:
    with pytest.raises(ValueError):
        check_period(LAST, FIRST)
    with pytest.raises(ValueError):
        check_period(FIRST, FIRST + timedelta(days=400))
    assert [w.iso_week for w in weeks_between(date(2026, 11, 4), date(2026, 11, 16))] == [
        45,
        46,
        47,
    ]


def test_unknown_organisation_is_a_lookup_error(session_factory, round_scene) -> None:
    with session_factory() as session, pytest.raises(LookupError):
        build_round_report(session, 999, FIRST, LAST, "nl")


def test_wijk_of_the_diary_count_is_a_real_wijk() -> None:
    assert geo.wijk(3) is not None


# -- focus groups ---------------------------------------------------------------------------


def quote(text: str | None, agreed: bool = True) -> dict[str, Any]:
    """Return a quote as /focusgroup stores it (a voice note has no text)."""
    return {"text": text, "voice": text is None, "agreed": agreed}


def populate_focus_groups(factory: sessionmaker[Session], now: datetime) -> RoundScene:
    """Three focus groups in the four weeks (one with user text to escape), one before them
    and one of another organisation, none of which may count."""
    ids: dict[str, int] = {}
    with factory.begin() as s:
        org = orgs.create_organisation(s, "Buurthuis Zuid", now - timedelta(days=200), "nl", [1])
        other = orgs.create_organisation(s, "Ailleurs", now - timedelta(days=200), "fr", [50])
        since = now - timedelta(days=200)
        m = make_member(s, org.id, 3001, "staff", "nl", since).id
        outsider = make_member(s, other.id, 3002, "staff", "fr", since).id
        ids["square"] = add(
            s,
            org.id,
            m,
            "focus_group",
            at(W44, 19),
            text="What would make the square safer?\nWhere do you meet?",
            theme="safety",
            place=place(*DANSAERT),
            details={
                "held_on": (W44 - timedelta(days=1)).isoformat(),
                "residents": 8,
                "users": 3,
                "partners": 2,
                "others": 0,
                "channel": "partner",
                "questions": [
                    {
                        "question": "What would make the square safer?",
                        "said": ["More light"],
                        "quotes": [
                            quote("After eight I walk around it."),
                            quote(None),
                            quote("Do not write this down.", agreed=False),
                        ],
                    },
                    {"question": "Where do you meet?", "said": [], "quotes": []},
                ],
                "missing_voices": "Young men",
            },
        ).id
        ids["church"] = add(
            s,
            org.id,
            m,
            "focus_group",
            at(W46, 18),
            text="What do you miss?",
            theme=None,
            details={
                "held_on": W46.isoformat(),
                "residents": 4,
                "users": "many",
                "others": 1,
                "channel": "other",
                "channel_text": "at the soup bar in the church",
                "place_text": "the church hall",
                "questions": [
                    {
                        "question": "What do you miss?",
                        "quotes": [quote(f"Quote {n}") for n in range(1, 8)],
                    }
                ],
                "missing_voices": "young  men",
            },
        ).id
        ids["school"] = add(
            s,
            org.id,
            m,
            "focus_group",
            at(W47, 16),
            text="Is the <b>school</b> gate safe?",
            details={
                "held_on": W47.isoformat(),
                "residents": 5,
                "channel": "activity",
                "questions": [{"question": "Is the <b>school</b> gate safe?", "quotes": []}],
                "missing_voices": "Parents who <i>work</i> nights",
            },
        ).id
        add(
            s,
            org.id,
            m,
            "focus_group",
            at(FIRST - timedelta(days=2), 18),
            details={"residents": 50, "channel": "event", "missing_voices": "Before"},
        )
        add(
            s,
            other.id,
            outsider,
            "focus_group",
            at(W45, 18),
            details={"residents": 70, "channel": "event", "missing_voices": "Elsewhere"},
        )
    return RoundScene(org.id, ids)


def test_focus_groups_have_a_line_each_totals_and_missing_voices(
    session_factory, focus_scene
) -> None:
    report = build_report(session_factory, focus_scene)
    fg = report.section("focus_groups")
    square, church, school = fg.groups
    ids = focus_scene.ids
    assert [g.line.number for g in fg.groups] == [ids["square"], ids["church"], ids["school"]]
    # When and where: the day it met as stored, the wijk of its place or the typed place.
    assert (square.line.held_on, square.line.wijk) == (W44 - timedelta(days=1), "Dansaert")
    assert (church.line.held_on, church.line.wijk) == (W46, "the church hall")
    # Who came, as counts; a count that is not a number of people is 0.
    assert [(a.label, a.count) for a in square.line.attendance] == [
        ("residents", 8),
        ("users", 3),
        ("partners", 2),
        ("others", 0),
    ]
    assert (square.line.people, church.line.people, school.line.people) == (13, 5, 5)
    assert (church.line.channel, church.line.channel_text) == (
        "other",
        "at the soup bar in the church",
    )
    # The questions asked, and only the typed quotes participants agreed to.
    assert square.questions == ("What would make the square safer?", "Where do you meet?")
    assert square.quotes == ("After eight I walk around it.",)
    assert (church.quotes, church.more_quotes) == (tuple(f"Quote {n}" for n in range(1, 6)), 2)
    # Over the round: people by kind, groups per channel, every group cited.
    assert [(a.label, a.count) for a in fg.attendance] == [
        ("residents", 17),
        ("users", 3),
        ("partners", 2),
        ("others", 1),
    ]
    assert fg.people == 23
    assert {c.label: c.count for c in fg.channels} == {
        "activity": 1,
        "partner": 1,
        "event": 0,
        "other": 1,
    }
    assert set(fg.cited()) == {ids["square"], ids["church"], ids["school"]}
    assert set(fg.cited()) <= {c.id for c in report.cited}
    # Whose voice was missing: each once, in the order noted, nothing from elsewhere.
    assert fg.missing_voices == ("Young men", "Parents who <i>work</i> nights")


def test_a_period_without_focus_groups_has_an_empty_section(session_factory, focus_scene) -> None:
    with session_factory() as session:
        report = build_round_report(
            session, focus_scene.org_id, date(2025, 1, 1), date(2025, 1, 31), "nl"
        )
    fg = report.section("focus_groups")
    assert (fg.groups, fg.people, fg.channels, fg.missing_voices) == ((), 0, (), ())
    assert fg.cited() == ()


# -- surveys --------------------------------------------------------------------------------

SURVEY_QUESTIONS: list[dict[str, Any]] = [
    {
        "kind": "one",
        "theme": "youth",
        "base": "nl",
        "text": {"nl": "Waar spelen de kinderen?", "en": "Where do the children play?"},
        "options": {"nl": ["Park", "Straat"], "en": ["Park", "Street"]},
    },
    {"kind": "scale", "base": "nl", "text": {"nl": "Hoe veilig?", "en": "How safe?"}},
    {"kind": "text", "base": "nl", "text": {"nl": "Wat mist u?", "en": "What do you miss?"}},
]


def answer_survey(
    s: Session,
    survey: Any,
    key: str,
    channel: str,
    when: datetime,
    answers: list[Any],
    wijk_at: tuple[float, float] | None = None,
) -> int:
    """Store one response with the given answers (fewer than the questions: partial)."""
    response = surveys_db.start_response(s, survey, key, channel, when, language="nl")
    for index, value in enumerate(answers):
        where = place(*wijk_at) if wijk_at and index == len(answers) - 1 else None
        surveys_db.put_answer(s, response, survey, index, value, when, place=where)
    return response.id


def populate_surveys(factory: sessionmaker[Session], now: datetime) -> RoundScene:
    """A survey open over the four weeks with answers before, in and after them, a trial run,
    a second survey opened in week 46, a draft, one closed before the period and another
    organisation's survey, none of which but the period's real answers may count."""
    ids: dict[str, int] = {}
    with factory.begin() as s:
        org = orgs.create_organisation(s, "Buurthuis Oost", now - timedelta(days=200), "nl", [1])
        other = orgs.create_organisation(s, "Autre part", now - timedelta(days=200), "fr", [1])
        play = surveys_db.create_survey(s, org.id, "Spelen <buiten>", SURVEY_QUESTIONS, at(W44))
        surveys_db.open_survey(s, play, at(W44, 8) - timedelta(days=10))
        answer_survey(s, play, "before", "door", at(W44) - timedelta(days=5), ["Straat", 1, "x"])
        ids["door1"] = answer_survey(
            s, play, "a", "door", at(W44, 10), ["Park", 4, "Een <b>speeltuin</b>"], GRAND_PLACE
        )
        ids["door2"] = answer_survey(
            s, play, "b", "door", at(W45, 10), ["Straat", 2, "Bomen"], GRAND_PLACE
        )
        answer_survey(s, play, "c", "self", at(W46, 20), ["Park"])  # stopped after one
        answer_survey(s, play, "trial", "trial", at(W46, 21), ["Straat", 5, "test"])
        answer_survey(s, play, "after", "self", at(W47) + timedelta(days=7), ["Straat", 5, "y"])
        late = surveys_db.create_survey(s, org.id, "Markt", SURVEY_QUESTIONS[:1], at(W46))
        surveys_db.open_survey(s, late, at(W46, 9))
        draft = surveys_db.create_survey(s, org.id, "Ontwerp", SURVEY_QUESTIONS, at(W45))
        old = surveys_db.create_survey(s, org.id, "Oud", SURVEY_QUESTIONS, at(W44) - timedelta(30))
        surveys_db.open_survey(s, old, at(W44) - timedelta(days=29))
        surveys_db.close_survey(old, at(W44) - timedelta(days=20))
        elsewhere = surveys_db.create_survey(s, other.id, "Ailleurs", SURVEY_QUESTIONS, at(W44))
        surveys_db.open_survey(s, elsewhere, at(W44, 9))
        answer_survey(s, elsewhere, "z", "door", at(W45, 11), ["Park", 3, "z"])
        ids.update(play=play.id, late=late.id, draft=draft.id)
    return RoundScene(org.id, ids)


def test_surveys_add_up_the_period_per_question_channel_and_wijk(
    session_factory, survey_scene
) -> None:
    report = build_report(session_factory, survey_scene)
    sv = report.section("surveys")
    # The running surveys only, oldest first: no draft, none closed before, none elsewhere.
    assert [r.title for r in sv.surveys] == ["Spelen <buiten>", "Markt"]
    play, late = sv.surveys
    # Only answers begun in the period; the trial never counts; a partial counts as such.
    assert (play.responses, play.complete, play.partial) == (3, 2, 1)
    assert (late.responses, late.complete, late.partial) == (0, 0, 0)
    assert [(t.label, t.count) for t in play.channels] == [("door", 2), ("self", 1)]
    # Who answered, by wijk and never closer; the partial answer gave no place.
    assert [(t.label, t.count) for t in play.wijken] == [("Grand Place", 2), (None, 1)]
    where, safe, miss = play.questions
    assert where.text == "Where do the children play?"
    assert [(t.label, t.count) for t in where.counts] == [("Park", 2), ("Street", 1)]
    assert (safe.average, safe.answered) == (3.0, 2)
    assert [t.count for t in safe.counts] == [0, 1, 0, 1, 0]
    assert miss.samples == ("Bomen", "Een <b>speeltuin</b>")
    # Over all surveys of the period.
    assert (sv.respondents, sv.partial) == (3, 1)
    assert [(t.label, t.count) for t in sv.channels] == [("door", 2), ("self", 1)]


def test_quoted_survey_answers_link_to_their_responses(session_factory, survey_scene) -> None:
    report = build_report(session_factory, survey_scene)
    sv = report.section("surveys")
    play = sv.surveys[0]
    where, safe, miss = play.questions
    # Each free answer shown, newest first, with the response it comes from.
    assert miss.samples == ("Bomen", "Een <b>speeltuin</b>")
    assert miss.quoted == (survey_scene.ids["door2"], survey_scene.ids["door1"])
    assert (where.quoted, safe.quoted) == ((), ())
    assert set(sv.cited()) == {survey_scene.ids["door2"], survey_scene.ids["door1"]}
    # Listed once at the end of the page, under the survey's title, by pseudonym.
    cited = {c.id: c for c in report.cited}
    assert set(sv.cited()) <= set(cited)
    entry = cited[survey_scene.ids["door1"]]
    assert (entry.kind, entry.text, entry.wijk) == (
        "survey_response",
        "Spelen <buiten>",
        "Grand Place",
    )
    # Heard door to door in every buurt wijk: nothing to reach in the SWOT.
    keys = {item.text.key for item in report.section("swot").opportunities}
    assert not keys & {"round.swot.survey_door", "round.swot.survey_wijken"}


def test_the_swot_names_whom_a_survey_did_not_reach(session_factory, now) -> None:
    with session_factory.begin() as s:
        org = orgs.create_organisation(
            s, "Buurthuis West", now - timedelta(days=200), "nl", [1, 2, 15]
        )
        online = surveys_db.create_survey(s, org.id, "Markt", SURVEY_QUESTIONS, at(W44))
        surveys_db.open_survey(s, online, at(W44, 8))
        for key, day in (("a", W44), ("b", W45)):
            answer_survey(s, online, key, "self", at(day, 10), ["Park", 3, "Bank"], GRAND_PLACE)
        # A survey without a place question says nothing about where people live.
        unplaced = surveys_db.create_survey(s, org.id, "Zonder plek", SURVEY_QUESTIONS, at(W44))
        surveys_db.open_survey(s, unplaced, at(W44, 8))
        answer_survey(s, unplaced, "c", "door", at(W45, 10), ["Park", 3, "x"])
        scene = RoundScene(org.id, {})
    swot = build_report(session_factory, scene).section("swot")
    reach = [item.text for item in swot.opportunities]
    assert [(m.key, m.params) for m in reach] == [
        ("round.swot.survey_door", {"survey": "Markt", "count": 2}),
        (
            "round.swot.survey_wijken",
            {"survey": "Markt", "wijken": "Dansaert, Gare de l'ouest", "count": 2},
        ),
    ]
    # Whom a survey missed has no record to link to.
    assert all(item.refs == () for item in swot.opportunities)


def test_a_period_without_surveys_has_an_empty_section(session_factory, survey_scene) -> None:
    with session_factory() as session:
        report = build_round_report(
            session, survey_scene.org_id, date(2025, 1, 1), date(2025, 1, 31), "nl"
        )
    sv = report.section("surveys")
    assert (sv.surveys, sv.respondents, sv.partial) == ((), 0, 0)
    assert [t.count for t in sv.channels] == [0, 0]
