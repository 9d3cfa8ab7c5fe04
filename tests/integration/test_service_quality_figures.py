"""The figures beyond case counts (core.service_quality) on small hand-built datasets whose
answer is worked out by hand and written down here: satisfaction and NPS, callback reach,
the complaint Pareto and complaints per product / store / department, after-sales per
product, the backlog's age, the scorecards; and, for both analytics modules, who may read
them and that no customer's personal data comes out of them.

November 2026 in Shanghai (UTC+8): the shop's midnight is 16:00 UTC the day before."""
import inspect
from datetime import date, datetime, timedelta

import pytest

from core import analytics, service_quality as sq
from core.analytics import Filters
from core.errors import PermissionDenied, ValidationError
from core.vocabulary import (AfterSalesKind, CallbackPurpose, CallbackStatus, CallOutcome,
                             CaseCategory, CaseKind, CaseStatus, Channel, ComplaintSeverity,
                             CustomerTier, Department, GoodsCondition, RefundStatus, Role,
                             RootCause, ServiceMode)
from db.models import (AfterSalesRequest, CallAttempt, Callback, Case, Complaint, Customer,
                       Order, OrderLine, Product, Refund, ServiceJob, ServiceReport, Store,
                       SurveyAnswer)
from tests.conftest import add_staff
from tests.figures import NOV, add, f, none, r, table, utc

DAY = timedelta(days=1)














def add_customer(uow, name="Li Lei", tier="regular", **kw) -> int:
    return add(uow, Customer(name=name, language="en", tier=CustomerTier(tier), **kw))


def add_case(uow, customer: int, created: datetime, *, owner=None, channel="phone",
             kind="inquiry", status="open", store=None, product=None, subject="Question",
             **kw) -> int:
    return add(uow, Case(kind=CaseKind(kind), channel=Channel(channel),
                         category=CaseCategory.COMPLAINT if kind == "complaint"
                         else CaseCategory.DELIVERY, status=CaseStatus(status),
                         customer_id=customer, owner_id=owner.staff_id if owner else None,
                         store_id=store, product_id=product, subject=subject,
                         created_at=created, **kw))


@pytest.fixture
def people(uow):
    return {"ann": add_staff(uow, "ann", Role.AGENT), "bob": add_staff(uow, "bob", Role.AGENT),
            "sue": add_staff(uow, "sue", Role.SUPERVISOR),
            "ana": add_staff(uow, "ana", Role.ANALYST),
            "adm": add_staff(uow, "adm", Role.ADMIN),
            "tina": add_staff(uow, "tina", Role.TECHNICIAN),
            "tom": add_staff(uow, "tom", Role.TECHNICIAN)}


@pytest.fixture
def world(uow):
    return {"north": add(uow, Store(code="N1", name="North")),
            "south": add(uow, Store(code="S1", name="South")),
            "kettle": add(uow, Product(sku="K-1", name="Kettle", category="kitchen",
                                       price_cents=20000)),
            "drill": add(uow, Product(sku="D-1", name="Drill", category="tools",
                                      price_cents=50000)),
            "lamp": add(uow, Product(sku="L-1", name="Lamp", category="home",
                                     price_cents=8000)),
            "customer": add_customer(uow)}


# --- satisfaction and reach ---------------------------------------------------------------

def answer(uow, customer, local, satisfaction, nps, case=None, agent=None):
    add(uow, SurveyAnswer(customer_id=customer, case_id=case,
                          handled_by_id=agent.staff_id if agent else None,
                          satisfaction=satisfaction, nps=nps, answered_at=utc(local)))


@pytest.fixture
def surveys(uow, people, world):
    """Ann's phone case and Bob's e-mail case, and what their customers said.

    | answered (local)   | agent | channel | 1-5 | NPS 0-10            |
    | Tue 10 Nov 10:00   | Ann   | phone   | 5   | 10 promoter         |
    | Wed 11 Nov 10:00   | Ann   | phone   | 4   | 9  promoter         |
    | Tue 17 Nov 10:00   | Ann   | phone   | 3   | 5  detractor        |
    | Wed 18 Nov 10:00   | Ann   | phone   | 4   | -                   |
    | Thu 19 Nov 10:00   | Bob   | email   | 2   | 3  detractor        |
    | Fri 20 Nov 10:00   | Bob   | email   | 3   | 7  passive          |
    | Mon 23 Nov 12:00   | -     | (no case) 5   | 10 promoter         |
    | Sat 31 Oct 23:00   | Ann   | phone   | 1   | 0  (October)        |
    | Tue 1 Dec 00:00    | Bob   | email   | 5   | 10 (December)       |
    """
    c, ann, bob = world["customer"], people["ann"], people["bob"]
    ca = add_case(uow, c, utc("2026-11-09 10:00"), owner=ann, channel="phone")
    cb = add_case(uow, c, utc("2026-11-09 11:00"), owner=bob, channel="email")
    for local, sat, nps, case, agent in [
            ("2026-11-10 10:00", 5, 10, ca, ann), ("2026-11-11 10:00", 4, 9, ca, ann),
            ("2026-11-17 10:00", 3, 5, ca, ann), ("2026-11-18 10:00", 4, None, ca, ann),
            ("2026-11-19 10:00", 2, 3, cb, bob), ("2026-11-20 10:00", 3, 7, cb, bob),
            ("2026-11-23 12:00", 5, 10, None, None),
            ("2026-10-31 23:00", 1, 0, ca, ann), ("2026-12-01 00:00", 5, 10, cb, bob)]:
        answer(uow, c, local, sat, nps, case, agent)
    return {"ca": ca, "cb": cb}


SCORES = ("answers", "satisfaction", "nps_answers", "nps")


def test_satisfaction_and_nps_by_agent(uow, people, surveys):
    frame = sq.satisfaction_by(uow, people["ana"], NOV, "agent")
    assert table(frame, "agent", SCORES) == {
        "Ann": (4, 4.0, 3, r(100 * (2 - 1) / 3)),
        "Bob": (2, 2.5, 2, -50.0),
        None: (1, 5.0, 1, 100.0),          # a survey with no case and no agent
    }
    assert list(frame["agent"][:2]) == ["Bob", "Ann"]  # lowest satisfaction first
    only_ann = sq.satisfaction_by(uow, people["sue"], f(agent_ids=(people["ann"].staff_id,)),
                                  "agent")
    assert table(only_ann, "agent", SCORES) == {"Ann": (4, 4.0, 3, r(100 / 3))}


def test_satisfaction_by_channel(uow, people, surveys):
    frame = sq.satisfaction_by(uow, people["ana"], NOV, "channel")
    assert table(frame, "channel", SCORES) == {
        "phone": (4, 4.0, 3, r(100 / 3)), "email": (2, 2.5, 2, -50.0), None: (1, 5.0, 1, 100.0)}
    phone = sq.satisfaction_by(uow, people["ana"], f(channels=("phone",)), "channel")
    assert table(phone, "channel", SCORES) == {"phone": (4, 4.0, 3, r(100 / 3))}
    with pytest.raises(ValidationError):
        sq.satisfaction_by(uow, people["ana"], NOV, "customer")


def test_satisfaction_of_the_whole_period(uow, people, surveys):
    # 5+4+3+4+2+3+5 = 26 over 7; NPS: 3 promoters, 2 detractors of 6 rated
    assert sq.satisfaction_total(uow, people["ana"], NOV) == {
        "answers": 7, "satisfaction": pytest.approx(26 / 7), "nps_answers": 6,
        "nps": pytest.approx(100 / 6)}
    assert sq.satisfaction_total(uow, people["ana"], f(channels=("email",)))["answers"] == 2


def test_satisfaction_trend(uow, people, surveys):
    weekly = sq.satisfaction_trend(uow, people["ana"], NOV, "week")
    assert table(weekly, "period", SCORES) == {
        date(2026, 11, 9): (2, 4.5, 2, 100.0),
        date(2026, 11, 16): (4, 3.0, 3, r(100 * (0 - 2) / 3)),
        date(2026, 11, 23): (1, 5.0, 1, 100.0),
    }
    monthly = sq.satisfaction_trend(uow, people["ana"], NOV, "month")
    # 5+4+3+4+2+3+5 = 26 over 7; NPS: 3 promoters, 2 detractors of 6 rated
    assert table(monthly, "period", SCORES) == {date(2026, 11, 1): (7, r(26 / 7), 6,
                                                                    r(100 / 6))}
    empty = sq.satisfaction_trend(uow, people["ana"], Filters(date(2025, 1, 1),
                                                               date(2025, 1, 31)))
    assert empty.empty


def test_an_answer_at_the_shops_midnight_counts_on_the_new_day(uow, people, world):
    c = world["customer"]
    answer(uow, c, "2026-11-22 23:30", 2, 0)   # Sunday, 15:30 UTC
    answer(uow, c, "2026-11-23 00:00", 4, 10)  # Monday, 16:00 UTC
    daily = sq.satisfaction_trend(uow, people["ana"], NOV, "day")
    assert table(daily, "period", ("answers", "satisfaction")) == {
        date(2026, 11, 22): (1, 2.0), date(2026, 11, 23): (1, 4.0)}


def test_callback_reach_rate(uow, people):
    ann = people["ann"]
    others = iter(add_customer(uow, f"Customer {i}") for i in range(8))  # a customer each

    def callback(status, closed_local, *outcomes):
        cb = add(uow, Callback(customer_id=next(others), purpose=CallbackPurpose.FOLLOW_UP,
                               due_at=utc("2026-11-09 10:00"), status=CallbackStatus(status),
                               closed_at=utc(closed_local) if closed_local else None))
        for outcome in outcomes:
            add(uow, CallAttempt(callback_id=cb, staff_id=ann.staff_id,
                                 outcome=CallOutcome(outcome),
                                 attempted_at=utc("2026-11-10 09:00")))

    callback("done", "2026-11-10 10:00", "no_answer", "reached")          # reached
    callback("done", "2026-11-11 10:00", "declined")                      # reached, said no
    callback("unreachable", "2026-11-12 10:00", "no_answer", "no_answer", "no_answer")
    callback("unreachable", "2026-11-13 10:00", "wrong_number")
    callback("cancelled", "2026-11-12 10:00")                             # never called
    callback("open", None, "call_back_later")                             # not ended
    callback("done", "2026-10-20 10:00", "reached")                       # October
    callback("done", "2026-12-01 00:30", "reached")                       # December
    assert sq.reach(uow, people["ana"], NOV) == {"closed": 4, "reached": 2, "rate": 0.5}
    assert sq.reach(uow, people["ana"], Filters(date(2025, 1, 1), date(2025, 1, 31))) == {
        "closed": 0, "reached": 0, "rate": None}


# --- complaints ----------------------------------------------------------------------------

@pytest.fixture
def complaints(uow, world):
    """Ten complaints in November and one (#11) in October ("resp." = responsible).

    | # | root cause      | product | resp. product | store | resp. store | department |
    | 1 | product_defect  | kettle  |               | north |             | quality    |
    | 2 | product_defect  | kettle  |               | north |             | quality    |
    | 3 | product_defect  | drill   | kettle        | south |             | quality    |
    | 4 | product_defect  | drill   |               | south | north       | quality    |
    | 5 | delivery_delay  | kettle  | drill         | north |             | logistics  |
    | 6 | delivery_delay  |         |               | south |             | logistics  |
    | 7 | delivery_delay  | lamp    |               |       | south       | logistics  |
    | 8 | (not yet)       | lamp    |               | north |             |            |
    | 9 | (not yet)       |         |               |       |             |            |
    | 10| staff_behaviour | kettle  |               | south |             | store      |
    | 11| product_defect  | lamp    |               | south |             | quality    |
    """
    w = {k: v for k, v in world.items()}
    w[None] = None
    rows = [
        ("product_defect", "kettle", None, "north", None, "quality"),
        ("product_defect", "kettle", None, "north", None, "quality"),
        ("product_defect", "drill", "kettle", "south", None, "quality"),
        ("product_defect", "drill", None, "south", "north", "quality"),
        ("delivery_delay", "kettle", "drill", "north", None, "logistics"),
        ("delivery_delay", None, None, "south", None, "logistics"),
        ("delivery_delay", "lamp", None, None, "south", "logistics"),
        (None, "lamp", None, "north", None, None),
        (None, None, None, None, None, None),
        ("staff_behaviour", "kettle", None, "south", None, "store"),
    ]
    ids = []
    for i, (cause, product, resp_product, store, resp_store, dept) in enumerate(rows):
        case = add_case(uow, world["customer"], utc(f"2026-11-{i + 2:02d} 10:00"),
                        kind="complaint", product=w[product], store=w[store],
                        subject=f"Complaint {i + 1}")
        add(uow, Complaint(case_id=case, severity=ComplaintSeverity.MINOR,
                           root_cause=RootCause(cause) if cause else None,
                           responsible_product_id=w[resp_product],
                           responsible_store_id=w[resp_store],
                           responsible_department=Department(dept) if dept else None))
        ids.append(case)
    october = add_case(uow, world["customer"], utc("2026-10-20 10:00"), kind="complaint",
                       product=world["lamp"], store=world["south"])
    add(uow, Complaint(case_id=october, severity=ComplaintSeverity.MAJOR,
                       root_cause=RootCause.PRODUCT_DEFECT,
                       responsible_department=Department.QUALITY))
    return ids


def test_complaint_pareto(uow, people, complaints):
    frame = sq.complaint_causes(uow, people["ana"], NOV)
    assert [(none(row["root_cause"]), row["complaints"], r(row["share"]),
             r(row["cumulative_share"])) for row in frame.to_dict("records")] == [
        ("product_defect", 4, 0.4, 0.4), ("delivery_delay", 3, 0.3, 0.7),
        (None, 2, 0.2, 0.9), ("staff_behaviour", 1, 0.1, 1.0)]
    assert frame["cumulative_share"].iloc[-1] == pytest.approx(1.0)
    assert frame["complaints"].is_monotonic_decreasing
    empty = sq.complaint_causes(uow, people["ana"], Filters(date(2025, 1, 1),
                                                             date(2025, 1, 31)))
    assert empty.empty


def test_complaints_by_product_store_and_department(uow, people, world, complaints):
    ana = people["ana"]
    by_product = sq.complaints_by(uow, ana, NOV, "product")
    # the responsible product wins over the case's: #3 is the kettle's, #5 the drill's
    assert table(by_product, "sku", ("product", "product_category", "complaints")) == {
        "K-1": ("Kettle", "kitchen", 4), "D-1": ("Drill", "tools", 2),
        "L-1": ("Lamp", "home", 2)}
    assert by_product["sku"].iloc[0] == "K-1" and by_product["complaints"].is_monotonic_decreasing
    by_store = sq.complaints_by(uow, ana, NOV, "store")
    # the responsible store wins over the case's: #4 is North's, #7 South's
    assert table(by_store, "store_code", ("store", "complaints")) == {
        "N1": ("North", 5), "S1": ("South", 4)}
    by_department = sq.complaints_by(uow, ana, NOV, "department")
    assert table(by_department, "department", ("complaints",)) == {
        "quality": (4,), "logistics": (3,), None: (2,), "store": (1,)}
    assert list(by_department["complaints"]) == [4, 3, 2, 1]
    assert len(sq.complaints_by(uow, ana, NOV, "product", limit=1)) == 1
    # the case's own filters apply: the kitchen's cases are #1, #2, #5, #10
    kitchen = sq.complaints_by(uow, ana, f(product_categories=("kitchen",)), "product")
    assert table(kitchen, "sku", ("complaints",)) == {"K-1": (3,), "D-1": (1,)}
    with pytest.raises(ValidationError):
        sq.complaints_by(uow, ana, NOV, "customer")


def test_complaint_examples(uow, people, complaints):
    frame = sq.complaint_examples(uow, people["sue"], NOV, "product_defect", limit=3)
    assert list(frame["subject"]) == ["Complaint 4", "Complaint 3", "Complaint 2"]  # newest
    assert list(frame["case_id"]) == [complaints[3], complaints[2], complaints[1]]
    assert list(frame["product"]) == ["Drill", "Drill", "Kettle"]
    none_yet = sq.complaint_examples(uow, people["sue"], NOV, None)
    assert list(none_yet["subject"]) == ["Complaint 9", "Complaint 8"]
    # an analyst gets the same cases without what the agents wrote about them
    theirs = sq.complaint_examples(uow, people["ana"], NOV, "product_defect", limit=3)
    assert list(theirs["case_id"]) == list(frame["case_id"])
    assert theirs["subject"].isna().all()


# --- after-sales ---------------------------------------------------------------------------

@pytest.fixture
def after_sales(uow, people, world):
    """Sold in November: kettles 10 (North) + 5 (South), drills 2 (North) + 3 (South); 4
    kettles in October (North). Requests, refunds and service reports below."""
    c, ann, tina, tom = world["customer"], people["ann"], people["tina"], people["tom"]
    orders = iter(range(1, 100))

    def line(store, local, product, quantity):
        price = 20000 if product == "kettle" else 50000
        order = add(uow, Order(order_number=f"SO-{next(orders)}", customer_id=c,
                               store_id=world[store], channel=Channel.WALK_IN,
                               ordered_at=utc(local)))
        return add(uow, OrderLine(order_id=order, product_id=world[product], quantity=quantity,
                                  unit_price_cents=price, paid_cents=quantity * price))

    k_north = line("north", "2026-11-03 10:00", "kettle", 10)
    d_north = line("north", "2026-11-03 11:00", "drill", 2)
    k_south = line("south", "2026-11-04 10:00", "kettle", 5)
    d_south = line("south", "2026-11-04 11:00", "drill", 3)
    k_october = line("north", "2026-10-10 10:00", "kettle", 4)

    def request(order_line, kind, local):
        return add(uow, AfterSalesRequest(customer_id=c, order_line_id=order_line,
                                          kind=AfterSalesKind(kind), reason="Broken",
                                          condition=GoodsCondition.DEFECTIVE,
                                          created_by_id=ann.staff_id, created_at=utc(local)))

    request(k_north, "return", "2026-11-10 10:00")
    request(k_north, "return", "2026-11-11 10:00")
    k_exchange = request(k_south, "exchange", "2026-11-12 10:00")
    k_repair = request(k_october, "repair", "2026-11-13 10:00")   # bought in October
    request(k_north, "return", "2026-10-28 10:00")                # October: not counted
    d_repair_north = request(d_north, "repair", "2026-11-14 10:00")
    d_repair_south = request(d_south, "repair", "2026-11-15 10:00")
    request(d_south, "return", "2026-11-16 10:00")

    for order_line, cents, status, local in [
            (k_north, 5000, "approved", "2026-11-10 12:00"),
            (k_south, 3000, "paid", "2026-11-12 12:00"),
            (k_north, 7000, "requested", "2026-11-11 12:00"),
            (k_north, 2000, "rejected", "2026-11-11 13:00"),
            (k_south, 4000, "awaiting_approval", "2026-11-12 13:00"),
            (k_north, 1000, "paid", "2026-10-28 12:00"),              # October
            (d_south, 6000, "paid", "2026-11-16 12:00")]:
        add(uow, Refund(order_line_id=order_line, amount_cents=cents,
                        status=RefundStatus(status), requested_by_id=ann.staff_id,
                        created_at=utc(local)))

    def job(req, technician, passed, qc_local, kind="repair", report=None):
        j = add(uow, ServiceJob(request_id=req, technician_id=technician.staff_id,
                                kind=AfterSalesKind(kind), mode=ServiceMode.IN_STORE,
                                qc_passed=passed, qc_at=utc(qc_local) if qc_local else None))
        if report:
            parts, labour, transport, local = report
            add(uow, ServiceReport(job_id=j, work_done="Fixed", labour_minutes=labour,
                                   material_cost_cents=parts, transport_cost_cents=transport,
                                   submitted_by_id=technician.staff_id,
                                   submitted_at=utc(local)))

    job(k_repair, tina, True, "2026-11-14 10:00", report=(1500, 45, 800, "2026-11-14 11:00"))
    job(d_repair_north, tina, False, "2026-11-15 10:00",
        report=(2000, 60, 0, "2026-11-15 11:00"))
    job(d_repair_south, tom, True, "2026-11-16 10:00",
        report=(500, 30, 1200, "2026-11-16 11:00"))
    job(k_exchange, tina, True, "2026-11-13 10:00", kind="exchange")
    job(d_repair_south, tom, None, None)                           # not checked yet
    job(k_repair, tom, False, "2026-10-30 10:00")                  # October


AFTER_SALES = ("units_sold", "requests", "returns", "exchanges", "repairs", "return_rate",
               "exchange_rate", "repair_rate", "refunded_cents", "parts_cents",
               "labour_minutes", "transport_cents")


def test_after_sales_per_product(uow, people, after_sales):
    frame = sq.after_sales_by_product(uow, people["ana"], NOV)
    assert list(frame["sku"]) == ["K-1", "D-1"]               # most requests first
    assert table(frame, "sku", AFTER_SALES) == {
        # 15 sold; 2 returns, 1 exchange, 1 repair; refunds 5000 approved + 3000 paid;
        # the kettle repair's report
        "K-1": (15, 4, 2, 1, 1, r(2 / 15), r(1 / 15), r(1 / 15), 8000, 1500, 45, 800),
        # 5 sold; 1 return, 2 repairs; 6000 paid; two reports
        "D-1": (5, 3, 1, 0, 2, 0.2, 0.0, 0.4, 6000, 2500, 90, 1200),
    }
    assert table(frame, "sku", ("product", "product_category")) == {
        "K-1": ("Kettle", "kitchen"), "D-1": ("Drill", "tools")}
    tools = sq.after_sales_by_product(uow, people["ana"], f(product_categories=("tools",)))
    assert list(tools["sku"]) == ["D-1"]
    assert list(sq.after_sales_by_product(uow, people["ana"], NOV, limit=1)["sku"]) == ["K-1"]
    empty = sq.after_sales_by_product(uow, people["ana"], Filters(date(2025, 1, 1),
                                                                   date(2025, 1, 31)))
    assert empty.empty and list(empty.columns) == sq.AFTER_SALES_COLUMNS


def test_after_sales_of_one_store(uow, people, world, after_sales):
    frame = sq.after_sales_by_product(uow, people["ana"], f(store_ids=(world["north"],)))
    assert table(frame, "sku", AFTER_SALES) == {
        # North: 10 kettles sold in November; 2 returns + the repair of October's kettle;
        # the 5000 approved refund; the kettle repair's report
        "K-1": (10, 3, 2, 0, 1, 0.2, 0.0, 0.1, 5000, 1500, 45, 800),
        # North: 2 drills; 1 repair (Tina's report); no refund
        "D-1": (2, 1, 0, 0, 1, 0.0, 0.0, 0.5, 0, 2000, 60, 0),
    }


def test_refunds_of_the_period_whatever_led_to_them(uow, people, world, after_sales):
    # approved or paid in November: 5000 (North) + 3000 + 6000 (South); not the requested,
    # rejected or waiting ones, nor October's
    assert sq.refunds_total(uow, people["ana"], NOV) == {"refunds": 3,
                                                         "refunded_cents": 14000}
    assert sq.refunds_total(uow, people["ana"], f(store_ids=(world["north"],))) == {
        "refunds": 1, "refunded_cents": 5000}


# --- backlog and scorecards ----------------------------------------------------------------

NOW = utc("2026-11-26 15:00")


def test_backlog_by_age_and_status(uow, people, world):
    c, ann, bob = world["customer"], people["ann"], people["bob"]
    for age, status, owner in [
            (timedelta(hours=2), "new", ann), (timedelta(hours=5), "open", bob),
            (DAY, "open", ann),                          # exactly a day: 1-3 days
            (2 * DAY, "open", bob), (2 * DAY, "waiting_customer", ann),
            (5 * DAY, "waiting_internal", ann), (10 * DAY, "open", bob),
            (20 * DAY, "new", None), (40 * DAY, "open", ann),
            (3 * timedelta(hours=1), "resolved", ann), (50 * DAY, "closed", bob)]:
        add_case(uow, c, NOW - age, owner=owner, status=status)
    frame = sq.backlog(uow, people["ana"], NOV, now=NOW)
    assert [(row["age"], row["status"], row["cases"]) for row in frame.to_dict("records")] == [
        ("under 1 day", "new", 1), ("under 1 day", "open", 1),
        ("1–3 days", "open", 2), ("1–3 days", "waiting_customer", 1),
        ("3–7 days", "waiting_internal", 1), ("1–2 weeks", "open", 1),
        ("2–4 weeks", "new", 1), ("over 4 weeks", "open", 1)]
    # the period does not apply (the backlog is today's); the other filters do
    bobs = sq.backlog(uow, people["ana"], Filters(date(2025, 1, 1), date(2025, 1, 31),
                                                  agent_ids=(bob.staff_id,)), now=NOW)
    assert [(row["age"], row["status"], row["cases"]) for row in bobs.to_dict("records")] == [
        ("under 1 day", "open", 1), ("1–3 days", "open", 1), ("1–2 weeks", "open", 1)]


def test_scorecards(uow, people, world, after_sales):
    c, ann, bob = world["customer"], people["ann"], people["bob"]
    day = utc("2026-11-10 10:00")
    hour = timedelta(hours=1)

    def case(owner, fr, res=None, fr_late=False, res_late=False, fcr=False, reopened=False):
        add_case(uow, c, day, owner=owner, status="resolved" if res is not None else "open",
                 first_response_at=day + hour, first_response_minutes=fr,
                 first_response_due_at=day + 2 * hour, first_response_breached=fr_late,
                 resolved_at=day + 3 * hour if res is not None else None,
                 resolution_minutes=res, resolution_due_at=day + 4 * hour,
                 resolution_breached=res_late, first_contact_resolution=fcr,
                 reopen_count=1 if reopened else 0)

    case(ann, 10, 30, fcr=True)
    case(ann, 20, 90, res_late=True, reopened=True)
    case(ann, 30, fr_late=True)
    case(bob, 60, 120)
    case(bob, 0, 0, fcr=True)
    case(None, 5)                                   # nobody's: no scorecard
    for sat, agent in ((5, ann), (4, ann), (2, bob)):
        answer(uow, c, "2026-11-12 10:00", sat, None, agent=agent)
    # Ann's third case is still open past its resolution due time (14:00 on 10 November):
    # a miss of her resolution SLA already (1 in time of 2 resolved + 1 late and open)
    frame = sq.scorecards(uow, people["sue"], NOV, now=utc("2026-11-20 09:00"))
    assert list(frame["agent"]) == ["Ann", "Bob", "Tina", "Tom"]
    assert table(frame, "agent", (
        "cases", "handled", "avg_response_minutes", "avg_resolution_minutes", "response_rate",
        "resolution_rate", "fcr_rate", "reopen_rate", "satisfaction", "answers")) == {
        "Ann": (3, 2, 20.0, 60.0, r(2 / 3), r(1 / 3), 0.5, 0.5, 4.5, 2),
        "Bob": (2, 2, 30.0, 60.0, 1.0, 1.0, 0.5, 0.0, 2.0, 1),
        "Tina": (None,) * 10, "Tom": (None,) * 10}
    # technicians: the quality checks of November (Tina 2 passed of 3, Tom 1 of 1)
    assert table(frame, "agent", ("qc_checked", "qc_pass_rate")) == {
        "Ann": (None, None), "Bob": (None, None), "Tina": (3.0, r(2 / 3)), "Tom": (1.0, 1.0)}


def test_scorecards_of_an_empty_period(uow, people, world):
    frame = sq.scorecards(uow, people["ana"], Filters(date(2025, 1, 1), date(2025, 1, 31)))
    assert frame.empty


# --- who may look, and what they never see ------------------------------------------------

CALLS = {
    analytics.filter_options: lambda u, a: analytics.filter_options(u, a),
    analytics.counts: lambda u, a: analytics.counts(u, a, NOV, ("channel",)),
    analytics.volume: lambda u, a: analytics.volume(u, a, NOV),
    analytics.trend: lambda u, a: analytics.trend(u, a, NOV),
    analytics.breakdown: lambda u, a: analytics.breakdown(u, a, NOV, "agent_id"),
    analytics.headline: lambda u, a: analytics.headline(u, a, NOV),
    analytics.overview: lambda u, a: analytics.overview(u, a, NOV),
    analytics.minute_histograms: lambda u, a: analytics.minute_histograms(u, a, NOV),
    analytics.durations: lambda u, a: analytics.durations(u, a, NOV),
    analytics.duration_histogram: lambda u, a: analytics.duration_histogram(u, a, NOV),
    sq.satisfaction_by: lambda u, a: sq.satisfaction_by(u, a, NOV, "agent"),
    sq.satisfaction_trend: lambda u, a: sq.satisfaction_trend(u, a, NOV),
    sq.satisfaction_total: lambda u, a: sq.satisfaction_total(u, a, NOV),
    sq.refunds_total: lambda u, a: sq.refunds_total(u, a, NOV),
    sq.reach: lambda u, a: sq.reach(u, a, NOV),
    sq.complaint_causes: lambda u, a: sq.complaint_causes(u, a, NOV),
    sq.complaints_by: lambda u, a: sq.complaints_by(u, a, NOV, "product"),
    sq.complaint_examples: lambda u, a: sq.complaint_examples(u, a, NOV, "product_defect"),
    sq.after_sales_by_product: lambda u, a: sq.after_sales_by_product(u, a, NOV),
    sq.backlog: lambda u, a: sq.backlog(u, a, NOV, now=NOW),
    sq.scorecards: lambda u, a: sq.scorecards(u, a, NOV),
}


def public_functions(module) -> set:
    """The module's own public functions that act for someone."""
    return {fn for name, fn in inspect.getmembers(module, inspect.isfunction)
            if fn.__module__ == module.__name__ and not name.startswith("_")
            and "actor" in inspect.signature(fn).parameters}


def test_every_public_function_is_checked_here():
    assert set(CALLS) == public_functions(analytics) | public_functions(sq)


@pytest.mark.parametrize("call", CALLS.values(), ids=[fn.__name__ for fn in CALLS])
def test_only_analysts_and_supervisors_may_read_figures(uow, people, call):
    for who in ("ann", "tina", "adm"):
        with pytest.raises(PermissionDenied):
            call(uow, people[who])
    for who in ("ana", "sue"):
        call(uow, people[who])


@pytest.mark.parametrize("filters", [
    Filters(date(2026, 11, 30), date(2026, 11, 1)),    # ends before it starts
    Filters(date(2024, 1, 1), date(2026, 1, 1)),       # 732 days
    f(channels=("fax",)),
], ids=["end-before-start", "732-days", "unknown-channel"])
def test_bad_filters_are_refused_everywhere(uow, people, filters):
    ana = people["ana"]
    for call in (lambda: sq.satisfaction_by(uow, ana, filters, "agent"),
                 lambda: sq.satisfaction_trend(uow, ana, filters),
                 lambda: sq.reach(uow, ana, filters),
                 lambda: sq.complaint_causes(uow, ana, filters),
                 lambda: sq.complaints_by(uow, ana, filters, "store"),
                 lambda: sq.complaint_examples(uow, ana, filters, None),
                 lambda: sq.after_sales_by_product(uow, ana, filters),
                 lambda: sq.backlog(uow, ana, filters, now=NOW),
                 lambda: sq.scorecards(uow, ana, filters),
                 lambda: analytics.overview(uow, ana, filters),
                 lambda: analytics.minute_histograms(uow, ana, filters)):
        with pytest.raises(ValidationError):
            call()


SECRETS = ("Secretname", "13912345678", "12345678", "secret@example.com", "example.com",
           "Secret Road")


def test_no_personal_data_in_any_figure(uow, people, world, after_sales):
    """A customer whose name, phone, e-mail and address are known, in every kind of record
    the figures read, with a complaint subject quoting the phone and the e-mail."""
    ann, tina = people["ann"], people["tina"]
    zhang = add_customer(uow, "Zhang Secretname", "vip", phone="+8613912345678",
                         phone_normalized="+8613912345678", email="secret@example.com",
                         address="88 Secret Road", city="Shanghai")
    subjects = {"complaint": "Lid broke, call 139-1234-5678 / secret@example.com",
                "inquiry": "Zhang Secretname asks: call +86 139 1234 5678",
                "second complaint": "Zhang: +8613912345678, mail secret@example.com"}
    for i, (what, subject) in enumerate(subjects.items()):
        case = add_case(uow, zhang, utc(f"2026-11-1{i} 10:00"), owner=ann,
                        kind=what.split()[-1], status="resolved", store=world["north"],
                        product=world["kettle"], subject=subject,
                        question="Zhang Secretname, +8613912345678, 88 Secret Road",
                        answer="Dear Zhang Secretname", first_response_at=utc("2026-11-10 11:00"),
                        first_response_minutes=60, resolved_at=utc("2026-11-10 12:00"),
                        resolution_minutes=120)
        if what.endswith("complaint"):
            add(uow, Complaint(case_id=case, severity=ComplaintSeverity.MAJOR,
                               root_cause=RootCause.PRODUCT_DEFECT,
                               evaluation_comment="Zhang Secretname is angry",
                               result="Called +8613912345678"))
        add(uow, SurveyAnswer(customer_id=zhang, case_id=case, handled_by_id=ann.staff_id,
                              satisfaction=2, nps=4, comment="Zhang Secretname, 13912345678",
                              answered_at=utc("2026-11-12 10:00")))
    cb = add(uow, Callback(customer_id=zhang, purpose=CallbackPurpose.FOLLOW_UP,
                           topic="Call Zhang Secretname on 13912345678",
                           due_at=utc("2026-11-12 10:00"), status=CallbackStatus.DONE,
                           closed_at=utc("2026-11-12 10:05")))
    add(uow, CallAttempt(callback_id=cb, staff_id=ann.staff_id, outcome=CallOutcome.REACHED,
                         note="secret@example.com"))
    order = add(uow, Order(order_number="SO-SECRET", customer_id=zhang, channel=Channel.PHONE,
                           store_id=world["north"], ordered_at=utc("2026-11-05 10:00"),
                           delivery_address="88 Secret Road"))
    order_line = add(uow, OrderLine(order_id=order, product_id=world["kettle"], quantity=1,
                                    unit_price_cents=20000, paid_cents=20000))
    req = add(uow, AfterSalesRequest(customer_id=zhang, order_line_id=order_line,
                                     kind=AfterSalesKind.REPAIR, reason="Zhang Secretname",
                                     condition=GoodsCondition.DEFECTIVE,
                                     created_by_id=ann.staff_id,
                                     created_at=utc("2026-11-15 10:00")))
    add(uow, ServiceJob(request_id=req, technician_id=tina.staff_id, kind=AfterSalesKind.REPAIR,
                        mode=ServiceMode.ON_SITE, address="88 Secret Road", qc_passed=True,
                        qc_at=utc("2026-11-16 10:00")))

    ana = people["ana"]
    results = {name: call(uow, ana) for name, call in
               ((fn.__name__, call) for fn, call in CALLS.items())}
    for by in ("channel", "kind", "category", "agent_id", "store_id", "product_category",
               "tier", "day"):
        results[f"breakdown {by}"] = analytics.breakdown(uow, ana, NOV, by)
    for grain in analytics.GRAINS:
        results[f"volume {grain}"] = analytics.volume(uow, ana, NOV, grain)
        results[f"satisfaction_trend {grain}"] = sq.satisfaction_trend(uow, ana, NOV, grain)
    for by in sq.SATISFACTION_BY:
        results[f"satisfaction_by {by}"] = sq.satisfaction_by(uow, ana, NOV, by)
    for by in sq.COMPLAINTS_BY:
        results[f"complaints_by {by}"] = sq.complaints_by(uow, ana, NOV, by)
    for cause in [None] + [c.value for c in RootCause]:
        results[f"complaint_examples {cause}"] = sq.complaint_examples(uow, ana, NOV, cause)
    results["a vip filter"] = analytics.counts(uow, ana, f(tiers=("vip",)), ("channel",))
    view = results.pop("overview")
    results.update({f"overview {k}": getattr(view, k) for k in
                    ("headline", "previous", "volume", "trend", "durations")})

    examples = results["complaint_examples product_defect"]
    assert len(examples) == 2 and examples["subject"].isna().all()
    # a supervisor reads the subjects, still with the name, phone and e-mail masked
    theirs = sq.complaint_examples(uow, people["sue"], NOV, "product_defect")
    assert list(theirs["subject"]) == ["***: ***, mail ***", "Lid broke, call *** / ***"]
    assert results["headline"]["created"] >= 2
    for name, result in results.items():
        if hasattr(result, "columns"):
            cells = [c for c in result.columns]
            cells += [v for row in result.itertuples(index=False) for v in row]
        elif isinstance(result, dict):
            cells = [*result, *result.values()]
        else:
            cells = [result]
        for cell in cells:
            text = str(cell)
            assert not any(secret in text for secret in SECRETS), (name, text)
            assert "13912345678" not in "".join(ch for ch in text if ch.isdigit()), (name, text)
