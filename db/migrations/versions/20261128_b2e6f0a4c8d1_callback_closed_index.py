"""analytics: the reach rate reads the callbacks closed in a period by an index

Revision ID: b2e6f0a4c8d1
Revises: a7c3e9d1f2b4
Create Date: 2026-11-28
"""
from alembic import op

revision = 'b2e6f0a4c8d1'
down_revision = 'a7c3e9d1f2b4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_callback_status_closed_at", "callback", ["status", "closed_at"])


def downgrade() -> None:
    op.drop_index("ix_callback_status_closed_at", "callback")
