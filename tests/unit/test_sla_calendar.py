"""The business-hours calendar: due times skip nights, weekends and public holidays."""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.sla import BusinessCalendar, SlaState, _public_holidays, state

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOURS = {d: (time(9), time(18)) for d in range(5)}
BUSINESS_DAY = 9 * 3600


def utc(local: str) -> datetime:
    """A Shanghai wall-clock time as the naive UTC the database stores."""
    return (datetime.fromisoformat(local).replace(tzinfo=SHANGHAI)
            .astimezone(ZoneInfo("UTC")).replace(tzinfo=None))


def cn(year: int) -> BusinessCalendar:
    closed, extra = _public_holidays("CN", year)
    return BusinessCalendar(HOURS, SHANGHAI, closed, extra)


def test_friday_evening_case_is_due_on_the_next_working_day():
    cal = BusinessCalendar(HOURS, SHANGHAI)
    # Friday 17:55: five minutes today, the rest on Monday
    assert cal.add(utc("2026-11-27 17:55"), BUSINESS_DAY) == utc("2026-11-30 17:55")


def test_public_holiday_is_skipped():
    # Thursday 18 June 2026 17:55; Friday 19 June is the Dragon Boat Festival
    assert cn(2026).add(utc("2026-06-18 17:55"), BUSINESS_DAY) == utc("2026-06-22 17:55")


def test_moved_weekend_working_day_counts():
    calendar = cn(2026)
    assert date(2026, 1, 4) in calendar.extra_working_days  # a Sunday worked for New Year
    assert calendar.add(utc("2026-01-03 10:00"), 3600) == utc("2026-01-04 10:00")


def test_before_opening_starts_at_opening():
    cal = BusinessCalendar(HOURS, SHANGHAI)
    assert cal.add(utc("2026-11-25 07:00"), 3600) == utc("2026-11-25 10:00")


def test_admin_closed_day_and_zero_hours():
    cal = BusinessCalendar(HOURS, SHANGHAI, closed_days=frozenset({date(2026, 11, 30)}))
    assert cal.add(utc("2026-11-27 17:00"), 2 * 3600) == utc("2026-12-01 10:00")
    assert BusinessCalendar({}, SHANGHAI).add(utc("2026-11-27 17:00"), 60) == \
        utc("2026-11-27 17:01")  # no opening hours configured: wall clock


def test_between_is_the_inverse_of_add():
    cal = cn(2026)
    start = utc("2026-09-24 16:30")
    for seconds in (60, 3600, BUSINESS_DAY, 3 * BUSINESS_DAY + 1234):
        assert cal.between(start, cal.add(start, seconds)) == pytest.approx(seconds)
    assert cal.between(utc("2026-11-30 09:00"), utc("2026-11-27 18:00")) == 0


@pytest.mark.parametrize("done, now, expected", [
    ("10:30", "11:00", SlaState.MET),
    ("12:30", "13:00", SlaState.BREACHED),
    (None, "10:30", SlaState.ON_TRACK),
    (None, "11:45", SlaState.AT_RISK),
    (None, "12:01", SlaState.BREACHED),
])
def test_state(done, now, expected):
    day = "2026-11-25 "
    t = lambda hm: datetime.fromisoformat(day + hm) if hm else None  # noqa: E731
    assert state(t("12:00"), t(done), t(now), t("10:00")) == expected


def test_paused_case_is_not_breached_while_waiting_on_the_customer():
    due, start = datetime(2026, 11, 25, 12), datetime(2026, 11, 25, 10)
    assert state(due, None, due + timedelta(hours=5), start, paused_at=due - timedelta(
        hours=1)) == SlaState.PAUSED
    assert state(due, None, due + timedelta(hours=5), start, paused_at=due + timedelta(
        hours=1)) == SlaState.BREACHED  # pausing after the breach does not undo it
