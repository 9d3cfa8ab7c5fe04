"""Every figure the Analytics and Reports pages show, as SQL that returns small DataFrames.

Two sources, one set of definitions:
- the daily rollup (case_daily, kept by triggers: db.rollups) when the filters are the
  rollup's own dimensions (period, channel, kind, category): a few thousand day rows;
- the cases themselves, bounded by the period on the created_at index, when a filter needs
  a dimension the rollup does not hold (store, product category, agent, customer tier).
Both add up the same measure expressions (db.rollups.MEASURES), so they cannot disagree.

Durations are opening-hours minutes stored on the case (core.sla.business_minutes);
medians and 90th percentiles are exact, taken by a window sort in SQL, with linear
interpolation between the two nearest ranks (numpy's default).

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
from core.errors import ValidationError
from core.i18n import N_
from core.permissions import Action, require
from core.uow import UnitOfWork
from core.vocabulary import CaseCategory, CaseKind, Channel, CustomerTier, Role
from db import rollups
from db.models import Case, CaseDaily, Customer, Product, Staff, StaffRole, Store

MAX_DAYS = 731          # two years: the longest period a dashboard adds up
PERCENTILES = (0.5, 0.9)
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

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def needs_cases(self) -> bool:
        """A dimension the rollup does not hold: read the period's cases."""
        return bool(self.store_ids or self.product_categories or self.agent_ids or self.tiers)

    def previous(self) -> Filters:
        """The same filters over the period of the same length just before."""
        return replace(self, start=self.start - timedelta(days=self.days),
                       end=self.start - timedelta(days=1))


def checked(f: Filters) -> Filters:
    """The filters with their values validated (a widget or a URL may send anything)."""
    if not isinstance(f.start, date) or not isinstance(f.end, date):
        raise ValidationError(N_("Choose a period: a first and a last day."))
    if f.end < f.start:
        raise ValidationError(N_("The period ends before it starts."))
    if f.days > MAX_DAYS:
        raise ValidationError(N_("Choose a period of at most {days} days."), days=MAX_DAYS)
    return replace(
        f,
        channels=tuple(validate.choice(Channel, c, N_("Channel")) for c in f.channels),
        kinds=tuple(validate.choice(CaseKind, k, N_("Kind")) for k in f.kinds),
        categories=tuple(validate.choice(CaseCategory, c, N_("Category"))
                         for c in f.categories),
        tiers=tuple(validate.choice(CustomerTier, t, N_("Customer tier")) for t in f.tiers),
        store_ids=tuple(int(s) for s in f.store_ids),
        agent_ids=tuple(int(a) for a in f.agent_ids),
        product_categories=tuple(str(p) for p in f.product_categories))


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
    for column, values in ((Case.channel, f.channels), (Case.kind, f.kinds),
                           (Case.category, f.categories), (Case.store_id, f.store_ids),
                           (Case.owner_id, f.agent_ids)):
        if values:
            query = query.where(column.in_(values))
    if f.product_categories:
        query = query.where(Case.product_id.in_(
            sa.select(Product.id).where(Product.category.in_(f.product_categories))))
    if f.tiers:
        query = query.where(Case.customer_id.in_(
            sa.select(Customer.id).where(Customer.tier.in_(f.tiers))))
    return query


def counts(uow: UnitOfWork, actor: Actor, f: Filters, by: tuple[str, ...] = ()) -> pd.DataFrame:
    """The measures of db.rollups.MEASURES, summed per combination of `by` (day, channel,
    kind, category; on the cases also agent_id, store_id, product_category, tier)."""
    require(actor, Action.ANALYTICS_VIEW)
    f = checked(f)
    measures = list(rollups.MEASURES)
    use_rollup = not f.needs_cases and all(k in _ROLLUP_KEYS for k in by)
    with uow.reader() as r:
        if use_rollup:
            keys = [_ROLLUP_KEYS[k].label(k) for k in by]
            query = (sa.select(*keys, *[sa.func.sum(getattr(CaseDaily, m)).label(m)
                                        for m in measures])
                     .where(CaseDaily.day >= f.start, CaseDaily.day <= f.end))
            for column, values in ((CaseDaily.channel, f.channels), (CaseDaily.kind, f.kinds),
                                   (CaseDaily.category, f.categories)):
                if values:
                    query = query.where(column.in_(values))
        else:
            if any(k not in _CASE_KEYS for k in by):
                raise ValidationError(N_("These figures cannot be split that way."))
            keys = [_CASE_KEYS[k].label(k) for k in by]
            sums = [sa.func.sum(sa.literal_column(e.format(r="service_case"))).label(m)
                    for m, e in rollups.MEASURES.items()]
            query = sa.select(*keys, *sums).select_from(Case)
            if "product_category" in by:
                query = query.outerjoin(Product, Product.id == Case.product_id)
            if "tier" in by:
                query = query.join(Customer, Customer.id == Case.customer_id)
            query = _case_scope(r.session, f, query)
        if by:
            query = query.group_by(*[k for k in keys])
        rows = r.session.execute(query).all()
    frame = pd.DataFrame([tuple(row) for row in rows], columns=list(by) + measures)
    for m in measures:
        frame[m] = frame[m].fillna(0).astype("int64")
    for k in by:
        if k == "day":
            frame[k] = pd.to_datetime(frame[k]).dt.date
        elif frame[k].dtype == object:
            frame[k] = frame[k].map(lambda v: getattr(v, "value", v))
    return frame.loc[frame["created"] > 0].reset_index(drop=True) if by else frame


def with_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """Shares (0..1) and averages from the summed counts; None where nothing was measured."""
    out = frame.copy()

    def share(num, den):
        return (out[num] / out[den].where(out[den] > 0)).astype("float64")

    out["response_rate"] = share("response_met", "response_targeted")
    out["resolution_rate"] = share("resolution_met", "resolution_targeted")
    out["fcr_rate"] = share("first_contact_resolved", "resolved")
    out["reopen_rate"] = share("reopened", "resolved")
    out["escalation_rate"] = share("escalated", "created")
    out["avg_response_minutes"] = share("response_minutes", "responded")
    out["avg_resolution_minutes"] = share("resolution_minutes", "resolved")
    return out


def volume(uow: UnitOfWork, actor: Actor, f: Filters, grain: str = "day") -> pd.DataFrame:
    """Cases created per day / week / month x channel x kind."""
    grain = _grain(grain)
    frame = counts(uow, actor, f, ("day", "channel", "kind"))
    frame["period"] = periods(frame["day"], grain)
    return (frame.groupby(["period", "channel", "kind"], as_index=False)["created"].sum()
            .rename(columns={"created": "cases"}))


def trend(uow: UnitOfWork, actor: Actor, f: Filters, grain: str = "week") -> pd.DataFrame:
    """Every rate per period: SLA compliance, FCR, reopen and escalation, average times."""
    grain = _grain(grain)
    frame = counts(uow, actor, f, ("day",))
    frame["period"] = periods(frame["day"], grain)
    summed = frame.drop(columns=["day"]).groupby("period", as_index=False).sum()
    return with_rates(summed)


def breakdown(uow: UnitOfWork, actor: Actor, f: Filters, by: str) -> pd.DataFrame:
    """Every rate per channel, kind, category, agent, store, product category or tier."""
    frame = with_rates(counts(uow, actor, f, (by,)))
    if by == "agent_id":
        names = dict(_staff_names(uow, frame["agent_id"].dropna().astype(int).tolist()))
        frame.insert(0, "agent", frame["agent_id"].map(
            lambda i: names.get(int(i)) if pd.notna(i) else None))
    return frame.sort_values("created", ascending=False).reset_index(drop=True)


def headline(uow: UnitOfWork, actor: Actor, f: Filters) -> dict:
    """The period's totals and rates, for the KPI row and the report."""
    frame = with_rates(counts(uow, actor, f))
    return {k: _plain(frame[k].iloc[0]) for k in frame.columns}


def _plain(value):
    if pd.isna(value):
        return None
    return int(value) if float(value).is_integer() and not isinstance(value, float) else float(value)


def periods(days: pd.Series, grain: str) -> pd.Series:
    """Each day's period start: the day, its week's Monday, or its month's first day."""
    stamps = pd.to_datetime(days)
    if grain == "week":
        stamps = stamps - pd.to_timedelta(stamps.dt.weekday, unit="D")
    elif grain == "month":
        stamps = stamps.dt.to_period("M").dt.start_time
    return stamps.dt.date


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


def percentile(sorted_pairs: list[tuple[int, float]], n: int, p: float) -> float | None:
    """Linear interpolation between ranks (numpy's default) from the rows at those ranks."""
    if n == 0:
        return None
    at = dict(sorted_pairs)
    k = (n - 1) * p
    lo, hi = math.floor(k) + 1, math.ceil(k) + 1
    return at[lo] + (at[hi] - at[lo]) * (k - math.floor(k))


def durations(uow: UnitOfWork, actor: Actor, f: Filters) -> pd.DataFrame:
    """Per measure: cases measured, mean, median and 90th percentile in opening minutes."""
    require(actor, Action.ANALYTICS_VIEW)
    f = checked(f)
    rows = []
    with uow.reader() as r:
        for name, column in DURATIONS.items():
            inner = _case_scope(r.session, f, sa.select(
                column.label("m"),
                sa.func.row_number().over(order_by=column).label("rn"),
                sa.func.count().over().label("n")).where(column.isnot(None))).subquery()
            wanted = sa.or_(*[inner.c.rn == sa.cast(sa.func.floor((inner.c.n - 1) * p), sa.Integer)
                              + step for p in PERCENTILES for step in (1, 2)])
            picked = r.session.execute(sa.select(inner.c.rn, inner.c.m, inner.c.n)
                                       .where(wanted)).all()
            n = int(picked[0][2]) if picked else 0
            pairs = [(int(rn), float(m)) for rn, m, _ in picked]
            mean = r.session.scalar(_case_scope(r.session, f, sa.select(sa.func.avg(column))
                                                .where(column.isnot(None))))
            rows.append({"measure": name, "cases": n,
                         "mean_minutes": float(mean) if mean is not None else None,
                         "median_minutes": percentile(pairs, n, 0.5),
                         "p90_minutes": percentile(pairs, n, 0.9)})
    return pd.DataFrame(rows)


def duration_histogram(uow: UnitOfWork, actor: Actor, f: Filters) -> pd.DataFrame:
    """How many cases took how long, per measure and bucket (labels are msgids)."""
    require(actor, Action.ANALYTICS_VIEW)
    f = checked(f)
    out = []
    with uow.reader() as r:
        for name, column in DURATIONS.items():
            bucket = sa.case(*[(column < upper, i) for i, (upper, _) in enumerate(BUCKETS)
                               if upper is not None], else_=len(BUCKETS) - 1)
            found = dict(r.session.execute(_case_scope(
                r.session, f, sa.select(bucket, sa.func.count()).where(column.isnot(None))
                .group_by(bucket))).all())
            out += [{"measure": name, "order": i, "bucket": label, "cases": int(found.get(i, 0))}
                    for i, (_, label) in enumerate(BUCKETS)]
    return pd.DataFrame(out)
