"""The management report (core.reports) on a small hand-built shop whose answers are known:
October 2026 against September 2026, in Shanghai time, with the clock frozen on 10 November.
The headline figures and their changes, the suggestions they trigger, the top causes with
masked examples, the printable HTML (every value escaped, no customer's name or phone) and
the workbook (Summary equal to the report, formula text neutralised); who may build it, and
which periods are refused. The Reports page renders it through Streamlit's AppTest."""
from datetime import date, datetime, timedelta
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import streamlit as st
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from core import reports
from core.errors import PermissionDenied, ValidationError
from core.vocabulary import (AfterSalesKind, AfterSalesStatus, CallbackPurpose, CallbackStatus,
                             CallOutcome, CaseCategory, CaseKind, CaseStatus, Channel,
                             ComplaintSeverity, GoodsCondition, OrderState, RefundStatus, Role,
                             RootCause)
from db.models import (AfterSalesRequest, CallAttempt, Callback, Case, Complaint, Customer,
                       Order, OrderLine, Product, Refund, SurveyAnswer)
from tests.conftest import add_staff
from ui import keys, runtime
from ui.fmt import md

SHANGHAI = ZoneInfo("Asia/Shanghai")
PAGE = Path(__file__).resolve().parents[2] / "pages" / "reports.py"


def utc(local: str) -> datetime:
    return (datetime.fromisoformat(local).replace(tzinfo=SHANGHAI)
            .astimezone(ZoneInfo("UTC")).replace(tzinfo=None))


NOW = utc("2026-11-10 12:00")
MIN = timedelta(minutes=1)
NAME, PHONE = "Wang Fangfang", "+8613812345678"
SCRIPT = "<script>alert(1)</script> parcel still not here"
IMAGE = "<img src=x onerror=alert(1)> Wang Fangfang says the kettle handle broke"
FORMULA = '=HYPERLINK("http://evil.example","open") late again, call me on 13812345678'


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setattr("core.reports.utcnow", lambda: NOW)


@pytest.fixture
def people(uow):
    return {"ann": add_staff(uow, "ann", Role.AGENT),
            "sue": add_staff(uow, "sue", Role.SUPERVISOR),
            "ana": add_staff(uow, "ana", Role.ANALYST),
            "tech": add_staff(uow, "tech", Role.TECHNICIAN),
            "adm": add_staff(uow, "adm", Role.ADMIN)}


def case(customer: int, owner: int, created: str, channel: Channel, *, response: int,
         response_late: bool = False, resolution: int | None = None,
         resolution_late: bool = False, fcr: bool = False, reopened: bool = False,
         escalated: bool = False, kind: CaseKind = CaseKind.INQUIRY,
         subject: str = "Where is my order", product: int | None = None) -> Case:
    """A case created at `created` (shop time), first answered after `response` opening
    minutes and resolved after `resolution` (None: still open), with its SLA outcomes."""
    at = utc(created)
    resolved = resolution is not None
    return Case(
        kind=kind, channel=channel,
        category=CaseCategory.COMPLAINT if kind == CaseKind.COMPLAINT else CaseCategory.DELIVERY,
        status=CaseStatus.RESOLVED if resolved else CaseStatus.OPEN, customer_id=customer,
        owner_id=owner, subject=subject, question="-", created_at=at, product_id=product,
        first_response_at=at + response * MIN, first_response_minutes=response,
        first_response_due_at=at + 60 * MIN, first_response_breached=response_late,
        resolved_at=at + resolution * MIN if resolved else None,
        resolution_minutes=resolution, resolution_due_at=at + 480 * MIN,
        resolution_breached=resolution_late, first_contact_resolution=fcr,
        reopen_count=1 if reopened else 0, escalated=escalated)


@pytest.fixture
def shop(uow, people) -> dict:
    """September: 5 cases, all on time. October: 9 cases (5 phone, 4 e-mail), 3 of them
    complaints whose subjects try HTML and a formula, 3 still open; surveys, callbacks and
    a refund in both months where they matter."""
    ann = people["ann"].staff_id
    P, E = Channel.PHONE, Channel.EMAIL
    with uow:
        s = uow.session
        customer = Customer(name=NAME, phone=PHONE, phone_normalized=PHONE, language="en")
        kettle = Product(sku="KT-1", name="Kettle K1", category="appliance", price_cents=19900)
        s.add_all([customer, kettle])
        s.flush()
        c, k = customer.id, kettle.id
        september = [
            case(c, ann, "2026-09-07 10:00", P, response=30, resolution=100, fcr=True),
            case(c, ann, "2026-09-08 10:00", P, response=30, resolution=100, fcr=True),
            case(c, ann, "2026-09-09 10:00", E, response=30, resolution=100, fcr=True),
            case(c, ann, "2026-09-10 10:00", E, response=30, resolution=100),
            case(c, ann, "2026-09-11 10:00", E, response=30, resolution=100,
                 kind=CaseKind.COMPLAINT, subject="Late parcel"),
        ]
        october = [
            case(c, ann, "2026-10-12 10:00", P, response=10, resolution=60, fcr=True),
            case(c, ann, "2026-10-13 10:00", P, response=20, resolution=120, fcr=True),
            case(c, ann, "2026-10-14 10:00", P, response=30, resolution=240, reopened=True),
            case(c, ann, "2026-10-15 10:00", P, response=200, response_late=True,
                 resolution=600, resolution_late=True, escalated=True),
            case(c, ann, "2026-10-16 10:00", P, response=100, response_late=True),
            case(c, ann, "2026-10-19 10:00", E, response=40, resolution=300, fcr=True,
                 kind=CaseKind.COMPLAINT, subject=SCRIPT),
            case(c, ann, "2026-10-20 10:00", E, response=50, resolution=180,
                 kind=CaseKind.COMPLAINT, subject=FORMULA),
            case(c, ann, "2026-10-21 10:00", E, response=60, kind=CaseKind.COMPLAINT,
                 subject=IMAGE, product=k),
            case(c, ann, "2026-10-22 10:00", E, response=30),
        ]
        s.add_all(september + october)
        s.flush()
        complaints = [(september[4], RootCause.DELIVERY_DELAY),
                      (october[5], RootCause.DELIVERY_DELAY),
                      (october[6], RootCause.DELIVERY_DELAY),
                      (october[7], RootCause.PRODUCT_DEFECT)]
        s.add_all(Complaint(case_id=x.id, severity=ComplaintSeverity.MINOR, root_cause=cause)
                  for x, cause in complaints)
        # surveys: September 5/10 and 5/10; October 5/10, 4/9 and 2/3
        for x, score, nps in ((september[0], 5, 10), (september[1], 5, 10),
                              (october[0], 5, 10), (october[1], 4, 9), (october[5], 2, 3)):
            s.add(SurveyAnswer(customer_id=c, case_id=x.id, handled_by_id=ann,
                               satisfaction=score, nps=nps,
                               answered_at=x.created_at + timedelta(days=2)))
        # callbacks ended: September 2 of 2 reached, October 3 of 4
        for closed, reached in (("2026-09-20 11:00", True), ("2026-09-21 11:00", True),
                                ("2026-10-20 11:00", True), ("2026-10-21 11:00", True),
                                ("2026-10-22 11:00", True), ("2026-10-23 11:00", False)):
            at = utc(closed)
            callback = Callback(customer_id=c, purpose=CallbackPurpose.FOLLOW_UP, due_at=at,
                                status=CallbackStatus.DONE if reached
                                else CallbackStatus.UNREACHABLE, closed_at=at, attempts=1)
            s.add(callback)
            s.flush()
            s.add(CallAttempt(callback_id=callback.id, staff_id=ann, attempted_at=at,
                              outcome=CallOutcome.REACHED if reached
                              else CallOutcome.NO_ANSWER))
        # October: two kettles sold, one returned and ¥123.45 refunded
        order = Order(order_number="SO-1", customer_id=c, channel=Channel.WEB,
                      state=OrderState.DELIVERED, ordered_at=utc("2026-10-02 09:00"),
                      total_cents=39800)
        s.add(order)
        s.flush()
        line = OrderLine(order_id=order.id, product_id=k, quantity=2, unit_price_cents=19900,
                         paid_cents=39800)
        s.add(line)
        s.flush()
        request = AfterSalesRequest(customer_id=c, order_line_id=line.id,
                                    kind=AfterSalesKind.RETURN, reason="Leaks",
                                    condition=GoodsCondition.DEFECTIVE,
                                    status=AfterSalesStatus.COMPLETED, created_by_id=ann,
                                    created_at=utc("2026-10-05 10:00"))
        s.add(request)
        s.flush()
        s.add(Refund(request_id=request.id, order_line_id=line.id, amount_cents=12345,
                     status=RefundStatus.PAID, requested_by_id=ann,
                     created_at=utc("2026-10-06 10:00"), paid_at=utc("2026-10-06 12:00")))
        uow.commit()
    return {"customer": c, "october": [x.id for x in october]}


@pytest.fixture
def report(uow, people, shop) -> reports.ManagementReport:
    """A supervisor's: they may read what agents wrote about customers (subjects)."""
    return reports.build_report(uow, people["sue"], "month", 2026, 10, "en")


def test_an_analyst_gets_the_examples_without_what_agents_wrote(uow, people, shop):
    """A subject is free text that may name or locate the customer in ways no mask
    catches: an analyst's report shows the case, day and product only."""
    analysts = reports.build_report(uow, people["ana"], "month", 2026, 10, "en")
    examples = [e for cause in analysts.top_causes for e in cause.examples]
    assert examples and all(e.subject is None for e in examples)
    html = reports.report_html(analysts)
    book = load_workbook(BytesIO(reports.report_workbook(analysts)))
    cells = " ".join(str(c.value) for sheet in book for row in sheet.iter_rows() for c in row)
    for leak in ("HYPERLINK", "script", "onerror", NAME, PHONE):
        assert leak not in html and leak not in cells


# --- figures ---------------------------------------------------------------------------------

def test_the_period_and_the_one_before(report):
    assert (report.start.isoformat(), report.end.isoformat()) == ("2026-10-01", "2026-10-31")
    assert (report.previous_start.isoformat(),
            report.previous_end.isoformat()) == ("2026-09-01", "2026-09-30")
    assert report.title == "October 2026" and not report.partial


def test_headline_figures_and_their_changes(report):
    def fig(key):
        f = report.figure(key)
        return f.value, f.previous, f.verdict

    cases = report.figure("cases")
    assert (cases.value, cases.previous, cases.change) == (9, 5, 4)
    assert cases.relative == pytest.approx(0.8) and cases.verdict == "neutral"
    response = report.figure("response_rate")
    assert response.value == pytest.approx(7 / 9) and response.previous == 1.0
    assert response.change == pytest.approx(7 / 9 - 1) and response.verdict == "bad"
    # 5 of the 6 resolved in time, and the 3 still open are past their due time by now
    assert fig("resolution_rate") == (pytest.approx(5 / 9), 1.0, "bad")
    assert fig("fcr_rate") == (pytest.approx(0.5), pytest.approx(0.6), "bad")
    assert fig("reopen_rate") == (pytest.approx(1 / 6), 0.0, "bad")
    assert report.figure("reopen_rate").relative is None      # nothing to divide by
    assert fig("escalation_rate") == (pytest.approx(1 / 9), 0.0, "bad")
    # opening hours: (10+20+30+200+100+40+50+60+30) / 9 = 60 min; September 30 min
    assert fig("avg_response_hours") == (pytest.approx(1.0), pytest.approx(0.5), "bad")
    # resolved: 60, 120, 180, 240, 300, 600 minutes
    assert fig("avg_resolution_hours") == (pytest.approx(250 / 60), pytest.approx(100 / 60),
                                           "bad")
    assert fig("median_resolution_hours") == (pytest.approx(3.5), pytest.approx(100 / 60),
                                              "bad")
    assert fig("p90_resolution_hours") == (pytest.approx(7.5), pytest.approx(100 / 60), "bad")
    assert fig("satisfaction") == (pytest.approx(11 / 3), pytest.approx(5.0), "bad")
    nps = report.figure("nps")
    assert (nps.value, nps.previous) == (pytest.approx(100 / 3), pytest.approx(100.0))
    assert nps.change == pytest.approx(100 / 3 - 100) and nps.relative is None
    assert fig("reach_rate") == (pytest.approx(0.75), pytest.approx(1.0), "bad")
    complaints = report.figure("complaints")
    assert (complaints.value, complaints.previous, complaints.change) == (3, 1, 2)
    assert complaints.relative == pytest.approx(2.0) and complaints.verdict == "bad"
    assert fig("refunds") == (12345, 0, "bad")
    assert fig("backlog") == (3, None, None)        # the backlog is today's: nothing before


def test_tables_behind_the_charts(report):
    by_channel = report.sla_by_channel.set_index("channel")
    assert by_channel.loc["phone", "cases"] == 5 and by_channel.loc["email", "cases"] == 4
    assert by_channel.loc["phone", "response_rate"] == pytest.approx(0.6)
    assert by_channel.loc["phone", "response_rate_prev"] == pytest.approx(1.0)
    volume = report.volume_by_channel.set_index("channel")
    assert volume.loc["phone"].tolist() == [5, 2] and volume.loc["email"].tolist() == [4, 3]
    weeks = report.volume_by_week.groupby("week")["cases"].sum()
    assert {d.isoformat(): int(n) for d, n in weeks.items()} == {"2026-10-12": 5,
                                                                 "2026-10-19": 4}
    pareto = report.complaint_pareto
    assert pareto["root_cause"].tolist() == ["delivery_delay", "product_defect"]
    assert pareto["complaints"].tolist() == [2, 1]
    assert report.after_sales_by_product["refunded_cents"].tolist() == [12345]
    assert report.complaints_by_product["product"].tolist() == ["Kettle K1"]
    assert report.backlog["cases"].sum() == 3


def test_top_causes_carry_masked_examples_without_the_customer(report):
    first, second = report.top_causes
    assert (first.root_cause, first.complaints) == ("delivery_delay", 2)
    assert first.share == pytest.approx(2 / 3)
    subjects = [e.subject for e in first.examples]
    assert subjects[0].startswith('=HYPERLINK("http://evil.example","open")')
    assert "13812345678" not in subjects[0] and "***" in subjects[0]
    assert subjects[1] == SCRIPT
    assert (second.root_cause, [e.product for e in second.examples]) == ("product_defect",
                                                                         ["Kettle K1"])


def test_suggestions_cite_the_figures_behind_them(report):
    found = {s.rule_id: s for s in report.suggestions}
    phone = found["channel_response_sla"]
    assert phone.text.startswith("First-response SLA on Phone fell to 60% (target 80%, "
                                 "100% last month)")
    assert phone.severity == reports.HIGH
    assert found["reopen"].text.startswith("17% of the resolved cases were reopened "
                                           "(1 of 6; limit 5%, 0% last month)")
    assert "56%" in found["resolution_sla"].text
    assert "50%" in found["fcr"].text
    assert "3.67" in found["satisfaction"].text
    assert "to +33" in found["nps_drop"].text
    assert "rose by 80% to 9 (5 last month)" in found["volume_rise"].text
    assert "backlog_age" not in found              # 3 open cases: too few to judge
    assert "callback_reach" not in found            # 75% reached: above the 70% target
    severities = [s.severity for s in report.suggestions]
    assert severities == sorted(severities, reverse=True)


# --- the printable page ----------------------------------------------------------------------------

def test_html_escapes_every_value_and_shows_no_personal_data(report):
    html = reports.report_html(report)
    assert html.startswith("<!doctype html>") and "</html>" in html
    lowered = html.lower()
    assert "<script" not in lowered and "<img" not in lowered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt; *** says the kettle handle broke" in html
    # the subjects quoted the customer's name and phone: masked
    assert "Fangfang" not in html and "13812345678" not in html
    # self-contained and printable
    assert "<link" not in lowered and "@import" not in lowered and "url(" not in lowered
    assert "src=" not in lowered.replace("src=x", "")   # the subject's text, escaped
    assert "@media print" in html and "size:A4" in html and "break-before:page" in html
    assert "Save as PDF" in html
    for heading in ("Headline figures", "Suggested improvements", "Top complaint causes",
                    "Cases by channel", "First-response SLA by channel",
                    "Complaints by root cause (Pareto)", "Scorecards"):
        assert heading in html
    assert "77.8%" in html and "-22.2 pts" in html     # the first-response SLA row


def test_html_in_chinese_uses_the_chinese_labels(uow, people, shop):
    chinese = reports.build_report(uow, people["sue"], "month", 2026, 10, "zh_CN")
    html = reports.report_html(chinese)
    assert 'lang="zh-CN"' in html and "电话" in html        # the channel's Chinese label


# --- the workbook ----------------------------------------------------------------------------------

def test_workbook_summary_equals_the_report_and_formulas_are_neutralised(report):
    book = load_workbook(BytesIO(reports.report_workbook(report)))
    assert book.sheetnames[:3] == ["Summary", "Suggestions", "Top complaint causes"]
    assert {"SLA by channel", "Complaints by root cause", "Scorecards"} <= set(book.sheetnames)
    rows = list(book["Summary"].iter_rows(values_only=True))
    assert rows[0][:6] == ("Metric", "Unit", "This period", "Previous period", "Change",
                           "Change (%)")
    summary = {r[0]: r[2:6] for r in rows[1:]}
    assert summary["Cases"] == (9, 5, 4, 80.0)
    assert summary["First-response SLA"] == (77.78, 100.0, -22.22, -22.2)
    assert summary["Refunds"] == (123.45, 0.0, 123.45, None)
    assert summary["Open cases now"] == (3, None, None, None)
    for f in report.figures:
        assert summary[f.label][:3] == (reports.figure_number(f.unit, f.value),
                                        reports.figure_number(f.unit, f.previous),
                                        reports.figure_number(f.unit, f.change))
    causes = list(book["Top complaint causes"].iter_rows(values_only=True))
    subjects = [r[-1] for r in causes[1:]]
    formula = next(s for s in subjects if "HYPERLINK" in s)
    assert formula.startswith("'=HYPERLINK(")
    cell = next(c for row in book["Top complaint causes"].iter_rows() for c in row
                if c.value == formula)
    assert cell.data_type == "s"
    every = " ".join(str(v) for ws in book for row in ws.iter_rows(values_only=True)
                     for v in row if v is not None)
    assert "Fangfang" not in every and "13812345678" not in every
    suggestions = list(book["Suggestions"].iter_rows(values_only=True))
    assert len(suggestions) == 1 + len(report.suggestions)


# --- who and when ----------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["ann", "tech", "adm"])
def test_only_supervisors_and_analysts_build_reports(uow, people, who):
    with pytest.raises(PermissionDenied):
        reports.build_report(uow, people[who], "month", 2026, 10, "en")
    assert reports.build_report(uow, people["sue"], "quarter", 2026, 3, "en").kind == "quarter"


def test_a_future_period_is_refused_and_the_current_one_is_partial(uow, people):
    ana = people["ana"]
    with pytest.raises(ValidationError) as error:
        reports.build_report(uow, ana, "month", 2026, 12, "en")
    assert "2026-12-01" in str(error.value)
    with pytest.raises(ValidationError):
        reports.build_report(uow, ana, "quarter", 2027, 1, "en")
    # November so far (to the 10th) against the same days of October, not all of it
    november = reports.build_report(uow, ana, "month", 2026, 11, "en")
    assert november.partial
    assert (november.previous_start, november.previous_end) == (date(2026, 10, 1),
                                                                 date(2026, 10, 10))
    quarter = reports.build_report(uow, ana, "quarter", 2026, 4, "en")
    assert quarter.partial
    assert (quarter.previous_start, quarter.previous_end) == (date(2026, 7, 1),
                                                              date(2026, 8, 10))


@pytest.mark.parametrize("kind, year, number", [("week", 2026, 1), ("month", 2026, 13),
                                                ("quarter", 2026, 5), ("month", "abc", 1),
                                                ("month", 1999, 1), ("month", 2026, 0)])
def test_bad_choices_are_refused_in_words(uow, people, kind, year, number):
    with pytest.raises(ValidationError):
        reports.build_report(uow, people["ana"], kind, year, number, "en")


def test_a_report_of_one_channel(uow, people, shop):
    phone = reports.build_report(uow, people["ana"], "month", 2026, 10, "en",
                                 channels=("phone",))
    cases = phone.figure("cases")
    assert (cases.value, cases.previous) == (5, 2)
    assert phone.figure("response_rate").value == pytest.approx(0.6)
    assert phone.figure("complaints").value == 0          # the complaints came by e-mail
    assert "Filters: Channel: Phone" in reports.report_html(phone)
    with pytest.raises(ValidationError):
        reports.build_report(uow, people["ana"], "month", 2026, 10, "en", channels=("fax",))


def test_an_empty_period_still_makes_a_report(uow, people):
    empty = reports.build_report(uow, people["ana"], "month", 2026, 10, "en")
    assert empty.figure("cases").value == 0 and empty.figure("response_rate").value is None
    assert empty.top_causes == () and empty.suggestions == ()
    assert "<table" in reports.report_html(empty)
    assert load_workbook(BytesIO(reports.report_workbook(empty))).sheetnames[0] == "Summary"


def test_default_period_is_the_last_complete_month_or_quarter(uow):
    assert reports.default_period(uow, "month") == (2026, 10)
    assert reports.default_period(uow, "quarter") == (2026, 3)
    assert reports.default_period(uow, "month", utc("2027-01-01 09:00")) == (2026, 12)


# --- the page --------------------------------------------------------------------------------------

@pytest.fixture
def page(engine, monkeypatch):
    monkeypatch.setattr(runtime, "engine", lambda: engine)
    st.cache_data.clear()

    def run(who) -> AppTest:
        at = AppTest.from_file(str(PAGE), default_timeout=60)
        at.session_state[keys.ACTOR] = who
        return at.run()
    yield run
    st.cache_data.clear()


def test_the_page_shows_last_month_with_its_downloads(page, people, report):
    at = page(people["ana"])
    assert not at.exception
    # the red boxes are the high-priority suggestions, nothing else
    assert [e.value for e in at.error] == [md(s.text) for s in report.suggestions
                                           if s.severity == reports.HIGH]
    assert at.subheader[0].value == "October 2026"
    metrics = {m.label: (m.value, m.delta) for m in at.metric}
    assert metrics["Cases"] == ("9", "+4")
    assert metrics["First\\-response SLA"] == ("77.8%", "-22.2 pts")
    assert len(at.get("download_button")) == 2
    texts = " ".join(e.value for e in [*at.error, *at.warning, *at.info])
    assert "Phone fell to 60%" in texts

    at.segmented_control(key=keys.REPORTS_KIND).set_value("quarter").run()
    assert not at.exception and at.subheader[0].value == "Q3 2026"


def test_the_page_refuses_an_agent_and_a_future_month_in_words(page, people, shop):
    at = page(people["ann"])
    assert not at.exception and "Your roles do not allow this" in at.error[0].value
    at = page(people["ana"])
    at.selectbox(key=keys.REPORTS_MONTH).set_value(12)
    at.button[0].click().run()       # the form's submit button
    assert not at.exception and "in the future" in at.error[0].value
