"""Faults: `manage.py import` and `manage.py seed-demo` killed (SIGKILL) part-way through.

The commands run as real processes on the test's database, on a pseudo-terminal so that they
draw their progress bars; the test reads the bar and kills the process once it is at a given
stage and share of the work (inside the write transaction: checking, writing, just before
the commit). Afterwards the database holds either the whole batch or none of it, its schema
(indexes and keys the seed drops for speed) is whole, SQLite's integrity check passes, and the
command then runs to the end.
"""
from __future__ import annotations

import csv
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.vocabulary import Role
from db.seed import DEMO_STAFF, SCALES
from tests.conftest import add_staff

pytestmark = pytest.mark.casebook("Faults")

REPO = Path(__file__).resolve().parents[2]
ROWS = 30_000
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
BAR = re.compile(r"([A-Za-z_][\w ]*?)\s*\[[#-]*\]\s+(\d+)%")
KILLED = -signal.SIGKILL


def _run(args: list[str], database_url: str, kill_at=None, timeout: float = 180) -> tuple[int, str]:
    """Runs `manage.py ARGS` on a pseudo-terminal; `kill_at(label, percent)` -> True sends
    SIGKILL at that frame of the progress bar. Returns (exit code, output)."""
    env = dict(os.environ, DATABASE_URL=database_url, COLUMNS="100", PYTHONUNBUFFERED="1")
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "manage.py", *args], cwd=REPO, env=env,
                            stdin=subprocess.DEVNULL, stdout=follower, stderr=follower)
    os.close(follower)
    out, deadline = "", time.monotonic() + timeout
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(leader, 65536).decode(errors="replace")
            except OSError:   # the process closed the terminal
                break
            out += chunk
            if kill_at is not None:
                frames = [m for f in re.split(r"[\r\n]", ANSI.sub("", chunk))
                          for m in [BAR.search(f)] if m]
                if any(kill_at(m.group(1).strip(), int(m.group(2))) for m in frames):
                    proc.send_signal(signal.SIGKILL)
                    print(f"killed {args[0]} at {frames[-1].group(1).strip()} "
                          f"{frames[-1].group(2)}%")
                    break
        code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(leader)
    return code, out


def _counts(engine, tables: tuple[str, ...]) -> dict[str, int]:
    with engine.connect() as c:
        return {t: c.exec_driver_sql(f'SELECT count(*) FROM "{t}"').scalar() for t in tables}


def _schema(engine) -> set[tuple]:
    """Indexes and constraints: what the seed drops for speed and must put back."""
    with engine.connect() as c:
        if engine.dialect.name == "sqlite":
            return set(c.exec_driver_sql("SELECT type, name, sql FROM sqlite_master "
                                         "WHERE type IN ('index', 'trigger')").all())
        return set(c.exec_driver_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
        ).all()) | set(c.exec_driver_sql(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE connamespace = current_schema()::regnamespace").all())


def _intact(engine) -> None:
    """SQLite's own check of the file (PostgreSQL's crash safety is the server's); and a write
    goes through (no lock or half transaction left behind)."""
    with engine.connect() as c:
        if engine.dialect.name == "sqlite":
            assert c.exec_driver_sql("PRAGMA integrity_check").scalars().all() == ["ok"]
            assert c.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    with engine.begin() as c:
        c.exec_driver_sql("INSERT INTO store (code, name, active) VALUES ('KILLTEST', 'x', true)")
        c.exec_driver_sql("DELETE FROM store WHERE code = 'KILLTEST'")


def _customers_file(path: Path, n: int, first: int = 0) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Name", "Phone", "E-mail", "Tier", "City"])
        for i in range(first, first + n):
            w.writerow([f"Kill Customer {i}", f"139{i:08d}", f"k{i}@example.com",
                        "vip" if i % 50 == 0 else "regular", "Shanghai"])
    return path


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


# stage of the progress bar (a msgid of core.imports), lowest share -> where the kill lands
IMPORT_KILLS = [("Checking the rows", 30, "checking the rows against the database"),
                ("Writing", 45, "writing has begun"),
                ("Writing", 90, "most rows written, about to commit")]


def test_an_import_killed_midway_leaves_all_or_nothing(engine, uow, tmp_path, tried):
    """An import killed at any point leaves all of its rows or none, and runs again to the end."""
    add_staff(uow, "killadmin", Role.ADMIN)
    url = _url(engine)
    code, out = _run(["import", "customers", str(_customers_file(tmp_path / "a.csv", 500))], url)
    assert code == 0, out
    tables = ("customer", "audit_log")
    before = _counts(engine, tables)
    schema = _schema(engine)
    big = _customers_file(tmp_path / "b.csv", ROWS, first=500)
    outcomes = []
    for label, share, _where in IMPORT_KILLS:
        code, out = _run(["import", "customers", str(big)], url,
                         kill_at=lambda lab, pct, label=label, share=share:
                         lab == label and pct >= share)
        tried()
        now = _counts(engine, tables)
        if code == KILLED and now == before:
            outcomes.append("none")
        else:   # the kill came too late: then all of it is there, and it says so
            assert now == {"customer": before["customer"] + ROWS,
                           "audit_log": before["audit_log"] + 1}, (label, share, code, out)
            outcomes.append("all")
            break
        assert _schema(engine) == schema
        _intact(engine)
    assert "none" in outcomes, outcomes  # at least one kill landed inside the transaction
    code, out = _run(["import", "customers", str(big)], url)
    assert code == 0, out
    if outcomes[-1] == "none":
        assert _counts(engine, tables) == {"customer": before["customer"] + ROWS,
                                           "audit_log": before["audit_log"] + 1}
    _intact(engine)


SEED_TABLES = ("staff", "customer", "customer_order", "order_line", "service_case",
               "case_event", "complaint", "callback", "survey_answer", "case_daily")
# the seed's progress is its share of rows written, then indexes, statistics, commit
SEED_KILLS = [10, 60, 99]


def test_a_seed_killed_midway_leaves_all_or_nothing(engine, tmp_path, tried):
    """A demo seed killed at any point leaves the database empty or fully seeded, with its
    indexes and keys, and a new seed then works."""
    url = _url(engine)
    empty = _counts(engine, SEED_TABLES)
    schema = _schema(engine)
    assert empty["customer"] == empty["service_case"] == 0
    args = ["seed-demo", "--scale", "small", "--staff-password", "Kill-the-seed-2026"]
    landed = 0
    for share in SEED_KILLS:
        code, out = _run(args, url, kill_at=lambda _lab, pct, share=share: pct >= share)
        tried()
        now = _counts(engine, SEED_TABLES)
        assert _schema(engine) == schema
        _intact(engine)
        if now != empty:   # the kill came after the commit: all of it
            assert now["customer"] == SCALES["small"].customers, (share, code, out)
            assert now["service_case"] == SCALES["small"].cases
            return _seeded_whole(engine)
        assert code == KILLED, out
        landed += 1
    assert landed == len(SEED_KILLS)
    code, out = _run(args, url)
    assert code == 0, out
    _seeded_whole(engine)
    _intact(engine)


def _seeded_whole(engine) -> None:
    now = _counts(engine, SEED_TABLES)
    assert now["customer"] == SCALES["small"].customers
    assert now["service_case"] == SCALES["small"].cases
    assert now["staff"] == len(DEMO_STAFF)
    assert all(now[t] > 0 for t in SEED_TABLES)
    with engine.connect() as c:   # the rollup agrees with the cases
        assert c.exec_driver_sql("SELECT sum(created) FROM case_daily").scalar() == \
            SCALES["small"].cases
