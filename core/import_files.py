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
- What a file is, is decided from its name and its content together: the name must end in
  .csv or .xlsx, the content must be what the name says (text for a CSV, an Excel workbook
  without macros for .xlsx), and a program, image, archive, PDF or web page is refused
  whatever it is called ("orders.csv.exe", "orders.xlsx.html", a PNG renamed .csv). A name
  whose last extension is right ("orders.exe.csv") is read for its content like any other.
  The size limit (MAX_BYTES, also the upload widget's and Streamlit's) is checked here, so
  that the command line and the page refuse the same files.
"""
from __future__ import annotations

import csv
import io
import math
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time

from core.errors import ValidationError
from core.i18n import N_, Term

MAX_BYTES = 50 * 1024 * 1024
MAX_MB = MAX_BYTES // 1024 // 1024     # the upload widget's and Streamlit's limit too
MAX_UNPACKED_BYTES = 1024 ** 3         # a workbook's content unpacked (a "zip bomb" is refused)
MAX_ROWS = 500_000
TEXT_EXTENSIONS = (".csv",)
WORKBOOK_EXTENSIONS = (".xlsx",)
DELIMITERS = (",", ";", "\t")
# our own exports put a quote before text a spreadsheet would take for a formula
# (core.exports): read back, it is taken off again
_NEUTRALISED = ("=", "+", "-", "@", "\t", "\r")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"   # the old binary .xls
# what other files start with: (bytes, what it is); none of them is ever read as a table
_NOT_A_TABLE = (
    (b"\x89PNG\r\n\x1a\n", N_("a PNG image")), (b"\xff\xd8\xff", N_("a JPEG image")),
    (b"GIF87a", N_("a GIF image")), (b"GIF89a", N_("a GIF image")),
    (b"%PDF-", N_("a PDF document")), (b"\x7fELF", N_("a program")),
    (b"\x1f\x8b", N_("a compressed (gzip) file")), (b"Rar!\x1a\x07", N_("a RAR archive")),
    (b"7z\xbc\xaf\x27\x1c", N_("a 7-Zip archive")),
)
_MARKUP = ("<!doctype", "<html", "<head", "<body", "<script", "<svg", "<?xml", "<iframe",
           "<meta", "<!--", "<a ", "<img", "<div", "<table", "<form", "<object", "<embed")


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
    """The file's header row and data rows; ValidationError when it cannot be read or is not
    what its name says. Without a name (tests, the caller knows) the content decides."""
    if not data:
        raise ValidationError(N_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise ValidationError(N_("The file is {size} MB; at most {limit} MB can be imported "
                                 "at once. Split it into smaller files."),
                              size=math.ceil(len(data) / 1024 / 1024 * 100) / 100,
                              limit=MAX_MB)
    extension = _extension(file_name)
    if data.startswith(_OLE_MAGIC):
        raise ValidationError(N_("This is an old Excel file (.xls). Save it as .xlsx or as "
                                 "CSV and upload it again."))
    what = _foreign(data)
    if what is not None:
        raise ValidationError(N_("{file} is {what}, not a CSV or Excel file. Upload a .csv or "
                                 ".xlsx file."), file=_shown(file_name), what=Term(what))
    if data.startswith(_ZIP_MAGIC):
        _check_workbook(data)
        if extension in TEXT_EXTENSIONS:
            raise ValidationError(N_("{file} is named as a CSV file but is an Excel workbook. "
                                     "Name it .xlsx, or save it as CSV."), file=_shown(file_name))
        return _read_xlsx(data)
    if extension in WORKBOOK_EXTENSIONS:
        raise ValidationError(N_("The file is not a valid Excel workbook."))
    return _read_csv(data)


def _shown(file_name: str) -> str:
    return (file_name or "").strip()[-80:] or "—"


def _extension(file_name: str) -> str | None:
    """The name's last extension, lower case, if it is one a table may have; None without a
    name; ValidationError for any other ("orders.csv.exe", "orders.xlsx.html", ".xlsm")."""
    name = (file_name or "").strip().rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    if not name:
        return None
    dot = name.rfind(".")
    extension = name[dot:].lower() if dot > 0 else ""
    if extension in (".xlsm", ".xltm", ".xlam"):
        raise ValidationError(N_("{file} is a workbook with macros. Macros are never run "
                                 "here: save it as an Excel workbook (.xlsx) or as CSV and "
                                 "upload that."), file=_shown(name))
    if not extension:
        raise ValidationError(N_("{file} has no file extension. Only .csv and .xlsx files "
                                 "can be imported."), file=_shown(name))
    if extension not in TEXT_EXTENSIONS + WORKBOOK_EXTENSIONS:
        raise ValidationError(N_("{file} is not a CSV or Excel file (its name ends in "
                                 "\"{extension}\"). Only .csv and .xlsx files can be "
                                 "imported."), file=_shown(name), extension=extension[:20])
    return extension


def _foreign(data: bytes) -> str | None:
    """What the content is when it is no table at all (a msgid), else None."""
    for magic, what in _NOT_A_TABLE:
        if data.startswith(magic):
            return what
    if data.startswith(b"MZ") and b"\x00" in data[:1024]:
        return N_("a Windows program")
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(tuple(m.encode() for m in _MARKUP)):
        return N_("a web page (HTML or XML)")
    return None


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


def _check_workbook(data: bytes) -> None:
    """An Excel workbook (not another ZIP archive), without macros, not unpacking to more
    than MAX_UNPACKED_BYTES."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            entries = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ValidationError(N_("The file is not a valid Excel workbook.")) from None
    names = {e.filename.lower() for e in entries}
    if "xl/workbook.xml" not in names and "xl/workbook.bin" not in names:
        raise ValidationError(N_("The file is a ZIP archive, not an Excel workbook. Upload "
                                 "the .xlsx or .csv file itself."))
    if any(n.endswith("vbaproject.bin") or n.startswith("xl/macrosheets/") for n in names):
        raise ValidationError(N_("The workbook contains macros. Macros are never run here: "
                                 "save it as an Excel workbook (.xlsx) without macros or as "
                                 "CSV and upload that."))
    if sum(e.file_size for e in entries) > MAX_UNPACKED_BYTES:
        raise ValidationError(N_("The workbook unpacks to more than {limit} MB. Split it into "
                                 "smaller files or save it as CSV."),
                              limit=MAX_UNPACKED_BYTES // 1024 // 1024)


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
