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
