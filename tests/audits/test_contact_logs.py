"""Logging a contact, scoring it on the server, and the review — every step in the audit trail."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from audits.mystery import contact_logs as service
from audits.mystery.models import (
    AttemptState,
    ContactabilityFailure,
    Inquiry,
    InquiryAttempt,
    InquiryStatus,
    ReviewStatus,
    Wave,
)
from audits.scorecards.models import (
    ItemType,
    KnockoutScope,
    MethodDimension,
    QualityDimension,
    ScorecardItem,
)
from audits.scorecards.scoring import Answer
from qcrm.errors import ServiceError
from qcrm.extensions import db
from qcrm.models import User
from tests.audits.helpers import answered_item, make_inquiry_a_due

SENT = dt.datetime(2030, 1, 7, 9, 30, tzinfo=dt.UTC)  # Monday, 10:30 in Berlin


@pytest.fixture(autouse=True)
def clock():
    """The world's wave lies in 2030: the tests live three days after its first inquiry."""
    with time_machine.travel(SENT + dt.timedelta(days=3), tick=False):
        yield


@pytest.fixture
def due(app, world):
    """The world's wave running with a 24 h "answered within" target, inquiry_a due with its
    first attempt, and a scorecard of four items: answered (derived, transaction, weight 2),
    personal greeting (communication, 1), friendliness (scale, communication, 1), routed
    correctly (handling, 1, may be N/A)."""
    friendly = ScorecardItem(
        method_dimension=MethodDimension.COMMUNICATION,
        quality_dimension=QualityDimension.INDIVIDUALITY,
        text="Freundlich",
        item_type=ItemType.SCALE,
        weight=1,
    )
    routed = ScorecardItem(
        method_dimension=MethodDimension.HANDLING,
        quality_dimension=QualityDimension.PROCESS,
        text="Richtig weitergeleitet",
        item_type=ItemType.YES_NO,
        weight=1,
        allows_not_applicable=True,
    )
    make_inquiry_a_due(app, world, SENT, answered_item(weight=2), friendly, routed)
    with app.app_context():
        db.session.get(Wave, world.wave_a.id).target_frt_within_hours = 24
        db.session.commit()
    return world


def _items(inquiry):
    return {item.text: item.id for item in inquiry.wave.scorecard_version.items}


def _log_answered_contact(inquiry, tester):
    service.record_sent(inquiry, tester, 1, SENT)
    service.add_reply(
        inquiry,
        tester,
        received_at=SENT + dt.timedelta(minutes=5),
        sender="service@aue.example",
        text="Wir haben Ihre Nachricht erhalten.",
        is_auto_acknowledgement=True,
    )
    service.add_reply(
        inquiry,
        tester,
        received_at=SENT + dt.timedelta(hours=26),
        sender="Frau Kurz",
        text="Den Tarif wechseln Sie online.",
        is_auto_acknowledgement=False,
    )
    service.save_contact_log(
        inquiry, tester, service.ContactLogData(solved=True, transcript="…"), expected_version=None
    )


def test_a_logged_conversation_is_scored_on_the_server_as_computed_by_hand(app, due):
    with app.app_context():
        inquiry = db.session.get(Inquiry, due.inquiry_a.id)
        tester = db.session.get(User, due.tester.id)
        _log_answered_contact(inquiry, tester)
        assert inquiry.status is InquiryStatus.ANSWERED
        assert inquiry.first_answer_at == SENT + dt.timedelta(hours=26)  # not the acknowledgement
        items = _items(inquiry)
        evaluation = service.save_evaluation(
            inquiry,
            tester,
            {
                items["Persönliche Anrede"]: Answer(items["Persönliche Anrede"], False),
                items["Freundlich"]: Answer(items["Freundlich"], 4),
                items["Richtig weitergeleitet"]: Answer(
                    items["Richtig weitergeleitet"], None, not_applicable=True
                ),
            },
            expected_version=None,
        )
        # transaction: answered (derived) = 1 → 100
        # communication: greeting 0 × 1 + friendly (4−1)/4 = 0.75 × 1 → 0.75 / 2 = 37.5
        # handling: the only item is not applicable → no score
        # total: (2 × 1 + 0 + 0.75) / (2 + 1 + 1) = 2.75 / 4 = 68.75
        assert evaluation.transaction_score == 100
        assert evaluation.communication_score == pytest.approx(37.5)
        assert evaluation.handling_score is None
        assert evaluation.total_score == pytest.approx(68.75)
        log = service.contact_log(inquiry)
        assert log.first_response_seconds == 26 * 3600
        # business time Mon 10:30 → Tue 12:30 Berlin, open 08:00-18:00 on Mondays only (world)
        assert log.first_response_business_seconds == pytest.approx(7.5 * 3600)


def test_review_returns_corrects_approves_and_reopens_with_every_step_in_the_trail(app, due):
    with app.app_context():
        inquiry = db.session.get(Inquiry, due.inquiry_a.id)
        tester = db.session.get(User, due.tester.id)
        manager = db.session.get(User, due.manager.id)
        _log_answered_contact(inquiry, tester)
        items = _items(inquiry)
        answers = {
            items["Persönliche Anrede"]: Answer(items["Persönliche Anrede"], True),
            items["Freundlich"]: Answer(items["Freundlich"], 5),
            items["Richtig weitergeleitet"]: Answer(items["Richtig weitergeleitet"], True),
        }
        service.save_evaluation(inquiry, tester, answers, expected_version=None)
        service.submit(inquiry, tester)
        with pytest.raises(ServiceError, match="submitted already"):
            service.submit(inquiry, tester)
        with pytest.raises(ServiceError) as missing_comment:
            service.return_for_correction(inquiry, manager, "  ")
        assert "comment" in missing_comment.value.errors
        service.return_for_correction(inquiry, manager, "Die Anrede war nicht persönlich.")
        answers[items["Persönliche Anrede"]] = Answer(items["Persönliche Anrede"], False)
        service.save_evaluation(inquiry, tester, answers, expected_version=None)
        service.submit(inquiry, tester)
        log = service.approve(inquiry, manager)
        assert log.status is ReviewStatus.APPROVED
        with pytest.raises(ServiceError):
            service.save_contact_log(inquiry, tester, service.ContactLogData(), None)
        with pytest.raises(ServiceError):
            service.reopen(inquiry, manager, "")
        service.reopen(inquiry, manager, "Transkript unvollständig")
        trail = [
            (e.subject, e.field, e.old_value, e.new_value) for e in service.audit_trail(inquiry)
        ]
    reviews = [t for t in trail if t[0] == "review"]
    assert [r[3] for r in reviews] == ["submitted", "returned", "submitted", "approved", "returned"]
    greeting = f"item_{items['Persönliche Anrede']}"
    assert ("evaluation", greeting, "1.0", "0.0") in trail
    assert ("attempt", "attempt_1.sent_at", None, str(SENT)) in trail


def test_a_reply_before_the_inquiry_was_sent_is_refused(app, due):
    with app.app_context():
        inquiry = db.session.get(Inquiry, due.inquiry_a.id)
        tester = db.session.get(User, due.tester.id)
        service.record_sent(inquiry, tester, 1, SENT)
        with pytest.raises(ServiceError) as error:
            service.add_reply(
                inquiry,
                tester,
                received_at=SENT - dt.timedelta(minutes=1),
                sender="x",
                text="?",
                is_auto_acknowledgement=False,
            )
        assert "received_at" in error.value.errors


def test_changing_a_recorded_send_time_needs_a_reason(app, due):
    with app.app_context():
        inquiry = db.session.get(Inquiry, due.inquiry_a.id)
        tester = db.session.get(User, due.tester.id)
        service.record_sent(inquiry, tester, 1, SENT)
        with pytest.raises(ServiceError) as error:
            service.record_sent(inquiry, tester, 1, SENT + dt.timedelta(minutes=10))
        assert "reason" in error.value.errors
        service.record_sent(inquiry, tester, 1, SENT + dt.timedelta(minutes=10), "Uhr vertippt")
        assert db.session.get(InquiryAttempt, inquiry.attempts[0].id).state is AttemptState.SENT


def test_a_stale_form_is_refused_instead_of_overwriting(app, due):
    with app.app_context():
        inquiry = db.session.get(Inquiry, due.inquiry_a.id)
        tester = db.session.get(User, due.tester.id)
        log = service.save_contact_log(
            inquiry, tester, service.ContactLogData(transcript="erste Fassung"), None
        )
        seen = log.version
        service.save_contact_log(inquiry, tester, service.ContactLogData(transcript="zweite"), seen)
        with pytest.raises(ServiceError) as error:
            service.save_contact_log(
                inquiry, tester, service.ContactLogData(transcript="alt"), seen
            )
        assert "version" in error.value.errors
        assert service.contact_log(inquiry).transcript == "zweite"


def test_not_contactable_is_a_result_and_can_be_submitted_without_scores(app, due):
    with app.app_context():
        inquiry = db.session.get(Inquiry, due.inquiry_a.id)
        tester = db.session.get(User, due.tester.id)
        data = service.ContactLogData(
            not_contactable=ContactabilityFailure.HOTLINE_NOT_REACHABLE, wait_seconds=600, tries=3
        )
        service.save_contact_log(inquiry, tester, data, None)
        assert inquiry.status is InquiryStatus.NOT_CONTACTABLE
        assert service.submit(inquiry, tester).status is ReviewStatus.SUBMITTED


def test_an_incomplete_scorecard_names_the_missing_items(app, due):
    with app.app_context():
        inquiry = db.session.get(Inquiry, due.inquiry_a.id)
        tester = db.session.get(User, due.tester.id)
        _log_answered_contact(inquiry, tester)
        items = _items(inquiry)
        with pytest.raises(ServiceError) as error:
            service.save_evaluation(
                inquiry, tester, {items["Freundlich"]: Answer(items["Freundlich"], 7)}, None
            )
        assert set(error.value.errors) == {
            f"item_{items['Persönliche Anrede']}",
            f"item_{items['Freundlich']}",
            f"item_{items['Richtig weitergeleitet']}",
        }


def test_submitting_without_an_outcome_is_refused(app, due):
    with app.app_context():
        inquiry = db.session.get(Inquiry, due.inquiry_a.id)
        tester = db.session.get(User, due.tester.id)
        with pytest.raises(ServiceError) as error:
            service.submit(inquiry, tester)
        assert "outcome" in error.value.errors


def test_knockout_item_zeroes_its_dimension(app, due):
    with app.app_context():
        inquiry = db.session.get(Inquiry, due.inquiry_a.id)
        tester = db.session.get(User, due.tester.id)
        items = _items(inquiry)
        greeting = db.session.get(ScorecardItem, items["Persönliche Anrede"])
        greeting.knockout = KnockoutScope.DIMENSION
        db.session.commit()
        _log_answered_contact(inquiry, tester)
        evaluation = service.save_evaluation(
            inquiry,
            tester,
            {
                items["Persönliche Anrede"]: Answer(items["Persönliche Anrede"], False),
                items["Freundlich"]: Answer(items["Freundlich"], 5),
                items["Richtig weitergeleitet"]: Answer(items["Richtig weitergeleitet"], True),
            },
            None,
        )
        # communication knocked out → 0; total: (2 × 1 + 0 + 0 + 1 × 1) / 5 = 60
        assert evaluation.communication_score == 0
        assert evaluation.knocked_out
        assert evaluation.total_score == pytest.approx(60)
