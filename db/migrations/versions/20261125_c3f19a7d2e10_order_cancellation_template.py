"""order cancellation template: the customer is told when an order is cancelled

Revision ID: c3f19a7d2e10
Revises: b7e2c41d9a05
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = 'c3f19a7d2e10'
down_revision = 'b7e2c41d9a05'
branch_labels = None
depends_on = None

template = sa.table("message_template", sa.column("key"), sa.column("language"),
                    sa.column("channel"), sa.column("subject"), sa.column("body"),
                    sa.column("version"))


def upgrade() -> None:
    op.bulk_insert(template, [
        dict(key="order_cancellation", language="en", channel="email", version=1,
             subject="Order {order_number} cancelled",
             body="Dear {customer_name},\n\nyour order {order_number} has been cancelled as "
                  "requested. Any payment will be returned to you.\n\n{agent_name}, "
                  "customer service"),
        dict(key="order_cancellation", language="zh_CN", channel="email", version=1,
             subject="订单 {order_number} 已取消",
             body="尊敬的{customer_name}：\n\n您的订单 {order_number} 已按您的要求取消，已付款项将退还给您。"
                  "\n\n客服 {agent_name}"),
    ])


def downgrade() -> None:
    op.execute("DELETE FROM message_template WHERE key = 'order_cancellation'")
