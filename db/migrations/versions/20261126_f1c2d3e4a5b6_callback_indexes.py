"""callbacks: indexes for a customer's call history, a call's survey, a request's calls and
the cases that continue a case; retry setting

Revision ID: f1c2d3e4a5b6
Revises: e5b9f3c2ad88
Create Date: 2026-11-26
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = 'f1c2d3e4a5b6'
down_revision = 'e5b9f3c2ad88'
branch_labels = None
depends_on = None

setting = sa.table("setting", sa.column("key"), sa.column("value", sa.JSON),
                   sa.column("updated_at"), sa.column("version"))


def upgrade() -> None:
    op.create_index("ix_callback_customer_id_due_at", "callback", ["customer_id", "due_at"])
    op.create_index("ix_survey_answer_callback_id", "survey_answer", ["callback_id"])
    op.create_index("ix_callback_request_id", "callback", ["request_id"])
    op.create_index("ix_service_case_parent_case_id", "service_case", ["parent_case_id"])
    # opening minutes before an unanswered call is tried again
    op.bulk_insert(setting, [dict(key="callbacks.retry_minutes", value=120,
                                  updated_at=dt.datetime(2026, 11, 26), version=1)])


def downgrade() -> None:
    op.execute("DELETE FROM setting WHERE key = 'callbacks.retry_minutes'")
    op.drop_index("ix_service_case_parent_case_id", "service_case")
    op.drop_index("ix_callback_request_id", "callback")
    op.drop_index("ix_survey_answer_callback_id", "survey_answer")
    op.drop_index("ix_callback_customer_id_due_at", "callback")
