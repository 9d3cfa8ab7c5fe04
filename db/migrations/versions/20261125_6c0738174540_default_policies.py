"""default policies: the service standards of DOMAIN.md as editable data

Revision ID: 6c0738174540
Revises: 4a5335da3a70
Create Date: 2026-11-25

Values are written out here (not imported) so that this revision means the same thing
forever, whatever the code later calls a default.
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = '6c0738174540'
down_revision = '4a5335da3a70'
branch_labels = None
depends_on = None

HOUR = 3600
BUSINESS_DAY = 9 * HOUR  # 09:00-18:00

sla = sa.table("sla_policy", sa.column("channel"), sa.column("kind"), sa.column("priority"),
               sa.column("first_response_seconds"), sa.column("first_response_business_hours"),
               sa.column("resolution_seconds"), sa.column("resolution_business_hours"),
               sa.column("active"), sa.column("version"))
hours = sa.table("business_hours", sa.column("weekday"), sa.column("opens", sa.Time),
                 sa.column("closes", sa.Time))
aftersales = sa.table("after_sales_policy", sa.column("category"),
                      sa.column("return_window_days"), sa.column("exchange_window_days"),
                      sa.column("warranty_months"), sa.column("proof_of_purchase_required"),
                      sa.column("version"))
rules = sa.table("callback_rule", sa.column("trigger"), sa.column("enabled"),
                 sa.column("delay_days"), sa.column("version"))
setting = sa.table("setting", sa.column("key"), sa.column("value", sa.JSON),
                   sa.column("updated_at", sa.DateTime), sa.column("version"))
canned = sa.table("canned_reply", sa.column("title"), sa.column("category"),
                  sa.column("language"), sa.column("body"), sa.column("active"),
                  sa.column("version"))
template = sa.table("message_template", sa.column("key"), sa.column("language"),
                    sa.column("channel"), sa.column("subject"), sa.column("body"),
                    sa.column("version"))

# channel: (first response s, in business hours?, resolution s)
FIRST_RESPONSE = {
    "phone": (15, False, BUSINESS_DAY),          # answered within three rings
    "chat": (5 * 60, False, BUSINESS_DAY),        # first reply within 5 minutes
    "social": (5 * 60, False, BUSINESS_DAY),
    "walk_in": (60, False, BUSINESS_DAY),
    "email": (BUSINESS_DAY, True, 3 * BUSINESS_DAY),  # within the business day
    "web": (BUSINESS_DAY, True, 3 * BUSINESS_DAY),
}


def upgrade() -> None:
    rows = []
    for channel, (frt, frt_bh, res) in FIRST_RESPONSE.items():
        base = dict(channel=channel, first_response_seconds=frt,
                    first_response_business_hours=frt_bh, resolution_business_hours=True,
                    active=True, version=1)
        rows.append(dict(base, kind=None, priority=None, resolution_seconds=res))
        # complaints: a reply with the result within two business days
        rows.append(dict(base, kind="complaint", priority=None,
                         resolution_seconds=2 * BUSINESS_DAY))
        rows.append(dict(base, kind=None, priority="urgent", resolution_seconds=4 * HOUR))
    op.bulk_insert(sla, rows)
    op.bulk_insert(hours, [dict(weekday=d, opens=dt.time(9), closes=dt.time(18))
                           for d in range(5)])
    op.bulk_insert(aftersales, [dict(category="*", return_window_days=7,
                                     exchange_window_days=15, warranty_months=12,
                                     proof_of_purchase_required=True, version=1)])
    op.bulk_insert(rules, [
        dict(trigger="case_resolved", enabled=True, delay_days=2, version=1),
        dict(trigger="after_sales_completed", enabled=True, delay_days=2, version=1),
        dict(trigger="vip_periodic", enabled=True, delay_days=30, version=1),
        dict(trigger="regular_periodic", enabled=False, delay_days=180, version=1),
    ])
    now = dt.datetime(2026, 11, 25)
    op.bulk_insert(setting, [
        dict(key=k, value=v, updated_at=now, version=1) for k, v in {
            "shop.timezone": "Asia/Shanghai",
            "calendar.holiday_country": "CN",
            "aftersales.refund_approval_threshold_cents": 50000,
            "cases.auto_assign": True,
            "callbacks.max_attempts": 3,
        }.items()])
    op.bulk_insert(canned, [
        dict(title="Greeting", category=None, language="en", active=True, version=1,
             body="Hello, this is {agent_name} from customer service. How can I help you?"),
        dict(title="问候语", category=None, language="zh_CN", active=True, version=1,
             body="您好，我是客服{agent_name}，很高兴为您服务。请问有什么可以帮您？"),
        dict(title="Closing", category=None, language="en", active=True, version=1,
             body="Is there anything else I can help you with? Thank you for calling."),
        dict(title="结束语", category=None, language="zh_CN", active=True, version=1,
             body="请问还有其他可以帮您的吗？感谢您的来电，祝您生活愉快！"),
    ])
    op.bulk_insert(template, [
        dict(key="case_acknowledgement", language="en", channel="email", version=1,
             subject="We have received your request (case {case_id})",
             body="Dear {customer_name},\n\nwe have received your request and will come back "
                  "to you by {due}.\n\n{agent_name}, customer service"),
        dict(key="case_acknowledgement", language="zh_CN", channel="email", version=1,
             subject="我们已收到您的请求（服务单 {case_id}）",
             body="尊敬的{customer_name}：\n\n我们已收到您的请求，将在{due}前答复您。\n\n客服 {agent_name}"),
        dict(key="order_confirmation", language="en", channel="email", version=1,
             subject="Order {order_number} confirmed",
             body="Dear {customer_name},\n\nyour order {order_number} is confirmed. Expected "
                  "delivery: {expected_delivery}.\n\n{agent_name}, customer service"),
        dict(key="order_confirmation", language="zh_CN", channel="email", version=1,
             subject="订单 {order_number} 已确认",
             body="尊敬的{customer_name}：\n\n您的订单 {order_number} 已确认，预计送达日期：{expected_delivery}。"
                  "\n\n客服 {agent_name}"),
        dict(key="shipping_notice", language="en", channel="email", version=1,
             subject="Order {order_number} has shipped",
             body="Dear {customer_name},\n\nyour order {order_number} has shipped with "
                  "{carrier}, tracking number {tracking_number}.\n\n{agent_name}, customer service"),
        dict(key="shipping_notice", language="zh_CN", channel="email", version=1,
             subject="订单 {order_number} 已发货",
             body="尊敬的{customer_name}：\n\n您的订单 {order_number} 已由{carrier}发出，运单号 "
                  "{tracking_number}。\n\n客服 {agent_name}"),
    ])


def downgrade() -> None:
    for table in ("message_template", "canned_reply", "setting", "callback_rule",
                  "after_sales_policy", "business_hours", "sla_policy"):
        op.execute(f"DELETE FROM {table}")
