"""The audit log viewer (core.audit_log): filters by who, record, action and period return the
right entries, newest first, a page at a time; "who viewed or exported personal data" lists
profile views and exports; contact data in the values is masked for readers who may not see
it; the download is formula-safe and recorded; only supervisors and admins may read it.
Also the page, through Streamlit's AppTest."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
import streamlit as st
from streamlit.testing.v1 import AppTest

from core import audit_log as al
from core import customers, data_exports
from core.errors import PermissionDenied, ValidationError
from core.vocabulary import Role
from db.models import AuditEntry
from tests.conftest import add_staff
from tests.figures import utc
from ui import keys, runtime

PAGE = Path(__file__).resolve().parents[2] / "pages" / "audit.py"
PHONE = "+8613812345678"


@pytest.fixture
def people(uow):
    return {"sue": add_staff(uow, "sue", Role.SUPERVISOR), "adm": add_staff(uow, "adm", Role.ADMIN),
            "ann": add_staff(uow, "ann", Role.AGENT), "ana": add_staff(uow, "ana", Role.ANALYST),
            "tom": add_staff(uow, "tom", Role.TECHNICIAN)}


def entry(uow, at: datetime, who, action: str, entity: str, entity_id=None, old=None,
          new=None) -> int:
    with uow:
        e = AuditEntry(at=at, actor_id=who.staff_id if who else None, action=action,
                       entity=entity, entity_id=None if entity_id is None else str(entity_id),
                       old=old, new=new)
        uow.session.add(e)
        uow.commit()
        return e.id


@pytest.fixture
def log(uow, people):
    """Eight entries in November 2026 (Shanghai days), oldest first."""
    sue, ann, adm = people["sue"], people["ann"], people["adm"]
    ids = [
        entry(uow, utc("2026-11-01 08:00"), ann, "customer_created", "customer", 7, None,
              {"name": "Wang Fang", "phone": PHONE, "email": "wang.fang@example.com"}),
        entry(uow, utc("2026-11-01 09:00"), ann, "customer_viewed", "customer", 7, None,
              {"personal_data": True}),
        entry(uow, utc("2026-11-02 10:00"), sue, "case_assigned", "case", 3, {"owner_id": None},
              {"owner_id": ann.staff_id}),
        entry(uow, utc("2026-11-03 11:00"), ann, "customer_updated", "customer", 7,
              {"address": "1 Nanjing Rd", "phone": PHONE},
              {"address": "=HYPERLINK(\"x\")", "phone": "+8613998765432"}),
        entry(uow, utc("2026-11-04 12:00"), sue, "customer_viewed", "customer", 8, None,
              {"personal_data": True}),
        entry(uow, utc("2026-11-05 13:00"), sue, "data_exported", "data_export", "customers",
              None, {"kind": "customers", "rows": 2, "personal_data": True}),
        entry(uow, utc("2026-11-06 14:00"), adm, "staff_created", "staff", ann.staff_id, None,
              {"username": "ann"}),
        entry(uow, utc("2026-11-30 23:30"), None, "logout_expired", "staff", ann.staff_id),
    ]
    return ids


def shown(uow, actor, **kw) -> list[int]:
    """Every matching entry id, newest first, read through the pages."""
    out, before = [], None
    while True:
        page = al.entries(uow, actor, al.AuditFilters(**kw), before_id=before, limit=3)
        out += [r.id for r in page.rows]
        if page.older is None:
            return out
        before = page.older


def since(ids: list[int], log_ids: list[int]) -> list[int]:
    """Only the fixture's entries (the staff accounts' own creation is logged too)."""
    return [i for i in ids if i in log_ids]


# --- filters ---------------------------------------------------------------------------------------

def test_newest_first_in_pages_that_do_not_overlap(uow, people, log):
    every = shown(uow, people["sue"])
    assert since(every, log) == list(reversed(log))
    assert len(every) == len(set(every))
    first = al.entries(uow, people["sue"], al.AuditFilters(), limit=3)
    assert [r.id for r in first.rows] == list(reversed(log))[:3]
    assert first.older == first.rows[-1].id


def test_filter_by_user(uow, people, log):
    assert shown(uow, people["sue"], staff_id=people["sue"].staff_id) == [log[5], log[4], log[2]]
    ann = shown(uow, people["adm"], staff_id=people["ann"].staff_id)
    assert ann == [log[3], log[1], log[0]]


def test_filter_by_record(uow, people, log):
    assert shown(uow, people["sue"], entity="customer", entity_id="7") == [log[3], log[1], log[0]]
    assert shown(uow, people["sue"], entity="case") == [log[2]]
    with pytest.raises(ValidationError, match="kind of record first"):
        shown(uow, people["sue"], entity_id="7")


def test_filter_by_action(uow, people, log):
    assert shown(uow, people["sue"], actions=("customer_viewed",)) == [log[4], log[1]]
    assert shown(uow, people["sue"], actions=("customer_viewed", "case_assigned"),
                 staff_id=people["sue"].staff_id) == [log[4], log[2]]


def test_filter_by_period_in_shop_days(uow, people, log):
    assert shown(uow, people["sue"], start=date(2026, 11, 2), end=date(2026, 11, 4)) \
        == [log[4], log[3], log[2]]
    # 23:30 in Shanghai on the 30th is still the 30th there
    assert since(shown(uow, people["sue"], start=date(2026, 11, 30)), log) == [log[7]]
    assert shown(uow, people["sue"], end=date(2026, 11, 1), entity="customer") \
        == [log[1], log[0]]
    with pytest.raises(ValidationError):
        shown(uow, people["sue"], start=date(2026, 11, 5), end=date(2026, 11, 4))


def test_who_viewed_or_exported_personal_data(uow, people, log):
    assert since(shown(uow, people["sue"], personal_data=True), log) == [log[5], log[4], log[1]]
    assert shown(uow, people["sue"], personal_data=True, entity="customer", entity_id="8") \
        == [log[4]]


def test_real_profile_views_and_exports_land_in_the_personal_data_view(uow, people):
    sue, ana = people["sue"], people["ana"]
    agent = people["ann"]
    cid = customers.create_customer(uow, agent, name="Li Lei", phone=PHONE)
    customers.customer_profile(uow, sue, cid)
    customers.customer_profile(uow, ana, cid)
    data_exports.export(uow, ana, "customers", data_exports.ExportFilters(), "csv")
    data_exports.preview(uow, sue, "cases", data_exports.ExportFilters())
    page = al.entries(uow, sue, al.AuditFilters(personal_data=True))
    assert [(r.staff, r.action, r.entity, r.entity_id) for r in page.rows] == [
        ("Sue (sue)", "data_export_previewed", "data_export", "cases"),
        ("Ana (ana)", "data_exported", "data_export", "customers"),
        ("Ana (ana)", "customer_viewed", "customer", str(cid)),
        ("Sue (sue)", "customer_viewed", "customer", str(cid)),
    ]
    assert page.rows[1].new["personal_data"] is False and page.rows[1].new["rows"] == 1


# --- values ----------------------------------------------------------------------------------------

def test_contact_data_in_values_is_masked_for_admins_not_for_supervisors(uow, people, log):
    def change(who):
        (row,) = al.entries(uow, people[who], al.AuditFilters(actions=("customer_updated",))).rows
        return row
    raw = change("sue")
    assert raw.old == {"address": "1 Nanjing Rd", "phone": PHONE}
    masked = change("adm")
    assert masked.old == {"address": "***", "phone": "+86 138****5678"}
    assert masked.new["phone"] == "+86 139****5432"
    created = al.entries(uow, people["adm"], al.AuditFilters(actions=("customer_created",)))
    assert created.rows[0].new == {"name": "Wang Fang", "phone": "+86 138****5678",
                                   "email": "w***@example.com"}


def test_values_read_as_indented_json_text():
    assert al.pretty({"b": 1, "a": "王芳 <b>"}) == '{\n  "a": "王芳 <b>",\n  "b": 1\n}'
    assert al.pretty(None) == ""


@pytest.mark.parametrize("fmt", data_exports.FORMATS)
def test_download_is_formula_safe_filtered_and_recorded(uow, people, log, fmt):
    file = al.download(uow, people["sue"], al.AuditFilters(entity="customer", entity_id="7"),
                       fmt)
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(file.data.decode("utf-8-sig"))))
    else:
        ws = openpyxl.load_workbook(io.BytesIO(file.data)).worksheets[0]
        rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert rows[0] == ["Entry", "When", "Who", "Action", "Record", "Record ID", "Before",
                       "After"]
    assert [str(r[0]) for r in rows[1:]] == [str(i) for i in (log[3], log[1], log[0])]
    assert str(rows[1][1]).startswith("2026-11-03 11:00")      # the shop's clock
    assert '"address": "=HYPERLINK' in rows[1][7]               # inside JSON: not a formula
    for row in rows:
        for cell in row:
            assert not str(cell or "").startswith(("=", "+", "-", "@"))
    with uow.reader() as r:
        last = r.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (last.action, last.actor_id, last.new["rows"], last.new["format"]) == (
        al.DOWNLOAD_ACTION, people["sue"].staff_id, 3, fmt)
    assert last.new["filters"] == {"entity": "customer", "entity_id": "7"}
    assert since(shown(uow, people["sue"], personal_data=True), [last.id]) == [last.id]


def test_download_is_bounded(uow, people, log, monkeypatch):
    monkeypatch.setattr(al, "DOWNLOAD_MAX", 2)
    with pytest.raises(ValidationError, match="more than 2 entries"):
        al.download(uow, people["sue"], al.AuditFilters(entity="customer"))


@pytest.mark.parametrize("who", ["ann", "ana", "tom"])
def test_only_supervisors_and_admins_read_the_log(uow, people, log, who):
    for call in (lambda: al.entries(uow, people[who], al.AuditFilters()),
                 lambda: al.download(uow, people[who], al.AuditFilters()),
                 lambda: al.options(uow, people[who])):
        with pytest.raises(PermissionDenied):
            call()


def test_options_offer_people_records_and_actions(uow, people, log):
    o = al.options(uow, people["adm"])
    assert "Sue (sue)" in dict(o.staff).values()
    # the fixture's entries are dated November 2026; "recent" is measured from now
    assert {"customer", "data_export"} <= set(o.entities)
    assert set(al.PERSONAL_DATA_ACTIONS) <= set(o.actions)


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


def test_page_lists_filters_and_pages(app, uow, people, log):
    at = app(people["sue"]).run()
    assert not at.exception
    frame = at.dataframe[0].value
    assert list(frame["Entry"])[:3] == list(reversed(log))[:3]
    at.segmented_control(key=keys.AUDIT_VIEW).set_value("personal").run()
    assert not at.exception
    assert since(list(at.dataframe[0].value["Entry"]), log) == [log[5], log[4], log[1]]
    at.selectbox(key=f"{keys.AUDIT_FILTER}.who").set_value(people["ann"].staff_id)
    at.button(key=f"FormSubmitter:{keys.AUDIT_FORM}-Apply filters").click().run()
    assert list(at.dataframe[0].value["Entry"]) == [log[1]]


def test_page_pages_through_older_entries(app, uow, people, log, monkeypatch):
    monkeypatch.setattr(al, "PAGE_SIZE", 5)
    at = app(people["adm"]).run()
    first = list(at.dataframe[0].value["Entry"])
    at.button(key=keys.AUDIT_OLDER).click().run()
    second = list(at.dataframe[0].value["Entry"])
    assert not set(first) & set(second) and max(second) < min(first)
    at.button(key=keys.AUDIT_NEWER).click().run()
    assert list(at.dataframe[0].value["Entry"]) == first


def test_page_refuses_an_analyst(app, people):
    at = app(people["ana"]).run()
    assert not at.exception
    assert any("roles do not allow" in e.value for e in at.error)


def test_page_download_is_made_on_the_click_for_a_live_session_only(app, uow, people, log,
                                                                     monkeypatch):
    from streamlit.elements.widgets import button

    from core import auth
    from core.errors import NotLoggedIn
    captured, marshall = {}, button.marshall_file

    def keep(coordinates, data, proto, *args, **kw):
        if callable(data):
            captured[proto.label] = data
        return marshall(coordinates, data, proto, *args, **kw)
    monkeypatch.setattr(button, "marshall_file", keep)
    at = app(people["adm"])
    auth.start_session(uow, "adm", "adm-session")
    at.session_state[keys.SESSION_KEY] = "adm-session"
    at.run()
    assert set(captured) == {"Download CSV", "Download Excel"}
    text = captured["Download CSV"]().decode("utf-8-sig")
    assert "+86 138****5678" in text and PHONE not in text      # an admin: masked
    with uow.reader() as r:
        last = r.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (last.action, last.actor_id) == (al.DOWNLOAD_ACTION, people["adm"].staff_id)
    with uow:
        auth.revoke_sessions(uow, people["adm"].staff_id, "roles_changed")
        uow.commit()
    with pytest.raises(NotLoggedIn):
        captured["Download Excel"]()
