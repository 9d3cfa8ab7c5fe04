"""Faults: the database becomes unavailable while the real app runs in a browser.

PostgreSQL: the app reaches the server through a TCP proxy (a thread of this test), which is
cut (listening socket and every open connection closed, as when the server stops) and later
restored; the shared server itself keeps running for the rest of the suite.
SQLite: another process holds the database's write lock (BEGIN EXCLUSIVE, as an admin's
sqlite3 shell or a copy tool would) for longer than the app waits for it; the app's wait is
shortened to 2 s (CAREDESK_SQLITE_BUSY_TIMEOUT_MS) to keep the test short.

Either way the user sees a clear message (no traceback, no SQL, no driver error), nothing is
saved twice or half, and the same tab works again once the database is back, without
restarting the app.
"""
from __future__ import annotations

import contextlib
import re
import socket
import sqlite3
import threading

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect
from sqlalchemy.engine import make_url

from browser_fixtures import _add_demo_staff, run_app
from browser_helpers import (IDLE, NAV_LINK, actor_of, login_and_open, open_app, settle,
                             wait_for_login_form)
from core import customers
from tests.conftest import pg_url
from db.models import Case

pytestmark = [pytest.mark.browser, pytest.mark.casebook("Faults")]

UNAVAILABLE = ("The database cannot be reached right now. Your last action was not saved; "
               "try again in a moment.")
BUSY = "The database is busy. Nothing was saved; please try again."
BUSY_WAIT_MS = 2000
# what must never reach the screen
LEAKS = re.compile(r"Traceback|OperationalError|InterfaceError|psycopg|sqlite3|[Ss]qlalchemy|"
                   r"\bSELECT\b|\bINSERT INTO\b|\bBEGIN\b|database is locked|File \"")
PHONE = "+8613955501234"


class Proxy:
    """A TCP relay from a local port to the database server that can be cut and restored."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """The server is gone: new connections are refused, open ones are dropped."""
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            sockets, self._open = self._open, set()
        for s in sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:   # cut meanwhile
                    client.close()
                    upstream.close()
                    return
                self._open |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


class Outage:
    """Makes the app's database unavailable and brings it back, for either database."""

    def __init__(self, pg: bool) -> None:
        self.pg = pg
        self.proxy: Proxy | None = None
        self.env: dict[str, str] = {}
        self._holder: sqlite3.Connection | None = None

    def prepare(self, server) -> None:
        """run_app's prepare: the demo staff, one customer, and the app's database URL
        (through the proxy on PostgreSQL; the env dict is read after prepare returns)."""
        _add_demo_staff(server)
        customers.create_customer(server.uow(), actor_of(server, "agent"),
                                  name="Outage Customer", phone=PHONE, language="en")
        if self.pg:
            url = make_url(server.database_url)
            self.proxy = Proxy(url.host or "127.0.0.1", url.port or 5432)
            self.proxy.start()
            self.env["DATABASE_URL"] = url.set(host="127.0.0.1", port=self.proxy.port
                                               ).render_as_string(hide_password=False)
        else:
            self.env["CAREDESK_SQLITE_BUSY_TIMEOUT_MS"] = str(BUSY_WAIT_MS)
            self.path = make_url(server.database_url).database

    def begin(self) -> None:
        if self.pg:
            self.proxy.cut()
        else:
            self._holder = sqlite3.connect(self.path, isolation_level=None, timeout=10)
            self._holder.execute("BEGIN EXCLUSIVE")

    def end(self) -> None:
        if self.pg:
            self.proxy.start()
        else:
            self._holder.execute("ROLLBACK")
            self._holder.close()
            self._holder = None

    def close(self) -> None:
        if self.pg and self.proxy is not None:
            self.proxy.cut()
        elif self._holder is not None:
            self._holder.close()

    @property
    def message(self) -> str:
        return UNAVAILABLE if self.pg else BUSY


@pytest.fixture
def outage():
    made = Outage(bool(pg_url()))
    yield made
    made.close()


@pytest.fixture(scope="module")
def outage_app(chromium, tmp_path_factory):
    """One app (and its outage switch) for the cases that need no fresh start."""
    made = Outage(bool(pg_url()))
    try:
        with run_app(tmp_path_factory.mktemp("outage_app"), prepare=made.prepare,
                     env=made.env) as server:
            yield server, made
    finally:
        made.close()


def _no_leak(page: Page) -> None:
    text = page.locator("body").inner_text()
    assert not LEAKS.search(text), LEAKS.search(text).group(0)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def _told(page: Page, message: str) -> None:
    expect(page.get_by_test_id("stAlertContentError").filter(has_text=message)
           ).to_be_visible(timeout=BUSY_WAIT_MS + 30_000)
    page.locator(IDLE).wait_for(timeout=30_000)
    _no_leak(page)


def _select_customer(page: Page) -> None:
    box = page.get_by_role("textbox", name="Find by phone, e-mail, name or order number",
                           exact=True)
    box.fill(PHONE)
    box.press("Enter")
    settle(page)
    row = page.get_by_test_id("stHorizontalBlock").filter(has_text="Outage Customer")
    row.get_by_role("button", name="Select", exact=True).click()
    settle(page)


def _fill_intake(page: Page, subject: str) -> None:
    page.get_by_role("textbox", name="Subject", exact=True).fill(subject)
    page.get_by_role("textbox", name="What the customer asked", exact=True).fill(
        "The parcel has not arrived.")
    page.get_by_role("textbox", name="Next step the customer was told (if not resolved)",
                     exact=True).fill("We will call back tomorrow.")


def _record(page: Page) -> None:
    page.get_by_role("button", name="Record contact", exact=True).click()
    settle(page)


@contextlib.contextmanager
def _log_on_failure(server):
    """A failure here is about what the app did: show the end of its log with it."""
    try:
        yield
    except Exception as e:
        raise AssertionError(f"{e}\n--- app log ---\n{server.log()}") from e


def _cases(server, subject: str) -> int:
    with server.uow().reader() as r:
        return r.session.scalar(sa.select(sa.func.count()).select_from(Case)
                                .where(Case.subject == subject))


def test_a_database_outage_while_working_shows_a_message_and_the_tab_recovers(
        outage_app, new_context, tried):
    """An agent saving while the database is unavailable is told so in plain words (no
    traceback), nothing is saved, and the same tab saves once the database is back."""
    server, outage = outage_app
    with _log_on_failure(server):
        _work_through_an_outage(server, outage, new_context().new_page(), tried)


def _work_through_an_outage(server, outage: Outage, page: Page, tried) -> None:
    subject = "Parcel during the outage"
    login_and_open(page, server, "agent", "/intake")
    _select_customer(page)
    _fill_intake(page, subject)

    outage.begin()
    tried()
    _record(page)
    _told(page, outage.message)
    assert _cases(server, subject) == 0
    if outage.pg:   # the page could not be drawn; trying again is refused the same way
        page.get_by_role("button", name="Try again", exact=True).click()
        settle(page)
        _told(page, outage.message)
        tried()

    outage.end()
    try_again = page.get_by_role("button", name="Try again", exact=True)
    if try_again.count():
        try_again.click()
        settle(page)
    expect(page.get_by_role("button", name="Record contact")).to_be_visible()
    if not page.get_by_role("textbox", name="Subject", exact=True).input_value():
        _fill_intake(page, subject)   # (the form was not drawn during the outage)
    _record(page)
    expect(page.get_by_test_id("stAlertContentSuccess")).to_have_text(
        re.compile(r"^Case \d+ is open\."))
    _no_leak(page)
    assert _cases(server, subject) == 1
    # and the rest of the app works in the same tab
    page.locator(NAV_LINK).filter(has_text="Cases").first.click()
    settle(page)
    expect(page.get_by_text(subject).first).to_be_attached()
    _no_leak(page)


def test_an_unexpected_database_error_shows_a_plain_message_and_is_logged(
        outage_app, new_context, tried):
    """A database error that is nobody's outage (here a table missing after a botched
    restore) shows a plain message, never the SQL or a traceback; the server log has it."""
    server, _ = outage_app
    page = new_context().new_page()
    login_and_open(page, server, "supervisor", "/")
    with server.engine.begin() as c:
        c.exec_driver_sql("ALTER TABLE case_daily RENAME TO case_daily_away")
    try:
        tried()
        open_app(page, server.url, "/analytics")
        _told(page, "Something went wrong and your last action was not completed.")
        logged = server.log_path.read_text(errors="replace")
        assert "unexpected error in a page run" in logged and "case_daily" in logged
    finally:
        with server.engine.begin() as c:
            c.exec_driver_sql("ALTER TABLE case_daily_away RENAME TO case_daily")
    page.get_by_role("button", name="Try again", exact=True).click()
    settle(page)
    expect(page.get_by_role("heading", name="Analytics", exact=True)).to_be_visible()
    _no_leak(page)


def test_an_app_started_while_the_database_is_unavailable_recovers_without_a_restart(
        chromium, browser, new_context, tmp_path, outage, tried):
    """The first visitor of an app whose database is unavailable at its start gets a plain
    message, and the login screen once the database is back, without restarting the app."""
    with run_app(tmp_path, prepare=outage.prepare, env=outage.env) as server, \
            _log_on_failure(server):
        outage.begin()   # before anyone opened the app: its engine is not made yet
        tried()
        page = new_context().new_page()
        open_app(page, server.url)
        _told(page, outage.message)
        outage.end()
        page.get_by_role("button", name="Try again", exact=True).click()
        settle(page)
        wait_for_login_form(page)
        _no_leak(page)
        # and logging in works (the engine and its schema check were not cached broken)
        page.get_by_role("textbox", name="Username", exact=True).fill("agent")
        page.get_by_role("textbox", name="Password", exact=True).fill(server.staff["agent"][1])
        page.get_by_role("button", name="Log in", exact=True).click()
        settle(page)
        expect(page.locator(NAV_LINK).first).to_be_visible()
