"""analytics: "reopened" counts the resolved cases that had been reopened (a reopened case
still open made the reopen rate pass 100 %); triggers replaced, rollups recomputed

Revision ID: c9a1d5e7f3b2
Revises: b2e6f0a4c8d1
Create Date: 2026-11-29
"""
from alembic import op

from db import rollups

revision = 'c9a1d5e7f3b2'
down_revision = 'b2e6f0a4c8d1'
branch_labels = None
depends_on = None


def _replace() -> None:
    dialect = op.get_bind().dialect.name
    for stmt in (rollups.drop_statements(dialect) + rollups.rebuild_statements()
                 + rollups.create_statements(dialect)):
        op.execute(stmt)


def upgrade() -> None:
    _replace()


def downgrade() -> None:
    _replace()  # the measures are the code's: the same rollups, recomputed
