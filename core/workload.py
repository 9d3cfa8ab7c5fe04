"""The staffing planner's inputs and answer: contacts arriving per channel in each hour of the
week, the handling time per channel, the staff on the rota in each hour, and from these the
agents each hour needs (core.staffing's Erlang C) beside the staff actually scheduled.

- Arrivals are counted in the database over the last whole weeks of the shop's calendar
  (the created_at index bounds the period; case rows never leave the database): one
  GROUP BY over channel x UTC weekday x UTC hour, at most 7 x 24 rows per channel, shifted
  into the shop's local hours here.
- CareDesk does not time calls, so the average handling time is a policy (settings
  `staffing.aht_seconds.<channel>`, else the defaults below), which the planner may
  override for a what-if.
- The rota is each active agent's or supervisor's working_hours; None = the shop's business
  hours.
"""
from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core import sla, staffing, validate
from core.actor import Actor
from core.cases import CASE_WORKERS
from core.clock import utcnow
from core.errors import ValidationError
from core.i18n import N_, Term
from core.labels import CHANNEL
from core.permissions import Action, require
from core.staffing import (DEFAULT_STANDARDS, ChannelDemand, HourPlan, ServiceStandard, Slot,
                           WorkloadHour)
from core.uow import UnitOfWork
from core.vocabulary import Channel
from db.models import Case, Staff, StaffRole

log = logging.getLogger(__name__)

WEEKS_RANGE = (1, 26)
DEFAULT_WEEKS = 8
MAX_SHRINKAGE = 0.9
DEFAULT_SHRINKAGE = 0.3
AHT_RANGE = (10, 7200)                     # seconds
AHT_SETTING = "staffing.aht_seconds.{channel}"
DEFAULT_AHT: Mapping[Channel, int] = {Channel.PHONE: 360, Channel.CHAT: 480,
                                      Channel.EMAIL: 600}
OTHER_AHT = 420
# The planner always shows the channels with a live queue, with or without contacts.
ALWAYS_PLANNED = (Channel.PHONE, Channel.CHAT)

SLOTS: tuple[Slot, ...] = tuple((d, h) for d in range(7) for h in range(24))
MINUTES_PER_WEEK = 7 * 24 * 60
# A person counts in an hour of the rota when they work at least half of it: a shift from
# 08:30 counts at 08:00, one that ends at 12:15 does not count at 12:00.
COUNTED_MINUTES = 30
DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")


@dataclass(frozen=True)
class ChannelForecast:
    channel: Channel
    arrivals: dict[Slot, float]          # all 168 slots: contacts per hour on average
    aht_seconds: int
    standard: ServiceStandard | None      # None: answered within the business day, no queue
    hours: tuple[HourPlan, ...]           # Erlang C per slot, when the channel has a standard
    workload: tuple[WorkloadHour, ...]    # agent-hours of work per slot, when it has none

    @property
    def contacts_per_week(self) -> float:
        return sum(self.arrivals.values())


@dataclass(frozen=True)
class DeskHour:
    """One hour of the week for the whole desk. The queued channels are planned one queue
    each (core.staffing.plan_channel), their answering agents added up, and the sum grossed
    up for shrinkage once (grossing up each channel and adding would round up twice)."""
    weekday: int
    hour: int
    agents_needed: int       # answering at the same time, all queued channels together
    staff_needed: int        # on the rota, with shrinkage
    scheduled: int           # on the rota (working_hours)

    @property
    def shortfall(self) -> int:
        return max(self.staff_needed - self.scheduled, 0)

    @property
    def spare(self) -> int:
        return max(self.scheduled - self.staff_needed, 0)


@dataclass(frozen=True)
class DeskDay:
    """E-mail, web and the other channels without a live queue only need their work done
    within the business day: their agent-hours set against the staff-hours the queued
    channels leave spare that day (after shrinkage)."""
    weekday: int
    deferred_work_hours: float    # agent-hours of work of the channels without a queue
    spare_staff_hours: int        # rota hours beyond what the queued channels need
    spare_work_hours: float       # the same after shrinkage

    @property
    def deferred_fits(self) -> bool:
        return self.deferred_work_hours <= self.spare_work_hours + 1e-9


@dataclass(frozen=True)
class WorkloadPlan:
    # the inputs used
    weeks: int
    shrinkage: float
    aht_seconds: dict[Channel, int]
    standards: dict[Channel, ServiceStandard]
    timezone: str
    period_start: datetime        # naive UTC: the shop's Monday 00:00, `weeks` weeks back
    period_end: datetime          # naive UTC: the Monday 00:00 that began this week
    # the answer
    channels: tuple[ChannelForecast, ...]   # phone and chat first, then the others present
    desk: tuple[DeskHour, ...]              # all 168 slots, weekday-hour order
    days: tuple[DeskDay, ...]               # Monday to Sunday
    shortfall: tuple[DeskHour, ...]         # the desk hours with fewer on the rota than needed

    def channel(self, channel: Channel) -> ChannelForecast | None:
        return next((c for c in self.channels if c.channel == channel), None)

    def desk_hour(self, weekday: int, hour: int) -> DeskHour:
        return self.desk[weekday * 24 + hour]


# --- arrivals ---------------------------------------------------------------------------------

def arrivals(uow: UnitOfWork, actor: Actor, *, weeks: int = DEFAULT_WEEKS,
             now: datetime | None = None) -> dict[Channel, dict[Slot, float]]:
    """Cases created per hour on average in each (weekday 0 = Monday, local hour) of the last
    `weeks` whole weeks, per channel: phone and chat always, the others when they had any.
    Every channel present has all 168 slots (0.0 for none)."""
    require(actor, Action.ANALYTICS_VIEW)
    weeks = _weeks(weeks)
    now = now or utcnow()
    with uow.reader() as r:
        calendar = sla.load_calendar(r.session, now)
        return _arrivals(r.session, calendar, weeks, now)[0]


def _period(calendar: sla.BusinessCalendar, weeks: int, now: datetime
            ) -> tuple[datetime, datetime]:
    """Whole weeks of the shop's calendar, Monday 00:00 to Monday 00:00 (naive UTC), ending
    where this week began: every local slot occurs exactly `weeks` times in it."""
    today = now.replace(tzinfo=sla.UTC).astimezone(calendar.tz).date()
    monday = today - timedelta(days=today.weekday())
    return (calendar.start_of(monday - timedelta(weeks=weeks)), calendar.start_of(monday))


def _arrivals(s: Session, calendar: sla.BusinessCalendar, weeks: int, now: datetime
              ) -> tuple[dict[Channel, dict[Slot, float]], datetime, datetime]:
    start, end = _period(calendar, weeks, now)
    # One fixed offset for the whole period: exact for zones without daylight saving time
    # (Asia/Shanghai, the default); in a zone with DST the weeks on the other side of a
    # change land one hour off.
    offset = end.replace(tzinfo=sla.UTC).astimezone(calendar.tz).utcoffset() or timedelta()
    offset_minutes = int(offset.total_seconds() // 60)
    # sa.extract is strftime('%w' / '%H' / '%M') on SQLite and EXTRACT(DOW / HOUR / MINUTE)
    # on PostgreSQL. Both count the weekday from Sunday = 0.
    created = Case.created_at
    columns = [Case.channel, sa.cast(sa.extract("dow", created), sa.Integer),
               sa.cast(sa.extract("hour", created), sa.Integer)]
    if offset_minutes % 60:
        # A zone a half or quarter hour off UTC (India, Nepal, …) splits each UTC hour across
        # two local hours: count by quarter hour too (all zones are whole quarters off UTC).
        columns.append(sa.cast(sa.extract("minute", created), sa.Integer)
                       // sa.literal_column("15", sa.Integer))
    query = (sa.select(*columns, sa.func.count())
             .where(created >= start, created < end)
             .group_by(*columns))
    counts: dict[Channel, dict[Slot, float]] = {c: dict.fromkeys(SLOTS, 0.0)
                                                for c in ALWAYS_PLANNED}
    for row in s.execute(query):
        channel, sunday_based, hour, *quarter = row[:-1]
        n = int(row[-1])
        minute = 15 * int(quarter[0]) if quarter else 0
        utc_minute = ((int(sunday_based) - 1) % 7 * 24 + int(hour)) * 60 + minute
        local = (utc_minute + offset_minutes) % MINUTES_PER_WEEK
        slot = (local // (24 * 60), local % (24 * 60) // 60)
        grid = counts.setdefault(Channel(channel), dict.fromkeys(SLOTS, 0.0))
        grid[slot] += n
    for grid in counts.values():
        for slot in grid:
            grid[slot] /= weeks
    return _ordered(counts), start, end


def _ordered(by_channel: Mapping[Channel, dict]) -> dict[Channel, dict]:
    order = list(Channel)
    return {c: by_channel[c] for c in sorted(
        by_channel, key=lambda c: (c not in ALWAYS_PLANNED, order.index(c)))}


# --- handling times ---------------------------------------------------------------------------

def average_handling_seconds(uow: UnitOfWork, actor: Actor) -> dict[Channel, int]:
    """The average handling time per channel, in seconds: a policy, since CareDesk does not
    time calls. A setting `staffing.aht_seconds.<channel>` wins over the defaults in code."""
    require(actor, Action.ANALYTICS_VIEW)
    with uow.reader() as r:
        return _policy_aht(r.session)


def _policy_aht(s: Session) -> dict[Channel, int]:
    policy = {}
    for channel in Channel:
        default = DEFAULT_AHT.get(channel, OTHER_AHT)
        key = AHT_SETTING.format(channel=channel.value)
        value = sla.setting(s, key, default)
        try:
            policy[channel] = _aht(channel, value)
        except ValidationError:
            # a broken setting must not take the planner down; the form shows what is used
            log.warning("setting %s = %r is not a handling time of %d to %d seconds; "
                        "using %d", key, value, *AHT_RANGE, default)
            policy[channel] = default
    return policy


# --- the rota ---------------------------------------------------------------------------------

def scheduled_staff(uow: UnitOfWork, actor: Actor) -> dict[Slot, int]:
    """How many active agents and supervisors are on the rota in each (weekday, local hour):
    a person counts in an hour they work at least half of (COUNTED_MINUTES)."""
    require(actor, Action.ANALYTICS_VIEW)
    with uow.reader() as r:
        return _scheduled(r.session, sla.load_calendar(r.session, utcnow()))


def _scheduled(s: Session, calendar: sla.BusinessCalendar) -> dict[Slot, int]:
    takes_cases = (sa.select(StaffRole.staff_id)
                   .where(StaffRole.staff_id == Staff.id, StaffRole.role.in_(CASE_WORKERS))
                   .exists())
    rota = s.execute(sa.select(Staff.id, Staff.working_hours)
                     .where(Staff.active.is_(True), takes_cases)).all()
    business = [(weekday, _minutes(opens), _minutes(closes))
                for weekday, (opens, closes) in calendar.hours.items()]
    counts = dict.fromkeys(SLOTS, 0)
    for staff_id, hours in rota:
        shifts = business if hours is None else _shifts(staff_id, hours)
        for slot in _hours_worked(shifts):
            counts[slot] += 1
    return counts


def _shifts(staff_id: int, hours: object) -> list[tuple[int, int, int]]:
    """{"mon": ["09:00", "18:00"], "tue": [["08:00", "12:00"], ["13:00", "17:00"]], …} →
    (weekday, start minute, end minute). A day left out is a day off; an end at or before the
    start runs past midnight ("22:00"-"06:00"). An entry that cannot be read is left out."""
    if not isinstance(hours, dict):
        log.warning("staff %s: working_hours is not a mapping of days; ignored", staff_id)
        return []
    shifts = []
    for day, value in hours.items():
        if not value:
            continue    # "sat": null or [] — a day off, said out loud
        several = isinstance(value, list) and bool(value) and isinstance(value[0], list)
        for pair in value if several else [value]:
            try:
                start, end = pair
                weekday = DAY_KEYS.index(str(day).strip().lower()[:3])   # "Mon", "monday"
                shifts.append((weekday, _clock(start), _clock(end)))
            except (TypeError, ValueError):
                log.warning("staff %s: working_hours %r: %r unreadable; ignored",
                            staff_id, day, pair)
    return shifts


def _clock(text: object) -> int:
    """'09:30' → 570; '24:00' is the end of the day."""
    match = _CLOCK.match(text) if isinstance(text, str) else None
    if not match or int(match[1]) * 60 + int(match[2]) > 24 * 60:
        raise ValueError(text)
    return int(match[1]) * 60 + int(match[2])


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def _hours_worked(shifts: Iterable[tuple[int, int, int]]) -> set[Slot]:
    """The slots one person works at least COUNTED_MINUTES of (overlapping shifts once)."""
    spans = []
    for weekday, start, end in shifts:
        if end <= start:
            end += 24 * 60    # past midnight, into the next day (Sunday into Monday)
        begin, finish = weekday * 24 * 60 + start, weekday * 24 * 60 + end
        if finish > MINUTES_PER_WEEK:   # Sunday night into Monday morning
            spans += [(begin, MINUTES_PER_WEEK), (0, finish - MINUTES_PER_WEEK)]
        else:
            spans.append((begin, finish))
    merged: list[list[int]] = []
    for begin, finish in sorted(spans):
        if merged and begin <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], finish)
        else:
            merged.append([begin, finish])
    minutes = [0] * (7 * 24)
    for begin, finish in merged:
        for slot in range(begin // 60, (finish - 1) // 60 + 1):
            minutes[slot] += min(finish, (slot + 1) * 60) - max(begin, slot * 60)
    return {(slot // 24, slot % 24) for slot, worked in enumerate(minutes)
            if worked >= COUNTED_MINUTES}


# --- the plan ---------------------------------------------------------------------------------

def staffing_plan(uow: UnitOfWork, actor: Actor, *, weeks: int = DEFAULT_WEEKS,
                  shrinkage: float = DEFAULT_SHRINKAGE,
                  aht_seconds: Mapping[Channel | str, int] | None = None,
                  now: datetime | None = None) -> WorkloadPlan:
    """Agents needed per hour of the week for each channel, from the last `weeks` whole weeks
    of arrivals and the handling time per channel (the policy, or `aht_seconds` where given),
    and for the whole desk the staff needed beside the staff on the rota."""
    require(actor, Action.ANALYTICS_VIEW)
    weeks, lost = _weeks(weeks), _shrinkage(shrinkage)
    overrides = {validate.choice(Channel, k, N_("Channel")): v
                 for k, v in (aht_seconds or {}).items()}
    now = now or utcnow()
    with uow.reader() as r:
        calendar = sla.load_calendar(r.session, now)
        aht = _policy_aht(r.session)
        aht.update({c: _aht(c, v) for c, v in overrides.items()})
        counts, start, end = _arrivals(r.session, calendar, weeks, now)
        rota = _scheduled(r.session, calendar)

    standards = dict(DEFAULT_STANDARDS)
    plan = staffing.plan_week(
        {c: ChannelDemand(arrivals=grid, aht_seconds=aht[c]) for c, grid in counts.items()},
        standards, shrinkage=lost)
    channels = tuple(ChannelForecast(
        channel=c, arrivals=grid, aht_seconds=aht[c], standard=standards.get(c),
        hours=tuple(h for h in plan.hours if h.channel == c),
        workload=tuple(w for w in plan.workload if w.channel == c))
        for c, grid in counts.items())

    answering = dict.fromkeys(SLOTS, 0)
    for h in plan.hours:
        answering[(h.weekday, h.hour)] += h.agents_needed
    desk = tuple(DeskHour(weekday=d, hour=h, agents_needed=answering[(d, h)],
                          staff_needed=staffing.staff_to_schedule(answering[(d, h)], lost),
                          scheduled=rota[(d, h)])
                 for d, h in SLOTS)
    deferred = plan.daily_workload_hours()
    days = []
    for weekday in range(7):
        spare = sum(d.spare for d in desk[weekday * 24:(weekday + 1) * 24])
        days.append(DeskDay(
            weekday=weekday,
            deferred_work_hours=sum(hours for (channel, day), hours in deferred.items()
                                    if day == weekday),
            spare_staff_hours=spare, spare_work_hours=spare * (1 - lost)))
    return WorkloadPlan(
        weeks=weeks, shrinkage=lost, aht_seconds=aht, standards=standards,
        timezone=calendar.tz.key, period_start=start, period_end=end, channels=channels,
        desk=desk, days=tuple(days), shortfall=tuple(d for d in desk if d.shortfall))


# --- checks -----------------------------------------------------------------------------------

def _weeks(weeks: object) -> int:
    low, high = WEEKS_RANGE
    if (isinstance(weeks, bool) or not isinstance(weeks, int | float)
            or not math.isfinite(weeks) or weeks != int(weeks) or not low <= weeks <= high):
        raise ValidationError(
            N_("The history must be a whole number of weeks from {low} to {high}."),
            low=low, high=high)
    return int(weeks)


def _shrinkage(shrinkage: object) -> float:
    message = N_("Shrinkage must be from 0% to {high}%.")
    if (isinstance(shrinkage, bool) or not isinstance(shrinkage, int | float)
            or not math.isfinite(shrinkage) or not 0 <= shrinkage <= MAX_SHRINKAGE):
        raise ValidationError(message, high=round(MAX_SHRINKAGE * 100))
    return float(shrinkage)


def _aht(channel: Channel, seconds: object) -> int:
    low, high = AHT_RANGE
    if (isinstance(seconds, bool) or not isinstance(seconds, int | float)
            or not math.isfinite(seconds) or not low <= seconds <= high):
        raise ValidationError(
            N_("The average handling time of {channel} must be from {low} to {high} seconds."),
            channel=Term(CHANNEL[channel]), low=low, high=high)
    return round(seconds)
