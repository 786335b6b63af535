"""The executives' PDF: opened with a PDF text extractor, its figures compared with the snapshot.

The report is the fixed data set of test_analysis.py (wave A of client A), drafted and published
through reports.services; three survey responses with free-text answers are added so that the
survey and the verbatim quotes are printed too.
"""

from __future__ import annotations

import ast
import datetime as dt
import io
import re
from pathlib import Path

import pdfplumber
import pytest
from flask_babel import force_locale

from audits.mystery.models import Wave
from qcrm.extensions import db
from qcrm.models import User
from reports import services
from reports.documents import report_document, report_pdf
from reports.models import Report
from reports.pdf import Numbers, render, verdict
from reports.snapshot import finding_from_json
from reports.swot import Quadrant, Unit, format_value, sentence
from surveys.models import Answer, Question, QuestionKind, Response, ResponseSource
from tests.reports.test_analysis import _build

NOW = dt.datetime(2030, 2, 1, 9, 0, tzinfo=dt.UTC)
QUOTE = "Die <b>Hotline</b> & der Chat waren toll"
TESTER_TRACES = ("Other Tester", "Jana Berger", "jana.berger", "tester@qcrm.example")


def _pages(pdf: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return [_plain(page.extract_text() or "") for page in document.pages]


def _plain(text: str) -> str:
    return " ".join(text.replace("\xa0", " ").split())


def _column(pdf: bytes, page_number: int, right: bool) -> str:
    """The text of the left or right half of a page (the SWOT matrix has two columns)."""
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        page = document.pages[page_number]
        half = page.width / 2
        box = (half, 0, page.width, page.height) if right else (0, 0, half, page.height)
        return _plain(page.crop(box).extract_text() or "")


def _survey_responses(world) -> None:
    """Three responses to survey A in wave A's period (its minimum is 3), with free text."""
    questions = {
        q.kind: q
        for q in db.session.scalars(
            db.select(Question).where(Question.survey_id == world.survey_a.id)
        )
    }
    for csat, nps, ces, text in ((5, 10, 7, QUOTE), (4, 8, 6, "Schnell geholfen."), (2, 3, 2, "")):
        response = Response(
            survey_id=world.survey_a.id,
            source=ResponseSource.PUBLIC_LINK,
            submitted_on=dt.date(2030, 1, 10),
        )
        response.answers = [
            Answer(question_id=questions[QuestionKind.CSAT].id, number=csat),
            Answer(question_id=questions[QuestionKind.NPS].id, number=nps),
            Answer(question_id=questions[QuestionKind.CES].id, number=ces),
            Answer(question_id=questions[QuestionKind.FREE_TEXT].id, text=text),
        ]
        db.session.add(response)
    db.session.commit()


def _published(world, edit: str | None = None) -> Report:
    ids = _build(world)
    _survey_responses(world)
    manager = db.session.get(User, world.manager.id)
    report = services.create_report(
        services.ReportData("Welle A", ids["client"], wave_ids=(ids["wave"],)), manager, NOW
    )
    if edit is not None:
        services.edit_finding(report.findings[0], edit)
    return services.publish_report(report, manager, NOW)


def _swot_page(pages: list[str], heading: str) -> int:
    """The SWOT matrix's page (the summary counts the quadrants as "Threats: 2")."""
    return next(i for i, text in enumerate(pages) if heading in text and f"{heading}:" not in text)


def test_the_pdf_prints_the_snapshots_figures_with_n_interval_and_target(app, world):
    with app.app_context():
        report = _published(world)
        figures = report.figures
        pdf = report_pdf(report, "en")
        with force_locale("en"):
            rate = figures["mystery"]["answer_rate"]
            expected = [
                format_value(rate["value"], Unit.SHARE),  # 70.0%
                format_value(rate["low"], Unit.SHARE),
                format_value(rate["high"], Unit.SHARE),
                format_value(rate["target"], Unit.SHARE),
                format_value(figures["mystery"]["frt_calendar"]["median"]["target"], Unit.SECONDS),
                format_value(figures["survey"]["csat"]["value"], Unit.SHARE),
            ]
    text = " ".join(_pages(pdf))
    assert expected[0] == "70.0%" and expected[3] == "80.0%"
    summary = next(page for page in _pages(pdf)[2:] if "Executive summary" in page)
    # the answer rate's row: value (small sample), n, interval, target
    row = f"Answer rate {expected[0]}* {rate['n']} {expected[1]} to {expected[2]} {expected[3]}"
    assert row in summary
    # 7/10 against 0.8 misses within the noise: said in the table's one vocabulary
    assert f"{row} misses, not significant" in summary
    assert all(value in text for value in expected)
    assert "Fewer than three methods were used" in text
    # the matrix says what its n counts: contacts, not answers (individuality: 10 contacts)
    assert "n = 10 contacts · Target none" in text
    assert "Methods used: Mystery monitoring, Customer satisfaction survey." in text


def test_the_pdf_has_contents_and_page_numbers(app, world):
    with app.app_context():
        pdf = report_pdf(_published(world), "en")
    pages = _pages(pdf)
    assert all(f"Page {number} of {len(pages)}" in text for number, text in enumerate(pages, 1))
    contents = pages[1]
    assert "Contents" in contents
    for section in ("Executive summary", "SWOT", "Method comparison", "Results by channel",
                    "Verbatim quotes", "Appendix: method, sample sizes and intervals"):  # fmt: skip
        assert re.search(re.escape(section) + r"(?: ?\.)+ \d+", contents), section


def test_the_swot_prints_the_sentences_of_the_report(app, world):
    with app.app_context():
        report = _published(world)
        threat = next(f for f in report.findings if f.quadrant is Quadrant.THREAT)
        with force_locale("en"):
            expected = sentence(finding_from_json(threat.data))
        pdf = report_pdf(report, "en")
    page = _swot_page(_pages(pdf), "Threats")
    assert _plain(expected) in _column(pdf, page, right=True)


def test_a_managers_edited_finding_is_marked_edited_and_a_removed_one_left_out(app, world):
    with app.app_context():
        ids = _build(world)
        manager = db.session.get(User, world.manager.id)
        report = services.create_report(
            services.ReportData("Welle A", ids["client"], wave_ids=(ids["wave"],)), manager, NOW
        )
        first, second = (f for f in report.findings if f.quadrant is Quadrant.THREAT)
        services.edit_finding(first, "Das Formular fehlt oft.")
        services.remove_finding(second)
        with force_locale("en"):
            removed = sentence(finding_from_json(second.data))
        report = services.publish_report(report, manager, NOW)
        pdf = report_pdf(report, "en")
    threats = _column(pdf, _swot_page(_pages(pdf), "Threats"), right=True)
    assert "Das Formular fehlt oft. (edited)" in threats
    assert _plain(removed) not in threats


def test_the_german_pdf_speaks_german(app, world):
    with app.app_context():
        report = _published(world)
        pdf = report_pdf(report, "de")
        with force_locale("de"):
            rate = format_value(report.figures["mystery"]["answer_rate"]["value"], Unit.SHARE)
    text = " ".join(_pages(pdf))
    assert "Seite 1 von" in text
    assert "Antwortquote" in text
    assert _plain(rate) == "70,0 %" and f"{_plain(rate)}*" in text


def test_the_german_swot_headings_are_translated(app, world):
    """Needs the German catalogue of the new texts (the lead translates at the end)."""
    with app.app_context():
        pdf = report_pdf(_published(world), "de")
    assert "Stärken" in " ".join(_pages(pdf))


@pytest.mark.parametrize("language", ["de", "en"])
def test_no_tester_is_named(app, world, language):
    with app.app_context():
        pdf = report_pdf(_published(world), language)
    text = " ".join(_pages(pdf))
    assert not [trace for trace in TESTER_TRACES if trace in text]
    if language == "en":
        assert not re.search(r"\bTester\b", text)


def test_verbatims_are_quoted_as_written_not_as_markup(app, world):
    with app.app_context():
        pdf = report_pdf(_published(world), "en")
    text = " ".join(_pages(pdf))
    assert "Die <b>Hotline</b> & der Chat waren toll" in text
    assert "Schnell geholfen." in text


def test_no_verbatims_from_a_survey_below_its_minimum(app, world):
    with app.app_context():
        report = _published(world)
        world_survey = db.session.get(type(world.survey_a), world.survey_a.id)
        world_survey.min_responses = 10
        db.session.commit()
        document = report_document(report, "en")
    assert document.verbatims == ()


@pytest.mark.parametrize("language", ["de", "en"])
def test_a_report_without_figures_renders(app, world, language):
    with app.app_context():
        report = db.session.get(Report, world.report_a.id)
        pdf = report_pdf(report, language)
    pages = _pages(pdf)
    text = " ".join(pages)
    assert pdf.startswith(b"%PDF")
    assert "Der Chat könnte Anfragen am Abend auffangen." in text
    if language == "en":
        assert "No figures: nothing was measured in this report's scope." in text
        assert "No survey in this scope." in text
        assert "Der Chat könnte Anfragen am Abend auffangen. (edited)" in _column(
            pdf, _swot_page(pages, "Opportunities"), right=False
        )


def test_the_same_report_gives_the_same_bytes(app, world):
    with app.app_context():
        report = _published(world)
        first, second = report_pdf(report, "en"), report_pdf(report, "en")
    assert first == second


def test_a_draft_prints_its_live_figures(app, world):
    with app.app_context():
        ids = _build(world)
        manager = db.session.get(User, world.manager.id)
        report = services.create_report(
            services.ReportData("Entwurf", ids["client"], wave_ids=(ids["wave"],)), manager, NOW
        )
        document = report_document(report, "en", NOW)
    assert document.snapshot["mystery"]["counts"]["sent"] == 10
    assert document.published == "Draft – not published"


def test_the_scope_names_the_waves_and_channels(app, world):
    with app.app_context():
        report = _published(world)
        wave = db.session.get(Wave, world.wave_a.id)
        document = report_document(report, "en")
    assert document.scope == f"Waves: {wave.name} · All channels"
    assert document.client == "Stadtwerke Aue"


# --- the renderer on its own ----------------------------------------------------------------------


@pytest.mark.parametrize("language", ["de", "en"])
def test_numbers_are_written_as_the_swot_sentences_write_them(app, language):
    values = [
        (0.7, Unit.SHARE),
        (0.12345, Unit.SHARE),
        (1.0, Unit.SHARE),
        (72.5, Unit.POINTS),
        (-12.25, Unit.POINTS),
        (5.3125, Unit.MEAN),
        (600.0, Unit.SECONDS),
        (7199.0, Unit.SECONDS),
        (90000.0, Unit.SECONDS),
        (12345, Unit.COUNT),
        (None, Unit.SHARE),
    ]
    with app.app_context(), force_locale(language):
        from flask_babel import gettext as _

        numbers = Numbers(language, minutes=_("%(value)s min"), hours=_("%(value)s h"))
        for value, unit in values:
            assert numbers.value(value, unit.value) == format_value(value, unit), (value, unit)


def _missed(target: float, *, higher_is_better: bool, below: bool, above: bool) -> dict:
    return {
        "target": target,
        "meets_target": False,
        "higher_is_better": higher_is_better,
        "significantly_below_target": below,
        "significantly_above_target": above,
    }


@pytest.mark.parametrize(
    ("figure", "expected"),
    [
        ({"target": 0.8, "meets_target": True, "higher_is_better": True}, "meets"),
        (_missed(0.8, higher_is_better=True, below=False, above=False), "misses"),
        (_missed(0.8, higher_is_better=True, below=True, above=False), "worse"),
        # lower is better (response times): significantly above the target is worse
        (_missed(3600, higher_is_better=False, below=False, above=True), "worse"),
        (_missed(3600, higher_is_better=False, below=False, above=False), "misses"),
        ({"target": None, "meets_target": None}, None),
        (None, None),
    ],
)
def test_traffic_lights_follow_the_snapshots_verdicts(figure, expected):
    assert verdict(figure) == expected


def test_the_renderer_knows_no_flask_and_no_database():
    tree = ast.parse(Path("reports/pdf.py").read_text(encoding="utf-8"))
    modules = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    packages = {"__future__", "io", "collections", "dataclasses", "typing", "xml", "babel",
                "reportlab"}  # fmt: skip
    ours = {"qcrm.statistics", "reports", "reports.charts"}
    assert {m for m in modules if m.split(".")[0] not in packages} <= ours, modules


def test_rendering_stays_fast(app, world):
    """Only aggregates reach the renderer: well under a second (generous bound for slow CI)."""
    import time

    with app.app_context():
        document = report_document(_published(world), "en")
    start = time.perf_counter()
    render(document)
    assert time.perf_counter() - start < 2.0
