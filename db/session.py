"""Engine and sessions for SQLite (default) and PostgreSQL (DATABASE_URL).

SQLite settings come from facts measured on this machine (ARCHITECTURE.md):
- WAL, so a long dashboard read does not block writers;
- every write transaction starts with BEGIN IMMEDIATE: a read-then-write transaction started
  with plain BEGIN fails with "database is locked" under several writers, because SQLite cannot
  upgrade its read lock while another writer holds the reserved lock;
- a COMMIT that fails leaves SQLite's transaction open on that connection; the connection is
  invalidated (closed, which rolls back) so that the next user of the pooled connection cannot
  commit the failed work by accident.
"""
from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, ExceptionContext
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000
PG_CONNECT_TIMEOUT_S = 10
READ_ONLY = "caredesk_read_only"


def data_dir() -> Path:
    path = Path(os.environ.get("CAREDESK_DATA_DIR", "data")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{data_dir() / 'caredesk.db'}"
    # People paste the URL their hosting shows; psycopg 3 is the driver we ship.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str | None = None, **kwargs) -> Engine:
    url = url or database_url()
    if url.startswith("sqlite"):
        return _sqlite_engine(url, **kwargs)
    # a connection found dead (the server restarted, the network cut it) is replaced before
    # use; a server that does not answer at all fails the connect in seconds, not never
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("connect_args", {}).setdefault("connect_timeout", PG_CONNECT_TIMEOUT_S)
    return sa.create_engine(url, **kwargs)


def sqlite_busy_timeout_ms() -> int:
    """How long a save waits for another writer before the user is told the database is busy
    (CAREDESK_SQLITE_BUSY_TIMEOUT_MS, 100 ms to 10 minutes; 30 s when unset)."""
    try:
        value = int(os.environ.get("CAREDESK_SQLITE_BUSY_TIMEOUT_MS", SQLITE_BUSY_TIMEOUT_MS))
    except ValueError:
        value = SQLITE_BUSY_TIMEOUT_MS
    return min(max(value, 100), 600_000)


def _sqlite_engine(url: str, **kwargs) -> Engine:
    busy_ms = sqlite_busy_timeout_ms()
    kwargs.setdefault("connect_args", {})
    kwargs["connect_args"].setdefault("timeout", busy_ms / 1000)
    # Streamlit runs each session's script on its own thread.
    kwargs["connect_args"].setdefault("check_same_thread", False)
    engine = sa.create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Take transaction control from the driver: we emit BEGIN ourselves (below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if ":memory:" not in url and url not in ("sqlite://", "sqlite+pysqlite://"):
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={busy_ms}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "handle_error")
    def _on_error(ctx: ExceptionContext):
        # statement is None when the failing call was the DBAPI commit() itself.
        if ctx.statement is None and ctx.connection is not None:
            ctx.is_disconnect = True
            ctx.invalidate_pool_on_disconnect = False

    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)
