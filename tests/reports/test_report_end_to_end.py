"""A report as a new user tries it with the demo data: a manager opens the demo wave's dashboard,
drafts a report, edits one SWOT item and publishes it; an executive downloads the PDF in German
and in English, and its figures match the dashboard and the JSON; the method comparison shows both
methods used (mystery contacts and the survey)."""

from __future__ import annotations

import io
import re

import pdfplumber
from flask_babel import force_locale
from sqlalchemy import select

from audits.demo import DEMO_WAVE
from audits.mystery.models import Wave
from qcrm.accounts import create_api_token
from qcrm.demo import load_demo
from qcrm.extensions import db
from qcrm.models import User
from reports.models import Report, ReportFinding, ReportStatus
from reports.swot import Unit, format_value
from tests.conftest import bearer


def _log_in(client, login) -> None:
    response = client.post("/login", data={"email": login.email, "password": login.password})
    assert response.status_code == 302, response.status_code


def _pdf_text(body: bytes) -> str:
    with pdfplumber.open(io.BytesIO(body)) as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
    return text.replace("\xa0", " ")  # the PDF's text layer has plain spaces


def test_the_demo_wave_from_dashboard_to_published_pdf(app):
    with app.app_context():
        logins = {login.role: login for login in load_demo(app.instance_path)}
        wave_id = db.session.scalar(select(Wave.id).where(Wave.name == DEMO_WAVE))
        db.session.remove()

    manager = app.test_client()
    _log_in(manager, logins["manager"])
    dashboard = manager.get(f"/reports/waves/{wave_id}")
    assert dashboard.status_code == 200

    created = manager.post(
        "/reports/new",
        data={
            "title": "Bericht Demo-Welle",
            "client_id": _client_of(app, wave_id),
            "wave_ids": [wave_id],
        },
    )
    assert created.status_code == 302, created.get_data(as_text=True)
    report_id = int(re.search(r"/reports/(\d+)", created.location).group(1))
    with app.app_context():
        finding_id = db.session.scalar(
            select(ReportFinding.id).where(ReportFinding.report_id == report_id).limit(1)
        )
    assert finding_id is not None, "the demo wave yields SWOT findings"
    edited = manager.post(
        f"/reports/findings/{finding_id}/edit",
        data={"text": "Die Hotline antwortet verlässlich, der Chat noch nicht."},
    )
    assert edited.status_code == 302
    published = manager.post(f"/reports/{report_id}/publish", data={"confirm": "y"})
    assert published.status_code == 302
    with app.app_context():
        report = db.session.get(Report, report_id)
        assert report.status is ReportStatus.PUBLISHED
        figures = report.figures
        db.session.remove()

    rate = figures["mystery"]["answer_rate"]
    assert rate is not None and rate["n"] > 0
    methods = figures["matrix"]["methods_used"]
    assert len(methods) == 2, methods  # mystery contacts and the customer survey
    assert figures["survey"] is not None and figures["survey"]["csat"]["n"] > 0

    executive = app.test_client()
    _log_in(executive, logins["executive"])
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == logins["executive"].email))
        _token, plaintext = create_api_token(user, "end-to-end")
    as_json = executive.get(f"/api/v1/reports/{report_id}", headers=bearer(plaintext)).get_json()
    assert as_json["figures"]["mystery"]["answer_rate"] == rate

    for language in ("de", "en"):
        with app.test_request_context(), force_locale(language):
            shown = format_value(rate["value"], Unit.SHARE)
        page = executive.get(
            f"/reports/{report_id}", headers={"Accept-Language": language}
        ).get_data(as_text=True)
        response = executive.get(f"/reports/{report_id}/report-{language}.pdf")
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        text = _pdf_text(response.get_data())
        assert "Die Hotline antwortet verlässlich, der Chat noch nicht." in page
        assert "Die Hotline antwortet verlässlich, der Chat noch nicht." in text
        assert shown.replace("\xa0", " ") in text, (language, shown)
        assert str(rate["n"]) in text
        if language == "en":  # the page speaks the reader's language; the demo user's is unset
            assert shown in page, shown


def _client_of(app, wave_id: int) -> int:
    with app.app_context():
        client_id = db.session.get(Wave, wave_id).client_id
        db.session.remove()
    return client_id
