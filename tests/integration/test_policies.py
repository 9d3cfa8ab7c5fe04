"""Policies as data (issue 7): every editor's refusals and a successful, audited save; the
previews' figures on small hand-built sets; placeholders checked on save; the permission
table, stale versions, and an SLA change that reaches the next case while the earlier ones
keep their frozen due times."""
import threading
from dataclasses import replace
from datetime import date, time, timedelta
from unittest import mock

import pytest
import sqlalchemy as sa

from core import aftersales, cases, messages, policies, policy_calendar, policy_sla
from core import policy_texts
from core.errors import (ConcurrentChange, InvalidState, NotFound, PermissionDenied,
                         ValidationError)
from core.uow import UnitOfWork
from core.vocabulary import MessageChannel, Role
from db.models import (
    AfterSalesPolicy, AfterSalesRequest, AuditEntry, BusinessHours, CannedReply, Case,
    Customer, Holiday, MessageTemplate, Order, OrderLine, Product, Refund, Setting, SlaPolicy,
)
from tests.conftest import add_staff
from tests.figures import utc

# Wednesday 25 November 2026, 10:00 in Shanghai (no public holiday near it)
NOW = utc("2026-11-25 10:00")


@pytest.fixture
def admin(uow):
    return add_staff(uow, "admin", Role.ADMIN)


@pytest.fixture
def customer(uow) -> int:
    with uow:
        c = Customer(name="Li Lei", email="li.lei@example.com", language="en")
        uow.session.add(c)
        uow.commit()
        return c.id


def audits(uow, action: str) -> list[AuditEntry]:
    with uow.reader() as r:
        return r.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)
                                 .order_by(AuditEntry.id)).all()


def row(uow, model, key):
    with uow.reader() as r:
        return r.session.get(model, key)


def sla_row(uow, channel, kind=None, priority=None) -> SlaPolicy:
    with uow.reader() as r:
        return r.session.scalar(sa.select(SlaPolicy).where(
            SlaPolicy.channel == channel, SlaPolicy.active.is_(True),
            SlaPolicy.kind.is_(None) if kind is None else SlaPolicy.kind == kind,
            SlaPolicy.priority.is_(None) if priority is None else SlaPolicy.priority == priority))


def target(**kw) -> dict:
    values = dict(channel="chat", kind=None, priority=None, first_response_seconds=600,
                  first_response_business_hours=False, resolution_seconds=3600,
                  resolution_business_hours=False)
    values.update(kw)
    return values


# --- permissions ------------------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.AGENT, Role.SUPERVISOR, Role.ANALYST, Role.TECHNICIAN])
def test_only_administrators_edit_policies(uow, role, admin):
    someone = add_staff(uow, "someone", role)
    chat = sla_row(uow, "chat")
    attempts = [
        lambda: policy_sla.sla_targets(uow, someone),
        lambda: policy_sla.add_sla_target(uow, someone, **target(kind="suggestion")),
        lambda: policy_sla.change_sla_target(uow, someone, chat.id, chat.version, **target()),
        lambda: policy_sla.set_sla_target_active(uow, someone, chat.id, False, chat.version),
        lambda: policy_sla.preview_sla_target(uow, someone, **target()),
        lambda: policy_calendar.set_business_hours(uow, someone, {0: (time(8), time(17))}),
        lambda: policy_calendar.set_holiday_country(uow, someone, "US", None),
        lambda: policy_calendar.add_own_day(uow, someone, date(2026, 12, 30), "Stocktaking"),
        lambda: policy_calendar.preview_calendar(uow, someone),
        lambda: policies.add_category_policy(uow, someone, "phone", 7, 15, 12),
        lambda: policies.set_refund_threshold(uow, someone, 1, None),
        lambda: policies.preview_category_policy(uow, someone, "phone", 7, 15, 12),
        lambda: policy_texts.add_canned_reply(uow, someone, title="Hi", body="Hi",
                                              language="en"),
        lambda: policy_texts.change_template(uow, someone, 1, None, subject="x", body="y"),
        lambda: policy_texts.preview_canned(uow, someone, "en", "Hi"),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    with uow.reader() as r:
        assert r.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0
    assert sla_row(uow, "chat").version == chat.version


# --- SLA targets ------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [
    dict(first_response_seconds=0), dict(resolution_seconds=-5),
    dict(first_response_seconds=1.5), dict(first_response_seconds=True),
    dict(resolution_seconds=policy_sla.MAX_SECONDS + 1),
    dict(first_response_seconds=7200, resolution_seconds=3600),     # resolved before answered
    dict(channel="pigeon"), dict(kind="rant"), dict(priority="asap"),
    dict(kind=None, priority=None),                                 # the chat default exists
    dict(kind="complaint"),                                         # so does chat x complaint
])
def test_sla_target_refusals(uow, admin, bad):
    values = target(kind="suggestion")
    values.update(bad)
    with pytest.raises(ValidationError):
        policy_sla.add_sla_target(uow, admin, **values)
    assert audits(uow, "sla_target_added") == []


def test_duplicate_message_names_the_scope(uow, admin):
    with pytest.raises(ValidationError) as refused:
        policy_sla.add_sla_target(uow, admin, **target(kind="complaint"))
    assert refused.value.params["channel"] == "Online chat"
    assert refused.value.params["kind"] == "Complaint"
    assert refused.value.params["priority"] == "any priority"


def test_add_change_deactivate_and_reactivate_a_target(uow, admin):
    new_id = policy_sla.add_sla_target(uow, admin, **target(kind="suggestion",
                                                           priority="low"))
    added = audits(uow, "sla_target_added")
    assert [a.entity_id for a in added] == [str(new_id)]
    assert added[0].new["kind"] == "suggestion" and added[0].new["resolution_seconds"] == 3600

    # a change keeps the old row (inactive, for the cases it was given to) and adds one
    old = row(uow, SlaPolicy, new_id)
    changed_id = policy_sla.change_sla_target(
        uow, admin, new_id, old.version, **target(kind="suggestion", priority="low",
                                                  resolution_seconds=7200))
    assert changed_id != new_id
    assert not row(uow, SlaPolicy, new_id).active and row(uow, SlaPolicy, changed_id).active
    change = audits(uow, "sla_target_changed")[-1]
    assert change.old == {"id": new_id, "resolution_seconds": 3600}
    assert change.new == {"id": changed_id, "resolution_seconds": 7200}

    # the form read before the change is stale now
    with pytest.raises(ConcurrentChange):
        policy_sla.change_sla_target(uow, admin, new_id, old.version,
                                     **target(kind="suggestion", priority="low"))
    with pytest.raises(InvalidState):       # an earlier target is history, not editable
        policy_sla.change_sla_target(uow, admin, new_id, None,
                                     **target(kind="suggestion", priority="low"))
    # unchanged values: nothing written
    current = row(uow, SlaPolicy, changed_id)
    assert policy_sla.change_sla_target(
        uow, admin, changed_id, current.version,
        **target(kind="suggestion", priority="low", resolution_seconds=7200)) == changed_id
    assert len(audits(uow, "sla_target_changed")) == 1

    policy_sla.set_sla_target_active(uow, admin, changed_id, False, current.version)
    assert not row(uow, SlaPolicy, changed_id).active
    assert audits(uow, "sla_target_deactivated")[-1].new == {"active": False}
    # two rows for one scope may not both be in force
    policy_sla.set_sla_target_active(uow, admin, new_id, True, None)
    with pytest.raises(ValidationError):
        policy_sla.set_sla_target_active(uow, admin, changed_id, True, None)
    assert audits(uow, "sla_target_reactivated")[-1].entity_id == str(new_id)


def test_two_admins_adding_the_same_target_at_once(uow, admin):
    """The duplicate check and the insert are one step for the database: of two saves at the
    same moment exactly one gets through (PostgreSQL: the table lock; SQLite: BEGIN
    IMMEDIATE)."""
    other = add_staff(uow, "admin2", Role.ADMIN)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def save(who):
        start.wait()
        try:
            policy_sla.add_sla_target(UnitOfWork(uow.engine), who,   # one per thread
                                      **target(kind="suggestion", priority="high"))
            outcomes.append("saved")
        except ValidationError:
            outcomes.append("refused")
    threads = [threading.Thread(target=save, args=(who,)) for who in (admin, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["refused", "saved"]
    with uow.reader() as r:
        assert r.session.scalar(sa.select(sa.func.count()).select_from(SlaPolicy).where(
            SlaPolicy.kind == "suggestion", SlaPolicy.priority == "high")) == 1


def test_new_target_reaches_the_next_case_and_earlier_cases_keep_theirs(uow, admin,
                                                                         customer):
    agent = add_staff(uow, "agent", Role.AGENT)
    phone = sla_row(uow, "phone")
    values = dict(customer_id=customer, channel="phone", kind="inquiry", category="delivery",
                  subject="Where is my parcel?", question="Nothing arrived.",
                  next_step="Ask logistics")
    before = cases.open_case(uow, agent, **values)
    frozen = row(uow, Case, before.case_id)
    assert frozen.sla_policy_id == phone.id
    assert frozen.first_response_due_at - frozen.created_at == timedelta(seconds=15)

    new_id = policy_sla.change_sla_target(
        uow, admin, phone.id, phone.version, channel="phone", kind=None, priority=None,
        first_response_seconds=30, first_response_business_hours=False,
        resolution_seconds=2 * 3600, resolution_business_hours=False)
    after = cases.open_case(uow, agent, **values)
    case = row(uow, Case, after.case_id)
    assert case.sla_policy_id == new_id
    assert case.first_response_due_at - case.created_at == timedelta(seconds=30)
    assert case.resolution_due_at - case.created_at == timedelta(hours=2)
    again = row(uow, Case, before.case_id)
    assert (again.sla_policy_id, again.first_response_due_at, again.resolution_due_at) == \
        (frozen.sla_policy_id, frozen.first_response_due_at, frozen.resolution_due_at)
    # the row the earlier case names still says what it was given
    assert row(uow, SlaPolicy, phone.id).first_response_seconds == 15


def _case(customer, created, **kw) -> Case:
    values = dict(kind="inquiry", channel="chat", category="delivery", priority="normal",
                  status="resolved", customer_id=customer, subject="Parcel", created_at=created)
    values.update(kw)
    return Case(**values)


def test_sla_preview_counts_a_hand_built_month(uow, admin, customer):
    s = timedelta(seconds=1)
    cases_ = [
        # a: answered in 5 min, resolved in 30 min: in time
        _case(customer, NOW - timedelta(days=2), first_response_at=NOW - timedelta(days=2)
              + 300 * s, resolved_at=NOW - timedelta(days=2) + 1800 * s),
        # b: answered after 15 min (late), resolved in 50 min; breached when it happened
        _case(customer, NOW - timedelta(days=3), first_response_at=NOW - timedelta(days=3)
              + 900 * s, resolved_at=NOW - timedelta(days=3) + 3000 * s,
              first_response_breached=True),
        # c: two hours to resolve, 4000 s of it waiting on the customer: 3200 s, in time
        _case(customer, NOW - timedelta(days=5), first_response_at=NOW - timedelta(days=5)
              + 100 * s, resolved_at=NOW - timedelta(days=5) + 7200 * s,
              sla_paused_seconds=4000),
        # d: resolved after 5000 s (late); breached when it happened
        _case(customer, NOW - timedelta(days=1), first_response_at=NOW - timedelta(days=1)
              + 60 * s, resolved_at=NOW - timedelta(days=1) + 5000 * s,
              resolution_breached=True),
        # e: open for 20 minutes without an answer: late for 10 min; due 5 min after opening
        _case(customer, NOW - timedelta(minutes=20), status="new",
              first_response_due_at=NOW - timedelta(minutes=15)),
        # f: answered, open for two hours: resolution late
        _case(customer, NOW - timedelta(hours=2), status="open",
              first_response_at=NOW - timedelta(hours=2) + 30 * s),
        # not counted: before the 30 days, another channel, and the cases the complaint and
        # the urgent chat targets govern
        _case(customer, NOW - timedelta(days=40), status="new"),
        _case(customer, NOW - timedelta(days=1), channel="phone", status="new"),
        _case(customer, NOW - timedelta(days=1), kind="complaint", status="new"),
        _case(customer, NOW - timedelta(days=1), priority="urgent", status="new"),
        # opened after the moment previewed
        _case(customer, NOW + timedelta(minutes=1), status="new"),
    ]
    with uow:
        uow.session.add_all(cases_)
        uow.commit()
    chat = sla_row(uow, "chat")
    preview = policy_sla.preview_sla_target(uow, admin, **target(), target_id=chat.id, now=NOW)
    assert (preview.cases, preview.first_response_breaches, preview.resolution_breaches,
            preview.breaches, preview.breaches_now) == (6, 2, 2, 4, 3)
    assert preview.first_response_due_at == NOW + timedelta(seconds=600)
    assert preview.resolution_due_at == NOW + timedelta(hours=1)
    assert preview.duplicate_of is None
    # the same values as a new row: same cases, and it says which row it would duplicate
    as_new = policy_sla.preview_sla_target(uow, admin, **target(), now=NOW)
    assert (as_new.cases, as_new.breaches, as_new.duplicate_of) == (6, 4, chat.id)
    # a stricter first response: a (5 min) is late too
    strict = policy_sla.preview_sla_target(uow, admin, **target(first_response_seconds=120),
                                           target_id=chat.id, now=NOW)
    assert (strict.first_response_breaches, strict.breaches) == (3, 5)
    # the complaint row governs only the complaint
    complaint = sla_row(uow, "chat", kind="complaint")
    only = policy_sla.preview_sla_target(uow, admin, **target(kind="complaint"),
                                         target_id=complaint.id, now=NOW)
    assert (only.cases, only.first_response_breaches) == (1, 1)
    with pytest.raises(ValidationError):
        policy_sla.preview_sla_target(uow, admin, **target(resolution_seconds=60), now=NOW)


def test_sla_preview_in_opening_hours(uow, admin, customer):
    """Opening hours 09:00-18:00 Monday to Friday; an hour to answer, a business day to
    resolve, previewed on Wednesday at 10:00."""
    with uow:
        uow.session.add_all([
            # Monday 09:00, untouched: both targets missed (due Monday 10:00 and 18:00)
            _case(customer, utc("2026-11-23 09:00"), channel="web", status="new"),
            # Tuesday 17:30: answer due Wednesday 09:30 (missed); resolution Wed 17:30
            _case(customer, utc("2026-11-24 17:30"), channel="web", status="new"),
            # Wednesday 09:30: due 10:30, not yet
            _case(customer, utc("2026-11-25 09:30"), channel="web", status="new"),
            # last Friday: answered after 90 opening minutes, resolved in 500
            _case(customer, utc("2026-11-20 09:00"), channel="web",
                  first_response_at=utc("2026-11-20 10:30"), first_response_minutes=90,
                  resolved_at=utc("2026-11-20 17:20"), resolution_minutes=500),
        ])
        uow.commit()
    web = sla_row(uow, "web")
    preview = policy_sla.preview_sla_target(
        uow, admin, **target(channel="web", first_response_seconds=3600,
                             first_response_business_hours=True, resolution_seconds=9 * 3600,
                             resolution_business_hours=True), target_id=web.id, now=NOW)
    assert (preview.cases, preview.first_response_breaches, preview.resolution_breaches,
            preview.breaches) == (4, 3, 1, 3)
    assert preview.first_response_due_at == utc("2026-11-25 11:00")
    assert preview.resolution_due_at == utc("2026-11-26 10:00")


# --- business hours, holiday country, own days ------------------------------------------------

def test_business_hours_refusals_and_save(uow, admin):
    week = {d: (time(9), time(18)) for d in range(5)}
    for bad in ({0: (time(18), time(9))}, {0: (time(9), time(9))}, {d: None for d in range(7)},
                {}, {7: (time(9), time(18))}, {0: ("nine", "18:00")}):
        with pytest.raises(ValidationError):
            policy_calendar.set_business_hours(uow, admin, bad)
    saturday = {**week, 5: (time(10), "16:00")}
    assert policy_calendar.set_business_hours(uow, admin, saturday, expected_hours=week)
    with uow.reader() as r:
        stored = {h.weekday: (h.opens, h.closes) for h in r.session.scalars(
            sa.select(BusinessHours))}
    assert stored[5] == (time(10), time(16)) and 6 not in stored
    entry = audits(uow, "business_hours_changed")[-1]
    assert entry.old == {"sat": None} and entry.new == {"sat": "10:00-16:00"}
    # the editor who still sees the old week is refused; the same week again writes nothing
    with pytest.raises(ConcurrentChange):
        policy_calendar.set_business_hours(uow, admin, week, expected_hours=week)
    assert not policy_calendar.set_business_hours(uow, admin, saturday)
    assert len(audits(uow, "business_hours_changed")) == 1


def test_holiday_country(uow, admin):
    country = row(uow, Setting, "calendar.holiday_country")
    with pytest.raises(ValidationError) as refused:
        policy_calendar.set_holiday_country(uow, admin, "XX", country.version)
    assert refused.value.params["code"] == "XX"
    assert policy_calendar.set_holiday_country(uow, admin, " us ", country.version)
    assert row(uow, Setting, "calendar.holiday_country").value == "US"
    with pytest.raises(ConcurrentChange):
        policy_calendar.set_holiday_country(uow, admin, "HK", country.version)
    entry = audits(uow, "setting_changed")[-1]
    assert (entry.entity_id, entry.old, entry.new) == (
        "calendar.holiday_country", {"key": "calendar.holiday_country", "value": "CN"},
        {"key": "calendar.holiday_country", "value": "US"})
    # no country: no public holidays
    assert policy_calendar.set_holiday_country(uow, admin, "", None)
    assert "US" in policy_calendar.supported_countries()


def test_own_days_and_the_week_preview(uow, admin):
    with mock.patch("core.policy_calendar.utcnow", return_value=utc("2026-09-28 10:00")):
        with pytest.raises(ValidationError):                    # past
            policy_calendar.add_own_day(uow, admin, date(2026, 9, 27), "Too late")
        with pytest.raises(ValidationError):                    # nameless
            policy_calendar.add_own_day(uow, admin, date(2026, 9, 29), "  ")
        with pytest.raises(ValidationError):                    # beyond the calendar
            policy_calendar.add_own_day(uow, admin, date(2029, 1, 1), "Far")
        policy_calendar.add_own_day(uow, admin, date(2026, 9, 29), "Stocktaking")
        policy_calendar.add_own_day(uow, admin, date(2026, 10, 4), "Open for the sale",
                                    open_day=True)
        with pytest.raises(ValidationError):                    # already listed
            policy_calendar.add_own_day(uow, admin, date(2026, 9, 29), "Again")
        week = policy_calendar.preview_calendar(uow, admin, now=utc("2026-09-28 10:00"))
        chinese = policy_calendar.preview_calendar(uow, admin, country="CN",
                                                   now=utc("2026-09-28 10:00"))
    days = {d.day: d for d in week}
    assert [d.day for d in week] == [date(2026, 9, 28) + timedelta(days=i) for i in range(7)]
    assert days[date(2026, 9, 28)].opens == time(9)                         # Monday
    assert days[date(2026, 9, 29)].opens is None and \
        days[date(2026, 9, 29)].own_day == "Stocktaking"
    assert days[date(2026, 10, 1)].opens is None and days[date(2026, 10, 1)].public_holiday
    assert days[date(2026, 10, 4)].opens == time(9) and days[date(2026, 10, 4)].own_day
    assert len(chinese) == 7
    # with other hours and no country, proposed but not saved
    other = policy_calendar.preview_calendar(uow, admin, hours={0: (time(8), time(12))},
                                             country="", now=utc("2026-09-28 10:00"))
    # Monday, and the shop's own open Sunday (which keeps Monday's hours)
    assert [(d.day.weekday(), d.opens) for d in other if d.opens] == [(0, time(8)),
                                                                      (6, time(8))]
    assert row(uow, BusinessHours, 0).opens == time(9)
    assert [a.entity_id for a in audits(uow, "own_day_added")] == ["2026-09-29", "2026-10-04"]
    with mock.patch("core.policy_calendar.utcnow", return_value=utc("2026-09-28 10:00")):
        policy_calendar.remove_own_day(uow, admin, date(2026, 9, 29))
        with pytest.raises(NotFound):
            policy_calendar.remove_own_day(uow, admin, date(2026, 9, 29))
    with mock.patch("core.policy_calendar.utcnow", return_value=utc("2026-10-06 10:00")):
        with pytest.raises(ValidationError):                    # past now: kept
            policy_calendar.remove_own_day(uow, admin, date(2026, 10, 4))
    assert row(uow, Holiday, date(2026, 9, 29)) is None
    assert audits(uow, "own_day_removed")[-1].old == {"name": "Stocktaking", "open": False}


def test_holiday_names_in_the_readers_language(uow):
    reader = add_staff(uow, "admin_zh", Role.ADMIN)
    week = policy_calendar.preview_calendar(uow, replace(reader, language="zh_CN"),
                                            now=utc("2026-09-30 10:00"))
    assert {d.day: d.public_holiday for d in week}[date(2026, 10, 1)] == "国庆节"


# --- after-sales ------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [
    dict(return_window_days=-1), dict(exchange_window_days=366), dict(warranty_months=121),
    dict(warranty_months=1.5), dict(return_window_days="seven"), dict(category="  "),
    dict(category="x" * 61), dict(category="*"),      # the default exists already
])
def test_category_policy_refusals(uow, admin, bad):
    values = dict(category="appliance", return_window_days=7, exchange_window_days=15,
                  warranty_months=12)
    values.update(bad)
    with pytest.raises(ValidationError):
        policies.add_category_policy(uow, admin, **values)
    assert audits(uow, "aftersales_policy_added") == []


def test_category_policy_add_change_remove(uow, admin):
    policy_id = policies.add_category_policy(uow, admin, " appliance ", 10, 20, 24, False)
    added = row(uow, AfterSalesPolicy, policy_id)
    assert (added.category, added.return_window_days, added.proof_of_purchase_required) == \
        ("appliance", 10, False)
    policies.change_category_policy(uow, admin, policy_id, added.version,
                                    return_window_days=14, exchange_window_days=20,
                                    warranty_months=24, proof_of_purchase_required=True)
    entry = audits(uow, "aftersales_policy_changed")[-1]
    assert entry.old == {"category": "appliance", "return_window_days": 10,
                         "proof_of_purchase_required": False}
    assert entry.new == {"category": "appliance", "return_window_days": 14,
                         "proof_of_purchase_required": True}
    with pytest.raises(ConcurrentChange):
        policies.change_category_policy(uow, admin, policy_id, added.version,
                                        return_window_days=1, exchange_window_days=1,
                                        warranty_months=1, proof_of_purchase_required=True)
    with pytest.raises(ValidationError):
        policies.change_category_policy(uow, admin, policy_id, None, return_window_days=400,
                                        exchange_window_days=1, warranty_months=1,
                                        proof_of_purchase_required=True)
    with uow.reader() as r:
        default = r.session.scalar(sa.select(AfterSalesPolicy)
                                   .where(AfterSalesPolicy.category == "*"))
    with pytest.raises(ValidationError):
        policies.remove_category_policy(uow, admin, default.id, default.version)
    listed = policies.aftersales_policies(uow, admin)
    assert [p.category for p in listed.categories] == ["*", "appliance"]
    assert listed.threshold.value == 50_000
    policies.remove_category_policy(uow, admin, policy_id, None)
    assert row(uow, AfterSalesPolicy, policy_id) is None
    assert audits(uow, "aftersales_policy_removed")[-1].old["return_window_days"] == 14


def test_refund_threshold(uow, admin, customer):
    threshold = row(uow, Setting, aftersales.THRESHOLD_KEY)
    for bad in (-1, 1.5, "lots", aftersales.MAX_CENTS + 1):
        with pytest.raises(ValidationError):
            policies.set_refund_threshold(uow, admin, bad, threshold.version)
    policies.set_refund_threshold(uow, admin, 100_000, threshold.version)
    with uow.reader() as r:
        assert aftersales._threshold(r.session) == 100_000
    with pytest.raises(ConcurrentChange):
        policies.set_refund_threshold(uow, admin, 1, threshold.version)
    entry = audits(uow, "setting_changed")[-1]
    assert entry.new == {"key": aftersales.THRESHOLD_KEY, "value": 100_000}
    assert entry.old == {"key": aftersales.THRESHOLD_KEY, "value": 50_000}


@pytest.fixture
def shop(uow, customer):
    """Kettles and a fan (appliance; the fan has a 30-day return window of its own) and a
    phone (no policy of its own category), ordered and delivered on known days."""
    agent = add_staff(uow, "agent", Role.AGENT)
    with uow:
        kettle = Product(sku="K", name="Kettle", category="appliance", price_cents=10_000)
        fan = Product(sku="F", name="Fan", category="appliance", price_cents=10_000,
                      return_window_days=30)
        phone = Product(sku="P", name="Phone", category="phone", price_cents=10_000)
        uow.session.add_all([kettle, fan, phone])
        uow.session.flush()
        lines = {}

        def order(name, product, delivered=None, ordered=None, state="delivered"):
            o = Order(order_number=name, customer_id=customer, channel="web", state=state,
                      ordered_at=ordered or delivered - timedelta(days=2),
                      delivered_at=delivered)
            o.lines = [OrderLine(product_id=product.id, quantity=1, unit_price_cents=10_000,
                                 paid_cents=10_000)]
            uow.session.add(o)
            uow.session.flush()
            lines[name] = o.lines[0].id
        order("L1", kettle, utc("2026-11-20 12:00"))                   # 5 days
        order("L2", kettle, utc("2026-11-15 12:00"))                   # 10 days
        order("L3", kettle, utc("2026-11-05 12:00"))                   # 20 days
        order("L4", fan, utc("2026-11-05 12:00"))                      # 20 days, own 30
        order("L5", kettle, ordered=utc("2026-11-22 12:00"), state="shipped")  # 3, ordered
        order("L6", kettle, ordered=utc("2026-11-24 12:00"), state="cancelled")
        order("L7", kettle, utc("2025-10-20 12:00"))                   # 13 months
        order("L8", phone, utc("2026-11-23 12:00"))                    # another category
        order("L9", kettle, utc("2026-11-18 01:00"))       # 7 days in Shanghai (8 in UTC)
        for name, kind in (("L2", "return"), ("L3", "exchange"), ("L7", "repair")):
            uow.session.add(AfterSalesRequest(
                customer_id=customer, order_line_id=lines[name], kind=kind, reason="x",
                condition="defective", status="awaiting_approval", created_by_id=agent.staff_id,
                created_at=NOW))
        uow.session.add(AfterSalesRequest(
            customer_id=customer, order_line_id=lines["L1"], kind="return", reason="x",
            condition="unopened", status="approved", created_by_id=agent.staff_id,
            created_at=NOW))
        uow.commit()
    return lines


def test_aftersales_preview_counts(uow, admin, shop):
    with mock.patch("core.policies.utcnow", return_value=NOW):
        p = policies.preview_category_policy(uow, admin, "appliance", 14, 30, 14)
    assert p.current == policies.Windows(7, 15, 12) and p.proposed == policies.Windows(14, 30, 14)
    assert (p.products, p.lines) == (2, 7)
    assert p.lines_now == policies.WindowCounts(4, 4, 6)
    assert p.lines_new == policies.WindowCounts(5, 6, 7)
    assert (p.open_requests, p.open_inside_now, p.open_inside_new) == (3, 0, 3)
    # the figures "now" are what the policy check itself says, line by line
    today = date(2026, 11, 25)
    with uow.reader() as r:
        in_scope = [i for n, i in shop.items() if n not in ("L6", "L8")]
        verdicts = {kind: sum(aftersales.check_policy(r.session, i, kind, "defective", True,
                                                      today).eligible for i in in_scope)
                    for kind in ("return", "exchange", "repair")}
    assert verdicts == {"return": 4, "exchange": 4, "repair": 6}
    # the default governs the phone (no category policy of its own)
    with mock.patch("core.policies.utcnow", return_value=NOW):
        rest = policies.preview_category_policy(uow, admin, "*", 7, 15, 12)
    assert (rest.products, rest.lines, rest.lines_now.inside_return) == (3, 8, 5)
    policies.add_category_policy(uow, admin, "appliance", 7, 15, 12)
    with mock.patch("core.policies.utcnow", return_value=NOW):
        rest = policies.preview_category_policy(uow, admin, "*", 7, 15, 12)
    assert (rest.products, rest.lines) == (1, 1)
    with pytest.raises(ValidationError):
        policies.preview_category_policy(uow, admin, "appliance", -1, 15, 12)


def test_threshold_preview(uow, admin, shop):
    with uow:
        for amount, status, days in ((10_000, "approved", 1), (60_000, "awaiting_approval", 2),
                                     (200_000, "approved", 3), (900_000, "approved", 40)):
            uow.session.add(Refund(order_line_id=shop["L1"], amount_cents=amount, status=status,
                                   requested_by_id=admin.staff_id,
                                   created_at=NOW - timedelta(days=days)))
        uow.commit()
    p = policies.preview_refund_threshold(uow, admin, 100_000, now=NOW)
    assert (p.refunds, p.above_now, p.above_new, p.waiting) == (3, 2, 1, 1)


# --- canned replies and message templates -----------------------------------------------------

def test_placeholders_are_parsed_like_str_format():
    assert policy_texts.placeholders("Dear {customer_name}, {{literal}} }}") == (
        {"customer_name"}, [])
    names, bad = policy_texts.placeholders("{0} {a.b} {x!r} {due:>10} {open and } closed}")
    assert names == set() and len(bad) == 6
    assert policy_texts.placeholders("end {customer_name")[1] == ["{customer_name"]


def test_every_shipped_template_uses_only_what_its_caller_fills(uow, admin):
    views = policy_texts.templates(uow, admin)
    assert {v.key for v in views} == set(policy_texts.MESSAGE_PLACEHOLDERS)
    for key in policy_texts.MESSAGE_PLACEHOLDERS:
        assert {v.language.value for v in views if v.key == key} == {"en", "zh_CN"}
    for v in views:
        policy_texts.check_text(v.subject, v.allowed, "Subject")
        policy_texts.check_text(v.body, v.allowed, "Message")
    for c in policy_texts.canned_list(uow, admin):
        policy_texts.check_text(c.body, policy_texts.CANNED_PLACEHOLDERS, "Message")


def test_canned_reply_checks_and_save(uow, admin):
    for bad, named in (("Hello {customer}, this is {agent_name}.", "{customer}"),
                       ("Your order {order_number}", "{order_number}")):
        with pytest.raises(ValidationError) as refused:
            policy_texts.add_canned_reply(uow, admin, title="Hi", body=bad, language="en")
        assert refused.value.params["names"] == named
        assert "{customer_name}" in refused.value.params["allowed"]
    for bad in ("Hello {customer_name", "Hello {0}", "Price: {amount:.2f}", "}"):
        with pytest.raises(ValidationError) as refused:
            policy_texts.add_canned_reply(uow, admin, title="Hi", body=bad, language="en")
        assert refused.value.params["fragment"]
    for bad in (dict(title=""), dict(body="  "), dict(language="fr"), dict(category="gossip"),
                dict(title="x" * 121)):
        with pytest.raises(ValidationError):
            policy_texts.add_canned_reply(uow, admin, **{**dict(
                title="Hi", body="Hi", language="en"), **bad})
    reply_id = policy_texts.add_canned_reply(
        uow, admin, title="Sorry", language="zh_CN", category="delivery",
        body="{customer_name}您好，我是{agent_name}。{{单号}}")
    assert audits(uow, "canned_reply_added")[-1].new["category"] == "delivery"
    reply = row(uow, CannedReply, reply_id)
    policy_texts.change_canned_reply(uow, admin, reply_id, reply.version, title="Sorry",
                                     language="zh_CN", category="delivery", active=False,
                                     body="{customer_name}您好。")
    entry = audits(uow, "canned_reply_changed")[-1]
    assert entry.old == {"body": "{customer_name}您好，我是{agent_name}。{{单号}}", "active": True}
    assert entry.new == {"body": "{customer_name}您好。", "active": False}
    with pytest.raises(ConcurrentChange):
        policy_texts.change_canned_reply(uow, admin, reply_id, reply.version, title="x",
                                         body="y", language="en")
    shown = policy_texts.preview_canned(uow, admin, "zh_CN",
                                        "{customer_name}您好，我是{agent_name}。{{单号}}")
    assert shown == "李雷您好，我是Admin。{单号}"


def test_template_with_an_unknown_placeholder_is_refused(uow, admin):
    template = next(t for t in policy_texts.templates(uow, admin)
                    if t.key == "shipping_notice" and t.language.value == "en")
    with pytest.raises(ValidationError) as refused:
        policy_texts.change_template(uow, admin, template.id, template.version,
                                     subject="Shipped", body="Dear {customer_name}, "
                                     "{parcel_locker} {refund_amount}")
    assert refused.value.params["names"] == "{parcel_locker}, {refund_amount}"
    assert "{tracking_number}" in refused.value.params["allowed"]
    with pytest.raises(ValidationError) as refused:        # the subject is checked too
        policy_texts.change_template(uow, admin, template.id, template.version,
                                     subject="Order {order}", body="Hi")
    assert refused.value.params["names"] == "{order}"
    with pytest.raises(ValidationError):
        policy_texts.change_template(uow, admin, template.id, template.version,
                                     subject="Shipped", body="Dear {customer_name")
    assert row(uow, MessageTemplate, template.id).body == template.body
    assert audits(uow, "message_template_changed") == []


def test_template_save_preview_and_what_customers_get(uow, admin, customer):
    template = next(t for t in policy_texts.templates(uow, admin)
                    if t.key == "case_acknowledgement" and t.language.value == "en")
    body = "Hello {customer_name}: case {case_id}, answer by {due}. {{Thanks}}"
    preview = policy_texts.preview_template(uow, admin, "case_acknowledgement", "en",
                                            "Case {case_id}", body, now=NOW)
    assert preview.subject == "Case 1024"
    assert preview.body == "Hello Li Lei: case 1024, answer by 2026-11-26 10:00. {Thanks}"
    policy_texts.change_template(uow, admin, template.id, template.version,
                                 subject="Case {case_id}", body=body)
    entry = audits(uow, "message_template_changed")[-1]
    assert entry.old["body"] == template.body and entry.new["body"] == body
    assert entry.new["key"] == "case_acknowledgement" and entry.new["language"] == "en"
    with pytest.raises(ConcurrentChange):
        policy_texts.change_template(uow, admin, template.id, template.version,
                                     subject="x", body="y")
    with uow:
        sent = messages.render(uow, "case_acknowledgement", "en", MessageChannel.EMAIL,
                               {"customer_name": "Li Lei", "case_id": 7, "due": "soon"})
    assert sent.body == "Hello Li Lei: case 7, answer by soon. {Thanks}"


def test_a_template_key_the_table_does_not_know_keeps_the_placeholders_it_has(uow, admin):
    with uow:
        for language, body in (("en", "Dear {customer_name}, see {link}."),
                               ("zh_CN", "{customer_name}您好。")):
            uow.session.add(MessageTemplate(key="survey_invitation", language=language,
                                            channel="email", subject="Survey", body=body))
        uow.commit()
    zh = next(t for t in policy_texts.templates(uow, admin)
              if t.key == "survey_invitation" and t.language.value == "zh_CN")
    assert zh.allowed == {"customer_name", "link"}
    policy_texts.change_template(uow, admin, zh.id, zh.version, subject="问卷",
                                 body="{customer_name}您好，请填写问卷：{link}")
    with pytest.raises(ValidationError):
        policy_texts.change_template(uow, admin, zh.id, None, subject="问卷",
                                     body="{customer_name}：{coupon}")


# --- the Policies tab (ui/admin_policies.py) through Streamlit's AppTest ----------------------

def _policies_tab():
    from ui import admin_policies, runtime
    admin_policies.render(runtime.require_actor())


@pytest.fixture
def tab(engine, monkeypatch):
    """The tab alone (pages/admin.py lays out the other owners' tabs too), on the test
    database."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from ui import keys, runtime
    monkeypatch.setattr(runtime, "engine", lambda: engine)
    st.cache_data.clear()

    def make(who):
        at = AppTest.from_function(_policies_tab, default_timeout=60)
        at.session_state[keys.ACTOR] = who
        return at.run()
    yield make
    st.cache_data.clear()


def _button(at, text: str, index: int = 0):
    return [b for b in at.button if b.label == text][index]


def test_the_tab_draws_every_editor_and_saves(uow, admin, tab):
    from ui import keys
    at = tab(admin)
    assert not at.exception
    for section in ("calendar", "aftersales", "texts", "sla"):
        at.segmented_control(key=keys.POLICIES_SECTION).set_value(section).run()
        assert not at.exception, section
        assert not at.error, section
    # SLA: preview the new-target form as it stands, then save a target for suggestions
    form = f"{keys.POLICIES_SLA_FORM}.0.0"
    at.selectbox(key=f"{form}.kind").set_value("suggestion")
    _button(at, "Preview").click().run()
    assert any("A case opened now" in i.value for i in at.info)
    _button(at, "Save").click().run()
    assert not at.exception and not at.error
    saved = sla_row(uow, "phone", kind="suggestion")
    assert saved.first_response_seconds == 300
    # the saved target is the one open now; a change makes the new row the one open
    assert at.selectbox(key=keys.POLICIES_SLA_PICK).value == saved.id
    form = f"{keys.POLICIES_SLA_FORM}.{saved.id}.{saved.version}"
    at.number_input(key=f"{form}.first.amount").set_value(10)
    _button(at, "Save").click().run()
    changed = sla_row(uow, "phone", kind="suggestion")
    assert changed.id != saved.id and changed.first_response_seconds == 600
    assert at.selectbox(key=keys.POLICIES_SLA_PICK).value == changed.id
    # every other editor's preview draws
    at.segmented_control(key=keys.POLICIES_SECTION).set_value("calendar").run()
    _button(at, "Preview the next 7 days").click().run()
    assert not at.exception and not at.error and len(at.dataframe) >= 2
    at.segmented_control(key=keys.POLICIES_SECTION).set_value("aftersales").run()
    default = policies.aftersales_policies(uow, admin).categories[0]
    at.selectbox(key=keys.POLICIES_AFTERSALES_PICK).set_value(default.id).run()
    _button(at, "Preview", 0).click().run()
    assert not at.exception and not at.error and len(at.dataframe) == 2
    _button(at, "Preview", 1).click().run()
    assert any("refunds" in i.value for i in at.info)
    at.segmented_control(key=keys.POLICIES_SECTION).set_value("texts").run()
    at.text_area(key=f"{keys.POLICIES_CANNED_FORM}.0.0.body").set_value(
        "Hello {customer_name}, I am {agent_name}.")
    _button(at, "Preview").click().run()
    assert "Hello Li Lei, I am Admin." in [t.value for t in at.text]
    # texts: a template with an unknown placeholder is refused on the page
    at.segmented_control(key=keys.POLICIES_SECTION).set_value("texts").run()
    at.segmented_control(key=keys.POLICIES_TEXTS_KIND).set_value("templates").run()
    at.selectbox(key=keys.POLICIES_TEMPLATE_KEY).set_value("case_acknowledgement").run()
    template = next(t for t in policy_texts.templates(uow, admin)
                    if t.key == "case_acknowledgement" and t.language.value == "en")
    form = f"{keys.POLICIES_TEMPLATE_FORM}.{template.id}.{template.version}"
    at.text_area(key=f"{form}.body").set_value("Dear {customer_name}, {voucher}")
    _button(at, "Save").click().run()
    # (the typed text is escaped in the error's markdown: ui.fmt.error_md)
    assert any("{voucher}" in e.value.replace("\\", "") for e in at.error)
    assert row(uow, MessageTemplate, template.id).body == template.body


def test_the_tab_tells_others_it_is_for_administrators(uow, tab):
    at = tab(add_staff(uow, "sup", Role.SUPERVISOR))
    assert not at.exception
    assert [i.value for i in at.info] == ["Only administrators change policies."]
