"""Retention clears old free text and media per organisation, and keeps the rest."""

from __future__ import annotations

from datetime import timedelta

from flows.engine import Text
from flows.evidence import snippet
from storage import hypotheses as hyp
from storage import observations as obs
from storage import organisations as orgs
from storage import retention
from storage.models import MediaFile
from storage.observations import NewMedia
from storage.retention import apply_retention


def test_old_text_and_media_go_recent_ones_stay(session_factory, now) -> None:
    with session_factory.begin() as session:
        org = orgs.create_organisation(session, "A", now)
        org.retention_months = 12
        common = {"organisation_id": org.id, "member_id": None, "author": "P-X"}
        old = obs.add_observation(
            session,
            kind="encounter",
            now=now - timedelta(days=400),
            text="said something personal",
            theme="food",
            details={"experience": "long story", "quote_ok": True},
            media=[NewMedia("voice", "f1", "u1")],
            **common,
        )
        old.media[0].path = "voice/2025-10/a.ogg"
        recent = obs.add_observation(
            session, kind="walk_note", now=now - timedelta(days=30), text="recent", **common
        )
        old_id, recent_id = old.id, recent.id
    with session_factory.begin() as session:
        [result] = apply_retention(session, now)
        assert (result.texts, result.media, result.paths) == (1, 1, ("voice/2025-10/a.ogg",))
    with session_factory() as session:
        cleared = obs.get_observation(session, old_id)
        assert cleared.text is None and cleared.theme == "food"
        assert cleared.details == {"quote_ok": True, "retention_cleared": True}
        assert session.query(MediaFile).count() == 0
        assert obs.get_observation(session, recent_id).text == "recent"
    with session_factory.begin() as session:
        assert apply_retention(session, now) == []


def test_retention_pages_through_many_observations(session_factory, now, monkeypatch) -> None:
    monkeypatch.setattr(retention, "PAGE", 3)  # 10 old observations: four pages
    with session_factory.begin() as session:
        org = orgs.create_organisation(session, "B", now)
        org.retention_months = 6
        common = {"organisation_id": org.id, "member_id": None, "author": "P-Y"}
        for day in range(10):
            note = obs.add_observation(
                session,
                kind="walk_note",
                now=now - timedelta(days=300, hours=day),
                text=f"old {day}",
                media=[NewMedia("photo", f"f{day}", f"u{day}")],
                **common,
            )
            note.media[0].path = f"photo/2026-01/{day}.jpg"
        obs.add_observation(session, kind="walk_note", now=now, text="new", **common)
    with session_factory.begin() as session:
        [result] = apply_retention(session, now)
        assert (result.texts, result.media) == (10, 10)
        assert sorted(result.paths) == sorted(f"photo/2026-01/{day}.jpg" for day in range(10))
    with session_factory() as session:
        texts = [o.text for o in obs.observations_between(session, org.id)]
        assert texts == [None] * 10 + ["new"]
    with session_factory.begin() as session:
        assert apply_retention(session, now) == []


def test_old_hypotheses_lose_their_words_and_voice_notes_and_keep_the_rest(
    session_factory, now
) -> None:
    with session_factory.begin() as session:
        org = orgs.create_organisation(session, "C", now)
        org.retention_months = 12
        old = now - timedelta(days=400)
        worded = hyp.create_hypothesis(
            session, org.id, None, old, "Mrs Peeters has nowhere to meet", themes=["welfare"]
        )
        spoken = hyp.create_hypothesis(
            session, org.id, None, old, voice=NewMedia("voice", "h1", "hu1")
        )
        recent = hyp.create_hypothesis(
            session, org.id, None, now - timedelta(days=30), voice=NewMedia("voice", "h2", "hu2")
        )
        note = obs.add_observation(
            session,
            organisation_id=org.id,
            member_id=None,
            author="P-Z",
            kind="walk_note",
            now=now - timedelta(days=30),
            theme="welfare",
        )
        hyp.set_verdict(session, worded, note, hyp.SUPPORTS, None, now - timedelta(days=30))
        for row, path in ((spoken, "voice/2025-10/h.ogg"), (recent, "voice/2026-11/h.ogg")):
            session.query(MediaFile).filter_by(hypothesis_id=row.id).one().path = path
        org_id, ids = org.id, (worded.id, spoken.id, recent.id)
    with session_factory.begin() as session:
        [result] = apply_retention(session, now)
        assert (result.texts, result.media, result.paths) == (1, 1, ("voice/2025-10/h.ogg",))
    with session_factory() as session:
        views = {view.id: view for view in hyp.list_hypotheses(session, org_id)}
        first, second, third = (views[i] for i in ids)
        # Words and voice gone; themes and the evidence marked stay.
        assert (first.statement, first.themes, first.cleared) == ("", ("welfare",), True)
        assert [e.observation_id for e in hyp.evidence_for(session, org_id, [first.id])] == [
            note.id
        ]
        assert (second.voice_media, second.cleared) == (None, True)
        assert (third.voice_media, third.cleared) == ("voice/2026-11/h.ogg", False)
        assert snippet(first) == Text("hypothesis.cleared")
        assert snippet(third) == Text("hypothesis.voice_only")
    with session_factory.begin() as session:
        assert apply_retention(session, now) == []
