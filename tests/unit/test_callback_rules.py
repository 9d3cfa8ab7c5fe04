"""When a care call falls due (core.callback_rules.care_due) and how the phone survey's answers
are checked (core.callbacks), without a database: a hand-built business calendar of 09:00-18:00
on weekdays in Shanghai, and due times worked out by hand."""
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from core.callback_rules import DELAY_DAYS, PERIODIC, care_due
from core.callbacks import _survey_input
from core.errors import ValidationError
from core.sla import BusinessCalendar
from core.vocabulary import CallbackTrigger
from db.models import Callback

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOURS = {d: (time(9), time(18)) for d in range(5)}
CLOSED = date(2026, 12, 7)  # a Monday the shop closes
CAL = BusinessCalendar(HOURS, SHANGHAI, closed_days=frozenset({CLOSED}))
EVERY = 30


def utc(local: str) -> datetime:
    """A Shanghai wall-clock time as the naive UTC the database stores."""
    return (datetime.fromisoformat(local).replace(tzinfo=SHANGHAI)
            .astimezone(ZoneInfo("UTC")).replace(tzinfo=None))


NOW = utc("2026-11-26 15:00")  # Thursday afternoon


@pytest.mark.parametrize("last_call, due", [
    ("2026-11-16 10:00", "2026-12-16 10:00"),   # Monday + 30 days: a Wednesday, open
    ("2026-11-20 10:00", "2026-12-21 09:00"),   # Friday + 30 days: a Sunday, so Monday
    ("2026-11-26 15:00", "2026-12-28 09:00"),   # just now: Saturday 26 Dec, so Monday
])
def test_the_next_care_call_comes_a_period_after_the_last_in_opening_hours(last_call, due):
    assert care_due(7, utc(last_call), None, EVERY, NOW, CAL) == utc(due)


@pytest.mark.parametrize("customer_id, due", [
    (30, "2026-11-26 15:00"),    # 0 days ahead: now, never earlier
    (31, "2026-11-27 15:00"),    # 1 day: Friday afternoon
    (32, "2026-11-30 09:00"),    # 2 days: Saturday, so Monday's opening
    (34, "2026-11-30 15:00"),    # 4 days: Monday afternoon
    (41, "2026-12-08 09:00"),    # 11 days: Monday 7 December, which is closed
    (59, "2026-12-25 15:00"),    # 29 days, the last of the period: Friday 25 December
])
def test_a_customer_never_called_is_spread_over_the_period_by_id(customer_id, due):
    assert care_due(customer_id, None, None, EVERY, NOW, CAL) == utc(due)


def test_a_last_call_too_long_ago_counts_as_never_called():
    """A rule that was off for a while must not put the whole tier in the past."""
    long_ago = utc("2026-01-05 10:00")
    assert care_due(31, long_ago, None, EVERY, NOW, CAL) == utc("2026-11-27 15:00")


def test_after_closing_time_the_call_moves_to_the_next_opening():
    evening = utc("2026-11-26 19:30")
    assert care_due(30, None, None, EVERY, evening, CAL) == utc("2026-11-27 09:00")
    friday_night = utc("2026-11-27 23:00")
    assert care_due(30, None, None, EVERY, friday_night, CAL) == utc("2026-11-30 09:00")


@pytest.mark.parametrize("plan_due, due", [
    (date(2026, 12, 1), "2026-12-01 09:00"),     # a check before the call: that morning
    (date(2026, 12, 5), "2026-12-08 09:00"),     # a Saturday; Monday 7 is closed
    (date(2026, 11, 20), "2026-11-26 15:00"),    # overdue: now, not in the past
    (date(2026, 11, 26), "2026-11-26 15:00"),    # due today
    (date(2027, 2, 1), "2026-12-16 10:00"),      # after the call: the call's own time
])
def test_a_care_plan_check_pulls_the_call_forward_never_into_the_past(plan_due, due):
    last = utc("2026-11-16 10:00")               # the next call would be 16 Dec 10:00
    assert care_due(7, last, plan_due, EVERY, NOW, CAL) == utc(due)


def test_the_call_is_never_before_now_nor_outside_opening_hours():
    for customer_id in range(200):
        for now in (NOW, utc("2026-11-28 12:00"), utc("2026-12-06 20:00")):
            due = care_due(customer_id, None, None, EVERY, now, CAL)
            wall = due.replace(tzinfo=ZoneInfo("UTC")).astimezone(SHANGHAI)
            assert now <= due, (customer_id, now)
            assert CAL.is_working_day(wall.date()) and time(9) <= wall.time() < time(18)


def test_every_rule_has_its_limits_and_each_care_tier_its_purpose():
    assert set(DELAY_DAYS) == set(CallbackTrigger)
    assert {tier.value: purpose.value for tier, purpose in PERIODIC.values()} == \
        {"vip": "vip_care", "regular": "regular_care"}


# --- the survey's answers -------------------------------------------------------------------

def follow_up(case_id=1) -> Callback:
    return Callback(id=9, customer_id=1, case_id=case_id, purpose="follow_up")


@pytest.mark.parametrize("answers", [
    dict(satisfaction=None, problem_solved=True, nps=None, comment=None),
    dict(satisfaction=4, problem_solved=None, nps=None, comment=None),
    dict(satisfaction=0, problem_solved=True, nps=None, comment=None),
    dict(satisfaction=6, problem_solved=True, nps=None, comment=None),
    dict(satisfaction=True, problem_solved=True, nps=None, comment=None),
    dict(satisfaction=3.0, problem_solved=True, nps=None, comment=None),
    dict(satisfaction=4, problem_solved=True, nps=11, comment=None),
    dict(satisfaction=4, problem_solved=True, nps=-1, comment=None),
    dict(satisfaction=4, problem_solved=True, nps=False, comment=None),
])
def test_bad_survey_answers_are_refused(answers):
    with pytest.raises(ValidationError):
        _survey_input(follow_up(), **answers)


@pytest.mark.parametrize("score, nps", [(1, 0), (5, 10), (3, None)])
def test_the_survey_scales_edges_are_accepted(score, nps):
    survey = _survey_input(follow_up(), score, False, nps, "ok")
    assert (survey.satisfaction, survey.problem_solved, survey.nps) == (score, False, nps)


def test_what_each_kind_of_call_asks():
    # a care call has no case: "solved" is not asked, and is dropped if given
    care = Callback(id=1, customer_id=1, purpose="vip_care")
    assert _survey_input(care, 4, False, None, None).problem_solved is None
    with pytest.raises(ValidationError):
        _survey_input(care, None, None, 9, None)
    # an after-sales follow-up without a case asks the score only
    after_sales = Callback(id=2, customer_id=1, purpose="after_sales_follow_up")
    assert _survey_input(after_sales, 5, None, None, None).satisfaction == 5
    # a manual call asks nothing, but a comment or NPS needs the score with it
    by_hand = Callback(id=3, customer_id=1, purpose="manual")
    assert _survey_input(by_hand, None, None, None, None) is None
    with pytest.raises(ValidationError):
        _survey_input(by_hand, None, None, None, "Happy with the kettle")
