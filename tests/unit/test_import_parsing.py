"""Reading import files and checking their cells, without a database (core.import_files,
core.import_rules, core.import_fields): encodings, separators, row numbers, Excel cells,
column names in English and Chinese, and every cell parser's verdict."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from core.errors import ValidationError
from core.exports import csv_bytes
from core.i18n import Term
from core.import_fields import CUSTOMERS, ORDERS, PRODUCTS, STAFF
from core.import_files import cell_text, decode_text, read_table
from core.import_rules import (
    Context, RowProblem, amount, header_key, missing_fields, moment, parse_rows,
    resolve_mapping, suggest_mapping, whole,
)
from core.vocabulary import Channel, CustomerTier, Language, OrderState, Role

SHANGHAI = ZoneInfo("Asia/Shanghai")
CTX = Context(SHANGHAI, datetime(2026, 6, 1, 12, 0))


def csv_file(rows: list[list], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode(encoding)


def parse(field_spec, value):
    return field_spec.parse(value, CTX)


def reason(fn, *args) -> str:
    with pytest.raises(ValidationError) as e:
        fn(*args)
    return e.value.message


# --- encodings ----------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding,name", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                           ("gbk", "gb18030"), ("gb18030", "gb18030"),
                                           ("utf-16", "utf-16")])
def test_each_encoding_excel_writes_is_read(encoding, name):
    text = "姓名,手机\n王芳,13812345678\n"
    decoded, found = decode_text(text.encode(encoding))
    assert (decoded, found) == (text, name)


def test_gb18030_characters_outside_gbk_are_read():
    text = "姓名\n𠀀明\n"
    with pytest.raises(UnicodeEncodeError):
        text.encode("gbk")
    assert decode_text(text.encode("gb18030")) == (text, "gb18030")


def test_text_that_is_neither_utf8_nor_gb18030_is_refused():
    assert reason(decode_text, b"name\n\xff\xff\xff\n").startswith("The file's text is neither")


def test_utf8_is_tried_first_so_chinese_in_utf8_is_not_misread_as_gbk():
    assert decode_text("客户,电话\n".encode("utf-8")) == ("客户,电话\n", "utf-8")


# --- CSV ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_the_separator_is_found_in_the_first_line(delimiter):
    table = read_table(csv_file([["name", "phone"], ["A, B", "1"]], delimiter=delimiter))
    assert table.headers == ["name", "phone"] and table.rows == [(2, ["A, B", "1"])]


def test_row_numbers_are_the_rows_the_user_sees_blank_rows_skipped():
    data = csv_file([["name", "note"], ["A", "x"], [], ["", ""], ["B", "two\nlines"],
                     ["C", "y"]])
    table = read_table(data)
    assert [n for n, _cells in table.rows] == [2, 5, 6]
    assert table.rows[1][1] == ["B", "two\nlines"]


def test_our_own_export_reads_back_without_the_formula_guard():
    exported = csv_bytes(pd.DataFrame({"phone": ["+8613812345678"], "name": ["=cmd"]}))
    table = read_table(exported)
    assert table.encoding == "utf-8-sig"
    assert [cell_text(c) for c in table.rows[0][1]] == ["+8613812345678", "=cmd"]
    assert cell_text("'hello") == "'hello"     # a plain quote stays


@pytest.mark.parametrize("data,start", [
    (b"", "The file is empty."),
    (b"name,phone\n", "The file has no rows below"),
    (b"\nname\nA\n", "The first row must hold"),
    (b"Name,name\nA,B\n", "The column name {column} appears twice"),
    (b"\xd0\xcf\x11\xe0old excel", "This is an old Excel file"),
    (b"PK\x03\x04broken", "The file is not a valid Excel workbook."),
    (b"name\nA\x00B\n", "The file is not a text (CSV) file."),
])
def test_unreadable_files_are_refused_with_a_reason(data, start):
    assert reason(read_table, data, "x.csv").startswith(start)


def test_too_many_rows_is_refused(monkeypatch):
    import core.import_files as files
    monkeypatch.setattr(files, "MAX_ROWS", 2)
    assert reason(read_table, b"a\n1\n2\n3\n").startswith("The file has more than")


# --- Excel --------------------------------------------------------------------------------------

def test_xlsx_cells_keep_their_types_and_row_numbers():
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.append(["Name", "Phone", "Ordered", "Price", "Paid"])
    ws.append(["王芳", 13812345678, datetime(2026, 3, 1, 10, 30), 399.5, True])
    ws.cell(row=4, column=1, value="李伟")
    buf = io.BytesIO()
    wb.save(buf)
    table = read_table(buf.getvalue(), "orders.xlsx")
    assert table.encoding == "xlsx" and table.headers == ["Name", "Phone", "Ordered", "Price",
                                                          "Paid"]
    (n1, first), (n2, second) = table.rows
    assert (n1, n2) == (2, 4)
    assert first == ["王芳", 13812345678, datetime(2026, 3, 1, 10, 30), 399.5, True]
    assert cell_text(13812345678.0) == "13812345678"
    assert cell_text(datetime(2026, 3, 1, 10, 30)) == "2026-03-01 10:30:00"


# --- column names -------------------------------------------------------------------------------

def test_header_keys_ignore_case_width_spaces_and_units():
    assert header_key("E-Mail") == header_key("email") == header_key("ＥＭＡＩＬ")
    assert header_key("价格(元)") == header_key("价格（元）") == header_key("价格")
    assert header_key("Order No.") == header_key("order_no")
    assert header_key(" 姓名* ") == "姓名"


def test_chinese_and_english_column_names_are_matched():
    assert suggest_mapping(CUSTOMERS, ["姓名", "手机号码", "电子邮箱", "会员等级", "备注"]) == {
        "name": "姓名", "phone": "手机号码", "email": "电子邮箱", "tier": "会员等级"}
    assert suggest_mapping(CUSTOMERS, ["NAME", "Mobile", "E-mail"]) == {
        "name": "NAME", "phone": "Mobile", "email": "E-mail"}
    assert suggest_mapping(PRODUCTS, ["SKU", "商品名称", "类别", "单价"]) == {
        "sku": "SKU", "name": "商品名称", "category": "类别", "price": "单价"}
    orders = suggest_mapping(ORDERS, ["订单号", "手机", "下单时间", "商品编码", "数量",
                                      "单价", "实付金额"])
    assert orders == {"order_number": "订单号", "customer_phone": "手机",
                      "ordered_at": "下单时间", "sku": "商品编码", "quantity": "数量",
                      "unit_price": "单价", "paid": "实付金额"}
    assert suggest_mapping(STAFF, ["用户名", "姓名", "角色"]) == {
        "username": "用户名", "display_name": "姓名", "roles": "角色"}


def test_an_explicit_choice_overrides_the_suggestion():
    headers = ["姓名", "电话", "手机"]
    assert suggest_mapping(CUSTOMERS, headers)["phone"] == "手机"   # aliases in their order
    assert resolve_mapping(CUSTOMERS, headers, {"phone": "电话"})["phone"] == "电话"
    assert "phone" not in resolve_mapping(CUSTOMERS, headers, {"phone": None})
    # a column chosen for one field is taken from the field it was suggested for
    moved = resolve_mapping(CUSTOMERS, headers, {"city": "手机", "phone": "电话"})
    assert moved == {"name": "姓名", "city": "手机", "phone": "电话"}


@pytest.mark.parametrize("explicit,start", [
    ({"nickname": "姓名"}, "{field} is not a field"),
    ({"phone": "Handy"}, "The file has no column"),
    ({"phone": "手机", "email": "手机"}, "The column {column} is chosen for both"),
])
def test_a_wrong_explicit_mapping_is_refused(explicit, start):
    message = reason(resolve_mapping, CUSTOMERS, ["姓名", "电话", "手机"], explicit)
    assert message.startswith(start)


def test_missing_required_fields_and_one_of_groups():
    assert missing_fields(CUSTOMERS, {"name": "x"}) == [("phone", "email")]
    assert missing_fields(CUSTOMERS, {"email": "x"}) == [("name",)]
    assert missing_fields(ORDERS, {}) == [("order_number",), ("ordered_at",), ("sku",),
                                          ("quantity",), ("customer_phone", "customer_email")]


# --- cell parsers -------------------------------------------------------------------------------

@pytest.mark.parametrize("raw,cents", [("399", 39900), ("1,299.50", 129950), ("¥12.5", 1250),
                                       ("￥ 8 元", 800), ("RMB 3", 300), (399.5, 39950),
                                       (12, 1200), ("0", 0)])
def test_amounts_in_yuan_become_cents(raw, cents):
    assert amount("Price")(raw, CTX) == cents


@pytest.mark.parametrize("raw,start", [("-5", "{field} cannot be negative"),
                                       (-0.5, "{field} cannot be negative"),
                                       ("12.345", "{field} is not an amount"),
                                       ("abc", "{field} is not an amount"),
                                       ("1,2", "{field} is not an amount"),
                                       ("NaN", "{field} is not an amount"),
                                       ("99999999999", "{field} is not an amount")])
def test_bad_amounts_are_named(raw, start):
    assert reason(amount("Price"), raw, CTX).startswith(start)


def test_whole_numbers():
    quantity = whole("Quantity", 1, 100)
    assert quantity("3", CTX) == 3 and quantity(3.0, CTX) == 3
    assert reason(quantity, "0", CTX).startswith("{field} must be from")
    assert reason(quantity, "-2", CTX).startswith("{field} cannot be negative")
    assert reason(quantity, "1.5", CTX).startswith("{field} is not a whole number")


@pytest.mark.parametrize("raw,utc", [
    ("2026-03-31 14:30", datetime(2026, 3, 31, 6, 30)),
    ("2026/3/31", datetime(2026, 3, 30, 16, 0)),
    ("2026年3月31日 8时05分", datetime(2026, 3, 31, 0, 5)),
    ("2026.03.31 14:30:15", datetime(2026, 3, 31, 6, 30, 15)),
    ("2026-03-31T14:30:00", datetime(2026, 3, 31, 6, 30)),
    (datetime(2026, 3, 31, 14, 30), datetime(2026, 3, 31, 6, 30)),
    (date(2026, 3, 31), datetime(2026, 3, 30, 16, 0)),
])
def test_times_are_the_shops_wall_clock_stored_as_utc(raw, utc):
    assert moment("Order date")(raw, CTX) == utc


@pytest.mark.parametrize("raw,start", [("31/03/2026", "{field} is not a date"),
                                       ("2026-02-30", "{field} is not a date"),
                                       ("yesterday", "{field} is not a date"),
                                       ("1900-01-01", "{field} is not a date"),
                                       ("2026-07-01", "{field} is in the future")])
def test_bad_dates_are_named(raw, start):
    assert reason(moment("Order date"), raw, CTX).startswith(start)


def test_closed_lists_take_stored_values_and_the_words_people_use():
    assert parse(CUSTOMERS.field("tier"), "贵宾") == CustomerTier.VIP
    assert parse(CUSTOMERS.field("tier"), " VIP ") == CustomerTier.VIP
    assert parse(CUSTOMERS.field("language"), "English") == Language.EN
    assert parse(CUSTOMERS.field("language"), "中文") == Language.ZH_CN
    assert parse(ORDERS.field("channel"), "Walk-in") == Channel.WALK_IN
    assert parse(ORDERS.field("state"), "已签收") == OrderState.DELIVERED
    assert parse(CUSTOMERS.field("marketing_consent"), "是") is True
    assert parse(CUSTOMERS.field("marketing_consent"), "No") is False
    assert parse(STAFF.field("roles"), "客服、主管") == {Role.AGENT, Role.SUPERVISOR}
    with pytest.raises(ValidationError) as e:
        parse(CUSTOMERS.field("tier"), "gold")
    assert e.value.message == "Unknown {field}: {value}. Allowed: {allowed}."
    assert e.value.params["allowed"] == "regular, vip"
    assert reason(parse, STAFF.field("roles"), "wizard") == e.value.message


def test_phone_email_name_and_username_use_the_customer_rules():
    assert parse(CUSTOMERS.field("phone"), "138 1234 5678") == ("138 1234 5678",
                                                                "+8613812345678")
    assert parse(CUSTOMERS.field("phone"), 13812345678) == ("13812345678", "+8613812345678")
    assert parse(CUSTOMERS.field("email"), " Wang@Example.COM ") == "wang@example.com"
    assert reason(parse, CUSTOMERS.field("email"), "wang@@example").endswith(
        "It should look like name@example.com.")
    assert reason(parse, CUSTOMERS.field("name"), "A\x07B").startswith("A name cannot")
    assert parse(STAFF.field("username"), "Zhou.Min") == "zhou.min"
    assert reason(parse, PRODUCTS.field("sku"), "X" * 41).startswith("{field} is too long")


# --- rows ---------------------------------------------------------------------------------------

def test_parse_rows_names_every_problem_of_every_row():
    headers = ["姓名", "手机", "邮箱", "等级"]
    rows = [(2, ["王芳", "13812345678", "", "vip"]),
            (3, ["", "123", "x@", "gold"]),
            (4, ["李伟", "", "", ""]),
            (5, ["赵敏"])]
    problems: list[RowProblem] = []
    mapping = suggest_mapping(CUSTOMERS, headers)
    parsed = parse_rows(CUSTOMERS, headers, rows, mapping, CTX, problems)
    assert [p.bad for p in parsed] == [False, True, True, True]
    assert parsed[0].values == {"name": "王芳", "phone": ("13812345678", "+8613812345678"),
                                "tier": CustomerTier.VIP}
    assert [(p.row, p.column) for p in problems] == [
        (3, "姓名"), (3, "手机"), (3, "邮箱"), (3, "等级"), (4, "手机"), (5, "手机")]
    assert problems[0].params == {"field": "Name"}
    assert problems[4].message.startswith("Give a phone number or an e-mail address")


def test_a_problem_is_rendered_in_the_readers_language():
    catalog = {"{field} is required.": "必须填写{field}。", "Name": "姓名"}
    problem = RowProblem(7, "{field} is required.", {"field": Term("Name")}, "姓名")
    assert problem.render(lambda s: catalog.get(s, s)) == "必须填写姓名。"
    assert RowProblem(7, "Plain.").render(str) == "Plain."
