"""Policies as data: the shop's business hours per weekday, the country whose public holidays
close it (setting calendar.holiday_country), and its own closed or extra working days
(Holiday rows). core.sla reads all three for every due time; a change applies to due times
computed afterwards, never to those already frozen on cases.

Business hours and own days have no version column: a save names the hours the editor saw,
and is refused if they are no longer what is stored (someone else saved in between).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import holidays as holiday_calendars
import sqlalchemy as sa

from core import audit, sla, validate
from core.actor import Actor
from core.clock import utcnow
from core.errors import ConcurrentChange, NotFound, ValidationError
from core.i18n import N_, Term
from core.permissions import Action, require
from core.policies import SettingView, lock_table, read_setting, save_setting
from core.uow import UnitOfWork
from db.models import BusinessHours, Holiday

WEEKDAYS = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"),
            N_("Saturday"), N_("Sunday"))
DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")     # as the audit writes them
COUNTRY_KEY = "calendar.holiday_country"
DEFAULT_COUNTRY = "CN"            # what core.sla assumes when the setting is missing
OWN_DAY_NAME_MAX = 120
OWN_DAYS_AHEAD = 2 * 366          # core.sla loads the calendar of the years around a moment
PREVIEW_DAYS = 7
# the holidays package's name languages, for the reader's
HOLIDAY_LANGUAGE = {"en": "en_US", "zh_CN": "zh_CN"}

Hours = dict[int, tuple[time, time]]


@dataclass(frozen=True)
class OwnDay:
    day: date
    name: str
    open: bool               # True: a working day the country's calendar would close


@dataclass(frozen=True)
class CalendarSettings:
    hours: Hours             # open weekdays (0 = Monday) -> (opens, closes), shop time
    country: SettingView     # '' = no public holidays
    timezone: str
    own_days: list[OwnDay]   # from today on
    today: date              # the shop's date


def _stored_hours(uow: UnitOfWork) -> Hours:
    return {h.weekday: (h.opens, h.closes)
            for h in uow.session.scalars(sa.select(BusinessHours))}


def _today(uow: UnitOfWork, now: datetime | None = None) -> date:
    return sla.to_local(uow.session, now or utcnow()).date()


def calendar_settings(uow: UnitOfWork, actor: Actor) -> CalendarSettings:
    require(actor, Action.POLICY_EDIT)
    with uow.reader() as r:
        today = _today(r)
        own = [OwnDay(h.day, h.name, h.open) for h in r.session.scalars(
            sa.select(Holiday).where(Holiday.day >= today).order_by(Holiday.day))]
        return CalendarSettings(_stored_hours(r), read_setting(r.session, COUNTRY_KEY,
                                                               DEFAULT_COUNTRY),
                                sla.shop_timezone(r.session).key, own, today)


# --- business hours ---------------------------------------------------------------------------

def _clock(value: object, weekday: int) -> time:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    try:
        return time.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError(N_("{day}: {value} is not a time of day (hh:mm)."),
                              day=Term(WEEKDAYS[weekday]), value=str(value)[:20]) from None


def check_hours(hours: Mapping[int, object]) -> Hours:
    """Opening hours per weekday (0 = Monday): (opens, closes), or None / absent = closed."""
    checked: Hours = {}
    for key, window in hours.items():
        weekday = int(key) if str(key).isdigit() else -1
        if not 0 <= weekday <= 6:
            raise ValidationError(N_("Unknown {what}: {value}."), what=Term(N_("Weekday")),
                                  value=str(key)[:20])
        if window is None:
            continue
        try:
            opens, closes = window  # type: ignore[misc]
        except (TypeError, ValueError):
            raise ValidationError(N_("{day}: {value} is not a time of day (hh:mm)."),
                                  day=Term(WEEKDAYS[weekday]), value=str(window)[:20]) from None
        opens, closes = _clock(opens, weekday), _clock(closes, weekday)
        if not opens < closes:
            raise ValidationError(N_("{day}: the shop must open before it closes ({opens} is "
                                     "not before {closes}). Mark the day closed instead."),
                                  day=Term(WEEKDAYS[weekday]), opens=opens.strftime("%H:%M"),
                                  closes=closes.strftime("%H:%M"))
        checked[weekday] = (opens, closes)
    if not checked:
        raise ValidationError(N_("At least one day of the week must be open: due times are "
                                 "counted in opening hours."))
    return checked


def _audit_hours(hours: Hours) -> dict[str, str | None]:
    return {DAY_KEYS[d]: (f"{hours[d][0]:%H:%M}-{hours[d][1]:%H:%M}" if d in hours else None)
            for d in range(7)}


def set_business_hours(uow: UnitOfWork, actor: Actor, hours: Mapping[int, object],
                       expected_hours: Mapping[int, object] | None = None) -> bool:
    """Replaces the weekly opening hours; False when nothing changed. `expected_hours` are
    the hours the editor was shown: if someone saved others since, nothing is written."""
    require(actor, Action.POLICY_EDIT)
    new = check_hours(hours)
    seen = None
    if expected_hours is not None:
        seen = {int(d): (_clock(w[0], int(d)), _clock(w[1], int(d)))  # type: ignore[index]
                for d, w in expected_hours.items() if w is not None}
    with uow:
        lock_table(uow, "business_hours")
        old = _stored_hours(uow)
        if seen is not None and seen != old:
            raise ConcurrentChange()
        if old == new:
            return False
        for row in uow.session.scalars(sa.select(BusinessHours)):
            if row.weekday not in new:
                uow.session.delete(row)
            else:
                row.opens, row.closes = new[row.weekday]
        for weekday, (opens, closes) in new.items():
            if weekday not in old:
                uow.session.add(BusinessHours(weekday=weekday, opens=opens, closes=closes))
        before, after = audit.changes(_audit_hours(old), _audit_hours(new))
        audit.record(uow, actor, "business_hours_changed", "business_hours", None, before,
                     after)
        uow.commit()
        return True


# --- the holiday country ----------------------------------------------------------------------

def check_country(code: str | None) -> str:
    """A country code the holidays package knows ('' = no public holidays)."""
    cleaned = (code or "").strip().upper()
    if not cleaned:
        return ""
    try:
        holiday_calendars.country_holidays(cleaned)
    except (NotImplementedError, KeyError, ValueError):
        raise ValidationError(N_("There is no public-holiday calendar for the country code "
                                 "{code}. Use a two-letter code such as CN, HK, SG or US."),
                              code=cleaned[:10]) from None
    return cleaned


def set_holiday_country(uow: UnitOfWork, actor: Actor, code: str | None,
                        expected_version: int | None) -> bool:
    require(actor, Action.POLICY_EDIT)
    country = check_country(code)
    with uow:
        changed = save_setting(uow, actor, COUNTRY_KEY, country, expected_version)
        if changed:
            uow.commit()
        return changed


# --- the shop's own days ----------------------------------------------------------------------

def add_own_day(uow: UnitOfWork, actor: Actor, day: date, name: str,
                open_day: bool = False) -> None:
    """A day the shop is closed (a stocktaking day), or with open_day a working day the
    country's calendar would close. Only today or later: due times already counted on a
    past day stay as they were."""
    require(actor, Action.POLICY_EDIT)
    name_ = validate.text(name, field=N_("Name"), limit=OWN_DAY_NAME_MAX, required=True)
    if not isinstance(day, date) or isinstance(day, datetime):
        raise ValidationError(N_("{field} is required."), field=Term(N_("Date")))
    with uow:
        lock_table(uow, "holiday")
        today = _today(uow)
        if not today <= day <= today + timedelta(days=OWN_DAYS_AHEAD):
            raise ValidationError(N_("Choose a day from today to {last}: past days stay as "
                                     "they were."),
                                  last=(today + timedelta(days=OWN_DAYS_AHEAD)).isoformat())
        existing = uow.session.get(Holiday, day)
        if existing is not None:
            raise ValidationError(N_("{day} is already listed as {name}. Remove it first to "
                                     "change it."), day=day.isoformat(), name=existing.name)
        uow.session.add(Holiday(day=day, name=name_, open=bool(open_day)))
        audit.record(uow, actor, "own_day_added", "holiday", day.isoformat(), None,
                     {"name": name_, "open": bool(open_day)})
        uow.commit()


def remove_own_day(uow: UnitOfWork, actor: Actor, day: date) -> None:
    require(actor, Action.POLICY_EDIT)
    with uow:
        lock_table(uow, "holiday")
        row = uow.session.get(Holiday, day)
        if row is None:
            raise NotFound(N_("{day} is not on the list any more. Reload the page."),
                           day=day.isoformat() if isinstance(day, date) else str(day)[:20])
        if row.day < _today(uow):
            raise ValidationError(N_("{day} is past: it stays on the list, as due times were "
                                     "counted with it."), day=row.day.isoformat())
        before = {"name": row.name, "open": row.open}
        uow.session.delete(row)
        audit.record(uow, actor, "own_day_removed", "holiday", day.isoformat(), before, None)
        uow.commit()


# --- preview ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class DayPreview:
    day: date
    opens: time | None        # None: closed
    closes: time | None
    public_holiday: str | None   # its name, in the reader's language where the package has it
    own_day: str | None          # the shop's own day's name
    moved_workday: bool          # a weekend day the country's calendar makes a working day


def _holiday_names(country: str, years: set[int], language: str) -> tuple[dict, frozenset]:
    if not country:
        return {}, frozenset()
    try:
        calendar = holiday_calendars.country_holidays(country, years=sorted(years))
        wanted = HOLIDAY_LANGUAGE.get(language)
        if wanted and wanted in (getattr(calendar, "supported_languages", ()) or ()):
            calendar = holiday_calendars.country_holidays(country, years=sorted(years),
                                                          language=wanted)
    except (NotImplementedError, KeyError, ValueError):
        return {}, frozenset()
    return dict(calendar.items()), frozenset(getattr(calendar, "weekend_workdays", ()) or ())


def preview_calendar(uow: UnitOfWork, actor: Actor, hours: Mapping[int, object] | None = None,
                     country: str | None = None, days: int = PREVIEW_DAYS,
                     now: datetime | None = None) -> list[DayPreview]:
    """The coming days' opening hours with the given hours and holiday country (those stored
    when None), the public holidays and the shop's own days on them."""
    require(actor, Action.POLICY_EDIT)
    week = check_hours(hours) if hours is not None else None
    code = check_country(country) if country is not None else None
    with uow.reader() as r:
        s = r.session
        week = week if week is not None else _stored_hours(r)
        code = code if code is not None else str(
            sla.setting(s, COUNTRY_KEY, DEFAULT_COUNTRY) or "")
        first = _today(r, now)
        span = [first + timedelta(days=i) for i in range(max(1, min(days, 62)))]
        own = {h.day: h for h in s.scalars(sa.select(Holiday).where(
            Holiday.day.between(span[0], span[-1])))}
        tz = sla.shop_timezone(s)
    names, workdays = _holiday_names(code, {d.year for d in span}, actor.language)
    closed = (set(names) | {d for d, h in own.items() if not h.open}) - {
        d for d, h in own.items() if h.open}
    extra = (set(workdays) | {d for d, h in own.items() if h.open}) - {
        d for d, h in own.items() if not h.open}
    calendar = sla.BusinessCalendar(week, tz, frozenset(closed), frozenset(extra))
    fallback = week.get(0) or next(iter(week.values()), None)  # as core.sla: weekday hours
    out = []
    for day in span:
        window = (week.get(day.weekday()) or fallback) if calendar.is_working_day(day) else None
        out.append(DayPreview(day, window[0] if window else None,
                              window[1] if window else None, names.get(day),
                              own[day].name if day in own else None,
                              day in workdays and day.weekday() not in week))
    return out


def supported_countries() -> list[str]:
    """The two-letter country codes the holidays package has a calendar for."""
    return sorted(c for c in holiday_calendars.list_supported_countries() if len(c) == 2)
