"""Administration: staff, the policies the desk runs on, imports and backups. Each tab is
drawn by its own module in ui/ (one owner each); this page only lays them out."""
import streamlit as st

from ui import admin_backup, admin_callback_rules, admin_imports, admin_policies, admin_staff
from ui import runtime
from ui.actions import show_flash

_ = runtime.gettext()
actor = runtime.require_actor()
st.title(_("Administration"))
show_flash()

tabs = st.tabs([_("Staff"), _("Policies"), _("Callback rules"), _("Imports"), _("Backup")])
for tab, module in zip(tabs, (admin_staff, admin_policies, admin_callback_rules, admin_imports,
                              admin_backup)):
    with tab:
        module.render(actor)
