"""The weekly picture's hypotheses: open ones with their evidence, and the week's candidates."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.reporting import catalog_for
from reports.digest import build_digest
from reports.render import render_digest_html
from reports.sections import hypotheses as section
from reports.sections.common import Week
from storage import deployment
from storage import hypotheses as hyp
from storage.hypotheses import Evidence, HypothesisView
from storage.weekly import ObservationRow
from tests.test_reports.test_digest_builder import (
    MON,
    TUE,
    WED,
    WEEK,
    add,
    at,
    make_member,
)
from tests.test_reports.test_digest_html import Page, plain
from tests.test_reports.test_digest_html import section as page_section

TZ = ZoneInfo("Europe/Brussels")
START = at(MON, 0)
END = START + timedelta(days=7)


def row(id: int, when: datetime, kind: str = "walk_note", **kw) -> ObservationRow:
    values = dict(
        author="P-A",
        member_id=1,
        text=f"note {id}",
        theme=None,
        lat=None,
        lon=None,
        wijk_code=None,
        municipality_nis=None,
        walk_id=None,
        details={},
        follow_up_on=None,
    )
    values.update(kw)
    return ObservationRow(id=id, kind=kind, created_at=when, **values)  # type: ignore[arg-type]


def view(id: int, status: str = "open", **kw) -> HypothesisView:
    values = dict(
        organisation_id=1,
        statement=f"hypothesis {id}",
        themes=(),
        wijken=(),
        created_at=START - timedelta(days=30),
        closed_at=None,
        author_member_id=None,
        voice_media=None,
    )
    values.update(kw)
    return HypothesisView(id=id, status=status, **values)  # type: ignore[arg-type]


def week(*current: ObservationRow) -> Week:
    return Week(
        language="en",
        tz=TZ,
        buurt=(1, 2),
        first_day=MON,
        last_day=MON + timedelta(days=6),
        start=START,
        end=END,
        previous_end=START,
        as_of=None,
        current=tuple(current),
        previous=(),
        walks=(),
        previous_walks=(),
        tracks={},
    )


def mark(hypothesis_id: int, observation_id: int, verdict: str, when: datetime) -> Evidence:
    return Evidence(hypothesis_id, observation_id, verdict, when, None)


def test_open_hypotheses_keep_their_number_count_evidence_and_list_candidates() -> None:
    observations = (
        row(1, at(MON, 9), theme="welfare"),
        row(2, at(TUE, 9), wijk_code=1),
        row(3, at(TUE, 10), kind="diary_entry", theme="welfare"),  # private: never a candidate
        row(4, at(WED, 9), theme="food"),  # concerns nothing
        row(5, at(WED, 10), theme="welfare"),  # marked already
    )
    hypotheses = (
        view(10, status="closed", themes=("welfare",)),
        view(11, themes=("welfare",), wijken=(1,)),
    )
    evidence = (
        mark(11, 5, hyp.SUPPORTS, at(WED, 11)),
        mark(11, 99, hyp.SUPPORTS, START - timedelta(days=3)),
        mark(11, 98, hyp.CONTRADICTS, START - timedelta(days=2)),
        # Marked after the week: neither counted nor hiding a candidate in this week's picture.
        mark(11, 1, hyp.CONTRADICTS, END + timedelta(days=1)),
    )
    [summary] = section.build(week(*observations), hypotheses, evidence, {1: 1, 2: 2}, "buurt_bot")
    assert summary.number == 2  # the closed H1 keeps its number
    assert (summary.supports, summary.contradicts) == (2, 1)
    assert (summary.supports_week, summary.contradicts_week) == (1, 0)
    assert summary.wijken and summary.themes == ("welfare",)
    assert [c.observation_id for c in summary.candidates] == [2, 1]
    assert [c.number for c in summary.candidates] == [2, 1]
    link = urlparse(summary.candidates[0].supports_link or "")
    assert (link.scheme, link.netloc, link.path) == ("https", "t.me", "/buurt_bot")
    payload = parse_qs(link.query)["start"][0]
    assert payload == hyp.link_payload(11, 2, hyp.SUPPORTS) == "h_11_2_s"
    assert len(payload) <= 64
    assert summary.candidates[0].contradicts_link.endswith("start=h_11_2_c")  # type: ignore[union-attr]


def test_candidates_are_capped_and_links_wait_for_the_bots_name() -> None:
    many = tuple(row(i, at(TUE, 8) + timedelta(minutes=i), theme="green") for i in range(1, 9))
    [summary] = section.build(week(*many), (view(1, themes=("green",)),), (), {}, None)
    assert len(summary.candidates) == section.MAX_CANDIDATES
    assert summary.more_candidates == 8 - section.MAX_CANDIDATES
    assert summary.candidates[0].observation_id == 8 and summary.candidates[0].number == 0
    assert all(c.supports_link is None and c.contradicts_link is None for c in summary.candidates)


def test_no_open_hypothesis_means_no_section() -> None:
    assert section.build(week(row(1, at(TUE))), (view(1, status="closed"),), (), {}, "b") == ()
    assert section.build(week(), (), (), {}, "b") == ()


@pytest.fixture
def org(session_factory: sessionmaker[Session], now: datetime) -> int:
    from storage import organisations as orgs

    with session_factory.begin() as session:
        return orgs.create_organisation(session, "Buurtwerk Zuid", now, "nl", [1, 2]).id


def test_the_picture_shows_hypotheses_with_links_that_mark_in_one_tap(
    session_factory, org, now
) -> None:
    with session_factory.begin() as session:
        staff = make_member(session, org, 1, "staff", "en", now)
        first = hyp.create_hypothesis(
            session,
            org,
            None,
            at(MON, 8),
            "Older people <b>have</b> nowhere to meet",
            themes=["welfare"],
        )
        marked = add(session, org, staff.id, "walk_note", at(TUE, 10), theme="welfare")
        candidate = add(session, org, staff.id, "walk_note", at(WED, 10), theme="welfare")
        add(session, org, staff.id, "diary_entry", at(WED, 11), theme="welfare", text="my day")
        hyp.set_verdict(session, first, marked, hyp.SUPPORTS, staff.id, at(TUE, 11))
        deployment.set_value(session, "bot_username", "buurt_bot")
    with session_factory() as session:
        digest = build_digest(session, org, *WEEK, "en")
    [summary] = digest.hypotheses
    assert [c.observation_id for c in summary.candidates] == [candidate.id]
    source = render_digest_html(digest, catalog_for("en"))
    page = page_section(source, "hypotheses")
    assert "Older people <b>have</b> nowhere to meet" in page.plain  # text, never markup
    assert plain("digest.hypotheses.supports", "en", count=1) in page.plain
    links = [attrs["href"] for attrs in page.all("a", "mark")]
    assert links == [
        f"https://t.me/buurt_bot?start=h_{first.id}_{candidate.id}_s",
        f"https://t.me/buurt_bot?start=h_{first.id}_{candidate.id}_c",
    ]
    assert "my day" not in page.plain
    # Every language has the words.
    for language in ("nl", "fr"):
        html = render_digest_html(replace(digest, language=language), catalog_for(language))
        assert plain("digest.section.hypotheses", language) in Page(html).plain


def test_a_picture_without_open_hypotheses_has_no_section(session_factory, org, now) -> None:
    with session_factory.begin() as session:
        row_ = hyp.create_hypothesis(session, org, None, at(MON, 8), "Closed one", themes=["food"])
        hyp.close_hypothesis(row_, at(MON, 9))
    with session_factory() as session:
        digest = build_digest(session, org, *WEEK, "en")
    assert digest.hypotheses == ()
    assert 'id="hypotheses"' not in render_digest_html(digest, catalog_for("en"))


def test_a_hypothesis_cleared_by_retention_says_its_words_were_erased(
    session_factory, org, now
) -> None:
    from storage.observations import NewMedia

    with session_factory.begin() as session:
        # Retention cleared one (no words, no voice note); the other waits for its voice note.
        hyp.create_hypothesis(session, org, None, at(MON, 8) - timedelta(days=900))
        hyp.create_hypothesis(session, org, None, at(MON, 8), voice=NewMedia("voice", "v", "uv"))
        staff = make_member(session, org, 1, "staff", "fr", now)
        add(session, org, staff.id, "walk_note", at(TUE, 10), theme="welfare")  # a week to show
    with session_factory() as session:
        digest = build_digest(session, org, *WEEK, "fr")
    assert [s.cleared for s in digest.hypotheses] == [True, False]
    page = page_section(render_digest_html(digest, catalog_for("fr")), "hypotheses")
    assert plain("digest.hypotheses.cleared", "fr") in page.plain
    assert plain("digest.hypotheses.voice_only", "fr") in page.plain
