"""storage.hypotheses: recording, candidates, evidence, the staff setting, /forget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storage import hypotheses as hyp
from storage import observations as obs
from storage import organisations as orgs
from storage.models import Hypothesis, HypothesisLink, MediaFile, Member, Observation
from storage.observations import NewMedia, Place
from storage.privacy import forget_member, member_data

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def member(session: Session, organisation_id: int, user_id: int, role: str = "staff") -> Member:
    invite = orgs.create_invite(session, organisation_id, role, T0, timedelta(days=30))
    return orgs.join_with_invite(session, invite, user_id, "nl", "v1", T0)


def observe(
    session: Session,
    who: Member,
    at: datetime,
    *,
    kind: str = "walk_note",
    theme: str | None = None,
    wijk: int | None = None,
) -> Observation:
    place = Place(50.84, 4.35, wijk_code=wijk, in_brussels=True) if wijk is not None else None
    return obs.add_observation(
        session,
        organisation_id=who.organisation_id,
        member_id=who.id,
        author="P-TEST",
        kind=kind,
        now=at,
        text=f"{kind} {theme} {wijk}",
        theme=theme,
        place=place,
    )


@pytest.fixture
def org(session_factory: sessionmaker[Session]) -> int:
    with session_factory.begin() as session:
        return orgs.create_organisation(session, "Buurtwerk Zuid", T0, "nl", [8, 9]).id


def test_create_list_edit_close_reopen(session_factory, org) -> None:
    with session_factory.begin() as session:
        author = member(session, org, 1, "coordinator")
        first = hyp.create_hypothesis(
            session,
            org,
            author.id,
            T0,
            "  Older residents   have no place to meet ",
            themes=["housing", "welfare"],
            wijken=[9, 8, 9],
        )
        hyp.create_hypothesis(session, org, author.id, T0 + timedelta(hours=1), "Second")
        with pytest.raises(ValueError):
            hyp.create_hypothesis(session, org, None, T0, "x", themes=["nonsense"])
    with session_factory.begin() as session:
        views = hyp.list_hypotheses(session, org)
        assert [v.statement for v in views] == ["Older residents have no place to meet", "Second"]
        # Themes keep the registry's order, wijken are sorted and unique.
        assert views[0].themes == ("welfare", "housing")
        assert views[0].wijken == (8, 9)
        assert views[0].status == hyp.OPEN and views[0].closed_at is None
        assert views[0].author_member_id == author.id and views[0].voice_media is None
        row = hyp.get_hypothesis(session, org, first.id)
        assert row is not None
        hyp.update_hypothesis(row, statement="Older people", themes=["health"], wijken=[])
        hyp.close_hypothesis(row, T0 + timedelta(days=3))
    with session_factory.begin() as session:
        assert [v.id for v in hyp.list_hypotheses(session, org, include_closed=False)] == [
            first.id + 1
        ]
        view = hyp.get_view(session, org, first.id)
        assert view is not None
        assert (view.statement, view.themes, view.wijken, view.status) == (
            "Older people",
            ("health",),
            (),
            hyp.CLOSED,
        )
        assert view.closed_at == T0 + timedelta(days=3)
        row = hyp.get_hypothesis(session, org, first.id)
        assert row is not None
        hyp.reopen_hypothesis(row)
    with session_factory.begin() as session:
        assert len(hyp.list_hypotheses(session, org, include_closed=False)) == 2


def test_another_organisations_hypothesis_is_not_found(session_factory, org) -> None:
    with session_factory.begin() as session:
        other = orgs.create_organisation(session, "Elders", T0, "fr", [1]).id
        theirs = hyp.create_hypothesis(session, other, None, T0, "Theirs", themes=["food"])
    with session_factory.begin() as session:
        assert hyp.get_hypothesis(session, org, theirs.id) is None
        assert hyp.get_view(session, org, theirs.id) is None
        assert hyp.list_hypotheses(session, org) == []
        assert hyp.evidence_for(session, org, [theirs.id]) == []


def test_voice_note_is_kept_as_media_of_the_hypothesis(session_factory, org) -> None:
    with session_factory.begin() as session:
        row = hyp.create_hypothesis(
            session, org, None, T0, voice=NewMedia("voice", "file-1", "unique-1", duration=7)
        )
        media = session.scalars(select(MediaFile)).one()
        assert media.hypothesis_id == row.id and media.observation_id is None
        assert media.status == "pending"
        assert hyp.list_hypotheses(session, org)[0].voice_media is None
        media.path, media.status = "voice/2026-11/abc.ogg", "stored"
    with session_factory.begin() as session:
        assert hyp.list_hypotheses(session, org)[0].voice_media == "voice/2026-11/abc.ogg"
        assert obs.referenced_media_paths(session) == {"voice/2026-11/abc.ogg"}


def test_candidates_share_a_theme_or_wijk_are_unlinked_newest_first_and_never_diaries(
    session_factory, org
) -> None:
    with session_factory.begin() as session:
        staff = member(session, org, 1)
        row = hyp.create_hypothesis(
            session, org, staff.id, T0, "No place to meet", themes=["welfare"], wijken=[9]
        )
        by_theme = observe(session, staff, T0 + timedelta(hours=1), theme="welfare")
        by_wijk = observe(session, staff, T0 + timedelta(hours=2), theme="food", wijk=9)
        observe(session, staff, T0 + timedelta(hours=3), theme="food", wijk=8)  # no match
        observe(session, staff, T0 + timedelta(hours=4), kind="diary_entry", theme="welfare")
        linked = observe(session, staff, T0 + timedelta(hours=5), theme="welfare")
        observe(session, staff, T0 + timedelta(days=10), theme="welfare")  # after the end
        observe(session, staff, T0 - timedelta(hours=1), theme="welfare")  # before the start
        hyp.set_verdict(session, row, linked, hyp.SUPPORTS, staff.id, T0 + timedelta(hours=6))
        view = hyp.get_view(session, org, row.id)
        assert view is not None
        end = T0 + timedelta(days=7)
        assert hyp.candidate_ids(session, org, view, T0, end) == [by_wijk.id, by_theme.id]
        assert hyp.candidate_ids(session, org, view, T0, end, limit=1) == [by_wijk.id]
        # Another organisation's query sees none of them.
        assert hyp.candidate_ids(session, org + 1, view, T0, end) == []
        bare = hyp.create_hypothesis(session, org, staff.id, T0, "Nothing chosen")
        assert hyp.candidate_ids(session, org, hyp.view_of(bare), T0, end) == []


def test_marking_changes_and_removes_a_verdict(session_factory, org) -> None:
    with session_factory.begin() as session:
        staff = member(session, org, 1)
        other = member(session, org, 2)
        row = hyp.create_hypothesis(session, org, staff.id, T0, "H", themes=["green"])
        note = observe(session, staff, T0 + timedelta(hours=1), theme="green")
        hyp.set_verdict(session, row, note, hyp.SUPPORTS, staff.id, T0 + timedelta(hours=2))
        assert hyp.verdicts_on(session, note.id) == {row.id: hyp.SUPPORTS}
        hyp.set_verdict(session, row, note, hyp.CONTRADICTS, other.id, T0 + timedelta(hours=3))
        [evidence] = hyp.evidence_for(session, org, [row.id])
        assert evidence == hyp.Evidence(
            row.id, note.id, hyp.CONTRADICTS, T0 + timedelta(hours=3), other.id
        )
        hyp.set_verdict(session, row, note, None, other.id, T0 + timedelta(hours=4))
        assert hyp.evidence_for(session, org, [row.id]) == []
        with pytest.raises(ValueError):
            hyp.set_verdict(session, row, note, "maybe", staff.id, T0)
        diary = observe(session, staff, T0, kind="diary_entry", theme="green")
        with pytest.raises(ValueError):
            hyp.set_verdict(session, row, diary, hyp.SUPPORTS, staff.id, T0)


def test_hypotheses_for_an_observation_are_the_open_ones_it_concerns(session_factory, org) -> None:
    with session_factory.begin() as session:
        staff = member(session, org, 1)
        theme = hyp.create_hypothesis(session, org, staff.id, T0, "A", themes=["green"])
        wijk = hyp.create_hypothesis(session, org, staff.id, T0, "B", wijken=[8])
        closed = hyp.create_hypothesis(session, org, staff.id, T0, "C", themes=["green"])
        hyp.create_hypothesis(session, org, staff.id, T0, "D", themes=["food"])
        hyp.close_hypothesis(closed, T0)
        note = observe(session, staff, T0, theme="green", wijk=8)
        assert [v.id for v in hyp.hypotheses_for(session, note)] == [theme.id, wijk.id]
        diary = observe(session, staff, T0, kind="diary_entry", theme="green", wijk=8)
        assert hyp.hypotheses_for(session, diary) == []


def test_deleting_an_observation_or_hypothesis_removes_its_links(session_factory, org) -> None:
    with session_factory.begin() as session:
        staff = member(session, org, 1)
        row = hyp.create_hypothesis(session, org, staff.id, T0, "H", themes=["green"])
        kept = observe(session, staff, T0, theme="green")
        gone = observe(session, staff, T0, theme="green")
        hyp.set_verdict(session, row, kept, hyp.SUPPORTS, staff.id, T0)
        hyp.set_verdict(session, row, gone, hyp.SUPPORTS, staff.id, T0)
    with session_factory.begin() as session:
        gone_row = obs.get_observation(session, gone.id)
        assert gone_row is not None
        obs.delete_observation(session, gone_row)
    with session_factory.begin() as session:
        assert [e.observation_id for e in hyp.evidence_for(session, org, [row.id])] == [kept.id]
        session.delete(session.get(Hypothesis, row.id))
    with session_factory.begin() as session:
        assert session.scalars(select(HypothesisLink)).all() == []


def test_staff_setting_defaults_off(session_factory, org) -> None:
    with session_factory.begin() as session:
        assert hyp.staff_may_record(session, org) is False
        hyp.set_staff_may_record(session, org, True)
    with session_factory.begin() as session:
        assert hyp.staff_may_record(session, org) is True
        assert hyp.staff_may_record(session, org + 99) is False
        with pytest.raises(ValueError):
            hyp.set_staff_may_record(session, org + 99, True)


def test_forget_keeps_the_teams_hypotheses_without_the_member(session_factory, org) -> None:
    with session_factory.begin() as session:
        leaving = member(session, org, 1, "coordinator")
        staying = member(session, org, 2)
        row = hyp.create_hypothesis(session, org, leaving.id, T0, "Mine", themes=["green"])
        note = observe(session, staying, T0, theme="green")
        diary = observe(session, leaving, T0, kind="diary_entry", theme="green")
        hyp.set_verdict(session, row, note, hyp.SUPPORTS, leaving.id, T0)
        # A link to a diary entry cannot be made through the API; one left by older data goes too.
        session.add(
            HypothesisLink(
                hypothesis_id=row.id,
                observation_id=diary.id,
                verdict=hyp.SUPPORTS,
                marked_at=T0,
                marked_by_member_id=leaving.id,
            )
        )
        session.flush()
        data = member_data(session, leaving, "secret")
        assert [h["statement"] for h in data["hypotheses_you_recorded"]] == ["Mine"]
        assert {m["observation_id"] for m in data["evidence_you_marked"]} == {note.id, diary.id}
        forget_member(session, leaving)
    with session_factory.begin() as session:
        [view] = hyp.list_hypotheses(session, org)
        assert view.author_member_id is None and view.statement == "Mine"
        [evidence] = hyp.evidence_for(session, org, [row.id])
        assert evidence.observation_id == note.id and evidence.marked_by_member_id is None
