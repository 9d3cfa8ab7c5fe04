"""What the follow-up calls tell: satisfaction per agent, channel and category, NPS, and how
many customers the team manages to reach. Computed in the database (GROUP BY), so it stays
quick whatever the number of answers.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa

from core import validate
from core.actor import Actor
from core.i18n import N_
from core.permissions import Action, require
from core.uow import UnitOfWork
from core.vocabulary import CallbackStatus, CallOutcome
from db.models import CallAttempt, Callback, Case, Staff, SurveyAnswer


class GroupBy(StrEnum):
    AGENT = "agent"          # who handled the case (its owner when the survey was taken)
    CHANNEL = "channel"
    CATEGORY = "category"


@dataclass(frozen=True)
class ScoreRow:
    key: str | None          # agent's name, channel or category value; None = not known
    answers: int
    average: float
    solved_share: float | None     # of the answers that said solved or not
    nps: float | None              # promoters % - detractors %, of the answers that gave one


@dataclass(frozen=True)
class ReachRate:
    closed: int              # callbacks done or unreachable in the period
    reached: int
    rate: float | None


def scores(uow: UnitOfWork, actor: Actor, start: datetime, end: datetime,
           by: str = GroupBy.AGENT) -> list[ScoreRow]:
    """Survey answers taken in [start, end), grouped; worst average first."""
    require(actor, Action.ANALYTICS_VIEW)
    by_ = validate.choice(GroupBy, by, N_("Group by"))
    key = {GroupBy.AGENT: Staff.display_name, GroupBy.CHANNEL: Case.channel,
           GroupBy.CATEGORY: Case.category}[by_]
    # per person, not per name: two agents may share a name
    group = (Staff.id, key) if by_ == GroupBy.AGENT else (key,)
    solved_known = sa.func.count(SurveyAnswer.problem_solved)
    solved = sa.func.sum(sa.case((SurveyAnswer.problem_solved.is_(True), 1), else_=0))
    promoters = sa.func.sum(sa.case((SurveyAnswer.nps >= 9, 1), else_=0))
    detractors = sa.func.sum(sa.case((SurveyAnswer.nps <= 6, 1), else_=0))
    query = (sa.select(key, sa.func.count(), sa.func.avg(SurveyAnswer.satisfaction),
                       solved_known, solved, sa.func.count(SurveyAnswer.nps), promoters,
                       detractors)
             .select_from(SurveyAnswer)
             .outerjoin(Case, Case.id == SurveyAnswer.case_id)
             .where(SurveyAnswer.answered_at >= start, SurveyAnswer.answered_at < end)
             .group_by(*group))
    if by_ == GroupBy.AGENT:
        query = query.outerjoin(Staff, Staff.id == SurveyAnswer.handled_by_id)
    with uow.reader() as r:
        rows = r.session.execute(query).all()
    result = [ScoreRow(
        key=k.value if hasattr(k, "value") else k, answers=n, average=float(avg),
        solved_share=(yes or 0) / known if known else None,
        nps=100.0 * ((pro or 0) - (det or 0)) / rated if rated else None)
        for k, n, avg, known, yes, rated, pro, det in rows]
    return sorted(result, key=lambda row: (row.average, -row.answers))


def reach_rate(uow: UnitOfWork, actor: Actor, start: datetime, end: datetime) -> ReachRate:
    """Of the callbacks that ended in [start, end) (done or unreachable), the share where
    someone was reached. Cancelled ones were never called and do not count."""
    require(actor, Action.ANALYTICS_VIEW)
    reached = sa.exists().where(CallAttempt.callback_id == Callback.id,
                                CallAttempt.outcome.in_((CallOutcome.REACHED,
                                                         CallOutcome.DECLINED)))
    with uow.reader() as r:
        closed, hit = r.session.execute(
            sa.select(sa.func.count(), sa.func.sum(sa.case((reached, 1), else_=0)))
            .select_from(Callback)
            .where(Callback.status.in_((CallbackStatus.DONE, CallbackStatus.UNREACHABLE)),
                   Callback.closed_at >= start, Callback.closed_at < end)).one()
    return ReachRate(closed or 0, hit or 0, (hit or 0) / closed if closed else None)
