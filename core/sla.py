"""Service levels: business-hours calendar, targets per channel x kind x priority, due times,
pauses while waiting on the customer, and breach state.

Times are stored as naive UTC; business hours are the shop's local time (setting
`shop.timezone`), so the calendar converts at its edges and nowhere else.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holiday_calendars
import sqlalchemy as sa
from sqlalchemy.orm import Session

from core import formats
from core.vocabulary import CaseKind, CaseStatus, Channel, Priority
from db.models import BusinessHours, Case, Holiday, Setting, SlaPolicy

UTC = ZoneInfo("UTC")
# A target this close to its due time (share of the target, or an hour at most) is at risk.
AT_RISK_SHARE = 0.2
AT_RISK_CAP = timedelta(hours=1)
OPEN_STATUSES = (CaseStatus.NEW, CaseStatus.OPEN, CaseStatus.WAITING_CUSTOMER,
                 CaseStatus.WAITING_INTERNAL)


class SlaState(StrEnum):
    MET = "met"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    PAUSED = "paused"
    NONE = "none"


@dataclass(frozen=True)
class BusinessCalendar:
    """Opening hours per weekday (0 = Monday) in the shop's time zone, minus closed days,
    plus extra working days (China moves weekend days to make long holidays)."""
    hours: dict[int, tuple[time, time]]
    tz: ZoneInfo = field(default=ZoneInfo("Asia/Shanghai"))
    closed_days: frozenset[date] = frozenset()
    extra_working_days: frozenset[date] = frozenset()

    def is_working_day(self, day: date) -> bool:
        if day in self.closed_days:
            return False
        return day.weekday() in self.hours or day in self.extra_working_days

    def _window(self, day: date) -> tuple[datetime, datetime] | None:
        """The day's opening window as naive local datetimes."""
        if not self.is_working_day(day):
            return None
        opens, closes = self.hours.get(day.weekday()) or self._weekday_hours()
        return datetime.combine(day, opens), datetime.combine(day, closes)

    def _weekday_hours(self) -> tuple[time, time]:
        # an extra working day on a weekend keeps ordinary weekday hours
        return self.hours.get(0) or next(iter(self.hours.values()))

    def _local(self, utc: datetime) -> datetime:
        return utc.replace(tzinfo=UTC).astimezone(self.tz).replace(tzinfo=None)

    def _utc(self, local: datetime) -> datetime:
        return local.replace(tzinfo=self.tz).astimezone(UTC).replace(tzinfo=None)

    def start_of(self, day: date) -> datetime:
        """The shop's local midnight starting `day`, as naive UTC."""
        return self._utc(datetime.combine(day, time.min))

    def add(self, start_utc: datetime, seconds: float) -> datetime:
        """The moment `seconds` of opening time after start (naive UTC in, naive UTC out)."""
        if not self.hours:
            return start_utc + timedelta(seconds=seconds)
        remaining = timedelta(seconds=max(seconds, 0))
        cursor = self._local(start_utc)
        for _ in range(3 * 366):  # a year of closed days would be a broken calendar
            window = self._window(cursor.date())
            if window:
                opens, closes = window
                begin = max(cursor, opens)
                if begin < closes:
                    available = closes - begin
                    if remaining <= available:
                        return self._utc(begin + remaining)
                    remaining -= available
            cursor = datetime.combine(cursor.date() + timedelta(days=1), time.min)
        raise ValueError("the business calendar has no opening hours in the next three years")

    def add_days(self, start_utc: datetime, days: int) -> datetime:
        """`days` business days later: that many ordinary opening days of time."""
        if not self.hours:
            return start_utc + timedelta(days=days)
        opens, closes = self._weekday_hours()
        day = (datetime.combine(date.min, closes) - datetime.combine(date.min, opens))
        return self.add(start_utc, days * day.total_seconds())

    def between(self, start_utc: datetime, end_utc: datetime) -> float:
        """Seconds of opening time from start to end (negative if end is earlier)."""
        if end_utc < start_utc:
            return -self.between(end_utc, start_utc)
        if not self.hours:
            return (end_utc - start_utc).total_seconds()
        start, end = self._local(start_utc), self._local(end_utc)
        total = timedelta()
        day = start.date()
        while day <= end.date():
            window = self._window(day)
            if window:
                begin, finish = max(start, window[0]), min(end, window[1])
                if finish > begin:
                    total += finish - begin
            day += timedelta(days=1)
        return total.total_seconds()


def shop_timezone(session: Session) -> ZoneInfo:
    return ZoneInfo(setting(session, "shop.timezone", "Asia/Shanghai"))


def to_local(session: Session, utc: datetime) -> datetime:
    """A stored (naive UTC) time as the shop's wall-clock time, for people to read."""
    return formats.local_time(utc, shop_timezone(session))


def local_text(session: Session, utc: datetime | None) -> str:
    """The shop's wall-clock time as written in messages to customers ('' when unknown)."""
    return formats.stamp(utc, shop_timezone(session)) if utc else ""


def business_days_later(session: Session, start: datetime, days: int) -> datetime:
    """`days` whole business days of opening time after start (naive UTC in and out)."""
    return load_calendar(session, start).add_days(start, days)


def business_minutes(session: Session, start: datetime, end: datetime) -> int:
    """Whole minutes of opening time from start to end: what reports measure response and
    resolution times in (time waiting on the customer included, as the customer lived it)."""
    return int(load_calendar(session, end).between(start, end) // 60)


@lru_cache(maxsize=32)
def _public_holidays(country: str, year: int) -> tuple[frozenset[date], frozenset[date]]:
    try:
        calendar = holiday_calendars.country_holidays(country, years=year)
    except NotImplementedError:
        return frozenset(), frozenset()
    extra = frozenset(getattr(calendar, "weekend_workdays", ()) or ())
    return frozenset(calendar.keys()), extra


def setting(session: Session, key: str, default=None):
    row = session.get(Setting, key)
    return default if row is None else row.value


def load_calendar(session: Session, around: datetime) -> BusinessCalendar:
    """The shop's calendar for the years around a moment: opening hours, the holiday
    country's public holidays, and the admin's own closed / open days."""
    hours = {h.weekday: (h.opens, h.closes) for h in session.scalars(sa.select(BusinessHours))}
    tz = shop_timezone(session)
    country = setting(session, "calendar.holiday_country", "CN")
    closed, extra = set(), set()
    for year in (around.year - 1, around.year, around.year + 1):
        public, workdays = _public_holidays(country, year) if country else (set(), set())
        closed |= public
        extra |= workdays
    for own in session.scalars(sa.select(Holiday)):
        if own.open:
            closed.discard(own.day)
            extra.add(own.day)
        else:
            closed.add(own.day)
            extra.discard(own.day)
    return BusinessCalendar(hours, tz, frozenset(closed), frozenset(extra))


# --- targets ----------------------------------------------------------------------------------

def policy_for(session: Session, channel: Channel, kind: CaseKind,
               priority: Priority) -> SlaPolicy | None:
    """The most specific active target: kind and priority both named beats one named beats
    neither; between equally specific rows the stricter resolution target wins."""
    rows = session.scalars(sa.select(SlaPolicy).where(
        SlaPolicy.channel == channel, SlaPolicy.active.is_(True),
        sa.or_(SlaPolicy.kind.is_(None), SlaPolicy.kind == kind),
        sa.or_(SlaPolicy.priority.is_(None), SlaPolicy.priority == priority))).all()
    if not rows:
        return None
    return min(rows, key=lambda p: (-(p.kind is not None) - (p.priority is not None),
                                    p.resolution_seconds, p.id))


@dataclass(frozen=True)
class DueTimes:
    policy_id: int | None
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None


def due_times(session: Session, channel: Channel, kind: CaseKind, priority: Priority,
              created_at: datetime) -> DueTimes:
    policy = policy_for(session, channel, kind, priority)
    if policy is None:
        return DueTimes(None, None, None)
    calendar = load_calendar(session, created_at)
    return DueTimes(
        policy.id,
        _due(calendar, created_at, policy.first_response_seconds,
             policy.first_response_business_hours),
        _due(calendar, created_at, policy.resolution_seconds, policy.resolution_business_hours))


def _due(calendar: BusinessCalendar, start: datetime, seconds: int,
         business_hours: bool) -> datetime:
    if business_hours:
        return calendar.add(start, seconds)
    return start + timedelta(seconds=seconds)


def pause(case: Case, now: datetime) -> None:
    """Waiting on the customer stops the resolution clock."""
    if case.sla_paused_at is None:
        case.sla_paused_at = now


def resume(session: Session, case: Case, now: datetime) -> None:
    """The clock restarts with the opening time that was left when it stopped."""
    if case.sla_paused_at is None:
        return
    paused_at, case.sla_paused_at = case.sla_paused_at, None
    case.sla_paused_seconds = (case.sla_paused_seconds or 0) + int(
        (now - paused_at).total_seconds())
    if case.resolution_due_at is None or case.resolution_due_at <= paused_at:
        return  # already breached when paused: pausing does not undo a breach
    policy = session.get(SlaPolicy, case.sla_policy_id) if case.sla_policy_id else None
    if policy is None or policy.resolution_business_hours:
        calendar = load_calendar(session, now)
        left = calendar.between(paused_at, case.resolution_due_at)
        case.resolution_due_at = calendar.add(now, left)
    else:
        case.resolution_due_at += now - paused_at


# --- state ------------------------------------------------------------------------------------

def state(due: datetime | None, done: datetime | None, now: datetime,
          started: datetime, paused_at: datetime | None = None) -> SlaState:
    if due is None:
        return SlaState.NONE
    if done is not None:
        return SlaState.MET if done <= due else SlaState.BREACHED
    if paused_at is not None and paused_at < due:
        return SlaState.PAUSED  # the due time moves on when the clock restarts
    if now > due:
        return SlaState.BREACHED
    margin = min((due - started) * AT_RISK_SHARE, AT_RISK_CAP)
    return SlaState.AT_RISK if due - now <= margin else SlaState.ON_TRACK


def first_response_state(case: Case, now: datetime) -> SlaState:
    return state(case.first_response_due_at, case.first_response_at, now, case.created_at)


def resolution_state(case: Case, now: datetime) -> SlaState:
    return state(case.resolution_due_at, case.resolved_at, now, case.created_at,
                 case.sla_paused_at)


def late_conditions(now: datetime):
    """(first response late, resolution late) for a case still open at `now`."""
    return (sa.and_(Case.first_response_at.is_(None), Case.first_response_due_at < now),
            # paused before its due time the clock stopped in time; paused after, it was late
            sa.and_(sa.or_(Case.sla_paused_at.is_(None),
                           Case.sla_paused_at >= Case.resolution_due_at),
                    Case.resolution_due_at < now))


def breached_condition(now: datetime):
    """Open cases past a due time: no first response in time, or unresolved past due."""
    return sa.and_(Case.status.in_(OPEN_STATUSES), sa.or_(*late_conditions(now)))


def about_to_breach_condition(now: datetime, horizon: timedelta = timedelta(hours=1)):
    """Open cases whose next due time falls within the horizon."""
    soon = now + horizon
    return sa.and_(Case.status.in_(OPEN_STATUSES), sa.or_(
        sa.and_(Case.first_response_at.is_(None),
                Case.first_response_due_at.between(now, soon)),
        sa.and_(Case.sla_paused_at.is_(None), Case.resolution_due_at.between(now, soon))))
