"""Running one service call from a page."""
from __future__ import annotations

import streamlit as st

from core.errors import DomainError
from ui import runtime


def call(action, *args, **kwargs) -> tuple[bool, object]:
    """Calls `action(uow, actor, *args, **kwargs)` and returns (done, what it returned). A
    refusal is shown in the user's language; success clears the cached reads it made stale
    and sends what it put in the outbox."""
    _ = runtime.gettext()
    try:
        result = action(runtime.uow(), runtime.require_actor(), *args, **kwargs)
    except DomainError as e:
        st.error(e.render(_))
        return False, None
    st.cache_data.clear()
    runtime.deliver_messages()
    return True, result


def run(action, *args, **kwargs) -> bool:
    """`call` for when only success matters."""
    return call(action, *args, **kwargs)[0]
