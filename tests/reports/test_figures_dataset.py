"""Every figure of the hand-computed data set (tests/reports/figures_dataset.py), its interval
and its verdict, as DOMAIN.md defines them — entered through the product's own services.

Expected values are literals: counts, medians and p90 by hand (see the data set's table);
Wilson intervals from statsmodels' ``proportion_confint(method="wilson")`` and t intervals from
``scipy.stats.t`` (run once outside the product), clipped to the scale where DOMAIN.md says so.
"""

from __future__ import annotations

import io

import openpyxl
import pdfplumber
import pytest

from audits.mystery.models import HourBand, Inquiry, InquiryReply, InquiryStatus
from audits.scorecards.models import QualityDimension
from qcrm import accounts
from qcrm.extensions import db
from qcrm.models import User
from reports import services
from reports.analysis import ReportScope, mystery_figures
from reports.documents import report_pdf
from reports.methods import Column, method_matrix, survey_figures
from reports.models import Report
from reports.snapshot import comparison_wave
from reports.xlsx import report_workbook
from surveys.invitations import invitation_counts
from surveys.models import Survey
from tests.conftest import login
from tests.reports.figures_dataset import build_dataset, build_survey


def approx4(value: float):
    return pytest.approx(value, abs=1e-4)


@pytest.fixture
def dataset(app, clean_database):
    with app.app_context():
        return build_dataset()


@pytest.fixture
def march(app, dataset):
    with app.app_context():
        return mystery_figures(ReportScope(dataset.client_id, wave_ids=(dataset.march_id,)))


def test_late_answers_are_kept_as_late_and_the_inquiries_stay_unanswered(app, dataset):
    with app.app_context():
        for nr in (3, 4):  # 3 typed in by the tester, 4 read from the mailbox
            inquiry = db.session.get(Inquiry, dataset.inquiries[nr])
            assert inquiry.status is InquiryStatus.UNANSWERED
            assert inquiry.first_answer_at is None
            replies = db.session.query(InquiryReply).filter_by(inquiry_id=inquiry.id).all()
            assert [r.is_late for r in replies] == [True]
        second = db.session.get(Inquiry, dataset.inquiries[5])
        assert (second.status, second.answered_attempt) == (InquiryStatus.ANSWERED, 2)


def test_counts(march):
    counts = march.counts
    # planned 12 = sent 9 (1–7, 9, 10) + not contactable 1 (8) + cancelled 1 (12)
    #              + awaiting review 1 (11)
    assert (counts.planned, counts.cancelled, counts.unreviewed) == (12, 1, 1)
    assert (counts.sent, counts.not_contactable) == (9, 1)
    assert (counts.dispatched, counts.awaiting_review) == (10, 1)
    # sent 9 = answered 6 (1, 2, 5, 6, 9, 10) + late 2 (3, 4) + never 1 (7)
    assert (counts.answered, counts.answered_second_attempt) == (6, 1)
    assert (counts.late, counts.never_answered) == (2, 1)
    assert counts.solved == 4  # 1, 2, 6, 10 — nr 3's "solved" came late and does not count


def test_answer_rate_and_its_verdict(march):
    rate = march.answer_rate
    assert (rate.value, rate.n, rate.target) == (pytest.approx(6 / 9), 9, 0.8)
    assert (rate.interval.low, rate.interval.high) == (approx4(0.354202), approx4(0.879416))
    assert rate.meets_target is False
    assert rate.significantly_below_target is False  # 0.8 lies inside the interval
    assert rate.small_sample
    assert march.late.value == pytest.approx(2 / 9)
    assert (march.late.interval.low, march.late.interval.high) == (
        approx4(0.063225),
        approx4(0.547411),
    )
    assert march.never_answered.value == pytest.approx(1 / 9)
    assert march.answered_second_attempt.value == pytest.approx(1 / 9)
    assert march.not_contactable.value == pytest.approx(1 / 10)
    assert march.not_contactable.interval.high == approx4(0.404150)


def test_first_response_times_from_the_first_sending(march):
    # calendar: 1800 (2), 3600 (6), 7200 (1), 18000 (9), 36000 (10), 72000 (5: from the FIRST
    # sending, though answered after the second) — median (7200 + 18000) / 2, p90 at rank 4.5
    calendar = march.frt_calendar
    assert (calendar.median.value, calendar.median.n, calendar.median.target) == (
        12600,
        6,
        240 * 60,
    )
    assert calendar.p90.value == 54000
    assert calendar.mean.value == 23100
    assert (calendar.mean.interval.low, calendar.mean.interval.high) == (0, approx4(51533.2381))
    # business time, open Mon–Fri 08–18 Berlin: 7200 (1), 1800 (2), 25200 (5: Tue 11:00–18:00),
    # 0 (6: sent at 18:30), 14400 (9: 14:00–18:00), 28800 (10: 10:00–18:00)
    business = march.frt_business
    assert (business.median.value, business.p90.value, business.mean.value) == (
        10800,
        27000,
        12900,
    )
    assert business.mean.interval.low == approx4(233.0032)


def test_cut_offs_and_first_contact_resolution(march):
    cutoffs = march.cutoffs
    assert cutoffs.within_1h.value == pytest.approx(2 / 9)  # 1800 and 3600 (≤ 1 h)
    assert cutoffs.within_24h.value == pytest.approx(6 / 9)
    assert cutoffs.within_2_business_days.value == pytest.approx(6 / 9)
    assert cutoffs.never.value == pytest.approx(3 / 9)  # late answers are not answers
    assert (cutoffs.never.interval.low, cutoffs.never.interval.high) == (
        approx4(0.120584),
        approx4(0.645798),
    )
    assert march.frt_within_target.value == pytest.approx(6 / 9)
    assert march.frt_within_target.target == 0.9
    fcr = march.first_contact_resolution
    assert (fcr.value, fcr.n) == (pytest.approx(4 / 6), 6)
    assert (fcr.interval.low, fcr.interval.high) == (approx4(0.299993), approx4(0.903229))


def test_scores_computed_on_the_server_from_the_answers(march):
    # transaction per contact (answered, within 24 h, solved): 100 100 0 0 66.7 100 0 66.7 100
    transaction = march.transaction_score
    assert (transaction.value, transaction.n) == (pytest.approx(59.259259), 9)
    assert (transaction.interval.low, transaction.interval.high) == (
        approx4(23.530713),
        approx4(94.987805),
    )
    # communication (nr 7 all n/a): 100 58.3 8.3 50 91.7 66.7 83.3 66.7
    communication = march.communication_score
    assert (communication.value, communication.n) == (pytest.approx(65.625), 8)
    assert communication.interval.low == approx4(41.653310)
    # handling (nr 7 all n/a): 100 100 50 0 100 50 0 100
    handling = march.handling_score
    assert (handling.value, handling.n) == (62.5, 8)
    assert handling.interval.high == approx4(99.552667)
    # total: 100 82.14 15.63 21.43 84.38 75 0 56.25 87.5
    total = march.total_score
    assert (total.value, total.n, total.target) == (pytest.approx(58.035714), 9, 75)
    assert (total.interval.low, total.interval.high) == (approx4(29.921570), approx4(86.149859))


def test_breakdowns_by_the_actual_sending_time_in_berlin(march):
    weekdays = march.breakdowns.by_weekday
    # Mon 1, 2 · Tue 3, 5 · Wed 4, 7 · Thu 6 (planned Wednesday, sent Thursday), 9 · Fri 10
    assert [g.sent for g in weekdays] == [2, 2, 2, 2, 1, 0, 0]
    assert [g.answered for g in weekdays] == [2, 1, 0, 2, 1, 0, 0]
    assert weekdays[4].not_contactable == 1  # nr 8, planned Friday, never sent
    bands = {g.key: g for g in march.breakdowns.by_hour_band}
    # morning 1, 3, 4, 10 · noon 2, 5, 7 · afternoon 9 · evening 6 (18:30 Berlin)
    assert (bands[HourBand.MORNING].sent, bands[HourBand.MORNING].answered) == (4, 2)
    assert (bands[HourBand.NOON].sent, bands[HourBand.NOON].answered) == (3, 2)
    assert (bands[HourBand.AFTERNOON].sent, bands[HourBand.EVENING].sent) == (1, 1)
    assert bands[HourBand.EVENING].frt_median.value == 3600


def test_the_previous_comparable_wave_is_february_not_the_later_pilot(app, dataset):
    with app.app_context():
        scope = ReportScope(dataset.client_id, wave_ids=(dataset.march_id,))
        assert comparison_wave(scope) == (dataset.february_id, comparison_wave(scope)[1])
        assert comparison_wave(scope)[1].value == "previous_comparable"


def test_method_matrix_cells_count_contacts_with_the_clustered_interval(march):
    cells = method_matrix(march, None).cells
    q, c = QualityDimension, Column
    # reachability and responsiveness: the answer rate and the share within 24 h, 6/9 (Wilson)
    assert cells[q.REACHABILITY, c.MYSTERY_TRANSACTION].figure.value == pytest.approx(6 / 9)
    assert cells[q.RESPONSIVENESS, c.MYSTERY_TRANSACTION].figure.n == 9
    # competence, transaction: "solved at the first answer", one answer per contact: 4/9 Wilson
    solved = cells[q.COMPETENCE, c.MYSTERY_TRANSACTION].figure
    assert (solved.value, solved.n) == (pytest.approx(4 / 9), 9)
    assert (solved.interval.low, solved.interval.high) == (approx4(0.188779), approx4(0.733349))
    # individuality: 2 items × 8 contacts (nr 7 all n/a), passes 2 1 0 1 2 1 2 1 → R = 10/16;
    # v = Σ(pᵢ − 1.25)² / (8 · 7 · 2²) = 3.5 / 224 → R ± 1.959964 · 0.125
    individuality = cells[q.INDIVIDUALITY, c.MYSTERY_COMMUNICATION]
    assert (individuality.figure.value, individuality.figure.n) == (0.625, 8)
    assert individuality.answers == 16
    assert individuality.figure.interval.low == approx4(0.380005)
    assert individuality.figure.interval.high == approx4(0.869995)
    # competence, communication: "Fachlich richtig" ≥ 4 on 5 of 8 contacts (Wilson)
    assert cells[q.COMPETENCE, c.MYSTERY_COMMUNICATION].figure.interval.low == approx4(0.305742)
    # process: (aᵢ, pᵢ) = (2,2) (1,1) (2,1) (1,0) (2,2) (2,1) (2,0) (2,2): R = 9/14, ā = 1.75
    process = cells[q.PROCESS, c.MYSTERY_HANDLING]
    assert (process.figure.value, process.figure.n, process.answers) == (
        pytest.approx(9 / 14),
        8,
        14,
    )
    assert (process.figure.interval.low, process.figure.interval.high) == (
        approx4(0.347760),
        approx4(0.937955),
    )


@pytest.fixture
def survey(app, dataset, smtp_server, mailbox):
    with app.app_context():
        return build_survey(dataset, smtp_server.handler)


def test_survey_invitations_follow_the_mail_server_and_the_response_rate_counts_delivered(
    app, dataset, survey
):
    with app.app_context():
        counts = invitation_counts(db.session.get(Survey, survey))
        assert (counts["invited"], counts["delivered"]) == (6, 4)
        assert (counts["bounced"], counts["failed"]) == (1, 1)
        figures = survey_figures(ReportScope(dataset.client_id, wave_ids=(dataset.march_id,)))
    assert (figures.invitation_responses, figures.invitations_delivered) == (3, 4)
    rate = figures.response_rate
    assert (rate.value, rate.n, rate.target) == (0.75, 4, None)
    assert (rate.interval.low, rate.interval.high) == (approx4(0.300642), approx4(0.954413))


def test_survey_figures_near_the_ends_of_their_scales_keep_their_intervals_on_the_scale(
    app, dataset, survey
):
    with app.app_context():
        figures = survey_figures(ReportScope(dataset.client_id, wave_ids=(dataset.march_id,)))
    assert figures.responses == 6
    # CSAT 5 5 5 5 4 1: share 5/6 (Wilson), mean 4.1667, t interval 2.4854 … 5.8479 → … 5
    assert (figures.csat.value, figures.csat.target) == (pytest.approx(5 / 6), 0.8)
    assert figures.csat.interval.low == approx4(0.436497)
    assert figures.csat.meets_target and not figures.csat.significantly_above_target
    assert figures.csat_mean.value == pytest.approx(25 / 6)
    assert (figures.csat_mean.interval.low, figures.csat_mean.interval.high) == (
        approx4(2.485385),
        5,
    )
    # NPS 10 10 9 9 7 0: 4 promoters, 1 passive, 1 detractor → 50; trinomial interval
    # −11.11 … 111.11 → … 100
    assert (figures.nps.value, figures.nps.target) == (50, 30)
    assert (figures.nps.interval.low, figures.nps.interval.high) == (approx4(-11.112614), 100)
    # CES 7 7 7 7 6 2: mean 6, t interval 3.9011 … 8.0989 → … 7
    assert (figures.ces.value, figures.ces.target) == (6, 5.5)
    assert (figures.ces.interval.low, figures.ces.interval.high) == (approx4(3.901129), 7)


def test_page_pdf_xlsx_and_api_show_the_same_response_rate_and_answer_rate(app, dataset, survey):
    with app.app_context():
        report = services.create_report(
            services.ReportData("März", dataset.client_id, wave_ids=(dataset.march_id,)),
            db.session.get(User, dataset.manager_id),
        )
        services.publish_report(report, db.session.get(User, dataset.manager_id))
        report_id = report.id
        snapshot = db.session.get(Report, report_id).figures
        token = accounts.create_api_token(db.session.get(User, dataset.manager_id), "t")[1]
        with app.test_request_context(headers={"Accept-Language": "en"}):
            pdf = report_pdf(db.session.get(Report, report_id), "en")
            workbook = report_workbook(db.session.get(Report, report_id), snapshot)
    assert snapshot["survey"]["response_rate"]["value"] == 0.75
    client = app.test_client()
    api = client.get(
        f"/api/v1/reports/{report_id}", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    assert api["figures"]["survey"]["response_rate"]["value"] == 0.75
    assert api["figures"]["mystery"]["answer_rate"]["n"] == 9
    with app.app_context():
        login(client, db.session.get(User, dataset.manager_id))
    page = client.get(f"/reports/{report_id}").get_data(as_text=True)
    assert "Response rate (responses to invitations / invitations delivered)" in page
    assert "75.0%" in page and "66.7%" in page
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        text = " ".join(p.extract_text() or "" for p in document.pages).replace("\n", " ")
    # the label wraps in its table cell: value, n and interval follow its first line
    assert "Survey response rate (responses 75.0%* 4 30.1% to 95.4%" in text
    assert "Answer rate 66.7%* 9 35.4% to 87.9%" in text
    sheet_values = [
        cell
        for sheet in openpyxl.load_workbook(io.BytesIO(workbook)).worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
    ]
    assert "Response rate (of delivered invitations)" in sheet_values
    assert 0.75 in sheet_values and pytest.approx(6 / 9) in sheet_values
