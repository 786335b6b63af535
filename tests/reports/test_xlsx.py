"""Downloads: the report's figures as XLSX (numbers as numbers, text never a formula) and its PDF,
for readers only (executives: published reports; testers: never)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from qcrm.extensions import db
from reports.models import Report
from tests.conftest import login
from tests.reports.report_helpers import published_report

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def report_id(app, world) -> int:
    with app.app_context():
        report_id = published_report(world)
        report = db.session.get(Report, report_id)
        # a manager's wording that a spreadsheet would run as a formula
        report.findings[0].text = '=HYPERLINK("http://evil.example","Klick")'
        report.findings[0].edited = True
        db.session.commit()
    return report_id


def _download(client, world, report_id: int, user: str = "executive"):
    login(client, world.user(user))
    return client.get(f"/reports/{report_id}/figures.xlsx")


def _rows(workbook, title: str) -> list[tuple]:
    return list(workbook[title].iter_rows(values_only=True))


def test_the_workbook_holds_the_figures_as_numbers(app, client, world, report_id):
    response = _download(client, world, report_id)
    assert response.status_code == 200
    assert response.mimetype == XLSX
    assert response.headers["Cache-Control"] == "private, no-store"
    assert (
        'filename="Stadtwerke-Aue_Welle-A-Ergebnis.xlsx"' in response.headers["Content-Disposition"]
    )
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["Figures", "Breakdowns", "Criteria", "Methods", "SWOT", "Survey"]
    figures = _rows(workbook, "Figures")
    header = next(row for row in figures if row and row[0] == "Section")
    assert header[3:10] == (
        "Value",
        "n",
        "Lower bound (95 percent interval)",
        "Upper bound (95 percent interval)",
        "Target",
        "Against the target",
        "Small sample",
    )
    rate = next(row for row in figures if row[1] == "Answer rate")
    assert rate[3:5] == (0.7, 10) and isinstance(rate[3], float) and isinstance(rate[4], int)
    # 7/10 against 0.8, Wilson [0.3968, 0.8922]: misses within the noise
    assert rate[5] == pytest.approx(0.3968, abs=1e-4)
    assert rate[7:10] == (0.8, "misses, not significant", True)
    csat = next(row for row in figures if row[1] == "CSAT (share of 4–5)")
    # the survey's responses in the wave's period: 10 of the 12 (test_results.py), 9 satisfied
    assert csat[3:5] == (0.9, 10)
    sent = next(row for row in figures if row[0] == "Inquiries" and row[1] == "Sent")
    assert sent[3] == 10


def test_breakdowns_criteria_methods_and_survey_sheets(app, client, world, report_id):
    workbook = load_workbook(io.BytesIO(_download(client, world, report_id).data))
    breakdowns = _rows(workbook, "Breakdowns")
    channel = next(
        row for row in breakdowns if row[1] == "Kontaktformular" and row[5] == "Answer rate"
    )
    assert channel[0] == "Channel" and channel[2:5] == (4, 1, 3) and channel[6:8] == (0.75, 4)
    assert any(row[0] == "Time of day" and row[1] == "Evening (18–24 h)" for row in breakdowns)
    assert any(row[0] == "Weekday" and row[1] == "Monday" for row in breakdowns)
    criteria = _rows(workbook, "Criteria")
    first = next(row for row in criteria if row[1] == "Persönliche Anrede")
    assert first[7:9] == (0.7, 10)
    methods = _rows(workbook, "Methods")
    assert methods[1][:1] == ("Mystery monitoring",)
    # successes, out of, value, n, …, what n counts
    survey_row = next(row for row in methods if row[1] == "Customer survey")
    assert survey_row[2:6] == (9, 10, 0.9, 10) and survey_row[11] == "n = 10 responses"
    reach = next(row for row in methods if row[0] == "Reachability")
    assert reach[2:6] == (7, 10, 0.7, 10) and reach[11] == "n = 10 contacts"
    # a pooled share: 12 of 20 answers passing, from n = 10 contacts
    individual = next(row for row in methods if row[0] == "Individuality")
    assert individual[2:6] == (12, 20, 0.6, 10) and individual[11] == "n = 10 contacts"
    survey = _rows(workbook, "Survey")
    assert ("CSAT", 5, 3) in survey


def test_swot_sentences_are_text_never_formulas(app, client, world, report_id):
    response = _download(client, world, report_id)
    workbook = load_workbook(io.BytesIO(response.data))
    sheet = workbook["SWOT"]
    cells = [row[2] for row in sheet.iter_rows(min_row=2)]
    injected = next(cell for cell in cells if str(cell.value).startswith("=HYPERLINK"))
    assert injected.data_type == "s"
    edited = [row[3].value for row in sheet.iter_rows(min_row=2)]
    assert True in edited and False in edited
    # the generated sentences are written in the reader's language
    assert all(cell.value for cell in cells)


def test_a_report_without_figures_still_downloads(app, client, world):
    response = _download(client, world, world.report_a.id)
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data))
    assert ("This report has no figures.",) in [row[:1] for row in _rows(workbook, "Figures")]
    swot = _rows(workbook, "SWOT")
    assert swot[1][2] == "Der Chat könnte Anfragen am Abend auffangen."


def test_swot_sentences_follow_the_readers_language(app, client, world, report_id):
    def sentences(language: str) -> list[str]:
        login(client, world.executive)
        response = client.get(
            f"/reports/{report_id}/figures.xlsx", headers={"Accept-Language": language}
        )
        sheet = load_workbook(io.BytesIO(response.data)).worksheets[4]
        return [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]

    english, german = sentences("en"), sentences("de")
    assert len(english) == len(german) > 1
    # the manager's wording stays as written; generated sentences are translated
    assert english[0] == german[0]
    assert all(en != de for en, de in zip(english[1:], german[1:], strict=True))


@pytest.mark.parametrize(
    ("user", "which", "status"),
    [
        ("executive", "published", 200),
        ("executive", "draft", 404),
        ("executive", "other client", 404),
        ("client_manager", "draft", 200),
        ("client_manager", "other client", 404),
        ("manager", "other client", 200),
        ("tester", "published", 403),
    ],
)
def test_who_may_download(app, client, world, user, which, status):
    with app.app_context():
        draft_id = published_report(world, title="Entwurf", publish=False)
    report_id = {
        "published": world.report_a.id,
        "draft": draft_id,
        "other client": world.report_b.id,
    }[which]
    login(client, world.user(user))
    for url in (f"/reports/{report_id}/figures.xlsx", f"/reports/{report_id}/report-de.pdf"):
        assert client.get(url).status_code == status, url


def test_only_german_and_english_pdfs_exist(app, client, world):
    login(client, world.executive)
    assert client.get(f"/reports/{world.report_a.id}/report-fr.pdf").status_code == 404


def test_the_pdf_download_is_an_uncached_attachment(app, client, world):
    login(client, world.executive)
    response = client.get(f"/reports/{world.report_a.id}/report-en.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="Stadtwerke-Aue_Bericht-Welle-A_en.pdf"'
    )
