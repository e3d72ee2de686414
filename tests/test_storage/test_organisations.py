"""Organisations, invites and members in the database."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from storage import organisations as orgs


def test_created_organisation_keeps_its_buurt(
    session_factory: sessionmaker[Session], now: datetime
) -> None:
    with session_factory.begin() as session:
        org = orgs.create_organisation(session, " Buurtwerk Noord ", now, "fr", [37, 1, 37])
        org_id = org.id
    with session_factory() as session:
        org = orgs.get_organisation(session, org_id)
        assert org is not None
        assert org.name == "Buurtwerk Noord"
        assert org.language == "fr"
        assert sorted(w.wijk_code for w in org.wijken) == [1, 37]
        assert org.created_at == now


def test_invite_codes_are_long_random_and_unambiguous(session_factory, now) -> None:
    with session_factory.begin() as session:
        org = orgs.create_organisation(session, "A", now)
        codes = {
            orgs.create_invite(session, org.id, "staff", now, timedelta(days=1)).code
            for _ in range(50)
        }
    assert len(codes) == 50
    for code in codes:
        assert len(code) == orgs.CODE_LENGTH
        assert set(code) <= set(orgs.CODE_ALPHABET)
        assert not set(code) & set("O0I1L")


def test_single_use_invite_is_used_up_after_one_join(session_factory, now) -> None:
    with session_factory.begin() as session:
        org = orgs.create_organisation(session, "A", now)
        invite = orgs.create_invite(session, org.id, "resident", now, timedelta(days=1), 1)
        check = orgs.check_invite(session, invite.code.lower(), now)
        assert check.problem is None
        member = orgs.join_with_invite(session, check.invite, 42, "nl", "resident-v", now)
        assert member.role == "resident"
        assert orgs.check_invite(session, invite.code, now).problem == orgs.InviteProblem.USED_UP


def test_multi_use_invite_works_until_it_expires(session_factory, now) -> None:
    with session_factory.begin() as session:
        org = orgs.create_organisation(session, "A", now)
        invite = orgs.create_invite(session, org.id, "volunteer", now, timedelta(hours=2), None)
        for user in range(5):
            check = orgs.check_invite(session, invite.code, now)
            orgs.join_with_invite(session, check.invite, 100 + user, "en", "v", now)
        assert orgs.check_invite(session, invite.code, now).problem is None
        later = now + timedelta(hours=2)
        assert orgs.check_invite(session, invite.code, later).problem == orgs.InviteProblem.EXPIRED


def test_unknown_and_revoked_codes_are_reported(session_factory, now) -> None:
    with session_factory.begin() as session:
        org = orgs.create_organisation(session, "A", now)
        invite = orgs.create_invite(session, org.id, "staff", now, timedelta(days=1))
        invite.revoked = True
        assert orgs.check_invite(session, "NOPE", now).problem == orgs.InviteProblem.UNKNOWN
        assert orgs.check_invite(session, "", now).problem == orgs.InviteProblem.UNKNOWN
        assert orgs.check_invite(session, invite.code, now).problem == orgs.InviteProblem.REVOKED


def test_a_telegram_user_is_member_of_one_organisation_only(session_factory, now) -> None:
    with pytest.raises(IntegrityError), session_factory.begin() as session:
        org = orgs.create_organisation(session, "A", now)
        invite = orgs.create_invite(session, org.id, "staff", now, timedelta(days=1), None)
        orgs.join_with_invite(session, invite, 7, "nl", "v", now)
        orgs.join_with_invite(session, invite, 7, "nl", "v", now)


def test_wrong_codes_lock_out_after_the_limit_until_the_window_ends(session_factory, now) -> None:
    window = timedelta(minutes=15)
    with session_factory.begin() as session:
        for _ in range(4):
            orgs.record_wrong_code(session, "h", now, window)
        assert orgs.lockout_remaining(session, "h", now, 5, window) is None
        orgs.record_wrong_code(session, "h", now + timedelta(minutes=1), window)
        wait = orgs.lockout_remaining(session, "h", now + timedelta(minutes=5), 5, window)
        assert wait == timedelta(minutes=10)
        assert orgs.lockout_remaining(session, "h", now + window, 5, window) is None
        assert orgs.purge_code_attempts(session, now + 2 * window, window) == 1


def test_bad_values_are_refused(session_factory, now) -> None:
    with session_factory.begin() as session:
        org = orgs.create_organisation(session, "A", now)
        with pytest.raises(ValueError):
            orgs.create_organisation(session, "  ", now)
        with pytest.raises(ValueError):
            orgs.create_invite(session, org.id, "boss", now, timedelta(days=1))
        with pytest.raises(ValueError):
            orgs.create_invite(session, org.id, "staff", now, timedelta(days=1), 0)
