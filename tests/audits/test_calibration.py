"""Calibration: independent scorings of the same contacts and how far they agree."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from audits.evaluations.calibration import calibration_report
from audits.evaluations.models import Evaluation, EvaluationKind
from audits.mystery import contact_logs
from audits.mystery.models import Inquiry, InquiryAttempt, InquiryStatus, Wave, WaveStatus
from audits.scorecards.scoring import Answer
from qcrm.extensions import db
from qcrm.models import User
from tests.conftest import login

SENT = dt.datetime(2030, 1, 7, 9, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(SENT + dt.timedelta(days=2), tick=False):
        yield


def _score(inquiry_id: int, user_id: int, greeting: bool, kind=EvaluationKind.PRIMARY) -> None:
    inquiry = db.session.get(Inquiry, inquiry_id)
    user = db.session.get(User, user_id)
    item = inquiry.wave.scorecard_version.items[0]
    contact_logs.save_evaluation(inquiry, user, {item.id: Answer(item.id, greeting)}, None, kind)


@pytest.fixture
def scored(app, world):
    """Both inquiries sent and scored by their testers; the manager scored both independently:
    contact a: tester yes, manager yes; contact b: other tester no, manager yes."""
    with app.app_context():
        db.session.get(Wave, world.wave_a.id).status = WaveStatus.RUNNING
        for inquiry_id in (world.inquiry_a.id, world.inquiry_other.id):
            inquiry = db.session.get(Inquiry, inquiry_id)
            inquiry.status = InquiryStatus.SENT
            db.session.add(InquiryAttempt(inquiry=inquiry, number=1, due_at=SENT, sent_at=SENT))
        db.session.commit()
        _score(world.inquiry_a.id, world.tester.id, True)
        _score(world.inquiry_other.id, world.other_tester.id, False)
        _score(world.inquiry_a.id, world.manager.id, True, EvaluationKind.CALIBRATION)
        _score(world.inquiry_other.id, world.manager.id, True, EvaluationKind.CALIBRATION)
    return world


def test_agreement_per_item_as_computed_by_hand(app, scored):
    with app.app_context():
        report = calibration_report(db.session.get(Wave, scored.wave_a.id))
    (row,) = report.items
    # pairs: contact a agrees, contact b does not → 1 / 2
    assert row.percent == pytest.approx(0.5)
    # values 1,1 | 0,1: n = 4, n₁ = 3, n₀ = 1; observed D = 2/4; expected D = 2·3·1/(4·3) = 0.5
    # → alpha = 1 − 0.5 / 0.5 = 0
    assert row.alpha == pytest.approx(0.0)
    assert row.units == 2
    assert report.contacts == 2
    assert report.overall_alpha == pytest.approx(0.0)


def test_calibration_scorings_never_replace_the_primary_evaluation(app, scored):
    with app.app_context():
        primary = (
            db.session.query(Evaluation)
            .filter_by(inquiry_id=scored.inquiry_other.id, kind=EvaluationKind.PRIMARY)
            .one()
        )
        assert primary.communication_score == 0


def test_manager_scores_independently_on_the_calibration_page(app, scored):
    client = app.test_client()
    login(client, scored.admin)
    page = client.get(f"/audits/inquiries/{scored.inquiry_a.id}/calibrate")
    assert page.status_code == 200
    assert b"checked" not in page.data  # the tester's answers stay hidden
    item_id = None
    with app.app_context():
        item_id = db.session.get(Inquiry, scored.inquiry_a.id).wave.scorecard_version.items[0].id
    response = client.post(
        f"/audits/inquiries/{scored.inquiry_a.id}/calibrate", data={f"item_{item_id}": "no"}
    )
    assert response.status_code == 302
    report_page = client.get(f"/audits/waves/{scored.wave_a.id}/calibration")
    assert "Persönliche Anrede" in report_page.text


def test_testers_cannot_calibrate(app, scored):
    client = app.test_client()
    login(client, scored.tester)
    assert client.get(f"/audits/inquiries/{scored.inquiry_a.id}/calibrate").status_code == 403
