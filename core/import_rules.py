"""The rules of an import file's rows, without a database: fields and kinds of file, how a
column name is matched to a field (core.import_fields lists the names), and how a cell
becomes a checked value.

A cell that cannot be accepted raises ValidationError with the reason (a msgid + params);
parse_rows turns it into a RowProblem naming the row (as numbered in the file, the header
being row 1) and the column.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from zoneinfo import ZoneInfo

from core import formats
from core.customers import (
    _clean_address, _clean_city, _clean_name, normalize_email, normalize_phone,
)
from core.errors import ValidationError
from core.i18n import N_, Term
from core.import_files import cell_text, is_blank


class ImportKind(StrEnum):
    CUSTOMERS = "customers"
    PRODUCTS = "products"
    ORDERS = "orders"
    STAFF = "staff"


KIND_LABEL = {ImportKind.CUSTOMERS: N_("Customers"), ImportKind.PRODUCTS: N_("Products"),
              ImportKind.ORDERS: N_("Orders with lines"), ImportKind.STAFF: N_("Staff")}

MAX_AMOUNT_CENTS = 1_000_000_000     # 10 million yuan: far above any line, inside INTEGER
MAX_QUANTITY = 100_000


@dataclass(frozen=True)
class RowProblem:
    """One reason one row of the file cannot be imported."""
    row: int                         # as the user sees it in the file: the header is row 1
    message: str                     # msgid
    params: Mapping[str, object] = field(default_factory=dict)
    column: str | None = None        # the column's name as written in the file

    def render(self, gettext: Callable[[str], str]) -> str:
        text = gettext(self.message)
        if not self.params:
            return text
        return text.format(**{k: gettext(v) if isinstance(v, Term) else v
                              for k, v in self.params.items()})


@dataclass(frozen=True)
class Context:
    tz: ZoneInfo          # the shop's time zone: times in files are its wall-clock times
    now: datetime         # naive UTC


Parser = Callable[[object, Context], object]


@dataclass(frozen=True)
class Field:
    name: str
    label: str                       # msgid
    parse: Parser
    aliases: tuple[str, ...] = ()
    required: bool = False


@dataclass(frozen=True)
class KindSpec:
    kind: ImportKind
    fields: tuple[Field, ...]
    # groups of fields of which each row needs at least one (phone or e-mail)
    one_of: tuple[tuple[str, ...], ...] = ()

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


# --- matching column names --------------------------------------------------------------------

_BRACKETS = re.compile(r"\(.*?\)|\[.*?\]|【.*?】")
_NOISE = re.compile(r"[\s_\-.*:#/'\"]+")


def header_key(text: object) -> str:
    """What column names are compared by: NFKC, casefolded, without a bracketed unit
    ("价格(元)" -> "价格") and without spaces, dashes, underscores, dots or stars."""
    key = unicodedata.normalize("NFKC", str(text or "")).casefold()
    return _NOISE.sub("", _BRACKETS.sub("", key)) or _NOISE.sub("", key)


def suggest_mapping(spec: KindSpec, headers: list[str]) -> dict[str, str]:
    """field -> column: a column whose name is the field's own or one of its aliases. Each
    column serves one field; the field listed first wins a contested column."""
    keys = {header_key(h): h for h in reversed(headers) if h}
    taken: set[str] = set()
    out: dict[str, str] = {}
    for f in spec.fields:
        for alias in (f.name, *f.aliases):
            h = keys.get(header_key(alias))
            if h is not None and h not in taken:
                out[f.name] = h
                taken.add(h)
                break
    return out


def resolve_mapping(spec: KindSpec, headers: list[str],
                    explicit: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """The suggestion, overridden by `explicit` (field -> column, None to leave a field
    out). A column chosen explicitly is taken away from a field it was only suggested for."""
    mapping = suggest_mapping(spec, headers)
    if not explicit:
        return mapping
    names = {f.name for f in spec.fields}
    present = {h for h in headers if h}
    chosen: dict[str, str] = {}
    for name, column in explicit.items():
        if name not in names:
            raise ValidationError(N_("{field} is not a field of this kind of import."),
                                  field=name)
        if column in (None, ""):
            mapping.pop(name, None)
            continue
        if column not in present:
            raise ValidationError(N_("The file has no column {column}."), column=column)
        for other, col in chosen.items():
            if col == column:
                raise ValidationError(
                    N_("The column {column} is chosen for both {field} and {other}."),
                    column=column, field=Term(spec.field(name).label),
                    other=Term(spec.field(other).label))
        chosen[name] = column
    for name, column in chosen.items():
        for other in [o for o, c in mapping.items() if c == column and o not in chosen]:
            del mapping[other]
        mapping[name] = column
    return mapping


def missing_fields(spec: KindSpec, mapping: Mapping[str, str]) -> list[tuple[str, ...]]:
    """Required fields (and one-of groups) that no column is chosen for."""
    out: list[tuple[str, ...]] = [(f.name,) for f in spec.fields
                                  if f.required and f.name not in mapping]
    out += [group for group in spec.one_of if not any(n in mapping for n in group)]
    return out


# --- cell parsers -----------------------------------------------------------------------------

def _key(value: object) -> str:
    return header_key(cell_text(value))


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")              # Unicode category Cc
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _control(text: str, allow_newlines: bool = False) -> bool:
    return (_CONTROL_BUT_LINES if allow_newlines else _CONTROL).search(text) is not None


def text(label: str, limit: int, *, multiline: bool = False) -> Parser:
    def parse(value: object, _ctx: Context) -> str:
        cleaned = cell_text(value)
        if len(cleaned) > limit:
            raise ValidationError(N_("{field} is too long: {length} characters, at most "
                                     "{limit}."), field=Term(label), length=len(cleaned),
                                  limit=limit)
        if _control(cleaned, multiline):
            raise ValidationError(N_("{field} cannot contain line breaks or control "
                                     "characters."), field=Term(label))
        return cleaned
    return parse


def phone(value: object, _ctx: Context) -> tuple[str, str]:
    """(as written, E.164)."""
    typed = unicodedata.normalize("NFKC", cell_text(value)).strip()
    return typed, normalize_phone(typed)


def email(value: object, _ctx: Context) -> str:
    return normalize_email(cell_text(value))


def person_name(value: object, _ctx: Context) -> str:
    return _clean_name(cell_text(value))


def address(value: object, _ctx: Context) -> str | None:
    return _clean_address(cell_text(value))


def city(value: object, _ctx: Context) -> str | None:
    return _clean_city(cell_text(value))


def closed_list(label: str, words: Mapping[str, object], allowed: str) -> Parser:
    """A value of a closed list, by its stored value or one of the words people use."""
    table = {header_key(k): v for k, v in words.items()}

    def parse(value: object, _ctx: Context) -> object:
        found = table.get(_key(value))
        if found is None:
            raise ValidationError(N_("Unknown {field}: {value}. Allowed: {allowed}."),
                                  field=Term(label), value=cell_text(value)[:40],
                                  allowed=allowed)
        return found
    return parse


def words(enum: type[StrEnum], extra: Mapping[str, object]) -> dict[str, object]:
    return {**{m.value: m for m in enum}, **extra}


YES = ("yes", "y", "true", "t", "1", "是", "有", "同意", "✓", "√", "x")
NO = ("no", "n", "false", "f", "0", "否", "无", "没有", "不同意")


def yes_no(label: str) -> Parser:
    table = {**{w: True for w in YES}, **{w: False for w in NO}}

    def parse(value: object, ctx: Context) -> bool:
        if isinstance(value, bool):
            return value
        return closed_list(label, table, "yes, no")(value, ctx)
    return parse


def amount(label: str) -> Parser:
    """Yuan as written ("1299", "1,299.50", "¥12.5", "12元") -> cents."""
    def parse(value: object, _ctx: Context) -> int:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            raw = repr(value)
        else:
            raw = unicodedata.normalize("NFKC", cell_text(value))
            raw = re.sub(r"^(rmb|cny)|[¥元\s]", "", raw, flags=re.IGNORECASE)
            if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d*)?", raw):
                raw = raw.replace(",", "")
        try:
            number = Decimal(raw)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise ValidationError(N_("{field} is not an amount in yuan: {value}."),
                                  field=Term(label), value=cell_text(value)[:40])
        if number < 0:
            raise ValidationError(N_("{field} cannot be negative: {value}."),
                                  field=Term(label), value=cell_text(value)[:40])
        cents = number * 100
        if cents != cents.to_integral_value() or cents > MAX_AMOUNT_CENTS:
            raise ValidationError(N_("{field} is not an amount in yuan: {value}."),
                                  field=Term(label), value=cell_text(value)[:40])
        return int(cents)
    return parse


def whole(label: str, low: int, high: int) -> Parser:
    def parse(value: object, _ctx: Context) -> int:
        raw = cell_text(value)
        try:
            number = Decimal(unicodedata.normalize("NFKC", raw).replace(",", ""))
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or number != number.to_integral_value():
            raise ValidationError(N_("{field} is not a whole number: {value}."),
                                  field=Term(label), value=raw[:40])
        if number < 0:
            raise ValidationError(N_("{field} cannot be negative: {value}."),
                                  field=Term(label), value=raw[:40])
        if not low <= number <= high:
            raise ValidationError(N_("{field} must be from {low} to {high}: {value}."),
                                  field=Term(label), low=low, high=high, value=raw[:40])
        return int(number)
    return parse


_DATE_RE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]+(\d{1,2})\s*[:时]\s*(\d{1,2})(?:\s*[:分]\s*(\d{1,2})(?:\.\d+)?\s*秒?)?\s*分?)?")
_EARLIEST = datetime(1990, 1, 1)


def _local_datetime(value: object, label: str) -> tuple[datetime, bool]:
    """(wall-clock datetime, whether a time of day was given)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None, microsecond=0), True
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day), False
    raw = unicodedata.normalize("NFKC", cell_text(value))
    m = _DATE_RE.fullmatch(raw)
    try:
        if m is None:
            raise ValueError
        y, mo, d, h, mi, s = (int(g) if g else 0 for g in m.groups())
        found = datetime(y, mo, d, h, mi, s)
    except ValueError:
        raise ValidationError(N_("{field} is not a date: {value}. Write dates as 2026-03-31, "
                                 "with a time if needed: 2026-03-31 14:30."),
                              field=Term(label), value=raw[:40]) from None
    if found < _EARLIEST:
        raise ValidationError(N_("{field} is not a date: {value}. Write dates as 2026-03-31, "
                                 "with a time if needed: 2026-03-31 14:30."),
                              field=Term(label), value=raw[:40])
    return found, m.group(4) is not None


def moment(label: str) -> Parser:
    """A past moment in the shop's time -> naive UTC."""
    def parse(value: object, ctx: Context) -> datetime:
        local, _timed = _local_datetime(value, label)
        utc = formats.utc_time(local, ctx.tz)
        if utc > ctx.now + timedelta(minutes=5):
            raise ValidationError(N_("{field} is in the future: {value}."),
                                  field=Term(label), value=cell_text(value)[:40])
        return utc
    return parse


def day(label: str) -> Parser:
    def parse(value: object, _ctx: Context) -> date:
        local, timed = _local_datetime(value, label)
        return local.date()
    return parse


LIST_SPLIT = re.compile(r"[,;，；、|/]+|\s+")


def skills(value: object, _ctx: Context) -> frozenset[str]:
    out = set()
    for part in LIST_SPLIT.split(cell_text(value)):
        skill = part.strip().lower()
        if not skill:
            continue
        if len(skill) > 64 or _control(skill):
            raise ValidationError(N_("{field} is too long: {length} characters, at most "
                                     "{limit}."), field=Term(N_("Skills")),
                                  length=len(skill), limit=64)
        out.add(skill)
    return frozenset(out)


def username(value: object, _ctx: Context) -> str:
    from core.auth import validate_username
    return validate_username(cell_text(value))


# --- rows ---------------------------------------------------------------------------------------

@dataclass(slots=True)
class ParsedRow:
    row: int                      # row number in the file
    values: dict[str, object]     # field -> checked value; blank cells are absent
    bad: bool = False


def parse_rows(spec: KindSpec, headers: list[str], rows: list[tuple[int, list[object]]],
               mapping: Mapping[str, str], ctx: Context, problems: list[RowProblem],
               progress: Callable[[float], None] | None = None) -> list[ParsedRow]:
    """Every row's mapped cells checked; what fails is added to `problems` (and the row
    marked bad). Identical cells are checked once (an order's fields repeat on each line)."""
    index = {h: i for i, h in enumerate(headers) if h}
    plan = [(f, index[mapping[f.name]], mapping[f.name]) for f in spec.fields
            if f.name in mapping]
    caches: dict[str, dict[object, object]] = {f.name: {} for f, _i, _c in plan}
    out: list[ParsedRow] = []
    total = len(rows)
    for n, (number, cells) in enumerate(rows):
        values: dict[str, object] = {}
        blank: set[str] = set()
        bad = False
        width = len(cells)
        for f, i, column in plan:
            raw = cells[i] if i < width else None
            if is_blank(raw):
                blank.add(f.name)
                if f.required:
                    problems.append(RowProblem(number, N_("{field} is required."),
                                               {"field": Term(f.label)}, column))
                    bad = True
                continue
            cache = caches[f.name]
            key = (type(raw), raw)
            hit = cache.get(key)
            if hit is None:
                try:
                    hit = (True, f.parse(raw, ctx))
                except ValidationError as e:
                    hit = (False, e)
                if len(cache) < 200_000:
                    cache[key] = hit
            if hit[0]:
                values[f.name] = hit[1]
            else:
                problems.append(RowProblem(number, hit[1].message, hit[1].params, column))
                bad = True
        for group in spec.one_of:
            mapped = [g for g in group if g in mapping]
            if mapped and all(g in blank for g in mapped):
                problems.append(RowProblem(number, N_(
                    "Give a phone number or an e-mail address: one of them is needed to find "
                    "the customer."), {}, mapping[mapped[0]]))
                bad = True
        out.append(ParsedRow(number, values, bad))
        if progress is not None and n % 2000 == 0:
            progress(n / total)
    return out
