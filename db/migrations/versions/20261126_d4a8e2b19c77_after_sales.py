"""after-sales: one refund per request, and the customer messages of requests and jobs

Revision ID: d4a8e2b19c77
Revises: c3f19a7d2e10
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = 'd4a8e2b19c77'
down_revision = 'c3f19a7d2e10'
branch_labels = None
depends_on = None

template = sa.table("message_template", sa.column("key"), sa.column("language"),
                    sa.column("channel"), sa.column("subject"), sa.column("body"),
                    sa.column("version"))

SIGN_EN = "\n\n{agent_name}, customer service"
SIGN_ZH = "\n\n客服 {agent_name}"
TEMPLATES = {
    "aftersales_received": (
        "We have received your {kind} request ({request_id})",
        "Dear {customer_name},\n\nwe have received your {kind} request {request_id} for "
        "{product} (order {order_number}). We will tell you of every step." + SIGN_EN,
        "我们已收到您的{kind}申请（{request_id}）",
        "尊敬的{customer_name}：\n\n我们已收到您对订单 {order_number} 中 {product} 的{kind}申请"
        "（编号 {request_id}），每一步进展都会通知您。" + SIGN_ZH),
    "aftersales_approved": (
        "Your {kind} request {request_id} is approved",
        "Dear {customer_name},\n\nyour {kind} request {request_id} for {product} is approved. "
        "We will contact you about the next step." + SIGN_EN,
        "您的{kind}申请 {request_id} 已批准",
        "尊敬的{customer_name}：\n\n您对 {product} 的{kind}申请 {request_id} 已批准，我们会就下一步与您联系。"
        + SIGN_ZH),
    "aftersales_rejected": (
        "Your {kind} request {request_id}",
        "Dear {customer_name},\n\nwe are sorry: your {kind} request {request_id} for {product} "
        "could not be approved. Reason: {reason}" + SIGN_EN,
        "关于您的{kind}申请 {request_id}",
        "尊敬的{customer_name}：\n\n很抱歉，您对 {product} 的{kind}申请 {request_id} 未能获批。原因：{reason}"
        + SIGN_ZH),
    "aftersales_refund_approved": (
        "Refund approved for request {request_id}",
        "Dear {customer_name},\n\na refund of {amount} for {product} (order {order_number}) is "
        "approved and will be paid back to you." + SIGN_EN,
        "申请 {request_id} 的退款已批准",
        "尊敬的{customer_name}：\n\n订单 {order_number} 中 {product} 的退款 {amount} 元已批准，将退还给您。"
        + SIGN_ZH),
    "service_job_scheduled": (
        "Service for request {request_id}: {mode} {scheduled_for}",
        "Dear {customer_name},\n\nthe service of your {product} is planned: {mode}, "
        "{scheduled_for}, technician {technician}." + SIGN_EN,
        "申请 {request_id} 的服务安排：{mode} {scheduled_for}",
        "尊敬的{customer_name}：\n\n您的 {product} 的服务已安排：{mode}，{scheduled_for}，技术员 {technician}。"
        + SIGN_ZH),
    "service_job_started": (
        "Work on your {product} has started (request {request_id})",
        "Dear {customer_name},\n\nour technician has started work on your {product}." + SIGN_EN,
        "您的 {product} 已开始维修处理（申请 {request_id}）",
        "尊敬的{customer_name}：\n\n我们的技术员已开始处理您的 {product}。" + SIGN_ZH),
    "service_job_completed": (
        "Your {product} is ready (request {request_id})",
        "Dear {customer_name},\n\nthe work on your {product} is finished and has passed our "
        "quality check. We will call you in a few days to make sure all is well." + SIGN_EN,
        "您的 {product} 已处理完毕（申请 {request_id}）",
        "尊敬的{customer_name}：\n\n您的 {product} 已处理完毕并通过质量检查。几天后我们会致电回访，确认一切正常。"
        + SIGN_ZH),
}


def upgrade() -> None:
    op.drop_index("ix_refund_request_id", table_name="refund")
    op.create_index("ix_refund_request_id", "refund", ["request_id"], unique=True)
    rows = []
    for key, (subject_en, body_en, subject_zh, body_zh) in TEMPLATES.items():
        rows.append(dict(key=key, language="en", channel="email", subject=subject_en,
                         body=body_en, version=1))
        rows.append(dict(key=key, language="zh_CN", channel="email", subject=subject_zh,
                         body=body_zh, version=1))
    op.bulk_insert(template, rows)


def downgrade() -> None:
    keys = ", ".join(f"'{k}'" for k in TEMPLATES)
    op.execute(f"DELETE FROM message_template WHERE key IN ({keys})")
    op.drop_index("ix_refund_request_id", table_name="refund")
    op.create_index("ix_refund_request_id", "refund", ["request_id"], unique=False)
