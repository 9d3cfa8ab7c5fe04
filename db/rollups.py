"""The daily case rollups (case_daily, case_minutes_daily) and what keeps them equal to the
cases.

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
    # of the resolved cases, those reopened before (a share of the resolved, never > 100 %)
    "reopened": "CASE WHEN {r}.resolved_at IS NOT NULL AND {r}.reopen_count > 0 THEN 1 "
                "ELSE 0 END",
    "escalated": "CASE WHEN {r}.escalated THEN 1 ELSE 0 END",
    "response_minutes": "COALESCE({r}.first_response_minutes, 0)",
    "resolution_minutes": "COALESCE({r}.resolution_minutes, 0)",
}
# an UPDATE that changes none of these leaves the rollup alone (no row lock taken)
WATCHED = ("created_day", "channel", "kind", "category", "first_response_at",
           "first_response_due_at", "first_response_breached", "resolved_at",
           "resolution_due_at", "resolution_breached", "first_contact_resolution",
           "reopen_count", "escalated", "first_response_minutes", "resolution_minutes")


# case_minutes_daily: opening minutes in buckets whose width grows with the time (1 minute
# under an hour, 5 under 10 hours, 30 under 45 hours, 3 hours under 20 shop days, then a
# 9-hour shop day), each with its cases and their total minutes: a percentile read from it
# takes each bucket's mean, so it is exact wherever a bucket holds one value and otherwise
# off by less than the bucket's width
BUCKET = ("CASE WHEN {m} < 60 THEN {m} WHEN {m} < 600 THEN {m} - {m} % 5 "
          "WHEN {m} < 2700 THEN {m} - {m} % 30 WHEN {m} < 10800 THEN {m} - {m} % 180 "
          "ELSE {m} - {m} % 540 END")
STEPS = ((60, 1), (600, 5), (2700, 30), (10800, 180))
DURATIONS = {"first_response": "first_response_minutes", "resolution": "resolution_minutes"}


def bucket(minutes: int) -> int:
    """BUCKET in Python (for tests and for reading)."""
    for upper, width in STEPS:
        if minutes < upper:
            return minutes - minutes % width
    return minutes - minutes % 540


def _minutes(row: str, sign: str) -> list[str]:
    """Per measure, one UPSERT moving the row's bucket by one (when it has a duration)."""
    out = []
    for measure, column in DURATIONS.items():
        value = f"{row}.{column}"
        out.append(
            f"INSERT INTO case_minutes_daily (day, channel, measure, minutes, cases, "
            f"minutes_total) SELECT {row}.created_day, {row}.channel, '{measure}', "
            f"{BUCKET.format(m=value)}, {sign}1, {sign}{value} WHERE {value} IS NOT NULL "
            f"ON CONFLICT (day, channel, measure, minutes) DO UPDATE "
            f"SET cases = case_minutes_daily.cases + excluded.cases, "
            f"minutes_total = case_minutes_daily.minutes_total + excluded.minutes_total")
    return out


def _apply(row: str, sign: str) -> str:
    """One UPSERT adding (sign '+') or taking away (sign '-') a row's contribution."""
    names = ", ".join(KEYS + tuple(MEASURES))
    values = ", ".join([f"{row}.{k}" for k in KEY_SOURCES]
                       + [f"{sign}({m.format(r=row)})" for m in MEASURES.values()])
    updates = ", ".join(f"{m} = case_daily.{m} + excluded.{m}" for m in MEASURES)
    return (f"INSERT INTO case_daily ({names}) VALUES ({values}) "
            f"ON CONFLICT ({', '.join(KEYS)}) DO UPDATE SET {updates}")


def _body(*parts: tuple[str, str]) -> str:
    """The statements that take away ('-') or add ('+') rows, each ended by ';'."""
    return " ".join(f"{stmt};" for row, sign in parts
                    for stmt in [_apply(row, sign)] + _minutes(row, sign))


def _sqlite() -> list[str]:
    watched = ", ".join(WATCHED)
    return [
        f"CREATE TRIGGER case_daily_insert AFTER INSERT ON service_case "
        f"BEGIN {_body(('NEW', '+'))} END",
        f"CREATE TRIGGER case_daily_update AFTER UPDATE OF {watched} ON service_case "
        f"BEGIN {_body(('OLD', '-'), ('NEW', '+'))} END",
        f"CREATE TRIGGER case_daily_delete AFTER DELETE ON service_case "
        f"BEGIN {_body(('OLD', '-'))} END",
    ]


def _postgres() -> list[str]:
    watched = ", ".join(WATCHED)
    return [
        f"""CREATE OR REPLACE FUNCTION case_daily_apply() RETURNS trigger AS $$
        BEGIN
          IF TG_OP IN ('UPDATE', 'DELETE') THEN {_body(('OLD', '-'))} END IF;
          IF TG_OP IN ('UPDATE', 'INSERT') THEN {_body(('NEW', '+'))} END IF;
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


def recompute_minutes_query() -> str:
    """case_minutes_daily computed from the cases."""
    parts = []
    for measure, column in DURATIONS.items():
        b = BUCKET.format(m=f"service_case.{column}")
        parts.append(f"SELECT created_day AS day, channel, '{measure}' AS measure, "
                     f"{b} AS minutes, COUNT(*) AS cases, SUM({column}) AS minutes_total "
                     f"FROM service_case WHERE {column} IS NOT NULL "
                     f"GROUP BY created_day, channel, {b}")
    return " UNION ALL ".join(parts)


def rebuild_statements() -> list[str]:
    """Replace the rollups by a recomputation: one pass over the cases, for a bulk load."""
    names = ", ".join(KEYS + tuple(MEASURES))
    return ["DELETE FROM case_daily", f"INSERT INTO case_daily ({names}) {recompute_query()}",
            "DELETE FROM case_minutes_daily",
            "INSERT INTO case_minutes_daily (day, channel, measure, minutes, cases, "
            f"minutes_total) {recompute_minutes_query()}"]


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
