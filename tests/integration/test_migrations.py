"""Migrations bring an empty or older database to head, and head matches the models."""
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
