"""A report says what it counts — everything sent, of it what is approved and what awaits
review — and, prominently on the page and in the PDF, when its figures are still provisional."""

from __future__ import annotations

import datetime as dt
import io

import pdfplumber
import pytest

from audits.mystery.models import Wave, WaveStatus
from qcrm.extensions import db
from qcrm.models import User
from reports import services
from reports.documents import report_pdf
from reports.models import Report
from tests.conftest import login
from tests.reports.test_analysis import _build

NOW = dt.datetime(2030, 2, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def running_draft(app, world):
    """A draft of wave A while it still runs; nr 14 was sent but only submitted (see
    test_analysis: 14 planned, 11 went out, 10 approved and sent, 2 not contactable, 1
    cancelled)."""
    with app.app_context():
        ids = _build(world)
        db.session.get(Wave, ids["wave"]).status = WaveStatus.RUNNING
        db.session.commit()
        report = services.create_report(
            services.ReportData("Welle A", ids["client"], wave_ids=(ids["wave"],)),
            db.session.get(User, world.manager.id),
            NOW,
        )
        world.report_id = report.id
    return world


def _pdf_text(app, report_id: int, language: str) -> str:
    with app.app_context(), app.test_request_context():
        data = report_pdf(db.session.get(Report, report_id), language, NOW)
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return " ".join((page.extract_text() or "") for page in pdf.pages).replace("\n", " ")


def test_the_page_states_sent_approved_awaiting_review_and_that_the_wave_still_runs(
    app, running_draft
):
    client = app.test_client()
    with app.app_context():
        login(client, db.session.get(User, running_draft.manager.id))
    page = client.get(f"/reports/{running_draft.report_id}").get_data(as_text=True)
    assert (
        "Planned 14; sent 11 (all that went out, reviewed or not), not yet sent 0, cancelled 1. "
        "Counted in the figures are approved contacts only: sent 10 and not contactable 2; "
        "awaiting review 1. Of the 10 counted sent: answered in time 7 (of them only at the "
        "second attempt 1), answered late 1, no answer at all 2."
    ) in page
    assert (
        "Provisional: the wave Welle A is not closed yet, so these figures will still change."
    ) in page
    assert "1 contact that was sent is awaiting review: it counts in no figure yet." in page


def test_the_pdf_says_the_same_in_both_languages(app, running_draft):
    english = _pdf_text(app, running_draft.report_id, "en")
    assert "Provisional: the wave Welle A is not closed yet" in english
    assert "1 contact that was sent is awaiting review" in english
    assert "sent 11 (all that went out, reviewed or not)" in english
    german = _pdf_text(app, running_draft.report_id, "de")
    assert "Vorläufig: Die Welle Welle A ist noch nicht abgeschlossen" in german
    assert "1 gesendeter Kontakt wartet auf die Prüfung" in german


def test_a_closed_wave_with_every_contact_reviewed_is_not_provisional(app, running_draft):
    with app.app_context():
        db.session.get(Wave, running_draft.wave_a.id).status = WaveStatus.CLOSED
        db.session.commit()
    client = app.test_client()
    with app.app_context():
        login(client, db.session.get(User, running_draft.manager.id))
    page = client.get(f"/reports/{running_draft.report_id}").get_data(as_text=True)
    assert "Provisional" not in page
    assert "awaiting review: it counts" in page  # nr 14 still awaits its review
