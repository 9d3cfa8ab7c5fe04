"""Small widgets two screens share: the canned-reply picker and the customer search list."""
from __future__ import annotations

import streamlit as st

from core import canned, customers
from core.errors import DomainError
from ui import runtime
from ui.fmt import error_md


def canned_reply_picker(target_key: str, customer_name: str, label: str) -> None:
    """A select box whose choice is appended to the text area under `target_key` (it runs
    before that area is drawn, so the text shows up at once)."""
    _ = runtime.gettext()
    replies = canned.canned_replies(runtime.uow(), runtime.require_actor(),
                                    runtime.language(), customer_name)
    if not replies:
        return
    by_title = {c.title: c.text for c in replies}
    picker = f"{target_key}.canned"

    def insert() -> None:
        chosen = st.session_state.get(picker)
        if chosen:
            current = st.session_state.get(target_key, "")
            st.session_state[target_key] = (current + "\n" if current else "") + by_title[chosen]
            st.session_state[picker] = None
    st.selectbox(label, [None, *by_title], key=picker,
                 format_func=lambda t: "—" if t is None else t, on_change=insert)


def customer_search(query_key: str, button_label: str) -> customers.CustomerHit | None:
    """Search by phone, e-mail, name or order number; returns the hit whose button was
    pressed on this run."""
    _ = runtime.gettext()
    query = st.text_input(_("Find by phone, e-mail, name or order number"), key=query_key,
                          max_chars=100)
    if not query.strip():
        return None
    try:
        hits = customers.search_customers(runtime.uow(), runtime.require_actor(), query)
    except DomainError as e:
        st.error(error_md(e, _))
        return None
    if not hits:
        st.info(_("No customer found."))
    picked = None
    for hit in hits:
        c1, c2 = st.columns([5, 1])
        extra = f" · {hit.order_number}" if hit.order_number else ""
        c1.text(f"#{hit.id} · {hit.name} · {hit.phone or '—'} · {hit.email or '—'}{extra}")
        if c2.button(button_label, key=f"{query_key}.pick.{hit.id}"):
            picked = hit
    return picked
