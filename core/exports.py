"""Spreadsheet-safe exports: what every download in the app goes through.

A cell whose text starts with = + - @ (or a tab or carriage return, also after leading
blanks or control characters) is taken for a formula by Excel and LibreOffice, so a customer
who writes `=HYPERLINK(...)` into a complaint could run it on the analyst's computer.
Following the OWASP guidance on CSV injection, such text is prefixed with a single quote,
which both programs show as text. Numbers, booleans, dates and empty cells pass through
unchanged, so figures stay figures.

- `csv_bytes(df)`: UTF-8 with a byte-order mark (Excel in a Chinese locale otherwise guesses
  GBK and shows mojibake).
- `excel_bytes({"Sheet": df, ...})`: an .xlsx workbook; every text cell is also written as
  a string cell, so nothing in it is ever evaluated as a formula, whatever its content.

The DataFrame's index is not written: `reset_index()` first to keep it.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from io import BytesIO

import numpy as np
import pandas as pd

from core.errors import ValidationError
from core.i18n import N_

# OWASP: "=", "+", "-", "@", tab (0x09) and carriage return (0x0D)
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
LIST_SEPARATOR = ", "

EXCEL_MAX_ROWS = 1_048_576               # including the header row
EXCEL_MAX_SHEET_NAME = 31
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
# characters XML 1.0 cannot carry; openpyxl refuses the whole workbook if a cell holds one
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_MIN_WIDTH, _MAX_WIDTH, _WIDTH_SAMPLE = 6, 60, 1000

_PASS_THROUGH = (bool, int, float, Decimal, datetime, date, time, timedelta)


def _first_visible(text: str) -> str:
    """The text from its first character that is neither blank nor a control or format
    character (a spreadsheet skips those, and an Excel cell cannot even hold the control
    characters: "\x00=1" would be written as "=1")."""
    for i, ch in enumerate(text):
        if not ch.isspace() and unicodedata.category(ch) not in ("Cc", "Cf"):
            return text[i:]
    return ""


def _neutralise(text: str) -> str:
    if text.startswith(DANGEROUS_PREFIXES) or _first_visible(text).startswith(
            DANGEROUS_PREFIXES):
        return QUOTE + text
    return text


def safe_cell(value: object) -> object:
    """The value as it may go into a spreadsheet cell: text that a spreadsheet would take
    for a formula gets a leading quote; numbers, booleans, dates and None are unchanged;
    lists, tuples and sets become one text, joined with ", "."""
    if value is None or value is pd.NA or value is pd.NaT:
        return value
    if isinstance(value, str):
        return _neutralise(str(value))            # str(): a StrEnum becomes its plain value
    if isinstance(value, _PASS_THROUGH):
        return value
    if isinstance(value, np.generic) and not isinstance(value, (np.str_, np.bytes_)):
        return value                              # numpy numbers, booleans, datetime64
    if isinstance(value, (list, tuple, set, frozenset)):
        items: Iterable[object] = value
        if isinstance(value, (set, frozenset)):
            items = sorted(value, key=str)        # the same text every time
        parts = ("" if v is None else str(safe_cell(v)) for v in items)
        return _neutralise(LIST_SEPARATOR.join(parts))
    if isinstance(value, bytes):
        return _neutralise(value.decode("utf-8", errors="replace"))
    return _neutralise(str(value))


def _is_text_column(series: pd.Series) -> bool:
    dtype = series.dtype
    return (dtype == object or isinstance(dtype, (pd.StringDtype, pd.CategoricalDtype)))


def _safe_columns(columns: pd.Index) -> pd.Index:
    if isinstance(columns, pd.MultiIndex):
        return pd.MultiIndex.from_tuples(
            [tuple(safe_cell(level) for level in col) for col in columns],
            names=[safe_cell(n) for n in columns.names])
    return pd.Index([safe_cell(c) for c in columns], name=safe_cell(columns.name))


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell and every column name neutralised (see safe_cell)."""
    out = df.copy()
    for i in range(out.shape[1]):
        column = out.iloc[:, i]
        if _is_text_column(column):
            if isinstance(column.dtype, pd.CategoricalDtype):
                column = column.astype(object)
            out.isetitem(i, column.map(safe_cell, na_action="ignore"))
    out.columns = _safe_columns(out.columns)
    return out


def csv_bytes(df: pd.DataFrame) -> bytes:
    """The table as CSV: UTF-8 with a byte-order mark, CRLF line ends, neutralised."""
    text = safe_frame(df).to_csv(index=False, lineterminator="\r\n")
    return text.encode("utf-8-sig")


# --- Excel ---------------------------------------------------------------------------------

def sheet_names(names: Iterable[object]) -> list[str]:
    """Names Excel accepts, in the same order: at most 31 characters, none of []:*?/\\,
    not empty, not starting or ending with a quote, not "History", unique ignoring case."""
    used: set[str] = set()
    result = []
    for raw in names:
        name = _SHEET_NAME_FORBIDDEN.sub("_", str(raw)).strip(" '")
        name = name[:EXCEL_MAX_SHEET_NAME].strip(" '") or "Sheet"
        if name.lower() == "history":          # reserved by Excel
            name = "History_"
        candidate, n = name, 1
        while candidate.lower() in used:
            n += 1
            suffix = f" ({n})"
            candidate = name[:EXCEL_MAX_SHEET_NAME - len(suffix)].rstrip() + suffix
        used.add(candidate.lower())
        result.append(candidate)
    return result


def _display_width(text: str) -> int:
    # CJK characters take about two columns' width
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _header(columns: pd.Index) -> list[str]:
    if isinstance(columns, pd.MultiIndex):
        return [" / ".join("" if v is None else str(v) for v in col) for col in columns]
    return ["" if c is None else str(c) for c in columns]


def _plain(value: object) -> object:
    """A cell value openpyxl can write: neutralised, numpy and pandas types made plain,
    empties and NaN as None."""
    value = safe_cell(value)
    if value is None or isinstance(value, str):
        return value
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    elif isinstance(value, np.timedelta64):
        value = pd.Timedelta(value)
    elif isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    elif isinstance(value, pd.Timedelta):
        value = value.to_pytimedelta()
    if isinstance(value, (datetime, time)) and value.tzinfo is not None:
        # Excel has no time zones: keep the wall-clock time as shown in the frame
        value = value.replace(tzinfo=None)
    if isinstance(value, float) and math.isinf(value):
        return safe_cell(str(value))            # Excel has no infinity: "inf" / "'-inf"
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, Decimal) and not value.is_finite():
        return None if value.is_nan() else safe_cell(str(value))
    return value


def _text_cell(ws, text: str, font=None):
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=_XML_ILLEGAL.sub("", text))
    cell.data_type = "s"          # never a formula nor an error code ("#N/A"), whatever it says
    if font is not None:
        cell.font = font
    return cell


def _number_cell(ws, value: float):
    """A float openpyxl would round to 16 significant digits ("%.16g"); written with the
    shortest text that reads back as exactly this number instead."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=value)
    cell._value = repr(value)     # still data_type "n": a number in Excel
    return cell


def _cell(ws, value: object) -> object:
    value = _plain(value)
    if isinstance(value, str):
        return _text_cell(ws, value)
    if isinstance(value, float) and float("%.16g" % value) != value:
        return _number_cell(ws, value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2 ** 53:
        return _text_cell(ws, str(value))      # beyond a double's exact integers
    return value


def _width(header: str, values: Iterable[object]) -> float:
    widest = _display_width(header)
    for v in values:
        v = _plain(v)
        if v is None:
            continue
        text = v.isoformat(sep=" ") if isinstance(v, datetime) else str(v)
        widest = max(widest, max((_display_width(line) for line in text.splitlines()),
                                 default=0))
    return float(min(max(widest + 2, _MIN_WIDTH), _MAX_WIDTH))


def excel_bytes(sheets: Mapping[str, pd.DataFrame], title: str | None = None) -> bytes:
    """An .xlsx workbook, one sheet per entry (names made valid for Excel), with a bold,
    frozen header row and columns about as wide as their content. Text is neutralised and
    written as text; numbers, booleans and dates stay what they are. `title` is the
    workbook's document title (File > Properties)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    for df in sheets.values():
        if len(df) + 1 > EXCEL_MAX_ROWS:
            raise ValidationError(
                N_("This table has {rows} rows; an Excel sheet holds at most {limit}. "
                   "Narrow the selection, or download it as CSV."),
                rows=len(df), limit=EXCEL_MAX_ROWS - 1)
    wb = Workbook(write_only=True)
    if title:
        wb.properties.title = str(safe_cell(_XML_ILLEGAL.sub("", title)))
    bold = Font(bold=True)
    frames = list(sheets.values()) or [pd.DataFrame()]
    for name, df in zip(sheet_names(list(sheets) or ["Sheet"]), frames):
        ws = wb.create_sheet(title=name)
        header = _header(df.columns)
        for i, col in enumerate(header):
            sample = df.iloc[:_WIDTH_SAMPLE, i].tolist() if len(df) else []
            ws.column_dimensions[get_column_letter(i + 1)].width = _width(col, sample)
        if header:
            ws.freeze_panes = "A2"
            ws.append([_text_cell(ws, str(safe_cell(h)), bold) for h in header])
        for row in df.itertuples(index=False, name=None):
            ws.append([_cell(ws, v) for v in row])
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()
