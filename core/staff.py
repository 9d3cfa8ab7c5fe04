"""Staff accounts: creation (admins, the first-run setup and manage.py)."""
from __future__ import annotations

import sqlalchemy as sa

from core import audit
from core.actor import Actor
from core.auth import hash_password, validate_password, validate_username
from core.errors import InvalidState, ValidationError
from core.i18n import LANGUAGES, N_
from core.permissions import Action, require
from core.uow import UnitOfWork
from core.vocabulary import Role
from db.models import Setting, Staff, StaffRole, StaffSkill

SETUP_DONE = "setup.first_admin"


def _new_staff(uow: UnitOfWork, username: str, display_name: str, password: str,
               roles: list[str], language: str, email: str | None,
               skills: list[str] | None = None, must_change_password: bool = False) -> Staff:
    name = validate_username(username)
    display = (display_name or "").strip()
    if not display or len(display) > 120:
        raise ValidationError(N_("Enter the person's name (up to 120 characters)."))
    validate_password(password, name)
    try:
        role_set = {Role(r) for r in roles}
    except ValueError:
        raise ValidationError(N_("Unknown role. Roles are: {roles}."),
                              roles=", ".join(r.value for r in Role)) from None
    if not role_set:
        raise ValidationError(N_("Give the person at least one role."))
    if language not in LANGUAGES:
        raise ValidationError(N_("Unknown language: {language}."), language=language)
    if uow.session.scalar(sa.select(Staff.id).where(Staff.username == name)):
        raise ValidationError(N_("The username {username} is taken."), username=name)
    staff = Staff(username=name, display_name=display, email=(email or "").strip() or None,
                  password_hash=hash_password(password), language=language,
                  must_change_password=must_change_password)
    staff.roles = [StaffRole(role=r) for r in sorted(role_set)]
    staff.skills = [StaffSkill(skill=s.strip().lower()) for s in sorted(set(skills or [])) if s.strip()]
    uow.session.add(staff)
    uow.flush()
    return staff


def create_staff(uow: UnitOfWork, actor: Actor | None, username: str, display_name: str,
                 password: str, roles: list[str], language: str = "en",
                 email: str | None = None, skills: list[str] | None = None,
                 must_change_password: bool = True) -> int:
    """An admin creates an account; `actor=None` only from the server's own command line."""
    if actor is not None:
        require(actor, Action.STAFF_MANAGE)
    with uow:
        staff = _new_staff(uow, username, display_name, password, roles, language, email,
                           skills, must_change_password)
        audit.record(uow, actor, "staff_created", "staff", staff.id, None,
                     {"username": staff.username, "roles": sorted(roles)})
        uow.commit()
        return staff.id


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
