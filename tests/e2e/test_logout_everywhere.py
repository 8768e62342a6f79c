""""Log out" and "Log out everywhere" in two real browsers (a laptop page and a second Chromium context, a
390 px phone) against the real app: logging out in one leaves the other logged in; logging out everywhere
ends both (issue 16)."""
import re

from playwright.sync_api import expect

from tests.e2e.conftest import login, signup

EMAIL, PASSWORD = "owner@e2e.example.com", "correct horse battery"


def account_menu(page):
    """The account menu; on a phone it is behind the Menu button, opened first."""
    toggle = page.get_by_role("button", name="Menu")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false":
        toggle.click()
    return page.get_by_role("group", name="Account")


def test_log_out_everywhere_ends_the_session_of_the_other_browser(page, browser, live_server):
    phone_context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    try:
        laptop, phone = page, phone_context.new_page()
        signup(laptop, email=EMAIL, password=PASSWORD)
        login(phone, EMAIL, PASSWORD)
        expect(account_menu(phone)).to_contain_text(EMAIL)

        account_menu(laptop).get_by_role("button", name="Log out", exact=True).click()
        expect(laptop.get_by_role("status")).to_have_text("You are logged out.")
        phone.reload()
        expect(account_menu(phone)).to_contain_text(EMAIL)

        login(laptop, EMAIL, PASSWORD)
        expect(account_menu(laptop)).to_contain_text(EMAIL)
        account_menu(phone).get_by_role("button", name="Log out everywhere").click()
        expect(phone).to_have_url(re.compile(r"/login$"))
        expect(phone.get_by_role("status")).to_have_text(
            "You are logged out everywhere: 2 sessions ended, this one included."
        )

        laptop.goto("/leads/")
        expect(laptop).to_have_url(re.compile(r"/login\?next=%2Fleads%2F$"))
        expect(account_menu(laptop)).to_have_count(0)
        assert not laptop.watch.page_errors
        assert not [error for error in laptop.watch.console_errors if "Content Security Policy" in error]
    finally:
        phone_context.close()
