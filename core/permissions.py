"""The one permission table. Every service asks `require(actor, Action.X)` first.

Hiding a page is a convenience; this table is the rule. A person with several roles may do
what any of their roles may do. Four-eyes and record-state rules are checked by the services
on top of this (an approver also needs to be someone other than the requester).
"""
from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from core.errors import NotLoggedIn, PermissionDenied
from core.i18n import N_
from core.vocabulary import Role

if TYPE_CHECKING:
    from core.actor import Actor


class Action(StrEnum):
    ACCOUNT_SELF = "account.self"                    # own password and language
    CASE_CREATE = "case.create"
    CASE_VIEW = "case.view"
    CASE_WORK = "case.work"                          # reply, note, status, reopen
    CASE_ASSIGN = "case.assign"                      # give a case to someone else
    CASE_ESCALATE = "case.escalate"
    CUSTOMER_VIEW = "customer.view"                  # masked unless CUSTOMER_PERSONAL_DATA
    CUSTOMER_PERSONAL_DATA = "customer.personal_data"
    CUSTOMER_EDIT = "customer.edit"
    CUSTOMER_MERGE = "customer.merge"
    PRODUCT_VIEW = "product.view"
    ORDER_MANAGE = "order.manage"                    # confirm, modify, cancel, ship
    COMPLAINT_HANDLE = "complaint.handle"            # acknowledge, investigate, reply
    COMPLAINT_REVIEW = "complaint.review"            # reassign, sign off
    COMPENSATION_PROPOSE = "compensation.propose"
    COMPENSATION_APPROVE = "compensation.approve"
    AFTERSALES_REQUEST = "aftersales.request"
    AFTERSALES_APPROVE = "aftersales.approve"
    REFUND_REQUEST = "refund.request"
    REFUND_APPROVE = "refund.approve"
    JOB_ASSIGN = "job.assign"
    JOB_WORK = "job.work"                            # own jobs: progress, QC, service report
    SERVICE_REPORT_REVIEW = "service_report.review"
    CALLBACK_WORK = "callback.work"                  # claim, call, record survey
    CALLBACK_SCHEDULE = "callback.schedule"
    CALLBACK_ASSIGN = "callback.assign"              # release someone else's claimed call
    TEAM_MONITOR = "team.monitor"
    ANALYTICS_VIEW = "analytics.view"
    REPORTS_VIEW = "reports.view"
    DATA_EXPORT = "data.export"
    DATA_IMPORT = "data.import"
    STAFF_MANAGE = "staff.manage"
    POLICY_EDIT = "policy.edit"
    CANNED_REPLY_EDIT = "canned_reply.edit"
    AUDIT_VIEW = "audit.view"
    BACKUP_RUN = "backup.run"


A = Action
_AGENT = frozenset({
    A.ACCOUNT_SELF, A.CASE_CREATE, A.CASE_VIEW, A.CASE_WORK, A.CASE_ESCALATE,
    A.CUSTOMER_VIEW, A.CUSTOMER_PERSONAL_DATA, A.CUSTOMER_EDIT, A.PRODUCT_VIEW,
    A.ORDER_MANAGE, A.COMPLAINT_HANDLE, A.COMPENSATION_PROPOSE, A.AFTERSALES_REQUEST,
    A.REFUND_REQUEST, A.CALLBACK_WORK, A.CALLBACK_SCHEDULE,
})

PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.AGENT: _AGENT,
    Role.TECHNICIAN: frozenset({A.ACCOUNT_SELF, A.PRODUCT_VIEW, A.JOB_WORK}),
    # A supervisor works the queue like an agent, and decides what agents may not.
    Role.SUPERVISOR: _AGENT | {
        A.CASE_ASSIGN, A.CALLBACK_ASSIGN, A.CUSTOMER_MERGE, A.COMPLAINT_REVIEW,
        A.COMPENSATION_APPROVE,
        A.AFTERSALES_APPROVE, A.REFUND_APPROVE, A.JOB_ASSIGN, A.SERVICE_REPORT_REVIEW,
        A.TEAM_MONITOR, A.ANALYTICS_VIEW, A.REPORTS_VIEW, A.DATA_EXPORT, A.AUDIT_VIEW,
    },
    # Analysts see figures and masked customers, never personal data.
    Role.ANALYST: frozenset({A.ACCOUNT_SELF, A.CUSTOMER_VIEW, A.PRODUCT_VIEW,
                             A.ANALYTICS_VIEW, A.REPORTS_VIEW, A.DATA_EXPORT}),
    # Admins run the system; they do not work cases or approve money.
    Role.ADMIN: frozenset({
        A.ACCOUNT_SELF, A.STAFF_MANAGE, A.POLICY_EDIT, A.CANNED_REPLY_EDIT, A.DATA_IMPORT,
        A.DATA_EXPORT, A.AUDIT_VIEW, A.BACKUP_RUN,
    }),
}


def allowed(roles: frozenset[Role] | set[Role], action: Action) -> bool:
    return any(action in PERMISSIONS[Role(r)] for r in roles)


def require(actor: Actor | None, action: Action) -> None:
    if actor is None:
        raise NotLoggedIn()
    if not allowed(actor.roles, action):
        raise PermissionDenied(
            N_("Your roles do not allow this ({action}). Ask an administrator if you need it."),
            action=action.value)
