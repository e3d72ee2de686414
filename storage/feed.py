"""The team feed: linked groups, what is posted there (and when), and comments by reply.

What a group may see is decided here, in one place (`shareable`): observations of staff,
volunteers and coordinators only; never a diary entry (nor any private kind), never an
encounter whose person did not agree to be quoted; a key person's contact details are never
part of a card (cards read only the kind, text, theme and place).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from storage.kinds import BY_NAME, ENCOUNTER, KINDS, kind_of
from storage.models import (
    FeedComment,
    FeedItem,
    FeedPost,
    Member,
    Observation,
    OutboxMessage,
    TeamGroup,
    Walk,
)

# The roles whose observations the team sees in its group: the team itself, never residents.
TEAM_ROLES = frozenset({"coordinator", "staff", "volunteer"})
# Observations wait this long before they are posted, so the answers that follow a note (its
# theme, its place, a kept note becoming a record) are in the card.
SETTLE = timedelta(minutes=2)
# At most one post per group in this time: Telegram allows 20 messages a minute in a group,
# and a team reading its phone wants one message in busy times, not twenty.
POST_GAP = timedelta(minutes=1)
# Cards in one post at most (the rest wait for the next minute).
MAX_CARDS = 8
# What is due is looked for from this long before the oldest card of the last post on.
LOOK_BACK = timedelta(hours=1)
# The kinds a card may show (private kinds such as diary entries never).
SHAREABLE_KINDS = tuple(kind.name for kind in KINDS if not kind.private)
MAX_COMMENT = 1000


def group_of(session: Session, chat_id: int) -> TeamGroup | None:
    """Return the team group row of a chat (linked or waiting for confirmation)."""
    return session.get(TeamGroup, chat_id)


def linked_group(session: Session, organisation_id: int) -> TeamGroup | None:
    """Return the organisation's linked group, if it has one."""
    return session.scalar(
        select(TeamGroup).where(
            TeamGroup.organisation_id == organisation_id, TeamGroup.linked_at.is_not(None)
        )
    )


def request_link(session: Session, chat_id: int, member: Member, now: datetime) -> TeamGroup:
    """Record that a coordinator asked to link a group; it is linked once they confirm."""
    group = session.get(TeamGroup, chat_id)
    if group is None:
        group = TeamGroup(chat_id=chat_id, organisation_id=member.organisation_id, requested_at=now)
        session.add(group)
    group.organisation_id = member.organisation_id
    group.requested_by_member_id = member.id
    group.requested_at = now
    group.linked_at = None
    session.flush()
    return group


def confirm_link(session: Session, chat_id: int, member: Member, now: datetime) -> bool:
    """Link a group the member asked for; the organisation's earlier group is unlinked."""
    group = session.get(TeamGroup, chat_id)
    if (
        group is None
        or group.linked_at is not None
        or group.requested_by_member_id != member.id
        or group.organisation_id != member.organisation_id
    ):
        return False
    session.execute(
        delete(TeamGroup).where(
            TeamGroup.organisation_id == member.organisation_id, TeamGroup.chat_id != chat_id
        )
    )
    group.linked_at = now
    session.flush()
    return True


def drop_request(session: Session, chat_id: int, member: Member) -> bool:
    """Forget a link the member asked for and has not confirmed."""
    group = session.get(TeamGroup, chat_id)
    if group is None or group.linked_at is not None or group.requested_by_member_id != member.id:
        return False
    session.delete(group)
    session.flush()
    return True


def unlink(session: Session, chat_id: int) -> bool:
    """Stop the feed to a group; say whether it was linked."""
    group = session.get(TeamGroup, chat_id)
    if group is None:
        return False
    linked = group.linked_at is not None
    session.delete(group)
    session.flush()
    return linked


def move_group(session: Session, old_chat_id: int, new_chat_id: int) -> bool:
    """Follow a group that became a supergroup: its link and its posts take the new chat id."""
    group = session.get(TeamGroup, old_chat_id)
    if group is None or session.get(TeamGroup, new_chat_id) is not None:
        return False
    session.add(
        TeamGroup(
            chat_id=new_chat_id,
            organisation_id=group.organisation_id,
            requested_by_member_id=group.requested_by_member_id,
            requested_at=group.requested_at,
            linked_at=group.linked_at,
        )
    )
    session.delete(group)
    session.execute(
        update(FeedPost).where(FeedPost.chat_id == old_chat_id).values(chat_id=new_chat_id)
    )
    session.flush()
    return True


def linked_groups(session: Session) -> list[TeamGroup]:
    """Return every linked group."""
    return list(session.scalars(select(TeamGroup).where(TeamGroup.linked_at.is_not(None))))


def shareable(observation: Observation, role: str | None) -> bool:
    """Say whether an observation may go to the team's group (see the module's docstring)."""
    if role not in TEAM_ROLES or observation.kind not in BY_NAME:
        return False
    if kind_of(observation.kind).private:
        return False
    return not (observation.kind == ENCOUNTER and observation.details.get("quote_ok") is not True)


@dataclass(frozen=True)
class Due:
    """What is waiting to be posted to one group: observations and ended walks, oldest first."""

    observations: tuple[Observation, ...]
    walks: tuple[Walk, ...]

    def __bool__(self) -> bool:
        return bool(self.observations or self.walks)


def last_post(session: Session, chat_id: int) -> FeedPost | None:
    """Return the group's latest post."""
    return session.scalar(
        select(FeedPost)
        .where(FeedPost.chat_id == chat_id)
        .order_by(FeedPost.created_at.desc(), FeedPost.id.desc())
        .limit(1)
    )


def due(session: Session, group: TeamGroup, now: datetime, limit: int = MAX_CARDS) -> Due:
    """Return what may be posted to a group now (nothing while its last post is too recent)."""
    if group.linked_at is None:
        return Due((), ())
    last = last_post(session, group.chat_id)
    if last is not None and now - last.created_at < POST_GAP:
        return Due((), ())
    # The last post took the oldest of what was waiting: anything older was posted or left
    # out then (what is noted commits a moment after its time, never an hour).
    since = group.linked_at
    if last is not None:
        since = max(since, last.oldest_at - LOOK_BACK)
    posted_obs = select(FeedItem.observation_id).where(FeedItem.observation_id.is_not(None))
    rows = session.execute(
        select(Observation, Member.role)
        .join(Member, Member.id == Observation.member_id)
        .where(
            Observation.organisation_id == group.organisation_id,
            Observation.created_at >= since,
            Observation.kind.in_(SHAREABLE_KINDS),
            Observation.created_at <= now - SETTLE,
            Member.role.in_(TEAM_ROLES),
            Observation.id.not_in(posted_obs),
        )
        .order_by(Observation.id)
        .limit(limit * 4)
    ).all()
    observations = [obs for obs, role in rows if shareable(obs, role)][:limit]
    posted_walks = select(FeedItem.walk_id).where(FeedItem.walk_id.is_not(None))
    walks = list(
        session.scalars(
            select(Walk)
            .join(Member, Member.id == Walk.member_id)
            .where(
                Walk.organisation_id == group.organisation_id,
                Walk.ended_at.is_not(None),
                Walk.ended_at >= since,
                Member.role.in_(TEAM_ROLES),
                Walk.id.not_in(posted_walks),
            )
            .order_by(Walk.id)
            .limit(max(0, limit - len(observations)))
        )
    )
    return Due(tuple(observations), tuple(walks))


def record_post(
    session: Session, group: TeamGroup, items: Sequence[Observation | Walk], now: datetime
) -> FeedPost:
    """Store a post and its cards, numbered in order; the caller queues its message."""
    moments = [
        (item.ended_at or now) if isinstance(item, Walk) else item.created_at for item in items
    ]
    post = FeedPost(
        chat_id=group.chat_id,
        organisation_id=group.organisation_id,
        created_at=now,
        oldest_at=min(moments, default=now),
    )
    session.add(post)
    session.flush()
    for position, item in enumerate(items, start=1):
        if isinstance(item, Walk):
            session.add(FeedItem(post_id=post.id, position=position, walk_id=item.id))
        else:
            session.add(FeedItem(post_id=post.id, position=position, observation_id=item.id))
    session.flush()
    return post


# Cards are checked for taking back (their observation gone or no longer shareable) this long.
RETRACT_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Retraction:
    """A post some of whose cards must be taken back from the group."""

    post: FeedPost
    cards: tuple[FeedItem, ...]
    taken_back: tuple[FeedItem, ...]


def to_take_back(session: Session, chat_id: int, now: datetime) -> list[Retraction]:
    """Return the group's recent posts with cards whose content may no longer be shown.

    A card goes when its observation or walk is gone (/undo, /forget erased it), when its
    author left (/forget, removed from the team), or when it is no longer shareable (a note
    turned into a diary entry, or an encounter whose person did not agree to be quoted).
    """
    rows = session.execute(
        select(FeedItem, FeedPost, Observation, Walk)
        .join(FeedPost, FeedPost.id == FeedItem.post_id)
        .outerjoin(Observation, Observation.id == FeedItem.observation_id)
        .outerjoin(Walk, Walk.id == FeedItem.walk_id)
        .where(
            FeedPost.chat_id == chat_id,
            FeedPost.created_at >= now - RETRACT_WINDOW,
            FeedItem.removed_at.is_(None),
        )
    ).all()
    authors = {o.member_id for _, _, o, _ in rows if o is not None and o.member_id} | {
        w.member_id for _, _, _, w in rows if w is not None and w.member_id
    }
    roles: dict[int, str] = {}
    if authors:
        found_roles = session.execute(
            select(Member.id, Member.role).where(Member.id.in_(sorted(authors)))
        )
        roles = {member_id: role for member_id, role in found_roles}
    gone: dict[int, list[FeedItem]] = {}
    posts: dict[int, FeedPost] = {}
    for item, post, observation, walk in rows:
        if observation is not None:
            keep = observation.member_id is not None and shareable(
                observation, roles.get(observation.member_id)
            )
        elif walk is not None:
            keep = walk.member_id is not None and roles.get(walk.member_id) in TEAM_ROLES
        else:
            keep = False
        if not keep:
            gone.setdefault(post.id, []).append(item)
            posts[post.id] = post
    found = []
    for post_id, taken in gone.items():
        cards = session.scalars(
            select(FeedItem).where(FeedItem.post_id == post_id).order_by(FeedItem.position)
        ).all()
        found.append(Retraction(posts[post_id], tuple(cards), tuple(taken)))
    return found


def cards_replied_to(session: Session, chat_id: int, message_id: int) -> list[FeedItem]:
    """Return the cards of the post a group message is, in order (none if it is no post)."""
    post_id = session.scalar(
        select(FeedPost.id)
        .join(OutboxMessage, OutboxMessage.id == FeedPost.outbox_id)
        # A delivered outbox row keeps its message id (its chat and content are dropped).
        .where(FeedPost.chat_id == chat_id, OutboxMessage.telegram_message_id == message_id)
    )
    if post_id is None:
        return []
    return list(
        session.scalars(
            select(FeedItem).where(FeedItem.post_id == post_id).order_by(FeedItem.position)
        )
    )


def post_in_flight(session: Session, chat_id: int) -> bool:
    """Say whether a post to this group is queued or on the wire, its message id unknown yet."""
    return (
        session.scalar(
            select(FeedPost.id)
            .join(OutboxMessage, OutboxMessage.id == FeedPost.outbox_id)
            .where(
                FeedPost.chat_id == chat_id,
                OutboxMessage.status == "pending",
                OutboxMessage.telegram_message_id.is_(None),
            )
            .limit(1)
        )
        is not None
    )


def add_comment(
    session: Session,
    item: FeedItem,
    member: Member,
    text: str,
    chat_id: int,
    message_id: int,
    now: datetime,
) -> FeedComment:
    """Keep a reply to a card with its observation (or walk); a redelivered reply once."""
    found = session.scalar(
        select(FeedComment).where(
            FeedComment.chat_id == chat_id, FeedComment.message_id == message_id
        )
    )
    if found is not None:
        return found
    comment = FeedComment(
        observation_id=item.observation_id,
        walk_id=item.walk_id,
        member_id=member.id,
        text=text[:MAX_COMMENT],
        created_at=now,
        chat_id=chat_id,
        message_id=message_id,
    )
    session.add(comment)
    session.flush()
    return comment


@dataclass(frozen=True)
class CommentRow:
    """A comment as the weekly picture shows it: who (display name or pseudonym) and what."""

    observation_id: int | None
    walk_id: int | None
    member_id: int
    display_name: str | None
    text: str
    created_at: datetime


def comments_on(session: Session, observation_ids: Sequence[int]) -> list[CommentRow]:
    """Return the comments on some observations, oldest first."""
    if not observation_ids:
        return []
    rows = session.execute(
        select(FeedComment, Member.display_name)
        .join(Member, Member.id == FeedComment.member_id)
        .where(FeedComment.observation_id.in_(list(observation_ids)))
        .order_by(FeedComment.created_at, FeedComment.id)
    ).all()
    return [
        CommentRow(c.observation_id, c.walk_id, c.member_id, name, c.text, c.created_at)
        for c, name in rows
    ]


def forget_member_feed(session: Session, member: Member) -> None:
    """Erase what the feed holds of a member: comments, link requests, posts not yet sent.

    Sent posts keep no words of theirs in the outbox: their stored text is blanked (the
    message id stays, so replies to other cards of the post still find them).
    """
    session.execute(delete(FeedComment).where(FeedComment.member_id == member.id))
    session.execute(
        update(TeamGroup)
        .where(TeamGroup.requested_by_member_id == member.id)
        .values(requested_by_member_id=None)
    )
    own_items = select(FeedItem.post_id).where(  # their cards are taken back by the feed round
        FeedItem.observation_id.in_(
            select(Observation.id).where(Observation.member_id == member.id)
        )
        | FeedItem.walk_id.in_(select(Walk.id).where(Walk.member_id == member.id))
    )
    outbox_ids = select(FeedPost.outbox_id).where(FeedPost.id.in_(own_items))
    session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.id.in_(outbox_ids), OutboxMessage.status == "pending"
        )
    )
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(outbox_ids))
        .values(payload={})
        .execution_options(synchronize_session=False)
    )
