"""Administration -> Staff in a real browser: the admin creates an account and reads its
temporary password once; the person logs in with it and can open nothing but My account until
they choose their own password; the admin disables the account and the person's open page
logs them out at their next click."""
from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from browser_helpers import NAV_LINK, auth_cookies, login_and_open, login_button, open_app, \
    settle, submit_login

pytestmark = pytest.mark.browser


def main(page: Page):
    return page.get_by_test_id("stMain")


def staff_tab(page: Page):
    return main(page).get_by_role("tabpanel", name="Staff", exact=True)


def pick(page: Page, widget, typed: str, option: str, taken=None) -> None:
    """A select box or multiselect (its stSelectbox / stMultiSelect element): focus it, type
    to filter (typing opens the list even when the click only focused it), choose the option,
    and check it was taken (`taken` shows, or the widget shows the option); once more if a
    rerun of the page redrew the widget meanwhile."""
    for attempt in range(3):
        settle(page)
        widget.get_by_role("combobox").click()
        page.keyboard.type(typed)
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=5_000)
        except PlaywrightTimeout:
            page.keyboard.press("Tab")
            continue
        page.keyboard.press("Tab")     # closes the list (Escape would clear the choice)
        try:
            settle(page)
            if taken is None:
                expect(widget).to_contain_text(option, timeout=3_000)
            else:
                expect(taken).to_be_visible(timeout=3_000)
            return
        except AssertionError:
            continue
    raise AssertionError(f"could not choose {option!r}")


def nav_labels(page: Page) -> list[str]:
    return page.locator(f"{NAV_LINK} span[label]").evaluate_all(
        "els => els.map(e => e.getAttribute('label'))")


def test_admin_creates_an_account_that_must_choose_its_password_then_disables_it(
        demo_app, new_context):
    username = "new." + "".join(secrets.choice("bcdfghjklmnpqrstvwxz") for _ in range(8))
    admin = new_context().new_page()
    login_and_open(admin, demo_app, "admin", "/admin")
    expect(main(admin).get_by_role("tab", name="Staff", exact=True)).to_be_visible()

    # the new account, through the "New staff member" form
    staff_tab(admin).get_by_test_id("stExpander").filter(has_text="New staff member") \
        .locator("summary").click()
    form = staff_tab(admin).get_by_test_id("stForm").filter(
        has=admin.get_by_role("button", name="Create account"))
    form.get_by_role("textbox", name="Username", exact=True).fill(username)
    form.get_by_role("textbox", name="Name", exact=True).fill("New <b>Person</b>")
    pick(admin, form.get_by_test_id("stMultiSelect").filter(has_text="Roles"), "Agent",
         "Agent")
    form.get_by_role("button", name="Create account").click()
    settle(admin)
    code = staff_tab(admin).get_by_test_id("stCode")
    expect(code).to_have_count(1)
    password = code.inner_text().strip()
    assert len(password) == 19, password
    expect(staff_tab(admin).get_by_text(f"Temporary password for New <b>Person</b> ({username})",
                                   exact=False)).to_be_visible()

    # the person's first login: only My account, until they choose their own password
    person = new_context().new_page()
    open_app(person, demo_app.url)
    submit_login(person, username, password)
    expect(person.locator(NAV_LINK).first).to_be_visible()
    assert nav_labels(person) == ["Home", "My account"]
    person.locator(NAV_LINK).filter(has_text="My account").click()
    settle(person)
    expect(person.get_by_text("Your password was set by an administrator.",
                              exact=False)).to_be_visible()
    own = "Chosen-by-me-2026"
    person.get_by_role("textbox", name="Current password", exact=True).fill(password)
    person.get_by_role("textbox", name="New password", exact=True).fill(own)
    person.get_by_role("textbox", name="Repeat the new password", exact=True).fill(own)
    person.get_by_role("button", name="Change password").click()
    settle(person)
    submit_login(person, username, own)
    expect(person.locator(NAV_LINK).filter(has_text="Intake")).to_have_count(1)
    auth_cookies(person.context)

    # the admin disables the account: the person's next click logs them out
    admin.reload()
    settle(admin)
    expect(code).to_have_count(0)                      # the password was shown once only
    disable = staff_tab(admin).get_by_test_id("stPopover").filter(has_text="Disable account")
    pick(admin, staff_tab(admin).get_by_test_id("stSelectbox").filter(has_text="Staff member"),
         username, f"New <b>Person</b> ({username})", taken=disable)
    disable.get_by_role("button").first.click()
    admin.get_by_role("button", name="Disable", exact=True).click()
    settle(admin)
    expect(main(admin).get_by_text("is disabled and logged out", exact=False)).to_be_visible()

    person.locator(NAV_LINK).filter(has_text="My account").click()
    settle(person)
    expect(login_button(person)).to_be_visible()
    submit_login(person, username, own)
    expect(person.get_by_test_id("stAlertContentError")).to_have_text(
        "Wrong username or password.")
