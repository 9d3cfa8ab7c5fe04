"""Shared fixtures: a freshly migrated database per test, on SQLite or PostgreSQL.

DATABASE_URL=postgresql+psycopg://... runs the suite on PostgreSQL; otherwise SQLite files.
The schema is migrated once into a template (a file copied per test on SQLite, a
`CREATE DATABASE ... TEMPLATE` on PostgreSQL), so each test starts clean in milliseconds.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import sys
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from core.actor import Actor
from core.staff import create_staff
from core.uow import UnitOfWork
from core.vocabulary import Role
from db.migrate import upgrade
from db.models import Staff, StaffRole, StaffSkill
from db.session import make_engine

# The browser fixtures (real app servers, Chromium) for tests/browser, tests/security and
# tests/reliability: imported once here, since a session-scoped browser per directory would
# start a second Playwright inside the first one's event loop.
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "browser"))
pytest.register_assert_rewrite("browser_helpers")
from browser_fixtures import *  # noqa: E402,F401,F403

# the security casebook's option, marker, `tried` fixture and report (tests/casebook.py)
from casebook import (pytest_addoption, pytest_configure, pytest_runtest_makereport,  # noqa: F401
                      pytest_sessionfinish, pytest_terminal_summary, tried)

PASSWORD = "Service-desk-2026"


def pg_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith("postgresql") else None


def _pg_admin(url: str) -> sa.Engine:
    return sa.create_engine(url, isolation_level="AUTOCOMMIT")


def drop_everything(engine: sa.Engine) -> None:
    """An empty database again, as if CareDesk had never run on it."""
    from db.models import Base
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            cascade = " CASCADE" if engine.dialect.name == "postgresql" else ""
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {table.name}{cascade}"))
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(scope="session")
def db_template(tmp_path_factory):
    url = pg_url()
    if url:
        name = f"cd_tpl_{uuid.uuid4().hex[:10]}"
        admin = _pg_admin(url)
        with admin.connect() as c:
            c.exec_driver_sql(f'CREATE DATABASE "{name}"')
        tpl = make_engine(make_url(url).set(database=name).render_as_string(False))
        upgrade(tpl)
        tpl.dispose()
        yield ("postgresql", url, name)
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("tpl") / "template.db"
        tpl = make_engine(f"sqlite:///{path}")
        upgrade(tpl)
        tpl.dispose()
        con = sqlite3.connect(path)  # fold the WAL into the main file before copying it
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
        yield ("sqlite", str(path), None)


@pytest.fixture
def database_url(db_template, tmp_path):
    kind, where, template = db_template
    if kind == "postgresql":
        name = f"cd_t_{uuid.uuid4().hex[:10]}"
        admin = _pg_admin(where)
        with admin.connect() as c:
            c.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        yield make_url(where).set(database=name).render_as_string(False)
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    else:
        path = tmp_path / "caredesk.db"
        shutil.copyfile(where, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def engine(database_url):
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def uow(engine) -> UnitOfWork:
    return UnitOfWork(engine)


@pytest.fixture
def make_staff(uow):
    """Creates a staff member with the given roles and returns them as an Actor."""
    def make(username: str, *roles: Role, password: str = PASSWORD) -> Actor:
        create_staff(uow, None, username, username.title(), password,
                     [r.value for r in roles], must_change_password=False)
        with uow.reader() as r:
            s = r.session.scalar(sa.select(Staff).where(Staff.username == username))
            return Actor(s.id, s.username, s.display_name, s.role_set, s.language.value)
    return make


NO_LOGIN_HASH = "$2b$04$" + "x" * 53  # a bcrypt-shaped hash no password matches


def add_staff(uow: UnitOfWork, username: str, *roles: Role, active: bool = True,
              skills=()) -> Actor:
    """A staff member written straight to the database (no password hashing: fast), for
    service tests that need many people."""
    with uow:
        s = Staff(username=username, display_name=username.title(),
                  password_hash=NO_LOGIN_HASH, active=active)
        s.roles = [StaffRole(role=r) for r in roles]
        s.skills = [StaffSkill(skill=k) for k in skills]
        uow.session.add(s)
        uow.commit()
        return Actor(s.id, s.username, s.display_name, frozenset(roles))
