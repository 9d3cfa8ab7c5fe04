"""Callbacks: the follow-up queue, claiming a call, logging each attempt, and the survey.

A callback is claimed before it is called, so that two agents never ring the same customer.
Each attempt is logged with its outcome; `callbacks.max_attempts` unanswered calls close it as
unreachable; a wrong number closes it at once. Reaching the customer records the survey
(satisfaction 1-5, solved or not, NPS 0-10, comment); "not solved" puts the case back in its
owner's queue, escalated: a resolved case is reopened, a closed one gets a new case linked to
it (closed is final).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa

from core import audit, callback_rules, care_plans, cases, complaints, sla, validate
from core.callback_views import AttemptView, SurveyView, attempts_of, surveys
from core.actor import Actor
from core.clock import utcnow
from core.customers import display_phone, mask_phone, sees_personal_data
from core.errors import InvalidState, NotFound, ValidationError
from core.i18n import N_, Term, say
from core.labels import CALLBACK_STATUS
from core.permissions import Action, require
from core.uow import UnitOfWork, expect_version
from core.vocabulary import (CallbackPurpose, CallbackStatus, CallbackTrigger, CallOutcome,
                             CaseEventKind, CaseKind, CaseStatus, Channel, CustomerTier)
from db.models import (CallAttempt, Callback, Case, Complaint, Customer, Staff, SurveyAnswer)

P, O, S = CallbackPurpose, CallOutcome, CallbackStatus
# calls that ask for the survey, and those that also ask whether the case's problem is solved
SURVEYED = frozenset({P.FOLLOW_UP, P.AFTER_SALES_FOLLOW_UP, P.VIP_CARE, P.REGULAR_CARE})
ASKS_SOLVED = frozenset({P.FOLLOW_UP, P.AFTER_SALES_FOLLOW_UP})
# what staff may schedule by hand (care calls and after-sales follow-ups come from the rules)
BY_HAND = (P.MANUAL, P.FOLLOW_UP, P.MARKETING)
RETRY_DEFAULT_MINUTES = 120      # of opening time before an unanswered call is tried again
CALL_BACK_WITHIN = timedelta(days=60)
SCHEDULE_WITHIN = timedelta(days=366)
QUEUE_LIMIT = 200
LIMITS = {"note": 2000, "comment": 2000, "topic": 200, "reason": 2000}
FIELD_NAMES = {"note": N_("Call note"), "comment": N_("Customer's comment"),
               "topic": N_("What the call is about"), "reason": N_("Reason")}
TIMELINE = {
    "callback_scheduled": N_("Follow-up callback scheduled"),
    "callback_claimed": N_("Callback claimed"),
    "callback_released": N_("Callback released"),
    "call_attempt_logged": N_("Call attempt logged"),
    "survey_recorded": N_("Survey recorded"),
    "callback_cancelled": N_("Callback cancelled"),
    "callback_rescheduled": N_("Callback moved"),
    "follow_up_scheduled": N_("Follow-up callback scheduled"),   # before the callbacks release
}


class Bucket(StrEnum):
    OVERDUE = "overdue"
    TODAY = "today"
    UPCOMING = "upcoming"


class Scope(StrEnum):
    MINE = "mine"
    UNCLAIMED = "unclaimed"
    TEAM = "team"


def _text(name: str, value: str | None, required: bool = False) -> str | None:
    return validate.text(value, field=FIELD_NAMES[name], limit=LIMITS[name], required=required)


def _callback(uow: UnitOfWork, callback_id: int, *, for_update: bool = False) -> Callback:
    query = sa.select(Callback).where(Callback.id == validate.record_id(callback_id))
    found = uow.session.scalar(query.with_for_update() if for_update else query)
    if found is None:
        raise NotFound(N_("Callback {callback_id} does not exist."), callback_id=callback_id)
    return found


def _locked(uow: UnitOfWork, callback_id: int) -> Callback:
    """The callback locked for a change, its customer's row locked first: the customer's own
    changes (tier, consent, merge) lock the customer and then its callbacks, and taking the
    two in the same order means the two can never deadlock on PostgreSQL."""
    customer_id = uow.session.scalar(sa.select(Callback.customer_id)
                                     .where(Callback.id == validate.record_id(callback_id)))
    if customer_id is None:
        raise NotFound(N_("Callback {callback_id} does not exist."), callback_id=callback_id)
    # NO KEY UPDATE: still excludes the customer's own changes, but not the key-share lock a
    # foreign-key check takes (a case being resolved inserts its follow-up meanwhile)
    uow.session.execute(sa.select(Customer.id).where(Customer.id == customer_id)
                        .with_for_update(key_share=True))  # FOR NO KEY UPDATE
    return _callback(uow, callback_id, for_update=True)


def _must_be_open(callback: Callback) -> None:
    if callback.status != S.OPEN:
        raise InvalidState(N_("Callback {callback_id} is {status}: there is nothing more to do."),
                           callback_id=callback.id, status=Term(CALLBACK_STATUS[callback.status]))


def _name(uow: UnitOfWork, staff_id: int | None) -> str:
    return uow.session.scalar(sa.select(Staff.display_name).where(Staff.id == staff_id)) or "?"


# --- the queue ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CallbackRow:
    id: int
    version: int
    customer_id: int
    customer_name: str
    phone: str | None
    tier: CustomerTier
    purpose: CallbackPurpose
    topic: str | None
    case_id: int | None
    case_subject: str | None
    due_at: datetime
    attempts: int
    claimed_by_id: int | None
    claimed_by: str | None


@dataclass(frozen=True)
class CallbackQueue:
    rows: list[CallbackRow]
    counts: dict[Bucket, int]


def day_bounds(uow: UnitOfWork, now: datetime) -> tuple[datetime, datetime]:
    """Start of today and of tomorrow in the shop's time zone, as naive UTC."""
    calendar = sla.load_calendar(uow.session, now)
    today = sla.to_local(uow.session, now).date()
    return calendar.start_of(today), calendar.start_of(today + timedelta(days=1))


def callback_queue(uow: UnitOfWork, actor: Actor, scope: str = Scope.TEAM,
                   bucket: str = Bucket.TODAY, limit: int = QUEUE_LIMIT) -> CallbackQueue:
    """Open callbacks of one bucket (overdue, due today, upcoming) for one scope (claimed by
    me, nobody's yet, the whole team), with the count of every bucket. In the calls to make
    now (overdue, today) VIP customers come first, then the longest waiting; upcoming ones
    come by due time."""
    require(actor, Action.CALLBACK_WORK)
    scope_ = validate.choice(Scope, scope, N_("Show"))
    bucket_ = validate.choice(Bucket, bucket, N_("When"))
    now = utcnow()
    personal = sees_personal_data(actor)
    with uow.reader() as r:
        s = r.session
        today, tomorrow = day_bounds(r, now)
        where = [Callback.status == S.OPEN]
        if scope_ == Scope.MINE:
            where.append(Callback.claimed_by_id == actor.staff_id)
        elif scope_ == Scope.UNCLAIMED:
            where.append(Callback.claimed_by_id.is_(None))
        in_bucket = {Bucket.OVERDUE: Callback.due_at < today,
                     Bucket.TODAY: sa.and_(Callback.due_at >= today, Callback.due_at < tomorrow),
                     Bucket.UPCOMING: Callback.due_at >= tomorrow}
        counts = {b: s.scalar(sa.select(sa.func.count()).select_from(Callback)
                              .where(*where, condition)) or 0
                  for b, condition in in_bucket.items()}
        # in the SQL, before the limit, so that a VIP never falls off a long list
        vip_first = sa.case((Customer.tier == CustomerTier.VIP, 0), else_=1)
        order = ((Callback.due_at, vip_first) if bucket_ == Bucket.UPCOMING
                 else (vip_first, Callback.due_at))
        claimer = sa.orm.aliased(Staff)
        rows = s.execute(
            sa.select(Callback, Customer.name, Customer.phone, Customer.phone_normalized,
                      Customer.tier, Case.subject, claimer.display_name)
            .join(Customer, Customer.id == Callback.customer_id)
            .outerjoin(Case, Case.id == Callback.case_id)
            .outerjoin(claimer, claimer.id == Callback.claimed_by_id)
            .where(*where, in_bucket[bucket_])
            .order_by(*order, Callback.id).limit(limit)).all()
    result = [CallbackRow(
        cb.id, cb.version, cb.customer_id, name,
        display_phone(e164, phone) if personal else mask_phone(e164 or phone), tier,
        cb.purpose, cb.topic, cb.case_id, subject, cb.due_at, cb.attempts, cb.claimed_by_id,
        claimed) for cb, name, phone, e164, tier, subject, claimed in rows]
    return CallbackQueue(result, counts)


# --- one callback ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class CallbackDetail:
    row: CallbackRow
    status: CallbackStatus
    marketing_consent: bool
    language: str
    request_id: int | None
    case_status: CaseStatus | None
    case_owner: str | None
    case_escalated: bool
    created_at: datetime
    closed_at: datetime | None
    max_attempts: int
    unanswered: int
    attempts: list[AttemptView] = field(default_factory=list)
    survey: SurveyView | None = None
    care_plans: list[care_plans.CarePlanView] = field(default_factory=list)
    asks_survey: bool = False
    asks_solved: bool = False


def _unanswered(uow: UnitOfWork, callback_id: int) -> int:
    return uow.session.scalar(sa.select(sa.func.count()).select_from(CallAttempt).where(
        CallAttempt.callback_id == callback_id, CallAttempt.outcome == O.NO_ANSWER)) or 0


def get_callback(uow: UnitOfWork, actor: Actor, callback_id: int) -> CallbackDetail:
    require(actor, Action.CALLBACK_WORK)
    personal = sees_personal_data(actor)
    with uow.reader() as r:
        s = r.session
        cb = _callback(r, callback_id)
        customer = s.get(Customer, cb.customer_id)
        case = s.get(Case, cb.case_id) if cb.case_id else None
        row = CallbackRow(
            cb.id, cb.version, customer.id, customer.name,
            display_phone(customer.phone_normalized, customer.phone) if personal
            else mask_phone(customer.phone_normalized or customer.phone),
            customer.tier, cb.purpose, cb.topic, cb.case_id, case.subject if case else None,
            cb.due_at, cb.attempts, cb.claimed_by_id,
            _name(r, cb.claimed_by_id) if cb.claimed_by_id else None)
        answers = surveys(s, SurveyAnswer.callback_id == cb.id)
        return CallbackDetail(
            row=row, status=cb.status, marketing_consent=customer.marketing_consent,
            language=customer.language.value, request_id=cb.request_id,
            case_status=case.status if case else None,
            case_owner=_name(r, case.owner_id) if case and case.owner_id else None,
            case_escalated=bool(case and case.escalated), created_at=cb.created_at,
            closed_at=cb.closed_at, max_attempts=callback_rules.max_attempts(r),
            unanswered=_unanswered(r, cb.id), attempts=attempts_of(s, cb.id),
            survey=answers[0] if answers else None,
            care_plans=care_plans.plans_of(s, customer.id) if cb.purpose == P.VIP_CARE else [],
            asks_survey=cb.purpose in SURVEYED,
            asks_solved=cb.purpose in ASKS_SOLVED and cb.case_id is not None)


# --- claiming ------------------------------------------------------------------------------------

def claim(uow: UnitOfWork, actor: Actor, callback_id: int) -> None:
    """Takes the call, so that nobody else rings the same customer. One winner: the update only
    applies while nobody holds it."""
    require(actor, Action.CALLBACK_WORK)
    now = utcnow()
    with uow:
        cb = _locked(uow, callback_id)
        _must_be_open(cb)
        if cb.claimed_by_id == actor.staff_id:
            return
        _check_not_claimed(uow, cb, actor)
        _check_consent(uow, cb)
        won = uow.session.execute(
            sa.update(Callback)
            .where(Callback.id == cb.id, Callback.status == S.OPEN,
                   Callback.claimed_by_id.is_(None))
            .values(claimed_by_id=actor.staff_id, claimed_at=now, version=Callback.version + 1)
            .execution_options(synchronize_session=False)).rowcount
        if won != 1:
            raise InvalidState(N_("Someone else has just taken callback {callback_id}."),
                               callback_id=cb.id)
        audit.record(uow, actor, "callback_claimed", "callback", cb.id, None,
                     {"claimed_by_id": actor.staff_id})
        uow.commit()


def _check_not_claimed(uow: UnitOfWork, cb: Callback, actor: Actor) -> None:
    if cb.claimed_by_id is not None and cb.claimed_by_id != actor.staff_id:
        raise InvalidState(N_("{name} is already making this call (callback {callback_id})."),
                           name=_name(uow, cb.claimed_by_id), callback_id=cb.id)


def _check_consent(uow: UnitOfWork, cb: Callback) -> None:
    if cb.purpose == P.MARKETING:
        consent = uow.session.scalar(sa.select(Customer.marketing_consent)
                                     .where(Customer.id == cb.customer_id))
        if not consent:
            raise InvalidState(N_("This customer has not agreed to marketing calls. Cancel the "
                                  "callback."))


def release(uow: UnitOfWork, actor: Actor, callback_id: int) -> None:
    """Gives the call back to the team: one's own, or anyone's for a supervisor."""
    require(actor, Action.CALLBACK_WORK)
    with uow:
        cb = _locked(uow, callback_id)
        _must_be_open(cb)
        if cb.claimed_by_id is None:
            return
        if cb.claimed_by_id != actor.staff_id:
            require(actor, Action.CALLBACK_ASSIGN)
        old = cb.claimed_by_id
        cb.claimed_by_id, cb.claimed_at = None, None
        audit.record(uow, actor, "callback_released", "callback", cb.id,
                     {"claimed_by_id": old}, {"claimed_by_id": None})
        uow.commit()


# --- calling -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AttemptResult:
    status: CallbackStatus
    unanswered: int
    due_at: datetime | None = None
    survey_id: int | None = None
    reopened_case_id: int | None = None     # the case put back in its owner's queue
    new_case_id: int | None = None          # set when that had to be a new case (old one closed)


def _score(name: str, value: object, low: int, high: int, required: bool) -> int | None:
    if value is None or value == "":
        if required:
            raise ValidationError(N_("Record the {field} ({low} to {high})."),
                                  field=Term(name), low=low, high=high)
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(N_("The {field} must be a whole number from {low} to {high}."),
                              field=Term(name), low=low, high=high)
    return value


def log_attempt(uow: UnitOfWork, actor: Actor, callback_id: int, outcome: str,
                expected_version: int | None = None, *, note: str | None = None,
                call_back_at: datetime | None = None, satisfaction: int | None = None,
                problem_solved: bool | None = None, nps: int | None = None,
                comment: str | None = None) -> AttemptResult:
    """Records one call. An unclaimed callback is claimed by the caller on the way."""
    require(actor, Action.CALLBACK_WORK)
    outcome_ = validate.choice(CallOutcome, outcome, N_("Outcome"))
    note_ = _text("note", note)
    comment_ = _text("comment", comment)
    now = utcnow()
    if outcome_ == O.CALL_BACK_LATER:
        if call_back_at is None:
            raise ValidationError(N_("Say when the customer wants to be called back."))
        if not now < call_back_at <= now + CALL_BACK_WITHIN:
            raise ValidationError(N_("The time to call back must be later than now and within "
                                     "{days} days."), days=CALL_BACK_WITHIN.days)
    with uow:
        cb = _locked(uow, callback_id)
        expect_version(cb, expected_version)
        _must_be_open(cb)
        _check_not_claimed(uow, cb, actor)
        _check_consent(uow, cb)
        survey = None
        if outcome_ == O.REACHED:
            survey = _survey_input(cb, satisfaction, problem_solved, nps, comment_)
        if cb.claimed_by_id is None:
            cb.claimed_by_id, cb.claimed_at = actor.staff_id, now
        uow.session.add(CallAttempt(callback_id=cb.id, staff_id=actor.staff_id,
                                    attempted_at=now, outcome=outcome_,
                                    call_back_at=call_back_at if outcome_ == O.CALL_BACK_LATER
                                    else None, note=note_))
        cb.attempts += 1
        uow.flush()
        unanswered = _unanswered(uow, cb.id)
        old_status, old_due = cb.status, cb.due_at
        if outcome_ == O.NO_ANSWER and unanswered >= callback_rules.max_attempts(uow):
            _close(cb, S.UNREACHABLE, now)
        elif outcome_ == O.NO_ANSWER:
            minutes = int(sla.setting(uow.session, "callbacks.retry_minutes",
                                      RETRY_DEFAULT_MINUTES))
            cb.due_at = sla.load_calendar(uow.session, now).add(now, minutes * 60)
        elif outcome_ == O.CALL_BACK_LATER:
            cb.due_at = call_back_at
        elif outcome_ == O.WRONG_NUMBER:
            _close(cb, S.UNREACHABLE, now)
        else:  # reached, or reached and declined to talk
            _close(cb, S.DONE, now)
        result = AttemptResult(cb.status, unanswered,
                               due_at=cb.due_at if cb.status == S.OPEN else None)
        audit.record(uow, actor, "call_attempt_logged", "callback", cb.id,
                     {"status": old_status, "due_at": old_due},
                     {"outcome": outcome_, "status": cb.status, "due_at": cb.due_at,
                      "unanswered": unanswered})
        if survey is not None:
            result = _record_survey(uow, actor, cb, survey, now, result)
        if cb.status != S.OPEN and cb.purpose in callback_rules.CARE_PURPOSES:
            if outcome_ == O.REACHED and cb.purpose == P.VIP_CARE:
                # the checks falling due before the next care call were this call's business
                vip = callback_rules.rule(uow, CallbackTrigger.VIP_PERIODIC)
                care_plans.checks_done(uow, actor, cb.customer_id,
                                       sla.to_local(uow.session, now).date(),
                                       vip.delay_days if vip else 0)
            callback_rules.next_care_call(uow, actor, cb.customer_id, cb.purpose, now)
        uow.commit()
        return result


def _close(cb: Callback, status: CallbackStatus, now: datetime) -> None:
    cb.status, cb.closed_at = status, now


@dataclass(frozen=True)
class _Survey:
    satisfaction: int | None
    problem_solved: bool | None
    nps: int | None
    comment: str | None


def _survey_input(cb: Callback, satisfaction, problem_solved, nps, comment) -> _Survey | None:
    asks = cb.purpose in SURVEYED
    score = _score(N_("satisfaction score"), satisfaction, 1, 5, required=asks)
    nps_ = _score(N_("recommendation score (NPS)"), nps, 0, 10, required=False)
    solved = problem_solved
    if cb.purpose in ASKS_SOLVED and cb.case_id is not None:
        if solved is None:
            raise ValidationError(N_("Ask whether the problem is solved, and record the "
                                     "answer."))
    elif solved is not None and cb.case_id is None:
        solved = None  # nothing to reopen: a care call has no case
    if score is None and nps_ is None and not comment:
        return None
    if score is None:
        raise ValidationError(N_("Record the {field} ({low} to {high})."),
                              field=Term(N_("satisfaction score")), low=1, high=5)
    return _Survey(score, solved, nps_, comment)


def _record_survey(uow: UnitOfWork, actor: Actor, cb: Callback, survey: _Survey,
                   now: datetime, result: AttemptResult) -> AttemptResult:
    case = cases._case(uow, cb.case_id, for_update=True) if cb.case_id else None
    answer = SurveyAnswer(customer_id=cb.customer_id, callback_id=cb.id,
                          case_id=case.id if case else None,
                          handled_by_id=case.owner_id if case else None,
                          surveyed_by_id=actor.staff_id, satisfaction=survey.satisfaction,
                          problem_solved=survey.problem_solved, nps=survey.nps,
                          comment=survey.comment, answered_at=now)
    uow.session.add(answer)
    uow.flush()
    audit.record(uow, actor, "survey_recorded", "callback", cb.id, None,
                 {"survey_id": answer.id, "case_id": answer.case_id,
                  "satisfaction": survey.satisfaction, "problem_solved": survey.problem_solved,
                  "nps": survey.nps})
    reopened = new_case = None
    if case is not None and survey.problem_solved is False:
        reopened, new_case = _not_solved(uow, actor, cb, case, survey, now)
    return AttemptResult(result.status, result.unanswered, result.due_at, answer.id,
                         reopened, new_case)


def _not_solved(uow: UnitOfWork, actor: Actor, cb: Callback, case: Case, survey: _Survey,
                now: datetime) -> tuple[int, int | None]:
    """Back in the owner's queue, escalated. A closed case stays closed (its figures are
    final): the follow-up opens a new case linked to it instead."""
    why = say(actor.language, N_("Follow-up call: the customer says the problem is not "
                                    "solved (satisfaction {score}/5)."),
                          score=survey.satisfaction)
    if survey.comment:
        why = f"{why}\n{survey.comment}"
    owner = _active_owner(uow, actor, case)
    new_case_id = None
    if case.status == CaseStatus.CLOSED:
        case = _linked_case(uow, actor, case, owner, survey, why, now)
        new_case_id = case.id
    else:
        if case.status == CaseStatus.RESOLVED:
            cases._set_status(uow, case, actor, CaseStatus.OPEN, now, why)
            audit.record(uow, actor, "case_status_changed", "case", case.id,
                         {"status": CaseStatus.RESOLVED}, {"status": CaseStatus.OPEN})
        if owner != case.owner_id:
            cases._event(uow, case, CaseEventKind.ASSIGNMENT, actor, old=str(case.owner_id or ""),
                         new=str(owner or ""), at=now)
            audit.record(uow, actor, "case_assigned", "case", case.id,
                         {"owner_id": case.owner_id}, {"owner_id": owner})
            case.owner_id = owner
    if not case.escalated:
        case.escalated = True
        cases._event(uow, case, CaseEventKind.ESCALATION, actor, why, at=now)
        audit.record(uow, actor, "case_escalated", "case", case.id, None,
                     {"reason": "follow_up_not_solved", "callback_id": cb.id})
    return case.id, new_case_id


def _active_owner(uow: UnitOfWork, actor: Actor, case: Case) -> int | None:
    """The case's owner if still working here; else whoever automatic assignment picks (or
    nobody: the unassigned queue, when the admin switched automatic assignment off)."""
    if case.owner_id is not None:
        active = uow.session.scalar(sa.select(Staff.active).where(Staff.id == case.owner_id))
        if active:
            return case.owner_id
    return cases._initial_owner(uow, actor, "auto", case.required_skill)


def _linked_case(uow: UnitOfWork, actor: Actor, old: Case, owner: int | None, survey: _Survey,
                 why: str, now: datetime) -> Case:
    due = sla.due_times(uow.session, Channel.PHONE, old.kind, old.priority, now)
    case = Case(kind=old.kind, channel=Channel.PHONE, category=old.category,
                priority=old.priority, status=CaseStatus.OPEN, customer_id=old.customer_id,
                order_id=old.order_id, product_id=old.product_id, store_id=old.store_id,
                owner_id=owner, created_by_id=actor.staff_id, parent_case_id=old.id,
                subject=old.subject, question=survey.comment or old.question,
                required_skill=old.required_skill, created_at=now,
                sla_policy_id=due.policy_id, first_response_due_at=due.first_response_due_at,
                resolution_due_at=due.resolution_due_at)
    uow.session.add(case)
    uow.flush()
    cases._event(uow, case, CaseEventKind.CUSTOMER_MESSAGE, None, why, channel=Channel.PHONE,
                 at=now)
    # the follow-up call that heard the customer is the first response: they were answered
    cases._first_response(case, now)
    if owner:
        cases._event(uow, case, CaseEventKind.ASSIGNMENT, actor, new=str(owner), at=now)
    if old.kind == CaseKind.COMPLAINT:
        severity = uow.session.scalar(sa.select(Complaint.severity)
                                      .where(Complaint.case_id == old.id))
        complaints.on_complaint_opened(uow, actor, case, severity, acknowledged=False)
    audit.record(uow, actor, "case_created", "case", case.id, None,
                 {"customer_id": case.customer_id, "kind": case.kind, "channel": case.channel,
                  "status": case.status, "owner_id": owner, "parent_case_id": old.id})
    return case


# --- scheduling by hand ---------------------------------------------------------------------------

def _within(due_at: object, now: datetime) -> bool:
    return (isinstance(due_at, datetime)
            and now - timedelta(minutes=5) <= due_at <= now + SCHEDULE_WITHIN)


def schedule_callback(uow: UnitOfWork, actor: Actor, customer_id: int, purpose: str,
                      due_at: datetime, topic: str | None = None,
                      case_id: int | None = None) -> int:
    """A callback an agent or supervisor promised or plans: a call back about something, a
    follow-up of a case, or (for customers who agreed to it) a promotion."""
    require(actor, Action.CALLBACK_SCHEDULE)
    purpose_ = validate.choice(CallbackPurpose, purpose, N_("Purpose"))
    if purpose_ not in BY_HAND:
        raise ValidationError(N_("Care calls and after-sales follow-ups are scheduled by their "
                                 "rules. Choose a callback, a follow-up or a promotion."))
    topic_ = _text("topic", topic, required=purpose_ != P.FOLLOW_UP)
    now = utcnow()
    if not _within(due_at, now):
        raise ValidationError(N_("The call must be due from now to a year ahead."))
    if purpose_ == P.FOLLOW_UP and case_id is None:
        raise ValidationError(N_("A follow-up needs the case it follows up."))
    with uow:
        # locked like update_customer locks it, so consent withdrawn at this moment wins
        customer = uow.session.scalar(sa.select(Customer).where(Customer.id == customer_id)
                                      .with_for_update())
        if customer is None or customer.merged_into_id is not None:
            raise NotFound(N_("Customer {customer_id} does not exist."), customer_id=customer_id)
        if case_id is not None:
            case = uow.session.get(Case, case_id)
            if case is None or case.customer_id != customer.id:
                raise ValidationError(N_("Case {case_id} is not a case of this customer."),
                                      case_id=case_id)
        if purpose_ == P.MARKETING and not customer.marketing_consent:
            raise InvalidState(N_("{name} has not agreed to marketing calls. Promotions and new "
                                  "products are offered only to customers who agreed."),
                               name=customer.name)
        ids = callback_rules.insert_open(uow, [dict(
            customer_id=customer.id, case_id=case_id, purpose=purpose_, topic=topic_,
            due_at=due_at, created_by_id=actor.staff_id, created_at=now)])
        if not ids:
            existing = uow.session.scalar(sa.select(Callback).where(
                Callback.customer_id == customer.id, Callback.purpose == purpose_,
                Callback.status == S.OPEN))
            raise InvalidState(N_("{name} already has an open callback of this kind (callback "
                                  "{callback_id}, due {due}). Change that one instead."),
                               name=customer.name, callback_id=existing.id,
                               due=sla.local_text(uow.session, existing.due_at))
        audit.record(uow, actor, "callback_scheduled", "callback", ids[0], None,
                     {"trigger": "manual", "purpose": purpose_, "customer_id": customer.id,
                      "case_id": case_id, "due_at": due_at})
        uow.commit()
        return ids[0]


def reschedule(uow: UnitOfWork, actor: Actor, callback_id: int, due_at: datetime,
               expected_version: int | None = None) -> None:
    require(actor, Action.CALLBACK_SCHEDULE)
    now = utcnow()
    if not _within(due_at, now):
        raise ValidationError(N_("The call must be due from now to a year ahead."))
    with uow:
        cb = _locked(uow, callback_id)
        expect_version(cb, expected_version)
        _must_be_open(cb)
        _check_not_claimed(uow, cb, actor)
        old = cb.due_at
        cb.due_at = due_at
        audit.record(uow, actor, "callback_rescheduled", "callback", cb.id, {"due_at": old},
                     {"due_at": due_at})
        uow.commit()


def cancel_callback(uow: UnitOfWork, actor: Actor, callback_id: int, reason: str,
                    expected_version: int | None = None) -> None:
    require(actor, Action.CALLBACK_SCHEDULE)
    reason_ = _text("reason", reason, required=True)
    now = utcnow()
    with uow:
        cb = _locked(uow, callback_id)
        expect_version(cb, expected_version)
        _must_be_open(cb)
        _check_not_claimed(uow, cb, actor)
        _close(cb, S.CANCELLED, now)
        audit.record(uow, actor, "callback_cancelled", "callback", cb.id,
                     {"status": S.OPEN}, {"status": S.CANCELLED, "reason": reason_})
        if cb.purpose in callback_rules.CARE_PURPOSES:
            callback_rules.next_care_call(uow, actor, cb.customer_id, cb.purpose, now)
        uow.commit()
