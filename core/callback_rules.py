"""The rules that put callbacks in the queue, without anyone having to remember them.

Event rules run inside the transaction of the event: a resolved case (rule case_resolved) and a
completed after-sales request (after_sales_completed) each get a follow-up call `delay_days`
business days later. Periodic rules (vip_periodic, regular_periodic) keep one open care call
per customer of the tier, `delay_days` calendar days after the last one; `run_periodic` tops
them up and is safe to run at any time, twice, or from two processes at once.

One open callback per customer and purpose: the database's partial unique index decides, and
an insert that would break it does nothing (INSERT ... ON CONFLICT DO NOTHING), so two rule
runs racing each other cannot both create one.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from core import audit, sla, validate
from core.actor import Actor
from core.clock import utcnow
from core.errors import Busy, NotFound, ValidationError
from core.i18n import N_
from core.permissions import Action, require
from core.uow import UnitOfWork, expect_version
from core.vocabulary import CallbackPurpose, CallbackStatus, CallbackTrigger, CustomerTier
from db.models import Callback, CallbackRule, Case, Customer, MaintenancePlan, Setting

P = CallbackPurpose
PERIODIC: dict[CallbackTrigger, tuple[CustomerTier, CallbackPurpose]] = {
    CallbackTrigger.VIP_PERIODIC: (CustomerTier.VIP, P.VIP_CARE),
    CallbackTrigger.REGULAR_PERIODIC: (CustomerTier.REGULAR, P.REGULAR_CARE),
}
CARE_PURPOSES = frozenset(p for _, p in PERIODIC.values())
CARE_TRIGGER = {purpose: trigger for trigger, (_, purpose) in PERIODIC.items()}
MAX_ATTEMPTS_DEFAULT = 3
# the calls that ask whether the case's problem is solved: one of them open for a case is the
# case's follow-up, whichever event scheduled it (a manual call about the case asks nothing)
FOLLOW_UPS = frozenset({P.FOLLOW_UP, P.AFTER_SALES_FOLLOW_UP})
_CHUNK = 500


def max_attempts(uow: UnitOfWork) -> int:
    """Unanswered calls before a callback closes as unreachable (the admin's setting)."""
    return int(sla.setting(uow.session, "callbacks.max_attempts", MAX_ATTEMPTS_DEFAULT))


def rule(uow: UnitOfWork, trigger: CallbackTrigger) -> CallbackRule | None:
    found = uow.session.scalar(sa.select(CallbackRule).where(CallbackRule.trigger == trigger))
    return found if found is not None and found.enabled else None


def insert_open(uow: UnitOfWork, rows: list[dict]) -> list[int]:
    """Inserts open callbacks; a row for a customer who already has an open callback of that
    purpose is skipped. Returns the ids of those inserted."""
    if not rows:
        return []
    dialect = uow.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    ids: list[int] = []
    for start in range(0, len(rows), _CHUNK):
        chunk = [{"status": CallbackStatus.OPEN, "attempts": 0, "version": 1, **row}
                 for row in rows[start:start + _CHUNK]]
        # the partial index's condition as a literal: a bound parameter there works until
        # PostgreSQL switches a prepared statement to its generic plan, which then cannot
        # match the index ("no unique or exclusion constraint matching the ON CONFLICT")
        statement = (insert(Callback).values(chunk)
                     .on_conflict_do_nothing(index_elements=["customer_id", "purpose"],
                                             index_where=sa.text("status = 'open'"))
                     .returning(Callback.id))
        ids += uow.session.scalars(statement).all()
    return ids


def _schedule(uow: UnitOfWork, actor: Actor | None, trigger: CallbackTrigger, **row) -> int | None:
    ids = insert_open(uow, [row])
    if not ids:
        return None
    audit.record(uow, actor, "callback_scheduled", "callback", ids[0], None,
                 {"trigger": trigger, "purpose": row["purpose"], "customer_id": row["customer_id"],
                  "case_id": row.get("case_id"), "due_at": row["due_at"]})
    return ids[0]


def _follow_up_open(uow: UnitOfWork, case_id: int | None) -> bool:
    if case_id is None:
        return False
    return uow.session.scalar(sa.select(Callback.id).where(
        Callback.case_id == case_id, Callback.purpose.in_(FOLLOW_UPS),
        Callback.status == CallbackStatus.OPEN).limit(1)) is not None


def on_case_resolved(uow: UnitOfWork, actor: Actor | None, case: Case, now: datetime) -> int | None:
    """The follow-up call that asks whether the problem is really solved. Not when the case's
    after-sales request already has its own follow-up waiting: one call covers both. A manual
    call about the case does not: it takes no survey."""
    found = rule(uow, CallbackTrigger.CASE_RESOLVED)
    if found is None or _follow_up_open(uow, case.id):
        return None
    return _schedule(uow, actor, CallbackTrigger.CASE_RESOLVED, customer_id=case.customer_id,
                     case_id=case.id, purpose=P.FOLLOW_UP, created_at=now,
                     due_at=sla.business_days_later(uow.session, now, found.delay_days),
                     created_by_id=actor.staff_id if actor else None)


def on_after_sales_completed(uow: UnitOfWork, actor: Actor | None, customer_id: int,
                             case_id: int | None, request_id: int, now: datetime) -> int | None:
    """The follow-up of the request. Not when its case (resolved first) already has its
    follow-up waiting: as above, one call about the case covers both."""
    found = rule(uow, CallbackTrigger.AFTER_SALES_COMPLETED)
    if found is None or _follow_up_open(uow, case_id):
        return None
    return _schedule(uow, actor, CallbackTrigger.AFTER_SALES_COMPLETED, customer_id=customer_id,
                     case_id=case_id, request_id=request_id, purpose=P.AFTER_SALES_FOLLOW_UP,
                     created_at=now,
                     due_at=sla.business_days_later(uow.session, now, found.delay_days),
                     created_by_id=actor.staff_id if actor else None)


# --- periodic care calls --------------------------------------------------------------------------

def run_periodic(uow: UnitOfWork, now: datetime | None = None,
                 actor: Actor | None = None) -> dict[str, int]:
    """Gives every customer of a tier with an enabled periodic rule their next care call, if
    they have none open; returns how many were scheduled per rule. What is owed is read
    first; the calls are then written in short transactions of at most _CHUNK, so that
    switching a rule on for a whole tier never holds the write lock long enough to make an
    agent's save wait (SQLite has one writer at a time)."""
    now = now or utcnow()
    with uow.reader() as r:
        calendar = sla.load_calendar(r.session, now)
        owed = []
        for trigger, (tier, purpose) in PERIODIC.items():
            found = rule(r, trigger)
            if found is not None:
                owed.append((trigger, found.id, _care_calls_owed(
                    r, tier, purpose, found.delay_days, now, calendar)))
    scheduled: dict[str, int] = {}
    for trigger, rule_id, rows in owed:
        for start in range(0, len(rows), _CHUNK):
            with uow:
                ids = insert_open(uow, rows[start:start + _CHUNK])
                if ids:
                    audit.record(uow, actor, "care_calls_scheduled", "callback_rule", rule_id,
                                 None, {"trigger": trigger, "count": len(ids),
                                        "first_id": min(ids), "last_id": max(ids)})
                uow.commit()
            if ids:
                scheduled[trigger.value] = scheduled.get(trigger.value, 0) + len(ids)
    return scheduled


def _care_calls_owed(uow: UnitOfWork, tier: CustomerTier, purpose: CallbackPurpose,
                     every_days: int, now: datetime,
                     calendar: sla.BusinessCalendar) -> list[dict]:
    s = uow.session
    has_open = sa.exists().where(Callback.customer_id == Customer.id,
                                 Callback.purpose == purpose,
                                 Callback.status == CallbackStatus.OPEN)
    customer_ids = s.scalars(sa.select(Customer.id).where(
        Customer.tier == tier, Customer.merged_into_id.is_(None), ~has_open)
        .order_by(Customer.id)).all()
    rows = []
    for start in range(0, len(customer_ids), _CHUNK):
        chunk = customer_ids[start:start + _CHUNK]
        last_call = dict(s.execute(
            sa.select(Callback.customer_id, sa.func.max(Callback.closed_at))
            .where(Callback.customer_id.in_(chunk), Callback.purpose == purpose)
            .group_by(Callback.customer_id)).all())
        plan_due = dict(s.execute(
            sa.select(MaintenancePlan.customer_id, sa.func.min(MaintenancePlan.next_due_on))
            .where(MaintenancePlan.customer_id.in_(chunk), MaintenancePlan.active.is_(True))
            .group_by(MaintenancePlan.customer_id)).all()) if purpose == P.VIP_CARE else {}
        for customer_id in chunk:
            due = care_due(customer_id, last_call.get(customer_id), plan_due.get(customer_id),
                           every_days, now, calendar)
            rows.append(dict(customer_id=customer_id, purpose=purpose, due_at=due,
                             created_at=now))
    return rows


def care_due(customer_id: int, last_call: datetime | None, plan_due: date | None,
             every_days: int, now: datetime, calendar: sla.BusinessCalendar) -> datetime:
    """`every_days` after the last care call, or sooner when a care-plan check falls due.
    A customer who is already owed a call (never called, or the rule was off for a while) is
    spread over the coming period by id, so that switching a rule on does not put a whole
    tier in today's queue. The time is moved to the next opening hour."""
    due = last_call + timedelta(days=every_days) if last_call else None
    if due is None or due < now:
        due = now + timedelta(days=customer_id % max(every_days, 1))
    if plan_due is not None:
        plan_at = calendar.start_of(plan_due)
        due = min(due, max(plan_at, now))
    return calendar.add(due, 0)


def next_care_call(uow: UnitOfWork, actor: Actor | None, customer_id: int,
                   purpose: CallbackPurpose, now: datetime) -> int | None:
    """A care call just ended (done, unreachable or cancelled): the next one, if the rule for
    the customer's tier is still on."""
    trigger = CARE_TRIGGER[purpose]
    tier = PERIODIC[trigger][0]
    found = rule(uow, trigger)
    customer = uow.session.get(Customer, customer_id)
    if found is None or customer is None or customer.tier != tier:
        return None
    # only checks still ahead: one due today or before was the business of the call that
    # just ended (moved on if it reached the customer); counting it again would put the
    # next call straight back in today's queue after a wrong number or a cancellation
    today = sla.to_local(uow.session, now).date()
    plan_due = uow.session.scalar(sa.select(sa.func.min(MaintenancePlan.next_due_on)).where(
        MaintenancePlan.customer_id == customer_id, MaintenancePlan.active.is_(True),
        MaintenancePlan.next_due_on > today)) if purpose == P.VIP_CARE else None
    due = care_due(customer_id, now, plan_due, found.delay_days, now,
                   sla.load_calendar(uow.session, now))
    return _schedule(uow, actor, trigger, customer_id=customer_id, purpose=purpose,
                     due_at=due, created_at=now)


def cancel_open(uow: UnitOfWork, actor: Actor | None, customer_id: int,
                purposes: frozenset[CallbackPurpose] | set[CallbackPurpose], why: str,
                now: datetime) -> list[int]:
    """Cancels the customer's open callbacks of these purposes (tier or consent changed)."""
    # only what is still open at the moment of the update: a call just closed stays closed
    ids = uow.session.scalars(
        sa.update(Callback).where(Callback.customer_id == customer_id,
                                  Callback.purpose.in_(purposes),
                                  Callback.status == CallbackStatus.OPEN)
        .values(status=CallbackStatus.CANCELLED, closed_at=now, version=Callback.version + 1)
        .returning(Callback.id).execution_options(synchronize_session=False)).all()
    if ids:
        for callback_id in ids:
            audit.record(uow, actor, "callback_cancelled", "callback", callback_id,
                         {"status": CallbackStatus.OPEN},
                         {"status": CallbackStatus.CANCELLED, "reason": why})
    return list(ids)


def on_customer_changed(uow: UnitOfWork, actor: Actor | None, customer: Customer,
                        old_tier: CustomerTier, old_consent: bool, now: datetime) -> None:
    """A customer who is no longer VIP gets no VIP care call (and the other way round); one who
    withdrew marketing consent gets no marketing call. The next periodic run schedules the
    care call of the new tier."""
    if customer.tier != old_tier:
        for tier, purpose in PERIODIC.values():
            if tier != customer.tier:
                cancel_open(uow, actor, customer.id, {purpose}, "tier_changed", now)
    if old_consent and not customer.marketing_consent:
        cancel_open(uow, actor, customer.id, {P.MARKETING}, "consent_withdrawn", now)


# --- editing the rules (administrators) -----------------------------------------------------------

DELAY_DAYS = {CallbackTrigger.CASE_RESOLVED: (0, 30),
              CallbackTrigger.AFTER_SALES_COMPLETED: (0, 30),
              CallbackTrigger.VIP_PERIODIC: (7, 365), CallbackTrigger.REGULAR_PERIODIC: (7, 730)}
ATTEMPTS = (1, 10)


@dataclass(frozen=True)
class RuleView:
    trigger: CallbackTrigger
    enabled: bool
    delay_days: int
    version: int
    low: int
    high: int
    business_days: bool     # event rules count opening days; care calls count calendar days
    open_callbacks: int


def rules(uow: UnitOfWork, actor: Actor) -> tuple[list[RuleView], int]:
    """The rules with how many callbacks each has open now, and the attempt limit."""
    require(actor, Action.POLICY_EDIT)
    purposes = {CallbackTrigger.CASE_RESOLVED: P.FOLLOW_UP,
                CallbackTrigger.AFTER_SALES_COMPLETED: P.AFTER_SALES_FOLLOW_UP,
                **{t: p for t, (_, p) in PERIODIC.items()}}
    with uow.reader() as r:
        open_counts = dict(r.session.execute(
            sa.select(Callback.purpose, sa.func.count()).where(Callback.status == "open")
            .group_by(Callback.purpose)).all())
        views = [RuleView(x.trigger, x.enabled, x.delay_days, x.version,
                          *DELAY_DAYS[x.trigger], x.trigger not in PERIODIC,
                          open_counts.get(purposes[x.trigger], 0))
                 for x in r.session.scalars(sa.select(CallbackRule).order_by(CallbackRule.id))]
        attempts = max_attempts(r)
    return views, attempts


def preview(uow: UnitOfWork, actor: Actor, trigger: str) -> int:
    """How many care calls switching this periodic rule on would schedule now."""
    require(actor, Action.POLICY_EDIT)
    trigger_ = validate.choice(CallbackTrigger, trigger, N_("Rule"))
    if trigger_ not in PERIODIC:
        return 0
    tier, purpose = PERIODIC[trigger_]
    with uow.reader() as r:
        has_open = sa.exists().where(Callback.customer_id == Customer.id,
                                     Callback.purpose == purpose,
                                     Callback.status == CallbackStatus.OPEN)
        return r.session.scalar(sa.select(sa.func.count()).select_from(Customer).where(
            Customer.tier == tier, Customer.merged_into_id.is_(None), ~has_open)) or 0


def update_rule(uow: UnitOfWork, actor: Actor, trigger: str, enabled: bool, delay_days: int,
                expected_version: int | None = None) -> dict[str, int] | None:
    """Changes one rule. Switching a periodic rule on schedules its care calls at once;
    switching one off leaves the calls already scheduled in the queue (someone may be on
    them). Returns what was scheduled, or None when the database was too busy to schedule
    now (the rule is saved either way)."""
    require(actor, Action.POLICY_EDIT)
    trigger_ = validate.choice(CallbackTrigger, trigger, N_("Rule"))
    low, high = DELAY_DAYS[trigger_]
    if isinstance(delay_days, bool) or not isinstance(delay_days, int) \
            or not low <= delay_days <= high:
        raise ValidationError(N_("The number of days must be from {low} to {high}."),
                              low=low, high=high)
    with uow:
        found = uow.session.scalar(sa.select(CallbackRule)
                                   .where(CallbackRule.trigger == trigger_).with_for_update())
        if found is None:
            raise NotFound(N_("There is no rule {rule}."), rule=trigger_.value)
        expect_version(found, expected_version)
        before = {"enabled": found.enabled, "delay_days": found.delay_days}
        found.enabled, found.delay_days = bool(enabled), delay_days
        old, new = audit.changes(before, {"enabled": found.enabled,
                                          "delay_days": found.delay_days})
        if not new:
            return {}
        audit.record(uow, actor, "callback_rule_changed", "callback_rule", found.id, old, new)
        uow.commit()
    if trigger_ not in PERIODIC or not enabled:
        return {}
    try:
        return run_periodic(uow, actor=actor)
    except Busy:
        return None  # the rule is saved; the hourly run schedules its calls


def set_max_attempts(uow: UnitOfWork, actor: Actor, attempts: int) -> None:
    require(actor, Action.POLICY_EDIT)
    low, high = ATTEMPTS
    if isinstance(attempts, bool) or not isinstance(attempts, int) or not low <= attempts <= high:
        raise ValidationError(N_("The number of calls must be from {low} to {high}."),
                              low=low, high=high)
    with uow:
        row = uow.session.get(Setting, "callbacks.max_attempts")
        old = row.value if row else None
        if row is None:
            uow.session.add(Setting(key="callbacks.max_attempts", value=attempts,
                                    updated_by_id=actor.staff_id))
        elif old == attempts:
            return
        else:
            row.value, row.updated_by_id = attempts, actor.staff_id
        audit.record(uow, actor, "setting_changed", "setting", "callbacks.max_attempts",
                     {"value": old}, {"value": attempts})
        uow.commit()
