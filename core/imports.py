"""Importing customers, products, orders with lines and staff from CSV or Excel (issue 7).

    report = preview_import(uow, actor, "customers", data, "customers.csv")  # writes nothing
    report = apply_import(uow, actor, "customers", data, "customers.csv",
                          mapping=report.mapping, progress=callback)     # all or nothing

Both read the file (core.import_files), match its columns to fields (core.import_fields:
English and Chinese column names; `mapping` overrides field by field), check every row
(core.import_rules), and compare with the database by natural key (core.import_kinds,
core.import_orders; writes through core.import_store). The preview names every
bad row with its reasons and counts the good ones as new / updated / unchanged.

`apply_import` does the same checks again inside its one write transaction (on SQLite the
unit of work's BEGIN IMMEDIATE holds the write lock, so nothing changes between the checks
and the writes) and either writes every row or, when any row is bad, nothing at all: it then
raises ImportRefused, which carries the report naming the rows. Importing the same file
again finds every row unchanged and writes nothing but its audit row. One audit row per
import: kind, file name, its SHA-256, and the counts.

`progress(fraction, message)` is called along the way; `message` is a msgid (translate it
where it is shown).

The actor is an admin (Action.DATA_IMPORT; staff files also need Action.STAFF_MANAGE), or
None for the server's own command line (`manage.py import`), like core.staff.create_staff.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import exc as sa_exc

from core import audit, sla
from core.actor import Actor
from core.clock import utcnow
from core.errors import Busy, ConcurrentChange, ValidationError
from core.i18n import N_
from core.import_files import read_table
from core.import_kinds import PLANNERS, Plan
from core.import_fields import SPECS
from core.import_rules import (
    KIND_LABEL, Context, ImportKind, RowProblem, missing_fields, parse_rows, resolve_mapping,
)
from core.permissions import Action, require
from core.uow import UnitOfWork, _is_lock_error

__all__ = ["KIND_LABEL", "ImportKind", "ImportRefused", "ImportReport", "RowProblem",
           "apply_import", "fields_of", "preview_import", "render_missing"]

Progress = Callable[[float, str], None]

READING, CHECKING, WRITING, DONE = (N_("Reading the file"), N_("Checking the rows"),
                                    N_("Writing"), N_("Done"))


@dataclass
class ImportReport:
    kind: ImportKind
    file_name: str
    encoding: str                            # utf-8, utf-8-sig, gb18030, utf-16, xlsx
    headers: list[str]                       # the file's column names, in order
    mapping: dict[str, str]                  # field -> column of the file
    missing: list[tuple[str, ...]]           # fields (or one-of groups) without a column
    rows: int                                # data rows in the file
    problems: list[RowProblem] = field(default_factory=list)   # by row, then as found
    new: int = 0                             # records (orders for an order file)
    updated: int = 0
    unchanged: int = 0
    lines: int = 0                           # order lines written (order files)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.missing and not self.problems

    @property
    def bad_rows(self) -> list[int]:
        return sorted({p.row for p in self.problems})


class ImportRefused(ValidationError):
    """Nothing was written: the report says why (missing columns or bad rows)."""

    def __init__(self, report: ImportReport) -> None:
        if report.missing:
            labels = [" / ".join(SPECS[report.kind].field(n).label for n in group)
                      for group in report.missing]
            super().__init__(N_("No column of the file is chosen for: {fields}. Nothing was "
                                "imported."), fields=", ".join(labels))
        else:
            super().__init__(N_("{file} has rows that cannot be imported ({count}), so "
                                "nothing was imported. Correct them and import the file "
                                "again."),
                             count=len(report.bad_rows), file=report.file_name)
        self.report = report


def fields_of(kind: str) -> list[tuple[str, str, str]]:
    """(field, label msgid, "required" / "one_of" / "") of a kind, in the file's usual order,
    for the mapping editor; "one_of": at least one of those fields is needed."""
    spec = SPECS[_kind(kind)]
    grouped = {n for group in spec.one_of for n in group}
    return [(f.name, f.label, "required" if f.required else "one_of" if f.name in grouped
             else "") for f in spec.fields]


def _kind(kind: str) -> ImportKind:
    try:
        return ImportKind(kind)
    except ValueError:
        raise ValidationError(N_("Unknown kind of import: {kind}."), kind=str(kind)) from None


def _require(actor: Actor | None, kind: ImportKind) -> None:
    if actor is None:
        return   # the server's own command line
    require(actor, Action.DATA_IMPORT)
    if kind == ImportKind.STAFF:
        require(actor, Action.STAFF_MANAGE)


class _Stage:
    """Reports a part [lo, hi] of the whole as (fraction, message)."""

    def __init__(self, progress: Progress | None, lo: float, hi: float, message: str):
        self.progress, self.lo, self.hi, self.message = progress, lo, hi, message
        self(0.0)

    def __call__(self, fraction: float) -> None:
        if self.progress is not None:
            share = min(max(fraction, 0.0), 1.0)
            self.progress(self.lo + (self.hi - self.lo) * share, self.message)


def _checked(uow: UnitOfWork, kind: ImportKind, data: bytes, file_name: str,
             mapping: Mapping[str, str | None] | None, progress: Progress | None,
             scale: float):
    """Read and parse (outside any write transaction): (report, parsed rows, context)."""
    _Stage(progress, 0.0, 0.05 * scale, READING)
    table = read_table(data, file_name)
    spec = SPECS[kind]
    chosen = resolve_mapping(spec, table.headers, mapping)
    report = ImportReport(kind, file_name, table.encoding, table.headers, chosen,
                          missing_fields(spec, chosen), len(table.rows))
    if report.missing:
        return report, [], None
    with uow.reader() as r:
        ctx = Context(sla.shop_timezone(r.session), utcnow())
    stage = _Stage(progress, 0.05 * scale, 0.6 * scale, CHECKING)
    rows = parse_rows(spec, table.headers, table.rows, chosen, ctx, report.problems, stage)
    return report, rows, ctx


def _plan(session, report: ImportReport, rows, ctx: Context) -> Plan:
    plan = PLANNERS[report.kind](session, rows, report.mapping, report.problems, ctx.now)
    report.problems.sort(key=lambda p: p.row)
    report.new, report.updated, report.unchanged = plan.new, plan.updated, plan.unchanged
    report.lines = plan.lines
    return plan


def preview_import(uow: UnitOfWork, actor: Actor | None, kind: str, data: bytes,
                   file_name: str, mapping: Mapping[str, str | None] | None = None,
                   progress: Progress | None = None) -> ImportReport:
    """Everything the import would do, without writing: the column mapping, every bad row
    with its reasons, and the good rows counted as new / updated / unchanged."""
    import_kind = _kind(kind)
    _require(actor, import_kind)
    report, rows, ctx = _checked(uow, import_kind, data, file_name, mapping, progress, 1.0)
    if ctx is not None:
        _Stage(progress, 0.6, 1.0, CHECKING)
        with uow.reader() as r:
            _plan(r.session, report, rows, ctx)
    _Stage(progress, 1.0, 1.0, DONE)
    return report


def apply_import(uow: UnitOfWork, actor: Actor | None, kind: str, data: bytes,
                 file_name: str, mapping: Mapping[str, str | None] | None = None,
                 progress: Progress | None = None) -> ImportReport:
    """The whole file in one transaction, or nothing (ImportRefused names the bad rows)."""
    import_kind = _kind(kind)
    _require(actor, import_kind)
    report, rows, ctx = _checked(uow, import_kind, data, file_name, mapping, progress, 0.5)
    if ctx is None:
        raise ImportRefused(report)
    try:
        with uow:
            _Stage(progress, 0.3, 0.4, CHECKING)
            plan = _plan(uow.session, report, rows, ctx)
            if not report.ok:
                raise ImportRefused(report)
            plan.write(uow.session, actor, ctx.now, _Stage(progress, 0.4, 0.97, WRITING))
            audit.record(uow, actor, "data_imported", "import", import_kind.value, None, {
                "kind": import_kind.value, "file": file_name[:200],
                "sha256": hashlib.sha256(data).hexdigest(), "rows": report.rows,
                "new": report.new, "updated": report.updated, "unchanged": report.unchanged,
                "lines": report.lines, **_names(plan)})
            uow.commit()
    except sa_exc.IntegrityError as e:
        # someone else wrote one of the file's keys between the checks and the writes
        # (PostgreSQL; SQLite's write lock rules it out): nothing was written
        raise ConcurrentChange() from e
    except sa_exc.OperationalError as e:
        if _is_lock_error(e):
            raise Busy() from e
        raise
    report.applied = True
    _Stage(progress, 1.0, 1.0, DONE)
    return report


def _names(plan: Plan) -> dict:
    """Staff imports name the accounts they created or changed (few, and each matters)."""
    created, changed = getattr(plan, "created", None), getattr(plan, "changed", None)
    return {"created": created, "changed": changed} if created is not None else {}


def render_missing(report: ImportReport, gettext: Callable[[str], str]) -> list[str]:
    """The missing fields (or groups) as the user reads them."""
    spec = SPECS[report.kind]
    return [" / ".join(gettext(spec.field(n).label) for n in group) for group in report.missing]
