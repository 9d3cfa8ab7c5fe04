"""Customers, products and staff from an import file: the checked rows against the database
by natural key, new / updated / unchanged counted, and the bulk writes (orders with lines:
core.import_orders).

Natural keys: a customer by normalised phone, else e-mail (records merged into another are
left out, as everywhere in core.customers); a product by SKU; a staff member by username.
A cell left blank means "no value given": a new record gets the default, an existing one
keeps what it has.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core import callback_rules, search_keys
from core.auth import unmatchable_hash
from core.i18n import N_
from core.import_orders import plan_orders
from core.import_rules import ImportKind, ParsedRow, RowProblem
from core.import_store import (
    CHUNK, IN_CHUNK, Plan, changed_fields, chunks, ids_of, insert_rows, lookup, problem,
    update_rows,
)
from core.vocabulary import CustomerTier, Language
from db.models import Customer, Product, Staff, StaffRole, StaffSkill


# --- customers ----------------------------------------------------------------------------------

CUSTOMER_COLUMNS = ("name", "phone", "phone_normalized", "email", "email_normalized",
                    "name_key", "name_last_key", "tier", "marketing_consent",
                    "consent_changed_at", "language", "address", "city")


@dataclass
class CustomerPlan(Plan):
    inserts: list[dict] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)
    # (customer id, tier, consent) before and after, for the callback rules
    moved: list[tuple[int, CustomerTier, bool, CustomerTier, bool]] = field(default_factory=list)

    def write(self, session, actor, now, step):
        total = max(len(self.inserts) + len(self.updates), 1)
        done = 0
        for part in chunks(self.inserts, CHUNK):
            insert_rows(session, Customer, part)
            done += len(part)
            step(done / total)
        update_rows(session, Customer, CUSTOMER_COLUMNS, self.updates, now)
        uow = SimpleNamespace(session=session)
        for cid, old_tier, old_consent, tier, consent in self.moved:
            state = SimpleNamespace(id=cid, tier=tier, marketing_consent=consent)
            callback_rules.on_customer_changed(uow, actor, state, old_tier, old_consent, now)
        step(1.0)


def _customer_values(name, phone, phone_e164, email, tier, consent, consent_at, language,
                     address, city) -> dict:
    return {"name": name, "phone": phone, "phone_normalized": phone_e164, "email": email,
            "email_normalized": search_keys.email_key(email),
            "name_key": search_keys.name_key(name),
            "name_last_key": search_keys.name_last_key(name), "tier": tier,
            "marketing_consent": consent, "consent_changed_at": consent_at,
            "language": language, "address": address, "city": city}


def plan_customers(session: Session, rows: list[ParsedRow], mapping: Mapping[str, str],
                   problems: list[RowProblem], now: datetime) -> CustomerPlan:
    plan = CustomerPlan()
    col_phone, col_email = mapping.get("phone"), mapping.get("email")
    first_phone: dict[str, int] = {}
    first_email: dict[str, int] = {}
    for r in rows:
        phone, mail = r.values.get("phone"), r.values.get("email")
        if phone:
            first = first_phone.setdefault(phone[1], r.row)
            if first != r.row:
                problem(problems, r, col_phone, N_("Row {first} has the same phone number "
                                                   "{phone}."), first=first, phone=phone[1])
                continue
        if mail:
            first = first_email.setdefault(mail, r.row)
            if first != r.row:
                problem(problems, r, col_email, N_("Row {first} has the same e-mail address "
                                                   "{email}."), first=first, email=mail)
    good = [r for r in rows if not r.bad]
    columns = (Customer.id, Customer.version, *(getattr(Customer, c) for c in CUSTOMER_COLUMNS))
    live = Customer.merged_into_id.is_(None)
    by_phone: dict[str, sa.Row] = {}
    by_email: dict[str, sa.Row] = {}
    for row in lookup(session, columns, Customer.phone_normalized,
                      (r.values["phone"][1] for r in good if "phone" in r.values), live):
        by_phone.setdefault(row.phone_normalized, row)
    for row in lookup(session, columns, Customer.email_normalized,
                      (r.values.get("email") for r in good), live):
        by_email.setdefault(row.email_normalized, row)

    claimed: dict[int, int] = {}
    for r in good:
        v = r.values
        phone, mail = v.get("phone"), v.get("email")
        a = by_phone.get(phone[1]) if phone else None
        b = by_email.get(mail) if mail else None
        if a is not None and b is not None and a.id != b.id:
            problem(problems, r, col_email, N_(
                "The phone number {phone} belongs to customer #{customer_id}, the e-mail "
                "address {email} to customer #{other_id}."),
                phone=phone[1], customer_id=a.id, email=mail, other_id=b.id)
            continue
        if a is None and b is not None and phone and b.phone_normalized:
            problem(problems, r, col_email, N_(
                "The e-mail address {email} belongs to customer #{customer_id}, whose phone "
                "number is different."), email=mail, customer_id=b.id)
            continue
        target = a or b
        if target is None:
            consent = v.get("marketing_consent", False)
            plan.inserts.append({
                **_customer_values(v["name"], phone[0] if phone else None,
                                   phone[1] if phone else None, mail,
                                   v.get("tier", CustomerTier.REGULAR), consent,
                                   now if consent else None,
                                   v.get("language", Language.ZH_CN), v.get("address"),
                                   v.get("city")),
                "version": 1, "created_at": now, "updated_at": now})
            plan.new += 1
            continue
        first = claimed.setdefault(target.id, r.row)
        if first != r.row:
            problem(problems, r, col_phone or col_email, N_(
                "Row {first} already imports customer #{customer_id}: a customer can be in "
                "the file only once."), first=first, customer_id=target.id)
            continue
        changes = changed_fields(target, v, ("name", "tier", "marketing_consent", "language",
                                       "address", "city"))
        if phone and target.phone_normalized != phone[1]:
            changes["phone"], changes["phone_normalized"] = phone
        if mail and target.email_normalized != mail:
            changes["email"] = mail
        if not changes:
            plan.unchanged += 1
            continue
        merged = {c: getattr(target, c) for c in CUSTOMER_COLUMNS}
        merged.update(changes)
        if "marketing_consent" in changes:
            merged["consent_changed_at"] = now
        merged.update(_customer_values(
            merged["name"], merged["phone"], merged["phone_normalized"], merged["email"],
            merged["tier"], merged["marketing_consent"], merged["consent_changed_at"],
            merged["language"], merged["address"], merged["city"]))
        plan.updates.append({"b_id": target.id, "b_version": target.version,
                             **{f"v_{c}": merged[c] for c in CUSTOMER_COLUMNS}})
        if "tier" in changes or "marketing_consent" in changes:
            plan.moved.append((target.id, target.tier, target.marketing_consent,
                               merged["tier"], merged["marketing_consent"]))
        plan.updated += 1
    return plan


# --- products -----------------------------------------------------------------------------------

PRODUCT_COLUMNS = ("name", "name_zh", "category", "model", "price_cents", "warranty_months",
                   "return_window_days", "exchange_window_days", "specs", "in_stock", "active")


@dataclass
class ProductPlan(Plan):
    inserts: list[dict] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)

    def write(self, session, actor, now, step):
        total = max(len(self.inserts), 1)
        for i, part in enumerate(chunks(self.inserts, CHUNK), start=1):
            insert_rows(session, Product, part)
            step(min(i * CHUNK / total, 1.0))
        update_rows(session, Product, PRODUCT_COLUMNS, self.updates, now)
        step(1.0)


def plan_products(session: Session, rows: list[ParsedRow], mapping: Mapping[str, str],
                  problems: list[RowProblem], now: datetime) -> ProductPlan:
    plan = ProductPlan()
    first_sku: dict[str, int] = {}
    for r in rows:
        sku = r.values.get("sku")
        if sku:
            first = first_sku.setdefault(sku, r.row)
            if first != r.row:
                problem(problems, r, mapping.get("sku"),
                        N_("Row {first} has the same SKU {sku}."), first=first, sku=sku)
    good = [r for r in rows if not r.bad]
    columns = (Product.id, Product.version, Product.sku,
               *(getattr(Product, c) for c in PRODUCT_COLUMNS))
    existing = {row.sku: row for row in lookup(session, columns, Product.sku,
                                                (r.values["sku"] for r in good))}
    for r in good:
        v = dict(r.values)
        if "price" in v:
            v["price_cents"] = v.pop("price")
        current = existing.get(v["sku"])
        if current is None:
            plan.inserts.append({
                "sku": v["sku"], **{c: v.get(c) for c in PRODUCT_COLUMNS},
                "in_stock": v.get("in_stock", True), "active": v.get("active", True),
                "version": 1, "created_at": now, "updated_at": now})
            plan.new += 1
            continue
        changes = changed_fields(current, v, PRODUCT_COLUMNS)
        if not changes:
            plan.unchanged += 1
            continue
        merged = {c: changes.get(c, getattr(current, c)) for c in PRODUCT_COLUMNS}
        plan.updates.append({"b_id": current.id, "b_version": current.version,
                             **{f"v_{c}": merged[c] for c in PRODUCT_COLUMNS}})
        plan.updated += 1
    return plan


# --- staff --------------------------------------------------------------------------------------

STAFF_COLUMNS = ("display_name", "email", "language")


@dataclass
class StaffPlan(Plan):
    inserts: list[tuple[dict, frozenset, frozenset]] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)
    skill_changes: list[tuple[int, frozenset]] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    def write(self, session, actor, now, step):
        password_hash = unmatchable_hash()
        for part in chunks(self.inserts, CHUNK):
            rows = [{**row, "password_hash": password_hash} for row, _r, _s in part]
            insert_rows(session, Staff, rows)
            ids = ids_of(session, Staff, "username", [row["username"] for row in rows])
            insert_rows(session, StaffRole, [{"staff_id": ids[row["username"]], "role": role}
                                             for row, roles, _s in part
                                             for role in sorted(roles)])
            insert_rows(session, StaffSkill, [{"staff_id": ids[row["username"]], "skill": s}
                                              for row, _r, skills in part
                                              for s in sorted(skills)])
        step(0.5)
        update_rows(session, Staff, STAFF_COLUMNS, self.updates, now)
        for staff_id, skills in self.skill_changes:
            session.execute(sa.delete(StaffSkill).where(StaffSkill.staff_id == staff_id))
            insert_rows(session, StaffSkill, [{"staff_id": staff_id, "skill": s}
                                              for s in sorted(skills)])
        step(1.0)


def plan_staff(session: Session, rows: list[ParsedRow], mapping: Mapping[str, str],
               problems: list[RowProblem], now: datetime) -> StaffPlan:
    plan = StaffPlan()
    first_name: dict[str, int] = {}
    for r in rows:
        name = r.values.get("username")
        if name:
            first = first_name.setdefault(name, r.row)
            if first != r.row:
                problem(problems, r, mapping.get("username"),
                        N_("Row {first} has the same username {username}."),
                        first=first, username=name)
    good = [r for r in rows if not r.bad]
    existing = {row.username: row for row in lookup(
        session, (Staff.id, Staff.version, Staff.username, Staff.display_name, Staff.email,
                  Staff.language), Staff.username, (r.values["username"] for r in good))}
    roles: dict[int, set] = {}
    skills: dict[int, set] = {}
    ids = [row.id for row in existing.values()]
    for part in chunks(ids, IN_CHUNK):
        for sid, role in session.execute(sa.select(StaffRole.staff_id, StaffRole.role)
                                         .where(StaffRole.staff_id.in_(part))):
            roles.setdefault(sid, set()).add(role)
        for sid, skill in session.execute(sa.select(StaffSkill.staff_id, StaffSkill.skill)
                                          .where(StaffSkill.staff_id.in_(part))):
            skills.setdefault(sid, set()).add(skill)
    for r in good:
        v = r.values
        current = existing.get(v["username"])
        if current is None:
            plan.inserts.append(({
                "username": v["username"], "display_name": v["display_name"],
                "email": v.get("email"), "language": v.get("language", Language.EN),
                "active": True, "must_change_password": True, "password_changed_at": now,
                "version": 1, "created_at": now, "updated_at": now},
                v["roles"], v.get("skills", frozenset())))
            plan.created.append(v["username"])
            plan.new += 1
            continue
        if "roles" in v and frozenset(roles.get(current.id, ())) != v["roles"]:
            problem(problems, r, mapping.get("roles"), N_(
                "{username} already exists with other roles ({roles}). Roles of an existing "
                "account are changed on the Staff tab, not by an import."),
                username=current.username,
                roles=", ".join(sorted(str(x) for x in roles.get(current.id, ()))))
            continue
        changes = changed_fields(current, v, STAFF_COLUMNS)
        new_skills = v.get("skills")
        skills_changed = new_skills is not None and new_skills != skills.get(current.id, set())
        if not changes and not skills_changed:
            plan.unchanged += 1
            continue
        merged = {c: changes.get(c, getattr(current, c)) for c in STAFF_COLUMNS}
        plan.updates.append({"b_id": current.id, "b_version": current.version,
                             **{f"v_{c}": merged[c] for c in STAFF_COLUMNS}})
        if skills_changed:
            plan.skill_changes.append((current.id, new_skills))
        plan.changed.append(current.username)
        plan.updated += 1
    return plan


PLANNERS = {ImportKind.CUSTOMERS: plan_customers, ImportKind.PRODUCTS: plan_products,
            ImportKind.ORDERS: plan_orders, ImportKind.STAFF: plan_staff}
