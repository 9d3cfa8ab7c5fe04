"""Labels people read for the values of core.vocabulary (msgids, translated by the page)."""
from core.i18n import N_
from core.sla import SlaState
from core.vocabulary import (AfterSalesKind, AfterSalesStatus, CallbackPurpose,
                             CallbackStatus, CallbackTrigger, CallOutcome, CaseCategory, CaseEventKind,
                             CaseKind, CaseStatus, Channel, CompensationKind, ComplaintSeverity,
                             CustomerTier, DecisionStatus, Department, GoodsCondition,
                             JobStatus, OrderState, OutboxStatus, Priority, RefundStatus,
                             ReportReview, Role, RootCause, ServiceMode)

ROLE = {
    Role.AGENT: N_("Agent"),
    Role.TECHNICIAN: N_("Technician"),
    Role.SUPERVISOR: N_("Supervisor"),
    Role.ANALYST: N_("Analyst"),
    Role.ADMIN: N_("Admin"),
}
CHANNEL = {
    Channel.PHONE: N_("Phone"), Channel.EMAIL: N_("E-mail"), Channel.WEB: N_("Web form"),
    Channel.CHAT: N_("Online chat"), Channel.SOCIAL: N_("Social media"),
    Channel.WALK_IN: N_("Walk-in"),
}
KIND = {
    CaseKind.INQUIRY: N_("Inquiry"), CaseKind.COMPLAINT: N_("Complaint"),
    CaseKind.ORDER_REQUEST: N_("Order request"), CaseKind.SUGGESTION: N_("Suggestion"),
}
CATEGORY = {
    CaseCategory.PRODUCT_INFO: N_("Product information"), CaseCategory.PRICE: N_("Price"),
    CaseCategory.DELIVERY: N_("Delivery"), CaseCategory.ORDER_CHANGE: N_("Order change"),
    CaseCategory.USAGE: N_("Usage / technical"), CaseCategory.COMPLAINT: N_("Complaint"),
    CaseCategory.AFTER_SALES: N_("After-sales"), CaseCategory.SUGGESTION: N_("Suggestion"),
    CaseCategory.OTHER: N_("Other"),
}
PRIORITY = {
    Priority.LOW: N_("Low"), Priority.NORMAL: N_("Normal"), Priority.HIGH: N_("High"),
    Priority.URGENT: N_("Urgent"),
}
STATUS = {
    CaseStatus.NEW: N_("New"), CaseStatus.OPEN: N_("Open"),
    CaseStatus.WAITING_CUSTOMER: N_("Waiting on customer"),
    CaseStatus.WAITING_INTERNAL: N_("Waiting on colleagues"),
    CaseStatus.RESOLVED: N_("Resolved"), CaseStatus.CLOSED: N_("Closed"),
}
SLA = {
    SlaState.MET: N_("Met"), SlaState.ON_TRACK: N_("On track"),
    SlaState.AT_RISK: N_("About to breach"), SlaState.BREACHED: N_("Breached"),
    SlaState.PAUSED: N_("Paused"), SlaState.NONE: N_("No target"),
}
EVENT = {
    CaseEventKind.CUSTOMER_MESSAGE: N_("Customer"), CaseEventKind.REPLY: N_("Reply"),
    CaseEventKind.INTERNAL_NOTE: N_("Internal note"), CaseEventKind.CALL_LOG: N_("Call"),
    CaseEventKind.STATUS_CHANGE: N_("Status"), CaseEventKind.ASSIGNMENT: N_("Assignment"),
    CaseEventKind.ESCALATION: N_("Escalation"), CaseEventKind.ORDER_CHANGE: N_("Order"),
    CaseEventKind.SYSTEM: N_("System"),
}
ORDER_STATE = {
    OrderState.PENDING: N_("Pending"), OrderState.CONFIRMED: N_("Confirmed"),
    OrderState.PACKED: N_("Packed"), OrderState.SHIPPED: N_("Shipped"),
    OrderState.DELIVERED: N_("Delivered"), OrderState.CANCELLED: N_("Cancelled"),
}
TIER = {CustomerTier.REGULAR: N_("Regular"), CustomerTier.VIP: N_("VIP")}
OUTBOX = {
    OutboxStatus.NOT_SENT: N_("Not sent"), OutboxStatus.QUEUED: N_("Queued"),
    OutboxStatus.SENT: N_("Sent"), OutboxStatus.FAILED: N_("Failed"),
}
AFTERSALES_KIND = {
    AfterSalesKind.RETURN: N_("Return"), AfterSalesKind.EXCHANGE: N_("Exchange"),
    AfterSalesKind.REPAIR: N_("Repair"), AfterSalesKind.REFUND: N_("Refund"),
}
AFTERSALES_STATUS = {
    AfterSalesStatus.SUBMITTED: N_("Submitted"),
    AfterSalesStatus.AWAITING_APPROVAL: N_("Awaiting approval"),
    AfterSalesStatus.APPROVED: N_("Approved"), AfterSalesStatus.REJECTED: N_("Rejected"),
    AfterSalesStatus.IN_SERVICE: N_("In service"), AfterSalesStatus.COMPLETED: N_("Completed"),
    AfterSalesStatus.CANCELLED: N_("Cancelled"),
}
# lower case: also read inside sentences ("the goods are {condition}")
CONDITION = {
    GoodsCondition.UNOPENED: N_("unopened"), GoodsCondition.AS_NEW: N_("as new"),
    GoodsCondition.USED: N_("used"), GoodsCondition.DAMAGED: N_("damaged"),
    GoodsCondition.DEFECTIVE: N_("defective"),
}
REFUND_STATUS = {
    RefundStatus.REQUESTED: N_("Requested"), RefundStatus.AWAITING_APPROVAL:
    N_("Awaiting approval"), RefundStatus.APPROVED: N_("Approved"),
    RefundStatus.REJECTED: N_("Rejected"), RefundStatus.PAID: N_("Paid"),
}
JOB_STATUS = {
    JobStatus.ASSIGNED: N_("Waiting to be scheduled"), JobStatus.SCHEDULED: N_("Scheduled"),
    JobStatus.IN_PROGRESS: N_("In progress"),
    JobStatus.QUALITY_CHECK: N_("Quality check passed"),
    JobStatus.DONE: N_("Done"), JobStatus.CANCELLED: N_("Cancelled"),
}
SERVICE_MODE = {ServiceMode.ON_SITE: N_("On-site visit"), ServiceMode.MAIL_IN: N_("Mail-in"),
                ServiceMode.IN_STORE: N_("In store")}
REPORT_REVIEW = {
    ReportReview.PENDING: N_("Waiting for review"), ReportReview.ACCEPTED: N_("Accepted"),
    ReportReview.RETURNED: N_("Returned to the technician"),
    ReportReview.ARCHIVED: N_("Archived"),
}
SEVERITY = {ComplaintSeverity.MINOR: N_("Minor"), ComplaintSeverity.MAJOR: N_("Major"),
            ComplaintSeverity.CRITICAL: N_("Critical")}
ROOT_CAUSE = {
    RootCause.PRODUCT_DEFECT: N_("Product defect"), RootCause.DELIVERY_DELAY:
    N_("Late delivery"), RootCause.DELIVERY_DAMAGE: N_("Damaged in delivery"),
    RootCause.WRONG_ITEM: N_("Wrong item"), RootCause.STAFF_BEHAVIOUR: N_("Staff behaviour"),
    RootCause.PRICE_BILLING: N_("Price or billing"), RootCause.INFORMATION:
    N_("Wrong or missing information"), RootCause.POLICY: N_("Policy"),
    RootCause.OTHER: N_("Other cause"),
}
DEPARTMENT = {
    Department.WAREHOUSE: N_("Warehouse"), Department.LOGISTICS: N_("Logistics"),
    Department.QUALITY: N_("Product quality"), Department.STORE: N_("Store"),
    Department.TECHNICAL: N_("Technical"), Department.CUSTOMER_SERVICE:
    N_("Customer service"),
}
COMPENSATION_KIND = {
    CompensationKind.REFUND: N_("Refund"), CompensationKind.VOUCHER: N_("Voucher"),
    CompensationKind.GIFT: N_("Gift"), CompensationKind.REPLACEMENT: N_("Replacement"),
}
DECISION = {DecisionStatus.PROPOSED: N_("Waiting for sign-off"),
            DecisionStatus.APPROVED: N_("Approved"), DecisionStatus.REJECTED: N_("Rejected")}
PURPOSE = {
    CallbackPurpose.FOLLOW_UP: N_("Follow-up after a case"),
    CallbackPurpose.AFTER_SALES_FOLLOW_UP: N_("After-sales follow-up"),
    CallbackPurpose.VIP_CARE: N_("VIP care call"),
    CallbackPurpose.REGULAR_CARE: N_("Customer care call"),
    CallbackPurpose.MANUAL: N_("Callback"),
    CallbackPurpose.MARKETING: N_("Promotion / new products"),
}
CALLBACK_STATUS = {
    CallbackStatus.OPEN: N_("Open"), CallbackStatus.DONE: N_("Done"),
    CallbackStatus.UNREACHABLE: N_("Unreachable"), CallbackStatus.CANCELLED: N_("Cancelled"),
}
OUTCOME = {
    CallOutcome.REACHED: N_("Reached"), CallOutcome.NO_ANSWER: N_("No answer"),
    CallOutcome.CALL_BACK_LATER: N_("Call back later"),
    CallOutcome.WRONG_NUMBER: N_("Wrong number"), CallOutcome.DECLINED: N_("Declined"),
}
CALLBACK_TRIGGER = {
    CallbackTrigger.CASE_RESOLVED: N_("A case is resolved: follow-up call"),
    CallbackTrigger.AFTER_SALES_COMPLETED:
        N_("An after-sales request is completed: follow-up call"),
    CallbackTrigger.VIP_PERIODIC: N_("VIP customers: care call"),
    CallbackTrigger.REGULAR_PERIODIC: N_("Regular customers: care call"),
}
