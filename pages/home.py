"""Home: where each person lands after login, with the screens their roles open."""
import streamlit as st

from core.navigation import screens_for
from ui import runtime

_ = runtime.gettext()
actor = runtime.require_actor()
st.title(_("Hello, {name}").format(name=actor.display_name))
for screen in screens_for(actor.roles, actor.must_change_password):
    st.page_link(f"pages/{screen.key}.py", label=_(screen.title), icon=screen.icon)
