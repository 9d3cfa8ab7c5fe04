"""customers: a phone number or e-mail address belongs to one live customer, enforced by the
database (two agents saving the same new customer at once on PostgreSQL made two records)

Revision ID: d5e1b7c3a9f4
Revises: c9a1d5e7f3b2
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = 'd5e1b7c3a9f4'
down_revision = 'c9a1d5e7f3b2'
branch_labels = None
depends_on = None

INDEXES = (("uq_customer_live_phone", "phone_normalized"),
           ("uq_customer_live_email", "email_normalized"))


def upgrade() -> None:
    conn = op.get_bind()
    for _, column in INDEXES:
        clashes = conn.execute(sa.text(
            f"SELECT {column}, COUNT(*) FROM customer WHERE merged_into_id IS NULL "
            f"AND {column} IS NOT NULL GROUP BY {column} HAVING COUNT(*) > 1 "
            f"ORDER BY {column} LIMIT 5")).all()
        if clashes:
            shown = ", ".join(f"{value} ({n} customers)" for value, n in clashes)
            raise RuntimeError(
                f"Several live customers share a {column.split('_')[0]}: {shown}. Merge them "
                f"on the Customers page (or with the previous version), then upgrade again.")
    for name, column in INDEXES:
        where = sa.text(f"merged_into_id IS NULL AND {column} IS NOT NULL")
        op.create_index(name, "customer", [column], unique=True,
                        sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for name, _ in INDEXES:
        op.drop_index(name, "customer")
