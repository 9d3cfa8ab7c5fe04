"""Export of customers, orders (one row per order line) and cases, filtered, to CSV or Excel
(DOMAIN.md 5 and 7; issue 7).

Confidentiality: a customer's name, phone, e-mail, address and an order's delivery address are
personal data here. Whoever lacks Action.CUSTOMER_PERSONAL_DATA (analysts) gets those columns
masked with core.customers' own masks (the name down to its first character: a file of names
is a mailing list, unlike one name on a screen), and the agents' free text of a case (subject,
question, expectation, answer, next step) withheld, because a mask cannot catch every way a
text names a customer (the same rule the analytics' complaint examples follow). The customer's
id stays in every file, so rows can still be joined and counted. Never raw, in either format.

Every preview and every file writes an audit row (who, which kind, which filters, how many rows,
whether personal data was included), so "who exported personal data" is answerable from the
audit log (core.audit_log.PERSONAL_DATA_ACTIONS).

Bounded: at most MAX_ROWS rows per file (the query asks for one more and refuses when it gets
it); a period is read on the index of the kind's date (orders: ordered_at, cases: created_at).
Customers have no index on their creation time, so a customer export reads the customer table
(one row per customer, merged records left out). The files go through core.exports, which
neutralises every text a spreadsheet could take for a formula.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time, timedelta, timezone

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import aliased

from core import audit, exports, sla, validate
from core.actor import Actor
from core.analytics import unindexed
from core.clock import utcnow
from core.customers import (
    display_phone, mask_address, mask_email, mask_phone, sees_personal_data,
)
from core.errors import ValidationError
from core.i18n import N_, Term, translator
from core.labels import CATEGORY, CHANNEL, KIND, ORDER_STATE, PRIORITY, STATUS, TIER
from core.permissions import Action, require
from core.uow import UnitOfWork
from core.vocabulary import (
    CaseCategory, CaseKind, CaseStatus, Channel, CustomerTier, OrderState, Role,
)
from db.models import Case, Customer, Order, OrderLine, Product, Staff, StaffRole, Store

KINDS = ("customers", "orders", "cases")
KIND_LABELS = {"customers": N_("Customers"), "orders": N_("Orders with their lines"),
               "cases": N_("Cases")}
FORMATS = ("csv", "xlsx")
MIME = {"csv": "text/csv", "xlsx":
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
MAX_ROWS = 200_000
PREVIEW_ROWS = 50
MAX_DAYS = 3_660            # ten years: a period longer than that is a typing mistake
CITY_MAX = 80
MAX_CHOICES = 100           # values of one filter

EXPORT_ACTION = "data_exported"
PREVIEW_ACTION = "data_export_previewed"
AUDIT_ENTITY = "data_export"

MASK = "***"


# --- filters ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ExportFilters:
    """What to export. A period is shop days, both ends included; either end may be left
    open. An empty tuple keeps everything. Which filters a kind takes: APPLICABLE."""
    start: date | None = None
    end: date | None = None
    tiers: tuple[str, ...] = ()          # customers
    cities: tuple[str, ...] = ()         # customers
    states: tuple[str, ...] = ()         # orders
    store_ids: tuple[int, ...] = ()      # orders
    channels: tuple[str, ...] = ()       # orders, cases
    statuses: tuple[str, ...] = ()       # cases
    kinds: tuple[str, ...] = ()          # cases
    categories: tuple[str, ...] = ()     # cases
    owner_ids: tuple[int, ...] = ()      # cases

    def used(self) -> dict:
        """The filters in use, as plain values (what the audit row records)."""
        out: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if _given(value):
                out[f.name] = value.isoformat() if isinstance(value, date) else list(value)
        return out


def _given(value: object) -> bool:
    return value is not None and not (isinstance(value, (tuple, list)) and not value)


_PERIOD = {"start", "end"}
APPLICABLE = {
    "customers": _PERIOD | {"tiers", "cities"},
    "orders": _PERIOD | {"states", "store_ids", "channels"},
    "cases": _PERIOD | {"statuses", "channels", "kinds", "categories", "owner_ids"},
}
_FILTER_NAMES = {"start": N_("From"), "end": N_("To"), "tiers": N_("Customer tier"),
                 "cities": N_("City"), "states": N_("Order state"), "store_ids": N_("Store"),
                 "channels": N_("Channel"), "statuses": N_("Status"), "kinds": N_("Kind"),
                 "categories": N_("Category"), "owner_ids": N_("Owner")}


def _choices(enum, values, what: str) -> tuple[str, ...]:
    out = []
    for v in values:
        try:
            out.append(enum(v).value)
        except ValueError:
            raise ValidationError(N_("Unknown {what}: {value}."), what=Term(what),
                                  value=str(v)[:40]) from None
    return tuple(dict.fromkeys(out))


def _ids(values, what: str) -> tuple[int, ...]:
    try:
        return tuple(dict.fromkeys(validate.record_id(v) for v in values))
    except ValidationError:
        raise ValidationError(N_("{field}: choose from the list."), field=Term(what)) from None


def checked(kind: str, f: ExportFilters) -> ExportFilters:
    """The filters with their values validated (a widget or a URL may send anything)."""
    if kind not in KINDS:
        raise ValidationError(N_("Unknown export {kind}."), kind=str(kind)[:40])
    unused = [name for name in (x.name for x in fields(f))
              if _given(getattr(f, name)) and name not in APPLICABLE[kind]]
    if unused:
        raise ValidationError(N_("The filter {field} does not apply to this export."),
                              field=Term(_FILTER_NAMES[unused[0]]))
    for name in (x.name for x in fields(f)):
        value = getattr(f, name)
        if isinstance(value, (tuple, list)) and len(value) > MAX_CHOICES:
            raise ValidationError(N_("{field}: choose at most {n} values."),
                                  field=Term(_FILTER_NAMES[name]), n=MAX_CHOICES)
    for day in (f.start, f.end):
        if day is not None and (not isinstance(day, date) or isinstance(day, datetime)):
            raise ValidationError(N_("Choose a period: a first and a last day."))
    if f.start and f.end:
        if f.end < f.start:
            raise ValidationError(N_("The period ends before it starts."))
        if (f.end - f.start).days + 1 > MAX_DAYS:
            raise ValidationError(N_("Choose a period of at most {days} days."), days=MAX_DAYS)
    cities = []
    for city in f.cities:
        text = validate.text(str(city or ""), field=N_("City"), limit=CITY_MAX)
        if text:
            cities.append(text)
    return replace(
        f, tiers=_choices(CustomerTier, f.tiers, N_("Customer tier")),
        cities=tuple(dict.fromkeys(cities)),
        states=_choices(OrderState, f.states, N_("Order state")),
        store_ids=_ids(f.store_ids, N_("Store")),
        channels=_choices(Channel, f.channels, N_("Channel")),
        statuses=_choices(CaseStatus, f.statuses, N_("Status")),
        kinds=_choices(CaseKind, f.kinds, N_("Kind")),
        categories=_choices(CaseCategory, f.categories, N_("Category")),
        owner_ids=_ids(f.owner_ids, N_("Owner")))


def utc_period(session, start: date | None, end: date | None
               ) -> tuple[datetime | None, datetime | None]:
    """Shop days as stored (naive UTC) times: from the shop's midnight starting the first
    day to the one ending the last; an open end stays None."""
    tz = sla.shop_timezone(session)

    def midnight(day: date) -> datetime:
        return (datetime.combine(day, time.min, tzinfo=tz).astimezone(timezone.utc)
                .replace(tzinfo=None))
    return (midnight(start) if start else None,
            midnight(end + timedelta(days=1)) if end else None)


# --- the queries --------------------------------------------------------------------------------

def _between(column, lower: datetime | None, upper: datetime | None) -> list:
    out = []
    if lower is not None:
        out.append(column >= lower)
    if upper is not None:
        out.append(column < upper)
    return out


def _conditions(kind: str, f: ExportFilters, lower, upper, dialect: str) -> list:
    """The filters, on the kind's own table only (the count and the rows share them)."""
    period = lower is not None or upper is not None
    if kind == "customers":
        where = [Customer.merged_into_id.is_(None), *_between(Customer.created_at, lower, upper)]
        if f.tiers:
            where.append(Customer.tier.in_(f.tiers))
        if f.cities:
            where.append(Customer.city.in_(f.cities))
        return where
    if kind == "orders":
        where = _between(Order.ordered_at, lower, upper)
        if f.states:
            where.append(Order.state.in_(f.states))
        if f.channels:
            where.append(Order.channel.in_(f.channels))
        if f.store_ids:
            where.append(Order.store_id.in_(f.store_ids))
        return where
    where = _between(Case.created_at, lower, upper)
    # with a period, SQLite is kept on the created_at range (core.analytics.unindexed):
    # left alone it took the status or owner index and walked their whole history
    def column(c):
        return unindexed(c, dialect) if period else c
    for c, values in ((column(Case.status), f.statuses), (Case.channel, f.channels),
                      (Case.kind, f.kinds), (Case.category, f.categories),
                      (column(Case.owner_id), f.owner_ids)):
        if values:
            where.append(c.in_(values))
    return where


def _count(s, kind: str, where: list) -> int:
    if kind == "customers":
        query = sa.select(sa.func.count()).select_from(Customer)
    elif kind == "orders":   # a row per line; an order without lines is one row
        query = (sa.select(sa.func.count()).select_from(Order)
                 .outerjoin(OrderLine, OrderLine.order_id == Order.id))
    else:
        query = sa.select(sa.func.count()).select_from(Case)
    return s.scalar(query.where(*where)) or 0


def _select(kind: str, where: list):
    if kind == "customers":
        return (sa.select(Customer.id.label("customer_id"), Customer.name,
                          Customer.phone, Customer.phone_normalized, Customer.email,
                          Customer.address, Customer.city, Customer.tier, Customer.language,
                          Customer.marketing_consent, Customer.consent_changed_at,
                          Store.name.label("home_store"), Customer.created_at)
                .outerjoin(Store, Store.id == Customer.home_store_id)
                .where(*where).order_by(Customer.id))
    if kind == "orders":
        return (sa.select(Order.order_number, Order.ordered_at, Order.state, Order.channel,
                          Store.name.label("store"), Order.customer_id,
                          Customer.name, Order.delivery_address, Order.expected_delivery_on,
                          Order.confirmed_at, Order.shipped_at, Order.delivered_at,
                          Order.cancelled_at, Order.carrier, Order.tracking_number,
                          Order.total_cents, Product.sku, Product.name.label("product"),
                          OrderLine.quantity, OrderLine.unit_price_cents, OrderLine.paid_cents,
                          OrderLine.refunded_cents)
                .join(Customer, Customer.id == Order.customer_id)
                .outerjoin(Store, Store.id == Order.store_id)
                .outerjoin(OrderLine, OrderLine.order_id == Order.id)
                .outerjoin(Product, Product.id == OrderLine.product_id)
                .where(*where).order_by(Order.ordered_at, Order.id, OrderLine.id))
    owner = aliased(Staff)
    return (sa.select(Case.id.label("case_id"), Case.created_at, Case.kind, Case.channel,
                      Case.category, Case.priority, Case.status, Case.customer_id,
                      Customer.name, Order.order_number, Product.sku,
                      Store.name.label("store"), owner.display_name.label("owner"),
                      Case.subject, Case.question, Case.customer_expectation, Case.answer,
                      Case.next_step, Case.first_response_at, Case.resolved_at,
                      Case.closed_at, Case.first_response_due_at, Case.resolution_due_at,
                      Case.first_response_breached, Case.resolution_breached,
                      Case.first_contact_resolution, Case.escalated, Case.reopen_count)
            .join(Customer, Customer.id == Case.customer_id)
            .outerjoin(Order, Order.id == Case.order_id)
            .outerjoin(Product, Product.id == Case.product_id)
            .outerjoin(Store, Store.id == Case.store_id)
            .outerjoin(owner, owner.id == Case.owner_id)
            .where(*where).order_by(Case.created_at, Case.id))


# --- the table people read ------------------------------------------------------------------

# (column key, header msgid, how the value is written)
_COLUMNS = {
    "customers": (
        ("customer_id", N_("Customer ID"), None), ("name", N_("Name"), "name"),
        ("phone", N_("Phone"), "phone"), ("email", N_("E-mail"), "email"),
        ("address", N_("Address"), "address"), ("city", N_("City"), None),
        ("tier", N_("Customer tier"), TIER), ("language", N_("Language"), None),
        ("marketing_consent", N_("Marketing consent"), None),
        ("consent_changed_at", N_("Consent changed"), "time"),
        ("home_store", N_("Home store"), None), ("created_at", N_("Created"), "time"),
    ),
    "orders": (
        ("order_number", N_("Order number"), None), ("ordered_at", N_("Ordered"), "time"),
        ("state", N_("Order state"), ORDER_STATE), ("channel", N_("Channel"), CHANNEL),
        ("store", N_("Store"), None), ("customer_id", N_("Customer ID"), None),
        ("name", N_("Customer"), "name"),
        ("delivery_address", N_("Delivery address"), "address"),
        ("expected_delivery_on", N_("Expected delivery"), None),
        ("confirmed_at", N_("Confirmed"), "time"), ("shipped_at", N_("Shipped"), "time"),
        ("delivered_at", N_("Delivered"), "time"), ("cancelled_at", N_("Cancelled"), "time"),
        ("carrier", N_("Carrier"), None), ("tracking_number", N_("Tracking number"), None),
        ("total_cents", N_("Order total"), "money"), ("sku", N_("SKU"), None),
        ("product", N_("Product"), None), ("quantity", N_("Quantity"), None),
        ("unit_price_cents", N_("Unit price"), "money"), ("paid_cents", N_("Paid"), "money"),
        ("refunded_cents", N_("Refunded"), "money"),
    ),
    "cases": (
        ("case_id", N_("Case"), None), ("created_at", N_("Created"), "time"),
        ("kind", N_("Kind"), KIND), ("channel", N_("Channel"), CHANNEL),
        ("category", N_("Category"), CATEGORY), ("priority", N_("Priority"), PRIORITY),
        ("status", N_("Status"), STATUS), ("customer_id", N_("Customer ID"), None),
        ("name", N_("Customer"), "name"), ("order_number", N_("Order number"), None),
        ("sku", N_("SKU"), None), ("store", N_("Store"), None), ("owner", N_("Owner"), None),
        ("subject", N_("Subject"), "text"), ("question", N_("Question"), "text"),
        ("customer_expectation", N_("What the customer expects"), "text"),
        ("answer", N_("Answer"), "text"), ("next_step", N_("Next step"), "text"),
        ("first_response_at", N_("First response"), "time"),
        ("resolved_at", N_("Resolved"), "time"), ("closed_at", N_("Closed"), "time"),
        ("first_response_due_at", N_("First response due"), "time"),
        ("resolution_due_at", N_("Resolution due"), "time"),
        ("first_response_breached", N_("First response breached"), None),
        ("resolution_breached", N_("Resolution breached"), None),
        ("first_contact_resolution", N_("First-contact resolution"), None),
        ("escalated", N_("Escalated"), None), ("reopen_count", N_("Reopen count"), None),
    ),
}


def mask_name(name: str | None) -> str | None:
    """"Wang Fang" -> "W**": enough to tell rows apart, not to address anyone."""
    if not name:
        return name
    return name.strip()[:1] + "**"


def _withheld(text: str | None) -> str | None:
    return MASK if text else text


def _frame(kind: str, rows: list, personal: bool, tz, gettext) -> pd.DataFrame:
    """The rows as the file's table: personal data as the reader may see it, vocabulary in
    the reader's words, times on the shop's clock, money in yuan."""
    records = [r._asdict() for r in rows]
    columns = _COLUMNS[kind]
    out: dict[str, object] = {}
    for key, header, how in columns:
        values = [rec.get(key) for rec in records]
        if how == "name":
            values = values if personal else [mask_name(v) for v in values]
        elif how == "phone":
            values = [display_phone(rec["phone_normalized"], rec["phone"]) if personal
                      else mask_phone(rec["phone_normalized"] or rec["phone"])
                      for rec in records]
        elif how == "email":
            values = values if personal else [mask_email(v) for v in values]
        elif how == "address":
            values = values if personal else [mask_address(v) for v in values]
        elif how == "text":
            values = values if personal else [_withheld(v) for v in values]
        elif isinstance(how, dict):
            values = [None if v is None else gettext(how[v]) if v in how else str(v)
                      for v in values]
        elif how == "money":
            values = pd.array([None if v is None else round(v / 100, 2) for v in values],
                              dtype="Float64")
        elif how == "time":
            stamps = pd.to_datetime(pd.Series(values, dtype="object"))
            values = (stamps.dt.tz_localize("UTC").dt.tz_convert(tz).dt.tz_localize(None)
                      .dt.floor("s") if len(stamps) else stamps)
        out[gettext(header)] = (values.reset_index(drop=True)
                                if isinstance(values, pd.Series) else values)
    return pd.DataFrame(out, columns=[gettext(h) for _k, h, _how in columns])


# --- services -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ExportPreview:
    kind: str
    total: int                 # rows the file would have
    frame: pd.DataFrame        # its first PREVIEW_ROWS rows, exactly as in the file
    personal_data: bool        # personal data shown unmasked
    too_many: bool             # total > MAX_ROWS: the file would be refused
    limit: int = MAX_ROWS


@dataclass(frozen=True)
class ExportFile:
    file_name: str
    mime: str
    data: bytes
    rows: int
    personal_data: bool


def _read(uow: UnitOfWork, kind: str, f: ExportFilters, limit: int, count: bool):
    with uow.reader() as r:
        s = r.session
        lower, upper = utc_period(s, f.start, f.end)
        where = _conditions(kind, f, lower, upper, s.get_bind().dialect.name)
        total = _count(s, kind, where) if count else None
        rows = s.execute(_select(kind, where).limit(limit)).all()
        tz = sla.shop_timezone(s)
    return total, rows, tz


def _audit(uow: UnitOfWork, actor: Actor, action: str, kind: str, f: ExportFilters,
           rows: int, personal: bool, fmt: str | None = None) -> None:
    payload: dict[str, object] = {"kind": kind, "filters": f.used(), "rows": rows,
                                  "personal_data": personal}
    if fmt:
        payload["format"] = fmt
    with uow:
        audit.record(uow, actor, action, AUDIT_ENTITY, kind, None, payload)
        uow.commit()


def preview(uow: UnitOfWork, actor: Actor, kind: str, filters: ExportFilters,
            rows: int = PREVIEW_ROWS) -> ExportPreview:
    """How many rows the export would have and its first ones, as the file will show them.
    Audited like an export (PREVIEW_ACTION): the preview shows the same personal data."""
    require(actor, Action.DATA_EXPORT)
    f = checked(kind, filters)
    personal = sees_personal_data(actor)
    total, found, tz = _read(uow, kind, f, max(0, min(int(rows), PREVIEW_ROWS)), True)
    frame = _frame(kind, found, personal, tz, translator(actor.language))
    _audit(uow, actor, PREVIEW_ACTION, kind, f, len(frame), personal)
    return ExportPreview(kind, total, frame, personal, total > MAX_ROWS)


def export(uow: UnitOfWork, actor: Actor, kind: str, filters: ExportFilters,
           fmt: str = "csv") -> ExportFile:
    """The whole filtered table as a CSV or an Excel file (formula-safe: core.exports),
    with personal data masked unless the actor may see it; refused above MAX_ROWS rows.
    The file is read in a read-only transaction (a long read holds no write lock) and the
    audit row is committed before the file is handed out."""
    require(actor, Action.DATA_EXPORT)
    f = checked(kind, filters)
    if fmt not in FORMATS:
        raise ValidationError(N_("Unknown file format {format}."), format=str(fmt)[:10])
    personal = sees_personal_data(actor)
    _total, found, tz = _read(uow, kind, f, MAX_ROWS + 1, False)
    if len(found) > MAX_ROWS:
        raise ValidationError(
            N_("This export would have more than {limit} rows. Narrow the filters, for "
               "example to a shorter period, and export the parts one by one."),
            limit=f"{MAX_ROWS:,}")
    gettext = translator(actor.language)
    frame = _frame(kind, found, personal, tz, gettext)
    if fmt == "csv":
        data = exports.csv_bytes(frame)
    else:
        data = exports.excel_bytes({gettext(KIND_LABELS[kind]): frame},
                                   title=gettext(KIND_LABELS[kind]))
    _audit(uow, actor, EXPORT_ACTION, kind, f, len(frame), personal, fmt)
    return ExportFile(file_name(kind, fmt), MIME[fmt], data, len(frame), personal)


def file_name(what: str, fmt: str, now: datetime | None = None) -> str:
    """"caredesk-cases-20261201-093000.csv" (UTC time)."""
    return f"caredesk-{what}-{(now or utcnow()).strftime('%Y%m%d-%H%M%S')}.{fmt}"


@dataclass(frozen=True)
class ExportOptions:
    stores: list[tuple[int, str]]
    owners: list[tuple[int, str]]
    cities: list[str]
    tiers: list[str]
    states: list[str]
    channels: list[str]
    statuses: list[str]
    kinds: list[str]
    categories: list[str]


CITY_OPTIONS = 500


def options(uow: UnitOfWork, actor: Actor) -> ExportOptions:
    """The values the filters offer."""
    require(actor, Action.DATA_EXPORT)
    with uow.reader() as r:
        s = r.session
        stores = [(i, n) for i, n in s.execute(sa.select(Store.id, Store.name)
                                                .order_by(Store.name))]
        owners = [(i, n) for i, n in s.execute(
            sa.select(Staff.id, Staff.display_name).where(Staff.id.in_(
                sa.select(StaffRole.staff_id).where(
                    StaffRole.role.in_((Role.AGENT, Role.SUPERVISOR)))))
            .order_by(Staff.display_name))]
        cities = list(s.scalars(sa.select(Customer.city).where(Customer.city.is_not(None))
                                .distinct().order_by(Customer.city).limit(CITY_OPTIONS)))
    return ExportOptions(
        stores, owners, cities, [t.value for t in CustomerTier],
        [o.value for o in OrderState], [c.value for c in Channel],
        [c.value for c in CaseStatus], [k.value for k in CaseKind],
        [c.value for c in CaseCategory])
