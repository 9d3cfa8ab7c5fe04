"""complaint reply template: the result of a complaint, written to the customer

Revision ID: e5b9f3c2ad88
Revises: d4a8e2b19c77
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = 'e5b9f3c2ad88'
down_revision = 'd4a8e2b19c77'
branch_labels = None
depends_on = None

template = sa.table("message_template", sa.column("key"), sa.column("language"),
                    sa.column("channel"), sa.column("subject"), sa.column("body"),
                    sa.column("version"))


def upgrade() -> None:
    op.bulk_insert(template, [
        dict(key="complaint_reply", language="en", channel="email", version=1,
             subject="The result of your complaint (case {case_id})",
             body="Dear {customer_name},\n\nthank you for your patience. We have looked into "
                  "your complaint, and this is the result:\n\n{result}\n\nIf anything is still "
                  "unclear, simply reply to this message.\n\n{agent_name}, customer service"),
        dict(key="complaint_reply", language="zh_CN", channel="email", version=1,
             subject="您的投诉处理结果（服务单 {case_id}）",
             body="尊敬的{customer_name}：\n\n感谢您的耐心等待。我们已认真调查您的投诉，处理结果如下：\n\n"
                  "{result}\n\n如仍有疑问，请直接回复本邮件。\n\n客服 {agent_name}"),
    ])


def downgrade() -> None:
    op.execute("DELETE FROM message_template WHERE key = 'complaint_reply'")
