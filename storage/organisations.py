"""Organisations, their buurt, members and invites."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.orm import Session

from storage.models import CodeAttempt, Invite, Member, Organisation, OrganisationWijk

ROLES = ("coordinator", "staff", "volunteer", "resident")
LANGUAGES = ("nl", "fr", "en")
# Unambiguous characters only: codes are sometimes typed from a poster.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 14


class InviteProblem(StrEnum):
    """Why an invite code cannot be used."""

    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED_UP = "used_up"
    REVOKED = "revoked"


@dataclass(frozen=True)
class InviteCheck:
    """The outcome of looking up an invite code."""

    invite: Invite | None
    problem: InviteProblem | None


def create_organisation(
    session: Session,
    name: str,
    now: datetime,
    language: str = "nl",
    wijken: Sequence[int] = (),
) -> Organisation:
    """Create an organisation with its buurt's wijken."""
    name = name.strip()
    if not name:
        raise ValueError("the organisation needs a name")
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    organisation = Organisation(name=name, language=language, created_at=now)
    organisation.wijken = [OrganisationWijk(wijk_code=code) for code in sorted(set(wijken))]
    session.add(organisation)
    session.flush()
    return organisation


def get_organisation(session: Session, organisation_id: int) -> Organisation | None:
    """Return the organisation with this id, if any."""
    return session.get(Organisation, organisation_id)


def generate_code() -> str:
    """Return a long random invite code that is easy to type."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def create_invite(
    session: Session,
    organisation_id: int,
    role: str,
    now: datetime,
    valid_for: timedelta,
    max_uses: int | None = 1,
    created_by_member_id: int | None = None,
) -> Invite:
    """Create an invite; max_uses None means anyone with the code may join until it expires."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if max_uses is not None and max_uses < 1:
        raise ValueError("an invite needs at least one use")
    if valid_for <= timedelta(0):
        raise ValueError("an invite must be valid for some time")
    invite = Invite(
        code=generate_code(),
        organisation_id=organisation_id,
        role=role,
        created_at=now,
        expires_at=now + valid_for,
        max_uses=max_uses,
        uses=0,
        revoked=False,
        created_by_member_id=created_by_member_id,
    )
    session.add(invite)
    session.flush()
    return invite


def normalise_code(text: str) -> str:
    """Return a typed code in its stored form (case, spaces and dashes forgiven)."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def check_invite(session: Session, code: str, now: datetime) -> InviteCheck:
    """Look up a code and say whether it can be used now."""
    code = normalise_code(code)
    if not code or len(code) > 64:
        return InviteCheck(None, InviteProblem.UNKNOWN)
    invite = session.scalar(select(Invite).where(Invite.code == code))
    if invite is None:
        return InviteCheck(None, InviteProblem.UNKNOWN)
    if invite.revoked:
        return InviteCheck(invite, InviteProblem.REVOKED)
    if invite.expires_at <= now:
        return InviteCheck(invite, InviteProblem.EXPIRED)
    if invite.max_uses is not None and invite.uses >= invite.max_uses:
        return InviteCheck(invite, InviteProblem.USED_UP)
    return InviteCheck(invite, None)


def get_member(session: Session, telegram_user_id: int) -> Member | None:
    """Return the member with this Telegram user id, if any."""
    return session.scalar(select(Member).where(Member.telegram_user_id == telegram_user_id))


def member_by_id(session: Session, member_id: int) -> Member | None:
    """Return a member by their own id."""
    return session.get(Member, member_id)


def join_with_invite(
    session: Session,
    invite: Invite,
    telegram_user_id: int,
    language: str,
    consent_version: str,
    now: datetime,
) -> Member:
    """Use one invite to make a member who consented to the given text version."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    invite.uses += 1
    member = Member(
        telegram_user_id=telegram_user_id,
        organisation_id=invite.organisation_id,
        role=invite.role,
        language=language,
        consent_version=consent_version,
        consent_at=now,
        joined_at=now,
        active=True,
        invite_id=invite.id,
    )
    session.add(member)
    session.flush()
    return member


def set_member_language(session: Session, member: Member, language: str) -> None:
    """Change the language a member reads the bot in."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    member.language = language


def mark_member_inactive(session: Session, telegram_user_id: int) -> bool:
    """Mark a member who blocked the bot as inactive; return whether one was found."""
    member = get_member(session, telegram_user_id)
    if member is None:
        return False
    member.active = False
    return True


def mark_member_active(session: Session, telegram_user_id: int) -> None:
    """Mark a member active again when they write to the bot."""
    member = get_member(session, telegram_user_id)
    if member is not None and not member.active:
        member.active = True


def organisation_members(session: Session, organisation_id: int) -> list[Member]:
    """Return an organisation's members, oldest first."""
    return list(
        session.scalars(
            select(Member).where(Member.organisation_id == organisation_id).order_by(Member.id)
        )
    )


def count_members(session: Session, organisation_id: int) -> int:
    """Return how many members an organisation has."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Member)
            .where(Member.organisation_id == organisation_id)
        )
        or 0
    )


def lockout_remaining(
    session: Session, user_hash: str, now: datetime, max_failures: int, window: timedelta
) -> timedelta | None:
    """Return how long this user must wait before trying another code, or None."""
    attempt = session.get(CodeAttempt, user_hash)
    if attempt is None or attempt.window_start + window <= now:
        return None
    if attempt.failures < max_failures:
        return None
    return attempt.window_start + window - now


def record_wrong_code(session: Session, user_hash: str, now: datetime, window: timedelta) -> int:
    """Count one wrong code in the user's current window; return the failures in it."""
    attempt = session.get(CodeAttempt, user_hash)
    if attempt is None:
        attempt = CodeAttempt(user_hash=user_hash, window_start=now, failures=0)
        session.add(attempt)
    elif attempt.window_start + window <= now:
        attempt.window_start = now
        attempt.failures = 0
    attempt.failures += 1
    session.flush()
    return attempt.failures


def purge_code_attempts(session: Session, now: datetime, window: timedelta) -> int:
    """Delete wrong-code counters whose window is over."""
    result = cast(
        CursorResult[Any],
        session.execute(delete(CodeAttempt).where(CodeAttempt.window_start < now - window)),
    )
    return result.rowcount or 0


MAX_DISPLAY_NAME = 64


def clean_display_name(text: str | None) -> str | None:
    """Return a typed name as it is kept: one line, trimmed, at most 64 characters; or None."""
    if not text:
        return None
    name = " ".join(text.split())[:MAX_DISPLAY_NAME].strip()
    return name or None


def set_display_name(session: Session, member: Member, name: str | None) -> None:
    """Set (or, with None, remove) the name the member's team sees."""
    member.display_name = clean_display_name(name)
    session.flush()


def open_invites(session: Session, organisation_id: int, now: datetime) -> list[Invite]:
    """Return an organisation's invites that can still be used, newest first."""
    invites = session.scalars(
        select(Invite)
        .where(
            Invite.organisation_id == organisation_id,
            Invite.revoked.is_(False),
            Invite.expires_at > now,
        )
        .order_by(Invite.id.desc())
    )
    return [i for i in invites if i.max_uses is None or i.uses < i.max_uses]


def revoke_invite(session: Session, organisation_id: int, invite_id: int) -> Invite | None:
    """Revoke one of an organisation's invites; return it (None if it is not theirs)."""
    invite = session.get(Invite, invite_id)
    if invite is None or invite.organisation_id != organisation_id:
        return None
    invite.revoked = True
    session.flush()
    return invite
