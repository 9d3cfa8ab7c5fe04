"""Running one service call from a page."""
from __future__ import annotations

import streamlit as st

from core.errors import DomainError
from ui import runtime


def run(action, *args, **kwargs) -> bool:
    """Calls `action(uow, actor, *args, **kwargs)`. A refusal is shown in the user's language;
    success clears the cached reads it made stale and sends what it put in the outbox."""
    _ = runtime.gettext()
    try:
        action(runtime.uow(), runtime.require_actor(), *args, **kwargs)
    except DomainError as e:
        st.error(e.render(_))
        return False
    st.cache_data.clear()
    runtime.deliver_messages()
    return True
