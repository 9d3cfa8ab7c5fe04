"""Staff accounts from Administration: create, edit, disable / enable, reset password; the
rules no screen can get around (own roles, own account, the last admin), sessions ended by
changes of roles, active flag and password, audit rows without secrets, optimistic locking."""
import json
import threading
import time

import pytest
import sqlalchemy as sa

from core import auth, staff, workload
from core.errors import (ConcurrentChange, InvalidState, NotFound, PermissionDenied,
                         ValidationError)
from core.uow import UnitOfWork
from core.vocabulary import Role
from db.models import AuditEntry, Staff
from tests.conftest import PASSWORD


def login(uow, username: str, expiry: float = 1e10) -> str:
    key = auth.session_key(username, expiry)
    auth.start_session(uow, username, key)
    return key


def member(uow, admin, username: str) -> staff.StaffMember:
    return next(m for m in staff.list_staff(uow, admin) if m.username == username)


def version(uow, admin, username: str) -> int:
    return member(uow, admin, username).version


def audit_rows(uow, action: str | None = None) -> list[AuditEntry]:
    with uow.reader() as r:
        query = sa.select(AuditEntry).order_by(AuditEntry.id)
        if action:
            query = query.where(AuditEntry.action == action)
        return list(r.session.scalars(query))


def password_hash(uow, username: str) -> str:
    with uow.reader() as r:
        return r.session.scalar(sa.select(Staff.password_hash).where(Staff.username == username))


@pytest.fixture
def admin(make_staff):
    return make_staff("root", Role.ADMIN)


# --- create -----------------------------------------------------------------------------------

def test_admin_creates_an_account_with_a_temporary_password(uow, admin):
    new = staff.create_staff_member(uow, admin, "  Lin.Wei ", "Lin Wei", ["agent"], "zh_CN",
                                    "Lin.Wei@Shop.example", ["Mandarin", " bikes "],
                                    {"mon": "09:00-18:00"})
    assert new.username == "lin.wei"
    assert auth.check_password(new.temporary_password, password_hash(uow, "lin.wei"))
    auth.validate_password(new.temporary_password, "lin.wei")

    m = member(uow, admin, "lin.wei")
    assert (m.id, m.display_name, m.email, m.language) == (new.staff_id, "Lin Wei",
                                                           "lin.wei@shop.example", "zh_CN")
    assert m.roles == (Role.AGENT,) and m.skills == ("bikes", "mandarin")
    assert m.working_hours == {"mon": ["09:00", "18:00"]}
    assert m.active and m.must_change_password and m.last_login_at is None

    # the first login only opens My account until the password is changed
    key = login(uow, "lin.wei")
    assert auth.resume_session(uow, key).must_change_password
    assert member(uow, admin, "lin.wei").last_login_at is not None

    (row,) = [r for r in audit_rows(uow, "staff_created") if r.entity_id == str(new.staff_id)]
    assert row.actor_id == admin.staff_id
    assert row.new["roles"] == ["agent"] and row.new["must_change_password"] is True


def test_two_temporary_passwords_differ(uow, admin):
    a = staff.create_staff_member(uow, admin, "ann", "Ann", ["agent"])
    b = staff.create_staff_member(uow, admin, "bob", "Bob", ["agent"])
    assert a.temporary_password != b.temporary_password


@pytest.mark.parametrize("username", ["root", "ROOT", " root ", "ｒｏｏｔ"])
def test_a_taken_username_is_refused(uow, admin, username):
    with pytest.raises(ValidationError, match="taken"):
        staff.create_staff_member(uow, admin, username, "Someone", ["agent"])


@pytest.mark.parametrize("username", ["", "a", "-lead", "has space", "名字", "x" * 65])
def test_a_bad_username_is_refused(uow, admin, username):
    with pytest.raises(ValidationError, match="username"):
        staff.create_staff_member(uow, admin, username, "Someone", ["agent"])


@pytest.mark.parametrize("fields, match", [
    ({"display_name": " "}, "name"),
    ({"roles": []}, "at least one role"),
    ({"roles": ["boss"]}, "Unknown role"),
    ({"language": "fr"}, "Unknown language"),
    ({"email": "not-an-address"}, "valid e-mail"),
    ({"working_hours": {"mon": ["18:00", "09:00"]}}, "after the start"),
])
def test_a_new_account_is_checked_like_an_edit(uow, admin, fields, match):
    values = {"username": "newbie", "display_name": "New Bie", "roles": ["agent"]} | fields
    with pytest.raises(ValidationError, match=match):
        staff.create_staff_member(uow, admin, **values)
    assert [m.username for m in staff.list_staff(uow, admin)] == ["root"]


# --- edit -------------------------------------------------------------------------------------

def test_admin_edits_name_email_language_skills_and_hours(uow, admin, make_staff):
    make_staff("amy", Role.AGENT)
    before = member(uow, admin, "amy")
    key = login(uow, "amy")
    changed = staff.update_staff(
        uow, admin, before.id, expected_version=before.version, display_name=" Amy Zhang ",
        email="amy@shop.example", language="zh_CN", skills=["Returns", "returns", "bikes"],
        working_hours={"Monday": "8:00-12:00, 13:00-17:00", "tue": ["09:00", "18:00"],
                       "sun": ""})
    assert changed
    after = member(uow, admin, "amy")
    assert (after.display_name, after.email, after.language) == ("Amy Zhang",
                                                                 "amy@shop.example", "zh_CN")
    assert after.skills == ("bikes", "returns") and after.roles == (Role.AGENT,)
    assert after.working_hours == {"mon": [["08:00", "12:00"], ["13:00", "17:00"]],
                                   "tue": ["09:00", "18:00"]}
    assert after.version > before.version
    # none of these changes rights: the session goes on, in the new language
    assert auth.resume_session(uow, key).language == "zh_CN"

    (row,) = audit_rows(uow, "staff_changed")
    assert set(row.new) == {"display_name", "email", "language", "skills", "working_hours"}
    assert row.old["display_name"] == "Amy" and row.new["display_name"] == "Amy Zhang"

    # the same values again change nothing and write nothing
    assert not staff.update_staff(uow, admin, after.id, expected_version=after.version,
                                  display_name="Amy Zhang", skills=["returns", "bikes"])
    assert len(audit_rows(uow, "staff_changed")) == 1
    assert version(uow, admin, "amy") == after.version


def test_skills_alone_move_the_version_on(uow, admin, make_staff):
    make_staff("tom", Role.TECHNICIAN)
    m = member(uow, admin, "tom")
    staff.update_staff(uow, admin, m.id, expected_version=m.version, skills=["bikes"])
    with pytest.raises(ConcurrentChange):
        staff.update_staff(uow, admin, m.id, expected_version=m.version, skills=["tents"])
    assert member(uow, admin, "tom").skills == ("bikes",)


def test_working_hours_back_to_the_shop_hours(uow, admin, make_staff):
    make_staff("amy", Role.AGENT)
    m = member(uow, admin, "amy")
    staff.update_staff(uow, admin, m.id, expected_version=m.version,
                       working_hours={"mon": "09:00-18:00"})
    m = member(uow, admin, "amy")
    staff.update_staff(uow, admin, m.id, expected_version=m.version, working_hours=None)
    assert member(uow, admin, "amy").working_hours is None


@pytest.mark.parametrize("hours, match", [
    ({"mon": ["18:00", "09:00"]}, "after the start"),
    ({"mon": ["09:00", "09:00"]}, "after the start"),
    ({"mon": "09:00-18:00, 12:00-20:00"}, "overlap"),
    ({"mon": ["9", "18:00"]}, "HH:MM"),
    ({"mon": ["25:00", "26:00"]}, "HH:MM"),
    ({"mon": ["24:00", "24:00"]}, "HH:MM"),
    ({"mon": ["09:60", "18:00"]}, "HH:MM"),
    ({"mon": ["09:00", "18:00:00"]}, "HH:MM"),
    ({"mon": [9, 18]}, "HH:MM"),
    ({"mon": ["09:00"]}, "a start and an end"),
    ({"mon": "09:00"}, "a start and an end"),
    ({"funday": ["09:00", "18:00"]}, "not a day of the week"),
    ({"mon": "09:00-18:00", "Monday": "10:00-11:00"}, "twice"),
    ({}, "at least one working day"),
    ({"sat": "", "sun": None}, "at least one working day"),
    ("mon 09:00-18:00", "per day of the week"),
])
def test_bad_working_hours_are_refused(uow, admin, make_staff, hours, match):
    make_staff("amy", Role.AGENT)
    m = member(uow, admin, "amy")
    with pytest.raises(ValidationError, match=match):
        staff.update_staff(uow, admin, m.id, expected_version=m.version, working_hours=hours)
    assert member(uow, admin, "amy").working_hours is None


def test_working_hours_as_stored_are_what_the_rota_reads():
    assert staff.DAY_KEYS == workload.DAY_KEYS
    stored = staff.validate_working_hours({"mon": "０９：００－１８：００",
                                           "fri": "8:00~12:00；13:00-24:00"})
    assert stored == {"mon": ["09:00", "18:00"], "fri": [["08:00", "12:00"], ["13:00", "24:00"]]}
    assert sorted(workload._shifts(1, stored)) == [(0, 540, 1080), (4, 480, 720),
                                                   (4, 780, 1440)]
    assert staff.working_hours_text(stored) == {
        "mon": "09:00-18:00", "tue": "", "wed": "", "thu": "",
        "fri": "08:00-12:00, 13:00-24:00", "sat": "", "sun": ""}


def test_a_stale_version_is_refused(uow, admin, make_staff):
    make_staff("amy", Role.AGENT)
    seen = member(uow, admin, "amy")
    staff.update_staff(uow, admin, seen.id, expected_version=seen.version, display_name="Amy Z")
    with pytest.raises(ConcurrentChange):
        staff.update_staff(uow, admin, seen.id, expected_version=seen.version,
                           display_name="Amy Y")
    with pytest.raises(ConcurrentChange):
        staff.set_active(uow, admin, seen.id, False, expected_version=seen.version)
    with pytest.raises(ConcurrentChange):
        staff.reset_password(uow, admin, seen.id, expected_version=seen.version)
    now = member(uow, admin, "amy")
    assert now.display_name == "Amy Z" and now.active and not now.must_change_password


def test_an_unknown_person_is_not_found(uow, admin):
    with pytest.raises(NotFound):
        staff.update_staff(uow, admin, 999_999, expected_version=None, display_name="X")
    with pytest.raises(NotFound):
        staff.set_active(uow, admin, 999_999, False, expected_version=None)


# --- roles and sessions -------------------------------------------------------------------------

def test_a_role_change_ends_the_persons_live_session(uow, admin, make_staff):
    make_staff("amy", Role.AGENT)
    first, second = login(uow, "amy", 1e10), login(uow, "amy", 2e10)
    m = member(uow, admin, "amy")
    assert staff.update_staff(uow, admin, m.id, expected_version=m.version,
                              roles=["agent", "supervisor"])
    assert auth.resume_session(uow, first) is None
    assert auth.resume_session(uow, second) is None
    # logging in again gives the new rights
    assert auth.resume_session(uow, login(uow, "amy", 3e10)).roles == {Role.AGENT,
                                                                       Role.SUPERVISOR}
    (row,) = audit_rows(uow, "staff_changed")
    assert row.old == {"roles": ["agent"]} and row.new == {"roles": ["agent", "supervisor"]}


def test_a_change_that_is_not_about_rights_keeps_the_session(uow, admin, make_staff):
    make_staff("amy", Role.AGENT)
    key = login(uow, "amy")
    m = member(uow, admin, "amy")
    staff.update_staff(uow, admin, m.id, expected_version=m.version, roles=["agent"],
                       display_name="Amy Zhang")
    assert auth.resume_session(uow, key).display_name == "Amy Zhang"


def test_nobody_changes_their_own_roles(uow, admin, make_staff):
    make_staff("boss", Role.ADMIN)
    me = member(uow, admin, "root")
    with pytest.raises(PermissionDenied, match="your own roles"):
        staff.update_staff(uow, admin, me.id, expected_version=me.version,
                           roles=["admin", "supervisor"])
    with pytest.raises(PermissionDenied, match="your own roles"):
        staff.update_staff(uow, admin, me.id, expected_version=me.version, roles=["agent"])
    assert member(uow, admin, "root").roles == (Role.ADMIN,)
    # the rest of one's own record may change; the same roles are no change
    assert staff.update_staff(uow, admin, me.id, expected_version=me.version,
                              display_name="Root Admin", roles=["admin"])
    assert member(uow, admin, "root").display_name == "Root Admin"


def test_nobody_disables_themselves_or_resets_their_own_password_here(uow, admin, make_staff):
    make_staff("boss", Role.ADMIN)
    me = member(uow, admin, "root")
    with pytest.raises(PermissionDenied, match="your own account"):
        staff.set_active(uow, admin, me.id, False, expected_version=me.version)
    with pytest.raises(PermissionDenied, match="My account"):
        staff.reset_password(uow, admin, me.id, expected_version=me.version)
    assert member(uow, admin, "root").active
    assert auth.check_password(PASSWORD, password_hash(uow, "root"))


def test_the_last_active_admin_keeps_the_role_and_stays_active(uow, admin, make_staff):
    boss = make_staff("boss", Role.ADMIN)
    root_id = admin.staff_id
    # another active admin exists: root may take boss's admin role ...
    b = member(uow, admin, "boss")
    assert staff.update_staff(uow, admin, b.id, expected_version=b.version, roles=["supervisor"])
    # ... and boss, acting on what their screen still shows, can then not take root's
    r = member(uow, admin, "root")
    with pytest.raises(InvalidState, match="last active administrator"):
        staff.update_staff(uow, boss, root_id, expected_version=r.version, roles=["supervisor"])
    with pytest.raises(InvalidState, match="last active administrator"):
        staff.set_active(uow, boss, root_id, False, expected_version=r.version)
    assert member(uow, admin, "root").roles == (Role.ADMIN,)
    assert member(uow, admin, "root").active

    # a disabled admin does not count either
    b = member(uow, admin, "boss")
    staff.update_staff(uow, admin, b.id, expected_version=b.version, roles=["admin"])
    b = member(uow, admin, "boss")
    assert staff.set_active(uow, admin, b.id, False, expected_version=b.version)
    with pytest.raises(InvalidState, match="last active administrator"):
        staff.set_active(uow, boss, root_id, False, expected_version=r.version)

    # with boss active again, boss may disable root and take root's admin role
    b = member(uow, admin, "boss")
    assert staff.set_active(uow, admin, b.id, True, expected_version=b.version)
    assert staff.set_active(uow, boss, root_id, False, expected_version=r.version)
    r = member(uow, admin, "root")
    assert staff.update_staff(uow, boss, root_id, expected_version=r.version, roles=["analyst"])
    assert member(uow, admin, "boss").roles == (Role.ADMIN,)


def test_two_admins_demoting_each_other_at_once_leave_one_admin(engine, admin, make_staff,
                                                               monkeypatch):
    """root's change holds its locks (paused just before commit) while boss's starts: boss's
    must wait for it and then see that root is the last admin."""
    boss = make_staff("boss", Role.ADMIN)
    uow = UnitOfWork(engine)
    root_seen, boss_seen = member(uow, admin, "root"), member(uow, admin, "boss")
    holding, release = threading.Event(), threading.Event()
    real_revoke = staff.revoke_sessions

    def paused_revoke(uow_, staff_id, reason):
        if threading.current_thread().name == "first":
            holding.set()
            release.wait(10)
        return real_revoke(uow_, staff_id, reason)
    monkeypatch.setattr(staff, "revoke_sessions", paused_revoke)

    results = {}

    def demote(name, actor, target):
        try:
            results[name] = staff.update_staff(UnitOfWork(engine), actor, target.id,
                                               expected_version=target.version,
                                               roles=["supervisor"])
        except Exception as e:  # noqa: BLE001 - the test compares what each got
            results[name] = e
    first = threading.Thread(target=demote, args=("first", admin, boss_seen), name="first")
    second = threading.Thread(target=demote, args=("second", boss, root_seen), name="second")
    first.start()
    assert holding.wait(10)
    second.start()
    time.sleep(0.5)   # let the second reach the lock it has to wait for
    assert "second" not in results, "the second change did not wait for the first"
    release.set()
    first.join(15)
    second.join(15)
    assert results["first"] is True
    assert isinstance(results["second"], InvalidState), results["second"]
    admins = [m.username for m in staff.list_staff(uow, admin) if Role.ADMIN in m.roles]
    assert admins == ["root"]


# --- disable, enable, reset ---------------------------------------------------------------------

def test_disable_ends_sessions_and_login_and_enable_brings_them_back(uow, admin, make_staff):
    make_staff("amy", Role.AGENT)
    key = login(uow, "amy")
    m = member(uow, admin, "amy")
    assert staff.set_active(uow, admin, m.id, False, expected_version=m.version)
    assert auth.resume_session(uow, key) is None
    with pytest.raises(PermissionDenied):
        login(uow, "amy", 2e10)
    assert "amy" not in auth.login_credentials(uow)["usernames"]
    m = member(uow, admin, "amy")
    assert not m.active
    assert not staff.set_active(uow, admin, m.id, False, expected_version=m.version)  # no-op

    assert staff.set_active(uow, admin, m.id, True, expected_version=m.version)
    assert auth.resume_session(uow, key) is None        # the old session stays ended
    assert auth.resume_session(uow, login(uow, "amy", 3e10)) is not None
    assert [(r.action, r.old, r.new) for r in audit_rows(uow)
            if r.action in ("staff_disabled", "staff_enabled")] == [
        ("staff_disabled", {"active": True}, {"active": False}),
        ("staff_enabled", {"active": False}, {"active": True})]


def test_reset_password_forces_a_change_and_the_old_password_stops_working(uow, admin,
                                                                          make_staff):
    make_staff("amy", Role.AGENT)
    key = login(uow, "amy")
    m = member(uow, admin, "amy")
    temporary = staff.reset_password(uow, admin, m.id, expected_version=m.version)
    stored = password_hash(uow, "amy")
    assert not auth.check_password(PASSWORD, stored)
    assert auth.check_password(temporary, stored)
    assert member(uow, admin, "amy").must_change_password
    assert auth.resume_session(uow, key) is None

    amy = auth.resume_session(uow, login(uow, "amy", 2e10))
    assert amy.must_change_password
    auth.change_own_password(uow, amy, temporary, "My-own-choice-42", "My-own-choice-42")
    assert not member(uow, admin, "amy").must_change_password


def test_audit_rows_never_hold_a_password_or_its_hash(uow, admin, make_staff):
    new = staff.create_staff_member(uow, admin, "amy", "Amy", ["agent"])
    m = member(uow, admin, "amy")
    staff.update_staff(uow, admin, m.id, expected_version=m.version, roles=["supervisor"],
                       display_name="Amy Zhang")
    m = member(uow, admin, "amy")
    staff.set_active(uow, admin, m.id, False, expected_version=m.version)
    m = member(uow, admin, "amy")
    staff.set_active(uow, admin, m.id, True, expected_version=m.version)
    m = member(uow, admin, "amy")
    temporary = staff.reset_password(uow, admin, m.id, expected_version=m.version)

    rows = audit_rows(uow)
    assert {"staff_created", "staff_changed", "staff_disabled", "staff_enabled",
            "password_reset"} <= {r.action for r in rows}
    text = json.dumps([[r.action, r.old, r.new] for r in rows])
    for secret in (new.temporary_password, temporary, password_hash(uow, "amy"), PASSWORD,
                   "password_hash", "$2b$"):
        assert secret not in text
    (reset,) = [r for r in rows if r.action == "password_reset"]
    assert reset.actor_id == admin.staff_id and reset.entity_id == str(m.id)
    assert reset.new == {"must_change_password": True}


# --- who may ------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.AGENT, Role.SUPERVISOR, Role.ANALYST, Role.TECHNICIAN])
def test_only_admins_manage_staff(uow, admin, make_staff, role):
    someone = make_staff("someone", role)
    target = member(uow, admin, "root")
    calls = [
        lambda: staff.list_staff(uow, someone),
        lambda: staff.known_skills(uow, someone),
        lambda: staff.create_staff_member(uow, someone, "sneaky", "Sneaky", ["admin"]),
        lambda: staff.create_staff(uow, someone, "sneaky", "Sneaky", "Sneaky-pass-99",
                                   ["admin"]),
        lambda: staff.update_staff(uow, someone, target.id, expected_version=target.version,
                                   roles=["agent"]),
        lambda: staff.update_staff(uow, someone, someone.staff_id, expected_version=None,
                                   roles=["admin", role.value]),
        lambda: staff.set_active(uow, someone, target.id, False,
                                 expected_version=target.version),
        lambda: staff.reset_password(uow, someone, target.id, expected_version=target.version),
    ]
    for attempt in calls:
        with pytest.raises(PermissionDenied):
            attempt()
    assert [m.username for m in staff.list_staff(uow, admin)] == ["root", "someone"]
    assert member(uow, admin, "root") == target
    assert auth.check_password(PASSWORD, password_hash(uow, "root"))


def test_known_skills_offer_what_people_have(uow, admin, make_staff):
    make_staff("tom", Role.TECHNICIAN)
    m = member(uow, admin, "tom")
    staff.update_staff(uow, admin, m.id, expected_version=m.version, skills=["Bikes", "tents"])
    assert {"bikes", "tents"} <= set(staff.known_skills(uow, admin))


# --- the Staff tab (ui/admin_staff.py) through Streamlit's AppTest --------------------------------

def _staff_tab():
    from ui import admin_staff, runtime
    from ui.actions import show_flash
    show_flash()                      # as pages/admin.py does above its tabs
    admin_staff.render(runtime.require_actor())


@pytest.fixture
def tab(engine, monkeypatch):
    """The tab in this process, on the test database."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from ui import keys, runtime
    monkeypatch.setattr(runtime, "engine", lambda: engine)
    st.cache_data.clear()

    def start(who) -> AppTest:
        at = AppTest.from_function(_staff_tab, default_timeout=60)
        at.session_state[keys.ACTOR] = who
        return at.run()
    yield start
    st.cache_data.clear()


def _click(at, label: str):
    (button,) = [b for b in at.button if b.label == label]
    return button.click().run()


def test_the_tab_creates_an_account_and_shows_its_password_once(uow, admin, tab):
    from ui import keys
    at = tab(admin)
    assert not at.exception and not at.error
    assert list(at.dataframe[0].value["Username"]) == ["root"]
    form = f"{keys.ADMIN_STAFF_NEW}.0"
    at.text_input(key=f"{form}.username").set_value("Lin.Wei")
    at.text_input(key=f"{form}.name").set_value("Lin <b>Wei</b>")
    at.multiselect(key=f"{form}.roles").set_value(["agent"])
    at = _click(at, "Create account")
    assert not at.exception and not at.error, at.error
    (password,) = [c.value for c in at.code]
    assert auth.check_password(password, password_hash(uow, "lin.wei"))
    assert "Lin \\<b\\>Wei\\</b\\>" in at.warning[0].value      # user text stays text
    table = at.dataframe[0].value.set_index("Username")
    assert table.loc["lin.wei", "Roles"] == "Agent" and table.loc["lin.wei", "Temporary password"]
    # the new person's record is open, and the password is gone on the next run
    assert at.selectbox(key=keys.ADMIN_STAFF_PICK).value == member(uow, admin, "lin.wei").id
    assert not at.run().code


def test_the_tab_edits_roles_and_hours_resets_and_disables(uow, admin, make_staff, tab):
    from ui import keys
    make_staff("amy", Role.AGENT)
    key = login(uow, "amy")
    m = member(uow, admin, "amy")
    at = tab(admin)
    at.selectbox(key=keys.ADMIN_STAFF_PICK).set_value(m.id).run()
    form = f"{keys.ADMIN_STAFF_EDIT}.{m.id}.{m.version}"
    at.multiselect(key=f"{form}.roles").set_value(["agent", "supervisor"])
    at.checkbox(key=f"{form}.shop").uncheck()
    at.text_input(key=f"{form}.day.mon").set_value("09:00-18:00")
    at.text_input(key=f"{form}.day.tue").set_value("18:00-09:00")
    at = _click(at, "Save changes")
    assert [e.value for e in at.error] == [
        "Tuesday: the end (09:00) must be after the start (18:00)."]
    assert member(uow, admin, "amy") == m                          # nothing saved
    at.text_input(key=f"{form}.day.tue").set_value("")
    at = _click(at, "Save changes")
    assert not at.error and "logged out" in at.success[0].value
    m = member(uow, admin, "amy")
    assert m.roles == (Role.AGENT, Role.SUPERVISOR)
    assert m.working_hours == {"mon": ["09:00", "18:00"]}
    assert auth.resume_session(uow, key) is None

    at.button(key=f"{keys.ADMIN_STAFF_EDIT}.{m.id}.{m.version}.reset").click().run()
    (password,) = [c.value for c in at.code]
    assert auth.check_password(password, password_hash(uow, "amy"))
    m = member(uow, admin, "amy")
    at.button(key=f"{keys.ADMIN_STAFF_EDIT}.{m.id}.{m.version}.disable").click().run()
    assert not at.error and not member(uow, admin, "amy").active


def test_the_tab_keeps_an_admin_off_their_own_roles_and_account(uow, admin, tab):
    from ui import keys
    me = member(uow, admin, "root")
    at = tab(admin)
    at.selectbox(key=keys.ADMIN_STAFF_PICK).set_value(me.id).run()
    prefix = f"{keys.ADMIN_STAFF_EDIT}.{me.id}.{me.version}"
    assert at.multiselect(key=f"{prefix}.roles").disabled
    at.text_input(key=f"{prefix}.name").set_value("Root Admin")
    at = _click(at, "Save changes")
    assert not at.error and member(uow, admin, "root").display_name == "Root Admin"
