"""First run: with no staff at all, create the first admin and optionally load demo data."""
from __future__ import annotations

import streamlit as st

from core import staff
from core.errors import DomainError
from core.i18n import LANGUAGES, N_, language_name
from ui import keys, runtime
from ui.fmt import error_md


def setup_screen() -> None:
    _ = runtime.gettext()
    st.title(_("Welcome to CareDesk"))
    st.write(_("No staff account exists yet. Create the first administrator; they can then "
               "add the team."))
    with st.form("first_admin"):
        username = st.text_input(_("Username"), max_chars=64)
        display_name = st.text_input(_("Full name"), max_chars=120)
        password = st.text_input(_("Password"), type="password")
        repeat = st.text_input(_("Repeat the password"), type="password")
        language = st.selectbox(_("Language"), LANGUAGES, format_func=language_name)
        demo = st.checkbox(_("Also load demo data (customers, orders, cases and the demo "
                             "staff accounts)"))
        demo_password = st.text_input(_("Password for the demo staff accounts"),
                                      type="password")
        submitted = st.form_submit_button(_("Create administrator"), type="primary")
    if not submitted:
        return
    try:
        if demo:
            from core.auth import validate_password
            validate_password(demo_password)
        staff.create_first_admin(runtime.uow(), username, display_name, password, repeat,
                                 language)
    except DomainError as e:
        st.error(error_md(e, _))
        return
    if demo:
        from db.seed import seed_demo
        label = _("Loading demo data…")
        bar = st.progress(0.0, text=label)
        try:
            seed_demo(runtime.engine(), "small", staff_password=demo_password,
                      progress=lambda f, _step: bar.progress(min(max(f, 0.0), 1.0),
                                                             text=f"{label} {f:.0%}"))
        except DomainError as e:
            st.error(error_md(e, _))
            return
        bar.empty()
    st.session_state[keys.NOTICE] = N_("The administrator account is ready. Log in with it.")
    st.session_state[keys.LANGUAGE] = language
    st.rerun()
