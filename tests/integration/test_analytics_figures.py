"""The Analytics page's case figures (core.analytics) on small hand-built datasets whose
answer is worked out by hand and written down here: volume per shop day / week / month,
SLA compliance (met / targeted) per channel, category and agent and its trend, medians and
90th percentiles in opening minutes, FCR / reopen / escalation rates, the rollup and the
cases giving the same numbers, the case-only filters, and the filters that are refused.

November 2026 has no public holiday in China; the shop is in Shanghai (UTC+8), open
09:00-18:00 Monday to Friday (the default policies' migration)."""
from datetime import date, datetime, timedelta

import pytest

from core import analytics, cases
from core.analytics import Filters
from core.errors import ValidationError
from core.vocabulary import (CaseCategory, CaseKind, CaseStatus, Channel, CustomerTier,
                             Role)
from db import rollups
from db.models import Case, Customer, Product, Store
from tests.conftest import add_staff
from tests.figures import NOV, add, f, r, table, utc

MIN, HOUR = timedelta(minutes=1), timedelta(hours=1)
BOTH_TIERS = ("regular", "vip")  # keeps every case, but only the cases can answer it










# --- the dataset ---------------------------------------------------------------------------



def add_customer(uow, name: str, tier: str = "regular") -> int:
    return add(uow, Customer(name=name, phone=None, language="en", tier=CustomerTier(tier)))


def add_case(uow, created: datetime, customer: int, *, channel="email", kind="inquiry",
             category="delivery", owner=None, store=None, product=None, fr=None,
             fr_sla=None, res=None, res_sla=None, fcr=False, reopened=False,
             escalated=False) -> int:
    """A case created at `created` (naive UTC). fr / res: opening minutes to the first
    response / resolution (None = not yet); fr_sla / res_sla: None = no target, 'met' or
    'late' (the due time is an hour after creation; times on the case agree with it)."""
    due = created + HOUR
    done = {"met": 30 * MIN, "late": 2 * HOUR, None: 30 * MIN}
    status = CaseStatus.RESOLVED if res is not None else (
        CaseStatus.OPEN if fr is not None else CaseStatus.NEW)
    return add(uow, Case(
        kind=CaseKind(kind), channel=Channel(channel), category=CaseCategory(category),
        status=status, customer_id=customer, owner_id=owner.staff_id if owner else None,
        store_id=store, product_id=product, subject="Question", created_at=created,
        first_response_at=created + done[fr_sla] if fr is not None else None,
        first_response_minutes=fr,
        first_response_due_at=due if fr_sla else None,
        first_response_breached=fr_sla == "late",
        resolved_at=created + done[res_sla] + HOUR if res is not None else None,
        resolution_minutes=res,
        resolution_due_at=due + HOUR if res_sla else None,
        resolution_breached=res_sla == "late",
        first_contact_resolution=fcr, reopen_count=1 if reopened else 0,
        escalated=escalated))


@pytest.fixture
def people(uow):
    return {"ann": add_staff(uow, "ann", Role.AGENT), "bob": add_staff(uow, "bob", Role.AGENT),
            "sue": add_staff(uow, "sue", Role.SUPERVISOR),
            "ana": add_staff(uow, "ana", Role.ANALYST)}


@pytest.fixture
def world(uow):
    return {"north": add(uow, Store(code="N1", name="North")),
            "south": add(uow, Store(code="S1", name="South")),
            "kettle": add(uow, Product(sku="K-1", name="Kettle", category="kitchen",
                                       price_cents=20000)),
            "drill": add(uow, Product(sku="D-1", name="Drill", category="tools",
                                      price_cents=50000)),
            "regular": add_customer(uow, "Li Lei"),
            "vip": add_customer(uow, "Han Meimei", "vip")}


@pytest.fixture
def sla_cases(uow, people, world):
    """Seven cases over two weeks of November.

    | case | created (local)  | channel | category | owner | store | product | tier    |
    |      |                  | first response  | resolution      | FCR | reopen | esc |
    | c1   | Tue 10 Nov 10:00 | phone   | delivery | ann   | north | kettle  | regular |
    |      |                  | met             | met             | yes |        |     |
    | c2   | Mon 16 Nov 09:30 | phone   | delivery | ann   | north | drill   | vip     |
    |      |                  | met             | met             |     | yes    |     |
    | c3   | Wed 11 Nov 11:00 | phone   | price    | bob   | south | kettle  | regular |
    |      |                  | late            | late            |     |        | yes |
    | c4   | Fri 13 Nov 15:00 | email   | delivery | bob   | south | -       | regular |
    |      |                  | met             | (open)          |     |        |     |
    | c5   | Tue 17 Nov 14:00 | email   | usage    | ann   | south | drill   | vip     |
    |      |                  | no target       | no target       | yes |        |     |
    | c6   | Wed 18 Nov 16:00 | chat    | price    | -     | north | -       | regular |
    |      |                  | (none yet)      | (open)          |     |        | yes |
    | c7   | Fri 20 Nov 10:00 | email   | usage    | bob   | north | kettle  | vip     |
    |      |                  | late            | met             |     |        |     |
    """
    ann, bob = people["ann"], people["bob"]
    w = world
    return {
        "c1": add_case(uow, utc("2026-11-10 10:00"), w["regular"], channel="phone", owner=ann,
                       store=w["north"], product=w["kettle"], fr=5, fr_sla="met", res=30,
                       res_sla="met", fcr=True),
        "c2": add_case(uow, utc("2026-11-16 09:30"), w["vip"], channel="phone", owner=ann,
                       store=w["north"], product=w["drill"], fr=10, fr_sla="met", res=200,
                       res_sla="met", reopened=True),
        "c3": add_case(uow, utc("2026-11-11 11:00"), w["regular"], channel="phone",
                       category="price", owner=bob, store=w["south"], product=w["kettle"],
                       fr=90, fr_sla="late", res=300, res_sla="late", escalated=True),
        "c4": add_case(uow, utc("2026-11-13 15:00"), w["regular"], owner=bob,
                       store=w["south"], fr=40, fr_sla="met"),
        "c5": add_case(uow, utc("2026-11-17 14:00"), w["vip"], category="usage", owner=ann,
                       store=w["south"], product=w["drill"], fr=0, res=0, fcr=True),
        "c6": add_case(uow, utc("2026-11-18 16:00"), w["regular"], channel="chat",
                       category="price", store=w["north"], escalated=True),
        "c7": add_case(uow, utc("2026-11-20 10:00"), w["vip"], category="usage", owner=bob,
                       store=w["north"], product=w["kettle"], fr=150, fr_sla="late", res=400,
                       res_sla="met"),
    }


MEASURES = tuple(rollups.MEASURES)
RATES = ("created", "response_targeted", "response_met", "response_rate",
         "resolution_targeted", "resolution_met", "resolution_rate")


# --- volume ----------------------------------------------------------------------------------

@pytest.fixture
def volume_cases(uow, world):
    """Cases around the shop's midnights (16:00 UTC) and week ends. 1 Nov 2026 is a
    Sunday: its week starts on Monday 26 October."""
    c = world["regular"]
    at = {  # name: (stored UTC time, channel, kind) -> the shop's day
        "b1": ("2026-10-31 15:59", "phone", "inquiry"),    # Sat 31 Oct 23:59
        "b2": ("2026-10-31 16:00", "phone", "inquiry"),    # Sun 1 Nov 00:00
        "b3": ("2026-11-01 17:30", "phone", "inquiry"),    # Mon 2 Nov 01:30
        "b4": ("2026-11-01 09:00", "email", "complaint"),  # Sun 1 Nov 17:00
        "b5": ("2026-11-02 03:00", "phone", "inquiry"),    # Mon 2 Nov 11:00
        "b6": ("2026-11-08 15:00", "chat", "inquiry"),     # Sun 8 Nov 23:00
        "b7": ("2026-11-08 16:30", "chat", "inquiry"),     # Mon 9 Nov 00:30
        "b8": ("2026-11-20 02:00", "email", "complaint"),  # Fri 20 Nov 10:00
        "b9": ("2026-11-30 15:59", "web", "suggestion"),   # Mon 30 Nov 23:59
        "b10": ("2026-11-30 16:00", "web", "suggestion"),  # Tue 1 Dec 00:00
    }
    return {name: add_case(uow, datetime.fromisoformat(t), c, channel=ch, kind=k)
            for name, (t, ch, k) in at.items()}


def volumes(frame) -> dict:
    return {(row["period"], row["channel"], row["kind"]): row["cases"]
            for row in frame.to_dict("records")}


def test_a_case_counts_on_the_shops_day(uow, volume_cases):
    with uow.reader() as rd:
        days = {name: rd.session.get(Case, i).created_day for name, i in volume_cases.items()}
    assert days["b1"] == date(2026, 10, 31) and days["b2"] == date(2026, 11, 1)
    assert days["b3"] == date(2026, 11, 2)   # 17:30 UTC is already the next day in Shanghai
    assert days["b7"] == date(2026, 11, 9) and days["b10"] == date(2026, 12, 1)


def test_volume_per_day_week_and_month(uow, people, volume_cases):
    ana, d = people["ana"], date
    by_day = {
        (d(2026, 11, 1), "phone", "inquiry"): 1, (d(2026, 11, 1), "email", "complaint"): 1,
        (d(2026, 11, 2), "phone", "inquiry"): 2, (d(2026, 11, 8), "chat", "inquiry"): 1,
        (d(2026, 11, 9), "chat", "inquiry"): 1, (d(2026, 11, 20), "email", "complaint"): 1,
        (d(2026, 11, 30), "web", "suggestion"): 1}
    assert volumes(analytics.volume(uow, ana, NOV, "day")) == by_day
    by_week = {  # weeks start on Monday
        (d(2026, 10, 26), "phone", "inquiry"): 1, (d(2026, 10, 26), "email", "complaint"): 1,
        (d(2026, 11, 2), "phone", "inquiry"): 2, (d(2026, 11, 2), "chat", "inquiry"): 1,
        (d(2026, 11, 9), "chat", "inquiry"): 1, (d(2026, 11, 16), "email", "complaint"): 1,
        (d(2026, 11, 30), "web", "suggestion"): 1}
    assert volumes(analytics.volume(uow, ana, NOV, "week")) == by_week
    autumn = Filters(d(2026, 10, 1), d(2026, 12, 31))
    by_month = {
        (d(2026, 10, 1), "phone", "inquiry"): 1, (d(2026, 11, 1), "phone", "inquiry"): 3,
        (d(2026, 11, 1), "email", "complaint"): 2, (d(2026, 11, 1), "chat", "inquiry"): 2,
        (d(2026, 11, 1), "web", "suggestion"): 1, (d(2026, 12, 1), "web", "suggestion"): 1}
    assert volumes(analytics.volume(uow, ana, autumn, "month")) == by_month
    # the cases give the same answer as the rollup, at the same midnights
    assert volumes(analytics.volume(uow, ana, f(tiers=BOTH_TIERS), "week")) == by_week
    assert volumes(analytics.volume(uow, ana, Filters(d(2026, 12, 1), d(2026, 12, 1),
                                                      tiers=BOTH_TIERS))) == {
        (d(2026, 12, 1), "web", "suggestion"): 1}
    # a channel filter keeps that channel only
    assert volumes(analytics.volume(uow, ana, f(channels=("phone",)), "week")) == {
        (d(2026, 10, 26), "phone", "inquiry"): 1, (d(2026, 11, 2), "phone", "inquiry"): 2}
    assert analytics.volume(uow, ana, Filters(d(2025, 1, 1), d(2025, 1, 31))).empty


# --- SLA compliance and rates --------------------------------------------------------------

def test_sla_compliance_by_channel(uow, people, sla_cases):
    frame = analytics.breakdown(uow, people["ana"], NOV, "channel")
    assert table(frame, "channel", RATES) == {
        # created, fr targeted, met, rate, res targeted, met, rate
        "phone": (3, 3, 2, r(2 / 3), 3, 2, r(2 / 3)),
        "email": (3, 2, 1, 0.5, 1, 1, 1.0),     # c5 has no target: not in the denominator
        "chat": (1, 0, 0, None, 0, 0, None),    # nothing measured yet
    }
    assert list(frame["channel"])[-1] == "chat"  # biggest first


def test_sla_compliance_by_category(uow, people, sla_cases):
    frame = analytics.breakdown(uow, people["ana"], NOV, "category")
    assert table(frame, "category", RATES) == {
        "delivery": (3, 3, 3, 1.0, 2, 2, 1.0),
        "price": (2, 1, 0, 0.0, 1, 0, 0.0),
        "usage": (2, 1, 0, 0.0, 1, 1, 1.0),
    }


def test_sla_compliance_and_rates_by_agent(uow, people, sla_cases):
    frame = analytics.breakdown(uow, people["sue"], NOV, "agent_id")
    assert table(frame, "agent", RATES + ("fcr_rate", "reopen_rate", "escalation_rate")) == {
        "Ann": (3, 2, 2, 1.0, 2, 2, 1.0, r(2 / 3), r(1 / 3), 0.0),
        "Bob": (3, 3, 1, r(1 / 3), 2, 1, 0.5, 0.0, 0.0, r(1 / 3)),
        None: (1, 0, 0, None, 0, 0, None, None, None, 1.0),   # c6, nobody's yet
    }
    ids = table(frame, "agent", ("agent_id",))
    assert ids["Ann"] == (people["ann"].staff_id,) and ids["Bob"] == (people["bob"].staff_id,)


def test_sla_trend_per_week(uow, people, sla_cases):
    frame = analytics.trend(uow, people["ana"], NOV, "week")
    assert table(frame, "period", RATES) == {
        date(2026, 11, 9): (3, 3, 2, r(2 / 3), 2, 1, 0.5),      # c1, c3, c4
        date(2026, 11, 16): (4, 2, 1, 0.5, 2, 2, 1.0),          # c2, c5, c6, c7
    }
    monthly = analytics.trend(uow, people["ana"], NOV, "month")
    assert table(monthly, "period", RATES) == {date(2026, 11, 1): (7, 5, 3, 0.6, 4, 3, 0.75)}


def test_fcr_reopen_and_escalation_rates(uow, people, sla_cases):
    h = analytics.headline(uow, people["ana"], NOV)
    assert (h["created"], h["responded"], h["resolved"], h["first_contact_resolved"],
            h["reopened"], h["escalated"]) == (7, 6, 5, 2, 1, 2)
    assert h["fcr_rate"] == pytest.approx(2 / 5)        # c1, c5 of the 5 resolved
    assert h["reopen_rate"] == pytest.approx(1 / 5)     # c2
    assert h["escalation_rate"] == pytest.approx(2 / 7)  # c3, c6 of all 7
    assert h["response_rate"] == pytest.approx(3 / 5) and h["resolution_rate"] == 0.75
    assert h["avg_response_minutes"] == pytest.approx((5 + 10 + 90 + 40 + 0 + 150) / 6)
    assert h["avg_resolution_minutes"] == pytest.approx((30 + 200 + 300 + 0 + 400) / 5)
    nothing = analytics.headline(uow, people["ana"], Filters(date(2025, 1, 1),
                                                             date(2025, 1, 31)))
    assert nothing["created"] == 0 and nothing["fcr_rate"] is None
    assert nothing["response_rate"] is None and nothing["avg_response_minutes"] is None


def rows(frame) -> list[tuple]:
    """A counts() frame as sorted plain tuples (values, whatever type holds them)."""
    return sorted(tuple(int(v) if k in MEASURES else v for k, v in row.items())
                  for row in frame.to_dict("records"))


def test_the_rollup_and_the_cases_give_the_same_numbers(uow, people, sla_cases,
                                                        volume_cases):
    ana = people["ana"]
    for by in (("channel",), ("day", "channel", "kind", "category"), ()):
        from_rollup = rows(analytics.counts(uow, ana, NOV, by))
        assert from_rollup == rows(analytics.counts(uow, ana, f(tiers=BOTH_TIERS), by))
        assert sum(row[len(by)] for row in from_rollup) == 7 + 8      # created
    per_channel = table(analytics.counts(uow, ana, f(tiers=BOTH_TIERS), ("channel",)),
                        "channel", ("created", "responded", "resolved", "response_met",
                                    "resolution_met", "first_contact_resolved",
                                    "reopened", "escalated"))
    # sla_cases plus volume_cases b2..b9 (b1 and b10 are October and December)
    assert per_channel == {"phone": (3 + 3, 3, 3, 2, 2, 1, 1, 1),
                           "email": (3 + 2, 3, 2, 1, 1, 1, 0, 0),
                           "chat": (1 + 2, 0, 0, 0, 0, 0, 0, 1),
                           "web": (1, 0, 0, 0, 0, 0, 0, 0)}


def test_the_overview_is_the_same_figures_read_at_once(uow, people, sla_cases):
    ana = people["ana"]
    week = Filters(date(2026, 11, 16), date(2026, 11, 22))       # c2, c5, c6, c7
    view = analytics.overview(uow, ana, week, grain="day", trend_grain="week")
    assert view.headline == analytics.headline(uow, ana, week)
    assert view.previous == analytics.headline(uow, ana, week.previous())
    assert (view.headline["created"], view.headline["resolved"],
            view.headline["escalated"]) == (4, 3, 1)
    assert (view.previous["created"], view.previous["resolved"],
            view.previous["response_met"]) == (3, 2, 2)            # c1, c3, c4
    assert volumes(view.volume) == volumes(analytics.volume(uow, ana, week, "day")) == {
        (date(2026, 11, 16), "phone", "inquiry"): 1, (date(2026, 11, 17), "email", "inquiry"): 1,
        (date(2026, 11, 18), "chat", "inquiry"): 1, (date(2026, 11, 20), "email", "inquiry"): 1}
    assert table(view.trend, "period", RATES) == table(
        analytics.trend(uow, ana, week, "week"), "period", RATES) == {
        date(2026, 11, 16): (4, 2, 1, 0.5, 2, 2, 1.0)}
    assert view.durations.equals(analytics.durations(uow, ana, week))
    assert view.previous_durations.equals(analytics.durations(uow, ana, week.previous()))


def test_a_month_is_compared_with_the_calendar_month_before(uow, people, sla_cases):
    """November against October, not against the 30 days before 1 November: the days
    between a shorter month and its comparison belong to neither."""
    ana = people["ana"]
    nov = Filters(date(2026, 11, 1), date(2026, 11, 30), preset="last_month")
    view = analytics.overview(uow, ana, nov)
    october = Filters(date(2026, 10, 1), date(2026, 10, 31))
    assert (view.compared_with.start, view.compared_with.end) == (october.start, october.end)
    assert view.previous == analytics.headline(uow, ana, october)
    assert view.headline == analytics.headline(uow, ana, nov)


def test_the_overview_of_a_whole_leap_year(uow, people, sla_cases):
    year = Filters(date(2024, 1, 1), date(2024, 12, 31))         # 366 days
    view = analytics.overview(uow, people["ana"], year)
    assert view.headline["created"] == 0 and view.previous["created"] == 0


def test_counts_are_whole_numbers_on_both_databases(uow, people, sla_cases):
    """The rollup's sums come back as int64 whatever the database, so that every rate can
    be taken, also on a day when nothing was resolved (Wednesday 18 November: c6 only)."""
    ana = people["ana"]
    for by in (("channel",), ("day",), ("category",)):
        frame = analytics.counts(uow, ana, NOV, by)
        assert {str(frame[m].dtype) for m in MEASURES} == {"int64"}, by
    daily = analytics.trend(uow, ana, NOV, "day")
    assert table(daily, "period", ("created", "resolved", "avg_resolution_minutes"))[
        date(2026, 11, 18)] == (1, 0, None)


# --- filters on what only the cases know ---------------------------------------------------

def test_filters_narrow_to_the_right_cases(uow, people, world, sla_cases):
    ana, w = people["ana"], world

    def created(**kw):
        return analytics.headline(uow, ana, f(**kw))["created"]

    assert created(store_ids=(w["north"],)) == 4                 # c1, c2, c6, c7
    assert created(store_ids=(w["south"],)) == 3                 # c3, c4, c5
    assert created(store_ids=(w["north"], w["south"])) == 7
    assert created(product_categories=("kitchen",)) == 3         # c1, c3, c7
    assert created(product_categories=("tools",)) == 2           # c2, c5
    assert created(agent_ids=(people["ann"].staff_id,)) == 3     # c1, c2, c5
    assert created(agent_ids=(people["sue"].staff_id,)) == 0
    assert created(tiers=("vip",)) == 3                          # c2, c5, c7
    assert created(tiers=("regular",)) == 4                      # c1, c3, c4, c6
    assert created(store_ids=(w["north"],), tiers=("vip",)) == 2  # c2, c7
    h = analytics.headline(uow, ana, f(tiers=("vip",), channels=("email",)))
    assert (h["created"], h["resolved"], h["response_targeted"], h["response_met"]) == \
        (2, 2, 1, 0)                                             # c5, c7
    assert table(analytics.breakdown(uow, ana, NOV, "store_id"), "store_id",
                 ("created",)) == {w["north"]: (4,), w["south"]: (3,)}
    assert table(analytics.breakdown(uow, ana, NOV, "product_category"), "product_category",
                 ("created",)) == {"kitchen": (3,), "tools": (2,), None: (2,)}
    assert table(analytics.breakdown(uow, ana, NOV, "tier"), "tier",
                 ("created", "resolved")) == {"regular": (4, 2), "vip": (3, 3)}


# --- durations in opening minutes --------------------------------------------------------------

def durations(uow, actor, filters) -> dict:
    frame = analytics.durations(uow, actor, filters)
    return table(frame, "measure", ("cases", "mean_minutes", "median_minutes", "p90_minutes"))


def test_medians_and_90th_percentiles(uow, people, world):
    """Minutes on the case, set directly. Medians and percentiles are read from a histogram
    (db.rollups.BUCKET: whole minutes under an hour, then 5-minute steps to 10 h, 30-minute
    steps to 45 h), so the values here past an hour sit on those steps, where it is exact."""
    ann, bob, c = people["ann"], people["bob"], world["regular"]
    day = utc("2026-11-10 10:00")
    for fr in (40, 10, 30, 20):                      # an even count, not in order
        add_case(uow, day, c, owner=ann, fr=fr)
    for res in (300, 1020, 50, 200, 100):            # an odd count, not in order
        add_case(uow, day, c, owner=bob, fr=None, res=res)
    add_case(uow, utc("2026-11-12 10:00"), c, owner=bob, fr=75, store=world["north"])
    add_case(uow, day, c)                            # never answered: not measured
    ana = people["ana"]
    assert durations(uow, ana, f(agent_ids=(ann.staff_id,))) == {
        # [10, 20, 30, 40]: median 25, p90 = 30 + 0.7 * 10
        "first_response": (4, 25.0, 25.0, 37.0),
        "resolution": (0, None, None, None)}
    assert durations(uow, ana, f(agent_ids=(bob.staff_id,))) == {
        "first_response": (1, 75.0, 75.0, 75.0),     # a single case
        # [50, 100, 200, 300, 1020]: mean 334, median 200, p90 = 300 + 0.6 * 720
        "resolution": (5, 334.0, 200.0, 732.0)}
    everything = {
        # [10, 20, 30, 40, 75]: mean 35, median 30, p90 = 40 + 0.6 * 35
        "first_response": (5, 35.0, 30.0, 61.0),
        "resolution": (5, 334.0, 200.0, 732.0)}
    assert durations(uow, ana, NOV) == everything                       # the rollups
    assert durations(uow, ana, f(tiers=BOTH_TIERS)) == everything       # the cases
    assert durations(uow, ana, f(channels=("email",))) == everything
    assert durations(uow, ana, f(channels=("phone",))) == {
        "first_response": (0, None, None, None), "resolution": (0, None, None, None)}
    assert durations(uow, ana, f(store_ids=(world["north"],))) == {
        "first_response": (1, 75.0, 75.0, 75.0), "resolution": (0, None, None, None)}
    assert durations(uow, ana, Filters(date(2025, 1, 1), date(2025, 1, 31))) == {
        "first_response": (0, None, None, None), "resolution": (0, None, None, None)}


@pytest.mark.parametrize("minutes", [64, 629, 3239, 11339])
def test_a_bucket_holding_one_value_gives_it_exactly(uow, people, world, minutes):
    add_case(uow, utc("2026-11-10 10:00"), world["regular"], fr=minutes, res=minutes)
    for filters in (NOV, f(tiers=BOTH_TIERS)):       # the rollup and the cases alike
        for measure, (n, mean, median, p90) in durations(uow, people["ana"],
                                                         filters).items():
            assert (n, mean, median, p90) == (1, minutes, minutes, minutes), measure


def test_values_sharing_a_bucket_are_off_by_less_than_its_width(uow, people, world):
    # 600 and 629 share the 30-minute bucket from 600: each stands for their mean, 619.33
    for minutes in (600, 629, 629):
        add_case(uow, utc("2026-11-10 10:00"), world["regular"], fr=minutes, res=None)
    for filters in (NOV, f(tiers=BOTH_TIERS)):
        n, mean, median, _ = durations(uow, people["ana"], filters)["first_response"]
        assert n == 3 and mean == pytest.approx((600 + 629 + 629) / 3, abs=1e-3)
        assert median == pytest.approx(619.33, abs=0.01)   # true median 629: within 30
        assert abs(median - 629) < 30


def test_duration_histogram(uow, people, world):
    c = world["regular"]
    day = utc("2026-11-10 10:00")
    for fr in (0, 14, 15, 59, 60, 600):
        add_case(uow, day, c, fr=fr)
    for res in (239, 240, 2700, 9000):
        add_case(uow, day, c, fr=None, res=res)
    frame = analytics.duration_histogram(uow, people["ana"], NOV)
    got = {(row["measure"], row["bucket"]): row["cases"] for row in frame.to_dict("records")
           if row["cases"]}
    assert got == {("first_response", "under 15 min"): 2,
                   ("first_response", "15–60 min"): 2,
                   ("first_response", "1–4 h"): 1,
                   ("first_response", "1–3 days"): 1,
                   ("resolution", "1–4 h"): 1,
                   ("resolution", "4 h – 1 day"): 1,
                   ("resolution", "over 5 days"): 2}
    assert len(frame) == 2 * len(analytics.BUCKETS)


# --- through the services: opening hours only -------------------------------------------------

CLOCKED = ("core.cases", "core.messages", "core.callback_rules", "core.complaints")


def test_business_minutes_count_opening_hours_only(uow, people, world, monkeypatch):
    """Opened Friday 17:00, answered Monday 10:00, resolved Tuesday 11:00 (09:00-18:00
    Monday to Friday): 1 h on Friday + 1 h on Monday = 120 minutes to the first response;
    1 h + 9 h + 2 h = 720 minutes to the resolution."""
    now = {"at": utc("2026-11-20 17:00")}
    for module in CLOCKED:
        monkeypatch.setattr(f"{module}.utcnow", lambda: now["at"])
    ann = people["ann"]

    def open_case(channel):
        return cases.open_case(uow, ann, customer_id=world["regular"], channel=channel,
                               kind="inquiry", category="delivery", subject="Parcel",
                               question="Where is it?", next_step="Ask the carrier",
                               notify_customer=False).case_id

    def act(case_id, do, *args):
        do(uow, ann, case_id, *args, cases.get_case(uow, ann, case_id).version)

    friday = open_case("email")
    now["at"] = utc("2026-11-23 10:00")
    act(friday, cases.reply, "The carrier has it")
    now["at"] = utc("2026-11-24 11:00")
    act(friday, cases.change_status, "resolved")
    # a chat on Saturday answered 30 minutes later: no opening time passed at all, and the
    # 5-minute (wall-clock) first-response target was missed
    now["at"] = utc("2026-11-21 10:00")
    saturday = open_case("chat")
    now["at"] = utc("2026-11-21 10:30")
    act(saturday, cases.reply, "Here it is")
    with uow.reader() as rd:
        minutes = {i: (rd.session.get(Case, i).first_response_minutes,
                       rd.session.get(Case, i).resolution_minutes) for i in (friday, saturday)}
    assert minutes == {friday: (120, 720), saturday: (0, None)}
    ana = people["ana"]
    assert durations(uow, ana, NOV) == {
        "first_response": (2, 60.0, 60.0, 108.0),    # [0, 120]: p90 = 0.9 * 120
        "resolution": (1, 720.0, 720.0, 720.0)}
    h = analytics.headline(uow, ana, NOV)
    # e-mail: first response due Monday 17:00, resolution Wednesday 17:00: both met
    assert (h["response_targeted"], h["response_met"], h["resolution_targeted"],
            h["resolution_met"]) == (2, 1, 1, 1)
    assert h["avg_response_minutes"] == 60.0 and h["avg_resolution_minutes"] == 720.0
    assert volumes(analytics.volume(uow, ana, NOV)) == {
        (date(2026, 11, 20), "email", "inquiry"): 1, (date(2026, 11, 21), "chat", "inquiry"): 1}


# --- filters that are refused ---------------------------------------------------------------

@pytest.mark.parametrize("filters", [
    Filters(date(2026, 11, 30), date(2026, 11, 1)),    # ends before it starts
    Filters(date(2024, 1, 1), date(2026, 1, 1)),       # 732 days
    f(channels=("fax",)),
    f(kinds=("praise",)),
    f(categories=("weather",)),
    f(tiers=("gold",)),
], ids=["end-before-start", "732-days", "channel", "kind", "category", "tier"])
def test_bad_filters_are_refused(uow, people, sla_cases, filters):
    ana = people["ana"]
    for call in (lambda: analytics.counts(uow, ana, filters, ("channel",)),
                 lambda: analytics.volume(uow, ana, filters),
                 lambda: analytics.trend(uow, ana, filters),
                 lambda: analytics.breakdown(uow, ana, filters, "agent_id"),
                 lambda: analytics.headline(uow, ana, filters),
                 lambda: analytics.durations(uow, ana, filters),
                 lambda: analytics.duration_histogram(uow, ana, filters)):
        with pytest.raises(ValidationError):
            call()


def test_an_unknown_grain_is_refused(uow, people):
    for call in (analytics.volume, analytics.trend):
        with pytest.raises(ValidationError):
            call(uow, people["ana"], NOV, "fortnight")


def test_two_years_are_the_longest_period(uow, people, sla_cases):
    longest = Filters(date(2024, 1, 1), date(2025, 12, 31))   # 731 days (2024 is a leap year)
    assert longest.days == analytics.MAX_DAYS
    assert analytics.headline(uow, people["ana"], longest)["created"] == 0


def test_a_breakdown_by_something_unknown_is_refused(uow, people, sla_cases):
    for by in ("customer_name", "phone"):
        with pytest.raises(ValidationError):
            analytics.breakdown(uow, people["ana"], NOV, by)


@pytest.mark.parametrize("kw", [{"store_ids": ("north",)}, {"agent_ids": ("ann",)}])
def test_non_numeric_ids_are_refused_as_bad_input(uow, people, kw):
    with pytest.raises(ValidationError):
        analytics.headline(uow, people["ana"], f(**kw))


def test_open_cases_past_their_due_time_count_as_missed(uow, people, world):
    """A case nobody answered is a miss from its due time on, not only once answered late:
    else a desk that stops answering would look better. Paused (waiting on the customer)
    before its due time, the clock stopped in time."""
    ana, c = people["ana"], world["regular"]
    at = utc("2026-11-10 10:00")
    add_case(uow, at, c, fr=30, fr_sla="met", res=60, res_sla="met")   # on time
    unanswered = add_case(uow, at, c, channel="phone")                  # open, no answer
    waiting = add_case(uow, at, c, fr=20, fr_sla="met")
    with uow:
        case = uow.session.get(Case, unanswered)
        case.first_response_due_at, case.resolution_due_at = at + HOUR, at + 4 * HOUR
        paused = uow.session.get(Case, waiting)
        paused.resolution_due_at, paused.sla_paused_at = at + 4 * HOUR, at + 2 * HOUR
        paused.status = CaseStatus.WAITING_CUSTOMER
        uow.commit()
    before_due, after_due = at + 30 * MIN, at + 5 * HOUR
    head = analytics.headline(uow, ana, NOV, now=before_due)
    assert (head["response_overdue"], head["resolution_overdue"]) == (0, 0)
    assert (head["response_rate"], head["resolution_rate"]) == (1.0, 1.0)
    head = analytics.headline(uow, ana, NOV, now=after_due)
    assert (head["response_overdue"], head["resolution_overdue"]) == (1, 1)
    # first response: 2 answered in time + 1 late and unanswered; resolution: 1 + 1
    assert (r(head["response_rate"]), head["resolution_rate"]) == (r(2 / 3), 0.5)
    by_channel = analytics.breakdown(uow, ana, NOV, "channel", now=after_due)
    assert table(by_channel, "channel", ("response_overdue", "response_rate")) == {
        "email": (0, 1.0), "phone": (1, 0.0)}
    # the same whichever source answers
    both = analytics.headline(uow, ana, f(tiers=BOTH_TIERS), now=after_due)
    assert both == head
