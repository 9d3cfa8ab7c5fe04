"""The whole permission table through the services: every action, by every role and by nobody
logged in, on real records of a real database.

REGISTRY names, for every Action, the service functions it guards, each with a call that works
on fresh records (made just before it, by colleagues). A role the table gives the action must
get its call done (a write leaves its audit row); a role it does not give, and nobody logged in,
must be refused with PermissionDenied / NotLoggedIn, and then not one row of any table may
differ from before the call. A static check makes sure every public service function that takes
an actor is either in the registry, or reaches a permission check, or is a listed exception
with its reason: a new service that forgets `require` fails here."""
from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any, Callable

import pytest
import sqlalchemy as sa

import core
from core import (aftersales, analytics, audit_log, auth, backups, callback_rules, callbacks,
                  canned, care_plans, cases, complaints, customers, data_exports, imports,
                  orders, policies, policy_calendar, policy_sla, policy_texts, product_alerts,
                  products, queue, reports, satisfaction, service_quality, staff, team,
                  workload)
from core.analytics import Filters
from core.audit_log import AuditFilters
from core.clock import utcnow
from core.data_exports import ExportFilters
from core.errors import DomainError, InvalidState, NotLoggedIn, PermissionDenied
from core.i18n import translator
from core.permissions import PERMISSIONS, Action, allowed
from core.vocabulary import Role
from db.models import Case, Holiday, MessageTemplate, Setting, SlaPolicy, Staff
from tests.security.authz_world import (BIG_REFUND, SMALL_REFUND, World, changed_tables,
                                        module_database)

pytestmark = pytest.mark.casebook("Authorisation")

ROOT = Path(__file__).resolve().parents[2]
A = Action
EN, ZH = translator("en"), translator("zh_CN")
OLD_PASSWORD, NEW_PASSWORD = "Kettle-old-2026", "Kettle-new-2026"


# --- the registry -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Call:
    """One service function reached through one action.

    run(w, actor, data) makes the call; prepare(w, actor) makes the fresh records it works
    on (actor is None when preparing for the roles that must be refused). `needs`: other
    actions the call needs as well; `any_of`: instead, the call is allowed with any one of
    these. `writes`: an allowed call leaves at least one audit row. `reveals(result, data)`:
    for personal data, whether the result shows it unmasked (refusing then means masking)."""
    fn: str
    run: Callable[[World, Any, Any], Any]
    prepare: Callable[[World, Any], Any] | None = None
    needs: tuple[Action, ...] = ()
    any_of: tuple[Action, ...] = ()
    writes: bool = True
    reveals: Callable[[Any, Any], bool] | None = None
    may_fail: Callable[[World, DomainError], bool] | None = None

    def allowed_for(self, action: Action, role: Role | None) -> bool:
        if role is None:
            return False
        if self.any_of:
            return any(allowed({role}, a) for a in self.any_of)
        return all(allowed({role}, a) for a in (action, *self.needs))


REGISTRY: dict[Action, list[Call]] = {a: [] for a in Action}


def on(action: Action, *calls: Call) -> None:
    REGISTRY[action].extend(calls)


def read(fn: str, run, **kw) -> Call:
    return Call(fn, run, writes=False, **kw)


def period() -> Filters:
    today = utcnow().date()
    return Filters(today - timedelta(days=27), today)


def digits(text: str | None) -> str:
    return re.sub(r"\D", "", text or "")


def other_language(w: World, a) -> str:
    current = w.get(Staff, a.staff_id).language.value if a else "en"
    return "zh_CN" if current == "en" else "en"


def set_password(w: World, a) -> None:
    if a is not None:
        with w.uow:
            w.uow.session.get(Staff, a.staff_id).password_hash = auth.hash_password(OLD_PASSWORD)
            w.uow.commit()


on(A.ACCOUNT_SELF,
   Call("auth.set_language", lambda w, a, d: auth.set_language(w.uow, a, d),
        prepare=other_language),
   Call("auth.change_own_password",
        lambda w, a, d: auth.change_own_password(w.uow, a, OLD_PASSWORD, NEW_PASSWORD,
                                                 NEW_PASSWORD),
        prepare=set_password))

on(A.CASE_CREATE,
   Call("cases.open_case", lambda w, a, d: cases.open_case(
       w.uow, a, customer_id=d, channel="phone", kind="inquiry", category="price",
       subject="Price of the kettle", question="Is it on sale?", next_step="Call back"),
        prepare=lambda w, a: w.customer()),
   read("orders.recent_orders", lambda w, a, d: orders.recent_orders(w.uow, a, d),
        prepare=lambda w, a: w.order()["customer_id"]))

on(A.CASE_VIEW,
   read("cases.get_case", lambda w, a, d: cases.get_case(w.uow, a, d),
        prepare=lambda w, a: w.case()),
   read("cases.assignable_staff", lambda w, a, d: cases.assignable_staff(w.uow, a)),
   read("complaints.complaint_id_of_case",
        lambda w, a, d: complaints.complaint_id_of_case(w.uow, a, d),
        prepare=lambda w, a: w.complaint()[1]),
   read("queue.case_queue", lambda w, a, d: queue.case_queue(w.uow, a, scope="team")))


def case_and_version(w: World, **kw) -> tuple[int, int]:
    case_id = w.case(**kw)
    return case_id, w.version(Case, case_id)


on(A.CASE_WORK,
   Call("cases.reply", lambda w, a, d: cases.reply(w.uow, a, d[0], "It reaches 100 degrees.",
                                                   d[1]),
        prepare=lambda w, a: case_and_version(w)),
   Call("cases.add_note", lambda w, a, d: cases.add_note(w.uow, a, d, "Called the store."),
        prepare=lambda w, a: w.case()),
   Call("cases.change_status",
        lambda w, a, d: cases.change_status(w.uow, a, d[0], "waiting_customer", d[1]),
        prepare=lambda w, a: case_and_version(w)),
   Call("cases.reopen", lambda w, a, d: cases.reopen(w.uow, a, d[0], d[1], "Still cold"),
        prepare=lambda w, a: case_and_version(w, resolved=True)),
   # taking an unassigned case needs case work only
   Call("cases.assign", lambda w, a, d: cases.assign(w.uow, a, d[0], a and a.staff_id, d[1]),
        prepare=lambda w, a: case_and_version(w, owner="none")),
   read("canned.canned_replies", lambda w, a, d: canned.canned_replies(w.uow, a, "en")))

on(A.CASE_ASSIGN,
   # giving bob's case to ann: taking a case from its owner
   Call("cases.assign", lambda w, a, d: cases.assign(w.uow, a, d[0], w["ann"].staff_id, d[1]),
        prepare=lambda w, a: case_and_version(w), needs=(A.CASE_WORK,)),
   Call("cases.open_case", lambda w, a, d: cases.open_case(
       w.uow, a, customer_id=d, channel="email", kind="inquiry", category="delivery",
       subject="Where is my kettle", question="Not here yet", next_step="Ask the carrier",
       owner=w["bob"].staff_id),
        prepare=lambda w, a: w.customer(), needs=(A.CASE_CREATE,)))

on(A.CASE_ESCALATE,
   Call("cases.escalate", lambda w, a, d: cases.escalate(w.uow, a, d[0], "Angry", d[1]),
        prepare=lambda w, a: case_and_version(w)))


def named_customer(w: World, a) -> dict:
    n = w.n()
    name = f"Qian Findme{n}"
    customer_id = w.customer(name=name)
    c = w.get(customers.Customer, customer_id)
    return {"id": customer_id, "name": name, "phone": c.phone_normalized, "email": c.email}


on(A.CUSTOMER_VIEW,
   read("customers.search_customers",
        lambda w, a, d: customers.search_customers(w.uow, a, d["name"]),
        prepare=named_customer),
   read("customers.likely_duplicates",
        lambda w, a, d: customers.likely_duplicates(w.uow, a, d["name"]),
        prepare=named_customer),
   Call("customers.customer_profile",
        lambda w, a, d: customers.customer_profile(w.uow, a, d["id"]),
        prepare=named_customer),
   # a customer's recommendations are read from what they bought
   read("products.recommendations", lambda w, a, d: products.recommendations(
       w.uow, a, customer_id=d["customer_id"]), prepare=lambda w, a: w.order(),
        needs=(A.PRODUCT_VIEW,)))


def callback_of_customer(w: World, a) -> dict:
    d = named_customer(w, a)
    d["callback"] = w.callback(customer_id=d["id"])
    return d


def export_has(result, d) -> bool:
    return result.personal_data and d["email"].encode() in result.data


on(A.CUSTOMER_PERSONAL_DATA,
   Call("customers.customer_profile",
        lambda w, a, d: customers.customer_profile(w.uow, a, d["id"]),
        prepare=named_customer, needs=(A.CUSTOMER_VIEW,),
        reveals=lambda r, d: r.personal_data_visible and digits(r.phone) == digits(d["phone"])
        and r.email == d["email"]),
   Call("customers.search_customers",
        lambda w, a, d: customers.search_customers(w.uow, a, d["phone"]),
        prepare=named_customer, needs=(A.CUSTOMER_VIEW,), writes=False,
        reveals=lambda r, d: bool(r) and digits(r[0].phone) == digits(d["phone"])
        and r[0].email == d["email"]),
   Call("callbacks.get_callback",
        lambda w, a, d: callbacks.get_callback(w.uow, a, d["callback"]),
        prepare=callback_of_customer, needs=(A.CALLBACK_WORK,), writes=False,
        reveals=lambda r, d: digits(r.row.phone) == digits(d["phone"])),
   Call("data_exports.export",
        lambda w, a, d: data_exports.export(w.uow, a, "customers", ExportFilters()),
        prepare=named_customer, needs=(A.DATA_EXPORT,), reveals=export_has))


def plan_and_version(w: World, a):
    return w.care_plan()


on(A.CUSTOMER_EDIT,
   Call("customers.create_customer", lambda w, a, d: customers.create_customer(
       w.uow, a, name=f"Sun New{d}", phone=f"+86136{d:08d}", email=f"new{d}@example.com"),
        prepare=lambda w, a: w.n()),
   Call("customers.update_customer", lambda w, a, d: customers.update_customer(
       w.uow, a, d, None, name="Sun Renamed"), prepare=lambda w, a: w.customer()),
   Call("customers.add_note", lambda w, a, d: customers.add_note(w.uow, a, d, "Prefers mail"),
        prepare=lambda w, a: w.customer()),
   Call("care_plans.add_plan", lambda w, a, d: care_plans.add_plan(
       w.uow, a, d, "Check the filter", 60), prepare=lambda w, a: w.customer(tier="vip")),
   Call("care_plans.end_plan", lambda w, a, d: care_plans.end_plan(w.uow, a, d[0], d[1]),
        prepare=plan_and_version))

on(A.CUSTOMER_MERGE,
   Call("customers.merge_customers",
        lambda w, a, d: customers.merge_customers(w.uow, a, d[0], d[1]),
        prepare=lambda w, a: (w.customer(), w.customer())))

on(A.PRODUCT_VIEW,
   read("products.find_products", lambda w, a, d: products.find_products(w.uow, a, "Kettle")),
   read("products.product_info", lambda w, a, d: products.product_info(w.uow, a,
                                                                        w.product_id)),
   read("products.recommendations", lambda w, a, d: products.recommendations(
       w.uow, a, product_id=w.product_id)))


def case_with_order(w: World, state: str) -> dict:
    o = w.order(state=state)
    o["case_id"] = w.case(customer_id=o["customer_id"])
    return o


on(A.ORDER_MANAGE,
   read("orders.orders_of_case", lambda w, a, d: orders.orders_of_case(w.uow, a, d["case_id"]),
        prepare=lambda w, a: case_with_order(w, "delivered")),
   Call("orders.place_order", lambda w, a, d: orders.place_order(
       w.uow, a, d, [orders.LineInput(w.product_id, 2)], "9 Secret Lane"),
        prepare=lambda w, a: w.case()),
   Call("orders.confirm_order", lambda w, a, d: orders.confirm_order(
       w.uow, a, d["case_id"], d["order_id"], d["version"]),
        prepare=lambda w, a: case_with_order(w, "pending")),
   Call("orders.modify_order", lambda w, a, d: orders.modify_order(
       w.uow, a, d["case_id"], d["order_id"], d["version"], delivery_address="10 New Road"),
        prepare=lambda w, a: case_with_order(w, "confirmed")),
   Call("orders.cancel_order", lambda w, a, d: orders.cancel_order(
       w.uow, a, d["case_id"], d["order_id"], d["version"], "Changed their mind"),
        prepare=lambda w, a: case_with_order(w, "pending")),
   Call("orders.ship_order", lambda w, a, d: orders.ship_order(
       w.uow, a, d["case_id"], d["order_id"], d["version"], "SF Express", "SF123"),
        prepare=lambda w, a: case_with_order(w, "confirmed")))


def asked(w: World, a) -> int:
    complaint_id, _ = w.complaint()
    return complaints.ask_department(w.uow, w["bob"], complaint_id, "warehouse",
                                     "Was it packed well?")


def replied(w: World, a) -> int:
    complaint_id, _ = w.complaint()
    complaints.reply_to_customer(w.uow, w["bob"], complaint_id, "phone", "A new kettle.")
    return complaint_id


def complaint_id(w: World, a) -> int:
    return w.complaint()[0]


on(A.COMPLAINT_HANDLE,
   Call("complaints.record_acknowledgement",
        lambda w, a, d: complaints.record_acknowledgement(w.uow, a, d),
        prepare=lambda w, a: w.complaint(acknowledged=False)[0]),
   Call("complaints.set_severity", lambda w, a, d: complaints.set_severity(w.uow, a, d,
                                                                           "major"),
        prepare=complaint_id),
   Call("complaints.promise_reply",
        lambda w, a, d: complaints.promise_reply(w.uow, a, d, w.soon(48)),
        prepare=complaint_id),
   Call("complaints.ask_department", lambda w, a, d: complaints.ask_department(
       w.uow, a, d, "quality", "Is this batch faulty?"), prepare=complaint_id),
   Call("complaints.record_department_answer",
        lambda w, a, d: complaints.record_department_answer(w.uow, a, d, "Yes", "Wang"),
        prepare=asked),
   Call("complaints.reply_to_customer", lambda w, a, d: complaints.reply_to_customer(
       w.uow, a, d, "phone", "We send a new kettle."), prepare=complaint_id),
   Call("complaints.record_evaluation",
        lambda w, a, d: complaints.record_evaluation(w.uow, a, d, True), prepare=replied),
   Call("complaints.set_root_cause",
        lambda w, a, d: complaints.set_root_cause(w.uow, a, d, "product_defect"),
        prepare=complaint_id),
   read("complaints.complaint_view", lambda w, a, d: complaints.complaint_view(w.uow, a, d),
        prepare=complaint_id),
   Call("complaints.escalate_complaint",
        lambda w, a, d: complaints.escalate_complaint(w.uow, a, d, "Threatens the press"),
        prepare=complaint_id, needs=(A.CASE_ESCALATE,)),
   Call("complaints.close_complaint", lambda w, a, d: complaints.close_complaint(
       w.uow, a, d, "Settled"), prepare=lambda w, a: w.closable_complaint()[0],
        needs=(A.CASE_WORK,)))

on(A.COMPLAINT_REVIEW,
   Call("complaints.reassign_complaint", lambda w, a, d: complaints.reassign_complaint(
       w.uow, a, d, w["ann"].staff_id), prepare=complaint_id),
   read("complaints.review_queue", lambda w, a, d: complaints.review_queue(w.uow, a)))

on(A.COMPENSATION_PROPOSE,
   Call("complaints.propose_compensation", lambda w, a, d: complaints.propose_compensation(
       w.uow, a, d, "gift", 0, "A descaler"), prepare=complaint_id))

on(A.COMPENSATION_APPROVE,
   Call("complaints.decide_compensation",
        lambda w, a, d: complaints.decide_compensation(w.uow, a, d, True, "Fair"),
        prepare=lambda w, a: w.compensation()))


def fresh_line(w: World, a) -> dict:
    return w.order()


on(A.AFTERSALES_REQUEST,
   read("aftersales.preview_policy", lambda w, a, d: aftersales.preview_policy(
       w.uow, a, d["line_id"], "repair", "defective", True), prepare=fresh_line),
   Call("aftersales.open_request", lambda w, a, d: aftersales.open_request(
       w.uow, a, order_line_id=d["line_id"], kind="repair", reason="Leaks",
       condition="defective", proof_of_purchase=True), prepare=fresh_line),
   Call("aftersales.prepare_request", lambda w, a, d: aftersales.prepare_request(
       w.uow, a, d, notes="Photos checked"), prepare=lambda w, a: w.awaiting_repair()),
   Call("aftersales.cancel_request", lambda w, a, d: aftersales.cancel_request(
       w.uow, a, d, "The customer withdrew"), prepare=lambda w, a: w.awaiting_repair()),
   read("aftersales.lines_of_customer",
        lambda w, a, d: aftersales.lines_of_customer(w.uow, a, d["customer_id"]),
        prepare=fresh_line),
   read("aftersales.requests_of_customer",
        lambda w, a, d: aftersales.requests_of_customer(w.uow, a, d),
        prepare=lambda w, a: w.get(aftersales.AfterSalesRequest,
                                   w.awaiting_repair()).customer_id,
        any_of=(A.AFTERSALES_REQUEST, A.AFTERSALES_APPROVE)),
   # tom's job's request: the technician reads it through his job
   read("aftersales.request_view", lambda w, a, d: aftersales.request_view(w.uow, a, d),
        prepare=lambda w, a: w.request_of_job(w.job("tom")),
        any_of=(A.AFTERSALES_REQUEST, A.AFTERSALES_APPROVE, A.JOB_WORK)))

on(A.AFTERSALES_APPROVE,
   read("aftersales.approval_queue", lambda w, a, d: aftersales.approval_queue(w.uow, a)),
   Call("aftersales.decide_request", lambda w, a, d: aftersales.decide_request(
       w.uow, a, d, True, "Goodwill repair"), prepare=lambda w, a: w.awaiting_repair()))

on(A.REFUND_REQUEST,
   Call("aftersales.open_request", lambda w, a, d: aftersales.open_request(
       w.uow, a, order_line_id=d["line_id"], kind="refund", reason="Leaks",
       condition="defective", proof_of_purchase=True, refund_cents=SMALL_REFUND),
        prepare=fresh_line, needs=(A.AFTERSALES_REQUEST,)),
   Call("aftersales.prepare_request", lambda w, a, d: aftersales.prepare_request(
       w.uow, a, d, refund_cents=BIG_REFUND - 1), prepare=lambda w, a: w.awaiting_refund(),
        needs=(A.AFTERSALES_REQUEST,)))

on(A.REFUND_APPROVE,
   Call("aftersales.decide_request", lambda w, a, d: aftersales.decide_request(
       w.uow, a, d, True, "Paid by card"), prepare=lambda w, a: w.awaiting_refund(),
        needs=(A.AFTERSALES_APPROVE,)))

on(A.JOB_ASSIGN,
   read("aftersales.technicians", lambda w, a, d: aftersales.technicians(w.uow, a)),
   read("aftersales.jobs_to_assign", lambda w, a, d: aftersales.jobs_to_assign(w.uow, a)),
   Call("aftersales.assign_job", lambda w, a, d: aftersales.assign_job(
       w.uow, a, d, w["tom"].staff_id, "on_site", w.soon()),
        prepare=lambda w, a: w.job("tom")))

on(A.JOB_WORK,
   read("aftersales.my_jobs", lambda w, a, d: aftersales.my_jobs(w.uow, a)),
   Call("aftersales.start_job", lambda w, a, d: aftersales.start_job(w.uow, a, d),
        prepare=lambda w, a: w.job("tom")),
   Call("aftersales.record_quality_check", lambda w, a, d: aftersales.record_quality_check(
       w.uow, a, d, True, "No leak at 100 degrees"),
        prepare=lambda w, a: w.job("tom", "in_progress")),
   Call("aftersales.submit_report", lambda w, a, d: aftersales.submit_report(
       w.uow, a, d, "Replaced the seal", "seal", 20, 500, 0),
        prepare=lambda w, a: w.job("tom", "quality_check")))

on(A.SERVICE_REPORT_REVIEW,
   read("aftersales.reports_to_review",
        lambda w, a, d: aftersales.reports_to_review(w.uow, a)),
   Call("aftersales.review_report", lambda w, a, d: aftersales.review_report(
       w.uow, a, d, True), prepare=lambda w, a: w.report()),
   Call("aftersales.archive_report", lambda w, a, d: aftersales.archive_report(w.uow, a, d),
        prepare=lambda w, a: w.report("accepted")))


def claimed_by_caller(w: World, a) -> int:
    """A callback the caller holds (bob's, when preparing for the refused roles)."""
    name = next((n for n, p in w.people.items() if a and p.staff_id == a.staff_id), "bob")
    return w.callback(claimed_by=name)


on(A.CALLBACK_WORK,
   read("callbacks.callback_queue", lambda w, a, d: callbacks.callback_queue(
       w.uow, a, "team", "upcoming")),
   read("callbacks.get_callback", lambda w, a, d: callbacks.get_callback(w.uow, a, d),
        prepare=lambda w, a: w.callback()),
   Call("callbacks.claim", lambda w, a, d: callbacks.claim(w.uow, a, d),
        prepare=lambda w, a: w.callback()),
   Call("callbacks.release", lambda w, a, d: callbacks.release(w.uow, a, d),
        prepare=claimed_by_caller),
   Call("callbacks.log_attempt", lambda w, a, d: callbacks.log_attempt(
       w.uow, a, d, "no_answer"), prepare=lambda w, a: w.callback()))

on(A.CALLBACK_SCHEDULE,
   Call("callbacks.schedule_callback", lambda w, a, d: callbacks.schedule_callback(
       w.uow, a, d, "manual", w.soon(), topic="Spare parts"), prepare=lambda w, a: w.customer()),
   Call("callbacks.reschedule", lambda w, a, d: callbacks.reschedule(w.uow, a, d, w.soon(50)),
        prepare=lambda w, a: w.callback()),
   Call("callbacks.cancel_callback", lambda w, a, d: callbacks.cancel_callback(
       w.uow, a, d, "Solved by e-mail"), prepare=lambda w, a: w.callback()))

on(A.CALLBACK_ASSIGN,
   # releasing bob's call
   Call("callbacks.release", lambda w, a, d: callbacks.release(w.uow, a, d),
        prepare=lambda w, a: w.callback(claimed_by="bob"), needs=(A.CALLBACK_WORK,)))

on(A.TEAM_MONITOR,
   read("team.team_snapshot", lambda w, a, d: team.team_snapshot(w.uow, a)))


def month_ago() -> tuple:
    now = utcnow()
    return now - timedelta(days=30), now


on(A.ANALYTICS_VIEW, *[read(name, run) for name, run in {
    "analytics.filter_options": lambda w, a, d: analytics.filter_options(w.uow, a),
    "analytics.counts": lambda w, a, d: analytics.counts(w.uow, a, period(), ("channel",)),
    "analytics.volume": lambda w, a, d: analytics.volume(w.uow, a, period()),
    "analytics.trend": lambda w, a, d: analytics.trend(w.uow, a, period()),
    "analytics.breakdown": lambda w, a, d: analytics.breakdown(w.uow, a, period(), "agent_id"),
    "analytics.headline": lambda w, a, d: analytics.headline(w.uow, a, period()),
    "analytics.overview": lambda w, a, d: analytics.overview(w.uow, a, period()),
    "analytics.minute_histograms":
        lambda w, a, d: analytics.minute_histograms(w.uow, a, period()),
    "analytics.durations": lambda w, a, d: analytics.durations(w.uow, a, period()),
    "analytics.duration_histogram":
        lambda w, a, d: analytics.duration_histogram(w.uow, a, period()),
    "complaints.root_cause_summary":
        lambda w, a, d: complaints.root_cause_summary(w.uow, a, month_ago()[0]),
    "product_alerts.product_alerts": lambda w, a, d: product_alerts.product_alerts(w.uow, a),
    "satisfaction.reach_rate": lambda w, a, d: satisfaction.reach_rate(w.uow, a, *month_ago()),
    "satisfaction.scores": lambda w, a, d: satisfaction.scores(w.uow, a, *month_ago()),
    "service_quality.after_sales_by_product":
        lambda w, a, d: service_quality.after_sales_by_product(w.uow, a, period()),
    "service_quality.backlog": lambda w, a, d: service_quality.backlog(w.uow, a, period()),
    "service_quality.complaint_causes":
        lambda w, a, d: service_quality.complaint_causes(w.uow, a, period()),
    "service_quality.complaint_examples":
        lambda w, a, d: service_quality.complaint_examples(w.uow, a, period(), None),
    "service_quality.complaints_by":
        lambda w, a, d: service_quality.complaints_by(w.uow, a, period(), "product"),
    "service_quality.reach": lambda w, a, d: service_quality.reach(w.uow, a, period()),
    "service_quality.refunds_total":
        lambda w, a, d: service_quality.refunds_total(w.uow, a, period()),
    "service_quality.satisfaction_by":
        lambda w, a, d: service_quality.satisfaction_by(w.uow, a, period(), "agent"),
    "service_quality.satisfaction_total":
        lambda w, a, d: service_quality.satisfaction_total(w.uow, a, period()),
    "service_quality.satisfaction_trend":
        lambda w, a, d: service_quality.satisfaction_trend(w.uow, a, period()),
    "service_quality.scorecards":
        lambda w, a, d: service_quality.scorecards(w.uow, a, period()),
    "workload.arrivals": lambda w, a, d: workload.arrivals(w.uow, a),
    "workload.average_handling_seconds":
        lambda w, a, d: workload.average_handling_seconds(w.uow, a),
    "workload.scheduled_staff": lambda w, a, d: workload.scheduled_staff(w.uow, a),
    "workload.staffing_plan": lambda w, a, d: workload.staffing_plan(w.uow, a),
}.items()])


def last_month() -> tuple[int, int]:
    first = utcnow().date().replace(day=1) - timedelta(days=1)
    return first.year, first.month


on(A.REPORTS_VIEW,
   read("reports.build_report",
        lambda w, a, d: reports.build_report(w.uow, a, "month", *last_month())))

on(A.DATA_EXPORT,
   read("data_exports.options", lambda w, a, d: data_exports.options(w.uow, a)),
   Call("data_exports.preview", lambda w, a, d: data_exports.preview(
       w.uow, a, "cases", ExportFilters())),
   Call("data_exports.export", lambda w, a, d: data_exports.export(
       w.uow, a, "orders", ExportFilters(), "csv")))


def customers_csv(w: World, a) -> bytes:
    n = w.n()
    return (f"name,phone,email\nZheng Imported{n},+86135{n:08d},imported{n}@example.com\n"
            .encode())


def staff_csv(w: World, a) -> bytes:
    return f"username,display_name,roles\nimported{w.n()},Imported Person,agent\n".encode()


on(A.DATA_IMPORT,
   read("imports.preview_import", lambda w, a, d: imports.preview_import(
       w.uow, a, "customers", d, "customers.csv"), prepare=customers_csv),
   Call("imports.apply_import", lambda w, a, d: imports.apply_import(
       w.uow, a, "customers", d, "customers.csv"), prepare=customers_csv))


def someone(w: World, a) -> int:
    return w.staff_member().staff_id


on(A.STAFF_MANAGE,
   Call("staff.create_staff", lambda w, a, d: staff.create_staff(
       w.uow, a, f"made{d}", "Made Person", "Made-by-admin-2026", ["agent"]),
        prepare=lambda w, a: w.n()),
   Call("staff.create_staff_member", lambda w, a, d: staff.create_staff_member(
       w.uow, a, f"member{d}", "New Member", ["technician"]), prepare=lambda w, a: w.n()),
   read("staff.list_staff", lambda w, a, d: staff.list_staff(w.uow, a)),
   read("staff.known_skills", lambda w, a, d: staff.known_skills(w.uow, a)),
   Call("staff.update_staff", lambda w, a, d: staff.update_staff(
       w.uow, a, d, expected_version=None, display_name="Renamed Person"), prepare=someone),
   Call("staff.update_staff", lambda w, a, d: staff.update_staff(
       w.uow, a, d, expected_version=None, roles=["supervisor"]), prepare=someone),
   Call("staff.set_active", lambda w, a, d: staff.set_active(
       w.uow, a, d, False, expected_version=None), prepare=someone),
   Call("staff.reset_password", lambda w, a, d: staff.reset_password(
       w.uow, a, d, expected_version=None), prepare=someone),
   Call("imports.apply_import", lambda w, a, d: imports.apply_import(
       w.uow, a, "staff", d, "staff.csv"), prepare=staff_csv, needs=(A.DATA_IMPORT,)))


def setting_value(w: World, key: str, default):
    row = w.get(Setting, key)
    return row.value if row is not None else default


def other_threshold(w: World, a) -> int:
    current = setting_value(w, aftersales.THRESHOLD_KEY, aftersales.DEFAULT_THRESHOLD)
    return 50_001 if current == 50_000 else 50_000


def category_policy(w: World, a) -> int:
    return policies.add_category_policy(w.uow, w["ali"], f"category{w.n()}", 7, 15, 12)


def own_day(w: World, a) -> date:
    day = w.future_day()
    while w.get(Holiday, day) is not None:
        day = w.future_day()
    return day


def added_own_day(w: World, a) -> date:
    day = own_day(w, a)
    policy_calendar.add_own_day(w.uow, w["ali"], day, "Inventory")
    return day


HOURS = [{d: (time(9), time(18)) for d in range(7)}, {d: (time(8), time(20)) for d in range(7)}]


def other_hours(w: World, a) -> dict:
    settings = policy_calendar.calendar_settings(w.uow, w["ali"])
    return HOURS[1] if settings.hours == HOURS[0] else HOURS[0]


def other_country(w: World, a) -> str:
    current = setting_value(w, policy_calendar.COUNTRY_KEY, "CN")
    return "HK" if current == "CN" else "CN"


def target(n: int = 0, **kw) -> dict:
    kinds, priorities = ("inquiry", "suggestion", "order_request"), ("low", "high", "urgent")
    values = dict(channel=("web", "social", "walk_in")[n % 3], kind=kinds[n // 3 % 3],
                  priority=priorities[n // 9 % 3], first_response_seconds=600 + n,
                  first_response_business_hours=False, resolution_seconds=36_000,
                  resolution_business_hours=False)
    values.update(kw)
    return values


def sla_target(w: World, a) -> tuple[int, int]:
    target_id = policy_sla.add_sla_target(w.uow, w["ali"], **target(w.n()))
    return target_id, w.version(SlaPolicy, target_id)


def rule_delay(w: World, a) -> int:
    views, _ = callback_rules.rules(w.uow, w["ali"])
    current = next(v for v in views if v.trigger == "case_resolved").delay_days
    return 3 if current == 2 else 2


def other_attempts(w: World, a) -> int:
    return 4 if callback_rules.rules(w.uow, w["ali"])[1] == 3 else 3


def save_setting(w: World, a, d) -> bool:
    with w.uow:
        changed = policies.save_setting(w.uow, a, f"authz.setting{d}", d, None)
        w.uow.commit()
        return changed


on(A.POLICY_EDIT,
   read("policies.aftersales_policies",
        lambda w, a, d: policies.aftersales_policies(w.uow, a)),
   Call("policies.add_category_policy", lambda w, a, d: policies.add_category_policy(
       w.uow, a, f"category{d}", 7, 15, 12), prepare=lambda w, a: w.n()),
   Call("policies.change_category_policy", lambda w, a, d: policies.change_category_policy(
       w.uow, a, d, None, return_window_days=10, exchange_window_days=20, warranty_months=24,
       proof_of_purchase_required=False), prepare=category_policy),
   Call("policies.remove_category_policy",
        lambda w, a, d: policies.remove_category_policy(w.uow, a, d, None),
        prepare=category_policy),
   Call("policies.set_refund_threshold",
        lambda w, a, d: policies.set_refund_threshold(w.uow, a, d, None),
        prepare=other_threshold),
   read("policies.preview_category_policy", lambda w, a, d: policies.preview_category_policy(
       w.uow, a, "appliance", 7, 15, 12)),
   read("policies.preview_refund_threshold",
        lambda w, a, d: policies.preview_refund_threshold(w.uow, a, 40_000)),
   Call("policies.save_setting", save_setting, prepare=lambda w, a: w.n()),
   read("policy_calendar.calendar_settings",
        lambda w, a, d: policy_calendar.calendar_settings(w.uow, a)),
   read("policy_calendar.preview_calendar",
        lambda w, a, d: policy_calendar.preview_calendar(w.uow, a)),
   Call("policy_calendar.add_own_day",
        lambda w, a, d: policy_calendar.add_own_day(w.uow, a, d, "Stocktaking"),
        prepare=own_day),
   Call("policy_calendar.remove_own_day",
        lambda w, a, d: policy_calendar.remove_own_day(w.uow, a, d), prepare=added_own_day),
   Call("policy_calendar.set_business_hours",
        lambda w, a, d: policy_calendar.set_business_hours(w.uow, a, d),
        prepare=other_hours),
   Call("policy_calendar.set_holiday_country",
        lambda w, a, d: policy_calendar.set_holiday_country(w.uow, a, d, None),
        prepare=other_country),
   read("policy_sla.sla_targets", lambda w, a, d: policy_sla.sla_targets(w.uow, a)),
   Call("policy_sla.add_sla_target", lambda w, a, d: policy_sla.add_sla_target(
       w.uow, a, **target(d)), prepare=lambda w, a: w.n()),
   Call("policy_sla.change_sla_target", lambda w, a, d: policy_sla.change_sla_target(
       w.uow, a, d[0], d[1], **_same_scope(w, d[0], resolution_seconds=30_000)),
        prepare=sla_target),
   Call("policy_sla.set_sla_target_active", lambda w, a, d: policy_sla.set_sla_target_active(
       w.uow, a, d[0], False, d[1]), prepare=sla_target),
   read("policy_sla.preview_sla_target", lambda w, a, d: policy_sla.preview_sla_target(
       w.uow, a, **target(0))),
   read("callback_rules.rules", lambda w, a, d: callback_rules.rules(w.uow, a)),
   read("callback_rules.preview",
        lambda w, a, d: callback_rules.preview(w.uow, a, "case_resolved")),
   Call("callback_rules.update_rule", lambda w, a, d: callback_rules.update_rule(
       w.uow, a, "case_resolved", True, d), prepare=rule_delay),
   Call("callback_rules.set_max_attempts",
        lambda w, a, d: callback_rules.set_max_attempts(w.uow, a, d), prepare=other_attempts))


def _same_scope(w: World, target_id: int, **changes) -> dict:
    row = w.get(SlaPolicy, target_id)
    values = dict(channel=row.channel.value, kind=row.kind.value if row.kind else None,
                  priority=row.priority.value if row.priority else None,
                  first_response_seconds=row.first_response_seconds,
                  first_response_business_hours=row.first_response_business_hours,
                  resolution_seconds=row.resolution_seconds,
                  resolution_business_hours=row.resolution_business_hours)
    values.update(changes)
    return values


def canned_reply(w: World, a) -> int:
    return policy_texts.add_canned_reply(w.uow, w["ali"], title=f"Greeting {w.n()}",
                                         body="Hello, this is CareDesk.", language="en")


def template(w: World, a) -> tuple[int, str, str, str]:
    with w.uow.reader() as r:
        row = r.session.scalar(sa.select(MessageTemplate).order_by(MessageTemplate.id))
        return row.id, row.subject, row.body + f" ({w.n()})", row.key


on(A.CANNED_REPLY_EDIT,
   read("policy_texts.canned_list", lambda w, a, d: policy_texts.canned_list(w.uow, a)),
   Call("policy_texts.add_canned_reply", lambda w, a, d: policy_texts.add_canned_reply(
       w.uow, a, title=f"Thanks {d}", body="Thank you for calling.", language="en"),
        prepare=lambda w, a: w.n()),
   Call("policy_texts.change_canned_reply", lambda w, a, d: policy_texts.change_canned_reply(
       w.uow, a, d, None, title="Greeting changed", body="Good morning.", language="en"),
        prepare=canned_reply),
   read("policy_texts.templates", lambda w, a, d: policy_texts.templates(w.uow, a)),
   Call("policy_texts.change_template", lambda w, a, d: policy_texts.change_template(
       w.uow, a, d[0], None, subject=d[1], body=d[2]), prepare=template),
   read("policy_texts.preview_template", lambda w, a, d: policy_texts.preview_template(
       w.uow, a, d[3], "en", d[1], d[2]), prepare=template),
   read("policy_texts.preview_canned",
        lambda w, a, d: policy_texts.preview_canned(w.uow, a, "en", "Hello")))

on(A.AUDIT_VIEW,
   read("audit_log.entries", lambda w, a, d: audit_log.entries(w.uow, a, AuditFilters())),
   Call("audit_log.download", lambda w, a, d: audit_log.download(w.uow, a, AuditFilters())),
   read("audit_log.options", lambda w, a, d: audit_log.options(w.uow, a)))


def no_backup_on_postgres(w: World, e: DomainError) -> bool:
    """On PostgreSQL the page refuses to back up and names the pg_dump command instead."""
    return isinstance(e, InvalidState) and w.engine.dialect.name == "postgresql"


on(A.BACKUP_RUN,
   Call("backups.make_backup", lambda w, a, d: backups.make_backup(w.uow, a, w.tmp / "backups"),
        may_fail=no_backup_on_postgres),
   read("backups.list_backups",
        lambda w, a, d: backups.list_backups(w.uow, a, w.tmp / "backups")))

# None is the server's own command line for these (manage.py create-user / import), not a
# logged-out user: pages only run after login (ui.runtime.require_actor), and
# test_only_the_command_line_acts_without_an_actor checks no page or ui module passes None
COMMAND_LINE = {"staff.create_staff", "imports.preview_import", "imports.apply_import"}


# --- the matrix -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def world(db_template, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("authz_matrix")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(auth, "BCRYPT_ROUNDS", 4)   # the passwords here guard nothing
        with module_database(db_template, tmp) as engine:
            w = World(engine, tmp)
            w.denied_data = {}
            yield w


def cases_of(action: Action, role: Role | None) -> list[Call]:
    return [c for c in REGISTRY[action] if not (role is None and c.fn in COMMAND_LINE)]


ROLES = [*Role, None]
PAIRS = [(a, r) for a in Action for r in ROLES if cases_of(a, r)]


def clear(e: DomainError) -> bool:
    """A message a person can read, in both languages, with its placeholders filled."""
    return all(text.strip() and "{" not in text for text in (e.render(EN), e.render(ZH)))


@pytest.mark.parametrize("action, role", PAIRS,
                         ids=[f"{a.value}-{r.value if r else 'logged_out'}" for a, r in PAIRS])
def test_every_role_may_do_exactly_what_the_table_gives_it(world, action, role, tried):
    """Every action through its services, by every role and logged out: refused with a clear
    message and nothing changed, or done (with its audit row) where the table allows it."""
    actor = world.actor_of(role)
    failures = []
    allowed_calls, refused_calls = [], []
    for call in cases_of(action, role):   # the records first: making them writes
        if call.allowed_for(action, role):
            data = call.prepare(world, actor) if call.prepare else None
            allowed_calls.append((call, data))
        else:
            key = (action, call.fn, id(call))
            if key not in world.denied_data:   # refused calls change nothing: made once
                world.denied_data[key] = call.prepare(world, None) if call.prepare else None
            refused_calls.append((call, world.denied_data[key]))
    tried(len(allowed_calls) + len(refused_calls))

    # refused: not one row of any table differs afterwards (the audit log is append-only,
    # so its count tells each call's rows apart)
    expected = NotLoggedIn if role is None else PermissionDenied
    before = world.snapshot() if refused_calls else None
    for call, data in refused_calls:
        audits = world.audit_count()
        masked = False
        try:
            result = call.run(world, actor, data)
        except expected as e:
            if not clear(e):
                failures.append(f"{call.fn}: refused without a clear message: {e.render(EN)}")
        except Exception as e:  # noqa: BLE001 - any other outcome is the finding
            failures.append(f"{call.fn}: expected {expected.__name__}, got "
                            f"{type(e).__name__}: {e}")
        else:
            if call.reveals is None or role is None:
                failures.append(f"{call.fn}: expected {expected.__name__}, but it went through")
            elif call.reveals(result, data):
                failures.append(f"{call.fn}: personal data shown unmasked")
            else:
                masked = True   # a masked view or export is still audited
        if not masked and world.audit_count() != audits:
            failures.append(f"{call.fn}: refused, but wrote to the audit log")
    if refused_calls:
        changed = set(changed_tables(before, world.snapshot())) - {"audit_log"}
        if changed:
            failures.append(f"one of {[c.fn for c, _ in refused_calls]} was refused but "
                            f"changed {', '.join(sorted(changed))}")

    # allowed: done, and a change leaves its audit row
    for call, data in allowed_calls:
        audits = world.audit_count()
        try:
            result = call.run(world, actor, data)
        except DomainError as e:
            if not (call.may_fail and call.may_fail(world, e)):
                failures.append(f"{call.fn}: allowed but refused: {type(e).__name__}: {e}")
            continue
        if call.writes and world.audit_count() == audits:
            failures.append(f"{call.fn}: allowed, but left no audit row (did it save?)")
        if call.reveals and not call.reveals(result, data):
            failures.append(f"{call.fn}: allowed, but the personal data is masked")
    assert not failures, "\n".join(failures)


# --- the registry itself ----------------------------------------------------------------------

def core_modules():
    for info in sorted(pkgutil.iter_modules(core.__path__), key=lambda m: m.name):
        yield importlib.import_module(f"core.{info.name}")


def acting_functions() -> dict[str, Callable]:
    """'module.name' -> every public function of core that takes an actor."""
    out = {}
    for module in core_modules():
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if (fn.__module__ == module.__name__ and not name.startswith("_")
                    and "actor" in inspect.signature(fn).parameters):
                out[f"{module.__name__.removeprefix('core.')}.{name}"] = fn
    return out


# Public functions that take an actor but are not a permission-checked service, and why.
NOT_SERVICES = {
    "permissions.require": "the check itself",
    "audit.record": "the audit writer, called inside a service's transaction; commits nothing",
    "customers.sees_personal_data": "a predicate over the actor's roles; reads nothing",
    "policy_texts.sample_values": "pure: the sample placeholder values of a preview",
    "callback_rules.on_case_resolved": "rule hook inside cases' checked transaction",
    "callback_rules.on_after_sales_completed": "rule hook inside after-sales' transaction",
    "callback_rules.on_customer_changed": "rule hook inside customers' checked transaction",
    "callback_rules.next_care_call": "rule hook inside callbacks' checked transaction",
    "callback_rules.cancel_open": "rule hook inside customers' checked transaction",
    "care_plans.checks_done": "rule hook inside callbacks.log_attempt's transaction",
    "complaints.on_complaint_opened": "hook inside cases.open_case's checked transaction",
    "callback_rules.run_periodic": "the scheduler's job (manage.py callbacks, the app's "
                                   "hourly thread), run as the system; the actor only labels "
                                   "the audit row",
}
HOOKS = {fn for fn in NOT_SERVICES if fn != "callback_rules.run_periodic"}


def test_the_registry_covers_every_action_and_every_service():
    """Every action and every public service function taking an actor is in the matrix."""
    functions = acting_functions()
    covered = {c.fn for calls in REGISTRY.values() for c in calls}
    assert not [a for a, calls in REGISTRY.items() if not calls], "an action without a call"
    assert covered <= set(functions), covered - set(functions)
    missing = set(functions) - covered - set(NOT_SERVICES)
    assert not missing, f"services missing from the matrix: {sorted(missing)}"
    assert not (covered & set(NOT_SERVICES))
    # the table the matrix reads is the one core enforces
    assert set(PERMISSIONS) == set(Role)


def _calls(tree: ast.AST, imported: dict[str, str], module: str) -> set[tuple[str, str]]:
    """(module, function) of every call in a function's body, resolved through the module's
    imports: `require(...)`, `cases._case(...)`, `counts(...)`."""
    out = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Name):
            out.add(tuple(imported.get(f.id, f"{module}.{f.id}").rsplit(".", 1)))
        elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) \
                and imported.get(f.value.id, "").startswith("core."):
            out.add((imported[f.value.id].removeprefix("core."), f.attr))
    return {(m.removeprefix("core."), n) for m, n in out}


def _function_calls() -> dict[tuple[str, str], set[tuple[str, str]]]:
    graph = {}
    for module in core_modules():
        short = module.__name__.removeprefix("core.")
        tree = ast.parse(inspect.getsource(module))
        imported: dict[str, str] = {}
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("core"):
                for alias in node.names:
                    target = (f"{node.module}.{alias.name}" if node.module != "core"
                              else f"core.{alias.name}")
                    imported[alias.asname or alias.name] = target
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                graph[(short, node.name)] = _calls(node, imported, short)
    return graph


def test_every_service_that_acts_for_someone_reaches_a_permission_check():
    """A public core function that takes an actor reaches require() (itself or through
    what it calls), unless it is a listed hook or helper; a new service that forgets the
    check fails here."""
    graph = _function_calls()
    guarded = {("permissions", "require")}
    while True:
        more = {f for f, calls in graph.items() if f not in guarded and calls & guarded}
        if not more:
            break
        guarded |= more
    unguarded = [fn for fn in acting_functions()
                 if tuple(fn.split(".")) not in guarded and fn not in NOT_SERVICES]
    assert not unguarded, f"no permission check reached: {unguarded}"
    # the hooks run inside a checked service's transaction: they never commit on their own
    for fn in HOOKS:
        source = inspect.getsource(acting_functions()[fn])
        assert ".commit(" not in source and "with uow" not in source, fn


def test_only_the_command_line_acts_without_an_actor():
    """Only manage.py passes no actor (staff creation, imports); no page or ui module
    passes None where an actor belongs."""
    names = {fn.split(".")[1] for fn in COMMAND_LINE}
    offenders = []
    for path in [*sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "ui").glob("*.py")),
                 ROOT / "app.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
            given = [node.args[1]] if len(node.args) > 1 else []
            given += [k.value for k in node.keywords if k.arg == "actor"]
            if name in names and any(isinstance(v, ast.Constant) and v.value is None
                                     for v in given):
                offenders.append(f"{path.name}:{node.lineno}")
    assert not offenders
    # and every core function that still runs with actor=None says so in its signature
    for fn in COMMAND_LINE:
        annotation = str(inspect.signature(acting_functions()[fn]).parameters["actor"]
                         .annotation)
        assert "None" in annotation, fn
