"""Post the team feed: a card per new observation (or ended walk) to each linked group.

storage/feed.py decides what may go and when (at most one post a minute per group, so a busy
hour becomes a few batched posts); this module words the cards in the organisation's
language, draws a walk's route, and queues the post in the outbox, where group pacing applies
as to every other send. A post holding one card with a photo (or a walk's route) is a photo
with the card as its caption; several cards go as one text, numbered for replies.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from telegram.ext import ContextTypes

import geo
from bot.dispatch.i18n import Translator
from bot.dispatch.render import MAX_CAPTION, MAX_TEXT
from flows.engine import Text
from storage import feed, pipeline, walks
from storage.models import Member, Observation, OutboxMessage, TeamGroup, Walk
from storage.organisations import get_organisation

if TYPE_CHECKING:
    from bot.runtime.app import Buurtbot

log = logging.getLogger("buurtbot.feed")

CARD_TEXT = 300
# Seconds between looks for something to post.
FEED_INTERVAL = 5
ROUTES = "feed"


def _clip(text: str | None, limit: int = CARD_TEXT) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _author(session: Session, member_id: int | None, pseudonym: str) -> str:
    """Return the name the team knows an author by: the chosen name, else the pseudonym."""
    member = session.get(Member, member_id) if member_id is not None else None
    return member.display_name if member is not None and member.display_name else pseudonym


def _place(observation: Observation, language: str) -> str | None:
    street = observation.details.get("street")
    if isinstance(street, str) and street.strip():
        return _clip(street, 120)
    wijk = geo.wijk(observation.wijk_code) if observation.wijk_code is not None else None
    return wijk.name(language) if wijk is not None else None


def _photo(observation: Observation) -> str | None:
    """Return the Telegram file id of an observation's first photo, if it has one."""
    for media in observation.media:
        if media.kind == "photo":
            return media.file_id
    return None


def _km(metres: float | None, language: str) -> str:
    text = f"{(metres or 0) / 1000:.1f}"
    return text if language == "en" else text.replace(".", ",")


class FeedComposer:
    """Words cards and posts in one language."""

    def __init__(self, translator: Translator, language: str) -> None:
        self.translator = translator
        self.language = language

    def t(self, key: str, **params: Any) -> str:
        """Translate one key."""
        return self.translator.text(self.language, key, params)

    def observation_card(
        self, session: Session, observation: Observation, number: str, batched: bool
    ) -> str:
        """Return an observation's card: kind and author, its words, theme and place."""
        lines = [
            self.t(
                "feed.card_head",
                number=number,
                kind=Text(f"kind.{observation.kind}"),
                author=_author(session, observation.member_id, observation.author),
            )
        ]
        words = _clip(observation.text)
        if words:
            lines.append(self.t("feed.card_text", text=words))
        extras = []
        if observation.theme:
            extras.append(self.t("feed.card_theme", theme=Text(f"theme.{observation.theme}")))
        place = _place(observation, self.language)
        if place:
            extras.append(self.t("feed.card_place", place=place))
        if batched and _photo(observation):
            extras.append(self.t("feed.card_photo"))
        if extras:
            lines.append(" · ".join(extras))
        return "\n".join(lines)

    def walk_card(self, session: Session, walk: Walk, number: str) -> str:
        """Return a walk's card: who walked, how far and how long."""
        minutes = 0
        if walk.ended_at is not None:
            minutes = max(0, round((walk.ended_at - walk.started_at).total_seconds() / 60))
        return self.t(
            "feed.walk_card",
            number=number,
            author=_author(session, walk.member_id, walk.author),
            km=_km(walk.distance_m, self.language),
            minutes=minutes,
        )


def compose_text(
    session: Session, composer: FeedComposer, items: Sequence[Observation | Walk | None]
) -> str:
    """Return the text of a post: its cards (None: a card taken back) and how to comment."""
    batched = len(items) > 1
    cards = []
    for position, item in enumerate(items, start=1):
        number = f"{position}. " if batched else ""
        if item is None:
            cards.append(composer.t("feed.card_removed", number=number))
        elif isinstance(item, Walk):
            cards.append(composer.walk_card(session, item, number))
        else:
            cards.append(composer.observation_card(session, item, number, batched))
    if all(item is None for item in items):
        return "\n\n".join(cards)
    hint = composer.t("feed.reply_hint_batch" if batched else "feed.reply_hint")
    return "\n\n".join([*cards, hint])


def compose_post(
    session: Session,
    composer: FeedComposer,
    chat_id: int,
    items: Sequence[Observation | Walk],
    media_dir: Path,
) -> tuple[str, dict[str, Any]]:
    """Return the Bot API method and parameters of one post."""
    batched = len(items) > 1
    text = compose_text(session, composer, items)
    if not batched:
        item = items[0]
        photo: Any = None
        if isinstance(item, Walk):
            # Pillow and the map framing of reports/ come in with the first route drawn.
            from reports.route import draw_route

            points = [(p.lat, p.lon) for p in walks.track(session, item.id)]
            relative = f"{ROUTES}/route-{item.id}.png"
            if draw_route(points, media_dir / relative, composer.language):
                photo = {"path": relative}
        else:
            photo = _photo(item)
        if photo is not None and len(text) <= MAX_CAPTION:
            return "sendPhoto", {
                "chat_id": chat_id,
                "photo": photo,
                "caption": text,
                "parse_mode": "HTML",
            }
    return "sendMessage", {
        "chat_id": chat_id,
        "text": text[:MAX_TEXT],
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
    }


def post_to_group(session: Session, app: Buurtbot, group: TeamGroup, waiting: feed.Due) -> int:
    """Record one post of what is waiting for a group and queue its message; return 1."""
    now = app.clock()
    items: list[Observation | Walk] = [*waiting.observations, *waiting.walks]
    post = feed.record_post(session, group, items, now)
    composer = FeedComposer(app.renderer.translator, _language(session, group))
    method, payload = compose_post(
        session, composer, group.chat_id, items, app.dispatcher.media_dir
    )
    key = f"feed:{post.id}"
    pipeline.enqueue(
        session, [pipeline.OutgoingCall(group.chat_id, method, payload, dedupe_key=key)], now
    )
    post.outbox_id = session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key))
    return 1


def take_back(
    session: Session, composer: FeedComposer, retraction: feed.Retraction, now: datetime
) -> list[pipeline.OutgoingCall]:
    """Take cards back from a post: its message is rewritten without them, or deleted.

    A post not yet sent is rewritten (or dropped) in the outbox. A sent one is edited; a photo
    post, or one with no card left, is first blanked and then deleted (a bot cannot delete a
    message older than 48 hours, so the blanking is what stays then).
    """
    for card in retraction.taken_back:
        card.removed_at = now
    post = retraction.post
    outbox = session.get(OutboxMessage, post.outbox_id) if post.outbox_id else None
    if outbox is None:
        return []
    kept: list[Observation | Walk | None] = [
        None
        if card.removed_at is not None
        else session.get(Observation, card.observation_id)
        if card.observation_id is not None
        else session.get(Walk, card.walk_id)
        if card.walk_id is not None
        else None
        for card in retraction.cards
    ]
    text = compose_text(session, composer, kept)
    left = any(item is not None for item in kept)
    if outbox.status == "pending":
        if not left or outbox.method == "sendPhoto":
            session.delete(outbox)
        else:
            outbox.payload = {**outbox.payload, "text": text[:MAX_TEXT]}
        return []
    message_id = outbox.telegram_message_id
    if outbox.status != "sent" or message_id is None:
        return []
    chat_id = post.chat_id
    target = {"chat_id": chat_id, "message_id": message_id}
    if outbox.method == "sendPhoto":
        blank = composer.t("feed.card_removed", number="")
        return [
            pipeline.OutgoingCall(chat_id, "editMessageCaption", {**target, "caption": blank}),
            pipeline.OutgoingCall(chat_id, "deleteMessage", target),
        ]
    edit = {**target, "text": text[:MAX_TEXT], "parse_mode": "HTML"}
    calls = [pipeline.OutgoingCall(chat_id, "editMessageText", edit)]
    if not left:
        calls.append(pipeline.OutgoingCall(chat_id, "deleteMessage", target))
    return calls


def feed_round(app: Buurtbot) -> int:
    """Post what is due to every linked group and take back what may no longer be shown.

    One transaction; returns how many calls were queued.
    """
    with app.session_factory.begin() as session:
        now = app.clock()
        queued = 0
        for group in feed.linked_groups(session):
            retractions = feed.to_take_back(session, group.chat_id, now)
            if retractions:
                composer = FeedComposer(app.renderer.translator, _language(session, group))
                calls = [call for r in retractions for call in take_back(session, composer, r, now)]
                queued += pipeline.enqueue(session, calls, now)
            waiting = feed.due(session, group, now)
            if waiting:
                queued += post_to_group(session, app, group, waiting)
        return queued


def _language(session: Session, group: TeamGroup) -> str:
    """Return the language of the group's organisation: the team reads its cards in it."""
    organisation = get_organisation(session, group.organisation_id)
    return organisation.language if organisation is not None else "nl"


async def feed_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Run one feed round in a thread; a failure waits for the next round."""
    app: Buurtbot = context.job.data  # type: ignore[union-attr,assignment]
    try:
        posted = await asyncio.to_thread(feed_round, app)
    except Exception as error:  # noqa: BLE001 - the next round tries again
        log.error("team feed round failed: %s", type(error).__name__)
        return
    if posted:
        app.outbox_event.set()
