"""Helpers shared by the browser tests and the screenshot script: a live server and Chromium."""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po
from flask import Flask
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, Request
from werkzeug.serving import make_server

from tests.conftest import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
GERMAN_CATALOGUE = (
    Path(__file__).resolve().parents[2] / "qcrm/translations/de/LC_MESSAGES/messages.po"
)


CHROMIUM_MISSING = "Chromium not found: install it with `apt-get install chromium`"


def browser_required() -> bool:
    return os.environ.get("QCRM_REQUIRE_BROWSER") == "1"


def launch_chromium(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )


@contextmanager
def live_server(app: Flask) -> Iterator[str]:
    """Serve the app on a free local port in a daemon thread; yields the base URL."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="live-server", daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


#: Console errors that are known and tracked by a test of their own (marked xfail), so that the
#: other tests still catch new errors. Remove an entry once its xfail test passes.
KNOWN_CONSOLE_ERRORS: dict[str, re.Pattern[str]] = {}


class PageErrors:
    """Console errors (CSP violations show up here), uncaught exceptions and failed requests."""

    def __init__(self, page: Page, *, ignore_known: bool = True) -> None:
        self.ignore_known = ignore_known
        self.messages: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.messages.append(f"uncaught: {error}"))
        page.on("requestfailed", self._request_failed)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url", "")
            text = f"console: {message.text} [{where}]"
            if self.ignore_known and any(p.search(text) for p in KNOWN_CONSOLE_ERRORS.values()):
                return
            self.messages.append(text)

    def _request_failed(self, request: Request) -> None:
        # a navigation aborts requests still under way (e.g. the favicon): that is no error
        if request.failure != "net::ERR_ABORTED":
            self.messages.append(
                f"request failed: {request.method} {request.url} ({request.failure})"
            )


@cache
def german_translation(msgid: str) -> str | None:
    """The German text for msgid if the catalogue has a finished (non-fuzzy) translation."""
    with GERMAN_CATALOGUE.open("rb") as po:
        catalogue = read_po(po)
    message = catalogue.get(msgid)
    if message is None or message.fuzzy or not message.string:
        return None
    return message.string if isinstance(message.string, str) else None
