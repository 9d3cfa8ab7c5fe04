"""Reading what the calls found: attempts, survey answers, and the follow-ups of a case.

Apart from core.callbacks so that the case and customer screens can show them without
importing the calling services (which themselves reopen cases).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from core.vocabulary import CallbackPurpose, CallbackStatus, CallOutcome
from db.models import CallAttempt, Callback, Staff, SurveyAnswer


@dataclass(frozen=True)
class AttemptView:
    at: datetime
    staff: str
    outcome: CallOutcome
    call_back_at: datetime | None
    note: str | None


@dataclass(frozen=True)
class SurveyView:
    id: int
    at: datetime
    callback_id: int | None
    case_id: int | None
    satisfaction: int
    problem_solved: bool | None
    nps: int | None
    comment: str | None
    surveyed_by: str | None
    handled_by: str | None


def surveys(session: Session, *where) -> list[SurveyView]:
    surveyor, handler = aliased(Staff), aliased(Staff)
    rows = session.execute(
        sa.select(SurveyAnswer, surveyor.display_name, handler.display_name)
        .outerjoin(surveyor, surveyor.id == SurveyAnswer.surveyed_by_id)
        .outerjoin(handler, handler.id == SurveyAnswer.handled_by_id)
        .where(*where).order_by(SurveyAnswer.answered_at.desc(), SurveyAnswer.id.desc())).all()
    return [SurveyView(a.id, a.answered_at, a.callback_id, a.case_id, a.satisfaction,
                       a.problem_solved, a.nps, a.comment, by, handled)
            for a, by, handled in rows]


def attempts_of(session: Session, callback_id: int) -> list[AttemptView]:
    rows = session.execute(
        sa.select(CallAttempt, Staff.display_name).join(Staff, Staff.id == CallAttempt.staff_id)
        .where(CallAttempt.callback_id == callback_id)
        .order_by(CallAttempt.attempted_at, CallAttempt.id)).all()
    return [AttemptView(a.attempted_at, name, a.outcome, a.call_back_at, a.note)
            for a, name in rows]


@dataclass(frozen=True)
class FollowUpView:
    callback_id: int
    purpose: CallbackPurpose
    status: CallbackStatus
    due_at: datetime
    closed_at: datetime | None
    attempts: list[AttemptView]
    survey: SurveyView | None


def follow_ups_of_case(session: Session, case_id: int) -> list[FollowUpView]:
    """The callbacks about a case with their attempts and survey answers, for the case page."""
    callbacks = session.scalars(sa.select(Callback).where(Callback.case_id == case_id)
                                .order_by(Callback.due_at, Callback.id)).all()
    answers = {a.callback_id: a for a in surveys(session, SurveyAnswer.case_id == case_id)}
    return [FollowUpView(cb.id, cb.purpose, cb.status, cb.due_at, cb.closed_at,
                         attempts_of(session, cb.id), answers.get(cb.id)) for cb in callbacks]
