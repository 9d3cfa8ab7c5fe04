"""Reading the audit log (issue 7): filter by who, which record, which action and when;
newest first, a page at a time (keyset on the id, so page 1,000 costs what page 1 does); the
view "who viewed or exported personal data"; and the filtered log as a file.

Who may read it: Action.AUDIT_VIEW (supervisors and admins). The old and new values of a
customer or order change hold contact data (phone, e-mail, address, delivery address); a
reader without Action.CUSTOMER_PERSONAL_DATA (an admin) gets them masked with
core.customers' masks, and phone numbers or e-mail addresses inside any other text masked too.

Indexes used: (actor_id, at) for a person, (entity, entity_id) for a record, (at) for a period;
an action alone (no index of its own) is found walking the newest rows backwards by id.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import pandas as pd
import sqlalchemy as sa

from core import audit, data_exports, exports, sla, validate
from core.actor import Actor
from core.clock import utcnow
from core.customers import mask_address, mask_email, mask_phone, mask_text, sees_personal_data
from core.errors import ValidationError
from core.i18n import N_, Term, translator
from core.permissions import Action, require
from core.uow import UnitOfWork
from db.models import AuditEntry, Staff

PAGE_SIZE = 50
PAGE_SIZE_MAX = 200
DOWNLOAD_MAX = 200_000
TEXT_MAX = 60
ACTIONS_MAX = 50
OPTIONS_DAYS = 90          # the actions and records offered are those of the last 90 days

CUSTOMER_VIEWED = "customer_viewed"     # core.customers.customer_profile
DOWNLOAD_ACTION = "audit_log_exported"
# "who viewed or exported personal data": a customer's profile opened, an export previewed
# or written, the audit log (whose values hold contact data) downloaded
PERSONAL_DATA_ACTIONS = (CUSTOMER_VIEWED, data_exports.PREVIEW_ACTION,
                         data_exports.EXPORT_ACTION, DOWNLOAD_ACTION)

_MASKS = {"phone": mask_phone, "phone_normalized": mask_phone, "email": mask_email,
          "address": mask_address, "delivery_address": mask_address}


@dataclass(frozen=True)
class AuditFilters:
    staff_id: int | None = None         # who did it
    entity: str | None = None           # which kind of record ("customer", "case", ...)
    entity_id: str | None = None        # and which one (needs entity)
    actions: tuple[str, ...] = ()
    start: date | None = None           # shop days, both ends included
    end: date | None = None
    personal_data: bool = False         # only views and exports of personal data

    def used(self) -> dict:
        out: dict[str, object] = {}
        for name in ("staff_id", "entity", "entity_id", "start", "end"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value.isoformat() if isinstance(value, date) else value
        if self.actions:
            out["actions"] = list(self.actions)
        if self.personal_data:
            out["personal_data"] = True
        return out


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime                 # stored time (naive UTC)
    staff_id: int | None
    staff: str | None            # "Display Name (username)"; None: the system
    action: str
    entity: str
    entity_id: str | None
    old: object                  # as stored, masked unless the reader may see personal data
    new: object


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    older: int | None            # pass as before_id for the next (older) page; None: no more


def _text(value: object, what: str) -> str | None:
    text = str(value).strip() if value is not None else ""
    # compared literally (equality), never as a pattern; NUL and broken characters refused
    return validate.text(text, field=what, limit=TEXT_MAX)


def checked(f: AuditFilters) -> AuditFilters:
    entity = _text(f.entity, N_("Record"))
    entity_id = _text(f.entity_id, N_("Record ID"))
    if entity_id and not entity:
        raise ValidationError(N_("Choose the kind of record first, then its number."))
    actions = tuple(dict.fromkeys(a for a in (_text(x, N_("Action")) for x in f.actions) if a))
    if len(actions) > ACTIONS_MAX:
        raise ValidationError(N_("{field}: choose at most {n} values."),
                              field=Term(N_("Action")), n=ACTIONS_MAX)
    staff_id = None
    if f.staff_id is not None:
        try:
            staff_id = validate.record_id(f.staff_id)
        except ValidationError:
            raise ValidationError(N_("{field}: choose from the list."),
                                  field=Term(N_("Who"))) from None
    for day in (f.start, f.end):
        if day is not None and (not isinstance(day, date) or isinstance(day, datetime)):
            raise ValidationError(N_("Choose a period: a first and a last day."))
    if f.start and f.end and f.end < f.start:
        raise ValidationError(N_("The period ends before it starts."))
    return replace(f, staff_id=staff_id, entity=entity, entity_id=entity_id, actions=actions,
                   personal_data=bool(f.personal_data))


def _where(s, f: AuditFilters) -> list:
    where = []
    if f.staff_id is not None:
        where.append(AuditEntry.actor_id == f.staff_id)
    if f.entity:
        where.append(AuditEntry.entity == f.entity)
    if f.entity_id:
        where.append(AuditEntry.entity_id == f.entity_id)
    if f.actions:
        where.append(AuditEntry.action.in_(f.actions))
    if f.personal_data:
        where.append(AuditEntry.action.in_(PERSONAL_DATA_ACTIONS))
    lower, upper = data_exports.utc_period(s, f.start, f.end)
    if lower is not None:
        where.append(AuditEntry.at >= lower)
    if upper is not None:
        where.append(AuditEntry.at < upper)
    return where


def masked(value: object) -> object:
    """An audit value with the contact data in it masked (see the module's doc)."""
    if isinstance(value, dict):
        out = {}
        for key, v in value.items():
            if key in _MASKS and isinstance(v, str):
                out[key] = _MASKS[key](v)
            else:
                out[key] = masked(v)
        return out
    if isinstance(value, list):
        return [masked(v) for v in value]
    if isinstance(value, str):
        return mask_text(value)
    return value


def _query():
    who = Staff.display_name + " (" + Staff.username + ")"     # NULL: the system
    return (sa.select(AuditEntry, who.label("who"))
            .outerjoin(Staff, Staff.id == AuditEntry.actor_id))


def _rows(found, personal: bool) -> list[AuditRow]:
    return [AuditRow(e.id, e.at, e.actor_id, who, e.action, e.entity, e.entity_id,
                     e.old if personal else masked(e.old),
                     e.new if personal else masked(e.new))
            for e, who in found]


def entries(uow: UnitOfWork, actor: Actor, filters: AuditFilters, *,
            before_id: int | None = None, limit: int = PAGE_SIZE) -> AuditPage:
    """One page of the filtered log, newest first: the entries older than `before_id`
    (None: the newest)."""
    require(actor, Action.AUDIT_VIEW)
    f = checked(filters)
    limit = validate.whole(limit, field=N_("Rows per page"), low=1, high=PAGE_SIZE_MAX)
    personal = sees_personal_data(actor)
    with uow.reader() as r:
        s = r.session
        where = _where(s, f)
        if before_id is not None:
            where.append(AuditEntry.id < validate.whole(before_id, field=N_("Page"), low=0,
                                                        high=validate.ID_MAX))
        found = s.execute(_query().where(*where).order_by(AuditEntry.id.desc())
                          .limit(limit + 1)).all()
    rows = _rows(found[:limit], personal)
    return AuditPage(rows, rows[-1].id if len(found) > limit else None)


def pretty(value: object) -> str:
    """A stored value as people read it: indented JSON, keys sorted, characters as they are
    (shown as text, never as HTML)."""
    if value is None:
        return ""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


_HEADERS = (("id", N_("Entry")), ("at", N_("When")), ("staff", N_("Who")),
            ("action", N_("Action")), ("entity", N_("Record")), ("entity_id", N_("Record ID")),
            ("old", N_("Before")), ("new", N_("After")))


def download(uow: UnitOfWork, actor: Actor, filters: AuditFilters,
             fmt: str = "csv") -> data_exports.ExportFile:
    """The filtered log (newest first) as CSV or Excel, formula-safe, values as JSON text,
    times on the shop's clock; refused above DOWNLOAD_MAX entries. Audited."""
    require(actor, Action.AUDIT_VIEW)
    f = checked(filters)
    if fmt not in data_exports.FORMATS:
        raise ValidationError(N_("Unknown file format {format}."), format=str(fmt)[:10])
    personal = sees_personal_data(actor)
    with uow.reader() as r:
        s = r.session
        found = s.execute(_query().where(*_where(s, f)).order_by(AuditEntry.id.desc())
                          .limit(DOWNLOAD_MAX + 1)).all()
        tz = sla.shop_timezone(s)
    if len(found) > DOWNLOAD_MAX:
        raise ValidationError(
            N_("This download would have more than {limit} entries. Narrow the filters, for "
               "example to a shorter period."), limit=f"{DOWNLOAD_MAX:,}")
    gettext = translator(actor.language)
    rows = _rows(found, personal)
    at = pd.to_datetime(pd.Series([row.at for row in rows], dtype="object"))
    if len(at):
        at = at.dt.tz_localize("UTC").dt.tz_convert(tz).dt.tz_localize(None).dt.floor("s")
    frame = pd.DataFrame({
        gettext(N_("Entry")): [row.id for row in rows],
        gettext(N_("When")): at,
        gettext(N_("Who")): [row.staff for row in rows],
        gettext(N_("Action")): [row.action for row in rows],
        gettext(N_("Record")): [row.entity for row in rows],
        gettext(N_("Record ID")): [row.entity_id for row in rows],
        gettext(N_("Before")): [pretty(row.old) or None for row in rows],
        gettext(N_("After")): [pretty(row.new) or None for row in rows],
    }, columns=[gettext(h) for _k, h in _HEADERS])
    if fmt == "csv":
        data = exports.csv_bytes(frame)
    else:
        title = gettext(N_("Audit log"))
        data = exports.excel_bytes({title: frame}, title=title)
    with uow:
        audit.record(uow, actor, DOWNLOAD_ACTION, "audit_log", None, None,
                     {"filters": f.used(), "rows": len(frame), "format": fmt,
                      "personal_data": personal})
        uow.commit()
    return data_exports.ExportFile(data_exports.file_name("audit", fmt),
                                   data_exports.MIME[fmt], data, len(frame), personal)


@dataclass(frozen=True)
class AuditOptions:
    staff: list[tuple[int, str]]      # everyone who ever had an account, "Name (username)"
    entities: list[str]
    actions: list[str]


def options(uow: UnitOfWork, actor: Actor) -> AuditOptions:
    """What the filters offer: every staff member, and the kinds of record and actions of
    the last OPTIONS_DAYS days (read on the time index; older ones can still be typed)."""
    require(actor, Action.AUDIT_VIEW)
    with uow.reader() as r:
        s = r.session
        staff = [(i, f"{name} ({user})") for i, name, user in s.execute(
            sa.select(Staff.id, Staff.display_name, Staff.username)
            .order_by(Staff.display_name, Staff.username))]
        recent = s.execute(sa.select(AuditEntry.entity, AuditEntry.action)
                           .where(AuditEntry.at >= utcnow() - timedelta(days=OPTIONS_DAYS))
                           .distinct()).all()
    entities = sorted({e for e, _a in recent} | {"customer", data_exports.AUDIT_ENTITY})
    actions = sorted({a for _e, a in recent} | set(PERSONAL_DATA_ACTIONS))
    return AuditOptions(staff, entities, actions)
