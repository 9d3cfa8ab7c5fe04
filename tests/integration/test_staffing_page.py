"""The Staffing planner page (pages/staffing.py) through Streamlit's AppTest, on the test
database: it renders for an analyst with its charts, table and download, a changed handling
time reaches the plan, and an agent is refused by the core with a message."""
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core.staffing import DEFAULT_STANDARDS, agents_needed
from core.vocabulary import CaseCategory, CaseKind, Channel, Role
from db.models import Case, Customer
from tests.conftest import add_staff
from ui import keys, runtime

# Thursday 2026-11-26 15:00 in Shanghai; last week's Tuesday 10:00 local is 02:00 UTC
NOW = datetime(2026, 11, 26, 7, 0)
TUESDAY_10 = datetime(2026, 11, 17, 2, 0)
PAGE = Path(__file__).resolve().parents[2] / "pages" / "staffing.py"
SHORT_COLUMN = "Short"


@pytest.fixture
def app(engine, uow, monkeypatch):
    """AppTest runs the page in this process: runtime.uow() is pointed at the test database
    (the page never builds its own engine), the planner's clock is frozen, and no cached read
    of another test survives."""
    monkeypatch.setattr(runtime, "engine", lambda: engine)
    monkeypatch.setattr("core.workload.utcnow", lambda: NOW)
    st.cache_data.clear()
    with uow:
        customer = Customer(name="Wang Fang", phone="+8613800000001",
                            phone_normalized="+8613800000001", language="en")
        uow.session.add(customer)
        uow.session.flush()
        # last week: 40 calls on Tuesday 10:00-10:59 local, and 6 chats from 14:00
        calls = [(Channel.PHONE, TUESDAY_10 + timedelta(seconds=89 * i)) for i in range(40)]
        chats = [(Channel.CHAT, TUESDAY_10 + timedelta(hours=4, minutes=9 * i))
                 for i in range(6)]
        uow.session.add_all(
            Case(kind=CaseKind.INQUIRY, channel=channel, category=CaseCategory.DELIVERY,
                 customer_id=customer.id, subject="Where is my parcel?", created_at=at)
            for channel, at in calls + chats)
        uow.commit()
    add_staff(uow, "bob", Role.AGENT)       # on the rota in business hours
    yield _page
    st.cache_data.clear()


def _page(who) -> AppTest:
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.session_state[keys.ACTOR] = who
    return at


def tuesday_10(at: AppTest):
    at.segmented_control(key=keys.STAFFING_WEEKDAY).set_value(1).run()
    table = at.dataframe[0].value
    table = getattr(table, "data", table)      # a Styler: its frame
    return table.loc[table["Hour"] == "10:00"].iloc[0]


def test_the_page_renders_the_plan_for_an_analyst(app, uow):
    at = app(add_staff(uow, "ana", Role.ANALYST))
    at.run()
    assert not at.exception, at.exception
    assert not at.error
    assert at.title[0].value == "Staffing planner"
    charts = at.get("vega_lite_chart")
    assert len(charts) == 3                 # phone and chat arrivals, the day's staffing
    assert at.get("download_button")

    row = tuesday_10(at)
    std = DEFAULT_STANDARDS[Channel.PHONE]
    needed = agents_needed(5, 360, std.target_seconds, std.target_share)
    assert row["Phone: contacts per hour"] == 5.0        # 40 calls over 8 weeks
    assert row["Phone: agents answering"] == needed
    assert row["On the rota"] == 1 and row[SHORT_COLUMN] == row["Staff needed"] - 1

    # one week of history and a shorter phone handling time, through the form
    at.number_input(key=keys.STAFFING_WEEKS).set_value(1)
    at.number_input(key=f"{keys.STAFFING_AHT}.phone").set_value(180)
    at.button[0].click().run()
    assert not at.exception and not at.error
    row = tuesday_10(at)
    assert row["Phone: contacts per hour"] == 40.0
    assert row["Phone: agents answering"] == agents_needed(40, 180, std.target_seconds,
                                                           std.target_share)


def test_an_agent_is_refused(app, uow):
    at = app(add_staff(uow, "ann", Role.AGENT))
    at.run()
    assert not at.exception
    assert "Your roles do not allow this" in at.error[0].value
    assert not at.get("vega_lite_chart")
