"""Orders with lines from an import file: one row per line, the order's fields repeated on
each of its lines, lines grouped by order number. The customer must exist (found by phone,
else e-mail) and so must every product (by SKU). An existing order (by number) of the
same customer and the same lines is unchanged, or updated in its own fields (state,
times, delivery); an import never moves an order to another customer or changes its lines.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core.i18n import N_, Term
from core.import_fields import ORDER_HEADER, ORDERS
from core.import_rules import ParsedRow, RowProblem
from core.import_store import (
    CHUNK, IN_CHUNK, Plan, changed_fields, chunks, ids_of, insert_rows, lookup, problem,
    update_rows,
)
from core.vocabulary import Channel, OrderState
from db.models import Customer, Order, OrderLine, Product, Store

MAX_TOTAL_CENTS = 2_000_000_000   # an order's total must fit the INTEGER column


# the order's fields an import may set on an existing order (never its customer or lines)
ORDER_UPDATABLE = ("channel", "state", "store_id", "delivery_address", "expected_delivery_on",
                   "carrier", "tracking_number", "ordered_at", "shipped_at", "delivered_at",
                   "cancelled_at")
LINE_KEYS = ("product_id", "quantity", "unit_price_cents", "paid_cents")


@dataclass
class _Order:
    number: str
    first: ParsedRow
    header: dict[str, object]
    rows: list[ParsedRow] = field(default_factory=list)


@dataclass
class OrderPlan(Plan):
    inserts: list[tuple[dict, list[dict]]] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)

    def write(self, session, actor, now, step):
        total = max(len(self.inserts), 1)
        done = 0
        for part in chunks(self.inserts, CHUNK):
            insert_rows(session, Order, [order for order, _lines in part])
            ids = ids_of(session, Order, "order_number",
                         [order["order_number"] for order, _lines in part])
            lines = [{"order_id": ids[order["order_number"]], **line}
                     for order, order_lines in part for line in order_lines]
            for line_part in chunks(lines, CHUNK * 2):
                insert_rows(session, OrderLine, line_part)
            done += len(part)
            step(done / total)
        update_rows(session, Order, ORDER_UPDATABLE, self.updates, now)
        step(1.0)


def _group_orders(rows: list[ParsedRow], mapping: Mapping[str, str],
                  problems: list[RowProblem]) -> dict[str, _Order]:
    """Lines grouped by order number; the order's fields must agree on all its lines (a
    line may leave them blank)."""
    orders: dict[str, _Order] = {}
    for r in rows:
        number = r.values.get("order_number")
        if number is None:
            continue
        header = {k: r.values[k] for k in ORDER_HEADER if k in r.values}
        order = orders.get(number)
        if order is None:
            orders[number] = _Order(number, r, header, [r])
            continue
        order.rows.append(r)
        for k, value in header.items():
            known = order.header.get(k)
            if known is None:
                order.header[k] = value
            elif _same_value(k, known) != _same_value(k, value):
                problem(problems, r, mapping.get(k), N_(
                    "Row {first} gives order {number} another {field}."),
                    first=order.first.row, number=number, field=Term(ORDERS.field(k).label))
    return orders


def _same_value(name: str, value: object) -> object:
    return value[1] if name == "customer_phone" else value


def plan_orders(session: Session, rows: list[ParsedRow], mapping: Mapping[str, str],
                problems: list[RowProblem], now: datetime) -> OrderPlan:
    plan = OrderPlan()
    orders = _group_orders(rows, mapping, problems)
    products = {row.sku: row for row in lookup(
        session, (Product.id, Product.sku, Product.price_cents), Product.sku,
        (r.values.get("sku") for r in rows))}
    for r in rows:
        sku = r.values.get("sku")
        if sku is not None and sku not in products:
            problem(problems, r, mapping.get("sku"),
                    N_("No product has the SKU {sku}. Import the products first."), sku=sku)
    live = Customer.merged_into_id.is_(None)
    cust_cols = (Customer.id, Customer.phone_normalized, Customer.email_normalized)
    headers = [o.header for o in orders.values()]
    by_phone: dict[str, int] = {}
    by_email: dict[str, int] = {}
    for row in lookup(session, cust_cols, Customer.phone_normalized,
                      (h["customer_phone"][1] for h in headers if "customer_phone" in h), live):
        by_phone.setdefault(row.phone_normalized, row.id)
    for row in lookup(session, cust_cols, Customer.email_normalized,
                      (h.get("customer_email") for h in headers), live):
        by_email.setdefault(row.email_normalized, row.id)
    stores = {row.code: row.id for row in lookup(session, (Store.id, Store.code), Store.code,
                                                 (h.get("store") for h in headers))}
    existing = {row.order_number: row for row in lookup(
        session, (Order.id, Order.version, Order.order_number, Order.customer_id,
                  *(getattr(Order, c) for c in ORDER_UPDATABLE)),
        Order.order_number, orders.keys())}
    existing_lines: dict[int, list[tuple]] = {}
    ids = sorted(row.id for row in existing.values())
    for part in chunks(ids, IN_CHUNK):
        for line in session.execute(
                sa.select(OrderLine.order_id, *(getattr(OrderLine, k) for k in LINE_KEYS))
                .where(OrderLine.order_id.in_(part)).order_by(OrderLine.order_id, OrderLine.id)):
            existing_lines.setdefault(line.order_id, []).append(tuple(line)[1:])

    for order in orders.values():
        first = order.first
        customer_id = _order_customer(order, by_phone, by_email, mapping, problems)
        values = _order_values(order, stores, mapping, problems)
        lines = []
        for r in order.rows:
            product = products.get(r.values.get("sku"))
            if r.bad or product is None:
                continue
            qty = r.values["quantity"]
            unit = r.values.get("unit_price", product.price_cents)
            paid = r.values.get("paid", unit * qty)
            lines.append(({"product_id": product.id, "quantity": qty,
                           "unit_price_cents": unit, "paid_cents": paid},
                          ("unit_price" in r.values, "paid" in r.values)))
        if any(r.bad for r in order.rows) or customer_id is None or values is None:
            continue
        total = sum(line["paid_cents"] for line, _given in lines)
        if total > MAX_TOTAL_CENTS:
            problem(problems, first, mapping.get("paid"), N_(
                "Order {number} adds up to more than {limit} yuan."), number=order.number,
                limit=MAX_TOTAL_CENTS // 100)
            continue
        current = existing.get(order.number)
        if current is None:
            plan.inserts.append(({
                "order_number": order.number, "customer_id": customer_id,
                **{c: values[c] for c in ORDER_UPDATABLE}, "total_cents": total,
                "confirmed_at": (values["ordered_at"] if values["state"] != OrderState.PENDING
                                 else None),
                "created_by_id": None, "version": 1, "created_at": now, "updated_at": now},
                [{**line, "refunded_cents": 0} for line, _given in lines]))
            plan.new += 1
            plan.lines += len(lines)
            continue
        if current.customer_id != customer_id:
            problem(problems, first, mapping.get("customer_phone")
                    or mapping.get("customer_email"), N_(
                "Order {number} already exists for another customer (#{customer_id})."),
                number=order.number, customer_id=current.customer_id)
            continue
        if not _same_lines(existing_lines.get(current.id, []), lines):
            problem(problems, first, mapping.get("sku"), N_(
                "Order {number} already exists with other lines. An import does not change "
                "the lines of an existing order."), number=order.number)
            continue
        given = {c: values[c] for c in ORDER_UPDATABLE if c in values["_given"]}
        changes = changed_fields(current, given, ORDER_UPDATABLE)
        if not changes:
            plan.unchanged += 1
            continue
        merged = {c: changes.get(c, getattr(current, c)) for c in ORDER_UPDATABLE}
        plan.updates.append({"b_id": current.id, "b_version": current.version,
                             **{f"v_{c}": merged[c] for c in ORDER_UPDATABLE}})
        plan.updated += 1
    return plan


def _order_customer(order: _Order, by_phone, by_email, mapping, problems) -> int | None:
    h, first = order.header, order.first
    phone, mail = h.get("customer_phone"), h.get("customer_email")
    a = by_phone.get(phone[1]) if phone else None
    b = by_email.get(mail) if mail else None
    if a is not None and b is not None and a != b:
        problem(problems, first, mapping.get("customer_email"), N_(
            "The phone number {phone} belongs to customer #{customer_id}, the e-mail address "
            "{email} to customer #{other_id}."),
            phone=phone[1], customer_id=a, email=mail, other_id=b)
        return None
    if a is None and b is None:
        if phone:
            problem(problems, first, mapping.get("customer_phone"), N_(
                "No customer has the phone number {phone}. Import the customers first."),
                phone=phone[1])
        elif mail:
            problem(problems, first, mapping.get("customer_email"), N_(
                "No customer has the e-mail address {email}. Import the customers first."),
                email=mail)
        return None
    return a if a is not None else b


def _order_values(order: _Order, stores, mapping, problems) -> dict | None:
    """The order's columns (defaults for what the file leaves out); `_given` names the
    columns the file itself sets (only those are compared with an existing order)."""
    h, first = order.header, order.first
    given = {k for k in ("channel", "state", "delivery_address", "expected_delivery_on",
                         "carrier", "tracking_number", "ordered_at", "shipped_at",
                         "delivered_at", "cancelled_at") if k in h}
    store_id = None
    if "store" in h:
        store_id = stores.get(h["store"])
        if store_id is None:
            problem(problems, first, mapping.get("store"), N_("Unknown store {store}."),
                    store=h["store"])
            return None
        given.add("store_id")
    ordered = h.get("ordered_at")
    if ordered is None:
        return None
    for k in ("shipped_at", "delivered_at", "cancelled_at"):
        if k in h and h[k] < ordered:
            problem(problems, first, mapping.get(k), N_("{field} is before the order date."),
                    field=Term(ORDERS.field(k).label))
            return None
    state = h.get("state") or (
        OrderState.CANCELLED if "cancelled_at" in h else OrderState.DELIVERED
        if "delivered_at" in h else OrderState.SHIPPED if "shipped_at" in h
        else OrderState.CONFIRMED)
    return {"channel": h.get("channel", Channel.WEB), "state": state, "store_id": store_id,
            "delivery_address": h.get("delivery_address"),
            "expected_delivery_on": h.get("expected_delivery_on"),
            "carrier": h.get("carrier"), "tracking_number": h.get("tracking_number"),
            "ordered_at": ordered, "shipped_at": h.get("shipped_at"),
            "delivered_at": h.get("delivered_at"), "cancelled_at": h.get("cancelled_at"),
            "_given": given}


def _same_lines(stored: list[tuple], lines: list[tuple[dict, tuple[bool, bool]]]) -> bool:
    """The file's lines are the stored ones, in order; a price or amount the file leaves
    out is not compared (its default may have changed since)."""
    if len(stored) != len(lines):
        return False
    for (product_id, qty, unit, paid), (line, (unit_given, paid_given)) in zip(stored, lines):
        if (product_id, qty) != (line["product_id"], line["quantity"]):
            return False
        if (unit_given and unit != line["unit_price_cents"]) or (
                paid_given and paid != line["paid_cents"]):
            return False
    return True
