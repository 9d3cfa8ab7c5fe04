"""A screen whose work arrives in a later release: it says so, and what it will hold."""
from __future__ import annotations

import streamlit as st

from ui import runtime


def coming_later(title: str, purpose: str) -> None:
    _ = runtime.gettext()
    runtime.require_actor()
    st.title(_(title))
    st.write(_(purpose))
    st.info(_("This screen is coming in a later release."), icon=":material/construction:")
