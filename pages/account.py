"""My account: change my own password (required after an admin reset)."""
import streamlit as st

from core import auth
from core.errors import DomainError
from core.i18n import N_
from ui import login, runtime
from ui.fmt import error_md

_ = runtime.gettext()
actor = runtime.require_actor()

st.title(_("My account"))
st.text(f"{actor.display_name} ({actor.username})")
if actor.must_change_password:
    st.warning(_("Your password was set by an administrator. Choose your own password to "
                 "continue."))

with st.form("change_password", clear_on_submit=True):
    st.subheader(_("Change password"))
    current = st.text_input(_("Current password"), type="password")
    new = st.text_input(_("New password"), type="password")
    repeat = st.text_input(_("Repeat the new password"), type="password")
    submitted = st.form_submit_button(_("Change password"), type="primary")

if submitted:
    try:
        auth.change_own_password(runtime.uow(), actor, current, new, repeat)
    except DomainError as e:
        st.error(error_md(e, _))
    else:
        # Every session ended with the old password, this one included.
        login.logout(N_("Your password was changed. Log in with the new one."))
        st.rerun()
