"""On a phone: a tester logs a two-step e-mail conversation with a screenshot, answers the
scorecard and submits; the manager returns it, the tester corrects it, the manager approves;
the scores match a hand calculation and the audit trail shows every step."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from audits.evaluations.models import Evaluation
from qcrm.extensions import db
from tests.audits.helpers import answered_item, make_inquiry_a_due
from tests.browser.conftest import Login
from tests.browser.support import PHONE
from tests.conftest import PASSWORD, PNG

pytestmark = pytest.mark.browser
BERLIN = ZoneInfo("Europe/Berlin")


def _local(moment: dt.datetime) -> str:
    return moment.astimezone(BERLIN).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def due_contact(server, world):
    """The world's inquiry_a due since yesterday, on a scorecard of two items: answered
    (derived, transaction) and personal greeting (communication), weight 1 each."""
    planned = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).replace(second=0, microsecond=0)
    make_inquiry_a_due(server.app, world, planned, answered_item())
    return planned


def test_a_contact_from_logging_on_a_phone_to_approval(open_page, server, world, due_contact):
    contact = f"/audits/inquiries/{world.inquiry_a.id}"
    tester = open_page(viewport=PHONE)
    tester.log_in(Login("tester@qcrm.example", PASSWORD, "Tester"))
    tester.goto("/audits/my-inquiries")
    tester.page.get_by_role("link", name="Tarifwechsel").first.click()
    page = tester.page
    expect(page.get_by_role("heading", name="Tarifwechsel")).to_be_visible()

    page.locator("#sent_at").fill(_local(due_contact))
    page.get_by_role("button", name="Record sending time").click()
    expect(page.get_by_text("The sending time is recorded.")).to_be_visible()
    for minutes, text, acknowledgement in (
        (2, "Wir haben Ihre Nachricht erhalten.", True),
        (150, "Guten Tag Frau Berger, der Wechsel geht online zum Monatsersten.", False),
    ):
        page.get_by_text("Add a reply").first.click()
        page.locator("#received_at").fill(_local(due_contact + dt.timedelta(minutes=minutes)))
        page.locator("#sender").fill("service@aue.example")
        page.locator("#text").fill(text)
        if acknowledgement:
            page.locator("#is_auto_acknowledgement").check()
        page.get_by_role("button", name="Add reply", exact=True).click()
        expect(page.get_by_text("The reply is recorded.")).to_be_visible()
    page.locator("#file").set_input_files(
        {"name": "antwort.png", "mimeType": "image/png", "buffer": PNG}
    )
    page.get_by_role("button", name="Attach").click()
    expect(page.get_by_text("antwort.png is attached.")).to_be_visible()
    page.locator("#solved").select_option("yes")
    page.locator("#log-heading ~ form button[type=submit]").click()
    expect(page.get_by_text("The contact log is saved.")).to_be_visible()
    page.get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Save scorecard").click()
    # transaction: answered = 1 → 100; communication: greeting no → 0; total (1 + 0) / 2 = 50
    expect(page.get_by_text("The scorecard is saved and scored.")).to_be_visible()
    expect(page.locator("#scorecard-heading ~ p").first).to_contain_text("Total 50.0")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("The contact is submitted for review.")).to_be_visible()

    manager = open_page(viewport=PHONE)
    manager.log_in(Login("manager@qcrm.example", PASSWORD, "Manager"))
    manager.goto(contact)
    manager.page.locator("#decision").select_option("return")
    manager.page.locator("#comment").fill("Die Anrede war persönlich, bitte korrigieren.")
    manager.page.get_by_role("button", name="Record decision").click()
    expect(manager.page.get_by_text("The review is recorded.")).to_be_visible()

    tester.goto(contact)
    expect(page.get_by_text("bitte korrigieren")).to_be_visible()
    page.get_by_label("Yes", exact=True).check()
    page.get_by_role("button", name="Save scorecard").click()
    expect(page.locator("#scorecard-heading ~ p").first).to_contain_text("Total 100.0")
    page.get_by_role("button", name="Submit for review").click()

    manager.goto(contact)
    manager.page.locator("#decision").select_option("approve")
    manager.page.get_by_role("button", name="Record decision").click()
    expect(manager.page.get_by_text("approved").first).to_be_visible()
    trail = manager.page.locator("#trail-heading ~ div table tbody")
    for step in (
        "attempt attempt_1.sent_at",
        "reply received_at",
        "evidence file",
        "contact_log solved",
        "evaluation total_score",
        "review status",
    ):
        expect(trail).to_contain_text(step)
    expect(trail.locator("tr", has_text="review status")).to_have_count(4)
    with server.app.app_context():
        assert db.session.query(Evaluation).one().total_score == 100
    tester.assert_no_errors()
    manager.assert_no_errors()
