"""The case queue: my cases, the team's, the unassigned ones; filtered, sorted, paginated on
the server so the page never loads more than one page of rows."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from core import sla, validate
from core.actor import Actor
from core.clock import utcnow
from core.errors import ValidationError
from core.i18n import N_
from core.permissions import Action, require
from core.uow import UnitOfWork
from core.vocabulary import CaseKind, CaseStatus, Channel, Priority
from db.models import Case, Customer, Staff

SCOPES = ("mine", "team", "unassigned")
ORDERS = ("newest", "urgent")
SLA_FILTERS = ("breached", "at_risk")
MAX_PAGE_SIZE = 100
AT_RISK_HORIZON = timedelta(hours=1)


@dataclass(frozen=True)
class QueueRow:
    id: int
    subject: str
    customer_name: str
    kind: str
    channel: str
    category: str
    priority: str
    status: str
    owner_name: str | None
    escalated: bool
    created_at: datetime
    next_due_at: datetime | None
    sla_state: str


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def next_due():
    """The due time that matters now: first response until there is one, then resolution."""
    return sa.case((Case.first_response_at.is_(None), Case.first_response_due_at),
                   else_=Case.resolution_due_at)


def case_queue(uow: UnitOfWork, actor: Actor, *, scope: str = "mine",
               statuses: list[str] | None = None, kind: str | None = None,
               channel: str | None = None, priority: str | None = None,
               sla_filter: str | None = None, owner_id: int | None = None,
               text: str | None = None, order: str = "urgent", page: int = 1,
               page_size: int = 25) -> QueuePage:
    require(actor, Action.CASE_VIEW)
    # sort orders, scopes and SLA filters are allow-listed: nothing the caller passes is
    # ever turned into a column name or SQL text
    if order not in ORDERS:
        raise ValidationError(N_("Unknown sort order {order}. The queue can be sorted by: "
                                 "{allowed}."), order=str(order)[:40], allowed=", ".join(ORDERS))
    if scope not in SCOPES or (sla_filter and sla_filter not in SLA_FILTERS):
        raise ValidationError(N_("Unknown queue view."))
    page = validate.whole(page, field=N_("Page"), low=1, high=validate.ID_MAX)
    page_size = validate.whole(page_size, field=N_("Rows per page"), low=1, high=MAX_PAGE_SIZE)
    now = utcnow()
    try:
        wanted = [CaseStatus(s) for s in statuses] if statuses else list(sla.OPEN_STATUSES)
        filters = [Case.status.in_(wanted)]
        if kind:
            filters.append(Case.kind == CaseKind(kind))
        if channel:
            filters.append(Case.channel == Channel(channel))
        if priority:
            filters.append(Case.priority == Priority(priority))
    except ValueError:
        raise ValidationError(N_("Unknown queue filter.")) from None
    if scope == "mine":
        filters.append(Case.owner_id == actor.staff_id)
    elif scope == "unassigned":
        filters.append(Case.owner_id.is_(None))
    elif owner_id:
        filters.append(Case.owner_id == validate.record_id(owner_id))
    if sla_filter == "breached":
        filters.append(sla.breached_condition(now))
    elif sla_filter == "at_risk":
        filters.append(sla.about_to_breach_condition(now, AT_RISK_HORIZON))
    needle = validate.searchable(text, limit=100)
    if needle:
        # the subject contains the text literally (%, _ and backslash are no wildcards);
        # ASCII digits are also a case number
        found = Case.subject.contains(needle, autoescape=True)
        if needle.isascii() and needle.isdigit():
            found = sa.or_(Case.id == validate.record_id(needle), found)
        filters.append(found)

    due = next_due()
    ordering = ([sa.func.coalesce(due, datetime(9999, 1, 1)), Case.id]
                if order == "urgent" else [Case.created_at.desc(), Case.id.desc()])
    with uow.reader() as r:
        total = r.session.scalar(sa.select(sa.func.count()).select_from(Case).where(*filters))
        rows = r.session.execute(
            sa.select(Case, Customer.name, Staff.display_name, due.label("next_due"))
            .join(Customer, Customer.id == Case.customer_id)
            .outerjoin(Staff, Staff.id == Case.owner_id)
            .where(*filters).order_by(*ordering)
            .limit(page_size).offset((page - 1) * page_size)).all()
        result = [
            QueueRow(c.id, c.subject, customer_name, c.kind.value, c.channel.value,
                     c.category.value, c.priority.value, c.status.value, owner_name,
                     c.escalated, c.created_at, due, _state(c, now).value)
            for c, customer_name, owner_name, due in rows]
    return QueuePage(result, total or 0, page, page_size)


def _state(case: Case, now: datetime) -> sla.SlaState:
    """The state of the due time that matters now (see next_due)."""
    if case.first_response_at is None and case.first_response_due_at is not None:
        return sla.first_response_state(case, now)
    return sla.resolution_state(case, now)
