"""Quality alerts (core.product_alerts) on a hand-built history whose answer is known: a
spike over a steady baseline is flagged with the right counts and p-value, the same rate is
not, two events are too few, a brand-new product with five complaints is, returns are told
apart from exchanges and repairs, a complaint counts for the product it blames, the window
edges, and who may look. Time is frozen; the window is [NOW - 14 d, NOW)."""
import dataclasses
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core import product_alerts as pa
from core.errors import NotLoggedIn, PermissionDenied, ValidationError
from core.product_alerts import Measure, explain, poisson_tail, product_alerts
from core.vocabulary import (AfterSalesKind, CaseCategory, CaseKind, Channel,
                             ComplaintSeverity, GoodsCondition, Role)
from db.models import (AfterSalesRequest, Case, Complaint, Customer, Order, OrderLine,
                       Product)
from tests.conftest import add_staff

NOW = datetime(2026, 11, 26, 7, 0)          # naive UTC, as stored
DAY = timedelta(days=1)
WINDOW_START = NOW - 14 * DAY
BASELINE_START = WINDOW_START - 84 * DAY
CUSTOMER_NAME = "Wang Fang"


def test_poisson_tail_known_values():
    assert poisson_tail(5, 1.0) == pytest.approx(0.00365984682734371, rel=1e-12)
    assert poisson_tail(1, 2.0) == pytest.approx(1 - 0.1353352832366127, rel=1e-14)
    assert poisson_tail(12, 2.0) == pytest.approx(1.364615159615195e-06, rel=1e-12)
    assert poisson_tail(10, 10.0) == pytest.approx(0.5420702855281478, rel=1e-12)
    assert poisson_tail(5, 0.5) == pytest.approx(1.721156299558408e-04, rel=1e-12)
    # far in the tail, where 1 - (sum of the rest) would give 0 or a negative number
    assert poisson_tail(100, 1.0) == pytest.approx(3.981280818956936e-159, rel=1e-10)
    assert poisson_tail(0, 3.0) == 1.0 and poisson_tail(3, 0.0) == 0.0
    # the tail only shrinks as the count grows, and grows with the mean
    tails = [poisson_tail(k, 7.3) for k in range(40)]
    assert all(a > b for a, b in zip(tails, tails[1:]))
    assert poisson_tail(8, 2.0) < poisson_tail(8, 3.0)


class Shop:
    """Writes products, cases, complaints and after-sales requests straight to the DB."""

    def __init__(self, uow, staff_id: int) -> None:
        self.uow, self.staff_id = uow, staff_id
        with uow:
            c = Customer(name=CUSTOMER_NAME, phone="+8613800000001",
                         phone_normalized="+8613800000001", language="en")
            uow.session.add(c)
            uow.commit()
            self.customer_id = c.id
        self.products: dict[str, int] = {}
        self.lines: dict[str, int] = {}

    def product(self, sku: str, name: str, category: str = "appliance",
                name_zh: str | None = None) -> int:
        with self.uow:
            p = Product(sku=sku, name=name, name_zh=name_zh, category=category,
                        price_cents=10_000)
            self.uow.session.add(p)
            self.uow.session.flush()
            order = Order(order_number=f"O-{sku}", customer_id=self.customer_id,
                          channel=Channel.WEB, ordered_at=NOW - 300 * DAY)
            order.lines = [OrderLine(product_id=p.id, quantity=1, unit_price_cents=10_000,
                                     paid_cents=10_000)]
            self.uow.session.add(order)
            self.uow.commit()
            self.products[sku], self.lines[sku] = p.id, order.lines[0].id
            return p.id

    def complaints(self, sku: str | None, times: list[datetime], *,
                   responsible: str | None = None) -> None:
        with self.uow:
            for at in times:
                case = Case(kind=CaseKind.COMPLAINT, channel=Channel.PHONE,
                            category=CaseCategory.COMPLAINT, customer_id=self.customer_id,
                            product_id=self.products[sku] if sku else None,
                            subject="It broke", created_at=at)
                self.uow.session.add(case)
                self.uow.session.flush()
                self.uow.session.add(Complaint(
                    case_id=case.id, severity=ComplaintSeverity.MAJOR,
                    responsible_product_id=self.products[responsible] if responsible
                    else None))
            self.uow.commit()

    def after_sales(self, sku: str, kind: AfterSalesKind, times: list[datetime]) -> None:
        with self.uow:
            self.uow.session.add_all([AfterSalesRequest(
                customer_id=self.customer_id, order_line_id=self.lines[sku], kind=kind,
                reason="Does not heat", condition=GoodsCondition.DEFECTIVE,
                created_by_id=self.staff_id, created_at=at) for at in times])
            self.uow.commit()


def spread(n: int, start: datetime, end: datetime) -> list[datetime]:
    """n moments evenly inside [start, end), none on its edges."""
    step = (end - start) / n
    return [start + step * (i + 0.5) for i in range(n)]


def recent(n: int) -> list[datetime]:
    return spread(n, WINDOW_START, NOW)


def baseline(n: int) -> list[datetime]:
    return spread(n, BASELINE_START, WINDOW_START)


@pytest.fixture
def people(uow):
    return {"agent": add_staff(uow, "agent", Role.AGENT),
            "sup": add_staff(uow, "sup", Role.SUPERVISOR),
            "ana": add_staff(uow, "ana", Role.ANALYST),
            "tech": add_staff(uow, "tech", Role.TECHNICIAN),
            "admin": add_staff(uow, "admin", Role.ADMIN)}


@pytest.fixture
def shop(uow, people) -> Shop:
    s = Shop(uow, people["agent"].staff_id)
    for sku, name in [("K-SPIKE", "Kettle"), ("F-STEADY", "Fan"), ("T-TWO", "Toaster"),
                      ("N-NEW", "New blender"), ("R-RET", "Rice cooker"),
                      ("X-EXCH", "Mixer"), ("B-BLAME", "Socket"), ("C-CASE", "Cable")]:
        s.product(sku, name, name_zh="电热水壶" if sku == "K-SPIKE" else None)
    # the spike: 12 in the baseline (one exactly on its first moment), 12 in the window
    # (one exactly on its first moment); not counted: before the baseline, at NOW, later
    s.complaints("K-SPIKE", [BASELINE_START] + baseline(11))
    s.complaints("K-SPIKE", [WINDOW_START] + recent(11))
    s.complaints("K-SPIKE", [BASELINE_START - timedelta(seconds=1), NOW, NOW + DAY,
                             NOW - 200 * DAY])
    # the same rate in both: 60 in 84 days, 10 in 14 days
    s.complaints("F-STEADY", baseline(60))
    s.complaints("F-STEADY", recent(10))
    # too few to mean anything, whatever the history
    s.complaints("T-TWO", recent(2))
    # never a complaint before, 5 now
    s.complaints("N-NEW", recent(5))
    # 6 returns before (1 expected), 8 now; exchanges, repairs and refunds are not returns
    s.after_sales("R-RET", AfterSalesKind.RETURN, baseline(6))
    s.after_sales("R-RET", AfterSalesKind.RETURN, recent(8))
    for kind in (AfterSalesKind.EXCHANGE, AfterSalesKind.REPAIR, AfterSalesKind.REFUND):
        s.after_sales("R-RET", kind, recent(10))
        s.after_sales("X-EXCH", kind, recent(20))
    # complaints opened about the cable whose investigation blamed the socket
    s.complaints("C-CASE", recent(5), responsible="B-BLAME")
    # and complaints about no product at all
    s.complaints(None, recent(6))
    return s


def alerts_by_key(alerts) -> dict[tuple[str, str], pa.ProductAlert]:
    return {(a.sku, a.measure.value): a for a in alerts}


def test_spike_over_a_steady_baseline_is_flagged_with_its_figures(uow, people, shop):
    alerts = alerts_by_key(product_alerts(uow, people["ana"], NOW))
    spike = alerts[("K-SPIKE", "complaints")]
    assert spike.product_id == shop.products["K-SPIKE"]
    assert (spike.product_name, spike.product_name_zh, spike.product_category) == \
        ("Kettle", "电热水壶", "appliance")
    assert spike.measure == Measure.COMPLAINTS
    assert spike.observed == 12
    assert spike.expected == pytest.approx(2.0)             # 12 * 14 / 84
    assert spike.ratio == pytest.approx(6.0)
    assert spike.p_value == pytest.approx(1.364615159615195e-06, rel=1e-9)
    assert (spike.window_start, spike.window_end, spike.baseline_start) == \
        (WINDOW_START, NOW, BASELINE_START)


def test_the_whole_answer_in_order(uow, people, shop):
    alerts = product_alerts(uow, people["ana"], NOW)
    assert [(a.sku, a.measure.value, a.observed) for a in alerts] == [
        ("K-SPIKE", "complaints", 12),      # p = 1.4e-6
        ("R-RET", "returns", 8),            # p = 1.0e-5
        ("B-BLAME", "complaints", 5),       # p = 1.7e-4, no baseline: ratio None, then SKU
        ("N-NEW", "complaints", 5),
    ]


def test_the_same_rate_in_both_periods_is_not_flagged(uow, people, shop):
    keys = alerts_by_key(product_alerts(uow, people["ana"], NOW))
    assert ("F-STEADY", "complaints") not in keys
    assert poisson_tail(10, 10.0) > 0.5                     # what it would have scored


def test_a_big_seller_up_by_half_is_significant_but_not_far_above(uow, people, shop):
    shop.product("P-BIG", "Phone case")
    # 420 in 84 days (70 expected in 14), 110 now: p is tiny, but only 1.6 times as many
    shop.complaints("P-BIG", baseline(420))
    shop.complaints("P-BIG", recent(110))
    assert poisson_tail(110, 70.0) < 1e-5
    assert ("P-BIG", "complaints") not in alerts_by_key(product_alerts(uow, people["ana"], NOW))
    shop.complaints("P-BIG", recent(30))                    # 140: twice as many
    assert ("P-BIG", "complaints") in alerts_by_key(product_alerts(uow, people["ana"], NOW))


def test_two_events_are_never_enough(uow, people, shop, monkeypatch):
    assert ("T-TWO", "complaints") not in alerts_by_key(product_alerts(uow, people["ana"], NOW))
    # even where the chance test alone would flag it (P(X >= 2 | 0.5) = 0.09) ...
    monkeypatch.setattr(pa, "ALERT_P", 0.5)
    loose = alerts_by_key(product_alerts(uow, people["ana"], NOW))
    assert ("T-TWO", "complaints") not in loose
    # ... while three would do
    shop.complaints("T-TWO", recent(1))
    loose = alerts_by_key(product_alerts(uow, people["ana"], NOW))
    assert loose[("T-TWO", "complaints")].p_value == pytest.approx(1.438767796697069e-02)


def test_a_new_product_with_five_complaints_is_flagged_against_the_floor(uow, people, shop):
    new = alerts_by_key(product_alerts(uow, people["ana"], NOW))[("N-NEW", "complaints")]
    assert (new.observed, new.expected, new.ratio) == (5, 0.0, None)
    # tested against a mean of 0.5, not 0 (which would make any single complaint an alert)
    assert new.p_value == pytest.approx(1.721156299558408e-04, rel=1e-9)


def test_four_complaints_from_nothing_are_not_enough(uow, people, shop):
    shop.product("N-FOUR", "Other blender")
    shop.complaints("N-FOUR", recent(4))                    # P(X >= 4 | 0.5) = 0.0018
    assert ("N-FOUR", "complaints") not in alerts_by_key(
        product_alerts(uow, people["ana"], NOW))


def test_returns_are_counted_apart_from_exchanges_repairs_and_refunds(uow, people, shop):
    alerts = alerts_by_key(product_alerts(uow, people["ana"], NOW))
    ret = alerts[("R-RET", "returns")]
    assert (ret.observed, ret.expected, ret.ratio) == (8, pytest.approx(1.0),
                                                      pytest.approx(8.0))
    assert ret.p_value == pytest.approx(1.024919667464169e-05, rel=1e-9)
    assert ret.measure == Measure.RETURNS
    # 60 exchanges, repairs and refunds of the mixer in two weeks are no return spike
    assert not [k for k in alerts if k[0] == "X-EXCH"]
    # and returns are not complaints
    assert ("R-RET", "complaints") not in alerts


def test_a_complaint_counts_for_the_product_it_blames(uow, people, shop):
    alerts = alerts_by_key(product_alerts(uow, people["ana"], NOW))
    assert alerts[("B-BLAME", "complaints")].observed == 5
    assert not [k for k in alerts if k[0] == "C-CASE"]


def test_windows_can_be_changed(uow, people, shop):
    alerts = alerts_by_key(product_alerts(uow, people["ana"], NOW, window_days=28,
                                          baseline_days=70))
    spike = alerts[("K-SPIKE", "complaints")]
    # window [NOW - 28 d, NOW): the 12 recent + 2 of the old ones; baseline: the other 10
    assert (spike.observed, spike.expected) == (14, pytest.approx(4.0))
    assert spike.p_value == pytest.approx(7.632841534333068e-05, rel=1e-9)
    assert (spike.window_start, spike.baseline_start) == (NOW - 28 * DAY, NOW - 98 * DAY)
    for bad in (0, -3, 1.5, "14", True):
        with pytest.raises(ValidationError):
            product_alerts(uow, people["ana"], NOW, window_days=bad)
        with pytest.raises(ValidationError):
            product_alerts(uow, people["ana"], NOW, baseline_days=bad)


def test_now_defaults_to_the_clock_and_may_carry_a_time_zone(uow, people, shop, monkeypatch):
    expected = product_alerts(uow, people["ana"], NOW)
    monkeypatch.setattr(pa, "utcnow", lambda: NOW)
    assert product_alerts(uow, people["ana"]) == expected
    assert product_alerts(uow, people["ana"], NOW.replace(tzinfo=UTC)) == expected
    shanghai = NOW.replace(tzinfo=UTC).astimezone(ZoneInfo("Asia/Shanghai"))
    assert product_alerts(uow, people["ana"], shanghai) == expected


def test_nothing_to_report_on_an_empty_database(uow, people):
    assert product_alerts(uow, people["ana"], NOW) == []


def test_no_personal_data_in_an_alert(uow, people, shop):
    alerts = product_alerts(uow, people["ana"], NOW)
    assert alerts
    assert {f.name for f in dataclasses.fields(pa.ProductAlert)} == {
        "product_id", "sku", "product_name", "product_name_zh", "product_category",
        "measure", "observed", "expected", "ratio", "p_value", "window_start", "window_end",
        "baseline_start"}
    assert all(CUSTOMER_NAME not in repr(a) and "+86" not in repr(a) for a in alerts)


def test_who_may_look(uow, people, shop):
    for who in ("agent", "tech", "admin"):
        with pytest.raises(PermissionDenied):
            product_alerts(uow, people[who], NOW)
    with pytest.raises(NotLoggedIn):
        product_alerts(uow, None, NOW)
    assert product_alerts(uow, people["ana"], NOW)
    assert product_alerts(uow, people["sup"], NOW) == product_alerts(uow, people["ana"], NOW)


def test_explained_in_one_sentence(uow, people, shop):
    alerts = alerts_by_key(product_alerts(uow, people["ana"], NOW))
    assert explain(alerts[("K-SPIKE", "complaints")], "en") == (
        "12 complaints in the last 14 days against 2.0 expected from the 84 days before "
        "(6.0 times as many); the chance of so many by luck alone is less than 1 in 10,000.")
    assert explain(alerts[("R-RET", "returns")], "en") == (
        "8 returns in the last 14 days against 1.0 expected from the 84 days before "
        "(8.0 times as many); the chance of so many by luck alone is less than 1 in 10,000.")
    assert explain(alerts[("N-NEW", "complaints")], "en") == (
        "5 complaints in the last 14 days and none in the 84 days before; "
        "the chance of so many by luck alone is about 1 in 5,810.")
    # in Chinese (or English until the translation is in) with the same figures
    zh = explain(alerts[("K-SPIKE", "complaints")], "zh_CN")
    assert all(figure in zh for figure in ("12", "14", "2.0", "84", "6.0", "10,000"))
    wide = alerts_by_key(product_alerts(uow, people["ana"], NOW, window_days=28,
                                        baseline_days=70))
    assert explain(wide[("K-SPIKE", "complaints")], "en") == (
        "14 complaints in the last 28 days against 4.0 expected from the 70 days before "
        "(3.5 times as many); the chance of so many by luck alone is less than 1 in 10,000.")
