"""Lockout in the database, server-side sessions, roles read fresh on every run."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core import auth
from core.clock import utcnow
from core.errors import PermissionDenied, ValidationError
from core.vocabulary import Role
from db.models import LoginSession, Staff, StaffRole
from tests.conftest import PASSWORD


def login(uow, username: str, expiry: float = 1e10) -> str:
    key = auth.session_key(username, expiry)
    auth.start_session(uow, username, key)
    return key


def test_five_failures_lock_the_username_for_fifteen_minutes(uow, make_staff):
    make_staff("agent", Role.AGENT)
    for _ in range(4):
        assert auth.record_failed_login(uow, "agent") is None
    locked_until = auth.record_failed_login(uow, "agent")
    assert locked_until is not None
    assert timedelta(minutes=14) < locked_until - utcnow() <= timedelta(minutes=15)
    # the right password no longer helps: the authenticator gets a hash nobody matches
    creds = auth.login_credentials(uow)["usernames"]["agent"]
    assert not auth.check_password(PASSWORD, creds["password"])
    with pytest.raises(PermissionDenied):
        login(uow, "agent")
    # and the lock holds across restarts: it is only rows in the database
    with uow.reader() as r:
        assert "agent" in auth.locked_usernames(r)
        assert "agent" not in auth.locked_usernames(r, utcnow() + timedelta(minutes=16))


def test_unknown_usernames_lock_the_same_way(uow):
    for _ in range(5):
        until = auth.record_failed_login(uow, "nobody")
    assert until is not None  # same answer as for a real account: no enumeration


def test_success_resets_the_count(uow, make_staff):
    make_staff("agent", Role.AGENT)
    for _ in range(4):
        auth.record_failed_login(uow, "agent")
    login(uow, "agent")
    for _ in range(4):
        assert auth.record_failed_login(uow, "agent") is None


def test_login_usernames_are_case_and_space_insensitive(uow, make_staff):
    make_staff("agent", Role.AGENT)
    for _ in range(5):
        auth.record_failed_login(uow, "  AGENT ")
    with uow.reader() as r:
        assert "agent" in auth.locked_usernames(r)


def test_credentials_hold_active_staff_only(uow, make_staff):
    make_staff("agent", Role.AGENT)
    make_staff("gone", Role.AGENT)
    with uow:
        uow.session.scalar(sa.select(Staff).where(Staff.username == "gone")).active = False
        uow.commit()
    users = auth.login_credentials(uow)["usernames"]
    assert set(users) == {"agent"}
    assert auth.check_password(PASSWORD, users["agent"]["password"])


def test_session_resumes_until_logout(uow, make_staff):
    agent = make_staff("agent", Role.AGENT)
    key = login(uow, "agent")
    assert auth.resume_session(uow, key) == agent
    auth.end_session(uow, key)
    assert auth.resume_session(uow, key) is None
    assert auth.resume_session(uow, "no-such-key") is None
    assert auth.resume_session(uow, None) is None


def test_disabling_ends_sessions_at_next_run(uow, make_staff):
    make_staff("agent", Role.AGENT)
    key = login(uow, "agent")
    with uow:
        uow.session.scalar(sa.select(Staff).where(Staff.username == "agent")).active = False
        uow.commit()
    assert auth.resume_session(uow, key) is None


def test_roles_are_read_fresh_on_every_run(uow, make_staff):
    make_staff("sam", Role.AGENT, Role.SUPERVISOR)
    key = login(uow, "sam")
    assert auth.resume_session(uow, key).roles == {Role.AGENT, Role.SUPERVISOR}
    with uow:
        uow.session.execute(sa.delete(StaffRole).where(StaffRole.role == Role.SUPERVISOR))
        uow.commit()
    assert auth.resume_session(uow, key).roles == {Role.AGENT}


def test_password_change_ends_every_session(uow, make_staff):
    agent = make_staff("agent", Role.AGENT)
    first, second = login(uow, "agent", 1e10), login(uow, "agent", 2e10)
    auth.change_own_password(uow, agent, PASSWORD, "Another-pass-77", "Another-pass-77")
    assert auth.resume_session(uow, first) is None
    assert auth.resume_session(uow, second) is None
    assert auth.resume_session(uow, login(uow, "agent", 3e10)) is not None


def test_password_change_checks_the_current_password(uow, make_staff):
    agent = make_staff("agent", Role.AGENT)
    key = login(uow, "agent")
    with pytest.raises(ValidationError):
        auth.change_own_password(uow, agent, "wrong-password", "Another-pass-77",
                                 "Another-pass-77")
    with pytest.raises(ValidationError):
        auth.change_own_password(uow, agent, PASSWORD, "Another-pass-77", "Another-pass-78")
    assert auth.resume_session(uow, key) is not None  # nothing changed


def test_expired_session_is_refused(uow, make_staff):
    make_staff("agent", Role.AGENT)
    key = login(uow, "agent")
    with uow:
        uow.session.execute(sa.update(LoginSession).values(
            expires_at=utcnow() - timedelta(seconds=1)))
        uow.commit()
    assert auth.resume_session(uow, key) is None


def test_disabled_user_cannot_start_a_session(uow, make_staff):
    make_staff("agent", Role.AGENT)
    with uow:
        uow.session.scalar(sa.select(Staff).where(Staff.username == "agent")).active = False
        uow.commit()
    with pytest.raises(PermissionDenied):
        login(uow, "agent")


def test_language_is_stored_per_user(uow, make_staff):
    agent = make_staff("agent", Role.AGENT)
    key = login(uow, "agent")
    auth.set_language(uow, agent, "zh_CN")
    assert auth.resume_session(uow, key).language == "zh_CN"
    with pytest.raises(ValidationError):
        auth.set_language(uow, agent, "klingon")
