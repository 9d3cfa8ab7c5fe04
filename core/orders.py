"""Orders from a case: place and confirm, modify, cancel, ship. The order's state decides
what is still possible, and the customer is told every result through the outbox."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from core import audit, messages, sla
from core.actor import Actor
from core.cases import _case, _event
from core.clock import utcnow
from core.errors import InvalidState, NotFound, ValidationError
from core.i18n import N_, Term
from core.labels import ORDER_STATE
from core.permissions import Action, require
from core.uow import UnitOfWork, expect_version
from core.vocabulary import CaseEventKind, Channel, OrderState
from db.models import Case, Customer, Order, OrderLine, Product

O = OrderState
MODIFIABLE = frozenset({O.PENDING, O.CONFIRMED})
CANCELLABLE = frozenset({O.PENDING, O.CONFIRMED, O.PACKED})
SHIPPABLE = frozenset({O.CONFIRMED, O.PACKED})
MAX_QUANTITY = 999
DEFAULT_DELIVERY_DAYS = 3
# why a state refuses a change, in words the agent can repeat to the customer
REFUSALS = {
    O.PACKED: N_("Order {number} is already packed: it can still be cancelled, "
                 "but no longer changed."),
    O.SHIPPED: N_("Order {number} has shipped: it can no longer be changed or cancelled. "
                  "Offer a return once it arrives."),
    O.DELIVERED: N_("Order {number} was delivered: it can no longer be changed or "
                    "cancelled. Open an after-sales request instead."),
    O.CANCELLED: N_("Order {number} is cancelled: nothing more can be done with it."),
}


@dataclass(frozen=True)
class OrderSummary:
    id: int
    version: int
    order_number: str
    state: OrderState
    ordered_at: object
    expected_delivery_on: date | None
    delivery_address: str | None
    carrier: str | None
    tracking_number: str | None
    total_cents: int
    lines: list[tuple[str, int, int]]  # product name, quantity, paid cents
    can_modify: bool
    can_cancel: bool
    can_confirm: bool
    can_ship: bool


def orders_of_case(uow: UnitOfWork, actor: Actor, case_id: int,
                   limit: int = 20) -> list[OrderSummary]:
    """The case customer's latest orders, with what may still be done to each."""
    require(actor, Action.ORDER_MANAGE)
    with uow.reader() as r:
        case = _case(r, case_id)
        rows = r.session.scalars(sa.select(Order).where(Order.customer_id == case.customer_id)
                                 .order_by(Order.ordered_at.desc()).limit(limit)).all()
        names = dict(r.session.execute(sa.select(Product.id, Product.name).where(
            Product.id.in_({line.product_id for o in rows for line in o.lines}))).all())
        return [OrderSummary(
            o.id, o.version, o.order_number, o.state, o.ordered_at, o.expected_delivery_on,
            o.delivery_address, o.carrier, o.tracking_number, o.total_cents,
            [(names.get(line.product_id, "?"), line.quantity, line.paid_cents)
             for line in o.lines],
            o.state in MODIFIABLE, o.state in CANCELLABLE, o.state == O.PENDING,
            o.state in SHIPPABLE) for o in rows]


def recent_orders(uow: UnitOfWork, actor: Actor, customer_id: int,
                  limit: int = 10) -> list[tuple[int, str, OrderState]]:
    """The customer's latest orders, to link a new case to one: (id, number, state)."""
    require(actor, Action.CASE_CREATE)
    with uow.reader() as r:
        rows = r.session.execute(sa.select(Order.id, Order.order_number, Order.state)
                                 .where(Order.customer_id == customer_id)
                                 .order_by(Order.ordered_at.desc()).limit(limit)).all()
        return [(oid, number, state) for oid, number, state in rows]


@dataclass(frozen=True)
class LineInput:
    product_id: int
    quantity: int


def _refuse(order: Order) -> InvalidState:
    return InvalidState(REFUSALS.get(order.state, N_("Order {number} cannot be changed now.")),
                        number=order.order_number)


def _order_of_case(uow: UnitOfWork, case: Case, order_id: int) -> Order:
    order = uow.session.scalar(sa.select(Order).where(Order.id == order_id).with_for_update())
    if order is None or order.customer_id != case.customer_id:
        raise NotFound(N_("Order {order_id} is not an order of this case's customer."),
                       order_id=order_id)
    return order


def _lines(uow: UnitOfWork, lines: list[LineInput]) -> list[OrderLine]:
    if not lines:
        raise ValidationError(N_("An order needs at least one product."))
    built = []
    for line in lines:
        if not (1 <= int(line.quantity) <= MAX_QUANTITY):
            raise ValidationError(N_("A quantity is a whole number from 1 to {max}."),
                                  max=MAX_QUANTITY)
        product = uow.session.get(Product, line.product_id)
        if product is None or not product.active:
            raise NotFound(N_("Product {product_id} does not exist or is no longer sold."),
                           product_id=line.product_id)
        total = product.price_cents * int(line.quantity)
        built.append(OrderLine(product_id=product.id, quantity=int(line.quantity),
                               unit_price_cents=product.price_cents, paid_cents=total))
    return built


def _address(value: str | None) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError(N_("Enter the delivery address."))
    if len(text) > 300:
        raise ValidationError(N_("The delivery address is too long (at most 300 characters)."))
    return text


def _tell(uow: UnitOfWork, actor: Actor, case: Case, order: Order, key: str) -> None:
    customer = uow.session.get(Customer, order.customer_id)
    messages.queue(uow, customer=customer, case_id=case.id, author_id=actor.staff_id,
                   template_key=key, values={
                       "customer_name": customer.name, "order_number": order.order_number,
                       "expected_delivery": order.expected_delivery_on or "",
                       "carrier": order.carrier or "", "tracking_number":
                       order.tracking_number or "", "agent_name": actor.display_name})


def _next_number(uow: UnitOfWork) -> str:
    today = sla.to_local(uow.session, utcnow()).strftime("%Y%m%d")
    prefix = f"CD{today}"
    last = uow.session.scalar(sa.select(sa.func.max(Order.order_number))
                              .where(Order.order_number.startswith(prefix)))
    seq = int(last[len(prefix):]) + 1 if last else 1
    return f"{prefix}{seq:05d}"


def place_order(uow: UnitOfWork, actor: Actor, case_id: int, lines: list[LineInput],
                delivery_address: str, expected_delivery_on: date | None = None) -> str:
    """A consultation that becomes an order: entered, confirmed, and the confirmation sent
    with the order number and expected delivery. Returns the order number."""
    require(actor, Action.ORDER_MANAGE)
    address = _address(delivery_address)
    now = utcnow()
    with uow:
        case = _case(uow, case_id, for_update=True)
        built = _lines(uow, lines)
        local_today = sla.to_local(uow.session, now).date()
        if expected_delivery_on is not None and expected_delivery_on < local_today:
            raise ValidationError(N_("The expected delivery date is in the past."))
        order = Order(order_number=_next_number(uow), customer_id=case.customer_id,
                      channel=case.channel if case.channel != Channel.WALK_IN else Channel.PHONE,
                      state=O.CONFIRMED, ordered_at=now, confirmed_at=now,
                      delivery_address=address, created_by_id=actor.staff_id,
                      expected_delivery_on=expected_delivery_on
                      or local_today + timedelta(days=DEFAULT_DELIVERY_DAYS))
        order.lines = built
        order.total_cents = sum(line.paid_cents for line in built)
        uow.session.add(order)
        uow.flush()
        if case.order_id is None:
            case.order_id = order.id
        _event(uow, case, CaseEventKind.ORDER_CHANGE, actor, new=f"placed {order.order_number}")
        _tell(uow, actor, case, order, "order_confirmation")
        audit.record(uow, actor, "order_placed", "order", order.id, None,
                     {"order_number": order.order_number, "total_cents": order.total_cents})
        uow.commit()
        return order.order_number


def confirm_order(uow: UnitOfWork, actor: Actor, case_id: int, order_id: int,
                  expected_version: int, expected_delivery_on: date | None = None) -> None:
    """A pending order checked with the customer: confirmed, and the confirmation sent."""
    require(actor, Action.ORDER_MANAGE)
    now = utcnow()
    with uow:
        case = _case(uow, case_id)
        order = _order_of_case(uow, case, order_id)
        expect_version(order, expected_version)
        if order.state != O.PENDING:
            raise InvalidState(N_("Order {number} is {state}, not waiting for confirmation."),
                               number=order.order_number, state=Term(ORDER_STATE[order.state]))
        order.state, order.confirmed_at = O.CONFIRMED, now
        order.expected_delivery_on = expected_delivery_on or order.expected_delivery_on or (
            sla.to_local(uow.session, now).date() + timedelta(days=DEFAULT_DELIVERY_DAYS))
        _event(uow, case, CaseEventKind.ORDER_CHANGE, actor, old=O.PENDING.value,
               new=O.CONFIRMED.value)
        _tell(uow, actor, case, order, "order_confirmation")
        audit.record(uow, actor, "order_confirmed", "order", order.id,
                     {"state": O.PENDING}, {"state": O.CONFIRMED})
        uow.commit()


def modify_order(uow: UnitOfWork, actor: Actor, case_id: int, order_id: int,
                 expected_version: int, *, lines: list[LineInput] | None = None,
                 delivery_address: str | None = None) -> None:
    require(actor, Action.ORDER_MANAGE)
    with uow:
        case = _case(uow, case_id)
        order = _order_of_case(uow, case, order_id)
        expect_version(order, expected_version)
        if order.state not in MODIFIABLE:
            raise _refuse(order)
        old = {"total_cents": order.total_cents, "delivery_address": order.delivery_address}
        if lines is not None:
            order.lines = _lines(uow, lines)
            order.total_cents = sum(line.paid_cents for line in order.lines)
        if delivery_address is not None:
            order.delivery_address = _address(delivery_address)
        new = {"total_cents": order.total_cents, "delivery_address": order.delivery_address}
        before, after = audit.changes(old, new)
        if not after and lines is None:
            return
        _event(uow, case, CaseEventKind.ORDER_CHANGE, actor,
               new=f"modified {order.order_number}")
        _tell(uow, actor, case, order, "order_confirmation")
        audit.record(uow, actor, "order_modified", "order", order.id, before, after)
        uow.commit()


def cancel_order(uow: UnitOfWork, actor: Actor, case_id: int, order_id: int,
                 expected_version: int, reason: str) -> None:
    require(actor, Action.ORDER_MANAGE)
    why = (reason or "").strip()
    if not why or len(why) > 500:
        raise ValidationError(N_("Say why the order is cancelled (up to 500 characters)."))
    with uow:
        case = _case(uow, case_id)
        order = _order_of_case(uow, case, order_id)
        expect_version(order, expected_version)
        if order.state not in CANCELLABLE:
            raise _refuse(order)
        old = order.state
        order.state, order.cancelled_at = O.CANCELLED, utcnow()
        _event(uow, case, CaseEventKind.ORDER_CHANGE, actor, why, old=old.value,
               new=O.CANCELLED.value)
        _tell(uow, actor, case, order, "order_cancellation")
        audit.record(uow, actor, "order_cancelled", "order", order.id, {"state": old},
                     {"state": O.CANCELLED, "reason": why})
        uow.commit()


def ship_order(uow: UnitOfWork, actor: Actor, case_id: int, order_id: int,
               expected_version: int, carrier: str, tracking_number: str) -> None:
    require(actor, Action.ORDER_MANAGE)
    carrier_, tracking = (carrier or "").strip(), (tracking_number or "").strip()
    if not carrier_ or not tracking or len(carrier_) > 60 or len(tracking) > 60:
        raise ValidationError(N_("Enter the carrier and the tracking number (each up to 60 "
                                 "characters)."))
    with uow:
        case = _case(uow, case_id)
        order = _order_of_case(uow, case, order_id)
        expect_version(order, expected_version)
        if order.state not in SHIPPABLE:
            if order.state == O.PENDING:
                raise InvalidState(N_("Order {number} is not confirmed yet: confirm it "
                                      "before shipping."), number=order.order_number)
            raise _refuse(order)
        old = order.state
        order.state, order.shipped_at = O.SHIPPED, utcnow()
        order.carrier, order.tracking_number = carrier_, tracking
        _event(uow, case, CaseEventKind.ORDER_CHANGE, actor, f"{carrier_} {tracking}",
               old=old.value, new=O.SHIPPED.value)
        _tell(uow, actor, case, order, "shipping_notice")
        audit.record(uow, actor, "order_shipped", "order", order.id, {"state": old},
                     {"state": O.SHIPPED, "carrier": carrier_, "tracking_number": tracking})
        uow.commit()
