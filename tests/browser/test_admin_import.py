"""Administration -> Imports in a real browser: the admin uploads a small customers file
with one bad row, sees that row named with its reason and the Import button disabled,
uploads the corrected file, imports it with the progress bar, and the customers are there
(checked through core, as agents would find them: admins cannot open Customers)."""
from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import Page, expect

from core import customers
from core.vocabulary import Role

from browser_helpers import actor_of, login_and_open, settle

pytestmark = pytest.mark.browser

HEADER = "姓名,手机,邮箱,城市\r\n"


def main(page: Page):
    return page.get_by_test_id("stMain")


def imports_tab(page: Page):
    return main(page).get_by_role("tabpanel", name="Imports", exact=True)


def table_rows(container) -> list[dict[int, str]]:
    """An st.dataframe's cells (drawn on a canvas; the hidden glide-cell-<col>-<row>
    elements carry the text), as rows of column -> text."""
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


def upload(page: Page, name: str, text: str, encoding: str = "utf-8") -> None:
    tab = imports_tab(page)
    tab.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": text.encode(encoding)}])
    settle(page)


def test_admin_imports_customers_after_fixing_the_one_bad_row(demo_app, page: Page):
    tag = "".join(secrets.choice("bcdfghjklmnpqrstvwxz") for _ in range(6))
    digits = f"{secrets.randbelow(10_000):04d}"
    people = [(f"王{tag}一", f"1370000{digits}"), (f"李{tag}二", f"1370001{digits}"),
              (f"赵{tag}三", f"1370002{digits}")]
    rows = [f"{name},{phone},{tag}{i}@example.com,上海" for i, (name, phone) in
            enumerate(people)]
    bad = list(rows)
    bad[1] = f"{people[1][0]},12345,{tag}1@example.com,上海"     # file row 3: bad phone

    login_and_open(page, demo_app, "admin", "/admin")
    main(page).get_by_role("tab", name="Imports", exact=True).click()
    settle(page)
    tab = imports_tab(page)
    expect(tab.get_by_role("combobox", name="What the file holds")).to_be_visible()

    # the file with one bad row, written by Excel in a Chinese locale (GBK)
    upload(page, "customers.csv", HEADER + "\r\n".join(bad) + "\r\n", encoding="gbk")
    expect(tab.get_by_text("Rows that cannot be imported: 1.", exact=False)).to_be_visible()
    problems = table_rows(tab)
    assert len(problems) == 1
    assert problems[0][0] == "3" and problems[0][1] == "手机"
    assert problems[0][2].startswith("12345 is not a valid phone number")
    expect(tab.get_by_role("button", name="Import", exact=True)).to_be_disabled()
    expect(tab.get_by_test_id("stMetric").filter(has_text="New")).to_contain_text("2")
    expect(tab.get_by_text("Read as GBK / GB18030.", exact=True)).to_be_visible()

    # the corrected file
    upload(page, "customers-fixed.csv", HEADER + "\r\n".join(rows) + "\r\n", encoding="gbk")
    expect(tab.get_by_text("Every row can be imported.", exact=True)).to_be_visible()
    expect(tab.get_by_test_id("stMetric").filter(has_text="New")).to_contain_text("3")
    button = tab.get_by_role("button", name="Import", exact=True)
    expect(button).to_be_enabled()
    button.click()
    settle(page)
    expect(main(page).get_by_role("tab", name="Imports", exact=True)).to_have_attribute(
        "aria-selected", "true")
    # (the preview's own success line may still be on screen while the rerun replaces it)
    expect(tab.get_by_test_id("stAlertContentSuccess").filter(
        has_text="Imported customers-fixed.csv")).to_have_text(
        "Imported customers-fixed.csv: 3 new, 0 updated, 0 unchanged.")
    # the uploader is empty again, ready for the next file
    expect(tab.get_by_test_id("stFileUploaderFile")).to_have_count(0)

    agent = actor_of(demo_app, "agent")
    assert Role.AGENT in agent.roles
    for name, phone in people:
        hits = customers.search_customers(demo_app.uow(), agent, phone)
        assert [(h.name, h.matched_on) for h in hits] == [(name, "phone")]
    hits = customers.search_customers(demo_app.uow(), agent, people[0][0])
    assert [h.name for h in hits] == [people[0][0]]
