"""Intake, SLA due times, the status graph, replies, assignment and the queue."""
from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from core import cases, queue
from core.errors import (ConcurrentChange, InvalidState, NotFound, PermissionDenied,
                         ValidationError)
from core.sla import SlaState
from core.vocabulary import Role
from db.models import AuditEntry, Case, CaseEvent, Customer, OutboxMessage, Setting

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utc(local: str) -> datetime:
    return (datetime.fromisoformat(local).replace(tzinfo=SHANGHAI)
            .astimezone(ZoneInfo("UTC")).replace(tzinfo=None))


@pytest.fixture
def customer(uow) -> int:
    with uow:
        c = Customer(name="王芳 Wang Fang", phone="+8613812345678",
                     phone_normalized="+8613812345678", email="wang.fang@example.com",
                     language="zh_CN")
        uow.session.add(c)
        uow.commit()
        return c.id


@pytest.fixture
def agent(make_staff):
    return make_staff("agent", Role.AGENT)


def intake(uow, actor, customer_id, **kw):
    values = dict(customer_id=customer_id, channel="phone", kind="inquiry",
                  category="delivery", subject="Where is my parcel?",
                  question="Ordered last week, nothing arrived.", next_step="Ask logistics")
    values.update(kw)
    return cases.open_case(uow, actor, **values)


def count(uow, model, *where):
    with uow.reader() as r:
        return r.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_first_contact_resolution(uow, agent, customer):
    receipt = intake(uow, agent, customer, answer="It ships tomorrow.", resolved_now=True,
                     next_step=None)
    view = cases.get_case(uow, agent, receipt.case_id)
    assert view.status == "resolved" and view.first_contact_resolution
    assert view.owner_id == agent.staff_id
    assert view.first_response_at is not None and view.resolved_at is not None
    assert [e.kind.value for e in view.timeline] == ["customer_message", "reply",
                                                      "status_change"]
    assert view.outbox == []  # answered on the phone: nothing to send
    assert count(uow, AuditEntry, AuditEntry.action == "case_created") == 1


def test_open_case_gets_due_times_an_owner_and_an_acknowledgement(uow, agent, customer):
    receipt = intake(uow, agent, customer, channel="email", kind="complaint",
                     category="complaint", subject="Broken on arrival",
                     question="The kettle was cracked.")
    view = cases.get_case(uow, agent, receipt.case_id)
    assert view.status == "new" and view.owner_id == agent.staff_id
    assert view.first_response_due_at and view.resolution_due_at
    assert view.resolution_due_at > view.first_response_due_at
    # complaint: the acknowledgement is the first response, in the customer's language
    assert view.first_response_at is not None
    assert len(view.outbox) == 1 and view.outbox[0].status == "not_sent"
    assert "已收到" in view.outbox[0].subject and view.outbox[0].to_address == \
        "wang.fang@example.com"


def test_friday_evening_email_is_due_the_next_working_day(uow, agent, customer):
    friday_evening = utc("2026-11-27 17:55")
    with mock.patch("core.cases.utcnow", return_value=friday_evening):
        receipt = intake(uow, agent, customer, channel="email")
    # one business day (09:00-18:00) for the first reply: 5 minutes Friday, the rest Monday
    assert receipt.first_response_due_at == utc("2026-11-30 17:55")


def test_public_holiday_is_skipped_and_phone_is_answered_in_seconds(uow, agent, customer):
    before_dragon_boat = utc("2026-06-18 17:55")  # Friday 19 June 2026 is a holiday
    with mock.patch("core.cases.utcnow", return_value=before_dragon_boat):
        email = intake(uow, agent, customer, channel="email")
        phone = intake(uow, agent, customer, channel="phone")
    assert email.first_response_due_at == utc("2026-06-22 17:55")
    assert phone.first_response_due_at == before_dragon_boat + timedelta(seconds=15)


@pytest.mark.parametrize("bad", [
    dict(subject=""), dict(question="   "), dict(question="x" * 10_001),
    dict(channel="pigeon"), dict(kind="rant"), dict(priority="asap"),
    dict(resolved_now=True, answer=None, next_step=None), dict(next_step=None),
    dict(customer_id=999_999), dict(order_id=424242),
])
def test_bad_intake_is_refused_and_nothing_is_written(uow, agent, customer, bad):
    values = dict(customer_id=customer)
    values.update(bad)
    with pytest.raises((ValidationError, NotFound)):
        intake(uow, agent, **values)
    assert count(uow, Case) == 0 and count(uow, CaseEvent) == 0
    assert count(uow, OutboxMessage) == 0


def test_script_text_is_kept_as_plain_text(uow, agent, customer):
    receipt = intake(uow, agent, customer, subject="<script>alert(1)</script>")
    assert cases.get_case(uow, agent, receipt.case_id).subject == "<script>alert(1)</script>"


def test_roles_that_may_not_take_contacts(uow, make_staff, customer):
    for username, role in (("tech", Role.TECHNICIAN), ("ana", Role.ANALYST),
                           ("adm", Role.ADMIN)):
        with pytest.raises(PermissionDenied):
            intake(uow, make_staff(username, role), customer)


def test_status_graph(uow, agent, customer):
    case_id = intake(uow, agent, customer).case_id
    version = lambda: cases.get_case(uow, agent, case_id).version  # noqa: E731
    with pytest.raises(InvalidState):          # nothing to resolve with yet
        cases.change_status(uow, agent, case_id, "resolved", version())
    with pytest.raises(InvalidState):          # not along the graph
        cases.change_status(uow, agent, case_id, "closed", version())
    cases.reply(uow, agent, case_id, "We asked the carrier.", version())
    assert cases.get_case(uow, agent, case_id).status == "open"
    cases.change_status(uow, agent, case_id, "resolved", version())
    cases.change_status(uow, agent, case_id, "closed", version())
    with pytest.raises(InvalidState):
        cases.reply(uow, agent, case_id, "late", version())
    with pytest.raises(ValidationError):       # reopening needs a reason, whichever way
        cases.change_status(uow, agent, case_id, "open", version())
    cases.reopen(uow, agent, case_id, version(), "Parcel still missing")
    view = cases.get_case(uow, agent, case_id)
    assert (view.status, view.reopen_count, view.resolved_at) == ("open", 1, None)


def test_waiting_on_the_customer_pauses_the_clock(uow, agent, customer):
    start = utc("2026-11-25 10:00")
    with mock.patch("core.cases.utcnow", return_value=start):
        case_id = intake(uow, agent, customer, channel="email").case_id
    due = cases.get_case(uow, agent, case_id).resolution_due_at
    v = cases.get_case(uow, agent, case_id).version
    with mock.patch("core.cases.utcnow", return_value=utc("2026-11-25 11:00")):
        cases.change_status(uow, agent, case_id, "waiting_customer", v)
    assert cases.get_case(uow, agent, case_id).resolution_state == SlaState.PAUSED
    v = cases.get_case(uow, agent, case_id).version
    with mock.patch("core.cases.utcnow", return_value=utc("2026-11-26 11:00")):
        cases.change_status(uow, agent, case_id, "open", v)
    # a whole business day waited: the due time moved by one business day
    assert cases.get_case(uow, agent, case_id).resolution_due_at == \
        due + timedelta(days=1)


def test_two_agents_saving_the_same_case(uow, agent, make_staff, customer):
    other = make_staff("agent2", Role.AGENT)
    case_id = intake(uow, agent, customer).case_id
    seen = cases.get_case(uow, agent, case_id).version
    cases.reply(uow, other, case_id, "Answer from agent2", seen)
    with pytest.raises(ConcurrentChange):
        cases.reply(uow, agent, case_id, "Answer from agent", seen)
    replies = [e.body for e in cases.get_case(uow, agent, case_id).timeline
               if e.kind.value == "reply"]
    assert replies == ["Answer from agent2"]


def test_assignment_rules(uow, agent, make_staff, customer):
    boss = make_staff("boss", Role.SUPERVISOR)
    other = make_staff("agent2", Role.AGENT)
    case_id = intake(uow, agent, customer, owner="none").case_id
    v = lambda: cases.get_case(uow, agent, case_id).version  # noqa: E731
    cases.assign(uow, agent, case_id, agent.staff_id, v())      # claim an unassigned case
    with pytest.raises(PermissionDenied):
        cases.assign(uow, other, case_id, other.staff_id, v())  # take it from its owner
    cases.assign(uow, boss, case_id, other.staff_id, v())        # a supervisor may
    assert cases.get_case(uow, agent, case_id).owner_id == other.staff_id
    tech = make_staff("tech", Role.TECHNICIAN)
    with pytest.raises(ValidationError):
        cases.assign(uow, boss, case_id, tech.staff_id, v())


def test_auto_assignment_by_load_and_round_robin(uow, agent, make_staff, customer):
    second = make_staff("agent2", Role.AGENT)
    owners = [intake(uow, agent, customer, owner="auto").owner_id for _ in range(4)]
    assert sorted(owners) == sorted([agent.staff_id, second.staff_id] * 2)
    assert owners[0] != owners[1]
    with uow:
        uow.session.get(Setting, "cases.auto_assign").value = False
        uow.commit()
    assert intake(uow, agent, customer, owner="auto").owner_id is None


def test_escalation_once(uow, agent, customer):
    case_id = intake(uow, agent, customer).case_id
    v = cases.get_case(uow, agent, case_id).version
    with pytest.raises(ValidationError):
        cases.escalate(uow, agent, case_id, "", v)
    cases.escalate(uow, agent, case_id, "Customer very upset", v)
    view = cases.get_case(uow, agent, case_id)
    assert view.escalated
    with pytest.raises(InvalidState):
        cases.escalate(uow, agent, case_id, "again", view.version)


def test_queue_scopes_filters_and_pages(uow, agent, make_staff, customer):
    other = make_staff("agent2", Role.AGENT)
    for i in range(3):
        intake(uow, agent, customer, subject=f"mine {i}")
    intake(uow, other, customer, subject="theirs")
    intake(uow, agent, customer, subject="nobody's", owner="none", channel="chat")
    mine = queue.case_queue(uow, agent, scope="mine", page_size=2)
    assert (mine.total, mine.pages, len(mine.rows)) == (3, 2, 2)
    assert {r.subject for r in queue.case_queue(uow, agent, scope="mine", page=2).rows} \
        <= {"mine 0", "mine 1", "mine 2"}
    assert [r.subject for r in queue.case_queue(uow, agent, scope="unassigned").rows] == \
        ["nobody's"]
    assert queue.case_queue(uow, agent, scope="team").total == 5
    assert queue.case_queue(uow, agent, scope="team", channel="chat").total == 1
    assert queue.case_queue(uow, agent, scope="team", text="theirs").total == 1
    assert queue.case_queue(uow, agent, scope="team", text="%").total == 0  # no wildcard
    newest = queue.case_queue(uow, agent, scope="team", order="newest").rows
    assert newest[0].subject == "nobody's"
    with pytest.raises(ValidationError):
        queue.case_queue(uow, agent, scope="team", order="id; DROP TABLE service_case")


def test_breached_and_about_to_breach_queries(uow, agent, customer):
    start = datetime.utcnow() - timedelta(minutes=10)
    with mock.patch("core.cases.utcnow", return_value=start):
        breached = intake(uow, agent, customer, channel="phone", subject="missed call")
    soon = intake(uow, agent, customer, channel="chat", subject="chat waiting")
    at_risk = queue.case_queue(uow, agent, scope="team", sla_filter="at_risk").rows
    late = queue.case_queue(uow, agent, scope="team", sla_filter="breached").rows
    assert [r.id for r in late] == [breached.case_id]
    assert [r.id for r in at_risk] == [soon.case_id]
    assert late[0].sla_state == "breached"


def test_a_case_paused_after_its_due_time_stays_in_the_breached_list(uow, agent, customer):
    """Waiting on the customer stops the clock, but not retroactively: a case put on hold
    after it was already late is late, in the list as on the case (sla.state)."""
    late = intake(uow, agent, customer, channel="email", subject="late, then on hold")
    on_time = intake(uow, agent, customer, channel="email", subject="on hold in time")
    now = datetime.utcnow()
    with uow:
        for case_id, paused in ((late.case_id, now - timedelta(minutes=5)),
                                (on_time.case_id, now - timedelta(hours=2))):
            case = uow.session.get(Case, case_id)
            case.first_response_at = case.created_at
            case.resolution_due_at = now - timedelta(hours=1)
            case.status, case.sla_paused_at = "waiting_customer", paused
        uow.commit()
    rows = queue.case_queue(uow, agent, scope="team", sla_filter="breached").rows
    assert [(r.id, r.sla_state) for r in rows] == [(late.case_id, "breached")]
