"""The daily case rollup (case_daily) and what keeps it equal to the cases.

Triggers in the database, not ORM events: every writer (a service, the seed's bulk load, a
migration, an admin's SQL) moves the counts, and the update happens in the writer's own
transaction, so a rollback takes it back too. An UPDATE subtracts the old row's contribution
and adds the new one's; a DELETE subtracts. The measures are written once, below, and used
by the triggers and by the recomputation (the seed's bulk load and the tests' check).
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import event

from core.clock import utcnow
from db.models import Base, Case, Setting

KEYS = ("day", "channel", "kind", "category")
KEY_SOURCES = ("created_day", "channel", "kind", "category")

# measure -> its value for one case row, {r} being the row (NEW, OLD or the table)
MEASURES: dict[str, str] = {
    "created": "1",
    "responded": "CASE WHEN {r}.first_response_at IS NOT NULL THEN 1 ELSE 0 END",
    "response_targeted": "CASE WHEN {r}.first_response_at IS NOT NULL "
                         "AND {r}.first_response_due_at IS NOT NULL THEN 1 ELSE 0 END",
    "response_met": "CASE WHEN {r}.first_response_at IS NOT NULL AND "
                    "{r}.first_response_due_at IS NOT NULL AND NOT {r}.first_response_breached "
                    "THEN 1 ELSE 0 END",
    "resolved": "CASE WHEN {r}.resolved_at IS NOT NULL THEN 1 ELSE 0 END",
    "resolution_targeted": "CASE WHEN {r}.resolved_at IS NOT NULL "
                           "AND {r}.resolution_due_at IS NOT NULL THEN 1 ELSE 0 END",
    "resolution_met": "CASE WHEN {r}.resolved_at IS NOT NULL AND {r}.resolution_due_at IS NOT "
                      "NULL AND NOT {r}.resolution_breached THEN 1 ELSE 0 END",
    "first_contact_resolved": "CASE WHEN {r}.first_contact_resolution THEN 1 ELSE 0 END",
    "reopened": "CASE WHEN {r}.reopen_count > 0 THEN 1 ELSE 0 END",
    "escalated": "CASE WHEN {r}.escalated THEN 1 ELSE 0 END",
    "response_minutes": "COALESCE({r}.first_response_minutes, 0)",
    "resolution_minutes": "COALESCE({r}.resolution_minutes, 0)",
}
# an UPDATE that changes none of these leaves the rollup alone (no row lock taken)
WATCHED = ("created_day", "channel", "kind", "category", "first_response_at",
           "first_response_due_at", "first_response_breached", "resolved_at",
           "resolution_due_at", "resolution_breached", "first_contact_resolution",
           "reopen_count", "escalated", "first_response_minutes", "resolution_minutes")


def _apply(row: str, sign: str) -> str:
    """One UPSERT adding (sign '+') or taking away (sign '-') a row's contribution."""
    names = ", ".join(KEYS + tuple(MEASURES))
    values = ", ".join([f"{row}.{k}" for k in KEY_SOURCES]
                       + [f"{sign}({m.format(r=row)})" for m in MEASURES.values()])
    updates = ", ".join(f"{m} = case_daily.{m} + excluded.{m}" for m in MEASURES)
    return (f"INSERT INTO case_daily ({names}) VALUES ({values}) "
            f"ON CONFLICT ({', '.join(KEYS)}) DO UPDATE SET {updates}")


def _sqlite() -> list[str]:
    watched = ", ".join(WATCHED)
    return [
        f"CREATE TRIGGER case_daily_insert AFTER INSERT ON service_case "
        f"BEGIN {_apply('NEW', '+')}; END",
        f"CREATE TRIGGER case_daily_update AFTER UPDATE OF {watched} ON service_case "
        f"BEGIN {_apply('OLD', '-')}; {_apply('NEW', '+')}; END",
        f"CREATE TRIGGER case_daily_delete AFTER DELETE ON service_case "
        f"BEGIN {_apply('OLD', '-')}; END",
    ]


def _postgres() -> list[str]:
    watched = ", ".join(WATCHED)
    return [
        f"""CREATE OR REPLACE FUNCTION case_daily_apply() RETURNS trigger AS $$
        BEGIN
          IF TG_OP IN ('UPDATE', 'DELETE') THEN {_apply('OLD', '-')}; END IF;
          IF TG_OP IN ('UPDATE', 'INSERT') THEN {_apply('NEW', '+')}; END IF;
          RETURN NULL;
        END; $$ LANGUAGE plpgsql""",
        "CREATE TRIGGER case_daily_insert_delete AFTER INSERT OR DELETE ON service_case "
        "FOR EACH ROW EXECUTE FUNCTION case_daily_apply()",
        f"CREATE TRIGGER case_daily_update AFTER UPDATE OF {watched} ON service_case "
        "FOR EACH ROW EXECUTE FUNCTION case_daily_apply()",
    ]


def create_statements(dialect: str) -> list[str]:
    return {"sqlite": _sqlite, "postgresql": _postgres}[dialect]()


def drop_statements(dialect: str) -> list[str]:
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS case_daily_{op}" for op in ("insert", "update",
                                                                    "delete")]
    return ["DROP TRIGGER IF EXISTS case_daily_insert_delete ON service_case",
            "DROP TRIGGER IF EXISTS case_daily_update ON service_case",
            "DROP FUNCTION IF EXISTS case_daily_apply()"]


def recompute_query(where: str = "") -> str:
    """The rollup computed from the cases themselves (what the triggers must always equal)."""
    measures = ", ".join(f"SUM({m.format(r='service_case')}) AS {name}"
                         for name, m in MEASURES.items())
    keys = ", ".join(f"service_case.{k}" for k in KEY_SOURCES)
    return (f"SELECT {keys}, {measures} FROM service_case {where} GROUP BY {keys}")


def rebuild_statements() -> list[str]:
    """Replace the rollup by a recomputation: one pass over the cases, for a bulk load."""
    names = ", ".join(KEYS + tuple(MEASURES))
    return ["DELETE FROM case_daily", f"INSERT INTO case_daily ({names}) {recompute_query()}"]


@event.listens_for(Base.metadata, "after_create")
def _create_triggers(target, connection, **_):
    for stmt in create_statements(connection.dialect.name):
        connection.execute(sa.text(stmt))


# --- the case's shop day ------------------------------------------------------------------------

def shop_day(created_at: datetime, timezone: str):
    return created_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(timezone)).date()


@event.listens_for(Case, "before_insert")
def _created_day(_mapper, connection, case: Case) -> None:
    if case.created_day is not None:
        return
    if case.created_at is None:
        case.created_at = utcnow()
    timezone = connection.scalar(sa.select(Setting.value).where(Setting.key == "shop.timezone"))
    case.created_day = shop_day(case.created_at, timezone or "Asia/Shanghai")
