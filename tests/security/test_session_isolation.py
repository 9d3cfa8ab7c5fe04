"""Sessions: two people at once, and one browser tab handed from one person to the next.

Driven in Chromium against the shared demo server. What a person leaves behind while working
is of two kinds: what the server keeps for their Streamlit session (the customer selected on
Intake, a search typed in the case queue, the page's query parameters) and what the browser
shows (identity, menu, the record open). Neither may reach anybody else.
"""
from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect

from core import cases

from browser_helpers import NAV_LABEL, NAV_LINK, actor_of, login, settle, submit_login

pytestmark = [pytest.mark.casebook("Sessions"), pytest.mark.browser]

FIND = "Find by phone, e-mail, name or order number"
QUEUE_SEARCH = "Search subject or case number"
CELL = '[data-testid^="glide-cell-"]'
# pages only a supervisor has (next to what agents have too)
SUPERVISOR_ONLY = ["Complaint review", "After-sales approval", "Team", "Analytics", "Reports",
                   "Staffing planner", "Exports", "Audit log"]


def main(page: Page):
    return page.get_by_test_id("stMain")


def sidebar(page: Page):
    return page.get_by_test_id("stSidebar")


def identity(server, username: str) -> str:
    return f"{server.staff[username][0]} ({username})"


def nav_titles(page: Page) -> set[str]:
    more = page.get_by_test_id("stSidebarNavViewButton")
    if more.count() and "more" in more.inner_text():
        more.click()
    return set(page.locator(NAV_LABEL).evaluate_all(
        "els => els.map(e => e.getAttribute('label'))"))


def go(page: Page, title: str) -> None:
    page.locator(f'{NAV_LINK} span[label="{title}"]').click()
    settle(page)


def select_customer(page: Page, customer) -> None:
    box = page.get_by_role("textbox", name=FIND, exact=True)
    box.fill(customer.phone)
    box.press("Enter")
    settle(page)
    row = page.get_by_test_id("stHorizontalBlock").filter(
        has_text=f"#{customer.id} · {customer.name}")
    row.get_by_role("button", name="Select", exact=True).click()
    settle(page)
    expect(selected(page, customer)).to_be_visible()


def selected(page: Page, customer):
    """The line Intake shows for the customer on the line."""
    return main(page).get_by_text(f"#{customer.id} · {customer.name}", exact=True)


def search_queue(page: Page, text: str) -> None:
    box = main(page).get_by_role("textbox", name=QUEUE_SEARCH, exact=True)
    box.fill(text)
    box.press("Enter")
    settle(page)


def open_case(server, username: str, customer, subject: str) -> int:
    return cases.open_case(
        server.uow(), actor_of(server, username), customer_id=customer.id, channel="phone",
        kind="inquiry", category="usage", subject=subject, question="A question.",
        next_step="We call back.", owner="me", notify_customer=False).case_id


def queue_cells(page: Page):
    return main(page).locator(CELL)


def test_two_people_working_at_once_never_see_each_other(demo_app, new_context,
                                                          make_customer, tried):
    """Two people logged in at the same time in two browsers never see each other's identity,
    menu, selected customer, search or cases."""
    tag = secrets.token_hex(3)
    people = {"agent": make_customer(), "supervisor": make_customer()}
    subjects = {who: f"Only for {who} {tag}" for who in people}
    for who, customer in people.items():
        open_case(demo_app, who, customer, subjects[who])
    pages = {who: new_context().new_page() for who in people}
    for who, page in pages.items():
        login(page, demo_app, who)
    other = {"agent": "supervisor", "supervisor": "agent"}

    # turn by turn, each selects their customer on Intake while the other is logged in
    for who, page in pages.items():
        go(page, "Intake")
        expect(selected(page, people[other[who]])).to_have_count(0)
        select_customer(page, people[who])
    # and each searches their own queue for their own case
    for who, page in pages.items():
        go(page, "Cases")
        search_queue(page, tag)
        expect(queue_cells(page).filter(has_text=subjects[who])).to_have_count(1)

    for who, page in pages.items():
        theirs = other[who]
        expect(sidebar(page).get_by_text(identity(demo_app, who), exact=True)).to_be_visible()
        expect(page.get_by_text(identity(demo_app, theirs))).to_have_count(0)
        expect(queue_cells(page).filter(has_text=subjects[theirs])).to_have_count(0)
        go(page, "Intake")
        expect(selected(page, people[who])).to_be_visible()
        expect(selected(page, people[theirs])).to_have_count(0)
    assert not set(SUPERVISOR_ONLY) & nav_titles(pages["agent"])
    assert set(SUPERVISOR_ONLY) <= nav_titles(pages["supervisor"])
    tried(2)


def test_logout_then_login_as_someone_else_leaves_nothing_of_the_first(demo_app, page,
                                                                       make_customer, tried):
    """After a logout, the next person logging in in the same tab sees nothing of the first:
    not their identity, menu, open record, query parameters, selected customer or search."""
    tag = secrets.token_hex(3)
    customer = make_customer()
    subject = f"Supervisor's own case {tag}"
    case_id = open_case(demo_app, "supervisor2", customer, subject)

    # the first person: a customer selected on Intake, a queue search, then a case opened by
    # its number: they log out with the case on screen and ?case=... in the address bar
    login(page, demo_app, "supervisor2")
    go(page, "Intake")
    select_customer(page, customer)
    go(page, "Cases")
    search_queue(page, f"search of supervisor2 {tag}")
    main(page).get_by_role("spinbutton", name="Open case number").fill(str(case_id))
    main(page).get_by_role("button", name="Open case", exact=True).click()
    settle(page)
    expect(main(page).get_by_text(subject)).to_be_visible()
    assert parse_qs(urlparse(page.url).query).get("case") == [str(case_id)]
    page.get_by_role("button", name="Log out").click()
    settle(page)

    # the next person, in the same tab
    submit_login(page, "agent2", demo_app.staff["agent2"][1])
    expect(sidebar(page).get_by_text(identity(demo_app, "agent2"), exact=True)).to_be_visible()
    settle(page)
    traces = {
        "identity": page.get_by_text(identity(demo_app, "supervisor2")),
        "first name": page.get_by_text(demo_app.staff["supervisor2"][0]),
        "open case": main(page).get_by_text(subject),
    }
    for name, trace in traces.items():
        expect(trace, name).to_have_count(0)
    assert "case" not in parse_qs(urlparse(page.url).query), page.url
    assert not set(SUPERVISOR_ONLY) & nav_titles(page)
    go(page, "Intake")
    expect(selected(page, customer)).to_have_count(0)
    expect(page.get_by_role("textbox", name=FIND, exact=True)).to_have_value("")
    go(page, "Cases")
    expect(main(page).get_by_role("textbox", name=QUEUE_SEARCH, exact=True)).to_have_value("")
    expect(main(page).get_by_text(subject)).to_have_count(0)
    expect(queue_cells(page).filter(has_text=subject)).to_have_count(0)
    tried(2)
