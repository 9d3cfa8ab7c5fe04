"""Canned replies: the admin's standard phrases, filled in for this agent and customer."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from core.actor import Actor
from core.permissions import Action, require
from core.uow import UnitOfWork
from db.models import CannedReply


@dataclass(frozen=True)
class Canned:
    id: int
    title: str
    text: str


class _Keep(dict):
    def __missing__(self, key: str) -> str:  # an unknown placeholder stays visible to fix
        return "{" + key + "}"


def canned_replies(uow: UnitOfWork, actor: Actor, language: str,
                   customer_name: str = "") -> list[Canned]:
    require(actor, Action.CASE_WORK)
    with uow.reader() as r:
        rows = r.session.scalars(sa.select(CannedReply).where(
            CannedReply.active.is_(True), CannedReply.language == language)
            .order_by(CannedReply.id)).all()
        fill = _Keep(agent_name=actor.display_name, customer_name=customer_name)
        return [Canned(c.id, c.title, c.body.format_map(fill)) for c in rows]
