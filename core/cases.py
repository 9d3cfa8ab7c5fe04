"""Cases: every contact recorded, answered and followed to the end.

Intake (first-contact resolution or an owner and a due time), the timeline, replies and notes,
status changes along the allowed graph (with the SLA clock paused while waiting on the
customer), assignment (by hand, or automatically by skill and open load), escalation, reopen.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import object_session

from core import audit, callback_rules, callback_views, complaints, messages, sla, validate
from core.actor import Actor
from core.clock import utcnow
from core.errors import InvalidState, NotFound, PermissionDenied, ValidationError
from core.i18n import N_, Term, translator
from core.labels import STATUS
from core.permissions import Action, allowed, require
from core.uow import UnitOfWork, expect_version
from core.vocabulary import (CaseCategory, CaseEventKind, CaseKind, CaseStatus, Channel,
                             Priority, Role)
from db.models import Case, CaseEvent, Customer, Order, Product, Staff, StaffRole, StaffSkill

S = CaseStatus
# Where a case may go from each status. Reopening is RESOLVED/CLOSED -> OPEN.
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.NEW: frozenset({S.OPEN, S.WAITING_CUSTOMER, S.WAITING_INTERNAL, S.RESOLVED}),
    S.OPEN: frozenset({S.WAITING_CUSTOMER, S.WAITING_INTERNAL, S.RESOLVED}),
    S.WAITING_CUSTOMER: frozenset({S.OPEN, S.WAITING_INTERNAL, S.RESOLVED}),
    S.WAITING_INTERNAL: frozenset({S.OPEN, S.WAITING_CUSTOMER, S.RESOLVED}),
    S.RESOLVED: frozenset({S.CLOSED, S.OPEN}),
    S.CLOSED: frozenset({S.OPEN}),
}
LIMITS = {"subject": 200, "question": 10_000, "customer_expectation": 2_000,
          "answer": 10_000, "next_step": 2_000, "body": 10_000, "reason": 2_000}
FIELD_NAMES = {"subject": N_("Subject"), "question": N_("What the customer asked"),
               "customer_expectation": N_("What the customer expects"),
               "answer": N_("Answer given"), "next_step": N_("Next step"),
               "body": N_("Message"), "reason": N_("Reason")}
CASE_WORKERS = (Role.AGENT, Role.SUPERVISOR)


def _text(name: str, value: str | None, required: bool = False) -> str | None:
    return validate.text(value, field=FIELD_NAMES[name], limit=LIMITS[name], required=required)


_choice = validate.choice


def _case(uow: UnitOfWork, case_id: int, for_update: bool = False) -> Case:
    query = sa.select(Case).where(Case.id == validate.record_id(case_id))
    case = uow.session.scalar(query.with_for_update() if for_update else query)
    if case is None:
        raise NotFound(N_("Case {case_id} does not exist."), case_id=case_id)
    return case


def _event(uow: UnitOfWork, case: Case, kind: CaseEventKind, actor: Actor | None,
           body: str | None = None, old: str | None = None, new: str | None = None,
           channel: Channel | None = None, at: datetime | None = None) -> None:
    uow.session.add(CaseEvent(case_id=case.id, kind=kind,
                              author_id=actor.staff_id if actor else None,
                              body=body, old_value=old, new_value=new, channel=channel,
                              created_at=at or utcnow()))


# --- intake -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class CaseReceipt:
    case_id: int
    status: CaseStatus
    owner_id: int | None
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    acknowledged: bool


def open_case(uow: UnitOfWork, actor: Actor, *, customer_id: int, channel: str, kind: str,
              category: str, subject: str, question: str,
              customer_expectation: str | None = None, answer: str | None = None,
              priority: str = "normal", order_id: int | None = None,
              product_id: int | None = None, resolved_now: bool = False,
              next_step: str | None = None, owner: str | int = "me",
              required_skill: str | None = None, notify_customer: bool = True,
              severity: str | None = None) -> CaseReceipt:
    """Records a contact. Resolved on the spot = first-contact resolution; otherwise the case
    stays open with an owner, a due time and the next step the customer was told."""
    require(actor, Action.CASE_CREATE)
    channel_ = _choice(Channel, channel, N_("Channel"))
    kind_ = _choice(CaseKind, kind, N_("Kind"))
    category_ = _choice(CaseCategory, category, N_("Category"))
    priority_ = _choice(Priority, priority, N_("Priority"))
    subject_ = _text("subject", subject, required=True)
    question_ = _text("question", question, required=True)
    expectation = _text("customer_expectation", customer_expectation)
    answer_ = _text("answer", answer, required=resolved_now)
    next_step_ = _text("next_step", next_step, required=not resolved_now)
    now = utcnow()
    with uow:
        customer = uow.session.get(Customer, customer_id)
        if customer is None or customer.merged_into_id is not None:
            raise NotFound(N_("Customer {customer_id} does not exist."),
                           customer_id=customer_id)
        if order_id is not None:
            order = uow.session.get(Order, order_id)
            if order is None or order.customer_id != customer.id:
                raise ValidationError(N_("Order {order_id} is not an order of this customer."),
                                      order_id=order_id)
        if product_id is not None and uow.session.get(Product, product_id) is None:
            raise NotFound(N_("Product {product_id} does not exist."), product_id=product_id)
        due = sla.due_times(uow.session, channel_, kind_, priority_, now)
        case = Case(kind=kind_, channel=channel_, category=category_, priority=priority_,
                    status=S.NEW, customer_id=customer.id, order_id=order_id,
                    product_id=product_id, created_by_id=actor.staff_id, subject=subject_,
                    question=question_, customer_expectation=expectation, answer=answer_,
                    next_step=next_step_, required_skill=(required_skill or "").strip() or None,
                    created_at=now, sla_policy_id=due.policy_id,
                    first_response_due_at=due.first_response_due_at,
                    resolution_due_at=due.resolution_due_at)
        uow.session.add(case)
        uow.flush()
        _event(uow, case, CaseEventKind.CUSTOMER_MESSAGE, None, question_, channel=channel_,
               at=now)
        if answer_:
            _event(uow, case, CaseEventKind.REPLY, actor, answer_, channel=channel_, at=now)
            _first_response(case, now)
        if resolved_now:
            case.owner_id = actor.staff_id
            _set_status(uow, case, actor, S.RESOLVED, now)
            case.first_contact_resolution = True
        else:
            case.owner_id = _initial_owner(uow, actor, owner, case.required_skill)
            case.status = S.OPEN if answer_ else S.NEW
            if case.owner_id:
                _event(uow, case, CaseEventKind.ASSIGNMENT, actor, new=str(case.owner_id),
                       at=now)
        acknowledged = False
        if notify_customer and not resolved_now:
            acknowledged = _acknowledge(uow, actor, case, customer, now)
        if kind_ == CaseKind.COMPLAINT:
            complaints.on_complaint_opened(uow, actor, case, severity, acknowledged)
        audit.record(uow, actor, "case_created", "case", case.id, None,
                     {"customer_id": customer.id, "kind": kind_, "channel": channel_,
                      "status": case.status, "owner_id": case.owner_id})
        uow.commit()
        return CaseReceipt(case.id, case.status, case.owner_id, case.first_response_due_at,
                           case.resolution_due_at, acknowledged)


def _first_response(case: Case, now: datetime) -> None:
    if case.first_response_at is None:
        case.first_response_at = now
        case.first_response_minutes = sla.business_minutes(object_session(case),
                                                           case.created_at, now)
        case.first_response_breached = bool(case.first_response_due_at
                                            and now > case.first_response_due_at)


def _acknowledge(uow: UnitOfWork, actor: Actor, case: Case, customer: Customer,
                 now: datetime) -> bool:
    """Tells the customer the case is accepted and when they will hear back. For a complaint
    the acknowledgement is the first response (DOMAIN.md section 3)."""
    due = case.resolution_due_at
    local_due = sla.local_text(uow.session, due)
    message = messages.queue(uow, customer=customer, case_id=case.id, author_id=actor.staff_id,
                             template_key="case_acknowledgement",
                             values={"case_id": case.id, "customer_name": customer.name,
                                     "due": local_due, "agent_name": actor.display_name})
    if message is None:
        return False
    if case.kind == CaseKind.COMPLAINT:
        _first_response(case, now)
    return True


def _initial_owner(uow: UnitOfWork, actor: Actor, owner: str | int,
                   skill: str | None) -> int | None:
    if owner == "me":
        return actor.staff_id
    if owner == "auto":
        if not sla.setting(uow.session, "cases.auto_assign", True):
            return None  # switched off: the case waits in the unassigned queue
        return pick_owner(uow, skill)
    if owner in (None, "", "none"):
        return None
    if int(owner) != actor.staff_id:
        require(actor, Action.CASE_ASSIGN)
    return _assignable(uow, int(owner)).id


def pick_owner(uow: UnitOfWork, skill: str | None = None) -> int | None:
    """The agent with the skill and the fewest open cases; among equals, the one who was
    given a case longest ago (round robin)."""
    open_load = (sa.select(Case.owner_id, sa.func.count().label("n"))
                 .where(Case.status.in_(sla.OPEN_STATUSES), Case.owner_id.is_not(None))
                 .group_by(Case.owner_id).subquery())
    last_given = (sa.select(Case.owner_id, sa.func.max(Case.created_at).label("at"))
                  .where(Case.owner_id.is_not(None)).group_by(Case.owner_id).subquery())
    query = (sa.select(Staff.id)
             .join(StaffRole, sa.and_(StaffRole.staff_id == Staff.id,
                                      StaffRole.role == Role.AGENT))
             .outerjoin(open_load, open_load.c.owner_id == Staff.id)
             .outerjoin(last_given, last_given.c.owner_id == Staff.id)
             .where(Staff.active.is_(True))
             .order_by(sa.func.coalesce(open_load.c.n, 0),
                       sa.func.coalesce(last_given.c.at, datetime(1970, 1, 1)), Staff.id)
             .limit(1))
    if skill:
        query = query.join(StaffSkill, sa.and_(StaffSkill.staff_id == Staff.id,
                                               StaffSkill.skill == skill.lower()))
    return uow.session.scalar(query)


def _assignable(uow: UnitOfWork, staff_id: int) -> Staff:
    staff = uow.session.get(Staff, staff_id)
    if staff is None or not staff.active or not (staff.role_set & set(CASE_WORKERS)):
        raise ValidationError(N_("Cases can only be given to an active agent or supervisor."))
    return staff


# --- working a case ---------------------------------------------------------------------------

def reply(uow: UnitOfWork, actor: Actor, case_id: int, body: str, expected_version: int,
          channel: str | None = None, send_to_customer: bool = True) -> None:
    """An answer to the customer: on the timeline, in the outbox, and the first response if
    it is the first."""
    require(actor, Action.CASE_WORK)
    text = _text("body", body, required=True)
    now = utcnow()
    with uow:
        case = _case(uow, case_id, for_update=True)
        expect_version(case, expected_version)
        if case.status == S.CLOSED:
            raise InvalidState(N_("Case {case_id} is closed. Reopen it to reply."),
                               case_id=case.id)
        _event(uow, case, CaseEventKind.REPLY, actor, text,
               channel=_choice(Channel, channel, N_("Channel")) if channel else case.channel)
        _first_response(case, now)
        if case.status == S.NEW:
            _set_status(uow, case, actor, S.OPEN, now)
        if send_to_customer:
            customer = uow.session.get(Customer, case.customer_id)
            subject = translator(customer.language.value)(
                N_("Reply to your request (case {case_id})")).format(case_id=case.id)
            messages.queue(uow, customer=customer, case_id=case.id, author_id=actor.staff_id,
                           subject=subject, body=text)
        case.updated_at = now  # a reply moves the version on: a parallel reply must reload
        audit.record(uow, actor, "case_replied", "case", case.id)
        uow.commit()


def add_note(uow: UnitOfWork, actor: Actor, case_id: int, body: str,
             call_log: bool = False) -> None:
    """An internal note, or the log of a call with the customer; never sent to them."""
    require(actor, Action.CASE_WORK)
    text = _text("body", body, required=True)
    with uow:
        case = _case(uow, case_id)
        kind = CaseEventKind.CALL_LOG if call_log else CaseEventKind.INTERNAL_NOTE
        _event(uow, case, kind, actor, text)
        audit.record(uow, actor, f"case_{kind.value}", "case", case.id)
        uow.commit()


def allowed_transitions(case: Case) -> list[CaseStatus]:
    return sorted(TRANSITIONS[case.status], key=list(S).index)


def change_status(uow: UnitOfWork, actor: Actor, case_id: int, status: str,
                  expected_version: int, note: str | None = None) -> None:
    require(actor, Action.CASE_WORK)
    target = _choice(CaseStatus, status, N_("Status"))
    note_ = _text("body", note)
    now = utcnow()
    with uow:
        case = _case(uow, case_id, for_update=True)
        expect_version(case, expected_version)
        if target not in TRANSITIONS[case.status]:
            raise InvalidState(N_("A case that is {current} cannot become {target}."),
                               current=Term(STATUS[case.status]), target=Term(STATUS[target]))
        complaints.check_closable(uow, case, target)
        if case.status in (S.RESOLVED, S.CLOSED) and target == S.OPEN and not note_:
            raise ValidationError(N_("Say why the case is reopened."))
        if target == S.RESOLVED and not (case.answer or _has_reply(uow, case)):
            raise InvalidState(N_("Reply to the customer before resolving the case."))
        old = case.status
        _set_status(uow, case, actor, target, now, note_)
        audit.record(uow, actor, "case_status_changed", "case", case.id, {"status": old},
                     {"status": target})
        uow.commit()


def _has_reply(uow: UnitOfWork, case: Case) -> bool:
    return uow.session.scalar(sa.select(sa.func.count()).select_from(CaseEvent).where(
        CaseEvent.case_id == case.id, CaseEvent.kind == CaseEventKind.REPLY)) > 0


def _set_status(uow: UnitOfWork, case: Case, actor: Actor, target: CaseStatus,
                now: datetime, note: str | None = None) -> None:
    old = case.status
    if old == S.WAITING_CUSTOMER and target != S.WAITING_CUSTOMER:
        sla.resume(uow.session, case, now)
    if target == S.WAITING_CUSTOMER:
        sla.pause(case, now)
    if target == S.RESOLVED:
        case.resolved_at = now
        case.resolution_minutes = sla.business_minutes(uow.session, case.created_at, now)
        case.resolution_breached = bool(case.resolution_due_at and now > case.resolution_due_at)
        callback_rules.on_case_resolved(uow, actor, case, now)
    elif target == S.CLOSED:
        case.closed_at = now
    elif old in (S.RESOLVED, S.CLOSED):  # reopened: a new resolution is owed
        case.reopen_count += 1
        case.resolved_at = case.closed_at = None
        case.resolution_minutes = None
        case.first_contact_resolution = False
    case.status = target
    _event(uow, case, CaseEventKind.STATUS_CHANGE, actor, note, old=old.value,
           new=target.value, at=now)


def reopen(uow: UnitOfWork, actor: Actor, case_id: int, expected_version: int,
           reason: str) -> None:
    """A resolved or closed case back to open, with the reason on the timeline."""
    change_status(uow, actor, case_id, S.OPEN, expected_version, reason)


def assign(uow: UnitOfWork, actor: Actor, case_id: int, owner_id: int | None,
           expected_version: int) -> None:
    """Taking an unassigned case needs only case work; giving one to someone else (or
    taking it from them) is a supervisor's call."""
    require(actor, Action.CASE_WORK)
    with uow:
        case = _case(uow, case_id, for_update=True)
        expect_version(case, expected_version)
        claiming = owner_id == actor.staff_id and case.owner_id is None
        if not claiming and not allowed(actor.roles, Action.CASE_ASSIGN):
            raise PermissionDenied(N_("Only a supervisor can give a case to someone else or "
                                      "take it from its owner."))
        if owner_id is not None:
            _assignable(uow, owner_id)
        old = case.owner_id
        if old == owner_id:
            return
        case.owner_id = owner_id
        _event(uow, case, CaseEventKind.ASSIGNMENT, actor, old=str(old or ""),
               new=str(owner_id or ""))
        audit.record(uow, actor, "case_assigned", "case", case.id, {"owner_id": old},
                     {"owner_id": owner_id})
        uow.commit()


def assignable_staff(uow: UnitOfWork, actor: Actor) -> list[tuple[int, str]]:
    """Who a case can be given to: active agents and supervisors, by name."""
    require(actor, Action.CASE_VIEW)
    with uow.reader() as r:
        rows = r.session.execute(
            sa.select(Staff.id, Staff.display_name).join(StaffRole, StaffRole.staff_id == Staff.id)
            .where(Staff.active.is_(True), StaffRole.role.in_(CASE_WORKERS))
            .distinct().order_by(Staff.display_name)).all()
        return [(sid, name) for sid, name in rows]


def escalate(uow: UnitOfWork, actor: Actor, case_id: int, reason: str,
             expected_version: int) -> None:
    """Flags the case for a supervisor, with the reason on the timeline."""
    require(actor, Action.CASE_ESCALATE)
    reason_ = _text("reason", reason, required=True)
    with uow:
        case = _case(uow, case_id, for_update=True)
        expect_version(case, expected_version)
        if case.status == S.CLOSED:
            raise InvalidState(N_("Case {case_id} is closed. Reopen it first."),
                               case_id=case.id)
        if case.escalated:
            raise InvalidState(N_("Case {case_id} is already escalated."), case_id=case.id)
        case.escalated = True
        _event(uow, case, CaseEventKind.ESCALATION, actor, reason_)
        audit.record(uow, actor, "case_escalated", "case", case.id, None, {"reason": reason_})
        uow.commit()


# --- reading ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: CaseEventKind
    author: str | None
    body: str | None
    old_value: str | None
    new_value: str | None
    channel: str | None


@dataclass(frozen=True)
class OutboxEntry:
    at: datetime
    channel: str
    to_address: str
    subject: str | None
    body: str
    status: str


@dataclass(frozen=True)
class CaseView:
    id: int
    version: int
    kind: CaseKind
    channel: Channel
    category: CaseCategory
    priority: Priority
    status: CaseStatus
    subject: str
    question: str
    customer_expectation: str | None
    answer: str | None
    next_step: str | None
    customer_id: int
    customer_name: str
    order_id: int | None
    order_number: str | None
    owner_id: int | None
    owner_name: str | None
    escalated: bool
    first_contact_resolution: bool
    reopen_count: int
    created_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    first_response_state: sla.SlaState
    resolution_state: sla.SlaState
    allowed_transitions: list[CaseStatus]
    timeline: list[TimelineEntry] = field(default_factory=list)
    outbox: list[OutboxEntry] = field(default_factory=list)
    follow_ups: list[callback_views.FollowUpView] = field(default_factory=list)
    parent_case_id: int | None = None       # the case this one continues
    continued_in: list[int] = field(default_factory=list)   # cases that continue this one


def get_case(uow: UnitOfWork, actor: Actor, case_id: int) -> CaseView:
    require(actor, Action.CASE_VIEW)
    from db.models import OutboxMessage
    now = utcnow()
    with uow.reader() as r:
        case = r.session.get(Case, validate.record_id(case_id))
        if case is None:
            raise NotFound(N_("Case {case_id} does not exist."), case_id=case_id)
        customer = r.session.get(Customer, case.customer_id)
        owner = r.session.get(Staff, case.owner_id) if case.owner_id else None
        order = r.session.get(Order, case.order_id) if case.order_id else None
        authors = dict(r.session.execute(sa.select(Staff.id, Staff.display_name)).all())
        events = r.session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == case.id)
                                   .order_by(CaseEvent.created_at, CaseEvent.id)).all()
        outbox = r.session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.case_id == case.id).order_by(OutboxMessage.id)).all()
        return CaseView(
            id=case.id, version=case.version, kind=case.kind, channel=case.channel,
            category=case.category, priority=case.priority, status=case.status,
            subject=case.subject, question=case.question,
            customer_expectation=case.customer_expectation, answer=case.answer,
            next_step=case.next_step, customer_id=case.customer_id,
            customer_name=customer.name, order_id=case.order_id,
            order_number=order.order_number if order else None, owner_id=case.owner_id,
            owner_name=owner.display_name if owner else None, escalated=case.escalated,
            first_contact_resolution=case.first_contact_resolution,
            reopen_count=case.reopen_count, created_at=case.created_at,
            first_response_at=case.first_response_at, resolved_at=case.resolved_at,
            closed_at=case.closed_at, first_response_due_at=case.first_response_due_at,
            resolution_due_at=case.resolution_due_at,
            first_response_state=sla.first_response_state(case, now),
            resolution_state=sla.resolution_state(case, now),
            allowed_transitions=allowed_transitions(case),
            timeline=[TimelineEntry(e.created_at, e.kind, authors.get(e.author_id), e.body,
                                    e.old_value, e.new_value,
                                    e.channel.value if e.channel else None) for e in events],
            outbox=[OutboxEntry(m.created_at, m.channel.value, m.to_address, m.subject,
                                m.body, m.status.value) for m in outbox],
            follow_ups=callback_views.follow_ups_of_case(r.session, case.id),
            parent_case_id=case.parent_case_id,
            continued_in=list(r.session.scalars(sa.select(Case.id).where(
                Case.parent_case_id == case.id).order_by(Case.id))))
