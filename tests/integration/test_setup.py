"""First run: the first admin can be created only while no staff exists."""
import pytest
import sqlalchemy as sa

from core import staff
from core.errors import InvalidState, PermissionDenied, ValidationError
from core.vocabulary import Role
from db.models import AuditEntry, Staff
from tests.conftest import PASSWORD


def test_first_admin_once(uow):
    assert staff.needs_setup(uow)
    staff.create_first_admin(uow, "Boss", "Li Na", PASSWORD, PASSWORD)
    assert not staff.needs_setup(uow)
    with pytest.raises(InvalidState):
        staff.create_first_admin(uow, "intruder", "Mallory", PASSWORD, PASSWORD)
    with uow.reader() as r:
        admins = r.session.scalars(sa.select(Staff)).all()
        assert [(s.username, s.role_set) for s in admins] == [("boss", {Role.ADMIN})]
        assert r.session.scalar(sa.select(AuditEntry.action)) == "first_admin_created"


def test_first_admin_input_is_validated_and_nothing_is_half_written(uow):
    with pytest.raises(ValidationError):
        staff.create_first_admin(uow, "boss", "Li Na", PASSWORD, PASSWORD + "x")
    with pytest.raises(ValidationError):
        staff.create_first_admin(uow, "boss", "Li Na", "short", "short")
    with pytest.raises(ValidationError):
        staff.create_first_admin(uow, "bo ss", "Li Na", PASSWORD, PASSWORD)
    assert staff.needs_setup(uow)  # the setup marker was rolled back with the failure
    staff.create_first_admin(uow, "boss", "Li Na", PASSWORD, PASSWORD)


def test_only_admins_create_staff(uow, make_staff):
    agent = make_staff("agent", Role.AGENT)
    admin = make_staff("boss", Role.ADMIN)
    with pytest.raises(PermissionDenied):
        staff.create_staff(uow, agent, "friend", "Friend", PASSWORD, ["admin"])
    staff.create_staff(uow, admin, "newbie", "New Agent", PASSWORD, ["agent"])
    with pytest.raises(ValidationError):
        staff.create_staff(uow, admin, "NEWBIE", "Again", PASSWORD, ["agent"])
    with pytest.raises(ValidationError):
        staff.create_staff(uow, admin, "nobody", "Nobody", PASSWORD, [])
    with pytest.raises(ValidationError):
        staff.create_staff(uow, admin, "wizard", "Wizard", PASSWORD, ["wizard"])
    with uow.reader() as r:
        newbie = r.session.scalar(sa.select(Staff).where(Staff.username == "newbie"))
        assert newbie.must_change_password  # an admin-set password is temporary
        assert r.session.scalar(sa.select(sa.func.count()).select_from(Staff)) == 3
