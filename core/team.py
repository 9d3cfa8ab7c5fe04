"""The team's live queue for supervisors: each agent's open cases split by SLA state, what is
about to breach, what breached, the escalations waiting, and the callbacks overdue.

Everything is counted in the database (GROUP BY over the open cases, which the
(status, resolution_due_at) index finds), so a snapshot costs the same at 1M cases as at a
hundred closed ones more. "Breached" and "about to breach" are core.sla's conditions, with
the Cases page's horizon (core.queue), so that both pages count the same cases.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from core import sla
from core.actor import Actor
from core.callbacks import day_bounds  # the Callbacks page's "overdue" (before today)
from core.cases import CASE_WORKERS
from core.clock import utcnow
from core.permissions import Action, require
from core.queue import AT_RISK_HORIZON, next_due
from core.uow import UnitOfWork
from core.vocabulary import CallbackStatus, CaseEventKind, CaseStatus
from db.models import Callback, Case, CaseEvent, Customer, Staff, StaffRole

LIST_LIMIT = 50

# each open case is in exactly one of these (breached wins over about to breach: a case
# whose first response is late and whose resolution falls due within the hour is breached)
ON_TRACK, AT_RISK, BREACHED = "on_track", "at_risk", "breached"


@dataclass(frozen=True)
class AgentLoad:
    """One owner's open queue. staff_id None is the unassigned queue."""
    staff_id: int | None
    name: str | None
    takes_cases: bool          # active, with an agent or supervisor role
    open: int = 0
    waiting_customer: int = 0  # of the open ones: SLA clock paused
    on_track: int = 0          # open - about_to_breach - breached (paused ones included)
    about_to_breach: int = 0
    breached: int = 0
    escalated: int = 0         # open and escalated
    oldest_open_at: datetime | None = None
    callbacks_overdue: int = 0  # open callbacks claimed by them (unclaimed: the None row)

    def oldest_open_age(self, now: datetime) -> timedelta | None:
        return None if self.oldest_open_at is None else now - self.oldest_open_at


@dataclass(frozen=True)
class UrgentCase:
    id: int
    subject: str
    customer_name: str
    owner_name: str | None
    priority: str
    status: str
    due_at: datetime | None        # the due time that matters now (core.queue's "Due")
    escalated: bool
    escalated_at: datetime | None  # the latest escalation on the timeline


@dataclass(frozen=True)
class TeamSnapshot:
    at: datetime
    horizon: timedelta            # "about to breach" = due within this
    agents: list[AgentLoad]       # by name, the unassigned queue last
    totals: AgentLoad             # staff_id None, name None: the whole team
    about_to_breach: list[UrgentCase]   # earliest due first, at most list_limit
    breached: list[UrgentCase]          # longest overdue first
    escalations: list[UrgentCase]       # waiting longest first
    list_limit: int


def sla_bucket(now: datetime, horizon: timedelta = AT_RISK_HORIZON):
    """An open case's one SLA state for the team's figures: breached, at_risk or on_track.
    (A CASE, not NOT(...): the conditions are NULL for cases without due times.)"""
    return sa.case((sla.breached_condition(now), BREACHED),
                   (sla.about_to_breach_condition(now, horizon), AT_RISK), else_=ON_TRACK)


def team_snapshot(uow: UnitOfWork, actor: Actor, now: datetime | None = None, *,
                  list_limit: int = LIST_LIMIT) -> TeamSnapshot:
    require(actor, Action.TEAM_MONITOR)
    now = now or utcnow()
    list_limit = min(max(1, int(list_limit)), 500)
    horizon = AT_RISK_HORIZON
    is_open = Case.status.in_(sla.OPEN_STATUSES)
    with uow.reader() as r:
        s = r.session
        per_owner = _per_owner(s, now, horizon)
        overdue_calls = _callbacks_overdue(r, now)
        agents = _agents(s, set(per_owner) | set(overdue_calls))
        rows = [AgentLoad(staff_id=sid, name=name, takes_cases=takes,
                          callbacks_overdue=overdue_calls.get(sid, 0),
                          **per_owner.get(sid, {}))
                for sid, name, takes in agents]
        rows.append(AgentLoad(staff_id=None, name=None, takes_cases=False,
                              callbacks_overdue=overdue_calls.get(None, 0),
                              **per_owner.get(None, {})))
        bucket = sla_bucket(now, horizon)
        about = _cases(s, sa.and_(sla.about_to_breach_condition(now, horizon),
                                  bucket == AT_RISK),
                       [sa.func.coalesce(next_due(), datetime(9999, 1, 1)), Case.id],
                       list_limit)
        breached = _cases(s, sla.breached_condition(now),
                          [sa.func.coalesce(next_due(), datetime(9999, 1, 1)), Case.id],
                          list_limit)
        escalated_at = _escalated_at()
        escalations = _cases(s, sa.and_(is_open, Case.escalated.is_(True)),
                             [sa.func.coalesce(escalated_at, Case.created_at), Case.id],
                             list_limit)
    return TeamSnapshot(now, horizon, rows, _total(rows), about, breached, escalations,
                        list_limit)


def _per_owner(s, now: datetime, horizon: timedelta) -> dict[int | None, dict]:
    """Counts per owner over the open cases, in one GROUP BY."""
    inner = (sa.select(Case.owner_id, Case.status, Case.escalated, Case.created_at,
                       sla_bucket(now, horizon).label("sla"))
             .where(Case.status.in_(sla.OPEN_STATUSES)).subquery())

    def count_if(condition):
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    query = sa.select(
        inner.c.owner_id, sa.func.count().label("open"),
        count_if(inner.c.status == CaseStatus.WAITING_CUSTOMER).label("waiting_customer"),
        count_if(inner.c.sla == ON_TRACK).label("on_track"),
        count_if(inner.c.sla == AT_RISK).label("about_to_breach"),
        count_if(inner.c.sla == BREACHED).label("breached"),
        count_if(inner.c.escalated.is_(True)).label("escalated"),
        sa.func.min(inner.c.created_at).label("oldest_open_at"),
    ).group_by(inner.c.owner_id)
    found = {}
    for row in s.execute(query).mappings():
        values = dict(row)
        owner = values.pop("owner_id")
        found[owner] = {k: int(v) if k != "oldest_open_at" else v for k, v in values.items()}
    return found


def _callbacks_overdue(r: UnitOfWork, now: datetime) -> dict[int | None, int]:
    """Open callbacks due before today (shop time), per claimer; None = not claimed."""
    today, _ = day_bounds(r, now)
    rows = r.session.execute(
        sa.select(Callback.claimed_by_id, sa.func.count())
        .where(Callback.status == CallbackStatus.OPEN, Callback.due_at < today)
        .group_by(Callback.claimed_by_id)).all()
    return {claimer: int(n) for claimer, n in rows}


def _agents(s, owners: set[int | None]) -> list[tuple[int, str, bool]]:
    """Active agents and supervisors, plus anyone else holding open work (a disabled
    account, a role taken away): their cases still wait for somebody."""
    workers = set(s.scalars(
        sa.select(Staff.id).join(StaffRole, StaffRole.staff_id == Staff.id)
        .where(Staff.active.is_(True), StaffRole.role.in_(CASE_WORKERS))))
    wanted = workers | {o for o in owners if o is not None}
    if not wanted:
        return []
    people = s.execute(sa.select(Staff.id, Staff.display_name)
                       .where(Staff.id.in_(wanted))).all()
    return sorted(((sid, name, sid in workers) for sid, name in people),
                  key=lambda p: (p[1].casefold(), p[0]))


def _escalated_at():
    """The latest escalation on the case's timeline (correlated; only for listed rows)."""
    return (sa.select(sa.func.max(CaseEvent.created_at))
            .where(CaseEvent.case_id == Case.id, CaseEvent.kind == CaseEventKind.ESCALATION)
            .correlate(Case).scalar_subquery())


def _cases(s, condition, ordering, limit: int) -> list[UrgentCase]:
    rows = s.execute(
        sa.select(Case.id, Case.subject, Customer.name, Staff.display_name, Case.priority,
                  Case.status, next_due().label("due"), Case.escalated,
                  _escalated_at().label("escalated_at"))
        .join(Customer, Customer.id == Case.customer_id)
        .outerjoin(Staff, Staff.id == Case.owner_id)
        .where(condition).order_by(*ordering).limit(limit)).all()
    return [UrgentCase(cid, subject, customer, owner, str(priority.value), str(status.value),
                       due, bool(escalated), at)
            for cid, subject, customer, owner, priority, status, due, escalated, at in rows]


def _total(rows: list[AgentLoad]) -> AgentLoad:
    oldest = [r.oldest_open_at for r in rows if r.oldest_open_at is not None]
    return AgentLoad(
        staff_id=None, name=None, takes_cases=False,
        open=sum(r.open for r in rows),
        waiting_customer=sum(r.waiting_customer for r in rows),
        on_track=sum(r.on_track for r in rows),
        about_to_breach=sum(r.about_to_breach for r in rows),
        breached=sum(r.breached for r in rows),
        escalated=sum(r.escalated for r in rows),
        oldest_open_at=min(oldest) if oldest else None,
        callbacks_overdue=sum(r.callbacks_overdue for r in rows))
