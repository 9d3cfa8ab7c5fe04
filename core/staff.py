"""Staff accounts: creation (admins, the first-run setup and manage.py) and the Staff tab of
Administration: list, edit, disable / enable, reset password.

Rules kept here, whatever screen or script calls:
- nobody changes their own roles, disables themselves or resets their own password here (their
  own password is changed on My account, which asks for the current one);
- the last active admin keeps the admin role and stays active: the active admins' rows are
  locked before they are counted, so two admins demoting each other at the same moment on
  PostgreSQL queue up and the second one is refused (SQLite's BEGIN IMMEDIATE already
  serialises writers);
- every change is audited (old -> new; never a password or its hash), and a change of roles,
  of the active flag or of the password ends the person's live sessions in the same
  transaction;
- edits carry the version the form was read at (optimistic locking).
"""
from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import sqlalchemy as sa

from core import audit
from core.actor import Actor
from core.auth import hash_password, revoke_sessions, validate_password, validate_username
from core.clock import utcnow
from core.errors import InvalidState, NotFound, PermissionDenied, ValidationError
from core.i18n import LANGUAGES, N_, Term
from core.permissions import Action, require
from core.uow import UnitOfWork, expect_version
from core.vocabulary import Language, Role
from db.models import LoginSession, Product, Setting, Staff, StaffRole, StaffSkill

SETUP_DONE = "setup.first_admin"


# --- checks of plain input --------------------------------------------------------------------

DISPLAY_NAME_MAX = 120
SKILL_MAX = 64          # staff_skill.skill
SKILLS_MAX = 40         # per person
TEMPORARY_PASSWORD_GROUPS = 4   # "Abcd-efgh-...": 16 random characters, about 92 bits
_TEMPORARY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"  # no 0/O, 1/l/I

# the keys of Staff.working_hours, Monday first (the same as core.workload.DAY_KEYS)
DAY_KEYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_LABELS: Final = dict(zip(DAY_KEYS, (N_("Monday"), N_("Tuesday"), N_("Wednesday"),
                                        N_("Thursday"), N_("Friday"), N_("Saturday"),
                                        N_("Sunday"))))
_DAY_NAMES = {"monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu",
              "friday": "fri", "saturday": "sat", "sunday": "sun"}
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_SHIFT_SEPARATORS = re.compile(r"[,;、]")   # after NFKC ("，" is ",")
_TIME_SEPARATORS = re.compile(r"\s*[-–—~至]\s*")


def _display_name(value: str | None) -> str:
    display = (value or "").strip()
    if not display or len(display) > DISPLAY_NAME_MAX:
        raise ValidationError(N_("Enter the person's name (up to 120 characters)."))
    return display


def _email(value: str | None) -> str | None:
    if not (value or "").strip():
        return None
    from core.customers import normalize_email  # the customers' rule and its messages
    return normalize_email(value)


def _roles(roles: Iterable[str]) -> set[Role]:
    try:
        role_set = {Role(r) for r in roles or ()}
    except ValueError:
        raise ValidationError(N_("Unknown role. Roles are: {roles}."),
                              roles=", ".join(r.value for r in Role)) from None
    if not role_set:
        raise ValidationError(N_("Give the person at least one role."))
    return role_set


def _language(language: str) -> str:
    if language not in LANGUAGES:
        raise ValidationError(N_("Unknown language: {language}."), language=str(language)[:20])
    return language


def _skills(skills: Iterable[str] | None) -> list[str]:
    """Stripped, lower-case (as case assignment and technician matching compare them),
    without duplicates, sorted."""
    cleaned = sorted({" ".join(str(s).split()).lower() for s in skills or () if str(s).strip()})
    for skill in cleaned:
        if len(skill) > SKILL_MAX:
            raise ValidationError(N_("A skill can be at most {limit} characters long: {skill}"),
                                  limit=SKILL_MAX, skill=skill[:SKILL_MAX] + "…")
    if len(cleaned) > SKILLS_MAX:
        raise ValidationError(N_("A person can have at most {limit} skills."), limit=SKILLS_MAX)
    return cleaned


def _day_key(day: object) -> str:
    text = str(day).strip().lower()
    key = _DAY_NAMES.get(text, text)
    if key not in DAY_KEYS:
        raise ValidationError(N_("{day} is not a day of the week. Use mon, tue, wed, thu, fri, "
                                 "sat or sun."), day=str(day)[:20])
    return key


def _clock(value: object, day: str, *, end: bool) -> str:
    """'9:00' -> '09:00'; '24:00' only as an end (the end of the day)."""
    # NFKC: full-width digits and colon from a Chinese input method read as ASCII
    match = _CLOCK.match(unicodedata.normalize("NFKC", value).strip()) \
        if isinstance(value, str) else None
    minutes = int(match[1]) * 60 + int(match[2]) if match and int(match[2]) < 60 else None
    if minutes is None or minutes > (24 * 60 if end else 24 * 60 - 1):
        raise ValidationError(N_("{day}: {time} is not a time of day. Write times as HH:MM, "
                                 "for example 09:00."),
                              day=Term(DAY_LABELS[day]), time=str(value)[:20])
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _shifts(day: str, value: object) -> list[list[str]]:
    """One day's shifts as [[start, end], ...], from "09:00-18:00", "08:00-12:00, 13:00-17:00",
    ["09:00", "18:00"] or [["08:00", "12:00"], ["13:00", "17:00"]]; empty = a day off."""
    if value is None:
        return []
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value)
        pairs: list[Any] = [_TIME_SEPARATORS.split(part.strip())
                            for part in _SHIFT_SEPARATORS.split(text) if part.strip()]
    elif isinstance(value, (list, tuple)):
        pairs = list(value) if value and isinstance(value[0], (list, tuple)) else \
            ([value] if value else [])
    else:
        pairs = [value]
    shifts = []
    for pair in pairs:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ValidationError(N_("{day}: give a start and an end time, for example "
                                     "09:00-18:00."), day=Term(DAY_LABELS[day]))
        start, end = _clock(pair[0], day, end=False), _clock(pair[1], day, end=True)
        if end <= start:
            raise ValidationError(N_("{day}: the end ({end}) must be after the start "
                                     "({start})."), day=Term(DAY_LABELS[day]), start=start,
                                  end=end)
        shifts.append([start, end])
    shifts.sort()
    for earlier, later in zip(shifts, shifts[1:]):
        if later[0] < earlier[1]:
            raise ValidationError(N_("{day}: the shifts {first} and {second} overlap."),
                                  day=Term(DAY_LABELS[day]), first="-".join(earlier),
                                  second="-".join(later))
    return shifts


def validate_working_hours(hours: Mapping[str, object] | None) -> dict | None:
    """Staff.working_hours as stored: {"mon": ["09:00", "18:00"], "tue": [["08:00", "12:00"],
    ["13:00", "17:00"]], ...}, days off left out; None = the shop's business hours.

    Accepts per day a "HH:MM-HH:MM" text (several separated by commas), a [start, end] pair or
    a list of pairs; an empty value is a day off. Times are HH:MM (24:00 as an end), each end
    after its start, shifts of one day apart."""
    if hours is None:
        return None
    if not isinstance(hours, Mapping):
        raise ValidationError(N_("Working hours are given per day of the week, for example "
                                 "mon: 09:00-18:00."))
    week: dict[str, list[list[str]]] = {}
    for day, value in hours.items():
        key = _day_key(day)
        if key in week:
            raise ValidationError(N_("{day} is given twice."), day=Term(DAY_LABELS[key]))
        week[key] = _shifts(key, value)
    stored = {d: (week[d][0] if len(week[d]) == 1 else week[d])
              for d in DAY_KEYS if week.get(d)}
    if not stored:
        raise ValidationError(N_("Give at least one working day, or use the shop's hours."))
    return stored


def working_hours_text(hours: Mapping[str, object] | None) -> dict[str, str]:
    """A form's per-day texts ("09:00-18:00", "" for a day off) of stored working hours."""
    texts = dict.fromkeys(DAY_KEYS, "")
    for day, value in (hours or {}).items():
        try:
            key = _day_key(day)
            texts[key] = ", ".join("-".join(pair) for pair in _shifts(key, value))
        except ValidationError:
            texts[_DAY_NAMES.get(str(day).lower(), str(day).lower())] = str(value)
    return {d: texts[d] for d in DAY_KEYS}


def temporary_password(username: str) -> str:
    """A random password an admin reads out once; it passes validate_password."""
    while True:
        password = "-".join("".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(4))
                            for _ in range(TEMPORARY_PASSWORD_GROUPS))
        try:
            validate_password(password, username)
        except ValidationError:  # it happened to contain the username: draw again
            continue
        return password


# --- creating an account ----------------------------------------------------------------------

def _new_staff(uow: UnitOfWork, username: str, display_name: str, password: str,
               roles: list[str], language: str, email: str | None,
               skills: list[str] | None = None, must_change_password: bool = False,
               working_hours: Mapping[str, object] | None = None) -> Staff:
    name = validate_username(username)
    display = _display_name(display_name)
    validate_password(password, name)
    role_set = _roles(roles)
    _language(language)
    email_ = _email(email)
    skills_ = _skills(skills)
    hours = validate_working_hours(working_hours)
    if uow.session.scalar(sa.select(Staff.id).where(Staff.username == name)):
        raise ValidationError(N_("The username {username} is taken."), username=name)
    staff = Staff(username=name, display_name=display, email=email_,
                  password_hash=hash_password(password), language=language,
                  must_change_password=must_change_password, working_hours=hours)
    staff.roles = [StaffRole(role=r) for r in sorted(role_set)]
    staff.skills = [StaffSkill(skill=s) for s in skills_]
    uow.session.add(staff)
    try:
        uow.flush()
    except sa.exc.IntegrityError:  # taken at the same moment by someone else's form
        raise ValidationError(N_("The username {username} is taken."), username=name) from None
    return staff


def create_staff(uow: UnitOfWork, actor: Actor | None, username: str, display_name: str,
                 password: str, roles: list[str], language: str = "en",
                 email: str | None = None, skills: list[str] | None = None,
                 must_change_password: bool = True,
                 working_hours: Mapping[str, object] | None = None) -> int:
    """An admin creates an account; `actor=None` only from the server's own command line."""
    if actor is not None:
        require(actor, Action.STAFF_MANAGE)
    with uow:
        staff = _new_staff(uow, username, display_name, password, roles, language, email,
                           skills, must_change_password, working_hours)
        audit.record(uow, actor, "staff_created", "staff", staff.id, None,
                     {"username": staff.username, **_snapshot(staff),
                      "must_change_password": staff.must_change_password})
        uow.commit()
        return staff.id


@dataclass(frozen=True)
class NewAccount:
    staff_id: int
    username: str
    temporary_password: str   # show it once; only its hash is stored


def create_staff_member(uow: UnitOfWork, actor: Actor, username: str, display_name: str,
                        roles: list[str], language: str = "en", email: str | None = None,
                        skills: list[str] | None = None,
                        working_hours: Mapping[str, object] | None = None) -> NewAccount:
    """The Staff tab's "New staff member": the account gets a temporary password, which the
    person must change at their first login."""
    require(actor, Action.STAFF_MANAGE)
    name = validate_username(username)
    password = temporary_password(name)
    staff_id = create_staff(uow, actor, name, display_name, password, roles, language, email,
                            skills, must_change_password=True, working_hours=working_hours)
    return NewAccount(staff_id, name, password)


def needs_setup(uow: UnitOfWork) -> bool:
    with uow.reader() as r:
        return r.session.scalar(sa.select(sa.func.count()).select_from(Staff)) == 0


def create_first_admin(uow: UnitOfWork, username: str, display_name: str, password: str,
                       repeat: str, language: str = "en") -> int:
    """The first-run screen: only while no staff exists. A unique settings row makes a second
    concurrent submission fail instead of creating a second admin."""
    if password != repeat:
        raise ValidationError(N_("The two passwords are not the same."))
    with uow:
        if uow.session.scalar(sa.select(sa.func.count()).select_from(Staff)):
            raise InvalidState(N_("CareDesk is already set up. Log in instead."))
        uow.session.add(Setting(key=SETUP_DONE, value=True))
        try:
            uow.flush()
        except sa.exc.IntegrityError:
            raise InvalidState(N_("CareDesk is already set up. Log in instead.")) from None
        staff = _new_staff(uow, username, display_name, password, [Role.ADMIN], language,
                           None)
        audit.record(uow, None, "first_admin_created", "staff", staff.id, None,
                     {"username": staff.username}, actor_id=staff.id)
        uow.commit()
        return staff.id


# --- the Staff tab ----------------------------------------------------------------------------

@dataclass(frozen=True)
class StaffMember:
    id: int
    username: str
    display_name: str
    email: str | None
    language: str
    roles: tuple[Role, ...]           # in core.vocabulary.Role's order
    skills: tuple[str, ...]
    active: bool
    must_change_password: bool        # a temporary password is still in use
    working_hours: dict | None        # None = the shop's business hours
    last_login_at: datetime | None    # naive UTC; None = no login on record
    version: int


def list_staff(uow: UnitOfWork, actor: Actor) -> list[StaffMember]:
    """Every account, active ones first, by name."""
    require(actor, Action.STAFF_MANAGE)
    last_login = (sa.select(LoginSession.staff_id, sa.func.max(LoginSession.created_at)
                            .label("at"))
                  .group_by(LoginSession.staff_id).subquery())
    with uow.reader() as r:
        rows = r.session.execute(
            sa.select(Staff, last_login.c.at)
            .outerjoin(last_login, last_login.c.staff_id == Staff.id)
            .order_by(Staff.active.desc(), Staff.display_name, Staff.username)).all()
        return [StaffMember(
            id=s.id, username=s.username, display_name=s.display_name, email=s.email,
            language=Language(s.language).value, roles=tuple(r for r in Role if r in s.role_set),
            skills=tuple(sorted(k.skill for k in s.skills)), active=s.active,
            must_change_password=s.must_change_password, working_hours=s.working_hours,
            last_login_at=at, version=s.version) for s, at in rows]


def known_skills(uow: UnitOfWork, actor: Actor) -> list[str]:
    """Skills to offer in the forms: those people have, and the product categories (after-sales
    jobs ask for a technician whose skill is the product's category, lower-case)."""
    require(actor, Action.STAFF_MANAGE)
    with uow.reader() as r:
        held = r.session.scalars(sa.select(StaffSkill.skill).distinct()).all()
        categories = r.session.scalars(
            sa.select(sa.func.lower(sa.func.trim(Product.category))).distinct()
            .limit(500)).all()
    return sorted({s for s in (*held, *categories) if s and len(s) <= SKILL_MAX})


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


KEEP: Final[Any] = _Keep()   # update_staff: leave this field as it is


def _snapshot(staff: Staff) -> dict[str, object]:
    """What the audit shows of an account (never the password or its hash)."""
    return {"display_name": staff.display_name, "email": staff.email,
            "language": Language(staff.language).value,
            "roles": sorted(r.value for r in staff.role_set),
            "skills": sorted(k.skill for k in staff.skills),
            "working_hours": staff.working_hours, "active": staff.active}


def _is_admin():
    return (sa.select(StaffRole.staff_id)
            .where(StaffRole.staff_id == Staff.id, StaffRole.role == Role.ADMIN).exists())


def _load_for_change(uow: UnitOfWork, staff_id: int, expected_version: int | None) -> Staff:
    """The account, locked, at the version the form saw. The active admins' rows are locked
    first (always in the same order, then the account itself), so that the last-admin count
    below cannot race another admin's change of the same people."""
    uow.session.execute(sa.select(Staff.id).where(Staff.active.is_(True), _is_admin())
                        .order_by(Staff.id).with_for_update())
    staff = uow.session.scalar(sa.select(Staff).where(Staff.id == staff_id).with_for_update())
    if staff is None:
        raise NotFound(N_("There is no staff member {id}."), id=staff_id)
    expect_version(staff, expected_version)
    return staff


def _keep_an_admin(uow: UnitOfWork, staff: Staff) -> None:
    """Refuses to take away the last active admin (the caller is removing the role or
    disabling the account)."""
    if not staff.active or Role.ADMIN not in staff.role_set:
        return
    others = uow.session.scalar(sa.select(sa.func.count()).select_from(Staff)
                                .where(Staff.active.is_(True), _is_admin(),
                                       Staff.id != staff.id))
    if not others:
        raise InvalidState(N_("{name} is the last active administrator. Give another person "
                              "the admin role first."), name=staff.display_name)


def _replace(collection: list, wanted: set, attr: str, make) -> None:
    """Removes the rows not wanted and adds the missing ones (rows kept stay as they are)."""
    for row in [row for row in collection if getattr(row, attr) not in wanted]:
        collection.remove(row)
    have = {getattr(row, attr) for row in collection}
    for value in sorted(wanted - have):
        collection.append(make(value))


def _touch(staff: Staff) -> None:
    """Writes the staff row even when only its roles or skills changed (other tables), so
    that its version moves on and a form still showing the old one is refused."""
    staff.updated_at = utcnow()


def update_staff(uow: UnitOfWork, actor: Actor, staff_id: int, *,
                 expected_version: int | None,
                 display_name: str = KEEP, email: str | None = KEEP, language: str = KEEP,
                 roles: Iterable[str] = KEEP, skills: Iterable[str] = KEEP,
                 working_hours: Mapping[str, object] | None = KEEP) -> bool:
    """Changes the fields given (KEEP leaves one as it is); returns whether anything changed.

    working_hours: see validate_working_hours; None = the shop's hours. A change of roles
    ends the person's live sessions (their menu and rights change at once)."""
    require(actor, Action.STAFF_MANAGE)
    wanted: dict[str, object] = {}
    if display_name is not KEEP:
        wanted["display_name"] = _display_name(display_name)
    if email is not KEEP:
        wanted["email"] = _email(email)
    if language is not KEEP:
        wanted["language"] = _language(language)
    if roles is not KEEP:
        wanted["roles"] = sorted(r.value for r in _roles(roles))
    if skills is not KEEP:
        wanted["skills"] = _skills(skills)
    if working_hours is not KEEP:
        wanted["working_hours"] = validate_working_hours(working_hours)
    with uow:
        staff = _load_for_change(uow, staff_id, expected_version)
        before = _snapshot(staff)
        old, new = audit.changes({k: before[k] for k in wanted}, wanted)
        if not new:
            return False
        if "roles" in new:
            if staff.id == actor.staff_id:
                raise PermissionDenied(N_("You cannot change your own roles. Ask another "
                                          "administrator."))
            if Role.ADMIN.value not in new["roles"]:
                _keep_an_admin(uow, staff)
            _replace(staff.roles, {Role(r) for r in new["roles"]}, "role",
                     lambda r: StaffRole(role=r))
        if "skills" in new:
            _replace(staff.skills, set(new["skills"]), "skill", lambda k: StaffSkill(skill=k))
        for field in ("display_name", "email", "language", "working_hours"):
            if field in new:
                setattr(staff, field, new[field])
        _touch(staff)
        audit.record(uow, actor, "staff_changed", "staff", staff.id, old, new)
        if "roles" in new:
            revoke_sessions(uow, staff.id, "roles_changed")
        uow.commit()
        return True


def set_active(uow: UnitOfWork, actor: Actor, staff_id: int, active: bool, *,
               expected_version: int | None) -> bool:
    """Disables or enables an account; returns whether it changed. Either way the person's
    live sessions end (a disabled person is out at their next click)."""
    require(actor, Action.STAFF_MANAGE)
    if not active and staff_id == actor.staff_id:
        raise PermissionDenied(N_("You cannot disable your own account. Ask another "
                                  "administrator."))
    with uow:
        staff = _load_for_change(uow, staff_id, expected_version)
        if staff.active == bool(active):
            return False
        if not active:
            _keep_an_admin(uow, staff)
        staff.active = bool(active)
        _touch(staff)
        audit.record(uow, actor, "staff_enabled" if active else "staff_disabled", "staff",
                     staff.id, {"active": not staff.active}, {"active": staff.active})
        revoke_sessions(uow, staff.id, "enabled" if active else "disabled")
        uow.commit()
        return True


def reset_password(uow: UnitOfWork, actor: Actor, staff_id: int, *,
                   expected_version: int | None) -> str:
    """Gives the account a new temporary password and returns it (to be shown once: only its
    hash is stored). The person must change it at their next login; every session they have
    now ends, and the old password no longer works."""
    require(actor, Action.STAFF_MANAGE)
    if staff_id == actor.staff_id:
        raise PermissionDenied(N_("Change your own password on the My account page."))
    with uow:
        staff = _load_for_change(uow, staff_id, expected_version)
        password = temporary_password(staff.username)
        had_temporary = staff.must_change_password
        staff.password_hash = hash_password(password)
        staff.must_change_password = True
        # strictly later than every existing session, as in core.auth.change_own_password
        staff.password_changed_at = utcnow() + timedelta(microseconds=1)
        _touch(staff)
        revoke_sessions(uow, staff.id, "password_reset")
        audit.record(uow, actor, "password_reset", "staff", staff.id,
                     {"must_change_password": had_temporary}, {"must_change_password": True})
        uow.commit()
    return password
