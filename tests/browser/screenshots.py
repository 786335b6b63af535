"""Full-page screenshots of the main pages, in German and English, on a desktop and a phone.

Usage: .venv/bin/python -m tests.browser.screenshots OUTDIR

Runs the app with the demo data on a temporary SQLite database and headless Chromium; writes
OUTDIR/<size>-<language>-<nn>-<page>.png and reports console errors (e.g. CSP violations) and
pages that scroll sideways.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import select

from qcrm import create_app
from qcrm.demo import DemoLogin, load_demo
from qcrm.extensions import db
from qcrm.models import Client
from tests.browser.support import (
    CHROMIUM,
    CHROMIUM_MISSING,
    DESKTOP,
    PHONE,
    PageErrors,
    launch_chromium,
    live_server,
)
from tests.conftest import base_config

LANGUAGES = {"de": "de-DE", "en": "en-US"}
SIZES = {"desktop": DESKTOP, "phone": PHONE}
DEMO_CLIENT = "Stadtwerke Elbtal GmbH"


@dataclass
class Report:
    files: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def build_app(workdir: Path) -> tuple[Flask, dict[str, DemoLogin], int]:
    """The app on a fresh SQLite database with the demo data; returns it, logins and a client."""
    app = create_app(base_config(f"sqlite:///{workdir / 'screens.sqlite3'}", WTF_CSRF_ENABLED=True))
    app.instance_path = str(workdir / "instance")
    with app.app_context():
        upgrade()
        logins = {login.role: login for login in load_demo(app.instance_path)}
        client_id = db.session.scalar(select(Client.id).where(Client.name == DEMO_CLIENT))
        db.session.remove()
    assert client_id is not None
    return app, logins, client_id


class Camera:
    """Takes the screenshots of one language and size, checking each page on the way."""

    def __init__(self, page: Page, base_url: str, prefix: str, outdir: Path, report: Report):
        self.page = page
        self.base_url = base_url
        self.prefix = prefix
        self.outdir = outdir
        self.report = report
        self.errors = PageErrors(page)

    def shoot(self, number: int, name: str, path: str | None = None) -> None:
        if path is not None:
            self.page.goto(self.base_url + path)
        target = self.outdir / f"{self.prefix}-{number:02d}-{name}.png"
        self.page.screenshot(path=str(target), full_page=True)
        self.report.files.append(target)
        where = f"{target.name} ({self.page.url})"
        language = self.prefix.split("-")[1]
        if (lang := self.page.get_attribute("html", "lang")) != language:
            self.report.problems.append(f"{where}: <html lang={lang!r}>, expected {language!r}")
        width = self.page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if width[0] > width[1]:
            self.report.problems.append(
                f"{where}: scrolls sideways ({width[0]} px content in a {width[1]} px window)"
            )
        self.report.problems.extend(f"{where}: {message}" for message in self.errors.messages)
        self.errors.messages.clear()

    def log_in(self, login: DemoLogin) -> None:
        self.page.goto(self.base_url + "/login")
        self.page.locator("#email").fill(login.email)
        self.page.locator("#password").fill(login.password)
        self.page.locator("main form button[type=submit]").click()
        self.page.wait_for_url("**/home")


def shoot_all(browser: Browser, base_url: str, logins, client_id: int, outdir: Path) -> Report:
    report = Report()
    for language, locale in LANGUAGES.items():
        for size, viewport in SIZES.items():
            prefix = f"{size}-{language}"
            context = browser.new_context(locale=locale, viewport=viewport)
            camera = Camera(context.new_page(), base_url, prefix, outdir, report)
            camera.shoot(1, "login", "/login")
            camera.log_in(logins["manager"])
            camera.shoot(2, "home", "/home")
            if size == "phone":
                camera.page.locator(".navbar-toggler").click()
                camera.page.locator("#nav-main.show").wait_for()
                camera.shoot(3, "home-menu-open")
            camera.shoot(4, "clients", "/clients/")
            camera.shoot(5, "client", f"/clients/{client_id}")
            camera.shoot(6, "channel-new", f"/clients/{client_id}/channels/new")
            camera.shoot(7, "profile", "/profile")
            camera.shoot(9, "waves", "/audits/waves")
            camera.shoot(10, "wave", "/audits/waves/1")
            camera.shoot(11, "wave-new", "/audits/waves/new")
            camera.shoot(12, "scenarios", "/audits/scenarios")
            camera.shoot(13, "personas", "/audits/personas")
            camera.shoot(14, "scorecard", "/audits/scorecards/versions/1")
            camera.shoot(17, "calibration", "/audits/waves/1/calibration")
            camera.shoot(18, "surveys", "/surveys/")
            camera.shoot(19, "survey", "/surveys/1")
            camera.shoot(20, "survey-results", "/surveys/1/results")
            camera.shoot(21, "survey-invitations", "/surveys/2/invitations")
            camera.shoot(22, "survey-new", "/surveys/new")
            camera.shoot(23, "wave-dashboard", "/reports/waves/1")
            camera.shoot(24, "report-new", "/reports/new?wave_id=1")
            camera.page.locator("main form button[type=submit]").click()
            camera.page.locator("#swot").wait_for()
            camera.shoot(25, "report")
            camera.shoot(26, "reports", "/reports/")
            context.close()

            context = browser.new_context(locale=locale, viewport=viewport)
            camera = Camera(context.new_page(), base_url, prefix, outdir, report)
            camera.log_in(logins["tester"])
            camera.shoot(15, "my-inquiries", "/audits/my-inquiries")
            camera.page.locator("main article h3 a").first.click()
            camera.page.wait_for_load_state()
            camera.shoot(16, "contact")
            context.close()

            context = browser.new_context(locale=locale, viewport=viewport)
            camera = Camera(context.new_page(), base_url, prefix, outdir, report)
            camera.log_in(logins["admin"])
            camera.shoot(8, "admin-users", "/admin/users")
            context.close()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path, help="folder for the PNG files")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(CHROMIUM_MISSING, file=sys.stderr)
        return 2
    outdir: Path = args.outdir
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="qcrm-screenshots-") as workdir:
        app, logins, client_id = build_app(Path(workdir))
        try:
            with live_server(app) as url, sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                try:
                    report = shoot_all(browser, url, logins, client_id, outdir)
                finally:
                    browser.close()
        finally:
            with app.app_context():
                db.engine.dispose()
    print(f"{len(report.files)} screenshots in {outdir}")
    for problem in report.problems:
        print(f"PROBLEM {problem}")
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
