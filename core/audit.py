"""The one audit writer. Called inside the service's transaction, so the audit row and the
change it describes are committed, or rolled back, together. The table is append-only:
database triggers refuse UPDATE and DELETE (see the migration)."""
from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

from core.actor import Actor
from core.uow import UnitOfWork
from db.models import AuditEntry


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(_plain(v) for v in value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def record(uow: UnitOfWork, actor: Actor | None, action: str, entity: str,
           entity_id: object = None, old: dict | None = None, new: dict | None = None,
           actor_id: int | None = None) -> None:
    uow.session.add(AuditEntry(
        actor_id=actor.staff_id if actor else actor_id,
        action=action, entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        old=_plain(old) if old is not None else None,
        new=_plain(new) if new is not None else None,
    ))


def changes(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the fields that changed, as (old, new)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}
