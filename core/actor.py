"""The acting user, as read from the database on this run (never from the cookie)."""
from __future__ import annotations

from dataclasses import dataclass

from core.vocabulary import Role


@dataclass(frozen=True)
class Actor:
    staff_id: int
    username: str
    display_name: str
    roles: frozenset[Role]
    language: str = "en"
    must_change_password: bool = False

    def has(self, role: Role) -> bool:
        return role in self.roles
