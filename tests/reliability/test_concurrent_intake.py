"""Load: many agents taking contacts at once while a dashboard reads, on the real database.

Each writer is its own OS process (load_worker.py) with its own engine and pool, as app
processes are; every intake goes through core.cases.open_case as a real agent and carries a
unique token in its subject, so that afterwards every case can be accounted for.

CAREDESK_LOAD_INTAKES sets the intakes per process (default 2,000, as the issue asks).
"""
from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.pool import QueuePool

from core import cases
from core.errors import Busy
from core.uow import UnitOfWork
from core.vocabulary import Role
from db import rollups
from db.models import AuditEntry, Callback, Case, CaseEvent, Customer, OutboxMessage
from db.session import make_engine
from tests.conftest import add_staff

pytestmark = pytest.mark.casebook("Load")

WORKER = Path(__file__).with_name("load_worker.py")
REPO = Path(__file__).resolve().parents[2]
PROCESSES = {"sqlite": 4, "postgresql": 8}
PER_PROCESS = int(os.environ.get("CAREDESK_LOAD_INTAKES", "2000"))
TIMEOUT_S = 900


def _start(job: dict) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, str(WORKER), json.dumps(job)], cwd=REPO,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    return proc


def _ready(proc: subprocess.Popen) -> None:
    line = proc.stdout.readline().strip()
    assert line == "ready", f"worker did not start (said {line!r})"


def _result(proc: subprocess.Popen) -> dict:
    out, _ = proc.communicate(timeout=TIMEOUT_S)
    assert proc.returncode == 0, f"worker failed ({proc.returncode})"
    return json.loads(out.strip().splitlines()[-1])


def _reference(uow: UnitOfWork, actor, customer_id: int) -> dict[bool, dict[str, int]]:
    """What one intake of each shape writes to the case's timeline and the outbox."""
    shapes = {True: dict(answer="It ships tomorrow.", resolved_now=True),
              False: dict(next_step="We will call back tomorrow.")}
    out = {}
    for first_contact, extra in shapes.items():
        receipt = cases.open_case(uow, actor, customer_id=customer_id, channel="phone",
                                  kind="inquiry", category="delivery",
                                  subject=f"Parcel reference-{first_contact}",
                                  question="Where is my parcel?", **extra)
        with uow.reader() as r:
            out[first_contact] = {
                name: r.session.scalar(sa.select(sa.func.count()).select_from(model)
                                       .where(model.case_id == receipt.case_id))
                for name, model in (("events", CaseEvent), ("outbox", OutboxMessage))}
    return out


def _counts_per_case(s, model) -> Counter:
    return Counter(dict(s.execute(sa.select(model.case_id, sa.func.count())
                                  .group_by(model.case_id)).all()))


def test_concurrent_intakes_are_neither_refused_lost_nor_duplicated(engine, tried):
    """Agent processes (4 on SQLite, 8 on PostgreSQL) taking 2,000 contacts each at once
    while a dashboard reads are never told the database is locked or busy, and no case is
    lost, duplicated or half written."""
    dialect = engine.dialect.name
    processes = PROCESSES[dialect]
    uow = UnitOfWork(engine)
    with uow:
        customer_ids = []
        for i in range(20):   # with an e-mail address: open cases queue an acknowledgement
            c = Customer(name=f"Load Customer {i}", phone=f"+86139000{i:05d}",
                         phone_normalized=f"+86139000{i:05d}", email=f"load{i}@example.com")
            uow.session.add(c)
            uow.session.flush()
            customer_ids.append(c.id)
        uow.commit()
    agents = [add_staff(uow, f"loadagent{n}", Role.AGENT) for n in range(processes)]
    boss = add_staff(uow, "loadsupervisor", Role.SUPERVISOR)
    per_intake = _reference(uow, agents[0], customer_ids[0])
    with uow.reader() as r:
        before = {m.__name__: r.session.scalar(sa.select(sa.func.count()).select_from(m))
                  for m in (Case, CaseEvent, OutboxMessage, Callback, AuditEntry)}

    url = engine.url.render_as_string(hide_password=False)
    writers = [_start({"role": "intake", "database_url": url, "staff_id": a.staff_id,
                       "username": a.username, "roles": ["agent"], "tag": f"w{n}",
                       "count": PER_PROCESS, "customers": customer_ids})
               for n, a in enumerate(agents)]
    reader = _start({"role": "reader", "database_url": url, "staff_id": boss.staff_id,
                     "username": boss.username, "roles": ["supervisor"]})
    everyone = writers + [reader]
    try:
        for p in everyone:
            _ready(p)
        started = time.perf_counter()
        for p in everyone:
            p.stdin.write("go\n")
            p.stdin.flush()
        results = [_result(p) for p in writers]
        elapsed = time.perf_counter() - started
        reader.stdin.write("stop\n")
        reader.stdin.flush()
        reading = _result(reader)
    finally:
        for p in everyone:
            if p.poll() is None:
                p.kill()
                p.wait()

    attempted = sum(r["attempted"] for r in results)
    tried(attempted)
    print(f"\n{dialect}: {processes} x {PER_PROCESS} intakes in {elapsed:.1f} s "
          f"({attempted} attempts, {sum(r['busy'] for r in results)} busy); "
          f"{reading['reads']} dashboard/queue reads")
    # nobody was told "database is locked" / "busy", nobody saw a traceback
    problems = [(r["busy"], r["other"], r["samples"]) for r in results if r["busy"] or r["other"]]
    assert problems == [], problems
    assert (reading["busy"], reading["other"]) == (0, 0), reading["samples"]
    assert reading["reads"] > 0
    assert all(r["given_up"] == [] for r in results)
    assert sum(r["succeeded"] for r in results) == processes * PER_PROCESS

    succeeded = {token: case_id for r in results for token, case_id in r["done"]}
    assert len(succeeded) == processes * PER_PROCESS
    with uow.reader() as r:
        s = r.session
        rows = s.execute(sa.select(Case.subject, Case.id, Case.first_contact_resolution)
                         .where(Case.subject.like("Parcel w%"))).all()
        tokens = Counter(subject.removeprefix("Parcel ") for subject, _, _ in rows)
        # 0 duplicated: no token twice; 0 lost and nothing written that was not confirmed
        assert [t for t, n in tokens.items() if n > 1] == []
        assert set(tokens) == set(succeeded)
        assert {subject.removeprefix("Parcel "): cid for subject, cid, _ in rows} == succeeded
        fcr = sum(1 for _, _, resolved in rows if resolved)
        opened = len(rows) - fcr
        assert fcr == sum(1 for t in succeeded if int(t.split("-")[1]) % 3 == 0)

        # every case whole: its timeline, its acknowledgement, its audit row; one follow-up
        # call per customer (a resolved case schedules one unless the customer has one open)
        after = {m.__name__: s.scalar(sa.select(sa.func.count()).select_from(m))
                 for m in (Case, CaseEvent, OutboxMessage, Callback, AuditEntry)}
        new_calls = after["Callback"] - before["Callback"]
        expected = {"Case": len(rows), "Callback": new_calls,
                    "AuditEntry": len(rows) + new_calls}
        for name, key in (("CaseEvent", "events"), ("OutboxMessage", "outbox")):
            expected[name] = fcr * per_intake[True][key] + opened * per_intake[False][key]
        assert {k: after[k] - before[k] for k in after} == expected
        events = _counts_per_case(s, CaseEvent)
        shape = {cid: resolved for _, cid, resolved in rows}
        assert {cid for cid in shape if events[cid] != per_intake[shape[cid]]["events"]} == set()
        created = Counter(s.scalars(sa.select(AuditEntry.entity_id).where(
            AuditEntry.action == "case_created")))
        assert {str(cid) for cid in shape} <= set(created)
        assert max(created.values()) == 1
        calls = Counter(s.scalars(sa.select(Callback.customer_id).where(
            Callback.status == "open", Callback.purpose == "follow_up")))
        assert set(calls) == set(customer_ids) and set(calls.values()) == {1}

        # the daily rollups the dashboards read add up to the cases, row by row
        def rows_of(sql: str) -> set[tuple]:
            return {tuple(int(v) if isinstance(v, (int, float, Decimal)) else str(v)
                          for v in row) for row in s.execute(sa.text(sql)).all()}
        measures = ", ".join(rollups.KEYS + tuple(rollups.MEASURES))
        kept = rows_of(f"SELECT {measures} FROM case_daily WHERE created <> 0")
        assert kept == rows_of(rollups.recompute_query())
        total = s.scalar(sa.text("SELECT sum(created) FROM case_daily"))
        assert total == s.scalar(sa.select(sa.func.count()).select_from(Case))
        kept = rows_of("SELECT day, channel, measure, minutes, cases, minutes_total "
                       "FROM case_minutes_daily WHERE cases <> 0")
        assert kept == rows_of(rollups.recompute_minutes_query())


# --- a COMMIT that fails ------------------------------------------------------------------------

DOOMED = "Parcel doomed-1"


def _intake(uow: UnitOfWork, actor, customer_id: int, subject: str):
    return cases.open_case(uow, actor, customer_id=customer_id, channel="phone",
                           kind="inquiry", category="delivery", subject=subject,
                           question="Where is my parcel?", next_step="We will call back.")


def _sqlite_commit_fails(engine_url: str):
    """SQLite in rollback-journal mode (what it falls back to where WAL cannot work, e.g. a
    network share) with a short busy timeout: a reader holding its shared lock makes the
    writer's COMMIT itself fail with "database is locked", leaving SQLite's transaction open
    on that connection."""
    eng = make_engine(engine_url, poolclass=QueuePool, pool_size=1, max_overflow=0)

    @event.listens_for(eng, "connect")
    def _journal(dbapi_conn, _record):   # after db.session's own settings
        dbapi_conn.execute("PRAGMA journal_mode=DELETE")
        dbapi_conn.execute("PRAGMA busy_timeout=300")

    path = eng.url.database
    holder = sqlite3.connect(path, isolation_level=None)

    @contextlib.contextmanager
    def failing():
        holder.execute("BEGIN")
        holder.execute("SELECT count(*) FROM service_case").fetchall()   # a shared lock
        try:
            yield
        finally:
            holder.execute("COMMIT")

    return eng, failing, holder.close


def _postgres_commit_fails(engine_url: str):
    """PostgreSQL: a deferred constraint trigger refuses the doomed case at COMMIT time with
    the error a serialization failure gives (SQLSTATE 40001)."""
    eng = make_engine(engine_url, poolclass=QueuePool, pool_size=1, max_overflow=0)
    with eng.begin() as c:
        c.exec_driver_sql(f"""
            CREATE FUNCTION refuse_doomed() RETURNS trigger AS $$ BEGIN
              IF NEW.subject = '{DOOMED}' AND current_setting('test.refuse', true) = 'on' THEN
                RAISE EXCEPTION 'could not serialize access due to concurrent update'
                  USING ERRCODE = 'serialization_failure';
              END IF; RETURN NULL; END; $$ LANGUAGE plpgsql""")
        c.exec_driver_sql("CREATE CONSTRAINT TRIGGER refuse_doomed AFTER INSERT ON service_case "
                          "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                          "EXECUTE FUNCTION refuse_doomed()")

    @contextlib.contextmanager
    def failing():
        with eng.connect() as c:   # (the pool's one connection, handed back at once)
            c.exec_driver_sql("SELECT set_config('test.refuse', 'on', false)")
            c.commit()
        try:
            yield
        finally:
            with eng.connect() as c:
                c.exec_driver_sql("SELECT set_config('test.refuse', 'off', false)")
                c.commit()

    return eng, failing, lambda: None


@pytest.mark.casebook("Faults")
def test_a_commit_that_fails_is_never_written_later(database_url, tried):
    """A save whose COMMIT fails tells the user it was not saved, and is never written later
    by the next transaction on the same pooled connection; trying again saves it once."""
    sqlite = database_url.startswith("sqlite")
    eng, failing, close = (_sqlite_commit_fails if sqlite else _postgres_commit_fails)(
        database_url)
    try:
        uow = UnitOfWork(eng)
        agent = add_staff(uow, "commitagent", Role.AGENT)
        with uow:
            customer = Customer(name="Commit Customer", phone="+8613900099999",
                                phone_normalized="+8613900099999")
            uow.session.add(customer)
            uow.commit()
        with failing():
            with pytest.raises(Busy):   # "The database is busy. Nothing was saved; ..."
                _intake(uow, agent, customer.id, DOOMED)
        tried()
        # the next transaction on the same (only) pooled connection
        later = _intake(uow, agent, customer.id, "Parcel later-1")

        def subjects() -> Counter:
            with uow.reader() as r:
                return Counter(r.session.scalars(sa.select(Case.subject)))
        assert subjects() == Counter({"Parcel later-1": 1})
        with uow.reader() as r:
            assert r.session.scalar(sa.select(sa.func.count()).select_from(CaseEvent).where(
                CaseEvent.case_id != later.case_id)) == 0
            assert r.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
                AuditEntry.action == "case_created")) == 1
            assert r.session.scalar(sa.text("SELECT sum(created) FROM case_daily")) == 1
        # the user tries again: saved once
        _intake(uow, agent, customer.id, DOOMED)
        assert subjects() == Counter({"Parcel later-1": 1, DOOMED: 1})
    finally:
        close()
        eng.dispose()
