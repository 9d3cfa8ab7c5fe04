"""An agent's day in a real browser: a call resolved on the spot, a complaint left open with
a due time, an order cancelled from a case, masked contact data for analysts, refused input,
and customer text that stays text. Checked on screen and through core."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from core import cases, sla
from core.vocabulary import Channel, OrderState
from db.models import Case, Order, OutboxMessage

from browser_helpers import actor_of, login_and_open, open_app, settle

pytestmark = pytest.mark.browser

FIND = "Find by phone, e-mail, name or order number"
RESOLVED_NOW = "Resolved now (first-contact resolution)"
NEXT_STEP = "Next step the customer was told (if not resolved)"


# --- helpers ------------------------------------------------------------------------------------

def main(page: Page):
    return page.get_by_test_id("stMain")


def choose(page: Page, label: str, option: str) -> None:
    """A Streamlit selectbox: open it, pick the option."""
    page.get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()


def search(page: Page, query: str) -> None:
    box = page.get_by_role("textbox", name=FIND, exact=True)
    box.fill(query)
    box.press("Enter")
    settle(page)


def result_row(page: Page, customer):
    """The search hit's row (text and button side by side)."""
    return page.get_by_test_id("stHorizontalBlock").filter(
        has_text=f"#{customer.id} · {customer.name}")


def select_on_intake(page: Page, customer, query: str) -> None:
    search(page, query)
    row = result_row(page, customer)
    expect(row).to_have_count(1)
    row.get_by_role("button", name="Select", exact=True).click()
    settle(page)
    expect(main(page).get_by_text(f"#{customer.id} · {customer.name}", exact=True)
           ).to_be_visible()
    expect(page.get_by_role("button", name="Record contact")).to_be_visible()


def record_contact(page: Page) -> None:
    page.get_by_role("button", name="Record contact", exact=True).click()
    settle(page)


def success_text(page: Page, pattern: str) -> re.Match:
    alert = page.get_by_test_id("stAlertContentSuccess")
    expect(alert).to_have_text(re.compile(pattern))
    return re.search(pattern, alert.inner_text())


def case_rows(server, customer_id: int) -> list[Case]:
    with server.uow().reader() as r:
        return list(r.session.scalars(sa.select(Case).where(Case.customer_id == customer_id)
                                      .order_by(Case.id)))


def metric(page: Page, title: str):
    return main(page).get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(title, exact=True))


def shop_time(server, utc) -> str:
    """A stored UTC time as the screens write it (ui.fmt.when)."""
    with server.uow().reader() as r:
        return sla.to_local(r.session, utc).strftime("%Y-%m-%d %H:%M")


def open_case_via_core(server, customer, **fields) -> int:
    values = dict(customer_id=customer.id, channel="phone", kind="inquiry",
                  category="other", subject="A question", question="A question",
                  next_step="We will call back", notify_customer=False)
    values.update(fields)
    return cases.open_case(server.uow(), actor_of(server, "agent"), **values).case_id


# --- a. a call resolved on the spot --------------------------------------------------------------

def test_a_phone_call_found_by_prefix_is_resolved_on_first_contact(demo_app, page,
                                                                     make_customer):
    customer = make_customer()
    login_and_open(page, demo_app, "agent", "/intake")
    expect(main(page).get_by_role("heading", name="Intake", exact=True)).to_be_visible()

    national = customer.phone.removeprefix("+86")
    select_on_intake(page, customer, national[:7])  # "1391234": a prefix, not the number

    page.get_by_role("textbox", name="Subject", exact=True).fill("Kettle descaling")
    page.get_by_role("textbox", name="What the customer asked", exact=True).fill(
        "How do I descale the kettle?")
    page.get_by_role("textbox", name="Answer given", exact=True).fill(
        "Boil water with a spoon of citric acid, then rinse twice.")
    page.get_by_text(RESOLVED_NOW, exact=True).click()
    expect(page.get_by_role("checkbox", name=RESOLVED_NOW)).to_be_checked()
    record_contact(page)

    case_id = int(success_text(
        page, r"^Case (\d+) recorded and resolved on first contact\.$").group(1))
    view = cases.get_case(demo_app.uow(), actor_of(demo_app, "agent"), case_id)
    assert view.customer_id == customer.id
    assert view.subject == "Kettle descaling"
    assert view.status.value == "resolved"
    assert view.first_contact_resolution is True
    assert view.channel == Channel.PHONE
    assert view.resolved_at is not None


# --- b. a complaint stays open with a due time ---------------------------------------------------

def test_a_second_contact_becomes_an_open_complaint_with_a_due_time(demo_app, page,
                                                                    make_customer):
    customer = make_customer()
    first = open_case_via_core(demo_app, customer, subject="Delivery date", resolved_now=True,
                               answer="Friday.")
    login_and_open(page, demo_app, "agent", "/intake")
    select_on_intake(page, customer, customer.phone)

    choose(page, "Kind", "Complaint")
    choose(page, "Category", "Delivery")
    page.get_by_role("textbox", name="Subject", exact=True).fill("Kettle arrived dented")
    page.get_by_role("textbox", name="What the customer asked", exact=True).fill(
        "The kettle came with a dent in the side. I want a new one.")
    page.get_by_role("textbox", name="Answer given", exact=True).fill(
        "Sorry about that; we will check with the warehouse.")
    page.get_by_role("textbox", name=NEXT_STEP, exact=True).fill(
        "We check with the warehouse and call back with a replacement date.")
    expect(page.get_by_role("checkbox", name=RESOLVED_NOW)).not_to_be_checked()
    record_contact(page)

    found = success_text(page, r"^Case (\d+) is open\. Tell the customer they will hear from "
                               r"us by (\d{4}-\d{2}-\d{2} \d{2}:\d{2})\.$")
    case_id, promised = int(found.group(1)), found.group(2)
    assert case_id != first
    view = cases.get_case(demo_app.uow(), actor_of(demo_app, "agent"), case_id)
    assert (view.customer_id, view.kind.value, view.status.value) == (customer.id,
                                                                       "complaint", "open")
    assert view.first_contact_resolution is False
    assert view.next_step.startswith("We check with the warehouse")
    assert view.resolution_due_at is not None
    assert promised == shop_time(demo_app, view.resolution_due_at)

    open_app(page, demo_app.url, f"/cases?case={case_id}")
    expect(main(page).get_by_role("heading", name=re.compile(
        rf"^#{case_id} · Kettle arrived dented"))).to_be_visible()
    expect(metric(page, "Status").get_by_test_id("stMetricValue")).to_have_text("Open")
    resolution = metric(page, "Resolution")
    expect(resolution.get_by_test_id("stMetricValue")).to_have_text("On track")
    expect(resolution.get_by_test_id("stMetricDelta")).to_have_text(
        re.compile(r"^\d+ (d \d+ h|h \d+ min|min) left$"))
    # the exact due time is in the metric's help
    resolution.get_by_test_id("stTooltipHoverTarget").hover()
    expect(page.get_by_test_id("stTooltipContent")).to_have_text(f"Due {promised}")


# --- c. an order cancelled from a case -----------------------------------------------------------

def test_the_agent_cancels_an_order_from_a_case_and_the_customer_is_told(demo_app, page,
                                                                         make_customer):
    customer = make_customer()
    case_id = open_case_via_core(demo_app, customer, kind="order_request",
                                 category="order_change", subject="Cancel my kettle",
                                 question="Please cancel the kettle order.",
                                 order_id=customer.order_id)
    login_and_open(page, demo_app, "agent", f"/cases?case={case_id}")
    expect(main(page).get_by_role("heading", name=f"#{case_id} · Cancel my kettle",
                                  exact=True)).to_be_visible()
    outbox_heading = main(page).get_by_role("heading", name="Messages to the customer")
    expect(outbox_heading).to_have_count(0)  # nothing sent yet (no acknowledgement asked)

    main(page).get_by_role("tab", name="Orders", exact=True).click()
    order = main(page).get_by_test_id("stExpander").filter(has_text=customer.order_number)
    order.get_by_text(f"{customer.order_number} · Confirmed", exact=False).click()
    order.get_by_role("textbox", name="Reason for cancelling", exact=True).fill(
        "Found it cheaper in a store.")
    order.get_by_role("button", name="Cancel order", exact=True).click()
    settle(page)

    expect(page.get_by_test_id("stAlertContentSuccess")).to_have_text(
        "Order cancelled; the customer is told.")
    with demo_app.uow().reader() as r:
        assert r.session.get(Order, customer.order_id).state == OrderState.CANCELLED
        sent = r.session.execute(sa.select(OutboxMessage.template_key, OutboxMessage.subject,
                                           OutboxMessage.to_address)
                                 .where(OutboxMessage.case_id == case_id)).all()
    assert [(key, to) for key, _s, to in sent] == [("order_cancellation", customer.email)]
    subject = sent[0][1]
    assert customer.order_number in subject

    expect(outbox_heading).to_be_visible()
    # the outbox table is a canvas; its cells are mirrored in hidden elements
    cells = main(page).locator('[data-testid^="glide-cell-"]')
    expect(cells.filter(has_text=subject).first).to_be_attached()
    expect(cells.filter(has_text=customer.email).first).to_be_attached()


# --- d. masked for the analyst -------------------------------------------------------------------

def _open_customer(page: Page, customer) -> None:
    search(page, customer.name)
    row = result_row(page, customer)
    expect(row).to_have_count(1)
    row.get_by_role("button", name="Open customer", exact=True).click()
    settle(page)
    expect(main(page).get_by_role("heading", name=f"#{customer.id}", exact=True)
           ).to_be_visible()


def _squeezed(text: str) -> str:
    return re.sub(r"[\s\-().]", "", text)


def test_the_analyst_sees_the_phone_masked_and_the_agent_sees_it_whole(demo_app, page,
                                                                       new_context,
                                                                       make_customer):
    customer = make_customer(phone="+8613912345678")
    login_and_open(page, demo_app, "analyst", "/customers")
    _open_customer(page, customer)
    expect(metric(page, "Phone").get_by_test_id("stMetricValue")).to_have_text(
        "+86 139****5678")
    expect(metric(page, "E-mail").get_by_test_id("stMetricValue")).to_have_text(
        "m***@example.com")
    expect(main(page).get_by_text("Contact data is masked for your role.")).to_be_visible()
    settle(page)
    content = _squeezed(page.content())
    assert "13912345678" not in content
    assert customer.email not in page.content()

    agent = new_context().new_page()
    login_and_open(agent, demo_app, "agent", "/customers")
    _open_customer(agent, customer)
    phone = metric(agent, "Phone").get_by_test_id("stMetricValue")
    expect(phone).to_have_text(re.compile(r"^\+86[\s\d]+$"))
    assert _squeezed(phone.inner_text()) == "+8613912345678"
    expect(metric(agent, "E-mail").get_by_test_id("stMetricValue")).to_have_text(
        customer.email)


# --- e. bad input ----------------------------------------------------------------------------------

def test_an_empty_subject_is_refused_clearly_and_nothing_is_written(demo_app, page,
                                                                    make_customer):
    customer = make_customer()
    login_and_open(page, demo_app, "agent", "/intake")
    select_on_intake(page, customer, customer.email)
    assert case_rows(demo_app, customer.id) == []

    page.get_by_role("textbox", name="What the customer asked", exact=True).fill(
        "Is the kettle in stock?")
    page.get_by_role("textbox", name="Answer given", exact=True).fill("Yes.")
    page.get_by_text(RESOLVED_NOW, exact=True).click()
    record_contact(page)

    expect(page.get_by_test_id("stAlertContentError")).to_have_text("Subject is required.")
    expect(page.get_by_test_id("stAlertContentSuccess")).to_have_count(0)
    assert case_rows(demo_app, customer.id) == []
    # the form is still there with what was typed, to correct and send again
    expect(page.get_by_role("textbox", name="What the customer asked", exact=True)
           ).to_have_value("Is the kettle in stock?")


# --- f. customer text stays text -------------------------------------------------------------------

IMG = '<img src=x onerror="window.__xss=1">'
SCRIPT = "<script>window.__xss=2</script>"


def test_a_script_in_a_case_stays_inert_text(demo_app, page, make_customer):
    customer = make_customer()
    case_id = open_case_via_core(demo_app, customer, subject=IMG, question=SCRIPT)
    login_and_open(page, demo_app, "agent", f"/cases?case={case_id}")

    expect(main(page).get_by_role("heading", name=f"#{case_id} · {IMG}", exact=True)
           ).to_be_visible()
    expect(main(page).get_by_text(SCRIPT, exact=True).first).to_be_visible()
    page.wait_for_timeout(500)  # time for an injected handler to have run
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator("script", has_text="window.__xss").count() == 0
