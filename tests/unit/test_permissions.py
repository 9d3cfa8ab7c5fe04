"""The permission table, role by role: written out here as the independent spec, so a change
to core/permissions.py that widens or narrows a role fails until this spec agrees."""
import pytest

from core.actor import Actor
from core.errors import NotLoggedIn, PermissionDenied
from core.navigation import SCREENS, screens_for
from core.permissions import PERMISSIONS, Action, allowed, require
from core.vocabulary import Role

AGENT = {
    "account.self", "case.create", "case.view", "case.work", "case.escalate",
    "customer.view", "customer.personal_data", "customer.edit", "product.view",
    "order.manage", "complaint.handle", "compensation.propose", "aftersales.request",
    "refund.request", "callback.work", "callback.schedule",
}
EXPECTED = {
    Role.AGENT: AGENT,
    Role.TECHNICIAN: {"account.self", "product.view", "job.work"},
    Role.SUPERVISOR: AGENT | {
        "case.assign", "callback.assign", "customer.merge", "complaint.review", "compensation.approve",
        "aftersales.approve", "refund.approve", "job.assign", "service_report.review",
        "team.monitor", "analytics.view", "reports.view", "data.export", "audit.view",
    },
    Role.ANALYST: {"account.self", "customer.view", "product.view", "analytics.view",
                   "reports.view", "data.export"},
    Role.ADMIN: {"account.self", "staff.manage", "policy.edit", "canned_reply.edit",
                 "data.import", "data.export", "audit.view", "backup.run"},
}

EXPECTED_SCREENS = {
    Role.AGENT: ["intake", "cases", "customers", "products", "callbacks", "aftersales",
                 "account"],
    Role.TECHNICIAN: ["products", "jobs", "account"],
    Role.SUPERVISOR: ["intake", "cases", "customers", "products", "callbacks", "aftersales",
                      "complaints", "approvals", "team", "analytics", "reports", "staffing",
                      "exports", "audit", "account"],
    Role.ANALYST: ["customers", "products", "analytics", "reports", "staffing", "exports",
                   "account"],
    Role.ADMIN: ["exports", "admin", "audit", "account"],
}


def actor(*roles: Role) -> Actor:
    return Actor(1, "someone", "Someone", frozenset(roles))


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_every_role_action_pair_follows_the_spec(role, action):
    should = action.value in EXPECTED[role]
    assert allowed({role}, action) is should
    if should:
        require(actor(role), action)
    else:
        with pytest.raises(PermissionDenied):
            require(actor(role), action)


@pytest.mark.parametrize("action", list(Action))
def test_logged_out_may_do_nothing(action):
    with pytest.raises(NotLoggedIn):
        require(None, action)


def test_no_role_means_no_action():
    for action in Action:
        with pytest.raises(PermissionDenied):
            require(actor(), action)


def test_several_roles_add_up():
    both = actor(Role.TECHNICIAN, Role.ANALYST)
    require(both, Action.JOB_WORK)
    require(both, Action.ANALYTICS_VIEW)
    with pytest.raises(PermissionDenied):
        require(both, Action.REFUND_APPROVE)


def test_table_covers_every_role_and_spec_names_real_actions():
    assert set(PERMISSIONS) == set(Role)
    named = set().union(*EXPECTED.values())
    assert named <= {a.value for a in Action}
    assert {a.value for a in Action} == named, "an action no role may take is dead code"


def test_money_and_people_decisions_stay_with_supervisors_and_admins():
    for role in (Role.AGENT, Role.TECHNICIAN, Role.ANALYST):
        for action in (Action.REFUND_APPROVE, Action.AFTERSALES_APPROVE,
                       Action.COMPENSATION_APPROVE, Action.STAFF_MANAGE):
            assert not allowed({role}, action)
    assert not allowed({Role.ANALYST}, Action.CUSTOMER_PERSONAL_DATA)


@pytest.mark.parametrize("role", list(Role))
def test_menu_per_role(role):
    assert [s.key for s in screens_for({role})] == EXPECTED_SCREENS[role]


def test_a_temporary_password_opens_only_the_account_screen():
    assert [s.key for s in screens_for({Role.SUPERVISOR}, must_change_password=True)] \
        == ["account"]


def test_every_screen_has_a_page_file():
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    for screen in SCREENS:
        assert (root / "pages" / f"{screen.key}.py").exists(), screen.key
