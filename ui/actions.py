"""Running one service call from a page."""
from __future__ import annotations

import streamlit as st

from core.errors import DomainError
from ui import keys, runtime
from ui.fmt import error_md, md


def call(action, *args, **kwargs) -> tuple[bool, object]:
    """Calls `action(uow, actor, *args, **kwargs)` and returns (done, what it returned). A
    refusal is shown in the user's language; success clears the cached reads it made stale
    and sends what it put in the outbox."""
    _ = runtime.gettext()
    try:
        result = action(runtime.uow(), runtime.require_actor(), *args, **kwargs)
    except DomainError as e:
        st.error(error_md(e, _))
        return False, None
    st.cache_data.clear()
    runtime.deliver_messages()
    return True, result


def run(action, *args, **kwargs) -> bool:
    """`call` for when only success matters."""
    return call(action, *args, **kwargs)[0]


def flash(msgid: str, **params) -> None:
    """A message for the next run (after st.rerun), shown where the page calls show_flash."""
    st.session_state.setdefault(keys.FLASH, []).append((msgid, params))


def show_flash() -> None:
    _ = runtime.gettext()
    for msgid, params in st.session_state.pop(keys.FLASH, []):
        st.success(_(msgid).format(**{k: md(v) if isinstance(v, str) else v
                                      for k, v in params.items()}))
