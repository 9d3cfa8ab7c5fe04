"""The admin command line: migrate, create accounts, back up and restore."""
import shutil

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

import manage
from core import auth
from db.models import Staff, Store
from db.session import make_engine
from tests.conftest import PASSWORD


@pytest.fixture
def cli(database_url, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("CAREDESK_DATA_DIR", str(tmp_path / "data"))

    def run(*args, input=None):
        return CliRunner().invoke(manage.cli, list(args), input=input, catch_exceptions=False)
    return run


def staff_roles(url):
    eng = make_engine(url)
    with eng.connect() as c:
        rows = c.execute(sa.text("SELECT s.username, r.role FROM staff s JOIN staff_role r "
                                 "ON r.staff_id = s.id ORDER BY 1, 2")).all()
    eng.dispose()
    return [tuple(r) for r in rows]


def test_upgrade_reports_the_revision(cli):
    result = cli("upgrade")
    assert result.exit_code == 0 and "revision" in result.output


def test_create_user_with_several_roles(cli, database_url):
    result = cli("create-user", "Lina", "--role", "admin", "--role", "supervisor",
                 "--password-stdin", input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert staff_roles(database_url) == [("lina", "admin"), ("lina", "supervisor")]
    eng = make_engine(database_url)
    with eng.connect() as c:
        hashed = c.execute(sa.select(Staff.password_hash)).scalar()
    eng.dispose()
    assert auth.check_password(PASSWORD, hashed) and PASSWORD not in hashed


def test_create_user_refuses_bad_input_with_a_message(cli, database_url):
    weak = cli("create-user", "lina", "--role", "admin", "--password-stdin", input="123\n")
    assert weak.exit_code != 0 and "at least" in weak.output
    bad_role = cli("create-user", "lina", "--role", "wizard", "--password-stdin",
                   input=PASSWORD + "\n")
    assert bad_role.exit_code != 0
    assert staff_roles(database_url) == []


def test_backup_and_restore_round_trip(cli, database_url, tmp_path):
    if database_url.startswith("postgresql") and not shutil.which("pg_dump"):
        pytest.skip("PostgreSQL client tools are not installed")
    eng = make_engine(database_url)
    with eng.begin() as c:
        c.execute(sa.insert(Store).values(code="BJ01", name="Beijing 1", active=True))
    target = tmp_path / "backup.bin"
    assert cli("backup", str(target)).exit_code == 0
    with eng.begin() as c:   # life goes on after the backup ...
        c.execute(sa.delete(Store))
        c.execute(sa.insert(Store).values(code="XX", name="made after the backup", active=True))
    eng.dispose()
    result = cli("restore", str(target), "--yes")
    assert result.exit_code == 0, result.output
    eng = make_engine(database_url)
    with eng.connect() as c:   # ... and the restore brings back exactly the backed-up state
        assert c.execute(sa.select(Store.code)).scalars().all() == ["BJ01"]
        assert c.execute(sa.text("SELECT count(*) FROM sla_policy")).scalar() > 0
    eng.dispose()


def test_callbacks_command_schedules_each_vip_one_care_call_once(cli, database_url):
    from db.models import Callback, Customer
    eng = make_engine(database_url)
    with eng.begin() as c:
        c.execute(sa.insert(Customer), [dict(name="Wang Fang", tier="vip", version=1),
                                        dict(name="Zhao Lei", tier="regular", version=1)])
    first = cli("callbacks")
    again = cli("callbacks")
    with eng.connect() as c:
        calls = c.execute(sa.select(Callback.purpose, Callback.status)).all()
    eng.dispose()
    assert first.exit_code == 0 and "vip_periodic: 1 care calls scheduled" in first.output
    assert again.exit_code == 0 and "no care call was owed" in again.output
    assert [tuple(r) for r in calls] == [("vip_care", "open")]  # regular care is off by default
