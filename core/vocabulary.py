"""The shop's words: every closed list of values the domain uses.

Plain Python so that both the schema (db/) and the rules (core/) share one spelling.
Values are stored as these lower-case strings; labels shown to people come from i18n.
"""
from enum import StrEnum


class Role(StrEnum):
    AGENT = "agent"
    TECHNICIAN = "technician"
    SUPERVISOR = "supervisor"
    ANALYST = "analyst"
    ADMIN = "admin"


class Language(StrEnum):
    EN = "en"
    ZH_CN = "zh_CN"


class Channel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    WEB = "web"
    CHAT = "chat"
    SOCIAL = "social"
    WALK_IN = "walk_in"


class CaseKind(StrEnum):
    INQUIRY = "inquiry"
    COMPLAINT = "complaint"
    ORDER_REQUEST = "order_request"
    SUGGESTION = "suggestion"


class CaseCategory(StrEnum):
    PRODUCT_INFO = "product_info"
    PRICE = "price"
    DELIVERY = "delivery"
    ORDER_CHANGE = "order_change"
    USAGE = "usage"
    COMPLAINT = "complaint"
    AFTER_SALES = "after_sales"
    SUGGESTION = "suggestion"
    OTHER = "other"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class CaseStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    WAITING_CUSTOMER = "waiting_customer"  # SLA clock paused
    WAITING_INTERNAL = "waiting_internal"
    RESOLVED = "resolved"
    CLOSED = "closed"


class CaseEventKind(StrEnum):
    CUSTOMER_MESSAGE = "customer_message"
    REPLY = "reply"
    INTERNAL_NOTE = "internal_note"
    CALL_LOG = "call_log"
    STATUS_CHANGE = "status_change"
    ASSIGNMENT = "assignment"
    ESCALATION = "escalation"
    ORDER_CHANGE = "order_change"
    SYSTEM = "system"


class CustomerTier(StrEnum):
    REGULAR = "regular"
    VIP = "vip"


class OrderState(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    PACKED = "packed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class Department(StrEnum):
    WAREHOUSE = "warehouse"
    LOGISTICS = "logistics"
    QUALITY = "quality"
    STORE = "store"
    TECHNICAL = "technical"
    CUSTOMER_SERVICE = "customer_service"


class ComplaintSeverity(StrEnum):
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"


class RootCause(StrEnum):
    PRODUCT_DEFECT = "product_defect"
    DELIVERY_DELAY = "delivery_delay"
    DELIVERY_DAMAGE = "delivery_damage"
    WRONG_ITEM = "wrong_item"
    STAFF_BEHAVIOUR = "staff_behaviour"
    PRICE_BILLING = "price_billing"
    INFORMATION = "information"
    POLICY = "policy"
    OTHER = "other"


# the department that usually acts on a root cause (customer service when none other does)
CAUSE_DEPARTMENT = {
    RootCause.PRODUCT_DEFECT: Department.QUALITY,
    RootCause.DELIVERY_DELAY: Department.LOGISTICS,
    RootCause.DELIVERY_DAMAGE: Department.LOGISTICS,
    RootCause.WRONG_ITEM: Department.WAREHOUSE,
    RootCause.STAFF_BEHAVIOUR: Department.STORE,
    RootCause.PRICE_BILLING: Department.CUSTOMER_SERVICE,
    RootCause.INFORMATION: Department.CUSTOMER_SERVICE,
    RootCause.POLICY: Department.CUSTOMER_SERVICE,
    RootCause.OTHER: Department.CUSTOMER_SERVICE,
}


class CompensationKind(StrEnum):
    REFUND = "refund"
    VOUCHER = "voucher"
    GIFT = "gift"
    REPLACEMENT = "replacement"


class DecisionStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"


class AfterSalesKind(StrEnum):
    RETURN = "return"
    EXCHANGE = "exchange"
    REPAIR = "repair"
    REFUND = "refund"


class GoodsCondition(StrEnum):
    UNOPENED = "unopened"
    AS_NEW = "as_new"
    USED = "used"
    DAMAGED = "damaged"
    DEFECTIVE = "defective"


class AfterSalesStatus(StrEnum):
    SUBMITTED = "submitted"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    IN_SERVICE = "in_service"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class RefundStatus(StrEnum):
    REQUESTED = "requested"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    PAID = "paid"


class ServiceMode(StrEnum):
    ON_SITE = "on_site"
    MAIL_IN = "mail_in"
    IN_STORE = "in_store"


class JobStatus(StrEnum):
    ASSIGNED = "assigned"
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    QUALITY_CHECK = "quality_check"
    DONE = "done"
    CANCELLED = "cancelled"


class ReportReview(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    ARCHIVED = "archived"


class CallbackPurpose(StrEnum):
    FOLLOW_UP = "follow_up"
    AFTER_SALES_FOLLOW_UP = "after_sales_follow_up"
    VIP_CARE = "vip_care"
    REGULAR_CARE = "regular_care"
    MANUAL = "manual"
    MARKETING = "marketing"


class CallbackStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    UNREACHABLE = "unreachable"
    CANCELLED = "cancelled"


class CallOutcome(StrEnum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    CALL_BACK_LATER = "call_back_later"
    WRONG_NUMBER = "wrong_number"
    DECLINED = "declined"


class CallbackTrigger(StrEnum):
    CASE_RESOLVED = "case_resolved"
    AFTER_SALES_COMPLETED = "after_sales_completed"
    VIP_PERIODIC = "vip_periodic"
    REGULAR_PERIODIC = "regular_periodic"


class MessageChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class OutboxStatus(StrEnum):
    NOT_SENT = "not_sent"
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
