"""Uploads: the import files an administrator hands the app (Administration -> Imports,
`manage.py import`). Files over the size limit, of the wrong type, with a double extension,
empty, in no known text encoding, or with macros are refused with a message naming the
problem and nothing is imported; formulas in cells are stored as the text they are; what an
upload contains is never rendered as HTML, and what is downloaded from it is an attachment."""
from __future__ import annotations

import csv
import io
import re
import secrets
import struct
import zipfile
import zlib

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from openpyxl import Workbook
from playwright.sync_api import Page, expect

import manage
from core import import_files, imports
from core.errors import ValidationError
from core.vocabulary import Role
from db.models import AuditEntry, Customer, Product, Staff
from tests.conftest import add_staff
from ui import admin_imports

from browser_helpers import IDLE, login_and_open, settle

pytestmark = pytest.mark.casebook("Uploads")

LIMIT = import_files.MAX_BYTES
CSV_TEXT = "name,phone,email\r\nWang Fang,13812345601,wf@example.com\r\n"


def png() -> bytes:
    """A real 1x1 PNG image."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def exe() -> bytes:
    """The start of a Windows program (DOS header, PE signature)."""
    header = bytearray(b"MZ" + b"\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(46))
    header[0x3C:0x40] = struct.pack("<I", 64)
    return bytes(header) + b"PE\x00\x00" + bytes(200)


def xlsx(rows: list[list], vba: bool = False) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    if not vba:
        return buf.getvalue()
    # the same workbook with a macro project in it, as Excel saves an .xlsm
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        dst.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0" + bytes(512))
    return out.getvalue()


def a_zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return out.getvalue()


def over_the_limit() -> bytes:
    """A well-formed customers CSV one byte over the limit."""
    head = CSV_TEXT.encode()
    filler = b"Li Wei,13812345602,\r\n"
    body = head + filler * ((LIMIT - len(head)) // len(filler) + 1)
    return body[:LIMIT + 1]


HTML = (b"<!DOCTYPE html><html><body><script>window.__pwned=1</script>"
        b"<img src=x onerror=\"window.__pwned=1\"></body></html>")

# (file name, content, what the message must say)
BAD_FILES = [
    ("customers.csv", lambda: over_the_limit(), "at most 50 MB"),
    ("customers.csv", lambda: b"", "The file is empty."),
    ("customers.xlsx", lambda: b"", "The file is empty."),
    ("customers.csv", png, "customers.csv is a PNG image, not a CSV or Excel file."),
    ("photo.png", png, 'photo.png is not a CSV or Excel file (its name ends in ".png")'),
    ("tool.exe", exe, 'tool.exe is not a CSV or Excel file (its name ends in ".exe")'),
    ("customers.csv", exe, "customers.csv is a Windows program, not a CSV or Excel file."),
    ("orders.csv.exe", lambda: CSV_TEXT.encode(), 'its name ends in ".exe"'),
    ("orders.exe.csv", exe, "orders.exe.csv is a Windows program"),
    ("orders.xlsx.html", lambda: HTML, 'its name ends in ".html"'),
    ("page.html", lambda: HTML, 'its name ends in ".html"'),
    ("customers.csv", lambda: HTML, "customers.csv is a web page (HTML or XML)"),
    ("customers.csv", lambda: b"\xef\xbb\xbf  <svg onload=alert(1)>", "a web page"),
    ("customers.xlsx", lambda: a_zip({"readme.txt": b"hello"}),
     "The file is a ZIP archive, not an Excel workbook."),
    ("customers.xlsx", lambda: b"PK\x03\x04" + bytes(100), "not a valid Excel workbook"),
    ("customers.xlsx", lambda: CSV_TEXT.encode(), "not a valid Excel workbook"),
    ("customers.xlsm", lambda: xlsx([["name", "phone"], ["A", "13812345601"]], vba=True),
     "customers.xlsm is a workbook with macros"),
    ("customers.xlsx", lambda: xlsx([["name", "phone"], ["A", "13812345601"]], vba=True),
     "The workbook contains macros."),
    ("customers.csv", lambda: xlsx([["name", "phone"], ["A", "13812345601"]]),
     "customers.csv is named as a CSV file but is an Excel workbook."),
    ("customers.csv", lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "a PDF document"),
    ("customers.csv", lambda: b"\x1f\x8b\x08\x00" + bytes(20), "a compressed (gzip) file"),
    ("customers.csv", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100),
     "This is an old Excel file (.xls)."),
    ("customers.csv", lambda: bytes([0x80, 0x81, 0xFF, 0xFE, 0x90]) * 200,
     "neither UTF-8 nor GBK / GB18030"),
    ("customers.csv", lambda: "name,phone\r\n王芳,138\r\n".encode("gbk") + b"\xff\xff\x80",
     "neither UTF-8 nor GBK / GB18030"),
    ("customers.csv", lambda: b"name,phone\x00\r\nA,1\r\n", "not a text (CSV) file"),
    ("customers", lambda: CSV_TEXT.encode(), "customers has no file extension."),
]


def counts(uow) -> dict[str, int]:
    with uow.reader() as r:
        return {m.__name__: r.session.scalar(sa.select(sa.func.count()).select_from(m))
                for m in (Customer, Product, Staff)}


@pytest.fixture
def admin(uow):
    return add_staff(uow, "admin", Role.ADMIN)


def test_bad_files_are_refused_by_name_and_content_and_nothing_is_imported(uow, admin, tried):
    """An import file over the size limit, empty, of another type (an image, a program, a web
    page, a ZIP archive, a PDF), with a double extension, with macros or in an unknown
    encoding is refused with a message naming the problem, and nothing is imported."""
    before = counts(uow)
    for name, make, says in BAD_FILES:
        data = make()
        for call in (imports.preview_import, imports.apply_import):
            with pytest.raises(ValidationError) as refused:
                call(uow, admin, "customers", data, name)
            assert says in str(refused.value), (name, data[:20], str(refused.value))
            assert "Traceback" not in str(refused.value)
    assert counts(uow) == before
    with uow.reader() as r:
        assert r.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "data_imported")) == 0
    tried(len(BAD_FILES) * 2)


def test_the_size_limit_is_the_same_in_core_the_widget_and_streamlit(tried):
    """The size limit lives in core and the upload widget uses it: a file one byte over it is
    refused by core whoever calls, one at the limit is read."""
    assert admin_imports.MAX_UPLOAD_MB * 1024 * 1024 == import_files.MAX_BYTES
    with pytest.raises(ValidationError, match=r"The file is 50\.01 MB; at most 50 MB"):
        import_files.read_table(over_the_limit(), "customers.csv")
    head = CSV_TEXT.encode()
    filler = b"Li Wei,13812345602," + b"x" * 1000 + b"\r\n"
    exact = head + filler * ((LIMIT - len(head)) // len(filler))
    exact += b"Zhao Min,13812345603," + b"y" * (LIMIT - len(exact) - 21)
    assert len(exact) == LIMIT
    assert len(import_files.read_table(exact, "customers.csv").rows) > 50_000
    tried(2)


def test_a_zip_bomb_workbook_is_refused_before_it_is_unpacked(monkeypatch, tried):
    """A workbook whose content would unpack to more than the limit is refused unopened."""
    monkeypatch.setattr(import_files, "MAX_UNPACKED_BYTES", 1024 * 1024)
    data = a_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>",
                  "xl/worksheets/sheet1.xml": bytes(2 * 1024 * 1024)})
    assert len(data) < 20_000
    with pytest.raises(ValidationError, match="unpacks to more than 1 MB"):
        import_files.read_table(data, "customers.xlsx")
    tried(1)


def test_a_csv_that_only_looks_odd_by_name_is_read_for_its_content(uow, admin, tried):
    """A double extension whose last part is .csv ("orders.exe.csv") with CSV content is an
    ordinary CSV file: its content decides, and it is imported like any other."""
    report = imports.apply_import(uow, admin, "customers", CSV_TEXT.encode(), "orders.exe.csv")
    assert report.applied and report.new == 1
    tried(1)


def test_formulas_in_cells_are_stored_as_the_text_they_are(uow, admin, tried):
    """Cells holding formulas (=, +, -, @) are imported as literal text, never evaluated;
    an Excel formula cell is not turned into its value either."""
    texts = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", '=HYPERLINK("http://x","y")']
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(["name", "phone", "email", "address", "city"])
    writer.writerows([t, f"1381234{5610 + i}", "", t, t] for i, t in enumerate(texts))
    data = buf.getvalue().encode()
    report = imports.apply_import(uow, admin, "customers", data, "customers.csv")
    assert report.applied and report.new == len(texts)
    with uow.reader() as r:
        stored = r.session.execute(sa.select(Customer.name, Customer.address, Customer.city)
                                   .order_by(Customer.id)).all()
    assert [tuple(s) for s in stored] == [(t, t, t) for t in texts]

    # a workbook: a text cell "=1+1" is text; a formula cell is never calculated here
    wb = Workbook()
    wb.active.append(["name", "phone"])
    wb.active.append(["x", "13812345620"])
    wb.active["A2"].value = "=1+1"
    wb.active["A2"].data_type = "s"                 # typed as text
    wb.active.append(["=40+2", "13812345621"])      # a formula (no value computed yet)
    buf = io.BytesIO()
    wb.save(buf)
    report = imports.preview_import(uow, admin, "customers", buf.getvalue(), "c.xlsx")
    assert report.bad_rows == [3]                   # the formula cell is no name
    with uow.reader() as r:
        assert not r.session.scalar(sa.select(sa.func.count()).select_from(Customer)
                                    .where(Customer.name.in_(["42", "2"])))
    tried(len(texts) + 2)


@pytest.fixture
def cli(database_url, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("CAREDESK_DATA_DIR", str(tmp_path / "data"))

    def run(*args):
        return CliRunner().invoke(manage.cli, list(args), catch_exceptions=False)
    return run


def test_the_command_line_import_refuses_the_same_files(cli, uow, tmp_path, tried):
    """`manage.py import` refuses a bad file with the same message and a non-zero exit, and
    imports nothing."""
    before = counts(uow)
    files = [("customers.csv", png(), "customers.csv is a PNG image"),
             ("orders.csv.exe", CSV_TEXT.encode(), 'its name ends in ".exe"'),
             ("customers.xlsx", xlsx([["name", "phone"], ["A", "13812345601"]], vba=True),
              "The workbook contains macros."),
             ("empty.csv", b"", "The file is empty.")]
    for name, data, says in files:
        path = tmp_path / name
        path.write_bytes(data)
        result = cli("import", "customers", str(path))
        assert result.exit_code != 0 and says in result.output, (name, result.output)
        assert "Traceback" not in result.output
    assert counts(uow) == before
    tried(len(files))


# --- in the browser -----------------------------------------------------------------------------

def imports_tab(page: Page):
    return page.get_by_test_id("stMain").get_by_role("tabpanel", name="Imports", exact=True)


def literal(text: str) -> re.Pattern:
    """The text as the page shows it: ui.fmt.md puts an invisible word joiner after ":" and
    "@" of user text (so that markdown makes no link or emoji of it)."""
    return re.compile("".join(re.escape(ch) + ("\u2060?" if ch in ":@" else "")
                              for ch in text))


def inert(page: Page) -> None:
    """Nothing on the page was made from an upload: no script ran, no element, no link."""
    page.locator(IDLE).wait_for()
    assert page.evaluate("typeof window.__pwned") == "undefined"
    main = page.get_by_test_id("stMain")
    for selector in ('img[src="x"]', "svg[onload]", "[onerror]", 'a[href^="javascript:"]',
                     "script"):
        assert main.locator(selector).count() == 0, selector
    assert main.locator("a, strong, em").filter(has_text="pwnclick").count() == 0


def upload(page: Page, name: str, data: bytes, mime: str = "text/csv") -> None:
    imports_tab(page).get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": data}])
    settle(page)


@pytest.mark.browser
def test_the_imports_tab_names_the_problem_and_never_renders_the_upload(demo_app, page: Page,
                                                                        tmp_path, tried):
    """On the admin Imports tab a bad file gets the clear message, markup in an uploaded
    file stays text (the preview is a data grid), nothing is imported, and the bad rows
    come back as a download (an attachment), never as a page."""
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    before = counts(demo_app.uow())
    login_and_open(page, demo_app, "admin", "/admin")
    page.get_by_test_id("stMain").get_by_role("tab", name="Imports", exact=True).click()
    settle(page)
    tab = imports_tab(page)
    expect(tab.get_by_role("combobox", name="What the file holds")).to_be_visible()

    checks = [("customers.csv", png(), "customers.csv is a PNG image, not a CSV or Excel "
                                       "file. Upload a .csv or .xlsx file."),
              ("customers.csv", HTML, "customers.csv is a web page (HTML or XML), not a CSV "
                                      "or Excel file."),
              ("customers.xlsx", a_zip({"readme.txt": b"hi"}),
               "The file is a ZIP archive, not an Excel workbook."),
              ("customers.xlsx", xlsx([["name", "phone"], ["A", "13812345601"]], vba=True),
               "The workbook contains macros.")]
    # the file's own name and column names come back in the messages: as text
    link = "[pwnclick](javascript:window.__pwned=1)"
    named = f"<img src=x onerror=window.__pwned=1>{link}.csv"
    checks += [(named, png(), f"{named} is a PNG image, not a CSV or Excel file."),
               ("customers.csv", f"name,phone,{link},{link}\r\nA,1,2,3\r\n".encode(),
                f"The column name {link} appears twice in the first row.")]
    for name, data, says in checks:
        upload(page, name, data)
        expect(tab.get_by_test_id("stAlertContentError")).to_contain_text(literal(says))
        expect(tab.get_by_role("button", name="Import", exact=True)).to_have_count(0)
        inert(page)

    # markup inside the cells of a CSV: shown in the grid of bad rows as text only
    tag = secrets.token_hex(3)
    payload = f'<img src=x onerror="window.__pwned=1">{tag}'
    # (the bad e-mail addresses come back in the reasons, as the file wrote them)
    bad = (f'name,phone,email\r\n"<script>window.__pwned=1</script>",12345,"{payload}"\r\n'
           f'"<svg onload=window.__pwned=1>",13812345601,"[x](javascript:window.__pwned=1)"'
           "\r\n")
    upload(page, "customers.csv", bad.encode())
    expect(tab.get_by_text("Rows that cannot be imported:", exact=False)).to_be_visible()
    cells = tab.locator('[data-testid^="glide-cell-"]')
    expect(cells.filter(has_text=tag).first).to_be_attached()
    inert(page)
    expect(tab.get_by_role("button", name="Import", exact=True)).to_be_disabled()

    with page.expect_download() as download:
        tab.get_by_role("button", name="Download the bad rows (CSV)").click()
    url = download.value.url
    response = page.context.request.get(url)
    disposition = response.headers.get("content-disposition", "")
    assert disposition.startswith("attachment"), disposition
    assert response.headers.get("content-type", "").startswith("text/csv")
    assert tag.encode() in response.body()

    # a file over the limit: Streamlit's uploader refuses it before it reaches the page
    big = tmp_path / "customers.csv"
    big.write_bytes(over_the_limit())
    imports_tab(page).get_by_test_id("stFileUploaderDropzoneInput").set_input_files(big)
    settle(page)
    expect(tab.get_by_text("File must be 50.0MB or smaller.", exact=False)).to_be_visible()
    assert dialogs == [] and page.evaluate("typeof window.__pwned") == "undefined"
    assert counts(demo_app.uow()) == before
    tried(len(checks) + 3)
