"""Imports from CSV and Excel (core/imports.py, issue 7): preview, all-or-nothing apply,
natural keys, encodings, orders with lines, staff, permissions, the command line.

Runs on SQLite, and on PostgreSQL with DATABASE_URL=postgresql+psycopg://...
"""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

import manage
from core import auth, customers as cu, import_kinds, import_orders, imports
from core.clock import utcnow
from core.errors import PermissionDenied
from core.imports import ImportRefused, apply_import, preview_import
from core.vocabulary import (
    CallbackPurpose, CallbackStatus, Channel, CustomerTier, Language, OrderState, Role,
)
from db.models import (
    AuditEntry, Callback, Customer, Order, OrderLine, Product, Staff, StaffRole, StaffSkill,
)
from tests.conftest import add_staff

N_GOOD = 10_000


@pytest.fixture
def admin(uow):
    return add_staff(uow, "admin1", Role.ADMIN)


@pytest.fixture
def agent(uow):
    return add_staff(uow, "agent1", Role.AGENT)


def csv_bytes(header: list[str], rows: list[list], encoding: str = "utf-8",
              delimiter: str = ",") -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n", delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode(encoding)


def count(uow, model) -> int:
    with uow.reader() as r:
        return r.session.scalar(sa.select(sa.func.count()).select_from(model))


def imports_audited(uow) -> list[dict]:
    with uow.reader() as r:
        return [e.new for e in r.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "data_imported")
            .order_by(AuditEntry.id))]


def phone(i: int) -> str:
    return f"139{i:08d}"


def customer_rows(n: int) -> list[list]:
    return [[f"Customer {i}", phone(i), f"c{i}@example.com", "vip" if i % 50 == 0 else "regular",
             "Shanghai"] for i in range(n)]


CUSTOMER_HEADER = ["Name", "Phone", "E-mail", "Tier", "City"]


# --- 10,000 good rows and 3 bad ones --------------------------------------------------------------

def with_three_bad(rows: list[list]) -> list[list]:
    """File rows 101 (bad phone), 5002 (no name) and the last (the phone of row 2 again)."""
    rows = [list(r) for r in rows]
    rows.insert(99, ["Bad Phone", "12345", "bad.phone@example.com", "regular", "Beijing"])
    rows.insert(5000, ["", phone(999_999), "no.name@example.com", "regular", "Beijing"])
    rows.append(["Twin", phone(0), "twin@example.com", "regular", "Beijing"])
    return rows


def test_three_bad_rows_in_ten_thousand_write_nothing_and_are_named(uow, admin):
    data = csv_bytes(CUSTOMER_HEADER, with_three_bad(customer_rows(N_GOOD)))
    report = preview_import(uow, admin, "customers", data, "customers.csv")
    assert report.rows == N_GOOD + 3
    assert report.bad_rows == [101, 5002, N_GOOD + 4]
    reasons = {p.row: (p.column, p.message) for p in report.problems}
    assert reasons[101] == ("Phone", "{phone} is not a valid phone number. Enter it with its "
                                     "area code, or with + and the country code for a number "
                                     "abroad.")
    assert reasons[5002] == ("Name", "{field} is required.")
    assert reasons[N_GOOD + 4] == ("Phone", "Row {first} has the same phone number {phone}.")
    assert report.problems[-1].params == {"first": 2, "phone": "+86" + phone(0)}
    text = [p.render(lambda s: s) for p in report.problems]
    assert text[0].startswith("12345 is not a valid phone number")
    assert text[1] == "Name is required."
    assert report.new == N_GOOD  # the good rows are counted all the same

    with pytest.raises(ImportRefused) as refused:
        apply_import(uow, admin, "customers", data, "customers.csv")
    assert refused.value.report.bad_rows == [101, 5002, N_GOOD + 4]
    assert str(refused.value).startswith("customers.csv has rows that cannot be imported (3)")
    assert count(uow, Customer) == 0
    assert imports_audited(uow) == []


def test_the_fixed_file_imports_every_row_and_twice_imports_once(uow, admin):
    rows = with_three_bad(customer_rows(N_GOOD))
    rows[99][1] = "138 0000 0101"
    rows[5000][0] = "Named Now"
    rows[-1][1] = "+86 137-0000-0002"
    data = csv_bytes(CUSTOMER_HEADER, rows)
    seen: list[tuple[float, str]] = []
    report = apply_import(uow, admin, "customers", data, "customers.csv",
                          progress=lambda f, m: seen.append((f, m)))
    assert report.applied and report.ok
    assert (report.new, report.updated, report.unchanged) == (N_GOOD + 3, 0, 0)
    assert count(uow, Customer) == N_GOOD + 3
    fractions = [f for f, _m in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert {m for _f, m in seen} >= {imports.READING, imports.CHECKING, imports.WRITING}

    again = apply_import(uow, admin, "customers", data, "customers.csv")
    assert (again.new, again.updated, again.unchanged) == (0, 0, N_GOOD + 3)
    assert count(uow, Customer) == N_GOOD + 3
    audited = imports_audited(uow)
    assert len(audited) == 2     # one row per import, not one per record
    assert audited[0]["kind"] == "customers" and audited[0]["file"] == "customers.csv"
    assert (audited[0]["new"], audited[1]["unchanged"]) == (N_GOOD + 3, N_GOOD + 3)
    with uow.reader() as r:
        c = r.session.scalar(sa.select(Customer).where(Customer.name == "Named Now"))
        assert c.phone_normalized == "+86" + phone(999_999)
        assert c.email == "no.name@example.com" and c.city == "Beijing"
        assert c.name_key == "named now" and c.name_last_key == "now"
        vip = r.session.scalar(sa.select(Customer).where(Customer.name == "Customer 50"))
        assert vip.tier == CustomerTier.VIP and vip.language == Language.ZH_CN
        assert vip.version == 1
    # what was imported is found the way agents find customers
    hits = cu.search_customers(uow, add_staff(uow, "agent9", Role.AGENT), phone(4321))
    assert [h.name for h in hits] == ["Customer 4321"]


# --- encodings and file formats -------------------------------------------------------------------

CHINESE = [["王芳", "13812345601", "wangfang@example.com", "贵宾", "上海"],
           ["李伟", "13812345602", "", "普通", "北京"],
           ["欧阳娜娜", "+86 138 1234 5603", "nana@example.com", "", "广州"]]


def test_a_gbk_csv_with_chinese_names_imports_correctly(uow, admin, tmp_path):
    path = tmp_path / "客户.csv"
    with open(path, "w", encoding="gbk", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["姓名", "手机", "邮箱", "客户等级", "城市"])
        writer.writerows(CHINESE)
    data = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    report = apply_import(uow, admin, "customers", data, path.name)
    assert report.encoding == "gb18030"
    assert report.mapping == {"name": "姓名", "phone": "手机", "email": "邮箱",
                              "tier": "客户等级", "city": "城市"}
    assert report.new == 3
    with uow.reader() as r:
        got = r.session.execute(sa.select(Customer.name, Customer.phone_normalized,
                                          Customer.tier, Customer.city)
                                .order_by(Customer.id)).all()
    assert [tuple(g) for g in got] == [
        ("王芳", "+8613812345601", CustomerTier.VIP, "上海"),
        ("李伟", "+8613812345602", CustomerTier.REGULAR, "北京"),
        ("欧阳娜娜", "+8613812345603", CustomerTier.REGULAR, "广州")]


def test_utf8_with_a_byte_order_mark_and_semicolons(uow, admin):
    data = csv_bytes(["姓名", "手机", "邮箱", "城市"], [r[:3] + [r[4]] for r in CHINESE],
                     encoding="utf-8-sig", delimiter=";")
    assert data.startswith(b"\xef\xbb\xbf")
    report = apply_import(uow, admin, "customers", data, "customers.csv")
    assert report.encoding == "utf-8-sig" and report.mapping["name"] == "姓名"
    with uow.reader() as r:
        assert sorted(r.session.scalars(sa.select(Customer.name))) == sorted(
            row[0] for row in CHINESE)


def xlsx(header: list, rows: list[list]) -> bytes:
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_an_excel_workbook_with_numbers_for_phones(uow, admin):
    data = xlsx(["Customer Name", "Mobile", "Email", "Marketing consent", "Language"],
                [["Wang Fang", 13812345601, "WF@Example.com", "yes", "中文"],
                 ["Emma Smith", 13812345602.0, None, False, "English"],
                 [None, None, None, None, None],
                 ["Li Wei", "13812345603", "li.wei@example.com", "否", "zh_CN"]])
    report = apply_import(uow, admin, "customers", data, "customers.xlsx")
    assert report.encoding == "xlsx" and report.rows == 3 and report.new == 3
    with uow.reader() as r:
        rows = {c.name: c for c in r.session.scalars(sa.select(Customer))}
    assert rows["Wang Fang"].phone_normalized == "+8613812345601"
    assert rows["Wang Fang"].email == "wf@example.com"
    assert rows["Wang Fang"].marketing_consent and rows["Wang Fang"].consent_changed_at
    assert rows["Emma Smith"].phone_normalized == "+8613812345602"
    assert rows["Emma Smith"].language == Language.EN
    assert not rows["Li Wei"].marketing_consent


def test_a_bad_excel_row_is_named_by_its_row_in_the_sheet(uow, admin):
    data = xlsx(["name", "phone", "email"],
                [["A", 13812345601, None], [None, None, None], ["B", None, "not-an-address"]])
    report = preview_import(uow, admin, "customers", data, "c.xlsx")
    assert report.bad_rows == [4]
    assert report.problems[0].column == "email"


# --- matching existing records ----------------------------------------------------------------

def test_an_existing_customer_is_updated_by_phone_and_conflicts_are_named(uow, admin):
    agent = add_staff(uow, "agent2", Role.AGENT)
    kept = cu.create_customer(uow, agent, name="Wang Fang", phone="13812345601",
                              email="wf@example.com", city="Shanghai")
    other = cu.create_customer(uow, agent, name="Li Wei", phone="13812345602")
    data = csv_bytes(["name", "phone", "email", "city"], [
        ["Wang Fang", "138-1234-5601", "", "Hangzhou"],           # same phone: updated city
        ["Li Wei", "13812345602", "wf@example.com", ""],          # e-mail of another customer
        ["Somebody", "13812345609", "WF@example.com", ""]])       # the same e-mail again
    report = preview_import(uow, admin, "customers", data, "c.csv")
    assert report.bad_rows == [3, 4]
    assert report.problems[0].params == {"phone": "+8613812345602", "customer_id": other,
                                         "email": "wf@example.com", "other_id": kept}
    assert report.problems[1].params == {"first": 3, "email": "wf@example.com"}
    report = preview_import(uow, admin, "customers", csv_bytes(
        ["name", "phone", "email"], [["Somebody", "13812345609", "wf@example.com"]]), "c.csv")
    assert report.problems[0].params == {"email": "wf@example.com", "customer_id": kept}
    assert report.problems[0].message.startswith("The e-mail address {email} belongs to")

    fixed = csv_bytes(["name", "phone", "city"], [["Wang Fang", "13812345601", "Hangzhou"],
                                                  ["Li Wei", "13812345602", ""]])
    done = apply_import(uow, admin, "customers", fixed, "c.csv")
    assert (done.new, done.updated, done.unchanged) == (0, 1, 1)
    with uow.reader() as r:
        c = r.session.get(Customer, kept)
        assert (c.city, c.email, c.version) == ("Hangzhou", "wf@example.com", 2)


def test_a_customer_found_by_email_gets_the_phone_it_lacked(uow, admin):
    agent = add_staff(uow, "agent2", Role.AGENT)
    cid = cu.create_customer(uow, agent, name="Emma", email="emma@example.com")
    done = apply_import(uow, admin, "customers", csv_bytes(
        ["name", "email", "phone"], [["Emma", "EMMA@example.com", "13812345601"]]), "c.csv")
    assert (done.new, done.updated) == (0, 1)
    with uow.reader() as r:
        assert r.session.get(Customer, cid).phone_normalized == "+8613812345601"


def test_a_vip_made_regular_by_an_import_loses_the_vip_care_call(uow, admin):
    agent = add_staff(uow, "agent2", Role.AGENT)
    cid = cu.create_customer(uow, agent, name="Wang Fang", phone="13812345601", tier="vip")
    with uow:
        uow.session.add(Callback(customer_id=cid, purpose=CallbackPurpose.VIP_CARE,
                                 due_at=utcnow() + timedelta(days=3)))
        uow.commit()
    done = apply_import(uow, admin, "customers", csv_bytes(
        ["name", "phone", "tier"], [["Wang Fang", "13812345601", "regular"]]), "c.csv")
    assert done.updated == 1
    with uow.reader() as r:
        assert r.session.scalar(sa.select(Callback.status)) == CallbackStatus.CANCELLED


# --- products ---------------------------------------------------------------------------------

PRODUCT_HEADER = ["商品编码", "商品名称", "中文名称", "类别", "价格(元)", "保修期"]


def test_products_by_sku_new_then_unchanged_then_updated(uow, admin):
    rows = [["AF-100", "Air Fryer", "空气炸锅", "appliance", "399.00", "24"],
            ["RC-200", "Rice Cooker", "电饭煲", "appliance", "¥1,299.50", ""]]
    first = apply_import(uow, admin, "products", csv_bytes(PRODUCT_HEADER, rows), "p.csv")
    assert first.mapping["price"] == "价格(元)" and first.new == 2
    again = apply_import(uow, admin, "products", csv_bytes(PRODUCT_HEADER, rows), "p.csv")
    assert (again.new, again.unchanged) == (0, 2)
    rows[1][4] = "1199"
    changed = apply_import(uow, admin, "products", csv_bytes(PRODUCT_HEADER, rows), "p.csv")
    assert (changed.updated, changed.unchanged) == (1, 1)
    rows[0][1], rows[1][2] = "Air Fryer XL", "大电饭煲"
    both = apply_import(uow, admin, "products", csv_bytes(PRODUCT_HEADER, rows), "p.csv")
    assert (both.updated, both.unchanged) == (2, 0)
    with uow.reader() as r:
        p = r.session.scalar(sa.select(Product).where(Product.sku == "RC-200"))
        assert (p.price_cents, p.warranty_months, p.name_zh, p.version) == (119900, None,
                                                                            "大电饭煲", 3)
        assert p.in_stock and p.active


def test_product_rows_with_negative_or_bad_values_are_named(uow, admin):
    rows = [["AF-100", "Air Fryer", "", "appliance", "-5", ""],
            ["AF-101", "Air Fryer 2", "", "appliance", "12.345", ""],
            ["AF-102", "Air Fryer 3", "", "appliance", "10", "-1"],
            ["AF-100", "Air Fryer again", "", "appliance", "10", ""]]
    report = preview_import(uow, admin, "products", csv_bytes(PRODUCT_HEADER, rows), "p.csv")
    assert [(p.row, p.message) for p in report.problems] == [
        (2, "{field} cannot be negative: {value}."),
        (3, "{field} is not an amount in yuan: {value}."),
        (4, "{field} cannot be negative: {value}."),
        (5, "Row {first} has the same SKU {sku}.")]


# --- orders with lines --------------------------------------------------------------------------

ORDER_HEADER = ["订单号", "手机", "下单时间", "渠道", "状态", "商品编码", "数量", "实付金额"]


@pytest.fixture
def catalogue(uow, admin):
    apply_import(uow, admin, "products", csv_bytes(PRODUCT_HEADER, [
        ["AF-100", "Air Fryer", "空气炸锅", "appliance", "399", "24"],
        ["RC-200", "Rice Cooker", "电饭煲", "appliance", "299", ""]]), "p.csv")
    apply_import(uow, admin, "customers", csv_bytes(["name", "phone", "email"], [
        ["Wang Fang", "13812345601", "wf@example.com"],
        ["Li Wei", "13812345602", ""]]), "c.csv")


def order_rows() -> list[list]:
    return [["SO-1", "13812345601", "2026-03-01 10:30", "网店", "已签收", "AF-100", "1", ""],
            ["SO-1", "13812345601", "2026-03-01 10:30", "网店", "已签收", "RC-200", "2",
             "550.00"],
            ["SO-2", "13812345602", "2026/3/2", "门店", "", "AF-100", "1", "399"]]


def test_orders_with_lines_grouped_by_number(uow, admin, catalogue):
    report = apply_import(uow, admin, "orders", csv_bytes(ORDER_HEADER, order_rows()), "o.csv")
    assert (report.new, report.lines, report.rows) == (2, 3, 3)
    with uow.reader() as r:
        orders = {o.order_number: o for o in r.session.scalars(sa.select(Order))}
        so1, so2 = orders["SO-1"], orders["SO-2"]
        assert so1.state == OrderState.DELIVERED and so1.channel == Channel.WEB
        assert so1.ordered_at == datetime(2026, 3, 1, 2, 30)     # 10:30 in Shanghai
        assert so1.confirmed_at == so1.ordered_at
        assert so1.total_cents == 39900 + 55000
        lines = r.session.execute(sa.select(OrderLine.quantity, OrderLine.unit_price_cents,
                                            OrderLine.paid_cents)
                                  .where(OrderLine.order_id == so1.id)
                                  .order_by(OrderLine.id)).all()
        assert [tuple(x) for x in lines] == [(1, 39900, 39900), (2, 29900, 55000)]
        assert so2.state == OrderState.CONFIRMED and so2.channel == Channel.WALK_IN
        wang = r.session.scalar(sa.select(Customer.id).where(Customer.name == "Wang Fang"))
        assert so1.customer_id == wang
    again = apply_import(uow, admin, "orders", csv_bytes(ORDER_HEADER, order_rows()), "o.csv")
    assert (again.new, again.unchanged, again.lines) == (0, 2, 0)
    assert count(uow, OrderLine) == 3
    rows = order_rows()
    rows[2][4] = "已发货"
    moved = apply_import(uow, admin, "orders", csv_bytes(ORDER_HEADER, rows), "o.csv")
    assert (moved.updated, moved.unchanged) == (1, 1)
    with uow.reader() as r:
        assert r.session.scalar(sa.select(Order.state).where(
            Order.order_number == "SO-2")) == OrderState.SHIPPED


def test_an_unknown_product_is_named_and_nothing_is_written(uow, admin, catalogue):
    rows = order_rows()
    rows[1][5] = "NOPE-1"
    with pytest.raises(ImportRefused) as refused:
        apply_import(uow, admin, "orders", csv_bytes(ORDER_HEADER, rows), "o.csv")
    problems = refused.value.report.problems
    assert [(p.row, p.column, p.params) for p in problems] == [(3, "商品编码", {"sku": "NOPE-1"})]
    assert problems[0].render(lambda s: s) == ("No product has the SKU NOPE-1. Import the "
                                               "products first.")
    assert count(uow, Order) == 0 and count(uow, OrderLine) == 0


def test_order_rows_name_unknown_customers_bad_dates_and_disagreeing_lines(uow, admin,
                                                                          catalogue):
    future = (utcnow() + timedelta(days=30)).strftime("%Y-%m-%d")
    rows = [["SO-1", "13900000000", "2026-03-01", "", "", "AF-100", "1", ""],
            ["SO-2", "13812345601", "31/03/2026", "", "", "AF-100", "1", ""],
            ["SO-3", "13812345601", future, "", "", "AF-100", "1", ""],
            ["SO-4", "13812345601", "2026-03-01", "", "", "AF-100", "0", ""],
            ["SO-5", "13812345601", "2026-03-01", "", "", "AF-100", "1", ""],
            ["SO-5", "13812345602", "2026-03-01", "", "", "RC-200", "1", ""],
            ["SO-6", "13812345601", "2026-03-01", "fax", "lost", "AF-100", "-2", "-1"]]
    report = preview_import(uow, admin, "orders", csv_bytes(ORDER_HEADER, rows), "o.csv")
    got = [(p.row, p.column, p.message) for p in report.problems]
    assert got == [
        (2, "手机", "No customer has the phone number {phone}. Import the customers first."),
        (3, "下单时间", "{field} is not a date: {value}. Write dates as 2026-03-31, with a "
                    "time if needed: 2026-03-31 14:30."),
        (4, "下单时间", "{field} is in the future: {value}."),
        (5, "数量", "{field} must be from {low} to {high}: {value}."),
        (7, "手机", "Row {first} gives order {number} another {field}."),
        (8, "渠道", "Unknown {field}: {value}. Allowed: {allowed}."),
        (8, "状态", "Unknown {field}: {value}. Allowed: {allowed}."),
        (8, "数量", "{field} cannot be negative: {value}."),
        (8, "实付金额", "{field} cannot be negative: {value}.")]


def test_an_existing_order_with_other_lines_is_a_conflict(uow, admin, catalogue):
    apply_import(uow, admin, "orders", csv_bytes(ORDER_HEADER, order_rows()), "o.csv")
    rows = order_rows()
    rows[1][6] = "3"
    report = preview_import(uow, admin, "orders", csv_bytes(ORDER_HEADER, rows), "o.csv")
    assert report.bad_rows == [2]
    assert report.problems[0].params == {"number": "SO-1"}


# --- staff ------------------------------------------------------------------------------------

def test_staff_import_creates_accounts_that_must_get_a_password(uow, admin):
    data = csv_bytes(["用户名", "姓名", "角色", "技能", "邮箱"], [
        ["Zhou.Min", "周敏", "客服、主管", "Repair, Appliance", "zm@example.com"],
        ["techie", "Tech Person", "technician", "", ""]])
    report = apply_import(uow, admin, "staff", data, "staff.csv")
    assert report.new == 2
    with uow.reader() as r:
        s = r.session.scalar(sa.select(Staff).where(Staff.username == "zhou.min"))
        assert s.role_set == {Role.AGENT, Role.SUPERVISOR} and s.must_change_password
        assert {k.skill for k in s.skills} == {"repair", "appliance"}
        assert not auth.check_password("", s.password_hash)
    assert imports_audited(uow)[0]["created"] == ["zhou.min", "techie"]
    again = apply_import(uow, admin, "staff", data, "staff.csv")
    assert again.unchanged == 2
    data = csv_bytes(["用户名", "姓名", "角色", "技能"], [
        ["zhou.min", "周敏", "agent", ""], ["techie", "Tech Person", "technician", "hvac"]])
    report = preview_import(uow, admin, "staff", data, "staff.csv")
    assert report.bad_rows == [2] and report.updated == 1
    assert count(uow, StaffRole) == 4 and count(uow, StaffSkill) == 2


def test_only_admins_import(uow, agent):
    supervisor = add_staff(uow, "sup1", Role.SUPERVISOR)
    data = csv_bytes(["name", "phone"], [["A", "13812345601"]])
    for actor in (agent, supervisor):
        with pytest.raises(PermissionDenied):
            preview_import(uow, actor, "customers", data, "c.csv")
        with pytest.raises(PermissionDenied):
            apply_import(uow, actor, "customers", data, "c.csv")
    assert count(uow, Customer) == 0


# --- all or nothing ---------------------------------------------------------------------------

def test_a_failure_in_the_last_chunk_leaves_nothing(uow, admin, catalogue, monkeypatch):
    rows = []
    for i in range(40):
        rows.append([f"SO-{i}", "13812345601", "2026-03-01", "", "", "AF-100", "1", ""])
        rows.append([f"SO-{i}", "13812345601", "2026-03-01", "", "", "RC-200", "1", ""])
    monkeypatch.setattr(import_orders, "CHUNK", 7)
    real = import_orders.insert_rows
    calls = []

    def failing(session, model, batch):
        calls.append(model)
        if model is Order and calls.count(Order) == 6:     # 40 orders / 7: the last chunk
            raise RuntimeError("disk full")
        return real(session, model, batch)
    monkeypatch.setattr(import_orders, "insert_rows", failing)
    with pytest.raises(RuntimeError):
        apply_import(uow, admin, "orders", csv_bytes(ORDER_HEADER, rows), "o.csv")
    assert calls.count(Order) == 6 and calls.count(OrderLine) == 5
    assert count(uow, Order) == 0 and count(uow, OrderLine) == 0
    assert len(imports_audited(uow)) == 2     # the catalogue's two imports only
    monkeypatch.setattr(import_orders, "insert_rows", real)
    done = apply_import(uow, admin, "orders", csv_bytes(ORDER_HEADER, rows), "o.csv")
    assert (done.new, done.lines) == (40, 80)


def test_a_failure_half_way_through_customers_leaves_nothing(uow, admin, monkeypatch):
    monkeypatch.setattr(import_kinds, "CHUNK", 100)
    real = import_kinds.insert_rows
    calls = []

    def failing(session, model, batch):
        calls.append(len(batch))
        if len(calls) == 5:
            raise RuntimeError("connection lost")
        return real(session, model, batch)
    monkeypatch.setattr(import_kinds, "insert_rows", failing)
    with pytest.raises(RuntimeError):
        apply_import(uow, admin, "customers", csv_bytes(CUSTOMER_HEADER, customer_rows(500)),
                     "c.csv")
    assert calls == [100] * 5
    assert count(uow, Customer) == 0


# --- the column mapping -----------------------------------------------------------------------

def test_an_explicit_mapping_and_a_missing_required_column(uow, admin):
    data = csv_bytes(["Kunde", "Handy", "Notiz"], [["Wang Fang", "13812345601", "x"]])
    report = preview_import(uow, admin, "customers", data, "c.csv")
    assert report.missing == [("name",), ("phone", "email")] and not report.ok
    assert imports.render_missing(report, lambda s: s) == ["Name", "Phone / E-mail"]
    with pytest.raises(ImportRefused) as refused:
        apply_import(uow, admin, "customers", data, "c.csv")
    assert refused.value.report.missing
    done = apply_import(uow, admin, "customers", data, "c.csv",
                        mapping={"name": "Kunde", "phone": "Handy"})
    assert done.new == 1 and done.mapping == {"name": "Kunde", "phone": "Handy"}


# --- the command line ----------------------------------------------------------------------------

@pytest.fixture
def cli(database_url, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("CAREDESK_DATA_DIR", str(tmp_path / "data"))

    def run(*args):
        return CliRunner().invoke(manage.cli, list(args), catch_exceptions=False)
    return run


def test_manage_import_names_bad_rows_and_exits_non_zero(cli, uow, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(["姓名", "手机"], [["王芳", "13812345601"], ["李伟", "555"]],
                              encoding="gbk"))
    result = cli("import", "customers", str(bad))
    assert result.exit_code == 1
    assert "row 3 [手机]: 555 is not a valid phone number" in result.output
    assert count(uow, Customer) == 0
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(["姓名", "手机"], [["王芳", "13812345601"]], encoding="gbk"))
    dry = cli("import", "customers", str(good), "--dry-run")
    assert dry.exit_code == 0 and "new 1" in dry.output and "nothing was written" in dry.output
    assert count(uow, Customer) == 0
    done = cli("import", "customers", str(good))
    assert done.exit_code == 0 and "imported" in done.output
    assert count(uow, Customer) == 1
    twice = cli("import", "customers", str(good))
    assert "unchanged 1" in twice.output and count(uow, Customer) == 1
