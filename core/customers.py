"""Customer records: find, create, edit, merge, view, mask (DOMAIN.md sections 5 and 6).

Confidentiality (DOMAIN.md 5): contact data (phone, e-mail, address, delivery addresses, and
phone numbers / e-mail addresses written inside notes) is personal data. Whoever lacks
Action.CUSTOMER_PERSONAL_DATA (analysts) gets it masked from every function here that returns
customers; whoever lacks Action.CUSTOMER_VIEW (technicians) is refused. Names stay visible on
purpose: analysts have to be able to talk about a case and its customer with the team, and a
name alone does not let anyone contact the customer. Every view of a customer record
(`customer_profile`) and every change writes an audit row in the same transaction.

Finding a customer "in seconds" (DOMAIN.md 6) at chain scale (100k customers, 300k orders):
every search is a handful of prefix range scans on B-tree indexes
(`key >= :p AND key < :p_upper ORDER BY key LIMIT n`), never LIKE (SQLite uses no index for
LIKE under its default collation) and never a scan of the table:
- phone: phone_normalized (E.164). What was typed is turned into an E.164 prefix: "13812",
  "138 1234", "+86138", "0086138" and "010 6552" all become "+86..." prefixes;
- e-mail: email_normalized (lower-case), prefix;
- name: name_key (NFKC, casefolded, single spaces), prefix of the whole name; and
  name_last_key (the last word of a multi-word name), prefix, so "wang" finds "Wang Fang"
  and "Li Wang" through an index. Not covered: a middle word of a name with three or more
  words ("ann" in "Mary Ann Smith"), and a given name inside a one-word Chinese name ("芳"
  in "王芳") - both would need an infix scan; agents find these by the name's start, the
  phone or the e-mail. Measured with bench/search.py.
- order number: exact or prefix on the unique index, returns the order's customer.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

import phonenumbers
import sqlalchemy as sa
from rapidfuzz import fuzz
from sqlalchemy.orm import selectinload

from core import audit, callback_rules, care_plans, validate
from core.actor import Actor
from core.clock import utcnow
from core.errors import ConcurrentChange, NotFound, ValidationError
from core.i18n import N_
from core.permissions import Action, allowed, require
from core.search_keys import email_key, name_key, prefix_upper
from core.uow import UnitOfWork, expect_version
from core.vocabulary import CallbackStatus, CustomerTier, Language
from db.models import (
    AfterSalesRequest, Base, Callback, Case, Customer, CustomerNote, Order, Product,
    Staff, SurveyAnswer,
)

NAME_MAX = 120
ADDRESS_MAX = 300
CITY_MAX = 80
EMAIL_MAX = 254
PHONE_MAX = 40
NOTE_MAX = 5000
QUERY_MAX = 120
SEARCH_LIMIT_MAX = 100
DUPLICATE_CANDIDATES = 200   # rows per candidate query of likely_duplicates
DUPLICATE_SCORE = 85         # rapidfuzz token_sort_ratio, 0-100
PROFILE_ORDERS = 100         # most recent orders shown on a profile
PROFILE_TIMELINE = 300       # most recent timeline entries shown on a profile

EDITABLE = ("name", "phone", "email", "tier", "marketing_consent", "language", "address",
            "city")

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
_PHONE_QUERY_RE = re.compile(r"^[+\d][\d\s\-().]*$")
_ORDER_QUERY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-_/]*$")
# inside free text (notes, for masking): phone-like runs of 7+ digits, and e-mail addresses
_TEXT_PHONE_RE = re.compile(r"\+?\d[\d\s\-()]{5,}\d")
_TEXT_EMAIL_RE = re.compile(r"[^@\s<>()\[\],;:\"']+@[^@\s<>()\[\],;:\"']+\.[A-Za-z]{2,}")


# --- results --------------------------------------------------------------------------------

@dataclass(frozen=True)
class CustomerHit:
    id: int
    name: str
    phone: str | None    # masked unless the actor may see personal data
    email: str | None    # masked likewise
    tier: str
    matched_on: str      # "phone" / "email" / "name" / "order"
    order_number: str | None = None


@dataclass(frozen=True)
class OrderLineView:
    product_name: str
    product_name_zh: str | None
    quantity: int
    unit_price_cents: int
    paid_cents: int
    refunded_cents: int


@dataclass(frozen=True)
class OrderView:
    id: int
    order_number: str
    state: str
    channel: str
    ordered_at: datetime
    confirmed_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None
    expected_delivery_on: date | None
    delivery_address: str | None  # masked unless personal data may be seen
    total_cents: int
    lines: list[OrderLineView]


@dataclass(frozen=True)
class NoteView:
    id: int
    created_at: datetime
    author: str
    body: str  # phone numbers and e-mail addresses in it masked unless personal data


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str            # "case" / "after_sales" / "callback" / "survey"
    ref_id: int
    title: str           # case subject, after-sales kind, callback purpose, survey comment
    status: str | None
    satisfaction: int | None = None
    case_id: int | None = None


@dataclass
class CustomerProfile:
    id: int
    version: int
    name: str
    phone: str | None
    email: str | None
    address: str | None
    city: str | None
    tier: str
    language: str
    marketing_consent: bool
    consent_changed_at: datetime | None
    created_at: datetime
    personal_data_visible: bool
    notes: list[NoteView] = field(default_factory=list)
    orders: list[OrderView] = field(default_factory=list)
    orders_total: int = 0
    timeline: list[TimelineEntry] = field(default_factory=list)  # newest first
    care_plans: list[care_plans.CarePlanView] = field(default_factory=list)


# --- masking (pure) ---------------------------------------------------------------------------

def mask_phone(phone: str | None) -> str | None:
    """"+8613812345678" -> "+86 138****5678": the country code, the first three digits of
    the national number (Chinese mobile carrier prefix) and the last four stay."""
    if not phone:
        return phone
    digits = re.sub(r"\D", "", phone)
    country = ""
    national = digits
    try:
        number = phonenumbers.parse(phone, "CN")
        country = f"+{number.country_code} "
        national = str(number.national_number)
    except phonenumbers.NumberParseException:
        pass
    if len(national) <= 4:
        return country + "*" * len(national)
    if len(national) < 9:
        return country + "*" * (len(national) - 4) + national[-4:]
    return f"{country}{national[:3]}****{national[-4:]}"


def mask_email(email: str | None) -> str | None:
    """"wang.fang@example.com" -> "w***@example.com"."""
    if not email:
        return email
    local, at, domain = email.partition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_address(address: str | None) -> str | None:
    return "***" if address else address


def mask_text(text: str) -> str:
    """Phone numbers and e-mail addresses inside free text, masked."""
    text = _TEXT_EMAIL_RE.sub(lambda m: mask_email(m.group(0)) or "", text)
    return _TEXT_PHONE_RE.sub(lambda m: _mask_digits(m.group(0)), text)


def _mask_digits(run: str) -> str:
    """Every digit but the last four as "*"; separators stay."""
    keep = 4
    out = []
    for ch in reversed(run):
        if ch.isdigit():
            out.append(ch if keep > 0 else "*")
            keep -= 1
        else:
            out.append(ch)
    return "".join(reversed(out))


def sees_personal_data(actor: Actor) -> bool:
    return allowed(actor.roles, Action.CUSTOMER_PERSONAL_DATA)


def display_phone(phone_normalized: str | None, phone: str | None = None) -> str | None:
    """E.164 shown the international way: "+86 138 1234 5678"."""
    value = phone_normalized or phone
    if not value:
        return None
    try:
        return phonenumbers.format_number(phonenumbers.parse(value, None),
                                          phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return value


# --- normalizing and validating input -----------------------------------------------------------

def normalize_phone(raw: str, region: str = "CN") -> str:
    """A phone number as typed -> E.164 ("+8613812345678"). Numbers without a country code are
    read as numbers of `region`; "00" is the international prefix."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if not text:
        raise ValidationError(N_("Enter a phone number."))
    if len(text) > PHONE_MAX:
        raise ValidationError(N_("A phone number can be at most {limit} characters long."),
                              limit=PHONE_MAX)
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(N_("{phone} is not a valid phone number. Enter it with its area "
                                 "code, or with + and the country code for a number abroad."),
                              phone=text)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(raw: str) -> str:
    """Trimmed, lower-case, and shaped like name@domain.tld."""
    key = email_key(raw or "")
    if not key:
        raise ValidationError(N_("Enter an e-mail address."))
    if len(key) > EMAIL_MAX:
        raise ValidationError(N_("An e-mail address can be at most {limit} characters long."),
                              limit=EMAIL_MAX)
    if not _EMAIL_RE.match(key) or ".." in key:
        raise ValidationError(N_("{email} is not a valid e-mail address. It should look like "
                                 "name@example.com."), email=key)
    return key


def _has_control(text: str) -> bool:
    # Cc: control characters (NUL among them); Cs: a broken (unpaired surrogate) character
    return any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text)


def _clean_name(raw: object) -> str:
    name = unicodedata.normalize("NFC", str(raw or "")).strip()
    if not name:
        raise ValidationError(N_("Enter the customer's name."))
    if len(name) > NAME_MAX:
        raise ValidationError(N_("A name can be at most {limit} characters long (this one has "
                                 "{length})."), limit=NAME_MAX, length=len(name))
    if _has_control(name):
        raise ValidationError(N_("A name cannot contain line breaks or control characters."))
    return name


def _clean_optional(raw: object, limit: int, too_long: str, control: str) -> str | None:
    if raw is None:
        return None
    text = unicodedata.normalize("NFC", str(raw)).strip()
    if not text:
        return None
    if len(text) > limit:
        raise ValidationError(too_long, limit=limit, length=len(text))
    if _has_control(text):
        raise ValidationError(control)
    return text


def _clean_address(raw: object) -> str | None:
    return _clean_optional(
        raw, ADDRESS_MAX,
        N_("An address can be at most {limit} characters long (this one has {length})."),
        N_("An address cannot contain line breaks or control characters."))


def _clean_city(raw: object) -> str | None:
    return _clean_optional(
        raw, CITY_MAX,
        N_("A city can be at most {limit} characters long (this one has {length})."),
        N_("A city cannot contain line breaks or control characters."))


def _clean_tier(raw: object) -> CustomerTier:
    try:
        return CustomerTier(str(raw))
    except ValueError:
        raise ValidationError(N_("Unknown customer tier {tier}. Tiers are: {tiers}."),
                              tier=str(raw), tiers=", ".join(t.value for t in CustomerTier)
                              ) from None


def _clean_language(raw: object) -> Language:
    try:
        return Language(str(raw))
    except ValueError:
        raise ValidationError(N_("Unknown language: {language}."), language=str(raw)) from None


def _clean_consent(raw: object) -> bool:
    if not isinstance(raw, bool):
        raise ValidationError(N_("Marketing consent is either given or not (yes / no)."))
    return raw


def _clean_phone(raw: object) -> tuple[str | None, str | None]:
    """(as typed, E.164) or (None, None) when left empty."""
    text = unicodedata.normalize("NFKC", str(raw or "")).strip()
    if not text:
        return None, None
    return text, normalize_phone(text)


def _clean_email(raw: object) -> str | None:
    text = str(raw or "").strip()
    return normalize_email(text) if text else None


def _flush_unique_contact(uow: UnitOfWork, phone_normalized: str | None, email: str | None,
                          exclude_id: int | None = None) -> None:
    """Writes the pending change; if someone else's form saved the same phone or e-mail
    between our check and this write (PostgreSQL reads committed data; SQLite's write lock
    rules it out), the database's unique index refuses it and the agent is told whose it is."""
    try:
        uow.flush()
    except sa.exc.IntegrityError:
        uow.session.rollback()
        with uow.reader() as r:
            _check_unique_contact(r, phone_normalized, email, exclude_id)
        raise ConcurrentChange() from None


def _check_unique_contact(uow: UnitOfWork, phone_normalized: str | None, email: str | None,
                          exclude_id: int | None = None) -> None:
    """A phone number or e-mail address belongs to one (not merged) customer: a second record
    for the same person splits their history, so the agent is sent to the existing one."""
    live = Customer.merged_into_id.is_(None)
    other = Customer.id != exclude_id if exclude_id is not None else sa.true()
    if phone_normalized:
        found = uow.session.execute(
            sa.select(Customer.id).where(Customer.phone_normalized == phone_normalized, live,
                                         other).order_by(Customer.id).limit(1)).first()
        if found:
            raise ValidationError(
                N_("The phone number {phone} already belongs to customer #{customer_id}. "
                   "Open that customer's record instead of entering the number again."),
                phone=phone_normalized, customer_id=found.id)
    if email:
        found = uow.session.execute(
            sa.select(Customer.id).where(Customer.email_normalized == email, live, other)
            .order_by(Customer.id).limit(1)).first()
        if found:
            raise ValidationError(
                N_("The e-mail address {email} already belongs to customer #{customer_id}. "
                   "Open that customer's record instead of entering the address again."),
                email=email, customer_id=found.id)


def _require_contact(phone: str | None, email: str | None) -> None:
    if not phone and not email:
        raise ValidationError(N_("Enter a phone number or an e-mail address, so that the "
                                 "customer can be contacted and found again."))


# --- search -----------------------------------------------------------------------------------

_KIND_ORDER = {"phone": 0, "order": 1, "email": 2, "name": 3}
_HIT_COLUMNS = (Customer.id, Customer.name, Customer.phone, Customer.phone_normalized,
                Customer.email, Customer.tier)


def _hit(row, personal: bool, matched_on: str, order_number: str | None = None) -> CustomerHit:
    phone = display_phone(row.phone_normalized, row.phone)
    return CustomerHit(
        id=row.id, name=row.name,
        phone=phone if personal else mask_phone(row.phone_normalized or row.phone),
        email=row.email if personal else mask_email(row.email),
        tier=row.tier.value if isinstance(row.tier, CustomerTier) else str(row.tier),
        matched_on=matched_on, order_number=order_number)


def _prefix_rows(uow: UnitOfWork, column, prefix: str, limit: int, *extra):
    return uow.session.execute(
        sa.select(*_HIT_COLUMNS, column.label("key"), *extra)
        .where(column >= prefix, column < prefix_upper(prefix),
               Customer.merged_into_id.is_(None))
        .order_by(column, Customer.id).limit(limit)).all()


def _phone_prefixes(query: str) -> tuple[list[str], str | None]:
    """E.164 prefixes for what was typed, and the full number if it is one."""
    try:
        full = normalize_phone(query)
    except ValidationError:
        full = None
    digits = re.sub(r"\D", "", query)
    prefixes: list[str] = []
    if full:
        prefixes.append(full)
    if query.startswith("+"):
        prefixes.append("+" + digits)
    elif digits.startswith("00"):
        prefixes.append("+" + digits[2:])
    elif digits.startswith("0"):
        prefixes.append("+86" + digits[1:])   # a Chinese trunk prefix: 010 -> +8610
    else:
        prefixes.append("+86" + digits)
        if digits.startswith("86") and len(digits) > 2:
            prefixes.append("+" + digits)     # the country code typed without the +
    unique = []
    for p in prefixes:
        if len(p) > 1 and p not in unique:
            unique.append(p)
    # a full number needs no prefix search besides itself
    return ([full] if full else unique), full


def search_customers(uow: UnitOfWork, actor: Actor, query: str,
                     limit: int = 20) -> list[CustomerHit]:
    """Customers by phone (prefix as typed), e-mail (prefix), name (prefix of the name or of
    its last word, case-insensitive) or order number (prefix). Exact matches first; records
    merged into another are left out. Contact data masked unless the actor may see it; and
    whoever sees it masked does not search by it either (which prefixes still find a
    customer would spell out the number or address the mask hides)."""
    require(actor, Action.CUSTOMER_VIEW)
    typed = validate.searchable(query, limit=QUERY_MAX)
    q = unicodedata.normalize("NFKC", typed).strip()[:QUERY_MAX]
    if not q:
        return []
    limit = max(1, min(int(limit), SEARCH_LIMIT_MAX))
    personal = sees_personal_data(actor)
    found: dict[int, tuple[tuple, CustomerHit]] = {}

    def add(rank_exact: bool, kind: str, seq: int, row, order_number: str | None = None):
        rank = (0 if rank_exact else 1, _KIND_ORDER[kind], seq)
        if row.id not in found or rank < found[row.id][0]:
            found[row.id] = (rank, _hit(row, personal, kind, order_number))

    seq = 0
    with uow.reader() as r:
        has_digit = any(ch.isdigit() for ch in q)
        if personal and has_digit and _PHONE_QUERY_RE.match(q):
            prefixes, full = _phone_prefixes(q)
            for prefix in prefixes:
                for row in _prefix_rows(r, Customer.phone_normalized, prefix, limit):
                    seq += 1
                    add(row.key == full, "phone", seq, row)
        if has_digit and _ORDER_QUERY_RE.match(q.replace(" ", "")):
            typed = q.replace(" ", "")
            for prefix in dict.fromkeys([typed.upper(), typed]):
                rows = r.session.execute(
                    sa.select(*_HIT_COLUMNS, Order.order_number)
                    .join(Order, Order.customer_id == Customer.id)
                    .where(Order.order_number >= prefix,
                           Order.order_number < prefix_upper(prefix),
                           Customer.merged_into_id.is_(None))
                    .order_by(Order.order_number).limit(limit)).all()
                for row in rows:
                    seq += 1
                    add(row.order_number == prefix, "order", seq, row, row.order_number)
        if personal and not _PHONE_QUERY_RE.match(q) and not any(ch.isspace() for ch in q):
            email_prefix = email_key(q)
            if email_prefix:
                for row in _prefix_rows(r, Customer.email_normalized, email_prefix, limit):
                    seq += 1
                    add(row.key == email_prefix, "email", seq, row)
        key = name_key(q)
        if key and "@" not in q and not has_digit:  # names have no digits
            for row in _prefix_rows(r, Customer.name_key, key, limit):
                seq += 1
                add(row.key == key, "name", seq, row)
            if " " not in key:
                for row in _prefix_rows(r, Customer.name_last_key, key, limit):
                    seq += 1
                    add(False, "name", seq, row)
    ranked = sorted(found.values(), key=lambda item: item[0])
    return [hit for _rank, hit in ranked[:limit]]


def likely_duplicates(uow: UnitOfWork, actor: Actor, name: str, phone: str | None = None,
                      email: str | None = None, limit: int = 5) -> list[CustomerHit]:
    """Existing customers that may be the person being entered: the same phone number or
    e-mail address (in any spelling), or a similar name (rapidfuzz, score >= 85) among a
    bounded set of candidates that share a word start with it. Never raises on half-typed
    input: what cannot be read is simply not compared. Contact data is compared only for
    those who may see it (for the others a match would confirm a guessed number)."""
    require(actor, Action.CUSTOMER_VIEW)
    personal = sees_personal_data(actor)
    limit = max(1, min(int(limit), SEARCH_LIMIT_MAX))
    try:
        phone_e164 = normalize_phone(phone) if phone and phone.strip() else None
    except ValidationError:
        phone_e164 = None
    mail = email_key(email) if email else None
    key = name_key(name or "")
    # a NUL or a broken character cannot be in any record (nor be sent to PostgreSQL)
    mail = None if mail and validate.unstorable(mail) else mail
    key = None if key and validate.unstorable(key) else key
    scored: dict[int, tuple[tuple, CustomerHit]] = {}

    def add(score: float, kind: str, row) -> None:
        rank = (-score, _KIND_ORDER[kind], row.id)
        if row.id not in scored or rank < scored[row.id][0]:
            scored[row.id] = (rank, _hit(row, personal, kind))

    live = Customer.merged_into_id.is_(None)
    with uow.reader() as r:
        if phone_e164 and personal:
            for row in r.session.execute(sa.select(*_HIT_COLUMNS).where(
                    Customer.phone_normalized == phone_e164, live).limit(limit)):
                add(101, "phone", row)
        if mail and personal:
            for row in r.session.execute(sa.select(*_HIT_COLUMNS).where(
                    Customer.email_normalized == mail, live).limit(limit)):
                add(101, "email", row)
        if key:
            words = key.split(" ")
            first, last = words[0], words[-1]
            candidates = {}
            queries = [(Customer.name_key, first)]
            if len(words) > 1:
                queries += [(Customer.name_key, last), (Customer.name_last_key, last),
                            (Customer.name_last_key, first)]
            for column, prefix in queries:
                for row in r.session.execute(
                        sa.select(*_HIT_COLUMNS, Customer.name_key)
                        .where(column >= prefix, column < prefix_upper(prefix), live)
                        .order_by(column).limit(DUPLICATE_CANDIDATES)):
                    candidates[row.id] = row
            for row in candidates.values():
                score = fuzz.token_sort_ratio(key, row.name_key or "")
                if score >= DUPLICATE_SCORE:
                    add(score, "name", row)
    ranked = sorted(scored.values(), key=lambda item: item[0])
    return [hit for _rank, hit in ranked[:limit]]


# --- create, edit, note -----------------------------------------------------------------------

def _live_customer(uow: UnitOfWork, customer_id: int, *, for_update: bool = False) -> Customer:
    """The customer, or NotFound; a merged record's message names the surviving one."""
    stmt = sa.select(Customer).where(Customer.id == validate.record_id(customer_id))
    if for_update:
        stmt = stmt.with_for_update()
    customer = uow.session.scalars(stmt).first()
    if customer is None:
        raise NotFound(N_("Customer #{customer_id} does not exist."), customer_id=customer_id)
    if customer.merged_into_id is not None:
        survivor = _survivor_id(uow, customer)
        raise NotFound(N_("Customer #{customer_id} was merged into customer #{survivor_id}. "
                          "Open customer #{survivor_id} instead."),
                       customer_id=customer_id, survivor_id=survivor)
    return customer


def _survivor_id(uow: UnitOfWork, customer: Customer) -> int:
    seen = {customer.id}
    current = customer.merged_into_id
    while current is not None:
        nxt = uow.session.scalar(sa.select(Customer.merged_into_id).where(Customer.id == current))
        if nxt is None or nxt in seen:
            return current
        seen.add(current)
        current = nxt
    return customer.id


def _snapshot(c: Customer) -> dict:
    return {"name": c.name, "phone": c.phone_normalized, "email": c.email,
            "tier": c.tier, "marketing_consent": c.marketing_consent, "language": c.language,
            "address": c.address, "city": c.city}


def create_customer(uow: UnitOfWork, actor: Actor, *, name: str, phone: str | None = None,
                    email: str | None = None, tier: str = "regular",
                    marketing_consent: bool = False, language: str = "zh_CN",
                    address: str | None = None, city: str | None = None) -> int:
    """A new customer record: a name and a phone number or e-mail address at least. A phone
    or e-mail that already belongs to a customer is refused, naming that customer."""
    require(actor, Action.CUSTOMER_EDIT)
    clean_name = _clean_name(name)
    phone_typed, phone_e164 = _clean_phone(phone)
    mail = _clean_email(email)
    _require_contact(phone_e164, mail)
    clean_tier = _clean_tier(tier)
    clean_language = _clean_language(language)
    consent = _clean_consent(marketing_consent)
    clean_address = _clean_address(address)
    clean_city = _clean_city(city)
    with uow:
        _check_unique_contact(uow, phone_e164, mail)
        now = utcnow()
        customer = Customer(name=clean_name, phone=phone_typed, phone_normalized=phone_e164,
                            email=mail, tier=clean_tier, marketing_consent=consent,
                            consent_changed_at=now if consent else None,
                            language=clean_language, address=clean_address, city=clean_city)
        uow.session.add(customer)
        _flush_unique_contact(uow, phone_e164, mail)
        audit.record(uow, actor, "customer_created", "customer", customer.id, None,
                     _snapshot(customer))
        uow.commit()
        return customer.id


def update_customer(uow: UnitOfWork, actor: Actor, customer_id: int,
                    expected_version: int | None, **changes: object) -> int:
    """Changes the given fields (only those a form may set: EDITABLE) of a customer read at
    `expected_version`; returns the record's new version."""
    require(actor, Action.CUSTOMER_EDIT)
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValidationError(N_("These fields cannot be changed here: {fields}. Fields that "
                                 "can be changed: {allowed}."),
                              fields=", ".join(unknown), allowed=", ".join(EDITABLE))
    clean: dict[str, object] = {}
    if "name" in changes:
        clean["name"] = _clean_name(changes["name"])
    if "phone" in changes:
        clean["phone"] = _clean_phone(changes["phone"])
    if "email" in changes:
        clean["email"] = _clean_email(changes["email"])
    if "tier" in changes:
        clean["tier"] = _clean_tier(changes["tier"])
    if "marketing_consent" in changes:
        clean["marketing_consent"] = _clean_consent(changes["marketing_consent"])
    if "language" in changes:
        clean["language"] = _clean_language(changes["language"])
    if "address" in changes:
        clean["address"] = _clean_address(changes["address"])
    if "city" in changes:
        clean["city"] = _clean_city(changes["city"])
    with uow:
        customer = _live_customer(uow, customer_id, for_update=True)
        expect_version(customer, expected_version)
        before = _snapshot(customer)
        old_tier, old_consent = customer.tier, customer.marketing_consent
        phone_typed, phone_e164 = clean.get("phone", (customer.phone,
                                                      customer.phone_normalized))
        mail = clean.get("email", customer.email)
        _require_contact(phone_e164, mail)
        _check_unique_contact(uow, phone_e164 if phone_e164 != customer.phone_normalized
                              else None,
                              mail if mail != customer.email else None, exclude_id=customer.id)
        if "phone" in clean and phone_e164 != customer.phone_normalized:
            customer.phone, customer.phone_normalized = phone_typed, phone_e164
        if "email" in clean and mail != customer.email:
            customer.email = mail
        for name in ("name", "tier", "language", "address", "city"):
            if name in clean and getattr(customer, name) != clean[name]:
                setattr(customer, name, clean[name])
        if ("marketing_consent" in clean
                and clean["marketing_consent"] != customer.marketing_consent):
            customer.marketing_consent = clean["marketing_consent"]
            customer.consent_changed_at = utcnow()
        old, new = audit.changes(before, _snapshot(customer))
        if not new:
            return customer.version
        _flush_unique_contact(uow, phone_e164, mail, exclude_id=customer.id)
        audit.record(uow, actor, "customer_updated", "customer", customer.id, old, new)
        callback_rules.on_customer_changed(uow, actor, customer, old_tier, old_consent, utcnow())
        uow.commit()
        return customer.version


def add_note(uow: UnitOfWork, actor: Actor, customer_id: int, body: str) -> int:
    require(actor, Action.CUSTOMER_EDIT)
    text = (body or "").strip()
    if not text:
        raise ValidationError(N_("Write the note first."))
    if len(text) > NOTE_MAX:
        raise ValidationError(N_("A note can be at most {limit} characters long (this one has "
                                 "{length})."), limit=NOTE_MAX, length=len(text))
    validate.text(text, field=N_("Note"), limit=NOTE_MAX)    # no NUL, no broken character
    with uow:
        customer = _live_customer(uow, customer_id)
        note = CustomerNote(customer_id=customer.id, author_id=actor.staff_id, body=text)
        uow.session.add(note)
        uow.flush()
        audit.record(uow, actor, "customer_note_added", "customer", customer.id, None,
                     {"note_id": note.id})
        uow.commit()
        return note.id


# --- merge ------------------------------------------------------------------------------------

def _customer_references() -> list[sa.Column]:
    """Every column that points at customer.id, found in the schema itself, so that a table
    added later is moved by a merge too (customer.merged_into_id is handled apart)."""
    target = Customer.__table__.c.id
    refs = []
    for table in Base.metadata.sorted_tables:
        for fkey in table.foreign_keys:
            if fkey.column is target and not (table is Customer.__table__):
                refs.append(fkey.parent)
    return refs


def merge_customers(uow: UnitOfWork, actor: Actor, keep_id: int, merge_id: int) -> dict:
    """Two records of one person become one: every history row of `merge_id` (orders, cases,
    after-sales requests, callbacks, survey answers, notes, messages, maintenance plans...)
    moves to `keep_id`, the kept record's empty contact fields are filled from the merged one,
    and the merged record is marked merged (hidden from search, its profile points to the
    kept one). One transaction. Returns the rows moved per table."""
    require(actor, Action.CUSTOMER_MERGE)
    if keep_id == merge_id:
        raise ValidationError(N_("A customer cannot be merged into itself. Choose two "
                                 "different records."))
    with uow:
        # lock both rows in id order (PostgreSQL), so two merges at once cannot cross
        rows = uow.session.scalars(
            sa.select(Customer).where(Customer.id.in_([keep_id, merge_id]))
            .order_by(Customer.id).with_for_update()).all()
        by_id = {c.id: c for c in rows}
        for cid in (keep_id, merge_id):
            if cid not in by_id:
                raise NotFound(N_("Customer #{customer_id} does not exist."), customer_id=cid)
        keep, gone = by_id[keep_id], by_id[merge_id]
        for c in (keep, gone):
            if c.merged_into_id is not None:
                raise ValidationError(
                    N_("Customer #{customer_id} was already merged into customer "
                       "#{survivor_id}. Merge with customer #{survivor_id} instead."),
                    customer_id=c.id, survivor_id=_survivor_id(uow, c))
        now = utcnow()
        # the database allows one open callback per customer and purpose: the merged
        # customer's duplicate of an open one is cancelled (and still moved, as history)
        open_purposes = sa.select(Callback.purpose).where(
            Callback.customer_id == keep_id, Callback.status == CallbackStatus.OPEN)
        duplicates = uow.session.scalars(sa.select(Callback).where(
            Callback.customer_id == merge_id, Callback.status == CallbackStatus.OPEN,
            Callback.purpose.in_(open_purposes))).all()
        for cb in duplicates:
            cb.status = CallbackStatus.CANCELLED
            cb.closed_at = now
        uow.flush()
        moved: dict[str, int] = {}
        for column in _customer_references():
            table = column.table
            values: dict[str, object] = {column.name: keep_id}
            if "version" in table.c:  # an open form on a moved row must reload
                values["version"] = table.c.version + 1
            if "updated_at" in table.c:
                values["updated_at"] = now
            result = uow.session.execute(
                sa.update(table).where(column == merge_id).values(values)
                .execution_options(synchronize_session=False))
            if result.rowcount:
                key = table.name if column.name == "customer_id" else \
                    f"{table.name}.{column.name}"
                moved[key] = moved.get(key, 0) + result.rowcount
        # records merged earlier into the one going away now point to the survivor
        earlier = uow.session.execute(
            sa.update(Customer.__table__).where(Customer.__table__.c.merged_into_id == merge_id)
            .values(merged_into_id=keep_id, version=Customer.__table__.c.version + 1)
            .execution_options(synchronize_session=False)).rowcount
        if earlier:
            moved["customer.merged_into_id"] = earlier
        # first out of the live records, so that its phone or e-mail may move to the kept
        # one without two live records holding it at any moment (a unique index)
        gone.merged_into_id = keep.id
        uow.flush()
        filled = []
        if not keep.phone_normalized and gone.phone_normalized:
            keep.phone, keep.phone_normalized = gone.phone, gone.phone_normalized
            filled.append("phone")
        for name in ("email", "address", "city", "home_store_id"):
            if getattr(keep, name) is None and getattr(gone, name) is not None:
                setattr(keep, name, getattr(gone, name))
                filled.append(name)
        old_tier, old_consent = keep.tier, keep.marketing_consent
        if gone.tier == CustomerTier.VIP and keep.tier != CustomerTier.VIP:
            keep.tier = CustomerTier.VIP
            filled.append("tier")
        keep.updated_at = now  # bumps the kept record's version: open forms reload
        callback_rules.on_customer_changed(uow, actor, keep, old_tier, old_consent, now)
        payload = {"kept_id": keep_id, "merged_id": merge_id, "moved": moved,
                   "filled": filled, "cancelled_callbacks": [cb.id for cb in duplicates]}
        audit.record(uow, actor, "customer_merged", "customer", keep_id, None, payload)
        audit.record(uow, actor, "customer_merged", "customer", merge_id,
                     {"merged_into_id": None}, payload)
        uow.commit()
        return moved


# --- the profile --------------------------------------------------------------------------------

def customer_profile(uow: UnitOfWork, actor: Actor, customer_id: int) -> CustomerProfile:
    """Everything about one customer for the customer screen: contact data (masked unless the
    actor may see personal data), notes, orders with their lines, and one timeline of cases,
    after-sales requests, callbacks and survey answers, newest first. The view itself is
    audited ("customer_viewed"), so every look at a customer record is traceable."""
    require(actor, Action.CUSTOMER_VIEW)
    personal = sees_personal_data(actor)
    with uow:
        s = uow.session
        c = _live_customer(uow, customer_id)
        profile = CustomerProfile(
            id=c.id, version=c.version, name=c.name,
            phone=(display_phone(c.phone_normalized, c.phone) if personal
                   else mask_phone(c.phone_normalized or c.phone)),
            email=c.email if personal else mask_email(c.email),
            address=c.address if personal else mask_address(c.address),
            city=c.city, tier=c.tier.value, language=c.language.value,
            marketing_consent=c.marketing_consent, consent_changed_at=c.consent_changed_at,
            created_at=c.created_at, personal_data_visible=personal)

        for note, author in s.execute(
                sa.select(CustomerNote, Staff.display_name)
                .join(Staff, Staff.id == CustomerNote.author_id)
                .where(CustomerNote.customer_id == c.id)
                .order_by(CustomerNote.created_at.desc(), CustomerNote.id.desc())):
            profile.notes.append(NoteView(note.id, note.created_at, author,
                                          note.body if personal else mask_text(note.body)))

        profile.orders_total = s.scalar(sa.select(sa.func.count()).select_from(Order)
                                        .where(Order.customer_id == c.id)) or 0
        orders = s.scalars(
            sa.select(Order).where(Order.customer_id == c.id)
            .options(selectinload(Order.lines))
            .order_by(Order.ordered_at.desc(), Order.id.desc()).limit(PROFILE_ORDERS)).all()
        product_ids = {line.product_id for o in orders for line in o.lines}
        products = {p.id: p for p in s.execute(
            sa.select(Product.id, Product.name, Product.name_zh)
            .where(Product.id.in_(product_ids)))} if product_ids else {}
        for o in orders:
            lines = [OrderLineView(products[l.product_id].name, products[l.product_id].name_zh,
                                   l.quantity, l.unit_price_cents, l.paid_cents,
                                   l.refunded_cents) for l in o.lines]
            profile.orders.append(OrderView(
                o.id, o.order_number, o.state.value, o.channel.value, o.ordered_at,
                o.confirmed_at, o.shipped_at, o.delivered_at, o.cancelled_at,
                o.expected_delivery_on,
                o.delivery_address if personal else mask_address(o.delivery_address),
                o.total_cents, lines))

        timeline: list[TimelineEntry] = []
        n = PROFILE_TIMELINE
        for row in s.execute(sa.select(Case.id, Case.created_at, Case.subject, Case.status)
                             .where(Case.customer_id == c.id)
                             .order_by(Case.created_at.desc()).limit(n)):
            subject = row.subject if personal else mask_text(row.subject)
            timeline.append(TimelineEntry(row.created_at, "case", row.id, subject,
                                          row.status.value, case_id=row.id))
        for row in s.execute(sa.select(AfterSalesRequest.id, AfterSalesRequest.created_at,
                                       AfterSalesRequest.kind, AfterSalesRequest.status,
                                       AfterSalesRequest.case_id)
                             .where(AfterSalesRequest.customer_id == c.id)
                             .order_by(AfterSalesRequest.created_at.desc()).limit(n)):
            timeline.append(TimelineEntry(row.created_at, "after_sales", row.id,
                                          row.kind.value, row.status.value,
                                          case_id=row.case_id))
        for row in s.execute(sa.select(Callback.id, Callback.due_at, Callback.closed_at,
                                       Callback.purpose, Callback.status, Callback.case_id)
                             .where(Callback.customer_id == c.id)
                             .order_by(Callback.due_at.desc()).limit(n)):
            timeline.append(TimelineEntry(row.closed_at or row.due_at, "callback", row.id,
                                          row.purpose.value, row.status.value,
                                          case_id=row.case_id))
        for row in s.execute(sa.select(SurveyAnswer.id, SurveyAnswer.answered_at,
                                       SurveyAnswer.satisfaction, SurveyAnswer.comment,
                                       SurveyAnswer.case_id)
                             .where(SurveyAnswer.customer_id == c.id)
                             .order_by(SurveyAnswer.answered_at.desc()).limit(n)):
            comment = row.comment or ""
            timeline.append(TimelineEntry(row.answered_at, "survey", row.id,
                                          comment if personal else mask_text(comment), None,
                                          satisfaction=row.satisfaction, case_id=row.case_id))
        timeline.sort(key=lambda e: (e.at, e.ref_id), reverse=True)
        profile.timeline = timeline[:n]
        profile.care_plans = care_plans.plans_of(s, c.id)

        audit.record(uow, actor, "customer_viewed", "customer", c.id, None,
                     {"personal_data": personal})
        uow.commit()
        return profile
