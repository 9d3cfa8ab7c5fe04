"""The import's way to the database: bulk INSERTs and UPDATEs in chunks, lookups of the
file's natural keys, and the plan every kind fills (core.import_kinds, core.import_orders).

Existing keys are looked up per chunk of the file's own keys (`IN (...)`), so a small file
costs a few queries whatever the size of the tables. Writes are multi-row INSERTs and
executemany UPDATEs in chunks, never one ORM object per row; an UPDATE checks the version
it read, so a record changed by someone else meanwhile fails the whole import
(ConcurrentChange) instead of being overwritten.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core.errors import ConcurrentChange
from core.import_rules import ParsedRow, RowProblem

CHUNK = 2_000          # rows per INSERT / UPDATE batch (and per progress step)
IN_CHUNK = 900         # keys per lookup query

Step = Callable[[float], None]


def insert_rows(session: Session, model, rows: list[dict]) -> None:
    """One bulk INSERT of a chunk: every write of an import goes through here. (The table's
    Core insert: the ORM's bulk path costs twice the time per row and adds nothing here.)"""
    if rows:
        session.execute(sa.insert(model.__table__), rows)


def ids_of(session: Session, model, key: str, keys: list) -> dict:
    """key -> id of the rows just inserted (a multi-row INSERT ... RETURNING cannot promise
    the order of its rows on SQLite, so they are read back by their natural key)."""
    column = getattr(model, key)
    return dict(session.execute(sa.select(column, model.id).where(column.in_(keys))).all())


def update_rows(session: Session, model, columns: Iterable[str], rows: list[dict],
                now: datetime) -> None:
    """executemany UPDATE by id and version; rows hold b_id, b_version and v_<column>."""
    if not rows:
        return
    t = model.__table__
    values = {c: sa.bindparam(f"v_{c}") for c in columns}
    if "version" in t.c:
        values["version"] = t.c.version + 1
    if "updated_at" in t.c:
        values["updated_at"] = now
    stmt = sa.update(t).where(t.c.id == sa.bindparam("b_id"),
                              t.c.version == sa.bindparam("b_version")).values(values)
    for part in chunks(rows, CHUNK):
        result = session.execute(stmt, part)
        if result.rowcount is not None and 0 <= result.rowcount < len(part):
            raise ConcurrentChange()


def chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def lookup(session: Session, columns, key, keys: Iterable, *where) -> Iterator:
    """Rows whose `key` is one of `keys`, lowest id first within each key."""
    keys = sorted({k for k in keys if k is not None})
    id_column = columns[0]
    for part in chunks(keys, IN_CHUNK):
        yield from session.execute(sa.select(*columns).where(key.in_(part), *where)
                                   .order_by(id_column))


def problem(problems: list[RowProblem], r: ParsedRow, column: str | None, message: str,
            **params) -> None:
    """Names the row's problem (message: a msgid) and marks the row bad."""
    problems.append(RowProblem(r.row, message, params, column))
    r.bad = True


@dataclass
class Plan:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    lines: int = 0

    def write(self, session: Session, actor, now: datetime, step: Step) -> None:
        raise NotImplementedError


def changed_fields(current, values: Mapping[str, object], fields: Iterable[str]) -> dict:
    """The fields the file gives (a blank cell gives none) whose value differs from the
    record's."""
    return {f: values[f] for f in fields if f in values and values[f] != getattr(current, f)}
