"""The team feed in the database: what may go to a group, when, replies, and erasure."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.dispatch.i18n import load_translator
from bot.runtime.feed import FeedComposer, compose_post
from reports.export import open_export, write_export
from storage import feed, pipeline
from storage import observations as obs
from storage import organisations as orgs
from storage.models import FeedComment, Member, Observation, OutboxMessage
from storage.privacy import forget_member

GROUP = -100555


def member(session: Session, org_id: int, role: str, user_id: int, now: datetime) -> Member:
    invite = orgs.create_invite(session, org_id, role, now, timedelta(days=1))
    return orgs.join_with_invite(session, invite, user_id, "en", "v1", now)


def note(session: Session, author: Member, now: datetime, kind: str = "note", **extra: Any) -> int:
    return obs.add_observation(
        session,
        organisation_id=author.organisation_id,
        member_id=author.id,
        author="P-TEST",
        kind=kind,
        now=now,
        **extra,
    ).id


def linked(session: Session, coordinator: Member, now: datetime) -> feed.TeamGroup:
    feed.request_link(session, GROUP, coordinator, now)
    assert feed.confirm_link(session, GROUP, coordinator, now)
    group = feed.group_of(session, GROUP)
    assert group is not None
    return group


def waiting_ids(session: Session, now: datetime) -> list[int]:
    group = feed.group_of(session, GROUP)
    assert group is not None
    return [o.id for o in feed.due(session, group, now).observations]


def test_notes_wait_to_settle_and_a_group_gets_one_post_a_minute(
    session_factory: sessionmaker[Session], now: datetime
) -> None:
    with session_factory.begin() as session:
        org = orgs.create_organisation(session, "A", now)
        coordinator = member(session, org.id, "coordinator", 1, now)
        staff = member(session, org.id, "staff", 2, now)
        group = linked(session, coordinator, now)
        first = note(session, staff, now, text="first")
        # Not yet: the answers that follow a note (its theme, its place) are not in yet.
        assert waiting_ids(session, now + feed.SETTLE - timedelta(seconds=1)) == []
        posted_at = now + feed.SETTLE
        assert waiting_ids(session, posted_at) == [first]
        feed.record_post(
            session, group, feed.due(session, group, posted_at).observations, posted_at
        )
        # A second note settles 30 s after the post: it waits for the minute to pass.
        second = note(session, staff, posted_at - feed.SETTLE + timedelta(seconds=30))
        assert waiting_ids(session, posted_at + timedelta(seconds=30)) == []
        assert waiting_ids(session, posted_at + feed.POST_GAP - timedelta(seconds=1)) == []
        assert waiting_ids(session, posted_at + feed.POST_GAP) == [second]
        # Nothing from before the link, nothing twice.
        assert first not in waiting_ids(session, posted_at + timedelta(hours=1))


def test_what_never_goes_to_the_group(session_factory, now, tmp_path: Path) -> None:
    later = now + timedelta(hours=1)
    with session_factory.begin() as session:
        org = orgs.create_organisation(session, "A", now)
        coordinator = member(session, org.id, "coordinator", 1, now)
        staff = member(session, org.id, "staff", 2, now)
        volunteer = member(session, org.id, "volunteer", 3, now)
        resident = member(session, org.id, "resident", 4, now)
        group = linked(session, coordinator, now)
        shared = [
            note(session, staff, now, text="a walk note", kind="walk_note"),
            note(session, volunteer, now, text="a volunteer's note"),
            note(session, coordinator, now, kind="encounter", details={"quote_ok": True}),
        ]
        key_person = note(
            session,
            staff,
            now,
            kind="key_person",
            text="opens the door to the parents",
            details={"alias": "the baker", "contact": "0470 12 34 56", "contact_consent": True},
        )
        shared.append(key_person)
        # Never: a diary entry (even a staff member's), a resident's note, an encounter whose
        # person did not agree to be quoted (or was not asked).
        note(session, staff, now, kind="diary_entry", text="my day")
        note(session, resident, now, text="a resident's note")
        note(session, staff, now, kind="encounter", details={"quote_ok": False})
        note(session, staff, now, kind="encounter", details={})
        waiting = feed.due(session, group, later, limit=20)
        assert sorted(o.id for o in waiting.observations) == sorted(shared)
        # A key person's card shows what they open, never their contact details.
        card = next(o for o in waiting.observations if o.id == key_person)
        composer = FeedComposer(load_translator(), "nl")
        _, payload = compose_post(session, composer, GROUP, [card], tmp_path)
        assert "opens the door" in payload["text"]
        assert "0470" not in payload["text"] and "the baker" not in payload["text"]


def test_only_the_requesting_coordinator_links_and_a_team_has_one_group(
    session_factory, now
) -> None:
    with session_factory.begin() as session:
        org = orgs.create_organisation(session, "A", now)
        other = orgs.create_organisation(session, "B", now)
        first = member(session, org.id, "coordinator", 1, now)
        second = member(session, org.id, "coordinator", 2, now)
        outsider = member(session, other.id, "coordinator", 3, now)
        feed.request_link(session, GROUP, first, now)
        assert not feed.confirm_link(session, GROUP, second, now)
        assert not feed.confirm_link(session, GROUP, outsider, now)
        assert not feed.drop_request(session, GROUP, second)
        assert feed.linked_group(session, org.id) is None
        assert feed.confirm_link(session, GROUP, first, now)
        assert not feed.confirm_link(session, GROUP, first, now)  # a second tap: no change
        # Linking another group moves the feed there.
        feed.request_link(session, GROUP - 1, second, now)
        assert feed.confirm_link(session, GROUP - 1, second, now)
        moved = feed.linked_group(session, org.id)
        assert moved is not None and moved.chat_id == GROUP - 1
        assert feed.group_of(session, GROUP) is None
        assert feed.unlink(session, GROUP - 1)
        assert feed.linked_group(session, org.id) is None


def test_replies_find_their_card_and_forget_erases_names_and_comments(session_factory, now) -> None:
    with session_factory.begin() as session:
        org = orgs.create_organisation(session, "A", now)
        coordinator = member(session, org.id, "coordinator", 1, now)
        staff = member(session, org.id, "staff", 2, now)
        orgs.set_display_name(session, staff, "  Sam\n from   the centre ")
        assert staff.display_name == "Sam from the centre"
        group = linked(session, coordinator, now)
        first, second = note(session, staff, now, text="one"), note(session, staff, now)
        waiting = feed.due(session, group, now + feed.SETTLE)
        post = feed.record_post(session, group, waiting.observations, now + feed.SETTLE)
        call = pipeline.OutgoingCall(
            GROUP, "sendMessage", {"chat_id": GROUP, "text": "x"}, "feed:1"
        )
        pipeline.enqueue(session, [call], now)
        outbox = session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == "feed:1"))
        post.outbox_id = outbox.id
        # Before it is delivered, no message id: a reply cannot be to it.
        assert feed.cards_replied_to(session, GROUP, 77) == []
        pipeline.mark_sent(session, outbox.id, now, 77)
        cards = feed.cards_replied_to(session, GROUP, 77)
        assert [(c.position, c.observation_id) for c in cards] == [(1, first), (2, second)]
        assert feed.cards_replied_to(session, GROUP - 1, 77) == []
        feed.add_comment(session, cards[1], coordinator, "good one", GROUP, 90, now)
        feed.add_comment(session, cards[1], coordinator, "good one", GROUP, 90, now)  # redelivered
        feed.add_comment(session, cards[0], staff, "mine", GROUP, 91, now)
        assert [c.text for c in feed.comments_on(session, [second])] == ["good one"]
        assert session.scalar(select(func.count()).select_from(FeedComment)) == 2
        forget_member(session, staff)
    with session_factory() as session:
        left = session.scalars(select(FeedComment)).all()
        assert [c.text for c in left] == ["good one"]
        assert session.scalar(select(Member).where(Member.telegram_user_id == 2)) is None


def test_open_invites_are_listed_and_revoked(session_factory, now) -> None:
    with session_factory.begin() as session:
        org = orgs.create_organisation(session, "A", now)
        other = orgs.create_organisation(session, "B", now)
        used = orgs.create_invite(session, org.id, "staff", now, timedelta(days=1))
        orgs.join_with_invite(session, used, 1, "en", "v1", now)
        expired = orgs.create_invite(session, org.id, "staff", now, timedelta(hours=1))
        open_group = orgs.create_invite(session, org.id, "resident", now, timedelta(days=9), None)
        single = orgs.create_invite(session, org.id, "volunteer", now, timedelta(days=9))
        orgs.create_invite(session, other.id, "staff", now, timedelta(days=9))
        later = now + timedelta(hours=2)
        assert [i.id for i in orgs.open_invites(session, org.id, later)] == [
            single.id,
            open_group.id,
        ]
        assert expired.id not in [i.id for i in orgs.open_invites(session, org.id, later)]
        assert orgs.revoke_invite(session, other.id, single.id) is None
        assert orgs.revoke_invite(session, org.id, single.id) is not None
        assert [i.id for i in orgs.open_invites(session, org.id, later)] == [open_group.id]
        assert orgs.check_invite(session, single.code, later).problem == orgs.InviteProblem.REVOKED


def test_exports_keep_pseudonyms_only(session_factory, now, tmp_path: Path) -> None:
    with session_factory.begin() as session:
        org = orgs.create_organisation(session, "A", now)
        staff = member(session, org.id, "staff", 2, now)
        orgs.set_display_name(session, staff, "Zouhair Vandenbroucke")
        note(session, staff, now, text="the square is empty at noon")
        org_id = org.id
    with session_factory() as session:
        for fmt in ("geojson", "csv"):
            data = open_export(session, org_id)
            paths = write_export(data, fmt, tmp_path / f"export.{fmt}")
            written = "".join(path.read_text(encoding="utf-8") for path in paths)
            assert "the square is empty" in written and "P-TEST" in written
            assert "Zouhair" not in written and "Vandenbroucke" not in written


def test_cards_whose_content_may_no_longer_be_shown_are_taken_back(session_factory, now) -> None:
    with session_factory.begin() as session:
        org = orgs.create_organisation(session, "A", now)
        coordinator = member(session, org.id, "coordinator", 1, now)
        staff = member(session, org.id, "staff", 2, now)
        leaving = member(session, org.id, "volunteer", 3, now)
        group = linked(session, coordinator, now)
        kept = note(session, coordinator, now, text="stays")
        undone = note(session, staff, now, text="undone later")
        turned = note(session, staff, now, text="becomes a diary entry")
        forgotten = note(session, leaving, now, text="their author leaves")
        at = now + feed.SETTLE
        feed.record_post(session, group, feed.due(session, group, at, limit=10).observations, at)
        assert feed.to_take_back(session, GROUP, at) == []
        # /undo deletes one; another becomes a diary entry; an author is forgotten.
        session.delete(session.get(Observation, undone))
        session.get(Observation, turned).kind = "diary_entry"
        session.flush()
        forget_member(session, leaving)
        [retraction] = feed.to_take_back(session, GROUP, at)
        assert [c.position for c in retraction.cards] == [1, 2, 3, 4]
        assert sorted(c.position for c in retraction.taken_back) == [2, 3, 4]
        assert retraction.cards[0].observation_id == kept
        assert retraction.cards[1].observation_id is None  # the deleted one, kept as a slot
        assert forgotten in [c.observation_id for c in retraction.taken_back]
        for card in retraction.taken_back:
            card.removed_at = at
        assert feed.to_take_back(session, GROUP, at) == []
        # Posts older than the window are no longer looked at.
        assert feed.to_take_back(session, GROUP, at + feed.RETRACT_WINDOW * 2) == []


def test_a_burst_is_posted_eight_cards_a_minute_until_nothing_waits(session_factory, now) -> None:
    with session_factory.begin() as session:
        org = orgs.create_organisation(session, "A", now)
        coordinator = member(session, org.id, "coordinator", 1, now)
        staff = member(session, org.id, "staff", 2, now)
        group = linked(session, coordinator, now)
        burst = [note(session, staff, now + timedelta(seconds=i), text=str(i)) for i in range(20)]
        posted: list[list[int]] = []
        moment = now + feed.SETTLE + timedelta(seconds=20)
        while waiting := feed.due(session, group, moment).observations:
            feed.record_post(session, group, waiting, moment)
            posted.append([o.id for o in waiting])
            moment += feed.POST_GAP
        assert [len(ids) for ids in posted] == [feed.MAX_CARDS, feed.MAX_CARDS, 4]
        assert [i for ids in posted for i in ids] == burst


def test_a_group_that_becomes_a_supergroup_keeps_its_feed(session_factory, now) -> None:
    with session_factory.begin() as session:
        org = orgs.create_organisation(session, "A", now)
        coordinator = member(session, org.id, "coordinator", 1, now)
        staff = member(session, org.id, "staff", 2, now)
        group = linked(session, coordinator, now)
        note(session, staff, now)
        at = now + feed.SETTLE
        feed.record_post(session, group, feed.due(session, group, at).observations, at)
        assert feed.move_group(session, GROUP, GROUP * 10)
        moved = feed.linked_group(session, org.id)
        assert moved is not None and moved.chat_id == GROUP * 10
        assert feed.group_of(session, GROUP) is None
        # The minute between posts still holds in the new chat.
        second = note(session, staff, now + timedelta(seconds=30))
        assert feed.due(session, moved, at + timedelta(seconds=30)).observations == ()
        assert [o.id for o in feed.due(session, moved, at + feed.POST_GAP).observations] == [second]
        assert not feed.move_group(session, GROUP, GROUP * 10)
