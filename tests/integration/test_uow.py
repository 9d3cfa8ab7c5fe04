"""Transactions: two people on one record never both win; SQLite under several writers never
says "database is locked"; a failed COMMIT is never written later."""
import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import QueuePool

from core.errors import ConcurrentChange
from core.uow import UnitOfWork, expect_version
from db.models import Customer, Store
from db.session import make_engine


def add_customer(uow) -> int:
    with uow:
        c = Customer(name="Zhang Wei", phone="+8613800000000")
        uow.session.add(c)
        uow.commit()
        return c.id


def test_saving_a_stale_form_is_refused_and_nothing_is_lost(engine):
    uow = UnitOfWork(engine)
    cid = add_customer(uow)
    with uow.reader() as r:                      # agent A opens the form
        seen = r.session.get(Customer, cid).version
    with uow:                                    # agent B saves first
        uow.session.get(Customer, cid).tier = "vip"
        uow.commit()
    with pytest.raises(ConcurrentChange):        # agent A saves: told to reload
        with uow:
            record = uow.session.get(Customer, cid)
            expect_version(record, seen)
            record.name = "Zhang W."
            uow.commit()
    with uow.reader() as r:
        c = r.session.get(Customer, cid)
        assert (c.name, c.tier.value, c.version) == ("Zhang Wei", "vip", 2)


def test_version_column_catches_a_race_inside_transactions(engine):
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE: this race cannot start")
    uow = UnitOfWork(engine)
    cid = add_customer(uow)
    s1, s2 = UnitOfWork(engine), UnitOfWork(engine)
    with s1:
        mine = s1.session.get(Customer, cid)   # loaded at version 1
        with s2:
            theirs = s2.session.get(Customer, cid)
            theirs.tier = "vip"
            s2.commit()
        mine.name = "Zhang Wei Jr."
        with pytest.raises(ConcurrentChange):
            s1.commit()
    with uow.reader() as r:
        c = r.session.get(Customer, cid)
        assert (c.name, c.tier.value, c.version) == ("Zhang Wei", "vip", 2)


def test_sqlite_writers_never_see_database_is_locked(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's single-writer lock is what this test is about")
    errors, done = [], []

    def writer(n: int) -> None:
        uow = UnitOfWork(engine)
        for i in range(40):
            try:
                with uow:   # read, then write: the pattern that deadlocks under plain BEGIN
                    count = uow.session.scalar(sa.select(sa.func.count()).select_from(Store))
                    uow.session.add(Store(code=f"W{n}-{i}", name=f"store {count}"))
                    uow.commit()
                    done.append(1)
            except Exception as e:  # collected, not raised, so every thread runs to the end
                errors.append(repr(e))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with UnitOfWork(engine).reader() as r:
        assert r.session.scalar(sa.select(sa.func.count()).select_from(Store)) == 160


def test_a_failed_commit_is_not_written_by_the_next_transaction(database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite keeps a failed COMMIT's transaction open; PostgreSQL aborts it")
    # one pooled connection, so the next transaction surely reuses it
    eng = make_engine(database_url, poolclass=QueuePool, pool_size=1, max_overflow=0)
    uow = UnitOfWork(eng)
    with pytest.raises(sa.exc.DBAPIError):
        with uow:
            # a deferred foreign-key violation makes SQLite refuse the COMMIT itself
            uow.session.execute(sa.text("PRAGMA defer_foreign_keys = ON"))
            uow.session.add(Customer(name="Ghost", home_store_id=999))
            uow.commit()
    with uow:
        uow.session.add(Store(code="OK", name="a later, valid change"))
        uow.commit()
    with uow.reader() as r:
        names = r.session.scalars(sa.select(Customer.name)).all()
        assert "Ghost" not in names
        assert r.session.scalar(sa.select(Store.name)) == "a later, valid change"
    eng.dispose()


def test_a_failed_commit_invalidates_its_connection(database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite keeps a failed COMMIT's transaction open; PostgreSQL aborts it")
    eng = make_engine(database_url)
    conn = eng.connect()
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    conn.execute(sa.insert(Customer).values(name="Ghost", home_store_id=999, tier="regular",
                                            marketing_consent=False, language="en"))
    with pytest.raises(sa.exc.DBAPIError):
        conn.commit()
    # closed rather than handed back to the pool with SQLite's transaction still open
    assert conn.invalidated
    conn.close()
    eng.dispose()


def test_read_only_unit_of_work_cannot_commit(engine):
    with pytest.raises(RuntimeError):
        with UnitOfWork(engine).reader() as r:
            r.commit()


def test_sqlite_pragmas(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite settings")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
