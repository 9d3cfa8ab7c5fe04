"""How values look on screen. User text is shown as text, never as markdown or HTML."""
from __future__ import annotations

import copy
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import streamlit as st

from core import formats, sla
from core.errors import DomainError
from core.i18n import Term
from ui import runtime

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~<$&=])")
# Streamlit's markdown also turns text into links (http://..., www...., name@host), emoji and
# icons (:smile:, :material/home:) and coloured text (:red[...]) after the escapes are read,
# so a backslash cannot stop those: an invisible WORD JOINER after the ":" of "http://",
# ":smile:" or ":red[" (not of "09:30"), after the "@" of an address and inside "www." breaks
# each pattern and leaves the text as people read it.
_JOINER = "\u2060"
_AUTOMATIC = re.compile(r"(:(?=//|[^\W\d]|\\[+\-]|\d+:)|@(?=\w)|\b[wW]{3}(?=\\\.))")


def md(text: str | None) -> str:
    """Escapes markdown so that user text inside a markdown string stays literal (no links,
    images, headings, emoji, entities or HTML from a customer's message)."""
    escaped = _MARKDOWN.sub(r"\\\1", text or "")
    return _AUTOMATIC.sub(lambda m: m.group(1) + _JOINER, escaped)


def error_md(error: DomainError, gettext) -> str:
    """A domain error's message for st.error / st.warning, which draw markdown: the values in
    it (what was typed, a file's name or column, a person's name) escaped, so that they stay
    text; the message itself is ours."""
    shown = copy.copy(error)
    shown.params = {k: md(v) if isinstance(v, str) and not isinstance(v, Term) else v
                    for k, v in error.params.items()}
    return shown.render(gettext)


@st.cache_data(ttl=300, show_spinner=False)
def _shop_tz_name() -> str:
    with runtime.uow().reader() as r:
        return sla.shop_timezone(r.session).key


def shop_tz() -> ZoneInfo:
    return ZoneInfo(_shop_tz_name())


def when(value: datetime | None) -> str:
    return formats.stamp(value, shop_tz())


def local(value: datetime | None) -> datetime | None:
    """For tables: the shop's wall-clock time, so sorting and reading agree."""
    return None if value is None else formats.local_time(value, shop_tz())


def stored(value: datetime) -> datetime:
    """What a person entered in the shop's time, as stored (naive UTC)."""
    return formats.utc_time(value, shop_tz())


def time_left(_, due: datetime | None) -> str:
    """'3 h 20 min left' / '45 min overdue': what an agent needs at a glance."""
    if due is None:
        return "—"
    from core.clock import utcnow
    seconds = int((due - utcnow()).total_seconds())
    minutes = abs(seconds) // 60
    span = (_("{d} d {h} h").format(d=minutes // 1440, h=minutes % 1440 // 60)
            if minutes >= 1440 else
            _("{h} h {m} min").format(h=minutes // 60, m=minutes % 60)
            if minutes >= 60 else _("{m} min").format(m=minutes))
    return (_("{span} left") if seconds >= 0 else _("{span} overdue")).format(
        span=span)


money = formats.money


def label(gettext, table: dict, value) -> str:
    """The translated label of a vocabulary value (the raw value if it has none)."""
    msgid = table.get(value)
    return gettext(msgid) if msgid else str(value)
