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
    if unstorable(cleaned):
        raise ValidationError(N_("{field} contains a character that cannot be stored (a NUL "
                                 "byte or a broken character). Remove it and save again."),
                              field=Term(field))
    return cleaned or None


def unstorable(text: str) -> bool:
    """A NUL (PostgreSQL's text cannot hold it) or an unpaired surrogate (not UTF-8)."""
    return "\x00" in text or any(0xD800 <= ord(ch) <= 0xDFFF for ch in text)


E = TypeVar("E", bound=StrEnum)


def choice(enum: type[E], value: object, what: str) -> E:
    """A value of a closed list; `what` is the msgid naming the list."""
    try:
        return enum(value)
    except ValueError:
        raise ValidationError(N_("Unknown {what}: {value}."), what=Term(what),
                              value=str(value)[:40]) from None


# --- what a caller may pass for an id, a page or a search -------------------------------------

ID_MAX = 2**31 - 1     # the id columns are INTEGER: PostgreSQL's 32-bit range


def _whole(value: object) -> int | None:
    """An int, or a text of ASCII digits (with an optional minus), as int; None otherwise
    (booleans, floats, "1e3", "²", "1 OR 1=1")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text.startswith("-") else text
        if digits.isascii() and digits.isdigit() and len(digits) <= 4000:   # int()'s limit
            return int(text)
    return None


def record_id(value: object) -> int:
    """A record's id as a caller gives it (a URL's ?case=, a widget's value), ready for a
    query: a whole number (or its ASCII digits); ValidationError for anything else. A number
    no record can have (below 1, above ID_MAX) comes back as 0, which finds nothing, so the
    caller answers "does not exist" as for any other unknown id instead of the database
    failing on a number its id column cannot hold."""
    number = _whole(value)
    if number is None:
        raise ValidationError(N_("{value} is not a record number."), value=str(value)[:20])
    return number if 1 <= number <= ID_MAX else 0


def whole(value: object, *, field: str, low: int, high: int) -> int:
    """A whole number for a page, a page size or a limit, brought into [low, high];
    ValidationError naming the field (a msgid) when it is not a whole number."""
    number = _whole(value)
    if number is None:
        raise ValidationError(N_("{field} must be a whole number."), field=Term(field))
    return min(max(number, low), high)


def searchable(value: object, *, limit: int) -> str:
    """What was typed into a search box, trimmed and cut to `limit` characters, compared
    literally by the caller. A NUL character or an unpaired surrogate (neither can be stored,
    so nothing could match; PostgreSQL refuses to even compare them) is refused."""
    text = ("" if value is None else str(value)).strip()[:limit]
    if unstorable(text):
        raise ValidationError(N_("The search text contains a character that cannot be "
                                 "searched for (a NUL byte or a broken character). Remove it "
                                 "and search again."))
    return text
