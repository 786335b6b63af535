"""A late answer is kept and shown as late, and counted nowhere as answered — whichever way it
enters: the tester's page, the API, or the mailbox (DOMAIN.md "Answer rate")."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from audits.mystery import contact_logs as service
from audits.mystery import dispatch
from audits.mystery.models import Inquiry, InquiryReply, InquiryStatus, Wave
from audits.mystery.replies import record_reply
from audits.scorecards.scoring import Answer
from qcrm.extensions import db
from qcrm.models import User
from tests.audits.helpers import answered_item, make_inquiry_a_due
from tests.conftest import bearer

SENT = dt.datetime(2030, 1, 7, 9, 30, tzinfo=dt.UTC)  # Monday, 10:30 in Berlin
TIMEOUT_HOURS = 24
LATE = SENT + dt.timedelta(hours=30)  # after the e-mail channel's 24 h timeout
IN_TIME = SENT + dt.timedelta(hours=5)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(SENT + dt.timedelta(days=3), tick=False):
        yield


@pytest.fixture
def due(app, world):
    """Inquiry A (an e-mail channel) due, sent at SENT, with a 24 h answer timeout and a
    24 h "answered within" target; the scorecard: answered (derived) + personal greeting."""
    make_inquiry_a_due(app, world, SENT, answered_item())
    with app.app_context():
        wave = db.session.get(Wave, world.wave_a.id)
        wave.answer_timeouts = {"email": TIMEOUT_HOURS}
        wave.target_frt_within_hours = 24
        db.session.commit()
        inquiry = db.session.get(Inquiry, world.inquiry_a.id)
        service.record_sent(inquiry, db.session.get(User, world.tester.id), 1, SENT)
    return world


def _tester_reply(inquiry, tester, received_at):
    return service.add_reply(
        inquiry,
        tester,
        received_at=received_at,
        sender="Frau Kurz",
        text="Den Tarif wechseln Sie online.",
        is_auto_acknowledgement=False,
    )


def _score(inquiry, tester):
    greeting = next(i.id for i in inquiry.wave.scorecard_version.items if i.derived is None)
    return service.save_evaluation(
        inquiry, tester, {greeting: Answer(greeting, True)}, expected_version=None
    )


def test_a_late_answer_typed_in_by_the_tester_is_kept_as_late_and_counts_as_no_answer(app, due):
    with app.app_context():
        inquiry = db.session.get(Inquiry, due.inquiry_a.id)
        tester = db.session.get(User, due.tester.id)
        reply = _tester_reply(inquiry, tester, LATE)
        assert reply.is_late is True
        assert inquiry.first_answer_at is None
        assert inquiry.status is InquiryStatus.SENT
        evaluation = _score(inquiry, tester)
        log = service.contact_log(inquiry)
        assert log.first_response_seconds is None
        # answered (derived) earns 0, the greeting 1: (0 + 1) / 2 → 50; transaction 0
        assert evaluation.transaction_score == 0
        assert evaluation.total_score == pytest.approx(50)


def test_a_late_answer_leaves_an_inquiry_the_scheduler_marked_unanswered_unanswered(app, due):
    with app.app_context():
        dispatch.mark_unanswered(SENT + dt.timedelta(hours=TIMEOUT_HOURS, minutes=1))
        inquiry = db.session.get(Inquiry, due.inquiry_a.id)
        assert inquiry.status is InquiryStatus.UNANSWERED
        _tester_reply(inquiry, db.session.get(User, due.tester.id), LATE)
        db.session.expire_all()
        inquiry = db.session.get(Inquiry, due.inquiry_a.id)
        assert inquiry.status is InquiryStatus.UNANSWERED
        assert inquiry.first_answer_at is None


def test_an_answer_in_time_typed_in_after_the_timeout_makes_the_inquiry_answered(app, due):
    """The tester may type an answer in late; what counts is when it arrived."""
    with app.app_context():
        dispatch.mark_unanswered(SENT + dt.timedelta(hours=TIMEOUT_HOURS, minutes=1))
        inquiry = db.session.get(Inquiry, due.inquiry_a.id)
        reply = _tester_reply(inquiry, db.session.get(User, due.tester.id), IN_TIME)
        assert reply.is_late is False
        assert inquiry.status is InquiryStatus.ANSWERED
        assert inquiry.first_answer_at == IN_TIME


def test_a_late_answer_after_an_answer_in_time_changes_nothing(app, due):
    with app.app_context():
        inquiry = db.session.get(Inquiry, due.inquiry_a.id)
        tester = db.session.get(User, due.tester.id)
        _tester_reply(inquiry, tester, IN_TIME)
        _tester_reply(inquiry, tester, LATE)
        assert inquiry.first_answer_at == IN_TIME


def test_a_late_answer_logged_through_the_api_is_late(app, client, due):
    response = client.post(
        f"/api/v1/inquiries/{due.inquiry_a.id}/replies",
        json={
            "received_at": LATE.isoformat(),
            "sender": "Frau Kurz",
            "text": "Antwort",
            "is_auto_acknowledgement": False,
        },
        headers=bearer(due.tokens["tester"]),
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["is_late"] is True
    with app.app_context():
        inquiry = db.session.get(Inquiry, due.inquiry_a.id)
        assert inquiry.first_answer_at is None
        assert inquiry.status is InquiryStatus.SENT


def test_the_mailbox_and_the_tester_judge_the_same_reply_time_alike(app, due):
    with app.app_context():
        inquiry = db.session.get(Inquiry, due.inquiry_a.id)
        mailed = record_reply(
            db.session,
            inquiry,
            inquiry.attempts[0],
            received_at=LATE,
            sender="service@aue.example",
            subject="Re: Frage",
            body_text="Antwort",
            message_id="<late@aue.example>",
            headers={},
        )
        db.session.commit()
        typed = _tester_reply(inquiry, db.session.get(User, due.tester.id), LATE)
        assert (mailed.is_late, typed.is_late) == (True, True)
        assert db.session.get(Inquiry, due.inquiry_a.id).first_answer_at is None


def test_correcting_the_sending_time_makes_an_answer_late_and_the_inquiry_unanswered(app, due):
    """The late flag follows the sending time: a corrected, earlier sending can make an answer
    that looked in time late (and the other way round), with the change in the audit trail."""
    with app.app_context():
        inquiry = db.session.get(Inquiry, due.inquiry_a.id)
        tester = db.session.get(User, due.tester.id)
        reply = _tester_reply(inquiry, tester, SENT + dt.timedelta(hours=20))
        assert inquiry.status is InquiryStatus.ANSWERED
        earlier = SENT - dt.timedelta(hours=10)
        service.record_sent(inquiry, tester, 1, earlier, "Uhrzeit falsch notiert")
        assert db.session.get(InquiryReply, reply.id).is_late is True
        assert inquiry.first_answer_at is None
        assert inquiry.status is InquiryStatus.SENT
        service.record_sent(inquiry, tester, 1, SENT, "doch richtig")
        assert db.session.get(InquiryReply, reply.id).is_late is False
        assert inquiry.first_answer_at == SENT + dt.timedelta(hours=20)
        assert inquiry.status is InquiryStatus.ANSWERED
        trail = [(e.field, e.new_value) for e in service.audit_trail(inquiry)]
    assert ("status", "sent") in trail
