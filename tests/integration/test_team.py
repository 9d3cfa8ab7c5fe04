"""The Team page's figures (core.team.team_snapshot) on a hand-built queue whose answer is
known: open cases per agent split into on track / about to breach / breached, waiting on the
customer, escalations, the oldest open case, overdue callbacks, the lists, and who may look.
Time is frozen on an ordinary Thursday afternoon in Shanghai."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from core import cases, team
from core.actor import Actor
from core.errors import PermissionDenied
from core.vocabulary import (CallbackPurpose, CallbackStatus, CaseCategory, CaseKind,
                             CaseStatus, Channel, Priority, Role)
from db.models import Callback, Case, Customer
from tests.conftest import add_staff

SHANGHAI = ZoneInfo("Asia/Shanghai")
S = CaseStatus


def utc(local: str) -> datetime:
    return (datetime.fromisoformat(local).replace(tzinfo=SHANGHAI)
            .astimezone(ZoneInfo("UTC")).replace(tzinfo=None))


NOW = utc("2026-11-26 15:00")  # Thursday; the shop's day began at 2026-11-25 16:00 UTC
MIN, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    for module in ("core.team", "core.cases", "core.queue"):
        monkeypatch.setattr(f"{module}.utcnow", lambda: NOW)


@pytest.fixture
def people(uow) -> dict[str, Actor]:
    return {"ann": add_staff(uow, "ann", Role.AGENT),
            "bob": add_staff(uow, "bob", Role.AGENT),
            "sue": add_staff(uow, "sue", Role.SUPERVISOR),
            "idle": add_staff(uow, "idle", Role.AGENT),
            "gone": add_staff(uow, "gone", Role.AGENT, active=False),
            "tech": add_staff(uow, "tech", Role.TECHNICIAN),
            "ana": add_staff(uow, "ana", Role.ANALYST),
            "adm": add_staff(uow, "adm", Role.ADMIN)}


_customers = iter(range(1, 10_000))


def add_customer(uow, name: str | None = None) -> int:
    n = next(_customers)
    with uow:
        c = Customer(name=name or f"Customer {n}", phone=f"+86138{n:08d}",
                     phone_normalized=f"+86138{n:08d}", language="en")
        uow.session.add(c)
        uow.commit()
        return c.id


def add_case(uow, owner: Actor | None, status: CaseStatus, *, subject: str,
             created: timedelta = 3 * HOUR, responded: bool = True,
             fr_due: timedelta | None = -2 * HOUR, res_due: timedelta | None = 5 * HOUR,
             paused: timedelta | None = None, escalated: bool = False,
             priority: Priority = Priority.NORMAL, customer: str | None = None) -> int:
    """A case with due times relative to NOW (negative = in the past)."""
    customer_id = add_customer(uow, customer)
    created_at = NOW - created
    with uow:
        c = Case(kind=CaseKind.INQUIRY, channel=Channel.EMAIL, category=CaseCategory.DELIVERY,
                 priority=priority, status=status, customer_id=customer_id,
                 owner_id=owner.staff_id if owner else None, subject=subject,
                 question="Where is it?", created_at=created_at,
                 answer="We asked the carrier." if responded else None,
                 first_response_at=created_at + MIN if responded else None,
                 first_response_due_at=None if fr_due is None else NOW + fr_due,
                 resolution_due_at=None if res_due is None else NOW + res_due,
                 sla_paused_at=None if paused is None else NOW + paused,
                 escalated=escalated,
                 resolved_at=NOW - HOUR if status in (S.RESOLVED, S.CLOSED) else None,
                 closed_at=NOW - HOUR if status == S.CLOSED else None)
        uow.session.add(c)
        uow.commit()
        return c.id


@pytest.fixture
def queue(uow, people) -> dict[str, int]:
    ann, bob, gone = people["ann"], people["bob"], people["gone"]
    ids = {
        # ann: 5 open (2 on track, 1 about to breach, 2 breached), 1 waiting, 1 escalated
        "a1": add_case(uow, ann, S.OPEN, subject="a1 on track", res_due=5 * HOUR),
        "a2": add_case(uow, ann, S.OPEN, subject="a2 resolution in 30 min",
                       res_due=30 * MIN, priority=Priority.HIGH),
        "a3": add_case(uow, ann, S.NEW, subject="a3 first response 10 min late",
                       responded=False, fr_due=-10 * MIN, res_due=3 * HOUR),
        # paused before its due time: the clock stands still, so it is not breached
        "a4": add_case(uow, ann, S.WAITING_CUSTOMER, subject="a4 waiting on the customer",
                       paused=-2 * HOUR, res_due=-HOUR),
        "a5": add_case(uow, ann, S.OPEN, subject="a5 two days late, escalated",
                       created=5 * DAY, res_due=-2 * DAY, escalated=True,
                       priority=Priority.URGENT, customer="<b>Wang</b> *Fang*"),
        "a6": add_case(uow, ann, S.RESOLVED, subject="a6 resolved late", res_due=-DAY,
                       created=6 * DAY),
        "a7": add_case(uow, ann, S.CLOSED, subject="a7 closed, was escalated",
                       res_due=-DAY, escalated=True, created=7 * DAY),
        # bob: 4 open (2 on track, 1 about to breach, 1 breached), 1 escalated
        "b1": add_case(uow, bob, S.NEW, subject="b1 first response in 20 min",
                       responded=False, fr_due=20 * MIN, res_due=DAY),
        # late first response and resolution due within the hour: breached, counted once
        "b2": add_case(uow, bob, S.OPEN, subject="b2 first response late, resolution soon",
                       responded=False, fr_due=-HOUR, res_due=30 * MIN),
        "b3": add_case(uow, bob, S.WAITING_INTERNAL, subject="b3 escalated, on track",
                       created=2 * DAY, res_due=2 * DAY, escalated=True),
        "b4": add_case(uow, bob, S.OPEN, subject="b4 without a target", fr_due=None,
                       res_due=None),
        # a disabled account still holding a breached case
        "g1": add_case(uow, gone, S.OPEN, subject="g1 owner disabled", res_due=-50 * MIN),
        # nobody's: 2 open (1 about to breach and escalated, 1 on track)
        "u1": add_case(uow, None, S.NEW, subject="u1 unassigned, due in 10 min",
                       responded=False, fr_due=10 * MIN, res_due=DAY, escalated=True,
                       created=HOUR),
        "u2": add_case(uow, None, S.NEW, subject="u2 unassigned, due in 2 h",
                       responded=False, fr_due=2 * HOUR, res_due=DAY),
    }
    return ids


def add_callback(uow, claimer: Actor | None, due_at: datetime,
                 status: CallbackStatus = CallbackStatus.OPEN) -> None:
    customer_id = add_customer(uow)
    with uow:
        uow.session.add(Callback(customer_id=customer_id, purpose=CallbackPurpose.MANUAL,
                                 due_at=due_at, status=status,
                                 claimed_by_id=claimer.staff_id if claimer else None))
        uow.commit()


def by_name(snapshot) -> dict[str | None, team.AgentLoad]:
    return {a.name: a for a in snapshot.agents}


def test_open_queue_per_agent(uow, people, queue):
    snap = team.team_snapshot(uow, people["sue"])
    assert snap.at == NOW and snap.horizon == HOUR
    rows = by_name(snap)
    # active agents and supervisors by name, anyone else holding open work, unassigned last
    assert list(rows) == ["Ann", "Bob", "Gone", "Idle", "Sue", None]
    figures = {name: (a.open, a.waiting_customer, a.on_track, a.about_to_breach, a.breached,
                      a.escalated) for name, a in rows.items()}
    assert figures == {
        "Ann": (5, 1, 2, 1, 2, 1),
        "Bob": (4, 0, 2, 1, 1, 1),
        "Gone": (1, 0, 0, 0, 1, 0),
        "Idle": (0, 0, 0, 0, 0, 0),
        "Sue": (0, 0, 0, 0, 0, 0),
        None: (2, 0, 1, 1, 0, 1),
    }
    assert rows["Ann"].takes_cases and not rows["Gone"].takes_cases
    assert rows[None].staff_id is None and rows["Ann"].staff_id == people["ann"].staff_id
    assert rows["Ann"].oldest_open_at == NOW - 5 * DAY  # a6 and a7 are older, but done
    assert rows["Ann"].oldest_open_age(NOW) == 5 * DAY
    assert rows["Idle"].oldest_open_at is None and rows["Idle"].oldest_open_age(NOW) is None
    t = snap.totals
    assert (t.open, t.waiting_customer, t.on_track, t.about_to_breach, t.breached,
            t.escalated) == (12, 1, 5, 3, 4, 3)
    assert t.open == t.on_track + t.about_to_breach + t.breached
    assert t.oldest_open_at == NOW - 5 * DAY


def test_lists_most_urgent_first_without_resolved_or_closed(uow, people, queue):
    snap = team.team_snapshot(uow, people["sue"])
    ids = {v: k for k, v in queue.items()}
    assert [ids[c.id] for c in snap.about_to_breach] == ["u1", "b1", "a2"]
    assert [ids[c.id] for c in snap.breached] == ["a5", "b2", "g1", "a3"]
    assert [ids[c.id] for c in snap.escalations] == ["a5", "b3", "u1"]  # waiting longest
    a5 = snap.breached[0]
    assert (a5.subject, a5.customer_name, a5.owner_name, a5.priority, a5.status,
            a5.escalated) == ("a5 two days late, escalated", "<b>Wang</b> *Fang*", "Ann",
                              "urgent", "open", True)
    assert a5.due_at == NOW - 2 * DAY      # first response given: the resolution due time
    b2 = snap.breached[1]
    assert b2.due_at == NOW - HOUR         # no first response yet: its due time
    assert snap.about_to_breach[0].owner_name is None


def test_the_same_cases_as_the_case_queue_filters(uow, people, queue):
    """One definition of 'breached' and 'about to breach': the Cases page's filters find the
    same cases (the Team page counts a case breached first, so the two at-risk sets differ
    only by cases that are both)."""
    from core import queue as case_queue
    sue = people["sue"]
    snap = team.team_snapshot(uow, sue)
    breached = case_queue.case_queue(uow, sue, scope="team", sla_filter="breached")
    at_risk = case_queue.case_queue(uow, sue, scope="team", sla_filter="at_risk")
    assert {r.id for r in breached.rows} == {c.id for c in snap.breached}
    assert {r.id for r in at_risk.rows} - {r.id for r in breached.rows} == \
        {c.id for c in snap.about_to_breach}
    assert {r.id for r in at_risk.rows} & {r.id for r in breached.rows} == {queue["b2"]}


def test_escalating_through_the_service_shows_at_once(uow, people, queue):
    sue = people["sue"]
    before = team.team_snapshot(uow, sue)
    view = cases.get_case(uow, people["ann"], queue["a1"])
    cases.escalate(uow, people["ann"], queue["a1"], "Customer asks for a manager",
                   view.version)
    after = team.team_snapshot(uow, sue)
    assert after.totals.escalated == before.totals.escalated + 1
    assert by_name(after)["Ann"].escalated == 2
    row = next(c for c in after.escalations if c.id == queue["a1"])
    assert row.escalated_at == NOW  # from the escalation on the timeline
    # waiting longest first: a1 was escalated now, after b3 (2 days) and u1 (1 hour old)
    assert after.escalations[-1].id == queue["a1"]
    # resolving an escalated case ends its wait
    cases.change_status(uow, people["bob"], queue["b3"], "resolved",
                        cases.get_case(uow, people["bob"], queue["b3"]).version)
    done = team.team_snapshot(uow, sue)
    assert queue["b3"] not in {c.id for c in done.escalations}
    assert by_name(done)["Bob"].open == 3 and done.totals.escalated == after.totals.escalated - 1


def test_time_moves_cases_between_states(uow, people, queue):
    later = team.team_snapshot(uow, people["sue"], now=NOW + 45 * MIN)
    rows = by_name(later)
    # u1 (10 min) and b1 (20 min) and a2 (30 min) are now late; a3, a5, b2, g1 were already
    assert later.totals.breached == 7
    assert (rows["Ann"].breached, rows["Bob"].breached, rows[None].breached) == (3, 2, 1)
    # a1 (5 h) and u2 (2 h) are not yet within the hour; nothing is about to breach
    assert later.totals.about_to_breach == 0 and later.about_to_breach == []


def test_lists_are_limited_but_counts_are_not(uow, people, queue):
    snap = team.team_snapshot(uow, people["sue"], list_limit=2)
    assert len(snap.breached) == 2 and snap.totals.breached == 4
    assert [c.id for c in snap.breached] == [queue["a5"], queue["b2"]]
    assert snap.list_limit == 2


def test_overdue_callbacks_per_agent(uow, people, queue):
    ann, bob = people["ann"], people["bob"]
    yesterday, this_morning = utc("2026-11-25 16:00"), utc("2026-11-26 09:00")
    add_callback(uow, ann, yesterday)
    add_callback(uow, ann, utc("2026-11-20 10:00"))
    add_callback(uow, ann, this_morning)  # due today: not overdue on the Callbacks page
    add_callback(uow, bob, yesterday, CallbackStatus.DONE)  # done: not waiting
    add_callback(uow, None, yesterday)    # not claimed: the unassigned row
    add_callback(uow, people["tech"], yesterday)  # someone outside the team still holds one
    snap = team.team_snapshot(uow, people["sue"])
    rows = by_name(snap)
    assert rows["Ann"].callbacks_overdue == 2
    assert rows["Bob"].callbacks_overdue == 0
    assert rows[None].callbacks_overdue == 1
    assert rows["Tech"].callbacks_overdue == 1 and not rows["Tech"].takes_cases
    assert snap.totals.callbacks_overdue == 4


def test_an_empty_team(uow, make_staff):
    sue = make_staff("sue", Role.SUPERVISOR)
    snap = team.team_snapshot(uow, sue)
    assert [(a.name, a.open) for a in snap.agents] == [("Sue", 0), (None, 0)]
    assert snap.totals.open == 0 and snap.totals.oldest_open_at is None
    assert snap.about_to_breach == snap.breached == snap.escalations == []


def test_counted_in_the_database_not_in_python(uow, engine, people, queue):
    """The same few statements whatever the number of cases (no case is loaded one by
    one): 60 more open cases change the figures, not the queries."""
    statements = []

    def count(*_args):
        statements.append(1)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        team.team_snapshot(uow, people["sue"])
        few = len(statements)
        for i in range(60):
            add_case(uow, people["bob"], S.OPEN, subject=f"more {i}", res_due=-MIN * (i + 1))
        statements.clear()
        snap = team.team_snapshot(uow, people["sue"])
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == few
    assert by_name(snap)["Bob"].breached == 61 and len(snap.breached) == team.LIST_LIMIT


@pytest.mark.parametrize("who", ["ann", "ana", "adm", "tech"])
def test_only_supervisors_watch_the_team(uow, people, queue, who):
    with pytest.raises(PermissionDenied):
        team.team_snapshot(uow, people[who])


def test_a_supervisor_who_is_also_an_admin_may(uow, queue):
    both = add_staff(uow, "lina", Role.ADMIN, Role.SUPERVISOR)
    assert team.team_snapshot(uow, both).totals.open == 12
