"""API: the report list, one report with its figures (the snapshot: the numbers the PDF prints),
its PDF, and the caller's subscriptions."""

from __future__ import annotations

import io
import re

import pdfplumber
import pytest
from flask_babel import force_locale

from qcrm.extensions import db
from reports.models import Report, ReportStatus, ReportSubscription
from reports.services import current_snapshot
from reports.swot import Unit, format_value
from tests.conftest import bearer
from tests.reports.report_helpers import published_report


@pytest.fixture
def report_id(app, world) -> int:
    with app.app_context():
        return published_report(world)


def api(client, world, path, user="executive", method="get", **kwargs):
    return client.open(
        f"/api/v1/reports{path}", method=method, headers=bearer(world.tokens[user]), **kwargs
    )


def test_the_list_shows_readers_their_clients_reports(app, client, world, report_id):
    response = api(client, world, "")
    assert response.status_code == 200
    titles = {item["title"] for item in response.get_json()}
    # client A's two published reports; client B's is another client's
    assert titles == {"Bericht Welle A", "Welle A: Ergebnis"}
    assert '"total": 2' in response.headers["X-Pagination"]
    everything = {item["title"] for item in api(client, world, "", user="manager").get_json()}
    assert "Bericht Welle B" in everything
    assert api(client, world, "", user="tester").status_code == 403


def test_executives_do_not_see_drafts(app, client, world):
    with app.app_context():
        draft_id = published_report(world, title="Entwurf", publish=False)
    assert "Entwurf" not in {item["title"] for item in api(client, world, "").get_json()}
    assert api(client, world, f"/{draft_id}").status_code == 404
    assert api(client, world, f"/{draft_id}", user="manager").status_code == 200


def test_a_report_carries_the_snapshot_figures(app, client, world, report_id):
    response = api(client, world, f"/{report_id}")
    assert response.status_code == 200
    body = response.get_json()
    with app.app_context():
        snapshot = current_snapshot(db.session.get(Report, report_id))
    assert body["figures"] == snapshot
    rate = body["figures"]["mystery"]["answer_rate"]
    # hand values: test_analysis.py (7 of 10 sent answered; Wilson interval)
    assert (rate["value"], rate["n"], rate["target"]) == (0.7, 10, 0.8)
    assert rate["low"] == pytest.approx(0.3968, abs=1e-4)
    assert rate["high"] == pytest.approx(0.8922, abs=1e-4)
    assert body["status"] == "published" and body["client_name"] == "Stadtwerke Aue"


def test_findings_are_sentences_in_the_callers_language(app, client, world, report_id):
    with app.app_context():
        report = db.session.get(Report, report_id)
        report.findings[0].removed = True
        removed_id = report.findings[0].id
        db.session.commit()
    english = api(client, world, f"/{report_id}").get_json()
    german = client.get(
        f"/api/v1/reports/{report_id}",
        headers={**bearer(world.tokens["executive"]), "Accept-Language": "de"},
    ).get_json()
    assert (english["language"], german["language"]) == ("en", "de")
    assert removed_id not in {finding["id"] for finding in english["findings"]}
    assert english["findings"], "the fixed data set yields findings"
    for en, de in zip(english["findings"], german["findings"], strict=True):
        assert en["text"] and de["text"] and en["text"] != de["text"]
        assert en["edited"] is False and en["rule"] is not None


def test_a_managers_wording_is_marked_edited(app, client, world):
    body = api(client, world, f"/{world.report_a.id}").get_json()
    assert body["figures"] == {}
    [finding] = body["findings"]
    assert finding["text"] == "Der Chat könnte Anfragen am Abend auffangen."
    assert finding["edited"] is True and finding["rule"] is None


def _pdf_text(data: bytes) -> str:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
    return re.sub(r"[ \u00a0\u202f]+", " ", text)


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_pdf_prints_the_apis_answer_rate(app, client, world, report_id, language):
    figures = api(client, world, f"/{report_id}").get_json()["figures"]
    rate = figures["mystery"]["answer_rate"]
    response = api(client, world, f"/{report_id}/pdf", query_string={"language": language})
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert re.fullmatch(
        r'attachment; filename="Stadtwerke-Aue_Welle-A-Ergebnis_' + language + r'\.pdf"',
        response.headers["Content-Disposition"],
    )
    text = _pdf_text(response.data)
    with app.app_context(), force_locale(language):
        value = format_value(rate["value"], Unit.SHARE).replace("\u00a0", " ")
        low = format_value(rate["low"], Unit.SHARE).replace("\u00a0", " ")
        high = format_value(rate["high"], Unit.SHARE).replace("\u00a0", " ")
    assert value in text  # 70.0 % / 70,0 %
    assert low in text and high in text  # its interval
    lines = [line for line in text.splitlines() if value in line]
    assert any(re.search(rf"\b{rate['n']}\b", line) for line in lines), lines


def test_a_bad_pdf_language_is_a_problem(app, client, world, report_id):
    response = api(client, world, f"/{report_id}/pdf", query_string={"language": "fr"})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


def test_subscribe_list_change_and_unsubscribe(app, client, world):
    response = api(
        client,
        world,
        "/subscriptions",
        method="post",
        json={"client_id": world.client_a.id, "frequency": "wave_closed"},
    )
    assert response.status_code == 201
    subscription = response.get_json()
    assert subscription["frequency"] == "wave_closed"
    again = api(
        client,
        world,
        "/subscriptions",
        method="post",
        json={"client_id": world.client_a.id, "frequency": "monthly"},
    ).get_json()
    assert again["id"] == subscription["id"] and again["frequency"] == "monthly"
    listed = api(client, world, "/subscriptions").get_json()
    assert [(s["client_id"], s["frequency"]) for s in listed] == [(world.client_a.id, "monthly")]
    other = api(
        client, world, f"/subscriptions/{subscription['id']}", user="manager", method="delete"
    )
    assert other.status_code == 404
    gone = api(client, world, f"/subscriptions/{subscription['id']}", method="delete")
    assert gone.status_code == 204
    assert api(client, world, "/subscriptions").get_json() == []
    with app.app_context():
        assert db.session.query(ReportSubscription).count() == 0


def test_only_visible_clients_can_be_subscribed(app, client, world):
    response = api(
        client,
        world,
        "/subscriptions",
        method="post",
        json={"client_id": world.client_b.id, "frequency": "monthly"},
    )
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "client_id"
    bad = api(
        client, world, "/subscriptions", method="post", json={"client_id": 1, "frequency": "daily"}
    )
    assert bad.status_code == 422
    tester = api(
        client,
        world,
        "/subscriptions",
        user="tester",
        method="post",
        json={"client_id": world.client_a.id, "frequency": "monthly"},
    )
    assert tester.status_code == 403


def test_the_report_resources_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert set(paths["/api/v1/reports"]) >= {"get"}
    assert "get" in paths["/api/v1/reports/{report_id}"]
    pdf = paths["/api/v1/reports/{report_id}/pdf"]["get"]
    assert "application/pdf" in pdf["responses"]["200"]["content"]
    assert any(p["name"] == "language" for p in pdf["parameters"])
    assert set(paths["/api/v1/reports/subscriptions"]) >= {"get", "post"}
    assert "delete" in paths["/api/v1/reports/subscriptions/{subscription_id}"]


def test_report_status_values_are_documented(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert schemas["Report"]["properties"]["status"]["enum"] == [s.value for s in ReportStatus]
