"""Which screens exist, who may open them, and how the menu groups them.

app.py turns this into st.navigation; a page not listed for the user's roles is not
routable at all (by menu or by URL). Kept here, without streamlit, so that the per-role
menu is tested like any other rule.
"""
from __future__ import annotations

from dataclasses import dataclass

from core.i18n import N_
from core.permissions import Action, allowed
from core.vocabulary import Role


@dataclass(frozen=True)
class Screen:
    key: str          # url path and file name under pages/
    title: str        # msgid
    icon: str
    section: str      # msgid
    action: Action


WORK, SUPERVISION, INSIGHT, SYSTEM, ME = (N_("Service desk"), N_("Supervision"),
                                          N_("Insight"), N_("Administration"), N_("Me"))

SCREENS: tuple[Screen, ...] = (
    Screen("intake", N_("Intake"), ":material/add_call:", WORK, Action.CASE_CREATE),
    Screen("cases", N_("Cases"), ":material/inbox:", WORK, Action.CASE_VIEW),
    Screen("customers", N_("Customers"), ":material/group:", WORK, Action.CUSTOMER_VIEW),
    Screen("products", N_("Products"), ":material/inventory_2:", WORK, Action.PRODUCT_VIEW),
    Screen("callbacks", N_("Callbacks"), ":material/phone_callback:", WORK,
           Action.CALLBACK_WORK),
    Screen("aftersales", N_("After-sales"), ":material/build:", WORK,
           Action.AFTERSALES_REQUEST),
    Screen("jobs", N_("My jobs"), ":material/handyman:", WORK, Action.JOB_WORK),
    Screen("complaints", N_("Complaint review"), ":material/report:", SUPERVISION,
           Action.COMPLAINT_REVIEW),
    Screen("approvals", N_("After-sales approval"), ":material/approval:", SUPERVISION,
           Action.AFTERSALES_APPROVE),
    Screen("team", N_("Team"), ":material/monitoring:", SUPERVISION, Action.TEAM_MONITOR),
    Screen("analytics", N_("Analytics"), ":material/bar_chart:", INSIGHT,
           Action.ANALYTICS_VIEW),
    Screen("reports", N_("Reports"), ":material/summarize:", INSIGHT, Action.REPORTS_VIEW),
    Screen("staffing", N_("Staffing planner"), ":material/groups:", INSIGHT,
           Action.ANALYTICS_VIEW),
    Screen("exports", N_("Exports"), ":material/download:", INSIGHT, Action.DATA_EXPORT),
    Screen("admin", N_("Administration"), ":material/admin_panel_settings:", SYSTEM,
           Action.STAFF_MANAGE),
    Screen("audit", N_("Audit log"), ":material/history:", SYSTEM, Action.AUDIT_VIEW),
    Screen("account", N_("My account"), ":material/person:", ME, Action.ACCOUNT_SELF),
)


def screens_for(roles: frozenset[Role] | set[Role],
                must_change_password: bool = False) -> list[Screen]:
    if must_change_password:
        # Nothing else opens until the temporary password is replaced.
        return [s for s in SCREENS if s.key == "account"]
    return [s for s in SCREENS if allowed(roles, s.action)]
