"""Unit of work: one service call = one transaction, rolled back unless committed.

    with uow:
        ...                      # reads and changes through uow.session
        audit.record(uow, ...)   # in the same transaction
        uow.commit()

Leaving the block without commit() rolls everything back, so an exception half-way never
leaves half a change behind.
"""
from __future__ import annotations

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from core.errors import Busy, ConcurrentChange
from db.session import READ_ONLY, session_factory


class UnitOfWork:
    session: Session

    def __init__(self, engine: Engine, *, read_only: bool = False) -> None:
        self.engine = engine
        self.read_only = read_only
        bind = engine.execution_options(**{READ_ONLY: True}) if read_only else engine
        self._factory: sessionmaker[Session] = session_factory(bind)

    def __enter__(self) -> UnitOfWork:
        self.session = self._factory()
        return self

    def __exit__(self, *exc) -> None:
        try:
            if not self.read_only:
                # expire what was not committed, so nobody reads a change that never was
                self.session.rollback()
        finally:
            # a reader only closes: the objects it loaded stay readable for the caller
            self.session.close()

    def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        try:
            self.session.commit()
        except StaleDataError as e:
            self.session.rollback()
            raise ConcurrentChange() from e
        except sa_exc.OperationalError as e:
            self.session.rollback()
            if _is_lock_error(e):
                raise Busy() from e
            raise

    def flush(self) -> None:
        try:
            self.session.flush()
        except StaleDataError as e:
            raise ConcurrentChange() from e
        except sa_exc.OperationalError as e:
            if _is_lock_error(e):
                raise Busy() from e
            raise

    def reader(self) -> UnitOfWork:
        """A read-only unit of work on the same database (plain BEGIN on SQLite)."""
        return UnitOfWork(self.engine, read_only=True)


def expect_version(record: object, seen_version: int | None) -> None:
    """The form's copy of a record carries the version it was read at; saving over a newer
    version would silently undo someone else's change, so it is refused instead.
    (Within one transaction the mapper's version column guards the same race.)"""
    if seen_version is not None and getattr(record, "version") != seen_version:
        raise ConcurrentChange()


def _is_lock_error(e: sa_exc.OperationalError) -> bool:
    text = str(e.orig).lower() if e.orig is not None else str(e).lower()
    return ("database is locked" in text or "deadlock detected" in text
            or "could not serialize" in text)
