"""Backup -> change -> restore gives back the backed-up state exactly: every table's rows
compared before and after (db.backup, what `manage.py backup` / `restore` and the
Administration page run). SQLite always; PostgreSQL when the suite runs on it and pg_dump /
pg_restore are installed. Also the page's backup service (core.backups): who may run it,
where the file goes, the audit row, and the restore command it shows."""
from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa

from core import backups, cases, customers
from core.errors import InvalidState, PermissionDenied
from core.uow import UnitOfWork
from core.vocabulary import Role
from db import backup as db_backup
from db.migrate import upgrade
from db.models import AuditEntry
from db.session import make_engine
from tests.conftest import add_staff, pg_url

PG_TOOLS = all(shutil.which(t) for t in ("pg_dump", "pg_restore"))


def dump(engine: sa.Engine) -> dict[str, list[tuple]]:
    """Every table's rows (the schema's and alembic's alike), in primary-key order."""
    inspector = sa.inspect(engine)
    out = {}
    with engine.connect() as conn:
        for name in sorted(inspector.get_table_names()):
            table = sa.Table(name, sa.MetaData(), autoload_with=conn)
            key = list(table.primary_key.columns) or list(table.columns)
            rows = conn.execute(sa.select(table).order_by(*key)).all()
            out[name] = [tuple(r) for r in rows]
    return out


def some_work(uow: UnitOfWork) -> dict:
    """A desk with people, a customer and a case (with its events, SLA, audit rows)."""
    agent = add_staff(uow, "ann", Role.AGENT)
    cid = customers.create_customer(uow, agent, name="Wang Fang", phone="+8613812345678",
                                    email="wang.fang@example.com", address="1 Nanjing Rd")
    receipt = cases.open_case(uow, agent, customer_id=cid, channel="phone", kind="inquiry",
                              category="delivery", subject="Where is my parcel?",
                              question="It is late", next_step="Call the carrier",
                              notify_customer=False)
    return {"agent": agent, "customer": cid, "case": receipt.case_id}


def change_everything(uow: UnitOfWork, work: dict) -> None:
    """After the backup: a new customer, an edited case, an edited customer."""
    agent = work["agent"]
    customers.create_customer(uow, agent, name="Li Lei", phone="+8613998765432")
    case = cases.get_case(uow, agent, work["case"])
    cases.change_status(uow, agent, work["case"], "waiting_internal", case.version)
    cases.add_note(uow, agent, work["case"], "Carrier says tomorrow")
    profile = customers.customer_profile(uow, agent, work["customer"])
    customers.update_customer(uow, agent, work["customer"], profile.version, city="Shanghai")


def round_trip(engine: sa.Engine, path: Path) -> None:
    uow = UnitOfWork(engine)
    work = some_work(uow)
    before = dump(engine)
    assert before["customer"] and before["service_case"] and before["audit_log"]

    db_backup.backup(engine, path)
    change_everything(uow, work)
    changed = dump(engine)
    assert changed != before
    assert len(changed["customer"]) == len(before["customer"]) + 1

    db_backup.restore(engine, path)
    upgrade(engine)  # what `manage.py restore` does next: a no-op on a current backup
    after = dump(engine)
    assert after.keys() == before.keys()
    for table in before:
        assert after[table] == before[table], table

    # and the restored database works on: the ids go on where the backup left them
    again = customers.create_customer(uow, work["agent"], name="Li Lei", phone="+8613998765432")
    assert again == max(r[0] for r in before["customer"]) + 1


def test_backup_change_restore_gives_back_the_backed_up_state(engine, tmp_path):
    if engine.dialect.name == "postgresql" and not PG_TOOLS:
        pytest.skip("pg_dump / pg_restore are not on PATH: install postgresql-client")
    suffix = ".db" if engine.dialect.name == "sqlite" else ".dump"
    round_trip(engine, tmp_path / f"backup{suffix}")


@pytest.mark.skipif(not pg_url(), reason="the suite runs on SQLite: the test above covers it")
def test_the_sqlite_round_trip_also_when_the_suite_runs_on_postgresql(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'caredesk.db'}")
    try:
        upgrade(engine)
        round_trip(engine, tmp_path / "backup.db")
    finally:
        engine.dispose()


# --- the page's service -------------------------------------------------------------------------

@pytest.fixture
def admin(uow):
    return add_staff(uow, "adm", Role.ADMIN)


def test_a_backup_from_the_page_lands_in_the_folder_and_the_log(uow, engine, admin, tmp_path):
    if engine.dialect.name != "sqlite":
        with pytest.raises(InvalidState, match="manage.py backup"):
            backups.make_backup(uow, admin, tmp_path)
        return
    folder = tmp_path / "backups"
    work = some_work(uow)
    first = backups.make_backup(uow, admin, folder)
    second = backups.make_backup(uow, admin, folder)
    assert first.path.parent == folder.resolve() and first.name.startswith("caredesk-")
    assert first.name.endswith(".db") and second.name != first.name   # same second: "-2"
    assert stat.S_IMODE(first.path.stat().st_mode) == 0o600
    assert first.size_bytes == first.path.stat().st_size > 0
    listed = backups.list_backups(uow, admin, folder)
    assert {b.name for b in listed} == {first.name, second.name}
    with uow.reader() as r:
        logged = r.session.scalars(sa.select(AuditEntry)
                                   .where(AuditEntry.action == backups.AUDIT_ACTION)
                                   .order_by(AuditEntry.id)).all()
    assert [(e.actor_id, e.entity, e.entity_id) for e in logged] == [
        (admin.staff_id, "backup", first.name), (admin.staff_id, "backup", second.name)]
    assert logged[0].new == {"file": first.name, "bytes": first.size_bytes}

    # the page's file restores like manage.py's
    before = dump(engine)
    change_everything(uow, work)
    db_backup.restore(engine, second.path)
    after = dump(engine)
    # the second backup holds the first one's audit row, not its own
    assert {t: r for t, r in after.items() if t != "audit_log"} == \
        {t: r for t, r in before.items() if t != "audit_log"}
    assert after["audit_log"] == before["audit_log"][:-1]


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AGENT, Role.ANALYST])
def test_only_admins_make_or_list_backups(uow, role, tmp_path):
    someone = add_staff(uow, "someone", role)
    folder = tmp_path / "backups"
    with pytest.raises(PermissionDenied):
        backups.make_backup(uow, someone, folder)
    with pytest.raises(PermissionDenied):
        backups.list_backups(uow, someone, folder)
    assert not folder.exists()


def test_the_restore_command_is_the_manage_py_one_quoted():
    assert backups.restore_command("/srv/care desk/backups/caredesk-1.db") == \
        "python manage.py restore '/srv/care desk/backups/caredesk-1.db'"
    assert backups.backup_command("backups/x.dump") == "python manage.py backup backups/x.dump"


def test_the_default_folder_is_the_data_directorys(monkeypatch, tmp_path):
    monkeypatch.setenv("CAREDESK_DATA_DIR", str(tmp_path))
    assert backups.backup_directory() == (tmp_path / "backups").resolve()


# --- the Backup tab ---------------------------------------------------------------------------------

def _tab():
    from ui import admin_backup, runtime
    admin_backup.render(runtime.require_actor())


def test_the_backup_tab(engine, uow, admin, tmp_path, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from ui import keys, runtime
    monkeypatch.setattr(runtime, "engine", lambda: engine)
    monkeypatch.setenv("CAREDESK_DATA_DIR", str(tmp_path / "data"))
    st.cache_data.clear()
    at = AppTest.from_function(_tab, default_timeout=60)
    at.session_state[keys.ACTOR] = admin
    at.run()
    assert not at.exception
    codes = [c.value for c in at.code]
    if engine.dialect.name != "sqlite":
        assert any("manage.py backup" in c for c in codes)
        assert any("manage.py restore" in c for c in codes)
        assert not [b for b in at.button if b.key == keys.BACKUP_NOW]
        return
    assert any("No backup yet." in i.value for i in at.info)
    at.button(key=keys.BACKUP_NOW).click().run()
    assert not at.exception
    (made,) = backups.list_backups(uow, admin, tmp_path / "data" / "backups")
    from ui.fmt import md
    assert any(md(made.name) in s.value for s in at.success)
    assert list(at.dataframe[0].value["File"]) == [made.name]
    assert at.selectbox(key=keys.BACKUP_PICK).value == made.name
    assert codes != [c.value for c in at.code]
    assert f"python manage.py restore {made.path}" in [c.value for c in at.code]
