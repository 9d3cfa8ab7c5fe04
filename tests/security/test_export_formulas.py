"""Spreadsheet formulas in every exported cell: text a spreadsheet would run (= + - @, a tab
or a carriage return first, also after blanks or control characters) is written with a
leading quote in every CSV and Excel file the app hands out, and Excel cells are never
formulas. Each file is read back as a spreadsheet program would (the csv module, openpyxl)."""
from __future__ import annotations

import csv
import io
import re
from html import escape
import unicodedata
from datetime import date
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from openpyxl import load_workbook

from core import (
    analytics, audit_log, cases, complaints, customers, data_exports, exports, imports, printable,
    reports, service_quality,
)
from core.clock import utcnow
from core.i18n import translator
from core.vocabulary import Channel, OrderState, Role
from db.models import Order, OrderLine, Product, Staff, Store
from tests.conftest import add_staff

pytestmark = pytest.mark.casebook("Injection")

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
# the payloads of the issue and their variants (after blanks, control or format characters)
FORMULAS = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1", " =1",
            "\x00=1", "\u200b=1", "\n+1", '=HYPERLINK("http://evil.example","open")',
            "=cmd|' /C calc'!A0", "-", "@", "=", "+"]
# where the app itself trims text (every service strips what is typed), what is stored
ONE_LINE = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)",
            '=HYPERLINK("http://evil.example","open")', "=cmd|' /C calc'!A0"]


def first_visible(text: str) -> str:
    """The text from its first character a spreadsheet does not skip."""
    i = 0
    while i < len(text) and (text[i].isspace()
                             or unicodedata.category(text[i]) in ("Cc", "Cf")):
        i += 1
    return text[i:]


NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")


def unsafe(text: str) -> bool:
    """Text a spreadsheet would take for a formula: a dangerous first character (also after
    blanks or control characters), without the quote that makes it text. (A negative number
    written as a number, "-2.0", is a number.)"""
    if text.startswith("'") or NUMBER.fullmatch(text):
        return False
    return text.startswith(DANGEROUS) or first_visible(text).startswith(DANGEROUS)


class Cells:
    """Reads files back and counts the cells checked; notes every unsafe one."""

    def __init__(self):
        self.checked = 0
        self.unsafe: list[str] = []
        self.texts: list[str] = []

    def text(self, where: str, value: str) -> None:
        self.checked += 1
        self.texts.append(value)
        if unsafe(value):
            self.unsafe.append(f"{where}: {value!r:.80}")

    def csv(self, where: str, data: bytes) -> list[list[str]]:
        assert data.startswith(b"\xef\xbb\xbf"), f"{where}: no UTF-8 byte-order mark"
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        for r, row in enumerate(rows, 1):
            for c, value in enumerate(row, 1):
                self.text(f"{where} row {r} column {c}", value)
        return rows

    def xlsx(self, where: str, data: bytes) -> None:
        wb = load_workbook(io.BytesIO(data))            # formulas kept as formulas
        self.text(f"{where} title", wb.properties.title or "")
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if cell.value is None:
                        continue
                    self.checked += 1
                    if cell.data_type == "f":
                        self.unsafe.append(f"{where} {ws.title}!{cell.coordinate}: formula "
                                           f"{cell.value!r:.80}")
                    elif isinstance(cell.value, str):
                        self.text(f"{where} {ws.title}!{cell.coordinate}", cell.value)
        assert not wb.defined_names, f"{where}: defined names {list(wb.defined_names)}"

    def holds(self, payload: str) -> bool:
        """The payload reached a file, quoted."""
        return any(t == "'" + payload or t.startswith("'" + payload) for t in self.texts)

    def check(self) -> None:
        assert not self.unsafe, "\n".join(self.unsafe[:40])


# --- core.exports itself ------------------------------------------------------------------------

def test_every_text_cell_of_a_download_is_formula_safe(tried):
    """Every text cell, joined list, column name, sheet name and title that core.exports
    writes (the path of every download in the app) starts with a quote when a spreadsheet
    would take it for a formula; numbers stay numbers and no Excel cell is a formula."""
    cells = Cells()
    frame = pd.DataFrame({
        "object": FORMULAS,
        "string": pd.array(FORMULAS, dtype="string"),
        "category": pd.Categorical(FORMULAS),
        "list": [["a", p] for p in FORMULAS],                 # tags 'a, =b'
        "tuple": [(p, "b") for p in FORMULAS],
        "set": [{p} for p in FORMULAS],
        "bytes": [p.encode() for p in FORMULAS],
        "mixed": [p if i % 2 else i for i, p in enumerate(FORMULAS)],
        "number": [-float(i + 1) for i in range(len(FORMULAS))],
        "when": [date(2026, 11, i + 1) for i in range(len(FORMULAS))],
    })
    for p in FORMULAS:
        frame[p] = "text"                                     # column names too
    multi = frame[["object", "number"]].copy()
    multi.columns = pd.MultiIndex.from_tuples([("=x", "@y"), ("-z", "+w")])
    rows = cells.csv("csv_bytes", exports.csv_bytes(frame))
    assert rows[2][frame.columns.get_loc("number")] == "-2.0"      # a number, not text
    cells.csv("csv_bytes[MultiIndex]", exports.csv_bytes(multi))
    for p in FORMULAS:
        cells.xlsx(f"excel_bytes[{p!r}]", exports.excel_bytes({p: frame, "=S": multi},
                                                              title=p))
    cells.check()
    for p in ONE_LINE:
        assert cells.holds(p), p
    wb = load_workbook(io.BytesIO(exports.excel_bytes({"s": frame})))
    numbers = wb["s"]["I"][1:]
    assert numbers[1].value == -2 and all(c.data_type == "n" for c in numbers)
    tried(cells.checked)


# --- every export of the app, on a shop full of formulas ----------------------------------------

@pytest.fixture
def shop(uow):
    """Customers, a store, products, orders, staff and cases whose every free text is a
    formula, written through the services (the ORM where no service writes it)."""
    agent = add_staff(uow, "agent", Role.AGENT)
    supervisor = add_staff(uow, "supervisor", Role.SUPERVISOR)
    admin = add_staff(uow, "admin", Role.ADMIN)
    analyst = add_staff(uow, "analyst", Role.ANALYST)
    with uow:
        for staff_id, name in ((agent.staff_id, "=HYPERLINK(\"http://evil.example\")"),
                               (supervisor.staff_id, "@SUM(A1) Supervisor")):
            uow.session.get(Staff, staff_id).display_name = name
        uow.commit()
    with uow:
        store = Store(code="=S1", name="+cmd|' /C calc'!A0")
        uow.session.add(store)
        product_rows = [Product(sku=f"={i}", name=p, category="appliance",
                                price_cents=1000 + i) for i, p in enumerate(ONE_LINE)]
        uow.session.add_all(product_rows)
        uow.commit()
        store_id, product_ids = store.id, [p.id for p in product_rows]
    ids = []
    for i, p in enumerate(ONE_LINE):
        local = "".join(ch for ch in p if ch.isalnum() or ch in "=+-")
        email = f"{local}{i}@example.com"           # "=11@..." too starts with a formula
        ids.append(customers.create_customer(
            uow, agent, name=p, phone=f"1381234{5600 + i}", email=email, address=p, city=p))
    with uow:
        for i, (customer_id, p) in enumerate(zip(ids, ONE_LINE)):
            uow.session.add(Order(
                order_number=f"=O{i}", customer_id=customer_id, channel=Channel.PHONE,
                state=OrderState.CONFIRMED, confirmed_at=utcnow(), store_id=store_id,
                delivery_address=p, carrier=p, tracking_number=f"-{i}",
                total_cents=1000, lines=[OrderLine(product_id=product_ids[i], quantity=1,
                                                   unit_price_cents=1000, paid_cents=1000)]))
        uow.commit()
    for i, (customer_id, p) in enumerate(zip(ids, ONE_LINE)):
        receipt = cases.open_case(
            uow, agent, customer_id=customer_id, channel="phone", kind="complaint",
            category="complaint", subject=p, question=p, customer_expectation=p,
            next_step=p, product_id=product_ids[i], notify_customer=False)
        complaint_id = complaints.complaint_id_of_case(uow, supervisor, receipt.case_id)
        complaints.set_root_cause(uow, supervisor, complaint_id, "product_defect",
                                  responsible_product_id=product_ids[i])
        customers.add_note(uow, agent, customer_id, p)
    return {"agent": agent, "supervisor": supervisor, "admin": admin, "analyst": analyst,
            "customers": ids, "store_id": store_id}


def test_data_exports_audit_log_and_import_reports_are_formula_safe(uow, shop, tried):
    """Every data export (customers, orders, cases; CSV and Excel; with personal data and
    masked), the audit log download and the import's bad-rows report write formulas as
    quoted text."""
    cells = Cells()
    for actor in (shop["admin"], shop["analyst"]):
        for kind in data_exports.KINDS:
            for fmt in data_exports.FORMATS:
                file = data_exports.export(uow, actor, kind, data_exports.ExportFilters(),
                                           fmt)
                assert file.rows >= len(ONE_LINE), (kind, file.rows)
                where = f"data_exports.export[{actor.username}, {kind}, {fmt}]"
                if fmt == "csv":
                    cells.csv(where, file.data)
                else:
                    cells.xlsx(where, file.data)
    for fmt in data_exports.FORMATS:
        file = audit_log.download(uow, shop["supervisor"], audit_log.AuditFilters(), fmt)
        where = f"audit_log.download[{fmt}]"
        cells.csv(where, file.data) if fmt == "csv" else cells.xlsx(where, file.data)

    # an import file whose cells are formulas: the bad rows as the admin downloads them
    # (ui.admin_imports builds this table from the report and writes it with csv_bytes)
    lines = ["name,phone,email"] + [f'"{p}","{p}","{p}"' for p in FORMULAS if "\x00" not in p]
    report = imports.preview_import(uow, shop["admin"], "customers",
                                    "\r\n".join(lines).encode(), "customers.csv")
    assert report.problems, "the formulas were not reported as bad values"
    _ = translator("en")
    bad_rows = pd.DataFrame({"Row": [p.row for p in report.problems],
                             "Column": [p.column or "" for p in report.problems],
                             "Reason": [p.render(_) for p in report.problems]})
    cells.csv("import bad rows", exports.csv_bytes(bad_rows))
    cells.check()
    for p in ONE_LINE:
        assert cells.holds(p), f"{p!r} is in no exported cell"
    tried(cells.checked)


def test_reports_and_analytics_downloads_are_formula_safe_and_escaped(uow, shop, tried):
    """The management report's workbook and the analytics tables' downloads write product,
    staff and complaint texts that are formulas as quoted text; the printable report and
    complaint summary escape them."""
    cells = Cells()
    today = analytics.shop_today(uow, utcnow())
    supervisor = shop["supervisor"]
    report = reports.build_report(uow, supervisor, "month", today.year, today.month, "en")
    assert report.top_causes and report.top_causes[0].examples
    cells.xlsx("reports.report_workbook", reports.report_workbook(report))
    html = reports.report_html(report)
    assert "=HYPERLINK(&quot;http://evil.example&quot;,&quot;open&quot;)" in html
    complaint = complaints.complaint_view(uow, supervisor, case_id=report.top_causes[0]
                                          .examples[0].case_id)
    summary = printable.complaint_summary(complaint, translator("en"), "en",
                                          ZoneInfo("Asia/Shanghai"))
    assert f"<td>{escape(complaint.subject)}</td>" in summary
    assert 'href=' not in summary.lower() and "<a " not in summary.lower()

    # the tables under the analytics charts (ui.analytics_view.table writes exactly the
    # table shown with csv_bytes and excel_bytes)
    period = analytics.Filters(today.replace(day=1), today)
    frames = {
        "breakdown by agent": analytics.breakdown(uow, shop["analyst"], period, "agent_id"),
        "complaints by product": service_quality.complaints_by(uow, shop["analyst"], period,
                                                               "product", 20),
        "complaint examples": service_quality.complaint_examples(uow, supervisor, period,
                                                                 "product_defect", 20),
        "scorecards": service_quality.scorecards(uow, supervisor, period),
    }
    for name, frame in frames.items():
        assert len(frame), name
        cells.csv(f"analytics {name} (CSV)", exports.csv_bytes(frame))
        cells.xlsx(f"analytics {name} (Excel)", exports.excel_bytes({name: frame}, title=name))
    cells.check()
    for p in ONE_LINE:
        assert cells.holds(p), f"{p!r} is in no exported cell"
    assert cells.holds("=HYPERLINK(\"http://evil.example\")")     # the agent's name
    tried(cells.checked)
