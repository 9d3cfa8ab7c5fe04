"""Every figure the Analytics and Reports pages show, as SQL that returns small DataFrames.

Two sources, one set of definitions:
- the daily rollup (case_daily, kept by triggers: db.rollups) when the filters are the
  rollup's own dimensions (period, channel, kind, category): a few thousand day rows;
- the cases themselves, bounded by the period on the created_at index, when a filter needs
  a dimension the rollup does not hold (store, product category, agent, customer tier).
Both add up the same measure expressions (db.rollups.MEASURES), so they cannot disagree.

Durations are opening-hours minutes stored on the case (core.sla.business_minutes).
Medians and 90th percentiles come from a histogram of those minutes (db.rollups.BUCKET:
1-minute buckets under an hour, then 5 minutes, 30 minutes, 3 hours, a shop day), each
bucket standing for its cases' mean, interpolating linearly between the two nearest ranks
(numpy's default): exact wherever a bucket holds one value, otherwise off by less than the
bucket's width. Means are exact. The same histogram is built from the cases when the
filters need them, so both sources agree.

No customer's name, phone, e-mail or address is ever selected here: analysts see figures.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone

import pandas as pd
import sqlalchemy as sa

from core import sla, validate
from core.actor import Actor
from core.clock import utcnow
from core.errors import ValidationError
from core.i18n import N_, Term
from core.permissions import Action, require
from core.uow import UnitOfWork
from core.vocabulary import CaseCategory, CaseKind, Channel, CustomerTier, Role
from db import rollups
from db.models import Case, CaseDaily, CaseMinutesDaily, Customer, Product, Staff, StaffRole, Store

MAX_DAYS = 731          # two years: the longest period a dashboard adds up
GRAINS = ("day", "week", "month")


# --- filters ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    """What the analytics pages share: a period of shop days (both ends included) and the
    dimensions to keep. An empty tuple keeps everything."""
    start: date
    end: date
    channels: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    store_ids: tuple[int, ...] = ()
    product_categories: tuple[str, ...] = ()
    agent_ids: tuple[int, ...] = ()
    tiers: tuple[str, ...] = ()
    # the named period it came from (PRESETS), which decides what it is compared with
    preset: str | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def needs_cases(self) -> bool:
        """A dimension the rollup does not hold: read the period's cases."""
        return bool(self.store_ids or self.product_categories or self.agent_ids or self.tiers)

    def previous(self) -> Filters:
        """The same filters over the period to compare with: the calendar month or quarter
        before for those presets (month-to-date against the same days of the month before),
        the same months a year earlier for the last 12 months, else the same number of days
        just before."""
        start, end = previous_span(self.preset, self.start, self.end)
        return replace(self, start=start, end=end)


def checked(f: Filters) -> Filters:
    """The filters with their values validated (a widget or a URL may send anything)."""
    if not isinstance(f.start, date) or not isinstance(f.end, date):
        raise ValidationError(N_("Choose a period: a first and a last day."))
    if f.end < f.start:
        raise ValidationError(N_("The period ends before it starts."))
    if f.days > MAX_DAYS:
        raise ValidationError(N_("Choose a period of at most {days} days."), days=MAX_DAYS)
    if f.preset is not None and f.preset not in PRESETS:
        raise ValidationError(N_("Unknown period {preset}."), preset=f.preset)
    return replace(
        f,
        channels=tuple(validate.choice(Channel, c, N_("Channel")) for c in f.channels),
        kinds=tuple(validate.choice(CaseKind, k, N_("Kind")) for k in f.kinds),
        categories=tuple(validate.choice(CaseCategory, c, N_("Category"))
                         for c in f.categories),
        tiers=tuple(validate.choice(CustomerTier, t, N_("Customer tier")) for t in f.tiers),
        store_ids=_ids(f.store_ids, N_("Store")),
        agent_ids=_ids(f.agent_ids, N_("Agent")),
        product_categories=tuple(_category(p) for p in f.product_categories))


def _category(value: object) -> str:
    """A product category as offered by filter_options (compared literally)."""
    text = str(value)
    if len(text) > 60 or validate.unstorable(text):     # db.models.Product.category
        raise ValidationError(N_("{field}: choose from the list."),
                              field=Term(N_("Product category")))
    return text


def _ids(values, what: str) -> tuple[int, ...]:
    try:
        return tuple(validate.record_id(v) for v in values)
    except ValidationError:
        raise ValidationError(N_("{field}: choose from the list."), field=Term(what)) from None


PRESETS = ("last_7_days", "last_30_days", "this_month", "last_month", "this_quarter",
           "last_quarter", "last_12_months")
PRESET_LABELS = {"last_7_days": N_("Last 7 days"), "last_30_days": N_("Last 30 days"),
                 "this_month": N_("This month"), "last_month": N_("Last month"),
                 "this_quarter": N_("This quarter"), "last_quarter": N_("Last quarter"),
                 "last_12_months": N_("Last 12 months")}


def preset_period(preset: str, today: date) -> tuple[date, date]:
    """A named period ending today at the latest (shop days, both ends included)."""
    if preset == "last_7_days":
        return today - timedelta(days=6), today
    if preset == "last_30_days":
        return today - timedelta(days=29), today
    if preset == "this_month":
        return today.replace(day=1), today
    if preset == "last_month":
        end = today.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    if preset == "this_quarter":
        return quarter_start(today), today
    if preset == "last_quarter":
        end = quarter_start(today) - timedelta(days=1)
        return quarter_start(end), end
    if preset == "last_12_months":
        return _add_months(today.replace(day=1), -11), today
    raise ValidationError(N_("Unknown period {preset}."), preset=preset)


def previous_span(preset: str | None, start: date, end: date) -> tuple[date, date]:
    """The period a preset's period is compared with (see Filters.previous)."""
    months = {"last_month": 1, "this_month": 1, "last_quarter": 3, "this_quarter": 3,
              "last_12_months": 12}.get(preset or "")
    if months:
        before_end = shift_months(end, -months)
        if (end + timedelta(days=1)).day == 1:  # a month's last day: that month's last day
            before_end = _add_months(before_end.replace(day=1), 1) - timedelta(days=1)
        return shift_months(start, -months), before_end
    days = (end - start).days + 1
    return start - timedelta(days=days), start - timedelta(days=1)


def shift_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), or the month's last day if it has fewer."""
    first = _add_months(day.replace(day=1), months)
    last = (_add_months(first, 1) - timedelta(days=1)).day
    return first.replace(day=min(day.day, last))


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def shop_today(uow: UnitOfWork, now: datetime) -> date:
    with uow.reader() as r:
        return sla.to_local(r.session, now).date()


@dataclass(frozen=True)
class FilterOptions:
    stores: list[tuple[int, str]]
    product_categories: list[str]
    agents: list[tuple[int, str]]
    channels: list[str] = field(default_factory=lambda: [c.value for c in Channel])
    kinds: list[str] = field(default_factory=lambda: [k.value for k in CaseKind])
    categories: list[str] = field(default_factory=lambda: [c.value for c in CaseCategory])
    tiers: list[str] = field(default_factory=lambda: [t.value for t in CustomerTier])


def filter_options(uow: UnitOfWork, actor: Actor) -> FilterOptions:
    require(actor, Action.ANALYTICS_VIEW)
    with uow.reader() as r:
        s = r.session
        stores = s.execute(sa.select(Store.id, Store.name).order_by(Store.name)).all()
        cats = s.scalars(sa.select(Product.category).distinct().order_by(Product.category))
        agents = s.execute(
            sa.select(Staff.id, Staff.display_name).where(Staff.id.in_(
                sa.select(StaffRole.staff_id).where(
                    StaffRole.role.in_((Role.AGENT, Role.SUPERVISOR)))))
            .order_by(Staff.display_name)).all()
        return FilterOptions([tuple(x) for x in stores], list(cats), [tuple(x) for x in agents])


# --- where the counts come from ---------------------------------------------------------------

_ROLLUP_KEYS = {"day": CaseDaily.day, "channel": CaseDaily.channel, "kind": CaseDaily.kind,
                "category": CaseDaily.category}
_CASE_KEYS = {"day": Case.created_day, "channel": Case.channel, "kind": Case.kind,
              "category": Case.category, "agent_id": Case.owner_id, "store_id": Case.store_id,
              "product_category": Product.category, "tier": Customer.tier}


def utc_bounds(s, f: Filters) -> tuple[datetime, datetime]:
    """The period as stored times: from the shop's midnight starting the first day to the
    one ending the last."""
    tz = sla.shop_timezone(s)

    def midnight(day: date) -> datetime:
        return (datetime.combine(day, time.min, tzinfo=tz).astimezone(timezone.utc)
                .replace(tzinfo=None))
    return midnight(f.start), midnight(f.end + timedelta(days=1))


def _case_scope(s, f: Filters, query):
    """The period's cases with the filters applied (joins only for the filters in use)."""
    start, end = utc_bounds(s, f)
    query = query.where(Case.created_at >= start, Case.created_at < end)
    return dimension_filters(query, f, s.get_bind().dialect.name)


def unindexed(column, dialect: str):
    """On SQLite, the column with a unary plus, which keeps the planner on the period's
    created_at range: left alone it walked an owner's or a product's whole history (a
    busiest-agent filter took 224 ms, a product-category one 613 ms, over the same 30 days).
    PostgreSQL's planner weighs both by their statistics: the column as it is (there the
    plus turned a hashed semi-join into a subplan per row: 6.3 s)."""
    if dialect != "sqlite":
        return column
    return sa.literal_column(f"+{column.table.name}.{column.key}")


def dimension_filters(query, f: Filters, dialect: str):
    """The filters other than the period, on a query that has Case in it."""
    for column, values in ((Case.channel, f.channels), (Case.kind, f.kinds),
                           (Case.category, f.categories)):
        if values:
            query = query.where(column.in_(values))
    for column, values in ((Case.store_id, f.store_ids), (Case.owner_id, f.agent_ids)):
        if values:
            query = query.where(unindexed(column, dialect).in_(values))
    if f.product_categories:
        query = query.where(unindexed(Case.product_id, dialect).in_(
            sa.select(Product.id).where(Product.category.in_(f.product_categories))))
    if f.tiers:  # (here the customer index is the better way in: a tier is few people)
        query = query.where(Case.customer_id.in_(
            sa.select(Customer.id).where(Customer.tier.in_(f.tiers))))
    return query


def _rollup_where(query, f: Filters):
    query = query.where(CaseDaily.day >= f.start, CaseDaily.day <= f.end)
    for column, values in ((CaseDaily.channel, f.channels), (CaseDaily.kind, f.kinds),
                           (CaseDaily.category, f.categories)):
        if values:
            query = query.where(column.in_(values))
    return query


def counts(uow: UnitOfWork, actor: Actor, f: Filters, by: tuple[str, ...] = (),
           now: datetime | None = None) -> pd.DataFrame:
    """The measures of db.rollups.MEASURES, summed per combination of `by` (day, channel,
    kind, category; on the cases also agent_id, store_id, product_category, tier)."""
    require(actor, Action.ANALYTICS_VIEW)
    return _counts(uow, checked(f), by, now)


# open cases already past a due time: misses of the service level before anyone answers
OVERDUE = ("response_overdue", "resolution_overdue")


def _counts(uow: UnitOfWork, f: Filters, by: tuple[str, ...],
            now: datetime | None = None) -> pd.DataFrame:
    """db.rollups.MEASURES summed per `by`, plus the OVERDUE counts of the open cases (a
    time-dependent figure no rollup can hold: read from the few open cases, live)."""
    measures = list(rollups.MEASURES)
    use_rollup = not f.needs_cases and all(k in _ROLLUP_KEYS for k in by)
    with uow.reader() as r:
        if use_rollup:
            keys = [_ROLLUP_KEYS[k].label(k) for k in by]
            query = _rollup_where(sa.select(*keys, *[sa.func.sum(getattr(CaseDaily, m)).label(m)
                                                    for m in measures]), f)
        else:
            if any(k not in _CASE_KEYS for k in by):
                raise ValidationError(N_("These figures cannot be split that way."))
            keys = [_CASE_KEYS[k].label(k) for k in by]
            sums = [sa.func.sum(sa.literal_column(e.format(r="service_case"))).label(m)
                    for m, e in rollups.MEASURES.items()]
            query = _case_scope(r.session, f, _joined(sa.select(*keys, *sums)
                                                      .select_from(Case), by))
        frame = _grouped(r, query, by, measures)
        overdue = _grouped(r, _overdue(r.session, f, by, now or utcnow()), by, list(OVERDUE))
    if not by:
        return pd.concat([frame, overdue], axis=1).fillna(0).astype("int64")
    frame = frame.merge(overdue, on=list(by), how="left")
    frame[list(OVERDUE)] = frame[list(OVERDUE)].fillna(0).astype("int64")
    return frame.loc[frame["created"] > 0].reset_index(drop=True)


def _overdue(s, f: Filters, by: tuple[str, ...], now: datetime):
    """The period's open cases past their first-response or resolution due time, per `by`.
    The open cases are a few thousand in a chain and the (status, resolution_due_at) index
    finds them; the period is their shop day, checked on those rows only (bounding
    created_at as well had PostgreSQL intersect the whole period's index entries)."""
    response_late, resolution_late = sla.late_conditions(now)
    query = (sa.select(*[_CASE_KEYS[k].label(k) for k in by],
                       *[sa.func.sum(sa.case((late, 1), else_=0)).label(name)
                         for name, late in zip(OVERDUE, (response_late, resolution_late))])
             .select_from(Case)
             .where(Case.status.in_(sla.OPEN_STATUSES),
                    Case.created_day >= f.start, Case.created_day <= f.end))
    return dimension_filters(_joined(query, by), f, s.get_bind().dialect.name)


def _joined(query, by: tuple[str, ...]):
    """The tables a grouping key of the cases lives in."""
    if "product_category" in by:
        query = query.outerjoin(Product, Product.id == Case.product_id)
    if "tier" in by:
        query = query.join(Customer, Customer.id == Case.customer_id)
    return query


def _grouped(r, query, by: tuple[str, ...], measures: list[str]) -> pd.DataFrame:
    """A query of `by` keys then `measures`, grouped by the keys, as a frame of whole
    numbers (days as dates)."""
    keys = list(query.selected_columns)[:len(by)]
    if by:
        query = query.group_by(*keys)
    # plain values straight from the driver (no per-row type processing): codes stay the
    # vocabulary's strings, days come as ISO text on SQLite and dates on PostgreSQL
    plain = query.with_only_columns(*[sa.type_coerce(c, sa.String) if i < len(by) else c
                                      for i, c in enumerate(query.selected_columns)])
    rows = list(map(tuple, r.session.connection().execute(plain).all()))
    frame = pd.DataFrame.from_records(rows, columns=list(by) + measures)
    # whole numbers on both databases (PostgreSQL sums BIGINT columns into Decimals)
    frame[measures] = frame[measures].fillna(0).astype("int64")
    if "day" in by:
        frame["day"] = _as_dates(frame["day"])
    return frame


def _as_dates(values: pd.Series) -> pd.Series:
    """ISO text or dates to dates (a period has few distinct days: convert each once)."""
    return values.map({v: v if isinstance(v, date) else date.fromisoformat(str(v)[:10])
                       for v in values.unique()})


# rate -> (numerator, denominator) among the summed measures; the service levels count the
# open cases already late as missed (else a desk that stops answering would look better)
RATES = {"response_rate": ("response_met", ("response_targeted", "response_overdue")),
         "resolution_rate": ("resolution_met", ("resolution_targeted", "resolution_overdue")),
         "fcr_rate": ("first_contact_resolved", "resolved"),
         "reopen_rate": ("reopened", "resolved"),
         "escalation_rate": ("escalated", "created"),
         "avg_response_minutes": ("response_minutes", "responded"),
         "avg_resolution_minutes": ("resolution_minutes", "resolved")}


def with_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """Shares (0..1) and averages from the summed counts; NaN where nothing was measured."""
    out = frame.copy()
    for rate, (num, den) in RATES.items():
        total = sum(out[d] for d in _parts(den))
        out[rate] = (out[num] / total.where(total > 0)).astype("float64")
    return out


def _parts(denominator: str | tuple[str, ...]) -> tuple[str, ...]:
    return (denominator,) if isinstance(denominator, str) else denominator


def rates(totals: dict) -> dict:
    """with_rates for one row of totals (plain ints in, None where nothing was measured)."""
    out = {k: int(v) for k, v in totals.items()}
    for rate, (num, den) in RATES.items():
        total = sum(out[d] for d in _parts(den))
        out[rate] = out[num] / total if total else None
    return out


def volume(uow: UnitOfWork, actor: Actor, f: Filters, grain: str = "day") -> pd.DataFrame:
    """Cases created per day / week / month x channel x kind."""
    grain = _grain(grain)
    frame = counts(uow, actor, f, ("day", "channel", "kind"))
    frame["period"] = periods(frame["day"], grain)
    return (frame.groupby(["period", "channel", "kind"], as_index=False)["created"].sum()
            .rename(columns={"created": "cases"}))


def trend(uow: UnitOfWork, actor: Actor, f: Filters, grain: str = "week",
          now: datetime | None = None) -> pd.DataFrame:
    """Every rate per period: SLA compliance, FCR, reopen and escalation, average times."""
    grain = _grain(grain)
    frame = counts(uow, actor, f, ("day",), now)
    frame["period"] = periods(frame["day"], grain)
    summed = frame.drop(columns=["day"]).groupby("period", as_index=False).sum()
    return with_rates(summed)


def breakdown(uow: UnitOfWork, actor: Actor, f: Filters, by: str,
              now: datetime | None = None) -> pd.DataFrame:
    """Every rate per channel, kind, category, agent, store, product category or tier."""
    frame = with_rates(counts(uow, actor, f, (by,), now))
    if by == "agent_id":
        names = dict(_staff_names(uow, frame["agent_id"].dropna().astype(int).tolist()))
        frame.insert(0, "agent", frame["agent_id"].map(
            lambda i: names.get(int(i)) if pd.notna(i) else None))
    return frame.sort_values("created", ascending=False).reset_index(drop=True)


def headline(uow: UnitOfWork, actor: Actor, f: Filters, now: datetime | None = None) -> dict:
    """The period's totals and rates, for the KPI row and the report."""
    return rates(counts(uow, actor, f, (), now).iloc[0].to_dict())


@dataclass(frozen=True)
class Overview:
    """The Analytics page's first view, from one grouped read over both periods."""
    headline: dict        # the period's totals and rates (see headline())
    previous: dict        # the same over the period just before
    volume: pd.DataFrame  # period, channel, kind, cases
    trend: pd.DataFrame   # per period: counts and rates
    durations: pd.DataFrame
    previous_durations: pd.DataFrame
    compared_with: Filters  # the previous period (Filters.previous())


def overview(uow: UnitOfWork, actor: Actor, f: Filters, grain: str = "day",
             trend_grain: str = "week", now: datetime | None = None) -> Overview:
    require(actor, Action.ANALYTICS_VIEW)
    grain, trend_grain = _grain(grain), _grain(trend_grain)
    f = checked(f)
    before = f.previous()
    # both periods in one read (up to twice the longest period: checked above, not here;
    # a calendar comparison may leave days between them, which belong to neither)
    both = _counts(uow, replace(f, start=before.start), ("day", "channel", "kind"), now)
    current = both.loc[both["day"] >= f.start]
    earlier = both.loc[(both["day"] >= before.start) & (both["day"] <= before.end)]
    measures = list(rollups.MEASURES) + list(OVERDUE)

    def totals(frame: pd.DataFrame) -> dict:
        return rates(frame[measures].sum().to_dict())
    by_period = current.assign(period=periods(current["day"], grain))
    volume_ = (by_period.groupby(["period", "channel", "kind"], as_index=False)["created"].sum()
               .rename(columns={"created": "cases"}))
    trend_ = with_rates(current.assign(period=periods(current["day"], trend_grain))
                        [["period"] + measures].groupby("period", as_index=False).sum())
    now_minutes, before_minutes = _minute_histograms(uow, [f, before])
    return Overview(totals(current), totals(earlier), volume_, trend_,
                    _durations(now_minutes), _durations(before_minutes), before)


def periods(days: pd.Series, grain: str) -> pd.Series:
    """Each day's period start: the day, its week's Monday, or its month's first day."""
    def start(day: date) -> date:
        if grain == "week":
            return day - timedelta(days=day.weekday())
        return day.replace(day=1) if grain == "month" else day
    return days.map({d: start(d) for d in days.unique()})


def _grain(grain: str) -> str:
    if grain not in GRAINS:
        raise ValidationError(N_("Unknown period grain {grain}."), grain=grain)
    return grain


def _staff_names(uow: UnitOfWork, ids: list[int]) -> list[tuple[int, str]]:
    if not ids:
        return []
    with uow.reader() as r:
        return [tuple(x) for x in r.session.execute(
            sa.select(Staff.id, Staff.display_name).where(Staff.id.in_(ids))).all()]


# --- durations ---------------------------------------------------------------------------------

DURATIONS = {"first_response": Case.first_response_minutes,
             "resolution": Case.resolution_minutes}
# upper bounds in opening minutes (a shop day is about 9 opening hours)
BUCKETS = ((15, N_("under 15 min")), (60, N_("15–60 min")), (240, N_("1–4 h")),
           (540, N_("4 h – 1 day")), (1620, N_("1–3 days")), (2700, N_("3–5 days")),
           (None, N_("over 5 days")))


def percentile(histogram: list[tuple[float, int]], p: float) -> float | None:
    """The p-th percentile of values given as sorted (value, count) pairs, interpolating
    linearly between the two nearest ranks (numpy's default method)."""
    n = sum(c for _, c in histogram)
    if n == 0:
        return None
    k = (n - 1) * p
    lo, hi = math.floor(k), math.ceil(k)

    def at(rank: int) -> float:  # 0-based
        seen = 0
        for value, count in histogram:
            seen += count
            if rank < seen:
                return value
        return histogram[-1][0]
    return at(lo) + (at(hi) - at(lo)) * (k - lo)


def minute_histograms(uow: UnitOfWork, actor: Actor,
                      f: Filters) -> dict[str, tuple[list[tuple[float, int]], int, int]]:
    """Per measure: the sorted (bucket's mean minutes, cases) histogram (db.rollups.BUCKET),
    the cases measured and their exact total minutes. From the daily minutes rollup when
    the filters allow (period, channel), else from the period's cases, bucketed the same
    way, so both sources give the same answer."""
    require(actor, Action.ANALYTICS_VIEW)
    return _minute_histograms(uow, [checked(f)])[0]


def _minute_histograms(uow: UnitOfWork, periods: list[Filters]) -> list[dict]:
    """minute_histograms of several periods, in one reader. (One grouped read of both the
    overview's periods, split by a CASE on the day, was slower on both databases than two
    plain ones: 59 against 47 ms on SQLite at chain scale.)"""
    with uow.reader() as r:
        return [_case_histograms(r.session, f) if f.needs_cases or f.kinds or f.categories
                else _rollup_histograms(r.session, f) for f in periods]


def _rollup_histograms(s, f: Filters) -> dict:
    query = (sa.select(CaseMinutesDaily.measure, CaseMinutesDaily.minutes,
                       sa.func.sum(CaseMinutesDaily.cases),
                       sa.func.sum(CaseMinutesDaily.minutes_total))
             .where(CaseMinutesDaily.day >= f.start, CaseMinutesDaily.day <= f.end)
             .group_by(CaseMinutesDaily.measure, CaseMinutesDaily.minutes))
    if f.channels:
        query = query.where(CaseMinutesDaily.channel.in_(f.channels))
    found: dict[str, list] = {m: [] for m in DURATIONS}
    for measure, minutes, cases, total in s.connection().execute(query):
        found[measure].append((int(minutes), int(cases), int(total)))
    # the buckets' cases and totals add up to the measure's exactly
    return {m: _histogram(found[m]) for m in DURATIONS}


def _case_histograms(s, f: Filters) -> dict:
    out = {}
    for measure, column in DURATIONS.items():
        bucket = sa.literal_column(rollups.BUCKET.format(m=f"service_case.{column.key}"))
        rows = s.execute(_case_scope(s, f, sa.select(
            bucket, sa.func.count(), sa.func.sum(column)).where(column.isnot(None))
            .group_by(bucket))).all()
        out[measure] = _histogram([(int(b), int(n), int(t)) for b, n, t in rows])
    return out


def _histogram(buckets: list[tuple[int, int, int]]) -> tuple[list[tuple[float, int]], int, int]:
    """(bucket, cases, total minutes) rows -> the sorted (bucket's mean, cases) histogram,
    the cases and their total."""
    ordered = sorted(b for b in buckets if b[1])
    return ([(total / cases, cases) for _, cases, total in ordered],
            sum(b[1] for b in ordered), sum(b[2] for b in ordered))


def durations(uow: UnitOfWork, actor: Actor, f: Filters) -> pd.DataFrame:
    """Per measure: cases measured, mean (exact), median and 90th percentile (to the
    histogram's resolution) in opening minutes."""
    return _durations(minute_histograms(uow, actor, f))


def _durations(histograms: dict) -> pd.DataFrame:
    return pd.DataFrame([{"measure": measure, "cases": n,
                          "mean_minutes": total / n if n else None,
                          "median_minutes": percentile(histogram, 0.5),
                          "p90_minutes": percentile(histogram, 0.9)}
                         for measure, (histogram, n, total) in histograms.items()])


def duration_histogram(uow: UnitOfWork, actor: Actor, f: Filters) -> pd.DataFrame:
    """How many cases took how long, per measure and bucket (labels are msgids)."""
    out = []
    for measure, (histogram, _, _) in minute_histograms(uow, actor, f).items():
        counts_ = [0] * len(BUCKETS)
        for minutes, cases in histogram:
            counts_[next(i for i, (upper, _) in enumerate(BUCKETS)
                         if upper is None or minutes < upper)] += cases
        out += [{"measure": measure, "order": i, "bucket": label, "cases": counts_[i]}
                for i, (_, label) in enumerate(BUCKETS)]
    return pd.DataFrame(out)
