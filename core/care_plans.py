"""VIP care plans: the periodic checks of a product a VIP customer owns (a maintenance plan).

The VIP care call covers them: it is due no later than the earliest check, the call screen
lists them, and a care call that reaches the customer moves each check that fell due to its
next date.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core import audit, sla, validate
from core.actor import Actor
from core.clock import utcnow
from core.errors import InvalidState, NotFound, ValidationError
from core.i18n import N_
from core.permissions import Action, require
from core.uow import UnitOfWork, expect_version
from core.vocabulary import CallbackPurpose, CallbackStatus, CustomerTier
from db.models import Callback, Customer, MaintenancePlan, Product

INTERVAL_DAYS = (7, 730)


@dataclass(frozen=True)
class CarePlanView:
    id: int
    version: int
    product_id: int | None
    product: str | None
    product_zh: str | None
    description: str
    interval_days: int
    next_due_on: date | None

    def product_name(self, language: str) -> str | None:
        """The product as the reader's language names it (the English name when there is no
        Chinese one)."""
        return self.product_zh if language == "zh_CN" and self.product_zh else self.product


def plans_of(session: Session, customer_id: int) -> list[CarePlanView]:
    rows = session.execute(
        sa.select(MaintenancePlan, Product.name, Product.name_zh)
        .outerjoin(Product, Product.id == MaintenancePlan.product_id)
        .where(MaintenancePlan.customer_id == customer_id, MaintenancePlan.active.is_(True))
        .order_by(MaintenancePlan.next_due_on, MaintenancePlan.id)).all()
    return [CarePlanView(p.id, p.version, p.product_id, name, name_zh, p.description,
                         p.interval_days, p.next_due_on) for p, name, name_zh in rows]


def add_plan(uow: UnitOfWork, actor: Actor, customer_id: int, description: str,
             interval_days: int, product_id: int | None = None,
             first_due_on: date | None = None) -> int:
    require(actor, Action.CUSTOMER_EDIT)
    text = validate.text(description, field=N_("What is checked"), limit=2000, required=True)
    low, high = INTERVAL_DAYS
    if not isinstance(interval_days, int) or not low <= interval_days <= high:
        raise ValidationError(N_("A care plan repeats every {low} to {high} days."),
                              low=low, high=high)
    with uow:
        # the shop's day, as the form's date is (in Shanghai the UTC date is yesterday's
        # until 08:00)
        today = sla.to_local(uow.session, utcnow()).date()
        first = first_due_on or today + timedelta(days=interval_days)
        if first < today:
            raise ValidationError(N_("The first check cannot be in the past."))
        customer = uow.session.get(Customer, customer_id)
        if customer is None or customer.merged_into_id is not None:
            raise NotFound(N_("Customer {customer_id} does not exist."), customer_id=customer_id)
        if customer.tier != CustomerTier.VIP:
            raise InvalidState(N_("Care plans are for VIP customers. Make the customer a VIP "
                                  "first."))
        if product_id is not None and uow.session.get(Product, product_id) is None:
            raise NotFound(N_("Product {product_id} does not exist."), product_id=product_id)
        plan = MaintenancePlan(customer_id=customer.id, product_id=product_id, description=text,
                               interval_days=interval_days, next_due_on=first, active=True)
        uow.session.add(plan)
        uow.flush()
        audit.record(uow, actor, "care_plan_added", "customer", customer.id, None,
                     {"plan_id": plan.id, "interval_days": interval_days,
                      "product_id": product_id, "next_due_on": first})
        _bring_care_call_forward(uow, actor, customer.id, first)
        uow.commit()
        return plan.id


def _bring_care_call_forward(uow: UnitOfWork, actor: Actor, customer_id: int,
                             check_on: date) -> None:
    """The open VIP care call is due no later than the earliest check: a check added before
    it moves the call to the check day's first opening hour."""
    call = uow.session.scalar(sa.select(Callback).where(
        Callback.customer_id == customer_id, Callback.purpose == CallbackPurpose.VIP_CARE,
        Callback.status == CallbackStatus.OPEN).with_for_update())
    if call is None:
        return
    now = utcnow()
    calendar = sla.load_calendar(uow.session, now)
    due = calendar.add(max(calendar.start_of(check_on), now), 0)
    if due < call.due_at:
        old = call.due_at
        call.due_at = due
        audit.record(uow, actor, "callback_rescheduled", "callback", call.id,
                     {"due_at": old}, {"due_at": due, "reason": "care_plan_check"})


def end_plan(uow: UnitOfWork, actor: Actor, plan_id: int, expected_version: int) -> None:
    require(actor, Action.CUSTOMER_EDIT)
    with uow:
        plan = uow.session.get(MaintenancePlan, plan_id)
        if plan is None or not plan.active:
            raise NotFound(N_("Care plan {plan_id} does not exist or has ended."),
                           plan_id=plan_id)
        expect_version(plan, expected_version)
        plan.active = False
        audit.record(uow, actor, "care_plan_ended", "customer", plan.customer_id,
                     {"plan_id": plan.id, "active": True}, {"plan_id": plan.id, "active": False})
        uow.commit()


def checks_done(uow: UnitOfWork, actor: Actor | None, customer_id: int, today: date,
                horizon_days: int) -> list[int]:
    """After a care call reached the customer: every check due within the coming period moves
    on by its interval (to after today), so the next call is not due at once again."""
    moved = []
    for plan in uow.session.scalars(sa.select(MaintenancePlan).where(
            MaintenancePlan.customer_id == customer_id, MaintenancePlan.active.is_(True),
            MaintenancePlan.next_due_on <= today + timedelta(days=horizon_days))):
        old = plan.next_due_on
        step = timedelta(days=plan.interval_days)
        nxt = old or today
        while nxt <= today:
            nxt += step
        if old is not None and nxt == old:
            nxt += step
        plan.next_due_on = nxt
        moved.append(plan.id)
        audit.record(uow, actor, "care_plan_checked", "customer", customer_id,
                     {"plan_id": plan.id, "next_due_on": old},
                     {"plan_id": plan.id, "next_due_on": nxt})
    return moved
