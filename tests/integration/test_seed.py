"""The demo seed: right accounts, plausible volumes, same seed same data, never doubles data.

Runs on DATABASE_URL when it names PostgreSQL (schema public of that database and of a
"<name>_twin" database are dropped and recreated), otherwise on temporary SQLite files.
"""
from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from core.auth import check_password
from core.errors import InvalidState
from core.vocabulary import CaseStatus, Channel, CustomerTier, Language, Role
from db.migrate import upgrade
from db.models import Base, Case, Customer, Store
from db.seed import seed_demo
from db.session import make_engine

PASSWORD = "Demo-desk-2026"
NOW = datetime(2026, 11, 25)
DEMO_ROLES = {"admin": Role.ADMIN, "supervisor": Role.SUPERVISOR,
              "supervisor2": Role.SUPERVISOR, "agent": Role.AGENT, "agent2": Role.AGENT,
              "technician": Role.TECHNICIAN, "analyst": Role.ANALYST}
# tables whose every row must come out the same for the same seed (staff hashes are salted)
COMPARED = ["store", "product", "customer", "customer_order", "order_line", "service_case",
            "case_event", "complaint", "after_sales_request", "refund", "service_job",
            "callback", "call_attempt", "survey_answer"]


def _pg_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith("postgresql") else None


def _fresh(tmp_path_factory, name: str) -> sa.Engine:
    """An empty database migrated to head."""
    url = _pg_url()
    if url is None:
        engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('seed')}/{name}.db")
    else:
        if name != "main":
            url = _pg_database(url, f"{make_url(url).database}_{name}")
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    upgrade(engine)
    return engine


def _pg_database(url: str, database: str) -> str:
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :d"),
                           {"d": database}):
            conn.exec_driver_sql(f'CREATE DATABASE "{database}"')
    admin.dispose()
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def _counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.scalar(sa.select(sa.func.count()).select_from(t))
                for t in Base.metadata.sorted_tables}


def _fingerprint(engine) -> str:
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for name in COMPARED:
            for row in conn.execute(sa.text(f"SELECT * FROM {name} ORDER BY id")):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def _schema(engine) -> dict:
    inspector = sa.inspect(engine)
    as_text = lambda d: json.dumps(d, sort_keys=True, default=str)  # noqa: E731
    return {t: (sorted(map(as_text, inspector.get_indexes(t))),
                sorted(map(as_text, inspector.get_foreign_keys(t))))
            for t in inspector.get_table_names()}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    engine = _fresh(tmp_path_factory, "main")
    schema = _schema(engine)
    result = seed_demo(engine, "small", staff_password=PASSWORD, seed=7, now=NOW)
    yield engine, result, schema
    engine.dispose()


def test_indexes_and_foreign_keys_are_back_after_the_seed(seeded):
    engine, _, schema = seeded
    assert _schema(engine) == schema


def test_the_demo_accounts_have_their_roles_and_the_password(seeded):
    engine, result, _ = seeded
    assert result["staff_password"] == PASSWORD
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT s.username, s.password_hash, s.must_change_password, r.role "
            "FROM staff s JOIN staff_role r ON r.staff_id = s.id")).all()
    roles: dict[str, set[str]] = {}
    for username, _hash, _must, role in rows:
        roles.setdefault(username, set()).add(role)
    assert {u: roles[u] for u in DEMO_ROLES} == {u: {r.value} for u, r in DEMO_ROLES.items()}
    demo = [r for r in rows if r.username in DEMO_ROLES]
    assert not any(r.must_change_password for r in demo)
    assert len({r.password_hash for r in demo}) == 1  # hashed once
    assert check_password(PASSWORD, demo[0].password_hash)
    assert not check_password("wrong-password", demo[0].password_hash)


def test_volumes_are_in_the_expected_ranges(seeded):
    engine, result, _ = seeded
    counts = _counts(engine)
    for table, count in result["counts"].items():
        if table != "staff":
            assert counts[table] == count, table
    assert counts["customer"] == 2_000
    assert counts["customer_order"] == 5_000
    assert 1.6 <= counts["order_line"] / counts["customer_order"] <= 2.0
    assert counts["service_case"] == 3_000
    assert 1.8 <= counts["case_event"] / counts["service_case"] <= 3.0
    assert 0.06 <= counts["complaint"] / counts["service_case"] <= 0.10
    assert counts["investigation_request"] > 50
    assert 0.015 <= counts["after_sales_request"] / counts["customer_order"] <= 0.04
    for table in ("refund", "service_job", "service_report", "call_attempt", "compensation",
                  "maintenance_plan"):
        assert counts[table] > 10, table
    assert 0.08 <= counts["callback"] / counts["service_case"] <= 0.3
    assert counts["survey_answer"] > 100
    with engine.connect() as conn:
        queue = conn.scalar(sa.text(
            "SELECT count(*) FROM service_case WHERE status NOT IN ('resolved', 'closed')"))
        vip = conn.scalar(sa.text("SELECT avg(CASE WHEN tier = 'vip' THEN 1.0 ELSE 0 END) "
                                  "FROM customer"))
    assert queue > 0  # the last days leave work open
    assert 0.03 <= vip <= 0.07


def test_timelines_are_consistent(seeded):
    engine, _, _ = seeded
    with engine.connect() as conn:
        def bad(where: str) -> int:
            return conn.scalar(sa.text(f"SELECT count(*) FROM service_case WHERE {where}"))

        done = "status IN ('resolved', 'closed')"
        assert bad(f"{done} AND (resolved_at IS NULL OR resolved_at < created_at)") == 0
        assert bad(f"{done} AND (first_response_at IS NULL "
                   "OR first_response_at < created_at OR resolved_at < first_response_at)") == 0
        assert bad("status = 'closed' AND (closed_at IS NULL OR closed_at < resolved_at)") == 0
        assert bad("status NOT IN ('resolved', 'closed') AND resolved_at IS NOT NULL") == 0
        assert bad("status = 'new' AND first_response_at IS NOT NULL") == 0
        assert bad("first_response_breached <> (first_response_at > first_response_due_at) "
                   "AND first_response_at IS NOT NULL") == 0
        assert bad("resolution_breached <> (resolved_at > resolution_due_at) "
                   "AND resolved_at IS NOT NULL") == 0
        assert bad("status <> 'new' AND owner_id IS NULL") == 0
        fcr = conn.execute(sa.text(
            "SELECT avg(CASE WHEN first_contact_resolution THEN 1.0 ELSE 0 END) "
            f"FROM service_case WHERE kind = 'inquiry' AND {done}")).scalar()
        assert 0.45 <= fcr <= 0.75
        assert conn.scalar(sa.text(
            "SELECT count(*) FROM service_case c LEFT JOIN complaint p ON p.case_id = c.id "
            "WHERE c.kind = 'complaint' AND p.id IS NULL")) == 0
        assert conn.scalar(sa.text(
            "SELECT count(*) FROM order_line WHERE refunded_cents > paid_cents")) == 0
        assert conn.scalar(sa.text(
            "SELECT count(*) FROM (SELECT customer_id, purpose FROM callback WHERE "
            "status = 'open' GROUP BY customer_id, purpose HAVING count(*) > 1) x")) == 0


def test_the_orm_reads_seeded_rows(seeded):
    engine, _, _ = seeded
    with Session(engine) as session:
        case = session.scalars(sa.select(Case).where(Case.status == CaseStatus.CLOSED)
                               .order_by(Case.id).limit(1)).one()
        assert isinstance(case.status, CaseStatus) and isinstance(case.channel, Channel)
        assert isinstance(case.created_at, datetime) and isinstance(case.closed_at, datetime)
        assert case.created_at.tzinfo is None and case.created_at < NOW
        customer = session.get(Customer, case.customer_id)
        assert isinstance(customer.tier, CustomerTier)
        assert isinstance(customer.language, Language)
        assert customer.phone_normalized.startswith("+861") and len(customer.phone_normalized) == 14
        # a datetime comparison in SQL agrees with the stored text form on SQLite
        since = session.scalar(sa.select(sa.func.count()).select_from(Case)
                               .where(Case.created_at >= case.created_at))
        assert since == session.scalar(sa.select(sa.func.count()).select_from(Case)
                                       .where(Case.id >= case.id))


def test_the_orm_can_insert_after_the_seed(seeded):
    engine, _, _ = seeded
    with Session(engine) as session:
        before = session.scalar(sa.select(sa.func.max(Customer.id)))
        customer = Customer(name="New Customer", phone_normalized="+8613900000000")
        store = Store(code="NEW-1", name="New store")
        session.add_all([customer, store])
        session.flush()
        session.add(Case(kind="inquiry", channel="phone", category="other", subject="x",
                         customer_id=customer.id))
        session.flush()  # a sequence behind the seeded ids would collide here
        assert customer.id > before
        session.rollback()


def test_a_database_with_data_is_refused_and_left_alone(seeded):
    engine, _, _ = seeded
    before = _counts(engine)
    with pytest.raises(InvalidState):
        seed_demo(engine, "small", staff_password=PASSWORD, now=NOW)
    assert _counts(engine) == before


def test_an_existing_admin_is_kept_and_the_same_seed_gives_the_same_data(seeded,
                                                                          tmp_path_factory):
    engine, _, _ = seeded
    twin = _fresh(tmp_path_factory, "twin")
    try:
        with twin.begin() as conn:  # the first-run admin, made before the demo data
            conn.execute(sa.text(
                "INSERT INTO staff (username, display_name, password_hash, language, active, "
                "must_change_password, password_changed_at, created_at, updated_at) VALUES "
                "('admin', 'First Admin', 'kept', 'en', true, false, :t, :t, :t)"),
                {"t": NOW})
        result = seed_demo(twin, "small", staff_password=PASSWORD, seed=7, now=NOW)
        assert result["counts"]["staff"] == 6
        with twin.connect() as conn:
            assert conn.scalar(sa.text(
                "SELECT password_hash FROM staff WHERE username = 'admin'")) == "kept"
        assert _fingerprint(twin) == _fingerprint(engine)
    finally:
        twin.dispose()


def test_seeded_policy_reasons_read_like_live_ones(seeded):
    """Demo requests store their policy reasons as the live check does, so the request page
    explains them in either language."""
    from core.aftersales import explain
    from core.i18n import translator
    engine, _, _ = seeded
    with engine.connect() as conn:
        stored = conn.scalars(sa.text("SELECT policy_explanation FROM after_sales_request")).all()
    assert stored
    for raw in stored:
        english, chinese = explain(raw, translator("en")), explain(raw, translator("zh_CN"))
        assert english and len(english) == len(chinese) and english != chinese
