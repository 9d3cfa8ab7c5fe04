"""Unit of work: one service call = one transaction, rolled back unless committed.

    with uow:
        ...                      # reads and changes through uow.session
        audit.record(uow, ...)   # in the same transaction
        uow.commit()

Leaving the block without commit() rolls everything back, so an exception half-way never
leaves half a change behind.

A database failure a person can do something about leaves the block as a domain error with a
message: a lock or a lost race as Busy (try again), a server or file that cannot be reached as
DatabaseUnavailable (try again in a moment). Anything else stays what it is (a bug).
"""
from __future__ import annotations

import contextlib

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from core.errors import Busy, ConcurrentChange, DatabaseUnavailable, DomainError
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

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            try:
                if not self.read_only:
                    # expire what was not committed, so nobody reads a change that never was
                    self.session.rollback()
            finally:
                # a reader only closes: the objects it loaded stay readable for the caller
                self.session.close()
        except sa_exc.DBAPIError as e:
            if exc is None:   # (with an error already on its way, that error says more)
                raise database_error(e) or e
        mapped = database_error(exc)
        if mapped is not None:
            raise mapped from exc

    def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        try:
            self.session.commit()
        except StaleDataError as e:
            self.session.rollback()
            raise ConcurrentChange() from e
        except sa_exc.DBAPIError as e:
            # the failed transaction is over: nothing of it may reach the next one
            with contextlib.suppress(sa_exc.DBAPIError):
                self.session.rollback()
            mapped = database_error(e)
            if mapped is None:
                raise
            raise mapped from e

    def flush(self) -> None:
        try:
            self.session.flush()
        except StaleDataError as e:
            raise ConcurrentChange() from e
        except sa_exc.DBAPIError as e:
            mapped = database_error(e)
            if mapped is None:
                raise
            raise mapped from e

    def reader(self) -> UnitOfWork:
        """A read-only unit of work on the same database (plain BEGIN on SQLite)."""
        return UnitOfWork(self.engine, read_only=True)


def expect_version(record: object, seen_version: int | None) -> None:
    """The form's copy of a record carries the version it was read at; saving over a newer
    version would silently undo someone else's change, so it is refused instead.
    (Within one transaction the mapper's version column guards the same race.)"""
    if seen_version is not None and getattr(record, "version") != seen_version:
        raise ConcurrentChange()


# PostgreSQL SQLSTATEs: the transaction lost a race (serialization failure, deadlock, lock
# not available) and can be tried again as it is ...
_RETRY_STATES = frozenset({"40001", "40P01", "55P03"})
# ... or the server is gone or will not take us (class 08: connection exception; shut down;
# starting up; too many connections)
_GONE_STATES = frozenset({"57P01", "57P02", "57P03", "53300"})
# without a SQLSTATE (SQLite, or a connection that never opened), by the driver's words
_LOCK_TEXTS = ("database is locked", "deadlock detected", "could not serialize")
_GONE_TEXTS = ("unable to open database file", "disk i/o error", "readonly database",
               "connection")


def database_error(e: BaseException | None) -> DomainError | None:
    """The domain error a person sees for a database failure; None when it is not one they
    can do anything about (a bug: it stays as it is)."""
    if not isinstance(e, sa_exc.DBAPIError):
        return None
    if _is_lock_error(e):
        return Busy()
    if _is_unavailable(e):
        return DatabaseUnavailable()
    return None


def _is_lock_error(e: sa_exc.DBAPIError) -> bool:
    state = getattr(e.orig, "sqlstate", None)
    if state:
        return state in _RETRY_STATES
    text = str(e.orig).lower() if e.orig is not None else str(e).lower()
    return any(t in text for t in _LOCK_TEXTS)


def _is_unavailable(e: sa_exc.DBAPIError) -> bool:
    state = getattr(e.orig, "sqlstate", None)
    if state:
        return state.startswith("08") or state in _GONE_STATES
    if isinstance(e, sa_exc.IntegrityError):   # (a refused COMMIT also invalidates on SQLite)
        return False
    if e.connection_invalidated or isinstance(e, sa_exc.InterfaceError):
        return True
    if not isinstance(e, sa_exc.OperationalError):
        return False
    text = str(e.orig).lower() if e.orig is not None else str(e).lower()
    return any(t in text for t in _GONE_TEXTS)
