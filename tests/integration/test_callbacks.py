"""Callbacks: the rules that put them in the queue (once, at the right business time, also
when runs race each other), claiming a call, attempts and their limit, the survey and what
"not solved" does to the case, consent and tier, VIP care plans, and the figures the answers
feed. Time is frozen at a known moment so that due times can be worked out by hand."""
import threading
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from core import (aftersales, callback_rules, callbacks, care_plans, cases, complaints,
                  customers, queue, satisfaction, sla)
from core.actor import Actor
from core.errors import (ConcurrentChange, DomainError, InvalidState, NotFound,
                         PermissionDenied, ValidationError)
from core.uow import UnitOfWork
from core.vocabulary import Role
from db.models import (AfterSalesRequest, AuditEntry, CallAttempt, Callback, Case, Customer,
                       MaintenancePlan, Order, OrderLine, Product, Setting, Staff,
                       SurveyAnswer)
from tests.conftest import add_staff

SHANGHAI = ZoneInfo("Asia/Shanghai")
# every module whose services read the clock (each imported utcnow by name)
CLOCKED = ("core.aftersales", "core.callback_rules", "core.callbacks", "core.care_plans",
           "core.cases", "core.complaints", "core.customers", "core.messages", "core.queue")


def utc(local: str) -> datetime:
    """A Shanghai wall-clock time as the naive UTC the database stores."""
    return (datetime.fromisoformat(local).replace(tzinfo=SHANGHAI)
            .astimezone(ZoneInfo("UTC")).replace(tzinfo=None))


def local(stored: datetime) -> datetime:
    return stored.replace(tzinfo=ZoneInfo("UTC")).astimezone(SHANGHAI).replace(tzinfo=None)


THURSDAY = utc("2026-11-26 15:00")  # an ordinary working Thursday afternoon


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def at(self, local_time: str) -> datetime:
        self.now = utc(local_time)
        return self.now


@pytest.fixture(autouse=True)
def clock(monkeypatch) -> Clock:
    frozen = Clock(THURSDAY)
    for module in CLOCKED:
        monkeypatch.setattr(f"{module}.utcnow", frozen)
    return frozen


@pytest.fixture
def team(uow) -> dict[str, Actor]:
    return {"agent": add_staff(uow, "agent", Role.AGENT),
            "agent2": add_staff(uow, "agent2", Role.AGENT),
            "sup": add_staff(uow, "sup", Role.SUPERVISOR),
            "admin": add_staff(uow, "admin", Role.ADMIN),
            "tech": add_staff(uow, "tech", Role.TECHNICIAN),
            "analyst": add_staff(uow, "analyst", Role.ANALYST)}


_phones = iter(range(10_000_000, 99_999_999))


def add_customer(uow, name: str, tier: str = "regular", consent: bool = False,
                 merged_into: int | None = None) -> int:
    phone = f"+86138{next(_phones)}"
    with uow:
        c = Customer(name=name, phone=phone, phone_normalized=phone, tier=tier,
                     marketing_consent=consent, language="en", merged_into_id=merged_into)
        uow.session.add(c)
        uow.commit()
        return c.id


@pytest.fixture
def customer(uow) -> int:
    return add_customer(uow, "Wang Fang")


def resolved_on_the_spot(uow, actor, customer_id, **kw) -> int:
    values = dict(customer_id=customer_id, channel="phone", kind="inquiry",
                  category="delivery", subject="Where is my parcel?",
                  question="Ordered last week, nothing arrived.", answer="It ships tomorrow.",
                  resolved_now=True)
    values.update(kw)
    return cases.open_case(uow, actor, **values).case_id


def answered_case(uow, actor, customer_id, **kw) -> int:
    """A case answered at intake and left open, owned by the actor."""
    values = dict(customer_id=customer_id, channel="phone", kind="inquiry",
                  category="delivery", subject="Where is my parcel?",
                  question="Ordered last week, nothing arrived.",
                  answer="We asked the carrier.", next_step="Call with the tracking number")
    values.update(kw)
    return cases.open_case(uow, actor, **values).case_id


def case_version(uow, actor, case_id) -> int:
    return cases.get_case(uow, actor, case_id).version


def set_status(uow, actor, case_id, status, note=None) -> None:
    cases.change_status(uow, actor, case_id, status, case_version(uow, actor, case_id), note)


def rows(uow, model, *where) -> list:
    with uow.reader() as r:
        return list(r.session.scalars(sa.select(model).where(*where).order_by(model.id)))


def count(uow, model, *where) -> int:
    with uow.reader() as r:
        return r.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def get(uow, model, id_):
    with uow.reader() as r:
        return r.session.get(model, id_)


def callbacks_of(uow, customer_id, *where) -> list[Callback]:
    return rows(uow, Callback, Callback.customer_id == customer_id, *where)


def audit_rows(uow, action, entity_id=None) -> list[AuditEntry]:
    where = [AuditEntry.action == action]
    if entity_id is not None:
        where.append(AuditEntry.entity_id == str(entity_id))
    return rows(uow, AuditEntry, *where)


def audits(uow, action, entity_id=None) -> int:
    return len(audit_rows(uow, action, entity_id))


def follow_up(uow, actor, customer_id) -> tuple[int, int]:
    """(case id, follow-up callback id) of a case resolved on the spot by the actor."""
    case_id = resolved_on_the_spot(uow, actor, customer_id)
    [cb] = callbacks_of(uow, customer_id, Callback.case_id == case_id)
    return case_id, cb.id


def manual(uow, actor, customer_id, due=None, purpose="manual", topic="Promised a call back",
           **kw) -> int:
    return callbacks.schedule_callback(uow, actor, customer_id, purpose,
                                       due or THURSDAY + timedelta(hours=1), topic=topic, **kw)


def calendar(uow) -> sla.BusinessCalendar:
    with uow.reader() as r:
        return sla.load_calendar(r.session, THURSDAY)


def in_opening_hours(cal: sla.BusinessCalendar, due: datetime) -> bool:
    wall = local(due)
    return cal.is_working_day(wall.date()) and time(9) <= wall.time() < time(18)


def race(n: int, work) -> list[object]:
    """Runs work(i) on n threads released at the same moment; each outcome is "ok", the
    domain error raised, or the repr of any other failure (which the asserts then show)."""
    barrier = threading.Barrier(n)
    outcomes: list[object] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        barrier.wait()
        try:
            result: object = ("ok", work(i))
        except DomainError as e:
            result = e
        except Exception as e:  # noqa: BLE001 - any other failure must show in the assert
            result = repr(e)
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(outcomes) == n, outcomes
    return outcomes


def wins(outcomes) -> list:
    return [o[1] for o in outcomes if isinstance(o, tuple) and o[0] == "ok"]


# --- the rules: one callback, at the right business time --------------------------------------

def test_a_case_resolved_on_the_spot_gets_one_follow_up_two_business_days_later(
        uow, team, customer):
    case_id = resolved_on_the_spot(uow, team["agent"], customer)
    [cb] = callbacks_of(uow, customer)
    assert (cb.purpose, cb.case_id, cb.status, cb.claimed_by_id, cb.attempts) == \
        ("follow_up", case_id, "open", None, 0)
    # Thursday 15:00 + 2 x 9 opening hours: 3 on Thursday, 9 on Friday, 6 on Monday
    assert cb.due_at == utc("2026-11-30 15:00")
    with uow.reader() as r:
        assert cb.due_at == sla.business_days_later(r.session, THURSDAY, 2)
    assert cb.created_by_id == team["agent"].staff_id and cb.created_at == THURSDAY
    [entry] = audit_rows(uow, "callback_scheduled", cb.id)
    assert entry.new["trigger"] == "case_resolved" and entry.new["case_id"] == case_id
    assert [f.callback_id for f in cases.get_case(uow, team["agent"], case_id).follow_ups] \
        == [cb.id]


def test_resolving_again_or_running_the_rule_twice_keeps_one_follow_up(uow, team, customer,
                                                                         clock):
    agent = team["agent"]
    case_id = answered_case(uow, agent, customer)
    assert callbacks_of(uow, customer) == []      # open cases get no follow-up
    set_status(uow, agent, case_id, "resolved")
    [first] = callbacks_of(uow, customer)
    clock.at("2026-11-27 10:00")
    cases.reopen(uow, agent, case_id, case_version(uow, agent, case_id), "Parcel still missing")
    set_status(uow, agent, case_id, "resolved")
    with uow:
        case = uow.session.get(Case, case_id)
        assert callback_rules.on_case_resolved(uow, agent, case, clock.now) is None
        uow.commit()
    [cb] = callbacks_of(uow, customer)
    assert cb.id == first.id and cb.due_at == utc("2026-11-30 15:00") and cb.status == "open"
    assert audits(uow, "callback_scheduled") == 1


def test_the_delay_is_the_rules_and_public_holidays_do_not_count(uow, team, customer, clock):
    callback_rules.update_rule(uow, team["admin"], "case_resolved", True, 3)
    clock.at("2026-06-18 15:00")  # Thursday; Friday 19 June is the Dragon Boat Festival
    resolved_on_the_spot(uow, team["agent"], customer)
    [cb] = callbacks_of(uow, customer)
    # 27 opening hours: 3 on Thursday, 9 on Monday 22, 9 on Tuesday 23, 6 on Wednesday 24
    assert cb.due_at == utc("2026-06-24 15:00")


def test_a_switched_off_rule_schedules_nothing(uow, team, customer):
    callback_rules.update_rule(uow, team["admin"], "case_resolved", False, 2)
    [changed] = audit_rows(uow, "callback_rule_changed")
    assert (changed.old, changed.new) == ({"enabled": True}, {"enabled": False})
    resolved_on_the_spot(uow, team["agent"], customer)
    assert callbacks_of(uow, customer) == []
    assert audits(uow, "callback_scheduled") == 0


def delivered_line(uow, customer_id, when: datetime) -> int:
    with uow:
        kettle = Product(sku=f"K-{customer_id}", name="Kettle", category="appliance",
                         price_cents=100_000)
        uow.session.add(kettle)
        uow.session.flush()
        order = Order(order_number=f"CD{customer_id}", customer_id=customer_id, channel="phone",
                      state="delivered", ordered_at=when - timedelta(days=4),
                      delivered_at=when - timedelta(days=2), delivery_address="1 Nanjing Rd")
        order.lines = [OrderLine(product_id=kettle.id, quantity=1, unit_price_cents=100_000,
                                 paid_cents=100_000)]
        uow.session.add(order)
        uow.commit()
        return order.lines[0].id


def small_return(uow, actor, line_id, case_id=None) -> int:
    """Inside the return window and under the approval threshold: completed at once."""
    rid = aftersales.open_request(uow, actor, order_line_id=line_id, kind="return",
                                  reason="Changed my mind", condition="as_new",
                                  proof_of_purchase=True, refund_cents=10_000, case_id=case_id)
    assert get(uow, AfterSalesRequest, rid).status == "completed"
    return rid


def test_a_completed_after_sales_request_gets_one_follow_up(uow, team, customer):
    line = delivered_line(uow, customer, THURSDAY)
    rid = small_return(uow, team["agent"], line)
    [cb] = callbacks_of(uow, customer)
    assert (cb.purpose, cb.request_id, cb.case_id) == ("after_sales_follow_up", rid, None)
    assert cb.due_at == utc("2026-11-30 15:00")
    small_return(uow, team["agent"], line)      # a second one while the first call is open
    assert len(callbacks_of(uow, customer)) == 1
    assert audits(uow, "callback_scheduled") == 1


def test_resolving_a_case_whose_after_sales_follow_up_is_open_adds_no_second_call(
        uow, team, customer):
    agent = team["agent"]
    case_id = answered_case(uow, agent, customer, category="after_sales",
                            subject="Wants to return the kettle")
    rid = small_return(uow, agent, delivered_line(uow, customer, THURSDAY), case_id=case_id)
    set_status(uow, agent, case_id, "resolved")
    [cb] = callbacks_of(uow, customer)
    assert (cb.purpose, cb.request_id, cb.case_id) == ("after_sales_follow_up", rid, case_id)
    assert audits(uow, "callback_scheduled") == 1


def test_an_after_sales_request_completed_after_its_case_was_resolved_adds_no_second_call(
        uow, team, customer):
    agent = team["agent"]
    case_id = answered_case(uow, agent, customer, category="after_sales",
                            subject="Wants to return the kettle")
    set_status(uow, agent, case_id, "resolved")
    small_return(uow, agent, delivered_line(uow, customer, THURSDAY), case_id=case_id)
    [cb] = callbacks_of(uow, customer)
    assert (cb.purpose, cb.case_id) == ("follow_up", case_id)


def test_a_manual_call_about_the_case_does_not_replace_its_follow_up(uow, team, customer):
    """The promised call back takes no survey: resolving the case still books the follow-up
    that asks whether the problem is solved."""
    agent = team["agent"]
    case_id = answered_case(uow, agent, customer)
    promised = manual(uow, agent, customer, case_id=case_id,
                      topic="Call with the tracking number")
    assert not callbacks.get_callback(uow, agent, promised).asks_survey
    set_status(uow, agent, case_id, "resolved")
    assert [(c.purpose, c.case_id) for c in callbacks_of(uow, customer)] == \
        [("manual", case_id), ("follow_up", case_id)]
    follow = callbacks_of(uow, customer, Callback.purpose == "follow_up")[0]
    assert callbacks.get_callback(uow, agent, follow.id).asks_solved


# --- periodic care calls ----------------------------------------------------------------------

@pytest.fixture
def vips(uow) -> list[int]:
    """Six VIP customers without a care call, plus a regular one, a merged VIP and a VIP whose
    care call is already in the queue."""
    ids = [add_customer(uow, f"VIP {i}", tier="vip") for i in range(6)]
    add_customer(uow, "Regular Ren")
    add_customer(uow, "Old VIP record", tier="vip", merged_into=ids[0])
    covered = add_customer(uow, "VIP already booked", tier="vip")
    with uow:
        uow.session.add(Callback(customer_id=covered, purpose="vip_care",
                                 due_at=utc("2026-12-03 10:00"), created_at=THURSDAY))
        uow.commit()
    return ids


def test_run_periodic_gives_each_vip_one_care_call_spread_in_opening_hours(uow, vips):
    assert callback_rules.run_periodic(uow) == {"vip_periodic": 6}
    calls = rows(uow, Callback, Callback.purpose == "vip_care", Callback.status == "open")
    assert len(calls) == 7                       # the six, and the one booked before
    new = [c for c in calls if c.customer_id in vips]
    assert sorted(c.customer_id for c in new) == vips
    cal = calendar(uow)
    for c in new:
        assert c.due_at >= THURSDAY, "never in the past"
        assert c.due_at <= THURSDAY + timedelta(days=30 + 4), "within the period"
        assert in_opening_hours(cal, c.due_at), local(c.due_at)
        # spread by customer: id % 30 days ahead, then the next opening time
        assert local(c.due_at).date() >= (local(THURSDAY) + timedelta(days=c.customer_id % 30)
                                          ).date()
    assert len({c.due_at for c in new}) > 1, "not the whole tier on one day"
    booked = [c for c in calls if c.customer_id not in vips]
    assert [c.due_at for c in booked] == [utc("2026-12-03 10:00")]   # left as it was

    assert callback_rules.run_periodic(uow) == {}   # a second run finds nothing to do
    assert count(uow, Callback) == 7
    [entry] = audit_rows(uow, "care_calls_scheduled")
    assert entry.new["count"] == 6
    assert count(uow, Callback, Callback.purpose == "regular_care") == 0  # off by default


def test_eight_concurrent_periodic_runs_schedule_one_care_call_per_vip(engine, uow, vips):
    outcomes = race(8, lambda _: callback_rules.run_periodic(UnitOfWork(engine)))
    results = wins(outcomes)
    assert len(results) == 8, outcomes
    assert sum(r.get("vip_periodic", 0) for r in results) == len(vips)
    with uow.reader() as r:
        per_customer = dict(r.session.execute(
            sa.select(Callback.customer_id, sa.func.count()).where(
                Callback.purpose == "vip_care", Callback.status == "open")
            .group_by(Callback.customer_id)).all())
    assert set(per_customer.values()) == {1}
    assert set(vips) <= set(per_customer) and len(per_customer) == len(vips) + 1
    assert audits(uow, "care_calls_scheduled") == sum(1 for r in results if r)


def test_switching_regular_care_on_schedules_at_once_and_a_disabled_vip_rule_none(
        uow, team, vips):
    admin = team["admin"]
    callback_rules.update_rule(uow, admin, "vip_periodic", False, 30)
    assert callback_rules.run_periodic(uow) == {}
    assert count(uow, Callback, Callback.purpose == "vip_care") == 1   # only the booked one
    assert callback_rules.preview(uow, admin, "regular_periodic") == 1
    assert callback_rules.preview(uow, admin, "case_resolved") == 0
    assert callback_rules.update_rule(uow, admin, "regular_periodic", True, 180) == \
        {"regular_periodic": 1}
    assert count(uow, Callback, Callback.purpose == "regular_care") == 1
    assert callback_rules.preview(uow, admin, "regular_periodic") == 0


def test_eight_concurrent_manual_schedules_make_one_callback(engine, uow, team, customer):
    agents = [add_staff(uow, f"a{i}", Role.AGENT) for i in range(8)]
    outcomes = race(8, lambda i: manual(UnitOfWork(engine), agents[i], customer))
    assert len(wins(outcomes)) == 1, outcomes
    refused = [o for o in outcomes if not isinstance(o, tuple)]
    assert len(refused) == 7 and all(isinstance(o, InvalidState) for o in refused), outcomes
    assert all("already has an open callback of this kind" in str(o) for o in refused)
    [cb] = callbacks_of(uow, customer)
    assert cb.id == wins(outcomes)[0] and cb.purpose == "manual"
    assert audits(uow, "callback_scheduled") == 1


# --- claiming ---------------------------------------------------------------------------------

def test_ten_agents_claiming_the_same_callback_one_wins(engine, uow, team, customer):
    cb_id = manual(uow, team["agent"], customer)
    agents = [add_staff(uow, f"c{i}", Role.AGENT) for i in range(10)]
    outcomes = race(10, lambda i: callbacks.claim(UnitOfWork(engine), agents[i], cb_id) or
                    agents[i].staff_id)
    winners = wins(outcomes)
    assert len(winners) == 1, outcomes
    winner = winners[0]
    losers = [o for o in outcomes if not isinstance(o, tuple)]
    assert len(losers) == 9 and all(isinstance(o, InvalidState) for o in losers), outcomes
    cb = get(uow, Callback, cb_id)
    assert cb.claimed_by_id == winner and cb.version == 2
    assert [e.new for e in audit_rows(uow, "callback_claimed", cb_id)] == \
        [{"claimed_by_id": winner}]


def test_a_claimed_call_is_worked_only_by_its_claimer_until_released(uow, team, customer):
    agent, agent2, sup = team["agent"], team["agent2"], team["sup"]
    cb_id = manual(uow, agent, customer)
    callbacks.claim(uow, agent, cb_id)
    callbacks.claim(uow, agent, cb_id)          # one's own again: nothing happens
    assert audits(uow, "callback_claimed", cb_id) == 1
    later = THURSDAY + timedelta(days=1)
    for attempt in (lambda: callbacks.log_attempt(uow, agent2, cb_id, "no_answer"),
                    lambda: callbacks.claim(uow, agent2, cb_id),
                    lambda: callbacks.reschedule(uow, agent2, cb_id, later),
                    lambda: callbacks.cancel_callback(uow, agent2, cb_id, "Not needed")):
        with pytest.raises(InvalidState, match="Agent is already making this call"):
            attempt()
    assert count(uow, CallAttempt) == 0
    cb = get(uow, Callback, cb_id)
    assert (cb.status, cb.claimed_by_id, cb.due_at) == \
        ("open", agent.staff_id, THURSDAY + timedelta(hours=1))

    with pytest.raises(PermissionDenied):       # an agent does not free a colleague's call
        callbacks.release(uow, agent2, cb_id)
    callbacks.release(uow, sup, cb_id)          # a supervisor does
    assert get(uow, Callback, cb_id).claimed_by_id is None
    callbacks.claim(uow, agent2, cb_id)
    callbacks.release(uow, agent2, cb_id)       # and anyone their own
    assert get(uow, Callback, cb_id).claimed_by_id is None
    assert [e.actor_id for e in audit_rows(uow, "callback_released", cb_id)] == \
        [sup.staff_id, agent2.staff_id]


def test_the_queue_buckets_scopes_and_vips_first_within_a_day(uow, team, clock):
    agent, agent2 = team["agent"], team["agent2"]
    overdue_c = add_customer(uow, "Overdue Ou")
    clock.at("2026-11-25 10:00")
    overdue = manual(uow, agent, overdue_c, due=utc("2026-11-25 11:00"))
    clock.now = THURSDAY
    regular = manual(uow, agent, add_customer(uow, "Regular Ren"), due=utc("2026-11-26 16:00"))
    vip = manual(uow, agent, add_customer(uow, "Vip Wei", tier="vip"),
                 due=utc("2026-11-26 17:00"))
    upcoming = manual(uow, agent, add_customer(uow, "Later Li"), due=utc("2026-11-27 10:00"))
    callbacks.claim(uow, agent2, regular)

    today = callbacks.callback_queue(uow, agent, "team", "today")
    assert [r.id for r in today.rows] == [vip, regular]    # the VIP first, though due later
    assert today.counts == {"overdue": 1, "today": 2, "upcoming": 1}
    assert [r.id for r in callbacks.callback_queue(uow, agent, "team", "overdue").rows] == \
        [overdue]
    assert [r.id for r in callbacks.callback_queue(uow, agent, "team", "upcoming").rows] == \
        [upcoming]
    mine = callbacks.callback_queue(uow, agent2, "mine", "today")
    assert [r.id for r in mine.rows] == [regular] and mine.rows[0].claimed_by == "Agent2"
    assert mine.counts == {"overdue": 0, "today": 1, "upcoming": 0}
    assert [r.id for r in callbacks.callback_queue(uow, agent, "unclaimed", "today").rows] == \
        [vip]
    with pytest.raises(ValidationError):
        callbacks.callback_queue(uow, agent, "everyone", "today")


def test_a_vip_due_today_is_never_cut_off_a_long_list(uow, team):
    agent = team["agent"]
    early = [manual(uow, agent, add_customer(uow, f"Early {i}"),
                    due=utc(f"2026-11-26 15:{10 + i}")) for i in range(3)]
    vip = manual(uow, agent, add_customer(uow, "Late Vip", tier="vip"),
                 due=utc("2026-11-26 17:30"))
    # the list shows two: the VIP is one of them, though three others are due before it
    shown = callbacks.callback_queue(uow, agent, "team", "today", limit=2)
    assert [r.id for r in shown.rows] == [vip, early[0]] and shown.counts["today"] == 4


# --- attempts ---------------------------------------------------------------------------------

def test_two_unanswered_calls_retry_later_and_the_third_closes_it_unreachable(
        uow, team, customer, clock):
    agent = team["agent"]
    _, cb_id = follow_up(uow, agent, customer)
    first = callbacks.log_attempt(uow, agent, cb_id, "no_answer")
    # tried again two opening hours later
    assert (first.status, first.unanswered, first.due_at) == \
        ("open", 1, utc("2026-11-26 17:00"))
    assert get(uow, Callback, cb_id).claimed_by_id == agent.staff_id  # claimed on the way
    clock.at("2026-11-26 17:30")
    second = callbacks.log_attempt(uow, agent, cb_id, "no_answer", note="Voicemail")
    # half an hour on Thursday, an hour and a half on Friday
    assert (second.status, second.unanswered, second.due_at) == \
        ("open", 2, utc("2026-11-27 10:30"))
    clock.at("2026-11-27 10:30")
    third = callbacks.log_attempt(uow, agent, cb_id, "no_answer")
    assert (third.status, third.unanswered, third.due_at) == ("unreachable", 3, None)
    cb = get(uow, Callback, cb_id)
    assert (cb.status, cb.attempts, cb.closed_at) == ("unreachable", 3, clock.now)
    with pytest.raises(InvalidState, match="nothing more to do"):
        callbacks.log_attempt(uow, agent, cb_id, "no_answer")
    assert count(uow, CallAttempt) == 3 and count(uow, SurveyAnswer) == 0
    assert [e.new["status"] for e in audit_rows(uow, "call_attempt_logged", cb_id)] == \
        ["open", "open", "unreachable"]
    detail = callbacks.get_callback(uow, agent, cb_id)
    assert [a.outcome for a in detail.attempts] == ["no_answer"] * 3
    assert detail.attempts[1].note == "Voicemail" and detail.unanswered == 3


def test_the_attempt_limit_is_the_admins_setting(uow, team, clock):
    admin, agent = team["admin"], team["agent"]
    for bad in (0, 11, True, "2", 2.0):
        with pytest.raises(ValidationError):
            callback_rules.set_max_attempts(uow, admin, bad)
    with pytest.raises(PermissionDenied):
        callback_rules.set_max_attempts(uow, agent, 2)
    callback_rules.set_max_attempts(uow, admin, 2)
    assert callback_rules.rules(uow, admin)[1] == 2
    [entry] = audit_rows(uow, "setting_changed", "callbacks.max_attempts")
    assert (entry.old, entry.new) == ({"value": 3}, {"value": 2})
    two = manual(uow, agent, add_customer(uow, "Two Tries"))
    assert callbacks.log_attempt(uow, agent, two, "no_answer").status == "open"
    assert callbacks.log_attempt(uow, agent, two, "no_answer").status == "unreachable"

    callback_rules.set_max_attempts(uow, admin, 5)
    five = manual(uow, agent, add_customer(uow, "Five Tries"))
    for _ in range(4):
        assert callbacks.log_attempt(uow, agent, five, "no_answer").status == "open"
    assert callbacks.get_callback(uow, agent, five).max_attempts == 5
    assert callbacks.log_attempt(uow, agent, five, "no_answer").status == "unreachable"


def test_a_wrong_number_closes_it_at_once(uow, team, customer):
    _, cb_id = follow_up(uow, team["agent"], customer)
    result = callbacks.log_attempt(uow, team["agent"], cb_id, "wrong_number")
    assert (result.status, result.unanswered) == ("unreachable", 0)
    assert get(uow, Callback, cb_id).closed_at == THURSDAY


def test_call_back_later_needs_a_future_time_and_moves_the_due_time(uow, team, customer):
    agent = team["agent"]
    _, cb_id = follow_up(uow, agent, customer)
    for when in (None, THURSDAY - timedelta(minutes=1), THURSDAY,
                 THURSDAY + timedelta(days=61)):
        with pytest.raises(ValidationError):
            callbacks.log_attempt(uow, agent, cb_id, "call_back_later", call_back_at=when)
    assert count(uow, CallAttempt) == 0
    tomorrow = utc("2026-11-27 11:00")
    result = callbacks.log_attempt(uow, agent, cb_id, "call_back_later", call_back_at=tomorrow,
                                   note="Driving, call tomorrow at eleven")
    assert (result.status, result.unanswered, result.due_at) == ("open", 0, tomorrow)
    cb = get(uow, Callback, cb_id)
    assert (cb.due_at, cb.attempts, cb.status) == (tomorrow, 1, "open")
    [attempt] = rows(uow, CallAttempt)
    assert attempt.call_back_at == tomorrow


def test_declined_closes_it_done_without_a_survey(uow, team, customer):
    case_id, cb_id = follow_up(uow, team["agent"], customer)
    result = callbacks.log_attempt(uow, team["agent"], cb_id, "declined", satisfaction=5,
                                   problem_solved=True)
    assert (result.status, result.survey_id) == ("done", None)
    assert count(uow, SurveyAnswer) == 0
    assert cases.get_case(uow, team["agent"], case_id).status == "resolved"


@pytest.mark.parametrize("survey", [
    {},                                                        # nothing asked
    dict(problem_solved=True),                                 # no score
    dict(satisfaction=4),                                      # solved not asked
    dict(satisfaction=0, problem_solved=True),
    dict(satisfaction=6, problem_solved=True),
    dict(satisfaction=2.5, problem_solved=True),
    dict(satisfaction=True, problem_solved=True),
    dict(satisfaction="4", problem_solved=True),
    dict(satisfaction=4, problem_solved=True, nps=11),
    dict(satisfaction=4, problem_solved=True, nps=-1),
    dict(satisfaction=4, problem_solved=True, nps=7.5),
    dict(satisfaction=4, problem_solved=True, comment="x" * 2001),
])
def test_reaching_a_follow_up_needs_the_survey_and_bad_answers_write_nothing(
        uow, team, customer, survey):
    case_id, cb_id = follow_up(uow, team["agent"], customer)
    with pytest.raises(ValidationError):
        callbacks.log_attempt(uow, team["agent2"], cb_id, "reached", **survey)
    cb = get(uow, Callback, cb_id)
    assert (cb.status, cb.attempts, cb.claimed_by_id, cb.version) == ("open", 0, None, 1)
    assert count(uow, CallAttempt) == 0 and count(uow, SurveyAnswer) == 0
    assert audits(uow, "call_attempt_logged") == 0 and audits(uow, "survey_recorded") == 0
    assert cases.get_case(uow, team["agent"], case_id).status == "resolved"


@pytest.mark.parametrize("score, nps", [(1, 0), (5, 10), (3, None)])
def test_reached_and_solved_records_the_survey_for_the_case_and_its_handler(
        uow, team, customer, score, nps):
    agent, agent2 = team["agent"], team["agent2"]
    case_id, cb_id = follow_up(uow, agent, customer)
    result = callbacks.log_attempt(uow, agent2, cb_id, "reached", satisfaction=score,
                                   problem_solved=True, nps=nps, comment="All good now")
    assert (result.status, result.reopened_case_id, result.new_case_id) == ("done", None, None)
    [answer] = rows(uow, SurveyAnswer)
    assert answer.id == result.survey_id
    assert (answer.customer_id, answer.case_id, answer.callback_id) == (customer, case_id, cb_id)
    assert (answer.handled_by_id, answer.surveyed_by_id) == (agent.staff_id, agent2.staff_id)
    assert (answer.satisfaction, answer.problem_solved, answer.nps, answer.comment) == \
        (score, True, nps, "All good now")
    case = cases.get_case(uow, agent, case_id)
    assert (case.status, case.escalated, case.reopen_count) == ("resolved", False, 0)
    assert case.follow_ups[0].survey.satisfaction == score
    assert callbacks.get_callback(uow, agent, cb_id).survey.id == answer.id
    assert audit_rows(uow, "survey_recorded", cb_id)[0].new["satisfaction"] == score


# --- "not solved" -----------------------------------------------------------------------------

def test_not_solved_reopens_a_resolved_case_escalated_in_its_owners_queue(uow, team, customer,
                                                                           clock):
    agent, agent2 = team["agent"], team["agent2"]
    case_id, cb_id = follow_up(uow, agent, customer)
    clock.at("2026-11-30 15:00")
    result = callbacks.log_attempt(uow, agent2, cb_id, "reached", satisfaction=2,
                                   problem_solved=False, comment="The parcel never came.")
    assert (result.status, result.reopened_case_id, result.new_case_id) == \
        ("done", case_id, None)
    case = cases.get_case(uow, agent, case_id)
    assert (case.status, case.escalated, case.reopen_count, case.owner_id) == \
        ("open", True, 1, agent.staff_id)
    assert case.resolved_at is None and not case.first_contact_resolution
    escalation = [e for e in case.timeline if e.kind == "escalation"]
    assert len(escalation) == 1 and "not solved" in escalation[0].body
    assert "The parcel never came." in escalation[0].body
    [answer] = rows(uow, SurveyAnswer)
    assert (answer.case_id, answer.callback_id, answer.problem_solved, answer.satisfaction) == \
        (case_id, cb_id, False, 2)
    assert case.follow_ups[0].survey.problem_solved is False
    mine = queue.case_queue(uow, agent, scope="mine")
    assert [(r.id, r.escalated, r.status) for r in mine.rows] == [(case_id, True, "open")]
    [escalated] = audit_rows(uow, "case_escalated", case_id)
    assert escalated.new == {"reason": "follow_up_not_solved", "callback_id": cb_id}
    assert audit_rows(uow, "case_status_changed", case_id)[-1].new == {"status": "open"}
    # the reopened case is not resolved: no new follow-up until it is
    assert callbacks_of(uow, customer, Callback.status == "open") == []


def test_not_solved_on_a_closed_case_opens_a_new_case_linked_to_it(uow, team, customer, clock):
    agent, agent2 = team["agent"], team["agent2"]
    case_id, cb_id = follow_up(uow, agent, customer)
    set_status(uow, agent, case_id, "closed")
    result = callbacks.log_attempt(uow, agent2, cb_id, "reached", satisfaction=1,
                                   problem_solved=False, comment="Still nothing arrived.")
    new_id = result.new_case_id
    assert new_id not in (None, case_id) and result.reopened_case_id == new_id
    old = cases.get_case(uow, agent, case_id)
    assert (old.status, old.reopen_count, old.continued_in) == ("closed", 0, [new_id])
    new = cases.get_case(uow, agent, new_id)
    assert (new.parent_case_id, new.status, new.escalated, new.owner_id, new.customer_id) == \
        (case_id, "open", True, agent.staff_id, customer)
    assert (new.kind, new.category, new.subject, new.question) == \
        ("inquiry", "delivery", "Where is my parcel?", "Still nothing arrived.")
    # the call that heard the customer is the new case's first response: not breached at once
    assert (new.first_response_at, new.first_response_state) == (clock.now, "met")
    [answer] = rows(uow, SurveyAnswer)
    assert (answer.case_id, answer.handled_by_id) == (case_id, agent.staff_id)
    [created] = audit_rows(uow, "case_created", new_id)
    assert created.new["parent_case_id"] == case_id
    assert audits(uow, "case_escalated", new_id) == 1
    assert [r.id for r in queue.case_queue(uow, agent, scope="mine").rows] == [new_id]


def test_not_solved_on_a_closed_complaint_opens_a_new_complaint(uow, team, customer):
    agent, agent2 = team["agent"], team["agent2"]
    case_id = cases.open_case(uow, agent, customer_id=customer, channel="email",
                              kind="complaint", category="complaint",
                              subject="Kettle cracked on arrival",
                              question="The kettle I received was cracked.",
                              next_step="Investigate").case_id
    complaint_id = complaints.complaint_id_of_case(uow, agent, case_id)
    complaints.set_root_cause(uow, agent, complaint_id, "delivery_damage",
                              responsible_department="logistics")
    complaints.reply_to_customer(uow, agent, complaint_id, "phone", "Replacement sent.")
    complaints.close_complaint(uow, agent, complaint_id)
    [cb] = callbacks_of(uow, customer)         # closing resolved it first: the follow-up
    assert (cb.purpose, cb.case_id) == ("follow_up", case_id)
    result = callbacks.log_attempt(uow, agent2, cb.id, "reached", satisfaction=1,
                                   problem_solved=False, comment="The new one is cracked too.")
    new = cases.get_case(uow, agent, result.new_case_id)
    assert (new.kind, new.parent_case_id, new.escalated, new.owner_id) == \
        ("complaint", case_id, True, agent.staff_id)
    assert complaints.complaint_id_of_case(uow, agent, new.id) is not None
    assert get(uow, Case, case_id).status == "closed"


def test_not_solved_goes_to_an_active_agent_when_the_owner_has_left(uow, team, customer):
    agent, agent2 = team["agent"], team["agent2"]
    case_id, cb_id = follow_up(uow, agent, customer)
    with uow:
        uow.session.execute(sa.update(Staff).where(Staff.id == agent.staff_id)
                            .values(active=False))
        uow.commit()
    callbacks.log_attempt(uow, agent2, cb_id, "reached", satisfaction=2, problem_solved=False)
    case = get(uow, Case, case_id)
    assert (case.status, case.escalated, case.owner_id) == ("open", True, agent2.staff_id)
    [moved] = audit_rows(uow, "case_assigned", case_id)
    assert (moved.old, moved.new) == ({"owner_id": agent.staff_id}, {"owner_id": agent2.staff_id})


def test_not_solved_waits_unassigned_when_automatic_assignment_is_off(uow, team, customer):
    agent, agent2 = team["agent"], team["agent2"]
    case_id, cb_id = follow_up(uow, agent, customer)
    with uow:
        uow.session.execute(sa.update(Staff).where(Staff.id == agent.staff_id)
                            .values(active=False))
        uow.session.get(Setting, "cases.auto_assign").value = False
        uow.commit()
    callbacks.log_attempt(uow, agent2, cb_id, "reached", satisfaction=2, problem_solved=False)
    case = get(uow, Case, case_id)
    assert (case.status, case.escalated, case.owner_id) == ("open", True, None)


# --- consent and tier -------------------------------------------------------------------------

def test_marketing_only_with_consent_and_withdrawing_it_cancels_the_call(uow, team, clock):
    agent = team["agent"]
    refuses = add_customer(uow, "No Ads Niu")
    with pytest.raises(InvalidState, match="has not agreed to marketing calls"):
        manual(uow, agent, refuses, purpose="marketing", topic="New kettle range")
    assert callbacks_of(uow, refuses) == []

    agrees = add_customer(uow, "Deal Deng", consent=True)
    promo = manual(uow, agent, agrees, purpose="marketing", topic="New kettle range")
    other = manual(uow, agent, agrees, topic="Confirm the delivery address")
    version = get(uow, Customer, agrees).version
    clock.at("2026-11-26 16:00")
    customers.update_customer(uow, agent, agrees, version, marketing_consent=False)
    promo_cb, other_cb = get(uow, Callback, promo), get(uow, Callback, other)
    assert (promo_cb.status, promo_cb.closed_at) == ("cancelled", clock.now)
    assert other_cb.status == "open"
    [cancelled] = audit_rows(uow, "callback_cancelled", promo)
    assert cancelled.new == {"status": "cancelled", "reason": "consent_withdrawn"}
    with pytest.raises(InvalidState):
        manual(uow, agent, agrees, purpose="marketing", topic="Another try")


def test_a_marketing_call_is_not_made_once_consent_is_gone(uow, team):
    agent = team["agent"]
    agrees = add_customer(uow, "Deal Deng", consent=True)
    promo = manual(uow, agent, agrees, purpose="marketing", topic="New kettle range")
    with uow:  # withdrawn by another route (an import), without the change hook
        uow.session.execute(sa.update(Customer).where(Customer.id == agrees)
                            .values(marketing_consent=False))
        uow.commit()
    for attempt in (lambda: callbacks.claim(uow, agent, promo),
                    lambda: callbacks.log_attempt(uow, agent, promo, "reached")):
        with pytest.raises(InvalidState, match="not agreed to marketing calls"):
            attempt()
    assert count(uow, CallAttempt) == 0


def test_a_vip_who_becomes_regular_loses_the_open_vip_care_call(uow, team):
    agent = team["agent"]
    vip = add_customer(uow, "Vip Wei", tier="vip")
    callback_rules.run_periodic(uow)
    [care] = callbacks_of(uow, vip)
    other = manual(uow, agent, vip)
    customers.update_customer(uow, agent, vip, get(uow, Customer, vip).version, tier="regular")
    assert get(uow, Callback, care.id).status == "cancelled"
    assert get(uow, Callback, other).status == "open"
    assert audit_rows(uow, "callback_cancelled", care.id)[0].new["reason"] == "tier_changed"
    assert callback_rules.run_periodic(uow) == {}     # regular care is off, VIP care no more
    assert len(callbacks_of(uow, vip, Callback.status == "open")) == 1


def test_a_regular_customer_made_vip_swaps_the_regular_care_call_for_a_vip_one(uow, team):
    agent, admin = team["agent"], team["admin"]
    loyal = add_customer(uow, "Loyal Lu")
    callback_rules.update_rule(uow, admin, "regular_periodic", True, 180)
    [regular] = callbacks_of(uow, loyal)
    assert regular.purpose == "regular_care"
    customers.update_customer(uow, agent, loyal, get(uow, Customer, loyal).version, tier="vip")
    assert get(uow, Callback, regular.id).status == "cancelled"
    assert callback_rules.run_periodic(uow) == {"vip_periodic": 1}
    assert [c.purpose for c in callbacks_of(uow, loyal, Callback.status == "open")] == \
        ["vip_care"]


def test_a_merge_that_makes_the_kept_customer_vip_swaps_its_care_call(uow, team):
    admin, sup = team["admin"], team["sup"]
    callback_rules.update_rule(uow, admin, "regular_periodic", True, 180)
    kept = add_customer(uow, "Kept Kong")
    duplicate = add_customer(uow, "Kept Kong VIP", tier="vip")
    callback_rules.run_periodic(uow)
    [regular] = callbacks_of(uow, kept, Callback.status == "open")
    customers.merge_customers(uow, sup, kept, duplicate)
    assert get(uow, Customer, kept).tier == "vip"
    assert get(uow, Callback, regular.id).status == "cancelled"
    assert [c.purpose for c in callbacks_of(uow, kept, Callback.status == "open")] == \
        ["vip_care"]


# --- VIP care ---------------------------------------------------------------------------------

def test_a_check_added_before_the_care_call_brings_the_call_forward(uow, team, clock):
    agent = team["agent"]
    vip = add_customer(uow, "Vip Wei", tier="vip")
    callback_rules.run_periodic(uow)
    [care] = callbacks_of(uow, vip)
    with uow:
        uow.session.get(Callback, care.id).due_at = utc("2026-12-07 10:00")
        uow.commit()
    care_plans.add_plan(uow, agent, vip, "Descale the coffee machine", 90,
                        first_due_on=date(2026, 11, 30))
    # Monday 30 November, when the shop opens
    assert local(get(uow, Callback, care.id).due_at) == datetime(2026, 11, 30, 9, 0)
    care_plans.add_plan(uow, agent, vip, "Replace the water filter", 365,
                        first_due_on=date(2027, 6, 1))
    assert local(get(uow, Callback, care.id).due_at) == datetime(2026, 11, 30, 9, 0)
    assert audits(uow, "callback_rescheduled", care.id) == 1


def test_a_reached_care_call_moves_due_plan_checks_and_books_the_next_call(uow, team):
    agent = team["agent"]
    vip = add_customer(uow, "Vip Wei", tier="vip")
    soon = care_plans.add_plan(uow, agent, vip, "Descale the coffee machine", 90,
                               first_due_on=date(2026, 12, 1))
    later = care_plans.add_plan(uow, agent, vip, "Replace the water filter", 365,
                                first_due_on=date(2027, 6, 1))
    callback_rules.run_periodic(uow)
    [care] = callbacks_of(uow, vip)
    # due no later than the first check: Tuesday 1 December when the shop opens
    assert THURSDAY <= care.due_at <= utc("2026-12-01 09:00")
    assert in_opening_hours(calendar(uow), care.due_at)
    detail = callbacks.get_callback(uow, agent, care.id)
    assert [p.id for p in detail.care_plans] == [soon, later]
    assert detail.asks_survey and not detail.asks_solved

    with pytest.raises(ValidationError):        # a care call asks for the score too
        callbacks.log_attempt(uow, agent, care.id, "reached")
    result = callbacks.log_attempt(uow, agent, care.id, "reached", satisfaction=4, nps=9)
    assert result.status == "done"
    [answer] = rows(uow, SurveyAnswer)
    assert (answer.case_id, answer.handled_by_id, answer.callback_id) == (None, None, care.id)
    assert get(uow, MaintenancePlan, soon).next_due_on == date(2027, 3, 1)   # + 90 days
    assert get(uow, MaintenancePlan, later).next_due_on == date(2027, 6, 1)  # not due yet
    [checked] = audit_rows(uow, "care_plan_checked", vip)
    assert checked.new == {"plan_id": soon, "next_due_on": "2027-03-01"}
    [nxt] = callbacks_of(uow, vip, Callback.status == "open")
    # 30 days after the call is Saturday 26 December 15:00: Monday's opening instead
    assert (nxt.purpose, nxt.due_at) == ("vip_care", utc("2026-12-28 09:00"))


def test_a_care_call_not_reached_is_not_replaced_by_one_due_at_once(uow, team, clock):
    """A check that is due pulls the first care call forward; once a call about it ended
    without reaching the customer (or was cancelled), the next one comes a period later, not
    straight back into today's queue."""
    agent = team["agent"]
    vip = add_customer(uow, "Vip Wei", tier="vip")
    plan = care_plans.add_plan(uow, agent, vip, "Descale the coffee machine", 90,
                               first_due_on=date(2026, 11, 26))
    callback_rules.run_periodic(uow)
    [first] = callbacks_of(uow, vip)
    assert first.due_at == THURSDAY                   # the check is due today: call now
    callbacks.log_attempt(uow, agent, first.id, "wrong_number")
    [second] = callbacks_of(uow, vip, Callback.status == "open")
    assert second.due_at == utc("2026-12-28 09:00")
    assert get(uow, MaintenancePlan, plan).next_due_on == date(2026, 11, 26)  # not done
    callbacks.cancel_callback(uow, agent, second.id, "Customer abroad this month")
    [third] = callbacks_of(uow, vip, Callback.status == "open")
    assert third.due_at == utc("2026-12-28 09:00")
    # a check still ahead keeps pulling the next call forward
    care_plans.add_plan(uow, agent, vip, "Replace the water filter", 180,
                        first_due_on=date(2026, 12, 10))
    callbacks.cancel_callback(uow, agent, third.id, "Booked twice")
    [fourth] = callbacks_of(uow, vip, Callback.status == "open")
    assert fourth.due_at == utc("2026-12-10 09:00")


def test_care_plan_dates_are_the_shops_days(uow, team, customer, clock):
    agent = team["agent"]
    vip = add_customer(uow, "Vip Wei", tier="vip")
    with pytest.raises(InvalidState, match="Care plans are for VIP customers"):
        care_plans.add_plan(uow, agent, customer, "Descale", 90)
    # 07:00 on Tuesday 1 December in the shop is still Monday 30 November in UTC
    clock.at("2026-12-01 07:00")
    with pytest.raises(ValidationError, match="cannot be in the past"):
        care_plans.add_plan(uow, agent, vip, "Descale", 90, first_due_on=date(2026, 11, 30))
    plan = care_plans.add_plan(uow, agent, vip, "Descale", 90)
    assert get(uow, MaintenancePlan, plan).next_due_on == date(2027, 3, 1)   # 1 Dec + 90 days
    today = care_plans.add_plan(uow, agent, vip, "Check the filter", 30,
                                first_due_on=date(2026, 12, 1))
    assert get(uow, MaintenancePlan, today).next_due_on == date(2026, 12, 1)
    for bad in (6, 731, 30.5):
        with pytest.raises(ValidationError):
            care_plans.add_plan(uow, agent, vip, "Descale", bad)
    assert [e.new["plan_id"] for e in audit_rows(uow, "care_plan_added", vip)] == [plan, today]


def test_a_care_call_that_ends_any_way_books_the_next_unless_the_rule_is_off(uow, team,
                                                                              clock):
    agent, admin = team["agent"], team["admin"]
    vip = add_customer(uow, "Vip Wei", tier="vip")
    callback_rules.run_periodic(uow)
    [first] = callbacks_of(uow, vip)
    callbacks.log_attempt(uow, agent, first.id, "wrong_number")
    [second] = callbacks_of(uow, vip, Callback.status == "open")
    assert second.due_at == utc("2026-12-28 09:00")
    callbacks.cancel_callback(uow, agent, second.id, "Customer abroad this month")
    [third] = callbacks_of(uow, vip, Callback.status == "open")
    assert third.id != second.id and third.due_at == utc("2026-12-28 09:00")
    callback_rules.update_rule(uow, admin, "vip_periodic", False, 30)
    callbacks.log_attempt(uow, agent, third.id, "declined")
    assert callbacks_of(uow, vip, Callback.status == "open") == []


def test_reschedule_and_cancel(uow, team, customer):
    agent = team["agent"]
    cb_id = manual(uow, agent, customer)
    for bad in (THURSDAY - timedelta(hours=1), THURSDAY + timedelta(days=367)):
        with pytest.raises(ValidationError):
            callbacks.reschedule(uow, agent, cb_id, bad)
    with pytest.raises(ConcurrentChange):
        callbacks.reschedule(uow, agent, cb_id, THURSDAY + timedelta(days=2),
                             expected_version=7)
    callbacks.reschedule(uow, agent, cb_id, THURSDAY + timedelta(days=2), expected_version=1)
    assert get(uow, Callback, cb_id).due_at == THURSDAY + timedelta(days=2)
    assert audit_rows(uow, "callback_rescheduled", cb_id)[0].new["due_at"] == \
        (THURSDAY + timedelta(days=2)).isoformat()
    with pytest.raises(ValidationError):
        callbacks.cancel_callback(uow, agent, cb_id, "  ")
    callbacks.cancel_callback(uow, agent, cb_id, "Customer called in themselves")
    assert get(uow, Callback, cb_id).status == "cancelled"
    with pytest.raises(InvalidState):
        callbacks.log_attempt(uow, agent, cb_id, "reached")
    with pytest.raises(ValidationError):        # care calls come from their rules only
        manual(uow, agent, customer, purpose="vip_care")
    with pytest.raises(ValidationError):        # a follow-up follows up a case
        manual(uow, agent, customer, purpose="follow_up")
    someone_else = add_customer(uow, "Someone Else")
    their_case = answered_case(uow, agent, someone_else)
    with pytest.raises(ValidationError, match="not a case of this customer"):
        manual(uow, agent, customer, purpose="follow_up", case_id=their_case)
    with pytest.raises(ValidationError):        # due in the past
        manual(uow, agent, customer, due=THURSDAY - timedelta(hours=1))
    merged = add_customer(uow, "Merged Ma", merged_into=customer)
    with pytest.raises(NotFound):
        manual(uow, agent, merged)
    assert callbacks_of(uow, customer, Callback.status == "open") == []


# --- the figures ------------------------------------------------------------------------------

@pytest.fixture
def answers(uow, team, customer):
    """Survey answers taken in November: by the agent who handled the case, its channel and
    category (see the expected figures in the tests)."""
    agent, agent2 = team["agent"], team["agent2"]
    c1 = answered_case(uow, agent, customer, channel="phone", category="delivery")
    c2 = answered_case(uow, agent, customer, channel="email", category="usage")
    c3 = answered_case(uow, agent2, customer, channel="phone", category="delivery")
    c4 = answered_case(uow, agent2, customer, channel="phone", category="price")
    start, end = datetime(2026, 11, 1), datetime(2026, 12, 1)
    data = [  # case, handled by, satisfaction, solved, nps, answered at
        (c1, agent, 5, True, 10, start),                 # the first moment counts
        (c2, agent, 4, False, 6, start + timedelta(days=3)),
        (c2, agent, 3, None, None, start + timedelta(days=4)),
        (c3, agent2, 1, False, 2, start + timedelta(days=5)),
        (c4, agent2, 2, False, 7, start + timedelta(days=6)),
        (None, None, 4, None, 9, start + timedelta(days=7)),   # a care call: no case
        (c1, agent, 1, False, 0, end),                   # the end is outside
        (c3, agent2, 5, True, 10, start - timedelta(seconds=1)),
    ]
    with uow:
        for case_id, who, score, solved, nps, at in data:
            uow.session.add(SurveyAnswer(
                customer_id=customer, case_id=case_id,
                handled_by_id=who.staff_id if who else None,
                surveyed_by_id=team["sup"].staff_id, satisfaction=score,
                problem_solved=solved, nps=nps, answered_at=at))
        uow.commit()
    return start, end


def figures(result) -> list[tuple]:
    return [(r.key, r.answers, pytest.approx(r.average), r.solved_share,
             None if r.nps is None else pytest.approx(r.nps)) for r in result]


def test_scores_by_agent_channel_and_category(uow, team, answers):
    start, end = answers
    analyst = team["analyst"]
    assert figures(satisfaction.scores(uow, analyst, start, end, "agent")) == [
        ("Agent2", 2, 1.5, 0.0, -50.0),          # 1 and 2; nps 2 (detractor), 7 (passive)
        ("Agent", 3, 4.0, 0.5, 0.0),             # 5, 4, 3; one promoter, one detractor
        (None, 1, 4.0, None, 100.0),             # the care call
    ]
    assert figures(satisfaction.scores(uow, analyst, start, end, "channel")) == [
        ("phone", 3, 8 / 3, pytest.approx(1 / 3), 0.0),
        ("email", 2, 3.5, 0.0, -100.0),
        (None, 1, 4.0, None, 100.0),
    ]
    assert figures(satisfaction.scores(uow, team["sup"], start, end, "category")) == [
        ("price", 1, 2.0, 0.0, 0.0),
        ("delivery", 2, 3.0, 0.5, 0.0),
        ("usage", 2, 3.5, 0.0, -100.0),
        (None, 1, 4.0, None, 100.0),
    ]
    # two people with one name stay two rows: a score is a person's, not a name's
    with uow:
        uow.session.get(Staff, team["agent2"].staff_id).display_name = "Agent"
        uow.commit()
    assert sorted(figures(satisfaction.scores(uow, analyst, start, end, "agent")),
                  key=lambda row: (str(row[0]), row[1])) == [
        ("Agent", 2, 1.5, 0.0, -50.0), ("Agent", 3, 4.0, 0.5, 0.0), (None, 1, 4.0, None, 100.0)]
    assert satisfaction.scores(uow, analyst, end, end + timedelta(days=30)) != []
    assert satisfaction.scores(uow, analyst, datetime(2026, 1, 1), datetime(2026, 2, 1)) == []
    with pytest.raises(PermissionDenied):
        satisfaction.scores(uow, team["agent"], start, end)
    with pytest.raises(ValidationError):
        satisfaction.scores(uow, analyst, start, end, "weather")


def test_reach_rate_counts_callbacks_that_ended_in_the_period(uow, team, clock):
    agent = team["agent"]
    calls = {name: manual(uow, agent, add_customer(uow, name))
             for name in ("reached", "declined", "unanswered", "wrong", "cancelled", "open",
                          "later then reached", "reached in december")}
    callbacks.log_attempt(uow, agent, calls["reached"], "reached")
    callbacks.log_attempt(uow, agent, calls["declined"], "declined")
    for _ in range(3):
        callbacks.log_attempt(uow, agent, calls["unanswered"], "no_answer")
    callbacks.log_attempt(uow, agent, calls["wrong"], "wrong_number")
    callbacks.cancel_callback(uow, agent, calls["cancelled"], "Not needed any more")
    callbacks.log_attempt(uow, agent, calls["open"], "no_answer")
    callbacks.log_attempt(uow, agent, calls["later then reached"], "call_back_later",
                          call_back_at=utc("2026-11-27 10:00"))
    clock.at("2026-11-27 10:00")
    callbacks.log_attempt(uow, agent, calls["later then reached"], "reached")
    clock.at("2026-12-01 10:00")
    callbacks.log_attempt(uow, agent, calls["reached in december"], "reached")

    november = utc("2026-11-01 00:00"), utc("2026-12-01 00:00")
    # ended in November: reached, declined, unanswered, wrong, later-then-reached
    assert satisfaction.reach_rate(uow, team["analyst"], *november) == \
        satisfaction.ReachRate(5, 3, 0.6)
    assert satisfaction.reach_rate(uow, team["analyst"], utc("2026-12-01 00:00"),
                                   utc("2027-01-01 00:00")) == satisfaction.ReachRate(1, 1, 1.0)
    assert satisfaction.reach_rate(uow, team["analyst"], utc("2026-01-01 00:00"),
                                   utc("2026-02-01 00:00")) == \
        satisfaction.ReachRate(0, 0, None)
    with pytest.raises(PermissionDenied):
        satisfaction.reach_rate(uow, agent, *november)


# --- who may do what --------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["tech", "analyst", "admin"])
def test_technicians_analysts_and_admins_do_not_work_callbacks(uow, team, customer, who):
    cb_id = manual(uow, team["agent"], customer)
    actor = team[who]
    for attempt in (lambda: callbacks.callback_queue(uow, actor),
                    lambda: callbacks.get_callback(uow, actor, cb_id),
                    lambda: callbacks.claim(uow, actor, cb_id),
                    lambda: callbacks.release(uow, actor, cb_id),
                    lambda: callbacks.log_attempt(uow, actor, cb_id, "reached"),
                    lambda: manual(uow, actor, customer, topic="Something else"),
                    lambda: callbacks.reschedule(uow, actor, cb_id, THURSDAY),
                    lambda: callbacks.cancel_callback(uow, actor, cb_id, "No")):
        with pytest.raises(PermissionDenied):
            attempt()
    cb = get(uow, Callback, cb_id)
    assert (cb.status, cb.claimed_by_id, cb.attempts, cb.version) == ("open", None, 0, 1)


def test_only_admins_edit_the_rules(uow, team):
    for who in ("agent", "sup"):
        for attempt in (lambda: callback_rules.rules(uow, team[who]),
                        lambda: callback_rules.preview(uow, team[who], "vip_periodic"),
                        lambda: callback_rules.update_rule(uow, team[who], "vip_periodic",
                                                           True, 60)):
            with pytest.raises(PermissionDenied):
                attempt()
    admin = team["admin"]
    with pytest.raises(ValidationError):
        callback_rules.update_rule(uow, admin, "vip_periodic", True, 6)   # 7 days at least
    with pytest.raises(ValidationError):
        callback_rules.update_rule(uow, admin, "birthday", True, 30)
    assert callback_rules.update_rule(uow, admin, "vip_periodic", True, 60,
                                      expected_version=1) == {}
    with pytest.raises(ConcurrentChange):
        callback_rules.update_rule(uow, admin, "vip_periodic", True, 90, expected_version=1)
    views, attempts = callback_rules.rules(uow, admin)
    vip = next(v for v in views if v.trigger == "vip_periodic")
    assert (vip.enabled, vip.delay_days, vip.version, vip.business_days) == (True, 60, 2, False)
    assert attempts == 3
    [entry] = audit_rows(uow, "callback_rule_changed")
    assert (entry.actor_id, entry.old, entry.new) == \
        (admin.staff_id, {"delay_days": 30}, {"delay_days": 60})
