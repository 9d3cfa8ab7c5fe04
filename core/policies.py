"""Policies as data (administrators): the after-sales windows and warranty per product
category, the refund approval threshold, and the helpers the other policy editors share
(core.policy_sla: SLA targets; core.policy_calendar: business hours and holidays;
core.policy_texts: canned replies and message templates).

Every change is checked, audited with its before and after in the same transaction, and
refused when someone else changed the record since the editor read it (the `version` of the
record, or for tables without one the values the editor saw). Each editor has a preview of
the change's effect, counted in SQL without loading the records it counts (at most counts per
day are read back).

What the after-sales preview counts (decisions of this module):
- order lines (of orders not cancelled) of the products the category's policy governs, that
  are today inside the return window, the exchange window and the warranty, now and with the
  new values; a product's own window (products.return_window_days, ...) still wins;
- open requests (submitted or awaiting approval) of those products whose kind's window held
  on the day the request was made: return and refund the return window, exchange the
  exchange window, repair the warranty. Condition and proof of purchase are not re-judged.
- Days are the shop's local days at the time zone's current offset (exact for a zone without
  daylight saving such as Asia/Shanghai; elsewhere a request made within an hour of midnight
  around a clock change may be counted on the neighbouring day).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core import audit, products, sla
from core.actor import Actor
from core.aftersales import (
    DEFAULT_THRESHOLD, DEFAULTS, MAX_CENTS, THRESHOLD_KEY, add_months,
)
from core.clock import utcnow
from core.errors import NotFound, ValidationError
from core.i18n import N_, Term
from core.permissions import Action, require
from core.uow import UnitOfWork, expect_version
from core.vocabulary import AfterSalesKind, AfterSalesStatus, OrderState, RefundStatus
from db.models import (
    AfterSalesPolicy, AfterSalesRequest, Order, OrderLine, Product, Refund, Setting,
)

MAX_WINDOW_DAYS = 365
MAX_WARRANTY_MONTHS = 120
CATEGORY_MAX = 60          # after_sales_policy.category, product.category
RECENT_DAYS = 30           # the threshold preview's period
OPEN_REQUESTS = (AfterSalesStatus.SUBMITTED, AfterSalesStatus.AWAITING_APPROVAL)
AUDIT_ID_MAX = 40          # audit_log.entity_id


# --- shared by the policy editors -------------------------------------------------------------

def whole_number(value: object, field: str, low: int, high: int) -> int:
    """A whole number within [low, high]; `field` is the msgid naming it."""
    bad = ValidationError(N_("{field} must be a whole number from {low} to {high}."),
                          field=Term(field), low=low, high=high)
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise bad
    try:
        number = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise bad from None
    if not low <= number <= high:
        raise bad
    return number


def lock_table(uow: UnitOfWork, table: str) -> None:
    """Serialises the writers of a policy table for this transaction, so that a check over
    several rows (no duplicate target, the hours someone else saw) cannot race another save.
    SQLite's BEGIN IMMEDIATE already does this; PostgreSQL readers are not blocked."""
    if uow.session.get_bind().dialect.name == "postgresql":
        uow.session.execute(sa.text(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE"))


def epoch_seconds(session: Session, column):
    """Whole seconds since 1970 of a stored (naive UTC) time, in SQL on both databases."""
    if session.get_bind().dialect.name == "postgresql":
        return sa.cast(sa.func.extract("epoch", column), sa.BigInteger)
    return sa.cast(sa.func.strftime("%s", column), sa.Integer)


def utc_offset_seconds(session: Session, at: datetime) -> int:
    """The shop's offset from UTC at a moment (seconds)."""
    offset = sla.shop_timezone(session).utcoffset(at)
    return int(offset.total_seconds()) if offset else 0


@dataclass(frozen=True)
class SettingView:
    key: str
    value: object
    version: int | None      # None: never saved (the default is in force)


def read_setting(session: Session, key: str, default: object) -> SettingView:
    row = session.get(Setting, key)
    if row is None:
        return SettingView(key, default, None)
    return SettingView(key, row.value, row.version)


def save_setting(uow: UnitOfWork, actor: Actor, key: str, value: object,
                 expected_version: int | None) -> bool:
    """Writes one setting in the caller's transaction, audited; False if unchanged. Settings
    are policy: checked here too, so that no caller can write one without the permission."""
    require(actor, Action.POLICY_EDIT)
    row = uow.session.scalar(sa.select(Setting).where(Setting.key == key).with_for_update())
    if row is None:
        if expected_version is not None:
            raise NotFound(N_("The setting {key} no longer exists. Reload the page."), key=key)
        uow.session.add(Setting(key=key, value=value, updated_by_id=actor.staff_id))
        old = None
    else:
        expect_version(row, expected_version)
        if row.value == value:
            return False
        old, row.value, row.updated_by_id = row.value, value, actor.staff_id
    # audit_log.entity_id holds 40 characters and a setting's key up to 64: the whole key is
    # in the values too
    audit.record(uow, actor, "setting_changed", "setting", key[:AUDIT_ID_MAX],
                 {"key": key, "value": old}, {"key": key, "value": value})
    return True


# --- after-sales windows per product category ---------------------------------------------------

FIELDS = {"return_window_days": N_("Return window (days)"),
          "exchange_window_days": N_("Exchange window (days)"),
          "warranty_months": N_("Warranty (months)")}
LIMITS = {"return_window_days": MAX_WINDOW_DAYS, "exchange_window_days": MAX_WINDOW_DAYS,
          "warranty_months": MAX_WARRANTY_MONTHS}


@dataclass(frozen=True)
class Windows:
    return_window_days: int
    exchange_window_days: int
    warranty_months: int


@dataclass(frozen=True)
class CategoryPolicy:
    id: int
    category: str            # '*' = every category without its own policy
    return_window_days: int
    exchange_window_days: int
    warranty_months: int
    proof_of_purchase_required: bool
    version: int
    products: int            # active products the row governs


@dataclass(frozen=True)
class AfterSalesPolicies:
    categories: list[CategoryPolicy]       # '*' first
    threshold: SettingView                 # refund approval threshold, cents
    uncovered: list[str]                   # product categories without their own policy


def _windows(return_window_days, exchange_window_days, warranty_months) -> Windows:
    values = {"return_window_days": return_window_days,
              "exchange_window_days": exchange_window_days,
              "warranty_months": warranty_months}
    return Windows(**{k: whole_number(v, FIELDS[k], 0, LIMITS[k]) for k, v in values.items()})


def _category(value: str | None) -> str:
    name = (value or "").strip()
    if not name:
        raise ValidationError(N_("{field} is required."), field=Term(N_("Product category")))
    if len(name) > CATEGORY_MAX:
        raise ValidationError(N_("{field} is too long: {length} characters, at most {limit}."),
                              field=Term(N_("Product category")), length=len(name),
                              limit=CATEGORY_MAX)
    return name


def _governed(session: Session, category: str):
    """Which products a category's row decides for: its own, or for '*' all others."""
    if category != products.DEFAULT_CATEGORY:
        return Product.category == category
    own = sa.select(AfterSalesPolicy.category).where(
        AfterSalesPolicy.category != products.DEFAULT_CATEGORY)
    return Product.category.not_in(own)


def aftersales_policies(uow: UnitOfWork, actor: Actor) -> AfterSalesPolicies:
    require(actor, Action.POLICY_EDIT)
    with uow.reader() as r:
        s = r.session
        per_category = dict(s.execute(
            sa.select(Product.category, sa.func.count()).where(Product.active.is_(True))
            .group_by(Product.category)).all())
        rows = s.scalars(sa.select(AfterSalesPolicy).order_by(
            AfterSalesPolicy.category != products.DEFAULT_CATEGORY,
            AfterSalesPolicy.category)).all()
        own = {p.category for p in rows}
        rest = sum(n for c, n in per_category.items() if c not in own)
        views = [CategoryPolicy(p.id, p.category, p.return_window_days, p.exchange_window_days,
                                p.warranty_months, p.proof_of_purchase_required, p.version,
                                rest if p.category == products.DEFAULT_CATEGORY
                                else per_category.get(p.category, 0)) for p in rows]
        threshold = read_setting(s, THRESHOLD_KEY, DEFAULT_THRESHOLD)
        return AfterSalesPolicies(views, threshold,
                                  sorted(c for c in per_category if c not in own))


def add_category_policy(uow: UnitOfWork, actor: Actor, category: str, return_window_days: int,
                        exchange_window_days: int, warranty_months: int,
                        proof_of_purchase_required: bool = True) -> int:
    """A product category gets windows of its own (until then the default '*' applies)."""
    require(actor, Action.POLICY_EDIT)
    name = _category(category)
    windows = _windows(return_window_days, exchange_window_days, warranty_months)
    with uow:
        lock_table(uow, "after_sales_policy")
        if uow.session.scalar(sa.select(AfterSalesPolicy.id)
                              .where(AfterSalesPolicy.category == name)) is not None:
            raise ValidationError(N_("The category {category} already has its own policy: "
                                     "change that one."), category=name)
        row = AfterSalesPolicy(category=name, proof_of_purchase_required=bool(
            proof_of_purchase_required), **windows.__dict__)
        uow.session.add(row)
        uow.flush()
        audit.record(uow, actor, "aftersales_policy_added", "after_sales_policy", row.id, None,
                     {"category": name, **windows.__dict__,
                      "proof_of_purchase_required": row.proof_of_purchase_required})
        uow.commit()
        return row.id


def _policy_row(uow: UnitOfWork, policy_id: int) -> AfterSalesPolicy:
    row = uow.session.scalar(sa.select(AfterSalesPolicy).where(AfterSalesPolicy.id == policy_id)
                             .with_for_update())
    if row is None:
        raise NotFound(N_("This policy no longer exists. Reload the page."))
    return row


def change_category_policy(uow: UnitOfWork, actor: Actor, policy_id: int,
                           expected_version: int | None, *, return_window_days: int,
                           exchange_window_days: int, warranty_months: int,
                           proof_of_purchase_required: bool) -> None:
    """New windows for a category. Requests already made keep the verdict they were given."""
    require(actor, Action.POLICY_EDIT)
    windows = _windows(return_window_days, exchange_window_days, warranty_months)
    with uow:
        row = _policy_row(uow, policy_id)
        expect_version(row, expected_version)
        fields = ("return_window_days", "exchange_window_days", "warranty_months",
                  "proof_of_purchase_required")
        before = {f: getattr(row, f) for f in fields}
        after = {**windows.__dict__, "proof_of_purchase_required": bool(
            proof_of_purchase_required)}
        old, new = audit.changes(before, after)
        if not new:
            return
        for field, value in after.items():
            setattr(row, field, value)
        audit.record(uow, actor, "aftersales_policy_changed", "after_sales_policy", row.id,
                     {"category": row.category, **old}, {"category": row.category, **new})
        uow.commit()


def remove_category_policy(uow: UnitOfWork, actor: Actor, policy_id: int,
                           expected_version: int | None) -> None:
    """The category falls back to the default '*' (which itself cannot be removed)."""
    require(actor, Action.POLICY_EDIT)
    with uow:
        row = _policy_row(uow, policy_id)
        expect_version(row, expected_version)
        if row.category == products.DEFAULT_CATEGORY:
            raise ValidationError(N_("The default policy (*) cannot be removed: it is what "
                                     "every category without its own policy follows."))
        before = {"category": row.category, "return_window_days": row.return_window_days,
                  "exchange_window_days": row.exchange_window_days,
                  "warranty_months": row.warranty_months,
                  "proof_of_purchase_required": row.proof_of_purchase_required}
        uow.session.delete(row)
        audit.record(uow, actor, "aftersales_policy_removed", "after_sales_policy", policy_id,
                     before, None)
        uow.commit()


def set_refund_threshold(uow: UnitOfWork, actor: Actor, cents: int,
                         expected_version: int | None) -> None:
    """Refunds above this amount (cents) wait for a supervisor even inside policy."""
    require(actor, Action.POLICY_EDIT)
    amount = whole_number(cents, N_("Refund approval threshold"), 0, MAX_CENTS)
    with uow:
        if save_setting(uow, actor, THRESHOLD_KEY, amount, expected_version):
            uow.commit()


# --- previews ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class WindowCounts:
    inside_return: int
    inside_exchange: int
    inside_warranty: int


@dataclass(frozen=True)
class AfterSalesPreview:
    category: str
    current: Windows               # what governs these products now
    proposed: Windows
    products: int                  # active products the row would govern
    lines: int                     # their order lines (orders not cancelled)
    lines_now: WindowCounts        # of those, inside each window today
    lines_new: WindowCounts
    open_requests: int
    open_inside_now: int           # inside their kind's window on the day they were made
    open_inside_new: int


def _local_date(session: Session, column, offset: int):
    """The shop's date of a stored (naive UTC) time, at a fixed offset from UTC."""
    if session.get_bind().dialect.name == "postgresql":
        return sa.cast(column + sa.literal_column(f"INTERVAL '{int(offset)} seconds'"),
                       sa.Date)
    return sa.func.date(column, f"{int(offset):+d} seconds")


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _inside(windows: Windows, own: tuple, start: date, on: date) -> tuple[bool, bool, bool]:
    """Inside the return window, the exchange window, the warranty on a day, as
    core.aftersales.check_policy counts them; `own` are the product's own values (or None)."""
    ret, exc, war = (o if o is not None else w for o, w in zip(own, (
        windows.return_window_days, windows.exchange_window_days, windows.warranty_months)))
    days = max((on - start).days, 0)
    return days <= ret, days <= exc, on <= add_months(start, war)


def _current_windows(session: Session, category: str) -> Windows:
    rows = {p.category: p for p in session.scalars(sa.select(AfterSalesPolicy).where(
        AfterSalesPolicy.category.in_((category, products.DEFAULT_CATEGORY))))}
    row = rows.get(category) or rows.get(products.DEFAULT_CATEGORY)
    if row is None:
        return Windows(**DEFAULTS)
    return Windows(row.return_window_days, row.exchange_window_days, row.warranty_months)


def _count(condition):
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


KIND_WINDOW = {AfterSalesKind.RETURN: 0, AfterSalesKind.REFUND: 0, AfterSalesKind.EXCHANGE: 1,
               AfterSalesKind.REPAIR: 2}


def preview_category_policy(uow: UnitOfWork, actor: Actor, category: str,
                            return_window_days: int, exchange_window_days: int,
                            warranty_months: int, now: datetime | None = None
                            ) -> AfterSalesPreview:
    """What the new windows would change (see the module's notes). The database counts the
    lines and requests per start day (and made day) and product's own values; each such group
    is judged here with the policy check's own arithmetic."""
    require(actor, Action.POLICY_EDIT)
    name = _category(category)
    new = _windows(return_window_days, exchange_window_days, warranty_months)
    now = now or utcnow()
    with uow.reader() as r:
        s = r.session
        current = _current_windows(s, name)
        governed = _governed(s, name)
        offset = utc_offset_seconds(s, now)
        today = sla.to_local(s, now).date()
        own = (Product.return_window_days, Product.exchange_window_days,
               Product.warranty_months)
        start = _local_date(s, sa.func.coalesce(Order.delivered_at, Order.ordered_at), offset)
        lines = (sa.select(start.label("start"), *own).select_from(OrderLine)
                 .join(Order, Order.id == OrderLine.order_id)
                 .join(Product, Product.id == OrderLine.product_id)
                 .where(governed, Order.state != OrderState.CANCELLED).subquery())
        line_groups = s.execute(sa.select(*lines.c, sa.func.count())
                                .group_by(*lines.c)).all()
        made = _local_date(s, AfterSalesRequest.created_at, offset)
        requests = (sa.select(start.label("start"), made.label("made"),
                              AfterSalesRequest.kind, *own).select_from(AfterSalesRequest)
                    .join(OrderLine, OrderLine.id == AfterSalesRequest.order_line_id)
                    .join(Order, Order.id == OrderLine.order_id)
                    .join(Product, Product.id == OrderLine.product_id)
                    .where(governed, AfterSalesRequest.status.in_(OPEN_REQUESTS)).subquery())
        request_groups = s.execute(sa.select(*requests.c, sa.func.count())
                                   .group_by(*requests.c)).all()
        product_count = s.scalar(sa.select(sa.func.count()).select_from(Product)
                                 .where(governed, Product.active.is_(True))) or 0
    totals = {"now": [0, 0, 0], "new": [0, 0, 0]}
    for day, ret, exc, war, n in line_groups:
        for key, windows in (("now", current), ("new", new)):
            for i, inside in enumerate(_inside(windows, (ret, exc, war), _as_date(day), today)):
                totals[key][i] += n if inside else 0
    open_now = open_new = open_total = 0
    for day, on, kind, ret, exc, war, n in request_groups:
        which = KIND_WINDOW[AfterSalesKind(kind)]
        open_total += n
        open_now += n if _inside(current, (ret, exc, war), _as_date(day),
                                 _as_date(on))[which] else 0
        open_new += n if _inside(new, (ret, exc, war), _as_date(day),
                                 _as_date(on))[which] else 0
    return AfterSalesPreview(name, current, new, product_count,
                             sum(n for *_, n in line_groups),
                             WindowCounts(*totals["now"]), WindowCounts(*totals["new"]),
                             open_total, open_now, open_new)


@dataclass(frozen=True)
class ThresholdPreview:
    days: int
    refunds: int               # refunds asked for in the period
    above_now: int             # of those, above the threshold in force
    above_new: int             # above the proposed one
    waiting: int               # of those, still awaiting a supervisor's approval


def preview_refund_threshold(uow: UnitOfWork, actor: Actor, cents: int,
                             now: datetime | None = None) -> ThresholdPreview:
    """Of the last 30 days' refunds, how many were above the threshold in force and how
    many would be above the proposed one (each of those needs a supervisor)."""
    require(actor, Action.POLICY_EDIT)
    amount = whole_number(cents, N_("Refund approval threshold"), 0, MAX_CENTS)
    now = now or utcnow()
    since = now - timedelta(days=RECENT_DAYS)
    with uow.reader() as r:
        current = int(read_setting(r.session, THRESHOLD_KEY, DEFAULT_THRESHOLD).value or 0)
        row = r.session.execute(sa.select(
            sa.func.count(), _count(Refund.amount_cents > current),
            _count(Refund.amount_cents > amount),
            _count(Refund.status == RefundStatus.AWAITING_APPROVAL))
            .where(Refund.created_at >= since, Refund.created_at < now)).one()
    return ThresholdPreview(RECENT_DAYS, *(int(x) for x in row))

