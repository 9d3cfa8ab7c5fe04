"""An after-sales day in a real browser, for one customer: an agent files a refund above the
approval threshold; the same agent cannot approve it (nor through core), a second supervisor
could; `supervisor` approves it with a reason; `technician` works a repair through a failed
and then a passed quality check and writes the service report; `supervisor` accepts and
archives the report; the customer's history shows both requests and the follow-up callback.

The tests run in file order as one story on a module-wide customer. Each can also run on its
own (-k): what an earlier step would have done is then done through core first
(`ensure_*`), so a test fails only for its own step.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from core import aftersales, customers
from core.clock import utcnow
from core.errors import PermissionDenied
from core.vocabulary import (AfterSalesKind, AfterSalesStatus, CallbackPurpose, Channel,
                             JobStatus, OrderState, RefundStatus, ReportReview, ServiceMode)
from db.models import (AfterSalesRequest, AuditEntry, Callback, Order, OrderLine, Product,
                       Refund, ServiceJob, ServiceReport, Setting)

from browser_helpers import NAV_LABEL, actor_of, login_and_open, open_app, settle

pytestmark = pytest.mark.browser

FIND = "Find by phone, e-mail, name or order number"
THRESHOLD_KEY = "aftersales.refund_approval_threshold_cents"
THRESHOLD_CENTS = 50_000          # ¥500
PAID_CENTS = 89_900               # ¥899, above the threshold
REFUND_DELIVERED_DAYS_AGO = 3     # inside the 7-day return window
REPAIR_DELIVERED_DAYS_AGO = 60    # inside the 12-month warranty
REFUND_REASON = "The blender's motor smells burnt; the customer wants the money back."
DECISION_REASON = "Checked the photos: burnt motor, full refund inside the return window."
FAILED_CHECK = "Ran 10 minutes: the fan still rattles at full speed."
PASSED_CHECK = "Ran 30 minutes at every speed: quiet, no smell, thermostat cuts at 80 °C."
WORK_DONE = "Replaced the fan bearing and the thermostat; cleaned the heating element."
PARTS = "Fan bearing 608ZZ, thermostat KSD301"


# --- the day's customer ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Day:
    customer_id: int
    customer_name: str
    refund_order: str
    refund_product: str
    refund_line_id: int
    repair_order: str
    repair_product: str
    repair_line_id: int
    repair_request_id: int
    job_id: int


def _letters(n: int = 8) -> str:
    import secrets
    return "".join(secrets.choice("bcdfghjklmnpqrstvwxz") for _ in range(n))


def _delivered_order(server, customer_id: int, tag: str, *, sku: str, name: str,
                     category: str, paid_cents: int, days_ago: int) -> tuple[str, int]:
    now = utcnow()
    uow = server.uow()
    with uow:
        product = Product(sku=sku, name=name, category=category, price_cents=paid_cents)
        uow.session.add(product)
        uow.flush()
        order = Order(order_number=f"AS{tag.upper()}", customer_id=customer_id,
                      channel=Channel.WEB, state=OrderState.DELIVERED,
                      ordered_at=now - timedelta(days=days_ago + 2),
                      confirmed_at=now - timedelta(days=days_ago + 2),
                      shipped_at=now - timedelta(days=days_ago + 1),
                      delivered_at=now - timedelta(days=days_ago),
                      delivery_address="88 Nanjing West Road", total_cents=paid_cents,
                      lines=[OrderLine(product_id=product.id, quantity=1,
                                       unit_price_cents=paid_cents, paid_cents=paid_cents)])
        uow.session.add(order)
        uow.commit()
        return order.order_number, order.lines[0].id


def _set_threshold(server, cents: int) -> None:
    uow = server.uow()
    with uow:
        row = uow.session.get(Setting, THRESHOLD_KEY)
        if row is None:
            uow.session.add(Setting(key=THRESHOLD_KEY, value=cents))
        else:
            row.value = cents
        uow.commit()


def _new_customer(server, tag: str) -> tuple[int, str]:
    name = f"Zhou Xiaoyu {tag.title()}"
    customer_id = customers.create_customer(
        server.uow(), actor_of(server, "agent"), name=name, phone=None,
        email=f"xiaoyu.{tag}@example.com", language="en", address="88 Nanjing West Road",
        city="Shanghai")
    return customer_id, name


@pytest.fixture(scope="module")
def day(demo_app) -> Day:
    """A customer with two delivered orders: a ¥899 blender delivered 3 days ago (for the
    refund) and a heater delivered 60 days ago whose repair was filed through core, approved
    automatically (inside the warranty) and scheduled for the demo technician."""
    _set_threshold(demo_app, THRESHOLD_CENTS)
    tag = _letters()
    customer_id, name = _new_customer(demo_app, tag)
    refund_product = f"Blender {tag.title()}"
    refund_order, refund_line = _delivered_order(
        demo_app, customer_id, tag + "r", sku=f"BL-{tag}", name=refund_product,
        category="kitchen", paid_cents=PAID_CENTS, days_ago=REFUND_DELIVERED_DAYS_AGO)
    repair_product = f"Heater {tag.title()}"
    repair_order, repair_line = _delivered_order(
        demo_app, customer_id, tag + "h", sku=f"HT-{tag}", name=repair_product,
        category="heating", paid_cents=39_900, days_ago=REPAIR_DELIVERED_DAYS_AGO)

    repair_id = aftersales.open_request(
        demo_app.uow(), actor_of(demo_app, "agent"), order_line_id=repair_line,
        kind="repair", reason="The heater rattles and switches itself off.",
        condition="defective", proof_of_purchase=True)
    with demo_app.uow().reader() as r:
        req = r.session.get(AfterSalesRequest, repair_id)
        job = r.session.scalar(sa.select(ServiceJob).where(ServiceJob.request_id == repair_id))
        assert req.status == AfterSalesStatus.IN_SERVICE, req.status  # approved by policy
        assert job is not None
        job_id, job_version = job.id, job.version
    technician = actor_of(demo_app, "technician")
    aftersales.assign_job(demo_app.uow(), actor_of(demo_app, "supervisor"), job_id,
                          technician.staff_id, ServiceMode.ON_SITE,
                          utcnow() + timedelta(days=1), job_version)
    return Day(customer_id, name, refund_order, refund_product, refund_line, repair_order,
               repair_product, repair_line, repair_id, job_id)


# --- reading and preparing state through core -----------------------------------------------------

def refund_request(server, day: Day) -> AfterSalesRequest | None:
    with server.uow().reader() as r:
        return r.session.scalar(sa.select(AfterSalesRequest)
                                .where(AfterSalesRequest.order_line_id == day.refund_line_id)
                                .order_by(AfterSalesRequest.id))


def ensure_refund_filed(server, day: Day) -> int:
    """The refund request test 1 files in the browser (through core if it did not)."""
    req = refund_request(server, day)
    if req is not None:
        return req.id
    return aftersales.open_request(
        server.uow(), actor_of(server, "agent"), order_line_id=day.refund_line_id,
        kind="refund", reason=REFUND_REASON, condition="defective", proof_of_purchase=True,
        refund_cents=PAID_CENTS)


def ensure_refund_approved(server, day: Day) -> int:
    request_id = ensure_refund_filed(server, day)
    if refund_request(server, day).status == AfterSalesStatus.AWAITING_APPROVAL:
        aftersales.decide_request(server.uow(), actor_of(server, "supervisor"), request_id,
                                  True, DECISION_REASON)
    return request_id


def job_row(server, day: Day) -> ServiceJob:
    with server.uow().reader() as r:
        return r.session.get(ServiceJob, day.job_id)


def report_row(server, day: Day) -> ServiceReport | None:
    with server.uow().reader() as r:
        return r.session.scalar(sa.select(ServiceReport)
                                .where(ServiceReport.job_id == day.job_id))


def ensure_report_submitted(server, day: Day) -> int:
    """The repair test 4 works in the browser (through core if it did not)."""
    tech = actor_of(server, "technician")
    job = job_row(server, day)
    if job.status in (JobStatus.ASSIGNED, JobStatus.SCHEDULED):
        aftersales.start_job(server.uow(), tech, job.id)
        job = job_row(server, day)
    if job.status == JobStatus.IN_PROGRESS:
        aftersales.record_quality_check(server.uow(), tech, job.id, True, PASSED_CHECK)
        job = job_row(server, day)
    if job.status == JobStatus.QUALITY_CHECK:
        aftersales.submit_report(server.uow(), tech, job.id, WORK_DONE, PARTS, 95, 3550, 2000)
    return report_row(server, day).id


def ensure_report_archived(server, day: Day) -> int:
    report_id = ensure_report_submitted(server, day)
    supervisor = actor_of(server, "supervisor")
    if report_row(server, day).review == ReportReview.PENDING:
        aftersales.review_report(server.uow(), supervisor, report_id, True, None)
    if report_row(server, day).review == ReportReview.ACCEPTED:
        aftersales.archive_report(server.uow(), supervisor, report_id)
    return report_id


def audit_rows(server, entity: str, entity_id: int, action: str) -> list[AuditEntry]:
    with server.uow().reader() as r:
        return list(r.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.entity == entity, AuditEntry.entity_id == str(entity_id),
            AuditEntry.action == action)))


# --- browser helpers ------------------------------------------------------------------------------

def main(page: Page):
    return page.get_by_test_id("stMain")


def choose(page: Page, label: str, option) -> None:
    """A Streamlit selectbox: open it, pick the option (text or pattern)."""
    page.get_by_role("combobox", name=label, exact=True).click()
    if isinstance(option, str):
        page.get_by_role("option", name=option, exact=True).click()
    else:
        page.get_by_role("option", name=option).click()
    settle(page)


def metric_value(page: Page, title: str):
    return main(page).get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(title, exact=True)
    ).get_by_test_id("stMetricValue")


def expander(page: Page, title_start: str):
    """The expander whose title starts with `title_start` (e.g. '#12 · ')."""
    return main(page).get_by_test_id("stExpander").filter(
        has=page.locator("summary [data-testid='stMarkdownContainer']",
                         has_text=re.compile("^" + re.escape(title_start))))


def open_expander(page: Page, title_start: str):
    box = expander(page, title_start)
    expect(box).to_have_count(1)
    details = box.locator("details")
    if details.count() and details.first.get_attribute("open") is None:
        box.locator("summary").first.click()
    expect(box.locator("details").first).to_have_attribute("open", re.compile(".*"))
    return box


def click(page: Page, locator) -> None:
    locator.click()
    settle(page)


def grid_rows(container) -> list[dict[int, str]]:
    """The cells of the one dataframe in `container` (a canvas; Streamlit mirrors each cell
    in a hidden element with data-testid glide-cell-<column>-<row>), as rows of
    column -> text."""
    expect(container.get_by_test_id("stDataFrame")).to_have_count(1)
    cells = container.locator('[data-testid^="glide-cell-"]')
    expect(cells.first).to_be_attached()
    found = cells.evaluate_all(
        "els => els.map(e => [e.getAttribute('data-testid'), e.textContent.trim()])")
    rows: dict[int, dict[int, str]] = {}
    for testid, text in found:
        m = re.fullmatch(r"glide-cell-(\d+)-(\d+)", testid)
        if m:
            rows.setdefault(int(m.group(2)), {})[int(m.group(1))] = text
    return [rows[k] for k in sorted(rows)]


# --- 1. the agent files a refund above the threshold ----------------------------------------------

def test_1_an_agent_files_a_refund_above_the_threshold(demo_app, page, day):
    assert refund_request(demo_app, day) is None, "the refund was filed before this test"
    login_and_open(page, demo_app, "agent", "/aftersales")
    expect(main(page).get_by_role("heading", name="After-sales", exact=True)).to_be_visible()

    box = page.get_by_role("textbox", name=FIND, exact=True)
    box.fill(day.customer_name)
    box.press("Enter")
    settle(page)
    hit = main(page).get_by_test_id("stHorizontalBlock").filter(
        has_text=f"#{day.customer_id} · {day.customer_name}")
    expect(hit).to_have_count(1)
    click(page, hit.get_by_role("button", name="Select", exact=True))
    expect(main(page).get_by_text(f"#{day.customer_id} · {day.customer_name}", exact=True)
           ).to_be_visible()
    # the repair filed earlier is listed; nothing for the blender yet
    expect(main(page).get_by_text(f"#{day.repair_request_id} · Repair · {day.repair_order}",
                                  exact=False)).to_be_visible()

    choose(page, "Order line", re.compile(
        "^" + re.escape(f"{day.refund_order} · {day.refund_product} × 1 · ¥899.00 · "
                        "delivered ")))
    choose(page, "Request type", "Refund")
    choose(page, "Condition of the goods", "defective")
    policy = main(page).get_by_test_id("stAlertContentSuccess")
    expect(policy).to_contain_text(
        f"Delivered {REFUND_DELIVERED_DAYS_AGO} days ago: inside the 7-day return window.")
    expect(policy).to_contain_text("The goods are defective: the condition allows it.")
    expect(policy).to_contain_text("Proof of purchase was shown.")
    # inside policy: no "outside policy" warning; the amount alone sends it to a supervisor
    expect(main(page).get_by_text("Outside policy", exact=False)).to_have_count(0)

    form = main(page).get_by_test_id("stForm")
    form.get_by_role("textbox", name="Reason", exact=True).fill(REFUND_REASON)
    amount = form.get_by_role("spinbutton", name="Refund amount (¥), at most ¥899.00")
    amount.fill("899")
    amount.press("Tab")
    click(page, form.get_by_role("button", name="File request", exact=True))

    expect(main(page).get_by_role("heading", name=re.compile(r"^Request \d+$"))).to_be_visible()
    expect(metric_value(page, "Status")).to_have_text("Awaiting approval")
    expect(metric_value(page, "Type")).to_have_text("Refund")
    expect(metric_value(page, "Paid")).to_have_text("¥899.00")
    expect(metric_value(page, "Refunded so far")).to_have_text("¥0.00")
    expect(main(page).get_by_text("Refund ¥899.00 · Awaiting approval", exact=True)
           ).to_be_visible()
    request_id = int(re.search(r"[?&]request=(\d+)", page.url).group(1))
    expect(main(page).get_by_role("heading", name=f"Request {request_id}", exact=True)
           ).to_be_visible()

    req = refund_request(demo_app, day)
    assert req is not None and req.id == request_id
    assert (req.kind, req.status) == (AfterSalesKind.REFUND, AfterSalesStatus.AWAITING_APPROVAL)
    assert req.within_policy is True and req.needs_approval is True
    assert req.created_by_id == actor_of(demo_app, "agent").staff_id
    assert req.reason == REFUND_REASON
    with demo_app.uow().reader() as r:
        refunds = r.session.execute(sa.select(Refund.amount_cents, Refund.status)
                                    .where(Refund.request_id == request_id)).all()
        line = r.session.get(OrderLine, day.refund_line_id)
        assert line.refunded_cents == 0
    assert refunds == [(PAID_CENTS, RefundStatus.AWAITING_APPROVAL)]


# --- 2. ... and cannot approve it ------------------------------------------------------------------

def test_2_the_agent_who_filed_the_refund_cannot_approve_it(demo_app, page, new_context, day):
    request_id = ensure_refund_filed(demo_app, day)
    assert refund_request(demo_app, day).status == AfterSalesStatus.AWAITING_APPROVAL

    # no approval page: not in the menu, and its URL does not open it
    login_and_open(page, demo_app, "agent", "/approvals")
    titles = page.locator(NAV_LABEL).evaluate_all(
        "els => els.map(e => e.getAttribute('label'))")
    assert "After-sales" in titles and "After-sales approval" not in titles, titles
    expect(main(page).get_by_role("heading").first).to_be_visible()
    settle(page)
    expect(main(page).get_by_role("heading", name="After-sales approval", exact=True)
           ).to_have_count(0)
    expect(page.get_by_role("tab", name="Waiting for approval")).to_have_count(0)

    # the request itself: shown, but without a decision form
    open_app(page, demo_app.url, f"/aftersales?request={request_id}")
    expect(main(page).get_by_role("heading", name=f"Request {request_id}", exact=True)
           ).to_be_visible()
    expect(metric_value(page, "Status")).to_have_text("Awaiting approval")
    expect(main(page).get_by_text("You cannot decide this request", exact=False)
           ).to_be_visible()
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    expect(page.get_by_role("button", name="Reject")).to_have_count(0)

    # nor through the service
    agent = actor_of(demo_app, "agent")
    with pytest.raises(PermissionDenied):
        aftersales.decide_request(demo_app.uow(), agent, request_id, True,
                                  "I filed it myself and approve it.")
    assert refund_request(demo_app, day).status == AfterSalesStatus.AWAITING_APPROVAL
    assert audit_rows(demo_app, "after_sales_request", request_id, "request_approved") == []

    # the control: another supervisor, who did not file it, is offered the decision
    other = new_context().new_page()
    login_and_open(other, demo_app, "supervisor2", f"/approvals?request={request_id}")
    expect(main(other).get_by_role("heading", name=f"Request {request_id}", exact=True)
           ).to_be_visible()
    expect(other.get_by_role("button", name="Approve", exact=True)).to_be_visible()
    expect(main(other).get_by_text("You cannot decide this request", exact=False)
           ).to_have_count(0)
    assert refund_request(demo_app, day).status == AfterSalesStatus.AWAITING_APPROVAL


def test_2b_a_supervisor_who_filed_a_refund_cannot_approve_it_either(demo_app, page):
    """Four eyes whatever the roles: `supervisor2` may approve refunds, but not their own."""
    _set_threshold(demo_app, THRESHOLD_CENTS)
    tag = _letters()
    customer_id, name = _new_customer(demo_app, tag)
    _order, line_id = _delivered_order(
        demo_app, customer_id, tag + "s", sku=f"BS-{tag}", name=f"Blender {tag.title()}",
        category="kitchen", paid_cents=PAID_CENTS, days_ago=REFUND_DELIVERED_DAYS_AGO)
    own = actor_of(demo_app, "supervisor2")
    request_id = aftersales.open_request(
        demo_app.uow(), own, order_line_id=line_id, kind="refund", reason=REFUND_REASON,
        condition="defective", proof_of_purchase=True, refund_cents=PAID_CENTS)

    login_and_open(page, demo_app, "supervisor2", "/approvals")
    row = open_expander(page, f"#{request_id} · Refund · {name}")
    expect(row.get_by_text("Filed by Demo Supervisor2 on", exact=False)).to_be_visible()
    expect(row.get_by_text("You cannot decide this request", exact=False)).to_be_visible()
    expect(row.get_by_role("button", name="Approve")).to_have_count(0)
    open_app(page, demo_app.url, f"/approvals?request={request_id}")
    expect(metric_value(page, "Status")).to_have_text("Awaiting approval")
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)

    with pytest.raises(PermissionDenied, match="four-eyes"):
        aftersales.decide_request(demo_app.uow(), own, request_id, True, "My own request.")
    with demo_app.uow().reader() as r:
        assert r.session.get(AfterSalesRequest, request_id).status == \
            AfterSalesStatus.AWAITING_APPROVAL
    assert audit_rows(demo_app, "after_sales_request", request_id, "request_approved") == []


# --- 3. supervisor approves it with a reason -------------------------------------------------------

def test_3_supervisor_approves_the_refund_with_a_reason(demo_app, page, day):
    request_id = ensure_refund_filed(demo_app, day)
    assert refund_request(demo_app, day).status == AfterSalesStatus.AWAITING_APPROVAL
    login_and_open(page, demo_app, "supervisor", "/approvals")
    expect(main(page).get_by_role("heading", name="After-sales approval", exact=True)
           ).to_be_visible()
    expect(page.get_by_role("tab", name="Waiting for approval")).to_have_attribute(
        "aria-selected", "true")

    row = open_expander(page, f"#{request_id} · Refund · {day.customer_name}")
    expect(row.locator("summary")).to_contain_text(
        f"#{request_id} · Refund · {day.customer_name} · {day.refund_product} · ¥899.00")
    expect(row.get_by_text("Filed by Demo Agent on", exact=False)).to_be_visible()

    # without a reason nothing is decided
    click(page, row.get_by_role("button", name="Approve", exact=True))
    expect(main(page).get_by_test_id("stAlertContentError")).to_contain_text(
        "Reason is required.")
    assert refund_request(demo_app, day).status == AfterSalesStatus.AWAITING_APPROVAL

    row = open_expander(page, f"#{request_id} · Refund · {day.customer_name}")
    row.get_by_role("textbox", name="Reason for the decision", exact=True).fill(
        DECISION_REASON)
    click(page, row.get_by_role("button", name="Approve", exact=True))
    expect(expander(page, f"#{request_id} · ")).to_have_count(0)  # left the queue
    expect(main(page).get_by_test_id("stAlertContentError")).to_have_count(0)

    req = refund_request(demo_app, day)
    assert req.status == AfterSalesStatus.COMPLETED
    assert req.decided_by_id == actor_of(demo_app, "supervisor").staff_id
    assert req.decision_note == DECISION_REASON
    with demo_app.uow().reader() as r:
        refund = r.session.scalar(sa.select(Refund).where(Refund.request_id == request_id))
        line = r.session.get(OrderLine, day.refund_line_id)
        assert (refund.status, refund.amount_cents) == (RefundStatus.APPROVED, PAID_CENTS)
        assert refund.approved_by_id == req.decided_by_id
        assert line.refunded_cents == PAID_CENTS
    assert len(audit_rows(demo_app, "after_sales_request", request_id,
                          "request_approved")) == 1
    assert len(audit_rows(demo_app, "refund", refund.id, "refund_approved")) == 1

    # the request page tells who decided, and why
    open_app(page, demo_app.url, f"/approvals?request={request_id}")
    expect(metric_value(page, "Status")).to_have_text("Completed")
    expect(metric_value(page, "Refunded so far")).to_have_text("¥899.00")
    expect(main(page).get_by_text("Decided by Demo Supervisor on", exact=False)
           ).to_be_visible()
    expect(main(page).get_by_text(DECISION_REASON, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Approve", exact=True)).to_have_count(0)


# --- 4. technician: failed, then passed quality check, then the report -----------------------------

def test_4_technician_completes_the_repair_after_a_failed_quality_check(demo_app, page, day):
    assert job_row(demo_app, day).status == JobStatus.SCHEDULED
    job = f"#{day.job_id} · {day.customer_name} · {day.repair_product}"
    login_and_open(page, demo_app, "technician", "/jobs")
    expect(main(page).get_by_role("heading", name="My jobs", exact=True)).to_be_visible()

    box = open_expander(page, job)
    expect(box.locator("summary")).to_contain_text("Scheduled")
    click(page, box.get_by_role("button", name="Start work", exact=True))

    box = open_expander(page, job)
    expect(box.locator("summary")).to_contain_text("In progress")
    assert job_row(demo_app, day).status == JobStatus.IN_PROGRESS
    expect(box.get_by_text("The last quality check failed", exact=False)).to_have_count(0)
    box.get_by_role("textbox", name="What was checked", exact=True).fill(FAILED_CHECK)
    click(page, box.get_by_role("button", name="Quality check failed", exact=True))

    box = open_expander(page, job)
    expect(box.get_by_test_id("stAlertContentWarning")).to_have_text(
        "The last quality check failed: work on it again.")
    expect(box.locator("summary")).to_contain_text("In progress")  # back to work
    expect(box.get_by_role("button", name="Submit service report")).to_have_count(0)
    row = job_row(demo_app, day)
    assert (row.status, row.qc_passed, row.qc_checks) == (JobStatus.IN_PROGRESS, False,
                                                          FAILED_CHECK)

    box.get_by_role("textbox", name="What was checked", exact=True).fill(PASSED_CHECK)
    click(page, box.get_by_role("button", name="Quality check passed", exact=True))

    box = open_expander(page, job)
    expect(box.locator("summary")).to_contain_text("Quality check passed")
    report = box.get_by_test_id("stForm").filter(
        has=page.get_by_role("button", name="Submit service report"))
    expect(report).to_have_count(1)
    assert job_row(demo_app, day).qc_passed is True
    report.get_by_role("textbox", name="Work done", exact=True).fill(WORK_DONE)
    report.get_by_role("textbox", name="Parts used", exact=True).fill(PARTS)
    for label, value in (("Labour (minutes)", "95"), ("Material cost (¥)", "35.50"),
                         ("Transport cost (¥)", "20")):
        field = report.get_by_role("spinbutton", name=label, exact=True)
        field.fill(value)
        field.press("Tab")
    click(page, report.get_by_role("button", name="Submit service report", exact=True))
    expect(expander(page, f"#{day.job_id} · ")).to_have_count(0)  # done: off the list
    expect(main(page).get_by_test_id("stAlertContentError")).to_have_count(0)

    row = job_row(demo_app, day)
    assert row.status == JobStatus.DONE and row.qc_passed is True
    assert row.qc_checks == PASSED_CHECK
    with demo_app.uow().reader() as r:
        actions = list(r.session.scalars(sa.select(AuditEntry.action).where(
            AuditEntry.entity == "service_job", AuditEntry.entity_id == str(day.job_id))
            .order_by(AuditEntry.id)))
        req = r.session.get(AfterSalesRequest, day.repair_request_id)
        assert req.status == AfterSalesStatus.COMPLETED
    assert [a for a in actions if a.startswith(("job_started", "quality_check"))] == [
        "job_started", "quality_check_failed", "quality_check_passed"]
    rep = report_row(demo_app, day)
    assert (rep.work_done, rep.parts_used, rep.labour_minutes, rep.material_cost_cents,
            rep.transport_cost_cents) == (WORK_DONE, PARTS, 95, 3550, 2000)
    assert rep.review == ReportReview.PENDING
    assert rep.submitted_by_id == actor_of(demo_app, "technician").staff_id


# --- 5. supervisor accepts and archives the report -------------------------------------------------

def test_5_supervisor_accepts_and_archives_the_service_report(demo_app, page, day):
    report_id = ensure_report_submitted(demo_app, day)
    assert report_row(demo_app, day).review == ReportReview.PENDING
    title = f"#{report_id} · {day.customer_name} · {day.repair_product}"
    login_and_open(page, demo_app, "supervisor", "/approvals")
    click(page, main(page).get_by_role("tab", name="Reports to review", exact=True))

    box = open_expander(page, title)
    expect(box.locator("summary")).to_contain_text("Waiting for review")
    expect(box.get_by_text(WORK_DONE, exact=True)).to_be_visible()
    expect(box.get_by_text(f"Parts: {PARTS} · labour 95 min · material ¥35.50 · "
                           "transport ¥20.00", exact=True)).to_be_visible()
    expect(box.get_by_role("button", name="Archive")).to_have_count(0)  # not accepted yet
    box.get_by_role("textbox", name="Review note", exact=True).fill("Good work.")
    click(page, box.get_by_role("button", name="Accept", exact=True))

    tab = main(page).get_by_role("tab", name="Reports to review", exact=True)
    expect(expander(page, f"{title} · Accepted")).to_have_count(1)
    if tab.get_attribute("aria-selected") != "true":
        click(page, tab)
    box = open_expander(page, f"{title} · Accepted")
    assert report_row(demo_app, day).review == ReportReview.ACCEPTED
    click(page, box.get_by_role("button", name="Archive", exact=True))
    expect(expander(page, f"#{report_id} · ")).to_have_count(0)  # off the review list
    expect(main(page).get_by_test_id("stAlertContentError")).to_have_count(0)

    rep = report_row(demo_app, day)
    assert rep.review == ReportReview.ARCHIVED
    assert rep.reviewed_by_id == actor_of(demo_app, "supervisor").staff_id
    assert rep.review_note == "Good work."
    for action in ("report_accepted", "report_archived"):
        assert len(audit_rows(demo_app, "service_report", report_id, action)) == 1, action


# --- 6. the customer's history shows it all -------------------------------------------------------

def test_6_the_customers_history_shows_both_requests_and_the_follow_up(demo_app, page, day):
    refund_id = ensure_refund_approved(demo_app, day)
    ensure_report_archived(demo_app, day)
    with demo_app.uow().reader() as r:
        callbacks = r.session.execute(sa.select(Callback.id, Callback.request_id,
                                                Callback.purpose)
                                      .where(Callback.customer_id == day.customer_id)).all()
    # one open follow-up per customer: the first completion (the refund) scheduled it
    assert [(rid, p) for _i, rid, p in callbacks] == [
        (refund_id, CallbackPurpose.AFTER_SALES_FOLLOW_UP)], callbacks
    callback_id = callbacks[0][0]

    profile = customers.customer_profile(demo_app.uow(), actor_of(demo_app, "agent"),
                                         day.customer_id)
    entries = {(e.kind, e.ref_id): e for e in profile.timeline}
    assert (entries[("after_sales", refund_id)].title,
            entries[("after_sales", refund_id)].status) == ("refund", "completed")
    assert (entries[("after_sales", day.repair_request_id)].title,
            entries[("after_sales", day.repair_request_id)].status) == ("repair", "completed")
    assert entries[("callback", callback_id)].title == "after_sales_follow_up"
    assert {k for k, _i in entries} == {"after_sales", "callback"}

    login_and_open(page, demo_app, "agent", f"/customers?customer={day.customer_id}")
    expect(main(page).get_by_role("heading", name=f"#{day.customer_id}", exact=True)
           ).to_be_visible()
    history = main(page).get_by_role("tab", name="History", exact=True)
    expect(history).to_have_attribute("aria-selected", "true")
    panel = main(page).get_by_role("tabpanel", name="History")
    expect(panel.locator('[data-testid^="glide-cell-"]').filter(
        has_text="After-sales").first).to_be_attached()
    body = [set(row.values()) for row in grid_rows(panel)]
    seen = [sorted(cells) for cells in body]
    # labels, not stored codes
    assert any({"After-sales", str(refund_id), "Refund", "Completed"} <= t for t in body), \
        seen
    assert any({"After-sales", str(day.repair_request_id), "Repair", "Completed"} <= t
               for t in body), seen
    assert any({"Callback", str(callback_id), "After-sales follow-up", "Open"} <= t
               for t in body), seen
    assert len(body) == 3, seen

    # the money side: the blender's line shows the refund on the Orders tab
    click(page, main(page).get_by_role("tab", name="Orders (2)", exact=True))
    box = open_expander(page, f"{day.refund_order} · ")
    cells = box.locator('[data-testid^="glide-cell-"]')
    expect(cells.filter(has_text=day.refund_product).first).to_be_attached()
    expect(cells.filter(has_text="¥899.00")).to_have_count(2)  # paid and refunded
