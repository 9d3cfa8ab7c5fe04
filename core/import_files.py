"""Reading an import file: CSV or Excel bytes -> a header row and numbered data rows.

No database and no rules here (core.import_rules knows the fields, core.imports runs them).

- CSV as Excel and other tools write it: UTF-8 with or without a byte-order mark; GBK /
  GB18030, which Excel writes in a Chinese locale ("CSV (逗号分隔)"); UTF-16 with a BOM
  ("Unicode text"). Detection is strict: the whole file must decode as UTF-8, else as
  GB18030 (a superset of GBK and GB2312); no guessing from statistics.
- The separator is the one of `, ; tab` found most often in the first line.
- Excel .xlsx through openpyxl in read-only mode, first sheet; numbers and dates arrive as
  numbers and dates (a phone typed into a number cell is an int, written back without ".0").
- Row numbers are the ones the user sees in the file: the header row is row 1. Rows with
  nothing in them are skipped (not counted, not reported).
"""
from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time

from core.errors import ValidationError
from core.i18n import N_

MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 500_000
DELIMITERS = (",", ";", "\t")
# our own exports put a quote before text a spreadsheet would take for a formula
# (core.exports): read back, it is taken off again
_NEUTRALISED = ("=", "+", "-", "@", "\t", "\r")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"   # the old binary .xls


@dataclass
class Table:
    headers: list[str]                          # as written in the first row (trimmed)
    rows: list[tuple[int, list[object]]]        # (row number in the file, cells)
    encoding: str                               # "utf-8", "utf-8-sig", "gb18030", "xlsx"...


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-16 if it starts with its BOM, else strict UTF-8 (BOM or not),
    else strict GB18030 (which covers GBK and GB2312)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    else:
        try:
            encoding = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
            return data.decode("utf-8-sig"), encoding
        except UnicodeDecodeError:
            pass
        try:
            return data.decode("gb18030"), "gb18030"
        except UnicodeDecodeError:
            pass
    raise ValidationError(N_("The file's text is neither UTF-8 nor GBK / GB18030. Save it "
                             "from Excel as \"CSV UTF-8\" and upload it again."))


def cell_text(value: object) -> str:
    """A cell as trimmed text: whole numbers without ".0", dates in ISO form, NFC."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    text = unicodedata.normalize("NFC", str(value)).strip()
    if text.startswith("'") and text[1:].lstrip().startswith(_NEUTRALISED):
        text = text[1:]
    return text


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_table(data: bytes, file_name: str = "") -> Table:
    """The file's header row and data rows; ValidationError when it cannot be read."""
    if not data:
        raise ValidationError(N_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise ValidationError(N_("The file is {size} MB; at most {limit} MB can be imported "
                                 "at once. Split it into smaller files."),
                              size=round(len(data) / 1024 / 1024, 1),
                              limit=MAX_BYTES // 1024 // 1024)
    if data.startswith(_OLE_MAGIC):
        raise ValidationError(N_("This is an old Excel file (.xls). Save it as .xlsx or as "
                                 "CSV and upload it again."))
    if data.startswith(_ZIP_MAGIC):
        return _read_xlsx(data)
    if file_name.lower().endswith((".xlsx", ".xlsm")):
        raise ValidationError(N_("The file is not a valid Excel workbook."))
    return _read_csv(data)


def _finish(raw_rows, encoding: str) -> Table:
    """The first row as the header; blank rows dropped; limits checked."""
    headers: list[str] | None = None
    rows: list[tuple[int, list[object]]] = []
    for number, cells in raw_rows:
        if headers is None:
            if number != 1 or all(is_blank(c) for c in cells):
                raise ValidationError(N_("The first row must hold the column names."))
            headers = [cell_text(c) for c in cells]
            while headers and not headers[-1]:
                headers.pop()
            seen: set[str] = set()
            for h in headers:
                if h and h.casefold() in seen:
                    raise ValidationError(N_("The column name {column} appears twice in the "
                                             "first row. Rename one of the two columns."),
                                          column=h)
                seen.add(h.casefold())
            continue
        if all(is_blank(c) for c in cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise ValidationError(N_("The file has more than {limit} rows. Split it into "
                                     "smaller files."), limit=MAX_ROWS)
        rows.append((number, list(cells)))
    if headers is None:
        raise ValidationError(N_("The file is empty."))
    if not rows:
        raise ValidationError(N_("The file has no rows below the column names."))
    return Table(headers, rows, encoding)


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(data: bytes) -> Table:
    text, encoding = decode_text(data)
    if "\x00" in text:
        raise ValidationError(N_("The file is not a text (CSV) file. Upload a CSV or an .xlsx "
                                 "file."))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        numbered = ((i, row) for i, row in enumerate(reader, start=1))
        return _finish(numbered, encoding)
    except csv.Error as e:
        raise ValidationError(N_("Row {row} of the file cannot be read as CSV ({error})."),
                              row=reader.line_num, error=str(e)) from None


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError):
        raise ValidationError(N_("The file is not a valid Excel workbook.")) from None
    try:
        ws = wb.worksheets[0] if wb.worksheets else None
        if ws is None:
            raise ValidationError(N_("The file is empty."))
        ws.reset_dimensions()   # some writers record a wrong size: read what is there
        numbered = ((i, list(row)) for i, row in enumerate(ws.iter_rows(values_only=True),
                                                             start=1))
        return _finish(numbered, "xlsx")
    finally:
        wb.close()
