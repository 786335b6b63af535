"""A newcomer's first steps in a real browser: log in, set up a client with channels, find it
again, switch to German; the login page in German; the pages on a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.browser.support import PHONE, german_translation

pytestmark = pytest.mark.browser


def expect_german_text(page: Page, selector: str, msgid: str) -> None:
    """Check a text only once the German catalogue translates it (it is still being written)."""
    translation = german_translation(msgid)
    if translation is not None:
        expect(
            page.locator(selector), f"German for {msgid!r} (run `make translations`?)"
        ).to_have_text(translation)


def no_horizontal_scrolling(page: Page) -> bool:
    """Whether the page, once loaded and laid out, fits the viewport's width.

    Measured after the load event and retried for a few seconds like an ``expect``: on a busy
    machine the first layout can be taken before the style sheets have been applied.
    """
    page.wait_for_load_state("load")
    try:
        page.wait_for_function(
            "document.documentElement.scrollWidth <= window.innerWidth", timeout=5_000
        )
    except PlaywrightTimeoutError:
        return False
    return True


def test_manager_sets_up_a_client_with_channels_and_switches_to_german(open_page, manager):
    browser_page = open_page(locale="en-US")
    page = browser_page.page

    browser_page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_label("E-mail").fill(manager.email)
    page.get_by_label("Password").fill(manager.password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name=f"Welcome, {manager.name}")).to_be_visible()

    navigation = page.get_by_role("navigation", name="Main navigation")
    navigation.get_by_role("link", name="Clients", exact=True).click()
    expect(page.get_by_role("heading", name="Clients")).to_be_visible()
    page.get_by_role("link", name="New client").click()

    page.get_by_label("Name").fill("Stadtwerke Teststadt")
    page.get_by_label("Kind").select_option(label="Own company")
    page.get_by_label("Notes").fill("Audited from March on.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Client Stadtwerke Teststadt is created.")
    expect(page.get_by_role("heading", name="Stadtwerke Teststadt")).to_be_visible()
    expect(page.get_by_text("This client has no channels yet.")).to_be_visible()

    page.get_by_role("link", name="New channel").click()
    expect(page.get_by_label("Monday")).to_have_value("08:00-18:00")
    page.get_by_label("Type").select_option(label="E-mail")
    page.get_by_label("Name").fill("Service mail")
    page.get_by_label("Address, number or handle").fill("service@example.com")
    page.get_by_label("Friday").fill("08:00-12:00, 13:00-16:00")
    page.get_by_label("Saturday").fill("09:00-13:00")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Channel Service mail is created.")

    page.get_by_role("link", name="New channel").click()
    page.get_by_label("Type").select_option(label="Phone / hotline")
    page.get_by_label("Name").fill("Service hotline")
    page.get_by_label("Address, number or handle").fill("+49 30 1234567")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Channel Service hotline is created.")

    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(2)
    mail = rows.filter(has_text="Service mail")
    expect(mail).to_contain_text("E-mail")
    expect(mail).to_contain_text("service@example.com")
    expect(mail).to_contain_text("08:00-12:00, 13:00-16:00")  # Friday
    expect(mail).to_contain_text("09:00-13:00")  # Saturday
    expect(mail).to_contain_text("active")
    hotline = rows.filter(has_text="Service hotline")
    expect(hotline).to_contain_text("Phone / hotline")
    expect(hotline).to_contain_text("+49 30 1234567")
    expect(hotline).to_contain_text("08:00-18:00")  # the form's default, Monday to Friday
    expect(hotline).not_to_contain_text("09:00-13:00")

    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Clients").click()
    expect(page.get_by_role("link", name="Stadtwerke Teststadt")).to_be_visible()
    expect(page.get_by_role("link", name="Energie Nord")).to_be_visible()
    new_row = page.locator("main table tbody tr").filter(has_text="Stadtwerke Teststadt")
    expect(new_row.locator("td").last).to_have_text("2")

    page.get_by_role("searchbox", name="Search clients").fill("teststadt")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"/clients/\?q=teststadt"))
    expect(page.locator("main table tbody tr")).to_have_count(1)
    expect(page.get_by_role("link", name="Energie Nord")).to_have_count(0)
    page.get_by_role("link", name="Stadtwerke Teststadt").click()
    expect(page.get_by_role("heading", name="Stadtwerke Teststadt")).to_be_visible()
    page.go_back()

    expect(page.get_by_role("button", name="Switch")).to_be_hidden()  # app.js submits on change
    page.locator("#language-switch").select_option("de")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page).to_have_url(re.compile(r"/clients/\?q=teststadt"))
    expect(page.get_by_role("searchbox")).to_have_value("teststadt")
    expect(page.locator("#language-switch")).to_have_value("de")
    expect_german_text(page, "main h1", "Clients")

    # the choice is kept in the profile: the next page is German too
    page.get_by_role("link", name="Stadtwerke Teststadt").click()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect_german_text(page, "main h2", "Channels")
    browser_page.assert_no_errors()


def test_german_browser_gets_the_german_login_page(open_page):
    browser_page = open_page(locale="de-DE")
    page = browser_page.page
    browser_page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("#language-switch")).to_have_value("de")
    expect_german_text(page, "main h1", "Log in")
    expect_german_text(page, "label[for=password]", "Password")
    browser_page.assert_no_errors()


def test_phone_collapses_the_navigation_and_keeps_the_clients_usable(open_page, manager):
    browser_page = open_page(locale="en-US", viewport=PHONE)
    page = browser_page.page
    browser_page.log_in(manager)

    toggler = page.get_by_role("button", name="Show navigation")
    expect(toggler).to_be_visible()
    clients_link = page.locator("#nav-main").get_by_role("link", name="Clients", exact=True)
    expect(clients_link).to_be_hidden()
    assert no_horizontal_scrolling(page)

    toggler.click()  # Bootstrap's collapse (JavaScript under the CSP)
    expect(toggler).to_have_attribute("aria-expanded", "true")
    # as a person waits for the menu to finish opening: a click into the still-growing menu was
    # seen to get lost on a machine under load
    expect(page.locator("#nav-main")).to_have_class(re.compile(r"\bshow\b"))
    clients_link.click()
    expect(page).to_have_url(re.compile(r"/clients/$"))

    client_link = page.get_by_role("link", name="Energie Nord")
    expect(client_link).to_be_visible()
    expect(page.get_by_role("link", name="New client")).to_be_visible()
    expect(page.get_by_role("searchbox", name="Search clients")).to_be_visible()
    assert no_horizontal_scrolling(page)

    client_link.click()
    expect(page.get_by_role("heading", name="Energie Nord")).to_be_visible()
    expect(page.get_by_role("link", name="New channel")).to_be_visible()
    expect(page.get_by_role("cell", name="Hotline", exact=True)).to_be_visible()
    browser_page.assert_no_errors()


def test_phone_client_page_does_not_scroll_sideways(open_page, manager):
    browser_page = open_page(locale="en-US", viewport=PHONE)
    page = browser_page.page
    browser_page.log_in(manager)
    page.get_by_role("link", name="Open clients").click()
    page.get_by_role("link", name="Energie Nord").click()
    expect(page.get_by_role("heading", name="Energie Nord")).to_be_visible()
    assert no_horizontal_scrolling(page), "the channel table must scroll inside its own box"


def test_pages_have_an_icon(open_page):
    browser_page = open_page(ignore_known_errors=False)
    browser_page.goto("/login")
    expect(browser_page.page.get_by_role("heading", name="Log in")).to_be_visible()
    browser_page.page.wait_for_load_state("networkidle")
    browser_page.assert_no_errors()
