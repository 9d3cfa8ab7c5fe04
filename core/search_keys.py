"""Search keys of a customer record: plain functions shared by the model (kept in step on
every ORM write), the demo seed (raw rows) and core.customers (queries).

A key is what a search compares with a range predicate (`key >= :p AND key < :p_upper`), so
that an ordinary B-tree index answers a prefix search on SQLite and PostgreSQL alike (SQLite
only uses an index for LIKE under special collations). No database or core import here: the
model imports this module.
"""
from __future__ import annotations

import unicodedata


def name_key(name: str | None) -> str | None:
    """NFKC + casefold + single spaces: "  WANG   Fang " -> "wang fang", full-width "ＷＡＮＧ"
    -> "wang". Chinese characters are unchanged by casefold, so "王芳" stays "王芳"."""
    if name is None:
        return None
    key = " ".join(unicodedata.normalize("NFKC", name).casefold().split())
    return key or None


def name_last_key(name: str | None) -> str | None:
    """The last word of a multi-word name ("li wang" -> "wang", "mary ann smith" -> "smith"),
    so that a search for "wang" finds "Li Wang" through an index as well as "Wang Fang".
    None for one-word names (most Chinese names): the whole-name key already covers them."""
    key = name_key(name)
    if not key or " " not in key:
        return None
    return key.rsplit(" ", 1)[1]


def email_key(email: str | None) -> str | None:
    """What duplicate checks and search compare: trimmed, lower-case (NFKC first, so a
    full-width address typed on a Chinese keyboard compares equal)."""
    if email is None:
        return None
    key = unicodedata.normalize("NFKC", email).strip().lower()
    return key or None


def prefix_upper(prefix: str) -> str:
    """The smallest string greater than every string starting with `prefix` (prefix must be
    non-empty): "wang" -> "wanh". Together `prefix <= key < prefix_upper(prefix)`."""
    code = ord(prefix[-1]) + 1
    if 0xD800 <= code <= 0xDFFF:  # surrogates cannot be sent to the database
        code = 0xE000
    if code > 0x10FFFF:
        return prefix + "\U0010ffff"
    return prefix[:-1] + chr(code)
