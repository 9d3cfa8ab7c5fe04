"""Record scope: the right role with the wrong record. Ids changed to reach someone else's job,
call or request, one's own request to approve, an agent reaching for a supervisor's or an
admin's decisions, an analyst opening a customer, ids that point nowhere or at another kind of
record, and the pages that take an id from the address bar. Every attempt is refused with a
clear message and leaves every table as it was; the allowed counterpart is done, so that each
refusal is a rule and not a broken call."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import streamlit as st
from streamlit.testing.v1 import AppTest

from core import (aftersales, audit_log, callbacks, care_plans, cases, complaints, customers,
                  data_exports, orders, policies, policy_sla, policy_texts, products, staff)
from core.analytics import Filters
from core.audit_log import AuditFilters
from core.clock import utcnow
from core.data_exports import ExportFilters
from core.errors import (DomainError, InvalidState, NotFound, PermissionDenied,
                         ValidationError)
from core.i18n import translator
from core.vocabulary import Role
from db.models import (AfterSalesRequest, AuditEntry, Callback, Case, Customer, CustomerNote,
                       MaintenancePlan, Order, OrderLine, ServiceJob, Staff)
from tests.security.authz_world import BIG_REFUND, World, changed_tables, module_database
from ui import keys, runtime

pytestmark = pytest.mark.casebook("Authorisation")

ROOT = Path(__file__).resolve().parents[2]
EN, ZH = translator("en"), translator("zh_CN")


@pytest.fixture(scope="module")
def world(db_template, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("authz_scope")
    with module_database(db_template, tmp) as engine:
        yield World(engine, tmp)


def clear(e: DomainError) -> str:
    """The message in both languages, placeholders filled; returns the English one."""
    for text in (e.render(EN), e.render(ZH)):
        assert text.strip() and "{" not in text, text
    return e.render(EN)


def refused(w: World, error: type[DomainError], call, *, says: str | None = None) -> str:
    """`call()` raises `error` with a clear message (containing `says`) and not one row of
    any table differs afterwards."""
    before = w.snapshot()
    with pytest.raises(error) as caught:
        call()
    message = clear(caught.value)
    if says is not None:
        assert says in message, message
    assert changed_tables(before, w.snapshot()) == []
    return message


# --- a technician and other technicians' jobs ----------------------------------------------

def test_a_technician_works_and_reads_only_his_own_jobs(world, tried):
    """A technician cannot start, check, report on or read a job given to another technician,
    nor one taken away from him."""
    w = world
    tom, tia = w["tom"], w["tia"]
    theirs = {state: w.job("tia", state) for state in ("assigned", "in_progress",
                                                       "quality_check")}
    attempts = [
        lambda: aftersales.start_job(w.uow, tom, theirs["assigned"]),
        lambda: aftersales.record_quality_check(w.uow, tom, theirs["in_progress"], True, "ok"),
        lambda: aftersales.record_quality_check(w.uow, tom, theirs["in_progress"], False, "x"),
        lambda: aftersales.submit_report(w.uow, tom, theirs["quality_check"], "Done", None, 10,
                                         0, 0),
    ]
    for attempt in attempts:
        refused(w, PermissionDenied, attempt, says="assigned to someone else")
    # reading: the request behind her job does not exist for him, and his list leaves it out
    for job_id in theirs.values():
        refused(w, NotFound, lambda: aftersales.request_view(w.uow, tom, w.request_of_job(job_id)),
                says="does not exist")
    mine = {j.id for j in aftersales.my_jobs(w.uow, tom)}
    assert not mine & set(theirs.values())
    # a job of his, given to her: from then on it is hers
    moved = w.job("tom")
    aftersales.assign_job(w.uow, w["sam"], moved, tia.staff_id, "mail_in", None)
    refused(w, PermissionDenied, lambda: aftersales.start_job(w.uow, tom, moved))
    assert moved not in {j.id for j in aftersales.my_jobs(w.uow, tom)}
    # the allowed counterpart: she may
    aftersales.start_job(w.uow, tia, theirs["assigned"])
    assert aftersales.request_view(w.uow, tia, w.request_of_job(theirs["assigned"]))
    tried(len(attempts) + len(theirs) + 3)


def test_a_technician_learns_nothing_of_a_customers_purchases(world, tried):
    """Product recommendations for a customer come from what the customer bought: a
    technician (who may look products up, not customers) is refused them."""
    w = world
    line = w.order()
    refused(w, PermissionDenied, lambda: products.recommendations(
        w.uow, w["tom"], customer_id=line["customer_id"]), says="customer.view")
    products.recommendations(w.uow, w["tom"], product_id=w.product_id)
    products.recommendations(w.uow, w["ann"], customer_id=line["customer_id"])
    tried(1)


# --- callbacks held by someone else -----------------------------------------------------------

def test_an_agent_cannot_release_or_complete_a_call_someone_else_holds(world, tried):
    """A callback another agent has claimed cannot be released, claimed, logged, moved or
    cancelled by an agent; only a supervisor releases it."""
    w = world
    ann, bob, sue = w["ann"], w["bob"], w["sue"]
    held = w.callback(claimed_by="bob")
    refused(w, PermissionDenied, lambda: callbacks.release(w.uow, ann, held),
            says="callback.assign")
    for attempt in (lambda: callbacks.claim(w.uow, ann, held),
                    lambda: callbacks.log_attempt(w.uow, ann, held, "no_answer"),
                    lambda: callbacks.log_attempt(w.uow, ann, held, "reached", satisfaction=5,
                                                  comment="Fine"),
                    lambda: callbacks.log_attempt(w.uow, ann, held, "wrong_number"),
                    lambda: callbacks.reschedule(w.uow, ann, held, w.soon(30)),
                    lambda: callbacks.cancel_callback(w.uow, ann, held, "Not needed")):
        refused(w, InvalidState, attempt, says="Bob is already making this call")
    # a supervisor may give it back to the team; then ann may take it
    callbacks.release(w.uow, sue, held)
    callbacks.claim(w.uow, ann, held)
    assert w.get(Callback, held).claimed_by_id == ann.staff_id
    tried(7)


# --- four eyes: nobody decides what they asked for -------------------------------------------

def test_a_requester_never_approves_their_own_request_refund_or_compensation(world, tried):
    """A supervisor who filed, prepared or proposed something cannot decide it, whatever
    their roles: repairs, refunds, compensations and service reports."""
    w = world
    sam, sue = w["sam"], w["sue"]
    own_repair = w.awaiting_repair(by="sam")
    own_refund = w.awaiting_refund(by="sam")
    prepared_repair = w.awaiting_repair(by="bob")
    aftersales.prepare_request(w.uow, sam, prepared_repair, notes="Checked the photos")
    prepared_refund = w.awaiting_refund(by="bob")
    aftersales.prepare_request(w.uow, sam, prepared_refund, refund_cents=BIG_REFUND + 1)
    for request_id in (own_repair, own_refund, prepared_repair, prepared_refund):
        for approve in (True, False):
            refused(w, PermissionDenied, lambda: aftersales.decide_request(
                w.uow, sam, request_id, approve, "Looks right"), says="four-eyes")
        view = aftersales.request_view(w.uow, sam, request_id)
        assert not view.can_decide
        assert request_id not in {r.id for r in aftersales.approval_queue(w.uow, sam)
                                  if r.can_decide}
    own_compensation = w.compensation(by="sam")
    for approve in (True, False):
        refused(w, PermissionDenied, lambda: complaints.decide_compensation(
            w.uow, sam, own_compensation, approve, "Fair"), says="another supervisor")
    # a supervisor who is also a technician reviews nobody's report but others'
    both = w.staff_member(Role.SUPERVISOR, Role.TECHNICIAN)
    w.people["both"] = both
    own_report = w.report(technician="both")
    refused(w, PermissionDenied, lambda: aftersales.review_report(w.uow, both, own_report, True),
            says="four-eyes")
    # the allowed counterparts: another supervisor decides every one of them
    for request_id in (own_repair, own_refund, prepared_repair, prepared_refund):
        aftersales.decide_request(w.uow, sue, request_id, True, "Agreed")
    complaints.decide_compensation(w.uow, sue, own_compensation, True, "Agreed")
    aftersales.review_report(w.uow, sue, own_report, True)
    tried(4 * 2 + 2 + 1)


def test_a_second_preparer_cannot_free_the_first_to_decide(world, tried):
    """Preparing a request is signed once: its creator cannot prepare it, and a colleague
    cannot prepare it over someone else, so the first preparer never becomes free to decide."""
    w = world
    sam, sue, ann = w["sam"], w["sue"], w["ann"]
    # sam raises the refund as its preparer, sue prepares it again, sam would now decide
    refund = w.awaiting_refund(by="bob")
    aftersales.prepare_request(w.uow, sam, refund, refund_cents=BIG_REFUND + 5_000)
    refused(w, PermissionDenied, lambda: aftersales.prepare_request(
        w.uow, sue, refund, notes="Looked at it too"), says="Sam")
    refused(w, PermissionDenied, lambda: aftersales.decide_request(
        w.uow, sam, refund, True, "Fine"), says="four-eyes")
    # the creator preparing his own request would leave no second person in it at all
    own = w.awaiting_repair(by="bob")
    refused(w, PermissionDenied, lambda: aftersales.prepare_request(
        w.uow, w["bob"], own, notes="Checked it myself"), says="someone else")
    assert not aftersales.request_view(w.uow, w["bob"], own).can_prepare
    # the allowed counterparts: the preparer amends his own preparation; another agent
    # prepares bob's request; a third person decides
    aftersales.prepare_request(w.uow, sam, refund, notes="Receipt seen")
    aftersales.prepare_request(w.uow, ann, own, notes="Photos checked")
    aftersales.decide_request(w.uow, sue, refund, True, "Agreed")
    tried(3)


# --- an agent reaching for a supervisor's or an admin's decisions ------------------------------

def test_an_agent_cannot_assign_change_roles_or_approve(world, tried):
    """An agent cannot give cases to others, take them from their owner, change anyone's
    roles or account, or approve anything."""
    w = world
    ann, bob = w["ann"], w["bob"]
    case_id = w.case(by="bob")
    version = w.version(Case, case_id)
    other = w.staff_member(Role.AGENT)
    new_customer, complaint_id, merge = w.customer(), w.complaint()[0], (w.customer(),
                                                                          w.customer())
    repair, refund, compensation = w.awaiting_repair(), w.awaiting_refund(), w.compensation()
    report, job, held = w.report(), w.job("tom"), w.callback(claimed_by="bob")
    attempts = [
        lambda: cases.assign(w.uow, ann, case_id, ann.staff_id, version),       # take it
        lambda: cases.assign(w.uow, ann, case_id, w["sue"].staff_id, version),  # give it
        lambda: cases.assign(w.uow, ann, case_id, None, version),               # drop it
        lambda: cases.open_case(w.uow, ann, customer_id=new_customer, channel="phone",
                                kind="inquiry", category="price", subject="s", question="q",
                                next_step="n", owner=bob.staff_id),
        lambda: complaints.reassign_complaint(w.uow, ann, complaint_id, ann.staff_id),
        lambda: staff.update_staff(w.uow, ann, ann.staff_id, expected_version=None,
                                   roles=["agent", "supervisor"]),
        lambda: staff.update_staff(w.uow, ann, other.staff_id, expected_version=None,
                                   roles=["admin"]),
        lambda: staff.set_active(w.uow, ann, other.staff_id, False, expected_version=None),
        lambda: staff.reset_password(w.uow, ann, other.staff_id, expected_version=None),
        lambda: staff.create_staff_member(w.uow, ann, "ann2", "Ann Again", ["admin"]),
        lambda: aftersales.decide_request(w.uow, ann, repair, True, "ok"),
        lambda: aftersales.decide_request(w.uow, ann, refund, True, "ok"),
        lambda: complaints.decide_compensation(w.uow, ann, compensation, True, "ok"),
        lambda: aftersales.review_report(w.uow, ann, report, True),
        lambda: aftersales.assign_job(w.uow, ann, job, w["tia"].staff_id, "mail_in", None),
        lambda: callbacks.release(w.uow, ann, held),
        lambda: customers.merge_customers(w.uow, ann, *merge),
        lambda: policies.set_refund_threshold(w.uow, ann, 10**7, None),
    ]
    for attempt in attempts:
        refused(w, PermissionDenied, attempt)
    assert w.get(Staff, ann.staff_id).role_set == {Role.AGENT}
    tried(len(attempts))


def test_an_admin_cannot_raise_or_lock_out_himself(world, tried):
    """An administrator changes other people's roles, not his own; nor disables himself or
    resets his own password there."""
    w = world
    abe = w["abe"]
    for attempt, says in (
            (lambda: staff.update_staff(w.uow, abe, abe.staff_id, expected_version=None,
                                        roles=["admin", "supervisor"]), "your own roles"),
            (lambda: staff.set_active(w.uow, abe, abe.staff_id, False,
                                      expected_version=None), "your own account"),
            (lambda: staff.reset_password(w.uow, abe, abe.staff_id, expected_version=None),
             "My account")):
        refused(w, PermissionDenied, attempt, says=says)
    someone = w.staff_member(Role.AGENT)
    assert staff.update_staff(w.uow, abe, someone.staff_id, expected_version=None,
                              roles=["agent", "supervisor"])
    tried(3)


def test_work_goes_only_to_people_who_can_do_it(world, tried):
    """A case, a complaint, an escalation or a service job cannot be handed (by id) to
    someone whose roles do not fit, or who left."""
    w = world
    sue, sam = w["sue"], w["sam"]
    gone = w.staff_member(Role.AGENT)
    with w.uow:
        w.uow.session.get(Staff, gone.staff_id).active = False
        w.uow.commit()
    case_id = w.case()
    version = w.version(Case, case_id)
    complaint_id = w.complaint()[0]
    job_id = w.job("tom")
    new_customer, repair = w.customer(), w.awaiting_repair()
    attempts = [
        lambda: cases.assign(w.uow, sue, case_id, w["tom"].staff_id, version),
        lambda: cases.assign(w.uow, sue, case_id, w["ada"].staff_id, version),
        lambda: cases.assign(w.uow, sue, case_id, gone.staff_id, version),
        lambda: cases.open_case(w.uow, sue, customer_id=new_customer, channel="phone",
                                kind="inquiry", category="price", subject="s", question="q",
                                next_step="n", owner=w["abe"].staff_id),
        lambda: complaints.reassign_complaint(w.uow, sue, complaint_id, w["tom"].staff_id),
        lambda: complaints.escalate_complaint(w.uow, w["ann"], complaint_id, "Help",
                                              escalated_to=w["bob"].staff_id),
        lambda: aftersales.assign_job(w.uow, sam, job_id, w["ann"].staff_id, "on_site", None),
        lambda: aftersales.decide_request(w.uow, sue, repair, True, "ok",
                                          technician_id=w["bob"].staff_id),
    ]
    for attempt in attempts:
        refused(w, ValidationError, attempt)
    tried(len(attempts))


# --- an analyst and a customer's personal data -------------------------------------------------

SECRET_PHONE, SECRET_EMAIL = "+8613912345678", "wang.fang@example.com"
SECRETS = ("13912345678", "1234 5678", "12345678", SECRET_EMAIL, "wang.fang",
           "88 Nanjing Road", "Xuhui Garden", "13700001111", "li.si@example.com")


def secret_customer(w: World) -> int:
    """Wang Fang, whose contact data is everywhere: her record, a note, a delivery address
    and a complaint's subject (made once per module)."""
    if hasattr(w, "secret_customer_id"):
        return w.secret_customer_id
    with w.uow:
        c = Customer(name="Wang Fang", phone=SECRET_PHONE, phone_normalized=SECRET_PHONE,
                     email=SECRET_EMAIL, address="88 Nanjing Road, Apt 1201", city="Shanghai",
                     language="en")
        w.uow.session.add(c)
        w.uow.flush()
        w.uow.session.add(CustomerNote(customer_id=c.id, author_id=w["bob"].staff_id,
                                       body="Her son: 137 0000 1111, li.si@example.com"))
        w.uow.commit()
        customer_id = c.id
    order = w.order(customer_id)
    with w.uow:
        w.uow.session.get(Order, order["order_id"]).delivery_address = "Building 7, Xuhui Garden"
        w.uow.commit()
    w.case(customer_id=customer_id, kind="complaint", severity="minor",
           subject="Call 13912345678 about the kettle")
    w.secret_customer_id = customer_id
    return customer_id


def shown(value) -> str:
    text = repr(value)
    return text + " " + re.sub(r"\D", "", text)


def leaks(value) -> list[str]:
    text = shown(value)
    return [s for s in SECRETS if s in text]


def test_an_analyst_sees_customers_only_masked(world, tried):
    """An analyst (and an admin reading the audit log) gets every customer's phone, e-mail,
    addresses and the contact data inside notes and subjects masked, wherever he reads them;
    a supervisor reading the same gets them (so the check can fail)."""
    w = world
    customer_id = secret_customer(w)
    ada, sue, abe = w["ada"], w["sue"], w["abe"]
    today = utcnow().date()
    period = Filters(today - timedelta(days=6), today)

    def reads(who):
        yield "profile", customers.customer_profile(w.uow, who, customer_id)
        yield "search by name", customers.search_customers(w.uow, who, "Wang Fang")
        yield "search by phone", customers.search_customers(w.uow, who, "13912345678")
        yield "duplicates", customers.likely_duplicates(w.uow, who, "Wang Fang",
                                                        phone="13912345678")
        for kind in ("customers", "orders", "cases"):
            yield f"export {kind}", data_exports.export(w.uow, who, kind, ExportFilters()).data
            yield f"preview {kind}", data_exports.preview(
                w.uow, who, kind, ExportFilters()).frame.to_csv()
        from core import service_quality
        yield "complaint examples", service_quality.complaint_examples(
            w.uow, who, period, None, limit=20).to_csv()

    found = {name: leaks(value) for name, value in reads(ada)}
    assert not any(found.values()), found
    # an admin reads the audit log, whose rows hold what was changed: masked for him too
    with w.uow:
        w.uow.session.add(AuditEntry(actor_id=w["bob"].staff_id, action="customer_updated",
                                     entity="customer", entity_id=str(customer_id),
                                     old={"phone": "+8613700001111"},
                                     new={"phone": SECRET_PHONE, "email": SECRET_EMAIL}))
        w.uow.commit()
    page = audit_log.entries(w.uow, abe, AuditFilters(entity="customer",
                                                      entity_id=str(customer_id)))
    assert page.rows and not leaks(page.rows)
    download = audit_log.download(w.uow, abe, AuditFilters(entity="customer",
                                                           entity_id=str(customer_id)))
    assert not leaks(download.data)
    # a supervisor may see them: the same reads show what the analyst did not get
    seen = {name: leaks(value) for name, value in reads(sue)}
    assert seen["profile"] and seen["search by phone"] and seen["export customers"]
    assert leaks(audit_log.entries(w.uow, sue, AuditFilters(entity="customer",
                                                            entity_id=str(customer_id))).rows)
    tried(len(found) + 2)


def recover_by_search(search, target_id: int, start: str, alphabet: str, longest: int) -> str:
    """What a search that matches prefixes gives away: the value found character by
    character, keeping each one the target's record still matches with."""
    known = start
    while len(known) < longest:
        for ch in alphabet:
            if any(hit.id == target_id for hit in search(known + ch)):
                known += ch
                break
        else:
            break
    return known


def test_an_analyst_cannot_unmask_contact_data_by_searching(world, tried):
    """Searching customers by phone or e-mail is reading those fields: an analyst, who sees
    them masked, cannot recover them from which prefixes still find the customer, nor
    confirm a guessed number or address."""
    w = world
    customer_id = secret_customer(w)
    ada, ann = w["ada"], w["ann"]
    calls = []

    def search(who):
        def run(query):
            calls.append(query)
            return customers.search_customers(w.uow, who, query)
        return run

    phone = recover_by_search(search(ada), customer_id, "139", "0123456789", 11)
    email = recover_by_search(search(ada), customer_id, "w", "abcdefghijklmnopqrstuvwxyz.@",
                              len(SECRET_EMAIL))
    assert phone != "13912345678" and SECRET_EMAIL not in email, (phone, email)
    for guess in ("13912345678", SECRET_PHONE, SECRET_EMAIL):
        assert customer_id not in {h.id for h in customers.search_customers(w.uow, ada, guess)}
        assert customer_id not in {h.id for h in customers.likely_duplicates(
            w.uow, ada, "Nobody Similar", phone=guess, email=guess)}
    # an agent finds the customer by her contact data: what agents search by every day
    assert recover_by_search(search(ann), customer_id, "1391234", "0123456789", 11) \
        == "13912345678"
    assert customer_id in {h.id for h in customers.search_customers(w.uow, ann, SECRET_EMAIL)}
    # and the analyst still finds her by name
    assert customer_id in {h.id for h in customers.search_customers(w.uow, ada, "Wang Fang")}
    tried(len(calls) + 6)


# --- ids that point nowhere, or at another kind of record ------------------------------------

def foreign_id(w: World, model) -> int:
    """An id that exists, but of another kind of record (an audit entry), and that no row of
    `model` has."""
    with w.uow.reader() as r:
        found = r.session.scalar(
            sa.select(AuditEntry.id).where(AuditEntry.id.not_in(sa.select(model.id)))
            .order_by(AuditEntry.id.desc()).limit(1))
    assert found is not None
    return found


MISSING = 99_999_999


def test_ids_that_point_nowhere_are_not_found(world, tried):
    """Every service reached with an id no record has, or the id of another kind of record,
    answers that the record does not exist (naming the id the user gave) and changes
    nothing."""
    w = world
    ann, sue, tom, abe = w["ann"], w["sue"], w["tom"], w["abe"]
    from db.models import (AfterSalesPolicy, CannedReply, Compensation, Complaint,
                           InvestigationRequest, MessageTemplate, Product, ServiceReport,
                           SlaPolicy)
    case_id = w.case()
    keeper = w.customer()
    calls = [
        (Case, lambda i: cases.get_case(w.uow, ann, i)),
        (Case, lambda i: cases.reply(w.uow, ann, i, "Hello", 1)),
        (Case, lambda i: cases.add_note(w.uow, ann, i, "Note")),
        (Case, lambda i: cases.change_status(w.uow, ann, i, "open", 1, "why")),
        (Case, lambda i: cases.escalate(w.uow, ann, i, "Angry", 1)),
        (Case, lambda i: cases.assign(w.uow, sue, i, ann.staff_id, 1)),
        (Case, lambda i: orders.orders_of_case(w.uow, ann, i)),
        (Case, lambda i: orders.place_order(w.uow, ann, i, [orders.LineInput(w.product_id, 1)],
                                            "1 Road")),
        (Order, lambda i: orders.confirm_order(w.uow, ann, case_id, i, 1)),
        (Order, lambda i: orders.cancel_order(w.uow, ann, case_id, i, 1, "why")),
        (Order, lambda i: orders.ship_order(w.uow, ann, case_id, i, 1, "SF", "1")),
        (Order, lambda i: orders.modify_order(w.uow, ann, case_id, i, 1,
                                              delivery_address="2 Road")),
        (Complaint, lambda i: complaints.complaint_view(w.uow, ann, i)),
        (Case, lambda i: complaints.complaint_view(w.uow, ann, case_id=i)),
        (Complaint, lambda i: complaints.set_severity(w.uow, ann, i, "major")),
        (Complaint, lambda i: complaints.record_acknowledgement(w.uow, ann, i)),
        (Complaint, lambda i: complaints.promise_reply(w.uow, ann, i, w.soon(48))),
        (Complaint, lambda i: complaints.ask_department(w.uow, ann, i, "quality", "Why?")),
        (InvestigationRequest, lambda i: complaints.record_department_answer(
            w.uow, ann, i, "Yes", "Wang")),
        (Complaint, lambda i: complaints.reply_to_customer(w.uow, ann, i, "phone", "Result")),
        (Complaint, lambda i: complaints.record_evaluation(w.uow, ann, i, True)),
        (Complaint, lambda i: complaints.set_root_cause(w.uow, ann, i, "policy")),
        (Complaint, lambda i: complaints.escalate_complaint(w.uow, ann, i, "Help")),
        (Complaint, lambda i: complaints.close_complaint(w.uow, ann, i)),
        (Complaint, lambda i: complaints.reassign_complaint(w.uow, sue, i, ann.staff_id)),
        (Complaint, lambda i: complaints.propose_compensation(w.uow, ann, i, "gift", 0, "x")),
        (Compensation, lambda i: complaints.decide_compensation(w.uow, sue, i, True, "ok")),
        (AfterSalesRequest, lambda i: aftersales.request_view(w.uow, ann, i)),
        (AfterSalesRequest, lambda i: aftersales.prepare_request(w.uow, ann, i, notes="n")),
        (AfterSalesRequest, lambda i: aftersales.cancel_request(w.uow, ann, i, "why")),
        (AfterSalesRequest, lambda i: aftersales.decide_request(w.uow, sue, i, True, "ok")),
        (OrderLine, lambda i: aftersales.preview_policy(w.uow, ann, i, "repair", "defective",
                                                    True)),
        (OrderLine, lambda i: aftersales.open_request(
            w.uow, ann, order_line_id=i, kind="repair", reason="r", condition="defective",
            proof_of_purchase=True)),
        (ServiceJob, lambda i: aftersales.start_job(w.uow, tom, i)),
        (ServiceJob, lambda i: aftersales.record_quality_check(w.uow, tom, i, True, "ok")),
        (ServiceJob, lambda i: aftersales.submit_report(w.uow, tom, i, "w", None, 1, 0, 0)),
        (ServiceJob, lambda i: aftersales.assign_job(w.uow, sue, i, tom.staff_id, "mail_in",
                                                     None)),
        (ServiceReport, lambda i: aftersales.review_report(w.uow, sue, i, True)),
        (ServiceReport, lambda i: aftersales.archive_report(w.uow, sue, i)),
        (Callback, lambda i: callbacks.get_callback(w.uow, ann, i)),
        (Callback, lambda i: callbacks.claim(w.uow, ann, i)),
        (Callback, lambda i: callbacks.release(w.uow, ann, i)),
        (Callback, lambda i: callbacks.log_attempt(w.uow, ann, i, "no_answer")),
        (Callback, lambda i: callbacks.reschedule(w.uow, ann, i, w.soon(30))),
        (Callback, lambda i: callbacks.cancel_callback(w.uow, ann, i, "why")),
        (Customer, lambda i: callbacks.schedule_callback(w.uow, ann, i, "manual", w.soon(),
                                                         topic="t")),
        (Customer, lambda i: customers.customer_profile(w.uow, ann, i)),
        (Customer, lambda i: customers.update_customer(w.uow, ann, i, None, name="X")),
        (Customer, lambda i: customers.add_note(w.uow, ann, i, "Note")),
        (Customer, lambda i: customers.merge_customers(w.uow, sue, keeper, i)),
        (Customer, lambda i: care_plans.add_plan(w.uow, ann, i, "Check", 60)),
        (Customer, lambda i: cases.open_case(
            w.uow, ann, customer_id=i, channel="phone", kind="inquiry", category="price",
            subject="s", question="q", next_step="n")),
        (MaintenancePlan, lambda i: care_plans.end_plan(w.uow, ann, i, 1)),
        (Product, lambda i: products.product_info(w.uow, ann, i)),
        (Staff, lambda i: staff.update_staff(w.uow, abe, i, expected_version=None,
                                             display_name="X")),
        (Staff, lambda i: staff.set_active(w.uow, abe, i, False, expected_version=None)),
        (Staff, lambda i: staff.reset_password(w.uow, abe, i, expected_version=None)),
        (AfterSalesPolicy, lambda i: policies.change_category_policy(
            w.uow, abe, i, None, return_window_days=1, exchange_window_days=1,
            warranty_months=1, proof_of_purchase_required=True)),
        (AfterSalesPolicy, lambda i: policies.remove_category_policy(w.uow, abe, i, None)),
        (SlaPolicy, lambda i: policy_sla.set_sla_target_active(w.uow, abe, i, False, None)),
        (CannedReply, lambda i: policy_texts.change_canned_reply(
            w.uow, abe, i, None, title="t", body="b", language="en")),
        (MessageTemplate, lambda i: policy_texts.change_template(w.uow, abe, i, None,
                                                                 subject="s", body="b")),
    ]
    LISTED = {AfterSalesPolicy, SlaPolicy, CannedReply, MessageTemplate}
    failures = []
    before = w.snapshot()
    for model, call in calls:
        for label, id_ in (("missing", MISSING), ("other kind", foreign_id(w, model))):
            try:
                call(id_)
            except NotFound as e:
                message = clear(e)
                # the editors of policies and texts pick from their list: "reload the page"
                if str(id_) not in message and model not in LISTED:
                    failures.append(f"{model.__name__} {label}: {message!r} names no id")
            except Exception as e:  # noqa: BLE001 - any other outcome is the finding
                failures.append(f"{model.__name__} {label}: {type(e).__name__}: {e}")
            else:
                failures.append(f"{model.__name__} {label}: went through")
    assert not failures, "\n".join(failures)
    assert changed_tables(before, w.snapshot()) == []
    tried(2 * len(calls))


# --- the existence of a record is not told to a role that may not read it --------------------

def test_a_refused_role_learns_nothing_about_which_records_exist(world, tried):
    """A role without the permission gets the same refusal for a record that exists and one
    that does not: ids cannot be probed."""
    w = world
    ada, tom = w["ada"], w["tom"]
    real = {"case": w.case(), "callback": w.callback(), "request": w.awaiting_repair(),
            "complaint": w.complaint()[0], "job": w.job("tia")}
    probes = [
        (ada, "case", lambda i: cases.get_case(w.uow, ada, i)),
        (ada, "complaint", lambda i: complaints.complaint_view(w.uow, ada, i)),
        (ada, "callback", lambda i: callbacks.get_callback(w.uow, ada, i)),
        (ada, "request", lambda i: aftersales.request_view(w.uow, ada, i)),
        (tom, "case", lambda i: cases.get_case(w.uow, tom, i)),
        (tom, "job", lambda i: aftersales.start_job(w.uow, tom, i)),
        (w["abe"], "request", lambda i: aftersales.decide_request(w.uow, w["abe"], i, True,
                                                                 "ok")),
    ]
    for who, kind, probe in probes:
        answers = set()
        for id_ in (real[kind], MISSING):
            with pytest.raises(DomainError) as caught:
                probe(id_)
            answers.add((type(caught.value), caught.value.render(EN).replace(str(id_), "#")))
        if kind == "job":   # the job's own refusal names the job, found or not
            assert {t for t, _ in answers} <= {PermissionDenied, NotFound}
            continue
        assert len(answers) == 1, (who.username, kind, answers)
    tried(2 * len(probes))


# --- pages that take a record's id from the address bar ---------------------------------------

GARBAGE = ["1 OR 1=1", "-1", "0", "99999999", "abc", "²", "9" * 30, "' OR ''='"]
PAGES = {"aftersales.py": ("request", "ann"), "approvals.py": ("request", "sue"),
         "cases.py": ("case", "ann"), "callbacks.py": ("callback", "ann"),
         "customers.py": ("customer", "ada")}


def rendered(node, out: list[str]) -> list[str]:
    """Every text the page put on screen (values, bodies, labels, table cells)."""
    import pandas as pd
    for attr in ("value", "body", "label", "help", "placeholder"):
        value = getattr(node, attr, None)
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, pd.DataFrame):
            out.append(value.to_csv())
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            rendered(child, out)
    return out


@pytest.fixture
def open_page(world, monkeypatch):
    """open_page(file, username, **query) -> (AppTest, every text on screen)."""
    monkeypatch.setattr(runtime, "engine", lambda: world.engine)
    st.cache_data.clear()

    def run(name: str, who: str, **params) -> tuple[AppTest, str]:
        at = AppTest.from_file(str(ROOT / "pages" / name), default_timeout=60)
        at.session_state[keys.ACTOR] = world[who]
        for key, value in params.items():
            at.query_params[key] = value
        at.run()
        assert not at.exception, (name, who, params, [e.value for e in at.exception])
        return at, "\n".join(rendered(at._tree, []))
    yield run
    st.cache_data.clear()


def test_pages_opened_with_an_id_outside_the_role_show_nothing_of_it(world, open_page, tried):
    """A page opened with ?id= of a record the role may not read shows a clear message and
    nothing of the record; one the role may read but not decide offers no decision."""
    w = world
    private = w.customer(name="Feng Private")
    request = w.request("repair", "damaged", by="sam", customer_id=private)
    case = w.case(customer_id=private, subject="Feng's broken kettle")
    callback = w.callback(customer_id=private)
    secret = secret_customer(w)

    at, text = open_page("aftersales.py", "tom", request=str(request))   # not his job
    assert at.error and "Feng" not in text and "does not exist" in at.error[0].value
    at, text = open_page("cases.py", "ada", case=str(case))              # no cases
    assert at.error and "Feng" not in text
    at, text = open_page("callbacks.py", "tom", callback=str(callback))  # no calls
    assert at.error and "Feng" not in text
    at, text = open_page("customers.py", "ada", customer=str(secret))    # masked
    assert "Wang Fang" in text and not leaks(text)
    at, text = open_page("approvals.py", "sam", request=str(request))    # his own
    assert "Feng Private" in text and not [b for b in at.button if b.label == "Approve"]
    assert any("cannot decide" in c.value for c in at.caption)
    # the allowed counterpart: another supervisor gets the decision form
    at, text = open_page("approvals.py", "sue", request=str(request))
    assert [b for b in at.button if b.label == "Approve"]
    tried(6)


@pytest.mark.parametrize("name", sorted(PAGES))
def test_pages_opened_with_a_garbage_id_say_so_without_failing(world, open_page, name, tried):
    """A page opened with an id that is not one (SQL, negative, huge, letters, a superscript
    digit) says the record does not exist, without an error trace and without showing any
    record."""
    param, who = PAGES[name]
    for value in GARBAGE:
        at, _text = open_page(name, who, **{param: value})
        assert at.error, (name, value)
        assert any(words in at.error[0].value for words in ("does not exist",
                                                            "not a record number",
                                                            "No customer found")), \
            (name, value, at.error[0].value)
        # no record opened: a record's heading is "#id ..." or "Request id"
        headings = [h.value for h in (*at.subheader, *at.header)]
        assert not [h for h in headings if h.startswith(("#", "Request"))], (name, value)
    tried(len(GARBAGE))
