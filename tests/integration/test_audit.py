"""The audit row is written in the same transaction as the change, and nothing else touches it."""
import pytest
import sqlalchemy as sa

from core import audit
from core.vocabulary import Role
from db.models import AuditEntry, Store


def count(uow, model):
    with uow.reader() as r:
        return r.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_change_and_audit_commit_together(uow, make_staff):
    admin = make_staff("boss", Role.ADMIN)
    before = count(uow, AuditEntry)
    with uow:
        uow.session.add(Store(code="SH01", name="Shanghai 1"))
        audit.record(uow, admin, "store_created", "store", "SH01", None, {"name": "Shanghai 1"})
        uow.commit()
    assert count(uow, Store) == 1
    assert count(uow, AuditEntry) == before + 1
    with uow.reader() as r:
        entry = r.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (entry.actor_id, entry.action, entry.new) == (admin.staff_id, "store_created",
                                                            {"name": "Shanghai 1"})


def test_a_failed_service_leaves_neither_change_nor_audit(uow, make_staff):
    admin = make_staff("boss", Role.ADMIN)
    before = count(uow, AuditEntry)
    with pytest.raises(RuntimeError):
        with uow:
            uow.session.add(Store(code="SH02", name="Shanghai 2"))
            audit.record(uow, admin, "store_created", "store", "SH02")
            uow.flush()
            raise RuntimeError("validation failed after the audit row was added")
    assert count(uow, Store) == 0
    assert count(uow, AuditEntry) == before


def test_leaving_without_commit_rolls_back(uow, make_staff):
    admin = make_staff("boss", Role.ADMIN)
    before = count(uow, AuditEntry)
    with uow:
        uow.session.add(Store(code="SH03", name="Shanghai 3"))
        audit.record(uow, admin, "store_created", "store", "SH03")
    assert count(uow, Store) == 0 and count(uow, AuditEntry) == before


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET action = 'forged'",
                                       "DELETE FROM audit_log"])
def test_audit_log_is_append_only(engine, uow, make_staff, statement):
    make_staff("boss", Role.ADMIN)  # writes an audit row
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        with engine.begin() as conn:
            conn.execute(sa.text(statement))
    with uow.reader() as r:
        actions = r.session.scalars(sa.select(AuditEntry.action)).all()
    assert "forged" not in actions and len(actions) >= 1


def test_audit_values_are_stored_as_plain_json(uow, make_staff):
    from datetime import datetime
    admin = make_staff("boss", Role.ADMIN)
    with uow:
        audit.record(uow, admin, "roles_changed", "staff", admin.staff_id,
                     {"roles": {Role.AGENT}}, {"roles": {Role.SUPERVISOR, Role.AGENT},
                                               "at": datetime(2026, 1, 2, 3, 4)})
        uow.commit()
    with uow.reader() as r:
        entry = r.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.old == {"roles": ["agent"]}
    assert entry.new == {"roles": ["agent", "supervisor"], "at": "2026-01-02T03:04:00"}
