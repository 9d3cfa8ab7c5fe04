"""Policies as data: canned replies (core.canned) and customer message templates
(core.messages) in both languages, with their {placeholders} checked on save.

A text may use only the placeholders the code fills for it. They are read from the code that
renders each text, and kept here in one table:
- canned replies: core.canned fills agent_name and customer_name;
- message templates, per key: the values each caller passes to core.messages.queue / render
  (core.cases, core.orders, core.complaints, core.aftersales);
- a template key not in the table (a template added later): the placeholders its current
  texts use in both languages, so an edit cannot bring in a new one.
An unknown placeholder would render as nothing (core.messages) or as itself (core.canned);
a stray or malformed brace ({name!r}, {0}, {a.b}, a lone { or }) would make rendering fail
at the moment a customer is written to. Both are refused with a message naming them. A brace
of its own is written twice ({{ or }}).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from core import audit, formats, sla, validate
from core.actor import Actor
from core.clock import utcnow
from core.errors import NotFound, ValidationError
from core.i18n import N_, Term, translator
from core.labels import AFTERSALES_KIND, SERVICE_MODE
from core.permissions import Action, require
from core.uow import UnitOfWork, expect_version
from core.vocabulary import AfterSalesKind, CaseCategory, Language, ServiceMode
from db.models import CannedReply, MessageTemplate

CANNED_PLACEHOLDERS = frozenset({"agent_name", "customer_name"})
_ORDER = frozenset({"customer_name", "order_number", "expected_delivery", "carrier",
                    "tracking_number", "agent_name"})                      # core.orders._tell
_REQUEST = frozenset({"customer_name", "request_id", "kind", "product", "order_number",
                      "agent_name"})                                 # core.aftersales._values
MESSAGE_PLACEHOLDERS: dict[str, frozenset[str]] = {
    "case_acknowledgement": frozenset({"case_id", "customer_name", "due", "agent_name"}),
    "order_confirmation": _ORDER,
    "order_cancellation": _ORDER,
    "shipping_notice": _ORDER,
    "complaint_reply": frozenset({"case_id", "customer_name", "result", "agent_name"}),
    "aftersales_received": _REQUEST,
    "aftersales_approved": _REQUEST,
    "aftersales_rejected": _REQUEST | {"reason"},
    "aftersales_refund_approved": _REQUEST | {"amount"},
    "service_job_scheduled": _REQUEST | {"mode", "scheduled_for", "technician"},
    "service_job_started": _REQUEST,
    "service_job_completed": _REQUEST,
}
# what the editor calls each template (a key not here is shown as it is)
TEMPLATE_NAMES = {
    "case_acknowledgement": N_("Case received (acknowledgement)"),
    "order_confirmation": N_("Order confirmed"),
    "order_cancellation": N_("Order cancelled"),
    "shipping_notice": N_("Order shipped"),
    "complaint_reply": N_("Complaint result"),
    "aftersales_received": N_("After-sales request received"),
    "aftersales_approved": N_("After-sales request approved"),
    "aftersales_rejected": N_("After-sales request rejected"),
    "aftersales_refund_approved": N_("Refund approved"),
    "service_job_scheduled": N_("Service scheduled"),
    "service_job_started": N_("Work started"),
    "service_job_completed": N_("Service completed"),
}
TITLE_MAX = 120          # canned_reply.title
SUBJECT_MAX = 200        # message_template.subject
BODY_MAX = 5_000
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# sample values for the preview, per language (en, zh_CN); the rest are made in sample_values
_SAMPLES = {
    "customer_name": ("Li Lei", "李雷"),
    "case_id": ("1024", "1024"),
    "request_id": ("311", "311"),
    "order_number": ("CD202611260007", "CD202611260007"),
    "carrier": ("SF Express", "顺丰速运"),
    "tracking_number": ("SF1234567890", "SF1234567890"),
    "result": ("We have replaced the faulty kettle free of charge.",
               "我们已免费为您更换了有故障的电水壶。"),
    "product": ("Electric kettle", "电水壶"),
    "reason": ("The goods were delivered 40 days ago, outside the 7-day return window.",
               "商品已于 40 天前送达，超出 7 天退货期限。"),
    "amount": ("199.00", "199.00"),
    "technician": ("Zhang Wei", "张伟"),
}


# --- the check ---------------------------------------------------------------------------------

def placeholders(text: str | None) -> tuple[set[str], list[str]]:
    """(the {names} a text uses, the fragments that are not a plain {name}), with the rules
    of str.format: {{ and }} are a brace of their own."""
    names: set[str] = set()
    bad: list[str] = []
    text = text or ""
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "{":
            if text.startswith("{{", i):
                i += 2
                continue
            end = text.find("}", i + 1)
            opening = text.find("{", i + 1)
            if end == -1 or (opening != -1 and opening < end):
                bad.append(text[i:i + 20].split("\n")[0])
                i += 1
                continue
            inner = text[i + 1:end]
            if _NAME.fullmatch(inner):
                names.add(inner)
            else:
                bad.append(text[i:end + 1][:40])
            i = end + 1
        elif char == "}":
            if text.startswith("}}", i):
                i += 2
                continue
            bad.append(text[max(0, i - 19):i + 1].split("\n")[-1])
            i += 1
        else:
            i += 1
    return names, bad


def _braced(names) -> str:
    return ", ".join("{" + x + "}" for x in sorted(names))


def check_text(text: str | None, allowed: frozenset[str] | set[str], field: str) -> None:
    """Refuses a text whose placeholders the code would not fill; `field` names the text."""
    names, bad = placeholders(text)
    if bad:
        raise ValidationError(
            N_("{field} has a brace that is not a placeholder: {fragment}. A placeholder is a "
               "name in braces, such as {example}; a brace of its own is written twice: "
               "{braces}."), field=Term(field), fragment=" … ".join(bad[:3]),
            example="{customer_name}", braces="{{ }}")
    unknown = names - set(allowed)
    if unknown:
        raise ValidationError(
            N_("{field} uses placeholders this text cannot fill: {names}. It may use: "
               "{allowed}."), field=Term(field), names=_braced(unknown),
            allowed=_braced(allowed) if allowed else "—")


def _text(value: str | None, field: str, limit: int, required: bool) -> str | None:
    return validate.text(value, field=field, limit=limit, required=required)


def sample_values(language: str, actor: Actor, now: datetime, tz: ZoneInfo) -> dict[str, str]:
    """What the preview fills the placeholders with, in the text's language."""
    zh = 1 if language == Language.ZH_CN.value else 0
    gettext = translator(language)
    values = {k: v[zh] for k, v in _SAMPLES.items()}
    values.update(agent_name=actor.display_name,
                  due=formats.stamp(now + timedelta(days=1), tz),
                  scheduled_for=formats.stamp(now + timedelta(days=2), tz),
                  expected_delivery=formats.local_time(now + timedelta(days=3), tz)
                  .date().isoformat(),
                  kind=gettext(AFTERSALES_KIND[AfterSalesKind.RETURN]),
                  mode=gettext(SERVICE_MODE[ServiceMode.ON_SITE]))
    return values


class _Shown(dict):
    def __missing__(self, key: str) -> str:   # a placeholder without a sample: its name
        return "[" + key + "]"


def _fill(text: str | None, values: dict) -> str:
    return (text or "").format_map(_Shown(values))


# --- canned replies ---------------------------------------------------------------------------

@dataclass(frozen=True)
class CannedView:
    id: int
    title: str
    category: CaseCategory | None
    language: Language
    body: str
    active: bool
    version: int


def canned_list(uow: UnitOfWork, actor: Actor) -> list[CannedView]:
    require(actor, Action.CANNED_REPLY_EDIT)
    with uow.reader() as r:
        return [CannedView(c.id, c.title, c.category, c.language, c.body, c.active, c.version)
                for c in r.session.scalars(sa.select(CannedReply).order_by(
                    CannedReply.language, CannedReply.id))]


def _canned_values(title, body, language, category) -> dict:
    values = {"title": _text(title, N_("Title"), TITLE_MAX, True),
              "body": _text(body, N_("Message"), BODY_MAX, True),
              "language": validate.choice(Language, language, N_("Language")),
              "category": validate.choice(CaseCategory, category, N_("Category"))
              if category else None}
    check_text(values["body"], CANNED_PLACEHOLDERS, N_("Message"))
    return values


def add_canned_reply(uow: UnitOfWork, actor: Actor, *, title: str, body: str, language: str,
                     category: str | None = None) -> int:
    require(actor, Action.CANNED_REPLY_EDIT)
    values = _canned_values(title, body, language, category)
    with uow:
        row = CannedReply(**values, active=True)
        uow.session.add(row)
        uow.flush()
        audit.record(uow, actor, "canned_reply_added", "canned_reply", row.id, None, values)
        uow.commit()
        return row.id


def change_canned_reply(uow: UnitOfWork, actor: Actor, reply_id: int,
                        expected_version: int | None, *, title: str, body: str, language: str,
                        category: str | None = None, active: bool = True) -> None:
    require(actor, Action.CANNED_REPLY_EDIT)
    values = {**_canned_values(title, body, language, category), "active": bool(active)}
    with uow:
        row = uow.session.scalar(sa.select(CannedReply).where(CannedReply.id == reply_id)
                                 .with_for_update())
        if row is None:
            raise NotFound(N_("This text no longer exists. Reload the page."))
        expect_version(row, expected_version)
        old, new = audit.changes({k: getattr(row, k) for k in values}, values)
        if not new:
            return
        for key, value in new.items():
            setattr(row, key, value)
        audit.record(uow, actor, "canned_reply_changed", "canned_reply", row.id, old, new)
        uow.commit()


# --- message templates ------------------------------------------------------------------------

@dataclass(frozen=True)
class TemplateView:
    id: int
    key: str
    language: Language
    channel: str
    subject: str | None
    body: str
    version: int
    allowed: frozenset[str]


def _allowed(session, key: str) -> frozenset[str]:
    if key in MESSAGE_PLACEHOLDERS:
        return MESSAGE_PLACEHOLDERS[key]
    used: set[str] = set()
    for subject, body in session.execute(sa.select(MessageTemplate.subject, MessageTemplate.body)
                                         .where(MessageTemplate.key == key)):
        used |= placeholders(subject)[0] | placeholders(body)[0]
    return frozenset(used)


def templates(uow: UnitOfWork, actor: Actor) -> list[TemplateView]:
    """Every template, by key, then language."""
    require(actor, Action.CANNED_REPLY_EDIT)
    with uow.reader() as r:
        rows = r.session.scalars(sa.select(MessageTemplate).order_by(
            MessageTemplate.key, MessageTemplate.channel, MessageTemplate.language)).all()
        allowed = {k: _allowed(r.session, k) for k in {t.key for t in rows}}
        return [TemplateView(t.id, t.key, t.language, t.channel.value, t.subject, t.body,
                             t.version, allowed[t.key]) for t in rows]


def _template_values(subject, body, allowed) -> dict:
    values = {"subject": _text(subject, N_("Subject"), SUBJECT_MAX, False),
              "body": _text(body, N_("Message"), BODY_MAX, True)}
    check_text(values["subject"], allowed, N_("Subject"))
    check_text(values["body"], allowed, N_("Message"))
    return values


def change_template(uow: UnitOfWork, actor: Actor, template_id: int,
                    expected_version: int | None, *, subject: str | None, body: str) -> None:
    """New wording for one template (one key, one language); messages already in the outbox
    keep theirs."""
    require(actor, Action.CANNED_REPLY_EDIT)
    with uow:
        row = uow.session.scalar(sa.select(MessageTemplate)
                                 .where(MessageTemplate.id == template_id).with_for_update())
        if row is None:
            raise NotFound(N_("This text no longer exists. Reload the page."))
        expect_version(row, expected_version)
        values = _template_values(subject, body, _allowed(uow.session, row.key))
        old, new = audit.changes({"subject": row.subject, "body": row.body}, values)
        if not new:
            return
        row.subject, row.body = values["subject"], values["body"]
        audit.record(uow, actor, "message_template_changed", "message_template", row.id,
                     {"key": row.key, "language": row.language, **old},
                     {"key": row.key, "language": row.language, **new})
        uow.commit()


# --- previews ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class TextPreview:
    subject: str | None
    body: str


def preview_template(uow: UnitOfWork, actor: Actor, key: str, language: str,
                     subject: str | None, body: str, now: datetime | None = None
                     ) -> TextPreview:
    """The text as a customer would get it, filled with sample values (checked first)."""
    require(actor, Action.CANNED_REPLY_EDIT)
    language_ = validate.choice(Language, language, N_("Language"))
    with uow.reader() as r:
        values = _template_values(subject, body, _allowed(r.session, key))
        samples = sample_values(language_.value, actor, now or utcnow(),
                                sla.shop_timezone(r.session))
    return TextPreview(_fill(values["subject"], samples) if values["subject"] else None,
                       _fill(values["body"], samples))


def preview_canned(uow: UnitOfWork, actor: Actor, language: str, body: str,
                   now: datetime | None = None) -> str:
    """A canned reply as the agent would see it, for a sample customer (checked first)."""
    require(actor, Action.CANNED_REPLY_EDIT)
    language_ = validate.choice(Language, language, N_("Language"))
    text = _text(body, N_("Message"), BODY_MAX, True)
    check_text(text, CANNED_PLACEHOLDERS, N_("Message"))
    with uow.reader() as r:
        tz = sla.shop_timezone(r.session)
    return _fill(text, sample_values(language_.value, actor, now or utcnow(), tz))
