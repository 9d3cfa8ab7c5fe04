"""Customer records (core/customers.py): find, create, edit, merge, view, mask.

Runs on SQLite, and on PostgreSQL with DATABASE_URL=postgresql+psycopg://...
"""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core import customers as cu
from core.clock import utcnow
from core.errors import ConcurrentChange, NotFound, PermissionDenied, ValidationError
from core.vocabulary import (
    AfterSalesKind, CallbackPurpose, CallbackStatus, CaseCategory, CaseKind, Channel,
    GoodsCondition, MessageChannel, Role,
)
from db.migrate import current_revision, head_revision, upgrade
from db.models import (
    AfterSalesRequest, AuditEntry, Callback, Case, Customer, CustomerNote,
    MaintenancePlan, Order, OrderLine, OutboxMessage, Product, SurveyAnswer,
)
from db.session import make_engine
from tests.conftest import drop_everything

PHONE = "+8613812345678"


@pytest.fixture
def agent(make_staff):
    return make_staff("agent1", Role.AGENT)


@pytest.fixture
def analyst(make_staff):
    return make_staff("analyst1", Role.ANALYST)


@pytest.fixture
def technician(make_staff):
    return make_staff("tech1", Role.TECHNICIAN)


@pytest.fixture
def supervisor(make_staff):
    return make_staff("super1", Role.SUPERVISOR)


def _count(uow, model) -> int:
    with uow.reader() as r:
        return r.session.scalar(sa.select(sa.func.count()).select_from(model))


def _audit(uow, action: str, entity_id=None) -> list[AuditEntry]:
    with uow.reader() as r:
        stmt = sa.select(AuditEntry).where(AuditEntry.action == action)
        if entity_id is not None:
            stmt = stmt.where(AuditEntry.entity_id == str(entity_id))
        return list(r.session.scalars(stmt.order_by(AuditEntry.id)))


def _order(uow, customer_id: int, number: str, days_ago: int = 3) -> int:
    with uow:
        product = uow.session.scalar(sa.select(Product).where(Product.sku == "KETTLE-1"))
        if product is None:
            product = Product(sku="KETTLE-1", name="Electric Kettle", name_zh="电热水壶",
                              category="kitchen", price_cents=19900)
            uow.session.add(product)
            uow.flush()
        order = Order(order_number=number, customer_id=customer_id, channel=Channel.WEB,
                      ordered_at=utcnow() - timedelta(days=days_ago), total_cents=19900,
                      delivery_address="北京市朝阳区建国路1号")
        order.lines = [OrderLine(product_id=product.id, quantity=1, unit_price_cents=19900,
                                 paid_cents=19900)]
        uow.session.add(order)
        uow.commit()
        return order.id


@pytest.fixture
def people(uow, agent):
    """A few customers, as the intake screen would create them."""
    ids = {
        "wang_fang": cu.create_customer(uow, agent, name="Wang Fang", phone="138 1234 5678",
                                        email="Wang.Fang@Example.com"),
        "li_wang": cu.create_customer(uow, agent, name="Li Wang", phone="+86 139 0000 1111"),
        "zhang": cu.create_customer(uow, agent, name="Zhang Wei", phone="13700001234",
                                    email="zhang.wei@example.cn"),
        "chinese": cu.create_customer(uow, agent, name="王芳", phone="150 0000 9999"),
        "chinese2": cu.create_customer(uow, agent, name="王小明", email="xiaoming@qq.com"),
        "london": cu.create_customer(uow, agent, name="Oliver Smith",
                                     phone="+44 20 7946 0958", language="en"),
    }
    return ids


# --- normalizing ------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", ["13812345678", "138 1234 5678", "+86 138-1234-5678",
                                 "008613812345678", "+8613812345678", "(+86) 138 1234 5678",
                                 "１３８１２３４５６７８"])
def test_phone_spellings_normalize_to_e164(raw):
    assert cu.normalize_phone(raw) == PHONE


def test_foreign_and_invalid_phones():
    assert cu.normalize_phone("+44 20 7946 0958") == "+442079460958"
    assert cu.normalize_phone("+1 212 736 5000") == "+12127365000"
    for bad in ["12345", "abc", "", "   ", "+86 999", "1" * 50]:
        with pytest.raises(ValidationError):
            cu.normalize_phone(bad)


def test_email_normalizing():
    assert cu.normalize_email("  Wang.Fang@Example.COM ") == "wang.fang@example.com"
    for bad in ["", "wang", "wang@", "@example.com", "wang@example", "wang fang@example.com",
                "a@b..com", "x" * 250 + "@example.com"]:
        with pytest.raises(ValidationError):
            cu.normalize_email(bad)


def test_masking_keeps_only_what_identifies_nobody():
    assert cu.mask_phone(PHONE) == "+86 138****5678"
    assert cu.mask_email("wang.fang@example.com") == "w***@example.com"
    assert cu.mask_phone(None) is None and cu.mask_email(None) is None
    masked = cu.mask_text("call 138 1234 5678 or write to wang.fang@example.com")
    assert "1234" not in masked and "wang.fang" not in masked and "5678" in masked


# --- search -----------------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["13812", "138 12", "+86138", "+86 138-1", "0086138",
                                   "138 1234 5678", "+86 138-1234-5678", "008613812345678",
                                   "8613812"])
def test_search_by_phone_prefix_and_full_number(uow, agent, people, query):
    hits = cu.search_customers(uow, agent, query)
    assert hits and hits[0].id == people["wang_fang"]
    assert hits[0].matched_on == "phone"
    assert people["li_wang"] not in [h.id for h in hits]


def test_search_by_foreign_phone(uow, agent, people):
    assert [h.id for h in cu.search_customers(uow, agent, "+44 20 79")] == [people["london"]]


def test_search_by_email_prefix_and_full_address(uow, agent, people):
    for query in ["wang.f", "WANG.FANG@", "wang.fang@example.com", "Wang.Fang@EXAMPLE.com"]:
        hits = cu.search_customers(uow, agent, query)
        assert [h.id for h in hits] == [people["wang_fang"]], query
        assert hits[0].matched_on == "email"
    assert cu.search_customers(uow, agent, "nobody@example.com") == []


def test_search_by_name_is_case_insensitive_and_finds_word_starts(uow, agent, people):
    for query in ["wang", "WANG", "Wang", "  wang  "]:
        ids = {h.id for h in cu.search_customers(uow, agent, query)}
        assert {people["wang_fang"], people["li_wang"]} <= ids, query
        assert people["zhang"] not in ids
    assert [h.id for h in cu.search_customers(uow, agent, "wang  FA")] == [people["wang_fang"]]
    assert [h.id for h in cu.search_customers(uow, agent, "smi")] == [people["london"]]


def test_search_by_chinese_name(uow, agent, people):
    ids = [h.id for h in cu.search_customers(uow, agent, "王")]
    assert set(ids) == {people["chinese"], people["chinese2"]}
    hits = cu.search_customers(uow, agent, "王芳")
    assert [h.id for h in hits] == [people["chinese"]] and hits[0].matched_on == "name"


def test_exact_matches_come_first(uow, agent, people):
    wang = cu.create_customer(uow, agent, name="Wang", phone="13600000000")
    hits = cu.search_customers(uow, agent, "wang")
    assert hits[0].id == wang  # the exact name before the names that only start with it


def test_search_by_order_number(uow, agent, people):
    _order(uow, people["zhang"], "SO2611250000123")
    _order(uow, people["li_wang"], "SO2611250000456")
    hits = cu.search_customers(uow, agent, "SO2611250000123")
    assert [(h.id, h.matched_on, h.order_number) for h in hits] == [
        (people["zhang"], "order", "SO2611250000123")]
    assert {h.id for h in cu.search_customers(uow, agent, "so26112500")} == {
        people["zhang"], people["li_wang"]}


def test_search_limit_and_empty_query(uow, agent, people):
    assert cu.search_customers(uow, agent, "   ") == []
    assert len(cu.search_customers(uow, agent, "wang", limit=1)) == 1


def test_merged_customers_are_hidden_from_search(uow, agent, supervisor, people):
    cu.merge_customers(uow, supervisor, people["zhang"], people["wang_fang"])
    for query in ["wang fang", "13812", "wang.fang@"]:
        assert people["wang_fang"] not in [h.id for h in cu.search_customers(uow, agent, query)]
    # the kept record had an e-mail but no... it had a phone: its own stays, it is found by it
    assert cu.search_customers(uow, agent, "13700001234")[0].id == people["zhang"]


# --- who sees what ----------------------------------------------------------------------------

def test_analyst_sees_masked_contact_data_agent_sees_it_whole(uow, agent, analyst, people):
    seen = cu.search_customers(uow, agent, "wang fang")[0]
    assert seen.phone == "+86 138 1234 5678" and seen.email == "wang.fang@example.com"
    masked = cu.search_customers(uow, analyst, "wang fang")[0]
    assert masked.name == "Wang Fang"  # names stay visible
    assert masked.phone == "+86 138****5678" and masked.email == "w***@example.com"
    profile = cu.customer_profile(uow, analyst, people["wang_fang"])
    assert profile.phone == "+86 138****5678" and profile.email == "w***@example.com"
    assert not profile.personal_data_visible
    dup = cu.likely_duplicates(uow, analyst, "Wang Fung")[0]
    assert "1234" not in dup.phone and dup.email == "w***@example.com"


def test_technician_is_refused(uow, technician, people):
    with pytest.raises(PermissionDenied):
        cu.search_customers(uow, technician, "wang")
    with pytest.raises(PermissionDenied):
        cu.customer_profile(uow, technician, people["wang_fang"])
    with pytest.raises(PermissionDenied):
        cu.likely_duplicates(uow, technician, "Wang Fang")
    with pytest.raises(PermissionDenied):
        cu.create_customer(uow, technician, name="X", phone="13800000001")


def test_analyst_cannot_create_or_edit(uow, analyst, people):
    with pytest.raises(PermissionDenied):
        cu.create_customer(uow, analyst, name="X", phone="13800000001")
    with pytest.raises(PermissionDenied):
        cu.update_customer(uow, analyst, people["zhang"], 1, city="Beijing")
    with pytest.raises(PermissionDenied):
        cu.add_note(uow, analyst, people["zhang"], "hello")


# --- create -----------------------------------------------------------------------------------

def test_create_stores_normalized_contacts_and_audits(uow, agent):
    cid = cu.create_customer(uow, agent, name="  Chen Jing ", phone="138-0000-2222",
                             email=" Chen.Jing@Example.com", marketing_consent=True,
                             city="上海")
    with uow.reader() as r:
        c = r.session.get(Customer, cid)
        assert (c.name, c.phone_normalized, c.email) == (
            "Chen Jing", "+8613800002222", "chen.jing@example.com")
        assert c.name_key == "chen jing" and c.name_last_key == "jing"
        assert c.consent_changed_at is not None and c.tier.value == "regular"
    [row] = _audit(uow, "customer_created", cid)
    assert row.actor_id == agent.staff_id and row.new["name"] == "Chen Jing"


def test_script_in_a_name_is_stored_as_plain_text(uow, agent):
    name = "<script>alert('x')</script>"
    cid = cu.create_customer(uow, agent, name=name, email="x@example.com")
    with uow.reader() as r:
        assert r.session.get(Customer, cid).name == name
    assert cu.search_customers(uow, agent, "<script>")[0].name == name


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(name="", phone="13800000001"), "name"),
    (dict(name="   ", phone="13800000001"), "name"),
    (dict(name="x" * 10_000, phone="13800000001"), "120"),
    (dict(name="Line\nBreak", phone="13800000001"), "line breaks"),
    (dict(name="No Contact"), "phone number or an e-mail"),
    (dict(name="Bad Phone", phone="12345"), "not a valid phone number"),
    (dict(name="Bad Mail", email="not-an-address"), "not a valid e-mail"),
    (dict(name="Long City", phone="13800000001", city="c" * 81), "80"),
    (dict(name="Long Address", phone="13800000001", address="a" * 301), "300"),
    (dict(name="Bad Tier", phone="13800000001", tier="gold"), "tier"),
    (dict(name="Bad Language", phone="13800000001", language="fr"), "language"),
])
def test_create_refuses_bad_input_and_writes_nothing(uow, agent, kwargs, fragment):
    before = (_count(uow, Customer), _count(uow, AuditEntry))
    with pytest.raises(ValidationError) as err:
        cu.create_customer(uow, agent, **kwargs)
    assert fragment in str(err.value)
    assert (_count(uow, Customer), _count(uow, AuditEntry)) == before


def test_duplicate_phone_or_email_is_refused_naming_the_existing_customer(uow, agent, people):
    before = (_count(uow, Customer), _count(uow, AuditEntry))
    with pytest.raises(ValidationError) as err:
        cu.create_customer(uow, agent, name="Someone Else", phone="+86 138 1234 5678")
    assert err.value.params["customer_id"] == people["wang_fang"]
    assert f"#{people['wang_fang']}" in str(err.value)
    with pytest.raises(ValidationError) as err:
        cu.create_customer(uow, agent, name="Someone Else", email="WANG.FANG@example.com")
    assert err.value.params["customer_id"] == people["wang_fang"]
    assert (_count(uow, Customer), _count(uow, AuditEntry)) == before


# --- update -----------------------------------------------------------------------------------

def test_update_changes_whitelisted_fields_and_audits_only_changes(uow, agent, people):
    cid = people["zhang"]
    version = cu.update_customer(uow, agent, cid, 1, name="Zhang Wei", city="北京",
                                 tier="vip", marketing_consent=True)
    assert version == 2
    [row] = _audit(uow, "customer_updated", cid)
    assert row.old == {"city": None, "tier": "regular", "marketing_consent": False}
    assert row.new == {"city": "北京", "tier": "vip", "marketing_consent": True}
    with uow.reader() as r:
        c = r.session.get(Customer, cid)
        assert c.consent_changed_at is not None and c.city == "北京"


def test_update_refuses_a_stale_version(uow, agent, people):
    cid = people["zhang"]
    cu.update_customer(uow, agent, cid, 1, city="Beijing")
    with pytest.raises(ConcurrentChange):
        cu.update_customer(uow, agent, cid, 1, city="Shanghai")
    with uow.reader() as r:
        assert r.session.get(Customer, cid).city == "Beijing"


@pytest.mark.parametrize("field", ["id", "merged_into_id", "version", "created_at",
                                   "phone_normalized", "name_key"])
def test_update_refuses_fields_a_form_may_not_set(uow, agent, people, field):
    with pytest.raises(ValidationError) as err:
        cu.update_customer(uow, agent, people["zhang"], 1, **{field: 99})
    assert field in str(err.value)
    with uow.reader() as r:
        assert r.session.get(Customer, people["zhang"]).version == 1


def test_update_validates_like_create(uow, agent, people):
    cid = people["zhang"]
    with pytest.raises(ValidationError) as err:
        cu.update_customer(uow, agent, cid, 1, phone="138 1234 5678")
    assert err.value.params["customer_id"] == people["wang_fang"]
    with pytest.raises(ValidationError):
        cu.update_customer(uow, agent, cid, 1, phone=None, email=None)
    with pytest.raises(ValidationError):
        cu.update_customer(uow, agent, cid, 1, name="")
    # the customer's own number in another spelling is no change at all
    assert cu.update_customer(uow, agent, cid, 1, phone="+86 137-0000-1234") == 1
    cu.update_customer(uow, agent, cid, 1, name="Zhang Wei-Ming", email="ZW@Example.com")
    assert cu.search_customers(uow, agent, "zw@")[0].id == cid
    assert cu.search_customers(uow, agent, "wei-m")[0].id == cid


# --- notes ------------------------------------------------------------------------------------

def test_notes_are_validated_and_shown_masked_to_analysts(uow, agent, analyst, people):
    cid = people["zhang"]
    with pytest.raises(ValidationError):
        cu.add_note(uow, agent, cid, "   ")
    with pytest.raises(ValidationError):
        cu.add_note(uow, agent, cid, "x" * 5001)
    cu.add_note(uow, agent, cid, "Prefers calls on 138 0000 4321 after 18:00")
    assert [n.body for n in cu.customer_profile(uow, agent, cid).notes] == [
        "Prefers calls on 138 0000 4321 after 18:00"]
    [note] = cu.customer_profile(uow, analyst, cid).notes
    assert "0000" not in note.body and "4321" in note.body and note.author == "Agent1"


# --- merge ------------------------------------------------------------------------------------

def _history(uow, actor, customer_id: int) -> None:
    """One row of every kind of history, for this customer."""
    order_id = _order(uow, customer_id, f"SO-M-{customer_id}")
    with uow:
        s = uow.session
        line_id = s.scalar(sa.select(OrderLine.id).where(OrderLine.order_id == order_id))
        case = Case(kind=CaseKind.COMPLAINT, channel=Channel.PHONE,
                    category=CaseCategory.COMPLAINT, customer_id=customer_id,
                    subject="Kettle leaks", order_id=order_id)
        s.add(case)
        s.flush()
        s.add_all([
            AfterSalesRequest(case_id=case.id, customer_id=customer_id, order_line_id=line_id,
                              kind=AfterSalesKind.REPAIR, reason="leaks",
                              condition=GoodsCondition.DEFECTIVE, created_by_id=actor.staff_id),
            Callback(customer_id=customer_id, case_id=case.id,
                     purpose=CallbackPurpose.FOLLOW_UP, due_at=utcnow() + timedelta(days=2)),
            Callback(customer_id=customer_id, purpose=CallbackPurpose.MANUAL,
                     due_at=utcnow() + timedelta(days=1), status=CallbackStatus.DONE),
            SurveyAnswer(customer_id=customer_id, case_id=case.id, satisfaction=4),
            CustomerNote(customer_id=customer_id, author_id=actor.staff_id, body="note"),
            OutboxMessage(customer_id=customer_id, case_id=case.id,
                          channel=MessageChannel.SMS, to_address="+8613812345678",
                          body="Your complaint is accepted."),
            MaintenancePlan(customer_id=customer_id, description="yearly descaling",
                            interval_days=365),
        ])
        uow.commit()


HISTORY = [Order, Case, AfterSalesRequest, Callback, SurveyAnswer, CustomerNote,
           OutboxMessage, MaintenancePlan]


def test_merge_moves_every_history_row(uow, agent, supervisor, people):
    keep, gone = people["zhang"], people["wang_fang"]
    _history(uow, agent, keep)
    _history(uow, agent, gone)
    totals = {m.__tablename__: _count(uow, m) for m in HISTORY}
    moved = cu.merge_customers(uow, supervisor, keep, gone)
    assert {m.__tablename__: _count(uow, m) for m in HISTORY} == totals
    with uow.reader() as r:
        for model in HISTORY:
            on_gone = r.session.scalar(sa.select(sa.func.count()).select_from(model)
                                       .where(model.customer_id == gone))
            on_keep = r.session.scalar(sa.select(sa.func.count()).select_from(model)
                                       .where(model.customer_id == keep))
            assert on_gone == 0 and on_keep == totals[model.__tablename__], model
            assert moved[model.__tablename__] == totals[model.__tablename__] // 2, model
        merged = r.session.get(Customer, gone)
        kept = r.session.get(Customer, keep)
        assert merged.merged_into_id == keep
        # one open follow-up per customer and purpose: the merged one's was cancelled
        open_follow_ups = r.session.scalars(sa.select(Callback).where(
            Callback.customer_id == keep, Callback.purpose == CallbackPurpose.FOLLOW_UP)).all()
        assert sorted(c.status.value for c in open_follow_ups) == ["cancelled", "open"]
        assert kept.email == "zhang.wei@example.cn"  # its own contact data stays
        assert kept.version == 2
    [row] = _audit(uow, "customer_merged", keep)
    assert row.new["moved"]["customer_order"] == 1 and row.new["merged_id"] == gone
    assert _audit(uow, "customer_merged", gone)


def test_merge_fills_the_kept_records_empty_contact_fields(uow, supervisor, people):
    keep, gone = people["li_wang"], people["wang_fang"]  # li_wang has no e-mail
    cu.merge_customers(uow, supervisor, keep, gone)
    with uow.reader() as r:
        kept = r.session.get(Customer, keep)
        assert kept.email == "wang.fang@example.com"
        assert kept.email_normalized == "wang.fang@example.com"
        assert kept.phone_normalized == "+8613900001111"  # its own phone stays


def test_merge_refusals(uow, agent, supervisor, people):
    keep, gone = people["zhang"], people["wang_fang"]
    with pytest.raises(PermissionDenied):
        cu.merge_customers(uow, agent, keep, gone)
    with pytest.raises(ValidationError):
        cu.merge_customers(uow, supervisor, keep, keep)
    with pytest.raises(NotFound):
        cu.merge_customers(uow, supervisor, keep, 999_999)
    cu.merge_customers(uow, supervisor, keep, gone)
    with pytest.raises(ValidationError) as err:
        cu.merge_customers(uow, supervisor, people["li_wang"], gone)
    assert err.value.params["survivor_id"] == keep
    with pytest.raises(ValidationError):
        cu.merge_customers(uow, supervisor, gone, people["li_wang"])
    assert len(_audit(uow, "customer_merged")) == 2  # the one merge: a row per record


def test_a_chain_of_merges_points_to_the_last_survivor(uow, agent, supervisor, people):
    cu.merge_customers(uow, supervisor, people["zhang"], people["wang_fang"])
    cu.merge_customers(uow, supervisor, people["li_wang"], people["zhang"])
    with pytest.raises(NotFound) as err:
        cu.customer_profile(uow, agent, people["wang_fang"])
    assert err.value.params["survivor_id"] == people["li_wang"]
    with uow.reader() as r:
        assert r.session.get(Customer, people["wang_fang"]).merged_into_id == people["li_wang"]


# --- profile ----------------------------------------------------------------------------------

def test_profile_shows_history_and_writes_a_viewed_audit_row(uow, agent, people):
    cid = people["wang_fang"]
    _history(uow, agent, cid)
    _order(uow, cid, "SO-OLD-1", days_ago=400)
    profile = cu.customer_profile(uow, agent, cid)
    assert profile.name == "Wang Fang" and profile.phone == "+86 138 1234 5678"
    assert [o.order_number for o in profile.orders] == [f"SO-M-{cid}", "SO-OLD-1"]
    assert profile.orders[0].lines[0].product_name == "Electric Kettle"
    assert profile.orders[0].delivery_address.startswith("北京")
    kinds = {e.kind for e in profile.timeline}
    assert kinds == {"case", "after_sales", "callback", "survey"}
    assert [e.at for e in profile.timeline] == sorted((e.at for e in profile.timeline),
                                                      reverse=True)
    assert [e.satisfaction for e in profile.timeline if e.kind == "survey"] == [4]
    [row] = _audit(uow, "customer_viewed", cid)
    assert row.actor_id == agent.staff_id and row.entity == "customer"
    cu.customer_profile(uow, agent, cid)
    assert len(_audit(uow, "customer_viewed", cid)) == 2


def test_profile_of_analyst_masks_addresses(uow, agent, analyst, people):
    cid = people["wang_fang"]
    _order(uow, cid, "SO-A-1")
    profile = cu.customer_profile(uow, analyst, cid)
    assert profile.orders[0].delivery_address == "***"
    assert _audit(uow, "customer_viewed", cid)[0].new == {"personal_data": False}


def test_profile_of_a_missing_customer(uow, agent):
    with pytest.raises(NotFound):
        cu.customer_profile(uow, agent, 424242)
    assert _audit(uow, "customer_viewed") == []


# --- duplicates -------------------------------------------------------------------------------

def test_likely_duplicates_by_similar_name_and_same_contact(uow, agent, people):
    hits = cu.likely_duplicates(uow, agent, "Wang Fung")
    assert hits and hits[0].id == people["wang_fang"] and hits[0].matched_on == "name"
    assert people["zhang"] not in [h.id for h in hits]
    hits = cu.likely_duplicates(uow, agent, "Somebody", phone="+86 (138) 1234-5678")
    assert [(h.id, h.matched_on) for h in hits] == [(people["wang_fang"], "phone")]
    hits = cu.likely_duplicates(uow, agent, "Somebody", email="ZHANG.WEI@example.cn")
    assert [(h.id, h.matched_on) for h in hits] == [(people["zhang"], "email")]
    assert [h.id for h in cu.likely_duplicates(uow, agent, "Fang Wang")][:1] == [
        people["wang_fang"]]
    # half-typed input is no error, and unrelated names are no duplicates
    assert cu.likely_duplicates(uow, agent, "Qian Lu", phone="138", email="q@") == []


# --- the migration's backfill -------------------------------------------------------------------

def test_the_migration_fills_the_search_keys_of_existing_customers(database_url):
    eng = make_engine(database_url)
    try:
        drop_everything(eng)
        upgrade(eng, "6c0738174540")
        with eng.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO customer (name, email, tier, marketing_consent, language, "
                "version, created_at, updated_at) VALUES "
                "('  ＷＡＮＧ   Fang ', ' Wang@Example.COM', 'regular', false, 'en', 1, :t, :t), "
                "('王芳', NULL, 'regular', false, 'zh_CN', 1, :t, :t)"), {"t": utcnow()})
        upgrade(eng, "b7e2c41d9a05")
        with eng.connect() as conn:
            rows = conn.execute(sa.text("SELECT name_key, name_last_key, email_normalized "
                                        "FROM customer ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [("wang fang", "fang", "wang@example.com"),
                                            ("王芳", None, None)]
        upgrade(eng)
        assert current_revision(eng) == head_revision()
    finally:
        eng.dispose()
