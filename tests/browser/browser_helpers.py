"""Steps the browser tests share: waiting for Streamlit, opening pages, logging in, and
reading what core says.

A plain module (not conftest.py, which exists twice under tests/ and cannot be imported by
name); pytest puts this directory on sys.path for the test modules next to it.
"""
from __future__ import annotations

import time

import sqlalchemy as sa
from playwright.sync_api import BrowserContext, Page, expect

from core.actor import Actor
from db.models import Staff

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
NAV_LINK = '[data-testid="stSidebarNav"] [data-testid="stSidebarNavLink"]'
NAV_LABEL = f'{NAV_LINK} span[label]'
COOKIE = "caredesk_auth"


def settle(page: Page) -> None:
    """Waits for the rerun a navigation or click started to finish. Reruns start
    asynchronously, so give them a moment to begin; a second rerun (st.rerun) may follow,
    which is why assertions use expect(...)'s retries as well."""
    page.wait_for_timeout(300)
    page.locator(IDLE).wait_for(timeout=30_000)


def open_app(page: Page, base: str, path: str = "/") -> None:
    page.goto(base + path)
    settle(page)


def login_button(page: Page):
    return page.get_by_role("button", name="Log in", exact=True)


def wait_for_login_form(page: Page) -> None:
    """Waits until the login form is drawn and the app is idle; the caller then fills it in
    and clicks at once, as a person would. (ui/login.py draws the form only after
    streamlit-authenticator's cookie component has reported, so that the component's report
    cannot swallow the click; if that came back, the login tests would fail.)"""
    expect(login_button(page)).to_be_visible(timeout=30_000)
    page.locator(IDLE).wait_for(timeout=30_000)


def submit_login(page: Page, username: str, password: str) -> None:
    wait_for_login_form(page)
    page.get_by_role("textbox", name="Username", exact=True).fill(username)
    page.get_by_role("textbox", name="Password", exact=True).fill(password)
    login_button(page).click()
    settle(page)


def login(page: Page, server, username: str) -> None:
    open_app(page, server.url)
    submit_login(page, username, server.staff[username][1])
    expect(page.locator(NAV_LINK).first).to_be_visible()
    settle(page)


def auth_cookies(context: BrowserContext, timeout: float = 15) -> list[dict]:
    """The login cookie, which a JS component sets shortly after the login run."""
    deadline = time.monotonic() + timeout
    while True:
        found = [c for c in context.cookies() if c["name"] == COOKIE]
        if found or time.monotonic() > deadline:
            assert found, f"no {COOKIE} cookie after login: {context.cookies()}"
            return found
        time.sleep(0.2)


def login_and_open(page: Page, server, username: str, path: str) -> None:
    """Logs in, then loads `path` directly (the cookie logs the new page load in)."""
    login(page, server, username)
    auth_cookies(page.context)
    open_app(page, server.url, path)
    expect(page.locator(NAV_LINK).first).to_be_visible()


def actor_of(server, username: str) -> Actor:
    """The demo account as core's Actor, to prepare and check data through core."""
    with server.uow().reader() as r:
        s = r.session.scalar(sa.select(Staff).where(Staff.username == username))
        return Actor(s.id, s.username, s.display_name, s.role_set, s.language.value)
