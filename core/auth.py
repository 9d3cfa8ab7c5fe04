"""Staff login: passwords, lockout counted in the database, server-side sessions.

streamlit-authenticator draws the form and keeps the signed cookie; what it cannot be trusted
with (ARCHITECTURE.md) lives here:
- failed logins are rows in login_attempt: 5 failures in 15 minutes lock that username for
  15 minutes, across restarts and processes, known username or not (so a lock says nothing
  about whether the account exists);
- every cookie is backed by a login_session row; logout, disabling the account, a password
  change or a role change revoke it, and `resume_session` refuses it on the next rerun;
- roles are read from the staff table on every run.
"""
from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from datetime import datetime, timedelta
from functools import lru_cache

import bcrypt
import jwt
import sqlalchemy as sa

from core import audit
from core.actor import Actor
from core.clock import utcnow
from core.errors import PermissionDenied, ValidationError
from core.i18n import LANGUAGES, N_
from core.permissions import Action, require
from core.uow import UnitOfWork
from db.models import LoginAttempt, LoginSession, Staff

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_DURATION = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=5)
MIN_PASSWORD_LENGTH = 10
BCRYPT_ROUNDS = 12
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


# --- names and passwords ----------------------------------------------------------------------

def normalize_username(raw: str) -> str:
    # NFKC folds full-width and compatibility forms; the allowed alphabet (ASCII) then rules
    # out look-alike letters from other scripts.
    return unicodedata.normalize("NFKC", raw or "").strip().lower()


def validate_username(raw: str) -> str:
    name = normalize_username(raw)
    if not USERNAME_RE.match(name):
        raise ValidationError(N_("A username is 2-64 characters: lower-case letters a-z, "
                                 "digits, dot, dash or underscore, starting with a letter "
                                 "or digit."))
    return name


def validate_password(password: str, username: str = "") -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError(N_("A password needs at least {n} characters."),
                              n=MIN_PASSWORD_LENGTH)
    if password != password.strip():
        raise ValidationError(N_("A password cannot start or end with a space."))
    if username and username.lower() in password.lower():
        raise ValidationError(N_("A password cannot contain the username."))
    if len(set(password)) < 4:
        raise ValidationError(N_("This password is too easy to guess; use a longer mix of "
                                 "characters."))
    if len(password.encode()) > 72:
        raise ValidationError(N_("A password can be at most 72 bytes long."))


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(BCRYPT_ROUNDS)).decode()


def check_password(password: str, password_hash: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode(), password_hash.encode())
    except ValueError:
        return False


def password_matches(password: str | None, password_hash: str | None) -> bool:
    """The login form's check: always one bcrypt comparison of the same cost, whether the
    account exists (password_hash None: it does not, or is disabled) or the password is too
    long for bcrypt, so that neither the answer nor its time tells who has an account."""
    candidate = password or ""
    if password_hash is None or len(candidate.encode()) > 72:
        check_password("-", unmatchable_hash())
        return False
    return check_password(candidate, password_hash)


@lru_cache(maxsize=1)
def unmatchable_hash() -> str:
    """A real bcrypt hash nobody knows the password of: a locked account's stand-in, and the
    check run for unknown usernames so they take as long as wrong passwords."""
    import secrets
    return hash_password(secrets.token_urlsafe(32))


# --- lockout ----------------------------------------------------------------------------------

def _recent_failures(uow: UnitOfWork, now: datetime) -> dict[str, tuple[int, datetime]]:
    """username -> (failures since its last success within the window, latest failure)."""
    since = now - max(FAILURE_WINDOW, LOCK_DURATION)
    rows = uow.session.execute(
        sa.select(LoginAttempt.username, LoginAttempt.attempted_at, LoginAttempt.succeeded)
        .where(LoginAttempt.attempted_at >= since)
        .order_by(LoginAttempt.attempted_at)).all()
    out: dict[str, tuple[int, datetime]] = {}
    for username, at, ok in rows:
        if ok:
            out.pop(username, None)
        else:
            count, _ = out.get(username, (0, at))
            out[username] = (count + 1, at)
    return out


def locked_usernames(uow: UnitOfWork, now: datetime | None = None) -> dict[str, datetime]:
    """username -> locked until."""
    now = now or utcnow()
    locked = {}
    for username, (count, last) in _recent_failures(uow, now).items():
        if count >= MAX_FAILURES and last + LOCK_DURATION > now:
            locked[username] = last + LOCK_DURATION
    return locked


def record_failed_login(uow: UnitOfWork, username: str) -> datetime | None:
    """Counts a failure; returns the time the username is locked until, if it now is."""
    # as typed (no account has such a name), but storable: PostgreSQL text holds no NUL
    name = normalize_username(username).replace("\x00", "\ufffd")[:64]
    with uow:
        uow.session.add(LoginAttempt(username=name, succeeded=False))
        uow.commit()
    with uow.reader() as r:
        return locked_usernames(r).get(name)


# --- the authenticator's view of the staff table ------------------------------------------------

def login_credentials(uow: UnitOfWork) -> dict:
    """A fresh credentials dict for streamlit-authenticator (it mutates what it is given).

    Disabled staff are absent; locked usernames get a hash no password matches, so that the
    library refuses them through the same path (and in the same time) as a wrong password."""
    unmatchable_hash()  # made before anyone is timed: the first unknown name is no slower
    with uow.reader() as r:
        locked = locked_usernames(r)
        staff = r.session.scalars(sa.select(Staff).where(Staff.active.is_(True))).all()
        users = {
            s.username: {
                "name": s.display_name,
                "email": s.email or "",
                "password": unmatchable_hash() if s.username in locked else s.password_hash,
                "roles": [],  # roles are read per run from the database, not from here
            }
            for s in staff
        }
    return {"usernames": users}


# --- sessions ---------------------------------------------------------------------------------

def session_key(username: str, cookie_expiry: float) -> str:
    """Ties a server session to one signed cookie (its username and expiry claim)."""
    return hashlib.sha256(f"{normalize_username(username)}\n{cookie_expiry!r}".encode()).hexdigest()


def session_key_from_cookie(token: str | None, secret: str,
                            now: datetime | None = None) -> str | None:
    """The session key a login cookie claims, if its signature and claims are sound.

    Anything else (another key, no or non-numeric or past expiry, no username) is None:
    the caller then treats the browser as logged out."""
    if not token:
        return None
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"])
    except jwt.PyJWTError:
        return None
    username, expiry = claims.get("username"), claims.get("exp_date")
    if not isinstance(username, str) or isinstance(expiry, bool) \
            or not isinstance(expiry, (int, float)) or not math.isfinite(expiry):
        return None  # JSON allows NaN and Infinity, which never compare as past
    now_ts = (now or datetime.now()).timestamp()
    if expiry <= now_ts:
        return None
    return session_key(username, expiry)


def start_session(uow: UnitOfWork, username: str, key: str) -> Actor:
    """Called after the password was accepted: records the success and opens the session."""
    name = normalize_username(username)
    now = utcnow()
    with uow:
        staff = uow.session.scalar(sa.select(Staff).where(Staff.username == name))
        if staff is None or not staff.active:
            raise PermissionDenied(N_("Wrong username or password."))
        if name in locked_usernames(uow, now):
            raise PermissionDenied(N_("Too many failed attempts. This username is locked for "
                                      "{minutes} minutes."),
                                   minutes=int(LOCK_DURATION.total_seconds() // 60))
        uow.session.add(LoginAttempt(username=name, succeeded=True))
        uow.session.add(LoginSession(staff_id=staff.id, token_hash=key,
                                     expires_at=now + SESSION_LIFETIME))
        actor = _actor(staff)
        audit.record(uow, actor, "login", "staff", staff.id)
        uow.commit()
    return actor


def resume_session(uow: UnitOfWork, key: str | None) -> Actor | None:
    """The actor behind a live session, read fresh from the database; None if it has ended."""
    if not key:
        return None
    now = utcnow()
    with uow.reader() as r:
        row = r.session.execute(
            sa.select(LoginSession, Staff).join(Staff, Staff.id == LoginSession.staff_id)
            .where(LoginSession.token_hash == key)).first()
        if row is None:
            return None
        sess, staff = row
        if (sess.revoked_at is not None or sess.expires_at <= now or not staff.active
                or sess.created_at < staff.password_changed_at):
            return None
        actor = _actor(staff)
        stale = now - sess.last_seen_at > TOUCH_EVERY
    if stale:
        with uow:
            uow.session.execute(sa.update(LoginSession).where(LoginSession.token_hash == key)
                                .values(last_seen_at=now))
            uow.commit()
    return actor


def end_session(uow: UnitOfWork, key: str, reason: str = "logout") -> None:
    with uow:
        sess = uow.session.scalar(sa.select(LoginSession).where(LoginSession.token_hash == key))
        if sess is None or sess.revoked_at is not None:
            return
        sess.revoked_at, sess.revoke_reason = utcnow(), reason
        audit.record(uow, None, reason, "staff", sess.staff_id, actor_id=sess.staff_id)
        uow.commit()


def revoke_sessions(uow: UnitOfWork, staff_id: int, reason: str) -> int:
    """Ends every live session of one person; call inside the caller's transaction."""
    result = uow.session.execute(
        sa.update(LoginSession)
        .where(LoginSession.staff_id == staff_id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoke_reason=reason))
    return result.rowcount or 0


def _actor(staff: Staff) -> Actor:
    return Actor(staff_id=staff.id, username=staff.username, display_name=staff.display_name,
                 roles=staff.role_set, language=staff.language.value,
                 must_change_password=staff.must_change_password)


# --- the user's own account -------------------------------------------------------------------

def change_own_password(uow: UnitOfWork, actor: Actor, current: str, new: str,
                        repeat: str) -> None:
    require(actor, Action.ACCOUNT_SELF)
    if new != repeat:
        raise ValidationError(N_("The two new passwords are not the same."))
    validate_password(new, actor.username)
    with uow:
        staff = uow.session.get(Staff, actor.staff_id)
        if staff is None or not check_password(current, staff.password_hash):
            raise ValidationError(N_("The current password is not right."))
        if check_password(new, staff.password_hash):
            raise ValidationError(N_("The new password must differ from the current one."))
        staff.password_hash = hash_password(new)
        staff.must_change_password = False
        # strictly later than every existing session, so all of them end
        staff.password_changed_at = utcnow() + timedelta(microseconds=1)
        revoke_sessions(uow, staff.id, "password_changed")
        audit.record(uow, actor, "password_changed", "staff", staff.id)
        uow.commit()


def set_language(uow: UnitOfWork, actor: Actor, language: str) -> None:
    require(actor, Action.ACCOUNT_SELF)
    if language not in LANGUAGES:
        raise ValidationError(N_("Unknown language: {language}."), language=language)
    with uow:
        staff = uow.session.get(Staff, actor.staff_id)
        if staff is None:
            raise PermissionDenied(N_("Your account no longer exists."))
        old = staff.language.value
        if old != language:
            staff.language = language
            audit.record(uow, actor, "language_changed", "staff", staff.id,
                         {"language": old}, {"language": language})
            uow.commit()
