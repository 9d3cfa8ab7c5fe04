"""Browser fixtures (imported by tests/conftest.py for tests/browser, tests/security and
tests/reliability): real `streamlit run app.py` servers driven by Debian's Chromium.

- `setup_app`: a server on a fresh, empty (not even migrated) database, for the first-run
  screen;
- `demo_app`: one shared server whose database holds the seven demo staff accounts (created
  through core.staff, not through db.seed);
- `browser` (session) and `context` (a fresh browser context per test);
- `make_customer`: a customer of the demo server with a confirmed order, unique per call.

Shared steps (settle, login, ...) live in browser_helpers.py.

DATABASE_URL=postgresql+psycopg://... gives each server its own new PostgreSQL database
(dropped at the end); otherwise each server uses SQLite under its own data directory.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from browser_helpers import actor_of
from core import customers
from core.clock import utcnow
from core.staff import create_staff
from core.uow import UnitOfWork
from core.vocabulary import Channel, OrderState
from db.migrate import upgrade
from db.models import Customer, Order, OrderLine, Product
from db.session import make_engine

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
STARTUP_TIMEOUT_S = 60
EXPECT_TIMEOUT_MS = 15_000

# The demo staff: username -> password. The role is the username without a trailing digit.
DEMO_PASSWORDS = {  # none may contain its username
    "admin": "Keys-and-locks-01",
    "supervisor": "Watch-the-queue-02",
    "supervisor2": "Second-pair-of-eyes-03",
    "agent": "Phones-ringing-04",
    "agent2": "Tickets-waiting-05",
    "technician": "Spanner-in-hand-06",
    "analyst": "Numbers-tell-07",
}


def demo_role(username: str) -> str:
    return username.rstrip("0123456789")


def demo_display_name(username: str) -> str:
    return f"Demo {username.title()}"


@dataclass
class AppServer:
    url: str                 # http://127.0.0.1:PORT
    database_url: str        # the database the app uses (tests prepare data through it)
    data_dir: Path
    log_path: Path
    # username -> (display name, password) of the accounts created before the start
    staff: dict[str, tuple[str, str]] = field(default_factory=dict)
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.database_url)
        return self._engine

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""


# --- databases ----------------------------------------------------------------------------------

def _pg_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "").strip()
    return url if url.startswith("postgresql") else None


@contextlib.contextmanager
def _database(data_dir: Path):
    """The URL of a new empty database: PostgreSQL if DATABASE_URL says so, else SQLite in
    data_dir (where the app puts it when DATABASE_URL is unset). Yields (url, app_env)."""
    pg = _pg_url()
    if not pg:
        yield f"sqlite:///{data_dir / 'caredesk.db'}", None
        return
    name = f"cd_browser_{secrets.token_hex(6)}"
    admin = sa.create_engine(pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(pg).set(database=name).render_as_string(hide_password=False)
    try:
        yield url, url
    finally:
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


# --- the app server -----------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, server: AppServer) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{server.log()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200 and r.read().decode().strip() == "ok":
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"streamlit did not answer /_stcore/health within "
                       f"{STARTUP_TIMEOUT_S} s:\n{server.log()}")


@contextlib.contextmanager
def run_app(tmp_dir: Path, prepare=None, env: dict[str, str] | None = None):
    """Starts `streamlit run app.py` on its own database; `prepare(server)` runs first;
    `env` adds settings to the app's environment."""
    data_dir = tmp_dir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    with _database(data_dir) as (db_url, app_db_url):
        port = _free_port()
        server = AppServer(url=f"http://127.0.0.1:{port}", database_url=db_url,
                           data_dir=data_dir, log_path=tmp_dir / "streamlit.log")
        try:
            if prepare is not None:
                prepare(server)
            app_env = dict(os.environ)
            app_env.pop("DATABASE_URL", None)
            if app_db_url:
                app_env["DATABASE_URL"] = app_db_url
            app_env["CAREDESK_DATA_DIR"] = str(data_dir)
            app_env["CAREDESK_SECRET"] = secrets.token_hex(32)
            app_env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
            app_env.update(env or {})
            cmd = [sys.executable, "-m", "streamlit", "run", "app.py",
                   "--server.port", str(port), "--server.address", "127.0.0.1",
                   "--server.headless", "true", "--server.fileWatcherType", "none",
                   "--browser.gatherUsageStats", "false"]
            with open(server.log_path, "wb") as log:
                proc = subprocess.Popen(cmd, cwd=REPO, env=app_env, stdout=log,
                                        stderr=subprocess.STDOUT)
            try:
                _wait_healthy(server.url, proc, server)
                yield server
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
        finally:
            if server._engine is not None:
                server._engine.dispose()


def _add_demo_staff(server: AppServer) -> None:
    upgrade(server.engine)
    for username, password in DEMO_PASSWORDS.items():
        create_staff(server.uow(), None, username, demo_display_name(username), password,
                     [demo_role(username)], must_change_password=False)
        server.staff[username] = (demo_display_name(username), password)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium; checked before any server starts. Missing: skip, or fail on CI."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        reason = f"{CHROMIUM} is not installed (apt-get install chromium)"
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(reason)
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture(scope="session")
def setup_app(chromium, tmp_path_factory):
    """A server on an empty database: the first-run setup screen."""
    with run_app(tmp_path_factory.mktemp("setup_app")) as server:
        yield server


@pytest.fixture(scope="session")
def demo_app(chromium, tmp_path_factory):
    """One shared server with the seven demo staff accounts."""
    with run_app(tmp_path_factory.mktemp("demo_app"), prepare=_add_demo_staff) as server:
        yield server


@pytest.fixture(scope="module")
def team_app(chromium, tmp_path_factory):
    """A server of its own with the demo staff (a queue only its tests fill, so the Team
    page's figures are known), whose Team page refreshes every 3 s instead of 30."""
    with run_app(tmp_path_factory.mktemp("team_app"), prepare=_add_demo_staff,
                 env={"CAREDESK_TEAM_REFRESH_SECONDS": "3"}) as server:
        yield server


def _add_demo_staff_and_data(server: AppServer) -> None:
    """The demo staff, then two years of the small demo data set (db.seed, which keeps the
    accounts already there), ending at the start of today (UTC)."""
    from db.seed import seed_demo
    _add_demo_staff(server)
    seed_demo(server.engine, "small", staff_password=secrets.token_urlsafe(12))


@pytest.fixture(scope="module")
def analytics_app(chromium, tmp_path_factory):
    """A server of its own with the demo staff and the small demo data set (customers,
    cases, complaints, after-sales, callbacks, surveys), for the figures pages."""
    with run_app(tmp_path_factory.mktemp("analytics_app"),
                 prepare=_add_demo_staff_and_data) as server:
        yield server


# --- the browser --------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser(chromium):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS,
                                     headless=True)
        yield browser
        browser.close()


@pytest.fixture
def new_context(browser):
    """Makes fresh browser contexts (separate cookies, separate Streamlit sessions)."""
    made = []

    def make(**kwargs):
        ctx = browser.new_context(**kwargs)
        ctx.set_default_timeout(30_000)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        with contextlib.suppress(Exception):
            ctx.close()


@pytest.fixture
def context(new_context):
    return new_context()


@pytest.fixture
def page(context):
    return context.new_page()


# --- data for the agents' day -------------------------------------------------------------------

KNOWN_PHONE = "+8613912345678"
PHONE_PREFIX = "+861391234"   # every customer made here has a number starting so


@dataclass(frozen=True)
class KnownCustomer:
    id: int
    name: str
    phone: str               # E.164
    email: str
    order_id: int
    order_number: str        # in state "confirmed", one line of `product_name`
    product_name: str


def _letters(n: int = 8) -> str:
    """Unique-enough letters (names must have no digits to be searched as names)."""
    return "".join(secrets.choice("bcdfghjklmnpqrstvwxz") for _ in range(n))


def _unused_phone(server: AppServer) -> str:
    with server.uow().reader() as r:
        taken = set(r.session.scalars(sa.select(Customer.phone_normalized).where(
            Customer.phone_normalized.startswith(PHONE_PREFIX))))
    while True:
        phone = f"{PHONE_PREFIX}{secrets.randbelow(10_000):04d}"
        if phone not in taken and phone != KNOWN_PHONE:
            return phone


@pytest.fixture
def make_customer(demo_app):
    """make_customer(phone=None) -> KnownCustomer: created through core.customers (as the
    demo agent), with an e-mail address, English as language, and a confirmed order of one
    product inserted through the ORM. Name, e-mail, product and order number are unique per
    call; the phone too unless given (numbers start with +861391234)."""

    def make(phone: str | None = None) -> KnownCustomer:
        tag = _letters()
        name = f"Lin Meihua {tag.title()}"
        email = f"meihua.{tag}@example.com"
        phone = phone or _unused_phone(demo_app)
        customer_id = customers.create_customer(
            demo_app.uow(), actor_of(demo_app, "agent"), name=name, phone=phone, email=email,
            language="en", address="18 Huaihai Road", city="Shanghai")
        uow = demo_app.uow()
        with uow:
            product = Product(sku=f"KT-{tag}", name=f"Kettle {tag.title()}",
                              category="appliance", price_cents=19900)
            uow.session.add(product)
            uow.flush()
            order = Order(order_number=f"CDT{tag.upper()}", customer_id=customer_id,
                          channel=Channel.PHONE, state=OrderState.CONFIRMED,
                          confirmed_at=utcnow(), delivery_address="18 Huaihai Road",
                          total_cents=19900,
                          lines=[OrderLine(product_id=product.id, quantity=1,
                                           unit_price_cents=19900, paid_cents=19900)])
            uow.session.add(order)
            uow.commit()
            order_id, order_number, product_name = order.id, order.order_number, product.name
        return KnownCustomer(customer_id, name, phone, email, order_id, order_number,
                             product_name)

    return make
