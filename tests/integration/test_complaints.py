"""Complaints: acknowledgement and promise at intake, investigation with departments, the reply
and the customer's evaluation, escalation and review, four-eyes compensation decided exactly
once, and no closing without a root cause and a reply."""
import threading
from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from core import cases, complaints
from core.errors import InvalidState, NotFound, PermissionDenied, ValidationError
from core.i18n import translator
from core.sla import SlaState
from core.uow import UnitOfWork
from core.vocabulary import Role
from db.models import (AuditEntry, Case, CaseEvent, Compensation, Complaint, Customer,
                       InvestigationRequest, OutboxMessage, Product, Store)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utc(local: str) -> datetime:
    return (datetime.fromisoformat(local).replace(tzinfo=SHANGHAI)
            .astimezone(ZoneInfo("UTC")).replace(tzinfo=None))


def add_customer(uow, name, language, email=None, phone=None) -> int:
    with uow:
        c = Customer(name=name, email=email, phone=phone, phone_normalized=phone,
                     language=language)
        uow.session.add(c)
        uow.commit()
        return c.id


@pytest.fixture
def customer(uow) -> int:
    return add_customer(uow, "王芳 Wang Fang", "zh_CN", email="wang.fang@example.com",
                        phone="+8613812345678")


@pytest.fixture
def agent(make_staff):
    return make_staff("agent", Role.AGENT)


@pytest.fixture
def boss(make_staff):
    return make_staff("boss", Role.SUPERVISOR)


def open_complaint(uow, actor, customer_id, **kw) -> tuple[int, int]:
    """(case id, complaint id) of a new complaint."""
    values = dict(customer_id=customer_id, channel="email", kind="complaint",
                  category="complaint", subject="Kettle cracked on arrival",
                  question="The kettle I received was cracked.", next_step="Investigate")
    values.update(kw)
    case_id = cases.open_case(uow, actor, **values).case_id
    return case_id, complaints.complaint_id_of_case(uow, actor, case_id)


def count(uow, model, *where):
    with uow.reader() as r:
        return r.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def timeline(uow, actor, case_id):
    return cases.get_case(uow, actor, case_id).timeline


def ready_to_close(uow, actor, complaint_id):
    complaints.set_root_cause(uow, actor, complaint_id, "delivery_damage",
                              responsible_department="logistics")
    complaints.reply_to_customer(uow, actor, complaint_id, "phone",
                                 "Replacement sent, the carrier pays for the damage.")


# --- opening ----------------------------------------------------------------------------------

def test_opening_a_complaint_records_it_with_acknowledgement_and_promise(uow, agent, customer):
    case_id, complaint_id = open_complaint(uow, agent, customer)
    view = complaints.complaint_view(uow, agent, complaint_id)
    case = cases.get_case(uow, agent, case_id)
    assert view.case_id == case_id and view.severity == "minor"
    # the acknowledgement open_case sent is the first response
    assert view.acknowledged_at == case.created_at == case.first_response_at
    assert len(case.outbox) == 1 and "已收到" in case.outbox[0].subject
    # minor: the promise is the case's resolution due time (complaint SLA)
    assert view.promised_reply_at == case.resolution_due_at
    assert view.promise_state == SlaState.ON_TRACK
    assert view.missing_to_close == [complaints.MISSING_ROOT_CAUSE, complaints.MISSING_REPLY]
    assert [e.kind.value for e in case.timeline] == ["customer_message", "assignment", "system"]
    assert count(uow, AuditEntry, AuditEntry.action == "complaint_opened",
                 AuditEntry.entity_id == str(complaint_id)) == 1
    assert complaints.complaint_view(uow, agent, case_id=case_id).id == complaint_id


def test_other_kinds_of_case_get_no_complaint_record(uow, agent, customer):
    case_id = cases.open_case(uow, agent, customer_id=customer, channel="phone", kind="inquiry",
                              category="delivery", subject="Where is it?", question="?",
                              next_step="Ask").case_id
    assert complaints.complaint_id_of_case(uow, agent, case_id) is None
    assert count(uow, Complaint) == 0
    with pytest.raises(NotFound):
        complaints.complaint_view(uow, agent, case_id=case_id)


def test_severity_shortens_the_promise_and_the_customer_is_told_that_date(uow, agent,
                                                                          customer):
    wednesday = utc("2026-11-25 10:00")
    with mock.patch("core.cases.utcnow", return_value=wednesday):
        case_id, complaint_id = open_complaint(uow, agent, customer, severity="critical")
    view = complaints.complaint_view(uow, agent, complaint_id)
    case = cases.get_case(uow, agent, case_id)
    assert case.resolution_due_at == utc("2026-11-27 10:00")   # complaint SLA: 2 business days
    assert view.promised_reply_at == utc("2026-11-26 10:00")    # critical: 1 business day
    assert "2026-11-26 10:00" in case.outbox[0].body            # the promise, not the SLA

    with mock.patch("core.cases.utcnow", return_value=wednesday):
        _, minor = open_complaint(uow, agent, customer)
    assert complaints.complaint_view(uow, agent, minor).promised_reply_at == \
        utc("2026-11-27 10:00")
    complaints.set_severity(uow, agent, minor, "critical")
    after = complaints.complaint_view(uow, agent, minor)
    assert (after.severity, after.promised_reply_at) == ("critical", utc("2026-11-26 10:00"))
    with mock.patch("core.complaints.utcnow", return_value=utc("2026-11-26 10:01")):
        assert complaints.complaint_view(uow, agent, minor).promise_state == SlaState.BREACHED
    with pytest.raises(ValidationError):
        complaints.set_severity(uow, agent, minor, "apocalyptic")


def test_a_complaint_is_not_resolved_at_intake(uow, agent, customer):
    with pytest.raises(ValidationError):
        open_complaint(uow, agent, customer, answer="Sorry.", resolved_now=True,
                       next_step=None)
    assert count(uow, Case) == 0 and count(uow, Complaint) == 0


def test_customer_without_address_is_acknowledged_by_phone(uow, agent):
    silent = add_customer(uow, "No Address", "en")
    case_id, complaint_id = open_complaint(uow, agent, silent)
    assert complaints.complaint_view(uow, agent, complaint_id).acknowledged_at is None
    complaints.record_acknowledgement(uow, agent, complaint_id, "Called at 10:05")
    view = complaints.complaint_view(uow, agent, complaint_id)
    assert view.acknowledged_at is not None
    assert cases.get_case(uow, agent, case_id).first_response_at == view.acknowledged_at
    with pytest.raises(InvalidState):
        complaints.record_acknowledgement(uow, agent, complaint_id)


def test_promised_reply_is_tracked_like_an_sla(uow, agent, customer):
    _, complaint_id = open_complaint(uow, agent, customer)
    with pytest.raises(ValidationError):
        complaints.promise_reply(uow, agent, complaint_id,
                                 datetime.utcnow() - timedelta(hours=1))
    soon = datetime.utcnow() + timedelta(minutes=30)
    complaints.promise_reply(uow, agent, complaint_id, soon)
    view = complaints.complaint_view(uow, agent, complaint_id)
    assert view.promised_reply_at == soon and view.promise_state == SlaState.ON_TRACK
    with mock.patch("core.complaints.utcnow", return_value=soon - timedelta(minutes=1)):
        assert complaints.complaint_view(uow, agent, complaint_id).promise_state == \
            SlaState.AT_RISK
    with mock.patch("core.complaints.utcnow", return_value=soon + timedelta(minutes=1)):
        assert complaints.complaint_view(uow, agent, complaint_id).promise_state == \
            SlaState.BREACHED
    complaints.reply_to_customer(uow, agent, complaint_id, "written", "Refund on its way.")
    assert complaints.complaint_view(uow, agent, complaint_id).promise_state == SlaState.MET
    with pytest.raises(InvalidState):
        complaints.promise_reply(uow, agent, complaint_id, soon + timedelta(days=1))


# --- investigation ----------------------------------------------------------------------------

def test_investigation_request_and_answer_are_on_the_timeline(uow, agent, customer):
    case_id, complaint_id = open_complaint(uow, agent, customer)
    with pytest.raises(ValidationError):
        complaints.ask_department(uow, agent, complaint_id, "marketing", "Why?")
    with pytest.raises(ValidationError):
        complaints.ask_department(uow, agent, complaint_id, "warehouse", "   ")
    request_id = complaints.ask_department(uow, agent, complaint_id, "warehouse",
                                           "Was the kettle packed with foam?")
    view = complaints.complaint_view(uow, agent, complaint_id)
    [asked] = view.investigations
    assert (asked.department, asked.question, asked.answer) == \
        ("warehouse", "Was the kettle packed with foam?", None)
    assert asked.due_at > asked.requested_at and not asked.overdue

    with pytest.raises(ValidationError):
        complaints.record_department_answer(uow, agent, request_id, "No foam.", "")
    complaints.record_department_answer(uow, agent, request_id, "Packed without foam.",
                                        "Li Lei, warehouse lead")
    with pytest.raises(InvalidState):
        complaints.record_department_answer(uow, agent, request_id, "again", "Li Lei")
    with pytest.raises(NotFound):
        complaints.record_department_answer(uow, agent, 999_999, "x", "y")
    [answered] = complaints.complaint_view(uow, agent, complaint_id).investigations
    assert answered.answer == "Packed without foam." and answered.answered_at is not None
    assert answered.answered_by == "Li Lei, warehouse lead"

    notes = [e for e in timeline(uow, agent, case_id) if e.kind.value == "internal_note"]
    assert len(notes) == 2
    assert "Warehouse" in notes[0].body and "Was the kettle packed with foam?" in notes[0].body
    assert "Li Lei, warehouse lead" in notes[1].body and "Packed without foam." in notes[1].body
    assert count(uow, AuditEntry, AuditEntry.entity == "investigation_request",
                 AuditEntry.entity_id == str(request_id)) == 2


# --- reply and evaluation ---------------------------------------------------------------------

def test_written_reply_goes_to_the_outbox_in_the_customers_language(uow, agent, customer):
    english = add_customer(uow, "John Smith", "en", email="john@example.com")
    for who, subject_word in ((customer, "投诉处理结果"), (english, "result of your complaint")):
        case_id, complaint_id = open_complaint(uow, agent, who)
        complaints.reply_to_customer(uow, agent, complaint_id, "written",
                                     "A new kettle is on its way.")
        view = complaints.complaint_view(uow, agent, complaint_id)
        assert view.reply_method == "written" and view.replied_at is not None
        assert view.result == "A new kettle is on its way."
        with uow.reader() as r:
            message = r.session.scalar(sa.select(OutboxMessage).where(
                OutboxMessage.case_id == case_id,
                OutboxMessage.template_key == "complaint_reply"))
        assert subject_word in message.subject and str(case_id) in message.subject
        assert "A new kettle is on its way." in message.body
        assert [e.kind.value for e in timeline(uow, agent, case_id)][-2:] == \
            ["reply", "status_change"]  # replied, so the case is open now
    with pytest.raises(ValidationError):
        complaints.reply_to_customer(uow, agent, complaint_id, "pigeon", "x")


def test_phone_reply_is_a_call_log_and_evaluation_follows_the_reply(uow, agent, customer):
    case_id, complaint_id = open_complaint(uow, agent, customer)
    with pytest.raises(InvalidState):   # nothing to evaluate yet
        complaints.record_evaluation(uow, agent, complaint_id, True)
    outbox_before = count(uow, OutboxMessage)
    complaints.reply_to_customer(uow, agent, complaint_id, "phone", "Voucher offered.")
    assert count(uow, OutboxMessage) == outbox_before
    call = [e for e in timeline(uow, agent, case_id) if e.kind.value == "call_log"]
    assert len(call) == 1 and "Voucher offered." in call[0].body
    with pytest.raises(ValidationError):   # not satisfied: why?
        complaints.record_evaluation(uow, agent, complaint_id, False, "  ")
    complaints.record_evaluation(uow, agent, complaint_id, False, "Took too long.")
    view = complaints.complaint_view(uow, agent, complaint_id)
    assert (view.customer_satisfied, view.evaluation_comment) == (False, "Took too long.")
    assert count(uow, AuditEntry, AuditEntry.action == "complaint_evaluated") == 1


# --- closing ----------------------------------------------------------------------------------

def test_no_closing_without_root_cause_and_reply_through_either_door(uow, agent, customer):
    case_id, complaint_id = open_complaint(uow, agent, customer)
    version = lambda: cases.get_case(uow, agent, case_id).version  # noqa: E731

    with pytest.raises(complaints.ComplaintNotClosable) as refused:
        complaints.close_complaint(uow, agent, complaint_id)
    assert refused.value.missing == [complaints.MISSING_ROOT_CAUSE, complaints.MISSING_REPLY]
    zh = refused.value.render(translator("zh_CN"))
    assert str(case_id) in zh and zh != refused.value.render(translator("en"))
    assert "root cause" in refused.value.render(translator("en"))

    complaints.set_root_cause(uow, agent, complaint_id, "delivery_damage",
                              responsible_department="logistics")
    # an agent's written reply through the case page is not the complaint's recorded result
    cases.reply(uow, agent, case_id, "We are looking into it.", version())
    with pytest.raises(complaints.ComplaintNotClosable) as refused:
        cases.change_status(uow, agent, case_id, "resolved", version())
    assert refused.value.missing == [complaints.MISSING_REPLY]
    assert "reply" in str(refused.value) and "root cause" not in str(refused.value)
    assert cases.get_case(uow, agent, case_id).status == "open"

    complaints.reply_to_customer(uow, agent, complaint_id, "phone", "Replacement sent.")
    complaints.close_complaint(uow, agent, complaint_id, "Customer has the new kettle.")
    view = complaints.complaint_view(uow, agent, complaint_id)
    assert view.case_status == "closed" and not view.can_close
    case = cases.get_case(uow, agent, case_id)
    assert case.resolved_at is not None and case.closed_at is not None
    with pytest.raises(InvalidState):
        complaints.close_complaint(uow, agent, complaint_id)
    assert count(uow, AuditEntry, AuditEntry.action == "complaint_closed") == 1


def test_change_status_resolves_and_closes_a_complaint_once_complete(uow, agent, customer):
    case_id, complaint_id = open_complaint(uow, agent, customer)
    version = lambda: cases.get_case(uow, agent, case_id).version  # noqa: E731
    with pytest.raises(complaints.ComplaintNotClosable):
        cases.change_status(uow, agent, case_id, "resolved", version())
    ready_to_close(uow, agent, complaint_id)
    cases.change_status(uow, agent, case_id, "resolved", version())
    cases.change_status(uow, agent, case_id, "closed", version())
    assert cases.get_case(uow, agent, case_id).status == "closed"
    # reopened, it can be closed again: root cause and reply stay on record
    cases.reopen(uow, agent, case_id, version(), "Kettle broke again")
    cases.change_status(uow, agent, case_id, "resolved", version())


def test_an_undecided_compensation_blocks_closing(uow, agent, boss, customer):
    case_id, complaint_id = open_complaint(uow, agent, customer)
    ready_to_close(uow, agent, complaint_id)
    comp = complaints.propose_compensation(uow, agent, complaint_id, "voucher", 5000,
                                           "Voucher for the trouble")
    with pytest.raises(complaints.ComplaintNotClosable) as refused:
        complaints.close_complaint(uow, agent, complaint_id)
    assert refused.value.missing == [complaints.MISSING_DECISION]
    complaints.decide_compensation(uow, boss, comp, True, "Fine")
    complaints.close_complaint(uow, agent, complaint_id)


# --- compensation: four eyes, exactly once ----------------------------------------------------

def test_compensation_four_eyes_through_every_role_mix(uow, agent, boss, make_staff, customer):
    _, complaint_id = open_complaint(uow, agent, customer)
    chief = make_staff("chief", Role.ADMIN, Role.SUPERVISOR)
    with pytest.raises(ValidationError):
        complaints.propose_compensation(uow, agent, complaint_id, "voucher", 0, "Voucher")
    with pytest.raises(ValidationError):
        complaints.propose_compensation(uow, agent, complaint_id, "gold", 100, "Gold")
    with pytest.raises(ValidationError):
        complaints.propose_compensation(uow, agent, complaint_id, "refund", -5, "Minus")

    by_agent = complaints.propose_compensation(uow, agent, complaint_id, "voucher", 5000,
                                               "50 yuan voucher")
    by_chief = complaints.propose_compensation(uow, chief, complaint_id, "gift", 0,
                                               "Tea set as an apology")
    with pytest.raises(PermissionDenied):           # an agent never signs off
        complaints.decide_compensation(uow, agent, by_agent, True, "ok")
    with pytest.raises(complaints.OwnProposal):     # admin + supervisor, but the proposer
        complaints.decide_compensation(uow, chief, by_chief, True, "ok")
    with pytest.raises(ValidationError):            # a rejection needs its reason
        complaints.decide_compensation(uow, boss, by_chief, False, " ")
    complaints.decide_compensation(uow, boss, by_chief, False, "A voucher is enough.")
    complaints.decide_compensation(uow, chief, by_agent, True, None)
    with pytest.raises(complaints.AlreadyDecided):
        complaints.decide_compensation(uow, boss, by_agent, False, "Too much")

    view = complaints.complaint_view(uow, boss, complaint_id)
    decided = {c.id: c for c in view.compensations}
    assert (decided[by_agent].status, decided[by_agent].decided_by) == ("approved", "Chief")
    assert (decided[by_chief].status, decided[by_chief].decision_note) == \
        ("rejected", "A voucher is enough.")
    assert not any(c.can_decide for c in view.compensations)
    assert count(uow, AuditEntry, AuditEntry.entity == "compensation",
                 AuditEntry.action.in_(["compensation_approved",
                                        "compensation_rejected"])) == 2


def test_twenty_supervisors_deciding_at_once_give_one_decision(uow, engine, agent, make_staff,
                                                               customer):
    _, complaint_id = open_complaint(uow, agent, customer)
    comp_id = complaints.propose_compensation(uow, agent, complaint_id, "refund", 12000,
                                              "Refund of the kettle")
    supervisors = [make_staff(f"sup{n}", Role.SUPERVISOR) for n in range(20)]
    start = threading.Barrier(len(supervisors))
    won, lost, errors = [], [], []

    def decide(n: int) -> None:
        worker = UnitOfWork(engine)
        start.wait()
        try:
            complaints.decide_compensation(worker, supervisors[n], comp_id, n % 2 == 0,
                                           f"decided by sup{n}")
            won.append(n)
        except complaints.AlreadyDecided:
            lost.append(n)
        except Exception as e:  # collected, so every thread runs to the end
            errors.append(repr(e))

    threads = [threading.Thread(target=decide, args=(n,)) for n in range(len(supervisors))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(won) == 1 and len(lost) == 19
    with uow.reader() as r:
        comp = r.session.get(Compensation, comp_id)
        assert comp.decided_by_id == supervisors[won[0]].staff_id
        assert comp.decision_note == f"decided by sup{won[0]}"
        assert comp.status == ("approved" if won[0] % 2 == 0 else "rejected")
        assert comp.version == 2
    assert count(uow, AuditEntry, AuditEntry.entity == "compensation",
                 AuditEntry.entity_id == str(comp_id),
                 AuditEntry.action != "compensation_proposed") == 1


# --- escalation, review, reassignment ---------------------------------------------------------

def test_escalation(uow, agent, boss, customer):
    case_id, complaint_id = open_complaint(uow, agent, customer)
    with pytest.raises(ValidationError):
        complaints.escalate_complaint(uow, agent, complaint_id, "")
    with pytest.raises(ValidationError):   # only to a supervisor
        complaints.escalate_complaint(uow, agent, complaint_id, "Angry",
                                      escalated_to=agent.staff_id)
    complaints.escalate_complaint(uow, agent, complaint_id, "Threatens to go to the press",
                                  escalated_to=boss.staff_id)
    view = complaints.complaint_view(uow, agent, complaint_id)
    assert view.escalated and view.escalated_at is not None and view.escalated_to == "Boss"
    escalation = [e for e in timeline(uow, agent, case_id) if e.kind.value == "escalation"]
    assert escalation[0].body == "Threatens to go to the press"
    with pytest.raises(InvalidState):
        complaints.escalate_complaint(uow, agent, complaint_id, "again")


def test_review_queue_shows_escalated_near_promise_and_awaiting_signoff(uow, agent, boss,
                                                                        customer):
    now = datetime.utcnow()
    _, escalated = open_complaint(uow, agent, customer, subject="escalated")
    _, near = open_complaint(uow, agent, customer, subject="near")
    _, signoff = open_complaint(uow, agent, customer, subject="signoff")
    _, calm = open_complaint(uow, agent, customer, subject="calm")
    with mock.patch("core.cases.utcnow", return_value=now - timedelta(days=10)):
        _, late = open_complaint(uow, agent, customer, subject="late")
    for complaint_id in (escalated, signoff, calm):
        complaints.promise_reply(uow, agent, complaint_id, now + timedelta(days=10))
    complaints.promise_reply(uow, agent, near, now + timedelta(hours=2))
    complaints.escalate_complaint(uow, agent, escalated, "VIP customer")
    mine = complaints.propose_compensation(uow, boss, signoff, "voucher", 2000, "Voucher")
    theirs = complaints.propose_compensation(uow, agent, signoff, "gift", 0, "Gift")

    queue = complaints.review_queue(uow, boss)
    assert [r.complaint_id for r in queue.escalated] == [escalated]
    assert [r.complaint_id for r in queue.due] == [late, near]
    assert [r.promise_state for r in queue.due] == [SlaState.BREACHED, SlaState.ON_TRACK]
    assert [(s.compensation_id, s.can_decide) for s in queue.awaiting_signoff] == \
        [(mine, False), (theirs, True)]
    assert calm not in {r.complaint_id for r in queue.escalated + queue.due}

    complaints.reply_to_customer(uow, agent, late, "phone", "Sorted out.")
    complaints.decide_compensation(uow, boss, theirs, True, "ok")
    queue = complaints.review_queue(uow, boss)
    assert [r.complaint_id for r in queue.due] == [near]
    assert [s.compensation_id for s in queue.awaiting_signoff] == [mine]
    with pytest.raises(PermissionDenied):
        complaints.review_queue(uow, agent)


def test_only_supervisors_reassign_and_decide(uow, agent, boss, make_staff, customer):
    other = make_staff("agent2", Role.AGENT)
    tech = make_staff("tech", Role.TECHNICIAN)
    case_id, complaint_id = open_complaint(uow, agent, customer)
    comp = complaints.propose_compensation(uow, other, complaint_id, "voucher", 1000, "V")
    with pytest.raises(PermissionDenied):
        complaints.reassign_complaint(uow, agent, complaint_id, other.staff_id)
    with pytest.raises(PermissionDenied):
        complaints.decide_compensation(uow, agent, comp, True, "ok")
    with pytest.raises(PermissionDenied):
        complaints.complaint_view(uow, tech, complaint_id)
    with pytest.raises(ValidationError):
        complaints.reassign_complaint(uow, boss, complaint_id, tech.staff_id)
    complaints.reassign_complaint(uow, boss, complaint_id, other.staff_id)
    assert cases.get_case(uow, agent, case_id).owner_id == other.staff_id
    assert count(uow, AuditEntry, AuditEntry.action == "complaint_reassigned") == 1


# --- root causes ------------------------------------------------------------------------------

def test_root_cause_with_responsibility_and_the_summary(uow, agent, make_staff, customer):
    with uow:
        store = Store(code="SH01", name="Shanghai Nanjing Rd")
        product = Product(sku="K-100", name="Kettle", category="kitchen", price_cents=19900)
        uow.session.add_all([store, product])
        uow.commit()
        store_id, product_id = store.id, product.id
    ids = [open_complaint(uow, agent, customer)[1] for _ in range(5)]
    with pytest.raises(ValidationError):
        complaints.set_root_cause(uow, agent, ids[0], "bad_luck")
    with pytest.raises(NotFound):
        complaints.set_root_cause(uow, agent, ids[0], "product_defect",
                                  responsible_store_id=999_999)
    complaints.set_root_cause(uow, agent, ids[0], "product_defect",
                              responsible_department="quality",
                              responsible_product_id=product_id)
    complaints.set_root_cause(uow, agent, ids[1], "product_defect",
                              responsible_product_id=product_id)
    complaints.set_root_cause(uow, agent, ids[2], "staff_behaviour",
                              responsible_store_id=store_id)
    complaints.set_root_cause(uow, agent, ids[3], "product_defect")
    view = complaints.complaint_view(uow, agent, ids[0])
    assert (view.root_cause, view.responsible_department, view.responsible_product) == \
        ("product_defect", "quality", "K-100 Kettle")
    assert complaints.complaint_view(uow, agent, ids[2]).responsible_store == \
        "SH01 Shanghai Nanjing Rd"

    analyst = make_staff("ana", Role.ANALYST)
    summary = complaints.root_cause_summary(uow, analyst, datetime.utcnow() - timedelta(days=1))
    assert [(r.root_cause, r.count) for r in summary.rows] == \
        [("product_defect", 3), ("staff_behaviour", 1)]
    assert [r.cumulative_share for r in summary.rows] == [0.75, 1.0]
    assert (summary.unclassified, summary.total) == (1, 5)
    assert complaints.root_cause_summary(uow, analyst, datetime.utcnow()).total == 0
    with pytest.raises(PermissionDenied):
        complaints.root_cause_summary(uow, agent, datetime.utcnow())


def test_a_closed_complaint_takes_no_more_changes(uow, agent, customer):
    case_id, complaint_id = open_complaint(uow, agent, customer)
    ready_to_close(uow, agent, complaint_id)
    complaints.close_complaint(uow, agent, complaint_id)
    for attempt in (
        lambda: complaints.ask_department(uow, agent, complaint_id, "quality", "Why?"),
        lambda: complaints.propose_compensation(uow, agent, complaint_id, "gift", 0, "Tea"),
        lambda: complaints.reply_to_customer(uow, agent, complaint_id, "phone", "Again"),
        lambda: complaints.escalate_complaint(uow, agent, complaint_id, "Late"),
    ):
        with pytest.raises(InvalidState):
            attempt()
    assert count(uow, InvestigationRequest) == 0
    assert count(uow, CaseEvent, CaseEvent.case_id == case_id,
                 CaseEvent.kind == "escalation") == 0
