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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from telegram.ext import ContextTypes

import geo
from bot.dispatch.i18n import Translator
from bot.dispatch.render import MAX_CAPTION, MAX_TEXT
from flows.engine import Text
from reports.route import draw_route
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


def compose_post(
    session: Session,
    composer: FeedComposer,
    chat_id: int,
    items: Sequence[Observation | Walk],
    media_dir: Path,
) -> tuple[str, dict[str, Any]]:
    """Return the Bot API method and parameters of one post."""
    batched = len(items) > 1
    cards = []
    for position, item in enumerate(items, start=1):
        number = f"{position}. " if batched else ""
        if isinstance(item, Walk):
            cards.append(composer.walk_card(session, item, number))
        else:
            cards.append(composer.observation_card(session, item, number, batched))
    hint = composer.t("feed.reply_hint_batch" if batched else "feed.reply_hint")
    text = "\n\n".join([*cards, hint])
    if not batched:
        item = items[0]
        photo: Any = None
        if isinstance(item, Walk):
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
    organisation = get_organisation(session, group.organisation_id)
    language = organisation.language if organisation is not None else "nl"
    composer = FeedComposer(app.renderer.translator, language)
    method, payload = compose_post(
        session, composer, group.chat_id, items, app.dispatcher.media_dir
    )
    key = f"feed:{post.id}"
    pipeline.enqueue(
        session, [pipeline.OutgoingCall(group.chat_id, method, payload, dedupe_key=key)], now
    )
    post.outbox_id = session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key))
    return 1


def feed_round(app: Buurtbot) -> int:
    """Post what is due to every linked group, in one transaction; return how many posts."""
    with app.session_factory.begin() as session:
        now = app.clock()
        posted = 0
        for group in feed.linked_groups(session):
            waiting = feed.due(session, group, now)
            if waiting:
                posted += post_to_group(session, app, group, waiting)
        return posted


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
