"""Messages to customers: templates in the customer's language -> the outbox on the case.

Every customer-facing message is recorded before anything is sent (the outbox pattern): the
service writes it in its own transaction; `deliver_pending` sends over SMTP afterwards when
CAREDESK_SMTP_HOST is set. Without SMTP a message stays visible as "not sent", so the agent
knows to tell the customer another way.
"""
from __future__ import annotations

import os
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

import sqlalchemy as sa

from core.clock import utcnow
from core.uow import UnitOfWork
from core.vocabulary import MessageChannel, OutboxStatus
from db.models import Customer, MessageTemplate, OutboxMessage


class _Blank(dict):
    """Unknown placeholders render as nothing rather than failing a customer message."""
    def __missing__(self, key: str) -> str:
        return ""


def smtp_configured() -> bool:
    return bool(os.environ.get("CAREDESK_SMTP_HOST"))


@dataclass(frozen=True)
class Rendered:
    subject: str | None
    body: str


def render(uow: UnitOfWork, key: str, language: str, channel: MessageChannel,
           values: dict[str, object]) -> Rendered:
    """The template for the customer's language, falling back to English."""
    rows = uow.session.scalars(sa.select(MessageTemplate).where(
        MessageTemplate.key == key, MessageTemplate.channel == channel)).all()
    by_language = {t.language.value: t for t in rows}
    template = by_language.get(language) or by_language.get("en")
    if template is None:
        raise LookupError(f"no message template {key!r} for {channel}")
    fill = _Blank({k: "" if v is None else str(v) for k, v in values.items()})
    subject = template.subject.format_map(fill) if template.subject else None
    return Rendered(subject, template.body.format_map(fill))


def address_of(customer: Customer) -> tuple[MessageChannel, str] | None:
    if customer.email:
        return MessageChannel.EMAIL, customer.email
    if customer.phone_normalized or customer.phone:
        return MessageChannel.SMS, customer.phone_normalized or customer.phone
    return None


def queue(uow: UnitOfWork, *, customer: Customer, case_id: int | None, author_id: int | None,
          template_key: str | None = None, values: dict | None = None,
          subject: str | None = None, body: str | None = None) -> OutboxMessage | None:
    """Adds one message to the outbox in the caller's transaction; None if the customer has no
    address at all (the caller then records that the customer must be told by phone)."""
    target = address_of(customer)
    if target is None:
        return None
    channel, address = target
    if template_key:
        # SMS reuses the e-mail wording until the admin writes SMS templates
        rendered = render(uow, template_key, customer.language.value, MessageChannel.EMAIL,
                          values or {})
        subject, body = rendered.subject, rendered.body
    message = OutboxMessage(
        case_id=case_id, customer_id=customer.id, channel=channel, to_address=address,
        template_key=template_key, subject=subject, body=body or "",
        status=OutboxStatus.QUEUED if smtp_configured() and channel == MessageChannel.EMAIL
        else OutboxStatus.NOT_SENT,
        created_by_id=author_id)
    uow.session.add(message)
    return message


def deliver_pending(uow: UnitOfWork, limit: int = 50) -> int:
    """Sends queued e-mails; each message's outcome is committed on its own."""
    if not smtp_configured():
        return 0
    with uow:
        ids = uow.session.scalars(sa.select(OutboxMessage.id).where(
            OutboxMessage.status == OutboxStatus.QUEUED).order_by(OutboxMessage.id)
            .limit(limit)).all()
    sent = 0
    for message_id in ids:
        with uow:
            message = uow.session.get(OutboxMessage, message_id)
            if message is None or message.status != OutboxStatus.QUEUED:
                continue
            try:
                _send_email(message)
            except (OSError, smtplib.SMTPException) as e:
                message.status, message.error = OutboxStatus.FAILED, str(e)[:500]
            else:
                message.status, message.sent_at = OutboxStatus.SENT, utcnow()
                sent += 1
            uow.commit()
    return sent


def _send_email(message: OutboxMessage) -> None:
    mail = EmailMessage()
    mail["From"] = os.environ.get("CAREDESK_SMTP_FROM", "caredesk@localhost")
    mail["To"] = message.to_address
    mail["Subject"] = message.subject or ""
    mail.set_content(message.body)
    host = os.environ["CAREDESK_SMTP_HOST"]
    port = int(os.environ.get("CAREDESK_SMTP_PORT", "25"))
    with smtplib.SMTP(host, port, timeout=10) as smtp:
        if os.environ.get("CAREDESK_SMTP_STARTTLS") == "1":
            smtp.starttls()
        user = os.environ.get("CAREDESK_SMTP_USER")
        if user:
            smtp.login(user, os.environ.get("CAREDESK_SMTP_PASSWORD", ""))
        smtp.send_message(mail)
