"""Policies as data: the SLA targets per channel x kind x priority (SlaPolicy rows) that
core.sla freezes onto every case at intake.

- Editing a target in force never rewrites what it was: the row is deactivated and a new row
  with the new values takes its place, so a case's sla_policy_id keeps naming the target it
  was actually given (core.sla.resume reads it when a paused clock restarts).
- At most one active row per channel / kind / priority (NULL = any): PostgreSQL writers of
  the table are serialised for the check (core.policies.lock_table), SQLite's are anyway.
- The preview says when a case opened now would be due, and how many of the last 30 days'
  cases the target would govern and how many of those would have breached it, counted in SQL
  over the period's cases (the created_at index) without loading them. Time is measured as
  the case records it: opening-hours minutes for a business-hours target, wall-clock seconds
  otherwise; waiting on the customer is left out of a wall-clock resolution time, but the
  stored opening-hours minutes include it, so a business-hours figure may be a little high.
  A case still open and unanswered (unresolved) counts as breached once the target's due
  time has passed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from core import audit, sla, validate
from core.actor import Actor
from core.clock import utcnow
from core.errors import InvalidState, NotFound, ValidationError
from core.i18n import N_, Term
from core.labels import CHANNEL, KIND, PRIORITY
from core.permissions import Action, require
from core.policies import epoch_seconds, lock_table, whole_number
from core.uow import UnitOfWork, expect_version
from core.vocabulary import CaseKind, Channel, Priority
from db.models import Case, SlaPolicy

MAX_SECONDS = 90 * 24 * 3600      # a target longer than a quarter is no service level
PREVIEW_DAYS = 30
FIELDS = ("channel", "kind", "priority", "first_response_seconds",
          "first_response_business_hours", "resolution_seconds", "resolution_business_hours")
_ORDER = {v: i for e in (Channel, CaseKind, Priority) for i, v in enumerate(e)}
_EPOCH = datetime(1970, 1, 1)


@dataclass(frozen=True)
class TargetValues:
    channel: Channel
    kind: CaseKind | None          # None = any kind
    priority: Priority | None      # None = any priority
    first_response_seconds: int
    first_response_business_hours: bool
    resolution_seconds: int
    resolution_business_hours: bool

    @property
    def specificity(self) -> int:
        return (self.kind is not None) + (self.priority is not None)


@dataclass(frozen=True)
class SlaTarget(TargetValues):
    id: int = 0
    active: bool = True
    version: int = 1


def _view(row: SlaPolicy) -> SlaTarget:
    return SlaTarget(**{f: getattr(row, f) for f in FIELDS}, id=row.id, active=row.active,
                     version=row.version)


def check_target(channel: str, kind: str | None, priority: str | None,
                 first_response_seconds: int, first_response_business_hours: bool,
                 resolution_seconds: int, resolution_business_hours: bool) -> TargetValues:
    channel_ = validate.choice(Channel, channel, N_("Channel"))
    kind_ = validate.choice(CaseKind, kind, N_("Kind")) if kind else None
    priority_ = validate.choice(Priority, priority, N_("Priority")) if priority else None
    first = whole_number(first_response_seconds, N_("First-response target (seconds)"), 1,
                         MAX_SECONDS)
    resolution = whole_number(resolution_seconds, N_("Resolution target (seconds)"), 1,
                              MAX_SECONDS)
    if resolution < first:
        raise ValidationError(N_("The resolution target ({resolution} s) is shorter than the "
                                 "first-response target ({first} s): a case cannot be "
                                 "resolved before it is answered."),
                              resolution=resolution, first=first)
    return TargetValues(channel_, kind_, priority_, first, bool(first_response_business_hours),
                        resolution, bool(resolution_business_hours))


def sla_targets(uow: UnitOfWork, actor: Actor) -> list[SlaTarget]:
    """Every target, active and not, by channel, kind and priority (any first)."""
    require(actor, Action.POLICY_EDIT)
    with uow.reader() as r:
        rows = [_view(p) for p in r.session.scalars(sa.select(SlaPolicy))]
    return sorted(rows, key=lambda t: (not t.active, _ORDER[t.channel],
                                       -1 if t.kind is None else _ORDER[t.kind],
                                       -1 if t.priority is None else _ORDER[t.priority], t.id))


def _same_scope(v: TargetValues):
    return sa.and_(SlaPolicy.channel == v.channel, SlaPolicy.active.is_(True),
                   SlaPolicy.kind.is_(None) if v.kind is None else SlaPolicy.kind == v.kind,
                   SlaPolicy.priority.is_(None) if v.priority is None
                   else SlaPolicy.priority == v.priority)


def _duplicate(uow: UnitOfWork, v: TargetValues, besides: int | None) -> int | None:
    query = sa.select(SlaPolicy.id).where(_same_scope(v))
    if besides is not None:
        query = query.where(SlaPolicy.id != besides)
    return uow.session.scalar(query.limit(1))


def _refuse_duplicate(uow: UnitOfWork, v: TargetValues, besides: int | None) -> None:
    if _duplicate(uow, v, besides) is not None:
        raise ValidationError(
            N_("There is already an active target for {channel}, {kind}, {priority}. Change "
               "that one, or deactivate it first."),
            channel=Term(CHANNEL[v.channel]),
            kind=Term(KIND[v.kind] if v.kind else N_("any kind")),
            priority=Term(PRIORITY[v.priority] if v.priority else N_("any priority")))


def _audit_values(v: TargetValues) -> dict:
    return {f: getattr(v, f) for f in FIELDS}


def add_sla_target(uow: UnitOfWork, actor: Actor, *, channel: str, kind: str | None,
                   priority: str | None, first_response_seconds: int,
                   first_response_business_hours: bool, resolution_seconds: int,
                   resolution_business_hours: bool) -> int:
    """A new target; cases opened from now on that it fits most closely get it."""
    require(actor, Action.POLICY_EDIT)
    v = check_target(channel, kind, priority, first_response_seconds,
                     first_response_business_hours, resolution_seconds,
                     resolution_business_hours)
    with uow:
        lock_table(uow, "sla_policy")
        _refuse_duplicate(uow, v, None)
        row = SlaPolicy(**_audit_values(v), active=True)
        uow.session.add(row)
        uow.flush()
        audit.record(uow, actor, "sla_target_added", "sla_policy", row.id, None,
                     _audit_values(v))
        uow.commit()
        return row.id


def _row(uow: UnitOfWork, target_id: int) -> SlaPolicy:
    row = uow.session.scalar(sa.select(SlaPolicy).where(SlaPolicy.id == target_id)
                             .with_for_update())
    if row is None:
        raise NotFound(N_("This target no longer exists. Reload the page."))
    return row


def change_sla_target(uow: UnitOfWork, actor: Actor, target_id: int,
                      expected_version: int | None, *, channel: str, kind: str | None,
                      priority: str | None, first_response_seconds: int,
                      first_response_business_hours: bool, resolution_seconds: int,
                      resolution_business_hours: bool) -> int:
    """New values for a target in force. Returns the id of the row that now holds them (a
    new one: the old row stays, inactive, as the target the cases before were given)."""
    require(actor, Action.POLICY_EDIT)
    v = check_target(channel, kind, priority, first_response_seconds,
                     first_response_business_hours, resolution_seconds,
                     resolution_business_hours)
    with uow:
        lock_table(uow, "sla_policy")
        row = _row(uow, target_id)
        expect_version(row, expected_version)
        if not row.active:
            raise InvalidState(N_("This target is no longer in force: reactivate it, or add a "
                                  "new one."))
        before = _audit_values(_view(row))
        if before == _audit_values(v):
            return row.id
        _refuse_duplicate(uow, v, row.id)
        row.active = False
        uow.flush()
        new = SlaPolicy(**_audit_values(v), active=True)
        uow.session.add(new)
        uow.flush()
        old, changed = audit.changes(before, _audit_values(v))
        audit.record(uow, actor, "sla_target_changed", "sla_policy", new.id,
                     {"id": row.id, **old}, {"id": new.id, **changed})
        uow.commit()
        return new.id


def set_sla_target_active(uow: UnitOfWork, actor: Actor, target_id: int, active: bool,
                          expected_version: int | None) -> None:
    """Deactivate (cases from now on fall to the next closest target, or none) or bring
    back a target."""
    require(actor, Action.POLICY_EDIT)
    with uow:
        lock_table(uow, "sla_policy")
        row = _row(uow, target_id)
        expect_version(row, expected_version)
        if row.active == bool(active):
            return
        if active:
            _refuse_duplicate(uow, _view(row), row.id)
        row.active = bool(active)
        audit.record(uow, actor,
                     "sla_target_reactivated" if active else "sla_target_deactivated",
                     "sla_policy", row.id, {"active": not row.active}, {"active": row.active})
        uow.commit()


# --- preview ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class SlaPreview:
    now: datetime
    first_response_due_at: datetime     # for a case opened `now` (naive UTC)
    resolution_due_at: datetime
    days: int
    cases: int                          # the period's cases this target would govern
    first_response_breaches: int        # of those, late with this target
    resolution_breaches: int
    breaches: int                       # late on either
    breaches_now: int                   # late on either with the targets they were given
    duplicate_of: int | None            # an active row with the same scope (not this one)


def _late_start(calendar: sla.BusinessCalendar, now: datetime, seconds: int,
                business_hours: bool, earliest: datetime) -> datetime:
    """Cases opened before the moment returned are past this target at `now`."""
    if not business_hours:
        return now - timedelta(seconds=seconds)

    def late(start: datetime) -> bool:
        return calendar.add(start, seconds) < now
    low, high = earliest - timedelta(days=1), now
    if not late(low):
        return low
    while high - low > timedelta(microseconds=1):       # due time is monotone in the start
        middle = low + (high - low) / 2
        if late(middle):
            low = middle
        else:
            high = middle
    return high


def preview_sla_target(uow: UnitOfWork, actor: Actor, *, channel: str, kind: str | None,
                       priority: str | None, first_response_seconds: int,
                       first_response_business_hours: bool, resolution_seconds: int,
                       resolution_business_hours: bool, target_id: int | None = None,
                       now: datetime | None = None) -> SlaPreview:
    """The effect of a target (new, or `target_id` with new values), before it is saved."""
    require(actor, Action.POLICY_EDIT)
    v = check_target(channel, kind, priority, first_response_seconds,
                     first_response_business_hours, resolution_seconds,
                     resolution_business_hours)
    now = now or utcnow()
    since = now - timedelta(days=PREVIEW_DAYS)
    with uow.reader() as r:
        s = r.session
        calendar = sla.load_calendar(s, now)

        def due(seconds: int, business_hours: bool) -> datetime:
            return calendar.add(now, seconds) if business_hours else now + timedelta(
                seconds=seconds)
        where = [Case.created_at >= since, Case.created_at < now, Case.channel == v.channel]
        if v.kind is not None:
            where.append(Case.kind == v.kind)
        if v.priority is not None:
            where.append(Case.priority == v.priority)
        # the cases a closer (or equally close and stricter) active target would govern
        mine = (-v.specificity, v.resolution_seconds, target_id or float("inf"))
        others = s.scalars(sa.select(SlaPolicy).where(
            SlaPolicy.channel == v.channel, SlaPolicy.active.is_(True),
            SlaPolicy.id != (target_id or 0))).all()
        for other in others:
            o = _view(other)
            if (o.kind and v.kind and o.kind != v.kind) or (
                    o.priority and v.priority and o.priority != v.priority):
                continue
            if (-o.specificity, o.resolution_seconds, o.id) < mine:
                fits = [Case.kind == o.kind] if o.kind else []
                fits += [Case.priority == o.priority] if o.priority else []
                where.append(sa.not_(sa.and_(sa.true(), *fits)))

        def taken(end, minutes, paused):
            """Seconds from creation to `end`, as the target counts them."""
            wall = epoch_seconds(s, end) - epoch_seconds(s, Case.created_at)
            if paused:
                wall = wall - sa.func.coalesce(Case.sla_paused_seconds, 0)
            return wall if minutes is None else sa.func.coalesce(minutes * 60, wall)
        still_open = Case.status.in_(sla.OPEN_STATUSES)
        first_cut = _late_start(calendar, now, v.first_response_seconds,
                                v.first_response_business_hours, since)
        first_late = sa.or_(
            sa.and_(Case.first_response_at.is_not(None),
                    taken(Case.first_response_at, Case.first_response_minutes
                          if v.first_response_business_hours else None, False)
                    > v.first_response_seconds),
            sa.and_(Case.first_response_at.is_(None), still_open,
                    Case.created_at < first_cut))
        if v.resolution_business_hours:
            open_late = Case.created_at < _late_start(
                calendar, now, v.resolution_seconds, True, since)
        else:
            stopped = sa.func.coalesce(epoch_seconds(s, Case.sla_paused_at),
                                       int((now - _EPOCH).total_seconds()))
            open_late = (stopped - epoch_seconds(s, Case.created_at)
                         - sa.func.coalesce(Case.sla_paused_seconds, 0)) > v.resolution_seconds
        resolution_late = sa.or_(
            sa.and_(Case.resolved_at.is_not(None),
                    taken(Case.resolved_at, Case.resolution_minutes
                          if v.resolution_business_hours else None, True)
                    > v.resolution_seconds),
            sa.and_(Case.resolved_at.is_(None), still_open, open_late))
        late_now = sa.or_(Case.first_response_breached.is_(True),
                          Case.resolution_breached.is_(True),
                          sa.and_(still_open, sa.or_(*sla.late_conditions(now))))

        def count(condition):
            return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)
        row = s.execute(sa.select(sa.func.count(), count(first_late), count(resolution_late),
                                  count(sa.or_(first_late, resolution_late)), count(late_now))
                        .where(*where)).one()
        duplicate = _duplicate(r, v, target_id)
        first_due = due(v.first_response_seconds, v.first_response_business_hours)
        resolution_due = due(v.resolution_seconds, v.resolution_business_hours)
    return SlaPreview(now, first_due, resolution_due, PREVIEW_DAYS,
                      *(int(x) for x in row), duplicate)
