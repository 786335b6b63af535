"""In Chromium with CSRF on: a manager whose role requires two-factor login is sent to the
set-up, scans (reads) the key, confirms a code, keeps the recovery codes, and logs in again
with a code after the password."""

from __future__ import annotations

import time

import pyotp
import pytest
from playwright.sync_api import expect

from qcrm import two_factor
from qcrm.models import Role

pytestmark = pytest.mark.browser


def test_a_manager_sets_up_two_factor_login_and_logs_in_with_a_code(open_page, server, manager):
    with server.app.app_context():
        two_factor.set_required_roles([Role.MANAGER], acting=None)
    first = open_page()
    page = first.page
    first.goto("/login")
    page.locator("#email").fill(manager.email)
    page.locator("#password").fill(manager.password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/profile/two-factor")
    expect(page.get_by_text("Your role requires two-factor login.")).to_be_visible()

    page.get_by_role("button", name="Set up two-factor login").click()
    expect(page.get_by_alt_text("QR code for the authenticator app")).to_be_visible()
    totp = pyotp.TOTP(page.locator("#two-factor-secret").inner_text().replace(" ", ""))
    page.locator("#confirm-code").fill(totp.now())
    page.get_by_role("button", name="Switch two-factor login on").click()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="Continue").click()
    page.wait_for_url("**/home")
    first.assert_no_errors()

    second = open_page()
    page = second.page
    second.goto("/login")
    page.locator("#email").fill(manager.email)
    page.locator("#password").fill(manager.password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/login/two-factor")
    page.locator("#code").fill(totp.at(time.time() + totp.interval))  # the next step's code
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/home")
    second.assert_no_errors()
