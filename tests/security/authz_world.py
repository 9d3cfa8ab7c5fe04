"""What the authorisation cases share: a database of their own for a whole module (a fresh one
per call would cost a second each on PostgreSQL), one person of every role to act, the
colleagues whose records they reach for, and makers of fresh records, so that every call
works on records nobody else's call has touched and the order of the cases never matters.

Also the snapshot the refused calls are checked against: every row of every table."""
from __future__ import annotations

import itertools
import shutil
import uuid
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from core import aftersales, callbacks, cases, complaints
from core.actor import Actor
from core.clock import utcnow
from core.uow import UnitOfWork
from core.vocabulary import Role
from db.models import (AuditEntry, Base, Customer, MaintenancePlan, Order, OrderLine, Product,
                       ServiceJob)
from db.session import make_engine
from tests.conftest import _pg_admin, add_staff

PAID = 100_000          # a line's price and what was paid for it: 1000.00
BIG_REFUND = 60_000     # above the default approval threshold of 500.00
SMALL_REFUND = 10_000   # below it

# who acts for each role; None is nobody logged in
ACTING = {Role.AGENT: "ann", Role.TECHNICIAN: "tom", Role.SUPERVISOR: "sue",
          Role.ANALYST: "ada", Role.ADMIN: "abe"}
# username: (roles, skills); bob, sam, tia and ali make the records the others reach for
PEOPLE = {
    "ann": ((Role.AGENT,), ()),
    "bob": ((Role.AGENT,), ()),
    "tom": ((Role.TECHNICIAN,), ("appliance",)),
    "tia": ((Role.TECHNICIAN,), ("phone",)),
    "sue": ((Role.SUPERVISOR,), ()),
    "sam": ((Role.SUPERVISOR,), ()),
    "ada": ((Role.ANALYST,), ()),
    "abe": ((Role.ADMIN,), ()),
    "ali": ((Role.ADMIN,), ()),
}


@contextmanager
def module_database(db_template, directory: Path):
    """An engine on a migrated database of its own (copied from the session's template)."""
    kind, where, template = db_template
    if kind == "postgresql":
        name = f"cd_authz_{uuid.uuid4().hex[:10]}"
        admin = _pg_admin(where)
        with admin.connect() as c:
            c.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        engine = make_engine(make_url(where).set(database=name).render_as_string(False))
        try:
            yield engine
        finally:
            engine.dispose()
            with admin.connect() as c:
                c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()
    else:
        path = directory / "authz.db"
        shutil.copyfile(where, path)
        engine = make_engine(f"sqlite:///{path}")
        try:
            yield engine
        finally:
            engine.dispose()


def snapshot(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    out = {}
    with engine.connect() as c:
        for table in Base.metadata.sorted_tables:
            out[table.name] = [tuple(row) for row in c.execute(
                sa.select(table).order_by(*table.primary_key.columns))]
    return out


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]


class World:
    """The shop the cases act in, and makers of fresh records in it."""

    def __init__(self, engine: Engine, tmp: Path) -> None:
        self.engine = engine
        self.uow = UnitOfWork(engine)
        self.tmp = tmp
        self._n = itertools.count(1)
        self.people = {name: add_staff(self.uow, name, *roles, skills=skills)
                       for name, (roles, skills) in PEOPLE.items()}
        with self.uow:
            kettle = Product(sku="AZ-KETTLE", name="Kettle", category="appliance",
                             price_cents=PAID, specs="1.7 l")
            toaster = Product(sku="AZ-TOAST", name="Toaster", category="appliance",
                              price_cents=PAID // 2)
            self.uow.session.add_all([kettle, toaster])
            self.uow.commit()
            self.product_id, self.other_product_id = kettle.id, toaster.id

    # --- people ---------------------------------------------------------------------------

    def actor_of(self, role: Role | None) -> Actor | None:
        return None if role is None else self.people[ACTING[role]]

    def __getitem__(self, name: str) -> Actor:
        return self.people[name]

    def n(self) -> int:
        return next(self._n)

    def staff_member(self, *roles: Role) -> Actor:
        return add_staff(self.uow, f"extra{self.n()}", *(roles or (Role.AGENT,)))

    def version(self, model, id_) -> int:
        with self.uow.reader() as r:
            return r.session.get(model, id_).version

    def get(self, model, id_):
        with self.uow.reader() as r:
            return r.session.get(model, id_)

    def audit_count(self) -> int:
        with self.uow.reader() as r:
            return r.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))

    def snapshot(self) -> dict[str, list[tuple]]:
        return snapshot(self.engine)

    # --- customers and orders -------------------------------------------------------------

    def customer(self, tier: str = "regular", consent: bool = False,
                 name: str | None = None) -> int:
        n = self.n()
        phone = f"+86139{n:08d}"
        with self.uow:
            c = Customer(name=name or f"Zhou Customer{n}", phone=phone, phone_normalized=phone,
                         email=f"customer{n}@example.com", language="en", tier=tier,
                         marketing_consent=consent, address=f"{n} Secret Road",
                         city="Shanghai")
            self.uow.session.add(c)
            self.uow.commit()
            return c.id

    def order(self, customer_id: int | None = None, state: str = "delivered",
              days_ago: int = 2, paid: int = PAID) -> dict:
        """An order of one kettle; {customer_id, order_id, line_id}."""
        customer_id = customer_id or self.customer()
        now = utcnow()
        with self.uow:
            order = Order(order_number=f"AZ{self.n():07d}", customer_id=customer_id,
                          channel="phone", state=state,
                          ordered_at=now - timedelta(days=days_ago + 2),
                          delivered_at=(now - timedelta(days=days_ago)
                                        if state == "delivered" else None),
                          confirmed_at=None if state == "pending" else now,
                          delivery_address="7 Secret Garden", total_cents=paid)
            order.lines = [OrderLine(product_id=self.product_id, quantity=1,
                                     unit_price_cents=paid, paid_cents=paid)]
            self.uow.session.add(order)
            self.uow.commit()
            return {"customer_id": customer_id, "order_id": order.id,
                    "line_id": order.lines[0].id, "version": order.version}

    # --- cases and complaints -------------------------------------------------------------

    def case(self, by: str = "bob", owner: str | int = "me", customer_id: int | None = None,
             kind: str = "inquiry", resolved: bool = False, **kw) -> int:
        receipt = cases.open_case(
            self.uow, self.people[by], customer_id=customer_id or self.customer(),
            channel="phone", kind=kind,
            category="complaint" if kind == "complaint" else "product_info",
            subject=kw.pop("subject", "Kettle question"), question="How hot does it get?",
            answer="Up to 100 degrees." if resolved else None, resolved_now=resolved,
            next_step=None if resolved else "We call back tomorrow.", owner=owner, **kw)
        return receipt.case_id

    def complaint(self, acknowledged: bool = True, by: str = "bob") -> tuple[int, int]:
        """(complaint id, case id) of a fresh complaint owned by `by`."""
        case_id = self.case(by=by, kind="complaint", notify_customer=acknowledged,
                            severity="minor", subject="Broken kettle")
        with self.uow.reader() as r:
            from db.models import Complaint
            return r.session.scalar(sa.select(Complaint.id).where(
                Complaint.case_id == case_id)), case_id

    def closable_complaint(self) -> tuple[int, int]:
        complaint_id, case_id = self.complaint()
        bob = self.people["bob"]
        complaints.set_root_cause(self.uow, bob, complaint_id, "product_defect")
        complaints.reply_to_customer(self.uow, bob, complaint_id, "phone", "A new kettle.")
        return complaint_id, case_id

    def compensation(self, by: str = "bob") -> int:
        complaint_id, _ = self.complaint()
        return complaints.propose_compensation(self.uow, self.people[by], complaint_id,
                                               "voucher", 5_000, "A voucher for the trouble")

    # --- after-sales ----------------------------------------------------------------------

    def request(self, kind: str = "repair", condition: str = "as_new",
                refund_cents: int | None = None, by: str = "bob",
                customer_id: int | None = None) -> int:
        line = self.order(customer_id)
        return aftersales.open_request(
            self.uow, self.people[by], order_line_id=line["line_id"], kind=kind,
            reason="It stopped heating", condition=condition, proof_of_purchase=True,
            refund_cents=refund_cents)

    def awaiting_repair(self, by: str = "bob") -> int:
        """A repair outside policy (damaged goods): waits for a supervisor."""
        return self.request("repair", "damaged", by=by)

    def awaiting_refund(self, by: str = "bob", cents: int = BIG_REFUND) -> int:
        """A refund above the threshold: waits for a supervisor."""
        return self.request("refund", "defective", refund_cents=cents, by=by)

    def job(self, technician: str = "tom", state: str = "assigned") -> int:
        """A repair job of `technician` in `state` (assigned, in_progress, quality_check,
        done); its request was filed inside policy and approved on the spot."""
        request_id = self.request("repair", "defective")
        with self.uow.reader() as r:
            job = r.session.scalar(sa.select(ServiceJob).where(
                ServiceJob.request_id == request_id))
            job_id, tech_id = job.id, job.technician_id
        tech = self.people[technician]
        if tech_id != tech.staff_id:
            aftersales.assign_job(self.uow, self.people["sam"], job_id, tech.staff_id,
                                  "mail_in", None)
        if state in ("in_progress", "quality_check", "done"):
            aftersales.start_job(self.uow, tech, job_id)
        if state in ("quality_check", "done"):
            aftersales.record_quality_check(self.uow, tech, job_id, True, "Heats to 100")
        if state == "done":
            aftersales.submit_report(self.uow, tech, job_id, "New element", "element", 30,
                                     2_000, 0)
        return job_id

    def request_of_job(self, job_id: int) -> int:
        return self.get(ServiceJob, job_id).request_id

    def report(self, review: str = "pending", technician: str = "tom") -> int:
        job_id = self.job(technician, "done")
        from db.models import ServiceReport
        with self.uow.reader() as r:
            report_id = r.session.scalar(sa.select(ServiceReport.id).where(
                ServiceReport.job_id == job_id))
        if review == "accepted":
            aftersales.review_report(self.uow, self.people["sam"], report_id, True)
        return report_id

    # --- callbacks ------------------------------------------------------------------------

    def callback(self, claimed_by: str | None = None, customer_id: int | None = None,
                 due_in: timedelta = timedelta(hours=3)) -> int:
        callback_id = callbacks.schedule_callback(
            self.uow, self.people["bob"], customer_id or self.customer(), "manual",
            utcnow() + due_in, topic="Delivery date")
        if claimed_by:
            callbacks.claim(self.uow, self.people[claimed_by], callback_id)
        return callback_id

    # --- customers' care plans ------------------------------------------------------------

    def care_plan(self) -> tuple[int, int]:
        from core import care_plans
        customer_id = self.customer(tier="vip")
        plan_id = care_plans.add_plan(self.uow, self.people["bob"], customer_id,
                                      "Descale the kettle", 90)
        return plan_id, self.version(MaintenancePlan, plan_id)

    # --- dates ----------------------------------------------------------------------------

    @staticmethod
    def today() -> date:
        return utcnow().date()

    def future_day(self) -> date:
        return self.today() + timedelta(days=30 + self.n() % 300)

    @staticmethod
    def soon(hours: int = 26) -> datetime:
        return utcnow() + timedelta(hours=hours)
