"""Database-side guards that the ORM cannot express: the audit log is append-only.

Used by the migration and by metadata.create_all (through an after_create event), so a
database made either way refuses UPDATE and DELETE on audit_log."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import event

from db.models import AuditEntry

_SQLITE = [
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
]
_POSTGRES = [
    """CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
       FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
    """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
       FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()""",
]


def append_only_statements(dialect: str) -> list[str]:
    return {"sqlite": _SQLITE, "postgresql": _POSTGRES}.get(dialect, [])


def drop_statements(dialect: str) -> list[str]:
    if dialect == "sqlite":
        return ["DROP TRIGGER IF EXISTS audit_log_no_update",
                "DROP TRIGGER IF EXISTS audit_log_no_delete"]
    if dialect == "postgresql":
        return ["DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log",
                "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
                "DROP FUNCTION IF EXISTS audit_log_append_only()"]
    return []


@event.listens_for(AuditEntry.__table__, "after_create")
def _guard(table, connection, **_):
    for stmt in append_only_statements(connection.dialect.name):
        connection.execute(sa.text(stmt))
