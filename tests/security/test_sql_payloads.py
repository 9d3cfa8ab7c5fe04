"""SQL payloads in search boxes, ids and sort keys, through the services on the real database
(SQLite, or PostgreSQL with DATABASE_URL): every one is either taken as literal text (the
result is exactly what a literal search gives: '%' matches a percent sign, not everything) or
refused with a domain error; no other error, and every table keeps its rows."""
from __future__ import annotations

import unicodedata
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from core import (
    aftersales, analytics, audit_log, callbacks, cases, complaints, customers, data_exports,
    products, queue,
)
from core.clock import utcnow
from core.errors import DomainError, NotFound, ValidationError
from core.search_keys import email_key, name_key, name_last_key
from core.vocabulary import Role
from db.models import AuditEntry, Base, Case, Customer, Product

from tests.conftest import add_staff

pytestmark = pytest.mark.casebook("Injection")

# what people (or a script) type into a search box
TEXT_PAYLOADS = [
    "' OR 1=1 --", "' OR '1'='1", "'; DROP TABLE service_case; --", "'; DROP TABLE cases; --",
    "\"; DELETE FROM customer; --", "1 UNION SELECT id, username, password_hash FROM staff --",
    "x' UNION SELECT password_hash FROM staff --", "1; SELECT pg_sleep(5)", "1) OR (1=1",
    "' || (SELECT password_hash FROM staff LIMIT 1) || '", "%", "%%", "_", "__", "\\", "\\%",
    "%' --", "a%b", "/", "//", "/%", "*", "[a-z]%", "O'Brien", "'", "''", "\"", "`", ";",
    "--", "/*", "*/", "\x00", "a\x00b", "' OR 1=1\x00", "x" * 10_000, "%" * 200, "_" * 200,
    "²", "٣", "9" * 40, "１２", "Wang%", "wang_", "%fang", "Back\\", "100%", "snake_case",
    "\ud800", "lee", "\t%\n",
]
# what a URL or a tampered widget may send where a record's id belongs
ID_PAYLOADS = [
    "1 OR 1=1", "1; DROP TABLE service_case", "' OR ''='", "%", "_", "\\", "1 UNION SELECT 1",
    "\x00", "1\x00", "", " ", "abc", "1e3", "0x10", "²", "１", "+1", "1.0", "-1", "0",
    "99999999999999999999", 2**31, 2**63, -(2**63), 10**30, -1, 0, True, 1.5, float("nan"),
    None, [1], {"id": 1}, b"1",
]
SORT_PAYLOADS = [
    "created_at", "id DESC", "subject", "newest; DROP TABLE service_case; --",
    "urgent' OR 1=1 --", "(SELECT 1)", "1", "", "NEWEST", " newest", "%", None, "due",
]


def table_counts(uow) -> dict[str, int]:
    """Rows per table of the schema (the audit log apart: reads of personal data are
    audited, so it may grow)."""
    with uow.reader() as r:
        return {t.name: r.session.scalar(sa.select(sa.func.count()).select_from(t))
                for t in Base.metadata.sorted_tables if t.name != AuditEntry.__tablename__}


def table_names(uow) -> set[str]:
    with uow.reader() as r:
        return set(sa.inspect(r.session.connection()).get_table_names())


class Attempts:
    """Runs calls and notes every error that is not a domain error."""

    def __init__(self):
        self.count = 0
        self.failures: list[str] = []

    def run(self, what: str, payload, call):
        self.count += 1
        try:
            return call()
        except DomainError as e:
            return e
        except Exception as e:     # noqa: BLE001 - the point: nothing else may escape
            self.failures.append(f"{what}({payload!r:.60}): {type(e).__name__}: {e!s:.160}")
            return e

    def check(self):
        assert not self.failures, "\n".join(self.failures)


@pytest.fixture
def desk(uow):
    """Staff, customers, products and open cases whose texts hold the characters the
    payloads play with (%, _, \\, a quote), so that a literal search has something to find."""
    agent = add_staff(uow, "agent", Role.AGENT)
    supervisor = add_staff(uow, "supervisor", Role.SUPERVISOR)
    admin = add_staff(uow, "admin", Role.ADMIN)
    analyst = add_staff(uow, "analyst", Role.ANALYST)
    people = [("Wang Fang", "13812345601", "wang.fang@example.com"),
              ("%Percent Lee", "13812345602", "percent%lee@example.com"),
              ("Under_Score Chen", "13812345603", "under_score@example.com"),
              ("Back\\Slash Zhou", "13812345604", None),
              ("O'Brien Sean", "13812345605", "o'brien@example.com"),
              ("Li Wei", "13812345606", "li.wei@example.com")]
    ids = [customers.create_customer(uow, agent, name=n, phone=p, email=e)
           for n, p, e in people]
    with uow:
        uow.session.add_all([
            Product(sku="KT-100", name="Kettle 100% steel", category="appliance",
                    price_cents=19900),
            Product(sku="KT_200", name="Kettle_Pro", category="appliance", price_cents=29900),
            Product(sku="RC-1", name="Rice Cooker", name_zh="电饭煲", category="appliance",
                    price_cents=39900),
            Product(sku="BS\\1", name="Back\\slash blender", category="appliance",
                    price_cents=9900),
            Product(sku="QT'1", name="O'Brien's toaster", category="appliance",
                    price_cents=4900)])
        uow.commit()
    subjects = ["Refund 100% now", "snake_case subject", "path\\to\\file", "O'Brien's kettle",
                "Plain question", "' OR 1=1 -- as typed by the customer", "a/b 50%_off"]
    for i, subject in enumerate(subjects):
        cases.open_case(uow, agent, customer_id=ids[i % len(ids)], channel="phone",
                        kind="inquiry", category="product_info", subject=subject,
                        question="What about it?", next_step="Call back tomorrow",
                        notify_customer=False)
    return {"agent": agent, "supervisor": supervisor, "admin": admin, "analyst": analyst,
            "customers": ids}


# --- what a literal search finds (the oracles) ---------------------------------------------

def literal_cases(uow, needle: str) -> set[int]:
    """Open cases whose subject contains the text (or whose number it is)."""
    needle = needle.strip()[:100]
    with uow.reader() as r:
        rows = r.session.execute(sa.select(Case.id, Case.subject)).all()
    return {i for i, subject in rows
            if needle in subject or (needle.isascii() and needle.isdigit()
                                     and i == int(needle))}


def literal_products(uow, needle: str) -> set[int]:
    needle = needle.strip()[:100]
    with uow.reader() as r:
        rows = r.session.execute(sa.select(Product.id, Product.sku, Product.model,
                                           Product.name, Product.name_zh)).all()
    low = needle.lower()
    return {i for i, sku, model, name, name_zh in rows
            if sku.lower().startswith(low) or (model or "").lower().startswith(low)
            or low in name.lower() or needle in (name_zh or "")}


def literal_customers(uow, query: str) -> set[int]:
    """What the customer search promises, as plain string comparisons: prefixes of the
    phone (as typed), order number, e-mail, name or the name's last word."""
    q = unicodedata.normalize("NFKC", query.strip()[:customers.QUERY_MAX]).strip()
    q = q[:customers.QUERY_MAX]
    if not q:
        return set()
    with uow.reader() as r:
        rows = r.session.execute(sa.select(Customer.id, Customer.name, Customer.email,
                                           Customer.phone_normalized)).all()
    found = set()
    has_digit = any(ch.isdigit() for ch in q)
    phone_like = bool(customers._PHONE_QUERY_RE.match(q))
    if has_digit and phone_like:
        prefixes, _full = customers._phone_prefixes(q)
        found |= {i for i, _n, _e, phone in rows if any(phone.startswith(p) for p in prefixes)}
    if not phone_like and not any(ch.isspace() for ch in q):
        key = email_key(q)
        found |= {i for i, _n, email, _p in rows if email and email.startswith(key)}
    if "@" not in q and not has_digit:
        key = name_key(q)
        if key:
            found |= {i for i, name, _e, _p in rows if name_key(name).startswith(key)
                      or (" " not in key and (name_last_key(name) or "").startswith(key))}
    return found   # (the desk has no orders: an order-number search finds nothing)


def refused_as_unsearchable(payload: str) -> bool:
    text = payload.strip()
    return "\x00" in text or any(0xD800 <= ord(ch) <= 0xDFFF for ch in text)


# --- the cases -----------------------------------------------------------------------------

def test_search_boxes_take_sql_payloads_as_literal_text(uow, desk, tried):
    """SQL payloads typed into the customer, case queue, product and duplicate searches are
    compared as literal text: '%' finds a percent sign, not every record."""
    before, tables = table_counts(uow), table_names(uow)
    agent = desk["agent"]
    runs = Attempts()
    for p in TEXT_PAYLOADS:
        hits = runs.run("search_customers", p, lambda: customers.search_customers(
            uow, agent, p, limit=100))
        if refused_as_unsearchable(p):
            assert isinstance(hits, ValidationError), (p, hits)
        elif not isinstance(hits, Exception):
            assert {h.id for h in hits} == literal_customers(uow, p), p
        else:
            assert not isinstance(hits, DomainError), (p, hits)   # a search, not an error

        page = runs.run("case_queue", p, lambda: queue.case_queue(
            uow, agent, scope="team", text=p, page_size=100))
        if refused_as_unsearchable(p[:100]):
            assert isinstance(page, ValidationError), (p, page)
        elif not isinstance(page, Exception):
            assert {row.id for row in page.rows} == literal_cases(uow, p), p
            assert page.total == len(page.rows)
        else:
            assert not isinstance(page, DomainError), (p, page)

        found = runs.run("find_products", p, lambda: products.find_products(uow, agent, p,
                                                                             limit=100))
        if refused_as_unsearchable(p[:100]):
            assert isinstance(found, ValidationError), (p, found)
        elif not isinstance(found, Exception):
            assert {x.id for x in found} == literal_products(uow, p), p
        else:
            assert not isinstance(found, DomainError), (p, found)

        dupes = runs.run("likely_duplicates", p, lambda: customers.likely_duplicates(
            uow, agent, p, p, p))
        assert not isinstance(dupes, DomainError) or isinstance(dupes, ValidationError), p
    runs.check()
    tried(runs.count)
    # the payloads that look like wildcards found only what holds them literally
    assert literal_customers(uow, "%") == {desk["customers"][1]}
    assert {h.id for h in customers.search_customers(uow, agent, "%")} == {desk["customers"][1]}
    assert {r.id for r in queue.case_queue(uow, agent, scope="team", text="%").rows} == \
        literal_cases(uow, "%") != set()
    assert queue.case_queue(uow, agent, scope="team", text="_").total == 2
    assert {x.name for x in products.find_products(uow, agent, "%")} == {"Kettle 100% steel"}
    assert table_counts(uow) == before and table_names(uow) == tables


def test_audit_log_and_export_filters_compare_payloads_literally(uow, desk, tried):
    """SQL payloads in the audit log's and the data export's text filters match only entries
    holding exactly that text, and are never run."""
    before, tables = table_counts(uow), table_names(uow)
    supervisor, admin = desk["supervisor"], desk["admin"]
    with uow.reader() as r:
        stored = r.session.execute(sa.select(AuditEntry.entity, AuditEntry.entity_id,
                                             AuditEntry.action)).all()
    runs = Attempts()
    for p in TEXT_PAYLOADS:
        text = p.strip()
        literal = bool(text) and len(text) <= audit_log.TEXT_MAX and not \
            refused_as_unsearchable(p)
        for name, filters, expected in (
                ("entity", audit_log.AuditFilters(entity=p),
                 sum(1 for e, _i, _a in stored if e == text)),
                ("entity_id", audit_log.AuditFilters(entity="customer", entity_id=p),
                 sum(1 for e, i, _a in stored if e == "customer" and i == text)),
                ("actions", audit_log.AuditFilters(actions=(p,)),
                 sum(1 for _e, _i, a in stored if a == text))):
            page = runs.run(f"audit_log.entries[{name}]", p, lambda: audit_log.entries(
                uow, supervisor, filters, limit=200))
            if literal:
                assert isinstance(page, audit_log.AuditPage), (name, p, page)
                assert len(page.rows) == expected, (name, p)
            elif text:
                assert isinstance(page, ValidationError), (name, p, page)
        preview = runs.run("data_exports.preview[cities]", p, lambda: data_exports.preview(
            uow, admin, "customers", data_exports.ExportFilters(cities=(p,))))
        if text and len(text) <= data_exports.CITY_MAX and not refused_as_unsearchable(p):
            assert isinstance(preview, data_exports.ExportPreview), (p, preview)
            assert preview.total == 0, p        # nobody lives in a city called "%"
        elif text:
            assert isinstance(preview, ValidationError), (p, preview)
        chart = runs.run("analytics.headline[product_categories]", p, lambda: analytics.headline(
            uow, desk["analyst"], analytics.Filters(date.today() - timedelta(days=7),
                                                    date.today(), product_categories=(p,))))
        assert isinstance(chart, (dict, ValidationError)), (p, chart)
        if isinstance(chart, dict):
            assert chart["created"] == 0, p     # no product has such a category
    runs.check()
    tried(runs.count)
    assert table_counts(uow) == before and table_names(uow) == tables


def test_ids_that_are_text_or_out_of_range_find_nothing(uow, desk, tried):
    """A record id given as text, a SQL fragment, a number beyond the id column's range or
    any other type is refused or not found, by every lookup and write that takes one."""
    agent, supervisor, admin = desk["agent"], desk["supervisor"], desk["admin"]
    first_customer = desk["customers"][0]
    with uow.reader() as r:
        first_case = r.session.scalar(sa.select(sa.func.min(Case.id)))
    before, tables = table_counts(uow), table_names(uow)
    lookups = {
        "cases.get_case": lambda p: cases.get_case(uow, agent, p),
        "customers.customer_profile": lambda p: customers.customer_profile(uow, agent, p),
        "callbacks.get_callback": lambda p: callbacks.get_callback(uow, agent, p),
        "aftersales.request_view": lambda p: aftersales.request_view(uow, agent, p),
        "complaints.complaint_view": lambda p: complaints.complaint_view(uow, supervisor, p),
        "products.product_info": lambda p: products.product_info(uow, agent, p),
        "cases.add_note": lambda p: cases.add_note(uow, agent, p, "a note"),
        "customers.add_note": lambda p: customers.add_note(uow, agent, p, "a note"),
        "callbacks.claim": lambda p: callbacks.claim(uow, agent, p),
    }
    filters = {
        "queue.owner_id": lambda p: queue.case_queue(uow, supervisor, scope="team",
                                                     owner_id=p),
        "queue.page": lambda p: queue.case_queue(uow, agent, scope="team", page=p),
        "queue.page_size": lambda p: queue.case_queue(uow, agent, scope="team", page_size=p),
        "audit_log.staff_id": lambda p: audit_log.entries(
            uow, supervisor, audit_log.AuditFilters(staff_id=p)),
        "audit_log.before_id": lambda p: audit_log.entries(
            uow, supervisor, audit_log.AuditFilters(), before_id=p),
        "data_exports.owner_ids": lambda p: data_exports.preview(
            uow, admin, "cases", data_exports.ExportFilters(owner_ids=(p,))),
        "data_exports.store_ids": lambda p: data_exports.preview(
            uow, admin, "orders", data_exports.ExportFilters(store_ids=(p,))),
        "analytics.agent_ids": lambda p: analytics.headline(
            uow, desk["analyst"], analytics.Filters(date.today() - timedelta(days=7),
                                                    date.today(), agent_ids=(p,))),
    }
    runs = Attempts()
    for p in ID_PAYLOADS:
        for name, call in lookups.items():
            result = runs.run(name, p, lambda: call(p))
            if isinstance(result, DomainError) or not isinstance(result, Exception):
                assert isinstance(result, (NotFound, ValidationError)), (name, p, result)
        for name, call in filters.items():
            runs.run(name, p, lambda: call(p))     # a result or a domain error
    runs.check()
    tried(runs.count)
    # the ids people really pass still work, as numbers or as their digits
    assert cases.get_case(uow, agent, first_case).id == first_case
    assert cases.get_case(uow, agent, str(first_case)).id == first_case
    assert customers.customer_profile(uow, agent, first_customer).id == first_customer
    assert table_counts(uow) == before and table_names(uow) == tables


def test_sort_keys_and_views_are_allow_listed(uow, desk, tried):
    """A sort order, view or grouping the code does not list (a column name, SQL text) is
    refused with a message naming the allowed ones; nothing the caller sends becomes SQL."""
    agent, analyst = desk["agent"], desk["analyst"]
    period = analytics.Filters(date.today() - timedelta(days=30), date.today())
    before = table_counts(uow)
    runs = Attempts()
    for p in SORT_PAYLOADS:
        result = runs.run("queue.order", p, lambda: queue.case_queue(uow, agent, scope="team",
                                                                     order=p))
        assert isinstance(result, ValidationError), (p, result)
        assert "newest, urgent" in str(result) and "Unknown sort order" in str(result)
        for name, call in (
                ("queue.scope", lambda: queue.case_queue(uow, agent, scope=p)),
                ("queue.sla_filter", lambda: queue.case_queue(uow, agent, sla_filter=p or "x")),
                ("analytics.breakdown", lambda: analytics.breakdown(uow, analyst, period,
                                                                    by=p)),
                ("analytics.volume", lambda: analytics.volume(uow, analyst, period, grain=p)),
                ("callbacks.scope", lambda: callbacks.callback_queue(uow, agent, scope=p)),
                ("callbacks.bucket", lambda: callbacks.callback_queue(uow, agent, bucket=p))):
            result = runs.run(name, p, call)
            assert isinstance(result, ValidationError), (name, p, result)
    runs.check()
    tried(runs.count)
    # the listed orders sort as they say
    newest = queue.case_queue(uow, agent, scope="team", order="newest", page_size=100).rows
    assert [(r.created_at, r.id) for r in newest] == sorted(
        ((r.created_at, r.id) for r in newest), reverse=True)
    urgent = queue.case_queue(uow, agent, scope="team", order="urgent", page_size=100).rows
    far = utcnow() + timedelta(days=36_500)
    assert [(r.next_due_at or far, r.id) for r in urgent] == sorted(
        (r.next_due_at or far, r.id) for r in urgent)
    assert table_counts(uow) == before


def test_free_text_with_a_nul_byte_is_refused_not_stored_or_crashing(uow, desk, tried):
    """Text holding a NUL byte (which PostgreSQL cannot store) is refused with a clear
    message by the writes that take free text, on both databases alike."""
    agent = desk["agent"]
    customer = desk["customers"][0]
    with uow.reader() as r:
        case_id, version = r.session.execute(sa.select(Case.id, Case.version)
                                             .order_by(Case.id)).first()
    before = table_counts(uow)
    writes = {
        "customers.add_note": lambda t: customers.add_note(uow, agent, customer, t),
        "customers.create_customer": lambda t: customers.create_customer(
            uow, agent, name=t, phone="13912345678"),
        "cases.add_note": lambda t: cases.add_note(uow, agent, case_id, t),
        "cases.reply": lambda t: cases.reply(uow, agent, case_id, t, version),
        "cases.open_case": lambda t: cases.open_case(
            uow, agent, customer_id=customer, channel="phone", kind="inquiry",
            category="product_info", subject=t, question=t, next_step="Call back"),
    }
    runs = Attempts()
    for text in ("\x00", "a\x00b", "' OR 1=1 --\x00", "\ud800", "ok\udfff"):
        for name, write in writes.items():
            result = runs.run(name, text, lambda: write(text))
            assert isinstance(result, ValidationError), (name, text, result)
    runs.check()
    tried(runs.count)
    assert table_counts(uow) == before
