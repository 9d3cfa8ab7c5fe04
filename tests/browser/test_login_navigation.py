"""Logging in, what each role may open, and how sessions end, driven in a real browser."""
from __future__ import annotations

import re
import time

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from core import auth
from core.actor import Actor
from core.staff import create_staff
from db.models import Staff

from browser_helpers import (NAV_LABEL, NAV_LINK, auth_cookies, login, login_button, open_app,
                             settle, submit_login)

pytestmark = pytest.mark.browser

WRONG = "Wrong username or password."
LOCKED = "Too many failed attempts. This username is locked for 15 minutes."
SESSION_ENDED = "Your session has ended. Please log in again."


# --- helpers ------------------------------------------------------------------------------------

def nav_titles(page: Page) -> list[str]:
    """The page titles in the sidebar menu (expanded if Streamlit shortened it)."""
    more = page.get_by_test_id("stSidebarNavViewButton")
    if more.count() and "more" in more.inner_text():
        more.click()
    return page.locator(NAV_LABEL).evaluate_all(
        "els => els.map(e => e.getAttribute('label'))")


def wait_for_nav(page: Page, expected: set[str], timeout: float = 15) -> list[str]:
    deadline = time.monotonic() + timeout
    while True:
        titles = nav_titles(page)
        if set(titles) == expected or time.monotonic() > deadline:
            return titles
        page.wait_for_timeout(250)


def staff_id(server, username: str) -> int:
    with server.uow().reader() as r:
        return r.session.scalar(sa.select(Staff.id).where(Staff.username == username))


def expect_logged_out(page: Page) -> None:
    expect(login_button(page)).to_be_visible()
    expect(page.locator(NAV_LINK)).to_have_count(0)
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)


# --- 1. first run -------------------------------------------------------------------------------

def test_first_run_creates_the_administrator_who_can_then_log_in(setup_app, new_context):
    page = new_context().new_page()
    open_app(page, setup_app.url)
    welcome = page.get_by_role("heading", name="Welcome to CareDesk")
    expect(welcome).to_be_visible(timeout=30_000)  # the app migrates the empty db first

    password = "Kettle-Harbour-77"
    page.get_by_role("textbox", name="Username", exact=True).fill("boss")
    page.get_by_role("textbox", name="Full name", exact=True).fill("Beatrice Boss")
    page.get_by_role("textbox", name="Password", exact=True).fill(password)
    page.get_by_role("textbox", name="Repeat the password", exact=True).fill(password)
    page.get_by_role("button", name="Create administrator").click()
    settle(page)

    expect(page.get_by_text("The administrator account is ready. Log in with it.")
           ).to_be_visible()
    expect(login_button(page)).to_be_visible()
    expect(welcome).to_have_count(0)

    submit_login(page, "boss", password)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Beatrice Boss (boss)", exact=True)).to_be_visible()
    assert "Administration" in wait_for_nav(page, {"Home", "Exports", "Administration",
                                                   "Audit log", "My account"})

    # Setup happens once: any later visitor gets the login form.
    later = new_context().new_page()
    open_app(later, setup_app.url)
    expect(login_button(later)).to_be_visible()
    expect(later.get_by_role("heading", name="Welcome to CareDesk")).to_have_count(0)
    expect(later.get_by_role("button", name="Create administrator")).to_have_count(0)


# --- 2. the menu per role -------------------------------------------------------------------------

# Everyone also has "Home", the landing page (pages/home.py).
ROLE_PAGES = {
    "agent": ["Home", "Intake", "Cases", "Customers", "Products", "Callbacks", "After-sales",
              "My account"],
    "technician": ["Home", "Products", "My jobs", "My account"],
    "supervisor": ["Home", "Intake", "Cases", "Customers", "Products", "Callbacks", "After-sales",
                   "Complaint review", "After-sales approval", "Team", "Analytics",
                   "Reports", "Staffing planner", "Exports", "Audit log", "My account"],
    "analyst": ["Home", "Customers", "Products", "Analytics", "Reports", "Staffing planner",
                "Exports", "My account"],
    "admin": ["Home", "Exports", "Administration", "Audit log", "My account"],
}


@pytest.mark.parametrize("username", list(ROLE_PAGES))
def test_each_role_sees_exactly_its_pages(demo_app, page, username):
    login(page, demo_app, username)
    expect(page.get_by_test_id("stSidebar").get_by_text(
        f"{demo_app.staff[username][0]} ({username})", exact=True)).to_be_visible()

    expected = ROLE_PAGES[username]
    titles = wait_for_nav(page, set(expected))
    assert sorted(titles) == sorted(expected)
    assert len(titles) == len(set(titles)), f"a page is listed twice: {titles}"


# --- 3. direct URLs -------------------------------------------------------------------------------

FORBIDDEN = [
    # user, url path, the forbidden page's heading and text
    ("agent", "/admin", "Administration",
     "Which events and customers get a follow-up or care call, and when."),
    ("analyst", "/intake", "Intake",
     "Record a contact on any channel: find or create the customer"),
]


@pytest.mark.parametrize("username,path,title,text", FORBIDDEN,
                         ids=[f"{u}{p}" for u, p, *_ in FORBIDDEN])
def test_a_direct_url_does_not_open_a_forbidden_page(demo_app, page, context, username,
                                                      path, title, text):
    login(page, demo_app, username)
    auth_cookies(context)  # the next load must be logged in by the cookie

    open_app(page, demo_app.url, path)
    main = page.get_by_test_id("stMain")
    # Still logged in (by the cookie), and some page of theirs has been drawn ...
    expect(page.get_by_test_id("stSidebar").get_by_text(
        f"{demo_app.staff[username][0]} ({username})", exact=True)).to_be_visible()
    expect(page.locator(NAV_LINK).first).to_be_visible()
    expect(main.get_by_role("heading").first).to_be_visible()
    settle(page)
    # ... but not the page behind the URL.
    expect(main.get_by_role("heading", name=title, exact=True)).to_have_count(0)
    expect(page.get_by_text(text)).to_have_count(0)


def test_a_direct_url_opens_an_allowed_page(demo_app, page, context):
    """The control for the test above: the same URL works for someone allowed."""
    login(page, demo_app, "admin")
    auth_cookies(context)
    open_app(page, demo_app.url, "/audit")
    expect(page.get_by_test_id("stMain").get_by_role("heading", name="Audit log",
                                                     exact=True)).to_be_visible()
    open_app(page, demo_app.url, "/admin")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="Administration", exact=True)).to_be_visible()
    expect(main.get_by_role("tab", name="Callback rules")).to_be_visible()


# --- 4. lockout -------------------------------------------------------------------------------

def _error_text(page: Page) -> str:
    error = page.get_by_test_id("stAlertContentError")
    expect(error).to_have_count(1)
    return error.inner_text().strip()


def test_wrong_passwords_lock_the_username(demo_app, page):
    password = "Lock-me-not-2026"
    create_staff(demo_app.uow(), None, "lockme", "Lock Me", password, ["agent"],
                 must_change_password=False)
    open_app(page, demo_app.url)

    seen = []
    for attempt in range(1, 6):
        submit_login(page, "lockme", f"not-the-password-{attempt}")
        seen.append(_error_text(page))
        expect(page.locator(NAV_LINK)).to_have_count(0)
    assert seen[:4] == [WRONG] * 4
    assert seen[4] in (WRONG, LOCKED)

    # The right password no longer helps.
    submit_login(page, "lockme", password)
    expect(page.get_by_test_id("stAlertContentError")).to_have_text(LOCKED)
    expect_logged_out(page)


def test_unknown_username_gets_the_same_answer_as_a_wrong_password(demo_app, page):
    open_app(page, demo_app.url)
    submit_login(page, "supervisor2", "not-the-password-0")
    wrong_password = _error_text(page)
    submit_login(page, "nobody-by-this-name", "not-the-password-0")
    unknown_user = _error_text(page)
    assert wrong_password == unknown_user == WRONG
    expect_logged_out(page)


# --- 5. logout ends the cookie -------------------------------------------------------------------

def test_logout_ends_the_session_behind_the_cookie(demo_app, new_context):
    ctx_a = new_context()
    page_a = ctx_a.new_page()
    login(page_a, demo_app, "agent")
    cookies = auth_cookies(ctx_a)

    # Remember-me: the cookie alone logs another browser in.
    ctx_b = new_context()
    ctx_b.add_cookies(cookies)
    page_b = ctx_b.new_page()
    open_app(page_b, demo_app.url)
    expect(page_b.get_by_test_id("stSidebar").get_by_text(
        f"{demo_app.staff['agent'][0]} (agent)", exact=True)).to_be_visible()
    expect(page_b.locator(NAV_LINK).first).to_be_visible()

    page_a.get_by_role("button", name="Log out").click()
    settle(page_a)
    expect_logged_out(page_a)

    # The same cookie, replayed after logout, is refused.
    ctx_c = new_context()
    ctx_c.add_cookies(cookies)
    page_c = ctx_c.new_page()
    open_app(page_c, demo_app.url)
    expect_logged_out(page_c)


# --- 6. language --------------------------------------------------------------------------------

def test_switching_to_chinese_translates_the_app_and_is_remembered(demo_app, page,
                                                                    new_context):
    try:
        login(page, demo_app, "agent")
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
        page.get_by_role("combobox", name="Language").click()
        page.get_by_role("option", name="简体中文").click()
        settle(page)

        expect(page.get_by_role("button", name="退出登录")).to_be_visible()
        expect(page.get_by_role("button", name="Log out")).to_have_count(0)
        expect(page.locator(NAV_LABEL, has_text=re.compile("^受理$"))).to_be_visible()
        expect(page.locator(NAV_LABEL, has_text=re.compile("^Intake$"))).to_have_count(0)

        # Stored for the user: the next login, in another browser, is in Chinese too.
        again = new_context().new_page()
        login(again, demo_app, "agent")
        expect(again.get_by_role("button", name="退出登录")).to_be_visible()
        expect(again.locator(NAV_LABEL, has_text=re.compile("^受理$"))).to_be_visible()
    finally:
        # Other tests log in as agent and expect English.
        with demo_app.uow().reader() as r:
            s = r.session.scalar(sa.select(Staff).where(Staff.username == "agent"))
            actor = Actor(s.id, s.username, s.display_name, s.role_set, s.language.value)
        auth.set_language(demo_app.uow(), actor, "en")


# --- 7. revoked sessions -------------------------------------------------------------------------

def test_a_revoked_session_ends_at_the_next_click(demo_app, page):
    login(page, demo_app, "agent2")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    uow = demo_app.uow()
    with uow:
        revoked = auth.revoke_sessions(uow, staff_id(demo_app, "agent2"), "test")
        uow.commit()
    assert revoked >= 1

    page.locator(NAV_LINK, has_text="Cases").click()
    settle(page)
    expect(page.get_by_text(SESSION_ENDED)).to_be_visible()
    expect_logged_out(page)
