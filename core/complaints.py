"""Complaints (DOMAIN.md section 3): accepted and acknowledged at once, a severity and a
promised reply date tracked like an SLA, investigation with other departments, the reply to
the customer with the result, the customer's evaluation, escalation, compensation that a
supervisor signs off (four eyes, decided exactly once), and a root cause required to close.

A complaint is the `complaint` row of a case of kind complaint; it is created by
`core.cases.open_case` (through `on_complaint_opened`), and `core.cases.change_status` asks
`check_closable` before such a case is resolved or closed.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from core import audit, cases, messages, sla, validate
from core.actor import Actor
from core.clock import utcnow
from core.errors import InvalidState, NotFound, PermissionDenied, ValidationError
from core.i18n import N_, Term, say
from core.labels import COMPENSATION_KIND, DECISION, DEPARTMENT, ROOT_CAUSE, SEVERITY
from core.permissions import Action, allowed, require
from core.uow import UnitOfWork, expect_version
from core.vocabulary import (CaseEventKind, CaseKind, CaseStatus, Channel, CompensationKind,
                             ComplaintSeverity, DecisionStatus, Department, MessageChannel, Role,
                             RootCause)
from db.models import (Case, Compensation, Complaint, Customer, InvestigationRequest,
                       OutboxMessage, Product, Staff, Store)

S = CaseStatus
REPLY_TEMPLATE = "complaint_reply"
REPLY_METHODS = ("written", "phone")
# A severe complaint is promised a reply sooner than the case SLA would; never later.
SEVERITY_PROMISE_BUSINESS_DAYS = {ComplaintSeverity.CRITICAL: 1, ComplaintSeverity.MAJOR: 2}
INVESTIGATION_BUSINESS_DAYS = 1  # a department's default time to answer
REVIEW_HORIZON = timedelta(hours=24)  # "close to the promised date" on the review page
MAX_AMOUNT_CENTS = 100_000_000

# --- labels people read (msgids, translated by the page) --------------------------------------

REPLY_METHOD = {"written": N_("In writing"), "phone": N_("By phone")}

# what still blocks closing, in the order people fix it
MISSING_ROOT_CAUSE = N_("the root cause")
MISSING_REPLY = N_("the reply with the result to the customer")
MISSING_DECISION = N_("a supervisor's decision on the proposed compensation")

LIMITS = {"question": 4_000, "answer": 4_000, "answered_by": 120, "result": 10_000,
          "comment": 2_000, "reason": 2_000, "description": 2_000, "note": 2_000}
FIELD_NAMES = {"question": N_("Question to the department"),
               "answer": N_("Department's answer"), "answered_by": N_("Answered by"),
               "result": N_("Result told to the customer"),
               "comment": N_("Customer's comment"), "reason": N_("Reason"),
               "description": N_("Description"), "note": N_("Decision note")}


# --- errors -----------------------------------------------------------------------------------

class ComplaintNotClosable(InvalidState):
    """Resolving or closing a complaint case without what DOMAIN.md requires."""

    def __init__(self, case_id: int, missing: list[str]) -> None:
        super().__init__(N_("Complaint case {case_id} cannot be resolved or closed yet. "
                            "Still missing: {missing}."),
                         case_id=case_id, missing="; ".join(missing))
        self.missing = list(missing)

    def render(self, gettext: Callable[[str], str]) -> str:
        return gettext(self.message).format(
            case_id=self.params["case_id"], missing="; ".join(gettext(m) for m in self.missing))


class OwnProposal(PermissionDenied):
    """Four eyes: whoever proposed a compensation never decides it."""

    def __init__(self) -> None:
        super().__init__(N_("You proposed this compensation, so another supervisor has to "
                            "decide it."))


class AlreadyDecided(InvalidState):
    def __init__(self, status: DecisionStatus) -> None:
        super().__init__(N_("This compensation was already decided: {status}. Reload to see "
                            "the decision."), status=Term(DECISION[status]))


# --- small helpers ----------------------------------------------------------------------------

def _text(name: str, value: str | None, required: bool = False) -> str | None:
    return validate.text(value, field=FIELD_NAMES[name], limit=LIMITS[name], required=required)


def _complaint(uow: UnitOfWork, complaint_id: int, for_update: bool = False) -> Complaint:
    query = sa.select(Complaint).where(Complaint.id == validate.record_id(complaint_id))
    complaint = uow.session.scalar(query.with_for_update() if for_update else query)
    if complaint is None:
        raise NotFound(N_("Complaint {complaint_id} does not exist."),
                       complaint_id=complaint_id)
    return complaint


def _open_case_of(uow: UnitOfWork, complaint: Complaint, for_update: bool = False) -> Case:
    case = cases._case(uow, complaint.case_id, for_update=for_update)
    if case.status == S.CLOSED:
        raise InvalidState(N_("Case {case_id} is closed. Reopen it first."), case_id=case.id)
    return case


def _severity_promise(uow: UnitOfWork, case: Case, severity: ComplaintSeverity,
                      start: datetime) -> datetime | None:
    """The case's resolution due time, shortened to the severity's target if that is sooner."""
    due = case.resolution_due_at
    days = SEVERITY_PROMISE_BUSINESS_DAYS.get(severity)
    if days is None:
        return due
    target = sla.business_days_later(uow.session, start, days)
    return target if due is None or target < due else due


def promise_state(complaint: Complaint, created_at: datetime, now: datetime) -> sla.SlaState:
    """The promised reply tracked like an SLA: met / breached once replied, else on track,
    at risk or breached."""
    return sla.state(complaint.promised_reply_at, complaint.replied_at, now, created_at)


def _supervisor(uow: UnitOfWork, staff_id: int) -> Staff:
    staff = uow.session.get(Staff, staff_id)
    if staff is None or not staff.active or Role.SUPERVISOR not in staff.role_set:
        raise ValidationError(N_("A complaint can only be escalated to an active supervisor."))
    return staff


# --- opening (called by core.cases.open_case) -------------------------------------------------

def on_complaint_opened(uow: UnitOfWork, actor: Actor, case: Case, severity: str | None,
                        acknowledged: bool) -> Complaint:
    """The complaint row of a new complaint case, inside open_case's transaction: severity,
    the acknowledgement (open_case's, which is the first response) and the promised reply."""
    if case.status in (S.RESOLVED, S.CLOSED):
        raise ValidationError(N_("A complaint cannot be resolved when it is taken: it needs a "
                                 "root cause and a reply with the result. Save it open."))
    severity_ = cases._choice(ComplaintSeverity, severity or ComplaintSeverity.MINOR,
                              N_("Severity"))
    promise = _severity_promise(uow, case, severity_, case.created_at)
    complaint = Complaint(case_id=case.id, severity=severity_,
                          acknowledged_at=case.created_at if acknowledged else None,
                          promised_reply_at=promise)
    uow.session.add(complaint)
    uow.flush()
    if acknowledged and promise != case.resolution_due_at:
        _restate_acknowledgement(uow, actor, case, promise)
    cases._event(uow, case, CaseEventKind.SYSTEM, actor,
                 say(actor.language,
                     N_("Complaint accepted, severity {severity}; reply promised by {due}."),
                     severity=Term(SEVERITY[severity_]),
                     due=sla.local_text(uow.session, promise) or "-"),
                 new=severity_.value, at=case.created_at)
    audit.record(uow, actor, "complaint_opened", "complaint", complaint.id, None,
                 {"case_id": case.id, "severity": severity_, "promised_reply_at": promise,
                  "acknowledged": acknowledged})
    return complaint


def _restate_acknowledgement(uow: UnitOfWork, actor: Actor, case: Case,
                             promise: datetime | None) -> None:
    """The acknowledgement open_case queued names the case's due time; a severe complaint is
    promised sooner, and the customer must be told the date we actually promise."""
    message = uow.session.scalar(sa.select(OutboxMessage).where(
        OutboxMessage.case_id == case.id,
        OutboxMessage.template_key == "case_acknowledgement").order_by(OutboxMessage.id.desc()))
    if message is None:
        return
    customer = uow.session.get(Customer, case.customer_id)
    rendered = messages.render(uow, "case_acknowledgement", customer.language.value,
                               MessageChannel.EMAIL,
                               {"case_id": case.id, "customer_name": customer.name,
                                "due": sla.local_text(uow.session, promise),
                                "agent_name": actor.display_name})
    message.subject, message.body = rendered.subject, rendered.body


def record_acknowledgement(uow: UnitOfWork, actor: Actor, complaint_id: int,
                           note: str | None = None) -> None:
    """The acceptance confirmed by phone, for a customer without an address to write to."""
    require(actor, Action.COMPLAINT_HANDLE)
    note_ = _text("comment", note)
    now = utcnow()
    with uow:
        complaint = _complaint(uow, complaint_id, for_update=True)
        case = _open_case_of(uow, complaint, for_update=True)
        if complaint.acknowledged_at is not None:
            raise InvalidState(N_("The customer was already told the complaint is accepted."))
        complaint.acknowledged_at = now
        cases._first_response(case, now)
        cases._event(uow, case, CaseEventKind.CALL_LOG, actor,
                     say(actor.language, N_("Told the customer by phone that the complaint is "
                                            "accepted and when they will hear from us.")) +
                     (f" {note_}" if note_ else ""), channel=Channel.PHONE, at=now)
        audit.record(uow, actor, "complaint_acknowledged", "complaint", complaint.id, None,
                     {"acknowledged_at": now})
        uow.commit()


# --- severity and promise ---------------------------------------------------------------------

def set_severity(uow: UnitOfWork, actor: Actor, complaint_id: int, severity: str,
                 expected_version: int | None = None) -> None:
    """A new severity; a more severe complaint may get an earlier promised reply (the promise
    already made is never moved later by this)."""
    require(actor, Action.COMPLAINT_HANDLE)
    severity_ = cases._choice(ComplaintSeverity, severity, N_("Severity"))
    with uow:
        complaint = _complaint(uow, complaint_id, for_update=True)
        expect_version(complaint, expected_version)
        case = _open_case_of(uow, complaint)
        old = complaint.severity
        if old == severity_:
            return
        old_promise = complaint.promised_reply_at
        complaint.severity = severity_
        if complaint.replied_at is None:
            target = _severity_promise(uow, case, severity_, case.created_at)
            if target is not None and (old_promise is None or target < old_promise):
                complaint.promised_reply_at = target
        cases._event(uow, case, CaseEventKind.SYSTEM, actor,
                     say(actor.language,
                         N_("Severity changed to {severity}; reply promised by {due}."),
                         severity=Term(SEVERITY[severity_]),
                         due=sla.local_text(uow.session, complaint.promised_reply_at) or "-"),
                     old=old.value, new=severity_.value)
        audit.record(uow, actor, "complaint_severity_set", "complaint", complaint.id,
                     {"severity": old, "promised_reply_at": old_promise},
                     {"severity": severity_, "promised_reply_at": complaint.promised_reply_at})
        uow.commit()


def promise_reply(uow: UnitOfWork, actor: Actor, complaint_id: int,
                  promised_reply_at: datetime, expected_version: int | None = None) -> None:
    """The date (naive UTC) the customer was promised the result by."""
    require(actor, Action.COMPLAINT_HANDLE)
    if not isinstance(promised_reply_at, datetime):
        raise ValidationError(N_("Give the date and time the reply is promised by."))
    now = utcnow()
    if promised_reply_at <= now:
        raise ValidationError(N_("A promised reply date must be in the future."))
    with uow:
        complaint = _complaint(uow, complaint_id, for_update=True)
        expect_version(complaint, expected_version)
        case = _open_case_of(uow, complaint)
        if complaint.replied_at is not None:
            raise InvalidState(N_("The customer already has the reply; there is nothing left "
                                  "to promise."))
        old = complaint.promised_reply_at
        complaint.promised_reply_at = promised_reply_at
        cases._event(uow, case, CaseEventKind.SYSTEM, actor,
                     say(actor.language, N_("Reply promised to the customer by {due}."),
                         due=sla.local_text(uow.session, promised_reply_at)), at=now)
        audit.record(uow, actor, "complaint_promise_set", "complaint", complaint.id,
                     {"promised_reply_at": old}, {"promised_reply_at": promised_reply_at})
        uow.commit()


# --- investigation ----------------------------------------------------------------------------

def ask_department(uow: UnitOfWork, actor: Actor, complaint_id: int, department: str,
                   question: str, due_at: datetime | None = None) -> int:
    """A question to another department, on the record with its due date (default: one
    business day). Returns the request's id."""
    require(actor, Action.COMPLAINT_HANDLE)
    department_ = cases._choice(Department, department, N_("Department"))
    question_ = _text("question", question, required=True)
    now = utcnow()
    if due_at is not None and due_at <= now:
        raise ValidationError(N_("The department's answer must be due in the future."))
    with uow:
        complaint = _complaint(uow, complaint_id)
        case = _open_case_of(uow, complaint)
        due = due_at or sla.business_days_later(uow.session, now, INVESTIGATION_BUSINESS_DAYS)
        request = InvestigationRequest(complaint_id=complaint.id, department=department_,
                                       question=question_, requested_by_id=actor.staff_id,
                                       requested_at=now, due_at=due)
        uow.session.add(request)
        uow.flush()
        cases._event(uow, case, CaseEventKind.INTERNAL_NOTE, actor,
                     say(actor.language,
                         N_("Question to {department} (answer due {due}): {question}"),
                         department=Term(DEPARTMENT[department_]),
                         due=sla.local_text(uow.session, due),
                         question=question_),
                     new=department_.value, at=now)
        audit.record(uow, actor, "complaint_investigation_requested", "investigation_request",
                     request.id, None, {"complaint_id": complaint.id,
                                        "department": department_, "due_at": due})
        uow.commit()
        return request.id


def record_department_answer(uow: UnitOfWork, actor: Actor, request_id: int, answer: str,
                             answered_by: str) -> None:
    """The department's answer, with who in the department gave it."""
    require(actor, Action.COMPLAINT_HANDLE)
    answer_ = _text("answer", answer, required=True)
    answered_by_ = _text("answered_by", answered_by, required=True)
    now = utcnow()
    with uow:
        request = uow.session.scalar(sa.select(InvestigationRequest).where(
            InvestigationRequest.id == request_id).with_for_update())
        if request is None:
            raise NotFound(N_("Investigation request {request_id} does not exist."),
                           request_id=request_id)
        if request.answer is not None:
            raise InvalidState(N_("{department} has already answered this question."),
                               department=Term(DEPARTMENT[request.department]))
        complaint = _complaint(uow, request.complaint_id)
        case = _open_case_of(uow, complaint)
        request.answer, request.answered_by, request.answered_at = answer_, answered_by_, now
        cases._event(uow, case, CaseEventKind.INTERNAL_NOTE, actor,
                     say(actor.language, N_("Answer from {department} ({person}): {answer}"),
                         department=Term(DEPARTMENT[request.department]),
                         person=answered_by_, answer=answer_),
                     new=request.department.value, at=now)
        audit.record(uow, actor, "complaint_investigation_answered", "investigation_request",
                     request.id, None, {"answered_by": answered_by_, "answered_at": now})
        uow.commit()


# --- reply and evaluation ---------------------------------------------------------------------

def reply_to_customer(uow: UnitOfWork, actor: Actor, complaint_id: int, method: str,
                      result: str) -> None:
    """The result told to the customer: in writing (the outbox, in the customer's language)
    or by phone (a call log). The first reply is what the promise is measured against."""
    require(actor, Action.COMPLAINT_HANDLE)
    if method not in REPLY_METHODS:
        raise ValidationError(N_("Unknown {what}: {value}."), what=Term(N_("Reply method")),
                              value=str(method)[:40])
    result_ = _text("result", result, required=True)
    now = utcnow()
    with uow:
        complaint = _complaint(uow, complaint_id, for_update=True)
        case = _open_case_of(uow, complaint, for_update=True)
        customer = uow.session.get(Customer, case.customer_id)
        if method == "written":
            sent = messages.queue(uow, customer=customer, case_id=case.id,
                                  author_id=actor.staff_id, template_key=REPLY_TEMPLATE,
                                  values={"case_id": case.id, "customer_name": customer.name,
                                          "result": result_, "agent_name": actor.display_name})
            if sent is None:
                raise ValidationError(N_("The customer has no e-mail address or phone number "
                                         "to write to. Reply by phone."))
            cases._event(uow, case, CaseEventKind.REPLY, actor, result_,
                         channel=Channel.EMAIL, at=now)
        else:
            cases._event(uow, case, CaseEventKind.CALL_LOG, actor,
                         say(actor.language, N_("Result told to the customer by phone: {result}"),
                             result=result_), channel=Channel.PHONE, at=now)
        old = {"replied_at": complaint.replied_at, "reply_method": complaint.reply_method}
        if complaint.replied_at is None:
            complaint.replied_at = now
        complaint.reply_method, complaint.result = method, result_
        case.answer = result_
        cases._first_response(case, now)
        if case.status == S.NEW:
            cases._set_status(uow, case, actor, S.OPEN, now)
        case.updated_at = now
        audit.record(uow, actor, "complaint_replied", "complaint", complaint.id, old,
                     {"replied_at": complaint.replied_at, "reply_method": method})
        uow.commit()


def record_evaluation(uow: UnitOfWork, actor: Actor, complaint_id: int, satisfied: bool,
                      comment: str | None = None) -> None:
    """The customer's view of how the complaint was handled (and why, when not satisfied)."""
    require(actor, Action.COMPLAINT_HANDLE)
    if not isinstance(satisfied, bool):
        raise ValidationError(N_("Say whether the customer is satisfied."))
    comment_ = _text("comment", comment, required=not satisfied)
    with uow:
        complaint = _complaint(uow, complaint_id, for_update=True)
        case = cases._case(uow, complaint.case_id)
        if complaint.replied_at is None:
            raise InvalidState(N_("Reply to the customer with the result before recording "
                                  "their evaluation."))
        old = {"customer_satisfied": complaint.customer_satisfied,
               "evaluation_comment": complaint.evaluation_comment}
        complaint.customer_satisfied, complaint.evaluation_comment = satisfied, comment_
        verdict = N_("satisfied") if satisfied else N_("not satisfied")
        cases._event(uow, case, CaseEventKind.SYSTEM, actor,
                     say(actor.language,
                         N_("Customer's evaluation of the handling: {verdict}. {comment}"),
                         verdict=Term(verdict), comment=comment_ or "").strip(),
                     new="satisfied" if satisfied else "not_satisfied")
        audit.record(uow, actor, "complaint_evaluated", "complaint", complaint.id, old,
                     {"customer_satisfied": satisfied, "evaluation_comment": comment_})
        uow.commit()


# --- escalation and reassignment --------------------------------------------------------------

def escalate_complaint(uow: UnitOfWork, actor: Actor, complaint_id: int, reason: str,
                       escalated_to: int | None = None) -> None:
    """Flags the complaint for the supervisors (or one of them), with the reason."""
    require(actor, Action.COMPLAINT_HANDLE)
    require(actor, Action.CASE_ESCALATE)
    reason_ = _text("reason", reason, required=True)
    now = utcnow()
    with uow:
        complaint = _complaint(uow, complaint_id, for_update=True)
        case = _open_case_of(uow, complaint, for_update=True)
        if case.escalated:
            raise InvalidState(N_("Case {case_id} is already escalated."), case_id=case.id)
        if escalated_to is not None:
            _supervisor(uow, escalated_to)
        case.escalated = True
        case.updated_at = now
        complaint.escalated_at, complaint.escalated_to_id = now, escalated_to
        cases._event(uow, case, CaseEventKind.ESCALATION, actor, reason_,
                     new=str(escalated_to) if escalated_to else None, at=now)
        audit.record(uow, actor, "complaint_escalated", "complaint", complaint.id, None,
                     {"reason": reason_, "escalated_to_id": escalated_to})
        uow.commit()


def reassign_complaint(uow: UnitOfWork, actor: Actor, complaint_id: int, owner_id: int) -> None:
    """A supervisor gives the complaint to another agent or supervisor."""
    require(actor, Action.COMPLAINT_REVIEW)
    with uow:
        complaint = _complaint(uow, complaint_id)
        case = _open_case_of(uow, complaint, for_update=True)
        cases._assignable(uow, owner_id)
        old = case.owner_id
        if old == owner_id:
            return
        case.owner_id = owner_id
        case.updated_at = utcnow()
        cases._event(uow, case, CaseEventKind.ASSIGNMENT, actor, old=str(old or ""),
                     new=str(owner_id))
        audit.record(uow, actor, "complaint_reassigned", "complaint", complaint.id,
                     {"owner_id": old}, {"owner_id": owner_id})
        uow.commit()


# --- compensation -----------------------------------------------------------------------------

def propose_compensation(uow: UnitOfWork, actor: Actor, complaint_id: int, kind: str,
                         amount_cents: int, description: str) -> int:
    """A compensation offer that waits for a supervisor's sign-off. Returns its id."""
    require(actor, Action.COMPENSATION_PROPOSE)
    kind_ = cases._choice(CompensationKind, kind, N_("Compensation"))
    description_ = _text("description", description, required=True)
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) \
            or not 0 <= amount_cents <= MAX_AMOUNT_CENTS:
        raise ValidationError(N_("The amount must be a whole number of cents from 0 to "
                                 "{limit}."), limit=MAX_AMOUNT_CENTS)
    if kind_ in (CompensationKind.REFUND, CompensationKind.VOUCHER) and amount_cents == 0:
        raise ValidationError(N_("A refund or voucher needs an amount."))
    now = utcnow()
    with uow:
        complaint = _complaint(uow, complaint_id)
        case = _open_case_of(uow, complaint)
        comp = Compensation(complaint_id=complaint.id, kind=kind_, amount_cents=amount_cents,
                            description=description_, status=DecisionStatus.PROPOSED,
                            proposed_by_id=actor.staff_id, proposed_at=now)
        uow.session.add(comp)
        uow.flush()
        cases._event(uow, case, CaseEventKind.INTERNAL_NOTE, actor,
                     say(actor.language,
                         N_("Compensation proposed ({kind}, {amount}): {description}"),
                         kind=Term(COMPENSATION_KIND[kind_]),
                         amount=f"{amount_cents / 100:.2f}", description=description_),
                     new=f"compensation:{comp.id}", at=now)
        audit.record(uow, actor, "compensation_proposed", "compensation", comp.id, None,
                     {"complaint_id": complaint.id, "kind": kind_,
                      "amount_cents": amount_cents})
        uow.commit()
        return comp.id


def decide_compensation(uow: UnitOfWork, actor: Actor, compensation_id: int, approve: bool,
                        note: str | None = None) -> None:
    """A supervisor's sign-off. Never by the proposer (staff ids, whatever the roles); taken
    exactly once: the update only applies while the proposal is still undecided."""
    require(actor, Action.COMPENSATION_APPROVE)
    if not isinstance(approve, bool):
        raise ValidationError(N_("Say whether the compensation is approved."))
    note_ = _text("note", note, required=not approve)
    now = utcnow()
    with uow:
        comp = uow.session.get(Compensation, compensation_id)
        if comp is None:
            raise NotFound(N_("Compensation {compensation_id} does not exist."),
                           compensation_id=compensation_id)
        if comp.proposed_by_id == actor.staff_id:
            raise OwnProposal()
        if comp.status != DecisionStatus.PROPOSED:
            raise AlreadyDecided(comp.status)
        target = DecisionStatus.APPROVED if approve else DecisionStatus.REJECTED
        done = uow.session.execute(
            sa.update(Compensation)
            .where(Compensation.id == comp.id,
                   Compensation.status == DecisionStatus.PROPOSED,
                   Compensation.proposed_by_id != actor.staff_id)
            .values(status=target, decided_by_id=actor.staff_id, decided_at=now,
                    decision_note=note_, version=Compensation.version + 1)
            .execution_options(synchronize_session=False))
        uow.session.refresh(comp)
        if done.rowcount != 1:  # someone else decided between our read and our update
            raise AlreadyDecided(comp.status)
        complaint = _complaint(uow, comp.complaint_id)
        case = cases._case(uow, complaint.case_id)
        cases._event(uow, case, CaseEventKind.INTERNAL_NOTE, actor,
                     say(actor.language,
                         N_("Compensation decision: {decision} ({kind}, {amount}). {note}"),
                         decision=Term(DECISION[target]),
                         kind=Term(COMPENSATION_KIND[comp.kind]),
                         amount=f"{comp.amount_cents / 100:.2f}", note=note_ or "").strip(),
                     old=DecisionStatus.PROPOSED.value, new=target.value, at=now)
        audit.record(uow, actor, f"compensation_{target.value}", "compensation", comp.id,
                     {"status": DecisionStatus.PROPOSED},
                     {"status": target, "decision_note": note_})
        uow.commit()


# --- root cause and closing -------------------------------------------------------------------

def set_root_cause(uow: UnitOfWork, actor: Actor, complaint_id: int, root_cause: str,
                   responsible_department: str | None = None,
                   responsible_store_id: int | None = None,
                   responsible_product_id: int | None = None) -> None:
    """The cause category and who or what is responsible, for the periodic analysis."""
    require(actor, Action.COMPLAINT_HANDLE)
    cause = cases._choice(RootCause, root_cause, N_("Root cause"))
    department = (cases._choice(Department, responsible_department, N_("Department"))
                  if responsible_department else None)
    with uow:
        complaint = _complaint(uow, complaint_id, for_update=True)
        case = _open_case_of(uow, complaint)
        if responsible_store_id is not None and \
                uow.session.get(Store, responsible_store_id) is None:
            raise NotFound(N_("Store {store_id} does not exist."), store_id=responsible_store_id)
        if responsible_product_id is not None and \
                uow.session.get(Product, responsible_product_id) is None:
            raise NotFound(N_("Product {product_id} does not exist."),
                           product_id=responsible_product_id)
        before = {"root_cause": complaint.root_cause,
                  "responsible_department": complaint.responsible_department,
                  "responsible_store_id": complaint.responsible_store_id,
                  "responsible_product_id": complaint.responsible_product_id}
        complaint.root_cause, complaint.responsible_department = cause, department
        complaint.responsible_store_id = responsible_store_id
        complaint.responsible_product_id = responsible_product_id
        after = {"root_cause": cause, "responsible_department": department,
                 "responsible_store_id": responsible_store_id,
                 "responsible_product_id": responsible_product_id}
        old, new = audit.changes(before, after)
        if not new:
            return
        cases._event(uow, case, CaseEventKind.SYSTEM, actor,
                     say(actor.language, N_("Root cause: {cause}."), cause=Term(ROOT_CAUSE[cause])),
                     old=before["root_cause"].value if before["root_cause"] else None,
                     new=cause.value)
        audit.record(uow, actor, "complaint_root_cause_set", "complaint", complaint.id, old, new)
        uow.commit()


def missing_to_close(uow: UnitOfWork, complaint: Complaint) -> list[str]:
    """What still has to be done before the complaint may be resolved or closed (msgids)."""
    missing = []
    if complaint.root_cause is None:
        missing.append(MISSING_ROOT_CAUSE)
    if complaint.replied_at is None:
        missing.append(MISSING_REPLY)
    waiting = uow.session.scalar(sa.select(sa.func.count()).select_from(Compensation).where(
        Compensation.complaint_id == complaint.id,
        Compensation.status == DecisionStatus.PROPOSED))
    if waiting:
        missing.append(MISSING_DECISION)
    return missing


def check_closable(uow: UnitOfWork, case: Case, target: CaseStatus) -> None:
    """Called by core.cases.change_status: a complaint case is not resolved or closed without
    a root cause and the reply to the customer (and no compensation left undecided)."""
    if case.kind != CaseKind.COMPLAINT or target not in (S.RESOLVED, S.CLOSED):
        return
    complaint = uow.session.scalar(sa.select(Complaint).where(Complaint.case_id == case.id))
    if complaint is None:
        raise ComplaintNotClosable(case.id, [MISSING_ROOT_CAUSE, MISSING_REPLY])
    missing = missing_to_close(uow, complaint)
    if missing:
        raise ComplaintNotClosable(case.id, missing)


def close_complaint(uow: UnitOfWork, actor: Actor, complaint_id: int, note: str | None = None,
                    expected_version: int | None = None) -> None:
    """Resolves and closes the complaint's case, once root cause and reply are recorded.
    expected_version is the case's version as the page read it."""
    require(actor, Action.COMPLAINT_HANDLE)
    require(actor, Action.CASE_WORK)
    note_ = _text("comment", note)
    now = utcnow()
    with uow:
        complaint = _complaint(uow, complaint_id, for_update=True)
        case = _open_case_of(uow, complaint, for_update=True)
        expect_version(case, expected_version)
        missing = missing_to_close(uow, complaint)
        if missing:
            raise ComplaintNotClosable(case.id, missing)
        old = case.status
        if case.status != S.RESOLVED:
            cases._set_status(uow, case, actor, S.RESOLVED, now, note_)
        cases._set_status(uow, case, actor, S.CLOSED, now)
        audit.record(uow, actor, "complaint_closed", "complaint", complaint.id,
                     {"status": old}, {"status": S.CLOSED})
        uow.commit()


# --- reading ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class InvestigationView:
    id: int
    department: Department
    question: str
    requested_by: str | None
    requested_at: datetime
    due_at: datetime | None
    answer: str | None
    answered_by: str | None
    answered_at: datetime | None
    overdue: bool


@dataclass(frozen=True)
class CompensationView:
    id: int
    kind: CompensationKind
    amount_cents: int
    description: str
    status: DecisionStatus
    proposed_by_id: int
    proposed_by: str | None
    proposed_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None
    can_decide: bool  # for the actor reading it: a supervisor other than the proposer


@dataclass(frozen=True)
class ComplaintView:
    id: int
    version: int
    case_id: int
    case_version: int
    case_status: CaseStatus
    subject: str
    customer_id: int
    customer_name: str
    owner_id: int | None
    owner_name: str | None
    severity: ComplaintSeverity
    acknowledged_at: datetime | None
    promised_reply_at: datetime | None
    promise_state: sla.SlaState
    escalated: bool
    escalated_at: datetime | None
    escalated_to: str | None
    replied_at: datetime | None
    reply_method: str | None
    result: str | None
    customer_satisfied: bool | None
    evaluation_comment: str | None
    root_cause: RootCause | None
    responsible_department: Department | None
    responsible_store: str | None
    responsible_product: str | None
    missing_to_close: list[str]
    investigations: list[InvestigationView] = field(default_factory=list)
    compensations: list[CompensationView] = field(default_factory=list)

    @property
    def can_close(self) -> bool:
        return not self.missing_to_close and self.case_status != S.CLOSED


def complaint_id_of_case(uow: UnitOfWork, actor: Actor, case_id: int) -> int | None:
    require(actor, Action.CASE_VIEW)
    with uow.reader() as r:
        return r.session.scalar(sa.select(Complaint.id).where(Complaint.case_id == case_id))


def complaint_view(uow: UnitOfWork, actor: Actor, complaint_id: int | None = None, *,
                   case_id: int | None = None) -> ComplaintView:
    """Everything about one complaint, by its id or its case's id."""
    require(actor, Action.COMPLAINT_HANDLE)
    if (complaint_id is None) == (case_id is None):
        raise ValidationError(N_("Name either the complaint or its case."))
    now = utcnow()
    may_decide = allowed(actor.roles, Action.COMPENSATION_APPROVE)
    with uow.reader() as r:
        if complaint_id is not None:
            complaint = _complaint(r, complaint_id)
        else:
            complaint = r.session.scalar(sa.select(Complaint).where(Complaint.case_id == case_id))
            if complaint is None:
                raise NotFound(N_("Case {case_id} is not a complaint."), case_id=case_id)
        case = r.session.get(Case, complaint.case_id)
        customer = r.session.get(Customer, case.customer_id)
        names = dict(r.session.execute(sa.select(Staff.id, Staff.display_name)).all())
        store = (r.session.get(Store, complaint.responsible_store_id)
                 if complaint.responsible_store_id else None)
        product = (r.session.get(Product, complaint.responsible_product_id)
                   if complaint.responsible_product_id else None)
        requests = r.session.scalars(sa.select(InvestigationRequest).where(
            InvestigationRequest.complaint_id == complaint.id)
            .order_by(InvestigationRequest.requested_at, InvestigationRequest.id)).all()
        comps = r.session.scalars(sa.select(Compensation).where(
            Compensation.complaint_id == complaint.id).order_by(Compensation.id)).all()
        return ComplaintView(
            id=complaint.id, version=complaint.version, case_id=case.id,
            case_version=case.version, case_status=case.status, subject=case.subject,
            customer_id=customer.id, customer_name=customer.name, owner_id=case.owner_id,
            owner_name=names.get(case.owner_id), severity=complaint.severity,
            acknowledged_at=complaint.acknowledged_at,
            promised_reply_at=complaint.promised_reply_at,
            promise_state=promise_state(complaint, case.created_at, now),
            escalated=case.escalated, escalated_at=complaint.escalated_at,
            escalated_to=names.get(complaint.escalated_to_id),
            replied_at=complaint.replied_at, reply_method=complaint.reply_method,
            result=complaint.result, customer_satisfied=complaint.customer_satisfied,
            evaluation_comment=complaint.evaluation_comment, root_cause=complaint.root_cause,
            responsible_department=complaint.responsible_department,
            responsible_store=f"{store.code} {store.name}" if store else None,
            responsible_product=f"{product.sku} {product.name}" if product else None,
            missing_to_close=missing_to_close(r, complaint),
            investigations=[InvestigationView(
                q.id, q.department, q.question, names.get(q.requested_by_id), q.requested_at,
                q.due_at, q.answer, q.answered_by, q.answered_at,
                q.answered_at is None and q.due_at is not None and q.due_at < now)
                for q in requests],
            compensations=[CompensationView(
                c.id, c.kind, c.amount_cents, c.description, c.status, c.proposed_by_id,
                names.get(c.proposed_by_id), c.proposed_at, names.get(c.decided_by_id),
                c.decided_at, c.decision_note,
                may_decide and c.status == DecisionStatus.PROPOSED
                and c.proposed_by_id != actor.staff_id) for c in comps])


@dataclass(frozen=True)
class ReviewRow:
    complaint_id: int
    case_id: int
    subject: str
    customer_name: str
    owner_id: int | None
    owner_name: str | None
    severity: ComplaintSeverity
    promised_reply_at: datetime | None
    promise_state: sla.SlaState
    escalated: bool
    escalated_at: datetime | None


@dataclass(frozen=True)
class SignOffRow:
    compensation_id: int
    complaint_id: int
    case_id: int
    subject: str
    kind: CompensationKind
    amount_cents: int
    description: str
    proposed_by_id: int
    proposed_by: str | None
    proposed_at: datetime
    can_decide: bool  # False for the actor's own proposals


@dataclass(frozen=True)
class ReviewQueue:
    escalated: list[ReviewRow]
    due: list[ReviewRow]  # near (within the horizon) or past the promised reply, not replied
    awaiting_signoff: list[SignOffRow]


def review_queue(uow: UnitOfWork, actor: Actor,
                 horizon: timedelta = REVIEW_HORIZON) -> ReviewQueue:
    """What a supervisor has to look at: escalated complaints, complaints whose promised reply
    is close or past, and compensations waiting for sign-off."""
    require(actor, Action.COMPLAINT_REVIEW)
    now = utcnow()
    with uow.reader() as r:
        names = dict(r.session.execute(sa.select(Staff.id, Staff.display_name)).all())
        base = (sa.select(Complaint, Case, Customer.name)
                .join(Case, Case.id == Complaint.case_id)
                .join(Customer, Customer.id == Case.customer_id)
                .where(Case.status.in_(sla.OPEN_STATUSES)))

        def rows(query) -> list[ReviewRow]:
            return [ReviewRow(c.id, case.id, case.subject, name, case.owner_id,
                              names.get(case.owner_id), c.severity, c.promised_reply_at,
                              promise_state(c, case.created_at, now), case.escalated,
                              c.escalated_at)
                    for c, case, name in r.session.execute(query).all()]

        escalated = rows(base.where(Case.escalated.is_(True))
                         .order_by(Complaint.escalated_at.desc().nulls_last(), Complaint.id))
        due = rows(base.where(Complaint.replied_at.is_(None),
                              Complaint.promised_reply_at.is_not(None),
                              Complaint.promised_reply_at <= now + horizon)
                   .order_by(Complaint.promised_reply_at, Complaint.id))
        signoff = r.session.execute(
            sa.select(Compensation, Complaint.case_id, Case.subject)
            .join(Complaint, Complaint.id == Compensation.complaint_id)
            .join(Case, Case.id == Complaint.case_id)
            .where(Compensation.status == DecisionStatus.PROPOSED)
            .order_by(Compensation.proposed_at, Compensation.id)).all()
        return ReviewQueue(escalated, due, [SignOffRow(
            comp.id, comp.complaint_id, case_id, subject, comp.kind, comp.amount_cents,
            comp.description, comp.proposed_by_id, names.get(comp.proposed_by_id),
            comp.proposed_at, comp.proposed_by_id != actor.staff_id)
            for comp, case_id, subject in signoff])


@dataclass(frozen=True)
class CauseCount:
    root_cause: RootCause
    count: int
    share: float
    cumulative_share: float


@dataclass(frozen=True)
class RootCauseSummary:
    rows: list[CauseCount]  # most frequent first: a Pareto chart's bars and line
    unclassified: int       # complaints without a root cause yet
    total: int


def root_cause_summary(uow: UnitOfWork, actor: Actor, since: datetime,
                       until: datetime | None = None) -> RootCauseSummary:
    """Complaints opened in [since, until) counted per root cause."""
    require(actor, Action.ANALYTICS_VIEW)
    with uow.reader() as r:
        query = (sa.select(Complaint.root_cause, sa.func.count())
                 .join(Case, Case.id == Complaint.case_id)
                 .where(Case.created_at >= since))
        if until is not None:
            query = query.where(Case.created_at < until)
        counts = r.session.execute(query.group_by(Complaint.root_cause)).all()
    unclassified = sum(n for cause, n in counts if cause is None)
    classified = sorted(((RootCause(c), n) for c, n in counts if c is not None),
                        key=lambda item: (-item[1], item[0].value))
    total = sum(n for _, n in classified)
    rows, running = [], 0
    for cause, n in classified:
        running += n
        rows.append(CauseCount(cause, n, n / total, running / total))
    return RootCauseSummary(rows, unclassified, total + unclassified)
