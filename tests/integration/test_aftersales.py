"""After-sales: the policy check at its exact boundaries, four eyes through every entry point,
refunds within what was paid, one decision under concurrent clicks, and the service job from
assignment to archived report with its follow-up call."""
import threading
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from core import aftersales as asv
from core.actor import Actor
from core.clock import utcnow
from core.errors import DomainError, InvalidState, PermissionDenied, ValidationError
from core.i18n import translator
from core.uow import UnitOfWork
from core.vocabulary import Role
from db.models import (
    AfterSalesPolicy, AfterSalesRequest, AuditEntry, Callback, Customer, Order, OrderLine,
    OutboxMessage, Product, Refund, ServiceJob, ServiceReport, Staff,
)
from tests.conftest import add_staff

EN, ZH = translator("en"), translator("zh_CN")
PAID = 100_000  # 1000.00; the default approval threshold is 500.00


@pytest.fixture
def shop(uow):
    """A customer with one delivered kettle (appliance) and staff of every kind."""
    people = {
        "agent": add_staff(uow, "agent", Role.AGENT),
        "agent2": add_staff(uow, "agent2", Role.AGENT),
        "sup": add_staff(uow, "sup", Role.SUPERVISOR),
        "sup2": add_staff(uow, "sup2", Role.SUPERVISOR),
        "boss": add_staff(uow, "boss", Role.ADMIN, Role.SUPERVISOR),
        "tech": add_staff(uow, "tech", Role.TECHNICIAN, skills=["appliance"]),
        "tech2": add_staff(uow, "tech2", Role.TECHNICIAN, skills=["appliance"]),
        "phone_tech": add_staff(uow, "phone_tech", Role.TECHNICIAN, skills=["phone"]),
    }
    with uow:
        customer = Customer(name="Li Lei", email="li.lei@example.com", language="en")
        kettle = Product(sku="K-1", name="Kettle", category="appliance", price_cents=PAID)
        uow.session.add_all([customer, kettle])
        uow.session.flush()
        order = Order(order_number="CD1", customer_id=customer.id, channel="phone",
                      state="delivered", ordered_at=utcnow() - timedelta(days=4),
                      delivered_at=utcnow() - timedelta(days=2),
                      delivery_address="1 Nanjing Rd")
        order.lines = [OrderLine(product_id=kettle.id, quantity=1, unit_price_cents=PAID,
                                 paid_cents=PAID)]
        uow.session.add(order)
        uow.commit()
        people.update(customer_id=customer.id, line_id=order.lines[0].id, order_id=order.id,
                      product_id=kettle.id)
    return people


def set_order(uow, order_id, **values):
    with uow:
        uow.session.execute(sa.update(Order).where(Order.id == order_id).values(**values))
        uow.commit()


def get(uow, model, id_):
    with uow.reader() as r:
        return r.session.get(model, id_)


def count(uow, model, *where) -> int:
    with uow.reader() as r:
        return r.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def audits(uow, action, entity_id=None) -> int:
    where = [AuditEntry.action == action]
    if entity_id is not None:
        where.append(AuditEntry.entity_id == str(entity_id))
    return count(uow, AuditEntry, *where)


def outbox(uow) -> list[str]:
    with uow.reader() as r:
        return list(r.session.scalars(sa.select(OutboxMessage.template_key)
                                      .order_by(OutboxMessage.id)))


def verdict(uow, shop, kind, today, condition="as_new", proof=True):
    with uow.reader() as r:
        return asv.check_policy(r.session, shop["line_id"], kind, condition, proof, today)


def refund(uow, shop, who, cents, kind="refund"):
    return asv.open_request(uow, shop[who], order_line_id=shop["line_id"], kind=kind,
                            reason="Not as described", condition="as_new",
                            proof_of_purchase=True, refund_cents=cents)


# --- the policy check at its boundaries -------------------------------------------------------

DELIVERED_UTC = datetime(2026, 2, 28, 20, 0)  # 04:00 on 1 March in Shanghai
DELIVERED_LOCAL = date(2026, 3, 1)


@pytest.mark.parametrize("kind, days, eligible, words", [
    ("return", 7, True, "Delivered 7 days ago: inside the 7-day return window."),
    ("return", 8, False, "Delivered 8 days ago: outside the 7-day return window."),
    ("refund", 8, False, "Delivered 8 days ago: outside the 7-day return window."),
    ("exchange", 15, True, "Delivered 15 days ago: inside the 15-day exchange window."),
    ("exchange", 16, False, "Delivered 16 days ago: outside the 15-day exchange window."),
])
def test_windows_are_counted_in_local_days_from_delivery(uow, shop, kind, days, eligible,
                                                         words):
    set_order(uow, shop["order_id"], delivered_at=DELIVERED_UTC)
    v = verdict(uow, shop, kind, DELIVERED_LOCAL + timedelta(days=days))
    assert v.eligible is eligible
    assert v.counted_from == DELIVERED_LOCAL and v.from_delivery
    assert asv.explain(v, EN)[0] == words
    assert "天" in asv.explain(v, ZH)[0]


def test_warranty_last_day_is_in_and_the_day_after_is_out(uow, shop):
    set_order(uow, shop["order_id"], delivered_at=DELIVERED_UTC)
    last = verdict(uow, shop, "repair", date(2027, 3, 1), condition="defective")
    assert last.eligible and last.warranty_until == date(2027, 3, 1)
    assert asv.explain(last, EN)[0] == ("Inside the 12-month warranty: it runs until "
                                        "2027-03-01 (0 days left).")
    after = verdict(uow, shop, "repair", date(2027, 3, 2), condition="defective")
    assert not after.eligible
    assert asv.explain(after, EN)[0].startswith(
        "The 12-month warranty ended 1 days ago, on 2027-03-01")


def test_the_products_own_warranty_and_window_override_the_category(uow, shop):
    set_order(uow, shop["order_id"], delivered_at=DELIVERED_UTC)
    with uow:
        uow.session.add(AfterSalesPolicy(category="appliance", return_window_days=10,
                                         exchange_window_days=20, warranty_months=6))
        uow.commit()
    assert verdict(uow, shop, "return", DELIVERED_LOCAL + timedelta(days=10)).eligible
    assert not verdict(uow, shop, "repair", date(2026, 9, 2), "defective").eligible
    with uow:
        uow.session.execute(sa.update(Product).where(Product.id == shop["product_id"])
                            .values(warranty_months=24, return_window_days=3))
        uow.commit()
    assert verdict(uow, shop, "repair", date(2028, 3, 1), "defective").eligible
    assert not verdict(uow, shop, "return", DELIVERED_LOCAL + timedelta(days=4)).eligible


def test_without_a_delivery_date_the_order_date_counts_and_the_verdict_says_so(uow, shop):
    set_order(uow, shop["order_id"], delivered_at=None, ordered_at=datetime(2026, 3, 1, 2))
    v = verdict(uow, shop, "return", date(2026, 3, 8))
    assert v.eligible and not v.from_delivery and v.counted_from == date(2026, 3, 1)
    assert asv.explain(v, EN)[:2] == [
        "No delivery date is recorded: the periods are counted from the order date, "
        "2026-03-01.",
        "Ordered 7 days ago: inside the 7-day return window."]
    assert not verdict(uow, shop, "return", date(2026, 3, 9)).eligible


@pytest.mark.parametrize("kind, condition, eligible", [
    ("return", "unopened", True), ("return", "as_new", True), ("return", "defective", True),
    ("return", "used", False), ("return", "damaged", False), ("exchange", "used", False),
    ("repair", "used", True), ("repair", "damaged", False),
])
def test_condition_rules(uow, shop, kind, condition, eligible):
    set_order(uow, shop["order_id"], delivered_at=DELIVERED_UTC)
    v = verdict(uow, shop, kind, DELIVERED_LOCAL + timedelta(days=1), condition=condition)
    assert v.eligible is eligible, asv.explain(v, EN)


def test_proof_of_purchase_only_where_the_policy_asks_for_it(uow, shop):
    set_order(uow, shop["order_id"], delivered_at=DELIVERED_UTC)
    day = DELIVERED_LOCAL + timedelta(days=1)
    v = verdict(uow, shop, "return", day, proof=False)
    assert not v.eligible
    assert "The policy requires proof of purchase, and none was shown." in asv.explain(v, EN)
    with uow:
        uow.session.add(AfterSalesPolicy(category="appliance", return_window_days=7,
                                         exchange_window_days=15, warranty_months=12,
                                         proof_of_purchase_required=False))
        uow.commit()
    assert verdict(uow, shop, "return", day, proof=False).eligible


def test_the_explanation_is_stored_and_rendered_in_either_language(uow, shop):
    rid = refund(uow, shop, "agent", 1000, kind="return")
    req = get(uow, AfterSalesRequest, rid)
    assert asv.explain(req, EN)[0] == "Delivered 2 days ago: inside the 7-day return window."
    assert asv.explain(req.policy_explanation, ZH)[0] != asv.explain(req, EN)[0]
    assert asv.explain(asv.request_view(uow, shop["agent"], rid), EN) == asv.explain(req, EN)


# --- filing and automatic approval -------------------------------------------------------------

def test_within_policy_and_threshold_is_approved_and_refunded_at_once(uow, shop):
    rid = refund(uow, shop, "agent", 20_000, kind="return")
    req = get(uow, AfterSalesRequest, rid)
    assert (req.status, req.needs_approval, req.within_policy) == ("completed", False, True)
    assert req.created_by_id == shop["agent"].staff_id
    assert get(uow, OrderLine, shop["line_id"]).refunded_cents == 20_000
    with uow.reader() as r:
        assert r.session.scalar(sa.select(Refund.status).where(Refund.request_id == rid)) \
            == "approved"
    assert outbox(uow) == ["aftersales_received", "aftersales_refund_approved"]
    assert count(uow, Callback, Callback.purpose == "after_sales_follow_up") == 1
    assert audits(uow, "request_auto_approved", rid) == 1


def test_a_return_without_an_amount_gives_back_what_is_left(uow, shop):
    rid = refund(uow, shop, "agent", None, kind="return")
    with uow.reader() as r:
        assert r.session.scalar(sa.select(Refund.amount_cents)
                                .where(Refund.request_id == rid)) == PAID
    assert get(uow, AfterSalesRequest, rid).status == "awaiting_approval"  # above threshold


def test_outside_policy_or_above_threshold_waits_for_a_supervisor(uow, shop):
    big = refund(uow, shop, "agent", 60_000)
    req = get(uow, AfterSalesRequest, big)
    assert (req.status, req.needs_approval, req.within_policy) == \
        ("awaiting_approval", True, True)
    set_order(uow, shop["order_id"], delivered_at=utcnow() - timedelta(days=30))
    late = refund(uow, shop, "agent", 100)
    assert get(uow, AfterSalesRequest, late).within_policy is False
    assert [q.id for q in asv.approval_queue(uow, shop["sup"])] == [big, late]
    assert get(uow, OrderLine, shop["line_id"]).refunded_cents == 0
    assert outbox(uow) == ["aftersales_received", "aftersales_received"]


def test_within_policy_repair_becomes_a_job_for_a_technician_with_the_skill(uow, shop):
    rid = asv.open_request(uow, shop["agent"], order_line_id=shop["line_id"], kind="repair",
                           reason="Does not heat", condition="defective",
                           proof_of_purchase=True)
    assert get(uow, AfterSalesRequest, rid).status == "in_service"
    with uow.reader() as r:
        job = r.session.scalar(sa.select(ServiceJob).where(ServiceJob.request_id == rid))
    assert job.technician_id == shop["tech"].staff_id and job.required_skill == "appliance"
    with pytest.raises(ValidationError):
        asv.open_request(uow, shop["agent"], order_line_id=shop["line_id"], kind="repair",
                         reason="x", condition="defective", proof_of_purchase=True,
                         refund_cents=100)


# --- refunds never exceed what was paid --------------------------------------------------------

def test_a_refund_above_the_line_is_refused_with_the_amounts(uow, shop):
    with pytest.raises(ValidationError) as e:
        refund(uow, shop, "agent", PAID + 1)
    assert "paid 1000.00, already refunded 0.00, waiting for approval 0.00, so at most " \
        "1000.00" in str(e.value)
    assert count(uow, AfterSalesRequest) == 0


def test_two_pending_refunds_together_cannot_exceed_the_line(uow, shop):
    refund(uow, shop, "agent", 60_000)  # waits for approval
    with pytest.raises(ValidationError, match="waiting for approval 600.00, so at most 400.00"):
        refund(uow, shop, "agent2", 50_000)
    refund(uow, shop, "agent2", 40_000)
    with pytest.raises(ValidationError, match="at most 0.00"):
        refund(uow, shop, "agent", 1)


def test_approval_rechecks_the_ceiling(uow, shop):
    rid = refund(uow, shop, "agent", 60_000)
    with uow:  # meanwhile the till refunded most of the line by another route
        uow.session.execute(sa.update(OrderLine).where(OrderLine.id == shop["line_id"])
                            .values(refunded_cents=50_000))
        uow.commit()
    with pytest.raises(ValidationError, match="already refunded 500.00"):
        asv.decide_request(uow, shop["sup"], rid, True, "Customer is right")
    assert get(uow, AfterSalesRequest, rid).status == "awaiting_approval"
    assert get(uow, OrderLine, shop["line_id"]).refunded_cents == 50_000
    assert audits(uow, "request_approved") == 0


def test_preparing_changes_the_amount_within_the_ceiling(uow, shop):
    rid = refund(uow, shop, "agent", 60_000)
    with pytest.raises(ValidationError):
        asv.prepare_request(uow, shop["agent2"], rid, refund_cents=PAID + 1)
    asv.prepare_request(uow, shop["agent2"], rid, refund_cents=PAID, notes="Checked receipt")
    req = get(uow, AfterSalesRequest, rid)
    assert req.prepared_by_id == shop["agent2"].staff_id and req.notes == "Checked receipt"


# --- four eyes ----------------------------------------------------------------------------------

@pytest.mark.parametrize("approve", [True, False])
def test_the_creator_never_decides_even_as_admin_and_supervisor(uow, shop, approve):
    rid = refund(uow, shop, "boss", 60_000)
    with pytest.raises(PermissionDenied, match="four-eyes"):
        asv.decide_request(uow, shop["boss"], rid, approve, "I know this customer")
    assert [q.can_decide for q in asv.approval_queue(uow, shop["boss"])] == [False]
    assert asv.request_view(uow, shop["boss"], rid).can_decide is False
    assert asv.request_view(uow, shop["sup"], rid).can_decide is True
    assert get(uow, AfterSalesRequest, rid).status == "awaiting_approval"


@pytest.mark.parametrize("approve", [True, False])
def test_the_preparer_never_decides(uow, shop, approve):
    rid = refund(uow, shop, "agent", 60_000)
    asv.prepare_request(uow, shop["sup"], rid, notes="Photos look right")
    with pytest.raises(PermissionDenied, match="four-eyes"):
        asv.decide_request(uow, shop["sup"], rid, approve, "Fine")
    assert asv.request_view(uow, shop["sup"], rid).can_decide is False
    asv.decide_request(uow, shop["sup2"], rid, approve, "Fine")
    assert get(uow, AfterSalesRequest, rid).decided_by_id == shop["sup2"].staff_id


def test_a_non_money_request_also_keeps_four_eyes(uow, shop):
    set_order(uow, shop["order_id"], delivered_at=utcnow() - timedelta(days=800))
    rid = asv.open_request(uow, shop["sup"], order_line_id=shop["line_id"], kind="repair",
                           reason="Broken", condition="defective", proof_of_purchase=True)
    with pytest.raises(PermissionDenied):
        asv.decide_request(uow, shop["sup"], rid, True, "ok")


def test_agents_cannot_decide_and_a_reason_is_required(uow, shop):
    rid = refund(uow, shop, "agent", 60_000)
    with pytest.raises(PermissionDenied):
        asv.decide_request(uow, shop["agent2"], rid, True, "ok")
    with pytest.raises(ValidationError, match="required"):
        asv.decide_request(uow, shop["sup"], rid, True, "  ")
    with pytest.raises(PermissionDenied):
        asv.approval_queue(uow, shop["agent"])


# --- one decision ------------------------------------------------------------------------------

def test_twenty_concurrent_approvals_give_exactly_one_decision(engine, uow, shop):
    rid = refund(uow, shop, "agent", 60_000)
    supervisors = [add_staff(uow, f"s{i:02d}", Role.SUPERVISOR) for i in range(20)]
    barrier = threading.Barrier(len(supervisors))
    outcomes: list[object] = []
    lock = threading.Lock()

    def click(actor: Actor) -> None:
        barrier.wait()
        try:
            asv.decide_request(UnitOfWork(engine), actor, rid, True, f"ok by {actor.username}")
            result: object = "ok"
        except DomainError as e:
            result = e
        except Exception as e:  # noqa: BLE001 - any other failure must show in the assert
            result = repr(e)
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=click, args=(a,)) for a in supervisors]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert outcomes.count("ok") == 1, outcomes
    assert all(isinstance(o, InvalidState) for o in outcomes if o != "ok"), outcomes
    assert audits(uow, "request_approved", rid) == 1
    assert audits(uow, "refund_approved") == 1
    assert count(uow, Refund, Refund.status == "approved") == 1
    assert get(uow, OrderLine, shop["line_id"]).refunded_cents == 60_000
    req = get(uow, AfterSalesRequest, rid)
    assert req.status == "completed" and req.decided_by_id in {a.staff_id for a in supervisors}
    assert outbox(uow).count("aftersales_refund_approved") == 1


def test_a_double_click_decides_once(uow, shop):
    rid = refund(uow, shop, "agent", 60_000)
    asv.decide_request(uow, shop["sup"], rid, True, "ok")
    with pytest.raises(InvalidState, match="already completed"):
        asv.decide_request(uow, shop["sup"], rid, True, "ok")
    assert get(uow, OrderLine, shop["line_id"]).refunded_cents == 60_000


def test_rejected_cancelled_or_completed_requests_cannot_be_approved(uow, shop):
    rejected = refund(uow, shop, "agent", 60_000)
    asv.decide_request(uow, shop["sup"], rejected, False, "Receipt is forged")
    with uow.reader() as r:
        assert r.session.scalar(sa.select(Refund.status).where(Refund.request_id == rejected)) \
            == "rejected"
    assert outbox(uow)[-1] == "aftersales_rejected"
    with pytest.raises(InvalidState, match="was rejected"):
        asv.decide_request(uow, shop["sup2"], rejected, True, "Changed my mind")

    cancelled = refund(uow, shop, "agent", 60_000)
    asv.cancel_request(uow, shop["agent"], cancelled, "Customer withdrew")
    with pytest.raises(InvalidState, match="was cancelled"):
        asv.decide_request(uow, shop["sup"], cancelled, True, "ok")

    completed = refund(uow, shop, "agent", 10_000)  # auto-approved and completed
    with pytest.raises(InvalidState, match="already completed"):
        asv.decide_request(uow, shop["sup"], completed, True, "ok")
    assert get(uow, OrderLine, shop["line_id"]).refunded_cents == 10_000
    assert audits(uow, "request_approved") == 0


# --- service jobs -----------------------------------------------------------------------------

def test_suggestion_is_by_skill_then_fewest_open_jobs(uow, shop):
    with uow.reader() as r:
        assert asv.suggest_technician(r.session, "appliance") == shop["tech"].staff_id
        assert asv.suggest_technician(r.session, "phone") == shop["phone_tech"].staff_id
        assert asv.suggest_technician(r.session, "drone") is None
    first = asv.open_request(uow, shop["agent"], order_line_id=shop["line_id"], kind="repair",
                             reason="Leaks", condition="defective", proof_of_purchase=True)
    with uow.reader() as r:
        assert r.session.scalar(sa.select(ServiceJob.technician_id)
                                .where(ServiceJob.request_id == first)) == shop["tech"].staff_id
        assert asv.suggest_technician(r.session, "appliance") == shop["tech2"].staff_id
    with uow:
        uow.session.execute(sa.update(Staff).where(Staff.id == shop["tech2"].staff_id)
                            .values(active=False))
        uow.commit()
    with uow.reader() as r:
        assert asv.suggest_technician(r.session, "appliance") == shop["tech"].staff_id


def repair_job(uow, shop) -> tuple[int, int]:
    """An out-of-warranty repair, approved by a supervisor: (request id, job id)."""
    set_order(uow, shop["order_id"], delivered_at=utcnow() - timedelta(days=400))
    rid = asv.open_request(uow, shop["agent"], order_line_id=shop["line_id"], kind="repair",
                           reason="Does not heat", condition="defective",
                           proof_of_purchase=True)
    assert get(uow, AfterSalesRequest, rid).status == "awaiting_approval"
    asv.decide_request(uow, shop["sup"], rid, True, "Loyal customer, goodwill repair")
    with uow.reader() as r:
        job = r.session.scalar(sa.select(ServiceJob).where(ServiceJob.request_id == rid))
    return rid, job.id


def test_job_flow_failed_then_passed_check_report_review_archive(uow, shop):
    rid, job_id = repair_job(uow, shop)
    tech, tech2, sup = shop["tech"], shop["tech2"], shop["sup"]
    assert get(uow, AfterSalesRequest, rid).status == "in_service"
    assert [j.suggested_technician_id for j in asv.jobs_to_assign(uow, sup)] == \
        [tech2.staff_id]  # tech has this job open now, tech2 has none
    asv.assign_job(uow, sup, job_id, tech2.staff_id, "on_site", utcnow() + timedelta(days=1))
    assert asv.my_jobs(uow, tech) == []
    assert [j.id for j in asv.my_jobs(uow, tech2)] == [job_id]
    with pytest.raises(InvalidState):
        asv.record_quality_check(uow, tech2, job_id, True, "too early")
    asv.start_job(uow, tech2, job_id)
    asv.record_quality_check(uow, tech2, job_id, False, "Heats, but thermostat clicks")
    assert get(uow, ServiceJob, job_id).status == "in_progress"
    with pytest.raises(InvalidState, match="no passed quality check"):
        asv.submit_report(uow, tech2, job_id, "Replaced thermostat", None, 30, 0, 0)
    asv.record_quality_check(uow, tech2, job_id, True, "Boils 1 l in 3 min, no leak")
    report_id = asv.submit_report(uow, tech2, job_id, "Replaced thermostat", "Thermostat T-9",
                                  45, 3_500, 2_000)
    job = get(uow, ServiceJob, job_id)
    assert job.status == "done" and job.qc_passed
    req = get(uow, AfterSalesRequest, rid)
    assert req.status == "completed" and req.completed_at is not None
    assert count(uow, Callback, Callback.request_id == rid,
                 Callback.purpose == "after_sales_follow_up") == 1
    assert outbox(uow) == ["aftersales_received", "aftersales_approved",
                           "service_job_scheduled", "service_job_started",
                           "service_job_completed"]

    assert [p.id for p in asv.reports_to_review(uow, sup)] == [report_id]
    with pytest.raises(ValidationError):
        asv.review_report(uow, sup, report_id, False, "")  # returning needs a note
    asv.review_report(uow, sup, report_id, False, "Add the part's serial number")
    assert [j.report_review for j in asv.my_jobs(uow, tech2)] == ["returned"]
    with pytest.raises(InvalidState):
        asv.archive_report(uow, sup, report_id)
    asv.submit_report(uow, tech2, job_id, "Replaced thermostat", "Thermostat T-9 #A123",
                      45, 3_500, 2_000)
    asv.review_report(uow, sup, report_id, True, "Good")
    asv.archive_report(uow, sup, report_id)
    report = get(uow, ServiceReport, report_id)
    assert report.review == "archived" and report.parts_used == "Thermostat T-9 #A123"
    assert asv.reports_to_review(uow, sup) == [] and asv.my_jobs(uow, tech2) == []

    view = asv.request_view(uow, sup, rid)
    assert view.job.id == job_id and view.report.id == report_id
    actions = [t.action for t in view.timeline]
    for step in ("request_opened", "request_approved", "job_created", "job_assigned",
                 "job_started", "quality_check_failed", "quality_check_passed",
                 "report_submitted", "request_completed", "callback_scheduled",
                 "report_returned", "report_accepted", "report_archived"):
        assert step in actions
    assert actions.index("quality_check_failed") < actions.index("quality_check_passed")


def test_only_the_assigned_technician_records_work(uow, shop):
    _, job_id = repair_job(uow, shop)
    tech, tech2 = shop["tech"], shop["tech2"]
    assert get(uow, ServiceJob, job_id).technician_id == tech.staff_id
    for attempt in (lambda: asv.start_job(uow, tech2, job_id),
                    lambda: asv.record_quality_check(uow, tech2, job_id, True, "ok"),
                    lambda: asv.submit_report(uow, tech2, job_id, "done", None, 1, 0, 0)):
        with pytest.raises(PermissionDenied, match="assigned to someone else"):
            attempt()
    with pytest.raises(PermissionDenied):  # a supervisor assigns, but does not do the work
        asv.start_job(uow, shop["sup"], job_id)
    with pytest.raises(PermissionDenied):
        asv.assign_job(uow, tech, job_id, tech.staff_id, "mail_in", None)
    with pytest.raises(ValidationError):  # only technicians get jobs
        asv.assign_job(uow, shop["sup"], job_id, shop["agent"].staff_id, "mail_in", None)
    asv.start_job(uow, tech, job_id)
    asv.record_quality_check(uow, tech, job_id, True, "ok")
    for minutes, material, transport in ((-1, 0, 0), (1, -5, 0), (1, 0, -1), (1.5, 0, 0)):
        with pytest.raises(ValidationError):
            asv.submit_report(uow, tech, job_id, "done", None, minutes, material, transport)
    assert count(uow, ServiceReport) == 0


def test_nobody_reviews_their_own_report(uow, shop):
    both = add_staff(uow, "both", Role.TECHNICIAN, Role.SUPERVISOR, skills=["appliance"])
    _, job_id = repair_job(uow, shop)
    asv.assign_job(uow, shop["sup"], job_id, both.staff_id, "in_store", None)
    asv.start_job(uow, both, job_id)
    asv.record_quality_check(uow, both, job_id, True, "ok")
    report_id = asv.submit_report(uow, both, job_id, "done", None, 10, 0, 0)
    with pytest.raises(PermissionDenied, match="four-eyes"):
        asv.review_report(uow, both, report_id, True, "fine")


def test_the_follow_up_callback_is_created_once_per_customer(uow, shop):
    first = refund(uow, shop, "agent", 10_000, kind="return")
    second = refund(uow, shop, "agent", 10_000, kind="return")
    assert get(uow, AfterSalesRequest, second).status == "completed"
    with uow.reader() as r:
        callbacks = r.session.scalars(sa.select(Callback).where(
            Callback.customer_id == shop["customer_id"])).all()
    assert [c.request_id for c in callbacks] == [first]
    due = callbacks[0].due_at
    assert due > utcnow() + timedelta(hours=17)  # two business days of 9 opening hours
    assert audits(uow, "callback_scheduled") == 1


def test_requests_of_customer_and_the_technicians_view(uow, shop):
    rid, job_id = repair_job(uow, shop)
    assert [q.id for q in asv.requests_of_customer(uow, shop["agent"], shop["customer_id"])] \
        == [rid]
    assert asv.request_view(uow, shop["tech"], rid).job.id == job_id
    with pytest.raises(DomainError):
        asv.request_view(uow, shop["phone_tech"], rid)  # not their job
    with pytest.raises(PermissionDenied):
        asv.requests_of_customer(uow, shop["tech"], shop["customer_id"])
