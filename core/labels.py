"""Labels people read for the values of core.vocabulary (msgids, translated by the page)."""
from core.i18n import N_
from core.sla import SlaState
from core.vocabulary import (CaseCategory, CaseEventKind, CaseKind, CaseStatus, Channel,
                             CustomerTier, OrderState, OutboxStatus, Priority, Role)

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
