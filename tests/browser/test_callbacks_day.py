"""A follow-up call in a real browser: `agent` resolved a case for a new customer, the rule
scheduled the follow-up, and it is due now. The agent finds it in the callback queue, claims
it, logs "no answer" (the next try is due later), then reaches the customer, who scores 2 and
says the problem is not solved: the case is back in the agent's queue, open and escalated.
Checked on screen and in the database."""
from __future__ import annotations

import re
from datetime import datetime

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from core import callback_rules, callbacks, cases, sla
from core.clock import utcnow
from core.vocabulary import (CallbackPurpose, CallbackStatus, CallOutcome, CaseStatus)
from db.models import CallAttempt, Callback, Case, SurveyAnswer

from browser_helpers import actor_of, login_and_open, open_app, settle

pytestmark = pytest.mark.browser

WIDE = {"width": 2200, "height": 1400}   # every column of the case queue on screen
SUBJECT = "Kettle lid does not close"
FIRST_NOTE = "Rang eight times, no voicemail."
COMMENT = "The lid still springs open when the water boils."
SATISFACTION = "Satisfaction (1 = very unhappy, 5 = very happy)"
SOLVED = "Is the problem solved?"
HEADER_PX = ROW_PX = 35           # st.dataframe's header and row height
VISIBLE_ROWS = 9                  # rows the queue shows without scrolling (400 px high)


# --- data through core ----------------------------------------------------------------------------

def follow_up_due_now(server, customer) -> tuple[int, int]:
    """A case `agent` resolved on first contact; the case_resolved rule schedules its
    follow-up a few business days ahead, which the agent then moves to now (core's
    reschedule, as the page's "Move the call" does). Returns (case id, callback id)."""
    agent = actor_of(server, "agent")
    case_id = cases.open_case(
        server.uow(), agent, customer_id=customer.id, channel="phone", kind="inquiry",
        category="usage", subject=SUBJECT, question="The kettle's lid springs open.",
        answer="Press the hinge until it clicks; it then stays shut.", resolved_now=True,
        notify_customer=False).case_id
    with server.uow().reader() as r:
        found = r.session.scalars(sa.select(Callback).where(Callback.case_id == case_id)).all()
    assert len(found) == 1, found
    callback = found[0]
    assert (callback.purpose, callback.status) == (CallbackPurpose.FOLLOW_UP,
                                                   CallbackStatus.OPEN)
    assert callback.due_at > utcnow()          # the rule's business days ahead
    callbacks.reschedule(server.uow(), agent, callback.id, utcnow(), callback.version)
    return case_id, callback.id


def callback_row(server, callback_id: int) -> Callback:
    with server.uow().reader() as r:
        return r.session.get(Callback, callback_id)


def shop_time(server, utc: datetime) -> str:
    """A stored UTC time as the screens write it (ui.fmt.when)."""
    with server.uow().reader() as r:
        return sla.to_local(r.session, utc).strftime("%Y-%m-%d %H:%M")


def bucket_of(server, due_at: datetime) -> str:
    """'Due today' for a call due today in the shop's time zone; a call made due just before
    the shop's midnight is 'Overdue' once the day has turned."""
    with server.uow().reader() as r:
        same_day = sla.to_local(r.session, due_at).date() == \
            sla.to_local(r.session, utcnow()).date()
    return "Due today" if same_day else "Overdue"


# --- browser helpers ------------------------------------------------------------------------------

def main(page: Page):
    return page.get_by_test_id("stMain")


def click(page: Page, locator) -> None:
    locator.click()
    settle(page)


def segment(page: Page, group: str, option):
    """One option of a st.segmented_control (a radiogroup of buttons)."""
    return main(page).get_by_role("radiogroup", name=group, exact=True).get_by_role(
        "radio", name=option)


def choose_in_radio(page: Page, group: str, option: str) -> None:
    """A st.radio option: its label is clicked, as a person would."""
    main(page).get_by_role("radiogroup", name=group, exact=True).get_by_text(
        option, exact=True).click()


def grid(container) -> list[dict[str, str]]:
    """The rows of the one dataframe in `container`, as column title -> text. The table is a
    canvas; Streamlit mirrors it in a hidden table (headers with aria-colindex, cells with
    data-testid glide-cell-<column>-<row>)."""
    frame = container.get_by_test_id("stDataFrame")
    expect(frame).to_have_count(1)
    expect(frame.locator('[data-testid^="glide-cell-"]').first).to_be_attached()
    titles = dict(frame.locator("table thead th").evaluate_all(
        "els => els.map(e => [e.getAttribute('aria-colindex'), e.textContent.trim()])"))
    cells = frame.locator('[data-testid^="glide-cell-"]').evaluate_all(
        "els => els.map(e => [e.getAttribute('data-testid'), e.textContent.trim()])")
    rows: dict[int, dict[str, str]] = {}
    for testid, text in cells:
        m = re.fullmatch(r"glide-cell-(\d+)-(\d+)", testid)
        if m and m.group(1) in titles:
            rows.setdefault(int(m.group(2)), {})[titles[m.group(1)]] = text
    return [rows[k] for k in sorted(rows)]


def select_row(page: Page, index: int) -> None:
    """Ticks a row of the (single-row selection) dataframe: its checkbox is drawn on the
    canvas, left of the first column."""
    assert index < VISIBLE_ROWS, f"row {index} is not on screen without scrolling"
    frame = main(page).get_by_test_id("stDataFrame")
    frame.scroll_into_view_if_needed()
    box = frame.bounding_box()
    page.mouse.click(box["x"] + 16, box["y"] + HEADER_PX + ROW_PX * index + ROW_PX / 2)
    settle(page)


def outcome(page: Page, name: str) -> None:
    """Picks the call's outcome. The picker starts empty for every attempt (it is keyed by
    the attempt count); a click on the previous attempt's picker, still on screen while the
    rerun draws the new one, would be lost: wait for the empty one."""
    group = main(page).get_by_role("radiogroup", name="How did the call go?", exact=True)
    expect(group.get_by_role("radio", checked=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Log the call")).to_have_count(0)
    settle(page)
    click(page, segment(page, "How did the call go?", name))
    expect(segment(page, "How did the call go?", name)).to_have_attribute("aria-checked",
                                                                         "true")
    expect(page.get_by_role("button", name="Log the call", exact=True)).to_be_visible()


def successes(page: Page):
    return main(page).get_by_test_id("stAlertContentSuccess")


def attempt_lines(page: Page):
    """The lines under "Calls so far": 'YYYY-MM-DD HH:MM · who · outcome[ — note]'."""
    return main(page).get_by_test_id("stText").filter(
        has_text=re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2} · "))


# --- the test -------------------------------------------------------------------------------------

def test_an_agent_works_a_follow_up_from_no_answer_to_not_solved(demo_app, new_context,
                                                                  make_customer):
    customer = make_customer()
    case_id, callback_id = follow_up_due_now(demo_app, customer)
    agent = actor_of(demo_app, "agent")
    with demo_app.uow().reader() as r:
        limit = callback_rules.max_attempts(r)

    page = new_context(viewport=WIDE).new_page()
    login_and_open(page, demo_app, "agent", "/callbacks")
    expect(main(page).get_by_role("heading", name="Callbacks", exact=True)).to_be_visible()
    expect(segment(page, "Calls of", "Whole team")).to_have_attribute("aria-checked", "true")

    # the follow-up is in today's list (or overdue, if the shop's day turned meanwhile)
    bucket = segment(page, "Due", re.compile(
        "^" + bucket_of(demo_app, callback_row(demo_app, callback_id).due_at) + r" \(\d+\)$"))
    if bucket.get_attribute("aria-checked") != "true":
        click(page, bucket)
    expect(bucket).to_have_attribute("aria-checked", "true")
    expect(main(page).get_by_test_id("stDataFrame").locator(
        '[data-testid^="glide-cell-"]').filter(has_text=customer.name)).to_have_count(1)
    rows = grid(main(page))
    index = next(i for i, row in enumerate(rows) if row["Customer"] == customer.name)
    row = rows[index]
    assert (row["Purpose"], row["Tier"], row["Calls"], row["Claimed by"]) == (
        "Follow-up after a case", "Regular", "0", "—"), row
    assert row["About"] == f"#{case_id} · {SUBJECT}", row
    assert re.sub(r"\D", "", row["Phone"]) == re.sub(r"\D", "", customer.phone), row

    # picking the row opens the call below the list
    select_row(page, index)
    expect(page).to_have_url(re.compile(rf"[?&]callback={callback_id}(&|$)"))
    expect(main(page).get_by_role("heading", name=f"#{callback_id} · {customer.name}",
                                  exact=True)).to_be_visible()
    expect(main(page).get_by_role("link", name=f"#{case_id} · {SUBJECT}")).to_be_visible()
    expect(main(page).get_by_text("Resolved · Owner: Demo Agent", exact=True)).to_be_visible()
    expect(main(page).get_by_text("No call yet.", exact=True)).to_be_visible()

    # claim it
    click(page, main(page).get_by_role("button", name="Claim", exact=True))
    expect(successes(page)).to_have_text(
        "The call is yours: nobody else will ring this customer.")
    expect(main(page).get_by_text(f"Claimed by Demo Agent · Customer #{customer.id}",
                                  exact=True)).to_be_visible()
    expect(main(page).get_by_role("button", name="Release", exact=True)).to_be_visible()
    assert callback_row(demo_app, callback_id).claimed_by_id == agent.staff_id

    # first call: no answer -> tried again later
    outcome(page, "No answer")
    main(page).get_by_role("textbox", name="Call note", exact=True).fill(FIRST_NOTE)
    click(page, page.get_by_role("button", name="Log the call", exact=True))
    expect(successes(page)).to_have_text(re.compile(r"^No answer \(1 of \d+ calls"))
    after = callback_row(demo_app, callback_id)
    assert (after.status, after.attempts) == (CallbackStatus.OPEN, 1)
    assert after.due_at > utcnow()
    expect(successes(page)).to_have_text(
        f"No answer (1 of {limit} calls unanswered). Next try due "
        f"{shop_time(demo_app, after.due_at)}.")
    expect(attempt_lines(page)).to_have_count(1)
    expect(attempt_lines(page)).to_have_text(re.compile(
        r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2} · Demo Agent · No answer — "
        + re.escape(FIRST_NOTE) + "$"))
    with demo_app.uow().reader() as r:
        first = r.session.scalars(sa.select(CallAttempt)
                                  .where(CallAttempt.callback_id == callback_id)).all()
    assert [(a.outcome, a.staff_id, a.note) for a in first] == [
        (CallOutcome.NO_ANSWER, agent.staff_id, FIRST_NOTE)]

    # second call: reached, scores 2, not solved
    outcome(page, "Reached")
    choose_in_radio(page, SATISFACTION, "2")
    choose_in_radio(page, SOLVED, "No")
    main(page).get_by_role("textbox", name="Customer's comment", exact=True).fill(COMMENT)
    click(page, page.get_by_role("button", name="Log the call", exact=True))

    expect(successes(page)).to_have_text([
        "Logged: the customer was reached. The callback is done.",
        "Survey recorded.",
        f"Case #{case_id} is back in Demo Agent's queue, escalated.",
    ])
    expect(main(page).get_by_text("Satisfaction 2/5 · problem not solved · NPS —",
                                  exact=True)).to_be_visible()
    expect(main(page).get_by_text(COMMENT, exact=True)).to_be_visible()
    expect(attempt_lines(page)).to_have_count(2)
    expect(attempt_lines(page).nth(1)).to_have_text(re.compile(
        r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2} · Demo Agent · Reached$"))
    expect(main(page).get_by_text("Open · Owner: Demo Agent · Escalated", exact=True)
           ).to_be_visible()
    expect(page.get_by_role("button", name="Log the call")).to_have_count(0)  # done

    # in the database
    done = callback_row(demo_app, callback_id)
    assert (done.status, done.attempts) == (CallbackStatus.DONE, 2)
    with demo_app.uow().reader() as r:
        answers = r.session.scalars(sa.select(SurveyAnswer)
                                    .where(SurveyAnswer.callback_id == callback_id)).all()
        case = r.session.get(Case, case_id)
    assert [(a.satisfaction, a.problem_solved, a.nps, a.comment, a.case_id, a.handled_by_id,
             a.surveyed_by_id) for a in answers] == [
        (2, False, None, COMMENT, case_id, agent.staff_id, agent.staff_id)]
    assert (case.status, case.escalated, case.owner_id) == (CaseStatus.OPEN, True,
                                                            agent.staff_id)

    # back in the agent's case queue: open and escalated
    open_app(page, demo_app.url, "/cases")
    expect(main(page).get_by_role("heading", name="Cases", exact=True)).to_be_visible()
    expect(segment(page, "Queue", "My cases")).to_have_attribute("aria-checked", "true")
    search = main(page).get_by_role("textbox", name="Search subject or case number",
                                    exact=True)
    search.fill(str(case_id))
    search.press("Enter")
    settle(page)
    expect(main(page).get_by_text("1 cases · page 1 of 1", exact=True)).to_be_visible()
    # the table's mirror of cells follows the canvas a moment later: wait for the one row
    frame = main(page).get_by_test_id("stDataFrame")
    expect(frame.locator('[data-testid^="glide-cell-"]').filter(
        has_text=re.compile(rf"^{case_id}$"))).to_have_count(1)
    expect(frame.locator('[data-testid^="glide-cell-"][data-testid$="-1"]')).to_have_count(0)
    rows = grid(main(page))
    assert [(r["Case"], r["Subject"], r["Status"], r["Escalated"], r["Owner"])
            for r in rows] == [(str(case_id), SUBJECT, "Open", "true", "Demo Agent")], rows
