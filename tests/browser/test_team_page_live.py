"""The Team page in a real browser: a supervisor sees the team's figures, and when an agent
escalates a case (through core, while the page stays open) the page shows it by itself,
without a click, within its refresh interval (3 s on this test server, 30 s by default).
A row's link opens the case."""
from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from core import cases
from core.clock import utcnow
from core.vocabulary import CaseCategory, CaseKind, CaseStatus, Channel, Priority
from db.models import Case, Customer

from browser_helpers import actor_of, login_and_open, settle

pytestmark = pytest.mark.browser

REFRESH_SECONDS = 3  # CAREDESK_TEAM_REFRESH_SECONDS of the team_app server
MIN, HOUR = timedelta(minutes=1), timedelta(hours=1)


def main(page: Page):
    return page.get_by_test_id("stMain")


def metric(page: Page, title: str):
    return main(page).get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(title, exact=True)
    ).get_by_test_id("stMetricValue")


def tables(page: Page):
    return main(page).get_by_test_id("stDataFrame")


def segment(page: Page, option: re.Pattern | str):
    """One option of the st.segmented_control choosing which cases are listed."""
    return main(page).get_by_role("radiogroup", name="Cases", exact=True).get_by_role(
        "radio", name=option)


def click(page: Page, locator) -> None:
    locator.click()
    settle(page)


def grid(frame, showing: str | None = None) -> list[dict[str, str]]:
    """The rows of an st.dataframe (drawn on a canvas; its cells are also in a hidden table,
    data-testid glide-cell-<column>-<row>), as column title -> text; once a cell shows
    `showing`, if given (the table is redrawn after the run that changed it)."""
    cells = frame.locator('[data-testid^="glide-cell-"]')
    expect((cells.filter(has_text=showing) if showing else cells).first).to_be_attached()
    titles = frame.locator("table thead th").evaluate_all(
        "els => els.map(e => [Number(e.getAttribute('aria-colindex')), e.textContent.trim()])")
    cells = frame.locator('[data-testid^="glide-cell-"]').evaluate_all(
        "els => els.map(e => [e.getAttribute('data-testid'), e.textContent.trim()])")
    found = [(int(m.group(1)), int(m.group(2)), text) for testid, text in cells
             if (m := re.fullmatch(r"glide-cell-(\d+)-(\d+)", testid))]
    # the n-th column of cells is the n-th title (no row-selection column here)
    names = dict(zip(sorted({c for c, _, _ in found}), [t for _, t in sorted(titles)]))
    rows: dict[int, dict[str, str]] = {}
    for column, row, text in found:
        rows.setdefault(row, {})[names[column]] = text
    return [rows[k] for k in sorted(rows)]


def eventually(read, want: str = "1", seconds: float = 5.0):
    """What `read()` gives once it gives `want` (or when time is up): a redrawn table's
    hidden cells follow the metric above it by a moment."""
    deadline = time.monotonic() + seconds
    while (got := read()) != want and time.monotonic() < deadline:
        time.sleep(0.2)
    return got


def add_case(server, owner: str | None, subject: str, resolution_due: timedelta) -> int:
    """An open e-mail case answered at intake, its resolution due `resolution_due` from now."""
    uow = server.uow()
    now = utcnow()
    with uow:
        customer = Customer(name=f"Zhou *{subject}*", language="en")
        uow.session.add(customer)
        uow.flush()
        case = Case(kind=CaseKind.INQUIRY, channel=Channel.EMAIL,
                    category=CaseCategory.DELIVERY, priority=Priority.NORMAL,
                    status=CaseStatus.OPEN, customer_id=customer.id,
                    owner_id=actor_of(server, owner).staff_id if owner else None,
                    subject=subject, question="Where is it?", answer="We asked the carrier.",
                    created_at=now - 2 * HOUR, first_response_at=now - HOUR,
                    first_response_due_at=now - 30 * MIN,
                    resolution_due_at=now + resolution_due)
        uow.session.add(case)
        uow.commit()
        return case.id


@pytest.fixture(scope="module")
def team_queue(team_app) -> dict[str, int]:
    """agent: on track, about to breach, breached; agent2: on track, breached; unassigned:
    on track. Nothing escalated yet."""
    return {
        "calm": add_case(team_app, "agent", "Parcel on its way", 5 * HOUR),
        "soon": add_case(team_app, "agent", "Refund question due soon", 30 * MIN),
        "late": add_case(team_app, "agent", "Late answer about a kettle", -HOUR),
        "calm2": add_case(team_app, "agent2", "Invoice copy", 6 * HOUR),
        "late2": add_case(team_app, "agent2", "Late delivery slot", -2 * HOUR),
        "nobody": add_case(team_app, None, "Nobody's question", 8 * HOUR),
    }


def test_supervisor_watches_the_team_and_the_page_updates_itself(team_app, team_queue,
                                                                   page: Page):
    login_and_open(page, team_app, "supervisor", "/team")
    expect(main(page).get_by_role("heading", name="Team")).to_be_visible()
    expect(main(page).get_by_text(
        re.compile(rf"Updated \d\d:\d\d:\d\d, refreshes every {REFRESH_SECONDS} s"))
    ).to_be_visible()
    expect(page.get_by_role("button", name="Refresh now")).to_be_visible()
    expect(metric(page, "Open cases")).to_have_text("6")
    expect(metric(page, "About to breach")).to_have_text("1")
    expect(metric(page, "Breached")).to_have_text("2")
    expect(metric(page, "Escalations waiting")).to_have_text("0")

    # the chart of each agent's queue, and the table behind it
    expect(main(page).get_by_test_id("stVegaLiteChart")).to_have_count(1)
    agents = {row["Agent"]: row for row in grid(tables(page).first)}
    assert {k: (v["Open"], v["On track"], v["About to breach"], v["Breached"],
                v["Escalated"]) for k, v in agents.items()} == {
        "Demo Agent": ("3", "1", "1", "1", "0"), "Demo Agent2": ("2", "1", "0", "1", "0"),
        "Demo Supervisor": ("0", "0", "0", "0", "0"),
        "Demo Supervisor2": ("0", "0", "0", "0", "0"),
        "Unassigned": ("1", "1", "0", "0", "0")}

    # about to breach, then the breached cases (most overdue first), each linking to its case
    rows = grid(tables(page).nth(1), "Refund question due soon")
    assert [(r["Case"], r["Subject"]) for r in rows] == [
        (f"cases?case={team_queue['soon']}", "Refund question due soon")]
    click(page, segment(page, "Breached (2)"))
    expect(segment(page, "Breached (2)")).to_have_attribute("aria-checked", "true")
    rows = grid(tables(page).nth(1), "Late delivery slot")
    assert [(r["Case"], r["Subject"], r["Owner"]) for r in rows] == [
        (f"cases?case={team_queue['late2']}", "Late delivery slot", "Demo Agent2"),
        (f"cases?case={team_queue['late']}", "Late answer about a kettle", "Demo Agent")]
    assert rows[0]["Customer"] == "Zhou *Late delivery slot*"  # text, not markdown
    expect(segment(page, "Escalations waiting (0)")).to_be_visible()

    # an agent escalates a case while the supervisor only watches: no click from here on
    agent = actor_of(team_app, "agent")
    version = cases.get_case(team_app.uow(), agent, team_queue["calm"]).version
    escalated_at = time.monotonic()
    cases.escalate(team_app.uow(), agent, team_queue["calm"], "Customer asks for a manager",
                   version)
    expect(metric(page, "Escalations waiting")).to_have_text(
        "1", timeout=(REFRESH_SECONDS + 5) * 1000)
    took = time.monotonic() - escalated_at
    assert took < REFRESH_SECONDS + 5, took
    expect(segment(page, "Escalations waiting (1)")).to_be_visible()
    # the list the supervisor chose stays chosen while its neighbour's count changes
    expect(segment(page, "Breached (2)")).to_have_attribute("aria-checked", "true")
    assert eventually(lambda: {r["Agent"]: r["Escalated"] for r in grid(tables(page).first)}
                      ["Demo Agent"]) == "1"

    click(page, segment(page, "Escalations waiting (1)"))
    escalations = grid(tables(page).nth(1), "Parcel on its way")
    assert [(r["Case"], r["Subject"], r["Owner"]) for r in escalations] == [
        (f"cases?case={team_queue['calm']}", "Parcel on its way", "Demo Agent")]


def test_a_row_opens_its_case(team_app, team_queue, page: Page):
    """The case column is a link (cases?case=N); a click opens the case in a new tab, so
    that the team's figures stay on screen."""
    login_and_open(page, team_app, "supervisor", "/team")
    click(page, segment(page, re.compile(r"^Breached \(\d+\)$")))
    frame = tables(page).nth(1)
    assert grid(frame, "Late delivery slot")[0]["Case"] == f"cases?case={team_queue['late2']}"
    frame.scroll_into_view_if_needed()
    box = frame.bounding_box()
    # the first row's link text (header row 35 px, then half a row; 8 px cell padding)
    x, y = box["x"] + 13, box["y"] + 36 + 17
    page.mouse.move(x, y)
    with page.context.expect_page() as opened:
        page.mouse.click(x, y)
    case_page = opened.value
    case_page.wait_for_load_state()
    expect(case_page).to_have_url(f"{team_app.url}/cases?case={team_queue['late2']}")
    settle(case_page)
    expect(case_page.get_by_test_id("stMain").get_by_text("Late delivery slot").first
           ).to_be_visible()
    expect(page).to_have_url(f"{team_app.url}/team")
