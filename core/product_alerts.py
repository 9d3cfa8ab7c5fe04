"""Quality alerts: products with far more complaints or returns lately than their own past.

For each product, the events of the last 14 days (the window) are compared with the 84 days
before it (the baseline). At the baseline's rate the window should see
`expected = baseline_count * 14 / 84`; a product is flagged for the quality department when
it had at least MIN_EVENTS in the window, at least MIN_RATIO times the expected count, and
so many would happen by chance alone with probability below ALERT_P (one-sided Poisson tail,
with the mean floored at MEAN_FLOOR so a product without history is not flagged for its
first complaint or two).

- complaints: Complaint rows by the time their case was opened; the product is the one the
  complaint names as responsible, else the case's product;
- returns: after-sales requests of kind RETURN by the time they were made, whatever became
  of them; the product is the order line's. Exchanges, repairs and refunds are not returns.

Everything is counted in the database (GROUP BY); only products over the minimum come back.
Alerts carry the product only, never a customer.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa

from core.actor import Actor
from core.clock import utcnow
from core.errors import ValidationError
from core.i18n import N_, say
from core.permissions import Action, require
from core.uow import UnitOfWork
from core.vocabulary import AfterSalesKind
from db.models import AfterSalesRequest, Case, Complaint, OrderLine, Product

WINDOW_DAYS = 14
BASELINE_DAYS = 84
MIN_EVENTS = 3          # fewer events in the window are never an alert
ALERT_P = 0.001         # flag when P(at least this many by chance) is below this
MEAN_FLOOR = 0.5        # the expected count used for the test is never below this
# ... and at least this many times the expected count: on a big seller a rise of 70 % is
# already "significant" (509 complaints against 302 on the chain data) yet not the sudden
# quality problem the quality department wants to hear about
MIN_RATIO = 2.0


class Measure(StrEnum):
    COMPLAINTS = "complaints"
    RETURNS = "returns"


@dataclass(frozen=True)
class ProductAlert:
    product_id: int
    sku: str
    product_name: str
    product_category: str
    measure: Measure
    observed: int                # events in [window_start, window_end)
    expected: float              # at the baseline's rate; 0.0 = none in the baseline
    ratio: float | None          # observed / expected; None when nothing was expected
    p_value: float               # P(X >= observed), X ~ Poisson(max(expected, MEAN_FLOOR))
    window_start: datetime
    window_end: datetime
    baseline_start: datetime     # the baseline is [baseline_start, window_start)
    product_name_zh: str | None = None


def poisson_tail(observed: int, mean: float) -> float:
    """P(X >= observed) for X ~ Poisson(mean), accurate also far out in the tail."""
    if observed <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    log_mean = math.log(mean)

    def log_term(k: int) -> float:           # log(e^-m m^k / k!)
        return -mean + k * log_mean - math.lgamma(k + 1)

    if observed > mean:
        # sum the upper tail itself: past the mean each term is smaller than the one before,
        # so nothing is lost to 1 - (almost 1)
        total, ratio, k = 0.0, 1.0, observed
        while ratio > total * 1e-17:
            total += ratio
            k += 1
            ratio *= mean / k
        return min(1.0, math.exp(log_term(observed)) * total)
    # at or below the mean the tail is large, so 1 - lower tail loses nothing that matters
    lower = math.fsum(math.exp(log_term(k)) for k in range(observed))
    return min(1.0, max(0.0, 1.0 - lower))


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _days(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(N_("A period must be a whole number of days, at least 1 "
                                 "(not {value})."), value=str(value)[:20])
    return value


def _counts(session, measure: Measure, baseline_start: datetime, window_start: datetime,
            window_end: datetime, min_events: int) -> list[tuple[int, int, int]]:
    """(product_id, events in the window, events in the baseline) for every product with at
    least min_events in the window."""
    if measure == Measure.COMPLAINTS:
        product = sa.func.coalesce(Complaint.responsible_product_id, Case.product_id)
        at = Case.created_at
        source = (sa.select().select_from(Complaint)
                  .join(Case, Case.id == Complaint.case_id))
    else:
        product = OrderLine.product_id
        at = AfterSalesRequest.created_at
        source = (sa.select().select_from(AfterSalesRequest)
                  .join(OrderLine, OrderLine.id == AfterSalesRequest.order_line_id)
                  .where(AfterSalesRequest.kind == AfterSalesKind.RETURN))
    recent = sa.func.sum(sa.case((at >= window_start, 1), else_=0))
    earlier = sa.func.sum(sa.case((at < window_start, 1), else_=0))
    query = (source.add_columns(product, recent, earlier)
             .where(at >= baseline_start, at < window_end, product.is_not(None))
             .group_by(product)
             .having(recent >= min_events))
    return [(int(p), int(r or 0), int(b or 0)) for p, r, b in session.execute(query).all()]


def product_alerts(uow: UnitOfWork, actor: Actor, now: datetime | None = None, *,
                   window_days: int = WINDOW_DAYS,
                   baseline_days: int = BASELINE_DAYS) -> list[ProductAlert]:
    """Products whose complaints or returns in the last `window_days` before `now` are far
    above their rate in the `baseline_days` before that; most surprising first (lowest
    p-value, then highest ratio). `now` is naive UTC as stored, or any aware time; None
    means the clock's now."""
    require(actor, Action.ANALYTICS_VIEW)
    window_end = _naive_utc(now) if now is not None else utcnow()
    window_start = window_end - timedelta(days=_days(window_days))
    baseline_start = window_start - timedelta(days=_days(baseline_days))
    scale = window_days / baseline_days
    found: list[tuple[int, Measure, int, float, float]] = []
    with uow.reader() as r:
        for measure in Measure:
            for product_id, observed, baseline in _counts(
                    r.session, measure, baseline_start, window_start, window_end,
                    MIN_EVENTS):
                expected = baseline * scale
                p = poisson_tail(observed, max(expected, MEAN_FLOOR))
                far_above = expected == 0 or observed >= MIN_RATIO * expected
                if observed >= MIN_EVENTS and p < ALERT_P and far_above:
                    found.append((product_id, measure, observed, expected, p))
        products = {row.id: row for row in r.session.execute(
            sa.select(Product.id, Product.sku, Product.name, Product.name_zh,
                      Product.category)
            .where(Product.id.in_({f[0] for f in found})))} if found else {}
    alerts = [ProductAlert(
        product_id=pid, sku=products[pid].sku, product_name=products[pid].name,
        product_category=products[pid].category, measure=measure, observed=observed,
        expected=expected, ratio=observed / expected if expected else None, p_value=p,
        window_start=window_start, window_end=window_end, baseline_start=baseline_start,
        product_name_zh=products[pid].name_zh)
        for pid, measure, observed, expected, p in found]
    return sorted(alerts, key=lambda a: (
        a.p_value, -(a.ratio if a.ratio is not None else math.inf), a.sku, a.measure))


# --- in words ------------------------------------------------------------------------------

_SENTENCE = {
    (Measure.COMPLAINTS, True): N_(
        "{observed} complaints in the last {days} days against {expected} expected from the "
        "{baseline_days} days before ({ratio} times as many); the chance of so many by luck "
        "alone is {p}."),
    (Measure.RETURNS, True): N_(
        "{observed} returns in the last {days} days against {expected} expected from the "
        "{baseline_days} days before ({ratio} times as many); the chance of so many by luck "
        "alone is {p}."),
    (Measure.COMPLAINTS, False): N_(
        "{observed} complaints in the last {days} days and none in the {baseline_days} days "
        "before; the chance of so many by luck alone is {p}."),
    (Measure.RETURNS, False): N_(
        "{observed} returns in the last {days} days and none in the {baseline_days} days "
        "before; the chance of so many by luck alone is {p}."),
}


def _number(value: float) -> str:
    return f"{value:.1f}" if value >= 0.1 else f"{value:.2g}"


def _p(p: float, language: str | None) -> str:
    """The p-value as odds a supervisor reads at a glance: "about 1 in 5,000"."""
    if p < 0.0001:
        return say(language, N_("less than 1 in {n}"), n="10,000")
    return say(language, N_("about 1 in {n}"), n=f"{round(1 / p):,}")


def _whole_days(span: timedelta) -> str:
    days = span / timedelta(days=1)
    return str(int(days)) if days == int(days) else f"{days:.1f}"


def explain(alert: ProductAlert, language: str | None) -> str:
    """The alert in one sentence, in the given language."""
    has_baseline = alert.ratio is not None
    return say(language, _SENTENCE[(Measure(alert.measure), has_baseline)],
               observed=alert.observed, days=_whole_days(alert.window_end - alert.window_start),
               baseline_days=_whole_days(alert.window_start - alert.baseline_start),
               expected=_number(alert.expected),
               ratio=_number(alert.ratio) if has_baseline else "",
               p=_p(alert.p_value, language))
