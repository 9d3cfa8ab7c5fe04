"""The whole domain's schema (DOMAIN.md), as SQLAlchemy 2 typed models.

Conventions that hold everywhere:
- datetimes are naive UTC (both SQLite and PostgreSQL give them back the same way);
- money is integer cents, so sums are exact on both databases;
- closed lists are the StrEnums of core.vocabulary stored as their values;
- records two people may act on at once carry `version` (optimistic locking: the
  second writer gets StaleDataError, which the unit of work turns into "reload");
- indexes are on what filters narrowly (dates, owner, customer, status + date), not on
  low-variety columns alone (ARCHITECTURE.md: such an index made SQLite pick the wrong plan).
"""
from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import (
    DeclarativeBase, Mapped, declared_attr, mapped_column, relationship, validates,
)

from core.vocabulary import (
    AfterSalesKind, AfterSalesStatus, CallbackPurpose, CallbackStatus, CallbackTrigger,
    CallOutcome, CaseCategory, CaseEventKind, CaseKind, CaseStatus, Channel, CompensationKind,
    ComplaintSeverity, CustomerTier, DecisionStatus, Department, GoodsCondition, JobStatus,
    Language, MessageChannel, OrderState, OutboxStatus, Priority, RefundStatus, ReportReview,
    Role, RootCause, ServiceMode,
)
from core import search_keys
from core.clock import utcnow

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)


def Vocab(enum: type[StrEnum]) -> sa.Enum:
    # VARCHAR, not a native enum: adding a value later is a code change, not a migration.
    return sa.Enum(enum, native_enum=False, length=32, validate_strings=True,
                   values_callable=lambda e: [m.value for m in e])


def fk(target: str, ondelete: str | None = None) -> sa.ForeignKey:
    return sa.ForeignKey(target, ondelete=ondelete)


class Versioned:
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.version}


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# --- staff, login ---------------------------------------------------------------------------

class Staff(Versioned, Timestamped, Base):
    __tablename__ = "staff"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(120))
    email: Mapped[Optional[str]] = mapped_column(sa.String(254))
    password_hash: Mapped[str] = mapped_column(sa.String(100))
    language: Mapped[Language] = mapped_column(Vocab(Language), default=Language.EN)
    active: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # {"mon": ["09:00", "18:00"], ...}; None = the shop's business hours
    working_hours: Mapped[Optional[dict]] = mapped_column(sa.JSON)
    store_id: Mapped[Optional[int]] = mapped_column(fk("store.id"))

    roles: Mapped[list[StaffRole]] = relationship(
        back_populates="staff", cascade="all, delete-orphan", lazy="selectin")
    skills: Mapped[list[StaffSkill]] = relationship(
        back_populates="staff", cascade="all, delete-orphan", lazy="selectin")

    @property
    def role_set(self) -> frozenset[Role]:
        return frozenset(Role(r.role) for r in self.roles)


class StaffRole(Base):
    __tablename__ = "staff_role"
    staff_id: Mapped[int] = mapped_column(fk("staff.id", "CASCADE"), primary_key=True)
    role: Mapped[Role] = mapped_column(Vocab(Role), primary_key=True)
    staff: Mapped[Staff] = relationship(back_populates="roles")


class StaffSkill(Base):
    __tablename__ = "staff_skill"
    staff_id: Mapped[int] = mapped_column(fk("staff.id", "CASCADE"), primary_key=True)
    skill: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    staff: Mapped[Staff] = relationship(back_populates="skills")


class LoginSession(Base):
    """The server-side half of a login cookie: no live row, no login."""
    __tablename__ = "login_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(fk("staff.id", "CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[Optional[datetime]]
    revoke_reason: Mapped[Optional[str]] = mapped_column(sa.String(40))


class LoginAttempt(Base):
    __tablename__ = "login_attempt"
    __table_args__ = (sa.Index(None, "username", "attempted_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64))
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    succeeded: Mapped[bool]


# --- customers, products, orders --------------------------------------------------------------

class Store(Base):
    __tablename__ = "store"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    city: Mapped[Optional[str]] = mapped_column(sa.String(80))
    active: Mapped[bool] = mapped_column(default=True)


def _KEY(length: int) -> sa.types.TypeEngine:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


class Customer(Versioned, Timestamped, Base):
    __tablename__ = "customer"
    # a phone number or e-mail address belongs to one live (not merged) customer; the service
    # checks first to name the owner, the database makes it hold when two forms save at once
    __table_args__ = (
        sa.Index("uq_customer_live_phone", "phone_normalized", unique=True,
                 sqlite_where=sa.text("merged_into_id IS NULL AND phone_normalized IS NOT NULL"),
                 postgresql_where=sa.text("merged_into_id IS NULL AND phone_normalized IS NOT NULL")),
        sa.Index("uq_customer_live_email", "email_normalized", unique=True,
                 sqlite_where=sa.text("merged_into_id IS NULL AND email_normalized IS NOT NULL"),
                 postgresql_where=sa.text("merged_into_id IS NULL AND email_normalized IS NOT NULL")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), index=True)
    phone: Mapped[Optional[str]] = mapped_column(sa.String(40))
    # E.164 digits, what search and duplicate checks compare
    phone_normalized: Mapped[Optional[str]] = mapped_column(sa.String(20), index=True)
    email: Mapped[Optional[str]] = mapped_column(sa.String(254), index=True)
    tier: Mapped[CustomerTier] = mapped_column(Vocab(CustomerTier), default=CustomerTier.REGULAR)
    marketing_consent: Mapped[bool] = mapped_column(default=False)
    consent_changed_at: Mapped[Optional[datetime]]
    language: Mapped[Language] = mapped_column(Vocab(Language), default=Language.ZH_CN)
    address: Mapped[Optional[str]] = mapped_column(sa.String(300))
    city: Mapped[Optional[str]] = mapped_column(sa.String(80))
    home_store_id: Mapped[Optional[int]] = mapped_column(fk("store.id"))
    # set when this record was merged into another; its history moved there
    merged_into_id: Mapped[Optional[int]] = mapped_column(fk("customer.id"))
    # search keys (core.search_keys), kept in step with name / email by the validators below;
    # byte order ("C") on PostgreSQL so that a prefix range means "starts with" whatever the
    # database's default collation is
    name_key: Mapped[Optional[str]] = mapped_column(_KEY(120), index=True)
    name_last_key: Mapped[Optional[str]] = mapped_column(_KEY(120), index=True)
    email_normalized: Mapped[Optional[str]] = mapped_column(_KEY(254), index=True)

    @validates("name")
    def _name_keys(self, _key: str, value: str) -> str:
        self.name_key = search_keys.name_key(value)
        self.name_last_key = search_keys.name_last_key(value)
        return value

    @validates("email")
    def _email_key(self, _key: str, value: str | None) -> str | None:
        self.email_normalized = search_keys.email_key(value)
        return value


class CustomerNote(Base):
    __tablename__ = "customer_note"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(fk("customer.id"), index=True)
    author_id: Mapped[int] = mapped_column(fk("staff.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MaintenancePlan(Versioned, Base):
    """A VIP customer's care plan: periodic check of a product they own."""
    __tablename__ = "maintenance_plan"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(fk("customer.id"), index=True)
    product_id: Mapped[Optional[int]] = mapped_column(fk("product.id"))
    description: Mapped[str] = mapped_column(sa.Text)
    interval_days: Mapped[int]
    next_due_on: Mapped[Optional[date]]
    active: Mapped[bool] = mapped_column(default=True)


class Product(Versioned, Timestamped, Base):
    __tablename__ = "product"
    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    name_zh: Mapped[Optional[str]] = mapped_column(sa.String(200))
    category: Mapped[str] = mapped_column(sa.String(60))
    model: Mapped[Optional[str]] = mapped_column(sa.String(80))
    price_cents: Mapped[int]
    # None = the after-sales policy default for the category
    warranty_months: Mapped[Optional[int]]
    return_window_days: Mapped[Optional[int]]
    exchange_window_days: Mapped[Optional[int]]
    specs: Mapped[Optional[str]] = mapped_column(sa.Text)
    in_stock: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)


class Order(Versioned, Timestamped, Base):
    __tablename__ = "customer_order"
    __table_args__ = (sa.Index(None, "customer_id", "ordered_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    order_number: Mapped[str] = mapped_column(sa.String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(fk("customer.id"))
    store_id: Mapped[Optional[int]] = mapped_column(fk("store.id"))
    channel: Mapped[Channel] = mapped_column(Vocab(Channel))
    state: Mapped[OrderState] = mapped_column(Vocab(OrderState), default=OrderState.PENDING)
    ordered_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    confirmed_at: Mapped[Optional[datetime]]
    shipped_at: Mapped[Optional[datetime]]
    delivered_at: Mapped[Optional[datetime]]
    cancelled_at: Mapped[Optional[datetime]]
    expected_delivery_on: Mapped[Optional[date]]
    delivery_address: Mapped[Optional[str]] = mapped_column(sa.String(300))
    carrier: Mapped[Optional[str]] = mapped_column(sa.String(60))
    tracking_number: Mapped[Optional[str]] = mapped_column(sa.String(60))
    total_cents: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[Optional[int]] = mapped_column(fk("staff.id"))

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id")


class OrderLine(Base):
    __tablename__ = "order_line"
    __table_args__ = (sa.CheckConstraint("quantity > 0", name="quantity_positive"),
                      sa.CheckConstraint("refunded_cents >= 0", name="refund_not_negative"),
                      # the domain's refund ceiling, also held by the database
                      sa.CheckConstraint("refunded_cents <= paid_cents", name="refund_within_paid"))
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(fk("customer_order.id", "CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(fk("product.id"), index=True)
    quantity: Mapped[int]
    unit_price_cents: Mapped[int]
    # what was actually paid for the line, after discounts: the refund ceiling
    paid_cents: Mapped[int]
    refunded_cents: Mapped[int] = mapped_column(default=0)
    order: Mapped[Order] = relationship(back_populates="lines")


# --- cases and their timeline ---------------------------------------------------------------

class Case(Versioned, Base):
    __tablename__ = "service_case"
    __table_args__ = (
        sa.Index(None, "created_at"),
        sa.Index(None, "owner_id", "status"),
        sa.Index(None, "status", "resolution_due_at"),
        sa.Index(None, "customer_id", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[CaseKind] = mapped_column(Vocab(CaseKind))
    channel: Mapped[Channel] = mapped_column(Vocab(Channel))
    category: Mapped[CaseCategory] = mapped_column(Vocab(CaseCategory))
    priority: Mapped[Priority] = mapped_column(Vocab(Priority), default=Priority.NORMAL)
    status: Mapped[CaseStatus] = mapped_column(Vocab(CaseStatus), default=CaseStatus.NEW)
    customer_id: Mapped[int] = mapped_column(fk("customer.id"))
    order_id: Mapped[Optional[int]] = mapped_column(fk("customer_order.id"), index=True)
    product_id: Mapped[Optional[int]] = mapped_column(fk("product.id"), index=True)
    store_id: Mapped[Optional[int]] = mapped_column(fk("store.id"))
    owner_id: Mapped[Optional[int]] = mapped_column(fk("staff.id"))
    created_by_id: Mapped[Optional[int]] = mapped_column(fk("staff.id"))
    # the case a follow-up continues; indexed: a case shows the cases that continue it
    parent_case_id: Mapped[Optional[int]] = mapped_column(fk("service_case.id"), index=True)
    subject: Mapped[str] = mapped_column(sa.String(200))
    question: Mapped[str] = mapped_column(sa.Text, default="")
    customer_expectation: Mapped[Optional[str]] = mapped_column(sa.Text)
    answer: Mapped[Optional[str]] = mapped_column(sa.Text)
    next_step: Mapped[Optional[str]] = mapped_column(sa.Text)
    required_skill: Mapped[Optional[str]] = mapped_column(sa.String(64))
    first_contact_resolution: Mapped[bool] = mapped_column(default=False)
    escalated: Mapped[bool] = mapped_column(default=False)
    reopen_count: Mapped[int] = mapped_column(default=0)
    # timestamps every report reads
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # the shop's local date of created_at (db.rollups fills it on insert): the day a report
    # counts the case on, without time-zone arithmetic in SQL
    created_day: Mapped[date]
    first_response_at: Mapped[Optional[datetime]]
    resolved_at: Mapped[Optional[datetime]]
    # opening-hours minutes from creation, kept with the time they measure (core.sla), so
    # medians and percentiles in business hours are a sort in SQL
    first_response_minutes: Mapped[Optional[int]]
    resolution_minutes: Mapped[Optional[int]]
    closed_at: Mapped[Optional[datetime]]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # the SLA that applied, frozen at intake so a later policy edit does not rewrite history
    sla_policy_id: Mapped[Optional[int]] = mapped_column(fk("sla_policy.id"))
    first_response_due_at: Mapped[Optional[datetime]]
    resolution_due_at: Mapped[Optional[datetime]]
    sla_paused_at: Mapped[Optional[datetime]]
    sla_paused_seconds: Mapped[int] = mapped_column(default=0)
    first_response_breached: Mapped[bool] = mapped_column(default=False)
    resolution_breached: Mapped[bool] = mapped_column(default=False)


class CaseDaily(Base):
    """Cases per shop day x channel x kind x category, with the counts the dashboards add up.
    Kept equal to the cases by database triggers (db.rollups), whatever writes the case."""
    __tablename__ = "case_daily"
    day: Mapped[date] = mapped_column(primary_key=True)
    channel: Mapped[Channel] = mapped_column(Vocab(Channel), primary_key=True)
    kind: Mapped[CaseKind] = mapped_column(Vocab(CaseKind), primary_key=True)
    category: Mapped[CaseCategory] = mapped_column(Vocab(CaseCategory), primary_key=True)
    created: Mapped[int] = mapped_column(default=0, server_default="0")
    responded: Mapped[int] = mapped_column(default=0, server_default="0")
    response_targeted: Mapped[int] = mapped_column(default=0, server_default="0")
    response_met: Mapped[int] = mapped_column(default=0, server_default="0")
    resolved: Mapped[int] = mapped_column(default=0, server_default="0")
    resolution_targeted: Mapped[int] = mapped_column(default=0, server_default="0")
    resolution_met: Mapped[int] = mapped_column(default=0, server_default="0")
    first_contact_resolved: Mapped[int] = mapped_column(default=0, server_default="0")
    reopened: Mapped[int] = mapped_column(default=0, server_default="0")
    escalated: Mapped[int] = mapped_column(default=0, server_default="0")
    response_minutes: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    resolution_minutes: Mapped[int] = mapped_column(sa.BigInteger, default=0,
                                                    server_default="0")


class CaseMinutesDaily(Base):
    """How many cases took how long (opening minutes in db.rollups.BUCKET buckets, with their
    total) per shop day x channel, for first response and resolution: medians and percentiles
    without sorting the cases. Kept by the same triggers as case_daily."""
    __tablename__ = "case_minutes_daily"
    day: Mapped[date] = mapped_column(primary_key=True)
    channel: Mapped[Channel] = mapped_column(Vocab(Channel), primary_key=True)
    measure: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    minutes: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    cases: Mapped[int] = mapped_column(default=0, server_default="0")
    minutes_total: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")


class CaseEvent(Base):
    __tablename__ = "case_event"
    __table_args__ = (sa.Index(None, "case_id", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(fk("service_case.id", "CASCADE"))
    kind: Mapped[CaseEventKind] = mapped_column(Vocab(CaseEventKind))
    author_id: Mapped[Optional[int]] = mapped_column(fk("staff.id"), index=True)
    channel: Mapped[Optional[Channel]] = mapped_column(Vocab(Channel))
    body: Mapped[Optional[str]] = mapped_column(sa.Text)
    old_value: Mapped[Optional[str]] = mapped_column(sa.String(120))
    new_value: Mapped[Optional[str]] = mapped_column(sa.String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- complaints -----------------------------------------------------------------------------

class Complaint(Versioned, Base):
    __tablename__ = "complaint"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(fk("service_case.id", "CASCADE"), unique=True)
    severity: Mapped[ComplaintSeverity] = mapped_column(Vocab(ComplaintSeverity))
    acknowledged_at: Mapped[Optional[datetime]]
    promised_reply_at: Mapped[Optional[datetime]] = mapped_column(index=True)
    replied_at: Mapped[Optional[datetime]]
    reply_method: Mapped[Optional[str]] = mapped_column(sa.String(20))  # written / phone
    result: Mapped[Optional[str]] = mapped_column(sa.Text)
    customer_satisfied: Mapped[Optional[bool]]
    evaluation_comment: Mapped[Optional[str]] = mapped_column(sa.Text)
    root_cause: Mapped[Optional[RootCause]] = mapped_column(Vocab(RootCause))
    responsible_department: Mapped[Optional[Department]] = mapped_column(Vocab(Department))
    responsible_store_id: Mapped[Optional[int]] = mapped_column(fk("store.id"))
    responsible_product_id: Mapped[Optional[int]] = mapped_column(fk("product.id"))
    escalated_to_id: Mapped[Optional[int]] = mapped_column(fk("staff.id"))
    escalated_at: Mapped[Optional[datetime]]


class InvestigationRequest(Versioned, Base):
    __tablename__ = "investigation_request"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(fk("complaint.id", "CASCADE"), index=True)
    department: Mapped[Department] = mapped_column(Vocab(Department))
    question: Mapped[str] = mapped_column(sa.Text)
    requested_by_id: Mapped[int] = mapped_column(fk("staff.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[Optional[datetime]]
    answer: Mapped[Optional[str]] = mapped_column(sa.Text)
    answered_by: Mapped[Optional[str]] = mapped_column(sa.String(120))
    answered_at: Mapped[Optional[datetime]]


class Compensation(Versioned, Base):
    __tablename__ = "compensation"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(fk("complaint.id", "CASCADE"), index=True)
    kind: Mapped[CompensationKind] = mapped_column(Vocab(CompensationKind))
    amount_cents: Mapped[int] = mapped_column(default=0)
    description: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[DecisionStatus] = mapped_column(Vocab(DecisionStatus),
                                                  default=DecisionStatus.PROPOSED)
    proposed_by_id: Mapped[int] = mapped_column(fk("staff.id"))
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[Optional[int]] = mapped_column(fk("staff.id"))
    decided_at: Mapped[Optional[datetime]]
    decision_note: Mapped[Optional[str]] = mapped_column(sa.Text)


# --- after-sales ----------------------------------------------------------------------------

class AfterSalesRequest(Versioned, Base):
    __tablename__ = "after_sales_request"
    __table_args__ = (sa.Index(None, "status", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[Optional[int]] = mapped_column(fk("service_case.id"), index=True)
    customer_id: Mapped[int] = mapped_column(fk("customer.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(fk("order_line.id"), index=True)
    kind: Mapped[AfterSalesKind] = mapped_column(Vocab(AfterSalesKind))
    reason: Mapped[str] = mapped_column(sa.Text)
    condition: Mapped[GoodsCondition] = mapped_column(Vocab(GoodsCondition))
    proof_of_purchase: Mapped[bool] = mapped_column(default=True)
    notes: Mapped[Optional[str]] = mapped_column(sa.Text)
    status: Mapped[AfterSalesStatus] = mapped_column(Vocab(AfterSalesStatus),
                                                     default=AfterSalesStatus.SUBMITTED)
    # the policy check's verdict and its reason, as shown when the request was made
    within_policy: Mapped[bool] = mapped_column(default=True)
    policy_explanation: Mapped[Optional[str]] = mapped_column(sa.Text)
    needs_approval: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int] = mapped_column(fk("staff.id"))
    prepared_by_id: Mapped[Optional[int]] = mapped_column(fk("staff.id"))
    decided_by_id: Mapped[Optional[int]] = mapped_column(fk("staff.id"))
    decided_at: Mapped[Optional[datetime]]
    decision_note: Mapped[Optional[str]] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[Optional[datetime]]


class Refund(Versioned, Base):
    __tablename__ = "refund"
    __table_args__ = (sa.CheckConstraint("amount_cents > 0", name="amount_positive"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    # at most one refund per after-sales request, so an approval books at most one amount
    request_id: Mapped[Optional[int]] = mapped_column(fk("after_sales_request.id"), index=True,
                                                      unique=True)
    compensation_id: Mapped[Optional[int]] = mapped_column(fk("compensation.id"))
    order_line_id: Mapped[int] = mapped_column(fk("order_line.id"), index=True)
    amount_cents: Mapped[int]
    status: Mapped[RefundStatus] = mapped_column(Vocab(RefundStatus),
                                                 default=RefundStatus.REQUESTED)
    requested_by_id: Mapped[int] = mapped_column(fk("staff.id"))
    prepared_by_id: Mapped[Optional[int]] = mapped_column(fk("staff.id"))
    approved_by_id: Mapped[Optional[int]] = mapped_column(fk("staff.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[Optional[datetime]]
    paid_at: Mapped[Optional[datetime]]
    decision_note: Mapped[Optional[str]] = mapped_column(sa.Text)


class ServiceJob(Versioned, Base):
    __tablename__ = "service_job"
    __table_args__ = (sa.Index(None, "technician_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(fk("after_sales_request.id"), index=True)
    technician_id: Mapped[Optional[int]] = mapped_column(fk("staff.id"))
    kind: Mapped[AfterSalesKind] = mapped_column(Vocab(AfterSalesKind))  # repair / exchange
    required_skill: Mapped[Optional[str]] = mapped_column(sa.String(64))
    mode: Mapped[ServiceMode] = mapped_column(Vocab(ServiceMode))
    status: Mapped[JobStatus] = mapped_column(Vocab(JobStatus), default=JobStatus.ASSIGNED)
    scheduled_for: Mapped[Optional[datetime]]
    address: Mapped[Optional[str]] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[Optional[datetime]]
    finished_at: Mapped[Optional[datetime]]
    qc_passed: Mapped[Optional[bool]]
    qc_checks: Mapped[Optional[str]] = mapped_column(sa.Text)
    qc_at: Mapped[Optional[datetime]]
    qc_by_id: Mapped[Optional[int]] = mapped_column(fk("staff.id"))


class ServiceReport(Versioned, Base):
    __tablename__ = "service_report"
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(fk("service_job.id", "CASCADE"), unique=True)
    work_done: Mapped[str] = mapped_column(sa.Text)
    parts_used: Mapped[Optional[str]] = mapped_column(sa.Text)
    labour_minutes: Mapped[int] = mapped_column(default=0)
    material_cost_cents: Mapped[int] = mapped_column(default=0)
    transport_cost_cents: Mapped[int] = mapped_column(default=0)
    submitted_by_id: Mapped[int] = mapped_column(fk("staff.id"))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    review: Mapped[ReportReview] = mapped_column(Vocab(ReportReview), default=ReportReview.PENDING)
    reviewed_by_id: Mapped[Optional[int]] = mapped_column(fk("staff.id"))
    reviewed_at: Mapped[Optional[datetime]]
    review_note: Mapped[Optional[str]] = mapped_column(sa.Text)


# --- callbacks and satisfaction -------------------------------------------------------------

class Callback(Versioned, Base):
    __tablename__ = "callback"
    __table_args__ = (
        sa.Index(None, "status", "due_at"),
        sa.Index(None, "customer_id", "due_at"),   # the customer's history
        sa.Index(None, "status", "closed_at"),     # the reach rate of a period
        # one open callback per customer and purpose, enforced by the database so that two
        # rule runs at once cannot both create one
        sa.Index("uq_callback_open_customer_purpose", "customer_id", "purpose", unique=True,
                 sqlite_where=sa.text("status = 'open'"),
                 postgresql_where=sa.text("status = 'open'")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(fk("customer.id"))
    case_id: Mapped[Optional[int]] = mapped_column(fk("service_case.id"), index=True)
    request_id: Mapped[Optional[int]] = mapped_column(fk("after_sales_request.id"), index=True)
    purpose: Mapped[CallbackPurpose] = mapped_column(Vocab(CallbackPurpose))
    topic: Mapped[Optional[str]] = mapped_column(sa.String(200))
    due_at: Mapped[datetime]
    status: Mapped[CallbackStatus] = mapped_column(Vocab(CallbackStatus),
                                                   default=CallbackStatus.OPEN)
    claimed_by_id: Mapped[Optional[int]] = mapped_column(fk("staff.id"), index=True)
    claimed_at: Mapped[Optional[datetime]]
    attempts: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[Optional[int]] = mapped_column(fk("staff.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[Optional[datetime]]


class CallAttempt(Base):
    __tablename__ = "call_attempt"
    id: Mapped[int] = mapped_column(primary_key=True)
    callback_id: Mapped[int] = mapped_column(fk("callback.id", "CASCADE"), index=True)
    staff_id: Mapped[int] = mapped_column(fk("staff.id"))
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[CallOutcome] = mapped_column(Vocab(CallOutcome))
    call_back_at: Mapped[Optional[datetime]]
    note: Mapped[Optional[str]] = mapped_column(sa.Text)


class SurveyAnswer(Base):
    __tablename__ = "survey_answer"
    __table_args__ = (
        sa.CheckConstraint("satisfaction BETWEEN 1 AND 5", name="satisfaction_range"),
        sa.CheckConstraint("nps IS NULL OR nps BETWEEN 0 AND 10", name="nps_range"),
        sa.Index(None, "answered_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(fk("customer.id"), index=True)
    callback_id: Mapped[Optional[int]] = mapped_column(fk("callback.id"), index=True)
    case_id: Mapped[Optional[int]] = mapped_column(fk("service_case.id"), index=True)
    handled_by_id: Mapped[Optional[int]] = mapped_column(fk("staff.id"), index=True)
    surveyed_by_id: Mapped[Optional[int]] = mapped_column(fk("staff.id"))
    satisfaction: Mapped[int]
    problem_solved: Mapped[Optional[bool]]
    nps: Mapped[Optional[int]]
    comment: Mapped[Optional[str]] = mapped_column(sa.Text)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)


class CallbackRule(Versioned, Base):
    __tablename__ = "callback_rule"
    id: Mapped[int] = mapped_column(primary_key=True)
    trigger: Mapped[CallbackTrigger] = mapped_column(Vocab(CallbackTrigger), unique=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    delay_days: Mapped[int]


# --- policies -------------------------------------------------------------------------------

class SlaPolicy(Versioned, Base):
    """First-response and resolution targets for one channel x kind x priority.

    kind / priority NULL = any; the most specific active row wins."""
    __tablename__ = "sla_policy"
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[Channel] = mapped_column(Vocab(Channel))
    kind: Mapped[Optional[CaseKind]] = mapped_column(Vocab(CaseKind))
    priority: Mapped[Optional[Priority]] = mapped_column(Vocab(Priority))
    first_response_seconds: Mapped[int]
    # a phone call is answered in wall-clock seconds; e-mail within business hours
    first_response_business_hours: Mapped[bool] = mapped_column(default=False)
    resolution_seconds: Mapped[int]
    resolution_business_hours: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)


class BusinessHours(Base):
    __tablename__ = "business_hours"
    weekday: Mapped[int] = mapped_column(primary_key=True)  # 0 = Monday
    opens: Mapped[time]
    closes: Mapped[time]


class Holiday(Base):
    """A closed day the admin added on top of the holiday country's public holidays,
    or (open = True) a working day the country's calendar would close."""
    __tablename__ = "holiday"
    day: Mapped[date] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    open: Mapped[bool] = mapped_column(default=False)


class AfterSalesPolicy(Versioned, Base):
    """Windows and warranty per product category; category '*' is the default."""
    __tablename__ = "after_sales_policy"
    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(sa.String(60), unique=True)
    return_window_days: Mapped[int]
    exchange_window_days: Mapped[int]
    warranty_months: Mapped[int]
    proof_of_purchase_required: Mapped[bool] = mapped_column(default=True)


class Setting(Versioned, Base):
    """Small named policy values (refund approval threshold, holiday country, ...)."""
    __tablename__ = "setting"
    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[dict | list | str | int | float | bool | None] = mapped_column(sa.JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[Optional[int]] = mapped_column(fk("staff.id"))


class CannedReply(Versioned, Base):
    __tablename__ = "canned_reply"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    category: Mapped[Optional[CaseCategory]] = mapped_column(Vocab(CaseCategory))
    language: Mapped[Language] = mapped_column(Vocab(Language))
    body: Mapped[str] = mapped_column(sa.Text)  # may hold {agent_name}, {customer_name}
    active: Mapped[bool] = mapped_column(default=True)


class MessageTemplate(Versioned, Base):
    __tablename__ = "message_template"
    __table_args__ = (sa.UniqueConstraint("key", "language", "channel"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(60))  # order_confirmation, shipping_notice, ...
    language: Mapped[Language] = mapped_column(Vocab(Language))
    channel: Mapped[MessageChannel] = mapped_column(Vocab(MessageChannel))
    subject: Mapped[Optional[str]] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)


class OutboxMessage(Base):
    __tablename__ = "outbox_message"
    __table_args__ = (sa.Index(None, "status", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[Optional[int]] = mapped_column(fk("service_case.id"), index=True)
    customer_id: Mapped[int] = mapped_column(fk("customer.id"), index=True)
    channel: Mapped[MessageChannel] = mapped_column(Vocab(MessageChannel))
    to_address: Mapped[str] = mapped_column(sa.String(254))
    template_key: Mapped[Optional[str]] = mapped_column(sa.String(60))
    subject: Mapped[Optional[str]] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[OutboxStatus] = mapped_column(Vocab(OutboxStatus),
                                                 default=OutboxStatus.NOT_SENT)
    created_by_id: Mapped[Optional[int]] = mapped_column(fk("staff.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[Optional[datetime]]
    error: Mapped[Optional[str]] = mapped_column(sa.Text)


# --- audit ----------------------------------------------------------------------------------

class AuditEntry(Base):
    """Append-only (database triggers refuse UPDATE and DELETE): who, when, what, old -> new."""
    __tablename__ = "audit_log"
    __table_args__ = (sa.Index(None, "entity", "entity_id"), sa.Index(None, "actor_id", "at"),
                      sa.Index(None, "at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[Optional[int]] = mapped_column(fk("staff.id"))
    action: Mapped[str] = mapped_column(sa.String(60))
    entity: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[Optional[str]] = mapped_column(sa.String(40))
    old: Mapped[Optional[dict]] = mapped_column(sa.JSON)
    new: Mapped[Optional[dict]] = mapped_column(sa.JSON)


# the rollup's triggers and the case's shop day ride on these models
from db import rollups as _rollups  # noqa: E402,F401
