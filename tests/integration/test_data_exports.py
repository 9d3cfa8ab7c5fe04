"""Exports of customers, orders and cases (core.data_exports): filtered, formula-safe in CSV
and Excel, personal data only for the roles that may see it (analysts get it masked, never
raw), every file and preview in the audit log, bounded, refused to agents and technicians.
Also the page itself, through Streamlit's AppTest."""
from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
import streamlit as st
from streamlit.testing.v1 import AppTest

from core import auth
from core import data_exports as dx
from core.errors import NotLoggedIn, PermissionDenied, ValidationError
from core.vocabulary import (
    CaseCategory, CaseKind, CaseStatus, Channel, CustomerTier, OrderState, Role,
)
from db.models import AuditEntry, Case, Customer, Order, OrderLine, Product, Store
from tests.conftest import add_staff
from tests.figures import utc
from ui import keys, runtime

EVIL = '=HYPERLINK("http://evil.example/x","Refund")'
PHONE, NATIONAL = "+8613812345678", "13812345678"
EMAIL = "wang.fang@example.com"
PHONE2, EMAIL2 = "+8613998765432", "li.lei@example.com"
ADDRESS = "88 Nanjing Road, Apt 1201"
DELIVERY = "Building 7, Xuhui Garden"
SECRETS = (NATIONAL, "138 1234 5678", "1234 5678", EMAIL, "wang.fang", ADDRESS, "Nanjing",
           DELIVERY, "Xuhui", "13998765432", EMAIL2, "li.lei", "Wang Fang", "Li Lei",
           "call me on")
PAGE = Path(__file__).resolve().parents[2] / "pages" / "exports.py"


def add(uow, *rows):
    with uow:
        uow.session.add_all(rows)
        uow.commit()
        return [r.id for r in rows]


@pytest.fixture
def people(uow):
    return {"sue": add_staff(uow, "sue", Role.SUPERVISOR), "ana": add_staff(uow, "ana", Role.ANALYST),
            "ann": add_staff(uow, "ann", Role.AGENT), "tom": add_staff(uow, "tom", Role.TECHNICIAN),
            "adm": add_staff(uow, "adm", Role.ADMIN)}


@pytest.fixture
def shop(uow, people):
    """Two customers (one with a formula for a name), three orders, four cases, in
    November 2026 (Shanghai days) and one of each in October."""
    sh, bj = add(uow, Store(code="SH1", name="Shanghai One"), Store(code="BJ1", name="Beijing One"))
    kettle, toaster = add(uow, Product(sku="K-1", name="Kettle", category="appliance",
                                       price_cents=19900),
                          Product(sku="T-1", name="Toaster", category="appliance",
                                  price_cents=25900))
    evil, li, old = add(
        uow,
        Customer(name=EVIL, phone=PHONE, phone_normalized=PHONE, email=EMAIL, address=ADDRESS,
                 city="Shanghai", tier=CustomerTier.VIP, language="en", home_store_id=sh,
                 created_at=utc("2026-11-01 00:30")),
        Customer(name="Li Lei", phone=PHONE2, phone_normalized=PHONE2, email=EMAIL2,
                 city="Beijing", language="zh_CN", created_at=utc("2026-11-30 23:30")),
        Customer(name="Wang Fang", phone=None, email="old@example.org", city="Shanghai",
                 language="en", created_at=utc("2026-10-31 23:59")))

    def order(number, customer, at, state, channel, store, lines):
        o = Order(order_number=number, customer_id=customer, ordered_at=at, state=state,
                  channel=channel, store_id=store, delivery_address=DELIVERY,
                  total_cents=sum(p for _q, p in lines))
        o.lines = [OrderLine(product_id=kettle, quantity=q, unit_price_cents=19900,
                             paid_cents=p) for q, p in lines]
        return o
    orders = add(uow,
                 order("N-1", evil, utc("2026-11-02 10:00"), OrderState.CONFIRMED, Channel.PHONE,
                       sh, [(1, 19900), (2, 39800)]),
                 order("N-2", li, utc("2026-11-20 10:00"), OrderState.SHIPPED, Channel.WEB, bj,
                       [(1, 19900)]),
                 order("O-1", evil, utc("2026-10-15 10:00"), OrderState.CONFIRMED,
                       Channel.PHONE, sh, [(1, 19900)]))

    def case(at, customer, status, channel, kind, category, owner=None, subject="Question"):
        return Case(kind=kind, channel=channel, category=category, status=status,
                    customer_id=customer, owner_id=owner, created_at=at, subject=subject,
                    question=f"call me on {PHONE} or {EMAIL}", answer="Sure", store_id=sh,
                    product_id=toaster, order_id=orders[0])
    sue, ann = people["sue"].staff_id, people["ann"].staff_id
    cases = add(uow,
                case(utc("2026-11-03 09:00"), evil, CaseStatus.OPEN, Channel.PHONE,
                     CaseKind.COMPLAINT, CaseCategory.DELIVERY, ann, subject=EVIL),
                case(utc("2026-11-04 09:00"), li, CaseStatus.RESOLVED, Channel.EMAIL,
                     CaseKind.INQUIRY, CaseCategory.PRICE, sue),
                case(utc("2026-11-05 09:00"), li, CaseStatus.OPEN, Channel.EMAIL,
                     CaseKind.INQUIRY, CaseCategory.DELIVERY, ann),
                case(utc("2026-11-30 23:59"), evil, CaseStatus.NEW, Channel.CHAT,
                     CaseKind.SUGGESTION, CaseCategory.OTHER),
                case(utc("2026-10-31 10:00"), evil, CaseStatus.CLOSED, Channel.PHONE,
                     CaseKind.INQUIRY, CaseCategory.PRICE, ann))
    return {"stores": (sh, bj), "customers": (evil, li, old), "orders": orders, "cases": cases}


NOV = dict(start=date(2026, 11, 1), end=date(2026, 11, 30))


def text_of(file: dx.ExportFile) -> str:
    """Everything in the file as text: the CSV, or every XML part of the workbook."""
    if file.file_name.endswith(".csv"):
        return file.data.decode("utf-8-sig")
    with zipfile.ZipFile(io.BytesIO(file.data)) as z:
        return "\n".join(z.read(n).decode("utf-8") for n in z.namelist())


def table(file: dx.ExportFile) -> list[list]:
    if file.file_name.endswith(".csv"):
        return list(csv.reader(io.StringIO(file.data.decode("utf-8-sig"))))
    ws = openpyxl.load_workbook(io.BytesIO(file.data)).worksheets[0]
    return [[c.value for c in row] for row in ws.iter_rows()]


def column(file: dx.ExportFile, header: str) -> list:
    rows = table(file)
    i = rows[0].index(header)
    return [r[i] for r in rows[1:]]


def audits(uow, action=dx.EXPORT_ACTION) -> list[AuditEntry]:
    with uow.reader() as r:
        return r.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)
                                 .order_by(AuditEntry.id)).all()


# --- personal data -------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", dx.FORMATS)
def test_supervisor_gets_names_phones_and_addresses(uow, people, shop, fmt):
    sue = people["sue"]
    customers = dx.export(uow, sue, "customers", dx.ExportFilters(), fmt)
    assert customers.personal_data and customers.rows == 3
    assert "Li Lei" in column(customers, "Name")
    # a leading "+" is neutralised like "=" (core.exports, OWASP)
    assert "'+86 138 1234 5678" in column(customers, "Phone")
    assert EMAIL in column(customers, "E-mail") and ADDRESS in column(customers, "Address")
    orders = dx.export(uow, sue, "orders", dx.ExportFilters(**NOV), fmt)
    assert set(column(orders, "Delivery address")) == {DELIVERY}
    assert "Li Lei" in column(orders, "Customer")
    cases = dx.export(uow, sue, "cases", dx.ExportFilters(**NOV), fmt)
    assert f"call me on {PHONE} or {EMAIL}" in column(cases, "Question")


@pytest.mark.parametrize("fmt", dx.FORMATS)
@pytest.mark.parametrize("kind", dx.KINDS)
def test_analyst_gets_masks_never_the_raw_data(uow, people, shop, kind, fmt):
    file = dx.export(uow, people["ana"], kind, dx.ExportFilters(), fmt)
    assert not file.personal_data and file.rows > 0
    text = text_of(file)
    for secret in SECRETS:
        assert secret not in text, (kind, fmt, secret)
    if kind == "customers":
        assert "'+86 138****5678" in column(file, "Phone")
        assert "w***@example.com" in column(file, "E-mail")
        assert "***" in column(file, "Address")
        assert "L**" in column(file, "Name")
        # the id stays: rows can still be joined and counted
        assert sorted(int(i) for i in column(file, "Customer ID")) == sorted(shop["customers"])
    if kind == "cases":
        assert set(column(file, "Question")) == {"***"}


def test_admin_exports_masked_too(uow, people, shop):
    """Admins run the system; they have no business with customers' contact data."""
    file = dx.export(uow, people["adm"], "customers", dx.ExportFilters(), "csv")
    assert not file.personal_data and NATIONAL not in text_of(file)


@pytest.mark.parametrize("fmt", dx.FORMATS)
@pytest.mark.parametrize("who", ["sue", "ana"])
def test_a_formula_in_a_name_is_neutralised(uow, people, shop, fmt, who):
    for kind, header in (("customers", "Name"), ("orders", "Customer"), ("cases", "Customer")):
        file = dx.export(uow, people[who], kind, dx.ExportFilters(), fmt)
        names = column(file, header)
        assert any(str(n).startswith("'=") for n in names), (kind, names)
        for row in table(file):
            for cell in row:
                assert not str(cell or "").lstrip().startswith(("=", "+", "-", "@")), cell
        if fmt == "xlsx":
            ws = openpyxl.load_workbook(io.BytesIO(file.data)).worksheets[0]
            assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    if who == "sue":
        assert f"'{EVIL}" in column(dx.export(uow, people[who], "customers",
                                              dx.ExportFilters(), fmt), "Name")
        cases = dx.export(uow, people[who], "cases", dx.ExportFilters(**NOV), fmt)
        assert f"'{EVIL}" in column(cases, "Subject")


# --- the audit row ---------------------------------------------------------------------------------

def test_every_export_is_audited_with_its_count_and_filters(uow, people, shop):
    dx.export(uow, people["sue"], "orders",
              dx.ExportFilters(states=("confirmed",), **NOV), "xlsx")
    dx.export(uow, people["ana"], "customers", dx.ExportFilters(tiers=("vip",)), "csv")
    first, second = audits(uow)
    assert (first.actor_id, first.entity, first.entity_id) == (people["sue"].staff_id,
                                                               "data_export", "orders")
    assert first.new == {"kind": "orders", "format": "xlsx", "rows": 2, "personal_data": True,
                         "filters": {"start": "2026-11-01", "end": "2026-11-30",
                                     "states": ["confirmed"]}}
    assert (second.actor_id, second.new["rows"], second.new["personal_data"],
            second.new["filters"]) == (people["ana"].staff_id, 1, False, {"tiers": ["vip"]})


def test_a_preview_shows_the_first_rows_and_is_audited(uow, people, shop, monkeypatch):
    monkeypatch.setattr(dx, "PREVIEW_ROWS", 2)
    p = dx.preview(uow, people["ana"], "cases", dx.ExportFilters())
    assert (p.total, len(p.frame), p.too_many, p.personal_data) == (5, 2, False, False)
    assert list(p.frame["Customer"]) == ["=**", "=**"]   # oldest first; neutralised in files
    entry = audits(uow, dx.PREVIEW_ACTION)[-1]
    assert entry.new == {"kind": "cases", "filters": {}, "rows": 2, "personal_data": False}
    assert audits(uow) == []          # a preview is not an export


# --- bounds and refusals ---------------------------------------------------------------------------

def test_over_the_limit_is_refused_and_nothing_is_audited(uow, people, shop, monkeypatch):
    monkeypatch.setattr(dx, "MAX_ROWS", 3)
    with pytest.raises(ValidationError, match="more than 3 rows"):
        dx.export(uow, people["sue"], "orders", dx.ExportFilters(), "csv")   # 4 lines
    assert audits(uow) == []
    assert dx.export(uow, people["sue"], "orders", dx.ExportFilters(**NOV), "csv").rows == 3
    assert dx.preview(uow, people["sue"], "orders", dx.ExportFilters()).too_many


@pytest.mark.parametrize("who", ["ann", "tom"])
def test_agents_and_technicians_may_not_export(uow, people, shop, who):
    for call in (lambda: dx.export(uow, people[who], "customers", dx.ExportFilters()),
                 lambda: dx.preview(uow, people[who], "cases", dx.ExportFilters()),
                 lambda: dx.options(uow, people[who])):
        with pytest.raises(PermissionDenied):
            call()
    assert audits(uow) == [] and audits(uow, dx.PREVIEW_ACTION) == []


@pytest.mark.parametrize("kind, filters", [
    ("pets", dx.ExportFilters()),
    ("customers", dx.ExportFilters(states=("shipped",))),         # not a customer filter
    ("orders", dx.ExportFilters(tiers=("vip",))),
    ("cases", dx.ExportFilters(statuses=("lost",))),
    ("orders", dx.ExportFilters(store_ids=("x",))),
    ("cases", dx.ExportFilters(start=date(2026, 11, 2), end=date(2026, 11, 1))),
    ("customers", dx.ExportFilters(cities=("x" * 81,))),
])
def test_bad_filters_are_refused(uow, people, shop, kind, filters):
    with pytest.raises(ValidationError):
        dx.export(uow, people["sue"], kind, filters)


def test_unknown_format_is_refused(uow, people, shop):
    with pytest.raises(ValidationError):
        dx.export(uow, people["sue"], "cases", dx.ExportFilters(), "pdf")


# --- filters -----------------------------------------------------------------------------------------

def ids(file: dx.ExportFile, header: str) -> list:
    return [str(v) for v in column(file, header)]


def test_customer_filters(uow, people, shop):
    sue = people["sue"]
    evil, li, old = (str(i) for i in shop["customers"])

    def run(**kw):
        return sorted(ids(dx.export(uow, sue, "customers", dx.ExportFilters(**kw)),
                          "Customer ID"))
    assert run() == sorted([evil, li, old])
    assert run(**NOV) == sorted([evil, li])        # Shanghai days: 10-31 23:59 is October
    assert run(tiers=("vip",)) == [evil]
    assert run(cities=("Shanghai",)) == sorted([evil, old])
    assert run(cities=("Shanghai",), **NOV) == [evil]
    assert run(start=date(2026, 11, 30)) == [li]
    assert run(end=date(2026, 10, 31)) == [old]


def test_order_filters_one_row_per_line(uow, people, shop):
    sue = people["sue"]
    sh, bj = shop["stores"]

    def run(**kw):
        return ids(dx.export(uow, sue, "orders", dx.ExportFilters(**kw)), "Order number")
    assert run() == ["O-1", "N-1", "N-1", "N-2"]   # oldest first, a row per line
    assert run(**NOV) == ["N-1", "N-1", "N-2"]
    assert run(states=("shipped",)) == ["N-2"]
    assert run(store_ids=(sh,), **NOV) == ["N-1", "N-1"]
    assert run(channels=("web",)) == ["N-2"]
    file = dx.export(uow, sue, "orders", dx.ExportFilters(states=("shipped",)), "xlsx")
    assert column(file, "Paid") == [199.0] and column(file, "Order state") == ["Shipped"]
    assert column(file, "Ordered") == [datetime(2026, 11, 20, 10, 0)]   # the shop's clock


def test_case_filters(uow, people, shop):
    sue = people["sue"]
    c1, c2, c3, c4, c_oct = (str(i) for i in shop["cases"])

    def run(**kw):
        return ids(dx.export(uow, sue, "cases", dx.ExportFilters(**kw)), "Case")
    assert run() == [c_oct, c1, c2, c3, c4]
    assert run(**NOV) == [c1, c2, c3, c4]
    assert run(statuses=("open",), **NOV) == [c1, c3]
    assert run(channels=("email",)) == [c2, c3]
    assert run(kinds=("complaint", "suggestion")) == [c1, c4]
    assert run(categories=("price",)) == [c_oct, c2]
    assert run(owner_ids=(people["ann"].staff_id,), **NOV) == [c1, c3]
    assert run(owner_ids=(people["ann"].staff_id,)) == [c_oct, c1, c3]
    assert run(start=date(2026, 11, 30), end=date(2026, 11, 30)) == [c4]


def test_options_offer_stores_owners_and_cities(uow, people, shop):
    o = dx.options(uow, people["ana"])
    assert [n for _i, n in o.stores] == ["Beijing One", "Shanghai One"]
    assert o.cities == ["Beijing", "Shanghai"]
    assert {n for _i, n in o.owners} == {"Sue", "Ann"}


# --- the page ----------------------------------------------------------------------------------------

@pytest.fixture
def app(engine, monkeypatch):
    monkeypatch.setattr(runtime, "engine", lambda: engine)
    st.cache_data.clear()

    def page(who) -> AppTest:
        at = AppTest.from_file(str(PAGE), default_timeout=60)
        at.session_state[keys.ACTOR] = who
        return at
    yield page
    st.cache_data.clear()


def test_page_previews_masked_rows_for_an_analyst(app, uow, people, shop):
    at = app(people["ana"]).run()
    assert not at.exception
    at.selectbox(key=keys.EXPORTS_KIND).set_value("customers").run()
    at.button(key=f"FormSubmitter:{keys.EXPORTS_FORM}.customers-Show preview").click().run()
    assert not at.exception
    frame = at.dataframe[0].value
    assert len(frame) == 3 and set(frame["Address"].dropna()) == {"***"}
    assert NATIONAL not in frame.to_csv()
    assert len(audits(uow, dx.PREVIEW_ACTION)) == 1


def test_page_for_a_supervisor_shows_personal_data(app, uow, people, shop, monkeypatch):
    # the download buttons' deferred makers, kept to be called as a click would
    from streamlit.elements.widgets import button
    captured, marshall = {}, button.marshall_file

    def keep(coordinates, data, proto, *args, **kw):
        if callable(data):
            captured[proto.label] = data
        return marshall(coordinates, data, proto, *args, **kw)
    monkeypatch.setattr(button, "marshall_file", keep)
    at = app(people["sue"])
    auth.start_session(uow, "sue", "sue-session")
    at.session_state[keys.SESSION_KEY] = "sue-session"
    at.run()
    at.selectbox(key=keys.EXPORTS_KIND).set_value("orders").run()
    at.button(key=f"FormSubmitter:{keys.EXPORTS_FORM}.orders-Show preview").click().run()
    assert not at.exception
    frame = at.dataframe[0].value
    assert set(frame["Delivery address"]) == {DELIVERY}
    assert audits(uow) == []            # nothing exported until a button is pressed

    # a download button makes its file when pressed (what the browser asks for on a click)
    made = captured["Download Excel"]()
    (entry,) = audits(uow)
    assert (entry.actor_id, entry.new["format"], entry.new["rows"],
            entry.new["personal_data"]) == (people["sue"].staff_id, "xlsx", 4, True)
    assert DELIVERY in text_of(dx.ExportFile("x.xlsx", "", made, 4, True))

    # the click is served outside a script run: a session ended since gets no file
    with uow:
        auth.revoke_sessions(uow, people["sue"].staff_id, "roles_changed")
        uow.commit()
    with pytest.raises(NotLoggedIn):
        captured["Download CSV"]()
    assert len(audits(uow)) == 1


def test_page_refuses_an_agent(app, people, shop):
    at = app(people["ann"]).run()
    assert not at.exception
    assert any("roles do not allow" in e.value for e in at.error)
