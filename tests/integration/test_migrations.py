"""Migrations bring an empty or older database to head, and head matches the models."""
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from db.migrate import current_revision, head_revision, upgrade
from db.models import Base
from db.session import make_engine
from tests.conftest import drop_everything


def test_head_matches_the_models(engine):
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                Base.metadata)
    assert diff == []


def test_default_policies_are_in_place(engine):
    with engine.connect() as conn:
        phone = conn.execute(sa.text(
            "SELECT first_response_seconds, first_response_business_hours FROM sla_policy "
            "WHERE channel = 'phone' AND kind IS NULL AND priority IS NULL")).one()
        assert tuple(phone) == (15, False)
        chat = conn.execute(sa.text(
            "SELECT first_response_seconds FROM sla_policy WHERE channel = 'chat' "
            "AND kind IS NULL AND priority IS NULL")).scalar()
        assert chat == 300
        window = conn.execute(sa.text(
            "SELECT return_window_days, exchange_window_days FROM after_sales_policy "
            "WHERE category = '*'")).one()
        assert tuple(window) == (7, 15)
        assert conn.execute(sa.text("SELECT count(*) FROM business_hours")).scalar() == 5


def test_an_older_database_is_brought_to_head_keeping_its_data(database_url):
    # start from a database at the first revision only, with a row in it
    eng = make_engine(database_url)
    drop_everything(eng)
    upgrade(eng, "4a5335da3a70")
    with eng.begin() as conn:
        conn.execute(sa.text("INSERT INTO store (code, name, active) VALUES ('S1', 'Shop', true)"))
    assert current_revision(eng) == "4a5335da3a70"
    upgrade(eng)
    assert current_revision(eng) == head_revision()
    with eng.connect() as conn:
        assert conn.execute(sa.text("SELECT name FROM store")).scalar() == "Shop"
        assert conn.execute(sa.text("SELECT count(*) FROM sla_policy")).scalar() > 0
    eng.dispose()


def test_upgrading_twice_changes_nothing(engine):
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def test_cases_from_before_the_rollups_get_their_day_minutes_and_counts(database_url):
    """The analytics migration fills in what older cases lack: the shop day, the opening
    minutes (public holidays of the case's own year left out) and the daily rollups."""
    eng = make_engine(database_url)
    drop_everything(eng)
    upgrade(eng, "f1c2d3e4a5b6")
    with eng.begin() as conn:
        conn.execute(sa.text("INSERT INTO customer (id, name, tier, marketing_consent, language, "
                             "version, created_at, updated_at) VALUES (1, 'Li', 'regular', "
                             "false, 'en', 1, '2024-01-01', '2024-01-01')"))
        # opened Friday 27 September 2024 17:00 in Shanghai, answered Tuesday 8 October 10:00:
        # 1 opening hour on Friday, Sunday 29th and Monday 30th worked (9 h each, Sunday being
        # a make-up working day), 1-7 October closed for National Day, 1 hour on Tuesday =
        # 20 hours (with 2026's holidays instead it would be 65)
        conn.execute(sa.text(
            "INSERT INTO service_case (id, kind, channel, category, priority, status, "
            "customer_id, subject, question, first_contact_resolution, escalated, "
            "reopen_count, created_at, first_response_at, updated_at, sla_paused_seconds, "
            "first_response_breached, resolution_breached, version) VALUES (1, 'inquiry', "
            "'email', 'delivery', 'normal', 'open', 1, 'Parcel', '-', false, false, 0, "
            "'2024-09-27 09:00:00', '2024-10-08 02:00:00', '2024-10-08 02:00:00', 0, false, "
            "false, 1)"))
    upgrade(eng)
    with eng.connect() as conn:
        day, minutes = conn.execute(sa.text(
            "SELECT created_day, first_response_minutes FROM service_case")).one()
        assert str(day)[:10] == "2024-09-27" and minutes == 20 * 60
        assert conn.execute(sa.text("SELECT created, responded, response_minutes FROM "
                                    "case_daily")).one() == (1, 1, 20 * 60)
    eng.dispose()


def test_customers_sharing_a_phone_stop_the_upgrade_with_what_to_merge(database_url):
    """The unique-contact indexes cannot be built over duplicates: the upgrade names them
    and changes nothing, and goes through once they are merged."""
    eng = make_engine(database_url)
    drop_everything(eng)
    upgrade(eng, "c9a1d5e7f3b2")
    insert = sa.text("INSERT INTO customer (name, phone_normalized, tier, marketing_consent, "
                     "language, version, created_at, updated_at) VALUES (:n, '+8613900000001', "
                     "'regular', false, 'zh_CN', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")
    with eng.begin() as conn:
        conn.execute(insert, {"n": "Li Lei"})
        conn.execute(insert, {"n": "Li Lei 2"})
    with pytest.raises(RuntimeError, match=r"\+8613900000001 \(2 customers\)"):
        upgrade(eng)
    assert current_revision(eng) == "c9a1d5e7f3b2"
    with eng.begin() as conn:
        conn.execute(sa.text("UPDATE customer SET merged_into_id = (SELECT min(id) FROM "
                             "customer) WHERE name = 'Li Lei 2'"))
    upgrade(eng)
    assert current_revision(eng) == head_revision()
    eng.dispose()
