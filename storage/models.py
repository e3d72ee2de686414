"""Typed SQLAlchemy 2.0 models: the single description of every table."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Store datetimes as UTC and always hand back timezone-aware values."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware datetime")
        value = value.astimezone(UTC)
        # SQLite has no time zone type: keep the UTC wall time so comparisons stay textual.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of all Buurtbot tables."""

    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class Organisation(Base):
    """A social organisation running a neighbourhood analysis."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2), default="nl")
    created_at: Mapped[datetime]
    # When coordinators get the weekly picture: ISO weekday (1 = Monday) and local time.
    digest_weekday: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    digest_time: Mapped[str] = mapped_column(String(5), default="09:00", server_default="09:00")
    # Media and free text older than this are deleted by the retention job.
    retention_months: Mapped[int] = mapped_column(Integer, default=24, server_default="24")
    # The fieldwork round coordinators set with /round: its first day and how many weeks it
    # runs; its report goes to coordinators once the last week is over.
    round_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    round_weeks: Mapped[int] = mapped_column(Integer, default=4, server_default="4")
    # Whether staff may record and edit hypotheses too (coordinators always may).
    staff_hypotheses: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    members: Mapped[list[Member]] = relationship(back_populates="organisation")
    wijken: Mapped[list[OrganisationWijk]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )


class OrganisationWijk(Base):
    """One monitoring wijk that belongs to an organisation's buurt."""

    __tablename__ = "organisation_wijken"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    wijk_code: Mapped[int] = mapped_column(Integer, primary_key=True)

    organisation: Mapped[Organisation] = relationship(back_populates="wijken")


class Member(Base):
    """A Telegram user who joined an organisation with an invite and gave consent."""

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(2))
    consent_version: Mapped[str] = mapped_column(String(40))
    consent_at: Mapped[datetime]
    joined_at: Mapped[datetime]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    invite_id: Mapped[int | None] = mapped_column(
        ForeignKey("invites.id", ondelete="SET NULL"), nullable=True
    )
    # When /undo last removed something: the next /undo then asks before reaching further back.
    last_undo_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # The name the member chose for their team to see (/name); None: the pseudonym is shown.
    display_name: Mapped[str | None] = mapped_column(String(64), nullable=True)

    organisation: Mapped[Organisation] = relationship(back_populates="members")


class Invite(Base):
    """An invite code that lets people join an organisation with one role."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    max_uses: Mapped[int | None] = mapped_column(Integer, nullable=True)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    # No foreign key: members and invites would reference each other in a cycle.
    created_by_member_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class InboxUpdate(Base):
    """A raw Telegram update, committed before Telegram is told it arrived."""

    __tablename__ = "inbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # The payload is cleared once processed: the inbox is a queue, not an archive.
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    status: Mapped[str] = mapped_column(String(10), default="new")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(200), nullable=True)
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None] = mapped_column(nullable=True)

    __table_args__ = (Index("ix_inbox_status_update", "status", "update_id"),)


class OutboxMessage(Base):
    """One Bot API call to make, written in the same transaction as the step that caused it."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    inbox_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    method: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    error: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Set for scheduled messages (reminders, digests) so a job can never queue one twice.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True, nullable=True)

    __table_args__ = (
        Index("ix_outbox_status_chat", "status", "chat_id", "id"),
        Index("ix_outbox_inbox", "inbox_id"),
    )


class ChatState(Base):
    """The flow a private chat is in, its state and its draft: conversation memory."""

    __tablename__ = "chat_states"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    flow: Mapped[str | None] = mapped_column(String(40), nullable=True)
    state: Mapped[str | None] = mapped_column(String(40), nullable=True)
    draft: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Bumped on every step; buttons carry it so a stale or forged button is recognised.
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime]


class CodeAttempt(Base):
    """Wrong invite codes per (hashed) Telegram user in the current window, for rate limiting."""

    __tablename__ = "code_attempts"

    user_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime]
    failures: Mapped[int] = mapped_column(Integer, default=0)


class DeploymentValue(Base):
    """A value the deployment keeps for itself: generated secrets, the bot's username."""

    __tablename__ = "deployment_values"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Walk(Base):
    """A walk through the buurt: its track comes from the walker's shared live location."""

    __tablename__ = "walks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), nullable=True
    )
    author: Mapped[str] = mapped_column(String(40))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None] = mapped_column(nullable=True)
    closed_reason: Mapped[str | None] = mapped_column(String(20), nullable=True)
    focus: Mapped[str | None] = mapped_column(String(20), nullable=True)
    live_message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    live_until: Mapped[datetime | None] = mapped_column(nullable=True)
    last_point_at: Mapped[datetime | None] = mapped_column(nullable=True)
    sharing_stopped_at: Mapped[datetime | None] = mapped_column(nullable=True)
    distance_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    prompts_sent: Mapped[int] = mapped_column(Integer, default=0)

    points: Mapped[list[TrackPoint]] = relationship(
        back_populates="walk", cascade="all, delete-orphan", order_by="TrackPoint.recorded_at"
    )

    __table_args__ = (
        Index("ix_walks_org_started", "organisation_id", "started_at"),
        Index("ix_walks_open", "ended_at", "member_id"),
    )


class TrackPoint(Base):
    """One position of a walk's live location."""

    __tablename__ = "track_points"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    walk_id: Mapped[int] = mapped_column(ForeignKey("walks.id", ondelete="CASCADE"))
    recorded_at: Mapped[datetime]
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    wijk_code: Mapped[int | None] = mapped_column(Integer, nullable=True)

    walk: Mapped[Walk] = relationship(back_populates="points")

    __table_args__ = (
        # An edited live location is an upsert: the same edit twice is one point.
        UniqueConstraint("walk_id", "recorded_at", "lat", "lon", name="uq_track_point"),
    )


class Observation(Base):
    """One thing recorded in the field: a walk note, encounter, key person, missing thing."""

    __tablename__ = "observations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), nullable=True
    )
    # A pseudonym, never a Telegram id or name; exports and digests show only this.
    author: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    theme: Mapped[str | None] = mapped_column(String(20), nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    accuracy_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    location_source: Mapped[str | None] = mapped_column(String(10), nullable=True)
    wijk_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    municipality_nis: Mapped[int | None] = mapped_column(Integer, nullable=True)
    in_brussels: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    in_buurt: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    walk_id: Mapped[int | None] = mapped_column(
        ForeignKey("walks.id", ondelete="SET NULL"), nullable=True
    )
    # The message a note came from: a redelivered or replayed message is stored once.
    chat_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    follow_up_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    follow_up_sent_at: Mapped[datetime | None] = mapped_column(nullable=True)

    media: Mapped[list[MediaFile]] = relationship(
        back_populates="observation", cascade="all, delete-orphan", order_by="MediaFile.id"
    )

    __table_args__ = (
        UniqueConstraint("chat_id", "message_id", name="uq_observation_message"),
        Index("ix_observations_org_created", "organisation_id", "created_at"),
        Index("ix_observations_member_created", "member_id", "created_at"),
        Index("ix_observations_follow_up", "follow_up_on", "follow_up_sent_at"),
        # A walk's notes are counted on every note: without this, a scan of all history.
        Index("ix_observations_walk", "walk_id"),
        # The weekly picture counts each buurt wijk's observations since the start (index only).
        Index("ix_observations_org_wijk", "organisation_id", "wijk_code", "created_at", "kind"),
        # The round report reads one kind over the whole history (the key-person register).
        Index("ix_observations_org_kind", "organisation_id", "kind", "created_at"),
    )


class MediaFile(Base):
    """A photo, voice note or video attached to an observation; downloaded after it is saved."""

    __tablename__ = "media_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # A file belongs to an observation, or is the voice note a hypothesis was recorded as.
    observation_id: Mapped[int | None] = mapped_column(
        ForeignKey("observations.id", ondelete="CASCADE"), nullable=True
    )
    hypothesis_id: Mapped[int | None] = mapped_column(
        ForeignKey("hypotheses.id", ondelete="CASCADE"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(10))
    file_id: Mapped[str] = mapped_column(String(200))
    file_unique_id: Mapped[str] = mapped_column(String(100))
    file_size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    duration: Mapped[int | None] = mapped_column(Integer, nullable=True)
    mime_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # A generated name relative to the media folder; never a name the user chose.
    path: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # pending -> stored, or too_big (over 20 MB, never tried), or failed (gave up after retries).
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When a pending file is tried next (None: at once); kept here so a restart keeps the back-off.
    next_try_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime]

    observation: Mapped[Observation | None] = relationship(back_populates="media")

    __table_args__ = (
        Index("ix_media_status", "status", "id"),
        Index("ix_media_observation", "observation_id"),
        Index("ix_media_hypothesis", "hypothesis_id"),
        Index("ix_media_due", "status", "next_try_at"),
    )


class GeocodeEntry(Base):
    """A cached geocoder answer, so Nominatim is asked at most once per query."""

    __tablename__ = "geocode_cache"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    query: Mapped[str] = mapped_column(String(300), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class Diarist(Base):
    """A member keeping the 30-day diary: enrolment, reminder time, pause and stop."""

    __tablename__ = "diarists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), unique=True
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    consent_version: Mapped[str] = mapped_column(String(40))
    started_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    # Local time "HH:MM" in the deployment's time zone; None means no reminders.
    reminder_time: Mapped[str | None] = mapped_column(String(5), nullable=True)
    paused_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    stopped_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Only the wijk of "home", never the exact point.
    home_wijk: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_reminded_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    summary_sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_diarists_due", "stopped_at", "reminder_time"),)


class Digest(Base):
    """One weekly picture of one organisation: made and sent at most once per ISO week."""

    __tablename__ = "digests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    iso_year: Mapped[int] = mapped_column(Integer)
    iso_week: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Relative path of the HTML file under the media folder.
    path: Mapped[str | None] = mapped_column(String(200), nullable=True)

    __table_args__ = (
        UniqueConstraint("organisation_id", "iso_year", "iso_week", name="uq_digest_week"),
    )


class Survey(Base):
    """A short questionnaire a coordinator designed: its questions, translations and status."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    # What follows "s_" in the t.me link; random, so surveys cannot be guessed in turn.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    # draft -> open -> closed
    status: Mapped[str] = mapped_column(String(10), default="draft")
    # One object per question: type, theme, text per language, options per language.
    questions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    opened_at: Mapped[datetime | None] = mapped_column(nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # No foreign key: a forgotten coordinator's surveys stay with the organisation.
    created_by_member_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class SurveyResponse(Base):
    """Links one person's answers (an observation) to a survey under a keyed respondent hash.

    The key is an HMAC of the survey and the Telegram user (storage/surveys.py): it finds a
    person's response again and keeps them to one, but no Telegram id is stored with it.
    """

    __tablename__ = "survey_responses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    respondent_key: Mapped[str] = mapped_column(String(64))
    observation_id: Mapped[int] = mapped_column(
        ForeignKey("observations.id", ondelete="CASCADE"), unique=True
    )

    __table_args__ = (UniqueConstraint("survey_id", "respondent_key", name="uq_survey_respondent"),)


class RoundReport(Base):
    """One round's report of one organisation: sent at most once per round (its first day)."""

    __tablename__ = "round_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    round_start: Mapped[date] = mapped_column(Date)
    round_end: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Relative path of the HTML file under the media folder.
    path: Mapped[str | None] = mapped_column(String(200), nullable=True)

    __table_args__ = (UniqueConstraint("organisation_id", "round_start", name="uq_round_report"),)


class Hypothesis(Base):
    """A hypothesis about the buurt the team tests in the field (round 2 of the method)."""

    __tablename__ = "hypotheses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    author_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), nullable=True
    )
    # Empty while a hypothesis recorded as a voice note has no words yet.
    statement: Mapped[str] = mapped_column(Text, default="")
    # Theme names (storage/themes.py) and mdrc wijk codes it concerns, in the order chosen.
    themes: Mapped[list[str]] = mapped_column(JSON, default=list)
    wijken: Mapped[list[int]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)

    __table_args__ = (Index("ix_hypotheses_org_status", "organisation_id", "status"),)


class HypothesisLink(Base):
    """An observation marked as supporting or contradicting a hypothesis."""

    __tablename__ = "hypothesis_links"

    hypothesis_id: Mapped[int] = mapped_column(
        ForeignKey("hypotheses.id", ondelete="CASCADE"), primary_key=True
    )
    observation_id: Mapped[int] = mapped_column(
        ForeignKey("observations.id", ondelete="CASCADE"), primary_key=True
    )
    verdict: Mapped[str] = mapped_column(String(12))
    marked_at: Mapped[datetime]
    marked_by_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), nullable=True
    )

    __table_args__ = (Index("ix_hypothesis_links_observation", "observation_id"),)


class TeamGroup(Base):
    """A team's Telegram group: once a coordinator confirms the link, the feed is posted there."""

    __tablename__ = "team_groups"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    requested_by_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), nullable=True
    )
    requested_at: Mapped[datetime]
    # None while the coordinator has not confirmed the link in their private chat.
    linked_at: Mapped[datetime | None] = mapped_column(nullable=True)


class FeedPost(Base):
    """One message of the team feed in a group: one card, or a batch of cards in busy times."""

    __tablename__ = "feed_posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    created_at: Mapped[datetime]
    # When the oldest thing it shows was noted: what is due is looked for from about then on.
    oldest_at: Mapped[datetime]
    # The outbox call that carries it: its Telegram message id tells which post a reply is to.
    outbox_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)

    __table_args__ = (Index("ix_feed_posts_chat_created", "chat_id", "created_at"),)


class FeedItem(Base):
    """One card of a feed post: an observation, or a walk that ended (its route)."""

    __tablename__ = "feed_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("feed_posts.id", ondelete="CASCADE"))
    # The card's number in its post (1 when the post holds one card).
    position: Mapped[int] = mapped_column(Integer)
    # Both None once what the card showed is gone (/undo, /forget): the card is then taken back.
    observation_id: Mapped[int | None] = mapped_column(
        ForeignKey("observations.id", ondelete="SET NULL"), nullable=True, unique=True
    )
    walk_id: Mapped[int | None] = mapped_column(
        ForeignKey("walks.id", ondelete="SET NULL"), nullable=True, unique=True
    )
    # When the card was taken back from the group (its observation gone or no longer shareable).
    removed_at: Mapped[datetime | None] = mapped_column(nullable=True)

    __table_args__ = (Index("ix_feed_items_post", "post_id"),)


class FeedComment(Base):
    """A team member's reply to a feed card, kept with the observation (or walk) it is about."""

    __tablename__ = "feed_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    observation_id: Mapped[int | None] = mapped_column(
        ForeignKey("observations.id", ondelete="CASCADE"), nullable=True, index=True
    )
    walk_id: Mapped[int | None] = mapped_column(
        ForeignKey("walks.id", ondelete="CASCADE"), nullable=True, index=True
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    # The group message it came from: a redelivered reply is stored once.
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (UniqueConstraint("chat_id", "message_id", name="uq_feed_comment_message"),)


class FileJob(Base):
    """A file to make outside the step that asked for it: an export, a picture, a round report.

    The step records the job in its own transaction and answers at once; a file worker
    (bot/runtime/filejobs.py) makes the file with a read session and queues it in one short
    write transaction.
    """

    __tablename__ = "file_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    # Who asked and where the file goes; both None for a scheduled picture or round report,
    # which goes to every active coordinator.
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), nullable=True
    )
    chat_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # What to make (format, period, week ...), as the kind's maker reads it; kept on failure.
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    # Tries begun so far; also the claim's token, so a worker whose lease ran out cannot
    # finish a job another worker took over.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime]
    lease_until: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)
    error: Mapped[str | None] = mapped_column(String(100), nullable=True)

    __table_args__ = (
        Index("ix_file_jobs_status", "status", "not_before"),
        Index("ix_file_jobs_member", "member_id"),
    )


__all__ = [
    "Base",
    "Diarist",
    "Digest",
    "FeedComment",
    "FeedItem",
    "FeedPost",
    "FileJob",
    "GeocodeEntry",
    "Hypothesis",
    "HypothesisLink",
    "MediaFile",
    "Observation",
    "TrackPoint",
    "Walk",
    "ChatState",
    "CodeAttempt",
    "DeploymentValue",
    "InboxUpdate",
    "Invite",
    "Member",
    "Organisation",
    "OrganisationWijk",
    "OutboxMessage",
    "Survey",
    "SurveyResponse",
    "RoundReport",
    "TeamGroup",
    "UTCDateTime",
]
