"""The team feed: a coordinator links the team's group, new notes appear there as cards
(batched per minute), team members comment by replying, /unlinkteam stops it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.reporting import catalog_for
from bot.runtime.feed import feed_round
from reports.digest import build_digest
from reports.render import render_digest_html
from storage import feed
from storage.models import (
    FeedComment,
    FeedPost,
    InboxUpdate,
    Observation,
    OutboxMessage,
    TeamGroup,
)
from tests.conversations.clock import SetClock, restart_on
from tests.conversations.helpers import (
    TRANSLATOR,
    join,
    plain,
    says,
    stop_bot,
    tap,
    wait_drained,
    wait_until,
)

pytestmark = pytest.mark.pipeline

FLAGEY = (50.8275, 4.3725)
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200 + b"\xff\xd9"
# Past the time a note waits before it is posted (so the answers after it are in the card).
SETTLED = feed.SETTLE + timedelta(seconds=5)
GROUP_ID = -1009001


def edited(user, message: dict) -> dict:
    """Return a bot message of a user's chat as it is now (after edits)."""
    return next(m for m in user.messages() if m["message_id"] == message["message_id"])


def later(clock: SetClock, delta: timedelta) -> None:
    """Move the bot's clock forward."""
    clock.set(clock() + delta)


def posts(world) -> int:
    with world.factory() as session:
        return session.scalar(select(func.count()).select_from(FeedPost)) or 0


def post_outbox(session, message: dict) -> OutboxMessage | None:
    """Return the outbox row of a feed post delivered as this group message.

    Message ids are counted per chat (a private chat has the same numbers), and a delivered
    row keeps only its message id, so the post's own row is found through the post.
    """
    return session.scalar(
        select(OutboxMessage)
        .join(FeedPost, FeedPost.outbox_id == OutboxMessage.id)
        .where(
            FeedPost.chat_id == GROUP_ID,
            OutboxMessage.telegram_message_id == message["message_id"],
        )
    )


def recorded(world, message: dict) -> None:
    """Wait until the sender has recorded the message id of a post it delivered.

    A reply sooner than that is tried again a minute later (see the in-flight test below):
    people take longer than the sender to reply, so the tests wait as they would.
    """

    def known() -> bool:
        with world.factory() as session:
            return post_outbox(session, message) is not None

    wait_until(known, message="the post's message id was never recorded")


def keep_note(user, text: str) -> None:
    """Send a note outside any flow and place it at Flagey, as a fieldworker does."""
    user.send_text(text)
    user.wait_for_messages(2)
    user.send_location(*FLAGEY)
    user.wait_for_messages(1)


def linked_team(sandbox, world):
    """Join a coordinator, a staff member and a resident, and link the team's group."""
    org = world.organisation()
    coordinator = sandbox.user(user_id=9100, first_name="Cora", language_code="en")
    join(coordinator, world.invite(org, "coordinator"), "en")
    staff = sandbox.user(user_id=9101, first_name="Samir", language_code="en")
    join(staff, world.invite(org, "staff"), "en", name="Sam from the centre")
    resident = sandbox.user(user_id=9102, first_name="Rosa", language_code="en")
    join(resident, world.invite(org, "resident"), "en")
    group = sandbox.group(chat_id=GROUP_ID, title="Team Noord", user=coordinator)
    group.add_bot()
    [hello] = group.wait_for_messages(1)
    assert says(hello, "feed.hello", "en")
    # Only a coordinator may link: the staff member is told so, nothing is recorded.
    group.send_command("/linkteam", user=staff)
    [refused] = group.wait_for_messages(1)
    assert says(refused, "feed.coordinators_only", "en")
    group.send_command("/linkteam", user=coordinator)
    [asked] = group.wait_for_messages(1)
    assert says(asked, "feed.asked_in_private", "en")
    [question] = coordinator.wait_for_messages(1)
    assert says(
        question, "feed.confirm_link", "en", group="Team Noord", organisation="Buurtwerk Noord"
    )
    with world.factory() as session:
        assert session.get(TeamGroup, GROUP_ID).linked_at is None
    tap(coordinator, question, TRANSLATOR.raw("en", "feed.button_link"))
    # The question becomes the answer (the buttons go with the edit).
    wait_until(lambda: says(edited(coordinator, question), "feed.linked", "en"))
    [welcome] = group.wait_for_messages(1)
    assert says(welcome, "feed.linked_group", "en")
    return org, coordinator, staff, resident, group


def test_the_feed_posts_cards_batches_them_takes_comments_and_stops(
    sandbox, world, bot, settings
) -> None:
    clock = SetClock(datetime.now(UTC))
    running = restart_on(bot, settings, clock, world, sandbox)
    try:
        org, coordinator, staff, resident, group = linked_team(sandbox, world)
        stranger = sandbox.user(user_id=9103, first_name="Xavier", language_code="en")

        # One note: after it settles it is posted alone, with the name the author chose.
        keep_note(staff, "The bakery on the corner is where mothers talk after school")
        # A resident's note never goes to the group.
        resident.send_text("I miss the post office")
        resident.wait_for_messages(1)
        later(clock, SETTLED)
        [card] = group.wait_for_messages(1, timeout=30)
        text = card["text"]
        assert "Sam from the centre" in text and "Samir" not in text
        assert "The bakery on the corner" in text
        # Cards are in the organisation's language (Dutch here), whoever reads the group.
        assert TRANSLATOR.plain("nl", "kind.note") in text
        assert "Flagey" in text
        assert "post office" not in text
        assert plain(TRANSLATOR.raw("nl", "feed.reply_hint")) in text

        # A reply from a team member is kept as a comment and acknowledged with a reaction.
        recorded(world, card)
        comment = group.send_text(
            "Let's go there on Friday", user=coordinator, reply_to=card["message_id"]
        )
        wait_until(lambda: sandbox.reactions(GROUP_ID).get(comment["message_id"]))
        # Replies from a resident or a stranger are not kept and get no answer.
        group.send_text("me too", user=resident, reply_to=card["message_id"])
        group.send_text("who are you", user=stranger, reply_to=card["message_id"])
        wait_drained(world.factory, sandbox, timeout=15)
        assert group.new_messages() == []
        with world.factory() as session:
            comments = session.scalars(select(FeedComment)).all()
            assert [c.text for c in comments] == ["Let's go there on Friday"]
            note = session.scalar(select(Observation).where(Observation.text.like("The bakery%")))
            assert comments[0].observation_id == note.id

        # Busy times: three things within the minute come as one post, numbered.
        keep_note(staff, "No bench left on the square")
        staff.send_photo(JPEG, caption="Boarded-up laundrette")
        staff.wait_for_messages(1)
        keep_note(coordinator, "The youth house opens late on Wednesdays")
        later(clock, SETTLED)
        [batch] = group.wait_for_messages(1, timeout=30)
        assert posts(world) == 2
        lines = batch["text"]
        assert lines.index("1. ") < lines.index("No bench") < lines.index("2. ")
        assert "Boarded-up laundrette" in lines and "📷" in lines
        assert "Cora" in lines  # the coordinator tapped their first name
        # A reply without a number is asked which card; with a number it is kept.
        recorded(world, batch)
        group.send_text("nice", user=staff, reply_to=batch["message_id"])
        [which] = group.wait_for_messages(1)
        assert says(which, "feed.which_card", "en", count=3)
        numbered = group.send_text("2: ask the owner", user=staff, reply_to=batch["message_id"])
        wait_until(lambda: sandbox.reactions(GROUP_ID).get(numbered["message_id"]))
        with world.factory() as session:
            kept = session.scalar(select(FeedComment).where(FeedComment.text == "ask the owner"))
            photo = session.get(Observation, kept.observation_id)
            assert photo.text == "Boarded-up laundrette"

        # The weekly picture shows the comment under its entry, by the commenter's name.
        with world.factory() as session:
            now = clock()
            year, week, _ = now.isocalendar()
            picture = build_digest(session, org, year, week, "en", as_of=now)
        page = render_digest_html(picture, catalog_for("en"))
        assert "Let&#39;s go there on Friday" in page or "Let's go there on Friday" in page
        assert "ask the owner" in page and "Sam from the centre" in page
        # Participation names the team members by the name they chose; the resident is not.
        assert TRANSLATOR.plain("en", "digest.participation.people") in page
        assert "Rosa" not in page

        # A staff member cannot unlink; the coordinator can, and nothing is posted after.
        group.send_command("/unlinkteam", user=staff)
        [no] = group.wait_for_messages(1)
        assert says(no, "feed.coordinators_only", "en")
        group.send_command("/unlinkteam", user=coordinator)
        [stopped] = group.wait_for_messages(1)
        assert says(stopped, "feed.unlinked", "en")
        keep_note(staff, "After the unlink")
        later(clock, SETTLED)
        wait_drained(world.factory, sandbox, timeout=15)
        # A feed round now (the bot runs one every few seconds) finds no group to post to.
        assert feed_round(running.app) == 0
        wait_drained(world.factory, sandbox, timeout=15)
        assert group.new_messages() == [] and posts(world) == 2
    finally:
        stop_bot(running)


def test_a_reply_sooner_than_the_posts_message_id_is_kept_a_minute_later(
    sandbox, world, bot, settings
) -> None:
    clock = SetClock(datetime.now(UTC))
    running = restart_on(bot, settings, clock, world, sandbox)
    try:
        org, coordinator, staff, resident, group = linked_team(sandbox, world)
        keep_note(staff, "The launderette is where people wait and talk")
        later(clock, SETTLED)
        [card] = group.wait_for_messages(1, timeout=30)
        recorded(world, card)
        # As if the sender had not yet recorded what Telegram answered (it does so just after
        # the answer): the post is on its way, its message id unknown.
        with world.factory.begin() as session:
            outbox = post_outbox(session, card)
            outbox_id, sent_at = outbox.id, outbox.sent_at
            outbox.status, outbox.telegram_message_id = "pending", None
            outbox.not_before = clock() + timedelta(days=1)
        comment = group.send_text("Worth a visit", user=coordinator, reply_to=card["message_id"])

        def waiting() -> InboxUpdate | None:
            with world.factory() as session:
                return session.scalar(select(InboxUpdate).where(InboxUpdate.error == "NotYetError"))

        def what_happened() -> str:
            with world.factory() as session:
                rows = session.execute(
                    select(InboxUpdate.status, InboxUpdate.error, InboxUpdate.attempts)
                ).all()
                outbox = session.get(OutboxMessage, outbox_id)
                comments = session.scalars(select(FeedComment.text)).all()
                return (
                    f"early reply not kept for a retry: inbox {rows[-3:]}, outbox "
                    f"{outbox.status} {outbox.telegram_message_id}, comments {comments}"
                )

        wait_until(waiting, message=what_happened)
        with world.factory() as session:
            assert session.scalar(select(func.count()).select_from(FeedComment)) == 0
        # The answer is recorded; a minute later the reply is tried again and kept.
        with world.factory.begin() as session:
            outbox = session.get(OutboxMessage, outbox_id)
            outbox.status, outbox.telegram_message_id = "sent", card["message_id"]
            outbox.sent_at = sent_at
        later(clock, timedelta(minutes=1, seconds=5))
        wait_until(lambda: sandbox.reactions(GROUP_ID).get(comment["message_id"]), timeout=30)
        with world.factory() as session:
            [kept] = session.scalars(select(FeedComment)).all()
            assert kept.text == "Worth a visit"
        # Nobody in the group was told anything about the wait.
        assert group.new_messages() == []
    finally:
        stop_bot(running)


def test_the_coordinator_can_say_no_and_strangers_cannot_link(sandbox, world) -> None:
    org = world.organisation()
    coordinator = sandbox.user(user_id=9200, first_name="Cora", language_code="nl")
    join(coordinator, world.invite(org, "coordinator"), "nl")
    stranger = sandbox.user(user_id=9201, language_code="nl")
    group = sandbox.group(chat_id=-1009002, title="Anders", user=coordinator)
    group.add_bot()
    group.wait_for_messages(1)
    group.send_command("/linkteam", user=stranger)
    [refused] = group.wait_for_messages(1)
    assert says(refused, "feed.coordinators_only", "nl")
    # The Dutch word of the command does the same.
    group.send_command("/teamkoppelen", user=coordinator)
    group.wait_for_messages(1)
    [question] = coordinator.wait_for_messages(1)
    tap(coordinator, question, TRANSLATOR.raw("nl", "feed.button_dont_link"))
    wait_until(lambda: says(edited(coordinator, question), "feed.not_linked_kept", "nl"))
    with world.factory() as session:
        assert session.scalar(select(func.count()).select_from(TeamGroup)) == 0
    # The answered question's button (forged, or tapped twice) changes nothing; nor do
    # forged ids. Chatter in the group gets no answer.
    forged = ("g|team|yes|-1009002", "g|team|yes|1009002", "g|team|yes|-٣", "g|team|maybe")
    for number, data in enumerate(forged):
        forge_tap(sandbox, coordinator, question, data, number)
    wait_until(lambda: len(forged_answers(sandbox)) == 4)
    stale = TRANSLATOR.plain("nl", "error.stale_button")
    assert all(call["params"].get("text") == stale for call in forged_answers(sandbox))
    group.send_text("hallo @" + sandbox.bot_username, user=stranger)
    wait_drained(world.factory, sandbox, timeout=15)
    assert group.new_messages() == []
    with world.factory() as session:
        assert session.scalar(select(func.count()).select_from(TeamGroup)) == 0
    # In private, /linkteam explains where to send it.
    coordinator.send_command("/linkteam")
    [where] = coordinator.wait_for_messages(1)
    assert says(where, "feed.link_in_group", "nl")


def test_removing_the_bot_from_the_group_stops_the_feed(sandbox, world) -> None:
    org = world.organisation()
    coordinator = sandbox.user(user_id=9300, first_name="Cora", language_code="fr")
    join(coordinator, world.invite(org, "coordinator"), "fr")
    group = sandbox.group(chat_id=-1009003, title="Équipe", user=coordinator)
    group.add_bot()
    group.wait_for_messages(1)
    group.send_command("/relierequipe", user=coordinator)  # /linkteam in French words
    group.wait_for_messages(1)
    [question] = coordinator.wait_for_messages(1)
    tap(coordinator, question, TRANSLATOR.raw("fr", "feed.button_link"))
    group.wait_for_messages(1)
    with world.factory() as session:
        assert feed.linked_group(session, org) is not None
    group.remove_bot(by=coordinator)
    wait_until(lambda: _unlinked(world, org))


def forge_tap(sandbox, user, message: dict, data: str, number: int) -> None:
    """Send a tap with any data on a message, as a modified client could."""
    sandbox.push_update(
        {
            "callback_query": {
                "id": f"forged-{number}",
                "from": user.user,
                "chat_instance": "c",
                "data": data,
                "message": {
                    "message_id": message["message_id"],
                    "date": message["date"],
                    "chat": {"id": user.user_id, "type": "private"},
                    "text": "x",
                },
            }
        }
    )


def forged_answers(sandbox) -> list[dict]:
    return [
        call
        for call in sandbox.calls("answerCallbackQuery")
        if call["params"]["callback_query_id"].startswith("forged")
    ]


def _unlinked(world, org: int) -> bool:
    with world.factory() as session:
        return feed.linked_group(session, org) is None


def test_a_walk_that_ends_shows_its_route_in_the_group(sandbox, world) -> None:
    _, _, staff, _, group = linked_team(sandbox, world)
    staff.send_command("/walk")
    [started] = staff.wait_for_messages(1)
    tap(staff, started, TRANSLATOR.raw("en", "walk.focus.borders"))
    live = staff.send_location(50.8467, 4.3525, live_period=3600, horizontal_accuracy=8)
    staff.wait_for_messages(1)
    for lat, lon in ((50.8450, 4.3500), (50.8400, 4.3560), (50.8330, 4.3650), FLAGEY):
        staff.edit_location(live["message_id"], lat, lon, horizontal_accuracy=12)
    staff.send_command("/endwalk")
    staff.wait_for_messages(3)
    # The route comes as a picture, with the walk's card as its caption.
    [route] = group.wait_for_messages(1, timeout=30)
    assert "Wandeling afgelopen" in route["caption"]  # the organisation's language
    assert "Sam from the centre" in route["caption"]
    picture = sandbox.file_bytes(route["photo"][-1]["file_id"])
    assert picture.startswith(b"\x89PNG")


def test_a_card_is_taken_back_when_its_note_is_undone(sandbox, world, bot, settings) -> None:
    clock = SetClock(datetime.now(UTC))
    running = restart_on(bot, settings, clock, world, sandbox)
    try:
        _, _, staff, _, group = linked_team(sandbox, world)
        keep_note(staff, "Wrong street, sorry")
        later(clock, SETTLED)
        [card] = group.wait_for_messages(1, timeout=30)
        assert "Wrong street" in card["text"]
        staff.send_command("/undo")
        staff.wait_for_messages(1)
        with world.factory() as session:
            assert session.scalar(select(func.count()).select_from(Observation)) == 0
        # The feed's next round takes the card back: blanked, then deleted from the group.
        wait_until(lambda: all(m["message_id"] != card["message_id"] for m in group.messages()))
        deleted = [c["params"] for c in sandbox.calls("deleteMessage")]
        assert deleted == [{"chat_id": str(GROUP_ID), "message_id": card["message_id"]}]
    finally:
        stop_bot(running)
