"""Checks every service makes of plain input, with messages that name the field."""
from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from core.errors import ValidationError
from core.i18n import N_, Term


def text(value: str | None, *, field: str, limit: int, required: bool = False) -> str | None:
    """Stripped text, or None when empty; `field` is the msgid of the field's name."""
    cleaned = (value or "").strip()
    if required and not cleaned:
        raise ValidationError(N_("{field} is required."), field=Term(field))
    if len(cleaned) > limit:
        raise ValidationError(N_("{field} is too long: {length} characters, at most {limit}."),
                              field=Term(field), length=len(cleaned), limit=limit)
    return cleaned or None


E = TypeVar("E", bound=StrEnum)


def choice(enum: type[E], value: object, what: str) -> E:
    """A value of a closed list; `what` is the msgid naming the list."""
    try:
        return enum(value)
    except ValueError:
        raise ValidationError(N_("Unknown {what}: {value}."), what=Term(what),
                              value=str(value)[:40]) from None
