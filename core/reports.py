"""Monthly and quarterly management reports (DOMAIN.md §7): the period's headline figures
beside the previous period's, the tables behind the charts, the top complaint causes with a
few masked examples, and improvement suggestions that each cite the figure behind them.

Every figure comes from core.analytics and core.service_quality (same definitions as the
Analytics page). The previous period is the month or quarter before, not "the same number
of days before" (Filters.previous): a report on March compares with February.

Two outputs, both in the report's language:
- `report_html`: one self-contained printable page (inline CSS, no script, no external
  resource); the browser's Print -> Save as PDF turns it into a PDF. Every value is escaped.
- `report_workbook`: an Excel workbook through core.exports (formula-safe cells).

No customer's name, phone, e-mail or address is read: the examples carry the case number,
the day, the product and the subject with digit runs and e-mail addresses masked.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from html import escape

import pandas as pd

from core import analytics, service_quality
from core.actor import Actor
from core.analytics import Filters
from core.clock import utcnow
from core.errors import ValidationError
from core.exports import excel_bytes
from core.formats import money
from core.i18n import DEFAULT_LANGUAGE, LANGUAGES, N_, Term, say, translator
from core.labels import CATEGORY, CHANNEL, DEPARTMENT, KIND, ROOT_CAUSE
from core.permissions import Action, require
from core.uow import UnitOfWork
from core.vocabulary import CAUSE_DEPARTMENT, Channel, Department

KINDS = ("month", "quarter")
MIN_YEAR, MAX_YEAR = 2000, 2100

# --- thresholds of the suggestion rules (shares are 0..1) --------------------------------------
RESPONSE_SLA_TARGET = 0.80       # first response within its SLA, per channel
RESOLUTION_SLA_TARGET = 0.85     # resolution within its SLA, whole period
FCR_TARGET = 0.60                # first-contact resolution
RATE_DROP = 0.05                 # a rate down by 5 points or more from the previous period
REOPEN_LIMIT = 0.05              # reopened share of resolved cases
PARETO_HEAD_SHARE = 0.30         # one root cause behind this share of complaints or more
RETURN_RATE_FACTOR = 2.0         # a product returned at twice the listed products' rate
RETURN_MIN_UNITS = 20            # products sold fewer times are not compared
RETURN_MIN_RETURNS = 2           # one return is not a pattern
SATISFACTION_TARGET = 4.0        # average of the 1-5 survey score
NPS_DROP = 10.0                  # NPS points lost from the previous period
REACH_TARGET = 0.70              # callbacks that reached the customer
BACKLOG_OLD_DAYS = 7             # an open case older than this is old ...
BACKLOG_OLD_SHARE = 0.10         # ... and more than this share of old cases is too many
VOLUME_RISE = 0.20               # cases up by 20% or more from the previous period
# samples too small to judge: fewer cases (per channel / category / period), survey answers
# or ended callbacks than these stay silent
MIN_CASES = 5
MIN_ANSWERS = 3
MIN_CALLBACKS = 3

TOP_ROWS = 10                    # rows of the product tables
TOP_CAUSES = 3
EXAMPLES_PER_CAUSE = 3
AFTER_SALES_ROWS = 500           # products whose return rates the rules compare

HIGH, MEDIUM, LOW = 3, 2, 1
SEVERITY = {HIGH: N_("High"), MEDIUM: N_("Medium"), LOW: N_("Low")}

MONTHS = (N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"),
          N_("July"), N_("August"), N_("September"), N_("October"), N_("November"),
          N_("December"))
KIND_LABELS = {"month": N_("Monthly report"), "quarter": N_("Quarterly report")}
NOT_CLASSIFIED = N_("Not classified yet")


# --- periods -----------------------------------------------------------------------------------

def _whole(value: object, what: str, low: int, high: int) -> int:
    if isinstance(value, bool):
        value = None
    try:
        number = int(value)  # type: ignore[arg-type]
        if isinstance(value, float) and not value.is_integer():
            raise ValueError
    except (TypeError, ValueError):
        raise ValidationError(N_("{field} must be a whole number from {low} to {high}."),
                              field=Term(what), low=low, high=high) from None
    if not low <= number <= high:
        raise ValidationError(N_("{field} must be a whole number from {low} to {high}."),
                              field=Term(what), low=low, high=high)
    return number


def _checked(kind: object, year: object, number: object) -> tuple[str, int, int]:
    if kind not in KINDS:
        raise ValidationError(N_("Choose a monthly or a quarterly report."))
    year = _whole(year, N_("Year"), MIN_YEAR, MAX_YEAR)
    if kind == "month":
        return "month", year, _whole(number, N_("Month"), 1, 12)
    return "quarter", year, _whole(number, N_("Quarter"), 1, 4)


def report_period(kind: str, year: int, number: int,
                  today: date | None = None) -> tuple[date, date]:
    """The month or quarter as shop days, both ends included. With `today`, a period that
    has not begun is refused (the current one is allowed: its figures run up to today)."""
    kind, year, number = _checked(kind, year, number)
    months = 1 if kind == "month" else 3
    start = date(year, number if kind == "month" else 3 * (number - 1) + 1, 1)
    end = analytics.shift_months(start, months) - timedelta(days=1)
    if today is not None and start > today:
        raise ValidationError(
            N_("That period starts on {start}, in the future: choose one that has begun."),
            start=start.isoformat())
    return start, end


def previous_number(kind: str, year: int, number: int) -> tuple[int, int]:
    """(year, number) of the month or quarter before."""
    kind, year, number = _checked(kind, year, number)
    if number > 1:
        return year, number - 1
    return year - 1, 12 if kind == "month" else 4


def previous_period(kind: str, year: int, number: int) -> tuple[date, date]:
    """The month or quarter before, as shop days (a report on March compares with February,
    on Q1 with the Q4 before)."""
    kind, year, number = _checked(kind, year, number)
    start, _ = report_period(kind, year, number)
    end = start - timedelta(days=1)
    return (analytics.shift_months(start, -1 if kind == "month" else -3), end)


def period_label(language: str | None, kind: str, year: int, number: int) -> str:
    """'March 2026' / 'Q1 2026' in the language."""
    if kind == "month":
        return say(language, N_("{month} {year}"), month=Term(MONTHS[number - 1]), year=year)
    return say(language, N_("Q{quarter} {year}"), quarter=number, year=year)


def default_period(uow: UnitOfWork, kind: str, now: datetime | None = None) -> tuple[int, int]:
    """(year, number) of the last complete month or quarter in the shop's calendar."""
    today = analytics.shop_today(uow, now or utcnow())
    if kind == "quarter":
        last = analytics.quarter_start(today) - timedelta(days=1)
        return last.year, (last.month - 1) // 3 + 1
    last = today.replace(day=1) - timedelta(days=1)
    return last.year, last.month


# --- the report ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Figure:
    """One headline figure. Shares are 0..1, durations hours, money cents; `change` is in the
    figure's unit (a share's change is in points / 100), `relative` = change / |previous|."""
    key: str
    label: str            # msgid
    unit: str             # count / percent / hours / score / nps / money
    better: str           # higher / lower / neither
    value: float | int | None
    previous: float | int | None
    change: float | int | None
    relative: float | None
    verdict: str | None   # good / bad / same / neutral; None when there is nothing to compare


@dataclass(frozen=True)
class Example:
    case_id: int
    day: date | None
    product: str | None
    subject: str | None   # masked (service_quality.mask_personal)


@dataclass(frozen=True)
class Cause:
    root_cause: str | None
    complaints: int
    share: float
    examples: tuple[Example, ...]


@dataclass(frozen=True)
class Suggestion:
    rule_id: str
    severity: int         # HIGH / MEDIUM / LOW
    text: str             # in the report's language
    figure: str           # the figure that triggered it, as written in the text


@dataclass(frozen=True, eq=False)
class Facts:
    """What the suggestion rules read: the headline values (plus the counts behind them) of
    this and the previous period, and the small frames. Defaults are empty, so that a test
    gives only what its rule needs."""
    kind: str = "month"
    current: Mapping[str, float | int | None] = field(default_factory=dict)
    previous: Mapping[str, float | int | None] = field(default_factory=dict)
    # channel, cases, response_rate, response_rate_prev
    by_channel: pd.DataFrame = field(default_factory=pd.DataFrame)
    # category, cases, resolution_rate
    by_category: pd.DataFrame = field(default_factory=pd.DataFrame)
    # root_cause, complaints, share
    pareto: pd.DataFrame = field(default_factory=pd.DataFrame)
    # sku, product, units_sold, returns
    after_sales: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass(frozen=True, eq=False)
class ManagementReport:
    kind: str
    year: int
    number: int
    language: str
    start: date
    end: date
    previous_start: date
    previous_end: date
    partial: bool                 # the period is not over yet: figures up to today
    generated_at: datetime        # naive UTC
    filters: Filters              # the dimension filters (period = this one)
    figures: tuple[Figure, ...]
    volume_by_week: pd.DataFrame  # week (first shop day in the period), channel, cases
    volume_by_channel: pd.DataFrame  # channel, cases, previous_cases
    sla_by_channel: pd.DataFrame
    sla_by_category: pd.DataFrame
    satisfaction_by_channel: pd.DataFrame
    complaint_pareto: pd.DataFrame
    complaints_by_product: pd.DataFrame
    after_sales_by_product: pd.DataFrame
    scorecards: pd.DataFrame
    backlog: pd.DataFrame         # order, age (msgid), cases
    top_causes: tuple[Cause, ...]
    suggestions: tuple[Suggestion, ...]
    facts: Facts

    def figure(self, key: str) -> Figure:
        for f in self.figures:
            if f.key == key:
                return f
        raise KeyError(key)

    @property
    def title(self) -> str:
        return period_label(self.language, self.kind, self.year, self.number)


# key, label, unit, which way is better
FIGURES: tuple[tuple[str, str, str, str], ...] = (
    ("cases", N_("Cases"), "count", "neither"),
    ("response_rate", N_("First-response SLA"), "percent", "higher"),
    ("resolution_rate", N_("Resolution SLA"), "percent", "higher"),
    ("fcr_rate", N_("First-contact resolution"), "percent", "higher"),
    ("reopen_rate", N_("Reopen rate"), "percent", "lower"),
    ("escalation_rate", N_("Escalation rate"), "percent", "lower"),
    ("avg_response_hours", N_("Average first response (opening hours)"), "hours", "lower"),
    ("avg_resolution_hours", N_("Average resolution (opening hours)"), "hours", "lower"),
    ("median_resolution_hours", N_("Median resolution (opening hours)"), "hours", "lower"),
    ("p90_resolution_hours", N_("90th percentile resolution (opening hours)"), "hours",
     "lower"),
    ("satisfaction", N_("Satisfaction (1–5)"), "score", "higher"),
    ("nps", N_("NPS"), "nps", "higher"),
    ("reach_rate", N_("Callback reach rate"), "percent", "higher"),
    ("complaints", N_("Complaints"), "count", "lower"),
    ("refunds", N_("Refunds"), "money", "lower"),
    ("backlog", N_("Open cases now"), "count", "lower"),
)


def _num(value) -> float | int | None:
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return None
    if isinstance(value, (int,)) and not isinstance(value, bool):
        return int(value)
    if hasattr(value, "item"):
        value = value.item()
    return value if isinstance(value, int) else float(value)


# a change smaller than what the figure is written to counts as none (+0.0 pts is not worse)
UNCHANGED = {"percent": 0.0005, "hours": 0.005, "score": 0.005, "nps": 0.05}


def compare(key: str, label: str, unit: str, better: str, value, previous) -> Figure:
    """The figure with its change from the previous period and whether that is good."""
    value, previous = _num(value), _num(previous)
    change = relative = verdict = None
    if value is not None and previous is not None:
        change = value - previous
        if unit in ("count", "money") and isinstance(change, float) and change.is_integer():
            change = int(change)
        if previous > 0 and unit != "nps":
            relative = change / previous
        if abs(change) < UNCHANGED.get(unit, 0) + 1e-9:
            verdict = "same"
        elif better == "neither":
            verdict = "neutral"
        else:
            verdict = "good" if (change > 0) == (better == "higher") else "bad"
    return Figure(key, label, unit, better, value, previous, change, relative, verdict)


def _hours(minutes) -> float | None:
    minutes = _num(minutes)
    return None if minutes is None else minutes / 60


def _old_bucket() -> int:
    """The first backlog age bucket that is older than BACKLOG_OLD_DAYS."""
    bounds = [d for d, _ in service_quality.AGE_BUCKETS]
    return bounds.index(BACKLOG_OLD_DAYS) + 1


def _period_numbers(uow: UnitOfWork, actor: Actor, f: Filters, now: datetime) -> dict:
    """The headline values of one period (no backlog: that is now's, not the period's)."""
    head = analytics.headline(uow, actor, f, now)
    durations = analytics.durations(uow, actor, f).set_index("measure")
    survey = service_quality.satisfaction_total(uow, actor, f)
    refunds = service_quality.refunds_total(uow, actor, f)
    reach = service_quality.reach(uow, actor, f)
    causes = service_quality.complaint_causes(uow, actor, f)
    after_sales = service_quality.after_sales_by_product(uow, actor, f, AFTER_SALES_ROWS)
    return {
        "cases": head["created"], "response_rate": head["response_rate"],
        "resolution_rate": head["resolution_rate"], "fcr_rate": head["fcr_rate"],
        "reopen_rate": head["reopen_rate"], "escalation_rate": head["escalation_rate"],
        "avg_response_hours": _hours(head["avg_response_minutes"]),
        "avg_resolution_hours": _hours(head["avg_resolution_minutes"]),
        "median_resolution_hours": _hours(durations.loc["resolution", "median_minutes"]),
        "p90_resolution_hours": _hours(durations.loc["resolution", "p90_minutes"]),
        "satisfaction": survey["satisfaction"], "nps": survey["nps"],
        "reach_rate": reach["rate"], "complaints": int(causes["complaints"].sum()),
        "refunds": refunds["refunded_cents"],
        # the counts behind the shares, for the rules' sample sizes
        "resolved": head["resolved"], "reopened": head["reopened"],
        "survey_answers": survey["answers"], "nps_answers": survey["nps_answers"],
        "callbacks_closed": reach["closed"], "callbacks_reached": reach["reached"],
        "_causes": causes, "_after_sales": after_sales,
    }


def _rates(frame: pd.DataFrame, key: str, columns: list[str]) -> pd.DataFrame:
    out = frame[[key, "created"] + columns].rename(columns={"created": "cases"})
    return out.reset_index(drop=True)


def build_report(uow: UnitOfWork, actor: Actor, kind: str, year: int, number: int,
                 language: str | None = None, *, channels: tuple[str, ...] = (),
                 kinds: tuple[str, ...] = (), categories: tuple[str, ...] = (),
                 store_ids: tuple[int, ...] = (), product_categories: tuple[str, ...] = (),
                 agent_ids: tuple[int, ...] = (), tiers: tuple[str, ...] = (),
                 now: datetime | None = None) -> ManagementReport:
    """The management report of one month or quarter, compared with the one before.
    Supervisors and analysts (REPORTS_VIEW). A period that has not begun is refused."""
    require(actor, Action.REPORTS_VIEW)
    kind, year, number = _checked(kind, year, number)
    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    now = now or utcnow()
    today = analytics.shop_today(uow, now)
    start, end = report_period(kind, year, number, today=today)
    prev_start, prev_end = previous_period(kind, year, number)
    partial = end >= today
    if partial:  # so far this period against the same days of the one before
        prev_start, prev_end = analytics.previous_span(f"this_{kind}", start, today)
    f = analytics.checked(Filters(start, end, tuple(channels), tuple(kinds), tuple(categories),
                                  tuple(store_ids), tuple(product_categories),
                                  tuple(agent_ids), tuple(tiers)))
    pf = Filters(prev_start, prev_end, f.channels, f.kinds, f.categories, f.store_ids,
                 f.product_categories, f.agent_ids, f.tiers)

    current, previous = (_period_numbers(uow, actor, f, now),
                         _period_numbers(uow, actor, pf, now))
    backlog = service_quality.backlog(uow, actor, f, now=now)
    backlog = (backlog.groupby("order", as_index=False)["cases"].sum()
               if len(backlog) else pd.DataFrame({"order": [], "cases": []}))
    backlog["order"] = backlog["order"].astype(int)
    backlog["cases"] = backlog["cases"].astype(int)
    backlog["age"] = backlog["order"].map(lambda i: service_quality.AGE_BUCKETS[i][1])
    current["backlog"] = int(backlog["cases"].sum())
    current["backlog_over_7_days"] = int(backlog.loc[backlog["order"] >= _old_bucket(),
                                                     "cases"].sum())
    previous["backlog"] = None   # the backlog of a past day cannot be rebuilt from statuses

    figures = tuple(compare(key, label, unit, better, current[key], previous[key])
                    for key, label, unit, better in FIGURES)

    channel = analytics.breakdown(uow, actor, f, "channel", now)
    prev_channel = analytics.breakdown(uow, actor, pf, "channel", now)
    sla_by_channel = _rates(channel, "channel", ["response_rate", "resolution_rate",
                                                 "fcr_rate", "reopen_rate",
                                                 "avg_response_minutes"])
    before = prev_channel.set_index("channel")
    for column in ("response_rate", "fcr_rate"):
        sla_by_channel[f"{column}_prev"] = sla_by_channel["channel"].map(
            before[column] if len(before) else {}).astype("float64")
    volume_by_channel = pd.DataFrame({
        "channel": sla_by_channel["channel"], "cases": sla_by_channel["cases"],
        "previous_cases": sla_by_channel["channel"].map(
            before["created"] if len(before) else {}).fillna(0).astype(int)})
    sla_by_category = _rates(analytics.breakdown(uow, actor, f, "category", now), "category",
                             ["response_rate", "resolution_rate", "fcr_rate"])

    volume = analytics.volume(uow, actor, f, "week")
    if len(volume):
        volume["week"] = volume["period"].map(lambda d: max(d, start))
        volume = (volume.groupby(["week", "channel"], as_index=False)["cases"].sum()
                  .sort_values(["week", "channel"]).reset_index(drop=True))
    else:
        volume = pd.DataFrame({"week": [], "channel": [], "cases": []})

    satisfaction = service_quality.satisfaction_by(uow, actor, f, "channel")
    pareto = current.pop("_causes")
    previous.pop("_causes")
    after_sales = current.pop("_after_sales").head(TOP_ROWS).reset_index(drop=True)
    previous.pop("_after_sales")
    complaints_by_product = service_quality.complaints_by(uow, actor, f, "product", TOP_ROWS)
    scorecards = service_quality.scorecards(uow, actor, f, now)

    top = []
    for row in pareto.loc[pareto["root_cause"].notna()].head(TOP_CAUSES).itertuples():
        examples = service_quality.complaint_examples(uow, actor, f, row.root_cause,
                                                      EXAMPLES_PER_CAUSE)
        top.append(Cause(row.root_cause, int(row.complaints), float(row.share), tuple(
            Example(int(e.case_id), None if _missing(e.day) else e.day,
                    None if _missing(e.product) else str(e.product),
                    None if _missing(e.subject) else str(e.subject))
            for e in examples.itertuples())))

    facts = Facts(kind=kind, current=current, previous=previous,
                  by_channel=sla_by_channel, by_category=sla_by_category,
                  pareto=pareto, after_sales=after_sales)
    return ManagementReport(
        kind=kind, year=year, number=number, language=language, start=start, end=end,
        previous_start=prev_start, previous_end=prev_end, partial=partial,
        generated_at=now, filters=f, figures=figures, volume_by_week=volume,
        volume_by_channel=volume_by_channel, sla_by_channel=sla_by_channel,
        sla_by_category=sla_by_category, satisfaction_by_channel=satisfaction,
        complaint_pareto=pareto, complaints_by_product=complaints_by_product,
        after_sales_by_product=after_sales, scorecards=scorecards, backlog=backlog,
        top_causes=tuple(top), suggestions=suggest(facts, language), facts=facts)


# --- suggestions ---------------------------------------------------------------------------------

def pct(share: float | None, near: float | None = None) -> str:
    """78% ; with one decimal when whole percents would hide the gap to `near` (79.6% vs
    a target of 80% is not '80%')."""
    if share is None:
        return "—"
    digits = 0
    if near is not None and share != near and round(share * 100) == round(near * 100):
        digits = 1
    return f"{share * 100:.{digits}f}%"


def _value(mapping: Mapping, key: str) -> float | None:
    return _num(mapping.get(key))


def _before(language: str, kind: str, text: str | None) -> str:
    """'85% last month' / 'no figure for last quarter'."""
    if text is None:
        return say(language, N_("no figure for last month") if kind == "month"
                   else N_("no figure for last quarter"))
    return say(language, N_("{value} last month") if kind == "month"
               else N_("{value} last quarter"), value=text)


def _channel(value: str) -> Term | str:
    msgid = CHANNEL.get(value)
    return Term(msgid) if msgid else str(value)


def _enough(frame: pd.DataFrame, *columns: str) -> bool:
    return len(frame) > 0 and all(c in frame.columns for c in columns)


def rule_channel_response(facts: Facts, language: str) -> Suggestion | None:
    """A channel's first-response SLA below target, or down by RATE_DROP or more."""
    frame = facts.by_channel
    if not _enough(frame, "channel", "cases", "response_rate"):
        return None
    rows = frame.loc[(frame["cases"] >= MIN_CASES) & frame["response_rate"].notna()]
    prev = rows["response_rate_prev"] if "response_rate_prev" in rows else None
    below = rows.loc[rows["response_rate"] < RESPONSE_SLA_TARGET]
    if len(below):
        row = below.sort_values("response_rate").iloc[0]
        before = None if prev is None or pd.isna(row.get("response_rate_prev")) \
            else float(row["response_rate_prev"])
        figure = pct(float(row["response_rate"]), RESPONSE_SLA_TARGET)
        msgid = (N_("First-response SLA on {channel} fell to {value} (target {target}, "
                    "{before}): add {channel} cover at the busiest hours (see the staffing "
                    "planner).")
                 if before is not None and before > row["response_rate"] else
                 N_("First-response SLA on {channel} was {value} (target {target}, "
                    "{before}): add {channel} cover at the busiest hours (see the staffing "
                    "planner)."))
        text = say(language, msgid, channel=_channel(row["channel"]), value=figure,
                   target=pct(RESPONSE_SLA_TARGET),
                   before=_before(language, facts.kind,
                                  None if before is None else pct(before)))
        severity = HIGH if row["response_rate"] < RESPONSE_SLA_TARGET - 0.10 else MEDIUM
        return Suggestion("channel_response_sla", severity, text, figure)
    if prev is None:
        return None
    drops = rows.assign(drop=rows["response_rate_prev"] - rows["response_rate"])
    drops = drops.loc[drops["drop"] >= RATE_DROP - 1e-9]
    if not len(drops):
        return None
    row = drops.sort_values("drop", ascending=False).iloc[0]
    figure = pct(float(row["response_rate"]))
    text = say(language, N_("First-response SLA on {channel} fell to {value} ({before}, "
                            "target {target}): check the {channel} rota at the busiest hours "
                            "before it falls below the target (see the staffing planner)."),
               channel=_channel(row["channel"]), value=figure, target=pct(RESPONSE_SLA_TARGET),
               before=_before(language, facts.kind, pct(float(row["response_rate_prev"]))))
    return Suggestion("channel_response_sla", LOW, text, figure)


def rule_resolution_sla(facts: Facts, language: str) -> Suggestion | None:
    """Resolution SLA of the period below target; names the weakest category."""
    value = _value(facts.current, "resolution_rate")
    if value is None or value >= RESOLUTION_SLA_TARGET or \
            (_value(facts.current, "resolved") or 0) < MIN_CASES:
        return None
    figure = pct(value, RESOLUTION_SLA_TARGET)
    previous = _value(facts.previous, "resolution_rate")
    values = dict(value=figure, target=pct(RESOLUTION_SLA_TARGET),
                  before=_before(language, facts.kind,
                                 None if previous is None else pct(previous)))
    frame = facts.by_category
    weakest = None
    if _enough(frame, "category", "cases", "resolution_rate"):
        rows = frame.loc[(frame["cases"] >= MIN_CASES) & frame["resolution_rate"].notna()]
        if len(rows):
            weakest = rows.sort_values("resolution_rate").iloc[0]
    if weakest is not None and weakest["resolution_rate"] < RESOLUTION_SLA_TARGET:
        msgid = CATEGORY.get(weakest["category"])
        text = say(language, N_("Resolution SLA was {value} (target {target}, {before}); "
                                "{category} was lowest at {category_value}: review its open "
                                "cases every day and escalate those close to their due time."),
                   category=Term(msgid) if msgid else str(weakest["category"]),
                   category_value=pct(float(weakest["resolution_rate"])), **values)
    else:
        text = say(language, N_("Resolution SLA was {value} (target {target}, {before}): "
                                "review the open cases every day and escalate those close to "
                                "their due time."), **values)
    severity = HIGH if value < RESOLUTION_SLA_TARGET - 0.10 else MEDIUM
    return Suggestion("resolution_sla", severity, text, figure)


def rule_fcr(facts: Facts, language: str) -> Suggestion | None:
    """First-contact resolution below target, or down by RATE_DROP or more."""
    value = _value(facts.current, "fcr_rate")
    if value is None or (_value(facts.current, "resolved") or 0) < MIN_CASES:
        return None
    previous = _value(facts.previous, "fcr_rate")
    before = _before(language, facts.kind, None if previous is None else pct(previous))
    if value < FCR_TARGET:
        figure = pct(value, FCR_TARGET)
        text = say(language, N_("First-contact resolution was {value} (target {target}, "
                                "{before}): give agents the answers they lack on the first "
                                "contact (canned replies, product information) for the most "
                                "frequent questions."),
                   value=figure, target=pct(FCR_TARGET), before=before)
        return Suggestion("fcr", MEDIUM, text, figure)
    if previous is not None and previous - value >= RATE_DROP - 1e-9:
        figure = pct(value)
        text = say(language, N_("First-contact resolution fell to {value} ({before}): find "
                                "which questions now need a second contact and add their "
                                "answers to the canned replies."), value=figure, before=before)
        return Suggestion("fcr", LOW, text, figure)
    return None


def rule_reopen(facts: Facts, language: str) -> Suggestion | None:
    """More than REOPEN_LIMIT of the resolved cases reopened."""
    value = _value(facts.current, "reopen_rate")
    if value is None or value <= REOPEN_LIMIT or \
            (_value(facts.current, "resolved") or 0) < MIN_CASES:
        return None
    previous = _value(facts.previous, "reopen_rate")
    figure = pct(value, REOPEN_LIMIT)
    text = say(language, N_("{value} of the resolved cases were reopened ({count} of "
                            "{resolved}; limit {limit}, {before}): confirm with the customer "
                            "that the problem is solved before closing a case."),
               value=figure, count=int(_value(facts.current, "reopened") or 0),
               resolved=int(_value(facts.current, "resolved") or 0),
               limit=pct(REOPEN_LIMIT),
               before=_before(language, facts.kind, None if previous is None else pct(previous)))
    return Suggestion("reopen", HIGH if value > 2 * REOPEN_LIMIT else MEDIUM, text, figure)


def rule_pareto_head(facts: Facts, language: str) -> Suggestion | None:
    """One root cause behind PARETO_HEAD_SHARE of the complaints or more."""
    frame = facts.pareto
    if not _enough(frame, "root_cause", "complaints"):
        return None
    total = int(frame["complaints"].sum())
    rows = frame.loc[frame["root_cause"].notna()].sort_values("complaints", ascending=False)
    if total < MIN_CASES or not len(rows):
        return None
    row = rows.iloc[0]
    share = int(row["complaints"]) / total
    if share < PARETO_HEAD_SHARE - 1e-9:
        return None
    cause = row["root_cause"]
    department = CAUSE_DEPARTMENT.get(cause, Department.CUSTOMER_SERVICE)
    figure = pct(share)
    text = say(language, N_("{cause} caused {value} of the complaints ({count} of {total}): "
                            "agree an action on this cause with {department} and follow it "
                            "up in the next report."),
               cause=Term(ROOT_CAUSE[cause]) if cause in ROOT_CAUSE else str(cause),
               value=figure, count=int(row["complaints"]), total=total,
               department=Term(DEPARTMENT[department]))
    return Suggestion("complaint_cause", HIGH if share >= 0.5 else MEDIUM, text, figure)


def rule_return_rate(facts: Facts, language: str) -> Suggestion | None:
    """A product returned at RETURN_RATE_FACTOR times the rate of the listed products (those
    sold RETURN_MIN_UNITS times or more, pooled)."""
    frame = facts.after_sales
    if not _enough(frame, "product", "units_sold", "returns"):
        return None
    listed = frame.loc[frame["units_sold"].fillna(0) >= RETURN_MIN_UNITS]
    if len(listed) < 2:
        return None
    average = float(listed["returns"].sum()) / float(listed["units_sold"].sum())
    if average <= 0:
        return None
    rates = listed.assign(rate=listed["returns"] / listed["units_sold"])
    rates = rates.loc[(rates["returns"] >= RETURN_MIN_RETURNS)
                      & (rates["rate"] >= RETURN_RATE_FACTOR * average - 1e-12)]
    if not len(rates):
        return None
    row = rates.sort_values(["rate", "returns"], ascending=False).iloc[0]
    factor = float(row["rate"]) / average
    figure = pct(float(row["rate"]))
    text = say(language, N_("{product} ({sku}) was returned at a rate of {value} ({returns} "
                            "of {units} sold), {factor} times the average of {average}: ask "
                            "Product quality to check this product and its supplier."),
               product=str(row["product"]), sku=str(row.get("sku", "") or "—"), value=figure,
               returns=int(row["returns"]), units=int(row["units_sold"]),
               factor=f"{factor:.1f}", average=pct(average))
    return Suggestion("return_rate", HIGH if factor >= 3 else MEDIUM, text, figure)


def rule_satisfaction(facts: Facts, language: str) -> Suggestion | None:
    """Average satisfaction below SATISFACTION_TARGET."""
    value = _value(facts.current, "satisfaction")
    answers = int(_value(facts.current, "survey_answers") or 0)
    if value is None or value >= SATISFACTION_TARGET or answers < MIN_ANSWERS:
        return None
    previous = _value(facts.previous, "satisfaction")
    figure = f"{value:.2f}"
    text = say(language, N_("Average satisfaction was {value} out of 5 (target {target}, "
                            "{before}; {answers} answers): go through the low scores with the "
                            "agents concerned and call those customers back."),
               value=figure, target=f"{SATISFACTION_TARGET:.1f}", answers=answers,
               before=_before(language, facts.kind,
                              None if previous is None else f"{previous:.2f}"))
    return Suggestion("satisfaction", HIGH if value < SATISFACTION_TARGET - 0.5 else MEDIUM,
                      text, figure)


def rule_nps_drop(facts: Facts, language: str) -> Suggestion | None:
    """NPS down by NPS_DROP points or more."""
    value, previous = _value(facts.current, "nps"), _value(facts.previous, "nps")
    if value is None or previous is None or \
            int(_value(facts.current, "nps_answers") or 0) < MIN_ANSWERS:
        return None
    drop = previous - value
    if drop < NPS_DROP - 1e-9:
        return None
    figure = f"{value:+.0f}"
    text = say(language, N_("NPS fell by {drop} points to {value} ({before}): call the "
                            "detractors of the period back to learn what went wrong."),
               drop=f"{drop:.0f}", value=figure,
               before=_before(language, facts.kind, f"{previous:+.0f}"))
    return Suggestion("nps_drop", MEDIUM, text, figure)


def rule_reach(facts: Facts, language: str) -> Suggestion | None:
    """Fewer than REACH_TARGET of the ended callbacks reached the customer."""
    value = _value(facts.current, "reach_rate")
    closed = int(_value(facts.current, "callbacks_closed") or 0)
    if value is None or value >= REACH_TARGET or closed < MIN_CALLBACKS:
        return None
    figure = pct(value, REACH_TARGET)
    text = say(language, N_("Only {value} of the callbacks reached the customer ({reached} of "
                            "{closed}; target {target}): call at other hours, such as early "
                            "evening or Saturday, and ask for a convenient time when the case "
                            "is opened."),
               value=figure, reached=int(_value(facts.current, "callbacks_reached") or 0),
               closed=closed, target=pct(REACH_TARGET))
    return Suggestion("callback_reach", MEDIUM, text, figure)


def rule_backlog_age(facts: Facts, language: str) -> Suggestion | None:
    """More than BACKLOG_OLD_SHARE of the open cases older than BACKLOG_OLD_DAYS."""
    total = int(_value(facts.current, "backlog") or 0)
    old = int(_value(facts.current, "backlog_over_7_days") or 0)
    if total < MIN_CASES or old / total <= BACKLOG_OLD_SHARE:
        return None
    share = old / total
    figure = pct(share, BACKLOG_OLD_SHARE)
    text = say(language, N_("{count} of the {total} open cases ({value}) are more than {days} "
                            "days old (limit {limit}): go through them with their owners this "
                            "week and resolve or escalate them."),
               count=old, total=total, value=figure, days=BACKLOG_OLD_DAYS,
               limit=pct(BACKLOG_OLD_SHARE))
    return Suggestion("backlog_age", HIGH if share >= 0.25 else MEDIUM, text, figure)


def rule_volume_rise(facts: Facts, language: str) -> Suggestion | None:
    """Cases up by VOLUME_RISE or more from the previous period."""
    value, previous = _value(facts.current, "cases"), _value(facts.previous, "cases")
    if value is None or not previous or value < MIN_CASES:
        return None
    rise = (value - previous) / previous
    if rise < VOLUME_RISE - 1e-9:
        return None
    figure = pct(rise)
    text = say(language, N_("Case volume rose by {value} to {cases} ({before}): plan more "
                            "staff for the busiest hours of the coming weeks (see the staffing "
                            "planner)."),
               value=figure, cases=int(value),
               before=_before(language, facts.kind, str(int(previous))))
    return Suggestion("volume_rise", MEDIUM, text, figure)


RULES: tuple[Callable[[Facts, str], Suggestion | None], ...] = (
    rule_channel_response, rule_resolution_sla, rule_fcr, rule_reopen, rule_pareto_head,
    rule_return_rate, rule_satisfaction, rule_nps_drop, rule_reach, rule_backlog_age,
    rule_volume_rise,
)


def suggest(facts: Facts, language: str) -> tuple[Suggestion, ...]:
    """Every rule that fires, most severe first (rules of equal severity in RULES order)."""
    found = [(i, s) for i, rule in enumerate(RULES) if (s := rule(facts, language))]
    return tuple(s for _, s in sorted(found, key=lambda p: (-p[1].severity, p[0])))


# --- how values are written ------------------------------------------------------------------------

def _finite(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def format_value(language: str, unit: str, value) -> str:
    """A headline value as people read it: 92.6%, 4.2 h, 4.31, +12, ¥1,234.00, 1,024."""
    value = _num(value)
    if not _finite(value):
        return "—"
    if unit == "percent":
        return f"{value * 100:.1f}%"
    if unit == "hours":
        return say(language, N_("{n} h"), n=f"{value:.2f}")
    if unit == "score":
        return f"{value:.2f}"
    if unit == "nps":
        return f"{value:+.0f}"
    if unit == "money":
        return money(int(round(value)))
    return f"{int(value):,}"


def format_change(language: str, unit: str, change) -> str:
    """The change as people read it: +3.2 pts, -0.5 h, +12, -¥300.00."""
    change = _num(change)
    if not _finite(change):
        return "—"
    if unit == "percent":
        return say(language, N_("{n} pts"), n=f"{change * 100:+.1f}")
    if unit == "hours":
        return say(language, N_("{n} h"), n=f"{change:+.2f}")
    if unit == "score":
        return f"{change:+.2f}"
    if unit == "nps":
        return f"{change:+.1f}"
    if unit == "money":
        return ("-" if change < 0 else "+") + money(abs(int(round(change))))
    return f"{int(change):+,}"


def format_relative(relative) -> str:
    return "—" if not _finite(relative) else f"{relative * 100:+.0f}%"


def figure_number(unit: str, value) -> float | int | None:
    """A headline value in the unit the workbook shows: percent 0-100, yuan, hours, all to
    two decimals; counts as they are."""
    value = _num(value)
    if not _finite(value):
        return None
    if unit == "percent":
        return round(value * 100, 2)
    if unit == "money":
        return round(value / 100, 2)
    if unit == "count":
        return int(value)
    return round(value, 2)


# --- the tables, as people read them -----------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Table:
    key: str
    title: str                     # translated
    frame: pd.DataFrame            # translated headers and labels, display units
    decimals: dict[str, int]       # per column: digits after the point for floats


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def label_of(language: str, table: Mapping, value) -> str:
    """The translated label of a vocabulary value (core.labels table); a missing root cause
    reads "Not classified yet", anything else missing "—"."""
    if _missing(value):
        return translator(language)(NOT_CLASSIFIED) if table is ROOT_CAUSE else "—"
    msgid = table.get(value)
    return translator(language)(msgid) if msgid else str(value)


def _percent(series: pd.Series) -> pd.Series:
    return (series.astype("float64") * 100).round(1)


def _hours_of(series: pd.Series) -> pd.Series:
    return (series.astype("float64") / 60).round(1)


def _build(language: str, key: str, title: str, frame: pd.DataFrame,
           columns: list[tuple[str, str, int | None]]) -> Table:
    """columns: (source column, header msgid, decimals or None for text / whole numbers)."""
    _ = translator(language)
    out = pd.DataFrame({_(header): frame[src].tolist() if src in frame else []
                        for src, header, _d in columns})
    decimals = {_(header): d for _s, header, d in columns if d is not None}
    return Table(key, _(title), out, decimals)


def report_tables(report: ManagementReport, language: str | None = None) -> list[Table]:
    """Every table of the report with translated headers and labels, in display units."""
    lang = language or report.language
    tables = []

    weeks = report.volume_by_week
    if len(weeks):
        wide = weeks.pivot_table(index="week", columns="channel", values="cases",
                                 aggfunc="sum", fill_value=0)
        order = [c.value for c in Channel if c.value in wide.columns]
        wide = wide[order]
        wide["total"] = wide.sum(axis=1)
        wide = wide.reset_index()
        wide["week"] = wide["week"].map(lambda d: d.isoformat())
    else:
        order, wide = [], pd.DataFrame({"week": [], "total": []})
    _ = translator(lang)
    columns = [("week", N_("Week from"), None)] + [
        (c, CHANNEL[Channel(c)], None) for c in order] + [("total", N_("Total"), None)]
    tables.append(_build(lang, "volume_by_week", N_("Cases per week and channel"), wide,
                         columns))

    by_channel = report.sla_by_channel.copy()
    frame = pd.DataFrame({
        "channel": by_channel["channel"].map(lambda v: label_of(lang, CHANNEL, v)),
        "cases": by_channel["cases"],
        "previous_cases": by_channel["channel"].map(
            dict(zip(report.volume_by_channel["channel"],
                     report.volume_by_channel["previous_cases"]))),
        "response": _percent(by_channel["response_rate"]),
        "response_prev": _percent(by_channel["response_rate_prev"]),
        "resolution": _percent(by_channel["resolution_rate"]),
        "fcr": _percent(by_channel["fcr_rate"]),
        "reopen": _percent(by_channel["reopen_rate"]),
        "avg_response": by_channel["avg_response_minutes"].astype("float64").round(0)})
    tables.append(_build(lang, "sla_by_channel", N_("SLA by channel"), frame, [
        ("channel", N_("Channel"), None), ("cases", N_("Cases"), None),
        ("previous_cases", N_("Cases, previous period"), None),
        ("response", N_("First-response SLA (%)"), 1),
        ("response_prev", N_("First-response SLA, previous period (%)"), 1),
        ("resolution", N_("Resolution SLA (%)"), 1),
        ("fcr", N_("First-contact resolution (%)"), 1),
        ("reopen", N_("Reopen rate (%)"), 1),
        ("avg_response", N_("Average first response (min)"), 0)]))

    by_category = report.sla_by_category
    frame = pd.DataFrame({
        "category": by_category["category"].map(lambda v: label_of(lang, CATEGORY, v)),
        "cases": by_category["cases"],
        "response": _percent(by_category["response_rate"]),
        "resolution": _percent(by_category["resolution_rate"]),
        "fcr": _percent(by_category["fcr_rate"])})
    tables.append(_build(lang, "sla_by_category", N_("SLA by category"), frame, [
        ("category", N_("Category"), None), ("cases", N_("Cases"), None),
        ("response", N_("First-response SLA (%)"), 1),
        ("resolution", N_("Resolution SLA (%)"), 1),
        ("fcr", N_("First-contact resolution (%)"), 1)]))

    sat = report.satisfaction_by_channel
    frame = pd.DataFrame({
        "channel": sat["channel"].map(lambda v: _("Not linked to a case") if _missing(v)
                                      else label_of(lang, CHANNEL, v)),
        "answers": sat["answers"], "satisfaction": sat["satisfaction"].astype("float64")
        .round(2), "nps": sat["nps"].astype("float64").round(0)})
    tables.append(_build(lang, "satisfaction_by_channel", N_("Satisfaction by channel"),
                         frame, [("channel", N_("Channel"), None),
                                 ("answers", N_("Survey answers"), None),
                                 ("satisfaction", N_("Satisfaction (1–5)"), 2),
                                 ("nps", N_("NPS"), 0)]))

    pareto = report.complaint_pareto
    frame = pd.DataFrame({
        "cause": pareto["root_cause"].map(lambda v: label_of(lang, ROOT_CAUSE, v)),
        "complaints": pareto["complaints"], "share": _percent(pareto["share"]),
        "cumulative": _percent(pareto["cumulative_share"])})
    tables.append(_build(lang, "complaint_causes", N_("Complaints by root cause"), frame, [
        ("cause", N_("Root cause"), None), ("complaints", N_("Complaints"), None),
        ("share", N_("Share (%)"), 1), ("cumulative", N_("Cumulative share (%)"), 1)]))

    tables.append(_build(lang, "complaints_by_product", N_("Complaints by product (top 10)"),
                         report.complaints_by_product, [
                             ("sku", N_("SKU"), None), ("product", N_("Product"), None),
                             ("product_category", N_("Product category"), None),
                             ("complaints", N_("Complaints"), None)]))

    sales = report.after_sales_by_product.copy()
    for column in ("return_rate", "exchange_rate", "repair_rate"):
        sales[column] = _percent(sales[column]) if len(sales) else sales[column]
    for column in ("refunded_cents", "parts_cents", "transport_cents"):
        sales[column] = (sales[column].astype("float64") / 100).round(2) if len(sales) \
            else sales[column]
    tables.append(_build(lang, "after_sales_by_product", N_("After-sales by product (top 10)"),
                         sales, [
                             ("sku", N_("SKU"), None), ("product", N_("Product"), None),
                             ("units_sold", N_("Units sold"), None),
                             ("requests", N_("Requests"), None),
                             ("returns", N_("Returns"), None),
                             ("return_rate", N_("Return rate (%)"), 1),
                             ("exchanges", N_("Exchanges"), None),
                             ("repairs", N_("Repairs"), None),
                             ("repair_rate", N_("Repair rate (%)"), 1),
                             ("refunded_cents", N_("Refunded (¥)"), 2),
                             ("parts_cents", N_("Parts (¥)"), 2),
                             ("labour_minutes", N_("Labour (minutes)"), None),
                             ("transport_cents", N_("Transport (¥)"), 2)]))

    cards = report.scorecards.copy()
    frame = pd.DataFrame({
        "agent": cards["agent"], "cases": cards["cases"], "handled": cards["handled"],
        "avg_response": cards["avg_response_minutes"].astype("float64").round(0),
        "avg_resolution": _hours_of(cards["avg_resolution_minutes"]),
        "response": _percent(cards["response_rate"]),
        "resolution": _percent(cards["resolution_rate"]),
        "fcr": _percent(cards["fcr_rate"]), "reopen": _percent(cards["reopen_rate"]),
        "satisfaction": cards["satisfaction"].astype("float64").round(2),
        "qc": _percent(cards["qc_pass_rate"])})
    for column in ("cases", "handled"):
        frame[column] = frame[column].map(lambda v: None if pd.isna(v) else int(v))
    tables.append(_build(lang, "scorecards", N_("Scorecards"), frame, [
        ("agent", N_("Staff member"), None), ("cases", N_("Cases"), None),
        ("handled", N_("Resolved"), None),
        ("avg_response", N_("Average first response (min)"), 0),
        ("avg_resolution", N_("Average resolution (h)"), 1),
        ("response", N_("First-response SLA (%)"), 1),
        ("resolution", N_("Resolution SLA (%)"), 1),
        ("fcr", N_("First-contact resolution (%)"), 1), ("reopen", N_("Reopen rate (%)"), 1),
        ("satisfaction", N_("Satisfaction (1–5)"), 2),
        ("qc", N_("Quality check passed (%)"), 1)]))

    backlog = report.backlog
    frame = pd.DataFrame({"age": backlog["age"].map(lambda m: _(m)),
                          "cases": backlog["cases"]})
    tables.append(_build(lang, "backlog", N_("Open cases now, by age"), frame, [
        ("age", N_("Age"), None), ("cases", N_("Cases"), None)]))
    return tables


def examples_frame(report: ManagementReport, language: str | None = None) -> pd.DataFrame:
    """The top causes with their examples, one row per example (translated headers)."""
    lang = language or report.language
    _ = translator(lang)
    rows = []
    for cause in report.top_causes:
        name = label_of(lang, ROOT_CAUSE, cause.root_cause)
        for e in cause.examples or (None,):
            rows.append({_("Root cause"): name, _("Complaints"): cause.complaints,
                         _("Share (%)"): round(cause.share * 100, 1),
                         _("Case"): e.case_id if e else None,
                         _("Day"): e.day.isoformat() if e and e.day else None,
                         _("Product"): e.product if e else None,
                         _("Subject"): e.subject if e else None})
    columns = [_("Root cause"), _("Complaints"), _("Share (%)"), _("Case"), _("Day"),
               _("Product"), _("Subject")]
    return pd.DataFrame(rows, columns=columns)


def summary_frame(report: ManagementReport, language: str | None = None) -> pd.DataFrame:
    lang = language or report.language
    _ = translator(lang)
    units = {"count": "", "percent": "%", "hours": _("h"), "score": "1–5", "nps": "",
             "money": "¥"}
    verdicts = {"good": _("Better"), "bad": _("Worse"), "same": _("Unchanged"),
                "neutral": _("Changed"), None: None}
    rows = [{_("Metric"): _(f.label), _("Unit"): units[f.unit],
             _("This period"): figure_number(f.unit, f.value),
             _("Previous period"): figure_number(f.unit, f.previous),
             _("Change"): figure_number(f.unit, f.change),
             _("Change (%)"): None if f.relative is None else round(f.relative * 100, 1),
             _("Assessment"): verdicts[f.verdict]} for f in report.figures]
    return pd.DataFrame(rows)


def suggestions_frame(report: ManagementReport, language: str | None = None) -> pd.DataFrame:
    lang = language or report.language
    _ = translator(lang)
    return pd.DataFrame([{_("Priority"): _(SEVERITY[s.severity]), _("Suggestion"): s.text,
                          _("Figure"): s.figure} for s in report.suggestions],
                        columns=[_("Priority"), _("Suggestion"), _("Figure")])


# --- the workbook --------------------------------------------------------------------------------

def report_workbook(report: ManagementReport, language: str | None = None) -> bytes:
    """The report as an Excel workbook: Summary, Suggestions, Top causes and one sheet per
    table; every text cell formula-safe (core.exports)."""
    lang = language or report.language
    _ = translator(lang)
    sheets = {_("Summary"): summary_frame(report, lang),
              _("Suggestions"): suggestions_frame(report, lang),
              _("Top complaint causes"): examples_frame(report, lang)}
    for table in report_tables(report, lang):
        sheets[table.title] = table.frame
    title = say(lang, N_("Management report {period}"),
                period=period_label(lang, report.kind, report.year, report.number))
    return excel_bytes(sheets, title=title)


# --- the printable page ------------------------------------------------------------------------------

COLOURS = {"phone": "#3a7ca5", "email": "#81a4cd", "web": "#2e4057", "chat": "#edae49",
           "social": "#d1495b", "walk_in": "#66a182"}
GOOD, BAD, NEUTRAL = "#1b7f3b", "#b42318", "#555"
WIDE_COLUMNS = 8       # a table with more columns is printed smaller

STYLE = """
@page{size:A4;margin:14mm 12mm}
*{box-sizing:border-box}
body{font-family:'Noto Sans',Arial,'Noto Sans CJK SC','Microsoft YaHei',sans-serif;color:#111;margin:0 auto;
max-width:190mm;padding:10mm 0;font-size:10pt;line-height:1.35;
-webkit-print-color-adjust:exact;print-color-adjust:exact}
h1{font-size:19pt;margin:0 0 2mm}h2{font-size:13.5pt;margin:7mm 0 2.5mm;
border-bottom:1.5pt solid #2e4057;padding-bottom:1mm;color:#2e4057}
h3{font-size:11pt;margin:4mm 0 1.5mm}
p{margin:1mm 0}.muted{color:#555}.small{font-size:8.5pt}
.note{background:#eef4fa;border:1px solid #b9cde0;padding:2mm 3mm;margin:3mm 0}
.warn{background:#fff4e0;border:1px solid #e8b25c;padding:2mm 3mm;margin:3mm 0}
table{border-collapse:collapse;width:100%;margin:1.5mm 0 3mm;font-size:9pt}
th,td{border:1px solid #c8c8c8;padding:1.2mm 2mm;text-align:left;vertical-align:top}
th{background:#eef1f5;font-weight:600}td.n,th.n{text-align:right}td.n{white-space:nowrap}
table.wide{font-size:7.5pt}table.wide th,table.wide td{padding:1mm 1.2mm}
tr{break-inside:avoid}thead{display:table-header-group}
.good{color:#1b7f3b;font-weight:600}.bad{color:#b42318;font-weight:600}
.same,.neutral{color:#555}
ol.suggestions{padding-left:6mm;margin:1mm 0}ol.suggestions li{margin:0 0 2mm;
break-inside:avoid}
.sev{display:inline-block;min-width:15mm;text-align:center;border-radius:2mm;
padding:0 1.5mm;margin-right:1.5mm;font-size:8pt;color:#fff}
.sev3{background:#b42318}.sev2{background:#d98a00}.sev1{background:#3a7ca5}
.chart{margin:1.5mm 0 3mm}.row{display:flex;align-items:center;margin:1mm 0;
break-inside:avoid}
.lbl{width:44mm;flex:none;padding-right:2mm;line-height:1.1}
.track{position:relative;flex:1;height:5mm;background:#f1f3f6}
.bar{position:absolute;left:0;top:0;height:100%}
.bar.prev{top:68%;height:32%;background:#9aa5b1}
.target{position:absolute;top:-1mm;bottom:-1mm;border-left:1.2pt dashed #111}
.num{width:36mm;flex:none;text-align:right;padding-left:2mm;white-space:nowrap}
.legend{font-size:8.5pt;color:#333;margin:1mm 0}.legend span{display:inline-block;
margin-right:4mm}.key{display:inline-block;width:3mm;height:3mm;margin-right:1mm;
vertical-align:middle}
.cause{break-inside:avoid}
section.page{break-before:page}
@media screen{body{padding:12mm 8mm}}
@media print{body{padding:0;max-width:none}.screen{display:none}
h2{break-after:avoid}h3{break-after:avoid}}
"""

# headings and notes of the printable page (msgids; translated where the page is written)
TEXT = {
    "headline": N_("Headline figures"),
    "suggestions": N_("Suggested improvements"),
    "causes": N_("Top complaint causes"),
    "charts": N_("Charts"),
    "tables": N_("Tables"),
    "weekly": N_("Cases per week and channel"),
    "by_channel": N_("Cases by channel"),
    "sla_chart": N_("First-response SLA by channel"),
    "pareto_chart": N_("Complaints by root cause (Pareto)"),
    "metric": N_("Metric"),
    "this": N_("This period"),
    "previous": N_("Previous period"),
    "volume_legend": N_("Coloured bar: this period; thin grey bar: the previous period "
                        "(its figure in brackets)."),
    "change": N_("Change"),
    "change_pct": N_("Change (%)"),
    "no_suggestion": N_("No figure crossed a threshold this period."),
    "no_cause": N_("No complaint with a root cause in this period."),
    "no_data": N_("No data."),
    "filters": N_("Filters"),
    "partial": N_("This period is not over yet: its figures run up to today and are "
                  "compared with the same days of the period before."),
    "pdf": N_("To keep this report as a PDF, use your browser's Print command (Ctrl+P, or "
              "Cmd+P on a Mac) and choose \"Save as PDF\" as the printer."),
    "colours": N_("Green: better than the previous period; red: worse. The number of cases "
                  "is neither. Open cases are counted now, without a previous value."),
    "definitions": N_("SLA: the share of cases answered (first response) or resolved within "
                      "the target that applied to them. First-contact resolution and reopen "
                      "rate are shares of the resolved cases. NPS: promoters (9–10) minus "
                      "detractors (0–6), in points. Reach rate: callbacks ended in the period "
                      "that reached the customer."),
    "sla_legend": N_("Dashed line: the target of {target}. Previous period in brackets."),
    "pareto_legend": N_("Dark: the cause's share of the complaints; light: the cumulative "
                        "share (Σ) of the causes down to this one."),
    "cause_heading": N_("{cause}: {share} of the complaints ({count})"),
    "case": N_("Case"), "day": N_("Day"), "product": N_("Product"), "subject": N_("Subject"),
}


def _t(lang: str, key: str, **values) -> str:
    """A text of the page, translated and escaped."""
    return _e(say(lang, TEXT[key], **values))


def _e(value) -> str:
    """Escaped text of any value ('—' for nothing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return escape(str(value), quote=True)


def _cell(value, decimals: int | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool):
        return _e(value)
    if decimals is not None and isinstance(value, (int, float)):
        return _e(f"{float(value):,.{decimals}f}")
    if isinstance(value, int):
        return _e(f"{value:,}")
    if isinstance(value, float):
        return _e(f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}")
    return _e(value)


def _html_table(frame: pd.DataFrame, decimals: Mapping[str, int] | None = None,
                empty: str = "—") -> str:
    """A table of escaped cells; `empty` (already escaped) when there is no row."""
    decimals = decimals or {}
    if not len(frame):
        return f'<p class="muted">{empty}</p>'
    numeric = {c: c in decimals or (pd.api.types.is_numeric_dtype(frame[c])
                                    and not pd.api.types.is_bool_dtype(frame[c]))
               for c in frame.columns}
    head = "".join(f'<th{" class=n" if numeric[c] else ""}>{_e(c)}</th>'
                   for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False, name=None):
        cells = "".join(
            f'<td{" class=n" if numeric[c] else ""}>{_cell(v, decimals.get(c))}</td>'
            for c, v in zip(frame.columns, row))
        body.append(f"<tr>{cells}</tr>")
    css = ' class="wide"' if len(frame.columns) > WIDE_COLUMNS else ""
    return (f"<table{css}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody>"
            "</table>")


def _width(part, whole) -> str:
    share = 0.0 if not whole else max(0.0, min(1.0, float(part) / float(whole)))
    return f"{share * 100:.1f}%"


def _legend(items: list[tuple[str, str]]) -> str:
    """(colour, escaped text) pairs."""
    return '<div class="legend">' + "".join(
        f'<span><i class="key" style="background:{colour}"></i>{text}</span>'
        for colour, text in items) + "</div>"


def _bars_volume(report: ManagementReport, lang: str) -> str:
    frame = report.volume_by_channel
    if not len(frame):
        return f'<p class="muted">{_t(lang, "no_data")}</p>'
    top = max(int(frame["cases"].max()), int(frame["previous_cases"].max()), 1)
    rows = []
    for r in frame.itertuples():
        colour = COLOURS.get(r.channel, "#3a7ca5")
        rows.append(
            f'<div class="row"><span class="lbl">{_e(label_of(lang, CHANNEL, r.channel))}</span>'
            f'<span class="track"><span class="bar" style="width:{_width(r.cases, top)};'
            f'background:{colour}"></span><span class="bar prev" '
            f'style="width:{_width(r.previous_cases, top)}"></span></span>'
            f'<span class="num">{_e(f"{int(r.cases):,}")} '
            f'<span class="muted">({_e(f"{int(r.previous_cases):,}")})</span></span></div>')
    legend = _t(lang, "volume_legend")
    return f'<div class="chart">{"".join(rows)}<div class="legend">{legend}</div></div>'


def _columns_weekly(report: ManagementReport, lang: str) -> str:
    """Stacked columns of cases per week and channel, as inline SVG."""
    weeks = report.volume_by_week
    if not len(weeks):
        return f'<p class="muted">{_t(lang, "no_data")}</p>'
    wide = weeks.pivot_table(index="week", columns="channel", values="cases", aggfunc="sum",
                             fill_value=0)
    order = [c.value for c in Channel if c.value in wide.columns]
    totals = wide.sum(axis=1)
    top = max(int(totals.max()), 1)
    width, height, left, bottom, top_pad = 680, 190, 34, 22, 14
    slot = (width - left) / len(wide)
    bar = min(46.0, slot * 0.7)
    plot = height - bottom - top_pad
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="100%" role="img">']
    for tick in sorted({0, round(top / 2), top}):
        y = height - bottom - plot * tick / top
        parts.append(f'<line x1="{left}" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="#ddd" stroke-width="1"/>'
                     f'<text x="{left - 4}" y="{y + 3:.1f}" font-size="9" text-anchor="end" '
                     f'fill="#555">{_e(tick)}</text>')
    for i, (week, row) in enumerate(wide.iterrows()):
        x = left + slot * i + (slot - bar) / 2
        y = float(height - bottom)
        for channel in order:
            h = plot * float(row[channel]) / top
            if h > 0:
                y -= h
                parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" '
                             f'height="{h:.1f}" fill="{COLOURS.get(channel, "#888")}"/>')
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{y - 3:.1f}" font-size="9" '
                     f'text-anchor="middle">{_e(int(totals[week]))}</text>'
                     f'<text x="{x + bar / 2:.1f}" y="{height - 8}" font-size="9" '
                     f'text-anchor="middle" fill="#333">{_e(week.strftime("%m-%d"))}</text>')
    parts.append("</svg>")
    legend = _legend([(COLOURS.get(c, "#888"), _e(label_of(lang, CHANNEL, c))) for c in order])
    return f'<div class="chart">{"".join(parts)}{legend}</div>'


def _bars_sla(report: ManagementReport, lang: str) -> str:
    frame = report.sla_by_channel
    if not len(frame):
        return f'<p class="muted">{_t(lang, "no_data")}</p>'
    rows = []
    for r in frame.itertuples():
        rate, prev = _num(r.response_rate), _num(r.response_rate_prev)
        if rate is None:
            width, text, colour = "0%", "—", NEUTRAL
        else:
            width, text = _width(rate, 1), f"{rate * 100:.1f}%"
            colour = GOOD if rate >= RESPONSE_SLA_TARGET else BAD
        prev_text = "—" if prev is None else f"{prev * 100:.1f}%"
        rows.append(
            f'<div class="row"><span class="lbl">{_e(label_of(lang, CHANNEL, r.channel))}</span>'
            f'<span class="track"><span class="bar" style="width:{width};background:{colour}">'
            f'</span><span class="target" style="left:{RESPONSE_SLA_TARGET * 100:.0f}%">'
            f'</span></span><span class="num">{_e(text)} '
            f'<span class="muted">({_e(prev_text)})</span></span></div>')
    legend = _t(lang, "sla_legend", target=pct(RESPONSE_SLA_TARGET))
    return f'<div class="chart">{"".join(rows)}<div class="legend">{legend}</div></div>'


def _bars_pareto(report: ManagementReport, lang: str) -> str:
    frame = report.complaint_pareto
    if not len(frame):
        return f'<p class="muted">{_t(lang, "no_data")}</p>'
    rows = []
    for r in frame.itertuples():
        rows.append(
            f'<div class="row"><span class="lbl">{_e(label_of(lang, ROOT_CAUSE, r.root_cause))}'
            f'</span><span class="track"><span class="bar" style="width:'
            f'{_width(r.cumulative_share, 1)};background:#d6dde6"></span>'
            f'<span class="bar" style="width:{_width(r.share, 1)};background:#d1495b"></span>'
            f'</span><span class="num">{_e(int(r.complaints))} · {_e(pct(r.share))} '
            f'<span class="muted">(Σ {_e(pct(r.cumulative_share))})</span></span></div>')
    legend = _t(lang, "pareto_legend")
    return f'<div class="chart">{"".join(rows)}<div class="legend">{legend}</div></div>'


def _headline(report: ManagementReport, lang: str) -> str:
    _ = translator(lang)
    rows = []
    for f in report.figures:
        css = f.verdict or "same"
        rows.append(
            f"<tr><td>{_e(_(f.label))}</td><td class=n>{_e(format_value(lang, f.unit, f.value))}"
            f"</td><td class=n>{_e(format_value(lang, f.unit, f.previous))}</td>"
            f'<td class="n {css}">{_e(format_change(lang, f.unit, f.change))}</td>'
            f'<td class="n {css}">{_e(format_relative(f.relative))}</td></tr>')
    head = (f'<tr><th>{_t(lang, "metric")}</th><th class=n>{_t(lang, "this")}</th>'
            f'<th class=n>{_t(lang, "previous")}</th><th class=n>{_t(lang, "change")}</th>'
            f'<th class=n>{_t(lang, "change_pct")}</th></tr>')
    return f"<table><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"


def _suggestions(report: ManagementReport, lang: str) -> str:
    if not report.suggestions:
        return f'<p class="muted">{_t(lang, "no_suggestion")}</p>'
    _ = translator(lang)
    items = "".join(f'<li><span class="sev sev{int(s.severity)}">{_e(_(SEVERITY[s.severity]))}'
                    f"</span>{_e(s.text)}</li>" for s in report.suggestions)
    return f'<ol class="suggestions">{items}</ol>'


def _causes(report: ManagementReport, lang: str) -> str:
    if not report.top_causes:
        return f'<p class="muted">{_t(lang, "no_cause")}</p>'
    _ = translator(lang)
    columns = [_(TEXT[k]) for k in ("case", "day", "product", "subject")]
    out = []
    for c in report.top_causes:
        frame = pd.DataFrame([(f"#{e.case_id}", e.day.isoformat() if e.day else None,
                               e.product, e.subject) for e in c.examples], columns=columns)
        heading = _t(lang, "cause_heading", cause=label_of(lang, ROOT_CAUSE, c.root_cause),
                     count=c.complaints, share=pct(c.share))
        out.append(f'<div class="cause"><h3>{heading}</h3>'
                   f'{_html_table(frame, empty=_t(lang, "no_data"))}</div>')
    return "".join(out)


def _filters_text(report: ManagementReport, lang: str) -> str | None:
    f = report.filters
    _ = translator(lang)
    parts = []
    if f.channels:
        parts.append(_("Channel") + ": " + ", ".join(label_of(lang, CHANNEL, c)
                                                    for c in f.channels))
    if f.categories:
        parts.append(_("Category") + ": " + ", ".join(label_of(lang, CATEGORY, c)
                                                     for c in f.categories))
    if f.kinds:
        parts.append(_("Kind") + ": " + ", ".join(label_of(lang, KIND, k) for k in f.kinds))
    if f.product_categories:
        parts.append(_("Product category") + ": " + ", ".join(f.product_categories))
    if f.store_ids or f.agent_ids or f.tiers:
        parts.append(_("Further filters applied (store, staff or customer tier)."))
    return " · ".join(parts) or None


def report_html(report: ManagementReport, language: str | None = None) -> str:
    """The report as one printable HTML document (A4, inline CSS, no script, nothing loaded
    from elsewhere); every value escaped."""
    lang = language or report.language
    title = say(lang, N_("Management report {period}"),
                period=period_label(lang, report.kind, report.year, report.number))
    prev_year, prev_number = previous_number(report.kind, report.year, report.number)
    subtitle = say(lang, N_("{kind}: {start} to {end}, compared with {previous} "
                            "({previous_start} to {previous_end})."),
                   kind=Term(KIND_LABELS[report.kind]), start=report.start.isoformat(),
                   end=report.end.isoformat(),
                   previous=period_label(lang, report.kind, prev_year, prev_number),
                   previous_start=report.previous_start.isoformat(),
                   previous_end=report.previous_end.isoformat())
    prepared = say(lang, N_("Prepared {time} UTC from the CareDesk figures. Durations are in "
                            "opening hours; no customer's personal data is shown."),
                   time=report.generated_at.strftime("%Y-%m-%d %H:%M"))
    tables = {t.key: t for t in report_tables(report, lang)}

    def table(key: str) -> str:
        t = tables[key]
        return (f"<h3>{_e(t.title)}</h3>"
                f'{_html_table(t.frame, t.decimals, _t(lang, "no_data"))}')

    parts = [
        f'<!doctype html><html lang="{_e(lang.replace("_", "-"))}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>",
        f'<header><h1>{_e(title)}</h1><p>{_e(subtitle)}</p>'
        f'<p class="muted small">{_e(prepared)}</p>',
    ]
    filters = _filters_text(report, lang)
    if filters:
        parts.append(f'<p class="small">{_t(lang, "filters")}: {_e(filters)}</p>')
    if report.partial:
        parts.append(f'<p class="warn">{_t(lang, "partial")}</p>')
    parts.append(f'<p class="note screen">{_t(lang, "pdf")}</p></header>')
    parts.append(f'<section><h2>{_t(lang, "headline")}</h2>{_headline(report, lang)}'
                 f'<p class="small muted">{_t(lang, "colours")}</p>'
                 f'<h2>{_t(lang, "suggestions")}</h2>{_suggestions(report, lang)}</section>')
    parts.append(f'<section class="page"><h2>{_t(lang, "causes")}</h2>{_causes(report, lang)}'
                 f'<h2>{_t(lang, "charts")}</h2>'
                 f'<h3>{_t(lang, "weekly")}</h3>{_columns_weekly(report, lang)}'
                 f'<h3>{_t(lang, "by_channel")}</h3>{_bars_volume(report, lang)}'
                 f'<h3>{_t(lang, "sla_chart")}</h3>{_bars_sla(report, lang)}'
                 f'<h3>{_t(lang, "pareto_chart")}</h3>{_bars_pareto(report, lang)}</section>')
    parts.append(f'<section class="page"><h2>{_t(lang, "tables")}</h2>'
                 + "".join(table(k) for k in ("volume_by_week", "sla_by_channel",
                                              "sla_by_category", "satisfaction_by_channel",
                                              "complaint_causes"))
                 + "</section>")
    parts.append('<section class="page">'
                 + "".join(table(k) for k in ("complaints_by_product",
                                              "after_sales_by_product", "scorecards",
                                              "backlog"))
                 + f'<p class="small muted">{_t(lang, "definitions")}</p></section>'
                 "</body></html>")
    return "".join(parts)
