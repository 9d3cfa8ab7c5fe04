"""Fields a form does not offer are never taken from the user: who created, requested,
prepared, approved or decided something, a record's status, version or id, another customer's
records. The services do not have such parameters (their signatures are read), refuse them
as extra keyword arguments before anything is written, refuse keys outside the allow-list of
the one service that takes a dict of changes, and an import file's extra columns set nothing."""
from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
import sqlalchemy as sa

import core
from core import (aftersales, callbacks, care_plans, cases, complaints, customers, imports,
                  orders, policies, policy_texts, staff)
from core.errors import InvalidState, NotFound, ValidationError
from core.i18n import translator
from core.vocabulary import Role
from db.models import AfterSalesRequest, Case, Customer, Order, OrderLine, Staff
from tests.security.authz_world import World, changed_tables, module_database

pytestmark = pytest.mark.casebook("Authorisation")

EN, ZH = translator("en"), translator("zh_CN")

# what the system records about who did what, and a record's own bookkeeping
FORBIDDEN = {
    "approver", "approver_id", "approved_by", "approved_by_id", "decided_by",
    "decided_by_id", "created_by", "created_by_id", "requested_by", "requested_by_id",
    "prepared_by", "prepared_by_id", "proposed_by", "proposed_by_id", "submitted_by",
    "submitted_by_id", "reviewed_by", "reviewed_by_id", "qc_by_id", "claimed_by",
    "claimed_by_id", "author", "author_id", "updated_by_id", "surveyed_by_id", "handled_by_id",
    "actor_id", "version", "id", "status", "state", "review", "created_at", "decided_at",
    "completed_at", "closed_at", "password_hash", "merged_into_id", "refunded_cents",
    "paid_cents", "within_policy", "needs_approval", "first_contact_resolution", "escalated",
    "must_change_password", "customer_id_of",
}
# the parameters among those that are what a form really offers, and why
ALLOWED = {
    ("cases.change_status", "status"): "the status chosen, checked against the transitions "
                                       "the case's current status allows",
    ("audit.record", "actor_id"): "the audit writer itself (the system's own rows)",
    ("staff.create_staff", "must_change_password"): "the command line's create-user; the "
                                                    "Staff tab calls create_staff_member",
}


def acting_functions() -> dict[str, object]:
    out = {}
    for info in pkgutil.iter_modules(core.__path__):
        module = importlib.import_module(f"core.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if (fn.__module__ == module.__name__ and not name.startswith("_")
                    and "actor" in inspect.signature(fn).parameters):
                out[f"{info.name}.{name}"] = fn
    return out


def test_no_service_takes_who_did_it_or_a_records_bookkeeping(tried):
    """No service function has a parameter for who created, approved or decided something,
    or for a record's status, version or id, and none swallows unknown keyword arguments
    (except update_customer, whose keys are checked against its allow-list)."""
    found, swallowing = [], []
    functions = acting_functions()
    for qualified, fn in functions.items():
        for name, p in inspect.signature(fn).parameters.items():
            if p.kind is inspect.Parameter.VAR_KEYWORD:
                swallowing.append(qualified)
            elif name in FORBIDDEN and (qualified, name) not in ALLOWED:
                found.append(f"{qualified}({name})")
    assert not found, found
    assert swallowing == ["customers.update_customer"], swallowing
    tried(len(functions))


# --- extra keyword arguments -----------------------------------------------------------------

@pytest.fixture(scope="module")
def world(db_template, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("authz_fields")
    with module_database(db_template, tmp) as engine:
        yield World(engine, tmp)


def clear(e) -> str:
    for text in (e.render(EN), e.render(ZH)):
        assert text.strip() and "{" not in text, text
    return e.render(EN)


EXTRA = {"status": "approved", "approved_by_id": 1, "created_by_id": 1, "requested_by_id": 1,
         "decided_by_id": 1, "version": 99, "id": 1, "owner_id": 1, "customer_id": 1,
         "refunded_cents": 0}


def test_extra_fields_are_refused_before_anything_is_written(world, tried):
    """Extra keyword arguments (status, approver, creator, version, id, owner...) given to
    the services that create or decide things raise TypeError, and nothing is written."""
    w = world
    ann, sue, tom, abe = w["ann"], w["sue"], w["tom"], w["abe"]
    line = w.order()
    case_id = w.case()
    complaint_id = w.complaint()[0]
    repair, compensation = w.awaiting_repair(), w.compensation()
    job, report, callback = w.job("tom", "quality_check"), w.report(), w.callback()
    services = {
        "cases.open_case": lambda **x: cases.open_case(
            w.uow, ann, customer_id=line["customer_id"], channel="phone", kind="inquiry",
            category="price", subject="s", question="q", next_step="n", **x),
        "cases.reply": lambda **x: cases.reply(w.uow, ann, case_id, "Hello", 1, **x),
        "cases.change_status": lambda **x: cases.change_status(w.uow, ann, case_id, "open", 1,
                                                               **x),
        "customers.create_customer": lambda **x: customers.create_customer(
            w.uow, ann, name="Extra Field", phone="+8613600009999", **x),
        "aftersales.open_request": lambda **x: aftersales.open_request(
            w.uow, ann, order_line_id=line["line_id"], kind="repair", reason="r",
            condition="defective", proof_of_purchase=True, **x),
        "aftersales.prepare_request": lambda **x: aftersales.prepare_request(
            w.uow, ann, repair, notes="n", **x),
        "aftersales.decide_request": lambda **x: aftersales.decide_request(
            w.uow, sue, repair, True, "ok", **x),
        "aftersales.submit_report": lambda **x: aftersales.submit_report(
            w.uow, tom, job, "w", None, 1, 0, 0, **x),
        "aftersales.review_report": lambda **x: aftersales.review_report(
            w.uow, sue, report, True, **x),
        "complaints.propose_compensation": lambda **x: complaints.propose_compensation(
            w.uow, ann, complaint_id, "gift", 0, "d", **x),
        "complaints.decide_compensation": lambda **x: complaints.decide_compensation(
            w.uow, sue, compensation, True, "ok", **x),
        "callbacks.log_attempt": lambda **x: callbacks.log_attempt(
            w.uow, ann, callback, "no_answer", **x),
        "callbacks.schedule_callback": lambda **x: callbacks.schedule_callback(
            w.uow, ann, line["customer_id"], "manual", w.soon(), topic="t", **x),
        "orders.place_order": lambda **x: orders.place_order(
            w.uow, ann, case_id, [orders.LineInput(w.product_id, 1)], "1 Road", **x),
        "care_plans.add_plan": lambda **x: care_plans.add_plan(
            w.uow, ann, w.customer_id_vip, "Check", 60, **x),
        "staff.create_staff_member": lambda **x: staff.create_staff_member(
            w.uow, abe, "extra_field", "Extra Field", ["agent"], **x),
        "staff.update_staff": lambda **x: staff.update_staff(
            w.uow, abe, tom.staff_id, expected_version=None, display_name="T", **x),
        "policies.add_category_policy": lambda **x: policies.add_category_policy(
            w.uow, abe, "extra", 7, 15, 12, **x),
        "policy_texts.add_canned_reply": lambda **x: policy_texts.add_canned_reply(
            w.uow, abe, title="t", body="b", language="en", **x),
    }
    w.customer_id_vip = w.customer(tier="vip")
    functions = acting_functions()
    before = w.snapshot()
    calls = 0
    for name, service in services.items():
        for field, value in EXTRA.items():
            if field in inspect.signature(functions[name]).parameters:
                continue   # a field the form does offer (the case's customer, say)
            with pytest.raises(TypeError, match="unexpected keyword argument"):
                service(**{field: value})
            calls += 1
    assert changed_tables(before, w.snapshot()) == []
    tried(calls)


# --- the one service that takes a dict of changes ---------------------------------------------

NOT_EDITABLE = {"id": 1, "version": 7, "merged_into_id": 1, "created_at": "2020-01-01",
                "phone_normalized": "+8613800000000", "email_normalized": "x@example.com",
                "name_key": "x", "home_store_id": 1, "consent_changed_at": None,
                "status": "vip", "created_by_id": 1, "owner_id": 1, "password_hash": "x"}


def test_customer_changes_outside_the_allow_list_are_refused(world, tried):
    """update_customer refuses any key outside EDITABLE with a message naming it and the
    fields that may change, even next to allowed keys, and writes nothing."""
    w = world
    customer_id = w.customer()
    before = w.snapshot()
    for field, value in NOT_EDITABLE.items():
        for changes in ({field: value}, {"name": "Changed Name", field: value}):
            with pytest.raises(ValidationError) as caught:
                customers.update_customer(w.uow, w["ann"], customer_id, None, **changes)
            message = clear(caught.value)
            assert field in message and "marketing_consent" in message, message
    assert changed_tables(before, w.snapshot()) == []
    # the allowed counterpart
    customers.update_customer(w.uow, w["ann"], customer_id, None, name="Changed Name")
    assert w.get(Customer, customer_id).name == "Changed Name"
    tried(2 * len(NOT_EDITABLE))


# --- records of another customer -------------------------------------------------------------

def test_records_of_another_customer_cannot_be_attached(world, tried):
    """An order, a case or an order line of another customer cannot be attached to this
    customer's case, request or callback, nor changed through this customer's case."""
    w = world
    ann = w["ann"]
    mine, theirs = w.order(), w.order(state="confirmed")
    my_case = w.case(customer_id=mine["customer_id"])
    their_case = w.case(customer_id=theirs["customer_id"])
    attempts = [
        (ValidationError, lambda: cases.open_case(
            w.uow, ann, customer_id=mine["customer_id"], channel="phone", kind="inquiry",
            category="price", subject="s", question="q", next_step="n",
            order_id=theirs["order_id"])),
        (ValidationError, lambda: aftersales.open_request(
            w.uow, ann, order_line_id=mine["line_id"], kind="repair", reason="r",
            condition="defective", proof_of_purchase=True, case_id=their_case)),
        (ValidationError, lambda: callbacks.schedule_callback(
            w.uow, ann, mine["customer_id"], "follow_up", w.soon(), case_id=their_case)),
        (NotFound, lambda: orders.confirm_order(w.uow, ann, my_case, theirs["order_id"],
                                                theirs["version"])),
        (NotFound, lambda: orders.modify_order(w.uow, ann, my_case, theirs["order_id"],
                                               theirs["version"], delivery_address="Mine")),
        (NotFound, lambda: orders.cancel_order(w.uow, ann, my_case, theirs["order_id"],
                                               theirs["version"], "Mine now")),
        (NotFound, lambda: orders.ship_order(w.uow, ann, my_case, theirs["order_id"],
                                             theirs["version"], "SF", "1")),
    ]
    before = w.snapshot()
    for error, attempt in attempts:
        with pytest.raises(error) as caught:
            attempt()
        clear(caught.value)
    assert changed_tables(before, w.snapshot()) == []
    # the records the services do write carry the actor, never a chosen person
    request_id = aftersales.open_request(
        w.uow, ann, order_line_id=mine["line_id"], kind="refund", reason="r",
        condition="defective", proof_of_purchase=True, refund_cents=70_000, case_id=my_case)
    aftersales.decide_request(w.uow, w["sue"], request_id, True, "ok")
    req = w.get(AfterSalesRequest, request_id)
    assert (req.created_by_id, req.decided_by_id) == (ann.staff_id, w["sue"].staff_id)
    assert req.customer_id == mine["customer_id"]
    tried(len(attempts))


# --- import files with columns no form has ---------------------------------------------------

def test_import_columns_that_are_not_fields_set_nothing(world, tried):
    """Extra columns in an import file (status, created_by, approved_by, version, id,
    merged_into_id, password_hash, active...) are not read: the records get what the
    system decides, and a mapping that names a non-field is refused."""
    w = world
    abe, bob = w["abe"], w["bob"]
    keeper = w.customer()
    extra = ("id,version,status,created_by,approved_by,merged_into_id,home_store_id,"
             "consent_changed_at,created_at,password_hash")
    customers_csv = (
        f"name,phone,email,{extra}\n"
        f"Import Person,+8613511112222,import.person@example.com,1,99,vip,{bob.staff_id},"
        f"{bob.staff_id},{keeper},1,2001-01-01,2001-01-01,x\n").encode()
    report = imports.apply_import(w.uow, abe, "customers", customers_csv, "customers.csv")
    assert report.applied and report.new == 1
    assert set(report.mapping) <= {"name", "phone", "email"}, report.mapping
    with w.uow.reader() as r:
        c = r.session.scalar(sa.select(Customer).where(Customer.name == "Import Person"))
        assert (c.version, c.merged_into_id, c.home_store_id, c.tier.value) == \
            (1, None, None, "regular")
        assert c.id != 1 and c.created_at.year > 2001 and c.consent_changed_at is None

    staff_csv = ("username,display_name,roles,password_hash,active,must_change_password,"
                 "version,created_by\n"
                 "imported_tech,Imported Tech,technician,$2b$04$known,false,false,5,1\n"
                 ).encode()
    report = imports.apply_import(w.uow, abe, "staff", staff_csv, "staff.csv")
    assert report.applied and set(report.mapping) <= {"username", "display_name", "roles"}
    with w.uow.reader() as r:
        s = r.session.scalar(sa.select(Staff).where(Staff.username == "imported_tech"))
        assert s.active and s.must_change_password and s.version == 1
        assert s.password_hash != "$2b$04$known" and s.role_set == {Role.TECHNICIAN}

    orders_csv = ("order_number,customer_phone,ordered_at,sku,quantity,paid,refunded_cents,"
                  "created_by,total_cents\n"
                  f"IMP-1,+8613511112222,2026-01-05 10:00,AZ-KETTLE,1,100.00,100.00,"
                  f"{bob.staff_id},1\n").encode()
    report = imports.apply_import(w.uow, abe, "orders", orders_csv, "orders.csv")
    assert report.applied, [p.render(EN) for p in report.problems]
    with w.uow.reader() as r:
        o = r.session.scalar(sa.select(Order).where(Order.order_number == "IMP-1"))
        assert o.created_by_id is None and o.total_cents == 10_000
        assert [(ln.paid_cents, ln.refunded_cents) for ln in
                r.session.scalars(sa.select(OrderLine).where(OrderLine.order_id == o.id))] \
            == [(10_000, 0)]

    # naming a column for something that is not a field of the import
    before = w.snapshot()
    for kind, data, name in (("customers", customers_csv, "created_by"),
                             ("customers", customers_csv, "merged_into_id"),
                             ("staff", staff_csv, "password_hash"),
                             ("staff", staff_csv, "active")):
        for call in (imports.preview_import, imports.apply_import):
            with pytest.raises(ValidationError) as caught:
                call(w.uow, abe, kind, data, f"{kind}.csv", mapping={name: name})
            assert name in clear(caught.value)
    assert changed_tables(before, w.snapshot()) == []
    tried(3 + 8)


# --- values a form's choices do not offer ----------------------------------------------------

def test_choices_a_form_does_not_offer_are_refused(world, tried):
    """A value outside a form's choices (a status jump, a purpose the rules schedule, an
    unknown role, tier, kind or outcome) is refused with a clear message, and nothing is
    written."""
    w = world
    ann, sue, abe = w["ann"], w["sue"], w["abe"]
    new_case = w.case()
    version = w.version(Case, new_case)
    customer_id, callback = w.customer(), w.callback()
    someone = w.staff_member(Role.AGENT)
    line, complaint_id = w.order()["line_id"], w.complaint()[0]
    attempts = [
        lambda: cases.change_status(w.uow, ann, new_case, "closed", version),   # new -> closed
        lambda: cases.change_status(w.uow, ann, new_case, "resolved", version),  # no reply yet
        lambda: cases.change_status(w.uow, ann, new_case, "approved", version),
        lambda: cases.open_case(w.uow, ann, customer_id=customer_id, channel="fax",
                                kind="inquiry", category="price", subject="s", question="q",
                                next_step="n"),
        lambda: cases.open_case(w.uow, ann, customer_id=customer_id, channel="phone",
                                kind="inquiry", category="price", subject="s", question="q",
                                next_step="n", priority="immediately"),
        lambda: callbacks.schedule_callback(w.uow, ann, customer_id, "vip_care", w.soon()),
        lambda: callbacks.schedule_callback(w.uow, ann, customer_id, "after_sales_follow_up",
                                            w.soon()),
        lambda: callbacks.log_attempt(w.uow, ann, callback, "approved"),
        lambda: customers.update_customer(w.uow, ann, customer_id, None, tier="platinum"),
        lambda: staff.update_staff(w.uow, abe, someone.staff_id, expected_version=None,
                                   roles=["root"]),
        lambda: staff.create_staff_member(w.uow, abe, "rooty", "Root", ["superuser"]),
        lambda: aftersales.open_request(w.uow, ann, order_line_id=line,
                                        kind="gift", reason="r", condition="defective",
                                        proof_of_purchase=True),
        lambda: complaints.propose_compensation(w.uow, ann, complaint_id, "cash", 100,
                                                "d"),
    ]
    failures = []
    before = w.snapshot()
    for attempt in attempts:
        try:
            attempt()
        except (ValidationError, InvalidState) as e:
            clear(e)
        else:
            failures.append(attempt)
    assert changed_tables(before, w.snapshot()) == []
    assert not failures
    tried(len(attempts))
