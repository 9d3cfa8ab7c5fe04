"""The Analytics page in a real browser, on the small demo data set: the analyst opens the
Overview (KPI tiles, the volume chart and the table behind it), changes the period, sees the
table's numbers follow (and agree with the KPI and with core), downloads that table as an
Excel file whose cells are the numbers on screen, and nowhere on the page is there a
customer's name (analysts see figures, no personal data)."""
from __future__ import annotations

import re

import openpyxl
import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from core import analytics
from core.clock import utcnow
from db.models import Customer

from browser_helpers import actor_of, login_and_open, settle

pytestmark = pytest.mark.browser

SECTIONS = ("Overview", "Service levels", "Satisfaction", "Complaints", "After-sales",
            "Backlog", "Agents", "Alerts")


def main(page: Page):
    return page.get_by_test_id("stMain")


def metric(page: Page, title: str):
    return main(page).get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(title, exact=True)
    ).get_by_test_id("stMetricValue")


def number(text: str) -> int:
    return int(text.replace(",", "").strip())


def section(page: Page, name: str):
    return main(page).get_by_role("radio", name=name, exact=True)


def choose(page: Page, label: str, option: str) -> None:
    """A Streamlit selectbox (here in the sidebar): open it, pick the option. The sidebar
    is scrolled to the box first: a scroll while the list is open closes it again."""
    box = page.get_by_role("combobox", name=label, exact=True)
    box.scroll_into_view_if_needed()
    page.wait_for_timeout(200)
    box.click()
    wanted = page.get_by_role("option", name=option, exact=True)
    expect(wanted).to_be_visible()
    wanted.click()
    settle(page)


def grid(frame) -> tuple[list[str], list[list[str]]]:
    """An st.dataframe's column titles and rows of cell texts, read from the hidden table
    behind its canvas (data-testid glide-cell-<column>-<row>)."""
    expect(frame.locator('[data-testid^="glide-cell-"]').first).to_be_attached()
    titles = frame.locator("table thead th").evaluate_all(
        "els => els.map(e => [Number(e.getAttribute('aria-colindex')), e.textContent.trim()])")
    cells = frame.locator('[data-testid^="glide-cell-"]').evaluate_all(
        "els => els.map(e => [e.getAttribute('data-testid'), e.textContent.trim()])")
    found = {(int(m.group(2)), int(m.group(1))): text for testid, text in cells
             if (m := re.fullmatch(r"glide-cell-(\d+)-(\d+)", testid))}
    n_rows = max(r for r, _ in found) + 1
    n_columns = max(c for _, c in found) + 1
    rows = [[found.get((r, c), "") for c in range(n_columns)] for r in range(n_rows)]
    return [t for _, t in sorted(titles)], rows


def volume_table(page: Page) -> tuple[list[str], list[list[str]]]:
    """The table under the volume chart (the Overview's first table), once it is drawn."""
    return grid(main(page).get_by_test_id("stDataFrame").first)


def core_cases(server, preset: str) -> int:
    """What core counts for the period, filters off: the figure the page must show."""
    today = analytics.shop_today(server.uow(), utcnow())
    start, end = analytics.preset_period(preset, today)
    return analytics.headline(server.uow(), actor_of(server, "analyst"),
                              analytics.Filters(start, end))["created"], start, end


def test_analyst_changes_the_period_and_downloads_the_table_shown(analytics_app, page: Page,
                                                                   tmp_path):
    login_and_open(page, analytics_app, "analyst", "/analytics")
    expect(main(page).get_by_role("heading", name="Analytics")).to_be_visible()
    expect(section(page, "Overview")).to_have_attribute("aria-checked", "true")
    expect(page.get_by_role("combobox", name="Period", exact=True)).to_have_value(
        "Last 30 days")
    expect(main(page).get_by_test_id("stVegaLiteChart").first).to_be_visible()
    expect(main(page).get_by_test_id("stException")).to_have_count(0)

    # last 30 days, per week: the table's total is the KPI's, and core's
    want_30, start, end = core_cases(analytics_app, "last_30_days")
    assert want_30 > 0
    expect(metric(page, "Cases")).to_have_text(f"{want_30:,}")
    titles, rows = volume_table(page)
    assert titles[0] == "Week starting" and titles[-1] == "Total", titles
    assert "Phone" in titles and "phone" not in titles          # labels, not codes
    assert 5 <= len(rows) <= 6, rows
    assert sum(number(r[-1]) for r in rows) == want_30
    for r in rows:  # each row's channels add up to its total
        assert sum(number(v) for v in r[1:-1]) == number(r[-1]), r

    # the last 12 months, per month: other numbers, the same agreement
    want_12, start, end = core_cases(analytics_app, "last_12_months")
    assert want_12 > want_30
    choose(page, "Period", "Last 12 months")
    expect(metric(page, "Cases")).to_have_text(f"{want_12:,}")
    expect(main(page).get_by_text(f"{start.isoformat()} to {end.isoformat()}",
                                  exact=False)).to_be_visible()
    expect(main(page).get_by_test_id("stDataFrame").first.locator(
        "table thead th").first).to_have_text("Month")
    titles, rows = volume_table(page)
    assert titles[0] == "Month" and titles[-1] == "Total", titles
    assert len(rows) == 12, rows
    # (the hidden cells hold the month's first day; the canvas shows it as 2026-11)
    assert [r[0] for r in rows][-1] == end.replace(day=1).isoformat()
    total = sum(number(r[-1]) for r in rows)
    assert total == want_12 != want_30
    assert number(metric(page, "Cases").inner_text()) == total

    # the Excel file of that table holds exactly the numbers on screen
    download = main(page).get_by_role("button", name="Download Excel").first
    with page.expect_download() as pending:
        download.click()
    file = pending.value
    assert file.suggested_filename == (
        f"caredesk-volume-{start.isoformat()}-{end.isoformat()}.xlsx")
    saved = tmp_path / file.suggested_filename
    file.save_as(saved)
    sheet = openpyxl.load_workbook(saved).worksheets[0]
    cells = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert [str(c) for c in cells[0]] == titles
    assert len(cells) - 1 == len(rows)
    for got, shown in zip(cells[1:], rows):
        assert got[0].date().isoformat() == shown[0]               # the month, as a date
        assert [int(v) for v in got[1:]] == [number(v) for v in shown[1:]]
    assert sum(int(row[-1]) for row in cells[1:]) == want_12

    # no customer's name anywhere, in any section (analysts see no personal data)
    with analytics_app.uow().reader() as r:
        names = set(r.session.scalars(sa.select(Customer.name)))
    assert len(names) > 100
    for name in SECTIONS:
        if name != "Overview":
            section(page, name).click()
            settle(page)
            expect(section(page, name)).to_have_attribute("aria-checked", "true")
        expect(main(page).get_by_test_id("stException")).to_have_count(0)
        text = page.locator("body").text_content()
        shown = sorted(n for n in names if n in text)
        assert shown == [], f"{name}: customer names on the page: {shown[:5]}"


def test_a_click_on_a_channel_bar_keeps_only_that_channel(analytics_app, page: Page):
    """Service levels, compared by channel: a click on the first channel's bars sets the
    channel filter in the sidebar to that channel, and the figures follow; the filters
    stay when the person switches to another page and back."""
    login_and_open(page, analytics_app, "analyst", "/analytics")
    section(page, "Service levels").click()
    settle(page)
    expect(section(page, "Service levels")).to_have_attribute("aria-checked", "true")
    table = main(page).get_by_test_id("stDataFrame").first
    titles, rows = grid(table)
    assert titles[0] == "Channel" and len(rows) > 1, (titles, rows)
    first = rows[0][0]                      # the channel with the most cases: the top bars

    chart = main(page).get_by_test_id("stVegaLiteChart").first
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    page.mouse.click(box["x"] + 200, box["y"] + 10)   # inside its first-response bar
    settle(page)
    channels = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(
        has_text="Channel").first
    expect(channels).to_contain_text(first)
    expect(table.locator("table tbody tr")).to_have_count(1)
    assert [r[0] for r in grid(table)[1]] == [first]

    # another page and back: the filter is still set, the section still chosen
    page.get_by_test_id("stSidebarNav").get_by_text("Staffing planner").click()
    settle(page)
    page.get_by_test_id("stSidebarNav").get_by_text("Analytics").click()
    settle(page)
    expect(section(page, "Service levels")).to_have_attribute("aria-checked", "true")
    expect(page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(
        has_text="Channel").first).to_contain_text(first)
    expect(main(page).get_by_test_id("stDataFrame").first.locator(
        "table tbody tr")).to_have_count(1)
