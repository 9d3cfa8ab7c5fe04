"""The staffing planner's figures (core.workload) on a hand-built history whose answer is known:
arrivals per local (weekday, hour) over whole weeks, shifted from UTC across midnight; the
rota from working_hours; the plan's agents per hour against core.staffing; who may look; and
inputs refused. Time is frozen on a Thursday afternoon in Shanghai (UTC+8, no DST)."""
import pickle
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from core import workload
from core.errors import PermissionDenied, ValidationError
from core.staffing import DEFAULT_STANDARDS, agents_needed, staff_to_schedule
from core.vocabulary import CaseCategory, CaseKind, Channel, Role
from db.models import Case, Customer, Setting, Staff
from tests.conftest import add_staff

UTC = ZoneInfo("UTC")
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Thursday 2026-11-26 15:00 in Shanghai. This week began on Monday 2026-11-23 00:00 local =
# Sunday 2026-11-22 16:00 UTC; two whole weeks back begin at Sunday 2026-11-08 16:00 UTC.
NOW = datetime(2026, 11, 26, 7, 0)
WEEK = timedelta(weeks=1)
MON, TUE, WED, SUN = 0, 1, 2, 6
PHONE_AHT = 360


def utc(local: str, tz: ZoneInfo = SHANGHAI) -> datetime:
    return (datetime.fromisoformat(local).replace(tzinfo=tz).astimezone(UTC)
            .replace(tzinfo=None))


def add_cases(uow, channel: Channel, *times: datetime) -> None:
    with uow:
        customer = uow.session.scalar(sa.select(Customer).where(
            Customer.phone_normalized == "+8613800000001"))
        if customer is None:
            customer = Customer(name="Wang Fang", phone="+8613800000001",
                                phone_normalized="+8613800000001", language="en")
            uow.session.add(customer)
            uow.session.flush()
        uow.session.add_all(
            Case(kind=CaseKind.INQUIRY, channel=channel, category=CaseCategory.DELIVERY,
                 customer_id=customer.id, subject="Where is my parcel?", created_at=at)
            for at in times)
        uow.commit()


def set_setting(uow, key: str, value) -> None:
    with uow:
        row = uow.session.get(Setting, key)
        if row is None:
            uow.session.add(Setting(key=key, value=value))
        else:
            row.value = value
        uow.commit()


def set_hours(uow, actor, hours) -> None:
    with uow:
        uow.session.get(Staff, actor.staff_id).working_hours = hours
        uow.commit()


@pytest.fixture
def analyst(uow):
    return add_staff(uow, "ana", Role.ANALYST)


@pytest.fixture
def history(uow):
    """Two whole weeks of contacts (and some just outside them)."""
    # Sunday 20:30 UTC is Monday 04:30 in Shanghai: one in each of the two weeks
    add_cases(uow, Channel.PHONE, datetime(2026, 11, 8, 20, 30), datetime(2026, 11, 15, 20, 30))
    # the edges: the first and last minute of the period count, the minutes beyond do not
    add_cases(uow, Channel.PHONE,
              datetime(2026, 11, 8, 16, 0),     # Monday 00:00 local, two weeks back: in
              datetime(2026, 11, 8, 15, 59),    # Sunday 23:59 local the week before: out
              datetime(2026, 11, 22, 15, 59),   # Sunday 23:59 local last week: in
              datetime(2026, 11, 22, 16, 0),    # Monday 00:00 local this week: out
              NOW - timedelta(hours=1))         # this week: out
    # Tuesday 10:00-10:59 local: 40 calls in each week, spread over the hour
    tuesday = utc("2026-11-10 10:00")
    add_cases(uow, Channel.PHONE, *(tuesday + w * WEEK + timedelta(seconds=89 * i)
                                    for w in range(2) for i in range(40)))
    # chat: 6 on Wednesday 14:xx local in the first week only → 3 per hour on average
    add_cases(uow, Channel.CHAT, *(utc("2026-11-11 14:05") + timedelta(minutes=9 * i)
                                   for i in range(6)))
    # e-mail: 4 on Monday 09:xx local in the second week → 2 per hour
    add_cases(uow, Channel.EMAIL, *(utc("2026-11-16 09:10") + timedelta(minutes=5 * i)
                                    for i in range(4)))


# --- arrivals ---------------------------------------------------------------------------------

def test_arrivals_per_local_hour_over_whole_weeks(uow, analyst, history):
    found = workload.arrivals(uow, analyst, weeks=2, now=NOW)
    assert list(found) == [Channel.PHONE, Channel.CHAT, Channel.EMAIL]
    assert all(len(grid) == 168 for grid in found.values())
    phone = {slot: n for slot, n in found[Channel.PHONE].items() if n}
    assert phone == {(MON, 4): 1.0,       # Sunday 20:30 UTC → Monday 04:30 local, twice
                     (MON, 0): 0.5,       # the first minute of the period
                     (SUN, 23): 0.5,      # the last minute of the period
                     (TUE, 10): 40.0}
    assert {s: n for s, n in found[Channel.CHAT].items() if n} == {(WED, 14): 3.0}
    assert {s: n for s, n in found[Channel.EMAIL].items() if n} == {(MON, 9): 2.0}


def test_arrivals_with_one_week_of_history(uow, analyst, history):
    found = workload.arrivals(uow, analyst, weeks=1, now=NOW)
    phone = {slot: n for slot, n in found[Channel.PHONE].items() if n}
    assert phone == {(MON, 4): 1.0, (SUN, 23): 1.0, (TUE, 10): 40.0}
    assert not any(found[Channel.CHAT].values())      # its week is not in the period
    assert Channel.EMAIL in found


def test_an_empty_desk_still_plans_phone_and_chat(uow, analyst):
    found = workload.arrivals(uow, analyst, weeks=4, now=NOW)
    assert list(found) == [Channel.PHONE, Channel.CHAT]
    assert not any(v for grid in found.values() for v in grid.values())


def test_a_zone_half_an_hour_off_utc_counts_by_quarter_hour(uow, analyst):
    kolkata = ZoneInfo("Asia/Kolkata")   # UTC+5:30
    set_setting(uow, "shop.timezone", "Asia/Kolkata")
    add_cases(uow, Channel.PHONE,
              utc("2026-11-17 09:45", kolkata),    # 04:15 UTC
              utc("2026-11-17 10:15", kolkata),    # 04:45 UTC: same UTC hour, next local one
              utc("2026-11-17 10:40", kolkata),
              utc("2026-11-16 00:10", kolkata))    # Sunday 18:40 UTC → Monday 00:10 local
    found = workload.arrivals(uow, analyst, weeks=1, now=NOW)
    assert {s: n for s, n in found[Channel.PHONE].items() if n} == {
        (TUE, 9): 1.0, (TUE, 10): 2.0, (MON, 0): 1.0}


# --- handling times ---------------------------------------------------------------------------

def test_handling_times_are_the_policy(uow, analyst):
    with pytest.raises(PermissionDenied):
        workload.average_handling_seconds(uow, add_staff(uow, "tech", Role.TECHNICIAN))
    assert workload.average_handling_seconds(uow, analyst) == {
        Channel.PHONE: 360, Channel.EMAIL: 600, Channel.WEB: 420, Channel.CHAT: 480,
        Channel.SOCIAL: 420, Channel.WALK_IN: 420}
    set_setting(uow, "staffing.aht_seconds.phone", 300)
    set_setting(uow, "staffing.aht_seconds.chat", "soon")     # unreadable: the default
    policy = workload.average_handling_seconds(uow, analyst)
    assert policy[Channel.PHONE] == 300 and policy[Channel.CHAT] == 480


# --- the rota ---------------------------------------------------------------------------------

@pytest.fixture
def rota(uow):
    people = {
        "ann": add_staff(uow, "ann", Role.AGENT),                 # Monday only
        "bob": add_staff(uow, "bob", Role.AGENT),                 # None: business hours
        "sue": add_staff(uow, "sue", Role.SUPERVISOR),            # Tuesday morning
        "both": add_staff(uow, "both", Role.AGENT, Role.SUPERVISOR),  # counted once
        "owl": add_staff(uow, "owl", Role.AGENT),                 # Sunday night
        "gone": add_staff(uow, "gone", Role.AGENT, active=False),  # not counted
        "tech": add_staff(uow, "tech", Role.TECHNICIAN),          # not counted
        "ana2": add_staff(uow, "ana2", Role.ANALYST),             # not counted
        "odd": add_staff(uow, "odd", Role.AGENT),                 # unreadable: no hours
    }
    set_hours(uow, people["ann"], {"Monday": ["09:00", "18:00"]})
    set_hours(uow, people["sue"], {"tue": ["08:30", "12:15"], "sat": None})
    set_hours(uow, people["both"], {"wed": [["08:00", "12:00"], ["13:00", "17:00"]]})
    set_hours(uow, people["owl"], {"sun": ["22:00", "06:00"]})
    set_hours(uow, people["gone"], {"mon": ["09:00", "18:00"]})
    set_hours(uow, people["odd"], {"mon": "all day", "funday": ["09:00", "10:00"],
                                   "tue": ["25:00", "26:00"], "wed": ["9", "17"]})
    return people


def test_scheduled_staff_from_working_hours(uow, analyst, rota):
    on = workload.scheduled_staff(uow, analyst)
    assert len(on) == 168
    # bob: the migrated business hours, Monday to Friday 09:00-18:00
    assert [on[(MON, h)] for h in (8, 9, 17, 18)] == [0, 2, 2, 0]       # bob + ann
    assert [on[(TUE, h)] for h in (7, 8, 9, 11, 12)] == [0, 1, 2, 2, 1]  # sue 08:30-12:15
    assert [on[(WED, h)] for h in (8, 9, 12, 13, 16, 17)] == [1, 2, 1, 2, 2, 1]
    assert on[(4, 10)] == 1 and on[(5, 10)] == 0                        # Friday, Saturday
    # owl: Sunday 22:00 into Monday 06:00
    assert [on[(SUN, 21)], on[(SUN, 22)], on[(SUN, 23)], on[(MON, 0)], on[(MON, 5)],
            on[(MON, 6)]] == [0, 1, 1, 1, 1, 0]
    assert sum(on.values()) == 45 + 9 + 4 + 8 + 8


# --- the plan ---------------------------------------------------------------------------------

def test_the_plan_sizes_each_hour_by_erlang_c(uow, analyst, history, rota):
    plan = workload.staffing_plan(uow, analyst, weeks=2, shrinkage=0.3, now=NOW)
    phone_std = DEFAULT_STANDARDS[Channel.PHONE]
    assert plan.weeks == 2 and plan.shrinkage == 0.3 and plan.timezone == "Asia/Shanghai"
    assert plan.aht_seconds[Channel.PHONE] == PHONE_AHT
    assert plan.standards == dict(DEFAULT_STANDARDS)
    assert (plan.period_start, plan.period_end) == (datetime(2026, 11, 8, 16),
                                                    datetime(2026, 11, 22, 16))
    assert [c.channel for c in plan.channels] == [Channel.PHONE, Channel.CHAT, Channel.EMAIL]

    phone = plan.channel(Channel.PHONE)
    assert len(phone.hours) == 168 and phone.workload == ()
    tuesday = next(h for h in phone.hours if (h.weekday, h.hour) == (TUE, 10))
    expected = agents_needed(40, PHONE_AHT, phone_std.target_seconds, phone_std.target_share)
    assert expected == 7          # 4 Erlangs of calls answered within 15 s for 80%
    assert tuesday.arrival_per_hour == 40 and tuesday.agents_needed == expected
    assert tuesday.staff_to_schedule == staff_to_schedule(expected, 0.3) == 10

    desk = plan.desk_hour(TUE, 10)
    assert (desk.agents_needed, desk.staff_needed, desk.scheduled) == (7, 10, 2)  # bob, sue
    assert desk.shortfall == 8 and desk in plan.shortfall

    # phone and chat are separate queues: added up, then grossed up for shrinkage once
    chat_std = DEFAULT_STANDARDS[Channel.CHAT]
    chat = agents_needed(3, 480, chat_std.target_seconds, chat_std.target_share)
    assert chat == 2 and plan.desk_hour(WED, 14).agents_needed == chat
    assert plan.desk_hour(WED, 14).staff_needed == 3 and plan.desk_hour(WED, 14).scheduled == 2
    # Monday 04:30: one call an hour needs one agent; owl is on → no shortfall
    assert plan.desk_hour(MON, 4).agents_needed == 1
    assert plan.desk_hour(MON, 4).staff_needed == 2 and plan.desk_hour(MON, 4).scheduled == 1
    # hours without contacts need nobody
    assert plan.desk_hour(SUN, 12).staff_needed == 0
    assert plan.desk_hour(MON, 9).staff_needed == 0      # e-mail only: no live queue
    assert [(d.weekday, d.hour) for d in plan.shortfall] == [
        (MON, 0), (MON, 4), (TUE, 10), (WED, 14), (SUN, 23)]

    # e-mail has no live queue: 2 per hour x 600 s = 1/3 agent-hour on Monday
    email = plan.channel(Channel.EMAIL)
    assert email.standard is None and email.hours == ()
    monday = plan.days[MON]
    assert monday.deferred_work_hours == pytest.approx(2 * 600 / 3600)
    assert monday.spare_staff_hours == sum(d.spare for d in plan.desk[:24])
    assert monday.deferred_fits

    # the page caches the plan with st.cache_data, which pickles it
    assert pickle.loads(pickle.dumps(plan)) == plan


def test_the_planner_may_try_other_handling_times(uow, analyst, history):
    plan = workload.staffing_plan(uow, analyst, weeks=2, now=NOW,
                                  aht_seconds={"phone": 180, Channel.CHAT: 240})
    assert plan.aht_seconds[Channel.PHONE] == 180 and plan.aht_seconds[Channel.CHAT] == 240
    std = DEFAULT_STANDARDS[Channel.PHONE]
    assert plan.desk_hour(TUE, 10).agents_needed == agents_needed(
        40, 180, std.target_seconds, std.target_share)
    assert plan.aht_seconds[Channel.EMAIL] == 600    # the policy where none was given
    # nobody on the rota: Monday's e-mail work has no spare hours to go into
    assert plan.days[MON].spare_staff_hours == 0 and not plan.days[MON].deferred_fits


def test_who_may_see_the_plan(uow, analyst, make_staff):
    supervisor = add_staff(uow, "sup", Role.SUPERVISOR)
    assert workload.staffing_plan(uow, supervisor, now=NOW).desk
    assert workload.staffing_plan(uow, analyst, now=NOW).desk
    for role in (Role.AGENT, Role.TECHNICIAN, Role.ADMIN):
        someone = add_staff(uow, f"x{role.value}", role)
        with pytest.raises(PermissionDenied):
            workload.staffing_plan(uow, someone, now=NOW)
        with pytest.raises(PermissionDenied):
            workload.arrivals(uow, someone, now=NOW)
        with pytest.raises(PermissionDenied):
            workload.scheduled_staff(uow, someone)


@pytest.mark.parametrize("inputs, says", [
    ({"weeks": 0}, "whole number of weeks from 1 to 26"),
    ({"weeks": 27}, "whole number of weeks from 1 to 26"),
    ({"weeks": 2.5}, "whole number of weeks"),
    ({"weeks": "8"}, "whole number of weeks"),
    ({"shrinkage": -0.1}, "Shrinkage must be from 0% to 90%"),
    ({"shrinkage": 0.95}, "Shrinkage must be from 0% to 90%"),
    ({"shrinkage": float("nan")}, "Shrinkage"),
    ({"aht_seconds": {"phone": 5}}, "handling time of Phone must be from 10 to 7200"),
    ({"aht_seconds": {"chat": 7201}}, "handling time of Online chat"),
    ({"aht_seconds": {"phone": None}}, "handling time of Phone"),
    ({"aht_seconds": {"fax": 300}}, "Unknown Channel: fax"),
])
def test_bad_inputs_are_refused_with_a_reason(uow, analyst, inputs, says):
    with pytest.raises(ValidationError) as refused:
        workload.staffing_plan(uow, analyst, now=NOW, **inputs)
    assert says in refused.value.render(lambda s: s)
