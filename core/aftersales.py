"""After-sales: the policy check that explains itself, requests linked to an order line,
supervisor approval (four eyes, exactly once), refunds within what was paid, service jobs
with quality check and service report, and the follow-up callback at the end.

Decisions this module takes (DOMAIN.md section 4 leaves them open):
- Windows are counted in whole days from the delivery date in the shop's time zone; day 0 is
  the delivery day, so a 7-day window takes a request on day 7 and refuses it on day 8. Without a
  delivery date the order date is used, and the verdict says so.
- The warranty runs until the same calendar date `months` later (the last day is in; a 31st
  without a match ends on the month's last day).
- Used or damaged goods cannot be returned or exchanged; defective goods can. Damage is not
  covered by the warranty. Where the category policy asks for proof of purchase, a request
  without it is outside policy.
- A request inside policy whose refund is at most the threshold setting
  `aftersales.refund_approval_threshold_cents` is approved automatically; anything else waits
  for a supervisor (status awaiting_approval, needs_approval).
- Returns and refunds carry money (one Refund row per request, a unique index holds it) and are
  completed when the refund is approved: the amount is added to the line's refunded_cents in the
  same transaction (paying it out is the till's business; `paid_at` stays for that). Repairs and
  exchanges become a service job on approval and complete when the technician submits the
  service report after a passed quality check.
- The person who created or prepared a request (or its refund) never decides it, whatever their
  roles. The decision is a conditional UPDATE on status = 'awaiting_approval': of any number of
  simultaneous clicks exactly one changes a row, the others are told it was already decided.
"""
from __future__ import annotations

import calendar as _calendar
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core import audit, callback_rules, callbacks, messages, products, sla, validate
from core.actor import Actor
from core.cases import _event
from core.clock import utcnow
from core.errors import InvalidState, NotFound, PermissionDenied, ValidationError
from core.i18n import N_, Term, translator
from core.labels import AFTERSALES_KIND as KIND, AFTERSALES_STATUS as STATUS
from core.labels import CONDITION, JOB_STATUS
from core.labels import REPORT_REVIEW as REVIEW, SERVICE_MODE as MODE
from core.permissions import Action, allowed, require
from core.uow import UnitOfWork, expect_version
from core.vocabulary import (
    AfterSalesKind, AfterSalesStatus, CaseEventKind, GoodsCondition, JobStatus, RefundStatus,
    ReportReview, Role, ServiceMode,
)
from db.models import (
    AfterSalesPolicy, AfterSalesRequest, AuditEntry, Callback, Case, Customer,
    Order, OrderLine, Product, Refund, ServiceJob, ServiceReport, Staff, StaffRole, StaffSkill,
)

K, S, C = AfterSalesKind, AfterSalesStatus, GoodsCondition
J, R = JobStatus, RefundStatus
MONEY_KINDS = frozenset({K.RETURN, K.REFUND})
SERVICE_KINDS = frozenset({K.REPAIR, K.EXCHANGE})
PENDING_REFUNDS = (R.REQUESTED, R.AWAITING_APPROVAL)
OPEN_JOBS = (J.ASSIGNED, J.SCHEDULED, J.IN_PROGRESS, J.QUALITY_CHECK)
THRESHOLD_KEY = "aftersales.refund_approval_threshold_cents"
DEFAULT_THRESHOLD = 50_000
DEFAULTS = {"return_window_days": 7, "exchange_window_days": 15, "warranty_months": 12}
LIMITS = {"reason": 2_000, "notes": 5_000, "decision": 2_000, "checks": 5_000,
          "work_done": 10_000, "parts_used": 5_000, "note": 2_000}
MAX_MINUTES = 100_000
MAX_CENTS = 100_000_000

FIELD_NAMES = {"reason": N_("Reason"), "notes": N_("Notes"), "decision": N_("Reason"),
               "checks": N_("What was checked"), "work_done": N_("Work done"),
               "parts_used": N_("Parts used"), "note": N_("Note")}
# audit actions -> what the timeline says
TIMELINE = {
    "request_opened": N_("Request opened"),
    "request_prepared": N_("Request prepared"),
    "request_auto_approved": N_("Approved automatically (within policy)"),
    "request_approved": N_("Approved"),
    "request_rejected": N_("Rejected"),
    "request_cancelled": N_("Cancelled"),
    "request_completed": N_("Completed"),
    "refund_approved": N_("Refund approved"),
    "refund_rejected": N_("Refund rejected"),
    "job_created": N_("Service job created"),
    "job_assigned": N_("Technician assigned"),
    "job_started": N_("Work started"),
    "quality_check_failed": N_("Quality check failed"),
    "quality_check_passed": N_("Quality check passed"),
    "report_submitted": N_("Service report submitted"),
    "report_accepted": N_("Service report accepted"),
    "report_returned": N_("Service report returned"),
    "report_archived": N_("Service report archived"),
    **callbacks.TIMELINE,
}


# --- small helpers ----------------------------------------------------------------------------

def money(cents: int | None) -> str:
    return f"{(cents or 0) / 100:.2f}"


def _text(name: str, value: str | None, required: bool = False) -> str | None:
    return validate.text(value, field=FIELD_NAMES[name], limit=LIMITS[name], required=required)


_choice = validate.choice


def _amount(name: str, value, *, limit: int = MAX_CENTS) -> int:
    bad = ValidationError(N_("{field} must be a whole number from 0 to {limit}."),
                          field=Term(name), limit=limit)
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise bad
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise bad from None
    if not 0 <= number <= limit:
        raise bad
    return number


def _require_any(actor: Actor | None, *actions: Action) -> None:
    if actor is not None and any(allowed(actor.roles, a) for a in actions):
        return
    require(actor, actions[0])


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


def local_today(session: Session) -> date:
    return sla.to_local(session, utcnow()).date()


# --- the policy check -------------------------------------------------------------------------

Reason = tuple[str, dict]


@dataclass(frozen=True)
class PolicyVerdict:
    eligible: bool
    reasons: list[Reason]
    counted_from: date
    from_delivery: bool  # False: no delivery date, counted from the order date
    days_since: int
    return_window_days: int
    exchange_window_days: int
    warranty_months: int
    warranty_until: date
    proof_required: bool

    def to_json(self) -> str:
        return reasons_json(self.reasons)


@dataclass(frozen=True)
class EffectivePolicy:
    return_window_days: int
    exchange_window_days: int
    warranty_months: int
    proof_of_purchase_required: bool


def effective_policy(session: Session, product: Product) -> EffectivePolicy:
    """The product's own windows and warranty, else its category's policy, else '*'."""
    policies = {p.category: p for p in session.scalars(sa.select(AfterSalesPolicy))}
    policy = policies.get(product.category) or policies.get(products.DEFAULT_CATEGORY)

    def pick(attr: str) -> int:
        own = getattr(product, attr)
        if own is not None:
            return own
        return getattr(policy, attr) if policy is not None else DEFAULTS[attr]
    return EffectivePolicy(pick("return_window_days"), pick("exchange_window_days"),
                           pick("warranty_months"),
                           policy.proof_of_purchase_required if policy is not None else True)


def _term(msgid: str) -> dict:
    return {"term": msgid}


def window_reason(kind: AfterSalesKind, days: int, window: int,
                  from_delivery: bool = True) -> Reason:
    """'Delivered 5 days ago: inside the 7-day return window.' (exchange: its own window)."""
    inside = days <= window
    if kind == K.EXCHANGE:
        msg = (N_("{since}: inside the {window}-day exchange window.") if inside
               else N_("{since}: outside the {window}-day exchange window."))
    else:
        msg = (N_("{since}: inside the {window}-day return window.") if inside
               else N_("{since}: outside the {window}-day return window."))
    since = N_("Delivered {days} days ago") if from_delivery else N_("Ordered {days} days ago")
    return msg, {"since": {"msgid": since, "params": {"days": days}}, "window": window}


def warranty_reason(months: int, until: date, today: date) -> Reason:
    if today <= until:
        return (N_("Inside the {months}-month warranty: it runs until {until} "
                   "({left} days left)."),
                {"months": months, "until": until.isoformat(), "left": (until - today).days})
    return (N_("The {months}-month warranty ended {ago} days ago, on {until}: a repair is at "
               "the customer's cost unless a supervisor approves it."),
            {"months": months, "ago": (today - until).days, "until": until.isoformat()})


def proof_reason(shown: bool) -> Reason:
    return ((N_("Proof of purchase was shown."), {}) if shown
            else (N_("The policy requires proof of purchase, and none was shown."), {}))


def reasons_json(reasons: list[Reason]) -> str:
    """How a request stores its reasons (policy_explanation); `explain` reads it back."""
    return json.dumps([{"msgid": m, "params": p} for m, p in reasons], ensure_ascii=False)


def check_policy(session: Session, order_line_id: int, kind: str, condition: str,
                 proof_of_purchase: bool, today: date | None = None) -> PolicyVerdict:
    """Eligibility of one order line for a return, exchange, repair or refund, with every
    reason in words (msgid + values) the page shows in the reader's language."""
    kind_ = _choice(AfterSalesKind, kind, N_("Request type"))
    condition_ = _choice(GoodsCondition, condition, N_("Condition"))
    line = session.get(OrderLine, order_line_id)
    if line is None:
        raise NotFound(N_("Order line {line_id} does not exist."), line_id=order_line_id)
    order = session.get(Order, line.order_id)
    product = session.get(Product, line.product_id)
    policy = effective_policy(session, product)
    today = today or local_today(session)
    reasons: list[Reason] = []
    if order.delivered_at is not None:
        start, from_delivery = sla.to_local(session, order.delivered_at).date(), True
    else:
        start, from_delivery = sla.to_local(session, order.ordered_at).date(), False
        reasons.append((N_("No delivery date is recorded: the periods are counted from the "
                           "order date, {date}."), {"date": start.isoformat()}))
    days = max((today - start).days, 0)
    warranty_until = add_months(start, policy.warranty_months)
    ok = True
    if kind_ in (K.RETURN, K.REFUND, K.EXCHANGE):
        window = (policy.exchange_window_days if kind_ == K.EXCHANGE
                  else policy.return_window_days)
        inside = days <= window
        ok &= inside
        reasons.append(window_reason(kind_, days, window, from_delivery))
        if condition_ in (C.USED, C.DAMAGED):
            ok = False
            reasons.append((N_("The goods are {condition}: only unopened, as-new or defective "
                               "goods can be returned or exchanged."),
                            {"condition": _term(CONDITION[condition_])}))
        else:
            reasons.append((N_("The goods are {condition}: the condition allows it."),
                            {"condition": _term(CONDITION[condition_])}))
    else:  # repair
        ok &= today <= warranty_until
        reasons.append(warranty_reason(policy.warranty_months, warranty_until, today))
        if condition_ == C.DAMAGED:
            ok = False
            reasons.append((N_("The goods are damaged: damage is not covered by the warranty."),
                            {}))
    if policy.proof_of_purchase_required:
        ok &= bool(proof_of_purchase)
        reasons.append(proof_reason(proof_of_purchase))
    return PolicyVerdict(bool(ok), reasons, start, from_delivery, days,
                         policy.return_window_days, policy.exchange_window_days,
                         policy.warranty_months, warranty_until,
                         policy.proof_of_purchase_required)


def _render(msgid: str, params: dict, gettext: Callable[[str], str]) -> str:
    values = {}
    for key, value in (params or {}).items():
        if isinstance(value, dict) and "term" in value:
            values[key] = gettext(value["term"])
        elif isinstance(value, dict) and "msgid" in value:
            values[key] = _render(value["msgid"], value.get("params") or {}, gettext)
        else:
            values[key] = value
    text = gettext(msgid)
    try:
        return text.format(**values) if values else text
    except (KeyError, IndexError, ValueError):
        return msgid.format(**values) if values else msgid


def explain(source, gettext: Callable[[str], str]) -> list[str]:
    """The policy reasons as sentences in the reader's language. `source` is a request (or
    a view of one) with `policy_explanation`, that JSON itself, or a PolicyVerdict."""
    if isinstance(source, PolicyVerdict):
        items = [{"msgid": m, "params": p} for m, p in source.reasons]
    else:
        raw = getattr(source, "policy_explanation", source)
        if not raw:
            return []
        items = json.loads(raw) if isinstance(raw, str) else raw
    return [_render(item["msgid"], item.get("params") or {}, gettext) for item in items]


def preview_policy(uow: UnitOfWork, actor: Actor, order_line_id: int, kind: str,
                   condition: str, proof_of_purchase: bool) -> PolicyVerdict:
    """What the check says before the request is filed (for the form)."""
    require(actor, Action.AFTERSALES_REQUEST)
    with uow.reader() as r:
        return check_policy(r.session, order_line_id, kind, condition, proof_of_purchase)


# --- requests ---------------------------------------------------------------------------------

def _request(uow: UnitOfWork, request_id: int, for_update: bool = False) -> AfterSalesRequest:
    query = sa.select(AfterSalesRequest).where(
        AfterSalesRequest.id == validate.record_id(request_id))
    req = uow.session.scalar(query.with_for_update() if for_update else query)
    if req is None:
        raise NotFound(N_("After-sales request {request_id} does not exist."),
                       request_id=request_id)
    return req


def _refund_of(uow: UnitOfWork, request_id: int) -> Refund | None:
    return uow.session.scalar(sa.select(Refund).where(Refund.request_id == request_id))


def _line(uow: UnitOfWork, line_id: int, for_update: bool = False) -> OrderLine:
    query = sa.select(OrderLine).where(OrderLine.id == line_id)
    line = uow.session.scalar(query.with_for_update() if for_update else query)
    if line is None:
        raise NotFound(N_("Order line {line_id} does not exist."), line_id=line_id)
    return line


def _pending_refunds(uow: UnitOfWork, line_id: int, excluding: int | None = None) -> int:
    query = sa.select(sa.func.coalesce(sa.func.sum(Refund.amount_cents), 0)).where(
        Refund.order_line_id == line_id, Refund.status.in_(PENDING_REFUNDS))
    if excluding is not None:
        query = query.where(Refund.id != excluding)
    return int(uow.session.scalar(query) or 0)


def _check_ceiling(uow: UnitOfWork, line: OrderLine, amount: int,
                   excluding: int | None = None) -> None:
    pending = _pending_refunds(uow, line.id, excluding)
    available = line.paid_cents - line.refunded_cents - pending
    if amount > available:
        raise ValidationError(
            N_("A refund of {amount} is more than can still be refunded for this line: paid "
               "{paid}, already refunded {refunded}, waiting for approval {pending}, so at "
               "most {available}."),
            amount=money(amount), paid=money(line.paid_cents),
            refunded=money(line.refunded_cents), pending=money(pending),
            available=money(max(available, 0)))


def _book_refund(uow: UnitOfWork, refund: Refund, line: OrderLine) -> None:
    """Adds the refund to the line in one conditional statement: the ceiling is re-checked
    by the database at the moment of writing, whatever else committed in between."""
    result = uow.session.execute(
        sa.update(OrderLine)
        .where(OrderLine.id == line.id,
               OrderLine.refunded_cents + refund.amount_cents <= OrderLine.paid_cents)
        .values(refunded_cents=OrderLine.refunded_cents + refund.amount_cents)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        uow.session.refresh(line)
        _check_ceiling(uow, line, refund.amount_cents, excluding=refund.id)
        raise ValidationError(N_("The refund no longer fits what was paid for the line."))
    uow.session.expire(line)


def _threshold(session: Session) -> int:
    try:
        return int(sla.setting(session, THRESHOLD_KEY, DEFAULT_THRESHOLD))
    except (TypeError, ValueError):
        return DEFAULT_THRESHOLD


def _values(uow: UnitOfWork, req: AfterSalesRequest, customer: Customer, actor: Actor | None,
            **extra) -> dict:
    gettext = translator(customer.language.value)
    line = uow.session.get(OrderLine, req.order_line_id)
    product = uow.session.get(Product, line.product_id)
    order = uow.session.get(Order, line.order_id)
    name = (product.name_zh or product.name) if customer.language.value == "zh_CN" \
        else product.name
    values = {"customer_name": customer.name, "request_id": req.id,
              "kind": gettext(KIND[req.kind]), "product": name,
              "order_number": order.order_number,
              "agent_name": actor.display_name if actor else ""}
    values.update(extra)
    return values


def _tell(uow: UnitOfWork, actor: Actor | None, req: AfterSalesRequest, key: str,
          **extra) -> None:
    customer = uow.session.get(Customer, req.customer_id)
    messages.queue(uow, customer=customer, case_id=req.case_id,
                   author_id=actor.staff_id if actor else None, template_key=key,
                   values=_values(uow, req, customer, actor, **extra))


def _case_event(uow: UnitOfWork, req: AfterSalesRequest, actor: Actor | None, what: str,
                body: str | None = None) -> None:
    if req.case_id is None:
        return
    case = uow.session.get(Case, req.case_id)
    if case is not None:
        _event(uow, case, CaseEventKind.SYSTEM, actor, body, new=f"after-sales {req.id}: {what}")


def open_request(uow: UnitOfWork, actor: Actor, *, order_line_id: int, kind: str, reason: str,
                 condition: str, proof_of_purchase: bool, notes: str | None = None,
                 refund_cents: int | None = None, case_id: int | None = None) -> int:
    """Files a request for one order line. Inside policy (and a refund up to the threshold)
    it is approved at once; otherwise it waits for a supervisor. Returns the request id."""
    require(actor, Action.AFTERSALES_REQUEST)
    kind_ = _choice(AfterSalesKind, kind, N_("Request type"))
    condition_ = _choice(GoodsCondition, condition, N_("Condition"))
    reason_ = _text("reason", reason, required=True)
    notes_ = _text("notes", notes)
    if kind_ in MONEY_KINDS:
        require(actor, Action.REFUND_REQUEST)
        if refund_cents is not None:
            refund_cents = _amount(N_("Refund amount"), refund_cents)
            if refund_cents == 0:
                raise ValidationError(N_("A refund amount must be more than zero."))
        elif kind_ == K.REFUND:
            raise ValidationError(N_("Enter the amount to refund."))
    elif refund_cents:
        raise ValidationError(N_("Only a return or a refund pays money back; a repair or an "
                                 "exchange has no refund amount."))
    now = utcnow()
    with uow:
        line = _line(uow, order_line_id, for_update=True)
        order = uow.session.get(Order, line.order_id)
        if case_id is not None:
            case = uow.session.get(Case, case_id)
            if case is None or case.customer_id != order.customer_id:
                raise ValidationError(N_("Case {case_id} is not a case of this order's "
                                         "customer."), case_id=case_id)
        verdict = check_policy(uow.session, line.id, kind_, condition_, bool(proof_of_purchase),
                               sla.to_local(uow.session, now).date())
        amount = None
        if kind_ in MONEY_KINDS:
            if refund_cents is None:  # a return gives back what is left of the line
                amount = line.paid_cents - line.refunded_cents - _pending_refunds(uow, line.id)
                if amount <= 0:
                    raise ValidationError(N_("Nothing is left to refund for this line."))
            else:
                amount = refund_cents
            _check_ceiling(uow, line, amount)
        needs_approval = not verdict.eligible or (
            amount is not None and amount > _threshold(uow.session))
        req = AfterSalesRequest(
            case_id=case_id, customer_id=order.customer_id, order_line_id=line.id, kind=kind_,
            reason=reason_, condition=condition_, proof_of_purchase=bool(proof_of_purchase),
            notes=notes_, within_policy=verdict.eligible,
            policy_explanation=verdict.to_json(), needs_approval=needs_approval,
            status=S.AWAITING_APPROVAL if needs_approval else S.SUBMITTED,
            created_by_id=actor.staff_id, created_at=now)
        uow.session.add(req)
        uow.flush()
        refund = None
        if amount is not None:
            refund = Refund(request_id=req.id, order_line_id=line.id, amount_cents=amount,
                            status=R.AWAITING_APPROVAL if needs_approval else R.REQUESTED,
                            requested_by_id=actor.staff_id, created_at=now)
            uow.session.add(refund)
            uow.flush()
        audit.record(uow, actor, "request_opened", "after_sales_request", req.id, None, {
            "kind": kind_, "order_line_id": line.id, "within_policy": verdict.eligible,
            "needs_approval": needs_approval, "refund_cents": amount})
        _case_event(uow, req, actor, "opened", reason_)
        _tell(uow, actor, req, "aftersales_received")
        if not needs_approval:
            req.status, req.decided_at = S.APPROVED, now
            audit.record(uow, actor, "request_auto_approved", "after_sales_request", req.id,
                         {"status": S.SUBMITTED}, {"status": S.APPROVED})
            _after_approval(uow, actor, req, refund, line, now)
        uow.commit()
        return req.id


def prepare_request(uow: UnitOfWork, actor: Actor, request_id: int, *,
                    expected_version: int | None = None, notes: str | None = None,
                    refund_cents: int | None = None) -> None:
    """A second agent checks a waiting request (notes, refund amount) and signs it as its
    preparer; from then on neither the creator nor the preparer can decide it. The preparer
    is one person: the creator cannot prepare, and nobody prepares over someone else (that
    would drop the first preparer from the four-eyes check and let them decide)."""
    require(actor, Action.AFTERSALES_REQUEST)
    notes_ = _text("notes", notes)
    with uow:
        req = _request(uow, request_id, for_update=True)
        expect_version(req, expected_version)
        if req.status != S.AWAITING_APPROVAL:
            raise _not_pending(req)
        refund = _refund_of(uow, req.id)
        if actor.staff_id in (req.created_by_id, refund.requested_by_id if refund else None):
            raise PermissionDenied(N_("You filed this request, so someone else must prepare "
                                      "it (four-eyes rule)."))
        if req.prepared_by_id is not None and req.prepared_by_id != actor.staff_id:
            raise PermissionDenied(
                N_("{name} already prepared request {request_id}; only they can change what "
                   "they prepared (four-eyes rule)."),
                name=_names(uow.session, [req.prepared_by_id]).get(req.prepared_by_id, "?"),
                request_id=req.id)
        old = {"notes": req.notes, "refund_cents": refund.amount_cents if refund else None,
               "prepared_by_id": req.prepared_by_id}
        if refund_cents is not None:
            if refund is None:
                raise ValidationError(N_("Only a return or a refund pays money back; a repair "
                                         "or an exchange has no refund amount."))
            require(actor, Action.REFUND_REQUEST)
            amount = _amount(N_("Refund amount"), refund_cents)
            if amount == 0:
                raise ValidationError(N_("A refund amount must be more than zero."))
            line = _line(uow, req.order_line_id, for_update=True)
            _check_ceiling(uow, line, amount, excluding=refund.id)
            refund.amount_cents = amount
        if notes_ is not None:
            req.notes = notes_
        req.prepared_by_id = actor.staff_id
        if refund is not None:
            refund.prepared_by_id = actor.staff_id
        new = {"notes": req.notes, "refund_cents": refund.amount_cents if refund else None,
               "prepared_by_id": actor.staff_id}
        before, after = audit.changes(old, new)
        audit.record(uow, actor, "request_prepared", "after_sales_request", req.id, before,
                     after)
        uow.commit()


def _not_pending(req: AfterSalesRequest) -> InvalidState:
    if req.status == S.REJECTED:
        return InvalidState(N_("Request {request_id} was rejected: it cannot be approved or "
                               "changed any more. File a new request if the customer insists."),
                            request_id=req.id)
    if req.status == S.CANCELLED:
        return InvalidState(N_("Request {request_id} was cancelled: it cannot be approved or "
                               "changed any more."), request_id=req.id)
    if req.status == S.COMPLETED:
        return InvalidState(N_("Request {request_id} is already completed: there is nothing "
                               "left to decide."), request_id=req.id)
    return InvalidState(N_("Request {request_id} is not waiting for approval (it is "
                           "{status}): it was already decided."),
                        request_id=req.id, status=Term(STATUS[req.status]))


def _four_eyes(actor: Actor, req: AfterSalesRequest, refund: Refund | None) -> None:
    involved = {req.created_by_id, req.prepared_by_id}
    if refund is not None:
        involved |= {refund.requested_by_id, refund.prepared_by_id}
    if actor.staff_id in involved:
        raise PermissionDenied(N_("You created or prepared this request, so someone else "
                                  "must decide it (four-eyes rule)."))


def decide_request(uow: UnitOfWork, actor: Actor, request_id: int, approve: bool,
                   reason: str, technician_id: int | None = None) -> None:
    """A supervisor approves or rejects a waiting request, with a reason. Taken exactly once:
    the status changes only where it still is awaiting_approval."""
    require(actor, Action.AFTERSALES_APPROVE)
    note = _text("decision", reason, required=True)
    now = utcnow()
    with uow:
        req = _request(uow, request_id)
        refund = _refund_of(uow, req.id)
        if refund is not None:
            require(actor, Action.REFUND_APPROVE)
        _four_eyes(actor, req, refund)
        if req.status != S.AWAITING_APPROVAL:
            raise _not_pending(req)
        new_status = S.APPROVED if approve else S.REJECTED
        # the one decision: whoever changes the row first wins, everybody else changes nothing
        result = uow.session.execute(
            sa.update(AfterSalesRequest)
            .where(AfterSalesRequest.id == req.id,
                   AfterSalesRequest.status == S.AWAITING_APPROVAL)
            .values(status=new_status, decided_by_id=actor.staff_id, decided_at=now,
                    decision_note=note, version=AfterSalesRequest.version + 1)
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            uow.session.refresh(req)
            raise _not_pending(req)
        uow.session.refresh(req)
        audit.record(uow, actor, "request_approved" if approve else "request_rejected",
                     "after_sales_request", req.id, {"status": S.AWAITING_APPROVAL},
                     {"status": new_status, "reason": note})
        _case_event(uow, req, actor, new_status.value, note)
        if refund is not None:
            refund_status = R.APPROVED if approve else R.REJECTED
            result = uow.session.execute(
                sa.update(Refund).where(Refund.id == refund.id,
                                        Refund.status.in_(PENDING_REFUNDS))
                .values(status=refund_status, approved_by_id=actor.staff_id, decided_at=now,
                        decision_note=note, version=Refund.version + 1)
                .execution_options(synchronize_session=False))
            if result.rowcount != 1:
                raise InvalidState(N_("The refund of request {request_id} was already "
                                      "decided."), request_id=req.id)
            uow.session.refresh(refund)
            audit.record(uow, actor, "refund_approved" if approve else "refund_rejected",
                         "refund", refund.id, {"status": R.AWAITING_APPROVAL},
                         {"status": refund_status, "amount_cents": refund.amount_cents})
        if approve:
            line = _line(uow, req.order_line_id)
            _after_approval(uow, actor, req, refund, line, now, technician_id,
                            refund_audited=True)
        else:
            _tell(uow, actor, req, "aftersales_rejected", reason=note)
        uow.commit()


def _after_approval(uow: UnitOfWork, actor: Actor, req: AfterSalesRequest,
                    refund: Refund | None, line: OrderLine, now: datetime,
                    technician_id: int | None = None, refund_audited: bool = False) -> None:
    """What an approval sets going: the refund booked and the request completed, or a
    service job for a repair or an exchange."""
    if refund is not None:
        if refund.status != R.APPROVED:
            refund.status, refund.decided_at = R.APPROVED, now
            uow.flush()
        _book_refund(uow, refund, line)
        if not refund_audited:
            audit.record(uow, actor, "refund_approved", "refund", refund.id,
                         {"status": R.REQUESTED},
                         {"status": R.APPROVED, "amount_cents": refund.amount_cents,
                          "automatic": True})
        _tell(uow, actor, req, "aftersales_refund_approved", amount=money(refund.amount_cents))
        _complete(uow, actor, req, now)
    elif req.kind in SERVICE_KINDS:
        product = uow.session.get(Product, line.product_id)
        skill = (product.category or "").strip().lower() or None
        tech = technician_id if technician_id is not None else suggest_technician(
            uow.session, skill)
        if tech is not None:
            _technician(uow, tech)
        order = uow.session.get(Order, line.order_id)
        job = ServiceJob(request_id=req.id, technician_id=tech, kind=req.kind,
                         required_skill=skill, mode=ServiceMode.MAIL_IN, status=J.ASSIGNED,
                         address=order.delivery_address, created_at=now)
        uow.session.add(job)
        uow.flush()
        req.status = S.IN_SERVICE
        audit.record(uow, actor, "job_created", "service_job", job.id, None,
                     {"request_id": req.id, "technician_id": tech, "required_skill": skill})
        _tell(uow, actor, req, "aftersales_approved")
    else:  # a return without anything left to pay back
        _tell(uow, actor, req, "aftersales_approved")
        _complete(uow, actor, req, now)


def _complete(uow: UnitOfWork, actor: Actor | None, req: AfterSalesRequest,
              now: datetime) -> None:
    old = req.status
    req.status, req.completed_at = S.COMPLETED, now
    audit.record(uow, actor, "request_completed", "after_sales_request", req.id,
                 {"status": old}, {"status": S.COMPLETED})
    _case_event(uow, req, actor, "completed")
    # the after-sales case ends with a follow-up call (rule after_sales_completed)
    callback_rules.on_after_sales_completed(uow, actor, req.customer_id, req.case_id, req.id, now)


def cancel_request(uow: UnitOfWork, actor: Actor, request_id: int, reason: str) -> None:
    """The customer withdrew: a request that is not decided yet is cancelled (its pending
    refund rejected). Anyone who may file requests may cancel; it decides nothing."""
    require(actor, Action.AFTERSALES_REQUEST)
    note = _text("reason", reason, required=True)
    now = utcnow()
    with uow:
        req = _request(uow, request_id)
        old_status = req.status
        result = uow.session.execute(
            sa.update(AfterSalesRequest)
            .where(AfterSalesRequest.id == req.id,
                   AfterSalesRequest.status.in_((S.SUBMITTED, S.AWAITING_APPROVAL)))
            .values(status=S.CANCELLED, decision_note=note, completed_at=now,
                    version=AfterSalesRequest.version + 1)
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            uow.session.refresh(req)
            raise _not_pending(req)
        uow.session.refresh(req)
        refund = _refund_of(uow, req.id)
        if refund is not None and refund.status in PENDING_REFUNDS:
            refund.status, refund.decided_at, refund.decision_note = R.REJECTED, now, note
        audit.record(uow, actor, "request_cancelled", "after_sales_request", req.id,
                     {"status": old_status}, {"status": S.CANCELLED, "reason": note})
        _case_event(uow, req, actor, "cancelled", note)
        uow.commit()


# --- service jobs -----------------------------------------------------------------------------

def technicians(uow: UnitOfWork, actor: Actor) -> list[tuple[int, str]]:
    """Active technicians by name, to give a job to."""
    require(actor, Action.JOB_ASSIGN)
    with uow.reader() as r:
        return [(sid, name) for sid, name in r.session.execute(
            sa.select(Staff.id, Staff.display_name)
            .join(StaffRole, StaffRole.staff_id == Staff.id)
            .where(Staff.active.is_(True), StaffRole.role == Role.TECHNICIAN)
            .order_by(Staff.display_name))]


def suggest_technician(session: Session, skill: str | None) -> int | None:
    """The active technician with the skill and the fewest open jobs (then the lowest id);
    None if nobody has the skill — a supervisor then assigns by hand."""
    if not skill:
        return None
    open_jobs = (sa.select(sa.func.count(ServiceJob.id))
                 .where(ServiceJob.technician_id == Staff.id,
                        ServiceJob.status.in_(OPEN_JOBS))
                 .correlate(Staff).scalar_subquery())
    row = session.execute(
        sa.select(Staff.id, open_jobs.label("load"))
        .join(StaffRole, sa.and_(StaffRole.staff_id == Staff.id,
                                 StaffRole.role == Role.TECHNICIAN))
        .join(StaffSkill, sa.and_(StaffSkill.staff_id == Staff.id,
                                  StaffSkill.skill == skill.strip().lower()))
        .where(Staff.active.is_(True))
        .order_by(sa.asc("load"), Staff.id).limit(1)).first()
    return row[0] if row else None


def _technician(uow: UnitOfWork, staff_id: int) -> Staff:
    staff = uow.session.get(Staff, staff_id)
    if staff is None or not staff.active or Role.TECHNICIAN not in staff.role_set:
        raise ValidationError(N_("Staff member {staff_id} is not an active technician."),
                              staff_id=staff_id)
    return staff


def _job(uow: UnitOfWork, job_id: int, for_update: bool = False) -> ServiceJob:
    query = sa.select(ServiceJob).where(ServiceJob.id == validate.record_id(job_id))
    job = uow.session.scalar(query.with_for_update() if for_update else query)
    if job is None:
        raise NotFound(N_("Service job {job_id} does not exist."), job_id=job_id)
    return job


def _own_job(uow: UnitOfWork, actor: Actor, job_id: int) -> ServiceJob:
    require(actor, Action.JOB_WORK)
    job = _job(uow, job_id, for_update=True)
    if job.technician_id != actor.staff_id:
        raise PermissionDenied(N_("Service job {job_id} is assigned to someone else: only its "
                                  "technician records the work."), job_id=job_id)
    return job


def _job_state(job: ServiceJob, *allowed_states: JobStatus) -> None:
    if job.status not in allowed_states:
        raise InvalidState(N_("Service job {job_id} is {status}: this step is not possible "
                              "now."), job_id=job.id, status=Term(JOB_STATUS[job.status]))


def assign_job(uow: UnitOfWork, actor: Actor, job_id: int, technician_id: int, mode: str,
               scheduled_for: datetime | None, expected_version: int | None = None) -> None:
    """Gives the job to a technician (the suggestion or someone else), on-site or mail-in or
    in store, with the date; the customer is told."""
    require(actor, Action.JOB_ASSIGN)
    mode_ = _choice(ServiceMode, mode, N_("Service mode"))
    with uow:
        job = _job(uow, job_id, for_update=True)
        expect_version(job, expected_version)
        _job_state(job, J.ASSIGNED, J.SCHEDULED)
        tech = _technician(uow, technician_id)
        if scheduled_for is not None and scheduled_for < utcnow() - timedelta(days=1):
            raise ValidationError(N_("The scheduled date is in the past."))
        old = {"technician_id": job.technician_id, "mode": job.mode,
               "scheduled_for": job.scheduled_for, "status": job.status}
        job.technician_id, job.mode, job.scheduled_for = tech.id, mode_, scheduled_for
        job.status = J.SCHEDULED if scheduled_for is not None else J.ASSIGNED
        new = {"technician_id": tech.id, "mode": mode_, "scheduled_for": scheduled_for,
               "status": job.status}
        before, after = audit.changes(old, new)
        audit.record(uow, actor, "job_assigned", "service_job", job.id, before, after)
        req = uow.session.get(AfterSalesRequest, job.request_id)
        _case_event(uow, req, actor, f"job {job.id} {job.status.value}")
        customer = uow.session.get(Customer, req.customer_id)
        gettext = translator(customer.language.value)
        _tell(uow, actor, req, "service_job_scheduled", mode=gettext(MODE[mode_]),
              scheduled_for=sla.local_text(uow.session, scheduled_for)
              if scheduled_for else "", technician=tech.display_name)
        uow.commit()


def start_job(uow: UnitOfWork, actor: Actor, job_id: int) -> None:
    with uow:
        job = _own_job(uow, actor, job_id)
        _job_state(job, J.ASSIGNED, J.SCHEDULED)
        old = job.status
        job.status, job.started_at = J.IN_PROGRESS, utcnow()
        audit.record(uow, actor, "job_started", "service_job", job.id, {"status": old},
                     {"status": J.IN_PROGRESS})
        req = uow.session.get(AfterSalesRequest, job.request_id)
        _tell(uow, actor, req, "service_job_started")
        uow.commit()


def record_quality_check(uow: UnitOfWork, actor: Actor, job_id: int, passed: bool,
                         checks: str) -> None:
    """What was checked and whether it passed. A failed check sends the job back to work."""
    checks_ = _text("checks", checks, required=True)
    with uow:
        job = _own_job(uow, actor, job_id)
        _job_state(job, J.IN_PROGRESS)
        job.qc_passed, job.qc_checks, job.qc_at, job.qc_by_id = (
            bool(passed), checks_, utcnow(), actor.staff_id)
        job.status = J.QUALITY_CHECK if passed else J.IN_PROGRESS
        audit.record(uow, actor, "quality_check_passed" if passed else "quality_check_failed",
                     "service_job", job.id, None, {"passed": bool(passed), "checks": checks_})
        uow.commit()


def submit_report(uow: UnitOfWork, actor: Actor, job_id: int, work_done: str,
                  parts_used: str | None, labour_minutes: int, material_cost_cents: int,
                  transport_cost_cents: int) -> int:
    """The technician's service report after a passed quality check: the job is done, the
    request completed, the customer told and the follow-up call scheduled. A report the
    reviewer returned is corrected through here too. Returns the report id."""
    work = _text("work_done", work_done, required=True)
    parts = _text("parts_used", parts_used)
    minutes = _amount(N_("Labour minutes"), labour_minutes, limit=MAX_MINUTES)
    material = _amount(N_("Material cost"), material_cost_cents)
    transport = _amount(N_("Transport cost"), transport_cost_cents)
    now = utcnow()
    with uow:
        job = _own_job(uow, actor, job_id)
        report = uow.session.scalar(sa.select(ServiceReport).where(ServiceReport.job_id == job.id))
        fields = dict(work_done=work, parts_used=parts, labour_minutes=minutes,
                      material_cost_cents=material, transport_cost_cents=transport)
        if report is not None:  # a returned report, corrected
            if report.review != ReportReview.RETURNED:
                raise InvalidState(N_("The service report of job {job_id} was already "
                                      "submitted."), job_id=job.id)
            for key, value in fields.items():
                setattr(report, key, value)
            report.review, report.submitted_at = ReportReview.PENDING, now
            report.submitted_by_id = actor.staff_id
            audit.record(uow, actor, "report_submitted", "service_report", report.id, None,
                         dict(fields, resubmitted=True))
            uow.commit()
            return report.id
        if job.status != J.QUALITY_CHECK or not job.qc_passed:
            raise InvalidState(N_("Service job {job_id} has no passed quality check yet: record "
                                  "the check before the report."), job_id=job.id)
        report = ServiceReport(job_id=job.id, submitted_by_id=actor.staff_id, submitted_at=now,
                               review=ReportReview.PENDING, **fields)
        uow.session.add(report)
        job.status, job.finished_at = J.DONE, now
        uow.flush()
        audit.record(uow, actor, "report_submitted", "service_report", report.id, None, fields)
        req = uow.session.get(AfterSalesRequest, job.request_id)
        _tell(uow, actor, req, "service_job_completed")
        _complete(uow, actor, req, now)
        uow.commit()
        return report.id


def review_report(uow: UnitOfWork, actor: Actor, report_id: int, accept: bool,
                  note: str | None = None) -> None:
    """A supervisor accepts the report (then archives it) or returns it to the technician
    with a note. Nobody reviews their own report."""
    require(actor, Action.SERVICE_REPORT_REVIEW)
    note_ = _text("note", note, required=not accept)
    with uow:
        report = _report(uow, report_id)
        if report.submitted_by_id == actor.staff_id:
            raise PermissionDenied(N_("You wrote this service report, so someone else must "
                                      "review it (four-eyes rule)."))
        if report.review != ReportReview.PENDING:
            raise InvalidState(N_("The service report {report_id} is not waiting for review "
                                  "(it is {review})."), report_id=report.id,
                               review=Term(REVIEW[report.review]))
        report.review = ReportReview.ACCEPTED if accept else ReportReview.RETURNED
        report.reviewed_by_id, report.reviewed_at, report.review_note = (
            actor.staff_id, utcnow(), note_)
        audit.record(uow, actor, "report_accepted" if accept else "report_returned",
                     "service_report", report.id, {"review": ReportReview.PENDING},
                     {"review": report.review, "note": note_})
        uow.commit()


def archive_report(uow: UnitOfWork, actor: Actor, report_id: int) -> None:
    require(actor, Action.SERVICE_REPORT_REVIEW)
    with uow:
        report = _report(uow, report_id)
        if report.review != ReportReview.ACCEPTED:
            raise InvalidState(N_("Only an accepted service report can be archived; report "
                                  "{report_id} is {review}."), report_id=report.id,
                               review=Term(REVIEW[report.review]))
        report.review = ReportReview.ARCHIVED
        audit.record(uow, actor, "report_archived", "service_report", report.id,
                     {"review": ReportReview.ACCEPTED}, {"review": ReportReview.ARCHIVED})
        uow.commit()


def _report(uow: UnitOfWork, report_id: int) -> ServiceReport:
    report = uow.session.scalar(sa.select(ServiceReport).where(ServiceReport.id == report_id)
                                .with_for_update())
    if report is None:
        raise NotFound(N_("Service report {report_id} does not exist."), report_id=report_id)
    return report


# --- read models ------------------------------------------------------------------------------

@dataclass(frozen=True)
class RefundView:
    id: int
    amount_cents: int
    status: RefundStatus
    requested_by: str | None
    approved_by: str | None
    created_at: datetime
    decided_at: datetime | None
    decision_note: str | None


@dataclass(frozen=True)
class ReportView:
    id: int
    version: int
    job_id: int
    request_id: int
    work_done: str
    parts_used: str | None
    labour_minutes: int
    material_cost_cents: int
    transport_cost_cents: int
    submitted_by_id: int
    submitted_by: str | None
    submitted_at: datetime
    review: ReportReview
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_note: str | None
    customer_name: str
    product: str
    qc_checks: str | None


@dataclass(frozen=True)
class JobView:
    id: int
    version: int
    request_id: int
    kind: AfterSalesKind
    status: JobStatus
    technician_id: int | None
    technician: str | None
    suggested_technician_id: int | None
    required_skill: str | None
    mode: ServiceMode
    scheduled_for: datetime | None
    address: str | None
    customer_name: str
    product: str
    request_reason: str
    started_at: datetime | None
    finished_at: datetime | None
    qc_passed: bool | None
    qc_checks: str | None
    report_id: int | None
    report_review: ReportReview | None
    report_note: str | None


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    action: str
    label: str  # msgid
    actor: str | None
    detail: dict | None


@dataclass(frozen=True)
class RequestSummary:
    id: int
    version: int
    kind: AfterSalesKind
    status: AfterSalesStatus
    customer_id: int
    customer_name: str
    order_number: str
    product: str
    within_policy: bool
    needs_approval: bool
    refund_cents: int | None
    created_at: datetime
    created_by: str | None
    can_decide: bool


@dataclass(frozen=True)
class RequestView:
    id: int
    version: int
    kind: AfterSalesKind
    status: AfterSalesStatus
    case_id: int | None
    customer_id: int
    customer_name: str
    order_id: int
    order_number: str
    order_line_id: int
    product: str
    paid_cents: int
    refunded_cents: int
    reason: str
    condition: GoodsCondition
    proof_of_purchase: bool
    notes: str | None
    within_policy: bool
    needs_approval: bool
    policy_explanation: str | None
    created_by_id: int
    created_by: str | None
    prepared_by_id: int | None
    prepared_by: str | None
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None
    created_at: datetime
    completed_at: datetime | None
    refunds: list[RefundView] = field(default_factory=list)
    job: JobView | None = None
    report: ReportView | None = None
    timeline: list[TimelineEntry] = field(default_factory=list)
    can_decide: bool = False
    can_prepare: bool = False
    can_cancel: bool = False


def _names(session: Session, ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(session.execute(sa.select(Staff.id, Staff.display_name)
                                .where(Staff.id.in_(ids))).all())


def _may_decide(actor: Actor, req: AfterSalesRequest, refund: Refund | None) -> bool:
    if req.status != S.AWAITING_APPROVAL or not allowed(actor.roles, Action.AFTERSALES_APPROVE):
        return False
    if refund is not None and not allowed(actor.roles, Action.REFUND_APPROVE):
        return False
    involved = {req.created_by_id, req.prepared_by_id}
    if refund is not None:
        involved |= {refund.requested_by_id, refund.prepared_by_id}
    return actor.staff_id not in involved


def _summaries(session: Session, actor: Actor, rows: list[AfterSalesRequest]
               ) -> list[RequestSummary]:
    if not rows:
        return []
    ids = [r.id for r in rows]
    refunds = {f.request_id: f for f in session.scalars(
        sa.select(Refund).where(Refund.request_id.in_(ids)))}
    info = {line_id: (number, name, cname) for line_id, number, name, cname in session.execute(
        sa.select(OrderLine.id, Order.order_number, Product.name, Customer.name)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Product, Product.id == OrderLine.product_id)
        .join(Customer, Customer.id == Order.customer_id)
        .where(OrderLine.id.in_({r.order_line_id for r in rows})))}
    names = _names(session, [r.created_by_id for r in rows])
    out = []
    for r in rows:
        number, product, cname = info.get(r.order_line_id, ("?", "?", "?"))
        refund = refunds.get(r.id)
        out.append(RequestSummary(
            r.id, r.version, r.kind, r.status, r.customer_id, cname, number, product,
            r.within_policy, r.needs_approval, refund.amount_cents if refund else None,
            r.created_at, names.get(r.created_by_id), _may_decide(actor, r, refund)))
    return out


def approval_queue(uow: UnitOfWork, actor: Actor, limit: int = 200) -> list[RequestSummary]:
    """Requests waiting for a supervisor, oldest first; `can_decide` is False on one's own."""
    require(actor, Action.AFTERSALES_APPROVE)
    with uow.reader() as r:
        rows = r.session.scalars(sa.select(AfterSalesRequest)
                                 .where(AfterSalesRequest.status == S.AWAITING_APPROVAL)
                                 .order_by(AfterSalesRequest.created_at, AfterSalesRequest.id)
                                 .limit(limit)).all()
        return _summaries(r.session, actor, rows)


def requests_of_customer(uow: UnitOfWork, actor: Actor, customer_id: int,
                         limit: int = 100) -> list[RequestSummary]:
    _require_any(actor, Action.AFTERSALES_REQUEST, Action.AFTERSALES_APPROVE)
    with uow.reader() as r:
        rows = r.session.scalars(sa.select(AfterSalesRequest)
                                 .where(AfterSalesRequest.customer_id == customer_id)
                                 .order_by(AfterSalesRequest.created_at.desc(),
                                           AfterSalesRequest.id.desc())
                                 .limit(limit)).all()
        return _summaries(r.session, actor, rows)


@dataclass(frozen=True)
class LineChoice:
    order_line_id: int
    order_number: str
    product: str
    quantity: int
    paid_cents: int
    refunded_cents: int
    refundable_cents: int  # paid - refunded - refunds waiting for approval
    delivered_at: datetime | None
    ordered_at: datetime


def lines_of_customer(uow: UnitOfWork, actor: Actor, customer_id: int,
                      limit: int = 50) -> list[LineChoice]:
    """The customer's order lines, newest first, to pick the one a request is about."""
    require(actor, Action.AFTERSALES_REQUEST)
    with uow.reader() as r:
        pending = (sa.select(sa.func.coalesce(sa.func.sum(Refund.amount_cents), 0))
                   .where(Refund.order_line_id == OrderLine.id,
                          Refund.status.in_(PENDING_REFUNDS))
                   .correlate(OrderLine).scalar_subquery())
        rows = r.session.execute(
            sa.select(OrderLine.id, Order.order_number, Product.name, OrderLine.quantity,
                      OrderLine.paid_cents, OrderLine.refunded_cents, pending,
                      Order.delivered_at, Order.ordered_at)
            .join(Order, Order.id == OrderLine.order_id)
            .join(Product, Product.id == OrderLine.product_id)
            .where(Order.customer_id == customer_id)
            .order_by(Order.ordered_at.desc(), OrderLine.id).limit(limit)).all()
        return [LineChoice(i, n, p, q, paid, ref, max(paid - ref - int(pend or 0), 0), d, o)
                for i, n, p, q, paid, ref, pend, d, o in rows]


def _job_views(session: Session, jobs: list[ServiceJob]) -> list[JobView]:
    if not jobs:
        return []
    requests = {q.id: q for q in session.scalars(sa.select(AfterSalesRequest).where(
        AfterSalesRequest.id.in_({j.request_id for j in jobs})))}
    info = {rid: (cname, pname) for rid, cname, pname in session.execute(
        sa.select(AfterSalesRequest.id, Customer.name, Product.name)
        .join(Customer, Customer.id == AfterSalesRequest.customer_id)
        .join(OrderLine, OrderLine.id == AfterSalesRequest.order_line_id)
        .join(Product, Product.id == OrderLine.product_id)
        .where(AfterSalesRequest.id.in_(list(requests))))}
    reports = {p.job_id: p for p in session.scalars(
        sa.select(ServiceReport).where(ServiceReport.job_id.in_([j.id for j in jobs])))}
    names = _names(session, [j.technician_id for j in jobs])
    out = []
    for j in jobs:
        customer, product = info.get(j.request_id, ("?", "?"))
        report = reports.get(j.id)
        suggested = (suggest_technician(session, j.required_skill)
                     if j.status in (J.ASSIGNED, J.SCHEDULED) else None)
        out.append(JobView(
            j.id, j.version, j.request_id, j.kind, j.status, j.technician_id,
            names.get(j.technician_id), suggested, j.required_skill, j.mode, j.scheduled_for,
            j.address, customer, product, requests[j.request_id].reason, j.started_at,
            j.finished_at, j.qc_passed, j.qc_checks, report.id if report else None,
            report.review if report else None, report.review_note if report else None))
    return out


def my_jobs(uow: UnitOfWork, actor: Actor) -> list[JobView]:
    """A technician's own jobs still to work on, and finished ones whose report came back."""
    require(actor, Action.JOB_WORK)
    with uow.reader() as r:
        returned = sa.select(ServiceReport.job_id).where(
            ServiceReport.review == ReportReview.RETURNED)
        jobs = r.session.scalars(
            sa.select(ServiceJob).where(
                ServiceJob.technician_id == actor.staff_id,
                sa.or_(ServiceJob.status.in_(OPEN_JOBS), ServiceJob.id.in_(returned)))
            .order_by(sa.func.coalesce(ServiceJob.scheduled_for, ServiceJob.created_at),
                      ServiceJob.id)).all()
        return _job_views(r.session, list(jobs))


def jobs_to_assign(uow: UnitOfWork, actor: Actor) -> list[JobView]:
    """Jobs not started yet (with the suggested technician), oldest first, for a supervisor."""
    require(actor, Action.JOB_ASSIGN)
    with uow.reader() as r:
        jobs = r.session.scalars(sa.select(ServiceJob).where(
            ServiceJob.status.in_((J.ASSIGNED, J.SCHEDULED)))
            .order_by(ServiceJob.created_at, ServiceJob.id)).all()
        return _job_views(r.session, list(jobs))


def _report_views(session: Session, reports: list[ServiceReport]) -> list[ReportView]:
    if not reports:
        return []
    jobs = {j.id: j for j in session.scalars(sa.select(ServiceJob).where(
        ServiceJob.id.in_({p.job_id for p in reports})))}
    views = {v.id: v for v in _job_views(session, list(jobs.values()))}
    names = _names(session, [p.submitted_by_id for p in reports]
                   + [p.reviewed_by_id for p in reports])
    return [ReportView(
        p.id, p.version, p.job_id, jobs[p.job_id].request_id, p.work_done, p.parts_used,
        p.labour_minutes, p.material_cost_cents, p.transport_cost_cents, p.submitted_by_id,
        names.get(p.submitted_by_id), p.submitted_at, p.review, names.get(p.reviewed_by_id),
        p.reviewed_at, p.review_note, views[p.job_id].customer_name, views[p.job_id].product,
        jobs[p.job_id].qc_checks) for p in reports]


def reports_to_review(uow: UnitOfWork, actor: Actor) -> list[ReportView]:
    """Reports waiting for review and accepted ones waiting to be archived, oldest first."""
    require(actor, Action.SERVICE_REPORT_REVIEW)
    with uow.reader() as r:
        rows = r.session.scalars(sa.select(ServiceReport).where(
            ServiceReport.review.in_((ReportReview.PENDING, ReportReview.ACCEPTED)))
            .order_by(ServiceReport.submitted_at, ServiceReport.id)).all()
        return _report_views(r.session, list(rows))


def request_view(uow: UnitOfWork, actor: Actor, request_id: int) -> RequestView:
    """One request with its policy reasons, refund, job, report and timeline."""
    _require_any(actor, Action.AFTERSALES_REQUEST, Action.AFTERSALES_APPROVE, Action.JOB_WORK)
    with uow.reader() as r:
        s = r.session
        req = s.get(AfterSalesRequest, validate.record_id(request_id))
        if req is None:
            raise NotFound(N_("After-sales request {request_id} does not exist."),
                           request_id=request_id)
        job = s.scalar(sa.select(ServiceJob).where(ServiceJob.request_id == req.id)
                       .order_by(ServiceJob.id.desc()))
        if not allowed(actor.roles, Action.AFTERSALES_REQUEST) and not allowed(
                actor.roles, Action.AFTERSALES_APPROVE) and (
                job is None or job.technician_id != actor.staff_id):
            # a technician sees the requests of their own jobs only
            raise NotFound(N_("After-sales request {request_id} does not exist."),
                           request_id=request_id)
        line = s.get(OrderLine, req.order_line_id)
        order = s.get(Order, line.order_id)
        product = s.get(Product, line.product_id)
        customer = s.get(Customer, req.customer_id)
        refunds = s.scalars(sa.select(Refund).where(Refund.request_id == req.id)
                            .order_by(Refund.id)).all()
        report = s.scalar(sa.select(ServiceReport).where(ServiceReport.job_id == job.id)) \
            if job else None
        refund_ids = [f.id for f in refunds]
        entities = [sa.and_(AuditEntry.entity == "after_sales_request",
                            AuditEntry.entity_id == str(req.id))]
        if refund_ids:
            entities.append(sa.and_(AuditEntry.entity == "refund",
                                    AuditEntry.entity_id.in_([str(i) for i in refund_ids])))
        if job:
            entities.append(sa.and_(AuditEntry.entity == "service_job",
                                    AuditEntry.entity_id == str(job.id)))
        if report:
            entities.append(sa.and_(AuditEntry.entity == "service_report",
                                    AuditEntry.entity_id == str(report.id)))
        callbacks = [str(i) for i in s.scalars(sa.select(Callback.id)
                                                .where(Callback.request_id == req.id))]
        if callbacks:
            entities.append(sa.and_(AuditEntry.entity == "callback",
                                    AuditEntry.entity_id.in_(callbacks)))
        audits = s.scalars(sa.select(AuditEntry).where(sa.or_(*entities))
                           .order_by(AuditEntry.at, AuditEntry.id)).all()
        names = _names(s, [req.created_by_id, req.prepared_by_id, req.decided_by_id]
                       + [f.requested_by_id for f in refunds]
                       + [f.approved_by_id for f in refunds] + [a.actor_id for a in audits])
        first_refund = refunds[0] if refunds else None
        return RequestView(
            id=req.id, version=req.version, kind=req.kind, status=req.status,
            case_id=req.case_id, customer_id=req.customer_id, customer_name=customer.name,
            order_id=order.id, order_number=order.order_number, order_line_id=line.id,
            product=product.name, paid_cents=line.paid_cents,
            refunded_cents=line.refunded_cents, reason=req.reason, condition=req.condition,
            proof_of_purchase=req.proof_of_purchase, notes=req.notes,
            within_policy=req.within_policy, needs_approval=req.needs_approval,
            policy_explanation=req.policy_explanation, created_by_id=req.created_by_id,
            created_by=names.get(req.created_by_id), prepared_by_id=req.prepared_by_id,
            prepared_by=names.get(req.prepared_by_id), decided_by=names.get(req.decided_by_id),
            decided_at=req.decided_at, decision_note=req.decision_note,
            created_at=req.created_at, completed_at=req.completed_at,
            refunds=[RefundView(f.id, f.amount_cents, f.status, names.get(f.requested_by_id),
                                names.get(f.approved_by_id), f.created_at, f.decided_at,
                                f.decision_note) for f in refunds],
            job=_job_views(s, [job])[0] if job else None,
            report=_report_views(s, [report])[0] if report else None,
            timeline=[TimelineEntry(a.at, a.action, TIMELINE.get(a.action, a.action),
                                    names.get(a.actor_id), a.new) for a in audits],
            can_decide=_may_decide(actor, req, first_refund),
            can_prepare=req.status == S.AWAITING_APPROVAL
            and allowed(actor.roles, Action.AFTERSALES_REQUEST)
            and actor.staff_id != req.created_by_id
            and req.prepared_by_id in (None, actor.staff_id),
            can_cancel=req.status in (S.SUBMITTED, S.AWAITING_APPROVAL)
            and allowed(actor.roles, Action.AFTERSALES_REQUEST))
