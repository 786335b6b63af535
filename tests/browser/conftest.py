"""Fixtures for the browser tests: the app on a live local server, Chromium, a manager."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect, sync_playwright

from qcrm import accounts
from qcrm.extensions import db
from qcrm.models import Channel, ChannelType, Client, Role, User
from tests.browser.support import (
    CHROMIUM,
    CHROMIUM_MISSING,
    DESKTOP,
    PageErrors,
    browser_required,
    launch_chromium,
    live_server,
)
from tests.conftest import PASSWORD

#: How long an action or an expectation waits: a CI machine under load is three times slower than
#: an idle one, and the suite runs in two processes, so Playwright's 5-second default for
#: ``expect`` was seen to run out on a page that had only not arrived yet.
WAIT_MS = 15_000
expect.set_options(timeout=WAIT_MS)


@dataclass(frozen=True)
class Server:
    app: Flask
    url: str


@dataclass(frozen=True)
class Login:
    email: str
    password: str
    name: str


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium per test module (each test gets its own context); not per session,
    because Playwright's event loop must be gone before other tests run asyncio code."""
    if not CHROMIUM.exists():
        if browser_required():
            pytest.fail(f"QCRM_REQUIRE_BROWSER=1 but {CHROMIUM_MISSING}", pytrace=False)
        pytest.skip(CHROMIUM_MISSING)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture
def server(make_app) -> Iterator[Server]:
    """The app on the emptied test database, served over HTTP, with CSRF protection on."""
    app = make_app(WTF_CSRF_ENABLED=True)
    with live_server(app) as url:
        yield Server(app, url)


@pytest.fixture
def manager(server: Server) -> Login:
    """A quality manager who sees all clients, and one client already on file."""
    with server.app.app_context():
        db.session.add(
            User(
                email="mia.manager@qcrm.test",
                name="Mia Manager",
                role=Role.MANAGER,
                all_clients=True,
                password_hash=accounts.hash_password(PASSWORD),
            )
        )
        client = Client(name="Energie Nord")
        db.session.add(
            Channel(
                client=client,
                type=ChannelType.PHONE,
                name="Hotline",
                address="+49 40 123456",
                business_hours={"mon": ["08:00-18:00"]},
            )
        )
        db.session.commit()
    return Login("mia.manager@qcrm.test", PASSWORD, "Mia Manager")


class BrowserPage:
    """A page in a fresh browser context, recording what went wrong in the browser."""

    def __init__(self, page: Page, base_url: str, *, ignore_known_errors: bool = True) -> None:
        self.page = page
        self.base_url = base_url
        self.errors = PageErrors(page, ignore_known=ignore_known_errors)

    def goto(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def log_in(self, login: Login) -> None:
        self.goto("/login")
        self.page.locator("#email").fill(login.email)
        self.page.locator("#password").fill(login.password)
        self.page.locator("main form button[type=submit]").click()
        self.page.wait_for_url("**/home")

    def assert_no_errors(self) -> None:
        assert self.errors.messages == [], "the browser reported:\n" + "\n".join(
            self.errors.messages
        )


@pytest.fixture
def open_page(browser: Browser, server: Server) -> Iterator[Callable[..., BrowserPage]]:
    """Open a page in a new context: open_page(locale="de-DE", viewport=PHONE)."""
    contexts = []

    def factory(
        locale: str = "en-US",
        viewport: dict[str, int] = DESKTOP,
        *,
        ignore_known_errors: bool = True,
    ) -> BrowserPage:
        context = browser.new_context(locale=locale, viewport=viewport)
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        return BrowserPage(context.new_page(), server.url, ignore_known_errors=ignore_known_errors)

    yield factory
    for context in contexts:
        context.close()
